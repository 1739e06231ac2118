//! The client side of the automerge-repo protocol, sans IO: what a device says to the relay and what it
//! makes of the answers. The browser drives it over a `WebSocket`, the load generator and the tests over
//! tokio; neither duplicates the protocol.
//!
//! One [`SyncClient`] lives as long as the device knows the relay, across connections: on a disconnect
//! each document's sync state is cut back to the heads both sides shared ([`SyncClient::disconnected`]),
//! so a reconnect exchanges only what is missing — Automerge's own rule for resuming a sync.

use std::collections::HashMap;

use automerge::sync::{self as am_sync, SyncDoc};
use automerge::{AutoCommit, AutomergeError, ChangeHash};

use crate::layout::DocumentId;
use crate::offload::{OffloadError, SyncState};
use crate::protocol::{Message, PROTOCOL_VERSION, PeerId, PeerMetadata, ProtocolError};

/// What a frame from the relay means for the device.
#[derive(Debug)]
pub enum Event {
    /// The relay accepted our `join`: documents may be synced now.
    Connected,
    /// A sync message for a document: apply it with [`SyncClient::apply`].
    Sync { document: DocumentId, message: am_sync::Message },
    /// The relay has no such document for us (or may not say whether it exists).
    Unavailable(DocumentId),
    /// Presence from another peer syncing the same document, with the account the relay says sent it.
    Ephemeral {
        from: PeerId,
        document: DocumentId,
        data: Vec<u8>,
        account: Option<crate::protocol::SenderAccount>,
    },
    /// The relay reported an error; it closes the connection next.
    Refused(String),
    /// Nothing the device needs to act on (heads gossip, a peer leaving).
    Ignored,
}

/// Why a frame from the relay could not be used. The connection should be closed and opened again.
#[derive(Debug, thiserror::Error)]
pub enum SyncClientError {
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("the relay sent {0} before accepting our join")]
    NotJoined(&'static str),
    #[error("a sync message from the relay is not valid: {0}")]
    BadSyncMessage(String),
}

/// Per-document sync progress with the relay.
#[derive(Debug, Default)]
struct DocSync {
    state: am_sync::State,
    /// The relay said it has no such document; asked again only by [`SyncClient::retry_unavailable`].
    unavailable: bool,
    /// Something was sent for this document on the current connection.
    started: bool,
}

/// A device's conversation with the relay.
#[derive(Debug)]
pub struct SyncClient {
    me: PeerId,
    relay: Option<PeerId>,
    docs: HashMap<DocumentId, DocSync>,
    ephemeral_count: u64,
    session: String,
}

impl SyncClient {
    /// A client speaking as peer `me`; `session` names this run of the app in ephemeral messages.
    pub fn new(me: impl Into<PeerId>, session: impl Into<String>) -> SyncClient {
        SyncClient {
            me: me.into(),
            relay: None,
            docs: HashMap::new(),
            ephemeral_count: 0,
            session: session.into(),
        }
    }

    pub fn peer_id(&self) -> &str {
        &self.me
    }

    /// The first frame of every connection.
    pub fn join(&self) -> Vec<u8> {
        Message::Join {
            sender_id: self.me.clone(),
            supported_protocol_versions: vec![PROTOCOL_VERSION.into()],
            metadata: Some(PeerMetadata { storage_id: None, is_ephemeral: false }),
        }
        .encode()
    }

    /// Whether the relay accepted our join on the current connection.
    pub fn is_connected(&self) -> bool {
        self.relay.is_some()
    }

