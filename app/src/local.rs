//! The workspace on this device: documents in IndexedDB, loaded only when a record in them is edited,
//! and the read model the screens read.
//!
//! Opening reads the stored read-model rows (about a hundred IndexedDB records) and no document. An edit
//! loads the one document holding the record, changes it, and stores the increment together with the
//! document's refreshed rows in one transaction; the edit is reported done only after that commits.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use automerge::AutoCommit;
use rapport_core::backup::Backup;
use rapport_core::chunks::{self, ChunkKind};
use rapport_core::document::{self, DocumentError, Record};
use rapport_core::history;
use rapport_core::ids::{IdSource, InteractionId, MemberId, PartyId, Timestamp, WorkspaceId};
use rapport_core::layout::{DocKey, Month};
use rapport_core::model::{Interaction, Party, WorkspaceSettings};
use rapport_core::offload::Merged;
use rapport_core::read_model::{Changed, DocRows, ReadModel};
use rapport_core::workspace;

use crate::storage::{ChunkStore, Loaded, StorageError};
use crate::timing::Span;
use wasm_bindgen::JsCast;

/// Why the local workspace could not do something.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("no such record")]
    NotFound,
    #[error("stored workspace id is damaged: {0}")]
    BadWorkspaceId(String),
    #[error(transparent)]
    Root(#[from] workspace::RootError),
}

/// Ids from the browser's clock and its cryptographic random source.
#[derive(Debug, Default)]
pub struct BrowserIds;

impl IdSource for BrowserIds {
    fn now(&mut self) -> Timestamp {
        now()
    }

    fn random_bytes(&mut self) -> [u8; 10] {
        let mut bytes = [0; 10];
        // Without randomness no id can be made safely; the browser always provides it.
        getrandom::fill(&mut bytes).expect("crypto.getRandomValues");
        bytes
    }
}

/// The currency a new workspace offers first: the one of the browser's region where it is a common one.
fn default_currency() -> String {
    let language = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    let region = language.rsplit(['-', '_']).next().unwrap_or_default().to_ascii_uppercase();
    let currency = match region.as_str() {
        "RU" => "RUB",
        "US" => "USD",
        "GB" => "GBP",
        "CH" => "CHF",
        "JP" => "JPY",
        "CN" => "CNY",
        "IN" => "INR",
        "CA" => "CAD",
        "AU" => "AUD",
        "KZ" => "KZT",
        "BY" => "BYN",
        "UA" => "UAH",
        "PL" => "PLN",
        "SE" => "SEK",
        "TR" => "TRY",
        "BR" => "BRL",
        _ => "EUR",
    };
    currency.into()
}

pub fn now() -> Timestamp {
    Timestamp(js_sys::Date::now() as i64)
}

/// The workspace shared by the screens. No borrow is ever held across an `.await`: writes change
/// memory synchronously, then persist with a clone of the store.
pub type Shared = Rc<RefCell<LocalWorkspace>>;

/// What one edit must store, in one transaction.
#[derive(Debug)]
struct PendingSave {
    document: rapport_core::layout::DocumentId,
    kind: ChunkKind,
    /// The new change, or the whole document if it was empty before.
    bytes: Vec<u8>,
    rows_key: String,
    rows: Vec<u8>,
}

/// Loads document `key` into memory if it is not there yet.
async fn ensure_loaded(shared: &Shared, key: DocKey) -> Result<(), LocalError> {
    let (store, id) = {
        let ws = shared.borrow();
        if ws.docs.contains_key(&key) {
            return Ok(());
        }
        (ws.store.clone(), key.document_id(ws.workspace))
    };
    let span = Span::start("rapport:load-document");
    let mut loaded = store.load(id).await?;
    span.end();
    // Counted, so a test or DevTools can tell how many documents with content the page loaded.
    if loaded.document.is_some() {
        crate::timing::mark("rapport:document-loaded");
    }
    // A document the device does not have starts empty: a local edit is content enough, and one
    // arriving from the relay brings its whole history.
    let doc = loaded.document.take().unwrap_or_else(document::new_document);
    let mut ws = shared.borrow_mut();
    ws.chunks.entry(key).or_insert_with(|| ChunkStats::of(&loaded));
    ws.docs.entry(key).or_insert(doc);
    ws.worker_heads.remove(&key);
    Ok(())
}

/// What a loaded document has on disk, to know when to compact it.
#[derive(Debug, Clone, Copy, Default)]
struct ChunkStats {
    snapshot_bytes: usize,
    incremental_count: usize,
    incremental_bytes: usize,
    /// Some chunk could not be read: never compact (that would delete it).
    damaged: bool,
}

