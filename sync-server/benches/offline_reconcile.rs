//! Issue 4 benchmark: two devices reconcile after 1,000 offline edits each.
//!
//! The real relay binary on loopback. Two devices share ten party shards of 100 people each (synced
//! before going offline). Offline, each device makes 1,000 edits — renames, new emails, tags — spread
//! over the shards, one stored change per edit, as a day of field work would. Then both reconnect at once (each
//! with a fresh ticket; `SyncClient` resumes from the heads it shared before) and sync until their
//! documents are identical. Timed from the reconnect to identical heads on both devices.
//!
//! Run: `cargo bench -p rapport-sync-server --bench offline_reconcile`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a report is this program's output

// The socket tests' helpers: the relay process, accounts, tickets.
#[allow(dead_code)]
#[path = "../tests/common/socket.rs"]
mod socket;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rapport_core::device_sync::{Handled, Link, Session};
use rapport_core::document::{self, Record};
use rapport_core::ids::{PartyId, Timestamp, WorkspaceId};
use rapport_core::layout::DocKey;
use rapport_core::model::{ContactPoint, Party, WorkspaceSettings};
use rapport_core::replica::ReplicaError;
use rapport_core::replica::memory::{Device, MemoryError};
use rapport_core::sync_client::SyncClient;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

const WORKSPACE: &str = "0192f3a4-5b6c-7d8e-9f00-cccccccccccc";
const SHARDS: u8 = 10;
const PEOPLE_PER_SHARD: usize = 100;
const OFFLINE_EDITS: usize = 1_000;
const RUNS: usize = 5;
const START: i64 = 1_780_000_000_000;

fn workspace() -> WorkspaceId {
    WORKSPACE.parse().expect("a workspace id")
}

/// Person `i` of party shard `shard`.
fn person(shard: u8, i: usize) -> PartyId {
    let mut bytes = [0u8; 16];
    bytes[0..8].copy_from_slice(&(i as u64).to_be_bytes());
    bytes[15] = shard;
    PartyId::from_bytes(bytes)
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let mut times = Vec::new();
    for run in 0..RUNS {
        let data = tempfile::tempdir().unwrap();
        let (mut relay, address) = socket::start_process(&data.path().join("no-dist"), data.path());
        let cookie = socket::account(&address, "field").await;
        let create = json!({ "id": WORKSPACE, "name": "Field" });
        let path = "/api/workspaces";
        let (status, _, _) =
            socket::http(&address, reqwest::Method::POST, path, Some(&cookie), create).await;
        assert_eq!(status, 201);

        // Both devices start from the same synced workspace.
        let seeded = seed();
        let anna = RefCell::new(Device::open(workspace(), seeded.store.clone()).unwrap());
        let boris = RefCell::new(Device::open(workspace(), seeded.store.clone()).unwrap());
        let mut anna_session = Session::new(SyncClient::new("anna", "a"), workspace());
        let mut boris_session = Session::new(SyncClient::new("boris", "b"), workspace());
        sync_until(&address, &cookie, &mut anna_session, &anna, || false, true).await;
        sync_until(&address, &cookie, &mut boris_session, &boris, || false, true).await;

        // A day offline on each device.
        edit_offline(&anna, "Anna", run as u64 * 2);
        edit_offline(&boris, "Boris", run as u64 * 2 + 1);

        let started = Instant::now();
        let converged = || equal_heads(&anna, &boris);
        tokio::join!(
            sync_until(&address, &cookie, &mut anna_session, &anna, converged, false),
            sync_until(&address, &cookie, &mut boris_session, &boris, converged, false),
        );
        let took = started.elapsed();
        assert!(equal_heads(&anna, &boris), "the devices did not converge within 60 s");
        let _ = relay.kill();
        eprintln!("run {run}: reconciled in {took:?}");
        times.push(took);
    }
    times.sort();
    println!(
        "offline_reconcile: {OFFLINE_EDITS} offline edits on each of two devices over {SHARDS} \
         documents: median {:?} (min {:?}, max {:?}, n = {RUNS})",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1]
    );
}