    /// Reads one frame from the relay.
    pub fn receive(&mut self, frame: &[u8]) -> Result<Event, SyncClientError> {
        let message = Message::decode(frame)?;
        if self.relay.is_none() {
            return match message {
                Message::Peer { sender_id, .. } => {
                    self.relay = Some(sender_id);
                    Ok(Event::Connected)
                }
                Message::Error { message } => Ok(Event::Refused(message)),
                other => Err(SyncClientError::NotJoined(other.kind())),
            };
        }
        Ok(match message {
            Message::Sync { document_id, data, .. }
            | Message::Request { document_id, data, .. } => {
                let message = crate::protocol::decode_sync_message(&data)
                    .map_err(|error| SyncClientError::BadSyncMessage(error.to_string()))?;
                self.docs.entry(document_id).or_default().unavailable = false;
                Event::Sync { document: document_id, message }
            }
            Message::DocUnavailable { document_id, .. } => {
                self.docs.entry(document_id).or_default().unavailable = true;
                Event::Unavailable(document_id)
            }
            Message::Ephemeral { sender_id, document_id, data, sender_account, .. } => {
                Event::Ephemeral {
                    from: sender_id,
                    document: document_id,
                    data,
                    account: sender_account,
                }
            }
            Message::Error { message } => Event::Refused(message),
            _ => Event::Ignored,
        })
    }

    /// The next frame to send about `id`, if the relay lacks something of `doc` or we lack something
    /// of the relay's. A document with no history yet is *requested* (the relay answers
    /// `doc-unavailable` if it has none); one with history is *synced*, which lets the relay store it.
    pub fn message_for(&mut self, id: DocumentId, doc: &mut AutoCommit) -> Option<Vec<u8>> {
        let relay = self.relay.clone()?;
        let entry = self.docs.entry(id).or_default();
        if entry.unavailable && doc.get_heads().is_empty() {
            return None;
        }
        let message = doc.sync().generate_sync_message(&mut entry.state)?;
        let request = !entry.started && doc.get_heads().is_empty();
        entry.started = true;
        let (sender_id, target_id, data) = (self.me.clone(), relay, message.encode());
        Some(
            if request {
                Message::Request { sender_id, target_id, document_id: id, data }
            } else {
                Message::Sync { sender_id, target_id, document_id: id, data }
            }
            .encode(),
        )
    }

    /// The first frame about document `id` on a connection, for a document this device has not loaded
    /// and knows the `heads` of — when those are exactly where the last conversation stopped (its
    /// resume point) and nothing else is known yet, the message says only "I have these heads", and
    /// needs no document: Automerge's own message for that case, built without loading the document.
    /// `None` otherwise: load the document and use [`SyncClient::message_for`].
    pub fn resume_message(&mut self, id: DocumentId, heads: &[ChangeHash]) -> Option<Vec<u8>> {
        let relay = self.relay.clone()?;
        let entry = self.docs.get_mut(&id)?;
        let state = &mut entry.state;
        let ours = as_set(heads);
        let shared = as_set(&state.shared_heads);
        let fresh = state.their_heads.is_none()
            && state.their_have.as_ref().is_none_or(|have| have.is_empty())
            && state.their_need.is_none()
            && state.their_capabilities.is_none()
            && state.last_sent_heads.is_empty()
            && state.sent_hashes.is_empty()
            && !state.have_responded
            && !state.read_only
            && !state.needs_reset;
        if !fresh || ours.is_empty() || ours != shared || entry.unavailable {
            return None;
        }
        // What `generate_sync_message` sends in this state: our heads, nothing needed, and a summary
        // of the changes since the shared heads — none.
        let mut flags = am_sync::MessageFlags::new();
        flags.set(am_sync::MessageFlags::SUPPORTS_SYNC_RESET);
        let message = am_sync::Message {
            heads: ours.clone(),
            need: Vec::new(),
            have: vec![am_sync::Have {
                last_sync: state.shared_heads.clone(),
                bloom: am_sync::BloomFilter::from_hashes(std::iter::empty::<ChangeHash>()),
            }],
            changes: am_sync::ChunkList::empty(),
            flags: Some(flags),
            version: am_sync::MessageVersion::V1,
        };
        state.have_responded = true;
        state.last_sent_heads = ours;
        state.in_flight = true;
        entry.started = true;
        Some(
            Message::Sync {
                sender_id: self.me.clone(),
                target_id: relay,
                document_id: id,
                data: message.encode(),
            }
            .encode(),
        )
    }