impl ChunkStats {
    fn of(loaded: &Loaded) -> ChunkStats {
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

/// Runs `change` on document `key` and resolves once the change and the refreshed rows are durable.
/// `records` names every record the change may touch: their rows are re-read (a local edit knows what it
/// edits, which spares diffing the document). If storing fails, the in-memory change is undone, so the
/// screen never shows as saved what is not; the caller shows the error and keeps the user's input.
pub async fn write(
    shared: &Shared,
    key: DocKey,
    records: &[String],
    change: impl FnOnce(&mut AutoCommit) -> Result<(), LocalError>,
) -> Result<(), LocalError> {
    write_then_rows(shared, key, records, change, |model, doc| {
        model.refresh(key, doc, &records.iter().cloned().collect())
    })
    .await
}

/// [`write`], with the document's rows derived by `rows` (after the change) instead of re-read.
async fn write_then_rows(
    shared: &Shared,
    key: DocKey,
    records: &[String],
    change: impl FnOnce(&mut AutoCommit) -> Result<(), LocalError>,
    rows: impl FnOnce(&mut ReadModel, &mut AutoCommit) -> DocRows,
) -> Result<(), LocalError> {
    let span = Span::start("rapport:edit");
    ensure_loaded(shared, key).await?;
    let (store, save, before) = {
        let mut ws = shared.borrow_mut();
        let before = ws.docs.get_mut(&key).map(AutoCommit::get_heads).unwrap_or_default();
        let save = ws.apply(key, change, rows)?;
        (ws.store.clone(), save, before)
    };
    let span_store = Span::start("rapport:edit-store");
    let result = store
        .save_with_rows(save.document, save.kind, &save.bytes, &save.rows_key, &save.rows)
        .await;
    if let Err(error) = result {
        // Not stored, so not shown: the document goes back to what the device holds — or, if the
        // device cannot be read either, to its heads before this change — and its rows are derived again.
        let from_device = store.load(save.document).await.ok().and_then(|loaded| loaded.document);
        let mut ws = shared.borrow_mut();
        let ws = &mut *ws;
        let restored =
            from_device.or_else(|| ws.docs.get_mut(&key).and_then(|doc| doc.fork_at(&before).ok()));
        match restored {
            Some(mut doc) => {
                ws.model.replace_document(key, &mut doc);
                ws.docs.insert(key, doc);
            }
            None => {
                ws.docs.remove(&key);
            }
        }
        return Err(error.into());
    }
    span_store.end();
    span.end();
    note_unsynced(shared, key, records).await;
    if let Some(on_change) = &shared.borrow().on_change {
        let _ = on_change.unbounded_send(key);
    }
    tell_screens(shared);
    match save.kind {
        ChunkKind::Incremental => compact_if_grown(shared, key, save.bytes.len()).await,
        ChunkKind::Snapshot => {
            shared.borrow_mut().chunks.entry(key).or_default().snapshot_bytes += save.bytes.len();
        }
    }
    if let DocKey::Interactions(_) = key {
        register_in_root(shared, key).await?;
    }
    Ok(())
}

/// Lists document `key` in the root's table (once), so other devices discover it.
async fn register_in_root(shared: &Shared, key: DocKey) -> Result<(), LocalError> {
    ensure_loaded(shared, DocKey::Root).await?;
    let (listed, owner) = {
        let ws = shared.borrow();
        let root = ws.docs.get(&DocKey::Root).ok_or(LocalError::NotFound)?;
        (workspace::document_keys(root)?.contains(&key), ws.workspace)
    };
    if listed {
        return Ok(());
    }
    // Boxed: `write` calls this function, and an async recursion needs an indirection.
    Box::pin(write(shared, DocKey::Root, &[], |root| {
        workspace::register(root, owner, key)?;
        Ok(())
    }))
    .await
}

/// Folds a document's increments into one snapshot once they outgrow it. The edit is already durable, so
/// a failure here loses nothing: the increments stay and compaction is tried after a later edit.
async fn compact_if_grown(shared: &Shared, key: DocKey, increment_bytes: usize) {
    let (store, id, snapshot) = {
        let mut ws = shared.borrow_mut();
        let ws = &mut *ws;
        let stats = ws.chunks.entry(key).or_default();
        stats.incremental_count += 1;
        stats.incremental_bytes += increment_bytes;
        if !stats.should_compact() {
            return;
        }
        let Some(doc) = ws.docs.get_mut(&key) else { return };
        (ws.store.clone(), key.document_id(ws.workspace), doc.save())
    };
    if store.replace_chunks(id, &snapshot).await.is_ok() {
        let stats = ChunkStats { snapshot_bytes: snapshot.len(), ..ChunkStats::default() };
        shared.borrow_mut().chunks.insert(key, stats);
    }
}

/// What checking every stored document found and did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageCheck {
    pub documents: usize,
    pub chunks_before: usize,
    pub bytes_before: usize,
    pub bytes_after: usize,
    /// Chunks that could not be read, by document; those documents were left as they are.
    pub damaged: Vec<(DocKey, Vec<String>)>,
    /// Loading every document from IndexedDB, in milliseconds.
    pub load_ms: f64,
    /// The wasm memory once every document was in it, in bytes.
    pub memory_bytes: usize,
}

/// Loads every document of the workspace from the device, reports damaged chunks, and compacts each
/// sound document into one snapshot.
pub async fn check_and_compact(shared: &Shared) -> Result<StorageCheck, LocalError> {
    let (store, workspace, keys) = {
        let ws = shared.borrow();
        let mut keys: Vec<DocKey> = ws.model.heads.keys().copied().collect();
        if !keys.contains(&DocKey::Root) {
            keys.push(DocKey::Root);
        }
        (ws.store.clone(), ws.workspace, keys)
    };
    let mut check = StorageCheck { documents: keys.len(), ..StorageCheck::default() };
    let started = js_sys::Date::now();
    let span = Span::start("rapport:load-all");
    let mut loaded = Vec::with_capacity(keys.len());
    for key in keys {
        loaded.push((key, store.load(key.document_id(workspace)).await?));
    }
    span.end();
    check.load_ms = js_sys::Date::now() - started;
    check.memory_bytes = wasm_memory_bytes();

    for (key, mut found) in loaded {
        let stored = found.snapshot_bytes + found.incremental_bytes;
        check.chunks_before += found.chunk_keys.len() + found.corrupt.len();
        check.bytes_before += stored;
        let sound = found.corrupt.is_empty();
        match found.document.as_mut() {
            Some(doc) if sound && found.chunk_keys.len() > 1 => {
                let snapshot = doc.save();
                store.replace_chunks(key.document_id(workspace), &snapshot).await?;
                check.bytes_after += snapshot.len();
                let stats = ChunkStats { snapshot_bytes: snapshot.len(), ..ChunkStats::default() };
                shared.borrow_mut().chunks.insert(key, stats);
            }
            _ => check.bytes_after += stored,
        }
        if !sound {
            check.damaged.push((key, found.corrupt));
        }
    }
    Ok(check)
}

fn wasm_memory_bytes() -> usize {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|memory| memory.buffer().dyn_into::<js_sys::ArrayBuffer>().map(|b| b.byte_length()))
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default() as usize
}

