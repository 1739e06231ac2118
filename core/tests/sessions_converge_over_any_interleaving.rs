//! Property: devices running the sync session (`device_sync::Session` over a `replica`) converge
//! whatever the interleaving — local edits, frames delivered to and from the relay at any moment,
//! workers finishing late and in any order, connections dropped (what was in flight is lost) and made
//! again, devices reloaded from storage and crashing between two writes. At the end every device holds the
//! relay's documents, shows the rows its stored documents give, and has an empty ledger.
//!
//! The relay here is a stand-in that speaks the same protocol frames (join, sync, request,
//! doc-unavailable) with one Automerge sync state per device and document, answering the sender and
//! fanning out to the other devices; the real one is exercised through sockets by
//! `sync-server/tests/random_devices_converge.rs`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use automerge::AutoCommit;
use automerge::sync::{self as am_sync, SyncDoc};
use proptest::prelude::*;
use rapport_core::device_sync::{Handled, Link, Merging, Session};
use rapport_core::document::{self, Record};
use rapport_core::ids::{PartyId, Timestamp, WorkspaceId};
use rapport_core::layout::{DocKey, DocumentId};
use rapport_core::model::{Party, WorkspaceSettings};
use rapport_core::offload::WholeDocument;
use rapport_core::protocol::Message;
use rapport_core::read_model::ReadModel;
use rapport_core::replica::ReplicaError;
use rapport_core::replica::memory::{Device, MemoryError, MemoryStore};
use rapport_core::sync_client::SyncClient;

const DEVICES: usize = 3;
const START: i64 = 1_780_000_000_000;
const RELAY: &str = "relay";

fn workspace() -> WorkspaceId {
    WorkspaceId::from_bytes([9; 16])
}

fn party_id(n: u8) -> PartyId {
    let mut bytes = [0x02; 16];
    bytes[14] = 0;
    bytes[15] = n;
    PartyId::from_bytes(bytes)
}

/// Runs a handler to its end: over memory storage and queues nothing ever waits.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a memory device never waits"),
    }
}

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// Frames a device sends, queued for the relay.
struct QueueLink(Queue);

impl Link for QueueLink {
    async fn send(&mut self, frame: Vec<u8>) -> Result<(), String> {
        self.0.borrow_mut().push_back(frame);
        Ok(())
    }
}

struct Peer {
    name: String,
    session: Session,
    device: RefCell<Device>,
    connected: bool,
    to_relay: Queue,
    to_device: VecDeque<Vec<u8>>,
    /// Documents handed to a worker, not finished yet.
    workers: Vec<(WholeDocument, Merging)>,
    /// Where the conversations stood when last kept (a reload resumes from there).
    resume_points: String,
    /// Documents merged by the worker's code.
    worker_merges: usize,
}

impl Peer {
    fn new(name: String, store: MemoryStore, resume_points: String) -> Peer {
        let mut client = SyncClient::new(name.clone(), "session");
        client.resume(&resume_points);
        Peer {
            session: Session::new(client, workspace()),
            device: RefCell::new(Device::open(workspace(), store).unwrap()),
            name,
            connected: false,
            to_relay: Rc::default(),
            to_device: VecDeque::new(),
            workers: Vec::new(),
            resume_points,
            worker_merges: 0,
        }
    }
}

/// The relay's side: documents, and a sync state per device and document for the current connections.
#[derive(Default)]
struct Relay {
    docs: HashMap<DocumentId, AutoCommit>,
    states: BTreeMap<(usize, DocumentId), am_sync::State>,
}

impl Relay {
    fn forget(&mut self, device: usize) {
        self.states.retain(|(d, _), _| *d != device);
    }

    fn handle(&mut self, peers: &mut [Peer], from: usize, frame: &[u8]) {
        let message = Message::decode(frame).expect("a device sends valid frames");
        match message {
            Message::Join { sender_id, .. } => {
                self.forget(from);
                let peer = Message::Peer {
                    sender_id: RELAY.into(),
                    target_id: sender_id,
                    selected_protocol_version: "1".into(),
                    metadata: None,
                };
                peers[from].to_device.push_back(peer.encode());
            }
            Message::Sync { document_id, data, .. } => self.sync(peers, from, document_id, &data),
            Message::Request { document_id, data, .. } => {
                if self.docs.get_mut(&document_id).is_none_or(|doc| doc.get_heads().is_empty()) {
                    // As the relay does: a document it has nothing of is unavailable to a request.
                    let unavailable = Message::DocUnavailable {
                        sender_id: RELAY.into(),
                        target_id: peers[from].name.clone(),
                        document_id,
                    };
                    peers[from].to_device.push_back(unavailable.encode());
                    return;
                }
                self.sync(peers, from, document_id, &data);
            }
            _ => {}
        }
    }

