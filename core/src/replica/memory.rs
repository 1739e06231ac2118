//! A native driver for the [`Replica`]: storage in maps, laid out as the browser lays out IndexedDB
//! (chunks by [`ChunkKey`], rows by [`rows_key`], small named values). Tests and benches drive the
//! same decisions the browser does through it, and can stop it between two writes as a crash would.

use std::collections::BTreeMap;

use automerge::AutoCommit;

use super::{Chunk, Loaded, Replica, ReplicaError, Write, interaction_rows_range, parse_units};
use crate::chunks::{ChunkKey, ChunkKind, document_range};
use crate::ids::{Timestamp, WorkspaceId};
use crate::layout::{DocKey, DocumentId};
use crate::read_model::DocRows;
use crate::workspace;

/// The device's storage, in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    chunks: BTreeMap<String, Vec<u8>>,
    rows: BTreeMap<String, Vec<u8>>,
    pub meta: BTreeMap<String, String>,
    /// Writes left before the device "crashes": every later write is refused. `None`: never.
    pub writes_left: Option<usize>,
}

/// Why the memory store refused a write.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("the device stopped (a crash between two writes)")]
    Crashed,
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}

impl From<crate::document::DocumentError> for MemoryError {
    fn from(error: crate::document::DocumentError) -> MemoryError {
        MemoryError::Replica(error.into())
    }
}