/// A new workspace with ten shards of a hundred people each.
fn seed() -> Device {
    let settings = WorkspaceSettings { name: "Field".into(), ..WorkspaceSettings::default() };
    let mut device = Device::create(workspace(), &settings).unwrap();
    for shard in 0..SHARDS {
        let people: Vec<(String, Party)> = (0..PEOPLE_PER_SHARD)
            .map(|i| {
                let party = Party {
                    name: format!("Person {shard}-{i}"),
                    created_at: Timestamp(START),
                    ..Party::default()
                };
                (person(shard, i).to_string(), party)
            })
            .collect();
        let ids: Vec<String> = people.iter().map(|(id, _)| id.clone()).collect();
        let key = Party::doc_key(&person(shard, 0));
        device
            .edit(key, &ids, Timestamp(START), |doc| {
                let new = people.iter().map(|(id, party)| (id.as_str(), party));
                document::put_new(doc, new).map_err(|e| MemoryError::from(ReplicaError::from(e)))
            })
            .unwrap();
    }
    device
}

fn edit_offline(device: &RefCell<Device>, who: &str, seed: u64) {
    let mut device = device.borrow_mut();
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    for edit in 0..OFFLINE_EDITS {
        let id = person(next(usize::from(SHARDS)) as u8, next(PEOPLE_PER_SHARD));
        let key = id.to_string();
        let at = Timestamp(START + edit as i64);
        device
            .edit(Party::doc_key(&id), std::slice::from_ref(&key), at, |doc| {
                document::update(doc, &key, |party: &mut Party| match edit % 3 {
                    0 => party.name = format!("{} ({who} {edit})", party.name),
                    1 => party.emails.push(ContactPoint {
                        label: "work".into(),
                        value: format!("{who}.{edit}@example.test"),
                    }),
                    _ => {
                        party.tags.insert(format!("{who}-{}", edit % 7), true);
                    }
                })
                .map_err(|e| MemoryError::from(ReplicaError::from(e)))?;
                Ok(())
            })
            .unwrap();
    }
}

fn shards() -> impl Iterator<Item = DocKey> {
    (0..SHARDS).map(|shard| Party::doc_key(&person(shard, 0)))
}

fn equal_heads(a: &RefCell<Device>, b: &RefCell<Device>) -> bool {
    let (mut a, mut b) = (a.borrow_mut(), b.borrow_mut());
    shards().all(|key| {
        a.ensure_loaded(key);
        b.ensure_loaded(key);
        let mut mine = a.replica.document(key).unwrap().get_heads();
        let mut theirs = b.replica.document(key).unwrap().get_heads();
        mine.sort();
        theirs.sort();
        mine == theirs
    })
}

/// The websocket's sending half as the session's link.
struct SinkLink<'a, S>(&'a mut S);

impl<S> Link for SinkLink<'_, S>
where
    S: futures_util::Sink<Frame> + Unpin,
    S::Error: std::fmt::Display,
{
    async fn send(&mut self, frame: Vec<u8>) -> Result<(), String> {
        self.0.send(Frame::Binary(frame.into())).await.map_err(|error| error.to_string())
    }
}

/// Connects one device and runs its session until `done` says so, or — when `until_settled` — until
/// the session is synced (the relay holds every document as this device has it).
async fn sync_until(
    address: &str,
    cookie: &str,
    session: &mut Session,
    device: &RefCell<Device>,
    done: impl Fn() -> bool,
    until_settled: bool,
) {
    let ticket = socket::ticket(address, cookie, WORKSPACE).await;
    let url = format!("ws://{address}/api/sync?ticket={ticket}");
    let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let (mut sink, mut stream) = ws.split();
    sink.send(Frame::Binary(session.join().into())).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if done() || Instant::now() > deadline {
            break;
        }
        let frame = match tokio::time::timeout(Duration::from_millis(5), stream.next()).await {
            Ok(Some(Ok(Frame::Binary(bytes)))) => bytes,
            Ok(Some(Ok(_))) => continue,
            Ok(_) => break,
            Err(_) => {
                if until_settled && session.is_connected() && session.synced() {
                    break;
                }
                continue;
            }
        };
        let mut link = SinkLink(&mut sink);
        match session.frame(device, &mut link, &frame).await.expect("valid frames") {
            Handled::Worker(work) => {
                let merged = rapport_core::offload::merge_whole(&work.job).ok();
                session.worker_done(device, &mut link, work.merging, merged).await.unwrap();
            }
            Handled::Refused(reason) => panic!("refused: {reason}"),
            Handled::Nothing | Handled::Presence { .. } => {}
        }
        assert_eq!(session.take_notices(), Vec::new());
    }
    let _ = sink.close().await;
    session.disconnected();
}