/// Logs an interaction in the document of its month (registered in the root on first use, so other
/// devices find it). Returns the document it is stored in.
pub async fn log_interaction(
    shared: &Shared,
    id: InteractionId,
    interaction: Interaction,
) -> Result<DocKey, LocalError> {
    let key = id.to_string();
    let document = DocKey::Interactions(Month::of(interaction.at));
    write(shared, document, std::slice::from_ref(&key), |doc| {
        Ok(document::put(doc, &key, &interaction)?)
    })
    .await?;
    Ok(document)
}

/// Creates (or replaces) record `id`.
/// Changes the workspace settings (pipelines, members, currencies) in the root document.
pub async fn update_settings(
    shared: &Shared,
    change: impl FnOnce(&mut WorkspaceSettings),
) -> Result<(), LocalError> {
    let mut updated = None;
    write(shared, DocKey::Root, &[], |root| {
        updated = Some(workspace::update_settings(root, change)?);
        Ok(())
    })
    .await?;
    if let Some(settings) = updated {
        let mut ws = shared.borrow_mut();
        ws.settings = settings;
        ws.model.note_changed(Changed::SETTINGS);
    }
    tell_screens(shared);
    Ok(())
}

/// Creates many parties (an import): one stored change per document and batch of `BATCH` parties, not
/// one per party, each written in bulk (`document::put_new`) and its rows derived from the values in
/// hand, so ten thousand rows take seconds. `progress` is told how many are stored so far; the page
/// gets to paint between batches.
pub async fn create_parties(
    shared: &Shared,
    parties: Vec<(PartyId, Party)>,
    progress: impl Fn(usize),
) -> Result<(), LocalError> {
    const BATCH: usize = 500;
    let mut by_document: BTreeMap<DocKey, Vec<(PartyId, Party)>> = BTreeMap::new();
    for (id, party) in parties {
        by_document.entry(Party::doc_key(&id)).or_default().push((id, party));
    }
    let mut stored = 0;
    for (key, parties) in by_document {
        let mut parties = parties.into_iter().peekable();
        while parties.peek().is_some() {
            let batch: Vec<(PartyId, Party)> = parties.by_ref().take(BATCH).collect();
            let keys: Vec<String> = batch.iter().map(|(id, _)| id.to_string()).collect();
            write_then_rows(
                shared,
                key,
                &keys,
                |doc| {
                    let new = keys.iter().map(String::as_str).zip(batch.iter().map(|(_, p)| p));
                    Ok(document::put_new(doc, new)?)
                },
                |model, doc| {
                    model.refresh_written_parties(key, doc, batch.iter().map(|(id, p)| (*id, p)))
                },
            )
            .await?;
            stored += batch.len();
            progress(stored);
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
    }
    Ok(())
}

/// Every record of a collection, read from its documents (an export). Keys that are not ids of this
/// record type (a document's own stamp) are skipped.
pub async fn all_records<R: Record>(shared: &Shared) -> Result<Vec<(R::Id, R)>, LocalError> {
    let collection = R::COLLECTION;
    let mut all = Vec::new();
    for shard in 0..collection.shard_count() {
        let found = with_document(shared, DocKey::Shard { collection, shard }, |doc| {
            document::keys(doc)
                .into_iter()
                .filter_map(|key| {
                    let id = key.parse::<R::Id>().ok()?;
                    let record = document::get::<_, R>(doc, &key).ok()??;
                    Some((id, record))
                })
                .collect::<Vec<_>>()
        })
        .await?;
        all.extend(found);
    }
    Ok(all)
}

pub async fn create<R: Record>(shared: &Shared, id: R::Id, record: R) -> Result<(), LocalError> {
    let key = id.to_string();
    write(shared, R::doc_key(&id), std::slice::from_ref(&key), |doc| {
        Ok(document::put(doc, &key, &record)?)
    })
    .await
}

/// Changes record `id` in place.
pub async fn update<R: Record>(
    shared: &Shared,
    id: R::Id,
    change: impl FnOnce(&mut R),
) -> Result<(), LocalError> {
    let key = id.to_string();
    write(shared, R::doc_key(&id), std::slice::from_ref(&key), |doc| {
        document::update::<_, R, _>(doc, &key, change)?.ok_or(LocalError::NotFound)
    })
    .await
}

/// The key range of the stored interaction rows of `workspace`.
fn interaction_rows_range(workspace: WorkspaceId) -> (String, String) {
    (format!("{workspace}/interactions/"), format!("{workspace}/interactions/\u{ffff}"))
}

/// Stored units of rows of `workspace`, and the keys of those that could not be read.
fn parse_units(
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

/// The second step of opening (see [`LocalWorkspace::open`]): builds the search index and reads the
/// stored interaction rows. Returns the keys of rows that could not be read; those are rebuilt from their
/// documents.
pub async fn finish_opening(shared: &Shared) -> Result<Vec<String>, LocalError> {
    let span = Span::start("rapport:open-search-index");
    shared.borrow_mut().model.build_search();
    span.end();
    let (store, workspace) = {
        let ws = shared.borrow();
        (ws.store.clone(), ws.workspace)
    };
    let span = Span::start("rapport:open-interactions");
    let (low, high) = interaction_rows_range(workspace);
    let stored = store.load_rows_between(&low, &high).await?;
    let (units, unreadable) = parse_units(workspace, stored);
    shared.borrow_mut().model.add_units(units);
    span.end();
    let earlier = std::mem::take(&mut shared.borrow_mut().unreadable);
    let later = unreadable.iter().filter_map(|key| key.parse::<DocKey>().ok());
    for key in earlier.into_iter().chain(later) {
        rebuild_rows(shared, key).await?;
    }
    Ok(unreadable)
}

/// Derives the rows of document `key` again from the document and stores them with a snapshot of it.
async fn rebuild_rows(shared: &Shared, key: DocKey) -> Result<(), LocalError> {
    ensure_loaded(shared, key).await?;
    let (store, id, snapshot, rows_key, rows) = {
        let mut ws = shared.borrow_mut();
        let ws = &mut *ws;
        let doc = ws.docs.get_mut(&key).ok_or(LocalError::NotFound)?;
        let rows = ws.model.replace_document(key, doc).encode();
        (
            ws.store.clone(),
            key.document_id(ws.workspace),
            doc.save(),
            rows_key(ws.workspace, key),
            rows,
        )
    };
    store.save_with_rows(id, ChunkKind::Snapshot, &snapshot, &rows_key, &rows).await?;
    Ok(())
}

/// Local edits the relay has not confirmed yet, in one document: how many, and to which records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unsynced {
    pub edits: u32,
    pub records: BTreeSet<String>,
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

fn ledger_meta(workspace: WorkspaceId) -> String {
    format!("{workspace}/unsynced")
}

fn linked_meta(workspace: WorkspaceId) -> String {
    format!("{workspace}/linked")
}

fn resume_meta(workspace: WorkspaceId) -> String {
    format!("{workspace}/sync-resume")
}

/// Where this workspace's conversations with the relay stopped (`SyncClient::resume_points`), kept
/// so that after a reload each document's first sync message offers only what changed since.
pub async fn resume_points(shared: &Shared) -> String {
    let (store, name) = {
        let ws = shared.borrow();
        (ws.store.clone(), resume_meta(ws.workspace))
    };
    store.meta(&name).await.ok().flatten().unwrap_or_default()
}

/// Keeps `points` (see [`resume_points`]); a failure only costs a longer first sync after a reload.
pub async fn keep_resume_points(shared: &Shared, points: &str) {
    let (store, name) = {
        let ws = shared.borrow();
        (ws.store.clone(), resume_meta(ws.workspace))
    };
    let _ = store.set_meta(&name, points).await;
}

/// Records an edit of `records` in document `key` as not yet on the relay.
async fn note_unsynced(shared: &Shared, key: DocKey, records: &[String]) {
    let (store, name, text) = {
        let mut ws = shared.borrow_mut();
        let entry = ws.unsynced.entry(key).or_default();
        entry.edits += 1;
        entry.records.extend(records.iter().cloned());
        (ws.store.clone(), ledger_meta(ws.workspace), encode_ledger(&ws.unsynced))
    };
    // Losing the ledger loses a badge, not data: the next sync compares heads regardless.
    let _ = store.set_meta(&name, &text).await;
}

/// The relay confirmed it holds every change of document `key`: its edits leave the ledger. Returns
/// whether there were any.
pub async fn mark_synced(shared: &Shared, key: DocKey) -> bool {
    let (store, name, text) = {
        let mut ws = shared.borrow_mut();
        if ws.unsynced.remove(&key).is_none() {
            return false;
        }
        (ws.store.clone(), ledger_meta(ws.workspace), encode_ledger(&ws.unsynced))
    };
    let _ = store.set_meta(&name, &text).await;
    true
}

/// Runs `read` on document `key`, loading it from the device first (or starting it empty).
pub async fn with_document<T>(
    shared: &Shared,
    key: DocKey,
    read: impl FnOnce(&mut AutoCommit) -> T,
) -> Result<T, LocalError> {
    ensure_loaded(shared, key).await?;
    let mut ws = shared.borrow_mut();
    let doc = ws.docs.get_mut(&key).ok_or(LocalError::NotFound)?;
    Ok(read(doc))
}

/// Applies what the relay sent (`apply` runs the sync protocol on the document), then stores the new
/// changes with the refreshed rows. Returns whether the document changed.
pub async fn merge_remote(
    shared: &Shared,
    key: DocKey,
    apply: impl FnOnce(&mut AutoCommit) -> Result<(), automerge::AutomergeError>,
) -> Result<bool, LocalError> {
    ensure_loaded(shared, key).await?;
    let (store, id, chunk, kind, rows_key, rows) = {
        let mut ws = shared.borrow_mut();
        let ws = &mut *ws;
        let doc = ws.docs.get_mut(&key).ok_or(LocalError::NotFound)?;
        let before = doc.get_heads();
        apply(doc).map_err(DocumentError::from)?;
        if doc.get_heads() == before {
            return Ok(false);
        }
        let span = Span::start("rapport:remote-rows");
        let whole = before.is_empty()
            || (matches!(key, DocKey::Interactions(_)) && ws.model.interactions_pending);
        let rows = if whole {
            ws.model.replace_document(key, doc)
        } else {
            ws.model.refresh_since(key, doc, &before)
        };
        span.end();
        // A document arriving whole is stored as one compact snapshot, not as its change log.
        let (chunk, kind) = if before.is_empty() {
            (doc.save(), ChunkKind::Snapshot)
        } else {
            (doc.save_after(&before), ChunkKind::Incremental)
        };
        if key == DocKey::Root {
            ws.settings = workspace::settings(doc).unwrap_or_default();
        }
        (
            ws.store.clone(),
            key.document_id(ws.workspace),
            chunk,
            kind,
            rows_key(ws.workspace, key),
            rows.encode(),
        )
    };
    // Not acknowledged to anyone, so nothing is lost if this fails: the relay keeps the changes and
    // the next session fetches them again.
    store.save_with_rows(id, kind, &chunk, &rows_key, &rows).await?;
    if kind == ChunkKind::Incremental {
        compact_if_grown(shared, key, chunk.len()).await;
    } else {
        let stats = ChunkStats { snapshot_bytes: chunk.len(), ..ChunkStats::default() };
        shared.borrow_mut().chunks.insert(key, stats);
    }
    Ok(true)
}

/// Whether document `key` holds nothing on this device yet (a new device's documents before their first
/// sync).
pub async fn holds_nothing(shared: &Shared, key: DocKey) -> bool {
    if let Some(heads) = stored_heads(shared, key) {
        return heads.is_empty();
    }
    with_document(shared, key, |doc| doc.get_heads().is_empty()).await.unwrap_or(false)
}

/// The heads of document `key` as stored on the device, known without loading it: from the worker
/// that stored it, or from its rows (stored in the same transaction as each of its changes). `None`
/// when the page has it loaded (ask the document), when edits made here wait for the relay (the sync
/// engine then works on the document itself), or when its rows are not at hand.
pub fn stored_heads(shared: &Shared, key: DocKey) -> Option<Vec<automerge::ChangeHash>> {
    let ws = shared.borrow();
    if ws.docs.contains_key(&key) || ws.unsynced.contains_key(&key) {
        return None;
    }
    if let Some(heads) = ws.worker_heads.get(&key) {
        return Some(heads.clone());
    }
    ws.model.heads.get(&key)?.iter().map(|hex| hex.parse().ok()).collect()
}

/// The heads of document `key`, loading it only when they are not known otherwise ([`stored_heads`]).
pub async fn heads(shared: &Shared, key: DocKey) -> Result<Vec<automerge::ChangeHash>, LocalError> {
    if let Some(heads) = stored_heads(shared, key) {
        return Ok(heads);
    }
    with_document(shared, key, |doc| doc.get_heads()).await
}

/// Stores a document the worker merged whole from the relay (`rapport_core::offload`) with its rows,
/// and shows them. The page does not load the document: its next use does, from the device.
pub async fn store_merged(shared: &Shared, key: DocKey, merged: &Merged) -> Result<(), LocalError> {
    let (store, id, rows_key) = {
        let ws = shared.borrow();
        (ws.store.clone(), key.document_id(ws.workspace), rows_key(ws.workspace, key))
    };
    let span = Span::start("rapport:worker-store");
    store
        .save_with_rows(id, ChunkKind::Snapshot, &merged.snapshot, &rows_key, &merged.rows.encode())
        .await?;
    span.end();
    let (chunk, rows) = {
        let mut ws = shared.borrow_mut();
        let ws = &mut *ws;
        let stats = ChunkStats { snapshot_bytes: merged.snapshot.len(), ..ChunkStats::default() };
        let edited_meanwhile = ws.docs.get_mut(&key).is_some_and(|doc| !doc.get_heads().is_empty());
        match ws.docs.get_mut(&key) {
            Some(doc) if edited_meanwhile => {
                // A local edit reached this document while the worker ran: the page's copy takes in
                // the relay's content too, as it would have with no worker (slower, and rare).
                doc.load_incremental(&merged.snapshot).map_err(DocumentError::from)?;
                let rows = ws.model.replace_document(key, doc);
                let stats = ws.chunks.entry(key).or_default();
                stats.snapshot_bytes += merged.snapshot.len();
                (doc.save(), rows)
            }
            _ => {
                ws.docs.remove(&key);
                ws.chunks.insert(key, stats);
                ws.worker_heads.insert(key, merged.heads());
                ws.model.replace_rows(key, merged.rows.clone());
                return Ok(());
            }
        }
    };
    store.save_with_rows(id, ChunkKind::Snapshot, &chunk, &rows_key, &rows.encode()).await?;
    Ok(())
}

/// Every document of the workspace with content, saved whole (a backup).
pub async fn all_documents(shared: &Shared) -> Result<Vec<(DocKey, Vec<u8>)>, LocalError> {
    ensure_loaded(shared, DocKey::Root).await?;
    let keys = shared.borrow().document_keys();
    let mut documents = Vec::with_capacity(keys.len());
    for key in keys {
        let saved = with_document(shared, key, |doc| (!doc.is_empty()).then(|| doc.save())).await?;
        documents.extend(saved.map(|bytes| (key, bytes)));
    }
    Ok(documents)
}

/// What restoring a backup did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Restored {
    /// Documents that gained changes from the backup.
    pub changed: usize,
    /// Documents that already held everything in the backup.
    pub unchanged: usize,
    /// The backup is of another workspace: its settings (members, pipelines) were not merged into
    /// this one's; its records were.
    pub other_workspace: bool,
}

/// Merges a backup's documents into this workspace. Merging never loses what either side has, and what
/// the backup adds goes to the relay like any local edit.
pub async fn restore_documents(shared: &Shared, backup: Backup) -> Result<Restored, LocalError> {
    let other_workspace = backup.workspace != shared.borrow().workspace;
    let mut restored = Restored { other_workspace, ..Restored::default() };
    for (key, bytes) in backup.documents {
        if key == DocKey::Root && other_workspace {
            continue;
        }
        let changed =
            merge_remote(shared, key, |doc| doc.load_incremental(&bytes).map(|_| ())).await?;
        if !changed {
            restored.unchanged += 1;
            continue;
        }
        restored.changed += 1;
        note_unsynced(shared, key, &[]).await;
        if let Some(on_change) = &shared.borrow().on_change {
            let _ = on_change.unbounded_send(key);
        }
        if let DocKey::Interactions(_) = key {
            register_in_root(shared, key).await?;
        }
    }
    Ok(restored)
}

/// Marks the workspace on this device as connected to the relay (or not): a linked workspace syncs
/// whenever the device is online.
pub async fn set_linked(shared: &Shared, linked: bool) -> Result<(), LocalError> {
    let (store, name) = {
        let mut ws = shared.borrow_mut();
        ws.linked = linked;
        (ws.store.clone(), linked_meta(ws.workspace))
    };
    store.set_meta(&name, if linked { "yes" } else { "no" }).await?;
    Ok(())
}

/// Makes this device hold workspace `workspace` from now on, linked to the relay, starting empty (the
/// sync fetches it). What the device held before stays in its own entries. The page reloads after
/// this, so every screen opens the new workspace from scratch.
pub async fn switch_workspace(shared: &Shared, workspace: WorkspaceId) -> Result<(), LocalError> {
    let store = shared.borrow().store.clone();
    store.set_meta(&linked_meta(workspace), "yes").await?;
    store.set_meta(WORKSPACE_META, &workspace.to_string()).await?;
    Ok(())
}

/// Tells the screens what the last local write changed (see `LocalWorkspace::on_rows`).
fn tell_screens(shared: &Shared) {
    let on_rows = shared.borrow().on_rows.clone();
    if let Some(OnRows(tell)) = on_rows {
        tell();
    }
}

/// Who is told after every local write (see `LocalWorkspace::on_rows`).
#[derive(Clone)]
pub struct OnRows(pub std::rc::Rc<dyn Fn()>);

impl std::fmt::Debug for OnRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnRows")
    }
}

