//! What a device's connection to the relay knows about the workspace's documents, and what it decides
//! with each frame — sans IO, so the decisions are tested natively and every driver makes the same ones.
//!
//! The browser's sync engine (`app/src/sync.rs`) owns one per websocket: it moves frames and bytes, asks
//! storage, and runs the worker; this decides which documents are synced on this connection, which
//! wait for the relay to confirm them (the "pending" set that says syncing or synced), which messages
//! wait behind a worker's merge of their document (handled in order once it is done), and when the screens
//! and the resume points are due (throttled, with the time given in). The protocol itself is
//! [`crate::sync_client::SyncClient`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use automerge::sync::Message;

use crate::ids::WorkspaceId;
use crate::layout::{DocKey, DocumentId};

/// How often, at most, the screens are told of colleagues' changes while they stream in: a new device
/// receives dozens of documents in a row, and re-rendering after each would waste the time.
pub const RENDER_EVERY_MS: f64 = 100.0;
/// How often, at most, the resume points are kept while in step.
pub const KEEP_RESUME_POINTS_EVERY_MS: f64 = 10_000.0;

/// One connection's view of the workspace's documents.
#[derive(Debug)]
pub struct ConnectionState {
    workspace: WorkspaceId,
    /// Every document being synced, by its protocol id.
    documents: BTreeMap<DocumentId, DocKey>,
    /// Documents whose changes the relay has not confirmed yet, or that a worker is merging.
    pending: BTreeSet<DocKey>,
    /// Documents a worker is merging, with the relay's messages about them that arrived meanwhile.
    merging: BTreeMap<DocKey, VecDeque<Message>>,
    /// The read model changed since the screens were last told.
    dirty: bool,
    last_render: f64,
    last_kept: f64,
}

/// What to do with a sync message from the relay.
#[derive(Debug)]
pub enum Incoming {
    /// About a document this connection does not sync: ignored.
    Unknown,
    /// A worker is merging the document: the message waits ([`ConnectionState::worker_finished`] hands it
    /// back, in order).
    Held,
    /// Take it: on the page, or — when `whole` and the device holds nothing of the document — in a
    /// worker ([`ConnectionState::worker_started`]).
    Take { key: DocKey, message: Message, whole: bool },
}

impl ConnectionState {
    pub fn new(workspace: WorkspaceId) -> ConnectionState {
        ConnectionState {
            workspace,
            documents: BTreeMap::new(),
            pending: BTreeSet::new(),
            merging: BTreeMap::new(),
            dirty: false,
            last_render: f64::NEG_INFINITY,
            last_kept: f64::NEG_INFINITY,
        }
    }

    /// Syncs document `key` on this connection from now on.
    pub fn add(&mut self, key: DocKey) {
        self.documents.insert(key.document_id(self.workspace), key);
    }

    /// The document of protocol id `id`, if this connection syncs it.
    pub fn key_of(&self, id: DocumentId) -> Option<DocKey> {
        self.documents.get(&id).copied()
    }

    /// Of `keys` (the root's table), those this connection does not sync yet: a colleague created them.
    pub fn undiscovered(&self, keys: impl IntoIterator<Item = DocKey>) -> Vec<DocKey> {
        keys.into_iter()
            .filter(|key| !self.documents.contains_key(&key.document_id(self.workspace)))
            .collect()
    }

    /// Decides what to do with the relay's `message` about `document`. A document arrives whole (a
    /// candidate for a worker) when it carries changes and is not the root, whose settings the page
    /// reads at once.
    pub fn receive(&mut self, document: DocumentId, message: Message) -> Incoming {
        let Some(key) = self.key_of(document) else { return Incoming::Unknown };
        if let Some(waiting) = self.merging.get_mut(&key) {
            waiting.push_back(message);
            return Incoming::Held;
        }
        let whole = key != DocKey::Root && !message.changes.is_empty();
        Incoming::Take { key, message, whole }
    }

    /// A worker merges document `key`: it is not synced until the outcome is stored and the relay
    /// answered, and the relay's next messages about it wait.
    pub fn worker_started(&mut self, key: DocKey) {
        self.merging.insert(key, VecDeque::new());
        self.pending.insert(key);
    }