    /// Takes a message from the relay about document `id` without the document, when it only says the
    /// relay is exactly where this device is (`heads`, not loaded) and that nothing is owed either way —
    /// what the relay answers [`SyncClient::resume_message`] when nothing changed. The state then is
    /// what [`SyncClient::apply`] would leave, and there is nothing to answer. Returns `false` (nothing
    /// taken) for any other message: load the document and apply it.
    pub fn take_in_step(
        &mut self,
        id: DocumentId,
        heads: &[ChangeHash],
        message: &am_sync::Message,
    ) -> bool {
        let Some(entry) = self.docs.get_mut(&id) else { return false };
        let state = &mut entry.state;
        let ours = as_set(heads);
        let where_we_are = !ours.is_empty()
            && message.changes.is_empty()
            && message.need.is_empty()
            && as_set(&message.heads) == ours
            && !message.have.is_empty()
            && message.have.iter().all(|have| as_set(&have.last_sync) == ours)
            && state.sent_hashes.is_empty()
            && state.last_sent_heads == ours
            && !state.read_only;
        if !where_we_are {
            return false;
        }
        // As `receive_sync_message` sets them for a message that changes nothing.
        state.in_flight = false;
        if let Some(flags) = message.flags {
            let mut capabilities = vec![am_sync::Capability::MessageV2];
            if flags.contains(am_sync::MessageFlags::SUPPORTS_SYNC_RESET) {
                capabilities.push(am_sync::Capability::SyncReset);
            }
            state.their_capabilities = Some(capabilities);
            state.peer_read_only = flags.contains(am_sync::MessageFlags::READ_ONLY);
        }
        state.last_sent_heads.clone_from(&message.heads);
        state.shared_heads.clone_from(&message.heads);
        state.their_have = Some(message.have.clone());
        state.their_heads = Some(message.heads.clone());
        state.their_need = Some(message.need.clone());
        true
    }

    /// Applies a sync message from the relay to `doc`.
    pub fn apply(
        &mut self,
        id: DocumentId,
        doc: &mut AutoCommit,
        message: am_sync::Message,
    ) -> Result<(), AutomergeError> {
        let entry = self.docs.entry(id).or_default();
        doc.sync().receive_sync_message(&mut entry.state, message)
    }

    /// Whether the relay is known to hold every change of `doc`: it told us heads that include ours.
    pub fn relay_has(&self, id: DocumentId, doc: &mut AutoCommit) -> bool {
        let Some(theirs) = self.docs.get(&id).and_then(|entry| entry.state.their_heads.as_ref())
        else {
            return false;
        };
        doc.get_heads().iter().all(|head| theirs.contains(head))
    }

    /// Whether this device and the relay hold the same history of `doc`: the relay has every change of
    /// ours, and we have every change of the heads it last told us. (A new device that has not received
    /// a document yet has nothing the relay lacks, but is not in step with it.)
    pub fn in_step(&self, id: DocumentId, doc: &mut AutoCommit) -> bool {
        self.relay_has(id, doc)
            && self.relay_heads(id).is_some_and(|theirs| {
                theirs.iter().all(|head| doc.get_change_by_hash(head).is_some())
            })
    }

    /// Whether this device, holding `heads` of document `id`, and the relay hold the same history — the
    /// same answer as [`SyncClient::in_step`] without the document at hand: the relay has all of ours
    /// and we have all of its exactly when both name the same heads (no head is an ancestor of another).
    pub fn in_step_at(&self, id: DocumentId, heads: &[ChangeHash]) -> bool {
        self.relay_heads(id).is_some_and(|theirs| as_set(theirs) == as_set(heads))
    }

    /// Document `id`'s whole sync state, for a worker to apply a message with
    /// ([`crate::offload::WholeDocument`]).
    pub fn state_for(&self, id: DocumentId) -> SyncState {
        self.docs.get(&id).map(|entry| SyncState::of(&entry.state)).unwrap_or_default()
    }

