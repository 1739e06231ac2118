//! A device's sync with the relay: one [`Session`] per page (or native device), across connections,
//! that every driver runs — the browser's engine (`app/src/sync.rs`), the native convergence test and
//! the benches. It holds the conversation ([`SyncClient`]) and what the current connection knows
//! ([`ConnectionState`]), and handles each event — a frame from the relay, a durable local edit, a
//! worker's merge, a tick — over the device's [`Replica`]: which documents to open, resume or push, where
//! a message is taken (page or worker) and whether the relay already has it, what a merge stores, which
//! documents the root's table adds, when a document's edits leave the ledger.
//!
//! The drivers bring what this cannot do: storage ([`Device`]: load a document into the replica, store a
//! chunk, perform writes), the socket ([`Link`]), the event loop, the worker and the clock. The handlers
//! are `async` only to wait on those; they decide nothing between awaits that a native test does not
//! exercise the same way.

use automerge::ChangeHash;
use automerge::sync::Message;

use crate::connection::{ConnectionState, Incoming};
use crate::ids::WorkspaceId;
use crate::layout::{DocKey, DocumentId};
use crate::offload::{Merged, WholeDocument};
use crate::protocol::{PeerId, SenderAccount};
use crate::replica::{Chunk, Replica, Write};
use crate::sync_client::{Event, SyncClient};

/// Where the device's workspace lives, as a [`Session`] needs it.
// The futures are not `Send`: the browser's are not, and every driver runs a session on one thread.
#[allow(async_fn_in_trait)]
pub trait Device {
    type Error: std::fmt::Display;

    /// Runs `f` on the replica. Never held across an await.
    fn with_replica<T>(&self, f: impl FnOnce(&mut Replica) -> T) -> T;

    /// Loads document `key` into the replica unless it is there.
    async fn load(&self, key: DocKey) -> Result<(), Self::Error>;

    /// Stores `chunk` with its rows in one transaction.
    async fn save(&self, chunk: &Chunk) -> Result<(), Self::Error>;

    /// Performs writes the replica returned (each safe to lose), telling it how compactions went.
    async fn perform(&self, writes: Vec<Write>);

    /// Lets the rest of the program run between two documents (the page paints); nothing natively.
    async fn pause(&self) {}

    /// The ledger of unconfirmed edits changed (the relay took some).
    fn ledger_changed(&self) {}
}

/// The socket to the relay, as a [`Session`] needs it.
#[allow(async_fn_in_trait)]
pub trait Link {
    /// Sends one frame; an error means the connection is lost.
    async fn send(&mut self, frame: Vec<u8>) -> Result<(), String>;
}

/// The connection is lost or the relay's frame made no sense: close it and connect again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Lost(pub String);

/// What the driver must do after a frame, beyond what the session did.
#[derive(Debug)]
pub enum Handled {
    Nothing,
    /// Merge this document in a worker (the page stays responsive), then hand the outcome to
    /// [`Session::worker_done`].
    Worker(Box<WorkerJob>),
    /// Presence from a colleague's device on the workspace's root, with the account the relay says
    /// sent it.
    Presence {
        from: PeerId,
        data: Vec<u8>,
        account: Option<SenderAccount>,
    },
    /// The relay refused us; it closes the connection next.
    Refused(String),
}

/// A document arriving whole, for a worker to merge: `job` goes to the worker, `merging` back to
/// [`Session::worker_done`] with the outcome.
#[derive(Debug)]
pub struct WorkerJob {
    pub job: WholeDocument,
    pub merging: Merging,
}

/// The document a worker merges.
#[derive(Debug)]
pub struct Merging {
    pub key: DocKey,
    pub document: DocumentId,
    /// The relay's message, applied on the page if the worker cannot help.
    message: Message,
}

/// Something the user must be told; sync goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// What the relay sent for document `key` could not be stored (it offers it again next time).
    NotStored { key: DocKey, error: String },
    /// Document `key` could not be read from the device.
    NotRead { key: DocKey, error: String },
    /// The relay will not take document `key`, which this device holds.
    Unavailable { key: DocKey },
}

