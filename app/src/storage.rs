//! Automerge documents in IndexedDB.
//!
//! One database, one object store of chunks keyed `<document id>/<kind>/<hash>` (see
//! `rapport_core::chunks`): a save appends the document's increment as a new chunk in its own
//! transaction, and the returned future resolves only once that transaction has committed — only then may
//! the UI say "saved". Compaction replaces a document's chunks by one snapshot in a single transaction,
//! so a crash leaves either the old chunks or the new snapshot, never neither.
//!
//! A chunk that cannot be read (not bytes, or bytes Automerge rejects) is reported by key; the document
//! opens from the remaining chunks and the bad chunk is left where it is, never overwritten.

use indexed_db_futures::KeyRange;
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use rapport_core::chunks::{ChunkKey, ChunkKind, document_range};
use rapport_core::layout::DocumentId;
pub use rapport_core::replica::Loaded;
use wasm_bindgen::{JsCast, JsValue};

const STORE: &str = "chunks";
/// Read-model rows, one record per document (see `rapport_core::read_model`), keyed by document key.
const ROWS: &str = "rows";
/// Small facts about the device's workspace (its id), keyed by name.
const META: &str = "meta";
const VERSION: u32 = 2;

/// What can go wrong with on-device storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "the browser refused more storage: free space on the device, or sync and clear old data"
    )]
    QuotaExceeded,
    #[error("the device storage failed: {0}")]
    Browser(String),
}

impl From<indexed_db_futures::error::Error> for StorageError {
    fn from(error: indexed_db_futures::error::Error) -> Self {
        let text = format!("{error:?}");
        if text.contains("QuotaExceeded") {
            StorageError::QuotaExceeded
        } else {
            StorageError::Browser(text)
        }
    }
}

/// The outcome of committing a write. Chromium aborts a transaction that would exceed the origin's quota,
/// and the abort reaches us without its reason; the storage estimate tells whether the device is full.
async fn committed(outcome: indexed_db_futures::Result<()>) -> Result<(), StorageError> {
    let Err(error) = outcome else { return Ok(()) };
    let error = StorageError::from(error);
    match &error {
        StorageError::Browser(text)
            if text.contains("TransactionAborted") && storage_is_full().await =>
        {
            Err(StorageError::QuotaExceeded)
        }
        _ => Err(error),
    }
}

/// Whether this origin has used (nearly) all the storage the browser grants it.
async fn storage_is_full() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let Ok(promise) = window.navigator().storage().estimate() else { return false };
    let Ok(estimate) = wasm_bindgen_futures::JsFuture::from(promise).await else { return false };
    let estimate: web_sys::StorageEstimate = estimate.unchecked_into();
    match (estimate.get_usage(), estimate.get_quota()) {
        // Within 1 MB of the quota: no save of a user action fits in less.
        (Some(usage), Some(quota)) => quota - usage < 1_000_000.0,
        _ => false,
    }
}

impl From<indexed_db_futures::error::OpenDbError> for StorageError {
    fn from(error: indexed_db_futures::error::OpenDbError) -> Self {
        StorageError::Browser(format!("{error:?}"))
    }
}

/// The device's chunk store: one open connection, shared.
#[derive(Debug, Clone)]
pub struct ChunkStore {
    db: Database,
}

impl ChunkStore {
    /// Closes the database connection, for every clone of this store: later reads and writes fail with
    /// an error. (What a tab must do when another tab upgrades the database.)
    pub fn close(self) {
        self.db.close();
    }

    /// Opens (creating if needed) the database `name`.
    pub async fn open(name: &str) -> Result<ChunkStore, StorageError> {
        let db = Database::open(name)
            .with_version(VERSION)
            .with_on_upgrade_needed(|_event, db| {
                for store in [STORE, ROWS, META] {
                    if !db.object_store_names().any(|existing| existing == store) {
                        db.create_object_store(store).build()?;
                    }
                }
                Ok(())
            })
            .await?;
        Ok(ChunkStore { db })
    }

    /// Appends one chunk of `document`; resolves once it is durable.
    pub async fn append(
        &self,
        document: DocumentId,
        kind: ChunkKind,
        bytes: &[u8],
    ) -> Result<String, StorageError> {
        let key = ChunkKey::for_chunk(document, kind, bytes).to_string();
        let tx = self.db.transaction(STORE).with_mode(TransactionMode::Readwrite).build()?;
        let store = tx.object_store(STORE)?;
        let value: JsValue = js_sys::Uint8Array::from(bytes).into();
        store.put(value).with_key(key.clone()).primitive()?;
        committed(tx.commit().await).await?;
        Ok(key)
    }

    /// Appends one chunk of `document` and replaces its read-model rows in one transaction: rows and
    /// document never disagree on disk. Resolves once both are durable.
    pub async fn save_with_rows(
        &self,
        document: DocumentId,
        kind: ChunkKind,
        bytes: &[u8],
        doc_key: &str,
        rows: &[u8],
    ) -> Result<String, StorageError> {
        let key = ChunkKey::for_chunk(document, kind, bytes).to_string();
        let tx =
            self.db.transaction([STORE, ROWS]).with_mode(TransactionMode::Readwrite).build()?;
        let chunks = tx.object_store(STORE)?;
        let value: JsValue = js_sys::Uint8Array::from(bytes).into();
        chunks.put(value).with_key(key.clone()).primitive()?;
        let rows_store = tx.object_store(ROWS)?;
        let value: JsValue = js_sys::Uint8Array::from(rows).into();
        rows_store.put(value).with_key(doc_key.to_owned()).primitive()?;
        committed(tx.commit().await).await?;
        Ok(key)
    }

