//! The sync socket: `GET /api/sync?ticket=…` upgrades to a websocket speaking the automerge-repo
//! protocol v1 (`rapport_core::protocol`), on `automerge::sync`.
//!
//! Before the upgrade: the `Origin` (when a browser sends one) must be this relay's own, the ticket
//! must be unused, unexpired and its holder still a member, and the account may not hold more sockets
//! than [`crate::Limits::sockets_per_account`] — otherwise 401/403/429 and no socket. The socket is bound to
//! that account and workspace for its life.
//!
//! Every workspace has a namespace of its own: documents are keyed by (workspace, document id), so
//! nobody outside a workspace can touch, claim or even detect its documents (ids derive from the
//! workspace id, so they are guessable). Inside its workspace a writer's first sync of an id creates
//! the document; a request for one that does not exist gets `doc-unavailable`. Viewers read; a sync
//! message of theirs that carries changes is refused and their connection closed. Changes are
//! appended to the database before anything is sent back, so whatever a peer has seen acknowledged is
//! on disk; a change the database refuses (disk full) takes the document out of memory and closes
//! every socket syncing it, so nobody is served what was not stored. A panic while handling one
//! document does the same, and touches nobody else. A malformed frame, an oversized one or a protocol
//! violation closes that one connection with an `error` message.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use automerge::Automerge;
use automerge::sync::{self as am_sync, SyncDoc};
use axum::extract::ws::{Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rapport_core::inflate;
use rapport_core::layout::{DocKey, DocumentId};
use rapport_core::outbox::OUTBOX_CHANGED;
use rapport_core::protocol::{
    MAX_FRAME_BYTES, MAX_SYNC_DATA_BYTES, MAX_TEXT_BYTES, Message, PROTOCOL_VERSION, PeerMetadata,
    RemoteHeads, SenderAccount, encode_sync_message_in_parts,
};
use serde::Deserialize;
use tokio::sync::{Mutex, OwnedMutexGuard, mpsc};

use crate::AppState;
use crate::accounts::{hash_token, unix_seconds};
use crate::store::{self, Account, Claim, Membership};

/// The relay's peer id in the protocol.
pub const RELAY_PEER_ID: &str = "rapport-relay";
/// How long a new socket may take to send `join`.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest frame before `join`: a join is a few hundred bytes, so a stranger's first frame is never
/// decoded from megabytes.
const MAX_JOIN_FRAME_BYTES: usize = 4 * 1024;
/// A socket silent for this long is closed unless configured otherwise (`--idle-timeout-secs`); devices
/// announce presence every 10 s, so only dead connections stay silent this long.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Frames queued for one slow connection before it is closed rather than slowing everyone (bytes are
/// bounded too: [`crate::Limits::outbox_bytes`]).
const OUTBOX: usize = 1024;
/// Bytes read from a socket at a time (see `upgrade`).
const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Messages one connection may send: a burst of this many, refilled at [`RATE_PER_SECOND`]. A device
/// catching up sends one sync message per document and round; typing presence a few per second.
const RATE_BURST: f64 = 2_000.0;
const RATE_PER_SECOND: f64 = 500.0;
/// A document's stored chunks are compacted into one snapshot once at least this many were appended
/// since the last one and they take more bytes than it.
const COMPACT_AFTER_CHUNKS: usize = 32;

/// A document in one workspace's namespace.
type Key = (Arc<str>, DocumentId);

/// Documents being synced, in memory, with the sync state of every connection syncing each.
#[derive(Debug, Default, Clone)]
pub struct Hub {
    /// Never held across an await: a document is loaded, synced and left under its own lock.
    documents: Arc<std::sync::Mutex<HashMap<Key, Arc<Mutex<LiveDocument>>>>>,
    next_connection: Arc<AtomicU64>,
    /// Open sockets by connection: whose they are, and how to end them.
    sockets: Arc<std::sync::Mutex<HashMap<u64, OpenSocket>>>,
    /// Counters for `/metrics`.
    pub(crate) counters: Arc<Counters>,
    /// This relay's storage id, read from the database once (`store::relay_storage_id`).
    storage_id: Arc<tokio::sync::OnceCell<String>>,
    /// Bytes each workspace's documents take in storage, summed from the database the first time a
    /// workspace's document grows and kept up to date from then on (appends and compactions).
    workspace_bytes: Arc<std::sync::Mutex<HashMap<Arc<str>, Arc<AtomicU64>>>>,
}

/// What `/metrics` reports besides gauges read from the hub.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) messages_received: AtomicU64,
    pub(crate) messages_sent: AtomicU64,
    pub(crate) storage_errors: AtomicU64,
    pub(crate) connections_refused: AtomicU64,
    pub(crate) documents_failed: AtomicU64,
    pub(crate) slow_sockets_closed: AtomicU64,
    pub(crate) compactions: AtomicU64,
    pub(crate) documents_refused: AtomicU64,
}

#[derive(Debug)]
struct OpenSocket {
    workspace: Arc<str>,
    account: i64,
    kick: Arc<Kick>,
}

/// Ends one socket from elsewhere (its member was removed, a document it syncs failed, it stopped
/// reading), with the reason it is told.
#[derive(Debug, Default)]
struct Kick {
    notify: tokio::sync::Notify,
    reason: std::sync::Mutex<Option<String>>,
}

impl Kick {
    fn kick(&self, reason: &str) {
        let mut first = self.reason.lock().unwrap_or_else(|poison| poison.into_inner());
        if first.is_none() {
            *first = Some(reason.to_owned());
        }
        self.notify.notify_one();
    }

    fn reason(&self) -> String {
        self.reason
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
            .unwrap_or_else(|| "closed by the relay".into())
    }
}

impl Hub {
    /// Open sync sockets.
    pub(crate) fn connections(&self) -> usize {
        self.sockets.lock().unwrap_or_else(|poison| poison.into_inner()).len()
    }

