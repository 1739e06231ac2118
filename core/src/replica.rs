//! The workspace on a device, sans IO: the documents loaded so far, what each has on disk, the read
//! model the screens read, the settings, and the ledger of local edits the relay has not confirmed.
//!
//! Every decision about what to store lives here — what an edit writes and in which transaction, when a
//! document is compacted, what a remote merge or a worker's merge stores, how the ledger changes. The
//! drivers only move bytes: the browser's (`app/src/local.rs`) over IndexedDB, the native one
//! ([`memory::MemoryStore`]) over maps in tests and benches. A method that changes state returns the
//! [`Chunk`] or [`Write`]s to perform, in order; the driver reports back what happened
//! ([`Replica::stored`], [`Replica::edit_failed`], [`Replica::compacted`]).
//!
//! Invariant: the read model's rows of a document always describe the document as stored — a chunk and
//! the rows it produced go to storage in one transaction, and an edit that could not be stored is undone
//! in memory before anyone sees it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::{AutoCommit, ChangeHash};

use crate::chunks::{self, ChunkKind};
use crate::document::{self, DocumentError};
use crate::history;
use crate::ids::{MemberId, Timestamp, WorkspaceId};
use crate::layout::{DocKey, DocumentId};
use crate::model::WorkspaceSettings;
use crate::offload::Merged;
use crate::read_model::{Changed, DocRows, ReadModel};
use crate::workspace;

pub mod memory;

/// Why the replica could not do something.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Root(#[from] workspace::RootError),
    /// The driver asked for work on a document it has not loaded ([`Replica::is_loaded`]).
    #[error("document {0} is not loaded")]
    NotLoaded(DocKey),
}

impl From<automerge::AutomergeError> for ReplicaError {
    fn from(error: automerge::AutomergeError) -> ReplicaError {
        ReplicaError::Document(error.into())
    }
}

/// A document as read from storage: its chunks put together, and what they weigh.
#[derive(Debug, Default)]
pub struct Loaded {
    /// `None` when nothing readable is stored.
    pub document: Option<AutoCommit>,
    /// Keys of chunks that could not be read; they are left in place.
    pub corrupt: Vec<String>,
    /// The keys that were read, for a later compaction to replace.
    pub chunk_keys: Vec<String>,
    pub snapshot_bytes: usize,
    pub incremental_count: usize,
    pub incremental_bytes: usize,
}

impl Loaded {
    /// Puts a document together from its stored chunks (`key`, bytes if the stored value is bytes at
    /// all). Damaged chunks are kept out and named; everything else that applies is kept.
    pub fn assemble(stored: Vec<(String, Option<Vec<u8>>)>) -> Loaded {
        let mut loaded = Loaded::default();
        let mut chunks: Vec<(String, Vec<u8>)> = Vec::with_capacity(stored.len());
        for (key, bytes) in stored {
            match (chunks::ChunkKey::parse(&key), bytes) {
                (Some(parsed), Some(bytes)) => {
                    match parsed.kind {
                        ChunkKind::Snapshot => loaded.snapshot_bytes += bytes.len(),
                        ChunkKind::Incremental => {
                            loaded.incremental_count += 1;
                            loaded.incremental_bytes += bytes.len();
                        }
                    }
                    chunks.push((key, bytes));
                }
                _ => loaded.corrupt.push(key),
            }
        }
        if chunks.is_empty() {
            return loaded;
        }
        let all: Vec<u8> = chunks.iter().flat_map(|(_, bytes)| bytes.iter().copied()).collect();
        match document::load_document(&all) {
            Ok(doc) => {
                loaded.chunk_keys = chunks.into_iter().map(|(key, _)| key).collect();
                loaded.document = Some(doc);
            }
            // Something in there is damaged: feed the chunks one by one (Automerge queues changes
            // whose dependencies come later) and keep everything that applies.
            Err(_) => {
                let mut doc = document::new_document();
                for (key, bytes) in chunks {
                    let applied = document::check_chunk(&bytes).is_ok()
                        && doc.load_incremental(&bytes).is_ok();
                    if applied {
                        loaded.chunk_keys.push(key);
                    } else {
                        loaded.corrupt.push(key);
                    }
                }
                loaded.document = Some(doc);
            }
        }
        loaded
    }
}

