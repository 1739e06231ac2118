//! The sync socket: `GET /api/sync?ticket=…` upgrades to a websocket speaking the automerge-repo
//! protocol v1 (`rapport_core::protocol`), on `automerge::sync`.
//!
//! Before the upgrade: the `Origin` (when a browser sends one) must be this relay's own, and the ticket
//! must be unused, unexpired and its holder still a member — otherwise 401/403 and no socket. The socket
//! is bound to that account and workspace for its life.
//!
//! Per document, deny by default: a document belongs to the workspace whose writer first synced it; a
//! request for a document of another workspace gets `doc-unavailable`, exactly as one that does not exist.
//! Viewers read; a sync message of theirs that carries changes is refused and their connection closed.
//! Changes are appended to the database before anything is sent back, so whatever a peer has seen
//! acknowledged is on disk. A malformed frame, an oversized one or a protocol violation closes that one
//! connection with an `error` message.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use automerge::Automerge;
use automerge::sync::{self as am_sync, SyncDoc};
use axum::extract::ws::{Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_core::layout::DocumentId;
use rapport_core::protocol::{
    MAX_FRAME_BYTES, Message, PROTOCOL_VERSION, PeerMetadata, RemoteHeads,
};
use serde::Deserialize;
use tokio::sync::{Mutex, mpsc};

use crate::AppState;
use crate::accounts::{hash_token, unix_seconds};
use crate::store::{self, Membership};

/// The relay's peer id in the protocol.
pub const RELAY_PEER_ID: &str = "rapport-relay";
/// How long a new socket may take to send `join`.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// A socket silent for this long is closed unless configured otherwise (`--idle-timeout-secs`); devices
/// announce presence every 10 s, so only dead connections stay silent this long.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Frames queued for one slow connection before it is dropped rather than slowing everyone.
const OUTBOX: usize = 1024;
/// Bytes read from a socket at a time (see `upgrade`).
const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Messages one connection may send: a burst of this many, refilled at [`RATE_PER_SECOND`]. A device
/// catching up sends one sync message per document and round; typing presence a few per second.
const RATE_BURST: f64 = 2_000.0;
const RATE_PER_SECOND: f64 = 500.0;

/// Documents being synced, in memory, with the sync state of every connection syncing each.
#[derive(Debug, Default, Clone)]
pub struct Hub {
    documents: Arc<Mutex<HashMap<DocumentId, Arc<Mutex<LiveDocument>>>>>,
    next_connection: Arc<AtomicU64>,
    /// Open sockets by connection: whose they are, and how to end them.
    sockets: Arc<std::sync::Mutex<HashMap<u64, OpenSocket>>>,
    /// Counters for `/metrics`.
    pub(crate) counters: Arc<Counters>,
    /// This relay's storage id, read from the database once (`store::relay_storage_id`).
    storage_id: Arc<tokio::sync::OnceCell<String>>,
}

/// What `/metrics` reports besides gauges read from the hub.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) messages_received: AtomicU64,
    pub(crate) messages_sent: AtomicU64,
    pub(crate) storage_errors: AtomicU64,
    pub(crate) connections_refused: AtomicU64,
}

#[derive(Debug)]
struct OpenSocket {
    workspace: String,
    account: i64,
    revoked: Arc<tokio::sync::Notify>,
}

impl Hub {
    /// Open sync sockets.
    pub(crate) fn connections(&self) -> usize {
        self.sockets.lock().unwrap_or_else(|poison| poison.into_inner()).len()
    }

    /// Documents held in memory (some connection is syncing them).
    pub(crate) async fn documents_in_memory(&self) -> usize {
        self.documents.lock().await.len()
    }

    /// Ends at once every open socket of `account` in `workspace` (they were removed from it).
    pub fn revoke(&self, workspace: &str, account: i64) {
        let sockets = self.sockets.lock().unwrap_or_else(|poison| poison.into_inner());
        for socket in sockets.values().filter(|s| s.workspace == workspace && s.account == account)
        {
            socket.revoked.notify_one();
        }
    }

