//! The official JavaScript automerge-repo 2.5 (with its websocket adapter, from npm) syncs with the relay
//! in both directions: a document it creates reaches a Rust peer through the relay, and a document a Rust
//! peer wrote is found by it; and heads gossip: a peer subscribed to another's storage hears of its new
//! heads through the relay. Needs `tests/interop/node_modules` (installed by `scripts/bootstrap`).

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use automerge::sync as am_sync;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use common::socket::*;
use rapport_core::layout::DocumentId;
use tokio::io::{AsyncBufReadExt, BufReader};

fn script() -> PathBuf {
    // Read at run time: a binary built in another checkout sharing the build cache may be reused.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let interop = manifest
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../tests/interop");
    assert!(
        interop.join("node_modules/@automerge/automerge-repo").is_dir(),
        "{} has no node_modules: run scripts/bootstrap",
        interop.display()
    );
    interop.join("sync_with_relay.mjs")
}

fn node(url: &str, mode: &str, arg: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("node");
    command.arg(script()).args([url, mode, arg]).stdout(Stdio::piped()).kill_on_drop(true);
    command
}

#[tokio::test]
async fn javascript_automerge_repo_syncs_with_the_relay_both_ways() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let url = |ticket: String| format!("ws://{address}/api/sync?ticket={ticket}");

    // JavaScript → relay → Rust.
    let mut js = node(&url(ticket(&address, &member, WS).await), "create", "Made in JavaScript")
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(js.stdout.take().unwrap()).lines();
    let id_text = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the JavaScript peer prints its document id")
        .unwrap()
        .unwrap();
    let id: DocumentId = id_text.trim().parse().expect("automerge-repo ids are ours too");
    let mut found = None;
    for _ in 0..50 {
        let mut socket =
            connect(&address, &ticket(&address, &owner, WS).await, "rust").await.unwrap();
        let mut doc = AutoCommit::new();
        let outcome =
            sync(&mut socket, "rust", id, &mut doc, &mut am_sync::State::new(), true).await;
        if outcome == Outcome::Synced && name(&doc).is_some() {
            found = name(&doc);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(found.as_deref(), Some("Made in JavaScript"));
    js.kill().await.unwrap();

    // Rust → relay → JavaScript.
    let id = DocumentId([42; 16]);
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "rust").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "Made in Rust").unwrap();
    assert_eq!(
        sync(&mut socket, "rust", id, &mut doc, &mut am_sync::State::new(), false).await,
        Outcome::Synced
    );
    let read = node(&url(ticket(&address, &member, WS).await), "read", &id.to_string()).output();
    let output = tokio::time::timeout(Duration::from_secs(30), read).await.unwrap().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed} {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_str(printed.trim()).unwrap();
    assert_eq!(json["name"], "Made in Rust");
}

#[tokio::test]
async fn javascript_peers_hear_each_others_heads_through_the_relay() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let url = |ticket: String| format!("ws://{address}/api/sync?ticket={ticket}");
    let writer = url(ticket(&address, &owner, WS).await);
    let watcher = url(ticket(&address, &member, WS).await);
    let run = node(&writer, "gossip", &watcher).output();
    let output = tokio::time::timeout(Duration::from_secs(60), run).await.unwrap().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed} {}", String::from_utf8_lossy(&output.stderr));
    let heard: serde_json::Value = serde_json::from_str(printed.trim()).unwrap();
    // The relay announces a storage of its own, and the watcher heard the writer's newest heads.
    assert!(heard["relayStorage"].as_str().is_some_and(|id| id.len() == 32), "{heard}");
    assert_eq!(heard["heardOfWriter"], heard["writerHeads"], "{heard}");

    // The relay's storage id is kept in its database: a restart announces the same one.
    let store = rapport_sync_server::store::Store::open(data.path()).unwrap();
    let kept = store.run(rapport_sync_server::store::relay_storage_id).await.unwrap();
    assert_eq!(heard["relayStorage"].as_str(), Some(kept.as_str()));
}