    /// Takes over the sync state a worker ended with after applying a message to document `id`, and
    /// returns the frame carrying its reply to the relay, if any — as [`SyncClient::apply`] followed
    /// by [`SyncClient::message_for`] would have.
    pub fn adopt(
        &mut self,
        id: DocumentId,
        state: &SyncState,
        reply: Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, OffloadError> {
        let state = state.to_state()?;
        let entry = self.docs.entry(id).or_default();
        entry.state = state;
        let (Some(data), Some(relay)) = (reply, self.relay.clone()) else { return Ok(None) };
        entry.started = true;
        Ok(Some(
            Message::Sync { sender_id: self.me.clone(), target_id: relay, document_id: id, data }
                .encode(),
        ))
    }

    /// The heads the relay last told us for `id`, if it did on this or an earlier connection.
    pub fn relay_heads(&self, id: DocumentId) -> Option<&[ChangeHash]> {
        self.docs.get(&id).and_then(|entry| entry.state.their_heads.as_deref())
    }

    /// Documents the relay said it does not have, to ask again (another device may have created them).
    pub fn retry_unavailable(&mut self) -> Vec<DocumentId> {
        let mut ids = Vec::new();
        for (id, entry) in &mut self.docs {
            if entry.unavailable {
                entry.unavailable = false;
                entry.started = false;
                entry.state = am_sync::State::new();
                ids.push(*id);
            }
        }
        ids
    }

    /// The connection ended: keep, per document, only the heads both sides shared, as Automerge
    /// prescribes for resuming, and wait for a new `peer`.
    pub fn disconnected(&mut self) {
        self.relay = None;
        for entry in self.docs.values_mut() {
            let shared = std::mem::take(&mut entry.state.shared_heads);
            entry.state = am_sync::State::new();
            entry.state.shared_heads = shared;
            entry.started = false;
            entry.unavailable = false;
        }
    }

    /// Where each document's conversation with the relay can resume after a reload, as text a device
    /// keeps: one line per document, its id and the heads both sides last shared (Automerge's encoded
    /// sync state, base64). Documents with nothing shared yet are left out.
    pub fn resume_points(&self) -> String {
        use base64::Engine;
        let mut lines: Vec<String> = self
            .docs
            .iter()
            .filter(|(_, entry)| !entry.state.shared_heads.is_empty())
            .map(|(id, entry)| {
                let state = base64::engine::general_purpose::STANDARD.encode(entry.state.encode());
                format!("{id}\t{state}")
            })
            .collect();
        lines.sort_unstable();
        lines.join("\n")
    }

    /// Resumes from [`SyncClient::resume_points`] saved before a reload, so the first message about
    /// each document offers only what changed since. A line that does not read is skipped: that
    /// document's conversation starts from nothing, as it would without the points. Returns how many
    /// documents resumed.
    pub fn resume(&mut self, points: &str) -> usize {
        use base64::Engine;
        let mut resumed = 0;
        for line in points.lines() {
            let Some((id, state)) = line.split_once('\t') else { continue };
            let (Ok(id), Ok(bytes)) =
                (id.parse::<DocumentId>(), base64::engine::general_purpose::STANDARD.decode(state))
            else {
                continue;
            };
            let Ok(state) = am_sync::State::decode(&bytes) else { continue };
            self.docs.entry(id).or_default().state = state;
            resumed += 1;
        }
        resumed
    }

    /// A presence frame about document `id` (who is here, what they look at), for the relay to pass to
    /// the other peers syncing it. `None` while not connected.
    pub fn ephemeral(&mut self, id: DocumentId, data: Vec<u8>) -> Option<Vec<u8>> {
        let relay = self.relay.clone()?;
        self.ephemeral_count += 1;
        Some(
            Message::Ephemeral {
                sender_id: self.me.clone(),
                target_id: relay,
                count: self.ephemeral_count,
                session_id: self.session.clone(),
                document_id: id,
                data,
                sender_account: None,
            }
            .encode(),
        )
    }
}

/// Heads compared as sets: sorted, each once.
fn as_set(heads: &[ChangeHash]) -> Vec<ChangeHash> {
    let mut heads = heads.to_vec();
    heads.sort_unstable();
    heads.dedup();
    heads
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ROOT};

