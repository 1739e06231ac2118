//! `GET /healthz`: liveness for load balancers and the end-to-end harness. `GET /metrics`: Prometheus
//! text for monitoring.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rapport_core::health::HealthReport;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics))
}

async fn healthz(State(state): State<AppState>) -> Json<HealthReport> {
    Json(HealthReport::ok(state.uptime_seconds()))
}

async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let counters = &state.hub.counters;
    let gauges = [
        ("rapport_sync_connections", "Open sync sockets.", state.hub.connections() as u64),
        (
            "rapport_documents_in_memory",
            "Documents held in memory because some socket syncs them.",
            state.hub.documents_in_memory().await as u64,
        ),
        ("rapport_uptime_seconds", "Seconds since the relay started.", state.uptime_seconds()),
    ];
    let totals = [
        (
            "rapport_sync_messages_received_total",
            "Protocol messages received.",
            &counters.messages_received,
        ),
        ("rapport_sync_messages_sent_total", "Protocol messages sent.", &counters.messages_sent),
        (
            "rapport_storage_errors_total",
            "Failed writes to the database.",
            &counters.storage_errors,
        ),
        (
            "rapport_sync_connections_refused_total",
            "Sync sockets refused for a bad ticket.",
            &counters.connections_refused,
        ),
    ];
    let mut text = String::new();
    for (name, help, value) in gauges {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
    }
    for (name, help, counter) in totals {
        let value = counter.load(Relaxed);
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