/// A device's sync with the relay (see the module's documentation).
#[derive(Debug)]
pub struct Session {
    workspace: WorkspaceId,
    client: SyncClient,
    connection: ConnectionState,
    notices: Vec<Notice>,
}

impl Session {
    /// A session speaking through `client`, for workspace `workspace`.
    pub fn new(client: SyncClient, workspace: WorkspaceId) -> Session {
        Session {
            workspace,
            client,
            connection: ConnectionState::new(workspace),
            notices: Vec::new(),
        }
    }

    pub fn client(&self) -> &SyncClient {
        &self.client
    }

    /// Starts a connection: its first frame.
    pub fn join(&mut self) -> Vec<u8> {
        self.connection = ConnectionState::new(self.workspace);
        self.client.join()
    }

    /// The connection ended: the conversation keeps only what both sides shared.
    pub fn disconnected(&mut self) {
        self.client.disconnected();
    }

    /// Whether the relay accepted our join on the current connection.
    pub fn is_connected(&self) -> bool {
        self.client.is_connected()
    }

    /// Synced: connected, and no document waits for the relay.
    pub fn synced(&self) -> bool {
        self.connection.synced()
    }

    /// What the user must be told since this was last asked.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Whether to tell the screens of colleagues' changes now (throttled; see [`ConnectionState`]).
    pub fn render_due(&mut self, now_ms: f64, force: bool) -> bool {
        self.connection.render_due(now_ms, force)
    }

    /// Where the conversations stand, to keep, when it is time to (in step, at most every 10 s).
    pub fn resume_points_due(&mut self, now_ms: f64) -> Option<String> {
        self.connection.keep_resume_points_due(now_ms).then(|| self.client.resume_points())
    }

    /// Presence for colleagues on the workspace's root, if connected.
    pub fn presence(&mut self, data: Vec<u8>) -> Option<Vec<u8>> {
        self.client.ephemeral(DocKey::Root.document_id(self.workspace), data)
    }

    /// Handles one frame from the relay.
    pub async fn frame(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
        frame: &[u8],
    ) -> Result<Handled, Lost> {
        let event = self.client.receive(frame).map_err(|error| Lost(error.to_string()))?;
        match event {
            Event::Connected => self.open_all(device, link).await?,
            Event::Sync { document, message } => match self.connection.receive(document, message) {
                Incoming::Unknown | Incoming::Held => {}
                Incoming::Take { key, message, whole } => {
                    if whole && holds_nothing(device, key).await {
                        let job = WholeDocument {
                            key: key.to_string(),
                            state: self.client.state_for(document),
                            message: message.clone().encode(),
                        };
                        self.connection.worker_started(key);
                        let merging = Merging { key, document, message };
                        return Ok(Handled::Worker(Box::new(WorkerJob { job, merging })));
                    }
                    self.take_on_page(device, link, key, document, message).await?;
                }
            },
            Event::Unavailable(document) => {
                if let Some(key) = self.connection.key_of(document) {
                    let empty = heads(device, key).await.is_none_or(|heads| heads.is_empty());
                    self.connection.unavailable(key, empty);
                    if !empty {
                        self.notices.push(Notice::Unavailable { key });
                    }
                }
            }
            Event::Ephemeral { from, document, data, account } => {
                if document == DocKey::Root.document_id(self.workspace) {
                    return Ok(Handled::Presence { from, data, account });
                }
            }
            Event::Ignored => {}
            Event::Refused(reason) => return Ok(Handled::Refused(reason)),
        }
        Ok(Handled::Nothing)
    }

    /// A local edit of document `key` is durable: offered to the relay at once when connected.
    pub async fn local_change(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
        key: DocKey,
    ) -> Result<(), Lost> {
        if !self.client.is_connected() || !device.with_replica(|replica| replica.may_sync(key)) {
            return Ok(());
        }
        self.connection.add(key);
        self.push(device, link, key).await
    }