/// What opening the workspace found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OpenReport {
    /// Stored rows that could not be read, by document key; rebuilt from their documents.
    pub unreadable_rows: Vec<String>,
}

#[derive(Debug)]
pub struct LocalWorkspace {
    store: ChunkStore,
    pub workspace: WorkspaceId,
    pub settings: WorkspaceSettings,
    pub model: ReadModel,
    /// Documents loaded so far (by an edit); the rest stay on disk.
    docs: HashMap<DocKey, AutoCommit>,
    /// What each loaded document has on disk.
    chunks: HashMap<DocKey, ChunkStats>,
    /// The heads of documents the worker stored whole and this page has not loaded since, so sync can
    /// tell where they stand without loading them (see [`store_merged`]).
    worker_heads: HashMap<DocKey, Vec<automerge::ChangeHash>>,
    /// Documents whose stored rows could not be read at opening; `finish_opening` rebuilds them.
    unreadable: Vec<DocKey>,
    pub me: Option<MemberId>,
    /// Local edits the relay has not confirmed, by document.
    pub unsynced: BTreeMap<DocKey, Unsynced>,
    /// Whether this workspace syncs with the relay (a local-only workspace does not).
    pub linked: bool,
    /// Told the key of every document a local edit changed, once the edit is durable (the sync engine
    /// pushes it).
    pub on_change: Option<futures_channel::mpsc::UnboundedSender<DocKey>>,
    /// Told after every local write, once its rows are in the model: the screens read again what changed
    /// (`WorkspaceCtx::changed`).
    pub on_rows: Option<OnRows>,
}

