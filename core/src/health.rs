//! The relay's health report, read by the app (to show which relay it talks to) and by operators.

use serde::{Deserialize, Serialize};

/// What `GET /healthz` answers.
///
/// The shape is part of the wire protocol: fields may be added, never renamed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// Always `"ok"` when the relay answers at all; a relay that cannot serve does not answer.
    pub status: HealthStatus,
    /// The relay's build version.
    pub version: String,
    /// Whole seconds since the relay started.
    pub uptime_seconds: u64,
}

/// The relay's overall state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
}

impl HealthReport {
    /// A report for a relay that has been up for `uptime_seconds`.
    pub fn ok(uptime_seconds: u64) -> Self {
        Self { status: HealthStatus::Ok, version: crate::VERSION.to_owned(), uptime_seconds }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_report_wire_shape_is_stable() {
        let json = serde_json::to_value(HealthReport::ok(42)).unwrap();
        assert_eq!(json["status"], "ok");
        assert_eq!(json["uptime_seconds"], 42);
        assert_eq!(json["version"], crate::VERSION);
        let back: HealthReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, HealthReport::ok(42));
    }

    #[test]
    fn unknown_status_is_rejected() {
        let err = serde_json::from_str::<HealthReport>(
            r#"{"status":"degraded","version":"0","uptime_seconds":1}"#,
        );
        assert!(err.is_err());
    }
}
