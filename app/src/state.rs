//! The workspace as the screens see it: a small `Copy` handle in context.
//!
//! The local workspace lives outside the reactive graph (it is large and mutated in place); a revision
//! signal per kind of rows (`rapport_core::read_model::Changed`) tells the screens when that part of its
//! read model changed, and they derive what they show from it: a screen that reads only tasks
//! (`read_of(Changed::TASKS, …)`) is not run again for a colleague's edit to a deal. Every local write
//! tells the screens itself (`LocalWorkspace::on_rows`); merges from the relay are told by the sync
//! engine, at most every 100 ms.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_i18n::td_string;
use rapport_core::demo::DemoBundle;
use rapport_core::document::Record;
use rapport_core::layout::DocKey;
use rapport_core::read_model::{Changed, ChangedRecords, RecordLog};
use wasm_bindgen::JsCast;

use crate::local::{self, LocalError, LocalWorkspace, Shared, StoredRecord};
use rapport_core::replica::Replica;

/// The IndexedDB database holding this device's workspace.
pub const DATABASE: &str = "rapport";

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Opening,
    Ready,
    Failed(String),
}

/// The revision counting changes that are not rows (the workspace opened, linked), after one per kind.
const REST: usize = Changed::KINDS.len();
/// The revision counting changes to the edits waiting for the relay.
const LEDGER: usize = REST + 1;

#[derive(Debug, Clone, Copy)]
pub struct WorkspaceCtx {
    shared: StoredValue<Option<Shared>, LocalStorage>,
    /// One per kind of [`Changed::KINDS`], one for the rest (the workspace opened, linked), and one for
    /// the edits waiting for the relay ([`WorkspaceCtx::ledger_changed`]).
    revisions: [RwSignal<u64>; LEDGER + 1],
    pub status: RwSignal<Status>,
    /// A problem the user must know about (storage full, a save that failed).
    pub notice: RwSignal<Option<String>>,
    /// What was just logged from a record's page, said on that page once the user is back on it.
    pub logged: RwSignal<Option<String>>,
    /// The records that changed lately, each batch under its number ([`WorkspaceCtx::record_changed`]);
    /// the newest number is `record_batches`' value.
    record_log: StoredValue<RecordLog, LocalStorage>,
    record_batches: RwSignal<u64>,
}

impl WorkspaceCtx {
    /// Creates the handle, puts it in context and starts opening the workspace.
    pub fn provide() -> WorkspaceCtx {
        let ctx = WorkspaceCtx {
            shared: StoredValue::new_local(None),
            revisions: std::array::from_fn(|_| RwSignal::new(0)),
            status: RwSignal::new(Status::Opening),
            notice: RwSignal::new(None),
            logged: RwSignal::new(None),
            record_log: StoredValue::new_local(RecordLog::default()),
            record_batches: RwSignal::new(0),
        };
        provide_context(ctx);
        spawn_local(async move { ctx.open().await });
        ctx
    }

    async fn open(self) {
        match LocalWorkspace::open(DATABASE).await {
            Ok((mut local, report)) => {
                self.report_rebuilt(&report.unreadable_rows);
                // The demo only fills an empty workspace of this device alone: a linked one is fetched from
                // the relay instead.
                let demo = if local.model.parties.is_empty() && !local.linked {
                    fetch_demo().await
                } else {
                    None
                };
                if let Some(bundle) = demo
                    && let Err(error) = adopt_demo(&mut local, bundle).await
                {
                    self.notice.set(Some(error.to_string()));
                }
                // Every local write tells the screens what it changed.
                local.on_rows = Some(local::OnRows(std::rc::Rc::new(move || {
                    self.changed();
                    self.ledger_changed();
                })));
                let shared = std::rc::Rc::new(std::cell::RefCell::new(local));
                self.shared.set_value(Some(shared.clone()));
                self.status.set(Status::Ready);
                crate::timing::mark_once("rapport:workspace-open");
                self.changed_all();
                // Let the lists render first (the next step holds the main thread for a while), then
                // build the search index and read the interactions (timelines, last contact).
                gloo_timers::future::TimeoutFuture::new(0).await;
                match local::finish_opening(&shared).await {
                    Ok(unreadable) => self.report_rebuilt(&unreadable),
                    Err(error) => self.notice.set(Some(error.to_string())),
                }
                self.changed();
            }
            Err(error) => self.status.set(Status::Failed(error.to_string())),
        }
    }

    /// Tells the user which stored lists could not be read (they were rebuilt from the documents).
    fn report_rebuilt(&self, unreadable: &[String]) {
        if !unreadable.is_empty() {
            let lists = unreadable.join(", ");
            let text = td_string!(crate::locale::current(), notice.rebuilt, lists);
            self.notice.set(Some(text.to_string()));
        }
    }

    pub fn use_ctx() -> WorkspaceCtx {
        expect_context::<WorkspaceCtx>()
    }