const WORKSPACE_META: &str = "workspace";

/// Rows are stored per workspace and document, so adopting another workspace never mixes the two.
fn rows_key(workspace: WorkspaceId, key: DocKey) -> String {
    format!("{workspace}/{key}")
}

impl LocalWorkspace {
    /// Opens the workspace stored in database `name`, creating an empty one on first use. Interaction
    /// rows are not read yet and the search index not built (`model.interactions_pending`,
    /// `model.search_pending`): the lists can show first; call [`finish_opening`] next.
    pub async fn open(name: &str) -> Result<(LocalWorkspace, OpenReport), LocalError> {
        let store = ChunkStore::open(name).await?;
        let mut report = OpenReport::default();
        let workspace = match store.meta(WORKSPACE_META).await? {
            Some(text) => {
                text.parse::<WorkspaceId>().map_err(|_| LocalError::BadWorkspaceId(text))?
            }
            None => {
                let workspace = WorkspaceId::generate(&mut BrowserIds);
                let mut local = LocalWorkspace::empty(store.clone(), workspace);
                let (pipeline_id, pipeline) = workspace::default_sales_pipeline(workspace);
                let pipeline = pipeline.named_by(crate::locale::default_name);
                let settings = WorkspaceSettings {
                    name: crate::locale::default_name("My workspace")
                        .unwrap_or_else(|| "My workspace".into()),
                    currencies: vec![default_currency()],
                    pipelines: [(pipeline_id.to_string(), pipeline)].into(),
                    ..Default::default()
                };
                let documents = workspace::create(workspace, &settings)?;
                local
                    .install_documents(documents.into_iter().map(|(k, mut d)| (k, d.save())))
                    .await?;
                store.set_meta(WORKSPACE_META, &workspace.to_string()).await?;
                workspace
            }
        };
        let span = Span::start("rapport:open-read-rows");
        // Everything but interactions: they are most of the stored rows and no list needs them to
        // show; [`load_interactions`] reads them once the first screen is up.
        let (low, high) = (format!("{workspace}/"), format!("{workspace}/\u{ffff}"));
        let (history_low, history_high) = interaction_rows_range(workspace);
        let mut stored = store.load_rows_between(&low, &history_low).await?;
        stored.extend(store.load_rows_between(&history_high, &high).await?);
        span.end();
        let span = Span::start("rapport:open-build-model");
        let (units, unreadable) = parse_units(workspace, stored);
        report.unreadable_rows = unreadable;
        let mut local = LocalWorkspace::empty(store, workspace);
        local.model = ReadModel::from_units_deferring_search(units);
        local.model.interactions_pending = true;
        span.end();
        // Rows that could not be read are derived again from their documents by `finish_opening`,
        // after the first screen; nothing is overwritten until that succeeds.
        local.unreadable =
            report.unreadable_rows.iter().filter_map(|key| key.parse().ok()).collect();
        let span = Span::start("rapport:open-settings");
        local.settings = local.load_settings().await?;
        span.end();
        let ledger = local.store.meta(&ledger_meta(workspace)).await?;
        local.unsynced = ledger.as_deref().map(decode_ledger).unwrap_or_default();
        local.linked = local.store.meta(&linked_meta(workspace)).await?.as_deref() == Some("yes");
        Ok((local, report))
    }