impl MemoryStore {
    fn spend_write(&mut self) -> Result<(), MemoryError> {
        match &mut self.writes_left {
            Some(0) => Err(MemoryError::Crashed),
            Some(left) => {
                *left -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Stores a chunk with its rows, both or neither.
    pub fn save(&mut self, chunk: &Chunk) -> Result<(), MemoryError> {
        self.spend_write()?;
        let key = ChunkKey::for_chunk(chunk.document, chunk.kind, &chunk.bytes).to_string();
        self.chunks.insert(key, chunk.bytes.clone());
        self.rows.insert(chunk.rows_key.clone(), chunk.rows.clone());
        Ok(())
    }

    /// Performs `write`.
    pub fn write(&mut self, write: &Write) -> Result<(), MemoryError> {
        self.spend_write()?;
        match write {
            Write::Compact { document, snapshot, .. } => {
                let (low, high) = document_range(*document);
                self.chunks.retain(|key, _| !(key.as_str() >= low.as_str() && key <= &high));
                let key = ChunkKey::for_chunk(*document, ChunkKind::Snapshot, snapshot);
                self.chunks.insert(key.to_string(), snapshot.clone());
            }
            Write::Meta { name, value } => {
                self.meta.insert(name.clone(), value.clone());
            }
        }
        Ok(())
    }

    /// Reads document `document`'s chunks.
    pub fn load(&self, document: DocumentId) -> Loaded {
        let (low, high) = document_range(document);
        let stored =
            self.chunks.range(low..=high).map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        Loaded::assemble(stored)
    }

    fn rows_between(&self, low: &str, high: &str) -> Vec<(String, Option<Vec<u8>>)> {
        self.rows
            .range(low.to_owned()..=high.to_owned())
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect()
    }

    /// How many chunks document `document` has on disk.
    pub fn chunk_count(&self, document: DocumentId) -> usize {
        let (low, high) = document_range(document);
        self.chunks.range(low..=high).count()
    }

    /// Spoils the stored rows of workspace `workspace`'s document `key` (as a damaged disk would).
    pub fn damage_rows(&mut self, workspace: WorkspaceId, key: DocKey) {
        if let Some(rows) = self.rows.get_mut(&super::rows_key(workspace, key)) {
            *rows = vec![0xff, 0x00, 0xff];
        }
    }

    /// The stored rows of workspace `workspace`'s document `key`.
    pub fn rows_of(&self, workspace: WorkspaceId, key: DocKey) -> Option<DocRows> {
        DocRows::decode(self.rows.get(&super::rows_key(workspace, key))?).ok()
    }
}

type ListingChange = Box<dyn FnOnce(&mut AutoCommit) -> Result<(), MemoryError>>;

/// A device: a replica and its storage, driven the way the browser drives them.
#[derive(Debug)]
pub struct Device {
    pub replica: Replica,
    pub store: MemoryStore,
}

impl Device {
    /// A new workspace with the given settings, stored whole.
    pub fn create(
        workspace: WorkspaceId,
        settings: &crate::model::WorkspaceSettings,
    ) -> Result<Device, MemoryError> {
        let mut device = Device { replica: Replica::new(workspace), store: MemoryStore::default() };
        for (key, mut doc) in workspace::create(workspace, settings)? {
            let chunk = device.replica.install(key, doc.save(), None)?;
            device.store.save(&chunk)?;
        }
        Ok(device)
    }

    /// Opens workspace `workspace` from `store` as the browser opens it after a reload: rows first,
    /// then the root for the settings, then the interaction rows.
    pub fn open(workspace: WorkspaceId, store: MemoryStore) -> Result<Device, MemoryError> {
        let (low, high) = super::rows_range(workspace);
        let (history_low, history_high) = interaction_rows_range(workspace);
        let mut stored = store.rows_between(&low, &history_low);
        stored.extend(store.rows_between(&history_high, &high));
        let (units, unreadable) = parse_units(workspace, stored);
        let ledger = store.meta.get(&super::ledger_meta(workspace)).cloned();
        let private = store.meta.get(&super::private_meta(workspace));
        let private = super::PrivateDoc::decode(private.map_or("", String::as_str));
        let replica =
            Replica::opened(workspace, units, &unreadable, ledger.as_deref(), false, private);
        let mut device = Device { replica, store };
        device.ensure_loaded(DocKey::Root);
        let (units, unreadable) =
            parse_units(workspace, device.store.rows_between(&history_low, &history_high));
        for key in device.replica.add_interaction_units(units, &unreadable) {
            device.ensure_loaded(key);
            let chunk = device.replica.rebuild(key)?;
            device.store.save(&chunk)?;
        }
        Ok(device)
    }

    /// Loads document `key` unless it is in memory.
    pub fn ensure_loaded(&mut self, key: DocKey) {
        if !self.replica.is_loaded(key) {
            let loaded = self.store.load(key.document_id(self.replica.workspace));
            self.replica.loaded(key, loaded);
        }
    }

    /// Edits document `key` (touching `records`) at `now`, as the browser does: the change and its
    /// rows stored in one write, undone if that fails; then the ledger, a compaction if due, and the
    /// document's listing in the root.
    pub fn edit(
        &mut self,
        key: DocKey,
        records: &[String],
        now: Timestamp,
        change: impl FnOnce(&mut AutoCommit) -> Result<(), MemoryError>,
    ) -> Result<(), MemoryError> {
        self.ensure_loaded(key);
        let set: std::collections::BTreeSet<String> = records.iter().cloned().collect();
        let Some(edit) =
            self.replica.edit(key, now, change, |model, doc| model.refresh(key, doc, &set))?
        else {
            return Ok(());
        };
        if let Err(error) = self.store.save(&edit.chunk) {
            let from_device = self.store.load(edit.chunk.document);
            self.replica.edit_failed(key, &edit.before, Some(from_device));
            return Err(error);
        }
        for write in self.replica.edit_stored(&edit.chunk, records) {
            self.perform(&write)?;
        }
        self.ensure_loaded(DocKey::Root);
        if self.replica.needs_listing(key)? == Some(true) {
            let workspace = self.replica.workspace;
            // Boxed: one instance of `edit` serves every listing (the recursion ends there).
            let list: ListingChange = Box::new(move |root| {
                workspace::register(root, workspace, key)?;
                Ok(())
            });
            self.edit(DocKey::Root, &[], now, list)?;
        }
        Ok(())
    }

    /// Performs a write the replica asked for, telling it how a compaction went.
    pub fn perform(&mut self, write: &Write) -> Result<(), MemoryError> {
        self.store.write(write)?;
        if let Write::Compact { key, snapshot, .. } = write {
            self.replica.compacted(*key, snapshot.len());
        }
        Ok(())
    }

    /// Merges what another replica holds of document `key` (as a remote merge or a restored backup
    /// would bring it), storing the result.
    pub fn merge_from(&mut self, key: DocKey, other: &mut AutoCommit) -> Result<bool, MemoryError> {
        self.ensure_loaded(key);
        let bytes = other.save();
        let Some(chunk) =
            self.replica.merge_remote(key, |doc| doc.load_incremental(&bytes).map(|_| ()))?
        else {
            return Ok(false);
        };
        self.store.save(&chunk)?;
        if let Some(write) = self.replica.stored(&chunk) {
            self.perform(&write)?;
        }
        Ok(true)
    }
}

/// A device a [`Session`](crate::device_sync::Session) runs over natively, as the browser's runs over
/// IndexedDB.
impl crate::device_sync::Device for std::cell::RefCell<Device> {
    type Error = MemoryError;

    fn with_replica<T>(&self, f: impl FnOnce(&mut Replica) -> T) -> T {
        f(&mut self.borrow_mut().replica)
    }

    async fn load(&self, key: DocKey) -> Result<(), MemoryError> {
        self.borrow_mut().ensure_loaded(key);
        Ok(())
    }

    async fn save(&self, chunk: &Chunk) -> Result<(), MemoryError> {
        self.borrow_mut().store.save(chunk)
    }

    async fn perform(&self, writes: Vec<Write>) {
        let mut device = self.borrow_mut();
        for write in writes {
            // Each is safe to lose, as in the browser.
            let _ = device.perform(&write);
        }
    }
}
