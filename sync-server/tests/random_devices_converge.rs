//! Randomised convergence through the real relay process: four devices of two members edit three shared
//! documents at random — often the same field — while their connections drop and come back and the relay
//! is killed (SIGKILL) and restarted. At the end every device reconnects and syncs: all hold identical
//! heads for every document, and every edit any device made is present on all of them.
//!
//! The devices run the code the browser runs: a `core::device_sync::Session` over a `core::replica`
//! (documents stored as chunks with their rows, the ledger of unconfirmed edits) — here over an
//! in-memory store, documents arriving whole merged by the worker's code (`core::offload`) as in the
//! browser. At the end every device also shows the same people, and its ledger is empty (the relay
//! confirmed every edit). Seeds are fixed so a failure replays; `RAPPORT_CONVERGENCE_SEED` runs one
//! given seed.

mod common;

use std::time::{Duration, Instant};

use common::socket::*;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::device_sync::{Handled, Link, Session};
use rapport_core::document::{self, Record};
use rapport_core::ids::{PartyId, Timestamp, WorkspaceId};
use rapport_core::layout::DocKey;
use rapport_core::model::{Party, WorkspaceSettings};
use rapport_core::replica::memory::{self, MemoryError};
use rapport_core::sync_client::SyncClient;
use tokio_tungstenite::tungstenite::Message as Frame;

const DEVICES: usize = 4;
/// The documents the devices edit: party shards 0, 1 and 2.
const DOCUMENTS: usize = 3;
const STEPS: usize = 300;

fn workspace() -> WorkspaceId {
    WS.parse().expect("a workspace id")
}

/// A party every device renames in document `d` (the field they contest).
fn contested(d: usize) -> PartyId {
    let mut bytes = [0xee; 16];
    bytes[14] = 0;
    bytes[15] = d as u8;
    PartyId::from_bytes(bytes)
}

/// The party device `device` adds at `step`, in document `d`.
fn added(device: usize, step: usize, d: usize) -> PartyId {
    let mut bytes = [0u8; 16];
    bytes[0] = device as u8;
    bytes[1..9].copy_from_slice(&(step as u64).to_be_bytes());
    bytes[15] = d as u8;
    PartyId::from_bytes(bytes)
}

fn document_key(d: usize) -> DocKey {
    Party::doc_key(&contested(d))
}

/// Writes `party` as `id`, as the app's `create` does.
fn put_party(device: &mut Device, id: PartyId, name: String, at: i64) {
    let party = Party { name, created_at: Timestamp(at), ..Party::default() };
    let key = id.to_string();
    let records = [key.clone()];
    device
        .local
        .borrow_mut()
        .edit(Party::doc_key(&id), &records, Timestamp(at), |doc| {
            document::put(doc, &key, &party)
                .map_err(|e| MemoryError::from(rapport_core::replica::ReplicaError::from(e)))
        })
        .expect("stored");
}

#[tokio::test]
async fn devices_converge_through_random_edits_disconnects_and_relay_restarts() {
    let seeds: Vec<u64> = match std::env::var("RAPPORT_CONVERGENCE_SEED") {
        Ok(seed) => vec![seed.parse().expect("a number")],
        Err(_) => vec![1, 2, 3],
    };
    for seed in seeds {
        run(seed).await;
    }
}

struct Device {
    name: String,
    cookie: String,
    session: Session,
    local: std::cell::RefCell<memory::Device>,
    socket: Option<Socket>,
    /// Documents that arrived whole and were merged by the worker's code.
    worker_merges: usize,
}

struct Relay {
    process: common::socket::Process,
    address: String,
    dist: std::path::PathBuf,
    data: std::path::PathBuf,
}

impl Relay {
    fn kill_and_restart(&mut self) {
        self.process.kill().unwrap();
        self.process.wait().unwrap();
        let (process, address) = start_process(&self.dist, &self.data);
        self.process = common::socket::Process(process);
        self.address = address;
    }
}