    /// Every document of the workspace this device knows of: those it holds rows for, those loaded, and
    /// those the root's table names (other devices' interaction months).
    pub fn document_keys(&self) -> Vec<DocKey> {
        let mut keys: BTreeSet<DocKey> = self.model.heads.keys().copied().collect();
        keys.extend(self.docs.keys().copied());
        keys.insert(DocKey::Root);
        if let Some(root) = self.docs.get(&DocKey::Root) {
            keys.extend(workspace::document_keys(root).unwrap_or_default());
        }
        keys.into_iter().collect()
    }

    /// The workspace's members and their names, for choosing an owner or an assignee.
    pub fn members(&self) -> Vec<(MemberId, String)> {
        self.settings
            .members
            .iter()
            .filter_map(|(id, m)| Some((id.parse::<MemberId>().ok()?, m.display_name.clone())))
            .collect()
    }

    /// How many local edits the relay has not confirmed yet.
    pub fn unsynced_edits(&self) -> u32 {
        self.unsynced.values().map(|u| u.edits).sum()
    }

    /// Whether record `id` has an edit the relay has not confirmed yet.
    pub fn is_unsynced(&self, id: &str) -> bool {
        self.unsynced.values().any(|u| u.records.contains(id))
    }

    /// Closes the device storage: every later read or write fails with an error. (A tab must do this
    /// when another tab upgrades the database.)
    pub fn close_storage(&self) {
        self.store.clone().close();
    }

