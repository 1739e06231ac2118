//! The whole workspace as one JSON file: every Automerge document with its full history (base64 of its
//! saved bytes), so a restore loses nothing — not even who changed what when — and, beside each, the
//! document's content as plain JSON for people and other tools to read.
//!
//! Restoring merges the documents into a workspace (see the app's `local::restore_documents`): merging
//! is idempotent, so restoring twice, or into the workspace the backup came from, changes nothing twice.

use std::collections::BTreeMap;

use automerge::{ReadDoc, ScalarValue, hydrate};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::document::{DocumentError, load_document};
use crate::ids::{Timestamp, WorkspaceId};
use crate::layout::DocKey;

/// What the file says it is.
const FORMAT: &str = "rapport-backup";
/// The version this build writes; it reads this and older ones.
const VERSION: u32 = 1;

/// A workspace's documents, as saved bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Backup {
    pub workspace: WorkspaceId,
    pub created_at: Timestamp,
    pub documents: Vec<(DocKey, Vec<u8>)>,
}

/// Why a file cannot be restored. Nothing is restored from a file with any of these.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("the file is not a Rapport backup: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("the file is not a Rapport backup (it says it is “{0}”)")]
    WrongFormat(String),
    #[error(
        "the backup was made by a newer version of Rapport (format {0}); update Rapport to restore it"
    )]
    Newer(u32),
    #[error("the backup names an unknown workspace id “{0}”")]
    BadWorkspace(String),
    #[error("the backup has an unknown document “{0}”")]
    UnknownDocument(String),
    #[error("document {key} in the backup is damaged: {why}")]
    Damaged { key: String, why: String },
}

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    version: u32,
    workspace: String,
    /// Milliseconds since 1970.
    created_at: i64,
    documents: BTreeMap<String, FileDocument>,
}

#[derive(Serialize, Deserialize)]
struct FileDocument {
    /// The saved document (`AutoCommit::save`), base64.
    automerge: String,
    /// What the document holds, for reading; ignored when restoring.
    #[serde(default)]
    content: serde_json::Value,
}