/// What a loaded document has on disk, to know when to compact it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkStats {
    pub snapshot_bytes: usize,
    pub incremental_count: usize,
    pub incremental_bytes: usize,
    /// Some chunk could not be read: never compact (that would delete it).
    pub damaged: bool,
}

impl ChunkStats {
    pub fn of(loaded: &Loaded) -> ChunkStats {
        ChunkStats {
            snapshot_bytes: loaded.snapshot_bytes,
            incremental_count: loaded.incremental_count,
            incremental_bytes: loaded.incremental_bytes,
            damaged: !loaded.corrupt.is_empty(),
        }
    }

    fn should_compact(&self) -> bool {
        !self.damaged
            && chunks::should_compact(
                self.snapshot_bytes,
                self.incremental_count,
                self.incremental_bytes,
            )
    }
}

/// One document's chunk and the rows it produced: stored in one transaction, or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub key: DocKey,
    pub document: DocumentId,
    pub kind: ChunkKind,
    pub bytes: Vec<u8>,
    pub rows_key: String,
    pub rows: Vec<u8>,
}

/// A write the driver performs after a [`Chunk`] is stored; each is safe to lose (a crash before it
/// costs a badge or some disk space, never data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Replace every chunk of the document by one snapshot, atomically; then tell
    /// [`Replica::compacted`].
    Compact { key: DocKey, document: DocumentId, snapshot: Vec<u8> },
    /// Keep a small named value (the ledger of unconfirmed edits).
    Meta { name: String, value: String },
}

/// A local edit applied in memory, to store.
#[derive(Debug)]
pub struct Edit {
    pub chunk: Chunk,
    /// The document's heads before the edit, to undo it if storing fails.
    pub before: Vec<ChangeHash>,
}

/// Local edits the relay has not confirmed yet, in one document: how many, and to which records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unsynced {
    pub edits: u32,
    pub records: BTreeSet<String>,
}

/// Where an edit's time goes, for the driver to measure (`rapport:edit-change` … in the browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditPhase {
    Change,
    Encode,
    Rows,
}

/// Told when each [`EditPhase`] starts (`true`) and ends (`false`).
pub type PhaseProbe = Box<dyn Fn(EditPhase, bool)>;

/// The device's workspace (see the module's documentation).
pub struct Replica {
    pub workspace: WorkspaceId,
    pub settings: WorkspaceSettings,
    pub model: ReadModel,
    /// The member this device writes as, once known (history says who).
    pub me: Option<MemberId>,
    /// Whether this workspace syncs with the relay (a local-only workspace does not).
    pub linked: bool,
    /// Where this member's private notes go.
    private: PrivateDoc,
    /// Whether the relay named `private` as this member's during the current connection: until it
    /// has, the document is not offered (a relay that was reset would keep it as a shared one).
    private_confirmed: bool,
    /// Documents loaded so far; the rest stay on disk.
    docs: HashMap<DocKey, AutoCommit>,
    /// What each loaded document has on disk.
    chunks: HashMap<DocKey, ChunkStats>,
    /// The heads of documents a worker stored whole and this device has not loaded since, so sync can
    /// tell where they stand without loading them.
    worker_heads: HashMap<DocKey, Vec<ChangeHash>>,
    /// Documents whose stored rows could not be read at opening, to derive again.
    unreadable: Vec<DocKey>,
    /// Local edits the relay has not confirmed, by document.
    unsynced: BTreeMap<DocKey, Unsynced>,
    probe: Option<PhaseProbe>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("workspace", &self.workspace)
            .field("loaded", &self.docs.keys().collect::<Vec<_>>())
            .field("unsynced", &self.unsynced)
            .field("linked", &self.linked)
            .finish_non_exhaustive()
    }
}

/// Tells `probe`, if any, that an edit's `phase` starts or ends.
fn phase(probe: &Option<PhaseProbe>, phase: EditPhase, started: bool) {
    if let Some(probe) = probe {
        probe(phase, started);
    }
}

/// The root changed (or was loaded): the settings are read from it again, and the screens showing them
/// told.
fn read_settings(settings: &mut WorkspaceSettings, model: &mut ReadModel, root: &AutoCommit) {
    *settings = workspace::settings(root).unwrap_or_default();
    model.note_changed(Changed::SETTINGS);
}