    /// Documents held in memory (some connection is syncing them).
    pub(crate) fn documents_in_memory(&self) -> usize {
        self.documents.lock().unwrap_or_else(|poison| poison.into_inner()).len()
    }

    /// Registers a socket of `account` in `workspace` before it is upgraded, unless the account or the
    /// relay holds as many as it may. Counting and registering under one lock: two upgrades at once
    /// cannot both pass a check that only one of them fits.
    fn admit(
        &self,
        account: i64,
        workspace: Arc<str>,
        limits: &crate::Limits,
    ) -> Result<Admission, &'static str> {
        let mut sockets = self.sockets.lock().unwrap_or_else(|poison| poison.into_inner());
        if sockets.len() >= limits.sync_sockets {
            return Err("the relay holds as many sync sockets as it may; try again later");
        }
        if sockets.values().filter(|s| s.account == account).count() >= limits.sockets_per_account {
            return Err("this account has too many sync sockets open");
        }
        let connection = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let kick = Arc::new(Kick::default());
        sockets.insert(connection, OpenSocket { workspace, account, kick: kick.clone() });
        Ok(Admission { hub: self.clone(), connection, kick })
    }

    /// Ends at once every open socket of `account` in `workspace` (they were removed from it).
    pub fn revoke(&self, workspace: &str, account: i64) {
        self.kick_where(
            |s| &*s.workspace == workspace && s.account == account,
            "your access to this workspace was removed",
        );
    }

    /// Ends at once every open socket of `account`, in every workspace (it signed out everywhere or
    /// changed its password: a stolen session's sockets must not outlive it).
    pub fn revoke_account(&self, account: i64, reason: &str) {
        self.kick_where(|s| s.account == account, reason);
    }

    /// Ends every open socket `which` picks, telling it why.
    fn kick_where(&self, which: impl Fn(&OpenSocket) -> bool, reason: &str) {
        let sockets = self.sockets.lock().unwrap_or_else(|poison| poison.into_inner());
        for socket in sockets.values().filter(|s| which(s)) {
            socket.kick.kick(reason);
        }
    }

    /// Ends socket `connection`, telling it why.
    fn kick(&self, connection: u64, reason: &str) {
        let sockets = self.sockets.lock().unwrap_or_else(|poison| poison.into_inner());
        if let Some(socket) = sockets.get(&connection) {
            socket.kick.kick(reason);
        }
    }

    /// Tells every device syncing `workspace` that its outbox ledger changed: an ephemeral message
    /// from the relay itself on the workspace's root, carrying [`OUTBOX_CHANGED`]. Devices then ask
    /// for the changes (over HTTP, with their authorisation) — the message itself says nothing more.
    pub(crate) async fn outbox_changed(&self, workspace: &str) {
        let Ok(id) = workspace.parse::<rapport_core::ids::WorkspaceId>() else { return };
        let key: Key = (Arc::from(workspace), DocKey::Root.document_id(id));
        let Some(slot) = self.held(&key) else { return };
        let live = slot.lock().await;
        if live.evicted {
            return;
        }
        let count = self.counters.messages_sent.load(Ordering::Relaxed);
        for peer in live.peers.values() {
            let frame = Message::Ephemeral {
                sender_id: RELAY_PEER_ID.into(),
                target_id: peer.peer_id.clone(),
                count,
                session_id: RELAY_PEER_ID.into(),
                document_id: key.1,
                data: OUTBOX_CHANGED.to_vec(),
                sender_account: None,
            }
            .encode();
            // Best effort, like presence: the device also looks now and then.
            if peer.outbox.push(frame).is_ok() {
                self.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The live document `key`, if some connection holds it.
    fn held(&self, key: &Key) -> Option<Arc<Mutex<LiveDocument>>> {
        let documents = self.documents.lock().unwrap_or_else(|poison| poison.into_inner());
        documents.get(key).cloned()
    }

    /// The live document `key`, created (unloaded) if nobody holds it.
    fn slot(&self, key: &Key) -> Arc<Mutex<LiveDocument>> {
        let mut documents = self.documents.lock().unwrap_or_else(|poison| poison.into_inner());
        documents.entry(key.clone()).or_default().clone()
    }

    /// Takes `live` (whose lock the caller holds) out of the hub: whoever waits for it finds it evicted
    /// and starts again from storage.
    fn evict(&self, key: &Key, slot: &Arc<Mutex<LiveDocument>>, live: &mut LiveDocument) {
        live.evicted = true;
        let mut documents = self.documents.lock().unwrap_or_else(|poison| poison.into_inner());
        if documents.get(key).is_some_and(|held| Arc::ptr_eq(held, slot)) {
            documents.remove(key);
        }
    }
}

/// A sync socket counted and registered in the hub (so that it can be kicked) from before its upgrade
/// until it ends, or until the upgrade fails.
struct Admission {
    hub: Hub,
    connection: u64,
    kick: Arc<Kick>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut sockets = self.hub.sockets.lock().unwrap_or_else(|poison| poison.into_inner());
        sockets.remove(&self.connection);
    }
}

#[derive(Debug, Default)]
struct LiveDocument {
    /// Read from storage (a new slot is not, until the first connection that locks it loads it).
    loaded: bool,
    /// Out of the hub: a connection that finds this takes a fresh slot.
    evicted: bool,
    doc: Automerge,
    peers: HashMap<u64, Peer>,
    /// The heads last announced for this document per storage id (heads gossip), so only a change is.
    gossiped: HashMap<String, Vec<automerge::ChangeHash>>,
    stored: StoredSize,
    /// Bytes of changes received that Automerge holds back because a change they depend on is missing
    /// (they are neither applied nor stored). A peer's bloom filter can cause a few; a peer sending
    /// orphans on purpose would grow memory without bound, so they count against the document's size.
    unapplied: u64,
}

/// What a document takes in storage, to enforce its size limit and decide when to compact it.
#[derive(Debug, Default, Clone, Copy)]
struct StoredSize {
    /// Bytes of the first chunk (a snapshot once compacted).
    base: u64,
    /// Bytes and count of the chunks appended after it.
    increments: u64,
    increment_chunks: usize,
}

impl StoredSize {
    fn total(self) -> u64 {
        self.base + self.increments
    }

    fn wants_compaction(self) -> bool {
        self.increment_chunks >= COMPACT_AFTER_CHUNKS && self.increments > self.base
    }
}

#[derive(Debug)]
struct Peer {
    peer_id: String,
    state: am_sync::State,
    outbox: Outbox,
    /// The storage id its peer announced in `join` (none for an ephemeral peer).
    storage_id: Option<String>,
    /// Storage ids whose heads its peer asked to hear about (`remote-subscription-change`).
    subscriptions: Subscriptions,
}

/// Frames waiting to be written to one socket, bounded in count and in bytes: a peer that stops
/// reading is closed, never waited for.
#[derive(Debug, Clone)]
struct Outbox {
    frames: mpsc::Sender<Vec<u8>>,
    queued_bytes: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// The outbox is full or its socket is gone.
#[derive(Debug)]
struct NotReading;

impl Outbox {
    fn push(&self, frame: Vec<u8>) -> Result<(), NotReading> {
        let bytes = frame.len();
        let queued = self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        if queued + bytes > self.max_bytes || self.frames.try_send(frame).is_err() {
            self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            return Err(NotReading);
        }
        Ok(())
    }
}

/// A connection's heads-gossip subscriptions, shared by its session and its entries in live documents.
type Subscriptions = Arc<std::sync::Mutex<HashSet<String>>>;
/// Storage ids one connection may subscribe to at once.
const MAX_SUBSCRIPTIONS: usize = 1_000;
/// The largest ephemeral message passed on to other peers.
const MAX_EPHEMERAL_BYTES: usize = 64 * 1024;
/// Storage ids whose heads one live document remembers having announced.
const MAX_GOSSIPED: usize = 4_096;
/// The longest storage id accepted (automerge-repo's are UUIDs).
const MAX_STORAGE_ID_BYTES: usize = 128;

#[derive(Debug, Deserialize)]
pub(crate) struct TicketQuery {
    ticket: Option<String>,
}

pub(crate) async fn upgrade(
    State(state): State<AppState>,
    hold: Option<axum::Extension<crate::server::AddressHold>>,
    headers: HeaderMap,
    Query(query): Query<TicketQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    if !crate::origin::websocket_origin_allowed(&headers, state.public_origin.as_deref()) {
        return (StatusCode::FORBIDDEN, "cross-origin sync is not allowed").into_response();
    }
    let Some(ticket) = query.ticket.filter(|t| !t.is_empty() && t.len() <= 128) else {
        return (StatusCode::UNAUTHORIZED, "a sync ticket is required").into_response();
    };
    let ticket_hash = hash_token(&ticket);
    let now = unix_seconds();
    let holder = state.store.run(move |db| store::consume_ticket(db, &ticket_hash, now)).await;
    let (account, membership) = match holder {
        Ok(Some(holder)) => holder,
        Ok(None) => {
            state.hub.counters.connections_refused.fetch_add(1, Ordering::Relaxed);
            return (StatusCode::UNAUTHORIZED, "the ticket is unknown, used or expired")
                .into_response();
        }
        Err(error) => {
            tracing::error!(%error, "ticket check failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    fault::delay_before_register().await;
    let workspace: Arc<str> = membership.workspace.as_str().into();
    let admission = match state.hub.admit(account.id, workspace, &state.limits) {
        Ok(admission) => admission,
        Err(why) => {
            state.hub.counters.connections_refused.fetch_add(1, Ordering::Relaxed);
            return (StatusCode::TOO_MANY_REQUESTS, why).into_response();
        }
    };
    // Reads are staged through this buffer, not limited by it: tungstenite's default of 128 KiB per
    // connection made a thousand idle sockets cost 128 MB.
    ws.max_message_size(MAX_FRAME_BYTES).read_buffer_size(READ_BUFFER_BYTES).on_upgrade(
        move |socket| {
            let held = (admission, hold);
            serve(state, socket, held, account, membership)
        },
    )
}

/// Why a connection is being closed.
struct Closing(String);

async fn serve(
    state: AppState,
    socket: WebSocket,
    (admission, hold): (Admission, Option<axum::Extension<crate::server::AddressHold>>),
    account: Account,
    membership: Membership,
) {
    let connection = admission.connection;
    let (mut sink, mut stream) = futures_util::StreamExt::split(socket);
    let (frames, mut outgoing) = mpsc::channel::<Vec<u8>>(OUTBOX);
    let outbox =
        Outbox { frames, queued_bytes: Arc::default(), max_bytes: state.limits.outbox_bytes };
    let workspace: Arc<str> = membership.workspace.as_str().into();
    let kick = admission.kick.clone();
    let queued_bytes = outbox.queued_bytes.clone();
    let write_timeout = state.limits.write_timeout;
    let (hub, writer_kick) = (state.hub.clone(), kick.clone());
    let writer = tokio::spawn(async move {
        use futures_util::SinkExt;
        while let Some(frame) = outgoing.recv().await {
            let bytes = frame.len();
            let sent = tokio::time::timeout(write_timeout, sink.send(Frame::Binary(frame.into())));
            let sent = sent.await;
            queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break,
                Err(_) => {
                    hub.counters.slow_sockets_closed.fetch_add(1, Ordering::Relaxed);
                    writer_kick.kick("the device did not read what the relay sent");
                    // Closing would wait on the same stuck socket: dropping it is the end.
                    return;
                }
            }
        }
        let _ = tokio::time::timeout(write_timeout, sink.close()).await;
    });
    let mut session = Session {
        state,
        connection,
        account,
        workspace,
        membership,
        outbox,
        peer_id: None,
        storage_id: None,
        relay_storage_id: String::new(),
        subscriptions: Subscriptions::default(),
        joined: HashSet::new(),
    };
    tracing::info!(connection, account = session.account.id, workspace = %session.workspace, "sync socket open");
    let outcome = session.run(&mut stream, &kick).await;
    drop((admission, hold));
    if let Err(Closing(mut reason)) = outcome {
        tracing::info!(connection, %reason, "closing sync socket");
        // Within what every peer's decoder accepts (an error quoting a peer's input can be long).
        if reason.len() > MAX_TEXT_BYTES {
            let mut end = MAX_TEXT_BYTES - 3;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
            reason.push('…');
        }
        let _ = session.send(&Message::Error { message: reason });
    }
    session.leave_all().await;
    drop(session);
    let _ = writer.await;
}

struct Session {
    state: AppState,
    connection: u64,
    account: Account,
    workspace: Arc<str>,
    membership: Membership,
    outbox: Outbox,
    /// Set by `join`.
    peer_id: Option<String>,
    /// The storage id the peer announced in `join`, if it keeps one.
    storage_id: Option<String>,
    /// This relay's own storage id, announced in `peer`.
    relay_storage_id: String,
    subscriptions: Subscriptions,
    /// Documents this connection synced, to leave when it ends.
    joined: HashSet<DocumentId>,
}

impl Session {
    /// Reads and handles frames until the socket ends. A kick is taken between messages, never in the
    /// middle of one: a message half handled (its change applied in memory, its append to the store
    /// under way) would leave a change served but not stored, or stored but told to nobody.
    async fn run(
        &mut self,
        stream: &mut futures_util::stream::SplitStream<WebSocket>,
        kick: &Kick,
    ) -> Result<(), Closing> {
        use futures_util::StreamExt;
        // Removed between using the ticket and being registered: the removal found no socket to end.
        let (workspace, account) = (self.membership.workspace.clone(), self.account.id);
        let still =
            self.state.store.run(move |db| store::membership(db, &workspace, account)).await;
        match still {
            Ok(Some(membership)) => self.membership = membership,
            Ok(None) => return Err(Closing("your access to this workspace was removed".into())),
            Err(error) => {
                return Err(Closing(format!("the relay could not read its database: {error}")));
            }
        }
        let limits = self.state.limits.clone();
        let mut timeout = JOIN_TIMEOUT;
        let mut messages = RATE_BURST;
        let mut bytes = limits.bytes_burst as f64;
        let mut last = tokio::time::Instant::now();
        loop {
            let next = tokio::select! {
                () = kick.notify.notified() => return Err(Closing(kick.reason())),
                next = tokio::time::timeout(timeout, stream.next()) => next,
            };
            let frame = match next {
                Err(_) => return Err(Closing("timed out".into())),
                Ok(None) | Ok(Some(Err(_))) => return Ok(()),
                Ok(Some(Ok(frame))) => frame,
            };
            timeout = self.state.idle_timeout;
            let bytes_in = match frame {
                Frame::Binary(bytes) => bytes,
                Frame::Close(_) => return Ok(()),
                Frame::Ping(_) | Frame::Pong(_) => continue,
                Frame::Text(_) => return Err(Closing("frames must be binary CBOR".into())),
            };
            if self.peer_id.is_none() && bytes_in.len() > MAX_JOIN_FRAME_BYTES {
                return Err(Closing("the first message must be a small join".into()));
            }
            let now = tokio::time::Instant::now();
            let elapsed = now.duration_since(last).as_secs_f64();
            last = now;
            messages = (messages + elapsed * RATE_PER_SECOND).min(RATE_BURST);
            if messages < 1.0 {
                return Err(Closing("too many messages; slow down".into()));
            }
            messages -= 1.0;
            // Bytes beyond the allowance are not refused: reading pauses until they are paid for, so a
            // device uploading a large workspace slows down instead of failing.
            let rate = limits.bytes_per_second.max(1) as f64;
            bytes = (bytes + elapsed * rate).min(limits.bytes_burst as f64) - bytes_in.len() as f64;
            if bytes < 0.0 {
                tokio::select! {
                    () = kick.notify.notified() => return Err(Closing(kick.reason())),
                    () = tokio::time::sleep(Duration::from_secs_f64(-bytes / rate)) => {}
                }
                last = tokio::time::Instant::now();
                bytes = 0.0;
            }
            self.state.hub.counters.messages_received.fetch_add(1, Ordering::Relaxed);
            let message = Message::decode(&bytes_in).map_err(|error| Closing(error.to_string()))?;
            self.handle(message).await?;
        }
    }

    async fn handle(&mut self, message: Message) -> Result<(), Closing> {
        let Some(me) = self.peer_id.clone() else {
            let Message::Join { sender_id, supported_protocol_versions, metadata } = message else {
                return Err(Closing("the first message must be join".into()));
            };
            if !supported_protocol_versions.iter().any(|v| v == PROTOCOL_VERSION) {
                return Err(Closing("unsupported protocol version; this relay speaks 1".into()));
            }
            self.peer_id = Some(sender_id.clone());
            self.storage_id = metadata
                .filter(|m| !m.is_ephemeral)
                .and_then(|m| m.storage_id)
                .filter(|id| !id.is_empty() && id.len() <= MAX_STORAGE_ID_BYTES);
            let store = &self.state.store;
            self.relay_storage_id = self
                .state
                .hub
                .storage_id
                .get_or_try_init(|| store.run(store::relay_storage_id))
                .await
                .map_err(|error| {
                    Closing(format!("the relay could not read its storage id: {error}"))
                })?
                .clone();
            return self.send(&Message::Peer {
                sender_id: RELAY_PEER_ID.into(),
                target_id: sender_id,
                selected_protocol_version: PROTOCOL_VERSION.into(),
                metadata: Some(PeerMetadata {
                    storage_id: Some(self.relay_storage_id.clone()),
                    is_ephemeral: false,
                }),
            });
        };
        match message {
            Message::Request { document_id, data, .. } => {
                self.sync(&me, document_id, &data, true).await
            }
            Message::Sync { document_id, data, .. } => {
                self.sync(&me, document_id, &data, false).await
            }
            Message::Leave { .. } => Err(Closing("left".into())),
            Message::Join { .. } => Err(Closing("join was already sent".into())),
            Message::Ephemeral { count, session_id, document_id, data, .. } => {
                self.forward_ephemeral(&me, count, session_id, document_id, data).await;
                Ok(())
            }
            Message::RemoteSubscriptionChange { add, remove, .. } => {
                let mut subscriptions =
                    self.subscriptions.lock().unwrap_or_else(|poison| poison.into_inner());
                for storage in remove {
                    subscriptions.remove(&storage);
                }
                for storage in add {
                    if subscriptions.len() >= MAX_SUBSCRIPTIONS {
                        return Err(Closing("too many heads subscriptions".into()));
                    }
                    if storage.len() > MAX_STORAGE_ID_BYTES {
                        return Err(Closing("a storage id is too long".into()));
                    }
                    subscriptions.insert(storage);
                }
                Ok(())
            }
            // Heads a peer heard of elsewhere are not passed on: a device hears what it needs from
            // the relay's own storage and from the peers syncing through it.
            Message::RemoteHeadsChanged { .. } => Ok(()),
            Message::Peer { .. } | Message::DocUnavailable { .. } | Message::Error { .. } => Ok(()),
        }
    }

    async fn sync(
        &mut self,
        me: &str,
        id: DocumentId,
        data: &[u8],
        request: bool,
    ) -> Result<(), Closing> {
        let message = rapport_core::protocol::decode_sync_message(data)
            .map_err(|error| Closing(error.to_string()))?;
        if !message.changes.is_empty()
            && !self.membership.role.writes()
            && !self.owns_private(id).await?
        {
            return Err(Closing("viewers cannot change documents".into()));
        }
        if !self.may_sync(id, request).await? {
            return self.send(&Message::DocUnavailable {
                sender_id: RELAY_PEER_ID.into(),
                target_id: me.to_owned(),
                document_id: id,
            });
        }
        let key: Key = (self.workspace.clone(), id);
        let (slot, mut live) = self.live_document(&key).await?;
        // Joined from here on, whatever happens next: leaving evicts the document when nobody syncs it.
        self.joined.insert(id);
        // What the changes take once inflated counts, not what they take on the wire: Automerge inflates
        // them whole, and DEFLATE expands a thousandfold. Measured without inflating them into memory.
        let limit = self.state.limits.document_bytes;
        let room = limit.saturating_sub(live.stored.total() + live.unapplied);
        let workspace_bytes =
            if message.changes.is_empty() { None } else { Some(self.workspace_bytes().await?) };
        let workspace_limit = self.state.limits.workspace_bytes;
        let workspace_room = workspace_bytes.as_ref().map_or(u64::MAX, |bytes| {
            workspace_limit.saturating_sub(bytes.load(Ordering::Relaxed) + live.unapplied)
        });
        let mut incoming = 0u64;
        for chunks in message.changes.iter() {
            let budget = room.min(workspace_room) - incoming;
            match heavy(chunks.len(), || inflate::inflated_size(chunks, budget)) {
                Ok(bytes) => incoming += bytes,
                Err(inflate::Refused::TooLarge { .. }) => {
                    let why = if room <= workspace_room {
                        format!(
                            "it would grow past {}, the most this relay stores per document",
                            in_words(limit)
                        )
                    } else {
                        format!(
                            "the workspace would grow past {}, the most this relay stores per workspace",
                            in_words(workspace_limit)
                        )
                    };
                    return self.refuse(me, id, &key, &slot, &mut live, &why);
                }
                Err(malformed) => return Err(Closing(malformed.to_string())),
            }
        }
        let live = &mut *live;
        let peer = live.peers.entry(self.connection).or_insert_with(|| Peer {
            peer_id: me.to_owned(),
            state: am_sync::State::new(),
            outbox: self.outbox.clone(),
            storage_id: self.storage_id.clone(),
            subscriptions: self.subscriptions.clone(),
        });
        let before = live.doc.get_heads();
        let doc = &mut live.doc;
        let existed = live.stored.total() > 0;
        let applied = heavy(incoming as usize, || {
            contained(|| {
                if incoming > 0 && existed {
                    fault::maybe_panic(id);
                }
                doc.receive_sync_message(&mut peer.state, message)
            })
        });
        let applied = match applied {
            Ok(applied) => applied,
            Err(Panicked) => return Err(self.fail(&key, &slot, live, "it made the relay fail")),
        };
        applied
            .map_err(|error| Closing(format!("the sync message could not be applied: {error}")))?;
        let changed = live.doc.get_heads() != before;
        if changed {
            live.unapplied = 0;
        } else {
            // Within the document's room: checked above.
            live.unapplied += incoming;
        }
        if changed {
            // Durable before anyone hears of it.
            let doc = &live.doc;
            let Ok(changes) = heavy(incoming as usize, || contained(|| doc.save_after(&before)))
            else {
                return Err(self.fail(&key, &slot, live, "it made the relay fail"));
            };
            let (workspace, document, size) =
                (self.workspace.clone(), id.to_string(), changes.len());
            let stored = self
                .state
                .store
                .run(move |db| store::append_chunk(db, &workspace, &document, &changes))
                .await;
            let seq = match stored {
                Ok(seq) => seq,
                Err(error) => {
                    self.state.hub.counters.storage_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(%error, document = %id, "a change could not be stored");
                    return Err(self.fail(&key, &slot, live, "the relay could not store a change"));
                }
            };
            live.stored.increments += size as u64;
            live.stored.increment_chunks += 1;
            if let Some(bytes) = &workspace_bytes {
                bytes.fetch_add(size as u64, Ordering::Relaxed);
            }
            if live.stored.wants_compaction() {
                let before = live.stored.total();
                if self.compact(id, live, seq).await
                    && let Some(bytes) = &workspace_bytes
                {
                    let after = live.stored.total();
                    if after <= before {
                        bytes.fetch_sub(before - after, Ordering::Relaxed);
                    } else {
                        bytes.fetch_add(after - before, Ordering::Relaxed);
                    }
                }
            }
        }
        self.fan_out(id, live, changed, &key, &slot)?;
        // Heads gossip: the sender's storage now holds the heads it just told us, and after a change
        // the relay's own storage holds new ones; whoever syncs this document and subscribed to that
        // storage hears of it.
        let theirs = live
            .peers
            .get(&self.connection)
            .and_then(|peer| Some((peer.storage_id.clone()?, peer.state.their_heads.clone()?)));
        if let Some((storage, heads)) = theirs {
            self.gossip(live, id, storage, heads);
        }
        if changed {
            let heads = live.doc.get_heads();
            self.gossip(live, id, self.relay_storage_id.clone(), heads);
        }
        Ok(())
    }

    /// Offers the document's news to its peers after a message from this connection.
    fn fan_out(
        &self,
        id: DocumentId,
        live: &mut LiveDocument,
        changed: bool,
        key: &Key,
        slot: &Arc<Mutex<LiveDocument>>,
    ) -> Result<(), Closing> {
        let mut gone = Vec::new();
        let mut panicked = false;
        for (connection, peer) in live.peers.iter_mut() {
            // A message that changed nothing (an acknowledgement, most of them) concerns only its
            // sender: every other peer was offered all the document holds when it last changed.
            // Asking Automerge anyway cost a sync-message computation per peer per message — the
            // relay's whole CPU at 300 clients (BENCHMARKS.md).
            if !changed && *connection != self.connection {
                continue;
            }
            let doc = &live.doc;
            // A peer that has nothing yet is sent the whole document, saved for it.
            let first = peer.state.their_heads.as_ref().is_none_or(Vec::is_empty);
            let bytes = if first { live.stored.total() as usize } else { 0 };
            let Ok(reply) =
                heavy(bytes, || contained(|| doc.generate_sync_message(&mut peer.state)))
            else {
                panicked = true;
                break;
            };
            let Some(reply) = reply else { continue };
            for data in encode_sync_message_in_parts(reply, MAX_SYNC_DATA_BYTES) {
                let frame = Message::Sync {
                    sender_id: RELAY_PEER_ID.into(),
                    target_id: peer.peer_id.clone(),
                    document_id: id,
                    data,
                }
                .encode();
                // A full outbox means a peer that does not read: close it rather than wait for it.
                if peer.outbox.push(frame).is_err() {
                    gone.push(*connection);
                    break;
                }
                self.state.hub.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        if panicked {
            return Err(self.fail(key, slot, live, "it made the relay fail"));
        }
        for connection in gone {
            live.peers.remove(&connection);
            if connection == self.connection {
                return Err(Closing("the device did not read what the relay sent".into()));
            }
            self.state.hub.counters.slow_sockets_closed.fetch_add(1, Ordering::Relaxed);
            self.state.hub.kick(connection, "the device did not read what the relay sent");
        }
        Ok(())
    }

    /// Replaces the document's stored chunks, through `seq`, by one snapshot. A failure leaves the
    /// chunks as they were (one transaction), so it is logged, counted and otherwise ignored.
    /// Whether it did.
    async fn compact(&self, id: DocumentId, live: &mut LiveDocument, seq: i64) -> bool {
        let doc = &live.doc;
        let Ok(snapshot) = heavy(live.stored.total() as usize, || contained(|| doc.save())) else {
            return false;
        };
        let size = snapshot.len() as u64;
        let (workspace, document) = (self.workspace.clone(), id.to_string());
        let compacted = self
            .state
            .store
            .run(move |db| store::compact_chunks(db, &workspace, &document, &snapshot, seq))
            .await;
        match compacted {
            Ok(()) => {
                live.stored = StoredSize { base: size, increments: 0, increment_chunks: 0 };
                self.state.hub.counters.compactions.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(error) => {
                self.state.hub.counters.storage_errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(%error, document = %id, "compaction failed; the chunks stay");
                false
            }
        }
    }

    /// What this workspace's documents take in storage, read from the database once per relay.
    async fn workspace_bytes(&self) -> Result<Arc<AtomicU64>, Closing> {
        let known = {
            let all = self.state.hub.workspace_bytes.lock().unwrap_or_else(|p| p.into_inner());
            all.get(&self.workspace).cloned()
        };
        if let Some(bytes) = known {
            return Ok(bytes);
        }
        let workspace = self.workspace.clone();
        let summed =
            self.state.store.run(move |db| store::workspace_bytes(db, &workspace)).await.map_err(
                |error| Closing(format!("the relay could not read its database: {error}")),
            )?;
        let mut all = self.state.hub.workspace_bytes.lock().unwrap_or_else(|p| p.into_inner());
        // Another connection may have summed it meanwhile, and counted appends since: its count stays.
        let bytes = all.entry(self.workspace.clone()).or_insert_with(|| Arc::new(summed.into()));
        Ok(bytes.clone())
    }

    /// Takes a document whose handling failed out of memory and closes every other socket syncing it
    /// (they reconnect and sync again from what is stored); returns why this one closes.
    fn fail(
        &self,
        key: &Key,
        slot: &Arc<Mutex<LiveDocument>>,
        live: &mut LiveDocument,
        why: &str,
    ) -> Closing {
        self.state.hub.counters.documents_failed.fetch_add(1, Ordering::Relaxed);
        let reason = format!("document {} was closed: {why}", key.1);
        tracing::error!(document = %key.1, workspace = %key.0, %reason, "closing a document's sockets");
        for connection in live.peers.keys().filter(|c| **c != self.connection) {
            self.state.hub.kick(*connection, &reason);
        }
        live.peers.clear();
        self.state.hub.evict(key, slot, live);
        Closing(reason)
    }

    /// Refuses this connection one document, and only that one: the device hears `doc-unavailable`
    /// for it (and says so on screen) and goes on syncing the others. Its sync state is forgotten, so
    /// a later message starts that document afresh.
    fn refuse(
        &mut self,
        me: &str,
        id: DocumentId,
        key: &Key,
        slot: &Arc<Mutex<LiveDocument>>,
        live: &mut LiveDocument,
        why: &str,
    ) -> Result<(), Closing> {
        tracing::warn!(document = %id, workspace = %key.0, connection = self.connection, %why, "document refused");
        self.state.hub.counters.documents_refused.fetch_add(1, Ordering::Relaxed);
        live.peers.remove(&self.connection);
        self.joined.remove(&id);
        if live.peers.is_empty() && !live.evicted {
            self.state.hub.evict(key, slot, live);
        }
        self.send(&Message::DocUnavailable {
            sender_id: RELAY_PEER_ID.into(),
            target_id: me.to_owned(),
            document_id: id,
        })
    }

    /// Tells every other peer of document `id` subscribed to `storage` that it now holds `heads`,
    /// if that is news.
    fn gossip(
        &self,
        live: &mut LiveDocument,
        id: DocumentId,
        storage: String,
        heads: Vec<automerge::ChangeHash>,
    ) {
        if live.gossiped.get(&storage) == Some(&heads) {
            return;
        }
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_millis() as u64)
            .unwrap_or_default();
        let encoded = rapport_core::protocol::encode_heads(&heads);
        for (connection, peer) in &live.peers {
            let subscribed = peer
                .subscriptions
                .lock()
                .unwrap_or_else(|poison| poison.into_inner())
                .contains(&storage);
            if *connection == self.connection && storage != self.relay_storage_id || !subscribed {
                continue;
            }
            let frame = Message::RemoteHeadsChanged {
                sender_id: RELAY_PEER_ID.into(),
                target_id: peer.peer_id.clone(),
                document_id: id,
                new_heads: std::collections::BTreeMap::from([(
                    storage.clone(),
                    RemoteHeads { heads: encoded.clone(), timestamp },
                )]),
            }
            .encode();
            if peer.outbox.push(frame).is_ok() {
                self.state.hub.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        // One entry per storage id heard of while the document is in memory: a device reconnecting
        // under ever new storage ids would grow it without end. Forgetting costs only a repeated
        // announcement.
        if live.gossiped.len() >= MAX_GOSSIPED && !live.gossiped.contains_key(&storage) {
            live.gossiped.clear();
        }
        live.gossiped.insert(storage, heads);
    }

    /// Passes presence (cursors, "who is viewing") to the other sockets syncing the same document,
    /// stamped with the sending account (whatever name the device put in its data, receivers know who
    /// really sent it). Only a socket that syncs the document may send about it, and only sockets
    /// syncing it receive: both were authorised for its workspace.
    async fn forward_ephemeral(
        &self,
        me: &str,
        count: u64,
        session_id: String,
        id: DocumentId,
        data: Vec<u8>,
    ) {
        let key: Key = (self.workspace.clone(), id);
        // Presence is a name and a record id: anything larger is not presence, and would be copied to
        // every peer of the document.
        if data.len() > MAX_EPHEMERAL_BYTES {
            return;
        }
        let Some(slot) = self.state.hub.held(&key) else { return };
        let live = slot.lock().await;
        if live.evicted || !live.peers.contains_key(&self.connection) {
            return;
        }
        let account = SenderAccount { id: self.account.id, name: self.account.name.clone() };
        for (connection, peer) in &live.peers {
            if *connection == self.connection {
                continue;
            }
            let frame = Message::Ephemeral {
                sender_id: me.to_owned(),
                target_id: peer.peer_id.clone(),
                count,
                session_id: session_id.clone(),
                document_id: id,
                data: data.clone(),
                sender_account: Some(account.clone()),
            }
            .encode();
            // Presence is best effort: a full outbox drops it.
            if peer.outbox.push(frame).is_ok() {
                self.state.hub.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether `id` is this connection's account's private document (which a viewer writes too).
    async fn owns_private(&self, id: DocumentId) -> Result<bool, Closing> {
        let (workspace, document, account) =
            (self.workspace.clone(), id.to_string(), self.account.id);
        let owner = self
            .state
            .store
            .run(move |db| store::private::owner_of(db, &workspace, &document))
            .await
            .map_err(|error| Closing(format!("the relay could not read its database: {error}")))?;
        Ok(owner == Some(account))
    }

    /// Whether this connection may sync document `id` of its workspace, creating it when a writer
    /// syncs one the workspace does not have yet.
    async fn may_sync(&self, id: DocumentId, request: bool) -> Result<bool, Closing> {
        // Synced on this connection already: it is the workspace's, and the database need not be
        // asked again on every message (a removal ends the socket).
        if self.joined.contains(&id) {
            return Ok(true);
        }
        let document = id.to_string();
        let workspace = self.workspace.clone();
        let (account, writes) = (self.account.id, self.membership.role.writes());
        let most = self.state.limits.documents_per_workspace;
        let found = self
            .state
            .store
            .run(move |db| {
                // A private document first: its owner's alone, whatever their role; nobody else's,
                // whatever theirs.
                let claim = match store::private::owner_of(db, &workspace, &document)? {
                    Some(owner) if owner != account => return Ok(None),
                    Some(_) => !request,
                    None => !request && writes,
                };
                let found = if claim {
                    store::claim_document(db, &workspace, &document, most)?
                } else if store::has_document(db, &workspace, &document)? {
                    Claim::Known
                } else {
                    Claim::OverQuota
                };
                Ok(Some((claim, found)))
            })
            .await
            .map_err(|error| Closing(format!("the relay could not read its database: {error}")))?;
        let Some((claim, found)) = found else {
            tracing::warn!(document = %id, workspace = %self.workspace, "refused: another member's private document");
            return Ok(false);
        };
        match found {
            Claim::Known | Claim::Created => Ok(true),
            Claim::OverQuota if claim => {
                self.state.hub.counters.documents_refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(document = %id, workspace = %self.workspace, "refused: this workspace holds {most} documents, the most this relay allows");
                Ok(false)
            }
            Claim::OverQuota => Ok(false),
        }
    }

    /// Document `key`, loaded from storage by the first connection that needs it; the lock on it is
    /// held by the caller, never the hub's.
    async fn live_document(
        &self,
        key: &Key,
    ) -> Result<(Arc<Mutex<LiveDocument>>, OwnedMutexGuard<LiveDocument>), Closing> {
        loop {
            let slot = self.state.hub.slot(key);
            let mut live = slot.clone().lock_owned().await;
            if live.evicted {
                continue;
            }
            if !live.loaded {
                let (workspace, document) = (key.0.clone(), key.1.to_string());
                let chunks = self
                    .state
                    .store
                    .run(move |db| store::load_chunks(db, &workspace, &document))
                    .await;
                let loaded = chunks
                    .map_err(|error| format!("the relay could not read its database: {error}"))
                    .and_then(|chunks| {
                        let bytes = chunks.iter().map(|(_, chunk)| chunk.len()).sum();
                        heavy(bytes, || load(&chunks))
                    });
                match loaded {
                    Ok((doc, stored)) => {
                        live.doc = doc;
                        live.stored = stored;
                        live.loaded = true;
                    }
                    Err(reason) => {
                        self.state.hub.evict(key, &slot, &mut live);
                        return Err(Closing(reason));
                    }
                }
            }
            return Ok((slot, live));
        }
    }

    /// Queues a frame for this connection; a connection whose outbox is full does not read, and ends.
    fn send(&self, message: &Message) -> Result<(), Closing> {
        self.state.hub.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
        self.outbox
            .push(message.encode())
            .map_err(|NotReading| Closing("the device did not read what the relay sent".into()))
    }

    /// Forgets this connection's sync state in every document it synced, and evicts from memory the
    /// documents nobody syncs any more (they are all on disk).
    async fn leave_all(&mut self) {
        for id in std::mem::take(&mut self.joined) {
            let key: Key = (self.workspace.clone(), id);
            let Some(slot) = self.state.hub.held(&key) else { continue };
            let mut live = slot.lock().await;
            live.peers.remove(&self.connection);
            if live.peers.is_empty() && !live.evicted {
                self.state.hub.evict(&key, &slot, &mut live);
            }
        }
    }
}

/// A document from its stored chunks, and what they take.
fn load(chunks: &[(i64, Vec<u8>)]) -> Result<(Automerge, StoredSize), String> {
    let mut doc = Automerge::new();
    let mut stored = StoredSize::default();
    for (index, (_, chunk)) in chunks.iter().enumerate() {
        let loaded = contained(|| doc.load_incremental(chunk));
        match loaded {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => return Err(format!("a stored document is damaged: {error}")),
            Err(Panicked) => return Err("a stored document made the relay fail".into()),
        }
        if index == 0 {
            stored.base = chunk.len() as u64;
        } else {
            stored.increments += chunk.len() as u64;
            stored.increment_chunks += 1;
        }
    }
    Ok((doc, stored))
}

/// A size limit as people say it: megabytes from a megabyte up, else kilobytes.
fn in_words(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MB", bytes / (1024 * 1024))
    } else {
        format!("{} KB", bytes / 1024)
    }
}

/// Work on this many bytes of a document or more leaves the async worker's other sockets to another
/// thread while it runs (loading a large document, inflating a large message, compacting).
const HEAVY_BYTES: usize = 256 * 1024;

/// Runs `work`, CPU-bound on `bytes` of input, without stalling the other tasks of this worker when it
/// is large: `block_in_place` hands them to another thread. Small work (nearly every sync message) runs
/// as it is, since the hand-over costs more than it saves. A single-threaded runtime (some tests)
/// cannot hand over, and runs it in place.
fn heavy<T>(bytes: usize, work: impl FnOnce() -> T) -> T {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if bytes >= HEAVY_BYTES && multi_thread { tokio::task::block_in_place(work) } else { work() }
}

/// Automerge panicked.
#[derive(Debug)]
struct Panicked;

/// Runs Automerge on data from the network with its panics caught: the relay's profile unwinds, and a
/// panic about one document must not end the others (`Session::fail` retires the document).
fn contained<T>(work: impl FnOnce() -> T) -> Result<T, Panicked> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|_| Panicked)
}

/// Fault injection for tests, in debug builds only (release builds compile it to nothing):
/// - `RAPPORT_FAULT_PANIC_DOCUMENT=<document id>`: the relay panics while applying a change to that
///   document once it exists, as Automerge would on input it cannot handle;
/// - `RAPPORT_FAULT_DELAY_REGISTER_MS=<ms>`: a new socket waits this long between using its ticket and
///   being registered, the window in which a removal finds no socket to end.
mod fault {
    use rapport_core::layout::DocumentId;

    #[cfg(debug_assertions)]
    pub(super) async fn delay_before_register() {
        static DELAY: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
        let delay = DELAY.get_or_init(|| {
            std::env::var("RAPPORT_FAULT_DELAY_REGISTER_MS").ok().and_then(|ms| ms.parse().ok())
        });
        if let Some(ms) = delay {
            tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
        }
    }

    #[cfg(not(debug_assertions))]
    pub(super) async fn delay_before_register() {}

    #[cfg(debug_assertions)]
    pub(super) fn maybe_panic(id: DocumentId) {
        static DOCUMENT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let target = DOCUMENT.get_or_init(|| std::env::var("RAPPORT_FAULT_PANIC_DOCUMENT").ok());
        if target.as_deref() == Some(id.to_string().as_str()) {
            panic!("injected fault: a sync message about {id}");
        }
    }

    #[cfg(not(debug_assertions))]
    pub(super) fn maybe_panic(_: DocumentId) {}
}