    /// Reads the workspace, subscribing the caller to every change (the edits waiting for the relay
    /// included). `None` until it is open.
    pub fn read<T>(&self, read: impl FnOnce(&Replica) -> T) -> Option<T> {
        self.revisions[LEDGER].track();
        self.read_of(Changed::ALL, read)
    }

    /// Reads the workspace, subscribing the caller to changes of the rows of `kinds` only (and to its
    /// opening). `None` until it is open.
    pub fn read_of<T>(&self, kinds: Changed, read: impl FnOnce(&Replica) -> T) -> Option<T> {
        for (kind, revision) in Changed::KINDS.iter().zip(&self.revisions) {
            if kinds.touches(*kind) {
                revision.track();
            }
        }
        self.revisions[REST].track();
        self.shared.with_value(|shared| shared.as_ref().map(|shared| read(&shared.borrow())))
    }

    pub fn shared(&self) -> Option<Shared> {
        self.shared.get_value()
    }

    /// Whether this member has a private document to write to now (`local::write_private_note`):
    /// the relay's once its id is heard, or one this device makes for a workspace that does not
    /// sync. A synced workspace whose device has not heard the relay's id yet has nowhere private
    /// to write, and a page says so rather than take what could not be kept.
    pub fn private_writable(&self) -> bool {
        self.read_of(Changed::PRIVATE, |ws| {
            ws.private_to_write().is_some()
                || (!ws.linked && matches!(ws.private(), rapport_core::replica::PrivateDoc::None))
        })
        .unwrap_or(false)
    }

    /// The workspace once it is open: what the user submitted while it was still opening is saved,
    /// not dropped. `None` if it cannot open.
    pub async fn shared_once_open(&self) -> Option<Shared> {
        loop {
            if let Some(shared) = self.shared() {
                return Some(shared);
            }
            if matches!(self.status.get_untracked(), Status::Failed(_)) {
                return None;
            }
            gloo_timers::future::TimeoutFuture::new(50).await;
        }
    }

    /// Tells the screens showing them that rows changed: the kinds the read model recorded since it was
    /// last asked (nothing, if nothing did).
    pub fn changed(&self) {
        // `None` records: the model is busy, so anything may have changed.
        let (changed, records) = self.shared.with_value(|shared| {
            shared.as_ref().map_or((Changed::NOTHING, Some(ChangedRecords::default())), |shared| {
                shared.try_borrow_mut().map_or((Changed::ALL, None), |mut ws| {
                    (ws.model.take_changed(), Some(ws.model.take_changed_records()))
                })
            })
        });
        if let Some(batch) = self.record_log.try_update_value(|log| log.push(records)).flatten() {
            self.record_batches.set(batch);
        }
        for (kind, revision) in Changed::KINDS.iter().zip(&self.revisions) {
            if changed.touches(*kind) {
                revision.update(|r| *r += 1);
            }
        }
    }

    /// The number of the latest batch of changed records, subscribing the caller to the next.
    fn record_batch(&self) -> u64 {
        self.record_batches.get()
    }

    /// Whether record `record` of document `key` may have changed after batch `since`.
    fn record_changed(&self, since: u64, key: DocKey, record: &str) -> bool {
        self.record_log.with_value(|log| log.changed_since(since, key, record))
    }

    /// Tells the screens that show it that the edits waiting for the relay changed (one was made, the
    /// relay took some).
    pub fn ledger_changed(&self) {
        self.revisions[LEDGER].update(|r| *r += 1);
    }

    /// Tells every screen to read again: what changed is not rows (the workspace opened, was linked).
    pub fn changed_all(&self) {
        self.changed();
        for revision in &self.revisions {
            revision.update(|r| *r += 1);
        }
    }

    /// Settles a form's save: on success clears the form's `error` and tells the screens; on failure
    /// shows why in the form and in the notice (the caller keeps the user's input). Returns whether it
    /// was saved.
    pub fn settle(&self, result: Result<(), LocalError>, error: RwSignal<Option<String>>) -> bool {
        match result {
            Ok(()) => {
                error.set(None);
                self.changed();
                true
            }
            Err(failure) => {
                error.set(Some(not_saved(&failure)));
                self.report(&failure);
                false
            }
        }
    }

    /// Shows a failed save to the user; the caller keeps their input.
    pub fn report(&self, error: &LocalError) {
        self.notice.set(Some(not_saved(error)));
        self.changed();
    }
}

/// What a record's page works from: the record the route's `:id` names, read again whenever it
/// changes ([`watch_record`]), and what to tell the user when it cannot be shown — the link names no
/// record (`bad_link`), or this device does not have it (`missing`) or cannot read it.
#[derive(Debug)]
pub struct RecordRoute<R: Record + Send + Sync + 'static>
where
    R::Id: Send + Sync + 'static,
{
    pub id: Memo<Option<R::Id>>,
    pub loaded: RwSignal<Option<Result<StoredRecord<R>, String>>>,
    /// The record, while it is read.
    pub record: Memo<Option<R>>,
    pub failure: Signal<Option<String>>,
}