/// Document `key` of `workspace`: `bytes` of `kind`, stored with its encoded `rows`.
fn chunk(
    workspace: WorkspaceId,
    key: DocKey,
    kind: ChunkKind,
    bytes: Vec<u8>,
    rows: Vec<u8>,
) -> Chunk {
    Chunk {
        key,
        document: key.document_id(workspace),
        kind,
        bytes,
        rows_key: rows_key(workspace, key),
        rows,
    }
}

/// The rows of workspace `workspace`'s document `key` are stored under this key, so adopting another
/// workspace never mixes the two.
pub fn rows_key(workspace: WorkspaceId, key: DocKey) -> String {
    format!("{workspace}/{key}")
}

/// The stored key range of every row of `workspace` (`low`, `high`).
pub fn rows_range(workspace: WorkspaceId) -> (String, String) {
    (format!("{workspace}/"), format!("{workspace}/\u{ffff}"))
}

/// The stored key range of the interaction rows of `workspace`: most of the rows, and no list needs
/// them to show, so opening reads them second.
pub fn interaction_rows_range(workspace: WorkspaceId) -> (String, String) {
    (format!("{workspace}/interactions/"), format!("{workspace}/interactions/\u{ffff}"))
}

/// Where the ledger of unconfirmed edits of `workspace` is kept.
pub fn ledger_meta(workspace: WorkspaceId) -> String {
    format!("{workspace}/unsynced")
}

/// Stored units of rows of `workspace` (key, bytes if readable), parsed; and the keys of those that
/// could not be read.
pub fn parse_units(
    workspace: WorkspaceId,
    stored: Vec<(String, Option<Vec<u8>>)>,
) -> (Vec<(DocKey, DocRows)>, Vec<String>) {
    let prefix = format!("{workspace}/");
    let mut units = Vec::new();
    let mut unreadable = Vec::new();
    for (key, bytes) in stored {
        let Some(key) = key.strip_prefix(&prefix).map(str::to_owned) else { continue };
        let parsed = key.parse::<DocKey>().ok().zip(bytes.and_then(|b| DocRows::decode(&b).ok()));
        match parsed {
            Some(unit) => units.push(unit),
            None => unreadable.push(key),
        }
    }
    (units, unreadable)
}

impl Replica {
    /// An empty workspace `workspace`: nothing loaded, no rows.
    pub fn new(workspace: WorkspaceId) -> Replica {
        Replica {
            workspace,
            settings: WorkspaceSettings::default(),
            model: ReadModel::default(),
            me: None,
            linked: false,
            private: PrivateDoc::None,
            private_confirmed: false,
            docs: HashMap::new(),
            chunks: HashMap::new(),
            worker_heads: HashMap::new(),
            unreadable: Vec::new(),
            unsynced: BTreeMap::new(),
            probe: None,
        }
    }

    /// The workspace as opening found it: its stored rows but interactions (`units`; the rows that
    /// could not be read are named in `unreadable` and derived again by [`Replica::rebuild`]), the
    /// ledger as stored, and whether it is linked to the relay. Interaction rows follow with
    /// [`Replica::add_interaction_units`]; the search index is built then.
    pub fn opened(
        workspace: WorkspaceId,
        units: Vec<(DocKey, DocRows)>,
        unreadable: &[String],
        ledger: Option<&str>,
        linked: bool,
        private: PrivateDoc,
    ) -> Replica {
        let mut replica = Replica::new(workspace);
        // A private document replaced by the relay's (its notes copied there), or another account's
        // on this browser, stays on disk, unused: neither its rows nor its ledger are taken.
        let current =
            |key: &DocKey| !matches!(key, DocKey::Private(_)) || Some(*key) == private.key();
        let units: Vec<(DocKey, DocRows)> =
            units.into_iter().filter(|(key, _)| current(key)).collect();
        replica.private = private;
        replica.model = ReadModel::from_units_deferring_search(units);
        replica.model.interactions_pending = true;
        replica.unreadable =
            unreadable.iter().filter_map(|key| key.parse().ok()).filter(current).collect();
        replica.unsynced = ledger.map(decode_ledger).unwrap_or_default();
        replica.unsynced.retain(|key, _| current(key));
        replica.linked = linked;
        replica
    }

    /// The second step of opening: the interaction rows (`units`, and the keys of those that could not
    /// be read) and the search index. Returns the documents whose rows must be derived again.
    pub fn add_interaction_units(
        &mut self,
        units: Vec<(DocKey, DocRows)>,
        unreadable: &[String],
    ) -> Vec<DocKey> {
        self.model.build_search();
        self.model.add_units(units);
        let mut rebuild = std::mem::take(&mut self.unreadable);
        rebuild.extend(unreadable.iter().filter_map(|key| key.parse::<DocKey>().ok()));
        rebuild
    }