    fn register(&self, connection: u64, workspace: &str, account: i64) -> Arc<tokio::sync::Notify> {
        let revoked = Arc::new(tokio::sync::Notify::new());
        let socket =
            OpenSocket { workspace: workspace.to_owned(), account, revoked: revoked.clone() };
        self.sockets.lock().unwrap_or_else(|poison| poison.into_inner()).insert(connection, socket);
        revoked
    }

    fn unregister(&self, connection: u64) {
        self.sockets.lock().unwrap_or_else(|poison| poison.into_inner()).remove(&connection);
    }
}

#[derive(Debug)]
struct LiveDocument {
    doc: Automerge,
    peers: HashMap<u64, Peer>,
    /// The heads last announced for this document per storage id (heads gossip), so only a change is.
    gossiped: HashMap<String, Vec<automerge::ChangeHash>>,
}

#[derive(Debug)]
struct Peer {
    peer_id: String,
    state: am_sync::State,
    outbox: mpsc::Sender<Vec<u8>>,
    /// The storage id its peer announced in `join` (none for an ephemeral peer).
    storage_id: Option<String>,
    /// Storage ids whose heads its peer asked to hear about (`remote-subscription-change`).
    subscriptions: Subscriptions,
}

/// A connection's heads-gossip subscriptions, shared by its session and its entries in live documents.
type Subscriptions = Arc<std::sync::Mutex<std::collections::HashSet<String>>>;
/// Storage ids one connection may subscribe to at once.
const MAX_SUBSCRIPTIONS: usize = 1_000;

#[derive(Debug, Deserialize)]
pub(crate) struct TicketQuery {
    ticket: Option<String>,
}

pub(crate) async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TicketQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-origin sync is not allowed").into_response();
    }
    let Some(ticket) = query.ticket.filter(|t| !t.is_empty()) else {
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
    // Reads are staged through this buffer, not limited by it: tungstenite's default of 128 KiB per
    // connection made a thousand idle sockets cost 128 MB.
    ws.max_message_size(MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| serve(state, socket, account, membership))
}

/// A browser's `Origin` must name the host it connected to; clients that send none (servers, tests) pass.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority == host)
}

/// Why a connection is being closed.
struct Closing(String);

