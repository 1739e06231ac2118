//! Presence: who is online and which record they are looking at, sent as automerge-repo `ephemeral`
//! messages on the workspace root (every device syncs it, so every colleague hears). Never stored.
//!
//! The payload is a small CBOR map (`name`, `viewing`), as JavaScript automerge-repo peers encode
//! ephemeral data; unknown keys are ignored so later versions can add some.

use ciborium::value::Value;

/// How long a colleague counts as online after their last presence message. Devices repeat theirs
/// every [`HEARTBEAT_MS`].
pub const EXPIRES_MS: f64 = 30_000.0;
pub const HEARTBEAT_MS: f64 = 10_000.0;

/// What a device says about its user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Presence {
    /// The signed-in person's display name.
    pub name: String,
    /// The id of the record on screen, if any.
    pub viewing: Option<String>,
}

/// Ephemeral data that is not a presence message (another app's, or damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a presence message")]
pub struct NotPresence;

impl Presence {
    pub fn encode(&self) -> Vec<u8> {
        let mut fields = vec![(Value::Text("name".into()), Value::Text(self.name.clone()))];
        if let Some(viewing) = &self.viewing {
            fields.push((Value::Text("viewing".into()), Value::Text(viewing.clone())));
        }
        let mut bytes = Vec::new();
        ciborium::into_writer(&Value::Map(fields), &mut bytes)
            .expect("writing CBOR into memory cannot fail");
        bytes
    }

    pub fn decode(bytes: &[u8]) -> Result<Presence, NotPresence> {
        if bytes.len() > 4_096 {
            return Err(NotPresence);
        }
        let value: Value = ciborium::from_reader(bytes).map_err(|_| NotPresence)?;
        let Value::Map(fields) = value else { return Err(NotPresence) };
        let text = |key: &str| {
            fields.iter().find_map(|(k, v)| match (k, v) {
                (Value::Text(k), Value::Text(v)) if k == key => Some(v.clone()),
                _ => None,
            })
        };
        let name = text("name").filter(|n| !n.trim().is_empty()).ok_or(NotPresence)?;
        Ok(Presence { name: name.chars().take(100).collect(), viewing: text("viewing") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_round_trips_and_rejects_what_is_not_presence() {
        let anna = Presence { name: "Анна".into(), viewing: Some("0190-party".into()) };
        assert_eq!(Presence::decode(&anna.encode()), Ok(anna));
        let idle = Presence { name: "Boris".into(), viewing: None };
        assert_eq!(Presence::decode(&idle.encode()), Ok(idle));
        assert_eq!(Presence::decode(&[0xff, 0x00]), Err(NotPresence));
        let mut cursor = Vec::new();
        ciborium::into_writer(&Value::Text("cursor".into()), &mut cursor).unwrap();
        assert_eq!(Presence::decode(&cursor), Err(NotPresence));
        assert_eq!(Presence::decode(&vec![0x60; 5_000]), Err(NotPresence));
    }
}