    fn empty(store: ChunkStore, workspace: WorkspaceId) -> LocalWorkspace {
        LocalWorkspace {
            store,
            workspace,
            settings: WorkspaceSettings::default(),
            model: ReadModel::default(),
            docs: HashMap::new(),
            chunks: HashMap::new(),
            worker_heads: HashMap::new(),
            unreadable: Vec::new(),
            me: None,
            unsynced: BTreeMap::new(),
            linked: false,
            on_change: None,
            on_rows: None,
        }
    }

    async fn load_settings(&mut self) -> Result<WorkspaceSettings, LocalError> {
        let root = self.document(DocKey::Root).await?;
        Ok(workspace::settings(root).unwrap_or_default())
    }

    /// The document `key`, loaded from the device on first use.
    async fn document(&mut self, key: DocKey) -> Result<&mut AutoCommit, LocalError> {
        if !self.docs.contains_key(&key) {
            let mut loaded = self.store.load(key.document_id(self.workspace)).await?;
            let doc = loaded.document.take().unwrap_or_else(document::new_document);
            self.chunks.insert(key, ChunkStats::of(&loaded));
            self.docs.insert(key, doc);
            self.worker_heads.remove(&key);
        }
        Ok(self.docs.get_mut(&key).expect("inserted above"))
    }