    /// Asks again for the documents the relay did not have: a colleague's device may have created them
    /// since. (Every few seconds while connected.)
    pub async fn retry_unavailable(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
    ) -> Result<(), Lost> {
        if !self.client.is_connected() {
            return Ok(());
        }
        for id in self.client.retry_unavailable() {
            if let Some(key) = self.connection.key_of(id) {
                self.push(device, link, key).await?;
            }
        }
        Ok(())
    }

    /// A worker is done merging a document (`merged`: its outcome; `None`: it could not help, so the
    /// page takes the message as it would have with no worker). Then the messages about the document
    /// that waited meanwhile are taken, in order.
    pub async fn worker_done(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
        merging: Merging,
        merged: Option<Merged>,
    ) -> Result<(), Lost> {
        let Merging { key, document, message } = merging;
        match merged {
            None => self.merge_on_page(device, link, key, document, message).await?,
            Some(merged) => self.store_worker_merge(device, link, key, document, merged).await?,
        }
        for message in self.connection.worker_finished(key) {
            self.take_on_page(device, link, key, document, message).await?;
        }
        self.settle(device, key).await;
        Ok(())
    }

    /// On connecting: every document the device knows is opened — resumed without loading it when the
    /// device holds exactly what both sides shared when they last spoke (the usual case on every start
    /// of a synced device), offered otherwise.
    async fn open_all(&mut self, device: &impl Device, link: &mut impl Link) -> Result<(), Lost> {
        let keys = device.with_replica(|replica| replica.document_keys());
        for key in keys {
            self.connection.add(key);
            if self.resume_unloaded(device, link, key).await? {
                continue;
            }
            self.push(device, link, key).await?;
            // Loading a document can take tens of milliseconds: let the page breathe between them.
            device.pause().await;
        }
        Ok(())
    }

    /// Opens the conversation about document `key` without loading it, from its stored heads; `false`
    /// when it must be loaded to say where it stands.
    async fn resume_unloaded(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
        key: DocKey,
    ) -> Result<bool, Lost> {
        let Some(heads) = device.with_replica(|replica| replica.stored_heads(key)) else {
            return Ok(false);
        };
        let Some(frame) = self.client.resume_message(key.document_id(self.workspace), &heads)
        else {
            return Ok(false);
        };
        // Synced once the relay confirms it is there too.
        self.connection.offered(key, false);
        link.send(frame).await.map_err(Lost)?;
        Ok(true)
    }

    /// Sends what the relay lacks of document `key`, if anything.
    async fn push(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
        key: DocKey,
    ) -> Result<(), Lost> {
        if let Err(error) = device.load(key).await {
            self.notices.push(Notice::NotRead { key, error: error.to_string() });
            return Ok(());
        }
        let id = key.document_id(self.workspace);
        let client = &mut self.client;
        let offered = device.with_replica(|replica| {
            let doc = replica.document(key).ok()?;
            Some((client.message_for(id, doc), client.relay_has(id, doc)))
        });
        let Some((frame, relay_has)) = offered else { return Ok(()) };
        self.connection.offered(key, relay_has);
        if let Some(frame) = frame {
            link.send(frame).await.map_err(Lost)?;
        }
        Ok(())
    }

    /// Takes the relay's `message` about document `key` on the page, then checks whether the document
    /// is now in step.
    async fn take_on_page(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
        key: DocKey,
        document: DocumentId,
        message: Message,
    ) -> Result<(), Lost> {
        // The relay says it is where we are: nothing to merge, no document to load.
        let stored = device.with_replica(|replica| replica.stored_heads(key));
        let in_step =
            stored.is_some_and(|heads| self.client.take_in_step(document, &heads, &message));
        if !in_step {
            self.merge_on_page(device, link, key, document, message).await?;
        }
        self.settle(device, key).await;
        Ok(())
    }

