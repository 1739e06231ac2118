//! The browser's driver of the device's workspace (`rapport_core::replica`): IndexedDB, the browser's
//! clock and ids, and the workers. What to store, when to compact and what the ledger says is decided
//! by the [`Replica`]; this module loads what it asks for, performs the writes it returns, and tells it
//! how they went.
//!
//! Opening reads the stored read-model rows (about a hundred IndexedDB records) and no document. An edit
//! loads the one document holding the record, changes it, and stores the increment together with the
//! document's refreshed rows in one transaction; the edit is reported done only after that commits.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use automerge::AutoCommit;
use rapport_core::backup::Backup;
use rapport_core::document::{self, DocumentError, FieldConflict, Record};
use rapport_core::history::{self, FieldChange};
use rapport_core::ids::{IdSource, InteractionId, PartyId, Timestamp, WorkspaceId};
use rapport_core::layout::{DocKey, Month};
use rapport_core::model::{Interaction, Party, WorkspaceSettings};
use rapport_core::read_model::{DocRows, ReadModel};
use rapport_core::replica::{
    self, Chunk, EditPhase, Replica, ReplicaError, Write, interaction_rows_range, parse_units,
};
use rapport_core::workspace;

use crate::storage::{ChunkStore, StorageError};
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

impl From<ReplicaError> for LocalError {
    fn from(error: ReplicaError) -> LocalError {
        match error {
            ReplicaError::Document(error) => LocalError::Document(error),
            ReplicaError::Root(error) => LocalError::Root(error),
            ReplicaError::NotLoaded(_) => LocalError::NotFound,
        }
    }
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

/// The workspace shared by the screens. No borrow is ever held across an `.await`: the replica decides
/// synchronously, then the writes it returns are performed with a clone of the store.
pub type Shared = Rc<RefCell<LocalWorkspace>>;

/// Loads document `key` into the replica if it is not there yet.
pub async fn ensure_loaded(shared: &Shared, key: DocKey) -> Result<(), LocalError> {
    let (store, id) = {
        let ws = shared.borrow();
        if ws.replica.is_loaded(key) {
            return Ok(());
        }
        (ws.store.clone(), key.document_id(ws.replica.workspace))
    };
    let span = Span::start("rapport:load-document");
    let loaded = store.load(id).await?;
    span.end();
    // Counted, so a test or DevTools can tell how many documents with content the page loaded.
    if loaded.document.is_some() {
        crate::timing::mark("rapport:document-loaded");
    }
    shared.borrow_mut().replica.loaded(key, loaded);
    Ok(())
}

/// Stores `chunk` (from the replica) with its rows in one transaction.
pub async fn store_chunk(shared: &Shared, chunk: &Chunk) -> Result<(), LocalError> {
    let store = shared.borrow().store.clone();
    Ok(save(&store, chunk).await?)
}

/// Stores `chunk` with its rows in one transaction.
async fn save(store: &ChunkStore, chunk: &Chunk) -> Result<(), StorageError> {
    let saved = store
        .save_with_rows(chunk.document, chunk.kind, &chunk.bytes, &chunk.rows_key, &chunk.rows)
        .await;
    match saved {
        Ok(_) => crate::mirror::stored(&chunk.rows_key, &chunk.rows),
        Err(_) => crate::mirror::abandon(),
    }
    saved?;
    Ok(())
}

/// Every unit of rows of `workspace` on the device, by document key (as text), bytes if readable.
pub async fn stored_rows(
    shared: &Shared,
    workspace: WorkspaceId,
) -> Result<Vec<(String, Option<Vec<u8>>)>, LocalError> {
    let store = shared.borrow().store.clone();
    let (low, high) = replica::rows_range(workspace);
    let prefix = format!("{workspace}/");
    let stored = store.load_rows_between(&low, &high).await?;
    Ok(stored
        .into_iter()
        .filter_map(|(key, bytes)| Some((key.strip_prefix(&prefix)?.to_owned(), bytes)))
        .collect())
}

/// Performs the writes the replica asked for after a chunk was stored. Each is safe to lose: a
/// compaction that fails is tried after a later edit, a ledger that is not kept costs a badge (sync
/// itself compares heads).
pub async fn perform(shared: &Shared, writes: Vec<Write>) {
    let store = shared.borrow().store.clone();
    for write in writes {
        match write {
            Write::Compact { key, document, snapshot } => {
                if store.replace_chunks(document, &snapshot).await.is_ok() {
                    shared.borrow_mut().replica.compacted(key, snapshot.len());
                }
            }
            Write::Meta { name, value } => {
                let _ = store.set_meta(&name, &value).await;
            }
        }
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
    let (store, edit) = {
        let mut ws = shared.borrow_mut();
        let Some(edit) = ws.replica.edit(key, now(), change, rows)? else {
            // Nothing changed (a value set to what it was): nothing to store or to sync.
            return Ok(());
        };
        (ws.store.clone(), edit)
    };
    let span_store = Span::start("rapport:edit-store");
    if let Err(error) = save(&store, &edit.chunk).await {
        // Not stored, so not shown: the document goes back to what the device holds.
        let from_device = store.load(edit.chunk.document).await.ok();
        shared.borrow_mut().replica.edit_failed(key, &edit.before, from_device);
        return Err(error.into());
    }
    span_store.end();
    span.end();
    let writes = shared.borrow_mut().replica.edit_stored(&edit.chunk, records);
    if let Some(on_change) = &shared.borrow().on_change {
        let _ = on_change.unbounded_send(key);
    }
    tell_screens(shared);
    perform(shared, writes).await;
    list_in_root(shared, key).await
}

/// Writes `text` as this member's private note on record `record` (its id as text), in their
/// private document: the relay's once the workspace syncs, else one made on this device (whose
/// notes move into the relay's when the workspace starts to sync, [`adopt_private`]). A synced
/// workspace whose device has not heard the relay's id yet has nowhere private to write
/// ([`LocalError::NotFound`]): the page says so before anyone types.
pub async fn write_private_note(
    shared: &Shared,
    record: String,
    text: String,
) -> Result<(), LocalError> {
    let (to_write, private, linked, workspace, store) = {
        let ws = shared.borrow();
        let replica = &ws.replica;
        let to_write = replica.private_to_write();
        (to_write, replica.private(), replica.linked, replica.workspace, ws.store.clone())
    };
    let key = match (to_write, private) {
        (Some(key), _) => key,
        // A workspace that does not sync and has no private document yet: one made here. (Set
        // before it is stored, so two saves at once make one.)
        (None, replica::PrivateDoc::None) if !linked => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).expect("crypto.getRandomValues");
            let made = replica::PrivateDoc::Local(rapport_core::layout::DocumentId(bytes));
            shared.borrow_mut().replica.set_private(made);
            store.set_meta(&replica::private_meta(workspace), &made.encode()).await?;
            DocKey::Private(rapport_core::layout::DocumentId(bytes))
        }
        // Synced, but the relay's id for this member not heard yet.
        _ => return Err(LocalError::NotFound),
    };
    write(shared, key, std::slice::from_ref(&record), |doc| {
        rapport_core::employee::write_private_note(doc, &record, &text)?;
        Ok(())
    })
    .await
}