    /// The stored units of rows with keys from `low` to `high` (both included), by document key. A value
    /// that is not bytes comes back as `None`.
    pub async fn load_rows_between(
        &self,
        low: &str,
        high: &str,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, StorageError> {
        let range = || KeyRange::Bound(low.to_owned(), false, high.to_owned(), false);
        let tx = self.db.transaction(ROWS).build()?;
        let store = tx.object_store(ROWS)?;
        let keys =
            store.get_all_keys::<String>().with_query::<String, _>(range()).primitive()?.await?;
        let values =
            store.get_all::<JsValue>().with_query::<String, _>(range()).primitive()?.await?;
        let keys: Vec<String> = keys.collect::<Result<_, _>>()?;
        let values: Vec<JsValue> = values.collect::<Result<_, _>>()?;
        Ok(keys
            .into_iter()
            .zip(values)
            .map(|(key, value)| {
                (key, value.dyn_into::<js_sys::Uint8Array>().ok().map(|a| a.to_vec()))
            })
            .collect())
    }

    /// A stored fact, if any.
    pub async fn meta(&self, name: &str) -> Result<Option<String>, StorageError> {
        let tx = self.db.transaction(META).build()?;
        let store = tx.object_store(META)?;
        let value: Option<JsValue> = store.get(name.to_owned()).primitive()?.await?;
        Ok(value.and_then(|v| v.as_string()))
    }

    pub async fn set_meta(&self, name: &str, value: &str) -> Result<(), StorageError> {
        let tx = self.db.transaction(META).with_mode(TransactionMode::Readwrite).build()?;
        let store = tx.object_store(META)?;
        store.put(JsValue::from_str(value)).with_key(name.to_owned()).primitive()?;
        committed(tx.commit().await).await?;
        Ok(())
    }

    /// Loads every chunk of `document` and puts the document together (`Loaded::assemble`).
    pub async fn load(&self, document: DocumentId) -> Result<Loaded, StorageError> {
        let (low, high) = document_range(document);
        let tx = self.db.transaction(STORE).build()?;
        let store = tx.object_store(STORE)?;
        let keys = store
            .get_all_keys::<String>()
            .with_query::<String, _>(KeyRange::Bound(low.clone(), false, high.clone(), false))
            .primitive()?
            .await?;
        let values = store
            .get_all::<JsValue>()
            .with_query::<String, _>(KeyRange::Bound(low, false, high, false))
            .primitive()?
            .await?;
        let keys: Vec<String> = keys.collect::<Result<_, _>>()?;
        let values: Vec<JsValue> = values.collect::<Result<_, _>>()?;
        let stored = keys
            .into_iter()
            .zip(values)
            .map(|(key, value)| {
                let bytes = value.dyn_into::<js_sys::Uint8Array>().ok().map(|array| array.to_vec());
                (key, bytes)
            })
            .collect();
        Ok(Loaded::assemble(stored))
    }

    /// Replaces every chunk of `document` by `snapshot`, atomically. Only for a document whose chunks all
    /// loaded: a damaged chunk must stay where it is.
    pub async fn replace_chunks(
        &self,
        document: DocumentId,
        snapshot: &[u8],
    ) -> Result<(), StorageError> {
        let key = ChunkKey::for_chunk(document, ChunkKind::Snapshot, snapshot).to_string();
        let (low, high) = document_range(document);
        let tx = self.db.transaction(STORE).with_mode(TransactionMode::Readwrite).build()?;
        let store = tx.object_store(STORE)?;
        // Requests of one transaction run in order: the range is emptied, then the snapshot written.
        store.delete::<String, _>(KeyRange::Bound(low, false, high, false)).primitive()?;
        let value: JsValue = js_sys::Uint8Array::from(snapshot).into();
        store.put(value).with_key(key).primitive()?;
        committed(tx.commit().await).await?;
        Ok(())
    }

    /// Replaces the chunks `replaced` of `document` by `snapshot`, atomically.
    pub async fn compact(
        &self,
        document: DocumentId,
        snapshot: &[u8],
        replaced: &[String],
    ) -> Result<(), StorageError> {
        let key = ChunkKey::for_chunk(document, ChunkKind::Snapshot, snapshot).to_string();
        let tx = self.db.transaction(STORE).with_mode(TransactionMode::Readwrite).build()?;
        let store = tx.object_store(STORE)?;
        let value: JsValue = js_sys::Uint8Array::from(snapshot).into();
        store.put(value).with_key(key.clone()).primitive()?;
        for old in replaced.iter().filter(|old| **old != key) {
            store.delete(old.clone()).primitive()?;
        }
        committed(tx.commit().await).await?;
        Ok(())
    }
}