    /// Applies a sync message on the page, stores what changed with its rows, and answers the relay.
    async fn merge_on_page(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
        key: DocKey,
        document: DocumentId,
        message: Message,
    ) -> Result<(), Lost> {
        if let Err(error) = device.load(key).await {
            self.notices.push(Notice::NotStored { key, error: error.to_string() });
            return Ok(());
        }
        let client = &mut self.client;
        let merged = device.with_replica(|replica| {
            replica.merge_remote(key, |doc| client.apply(document, doc, message))
        });
        match merged {
            Ok(Some(chunk)) => match device.save(&chunk).await {
                Ok(()) => {
                    let compaction = device.with_replica(|replica| replica.stored(&chunk));
                    device.perform(compaction.into_iter().collect()).await;
                    self.connection.rows_changed();
                    if key == DocKey::Root {
                        self.discover(device, link).await?;
                    }
                }
                // Not acknowledged to anyone, so nothing is lost: the relay keeps the changes and the
                // next session fetches them again.
                Err(error) => {
                    self.notices.push(Notice::NotStored { key, error: error.to_string() });
                }
            },
            Ok(None) => {}
            Err(error) => self.notices.push(Notice::NotStored { key, error: error.to_string() }),
        }
        self.push(device, link, key).await
    }

    /// Stores what a worker made of document `key`, then answers the relay as the page would have.
    async fn store_worker_merge(
        &mut self,
        device: &impl Device,
        link: &mut impl Link,
        key: DocKey,
        document: DocumentId,
        merged: Merged,
    ) -> Result<(), Lost> {
        let chunk = device.with_replica(|replica| replica.merged_chunk(key, &merged));
        let stored = match device.save(&chunk).await {
            Ok(()) => match device.with_replica(|replica| replica.merged_stored(key, &merged)) {
                Ok(Some(again)) => device.save(&again).await.map_err(|e| e.to_string()),
                Ok(None) => Ok(()),
                Err(error) => Err(error.to_string()),
            },
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = stored {
            // Not stored, so not taken: the conversation stays as it was, and the relay offers the
            // document again on the next connection.
            self.notices.push(Notice::NotStored { key, error });
            return Ok(());
        }
        self.connection.rows_changed();
        let reply = self
            .client
            .adopt(document, &merged.state, merged.reply)
            .map_err(|error| Lost(error.to_string()))?;
        if let Some(frame) = reply {
            link.send(frame).await.map_err(Lost)?;
        }
        Ok(())
    }

    /// Starts syncing the documents the root's table names that this connection does not know yet (a
    /// colleague created them).
    async fn discover(&mut self, device: &impl Device, link: &mut impl Link) -> Result<(), Lost> {
        let keys = device.with_replica(|replica| replica.document_keys());
        for key in self.connection.undiscovered(keys) {
            self.connection.add(key);
            self.push(device, link, key).await?;
        }
        Ok(())
    }

    /// Once device and relay hold the same history of document `key` (checked after each frame about
    /// it), its edits leave the pending set and the ledger.
    async fn settle(&mut self, device: &impl Device, key: DocKey) {
        if !self.connection.is_pending(key) {
            return;
        }
        let id = key.document_id(self.workspace);
        // In step both ways: "synced" on a new device means it holds what the relay has, too.
        let held = heads(device, key).await.is_some_and(|heads| self.client.in_step_at(id, &heads));
        if !self.connection.settle(key, held) {
            return;
        }
        if let Some(ledger) = device.with_replica(|replica| replica.mark_synced(key)) {
            device.perform(vec![ledger]).await;
            device.ledger_changed();
        }
    }
}

/// The heads of document `key`, loading it only when they are not known otherwise; `None` when it
/// cannot be read.
async fn heads(device: &impl Device, key: DocKey) -> Option<Vec<ChangeHash>> {
    if let Some(heads) = device.with_replica(|replica| replica.stored_heads(key)) {
        return Some(heads);
    }
    device.load(key).await.ok()?;
    device.with_replica(|replica| replica.document(key).ok().map(|doc| doc.get_heads()))
}

/// Whether document `key` holds nothing on this device yet (a new device's documents before their first
/// sync).
async fn holds_nothing(device: &impl Device, key: DocKey) -> bool {
    heads(device, key).await.is_some_and(|heads| heads.is_empty())
}