    /// Tells the replica's edits where their time goes (see [`EditPhase`]).
    pub fn set_probe(&mut self, probe: PhaseProbe) {
        self.probe = Some(probe);
    }

    /// Whether document `key` is in memory; load it with [`Replica::loaded`] before editing it.
    pub fn is_loaded(&self, key: DocKey) -> bool {
        self.docs.contains_key(&key)
    }

    /// Takes document `key` as read from storage (an empty document if nothing is stored). A document
    /// already in memory wins: it may hold an edit that raced this load.
    pub fn loaded(&mut self, key: DocKey, mut loaded: Loaded) {
        if self.docs.contains_key(&key) {
            return;
        }
        // A document the device does not have starts empty: a local edit is content enough, and one
        // arriving from the relay brings its whole history.
        let doc = loaded.document.take().unwrap_or_else(document::new_document);
        if key == DocKey::Root {
            read_settings(&mut self.settings, &mut self.model, &doc);
        }
        self.chunks.insert(key, ChunkStats::of(&loaded));
        self.docs.insert(key, doc);
        self.worker_heads.remove(&key);
    }

    /// The loaded document `key`.
    pub fn document(&mut self, key: DocKey) -> Result<&mut AutoCommit, ReplicaError> {
        self.docs.get_mut(&key).ok_or(ReplicaError::NotLoaded(key))
    }

    /// Applies `change` to the loaded document `key` as this device's member at `now`, and returns what
    /// must be stored: the increment (or the whole document, if it was empty) and the document's rows
    /// as `rows` derives them. The read model already shows the change. `None` if `change` changed
    /// nothing (a value set to what it was): there is nothing to store, and no edit for the relay to
    /// confirm.
    pub fn edit<E: From<ReplicaError>>(
        &mut self,
        key: DocKey,
        now: Timestamp,
        change: impl FnOnce(&mut AutoCommit) -> Result<(), E>,
        rows: impl FnOnce(&mut ReadModel, &mut AutoCommit) -> DocRows,
    ) -> Result<Option<Edit>, E> {
        let (me, workspace) = (self.me, self.workspace);
        let doc = self.docs.get_mut(&key).ok_or(ReplicaError::NotLoaded(key))?;
        let before = doc.get_heads();
        phase(&self.probe, EditPhase::Change, true);
        change(doc)?;
        history::commit(doc, me, now);
        phase(&self.probe, EditPhase::Change, false);
        // Heads, not the commit: a change may arrive by a merge (an edit made from older heads).
        if doc.get_heads() == before {
            return Ok(None);
        }
        phase(&self.probe, EditPhase::Encode, true);
        let (kind, bytes) = if before.is_empty() {
            // A document that was empty is stored whole (a first import into it): a snapshot is
            // compressed, several times quicker to encode than the change, and leaves nothing to
            // compact.
            (ChunkKind::Snapshot, doc.save())
        } else {
            // Exactly the new change. (`save_incremental` would also write everything loaded with the
            // document: a freshly loaded document counts as never saved.)
            (ChunkKind::Incremental, doc.save_after(&before))
        };
        phase(&self.probe, EditPhase::Encode, false);
        phase(&self.probe, EditPhase::Rows, true);
        let rows = match key {
            // Until the month's stored rows are read, only the document knows all of them.
            DocKey::Interactions(_) if self.model.interactions_pending => {
                self.model.replace_document(key, doc)
            }
            _ => rows(&mut self.model, doc),
        };
        if key == DocKey::Root {
            read_settings(&mut self.settings, &mut self.model, doc);
        }
        let rows = rows.encode();
        phase(&self.probe, EditPhase::Rows, false);
        let chunk = chunk(workspace, key, kind, bytes, rows);
        Ok(Some(Edit { chunk, before }))
    }