impl<R> RecordRoute<R>
where
    R: Record + Clone + PartialEq + Send + Sync + 'static,
    R::Id: PartialEq + Send + Sync + 'static,
{
    pub fn new(
        missing: &'static str,
        bad_link: impl Fn() -> String + Send + Sync + 'static,
    ) -> Self {
        let params = leptos_router::hooks::use_params_map();
        let id = Memo::new(move |_| {
            params.with(|p| p.get("id").and_then(|id| id.parse::<R::Id>().ok()))
        });
        let loaded = watch_record::<R>(id, missing);
        let record =
            Memo::new(move |_| loaded.get().and_then(Result::ok).map(|found| found.record));
        let failure = Signal::derive(move || match (id.get(), loaded.get()) {
            (None, _) => Some(bad_link()),
            (_, Some(Err(error))) => Some(error),
            _ => None,
        });
        RecordRoute { id, loaded, record, failure }
    }
}

/// A record read from its document and read again whenever records of its kind change (a colleague's
/// edit arrives, a save completes). `None` while reading; `Err` with words for the user when the id is not on
/// this device or its document cannot be read.
pub fn watch_record<R>(
    id: Memo<Option<R::Id>>,
    missing: &'static str,
) -> RwSignal<Option<Result<StoredRecord<R>, String>>>
where
    R: Record + Clone + PartialEq + Send + Sync + 'static,
    R::Id: PartialEq + Send + Sync + 'static,
{
    let ctx = WorkspaceCtx::use_ctx();
    let loaded = RwSignal::new(None::<Result<StoredRecord<R>, String>>);
    // The record last read, and the batch of changed records it was read after.
    let read_at = StoredValue::new(None::<(R::Id, u64)>);
    Effect::new(move || {
        let Some(id) = id.get() else { return };
        let batch = ctx.record_batch();
        // Again when the workspace opens (or is linked).
        ctx.read_of(Changed::NOTHING, |_| ());
        let Some(shared) = ctx.shared() else { return };
        // Again when this record changed (a colleague's edit to it, a save) — not for every change of
        // its kind.
        let unchanged = read_at.get_value().is_some_and(|(read, since)| {
            read == id && !ctx.record_changed(since, R::doc_key(&id), &id.to_string())
        });
        read_at.set_value(Some((id, batch)));
        if unchanged {
            return;
        }
        spawn_local(async move {
            let result = match local::read_record::<R>(&shared, id).await {
                Ok(Some(found)) => Ok(found),
                Ok(None) => Err(missing.to_owned()),
                Err(error) => Err(error.to_string()),
            };
            if loaded.get_untracked().as_ref() != Some(&result) {
                loaded.set(Some(result));
            }
        });
    });
    loaded
}

/// The demo workspace, if the relay was started with `--demo`.
///
/// The relay holds the request while it prepares the demo; a 503 (it is still busy) is retried a few times.
async fn fetch_demo() -> Option<DemoBundle> {
    let window = web_sys::window()?;
    for _attempt in 0..5 {
        let response =
            wasm_bindgen_futures::JsFuture::from(window.fetch_with_str("/api/demo")).await.ok()?;
        let response: web_sys::Response = response.dyn_into().ok()?;
        match response.status() {
            200 => {
                let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer().ok()?)
                    .await
                    .ok()?;
                return DemoBundle::decode(&js_sys::Uint8Array::new(&buffer).to_vec()).ok();
            }
            503 => gloo_timers::future::TimeoutFuture::new(2_000).await,
            // 204: the relay offers no demo; anything else: none to be had.
            _ => return None,
        }
    }
    None
}

/// Makes the demo this device's own workspace: every browser's demo gets its own id, so anyone may upload
/// theirs without finding the id taken.
async fn adopt_demo(local: &mut LocalWorkspace, bundle: DemoBundle) -> Result<(), LocalError> {
    let workspace = rapport_core::ids::WorkspaceId::generate(&mut crate::local::BrowserIds);
    let mut documents = Vec::with_capacity(bundle.documents.len());
    for (key, bytes) in bundle.documents {
        let Ok(key) = key.parse::<DocKey>() else { continue };
        let bytes = if key == DocKey::Root {
            let mut root = rapport_core::document::load_document(&bytes)?;
            rapport_core::workspace::rehome(&mut root, workspace)?;
            root.save()
        } else {
            bytes
        };
        documents.push((key, bytes));
    }
    local.adopt(workspace, documents).await
}

/// "Not saved: …" in the screens' language; the cases a user can act on are translated, a
/// storage engine's own words stay as the browser gave them.
fn not_saved(error: &LocalError) -> String {
    use crate::storage::StorageError;
    let locale = crate::locale::current();
    let reason = match error {
        LocalError::Storage(StorageError::QuotaExceeded) => {
            td_string!(locale, notice.quota).to_string()
        }
        LocalError::NotFound => td_string!(locale, notice.not_found).to_string(),
        other => other.to_string(),
    };
    td_string!(locale, notice.not_saved, reason).to_string()
}