async fn run(seed: u64) {
    let folder = tempfile::tempdir().unwrap();
    let (process, address) = start_process(&folder.path().join("no-dist"), folder.path());
    let mut relay = Relay {
        process: common::socket::Process(process),
        address,
        dist: folder.path().join("no-dist"),
        data: folder.path().to_path_buf(),
    };
    let (owner, member, _viewer) = workspace_with_member(&relay.address).await;
    // Every device starts from the same new workspace (as devices restored from one backup would).
    let settings = WorkspaceSettings { name: "Acme".into(), ..WorkspaceSettings::default() };
    let first = memory::Device::create(workspace(), &settings).expect("created");
    let mut devices: Vec<Device> = (0..DEVICES)
        .map(|i| Device {
            name: format!("device-{i}"),
            cookie: if i % 2 == 0 { owner.clone() } else { member.clone() },
            session: Session::new(
                SyncClient::new(format!("device-{i}"), format!("session-{seed}-{i}")),
                workspace(),
            ),
            local: memory::Device::open(workspace(), first.store.clone()).expect("opened").into(),
            socket: None,
            worker_merges: 0,
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Every party added anywhere, with its name.
    let mut made: Vec<(PartyId, String)> = Vec::new();
    let mut restarts = 0;

    for step in 0..STEPS {
        let device = rng.random_range(0..DEVICES);
        match rng.random_range(0..100) {
            // Edit: a field of one's own and the field everyone writes.
            0..50 => {
                let d = rng.random_range(0..DOCUMENTS);
                let name = format!("{}-{step}", devices[device].name);
                let at = 1_780_000_000_000 + step as i64;
                put_party(&mut devices[device], added(device, step, d), name.clone(), at);
                put_party(&mut devices[device], contested(d), name.clone(), at);
                made.push((added(device, step, d), name));
                let device = &mut devices[device];
                let mut link = SocketLink(&mut device.socket);
                let pushed = device.session.local_change(&device.local, &mut link, document_key(d));
                if pushed.await.is_err() {
                    disconnect(device).await;
                }
            }
            50..80 => pump(&mut devices[device], Duration::from_millis(10)).await,
            80..88 => disconnect(&mut devices[device]).await,
            88..97 => connect(&mut devices[device], &relay.address).await,
            _ => {
                relay.kill_and_restart();
                restarts += 1;
            }
        }
    }

    // Everyone comes back and syncs until all agree.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for device in &mut devices {
            if device.socket.is_none() {
                connect(device, &relay.address).await;
            }
            let mut link = SocketLink(&mut device.socket);
            if device.session.retry_unavailable(&device.local, &mut link).await.is_err() {
                disconnect(device).await;
            }
            pump(device, Duration::from_millis(20)).await;
        }
        if converged(&mut devices) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "seed {seed}: no convergence within 60 s ({} edits, {restarts} relay restarts)",
            made.len()
        );
    }
    for device in &devices {
        let local = device.local.borrow();
        for (id, name) in &made {
            let shown = local.replica.model.parties.get(id).map(|row| row.name.clone());
            assert_eq!(shown.as_ref(), Some(name), "seed {seed}: {} lacks {name}", device.name);
        }
        assert_eq!(local.replica.unsynced_edits(), 0, "seed {seed}: {} ledger", device.name);
        // What it shows is what it stored: opened again, the device shows the same people.
        let reopened = memory::Device::open(workspace(), local.store.clone()).unwrap();
        assert_eq!(reopened.replica.model.parties, local.replica.model.parties);
    }
    let first = devices[0].local.borrow().replica.model.parties.clone();
    assert!(devices.iter().all(|d| d.local.borrow().replica.model.parties == first), "seed {seed}");
    assert!(made.len() > 100, "seed {seed}: the run made edits ({})", made.len());

    // A new device of the member, holding nothing, pulls the workspace: the root on the page, the
    // documents it lists whole through the worker's code. It shows what everyone shows.
    let mut newcomer = Device {
        name: "newcomer".into(),
        cookie: member.clone(),
        session: Session::new(
            SyncClient::new("newcomer", format!("session-{seed}-new")),
            workspace(),
        ),
        local: memory::Device {
            replica: rapport_core::replica::Replica::new(workspace()),
            store: memory::MemoryStore::default(),
        }
        .into(),
        socket: None,
        worker_merges: 0,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if newcomer.socket.is_none() {
            connect(&mut newcomer, &relay.address).await;
        }
        pump(&mut newcomer, Duration::from_millis(20)).await;
        let shown = newcomer.local.borrow().replica.model.parties.clone();
        if shown == first && newcomer.session.synced() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "seed {seed}: the new device shows {} parties",
            shown.len()
        );
    }
    let whole = newcomer.local.borrow().replica.document_keys();
    assert!(whole.len() > DOCUMENTS, "seed {seed}: it found the documents in the root: {whole:?}");
    assert!(newcomer.worker_merges >= DOCUMENTS, "seed {seed}: {}", newcomer.worker_merges);
}