    /// Storing an edit of document `key` failed: the document goes back to what the device holds
    /// (`from_device`, as read again) — or, if the device cannot be read either, to its heads before
    /// the edit — and its rows are derived again. Nothing unsaved stays on screen.
    pub fn edit_failed(&mut self, key: DocKey, before: &[ChangeHash], from_device: Option<Loaded>) {
        let from_device = from_device.and_then(|loaded| loaded.document);
        let restored = from_device
            .or_else(|| self.docs.get_mut(&key).and_then(|doc| doc.fork_at(before).ok()));
        match restored {
            Some(mut doc) => {
                self.model.replace_document(key, &mut doc);
                if key == DocKey::Root {
                    read_settings(&mut self.settings, &mut self.model, &doc);
                }
                self.docs.insert(key, doc);
            }
            None => {
                self.docs.remove(&key);
            }
        }
    }

    /// A local edit of `records` in `chunk`'s document is durable: it joins the ledger of edits the
    /// relay has not confirmed. Returns the writes to perform next (the ledger, a compaction if due).
    pub fn edit_stored(&mut self, chunk: &Chunk, records: &[String]) -> Vec<Write> {
        let mut writes = vec![self.note_unsynced(chunk.key, records)];
        writes.extend(self.stored(chunk));
        writes
    }

    /// `chunk` is stored: counts it, and returns the compaction to perform if its document's increments
    /// have outgrown its snapshot.
    pub fn stored(&mut self, chunk: &Chunk) -> Option<Write> {
        let stats = self.chunks.entry(chunk.key).or_default();
        match chunk.kind {
            ChunkKind::Snapshot => {
                stats.snapshot_bytes += chunk.bytes.len();
                None
            }
            ChunkKind::Incremental => {
                stats.incremental_count += 1;
                stats.incremental_bytes += chunk.bytes.len();
                if !stats.should_compact() {
                    return None;
                }
                let doc = self.docs.get_mut(&chunk.key)?;
                Some(Write::Compact {
                    key: chunk.key,
                    document: chunk.document,
                    snapshot: doc.save(),
                })
            }
        }
    }

    /// Document `key`'s chunks were replaced by one snapshot of `snapshot_bytes`.
    pub fn compacted(&mut self, key: DocKey, snapshot_bytes: usize) {
        self.chunks.insert(key, ChunkStats { snapshot_bytes, ..ChunkStats::default() });
    }

    /// Records an edit of `records` in document `key` as not yet on the relay; returns the ledger to
    /// keep.
    pub fn note_unsynced(&mut self, key: DocKey, records: &[String]) -> Write {
        let entry = self.unsynced.entry(key).or_default();
        entry.edits += 1;
        entry.records.extend(records.iter().cloned());
        self.ledger()
    }

    /// The relay confirmed it holds every change of document `key`: its edits leave the ledger. Returns
    /// the ledger to keep, if there were any.
    pub fn mark_synced(&mut self, key: DocKey) -> Option<Write> {
        self.unsynced.remove(&key)?;
        Some(self.ledger())
    }

    fn ledger(&self) -> Write {
        Write::Meta { name: ledger_meta(self.workspace), value: encode_ledger(&self.unsynced) }
    }

    /// How many local edits the relay has not confirmed yet.
    pub fn unsynced_edits(&self) -> u32 {
        self.unsynced.values().map(|u| u.edits).sum()
    }

    /// Whether record `id` has an edit the relay has not confirmed yet.
    pub fn is_unsynced(&self, id: &str) -> bool {
        self.unsynced.values().any(|u| u.records.contains(id))
    }

    /// Whether document `key` has edits the relay has not confirmed.
    pub fn has_unsynced(&self, key: DocKey) -> bool {
        self.unsynced.contains_key(&key)
    }

    /// Whether document `key` must be listed in the root's table (so other devices discover it) —
    /// `None` until the root is loaded.
    pub fn needs_listing(&self, key: DocKey) -> Result<Option<bool>, ReplicaError> {
        let made_as_needed = match key {
            DocKey::Interactions(_) => true,
            DocKey::Shard { collection, .. } => collection.added_later(),
            DocKey::Root | DocKey::Private(_) => false,
        };
        if !made_as_needed {
            return Ok(Some(false));
        }
        let Some(root) = self.docs.get(&DocKey::Root) else { return Ok(None) };
        Ok(Some(!workspace::document_keys(root)?.contains(&key)))
    }