    /// A stand-in relay peer for unit tests: one document, the real `automerge::sync`. (The real relay
    /// is tested with this client in `sync-server/tests`.)
    struct Peer {
        doc: Automerge,
        state: am_sync::State,
    }

    impl Peer {
        fn answer(&mut self, frame: &[u8]) -> Option<Vec<u8>> {
            let (id, data) = match Message::decode(frame).unwrap() {
                Message::Sync { document_id, data, .. }
                | Message::Request { document_id, data, .. } => (document_id, data),
                other => panic!("unexpected {other:?}"),
            };
            let message = am_sync::Message::decode(&data).unwrap();
            self.doc.receive_sync_message(&mut self.state, message).unwrap();
            let reply = self.doc.generate_sync_message(&mut self.state)?;
            Some(
                Message::Sync {
                    sender_id: "relay".into(),
                    target_id: "me".into(),
                    document_id: id,
                    data: reply.encode(),
                }
                .encode(),
            )
        }
    }

    fn connected() -> SyncClient {
        let mut client = SyncClient::new("me", "s1");
        let peer = Message::Peer {
            sender_id: "relay".into(),
            target_id: "me".into(),
            selected_protocol_version: "1".into(),
            metadata: None,
        };
        assert!(matches!(client.receive(&peer.encode()).unwrap(), Event::Connected));
        client
    }

