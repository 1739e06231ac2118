//! The workspace on this device: documents in IndexedDB, loaded only when a record in them is edited,
//! and the read model the screens read.
//!
//! Opening reads the stored read-model rows (about a hundred IndexedDB records) and no document. An edit
//! loads the one document holding the record, changes it, and stores the increment together with the
//! document's refreshed rows in one transaction; the edit is reported done only after that commits.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use automerge::AutoCommit;
use rapport_core::chunks::ChunkKind;
use rapport_core::document::{self, DocumentError, Record};
use rapport_core::history;
use rapport_core::ids::{IdSource, MemberId, Timestamp, WorkspaceId};
use rapport_core::layout::DocKey;
use rapport_core::model::WorkspaceSettings;
use rapport_core::read_model::{DocRows, ReadModel};
use rapport_core::workspace;

use crate::storage::{ChunkStore, StorageError};

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
    increment: Vec<u8>,
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
    let loaded = store.load(id).await?;
    let doc = match loaded.document {
        Some(doc) => doc,
        None => workspace::stamped(&key)?,
    };
    shared.borrow_mut().docs.entry(key).or_insert(doc);
    Ok(())
}

/// Runs `change` on document `key` and resolves once the change and the refreshed rows are durable.
/// If storing fails, the in-memory change is undone (the document is read back from the device), so the
/// screen never shows as saved what is not; the caller shows the error and keeps the user's input.
pub async fn write(
    shared: &Shared,
    key: DocKey,
    change: impl FnOnce(&mut AutoCommit) -> Result<(), LocalError>,
) -> Result<(), LocalError> {
    ensure_loaded(shared, key).await?;
    let (store, save) = {
        let mut ws = shared.borrow_mut();
        let save = ws.apply(key, change)?;
        (ws.store.clone(), save)
    };
    let result = store
        .save_with_rows(
            save.document,
            ChunkKind::Incremental,
            &save.increment,
            &save.rows_key,
            &save.rows,
        )
        .await;
    if let Err(error) = result {
        shared.borrow_mut().docs.remove(&key);
        ensure_loaded(shared, key).await?;
        let mut ws = shared.borrow_mut();
        let ws = &mut *ws;
        if let Some(doc) = ws.docs.get_mut(&key) {
            ws.model.replace_document(key, doc);
        }
        return Err(error.into());
    }
    Ok(())
}

/// Creates (or replaces) record `id`.
pub async fn create<R: Record>(shared: &Shared, id: R::Id, record: R) -> Result<(), LocalError> {
    write(shared, R::doc_key(&id), move |doc| Ok(document::put(doc, &id.to_string(), &record)?))
        .await
}

/// Changes record `id` in place.
pub async fn update<R: Record>(
    shared: &Shared,
    id: R::Id,
    change: impl FnOnce(&mut R),
) -> Result<(), LocalError> {
    write(shared, R::doc_key(&id), move |doc| {
        document::update::<_, R, _>(doc, &id.to_string(), change)?.ok_or(LocalError::NotFound)
    })
    .await
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
    pub me: Option<MemberId>,
}

const WORKSPACE_META: &str = "workspace";

/// Rows are stored per workspace and document, so adopting another workspace never mixes the two.
fn rows_key(workspace: WorkspaceId, key: DocKey) -> String {
    format!("{workspace}/{key}")
}