/// Takes `id`, the relay's private document for this member, as where their private notes go.
/// Notes written on this device before the workspace synced are copied into it first, so an
/// interrupted copy is simply done again the next time.
pub async fn adopt_private(
    shared: &Shared,
    id: rapport_core::layout::DocumentId,
    member: rapport_core::ids::MemberId,
) -> Result<(), LocalError> {
    let relay = replica::PrivateDoc::Relay(id, member);
    let (current, notes, workspace, store) = {
        let ws = shared.borrow();
        let replica = &ws.replica;
        (replica.private(), replica.notes_to_copy(), replica.workspace, ws.store.clone())
    };
    if current == relay {
        shared.borrow_mut().replica.confirm_private();
        return Ok(());
    }
    // Its rows are read from the document itself: a document this device held before (the
    // member's, from an earlier sign-in) has none in memory.
    ensure_loaded(shared, DocKey::Private(id)).await?;
    for (record, note) in notes {
        write(shared, DocKey::Private(id), std::slice::from_ref(&record), |doc| {
            rapport_core::employee::write_private_note(doc, &record, &note)?;
            Ok(())
        })
        .await?;
    }
    store.set_meta(&replica::private_meta(workspace), &relay.encode()).await?;
    let mut ws = shared.borrow_mut();
    ws.replica.set_private(relay);
    ws.replica.confirm_private();
    drop(ws);
    tell_screens(shared);
    Ok(())
}

