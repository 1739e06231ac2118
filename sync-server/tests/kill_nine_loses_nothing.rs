//! The real relay process is killed with SIGKILL in the middle of a stream of edits; restarted on the same
//! data folder, it still has every change it had acknowledged (sent a sync message whose heads include it).

mod common;

use std::time::Duration;

use automerge::sync::{self as am_sync, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ROOT};
use common::socket::*;
use futures_util::SinkExt;
use rapport_core::layout::DocumentId;
use rapport_core::protocol::Message;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

#[tokio::test]
async fn a_killed_relay_keeps_every_change_it_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let (mut relay, address) = start_process(&data.path().join("no-dist"), data.path());
    let owner = account(&address, "olga").await;
    let create = json!({ "id": WS, "name": "Acme" });
    assert_eq!(
        http(&address, reqwest::Method::POST, "/api/workspaces", Some(&owner), create).await.0,
        201
    );

    let id = DocumentId([5; 16]);
    let mut socket =
        connect(&address, &ticket(&address, &owner, WS).await, "field-sales").await.unwrap();
    let mut doc = AutoCommit::new();
    let mut state = am_sync::State::new();
    // Heads the relay has confirmed holding.
    let mut acknowledged: Vec<ChangeHash> = Vec::new();
    let mut edits = 0;
    let sync_message = |data: Vec<u8>| {
        let message = Message::Sync {
            sender_id: "field-sales".into(),
            target_id: "rapport-relay".into(),
            document_id: id,
            data,
        };
        Frame::Binary(message.encode().into())
    };
    'editing: for edit in 0..400 {
        doc.put(ROOT, "count", edit as i64).unwrap();
        doc.put(ROOT, format!("edit-{edit}"), true).unwrap();
        edits = edit;
        if edit == 150 {
            // Mid-stream: this edit goes out, and the relay dies with it in flight.
            if let Some(outgoing) = doc.sync().generate_sync_message(&mut state) {
                let _ = socket.send(sync_message(outgoing.encode())).await;
            }
            relay.kill().unwrap();
            relay.wait().unwrap();
            break 'editing;
        }
        let heads = doc.get_heads();
        // Sync until the relay's own heads include this edit.
        loop {
            if let Some(outgoing) = doc.sync().generate_sync_message(&mut state) {
                socket.send(sync_message(outgoing.encode())).await.unwrap();
            }
            let Some(Message::Sync { data, .. }) =
                receive(&mut socket, Duration::from_secs(5)).await
            else {
                panic!("the relay stopped answering at edit {edit}")
            };
            let reply = am_sync::Message::decode(&data).unwrap();
            let confirmed = heads.iter().all(|h| reply.heads.contains(h));
            doc.sync().receive_sync_message(&mut state, reply).unwrap();
            if confirmed {
                acknowledged = heads.clone();
                break;
            }
        }
    }
    assert_eq!(edits, 150);
    assert!(!acknowledged.is_empty());

    // Restarted on the same folder: every acknowledged change is there.
    let (relay, address) = start_process(&data.path().join("no-dist"), data.path());
    // Stopped however the test ends (a dropped `Child` keeps running).
    let _relay = KilledOnDrop(relay);
    let mut socket =
        connect(&address, &ticket(&address, &owner, WS).await, "new-device").await.unwrap();
    let mut pulled = AutoCommit::new();
    assert_eq!(
        sync(&mut socket, "new-device", id, &mut pulled, &mut am_sync::State::new(), true).await,
        Outcome::Synced
    );
    for head in &acknowledged {
        assert!(pulled.get_change_by_hash(head).is_some(), "acknowledged change {head} was lost");
    }
    let count =
        automerge::ReadDoc::get(&pulled, ROOT, "count").unwrap().unwrap().0.as_i64().unwrap();
    assert!(count >= 149, "the last acknowledged edit was 149, the relay has {count}");
}

struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