    /// The worker is done with document `key` (stored, or failed and the page took the message): the
    /// messages that waited, in the order they came.
    pub fn worker_finished(&mut self, key: DocKey) -> VecDeque<Message> {
        self.merging.remove(&key).unwrap_or_default()
    }

    /// Something of document `key` was offered to the relay (`relay_has`: it holds all of it already).
    pub fn offered(&mut self, key: DocKey, relay_has: bool) {
        if !relay_has {
            self.pending.insert(key);
        }
    }

    /// The relay does not have document `key`. If the device holds nothing of it either, there is
    /// nothing to wait for; otherwise it stays pending (and the user is told).
    pub fn unavailable(&mut self, key: DocKey, device_holds_nothing: bool) {
        if device_holds_nothing {
            self.pending.remove(&key);
        }
    }

    /// Whether document `key` waits for the relay (so whether [`ConnectionState::settle`] needs its heads).
    pub fn is_pending(&self, key: DocKey) -> bool {
        self.pending.contains(&key)
    }

    /// After a frame about document `key`: once device and relay are in step, it is no longer pending.
    /// Returns `true` when it just left the pending set: its edits are on the relay.
    pub fn settle(&mut self, key: DocKey, in_step: bool) -> bool {
        if in_step && !self.merging.contains_key(&key) { self.pending.remove(&key) } else { false }
    }

    /// Synced: no document waits for the relay.
    pub fn synced(&self) -> bool {
        self.pending.is_empty()
    }

    /// The read model changed: the screens are to be told.
    pub fn rows_changed(&mut self) {
        self.dirty = true;
    }

    /// Whether to tell the screens now (`now_ms`: the clock in milliseconds): at most every
    /// [`RENDER_EVERY_MS`] unless `force`d, and only when something changed.
    pub fn render_due(&mut self, now_ms: f64, force: bool) -> bool {
        if self.dirty && (force || now_ms - self.last_render >= RENDER_EVERY_MS) {
            self.dirty = false;
            self.last_render = now_ms;
            return true;
        }
        false
    }

    /// Whether to keep the resume points now: only in step (what is pending has not been agreed), at
    /// most every [`KEEP_RESUME_POINTS_EVERY_MS`].
    pub fn keep_resume_points_due(&mut self, now_ms: f64) -> bool {
        if !self.synced() || now_ms - self.last_kept < KEEP_RESUME_POINTS_EVERY_MS {
            return false;
        }
        self.last_kept = now_ms;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Collection, Month};

    fn workspace() -> WorkspaceId {
        WorkspaceId::from_bytes([7; 16])
    }

    const PARTIES: DocKey = DocKey::Shard { collection: Collection::Parties, shard: 3 };

    fn with_changes(doc: &mut automerge::AutoCommit) -> Message {
        use automerge::sync::SyncDoc;
        let mut relay_state = automerge::sync::State::new();
        doc.sync().generate_sync_message(&mut relay_state).expect("a first message");
        let mut device = crate::document::new_document();
        let mut device_state = automerge::sync::State::new();
        let ask = device.sync().generate_sync_message(&mut device_state).expect("an ask");
        doc.sync().receive_sync_message(&mut relay_state, ask).expect("received");
        doc.sync().generate_sync_message(&mut relay_state).expect("the document")
    }

    fn a_document() -> automerge::AutoCommit {
        let mut doc = crate::document::new_document();
        crate::document::put(&mut doc, "record", &"value".to_owned()).expect("put");
        doc.commit();
        doc
    }

    #[test]
    fn a_message_about_a_document_not_synced_here_is_ignored() {
        let mut connection = ConnectionState::new(workspace());
        let id = PARTIES.document_id(workspace());
        let message = with_changes(&mut a_document());
        assert!(matches!(connection.receive(id, message.clone()), Incoming::Unknown));
        connection.add(PARTIES);
        assert!(matches!(
            connection.receive(id, message),
            Incoming::Take { key: PARTIES, whole: true, .. }
        ));
        // Another workspace's document of the same key is another document.
        let other = PARTIES.document_id(WorkspaceId::from_bytes([8; 16]));
        assert_eq!(connection.key_of(other), None);
    }