impl LocalWorkspace {
    /// Opens the workspace stored in database `name`, creating an empty one on first use.
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
                let settings =
                    WorkspaceSettings { name: "My workspace".into(), ..Default::default() };
                let documents = workspace::create(workspace, &settings)?;
                local
                    .install_documents(documents.into_iter().map(|(k, mut d)| (k, d.save())))
                    .await?;
                store.set_meta(WORKSPACE_META, &workspace.to_string()).await?;
                workspace
            }
        };
        let mut units = Vec::new();
        let prefix = format!("{workspace}/");
        for (key, bytes) in store.load_rows().await? {
            let Some(key) = key.strip_prefix(&prefix).map(str::to_owned) else { continue };
            let parsed =
                key.parse::<DocKey>().ok().zip(bytes.and_then(|b| DocRows::decode(&b).ok()));
            match parsed {
                Some(unit) => units.push(unit),
                None => report.unreadable_rows.push(key),
            }
        }
        let mut local = LocalWorkspace::empty(store, workspace);
        local.model = ReadModel::from_units(units);
        // Rows that could not be read are derived again from their document; nothing is overwritten
        // until that succeeds.
        for key in report.unreadable_rows.clone() {
            if let Ok(key) = key.parse::<DocKey>() {
                local.rebuild_rows(key).await?;
            }
        }
        local.settings = local.load_settings().await?;
        Ok((local, report))
    }

    fn empty(store: ChunkStore, workspace: WorkspaceId) -> LocalWorkspace {
        LocalWorkspace {
            store,
            workspace,
            settings: WorkspaceSettings::default(),
            model: ReadModel::default(),
            docs: HashMap::new(),
            me: None,
        }
    }

    async fn load_settings(&mut self) -> Result<WorkspaceSettings, LocalError> {
        let root = self.document(DocKey::Root).await?;
        Ok(workspace::settings(root).unwrap_or_default())
    }

    /// The document `key`, loaded from the device on first use.
    async fn document(&mut self, key: DocKey) -> Result<&mut AutoCommit, LocalError> {
        if !self.docs.contains_key(&key) {
            let loaded = self.store.load(key.document_id(self.workspace)).await?;
            let doc = match loaded.document {
                Some(doc) => doc,
                None => workspace::stamped(&key)?,
            };
            self.docs.insert(key, doc);
        }
        Ok(self.docs.get_mut(&key).expect("inserted above"))
    }

    async fn rebuild_rows(&mut self, key: DocKey) -> Result<(), LocalError> {
        self.document(key).await?;
        let doc = self.docs.get_mut(&key).expect("loaded above");
        let rows = self.model.replace_document(key, doc);
        let snapshot = doc.save();
        self.store
            .save_with_rows(
                key.document_id(self.workspace),
                ChunkKind::Snapshot,
                &snapshot,
                &rows_key(self.workspace, key),
                &rows.encode(),
            )
            .await?;
        Ok(())
    }

    /// Applies `change` to the (loaded) document `key` and returns what must be stored: the increment
    /// and the document's refreshed rows. The read model already shows the change.
    fn apply(
        &mut self,
        key: DocKey,
        change: impl FnOnce(&mut AutoCommit) -> Result<(), LocalError>,
    ) -> Result<PendingSave, LocalError> {
        let doc = self.docs.get_mut(&key).ok_or(LocalError::NotFound)?;
        let before = doc.get_heads();
        change(doc)?;
        history::commit(doc, self.me, now());
        let increment = doc.save_incremental();
        let rows = self.model.refresh_since(key, doc, &before);
        Ok(PendingSave {
            document: key.document_id(self.workspace),
            increment,
            rows_key: rows_key(self.workspace, key),
            rows: rows.encode(),
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
        self.install_documents(documents).await?;
        self.store.set_meta(WORKSPACE_META, &workspace.to_string()).await?;
        Ok(())
    }

    /// Stores whole documents (saved bytes) and their rows, replacing what the device had for them.
    pub async fn install_documents(
        &mut self,
        documents: impl IntoIterator<Item = (DocKey, Vec<u8>)>,
    ) -> Result<(), LocalError> {
        for (key, bytes) in documents {
            let mut doc = document::load_document(&bytes)?;
            let rows = self.model.replace_document(key, &mut doc);
            self.store
                .save_with_rows(
                    key.document_id(self.workspace),
                    ChunkKind::Snapshot,
                    &bytes,
                    &key.to_string(),
                    &rows.encode(),
                )
                .await?;
            self.docs.insert(key, doc);
        }
        if self.docs.contains_key(&DocKey::Root) {
            self.settings = self.load_settings().await?;
        }
        Ok(())
    }
}
