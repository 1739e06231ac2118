//! Issue 4 benchmark: two devices reconcile after 1,000 offline edits each.
//!
//! The real relay binary on loopback. Two devices share ten party shards of 100 people each (synced
//! before going offline). Offline, each device makes 1,000 edits — renames, new emails, tags — spread
//! over the shards, one commit per edit, as a day of field work would. Then both reconnect at once (each
//! with a fresh ticket; `SyncClient` resumes from the heads it shared before) and sync until their
//! documents are identical. Timed from the reconnect to identical heads on both devices.
//!
//! Run: `cargo bench -p rapport-sync-server --bench offline_reconcile`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a report is this program's output

// The socket tests' helpers: the relay process, accounts, tickets.
#[allow(dead_code)]
#[path = "../tests/common/socket.rs"]
mod socket;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use futures_util::{SinkExt, StreamExt};
use rapport_core::document;
use rapport_core::layout::DocumentId;
use rapport_core::model::{ContactPoint, Party};
use rapport_core::sync_client::{Event, SyncClient};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

const WORKSPACE: &str = "0192f3a4-5b6c-7d8e-9f00-cccccccccccc";
const SHARDS: u8 = 10;
const PEOPLE_PER_SHARD: usize = 100;
const OFFLINE_EDITS: usize = 1_000;
const RUNS: usize = 5;

type Docs = Arc<Mutex<BTreeMap<DocumentId, AutoCommit>>>;

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
        let anna: Docs = Arc::new(Mutex::new(seed()));
        let boris: Docs = Arc::new(Mutex::new(
            anna.lock().unwrap().iter_mut().map(|(id, doc)| (*id, doc.fork())).collect(),
        ));
        let mut anna_client = SyncClient::new("anna", "a");
        let mut boris_client = SyncClient::new("boris", "b");
        sync_until(&address, &cookie, &mut anna_client, &anna, |_| false, true).await;
        sync_until(&address, &cookie, &mut boris_client, &boris, |_| false, true).await;

        // A day offline on each device.
        edit_offline(&anna, "Anna", run as u64 * 2);
        edit_offline(&boris, "Boris", run as u64 * 2 + 1);

        let started = Instant::now();
        let converged = {
            let (anna, boris) = (anna.clone(), boris.clone());
            move |_: &Docs| equal_heads(&anna, &boris)
        };
        let converged_too = converged.clone();
        tokio::join!(
            sync_until(&address, &cookie, &mut anna_client, &anna, converged, false),
            sync_until(&address, &cookie, &mut boris_client, &boris, converged_too, false),
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

/// Ten shards of a hundred people each.
fn seed() -> BTreeMap<DocumentId, AutoCommit> {
    (1..=SHARDS)
        .map(|shard| {
            let mut doc = document::new_document();
            for i in 0..PEOPLE_PER_SHARD {
                let party = Party { name: format!("Person {shard}-{i}"), ..Party::default() };
                document::put(&mut doc, &format!("p{i}"), &party).unwrap();
                doc.commit();
            }
            (DocumentId([shard; 16]), doc)
        })
        .collect()
}

fn edit_offline(docs: &Docs, who: &str, seed: u64) {
    let mut docs = docs.lock().unwrap();
    let ids: Vec<DocumentId> = docs.keys().copied().collect();
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    for edit in 0..OFFLINE_EDITS {
        let doc = docs.get_mut(&ids[next(ids.len())]).unwrap();
        let key = format!("p{}", next(PEOPLE_PER_SHARD));
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
        .unwrap();
        doc.commit();
    }
}

fn equal_heads(a: &Docs, b: &Docs) -> bool {
    let mut a = a.lock().unwrap();
    let mut b = b.lock().unwrap();
    a.iter_mut().all(|(id, doc)| {
        let mut mine = doc.get_heads();
        mine.sort();
        b.get_mut(id).is_some_and(|other| {
            let mut theirs = other.get_heads();
            theirs.sort();
            mine == theirs
        })
    })
}

/// Connects one device and syncs its documents until `done` says so, or — when `until_settled` — until
/// the relay holds all of this device's documents exactly as they are.
async fn sync_until(
    address: &str,
    cookie: &str,
    client: &mut SyncClient,
    docs: &Docs,
    done: impl Fn(&Docs) -> bool,
    until_settled: bool,
) {
    let ticket = socket::ticket(address, cookie, WORKSPACE).await;
    let url = format!("ws://{address}/api/sync?ticket={ticket}");
    let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let (mut sink, mut stream) = ws.split();
    sink.send(Frame::Binary(client.join().into())).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if done(docs) || Instant::now() > deadline {
            break;
        }
        let frame = match tokio::time::timeout(Duration::from_millis(5), stream.next()).await {
            Ok(Some(Ok(Frame::Binary(bytes)))) => bytes,
            Ok(Some(Ok(_))) => continue,
            Ok(_) => break,
            Err(_) => {
                // Quiet: finished when the relay holds all of this device's documents as they are.
                let mut all = docs.lock().unwrap();
                let settled = client.is_connected()
                    && all.iter_mut().all(|(id, doc)| {
                        client.relay_heads(*id).is_some_and(|theirs| {
                            let mut theirs = theirs.to_vec();
                            theirs.sort();
                            let mut mine = doc.get_heads();
                            mine.sort();
                            theirs == mine
                        })
                    });
                if settled && until_settled {
                    break;
                }
                continue;
            }
        };
        let outgoing: Vec<Vec<u8>> = {
            let mut all = docs.lock().unwrap();
            match client.receive(&frame).expect("valid frames") {
                Event::Connected => {
                    all.iter_mut().filter_map(|(id, doc)| client.message_for(*id, doc)).collect()
                }
                Event::Sync { document, message } => {
                    let doc = all.get_mut(&document).expect("a document of ours");
                    client.apply(document, doc, message).unwrap();
                    client.message_for(document, doc).into_iter().collect()
                }
                _ => Vec::new(),
            }
        };
        for out in outgoing {
            sink.send(Frame::Binary(out.into())).await.unwrap();
        }
    }
    let _ = sink.close().await;
    client.disconnected();
}