/// Lists document `key` in the root's table (once), so other devices discover it.
async fn list_in_root(shared: &Shared, key: DocKey) -> Result<(), LocalError> {
    if shared.borrow().replica.needs_listing(key)? == Some(false) {
        return Ok(());
    }
    ensure_loaded(shared, DocKey::Root).await?;
    if shared.borrow().replica.needs_listing(key)? != Some(true) {
        return Ok(());
    }
    let owner = shared.borrow().replica.workspace;
    // Boxed: `write` calls this function, and an async recursion needs an indirection.
    Box::pin(write(shared, DocKey::Root, &[], |root| {
        workspace::register(root, owner, key)?;
        Ok(())
    }))
    .await
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
        let mut keys: Vec<DocKey> = ws.replica.model.heads.keys().copied().collect();
        if !keys.contains(&DocKey::Root) {
            keys.push(DocKey::Root);
        }
        (ws.store.clone(), ws.replica.workspace, keys)
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
                shared.borrow_mut().replica.compacted(key, snapshot.len());
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

/// Logs an interaction in the document of its month (listed in the root on first use, so other
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

/// Changes the workspace settings (pipelines, members, currencies) in the root document.
pub async fn update_settings(
    shared: &Shared,
    change: impl FnOnce(&mut WorkspaceSettings),
) -> Result<(), LocalError> {
    write(shared, DocKey::Root, &[], |root| {
        workspace::update_settings(root, change)?;
        Ok(())
    })
    .await
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

/// A record as its document holds it, with the fields that hold concurrent values.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord<R> {
    pub record: R,
    pub conflicts: Vec<FieldConflict>,
}

/// Record `id` as its document holds it (`None`: no such record). What a record's page shows;
/// screens never handle the document itself.
pub async fn read_record<R: Record>(
    shared: &Shared,
    id: R::Id,
) -> Result<Option<StoredRecord<R>>, LocalError> {
    let key = id.to_string();
    with_document(shared, R::doc_key(&id), |doc| {
        let Some(record) = document::get::<_, R>(&*doc, &key)? else { return Ok(None) };
        let conflicts = document::conflicts(&*doc, &key)?;
        Ok(Some(StoredRecord { record, conflicts }))
    })
    .await?
}

/// Interaction `id` as stored in document `key` (its month).
pub async fn read_interaction(
    shared: &Shared,
    key: DocKey,
    id: InteractionId,
) -> Result<Option<Interaction>, LocalError> {
    let record = id.to_string();
    Ok(with_document(shared, key, |doc| document::get::<_, Interaction>(&*doc, &record)).await??)
}

/// Who changed which field of record `id`, and when.
pub async fn field_history<R: Record>(
    shared: &Shared,
    id: R::Id,
) -> Result<Vec<FieldChange>, LocalError> {
    let key = id.to_string();
    with_document(shared, R::doc_key(&id), |doc| history::field_history(doc, &key)).await
}

/// Record `id` as it was at `at` (`None`: it did not exist yet).
pub async fn record_as_of<R: Record>(
    shared: &Shared,
    id: R::Id,
    at: Timestamp,
) -> Result<Option<R>, LocalError> {
    let key = id.to_string();
    with_document(shared, R::doc_key(&id), |doc| {
        let old = history::as_of(doc, at).map_err(DocumentError::from)?;
        Ok(document::get::<_, R>(&old, &key)?)
    })
    .await?
}

/// Creates (or replaces) record `id`.
pub async fn create<R: Record>(shared: &Shared, id: R::Id, record: R) -> Result<(), LocalError> {
    let key = id.to_string();
    write(shared, R::doc_key(&id), std::slice::from_ref(&key), |doc| {
        Ok(document::put(doc, &key, &record)?)
    })
    .await
}

/// Creates record `id` unless this device holds it already — one another device made under the same
/// derived id stays as it is, with whatever was done to it since; whether it was created.
pub async fn create_if_absent<R: Record>(
    shared: &Shared,
    id: R::Id,
    record: R,
) -> Result<bool, LocalError> {
    let key = id.to_string();
    let created = std::rc::Rc::new(std::cell::Cell::new(false));
    let told = created.clone();
    write(shared, R::doc_key(&id), std::slice::from_ref(&key), |doc| {
        if document::get::<_, R>(&*doc, &key)?.is_none() {
            document::put(doc, &key, &record)?;
            told.set(true);
        }
        Ok(())
    })
    .await?;
    Ok(created.get())
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

/// Record `id` and its document's heads, read together: what a form is filled from, and where
/// [`update_from`] starts.
pub async fn read_record_at<R: Record>(
    shared: &Shared,
    id: R::Id,
) -> Result<Option<(R, Vec<automerge::ChangeHash>)>, LocalError> {
    let key = id.to_string();
    with_document(shared, R::doc_key(&id), |doc| {
        Ok(document::get::<_, R>(&*doc, &key)?.map(|record| (record, doc.get_heads())))
    })
    .await?
}

/// Changes record `id` as it was at `heads` — what the person saw when they started editing — and
/// merges that with whatever changed since: a text edited from an older version keeps a colleague's
/// changes to it made meanwhile, where a plain [`update`] would diff against them and undo them.
pub async fn update_from<R: Record>(
    shared: &Shared,
    id: R::Id,
    heads: Vec<automerge::ChangeHash>,
    change: impl FnOnce(&mut R),
) -> Result<(), LocalError> {
    let key = id.to_string();
    let me = shared.borrow().replica.me;
    write(shared, R::doc_key(&id), std::slice::from_ref(&key), |doc| {
        let mut fork = doc.fork_at(&heads).map_err(DocumentError::from)?;
        document::update::<_, R, _>(&mut fork, &key, change)?.ok_or(LocalError::NotFound)?;
        rapport_core::history::commit(&mut fork, me, now());
        doc.merge(&mut fork).map_err(DocumentError::from)?;
        Ok(())
    })
    .await
}

/// The second step of opening (see [`LocalWorkspace::open`]): builds the search index and reads the
/// stored interaction rows. Returns the keys of rows that could not be read; those are rebuilt from their
/// documents.
pub async fn finish_opening(shared: &Shared) -> Result<Vec<String>, LocalError> {
    let (store, workspace) = {
        let ws = shared.borrow();
        (ws.store.clone(), ws.replica.workspace)
    };
    let span = Span::start("rapport:open-interactions");
    let (low, high) = interaction_rows_range(workspace);
    let stored = store.load_rows_between(&low, &high).await?;
    let (units, unreadable) = parse_units(workspace, stored);
    span.end();
    let span = Span::start("rapport:open-search-index");
    let rebuild = shared.borrow_mut().replica.add_interaction_units(units, &unreadable);
    span.end();
    for key in rebuild {
        ensure_loaded(shared, key).await?;
        let chunk = shared.borrow_mut().replica.rebuild(key)?;
        save(&store, &chunk).await?;
    }
    Ok(unreadable)
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
        (ws.store.clone(), resume_meta(ws.replica.workspace))
    };
    store.meta(&name).await.ok().flatten().unwrap_or_default()
}

/// Keeps `points` (see [`resume_points`]); a failure only costs a longer first sync after a reload.
pub async fn keep_resume_points(shared: &Shared, points: &str) {
    let (store, name) = {
        let ws = shared.borrow();
        (ws.store.clone(), resume_meta(ws.replica.workspace))
    };
    let _ = store.set_meta(&name, points).await;
}

/// A value this device keeps as JSON beside workspace `shared`'s documents, under `what`; the default
/// if none was kept or it cannot be read.
pub(crate) async fn kept_json<T: serde::de::DeserializeOwned + Default>(
    shared: &Shared,
    what: &str,
) -> T {
    let (store, name) = {
        let ws = shared.borrow();
        (ws.store.clone(), format!("{}/{what}", ws.replica.workspace))
    };
    let kept = store.meta(&name).await.ok().flatten().unwrap_or_default();
    serde_json::from_str(&kept).unwrap_or_default()
}

pub(crate) async fn keep_json<T: serde::Serialize>(
    shared: &Shared,
    what: &str,
    value: &T,
) -> Result<(), StorageError> {
    let (store, name) = {
        let ws = shared.borrow();
        (ws.store.clone(), format!("{}/{what}", ws.replica.workspace))
    };
    let json = serde_json::to_string(value).unwrap_or_default();
    store.set_meta(&name, &json).await
}

/// The work this device handed (or will hand) to the relay, and the ledger as last heard
/// (`rapport_core::outbox::DeviceOutbox`); empty if none was kept or it cannot be read.
pub async fn outbox(shared: &Shared) -> rapport_core::outbox::DeviceOutbox {
    kept_json(shared, "outbox").await
}

/// Keeps `outbox` on the device; only once this resolves is queued work safe from a closed tab.
pub async fn keep_outbox(
    shared: &Shared,
    outbox: &rapport_core::outbox::DeviceOutbox,
) -> Result<(), StorageError> {
    keep_json(shared, "outbox", outbox).await
}

/// The files this device still owes the relay (`rapport_core::attachments::Uploads`); none if
/// nothing was kept or it cannot be read.
pub async fn uploads(shared: &Shared) -> rapport_core::attachments::Uploads {
    kept_json(shared, "uploads").await
}

/// Keeps `uploads` on the device: a file is attached only once this resolves.
pub async fn keep_uploads(
    shared: &Shared,
    uploads: &rapport_core::attachments::Uploads,
) -> Result<(), StorageError> {
    keep_json(shared, "uploads", uploads).await
}

/// Runs `read` on document `key`, loading it from the device first (or starting it empty).
pub async fn with_document<T>(
    shared: &Shared,
    key: DocKey,
    read: impl FnOnce(&mut AutoCommit) -> T,
) -> Result<T, LocalError> {
    ensure_loaded(shared, key).await?;
    let mut ws = shared.borrow_mut();
    Ok(read(ws.replica.document(key)?))
}

/// Applies what the relay sent (`apply` runs the sync protocol on the document), then stores the new
/// changes with the refreshed rows. Returns whether the document changed.
pub async fn merge_remote(
    shared: &Shared,
    key: DocKey,
    apply: impl FnOnce(&mut AutoCommit) -> Result<(), automerge::AutomergeError>,
) -> Result<bool, LocalError> {
    ensure_loaded(shared, key).await?;
    let span = Span::start("rapport:remote-rows");
    let (store, chunk) = {
        let mut ws = shared.borrow_mut();
        let chunk = ws.replica.merge_remote(key, apply)?;
        (ws.store.clone(), chunk)
    };
    span.end();
    let Some(chunk) = chunk else { return Ok(false) };
    // Not acknowledged to anyone, so nothing is lost if this fails: the relay keeps the changes and
    // the next session fetches them again.
    save(&store, &chunk).await?;
    let compaction = shared.borrow_mut().replica.stored(&chunk);
    perform(shared, compaction.into_iter().collect()).await;
    Ok(true)
}

/// Every document of the workspace with content, saved whole (a backup).
pub async fn all_documents(shared: &Shared) -> Result<Vec<(DocKey, Vec<u8>)>, LocalError> {
    ensure_loaded(shared, DocKey::Root).await?;
    // Private notes stay out: a backup file is handed around, and a private document restored into
    // a workspace could reach the relay as a shared one.
    let keys: Vec<DocKey> = shared
        .borrow()
        .replica
        .document_keys()
        .into_iter()
        .filter(|key| !matches!(key, DocKey::Private(_)))
        .collect();
    let mut documents = Vec::with_capacity(keys.len());
    for key in keys {
        let saved = with_document(shared, key, |doc| (!doc.is_empty()).then(|| doc.save())).await?;
        documents.extend(saved.map(|bytes| (key, bytes)));
    }
    Ok(documents)
}

/// Every document's content as plain JSON, with this member's private notes and nobody else's: what
/// a person's export and erasure read (`rapport_core::privacy`).
pub async fn all_contents(shared: &Shared) -> Result<Vec<(DocKey, serde_json::Value)>, LocalError> {
    ensure_loaded(shared, DocKey::Root).await?;
    let keys: Vec<DocKey> = {
        let ws = shared.borrow();
        // Listed by name: the replica lists a private document only while the relay confirms it.
        let mine = ws.replica.private_to_write();
        let keys = ws.replica.document_keys().into_iter();
        keys.filter(|key| !matches!(key, DocKey::Private(_))).chain(mine).collect()
    };
    let mut contents = Vec::with_capacity(keys.len());
    for key in keys {
        contents.push((
            key,
            with_document(shared, key, |doc| rapport_core::backup::content_of(doc)).await?,
        ));
    }
    Ok(contents)
}

/// Carries out an erasure `plan` for the person whose records are `records`, one document after
/// the other (each a durable local edit that syncs like any other).
pub async fn erase_person(
    shared: &Shared,
    plan: &rapport_core::privacy::ErasurePlan,
    records: &std::collections::BTreeSet<PartyId>,
) -> Result<(), LocalError> {
    let by = shared.borrow().replica.me;
    for key in plan.documents() {
        let Ok(key) = key.parse::<DocKey>() else { continue };
        // The records the plan names in this document: their rows are re-read after the change.
        let touched: Vec<String> = with_document(shared, key, |doc| document::keys(doc)).await?;
        write(shared, key, &touched, |doc| {
            rapport_core::privacy::erase(doc, key, plan, records, now(), by)?;
            Ok(())
        })
        .await?;
    }
    Ok(())
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
    let other_workspace = backup.workspace != shared.borrow().replica.workspace;
    let mut restored = Restored { other_workspace, ..Restored::default() };
    for (key, bytes) in backup.documents {
        // A backup never holds private notes (see `all_documents`); one edited by hand to hold them
        // would otherwise be merged as a document that never syncs.
        if (key == DocKey::Root && other_workspace) || matches!(key, DocKey::Private(_)) {
            continue;
        }
        let changed =
            merge_remote(shared, key, |doc| doc.load_incremental(&bytes).map(|_| ())).await?;
        if !changed {
            restored.unchanged += 1;
            continue;
        }
        restored.changed += 1;
        let ledger = shared.borrow_mut().replica.note_unsynced(key, &[]);
        perform(shared, vec![ledger]).await;
        if let Some(on_change) = &shared.borrow().on_change {
            let _ = on_change.unbounded_send(key);
        }
        list_in_root(shared, key).await?;
    }
    Ok(restored)
}

/// Marks the workspace on this device as connected to the relay (or not): a linked workspace syncs
/// whenever the device is online.
pub async fn set_linked(shared: &Shared, linked: bool) -> Result<(), LocalError> {
    let (store, name) = {
        let mut ws = shared.borrow_mut();
        ws.replica.linked = linked;
        (ws.store.clone(), linked_meta(ws.replica.workspace))
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

/// The workspace on this device: the replica, the storage it is kept in, and who is told of changes.
#[derive(Debug)]
pub struct LocalWorkspace {
    store: ChunkStore,
    pub replica: Replica,
    /// Told the key of every document a local edit changed, once the edit is durable (the sync engine
    /// pushes it).
    pub on_change: Option<futures_channel::mpsc::UnboundedSender<DocKey>>,
    /// Told after every local write, once its rows are in the model: the screens read again what changed
    /// (`WorkspaceCtx::changed`).
    pub on_rows: Option<OnRows>,
}

/// The screens and the sync engine read the replica through the workspace.
impl std::ops::Deref for LocalWorkspace {
    type Target = Replica;

    fn deref(&self) -> &Replica {
        &self.replica
    }
}

impl std::ops::DerefMut for LocalWorkspace {
    fn deref_mut(&mut self) -> &mut Replica {
        &mut self.replica
    }
}

const WORKSPACE_META: &str = "workspace";

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
        // show; [`finish_opening`] reads them once the first screen is up.
        let (low, high) = replica::rows_range(workspace);
        let (history_low, history_high) = interaction_rows_range(workspace);
        let mut stored = store.load_rows_between(&low, &history_low).await?;
        stored.extend(store.load_rows_between(&history_high, &high).await?);
        span.end();
        let span = Span::start("rapport:open-build-model");
        let (units, unreadable) = parse_units(workspace, stored);
        report.unreadable_rows = unreadable;
        let ledger = store.meta(&replica::ledger_meta(workspace)).await?;
        let linked = store.meta(&linked_meta(workspace)).await?.as_deref() == Some("yes");
        let private = store.meta(&replica::private_meta(workspace)).await?;
        let private = replica::PrivateDoc::decode(private.as_deref().unwrap_or_default());
        // Rows that could not be read are derived again from their documents by `finish_opening`,
        // after the first screen; nothing is overwritten until that succeeds.
        let replica = Replica::opened(
            workspace,
            units,
            &report.unreadable_rows,
            ledger.as_deref(),
            linked,
            private,
        );
        let mut local = LocalWorkspace::with(store, replica);
        span.end();
        let span = Span::start("rapport:open-settings");
        local.load(DocKey::Root).await?;
        span.end();
        Ok((local, report))
    }

    /// Closes the device storage: every later read or write fails with an error. (A tab must do this
    /// when another tab upgrades the database.)
    pub fn close_storage(&self) {
        self.store.clone().close();
    }

    fn empty(store: ChunkStore, workspace: WorkspaceId) -> LocalWorkspace {
        LocalWorkspace::with(store, Replica::new(workspace))
    }

    fn with(store: ChunkStore, mut replica: Replica) -> LocalWorkspace {
        replica.set_probe(Box::new(edit_phase_span));
        LocalWorkspace { store, replica, on_change: None, on_rows: None }
    }

    /// Loads document `key` (the root brings the settings).
    async fn load(&mut self, key: DocKey) -> Result<(), LocalError> {
        if !self.replica.is_loaded(key) {
            let loaded = self.store.load(key.document_id(self.replica.workspace)).await?;
            self.replica.loaded(key, loaded);
        }
        Ok(())
    }

    /// Makes this device hold workspace `workspace` (the demo, or later a backup) given as whole
    /// documents; what the device held before stays in its own database entries, unused.
    pub async fn adopt(
        &mut self,
        workspace: WorkspaceId,
        documents: Vec<(DocKey, Vec<u8>)>,
    ) -> Result<(), LocalError> {
        self.replica.reset(workspace);
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
        for (key, bytes, rows) in derived {
            let chunk = self.replica.install(key, bytes, rows)?;
            save(&self.store, &chunk).await?;
        }
        Ok(())
    }
}

/// Marks each phase of an edit for the benchmarks (`rapport:edit-change` …).
fn edit_phase_span(phase: EditPhase, started: bool) {
    let name = match phase {
        EditPhase::Change => "rapport:edit-change",
        EditPhase::Encode => "rapport:edit-encode",
        EditPhase::Rows => "rapport:edit-rows",
    };
    crate::timing::phase(name, started);
}