    /// Runs the exchange until neither side has anything to say.
    fn settle(client: &mut SyncClient, id: DocumentId, doc: &mut AutoCommit, relay: &mut Peer) {
        for _ in 0..20 {
            let Some(frame) = client.message_for(id, doc) else { return };
            if let Some(reply) = relay.answer(&frame) {
                match client.receive(&reply).unwrap() {
                    Event::Sync { document, message } => {
                        client.apply(document, doc, message).unwrap()
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        panic!("the sync did not settle");
    }

    #[test]
    fn a_device_is_in_step_only_once_it_holds_what_the_relay_has() {
        let id = DocumentId([4; 16]);
        let mut client = connected();
        let mut relay = Peer { doc: Automerge::new(), state: am_sync::State::new() };
        let mut written = AutoCommit::new();
        written.put(ROOT, "name", "Acme").unwrap();
        relay.doc.merge(&mut written.document().clone()).unwrap();
        let mut doc = AutoCommit::new();
        // The relay's heads are known before its changes arrive: nothing of ours is missing there, yet
        // this device is behind.
        let request = client.message_for(id, &mut doc).unwrap();
        relay.answer(&request);
        let heads = am_sync::Message {
            heads: relay.doc.get_heads(),
            need: Vec::new(),
            have: Vec::new(),
            changes: am_sync::ChunkList::empty(),
            flags: None,
            version: am_sync::MessageVersion::V1,
        };
        let frame = Message::Sync {
            sender_id: "relay".into(),
            target_id: "me".into(),
            document_id: id,
            data: heads.encode(),
        };
        match client.receive(&frame.encode()).unwrap() {
            Event::Sync { document, message } => client.apply(document, &mut doc, message).unwrap(),
            other => panic!("unexpected {other:?}"),
        }
        assert!(client.relay_has(id, &mut doc));
        assert!(!client.in_step(id, &mut doc));
        settle(&mut client, id, &mut doc, &mut relay);
        assert!(client.in_step(id, &mut doc));
        assert_eq!(doc.get_heads(), relay.doc.get_heads());
    }

    #[test]
    fn nothing_is_sent_before_the_relay_accepts_the_join() {
        let mut client = SyncClient::new("me", "s1");
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", 1).unwrap();
        assert!(client.message_for(DocumentId([1; 16]), &mut doc).is_none());
        let sync = Message::Sync {
            sender_id: "relay".into(),
            target_id: "me".into(),
            document_id: DocumentId([1; 16]),
            data: vec![],
        };
        assert!(matches!(client.receive(&sync.encode()), Err(SyncClientError::NotJoined("sync"))));
    }

    #[test]
    fn an_empty_document_is_requested_and_one_with_history_is_synced() {
        let mut client = connected();
        let mut empty = AutoCommit::new();
        let frame = client.message_for(DocumentId([1; 16]), &mut empty).unwrap();
        assert_eq!(Message::decode(&frame).unwrap().kind(), "request");
        let mut full = AutoCommit::new();
        full.put(ROOT, "a", 1).unwrap();
        let frame = client.message_for(DocumentId([2; 16]), &mut full).unwrap();
        assert_eq!(Message::decode(&frame).unwrap().kind(), "sync");
    }

    #[test]
    fn local_changes_reach_the_relay_and_are_then_known_to_be_there() {
        let id = DocumentId([3; 16]);
        let mut client = connected();
        let mut relay = Peer { doc: Automerge::new(), state: am_sync::State::new() };
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "name", "Acme").unwrap();
        assert!(!client.relay_has(id, &mut doc));
        settle(&mut client, id, &mut doc, &mut relay);
        assert!(client.relay_has(id, &mut doc));
        assert_eq!(relay.doc.get_heads(), doc.get_heads());
        doc.put(ROOT, "name", "Acme Ltd").unwrap();
        assert!(!client.relay_has(id, &mut doc), "a new local change is not on the relay yet");
        settle(&mut client, id, &mut doc, &mut relay);
        assert!(client.relay_has(id, &mut doc));
    }

    #[test]
    fn a_reconnect_sends_only_what_is_missing() {
        let id = DocumentId([4; 16]);
        let mut client = connected();
        let mut relay = Peer { doc: Automerge::new(), state: am_sync::State::new() };
        let mut doc = AutoCommit::new();
        for i in 0..200 {
            doc.put(ROOT, format!("k{i}"), i).unwrap();
        }
        settle(&mut client, id, &mut doc, &mut relay);
        client.disconnected();
        relay.state = am_sync::State::new();
        doc.put(ROOT, "late", "one more").unwrap();
        let peer = Message::Peer {
            sender_id: "relay".into(),
            target_id: "me".into(),
            selected_protocol_version: "1".into(),
            metadata: None,
        };
        client.receive(&peer.encode()).unwrap();
        let first = client.message_for(id, &mut doc).unwrap();
        let Message::Sync { data, .. } = Message::decode(&first).unwrap() else { panic!() };
        let message = am_sync::Message::decode(&data).unwrap();
        // The first message after reconnecting names what both had, so only the one new change follows.
        assert!(message.changes.is_empty());
        assert!(!message.have.is_empty() && !message.have[0].last_sync.is_empty());
        let reply = relay.answer(&first).unwrap();
        let Event::Sync { document, message } = client.receive(&reply).unwrap() else { panic!() };
        client.apply(document, &mut doc, message).unwrap();
        settle(&mut client, id, &mut doc, &mut relay);
        assert_eq!(relay.doc.get_heads(), doc.get_heads());
    }

    #[test]
    fn after_a_reload_the_saved_points_resume_each_conversation() {
        let id = DocumentId([6; 16]);
        let mut relay = Peer { doc: Automerge::new(), state: am_sync::State::new() };
        let mut doc = AutoCommit::new();
        for i in 0..200 {
            doc.put(ROOT, format!("k{i}"), i).unwrap();
        }
        let mut before = connected();
        settle(&mut before, id, &mut doc, &mut relay);
        before.disconnected();
        let points = before.resume_points();
        assert!(!points.is_empty());

        // A reload: a new client (and on the relay a new connection) with the saved points and a
        // damaged line beside them.
        let mut after = connected();
        assert_eq!(
            after.resume(&format!("{points}\nnot a point\n{}\tAAAA", DocumentId([7; 16]))),
            1
        );
        relay.state = am_sync::State::new();
        doc.put(ROOT, "late", "one more").unwrap();
        let first = after.message_for(id, &mut doc).unwrap();
        let Message::Sync { data, .. } = Message::decode(&first).unwrap() else { panic!() };
        let message = am_sync::Message::decode(&data).unwrap();
        assert!(!message.have.is_empty() && !message.have[0].last_sync.is_empty(), "resumed");
        let reply = relay.answer(&first).unwrap();
        let Event::Sync { document, message } = after.receive(&reply).unwrap() else { panic!() };
        // The relay sends nothing of the 200 changes both already had.
        assert!(message.changes.is_empty(), "{} changes resent", message.changes.len());
        after.apply(document, &mut doc, message).unwrap();
        settle(&mut after, id, &mut doc, &mut relay);
        assert_eq!(relay.doc.get_heads(), doc.get_heads());

        // Without the points a fresh client starts from nothing.
        let mut fresh = connected();
        let first = fresh.message_for(id, &mut doc).unwrap();
        let Message::Sync { data, .. } = Message::decode(&first).unwrap() else { panic!() };
        let message = am_sync::Message::decode(&data).unwrap();
        assert!(message.have.is_empty() || message.have[0].last_sync.is_empty());
    }

    #[test]
    fn a_document_merged_by_a_worker_continues_the_conversation_where_apply_would() {
        let id = DocumentId([8; 16]);
        let mut relay = Peer { doc: Automerge::new(), state: am_sync::State::new() };
        let mut source = AutoCommit::new();
        for i in 0..100 {
            source.put(ROOT, format!("k{i}"), i).unwrap();
        }
        relay.doc = Automerge::load(&source.save()).unwrap();

        // A new device asks; the relay sends everything; a worker applies it.
        let mut client = connected();
        let mut empty = crate::document::new_document();
        let ask = client.message_for(id, &mut empty).unwrap();
        let offer = relay.answer(&ask).unwrap();
        let Event::Sync { document, message } = client.receive(&offer).unwrap() else { panic!() };
        let job = crate::offload::WholeDocument {
            key: "parties/0".into(),
            state: client.state_for(document),
            message: message.encode(),
        };
        let merged = crate::offload::merge_whole(&job).unwrap();
        assert!(!client.in_step_at(id, &merged.heads()), "the relay has not heard from us yet");
        let reply = client.adopt(id, &merged.state, merged.reply.clone()).unwrap().unwrap();
        assert_eq!(Message::decode(&reply).unwrap().kind(), "sync");
        assert!(relay.answer(&reply).is_none(), "the relay has nothing more to send");
        assert!(client.in_step_at(id, &merged.heads()));
        assert!(!client.in_step_at(id, &[]));

        // Later, the page loads the stored snapshot and the conversation goes on as usual.
        let mut doc = crate::document::load_document(&merged.snapshot).unwrap();
        assert!(client.in_step(id, &mut doc));
        relay
            .doc
            .transact::<_, _, automerge::AutomergeError>(|tx| {
                tx.put(ROOT, "late", "from a colleague")?;
                Ok(())
            })
            .unwrap();
        relay.state.have_responded = false;
        let push = relay.doc.generate_sync_message(&mut relay.state).unwrap();
        client.apply(id, &mut doc, push).unwrap();
        settle(&mut client, id, &mut doc, &mut relay);
        assert_eq!(doc.get_heads(), relay.doc.get_heads());
        assert!(client.in_step(id, &mut doc));
    }

    #[test]
    fn a_resumed_document_is_announced_without_loading_it_exactly_as_automerge_would() {
        let id = DocumentId([9; 16]);
        let mut relay = Peer { doc: Automerge::new(), state: am_sync::State::new() };
        let mut doc = AutoCommit::new();
        for i in 0..50 {
            doc.put(ROOT, format!("k{i}"), i).unwrap();
            doc.commit();
        }
        let mut before = connected();
        settle(&mut before, id, &mut doc, &mut relay);
        before.disconnected();
        let points = before.resume_points();

        // Two reloads from the same points: one loads the document, one does not.
        let (mut loading, mut not_loading) = (connected(), connected());
        loading.resume(&points);
        not_loading.resume(&points);
        let heads = doc.get_heads();
        let expected = loading.message_for(id, &mut doc).unwrap();
        let built = not_loading.resume_message(id, &heads).unwrap();
        assert_eq!(built, expected, "the same frame, byte for byte");
        assert_eq!(
            not_loading.docs[&id].state, loading.docs[&id].state,
            "and the same state after"
        );
        assert!(not_loading.resume_message(id, &heads).is_none(), "only as the first message");

        // The relay, in a new connection, answers it as it answers the loaded one.
        relay.state = am_sync::State::new();
        let answer = relay.answer(&built);
        relay.state = am_sync::State::new();
        assert_eq!(answer, relay.answer(&expected));

        // The relay's answer when nothing changed is taken without the document too, leaving the
        // state `apply` leaves, and nothing to say.
        let Some(reply) = answer else { panic!("the relay answers a resumed document") };
        let (Event::Sync { message: taken, .. }, Event::Sync { message: applied, .. }) =
            (not_loading.receive(&reply).unwrap(), loading.receive(&reply).unwrap())
        else {
            panic!("a sync message")
        };
        assert!(not_loading.take_in_step(id, &heads, &taken));
        loading.apply(id, &mut doc, applied).unwrap();
        assert_eq!(not_loading.docs[&id].state, loading.docs[&id].state);
        assert!(loading.message_for(id, &mut doc).is_none(), "nothing to answer");
        assert!(not_loading.in_step_at(id, &heads));
        // A colleague's change is never taken without the document.
        relay
            .doc
            .transact::<_, _, automerge::AutomergeError>(|tx| {
                tx.put(ROOT, "colleague", 1)?;
                Ok(())
            })
            .unwrap();
        let news = relay.doc.generate_sync_message(&mut relay.state).unwrap();
        assert!(!news.changes.is_empty());
        assert!(!not_loading.take_in_step(id, &heads, &news));

        // Heads other than the resume point (or no resume point) need the document.
        let mut other = connected();
        other.resume(&points);
        doc.put(ROOT, "late", 1).unwrap();
        assert!(other.resume_message(id, &doc.get_heads()).is_none());
        assert!(connected().resume_message(id, &heads).is_none());
    }

    #[test]
    fn an_unavailable_document_is_not_asked_for_again_until_retried() {
        let id = DocumentId([5; 16]);
        let mut client = connected();
        let mut empty = AutoCommit::new();
        client.message_for(id, &mut empty).unwrap();
        let unavailable = Message::DocUnavailable {
            sender_id: "relay".into(),
            target_id: "me".into(),
            document_id: id,
        };
        assert!(
            matches!(client.receive(&unavailable.encode()).unwrap(), Event::Unavailable(d) if d == id)
        );
        assert!(client.message_for(id, &mut empty).is_none());
        assert_eq!(client.retry_unavailable(), vec![id]);
        let frame = client.message_for(id, &mut empty).unwrap();
        assert_eq!(Message::decode(&frame).unwrap().kind(), "request");
    }

    #[test]
    fn garbage_from_the_relay_is_an_error_not_a_panic() {
        let mut client = connected();
        assert!(client.receive(&[0xff, 0x00, 0x13]).is_err());
        let bad = Message::Sync {
            sender_id: "relay".into(),
            target_id: "me".into(),
            document_id: DocumentId([6; 16]),
            data: vec![1, 2, 3],
        };
        assert!(matches!(client.receive(&bad.encode()), Err(SyncClientError::BadSyncMessage(_))));
    }
}