async fn serve(state: AppState, socket: WebSocket, account: i64, membership: Membership) {
    let connection = state.hub.next_connection.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = futures_util::StreamExt::split(socket);
    let (outbox, mut outgoing) = mpsc::channel::<Vec<u8>>(OUTBOX);
    let writer = tokio::spawn(async move {
        use futures_util::SinkExt;
        while let Some(frame) = outgoing.recv().await {
            if sink.send(Frame::Binary(frame.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let revoked = state.hub.register(connection, &membership.workspace, account);
    let mut session = Session {
        state,
        connection,
        membership,
        outbox,
        peer_id: None,
        storage_id: None,
        relay_storage_id: String::new(),
        subscriptions: Subscriptions::default(),
    };
    tracing::info!(connection, account, workspace = %session.membership.workspace, "sync socket open");
    let outcome = tokio::select! {
        outcome = session.run(&mut stream) => outcome,
        () = revoked.notified() => Err(Closing("your access to this workspace was removed".into())),
    };
    session.state.hub.unregister(connection);
    if let Err(Closing(reason)) = outcome {
        tracing::info!(connection, %reason, "closing sync socket");
        let _ = session.send(&Message::Error { message: reason }).await;
    }
    session.leave_all().await;
    drop(session);
    let _ = writer.await;
}

struct Session {
    state: AppState,
    connection: u64,
    membership: Membership,
    outbox: mpsc::Sender<Vec<u8>>,
    /// Set by `join`.
    peer_id: Option<String>,
    /// The storage id the peer announced in `join`, if it keeps one.
    storage_id: Option<String>,
    /// This relay's own storage id, announced in `peer`.
    relay_storage_id: String,
    subscriptions: Subscriptions,
}

impl Session {
    async fn run(
        &mut self,
        stream: &mut futures_util::stream::SplitStream<WebSocket>,
    ) -> Result<(), Closing> {
        use futures_util::StreamExt;
        let mut timeout = JOIN_TIMEOUT;
        let mut allowance = RATE_BURST;
        let mut last = tokio::time::Instant::now();
        loop {
            let frame = match tokio::time::timeout(timeout, stream.next()).await {
                Err(_) => return Err(Closing("timed out".into())),
                Ok(None) | Ok(Some(Err(_))) => return Ok(()),
                Ok(Some(Ok(frame))) => frame,
            };
            timeout = self.state.idle_timeout;
            let now = tokio::time::Instant::now();
            allowance = (allowance + now.duration_since(last).as_secs_f64() * RATE_PER_SECOND)
                .min(RATE_BURST);
            last = now;
            if allowance < 1.0 {
                return Err(Closing("too many messages; slow down".into()));
            }
            allowance -= 1.0;
            let bytes = match frame {
                Frame::Binary(bytes) => bytes,
                Frame::Close(_) => return Ok(()),
                Frame::Ping(_) | Frame::Pong(_) => continue,
                Frame::Text(_) => return Err(Closing("frames must be binary CBOR".into())),
            };
            self.state.hub.counters.messages_received.fetch_add(1, Ordering::Relaxed);
            let message = Message::decode(&bytes).map_err(|error| Closing(error.to_string()))?;
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
                .filter(|id| !id.is_empty() && id.len() <= 128);
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
            return self
                .send(&Message::Peer {
                    sender_id: RELAY_PEER_ID.into(),
                    target_id: sender_id,
                    selected_protocol_version: PROTOCOL_VERSION.into(),
                    metadata: Some(PeerMetadata {
                        storage_id: Some(self.relay_storage_id.clone()),
                        is_ephemeral: false,
                    }),
                })
                .await;
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
        let writes = message.changes.iter().any(|change| !change.is_empty());
        if writes && !self.membership.role.writes() {
            return Err(Closing("viewers cannot change documents".into()));
        }
        if !self.may_sync(id, request).await? {
            return self
                .send(&Message::DocUnavailable {
                    sender_id: RELAY_PEER_ID.into(),
                    target_id: me.to_owned(),
                    document_id: id,
                })
                .await;
        }
        let live = self.live_document(id).await?;
        let mut live = live.lock().await;
        let live = &mut *live;
        let peer = live.peers.entry(self.connection).or_insert_with(|| Peer {
            peer_id: me.to_owned(),
            state: am_sync::State::new(),
            outbox: self.outbox.clone(),
            storage_id: self.storage_id.clone(),
            subscriptions: self.subscriptions.clone(),
        });
        let before = live.doc.get_heads();
        live.doc
            .receive_sync_message(&mut peer.state, message)
            .map_err(|error| Closing(format!("the sync message could not be applied: {error}")))?;
        let changed = live.doc.get_heads() != before;
        if changed {
            // Durable before anyone hears of it.
            let changes = live.doc.save_after(&before);
            let key = id.to_string();
            self.state.store.run(move |db| store::append_chunk(db, &key, &changes)).await.map_err(
                |error| Closing(format!("the relay could not store the change: {error}")),
            )?;
        }
        let mut gone = Vec::new();
        for (connection, peer) in live.peers.iter_mut() {
            // A message that changed nothing (an acknowledgement, most of them) concerns only its
            // sender: every other peer was offered all the document holds when it last changed.
            // Asking Automerge anyway cost a sync-message computation per peer per message — the
            // relay's whole CPU at 300 clients (BENCHMARKS.md).
            if !changed && *connection != self.connection {
                continue;
            }
            let Some(reply) = live.doc.generate_sync_message(&mut peer.state) else { continue };
            let frame = Message::Sync {
                sender_id: RELAY_PEER_ID.into(),
                target_id: peer.peer_id.clone(),
                document_id: id,
                data: reply.encode(),
            }
            .encode();
            // A full outbox means a peer that does not read: drop it rather than wait for it.
            if peer.outbox.try_send(frame).is_err() {
                gone.push(*connection);
            } else {
                self.state.hub.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        for connection in gone {
            live.peers.remove(&connection);
        }
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
            if peer.outbox.try_send(frame).is_ok() {
                self.state.hub.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        live.gossiped.insert(storage, heads);
    }

    /// Passes presence (cursors, "who is viewing") to the other sockets syncing the same document. Only
    /// a socket that syncs the document may send about it, and only sockets syncing it receive: both
    /// were authorised for its workspace.
    async fn forward_ephemeral(
        &self,
        me: &str,
        count: u64,
        session_id: String,
        id: DocumentId,
        data: Vec<u8>,
    ) {
        let Some(live) = self.state.hub.documents.lock().await.get(&id).cloned() else { return };
        let live = live.lock().await;
        if !live.peers.contains_key(&self.connection) {
            return;
        }
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
            }
            .encode();
            // Presence is best effort: a full outbox drops it.
            if peer.outbox.try_send(frame).is_ok() {
                self.state.hub.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether this connection may sync document `id`, claiming it for the workspace when a writer
    /// syncs a document the relay does not have yet.
    async fn may_sync(&self, id: DocumentId, request: bool) -> Result<bool, Closing> {
        let key = id.to_string();
        let workspace = self.membership.workspace.clone();
        let claim = !request && self.membership.role.writes();
        let owner = self
            .state
            .store
            .run(move |db| match store::document_workspace(db, &key)? {
                Some(owner) => Ok(Some(owner)),
                None if claim => store::claim_document(db, &key, &workspace).map(Some),
                None => Ok(None),
            })
            .await
            .map_err(|error| Closing(format!("the relay could not read its database: {error}")))?;
        Ok(owner.as_deref() == Some(self.membership.workspace.as_str()))
    }

    async fn live_document(&self, id: DocumentId) -> Result<Arc<Mutex<LiveDocument>>, Closing> {
        let mut documents = self.state.hub.documents.lock().await;
        if let Some(live) = documents.get(&id) {
            return Ok(live.clone());
        }
        let key = id.to_string();
        let chunks =
            self.state.store.run(move |db| store::load_chunks(db, &key)).await.map_err(
                |error| Closing(format!("the relay could not read its database: {error}")),
            )?;
        let mut doc = Automerge::new();
        for chunk in chunks {
            doc.load_incremental(&chunk)
                .map_err(|error| Closing(format!("a stored document is damaged: {error}")))?;
        }
        let live = Arc::new(Mutex::new(LiveDocument {
            doc,
            peers: HashMap::new(),
            gossiped: HashMap::new(),
        }));
        documents.insert(id, live.clone());
        Ok(live)
    }

    async fn send(&self, message: &Message) -> Result<(), Closing> {
        self.state.hub.counters.messages_sent.fetch_add(1, Ordering::Relaxed);
        self.outbox.send(message.encode()).await.map_err(|_| Closing("the socket closed".into()))
    }

    /// Forgets this connection's sync state everywhere, and evicts from memory the documents nobody
    /// syncs any more (they are all on disk).
    async fn leave_all(&self) {
        let mut documents = self.state.hub.documents.lock().await;
        let mut unused = Vec::new();
        for (id, live) in documents.iter() {
            let mut live = live.lock().await;
            live.peers.remove(&self.connection);
            if live.peers.is_empty() {
                unused.push(*id);
            }
        }
        for id in unused {
            documents.remove(&id);
        }
    }
}