    /// Takes a device's sync message, then answers it and every other device syncing the document.
    fn sync(&mut self, peers: &mut [Peer], from: usize, document_id: DocumentId, data: &[u8]) {
        let message = am_sync::Message::decode(data).expect("a sync message");
        let doc = self.docs.entry(document_id).or_default();
        let state = self.states.entry((from, document_id)).or_default();
        doc.sync().receive_sync_message(state, message).expect("applies");
        let listening: Vec<usize> =
            self.states.keys().filter(|(_, d)| *d == document_id).map(|(p, _)| *p).collect();
        for peer in listening {
            let state = self.states.get_mut(&(peer, document_id)).expect("listed");
            if let Some(reply) = doc.sync().generate_sync_message(state) {
                let frame = Message::Sync {
                    sender_id: RELAY.into(),
                    target_id: peers[peer].name.clone(),
                    document_id,
                    data: reply.encode(),
                };
                peers[peer].to_device.push_back(frame.encode());
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Edit {
        device: usize,
        n: u8,
        name: String,
    },
    ToRelay {
        device: usize,
    },
    ToDevice {
        device: usize,
    },
    /// The worker job `which` (modulo the jobs under way) finishes.
    Worker {
        device: usize,
        which: usize,
    },
    Disconnect {
        device: usize,
    },
    Connect {
        device: usize,
    },
    Reload {
        device: usize,
    },
    /// The device stops after `writes` more writes during an edit, and is opened again.
    Crash {
        device: usize,
        writes: usize,
        n: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let device = 0..DEVICES;
    prop_oneof![
        3 => (device.clone(), 0u8..6, "[a-z]{1,6}").prop_map(|(device, n, name)| Step::Edit { device, n, name }),
        6 => device.clone().prop_map(|device| Step::ToRelay { device }),
        6 => device.clone().prop_map(|device| Step::ToDevice { device }),
        2 => (device.clone(), 0usize..4).prop_map(|(device, which)| Step::Worker { device, which }),
        1 => device.clone().prop_map(|device| Step::Disconnect { device }),
        3 => device.clone().prop_map(|device| Step::Connect { device }),
        1 => device.clone().prop_map(|device| Step::Reload { device }),
        1 => (device, 0usize..3, 0u8..6).prop_map(|(device, writes, n)| Step::Crash { device, writes, n }),
    ]
}

fn edit(peer: &mut Peer, n: u8, name: &str, at: i64) -> Result<DocKey, MemoryError> {
    let id = party_id(n);
    let key = id.to_string();
    let party = Party { name: name.to_owned(), created_at: Timestamp(START), ..Party::default() };
    let document = Party::doc_key(&id);
    peer.device.borrow_mut().edit(document, std::slice::from_ref(&key), Timestamp(at), |doc| {
        let existing = document::get::<_, Party>(&*doc, &key).map_err(ReplicaError::from)?;
        match existing {
            Some(_) => document::update(doc, &key, |p: &mut Party| p.name = name.to_owned())
                .map(drop)
                .map_err(ReplicaError::from)?,
            None => document::put(doc, &key, &party).map_err(ReplicaError::from)?,
        }
        Ok(())
    })?;
    Ok(document)
}

fn disconnect(relay: &mut Relay, peers: &mut [Peer], device: usize) {
    let peer = &mut peers[device];
    if peer.session.is_connected() {
        peer.resume_points = peer.session.client().resume_points();
    }
    peer.session.disconnected();
    peer.connected = false;
    peer.to_relay.borrow_mut().clear();
    peer.to_device.clear();
    peer.workers.clear();
    relay.forget(device);
}

fn reopen(relay: &mut Relay, peers: &mut [Peer], device: usize) {
    disconnect(relay, peers, device);
    let (name, store, points, merges) = {
        let peer = &peers[device];
        let mut store = peer.device.borrow().store.clone();
        store.writes_left = None;
        (peer.name.clone(), store, peer.resume_points.clone(), peer.worker_merges)
    };
    peers[device] = Peer::new(name, store, points);
    peers[device].worker_merges = merges;
}

fn to_device(peers: &mut [Peer], device: usize) {
    let peer = &mut peers[device];
    let Some(frame) = peer.to_device.pop_front() else { return };
    let mut link = QueueLink(peer.to_relay.clone());
    match now(peer.session.frame(&peer.device, &mut link, &frame)).expect("valid frames") {
        Handled::Worker(work) => peer.workers.push((work.job, work.merging)),
        Handled::Refused(reason) => panic!("refused: {reason}"),
        Handled::Nothing | Handled::Presence { .. } => {}
    }
    assert_eq!(peer.session.take_notices(), Vec::new(), "{}", peer.name);
}

fn finish_worker(peers: &mut [Peer], device: usize, which: usize) {
    let peer = &mut peers[device];
    if peer.workers.is_empty() {
        return;
    }
    let (job, merging) = peer.workers.remove(which % peer.workers.len());
    let merged = rapport_core::offload::merge_whole(&job).ok();
    peer.worker_merges += usize::from(merged.is_some());
    let mut link = QueueLink(peer.to_relay.clone());
    now(peer.session.worker_done(&peer.device, &mut link, merging, merged)).expect("answered");
}

fn to_relay(relay: &mut Relay, peers: &mut [Peer], device: usize) {
    let frame = peers[device].to_relay.borrow_mut().pop_front();
    if let Some(frame) = frame {
        relay.handle(peers, device, &frame);
    }
}

fn connect(peers: &mut [Peer], device: usize) {
    let peer = &mut peers[device];
    if peer.connected {
        return;
    }
    peer.connected = true;
    let join = peer.session.join();
    peer.to_relay.borrow_mut().push_back(join);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sessions_converge_whatever_arrives_when(steps in proptest::collection::vec(step(), 1..60)) {
        let settings = WorkspaceSettings { name: "Test".into(), ..WorkspaceSettings::default() };
        let first = Device::create(workspace(), &settings).unwrap();
        // Two devices hold the workspace; the third is new and holds nothing: it pulls the documents
        // whole, through the worker's code.
        let mut peers: Vec<Peer> = (0..DEVICES)
            .map(|i| {
                let store = if i + 1 < DEVICES { first.store.clone() } else { MemoryStore::default() };
                Peer::new(format!("device-{i}"), store, String::new())
            })
            .collect();
        let mut relay = Relay::default();
        for (i, step) in steps.iter().enumerate() {
            let at = START + i as i64;
            match step.clone() {
                Step::Edit { device, n, name } => {
                    let document = edit(&mut peers[device], n, &name, at).expect("stored");
                    let peer = &mut peers[device];
                    let mut link = QueueLink(peer.to_relay.clone());
                    now(peer.session.local_change(&peer.device, &mut link, document)).unwrap();
                }
                Step::ToRelay { device } => to_relay(&mut relay, &mut peers, device),
                Step::ToDevice { device } => to_device(&mut peers, device),
                Step::Worker { device, which } => finish_worker(&mut peers, device, which),
                Step::Disconnect { device } => disconnect(&mut relay, &mut peers, device),
                Step::Connect { device } => connect(&mut peers, device),
                Step::Reload { device } => reopen(&mut relay, &mut peers, device),
                Step::Crash { device, writes, n } => {
                    peers[device].device.borrow_mut().store.writes_left = Some(writes);
                    let _ = edit(&mut peers[device], n, "crash", at);
                    reopen(&mut relay, &mut peers, device);
                }
            }
        }
        // Everyone connects and everything in flight arrives, until nothing moves.
        for device in 0..DEVICES {
            connect(&mut peers, device);
        }
        let mut rounds = 0;
        loop {
            let busy = peers.iter().any(|p| {
                !p.to_relay.borrow().is_empty() || !p.to_device.is_empty() || !p.workers.is_empty()
            });
            if !busy {
                // Quiet: as the engine does every few seconds, ask again for what the relay did not
                // have (a device may have brought it since). Done when nobody asks.
                for peer in peers.iter_mut() {
                    let mut link = QueueLink(peer.to_relay.clone());
                    now(peer.session.retry_unavailable(&peer.device, &mut link)).unwrap();
                }
                if peers.iter().all(|p| p.to_relay.borrow().is_empty()) {
                    break;
                }
            }
            rounds += 1;
            prop_assert!(rounds < 10_000, "no quiet after 10,000 rounds");
            for device in 0..DEVICES {
                to_relay(&mut relay, &mut peers, device);
                to_device(&mut peers, device);
                finish_worker(&mut peers, device, 0);
            }
        }
        for peer in &peers {
            prop_assert!(peer.session.synced(), "{} synced", peer.name);
            let mut device = peer.device.borrow_mut();
            prop_assert_eq!(device.replica.unsynced_edits(), 0, "{} ledger", &peer.name);
            let keys = device.replica.document_keys();
            let mut derived = ReadModel::default();
            for key in keys {
                device.ensure_loaded(key);
                let id = key.document_id(workspace());
                let mut mine = device.replica.document(key).unwrap().get_heads();
                let mut theirs = relay.docs.get_mut(&id).map(AutoCommit::get_heads).unwrap_or_default();
                mine.sort();
                theirs.sort();
                prop_assert_eq!(mine, theirs, "{} document {}", &peer.name, key);
                if let Some(mut stored) = device.store.load(id).document {
                    derived.replace_document(key, &mut stored);
                }
            }
            prop_assert_eq!(&device.replica.model.parties, &derived.parties, "{} shows what it stored", &peer.name);
            let reopened = Device::open(workspace(), device.store.clone()).unwrap();
            prop_assert_eq!(&reopened.replica.model.parties, &derived.parties);
        }
        prop_assert!(peers[DEVICES - 1].worker_merges > 0, "the new device pulled through the worker");
        let first = peers[0].device.borrow().replica.model.parties.clone();
        for peer in &peers {
            prop_assert_eq!(&peer.device.borrow().replica.model.parties, &first);
        }
    }
}

/// Delivers everything in flight, workers included, until nothing moves.
fn settle_all(relay: &mut Relay, peers: &mut [Peer]) {
    for _ in 0..10_000 {
        let busy = peers.iter().any(|p| {
            !p.to_relay.borrow().is_empty() || !p.to_device.is_empty() || !p.workers.is_empty()
        });
        if !busy {
            return;
        }
        for device in 0..peers.len() {
            to_relay(relay, peers, device);
            to_device(peers, device);
            finish_worker(peers, device, 0);
        }
    }
    panic!("no quiet");
}

/// The case the random runs rarely reach: a new device edits a document while a worker merges the
/// relay's copy of it. The edit and the relay's content are both kept, on screen and on disk.
#[test]
fn an_edit_made_while_the_worker_merges_its_document_is_kept_with_the_merge() {
    let settings = WorkspaceSettings { name: "Test".into(), ..WorkspaceSettings::default() };
    let first = Device::create(workspace(), &settings).unwrap();
    let mut peers = vec![
        Peer::new("device-0".into(), first.store.clone(), String::new()),
        Peer::new("device-1".into(), MemoryStore::default(), String::new()),
    ];
    let mut relay = Relay::default();
    edit(&mut peers[0], 1, "From the office", START).unwrap();
    connect(&mut peers, 0);
    settle_all(&mut relay, &mut peers);

    // The new device connects and takes frames until a worker holds the party document.
    connect(&mut peers, 1);
    let shard = Party::doc_key(&party_id(1));
    for _ in 0..1_000 {
        if peers[1].workers.iter().any(|(_, merging)| merging.key == shard) {
            break;
        }
        to_relay(&mut relay, &mut peers, 1);
        to_device(&mut peers, 1);
    }
    assert!(peers[1].workers.iter().any(|(_, merging)| merging.key == shard), "a worker has it");
    // Typed on the new device meanwhile, in the same document (party 33 lives in shard 1 too).
    assert_eq!(Party::doc_key(&party_id(33)), shard);
    edit(&mut peers[1], 33, "Typed meanwhile", START + 1).unwrap();
    let newcomer = &mut peers[1];
    let mut link = QueueLink(newcomer.to_relay.clone());
    now(newcomer.session.local_change(&newcomer.device, &mut link, shard)).unwrap();
    settle_all(&mut relay, &mut peers);

    for peer in &peers {
        let mut device = peer.device.borrow_mut();
        let shown: Vec<String> = [1, 33]
            .iter()
            .filter_map(|n| device.replica.model.parties.get(&party_id(*n)).map(|r| r.name.clone()))
            .collect();
        assert_eq!(shown, ["From the office", "Typed meanwhile"], "{}", peer.name);
        let mut stored = device.store.load(shard.document_id(workspace())).document.unwrap();
        let mut derived = ReadModel::default();
        derived.replace_document(shard, &mut stored);
        device.ensure_loaded(shard);
        let shown: Vec<_> = device
            .replica
            .model
            .parties
            .values()
            .filter(|r| derived.parties.contains_key(&r.id))
            .collect();
        assert_eq!(shown.len(), derived.parties.len(), "{}: shows what it stored", peer.name);
    }
}