/// The backup as JSON text. A document that cannot be read for its content is still backed up whole.
pub fn to_json(backup: &Backup) -> String {
    let documents = backup
        .documents
        .iter()
        .map(|(key, bytes)| {
            let content = load_document(bytes)
                .map(|doc| {
                    json_of(
                        &doc.hydrate(automerge::ROOT, None)
                            .unwrap_or(hydrate::Value::Map(hydrate::Map::default())),
                    )
                })
                .unwrap_or(serde_json::Value::Null);
            (key.to_string(), FileDocument { automerge: BASE64.encode(bytes), content })
        })
        .collect();
    let file = File {
        format: FORMAT.into(),
        version: VERSION,
        workspace: backup.workspace.to_string(),
        created_at: backup.created_at.0,
        documents,
    };
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

/// Reads a backup, checking every document loads before anything is restored.
pub fn from_json(text: &str) -> Result<Backup, BackupError> {
    let file: File = serde_json::from_str(text)?;
    if file.format != FORMAT {
        return Err(BackupError::WrongFormat(file.format));
    }
    if file.version > VERSION {
        return Err(BackupError::Newer(file.version));
    }
    let workspace =
        file.workspace.parse().map_err(|_| BackupError::BadWorkspace(file.workspace.clone()))?;
    let mut documents = Vec::with_capacity(file.documents.len());
    for (key, document) in file.documents {
        let parsed: DocKey = key.parse().map_err(|_| BackupError::UnknownDocument(key.clone()))?;
        let bytes = BASE64
            .decode(document.automerge.as_bytes())
            .map_err(|error| BackupError::Damaged { key: key.clone(), why: error.to_string() })?;
        load_document(&bytes).map_err(|error: DocumentError| BackupError::Damaged {
            key: key.clone(),
            why: error.to_string(),
        })?;
        documents.push((parsed, bytes));
    }
    Ok(Backup { workspace, created_at: Timestamp(file.created_at), documents })
}

/// A document's content as plain JSON, its records at the root (for reading, an export).
pub fn content_of(doc: &automerge::AutoCommit) -> serde_json::Value {
    json_of(
        &doc.hydrate(automerge::ROOT, None).unwrap_or(hydrate::Value::Map(hydrate::Map::default())),
    )
}

/// A document's content as plain JSON: maps, lists, text as strings, numbers, booleans.
fn json_of(value: &hydrate::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        hydrate::Value::Map(map) => {
            let mut entries: Vec<(&String, &hydrate::MapValue)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(entries.into_iter().map(|(k, v)| (k.clone(), json_of(&v.value))).collect())
        }
        hydrate::Value::List(list) => Json::Array(list.iter().map(|v| json_of(&v.value)).collect()),
        hydrate::Value::Text(text) => Json::String(text.to_string()),
        hydrate::Value::Scalar(scalar) => match scalar {
            ScalarValue::Str(s) => Json::String(s.to_string()),
            ScalarValue::Int(n) | ScalarValue::Timestamp(n) => Json::from(*n),
            ScalarValue::Uint(n) => Json::from(*n),
            ScalarValue::F64(n) => Json::from(*n),
            ScalarValue::Counter(c) => Json::from(i64::from(c)),
            ScalarValue::Boolean(b) => Json::Bool(*b),
            ScalarValue::Bytes(bytes) => Json::String(BASE64.encode(bytes)),
            ScalarValue::Null | ScalarValue::Unknown { .. } => Json::Null,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{self, Record};
    use crate::ids::PartyId;
    use crate::model::Party;

    fn sample() -> Backup {
        let id = PartyId::from_bytes([3; 16]);
        let mut doc = document::new_document();
        document::put(
            &mut doc,
            &id.to_string(),
            &Party { name: "Ёлкина Зоя".into(), ..Party::default() },
        )
        .unwrap();
        doc.commit();
        document::update(&mut doc, &id.to_string(), |p: &mut Party| p.name = "Зоя Ёлкина".into())
            .unwrap();
        doc.commit();
        Backup {
            workspace: WorkspaceId::from_bytes([1; 16]),
            created_at: Timestamp(1_795_000_000_000),
            documents: vec![(Party::doc_key(&id), doc.save())],
        }
    }

    #[test]
    fn a_backup_round_trips_with_its_history_and_reads_as_plain_json() {
        let backup = sample();
        let text = to_json(&backup);
        assert!(text.contains("\"name\": \"Зоя Ёлкина\""), "{text}");
        let back = from_json(&text).unwrap();
        assert_eq!(back, backup);
        let mut doc = load_document(&back.documents[0].1).unwrap();
        assert_eq!(doc.get_changes(&[]).len(), 2, "both changes kept");
    }

    #[test]
    fn a_file_that_is_not_a_usable_backup_is_refused_with_the_reason() {
        let good: serde_json::Value = serde_json::from_str(&to_json(&sample())).unwrap();
        let with = |path: &str, value: serde_json::Value| {
            let mut file = good.clone();
            *file.pointer_mut(path).unwrap() = value;
            from_json(&file.to_string()).unwrap_err().to_string()
        };
        assert!(
            from_json("Name,Email\n").unwrap_err().to_string().contains("not a Rapport backup")
        );
        assert!(with("/format", "something-else".into()).contains("“something-else”"));
        assert!(with("/version", 2.into()).contains("newer version"));
        assert!(with("/workspace", "nope".into()).contains("workspace id"));
        let key = good["documents"].as_object().unwrap().keys().next().unwrap().clone();
        // A JSON pointer writes `/` in a key as `~1`.
        let pointer = format!("/documents/{}/automerge", key.replace('~', "~0").replace('/', "~1"));
        let damaged = with(&pointer, "AAAA".into());
        assert!(damaged.contains(&key) && damaged.contains("damaged"), "{damaged}");
        let not_base64 = with(&pointer, "*".into());
        assert!(not_base64.contains("damaged"), "{not_base64}");
    }
}