    #[test]
    fn the_root_and_messages_without_changes_stay_on_the_page() {
        let mut connection = ConnectionState::new(workspace());
        connection.add(DocKey::Root);
        connection.add(PARTIES);
        let root = DocKey::Root.document_id(workspace());
        let message = with_changes(&mut a_document());
        assert!(matches!(connection.receive(root, message), Incoming::Take { whole: false, .. }));
        let mut empty = crate::document::new_document();
        let mut state = automerge::sync::State::new();
        let heads_only = {
            use automerge::sync::SyncDoc;
            empty.sync().generate_sync_message(&mut state).expect("a message")
        };
        assert!(matches!(
            connection.receive(PARTIES.document_id(workspace()), heads_only),
            Incoming::Take { whole: false, .. }
        ));
    }

    #[test]
    fn messages_wait_behind_a_workers_merge_and_come_back_in_order() {
        let mut connection = ConnectionState::new(workspace());
        connection.add(PARTIES);
        let id = PARTIES.document_id(workspace());
        let (first, second) = (with_changes(&mut a_document()), with_changes(&mut a_document()));
        connection.worker_started(PARTIES);
        assert!(connection.is_pending(PARTIES) && !connection.synced(), "syncing while it merges");
        assert!(matches!(connection.receive(id, first.clone()), Incoming::Held));
        assert!(matches!(connection.receive(id, second.clone()), Incoming::Held));
        assert!(!connection.settle(PARTIES, true), "not settled while the worker has it");
        let waited: Vec<Message> = connection.worker_finished(PARTIES).into();
        assert_eq!(
            waited.iter().map(|m| m.heads.clone()).collect::<Vec<_>>(),
            [first.heads, second.heads]
        );
        assert!(connection.settle(PARTIES, true), "in step once done");
        assert!(connection.synced());
        assert!(matches!(
            connection.receive(id, with_changes(&mut a_document())),
            Incoming::Take { .. }
        ));
    }

    #[test]
    fn a_document_is_pending_until_the_relay_is_in_step_with_it() {
        let mut connection = ConnectionState::new(workspace());
        let month = DocKey::Interactions(Month { year: 2026, month: 12 });
        connection.add(PARTIES);
        connection.add(month);
        connection.offered(PARTIES, true);
        assert!(connection.synced(), "the relay had it all");
        connection.offered(PARTIES, false);
        connection.offered(month, false);
        assert!(!connection.settle(PARTIES, false));
        assert!(
            connection.settle(PARTIES, true),
            "left the pending set: its edits are on the relay"
        );
        assert!(!connection.settle(PARTIES, true), "said once");
        assert!(!connection.synced(), "the month still waits");
        connection.unavailable(month, false);
        assert!(
            !connection.synced(),
            "the relay will not take what the device holds: still pending"
        );
        connection.unavailable(month, true);
        assert!(connection.synced(), "nothing on either side");
    }

    #[test]
    fn documents_named_by_the_root_are_discovered_once() {
        let mut connection = ConnectionState::new(workspace());
        connection.add(DocKey::Root);
        let month = DocKey::Interactions(Month { year: 2026, month: 11 });
        assert_eq!(connection.undiscovered([DocKey::Root, PARTIES, month]), [PARTIES, month]);
        connection.add(PARTIES);
        assert_eq!(connection.undiscovered([DocKey::Root, PARTIES, month]), [month]);
    }

    #[test]
    fn screens_and_resume_points_are_told_at_most_so_often() {
        let mut connection = ConnectionState::new(workspace());
        assert!(!connection.render_due(1_000.0, true), "nothing changed");
        connection.rows_changed();
        assert!(connection.render_due(1_000.0, false));
        connection.rows_changed();
        assert!(!connection.render_due(1_050.0, false), "50 ms later: not yet");
        assert!(connection.render_due(1_050.0, true), "unless forced");
        connection.rows_changed();
        assert!(connection.render_due(1_150.0, false));

        assert!(connection.keep_resume_points_due(20_000.0));
        assert!(!connection.keep_resume_points_due(25_000.0), "5 s later: not yet");
        connection.add(PARTIES);
        connection.offered(PARTIES, false);
        assert!(!connection.keep_resume_points_due(40_000.0), "not while a document is pending");
        connection.settle(PARTIES, true);
        assert!(connection.keep_resume_points_due(40_000.0));
    }
}