/// All devices hold the same heads for every document, and the relay has told each of them so.
fn converged(devices: &mut [Device]) -> bool {
    (0..DOCUMENTS).map(document_key).all(|key| {
        let id = key.document_id(workspace());
        let mut heads: Vec<_> = devices
            .iter_mut()
            .map(|device| {
                let mut local = device.local.borrow_mut();
                local.ensure_loaded(key);
                let mut h = local.replica.document(key).unwrap().get_heads();
                h.sort();
                h
            })
            .collect();
        heads.dedup();
        heads.len() == 1
            && devices.iter_mut().all(|device| {
                let mut local = device.local.borrow_mut();
                let doc = local.replica.document(key).unwrap();
                device.session.client().relay_has(id, doc)
            })
    })
}

async fn connect(device: &mut Device, address: &str) {
    if device.socket.is_some() {
        return;
    }
    let (status, _, body) = http(
        address,
        reqwest::Method::POST,
        &format!("/api/workspaces/{WS}/tickets"),
        Some(&device.cookie),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let ticket = body["ticket"].as_str().unwrap();
    let url = format!("ws://{address}/api/sync?ticket={ticket}");
    let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url).await else { return };
    if socket.send(Frame::Binary(device.session.join().into())).await.is_err() {
        return;
    }
    device.socket = Some(socket);
    pump(device, Duration::from_millis(20)).await;
}

async fn disconnect(device: &mut Device) {
    if let Some(mut socket) = device.socket.take() {
        let _ = socket.close(None).await;
    }
    device.session.disconnected();
}

/// The websocket as the session's link; a failed send is a lost connection.
struct SocketLink<'a>(&'a mut Option<Socket>);

impl Link for SocketLink<'_> {
    async fn send(&mut self, frame: Vec<u8>) -> Result<(), String> {
        let socket = self.0.as_mut().ok_or("not connected")?;
        socket.send(Frame::Binary(frame.into())).await.map_err(|error| error.to_string())
    }
}

/// Handles what the relay sends for up to `quiet` of silence, as the browser's engine does.
async fn pump(device: &mut Device, quiet: Duration) {
    loop {
        let Some(socket) = device.socket.as_mut() else { return };
        let frame = match tokio::time::timeout(quiet, socket.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Frame::Binary(bytes)))) => bytes,
            Ok(Some(Ok(Frame::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => {
                disconnect(device).await;
                return;
            }
            Ok(Some(Ok(_))) => continue,
        };
        let mut link = SocketLink(&mut device.socket);
        let handled = device.session.frame(&device.local, &mut link, &frame).await;
        let done = match handled {
            Ok(Handled::Worker(job)) => {
                // The worker's code, run here: the browser runs it in a Web Worker.
                let merged = rapport_core::offload::merge_whole(&job.job).ok();
                device.worker_merges += usize::from(merged.is_some());
                device.session.worker_done(&device.local, &mut link, job.merging, merged).await
            }
            Ok(Handled::Refused(reason)) => panic!("{} refused: {reason}", device.name),
            Ok(_) => Ok(()),
            Err(lost) => Err(lost),
        };
        let notices = device.session.take_notices();
        assert!(notices.is_empty(), "{}: {notices:?}", device.name);
        if done.is_err() {
            disconnect(device).await;
            return;
        }
    }
}