    /// Applies `change` to the (loaded) document `key` and returns what must be stored: the increment
    /// and the document's refreshed rows. The read model already shows the change.
    fn apply(
        &mut self,
        key: DocKey,
        change: impl FnOnce(&mut AutoCommit) -> Result<(), LocalError>,
        refreshed_rows: impl FnOnce(&mut ReadModel, &mut AutoCommit) -> DocRows,
    ) -> Result<PendingSave, LocalError> {
        let doc = self.docs.get_mut(&key).ok_or(LocalError::NotFound)?;
        let before = doc.get_heads();
        let span = Span::start("rapport:edit-change");
        change(doc)?;
        history::commit(doc, self.me, now());
        span.end();
        let span = Span::start("rapport:edit-encode");
        let (kind, bytes) = if before.is_empty() {
            // A document that was empty is stored whole (a first import into it): a snapshot is
            // compressed, several times quicker to encode than the change, and leaves nothing to
            // compact.
            (ChunkKind::Snapshot, doc.save())
        } else {
            // Exactly the new change. (`save_incremental` would also write everything loaded with
            // the document: a freshly loaded document counts as never saved.)
            (ChunkKind::Incremental, doc.save_after(&before))
        };
        span.end();
        let span = Span::start("rapport:edit-rows");
        let rows = match key {
            // Until the month's stored rows are read, only the document knows all of them.
            DocKey::Interactions(_) if self.model.interactions_pending => {
                self.model.replace_document(key, doc)
            }
            _ => refreshed_rows(&mut self.model, doc),
        };
        let rows = rows.encode();
        span.end();
        Ok(PendingSave {
            document: key.document_id(self.workspace),
            kind,
            bytes,
            rows_key: rows_key(self.workspace, key),
            rows,
        })
    }

    /// Makes this device hold workspace `workspace` (the demo, or later a backup) given as whole
    /// documents; what the device held before stays in its own database entries, unused.
    pub async fn adopt(
        &mut self,
        workspace: WorkspaceId,
        documents: Vec<(DocKey, Vec<u8>)>,
    ) -> Result<(), LocalError> {
        self.workspace = workspace;
        self.model = ReadModel::default();
        self.docs.clear();
        self.worker_heads.clear();
        self.install_documents(documents).await?;
        self.store.set_meta(WORKSPACE_META, &workspace.to_string()).await?;
        Ok(())
    }

    /// Stores whole documents (saved bytes) and their rows, replacing what the device had for them.
    /// The rows are derived in the workers, all documents at once (`crate::offload`); on the page when
    /// a worker cannot help.
    pub async fn install_documents(
        &mut self,
        documents: impl IntoIterator<Item = (DocKey, Vec<u8>)>,
    ) -> Result<(), LocalError> {
        let derived =
            futures_util::future::join_all(documents.into_iter().map(|(key, bytes)| async move {
                let rows = crate::offload::rows_of(key, &bytes).await;
                (key, bytes, rows)
            }))
            .await;
        let mut installed_root = false;
        for (key, bytes, rows) in derived {
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
            self.store
                .save_with_rows(
                    key.document_id(self.workspace),
                    ChunkKind::Snapshot,
                    &bytes,
                    &rows_key(self.workspace, key),
                    &rows.encode(),
                )
                .await?;
            // Not kept in memory: a large workspace would stay resident for nothing. An edit loads
            // the one document it needs.
            self.docs.remove(&key);
            self.chunks.remove(&key);
            installed_root |= key == DocKey::Root;
        }
        if installed_root {
            self.settings = self.load_settings().await?;
        }
        Ok(())
    }
}
