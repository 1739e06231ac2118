//! Randomised convergence through the real relay process: four devices of two members edit three shared
//! documents at random — often the same field — while their connections drop and come back and the relay
//! is killed (SIGKILL) and restarted. At the end every device reconnects and syncs: all hold identical
//! heads for every document, and every edit any device made is present on all of them.
//!
//! The devices drive `core::sync_client::SyncClient`, the code the browser engine uses. Seeds are fixed
//! so a failure replays; `RAPPORT_CONVERGENCE_SEED` runs one given seed.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use common::socket::*;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::layout::DocumentId;
use rapport_core::sync_client::{Event, SyncClient};
use tokio_tungstenite::tungstenite::Message as Frame;

const DEVICES: usize = 4;
const DOCUMENTS: [DocumentId; 3] =
    [DocumentId([21; 16]), DocumentId([22; 16]), DocumentId([23; 16])];
const STEPS: usize = 300;

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
    client: SyncClient,
    docs: BTreeMap<DocumentId, AutoCommit>,
    socket: Option<Socket>,
}

struct Relay {
    process: std::process::Child,
    address: String,
    dist: std::path::PathBuf,
    data: std::path::PathBuf,
}

impl Relay {
    fn kill_and_restart(&mut self) {
        self.process.kill().unwrap();
        self.process.wait().unwrap();
        let (process, address) = start_process(&self.dist, &self.data);
        self.process = process;
        self.address = address;
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn run(seed: u64) {
    let folder = tempfile::tempdir().unwrap();
    let (process, address) = start_process(&folder.path().join("no-dist"), folder.path());
    let mut relay = Relay {
        process,
        address,
        dist: folder.path().join("no-dist"),
        data: folder.path().to_path_buf(),
    };
    let (owner, member, _viewer) = workspace_with_member(&relay.address).await;
    let mut devices: Vec<Device> = (0..DEVICES)
        .map(|i| Device {
            name: format!("device-{i}"),
            cookie: if i % 2 == 0 { owner.clone() } else { member.clone() },
            client: SyncClient::new(format!("device-{i}"), format!("session-{seed}-{i}")),
            docs: DOCUMENTS.iter().map(|id| (*id, AutoCommit::new())).collect(),
            socket: None,
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Every edit made anywhere: (document, key, value).
    let mut made: Vec<(DocumentId, String, i64)> = Vec::new();
    let mut restarts = 0;

    for step in 0..STEPS {
        let device = rng.random_range(0..DEVICES);
        match rng.random_range(0..100) {
            // Edit: a field of one's own and the field everyone writes.
            0..50 => {
                let id = DOCUMENTS[rng.random_range(0..DOCUMENTS.len())];
                let key = format!("{}-{step}", devices[device].name);
                let doc = devices[device].docs.get_mut(&id).unwrap();
                doc.put(ROOT, &key, step as i64).unwrap();
                doc.put(ROOT, "contested", step as i64).unwrap();
                doc.commit();
                made.push((id, key, step as i64));
                push_all(&mut devices[device]).await;
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
            for id in device.client.retry_unavailable() {
                let doc = device.docs.get_mut(&id).unwrap();
                if let Some(frame) = device.client.message_for(id, doc) {
                    send(device, frame).await;
                }
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
        for (id, key, value) in &made {
            let found = device.docs[id].get(ROOT, key.as_str()).unwrap().map(|(v, _)| v.as_i64());
            assert_eq!(found, Some(Some(*value)), "seed {seed}: {} lacks {key}", device.name);
        }
    }
    assert!(made.len() > 100, "seed {seed}: the run made edits ({})", made.len());
}

/// All devices hold the same heads for every document, and the relay has told each of them so.
fn converged(devices: &mut [Device]) -> bool {
    DOCUMENTS.iter().all(|id| {
        let mut heads: Vec<_> = devices
            .iter_mut()
            .map(|device| {
                let mut h = device.docs.get_mut(id).unwrap().get_heads();
                h.sort();
                h
            })
            .collect();
        heads.dedup();
        heads.len() == 1
            && devices.iter_mut().all(|device| {
                let doc = device.docs.get_mut(id).unwrap();
                device.client.relay_has(*id, doc)
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
    if socket.send(Frame::Binary(device.client.join().into())).await.is_err() {
        return;
    }
    device.socket = Some(socket);
    pump(device, Duration::from_millis(20)).await;
}

async fn disconnect(device: &mut Device) {
    if let Some(mut socket) = device.socket.take() {
        let _ = socket.close(None).await;
    }
    device.client.disconnected();
}

/// Offers every document to the relay (what the engine does after a local edit and on connecting).
async fn push_all(device: &mut Device) {
    if !device.client.is_connected() {
        return;
    }
    let frames: Vec<Vec<u8>> = device
        .docs
        .iter_mut()
        .filter_map(|(id, doc)| device.client.message_for(*id, doc))
        .collect();
    for frame in frames {
        send(device, frame).await;
    }
}

async fn send(device: &mut Device, frame: Vec<u8>) {
    let Some(socket) = device.socket.as_mut() else { return };
    if socket.send(Frame::Binary(frame.into())).await.is_err() {
        disconnect(device).await;
    }
}

/// Handles what the relay sends for up to `quiet` of silence, answering as the engine would.
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
        match device.client.receive(&frame).expect("the relay sends valid frames") {
            Event::Connected => push_all(device).await,
            Event::Sync { document, message } => {
                let doc = device.docs.get_mut(&document).expect("one of our documents");
                device.client.apply(document, doc, message).unwrap();
                if let Some(reply) = device.client.message_for(document, doc) {
                    send(device, reply).await;
                }
            }
            Event::Refused(reason) => panic!("{} refused: {reason}", device.name),
            _ => {}
        }
    }
}