    /// Applies what the relay (or a backup) brings to the loaded document `key` (`apply` runs the
    /// sync protocol, or loads the bytes), and returns what to store if the document changed. A
    /// document arriving whole is stored as one compact snapshot, not as its change log.
    pub fn merge_remote(
        &mut self,
        key: DocKey,
        apply: impl FnOnce(&mut AutoCommit) -> Result<(), automerge::AutomergeError>,
    ) -> Result<Option<Chunk>, ReplicaError> {
        let workspace = self.workspace;
        let doc = self.docs.get_mut(&key).ok_or(ReplicaError::NotLoaded(key))?;
        let before = doc.get_heads();
        apply(doc)?;
        if doc.get_heads() == before {
            return Ok(None);
        }
        let whole = before.is_empty()
            || (matches!(key, DocKey::Interactions(_)) && self.model.interactions_pending);
        let rows = if whole {
            self.model.replace_document(key, doc)
        } else {
            self.model.refresh_since(key, doc, &before)
        };
        let (kind, bytes) = if before.is_empty() {
            (ChunkKind::Snapshot, doc.save())
        } else {
            (ChunkKind::Incremental, doc.save_after(&before))
        };
        if key == DocKey::Root {
            read_settings(&mut self.settings, &mut self.model, doc);
        }
        Ok(Some(chunk(workspace, key, kind, bytes, rows.encode())))
    }

    /// What a worker merged whole from the relay for document `key`, to store as its snapshot with its
    /// rows; then tell [`Replica::merged_stored`].
    pub fn merged_chunk(&self, key: DocKey, merged: &Merged) -> Chunk {
        chunk(
            self.workspace,
            key,
            ChunkKind::Snapshot,
            merged.snapshot.clone(),
            merged.rows.encode(),
        )
    }

    /// The worker's merge of document `key` is stored: its rows are shown, and the document is not
    /// loaded here (its next use loads it). If a local edit reached the document while the worker ran,
    /// the loaded copy takes in the relay's content too, and the returned snapshot (with its rows) must
    /// be stored as well.
    pub fn merged_stored(
        &mut self,
        key: DocKey,
        merged: &Merged,
    ) -> Result<Option<Chunk>, ReplicaError> {
        let edited_meanwhile =
            self.docs.get_mut(&key).is_some_and(|doc| !doc.get_heads().is_empty());
        if !edited_meanwhile {
            self.docs.remove(&key);
            let stats =
                ChunkStats { snapshot_bytes: merged.snapshot.len(), ..ChunkStats::default() };
            self.chunks.insert(key, stats);
            self.worker_heads.insert(key, merged.heads());
            self.model.replace_rows(key, merged.rows.clone());
            if key == DocKey::Root {
                let root = document::load_document(&merged.snapshot)?;
                read_settings(&mut self.settings, &mut self.model, &root);
            }
            return Ok(None);
        }
        let doc = self.docs.get_mut(&key).ok_or(ReplicaError::NotLoaded(key))?;
        doc.load_incremental(&merged.snapshot)?;
        let rows = self.model.replace_document(key, doc);
        if key == DocKey::Root {
            read_settings(&mut self.settings, &mut self.model, doc);
        }
        self.chunks.entry(key).or_default().snapshot_bytes += merged.snapshot.len();
        Ok(Some(chunk(self.workspace, key, ChunkKind::Snapshot, doc.save(), rows.encode())))
    }

    /// The loaded document `key`'s rows derived again, with a snapshot of it, to store together (rows
    /// that could not be read at opening).
    pub fn rebuild(&mut self, key: DocKey) -> Result<Chunk, ReplicaError> {
        let doc = self.docs.get_mut(&key).ok_or(ReplicaError::NotLoaded(key))?;
        let rows = self.model.replace_document(key, doc).encode();
        Ok(chunk(self.workspace, key, ChunkKind::Snapshot, doc.save(), rows))
    }

    /// A whole document (saved `bytes`) installed on the device with its rows (`rows`, derived by a
    /// worker; derived here when `None`), replacing what the device had for it; the chunk to store.
    /// The document is not kept in memory: a large workspace would stay resident for nothing.
    pub fn install(
        &mut self,
        key: DocKey,
        bytes: Vec<u8>,
        rows: Option<DocRows>,
    ) -> Result<Chunk, ReplicaError> {
        let rows = match rows {
            Some(rows) => {
                self.model.replace_rows(key, rows.clone());
                rows
            }
            None => {
                let mut doc = document::load_document(&bytes)?;
                self.model.replace_document(key, &mut doc)
            }
        };
        if key == DocKey::Root {
            let root = document::load_document(&bytes)?;
            read_settings(&mut self.settings, &mut self.model, &root);
        }
        self.docs.remove(&key);
        self.chunks.remove(&key);
        self.worker_heads.remove(&key);
        Ok(chunk(self.workspace, key, ChunkKind::Snapshot, bytes, rows.encode()))
    }

    /// Makes this replica hold workspace `workspace` from now on, empty; [`Replica::install`] its
    /// documents next.
    pub fn reset(&mut self, workspace: WorkspaceId) {
        let (me, linked, probe) = (self.me, self.linked, self.probe.take());
        *self = Replica::new(workspace);
        self.me = me;
        self.linked = linked;
        self.probe = probe;
    }

    /// The heads of document `key` as stored on the device, known without loading it: from the worker
    /// that stored it, or from its rows (stored in the same transaction as each of its changes). `None`
    /// when it is loaded (ask the document), when edits made here wait for the relay (sync then works
    /// on the document itself), or when its rows are not at hand.
    pub fn stored_heads(&self, key: DocKey) -> Option<Vec<ChangeHash>> {
        if self.docs.contains_key(&key) || self.unsynced.contains_key(&key) {
            return None;
        }
        if let Some(heads) = self.worker_heads.get(&key) {
            return Some(heads.clone());
        }
        self.model.heads.get(&key)?.iter().map(|hex| hex.parse().ok()).collect()
    }

    /// Every document of the workspace this device knows of: those it holds rows for, those loaded,
    /// and those the root's table names (other devices' interaction months).
    ///
    /// A private document is among them only when it is the relay's: one made on this device while
    /// the workspace did not sync would otherwise reach the relay as a shared document, which every
    /// member's devices receive.
    pub fn document_keys(&self) -> Vec<DocKey> {
        let mut keys: BTreeSet<DocKey> = self.model.heads.keys().copied().collect();
        keys.extend(self.docs.keys().copied());
        keys.insert(DocKey::Root);
        if let Some(root) = self.docs.get(&DocKey::Root) {
            keys.extend(workspace::document_keys(root).unwrap_or_default());
        }
        keys.retain(|key| !matches!(key, DocKey::Private(_)));
        if let Some(key) = self.private_to_sync() {
            keys.insert(key);
        }
        keys.into_iter().collect()
    }

    /// The private document to sync: the relay's, named this connection, for the member writing here.
    fn private_to_sync(&self) -> Option<DocKey> {
        match self.private {
            PrivateDoc::Relay(id, member) if self.private_confirmed && self.me == Some(member) => {
                Some(DocKey::Private(id))
            }
            _ => None,
        }
    }

    /// The private document this device writes the member's notes to, if it has one to write to: the
    /// relay's, once it is the member writing here; in a workspace that does not sync, one made on
    /// the device.
    pub fn private_to_write(&self) -> Option<DocKey> {
        match self.private {
            PrivateDoc::Relay(id, member) if self.me == Some(member) => Some(DocKey::Private(id)),
            PrivateDoc::Local(id) if !self.linked => Some(DocKey::Private(id)),
            _ => None,
        }
    }

    /// A new connection starts: the private document waits until the relay names it again.
    pub fn unconfirm_private(&mut self) {
        self.private_confirmed = false;
    }

    /// The relay named `private` as this member's on this connection.
    pub fn confirm_private(&mut self) {
        self.private_confirmed = true;
    }

    /// The member writing on this device from now on. Another member's private document (an
    /// account that signed in here before) stops being shown or written.
    pub fn set_me(&mut self, me: MemberId) {
        self.me = Some(me);
        if matches!(self.private, PrivateDoc::Relay(_, owner) if owner != me) {
            self.set_private(PrivateDoc::None);
        }
    }

    /// Whether document `key` may go to the relay: any but a private document other than the one the
    /// relay gave this member.
    pub fn may_sync(&self, key: DocKey) -> bool {
        match key {
            DocKey::Private(_) => self.private_to_sync() == Some(key),
            _ => true,
        }
    }

    /// Where this member's private notes go.
    pub fn private(&self) -> PrivateDoc {
        self.private
    }

    /// Sends this member's private notes to `private` from now on. Rows of any other private
    /// document are forgotten (its notes must have been copied first, see
    /// [`Replica::notes_to_copy`]); the document itself stays on disk, never synced.
    pub fn set_private(&mut self, private: PrivateDoc) {
        let stale: Vec<DocKey> = self
            .model
            .heads
            .keys()
            .chain(self.docs.keys())
            .copied()
            .filter(|key| matches!(key, DocKey::Private(_)) && Some(*key) != private.key())
            .collect();
        for key in stale {
            self.model.forget_document(key);
            self.docs.remove(&key);
            self.chunks.remove(&key);
            self.unsynced.remove(&key);
        }
        // Forgetting the old rows forgot every private note: the new document's are read again.
        if let Some(key) = private.key()
            && let Some(doc) = self.docs.get_mut(&key)
        {
            self.model.replace_document(key, doc);
        }
        self.model.note_changed(Changed::PRIVATE);
        self.private = private;
    }

    /// The notes of a private document made on this device that the relay's must take over when the
    /// workspace starts to sync: `(record id, note)`.
    pub fn notes_to_copy(&self) -> Vec<(String, String)> {
        match self.private {
            PrivateDoc::Local(_) => {
                self.model.private_notes.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The workspace's members and their names, for choosing an owner or an assignee.
    pub fn members(&self) -> Vec<(MemberId, String)> {
        self.settings
            .members
            .iter()
            .filter_map(|(id, m)| Some((id.parse::<MemberId>().ok()?, m.display_name.clone())))
            .collect()
    }
}

/// Where a member's private notes are kept on this device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PrivateDoc {
    /// None yet.
    #[default]
    None,
    /// Made on this device while the workspace does not sync (a random id): never synced, and its
    /// notes are copied into the relay's once the workspace syncs.
    Local(DocumentId),
    /// The id the relay gave member `MemberId` (`POST /api/workspaces/{id}/private-document`):
    /// synced with their own devices only — and used only while that member writes on this device.
    Relay(DocumentId, MemberId),
}

impl PrivateDoc {
    pub fn key(self) -> Option<DocKey> {
        match self {
            PrivateDoc::None => None,
            PrivateDoc::Local(id) | PrivateDoc::Relay(id, _) => Some(DocKey::Private(id)),
        }
    }

    /// As kept in the device's storage: `local:<id>`, `relay:<id>:<member>`, or empty.
    pub fn encode(self) -> String {
        match self {
            PrivateDoc::None => String::new(),
            PrivateDoc::Local(id) => format!("local:{id}"),
            PrivateDoc::Relay(id, member) => format!("relay:{id}:{member}"),
        }
    }

    /// Reads what [`PrivateDoc::encode`] wrote; anything else is none.
    pub fn decode(text: &str) -> PrivateDoc {
        let parse = |id: &str| id.parse::<DocumentId>().ok();
        let decoded = match text.split(':').collect::<Vec<_>>()[..] {
            ["local", id] => parse(id).map(PrivateDoc::Local),
            ["relay", id, member] => {
                parse(id).zip(member.parse().ok()).map(|(id, member)| PrivateDoc::Relay(id, member))
            }
            _ => None,
        };
        decoded.unwrap_or(PrivateDoc::None)
    }
}

/// The storage entry holding [`PrivateDoc`] for `workspace`.
pub fn private_meta(workspace: WorkspaceId) -> String {
    format!("{workspace}/private")
}

/// The ledger of unconfirmed edits as stored: one line per document, `key<TAB>edits<TAB>record record…`.
/// It only feeds the sync status and badges (sync itself compares heads), so a damaged ledger is
/// dropped rather than reported.
fn encode_ledger(ledger: &BTreeMap<DocKey, Unsynced>) -> String {
    let mut text = String::new();
    for (key, unsynced) in ledger {
        let records: Vec<&str> = unsynced.records.iter().map(String::as_str).collect();
        text.push_str(&format!("{key}\t{}\t{}\n", unsynced.edits, records.join(" ")));
    }
    text
}

fn decode_ledger(text: &str) -> BTreeMap<DocKey, Unsynced> {
    let mut ledger = BTreeMap::new();
    for line in text.lines() {
        let mut fields = line.split('\t');
        let (Some(key), Some(edits), Some(records)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let (Ok(key), Ok(edits)) = (key.parse::<DocKey>(), edits.parse::<u32>()) else { continue };
        let records = records.split(' ').filter(|r| !r.is_empty()).map(str::to_owned).collect();
        ledger.insert(key, Unsynced { edits, records });
    }
    ledger
}
