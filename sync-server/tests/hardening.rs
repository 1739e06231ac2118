//! The relay read as an attacker would (issue 17): anyone can sign up, so every test here is what a
//! stranger with an account, a removed member or a page of another site can make the relay do. Each
//! runs over a real listener on loopback (or the real relay process), with real websocket clients.

mod common;

use std::time::{Duration, Instant};

use automerge::sync::{self as am_sync, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValue};
use common::socket::*;
use futures_util::SinkExt;
use rapport_core::layout::DocumentId;
use rapport_core::protocol::Message;
use rapport_sync_server::Limits;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as Frame;

fn limits() -> Limits {
    Limits::default()
}

/// A change of `bytes` random-looking bytes (incompressible, so it is as large on the wire).
fn bulky(doc: &mut AutoCommit, key: &str, bytes: usize) {
    let mut value = Vec::with_capacity(bytes);
    let mut x: u32 = 0x9e37_79b9 ^ bytes as u32 ^ key.len() as u32;
    for _ in 0..bytes {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        value.push(x as u8);
    }
    doc.put(ROOT, key, ScalarValue::Bytes(value)).unwrap();
}

/// Sends `peer`'s sync message for document `id` carrying `chunks` as its changes, built by hand (a
/// device's own Automerge would never send such chunks).
async fn send_changes(
    socket: &mut Socket,
    peer: &str,
    id: DocumentId,
    heads: Vec<automerge::ChangeHash>,
    chunks: Vec<u8>,
) {
    let message = am_sync::Message {
        heads,
        need: vec![],
        have: vec![],
        changes: vec![chunks].into(),
        flags: None,
        version: am_sync::MessageVersion::V1,
    };
    let frame = Message::Sync {
        sender_id: peer.into(),
        target_id: "rapport-relay".into(),
        document_id: id,
        data: message.encode(),
    };
    socket.send(Frame::Binary(frame.encode().into())).await.unwrap();
}

fn closed_because(outcome: Outcome) -> String {
    match outcome {
        Outcome::Closed(Some(reason)) => reason,
        other => panic!("expected the relay to close the socket with a reason, got {other:?}"),
    }
}

/// A document refused (one too many for its workspace, or grown too large) is refused alone: the device
/// hears `doc-unavailable` for it and its socket goes on syncing every other document.
#[tokio::test]
async fn a_workspace_holds_only_so_many_documents_and_a_document_only_so_many_bytes() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits { documents_per_workspace: 2, document_bytes: 64 * 1024, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    let mut docs = Vec::new();
    for n in 0..2u8 {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "name", format!("doc {n}")).unwrap();
        let mut state = am_sync::State::new();
        let outcome =
            sync(&mut socket, "a", DocumentId([n; 16]), &mut doc, &mut state, false).await;
        assert_eq!(outcome, Outcome::Synced);
        docs.push((doc, state));
    }
    let mut third = AutoCommit::new();
    third.put(ROOT, "name", "one too many").unwrap();
    let refused = sync_afresh(&mut socket, "a", DocumentId([2; 16]), &mut third, false).await;
    assert_eq!(refused, Outcome::Unavailable, "one too many documents is refused, by itself");
    let (doc, state) = &mut docs[1];
    doc.put(ROOT, "name", "doc 1, renamed").unwrap();
    let outcome = sync(&mut socket, "a", DocumentId([1; 16]), doc, state, false).await;
    assert_eq!(outcome, Outcome::Synced, "the socket syncs the workspace's other documents on");

    // A document may not grow past its size: the change is refused before it is applied or stored,
    // and again the socket goes on with the other documents.
    let (doc, state) = &mut docs[0];
    bulky(doc, "attachment", 100 * 1024);
    let refused = sync(&mut socket, "a", DocumentId([0; 16]), doc, state, false).await;
    assert_eq!(refused, Outcome::Unavailable);
    let (doc, state) = &mut docs[1];
    doc.put(ROOT, "name", "doc 1, renamed again").unwrap();
    let outcome = sync(&mut socket, "a", DocumentId([1; 16]), doc, state, false).await;
    assert_eq!(outcome, Outcome::Synced);

    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "c").await.unwrap();
    let mut stored = AutoCommit::new();
    assert_eq!(
        sync_afresh(&mut socket, "c", DocumentId([0; 16]), &mut stored, true).await,
        Outcome::Synced
    );
    assert_eq!(name(&stored).as_deref(), Some("doc 0"), "the oversized change was not kept");
    assert_eq!(stored.get(ROOT, "attachment").unwrap(), None);
    let mut other = AutoCommit::new();
    assert_eq!(
        sync_afresh(&mut socket, "c", DocumentId([1; 16]), &mut other, true).await,
        Outcome::Synced
    );
    assert_eq!(name(&other).as_deref(), Some("doc 1, renamed again"));
    let metrics =
        reqwest::get(format!("http://{address}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("rapport_documents_refused_total 2"), "{metrics}");
}

/// A workspace's documents together may take only so much, counted from what is stored when the relay
/// starts and kept up to date as they grow.
#[tokio::test]
async fn a_workspace_holds_only_so_many_bytes_in_all() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits { document_bytes: 256 * 1024, workspace_bytes: 300 * 1024, ..limits() };
    let (address, server) = start_limited(data.path(), limits.clone()).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    let mut first = AutoCommit::new();
    bulky(&mut first, "attachment", 200 * 1024);
    let outcome = sync_afresh(&mut socket, "a", DocumentId([71; 16]), &mut first, false).await;
    assert_eq!(outcome, Outcome::Synced, "200 KB fit the workspace's 300 KB");
    let tickets = [ticket(&address, &owner, WS).await, ticket(&address, &owner, WS).await];
    let mut second = AutoCommit::new();
    bulky(&mut second, "attachment", 150 * 1024);
    let outcome = sync_afresh(&mut socket, "a", DocumentId([72; 16]), &mut second, false).await;
    assert_eq!(outcome, Outcome::Unavailable, "150 KB more do not, though the document would");
    let mut small = AutoCommit::new();
    small.put(ROOT, "name", "small").unwrap();
    let outcome = sync_afresh(&mut socket, "a", DocumentId([73; 16]), &mut small, false).await;
    assert_eq!(outcome, Outcome::Synced, "what still fits is stored");

    // A relay started over the same database sums what is stored.
    drop(socket);
    server.abort();
    let _ = server.await;
    let (address, _server) = start_limited(data.path(), limits).await;
    let mut socket = connect(&address, &tickets[0], "b").await.unwrap();
    let outcome = sync_afresh(&mut socket, "b", DocumentId([72; 16]), &mut second, false).await;
    assert_eq!(outcome, Outcome::Unavailable);
    let mut read = AutoCommit::new();
    let mut socket = connect(&address, &tickets[1], "c").await.unwrap();
    let outcome = sync_afresh(&mut socket, "c", DocumentId([73; 16]), &mut read, true).await;
    assert_eq!(outcome, Outcome::Synced);
    assert_eq!(name(&read).as_deref(), Some("small"));
}

/// Compressed changes count as they inflate: Automerge inflates them whole before applying them, and a
/// change that compresses a thousandfold would otherwise pass a size check on its compressed bytes.
#[tokio::test]
async fn compressed_changes_count_as_they_inflate() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits { document_bytes: 64 * 1024, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let id = DocumentId([61; 16]);
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "small").unwrap();
    assert_eq!(sync_afresh(&mut socket, "a", id, &mut doc, false).await, Outcome::Synced);
    let before = doc.get_heads();
    // A megabyte of one letter: about a kilobyte once compressed.
    doc.put(ROOT, "padding", "a".repeat(1024 * 1024)).unwrap();
    doc.commit();
    let mut change = doc.get_changes(&before).pop().unwrap().clone();
    let compressed = change.bytes().into_owned();
    assert!(compressed.len() < 16 * 1024, "compressed to {} bytes", compressed.len());
    assert_eq!(compressed[8], 2, "a compressed change chunk");
    send_changes(&mut socket, "a", id, doc.get_heads(), compressed).await;
    let answer = receive(&mut socket, Duration::from_secs(10)).await;
    assert!(
        matches!(answer, Some(Message::DocUnavailable { document_id, .. }) if document_id == id),
        "refused: {answer:?}"
    );
    // Not stored: a reader sees the document as it was.
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "b").await.unwrap();
    let mut read = AutoCommit::new();
    assert_eq!(sync_afresh(&mut socket, "b", id, &mut read, true).await, Outcome::Synced);
    assert_eq!(name(&read).as_deref(), Some("small"));
    assert_eq!(read.get(ROOT, "padding").unwrap(), None);
}

#[tokio::test]
async fn an_account_holds_only_so_many_sockets_and_tickets() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits { sockets_per_account: 2, tickets_per_account: 3, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let _one = connect(&address, &ticket(&address, &owner, WS).await, "1").await.unwrap();
    let _two = connect(&address, &ticket(&address, &owner, WS).await, "2").await.unwrap();
    let third = connect(&address, &ticket(&address, &owner, WS).await, "3").await;
    assert!(third.unwrap_err().contains("429"), "a third socket of one account is refused");
    let _others = connect(&address, &ticket(&address, &member, WS).await, "m").await.unwrap();

    let path = format!("/api/workspaces/{WS}/tickets");
    for _ in 0..3 {
        let (status, _, _) =
            http(&address, reqwest::Method::POST, &path, Some(&member), json!({})).await;
        assert_eq!(status, 201);
    }
    let response = reqwest::Client::new()
        .post(format!("http://{address}{path}"))
        .header("cookie", &member)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "too_many_tickets");
}

#[tokio::test]
async fn a_socket_sending_faster_than_its_byte_rate_is_slowed_not_cut() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits { bytes_per_second: 256 * 1024, bytes_burst: 64 * 1024, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    let started = Instant::now();
    // 8 × 64 KiB of presence nobody receives: 448 KiB beyond the burst, at 256 KiB/s.
    for count in 0..8 {
        let frame = Message::Ephemeral {
            sender_id: "a".into(),
            target_id: "rapport-relay".into(),
            count,
            session_id: "s".into(),
            document_id: DocumentId([7; 16]),
            data: vec![0; 64 * 1024],
            sender_account: None,
        };
        socket.send(Frame::Binary(frame.encode().into())).await.unwrap();
    }
    let mut doc = AutoCommit::new();
    assert_eq!(
        sync_afresh(&mut socket, "a", DocumentId([8; 16]), &mut doc, true).await,
        Outcome::Unavailable,
        "still served, after the pause"
    );
    // A lower bound, which no machine can beat: the relay read no faster than the limit.
    assert!(started.elapsed() >= Duration::from_millis(1_700), "{:?}", started.elapsed());
}

#[tokio::test]
async fn many_small_changes_are_compacted_into_one_snapshot_that_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let (address, server) = start(data.path()).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    let id = DocumentId([5; 16]);
    let mut doc = AutoCommit::new();
    let mut state = automerge::sync::State::new();
    for n in 0..80 {
        doc.put(ROOT, "name", format!("version {n}")).unwrap();
        assert_eq!(sync(&mut socket, "a", id, &mut doc, &mut state, false).await, Outcome::Synced);
    }
    let seen = metrics(&address).await;
    assert!(seen["rapport_compactions_total"] >= 1.0, "{seen:?}");
    drop(socket);
    server.abort();
    let _ = server.await;

    let store = rapport_sync_server::Store::open(data.path()).unwrap();
    let chunks = store
        .run(move |db| rapport_sync_server::store::load_chunks(db, WS, &id.to_string()))
        .await
        .unwrap();
    assert!(chunks.len() < 40, "80 changes, {} chunks kept", chunks.len());
    drop(store);
    let (address, _server) = start(data.path()).await;
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "b").await.unwrap();
    let mut read = AutoCommit::new();
    assert_eq!(sync_afresh(&mut socket, "b", id, &mut read, true).await, Outcome::Synced);
    assert_eq!(read.get_heads(), doc.get_heads());
    assert_eq!(name(&read).as_deref(), Some("version 79"));
}

/// A device that stops reading while its colleagues write is closed (its outbox is bounded in bytes
/// and every write has a deadline); before, it held its session and queued frames until the idle
/// timeout, five minutes later.
#[tokio::test]
async fn a_device_that_stops_reading_is_closed_and_the_writer_carries_on() {
    let data = tempfile::tempdir().unwrap();
    // The writer sends 15 MB, more than the kernel's buffers hold, into a document allowed that much.
    let limits = Limits {
        outbox_bytes: 1024 * 1024,
        write_timeout: Duration::from_secs(1),
        document_bytes: 64 * 1024 * 1024,
        ..limits()
    };
    let (address, _server) = start_limited(data.path(), limits).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let id = DocumentId([6; 16]);
    let mut writer = connect(&address, &ticket(&address, &owner, WS).await, "w").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "shared").unwrap();
    let mut state = automerge::sync::State::new();
    assert_eq!(sync(&mut writer, "w", id, &mut doc, &mut state, false).await, Outcome::Synced);
    let mut idle = connect(&address, &ticket(&address, &member, WS).await, "idle").await.unwrap();
    let mut copy = AutoCommit::new();
    assert_eq!(sync_afresh(&mut idle, "idle", id, &mut copy, true).await, Outcome::Synced);
    // From here on `idle` never reads: what the relay sends it piles up in the kernel, then the relay.
    for n in 0..60 {
        bulky(&mut doc, &format!("blob {n}"), 256 * 1024);
        let outcome = sync(&mut writer, "w", id, &mut doc, &mut state, false).await;
        assert_eq!(outcome, Outcome::Synced, "the writer is never held up by the idle device");
    }
    let seen = metrics_when(&address, |m| m["rapport_sync_connections"] == 1.0).await;
    assert_eq!(seen["rapport_sync_connections"], 1.0, "the idle device's socket was closed");
    assert!(seen["rapport_slow_sockets_closed_total"] >= 1.0, "{seen:?}");
    drop(idle);
}

#[tokio::test]
async fn a_stranger_cannot_send_a_large_frame_before_joining() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let url = format!("ws://{address}/api/sync?ticket={}", ticket(&address, &owner, WS).await);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut padded = Message::Join {
        sender_id: "x".repeat(8 * 1024),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    socket.send(Frame::Binary(padded.encode().into())).await.unwrap();
    let Some(Message::Error { message }) = receive(&mut socket, Duration::from_secs(5)).await
    else {
        panic!("no error")
    };
    assert_eq!(message, "the first message must be a small join");
    // After joining, a sender id over the protocol's cap is refused by the decoder, by name.
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "ok").await.unwrap();
    padded = Message::Leave { sender_id: "y".repeat(2_000) };
    socket.send(Frame::Binary(padded.encode().into())).await.unwrap();
    let Some(Message::Error { message }) = receive(&mut socket, Duration::from_secs(5)).await
    else {
        panic!("no error")
    };
    assert!(message.contains("1024"), "{message}");
}

/// A client that trickles its request headers (slowloris) is cut off; with the connection cap
/// reached, others wait for a free slot rather than being refused.
#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let data = tempfile::tempdir().unwrap();
    let limits =
        Limits { header_read_timeout: Duration::from_secs(1), http_connections: 1, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let waiting = tokio::spawn({
        let address = address.clone();
        async move { reqwest::get(format!("http://{address}/healthz")).await.unwrap().status() }
    });
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read(&mut buffer)).await;
    let read = read.expect("the relay closes a connection whose headers never end");
    assert!(matches!(read, Ok(0) | Err(_)) || buffer.starts_with(b"HTTP/1.1 408"), "{read:?}");
    let status = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
    assert_eq!(status.as_u16(), 200, "served once the slot was free");

    // A connection that sends nothing at all is cut off the same way.
    let mut silent = tokio::net::TcpStream::connect(&address).await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buffer)).await;
    let read = read.expect("the relay closes a connection that never sends a request");
    assert!(matches!(read, Ok(0) | Err(_)) || buffer.starts_with(b"HTTP/1.1 408"), "{read:?}");
}

/// A client trickling a request's body is answered 408 once the request timeout passes, and its
/// connection slot is free again.
#[tokio::test]
async fn a_client_trickling_a_body_is_cut_off() {
    let data = tempfile::tempdir().unwrap();
    let limits =
        Limits { request_timeout: Duration::from_secs(1), http_connections: 1, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = "POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    slow.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer)).await;
    read.expect("the relay answers a body that never ends").ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408") || answer.is_empty(), "{answer}");
    let status = reqwest::get(format!("http://{address}/healthz")).await.unwrap().status();
    assert_eq!(status.as_u16(), 200, "the slot is free again");
}

/// One address cannot take every connection: past its share its connections are closed at once, its
/// sync sockets count for as long as they live, and the share comes back as they end.
#[tokio::test]
async fn one_address_holds_only_so_many_connections() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let tickets = [ticket(&address, &owner, WS).await, ticket(&address, &owner, WS).await];
    _server.abort();
    let _ = _server.await;
    // The same database, now with a share of 3 per address.
    let limits = Limits { connections_per_address: 3, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let first = connect(&address, &tickets[0], "a").await.unwrap();
    let _second = connect(&address, &tickets[1], "b").await.unwrap();
    let _idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut refused = tokio::net::TcpStream::connect(&address).await.unwrap();
    let _ = refused.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), refused.read(&mut buffer)).await;
    let read = read.expect("a connection past the address's share is closed at once");
    assert!(matches!(read, Ok(0) | Err(_)), "closed unanswered: {read:?}");
    // A sync socket that ends gives its place back.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answered = reqwest::get(format!("http://{address}/healthz")).await;
        if answered.is_ok_and(|answer| answer.status() == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "the closed socket's place came back");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The relay holds only so many sync sockets in all, and an account only so many workspaces.
#[tokio::test]
async fn the_relay_holds_only_so_many_sockets_and_an_account_only_so_many_workspaces() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits { sync_sockets: 2, workspaces_per_account: 2, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let (owner, member, viewer) = workspace_with_member(&address).await;
    let _one = connect(&address, &ticket(&address, &owner, WS).await, "1").await.unwrap();
    let _two = connect(&address, &ticket(&address, &member, WS).await, "2").await.unwrap();
    let third = connect(&address, &ticket(&address, &viewer, WS).await, "3").await;
    assert!(third.unwrap_err().contains("429"), "a third socket is refused, whoever asks");
    drop(_one);

    // The owner has one workspace (WS); one more, then no more.
    let second = json!({ "id": OTHER_WS, "name": "Second" });
    let path = "/api/workspaces";
    assert_eq!(
        http(&address, reqwest::Method::POST, path, Some(&owner), second.clone()).await.0,
        201
    );
    let third = json!({ "id": "4d1a0f8c-6a0e-4c55-9d63-1f5f5d1b2c3e", "name": "Third" });
    let (status, _, body) = http(&address, reqwest::Method::POST, path, Some(&owner), third).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "too_many_workspaces");
    // Connecting an existing workspace again is not creating one.
    assert_eq!(http(&address, reqwest::Method::POST, path, Some(&owner), second).await.0, 200);
    // Workspaces joined by invitation are not owned: the member still creates one.
    let own = json!({ "id": "5e2b1f9d-7b1f-4d66-8e74-2a6a6e2c3d4f", "name": "Max's" });
    assert_eq!(http(&address, reqwest::Method::POST, path, Some(&member), own).await.0, 201);
}

#[tokio::test]
async fn a_page_of_another_site_can_neither_write_nor_sync() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let owner = account(&address, "olga").await;
    let client = reqwest::Client::new();
    let sign_up = |headers: &[(&str, &str)], email: &str| {
        let mut request = client.post(format!("http://{address}/api/accounts")).json(&json!({
            "email": email, "name": "X", "password": "correct horse battery"
        }));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let cross = sign_up(&[("sec-fetch-site", "cross-site")], "a@x.test").await.unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    assert_eq!(cross.json::<serde_json::Value>().await.unwrap()["code"], "cross_site");
    let evil = sign_up(&[("origin", "https://evil.example")], "b@x.test").await.unwrap();
    assert_eq!(evil.status().as_u16(), 403);
    let own_origin = format!("http://{address}");
    let own = sign_up(&[("sec-fetch-site", "same-origin"), ("origin", &own_origin)], "c@x.test");
    assert_eq!(own.await.unwrap().status().as_u16(), 201);

    // Reading needs no such check; the sync socket does (a websocket is not bound by CORS).
    let create = json!({ "id": WS, "name": "Acme" });
    http(&address, reqwest::Method::POST, "/api/workspaces", Some(&owner), create).await;
    let upgrade = |origin: &str| {
        let url = format!("ws://{address}/api/sync?ticket=t");
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                .unwrap();
        request.headers_mut().insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let refused = upgrade("https://evil.example").await.unwrap_err().to_string();
    assert!(refused.contains("403"), "{refused}");
    let allowed_origin = upgrade(&own_origin).await.unwrap_err().to_string();
    assert!(allowed_origin.contains("401"), "past the origin check, stopped at the ticket");
}

#[tokio::test]
async fn behind_a_proxy_the_public_origin_is_checked_instead_of_host() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start_with(data.path(), |state| {
        state.with_public_origin(Some("https://crm.example".into()))
    })
    .await;
    let owner = account(&address, "olga").await;
    let create = json!({ "id": WS, "name": "Acme" });
    http(&address, reqwest::Method::POST, "/api/workspaces", Some(&owner), create).await;
    let open = |origin: &'static str| {
        let address = address.clone();
        let owner = owner.clone();
        async move {
            let url =
                format!("ws://{address}/api/sync?ticket={}", ticket(&address, &owner, WS).await);
            let mut request =
                tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                    .unwrap();
            request.headers_mut().insert("origin", origin.parse().unwrap());
            tokio_tungstenite::connect_async(request).await.map(|_| ()).map_err(|e| e.to_string())
        }
    };
    assert_eq!(open("https://crm.example").await, Ok(()), "the proxy's origin is the relay's own");
    let host_origin = open("http://127.0.0.1").await.unwrap_err();
    assert!(host_origin.contains("403"), "{host_origin}");
}

#[tokio::test]
async fn metrics_are_for_loopback_or_the_token_holder() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits { trust_forwarded_for: true, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let get = |forwarded: Option<&str>, token: Option<&str>| {
        let mut request = reqwest::Client::new().get(format!("http://{address}/metrics"));
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(None, None).await, 200, "loopback");
    assert_eq!(get(Some("127.0.0.1, 203.0.113.7"), None).await, 404, "from the internet");

    let data = tempfile::tempdir().unwrap();
    let (address, _server) =
        start_with(data.path(), |state| state.with_metrics_token(Some("s3cret-token".into())))
            .await;
    let get = |token: Option<&str>| {
        let mut request = reqwest::Client::new().get(format!("http://{address}/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(None).await, 404, "with a token set, loopback needs it too");
    assert_eq!(get(Some("wrong-token!")).await, 404);
    assert_eq!(get(Some("s3cret")).await, 404, "a prefix is not the token");
    assert_eq!(get(Some("s3cret-token")).await, 200);

    // Behind a proxy on the same host everyone is loopback: without a token, nobody reads them.
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start_with(data.path(), |state| state.with_tls(true)).await;
    let status = reqwest::get(format!("http://{address}/metrics")).await.unwrap().status();
    assert_eq!(status.as_u16(), 404, "behind a proxy, loopback proves nothing");
}

/// Sign-in floods: per address, per email, and a bound on hashes at once — and members keep syncing.
#[tokio::test]
async fn password_guessing_is_rate_limited_and_members_keep_syncing_meanwhile() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits {
        sign_ins_per_minute_per_address: 4,
        sign_ins_per_minute_per_email: 3,
        hashes_at_once: 1,
        hashes_waiting: 2,
        trust_forwarded_for: true,
        ..limits()
    };
    let (address, _server) = start_limited(data.path(), limits).await;
    let attempt = |from: String, email: String| {
        let address = address.clone();
        async move {
            reqwest::Client::new()
                .post(format!("http://{address}/api/sessions"))
                .header("x-forwarded-for", from)
                .json(&json!({ "email": email, "password": "wrong password!" }))
                .send()
                .await
                .unwrap()
        }
    };
    // One address: 4 attempts, then 429 with Retry-After.
    for n in 0..4 {
        let status = attempt("198.51.100.1".into(), format!("a{n}@x.test")).await.status();
        assert_eq!(status.as_u16(), 401);
    }
    let limited = attempt("198.51.100.1".into(), "b@x.test".into()).await;
    assert_eq!(limited.status().as_u16(), 429);
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // One email from many addresses: 3 attempts, then 429.
    for n in 0..3 {
        let from = format!("198.51.100.{}", 10 + n);
        assert_eq!(attempt(from, "c@x.test".into()).await.status().as_u16(), 401);
    }
    assert_eq!(attempt("198.51.100.20".into(), "c@x.test".into()).await.status().as_u16(), 429);

    // A flood from many addresses at once: one hash at a time, two waiting, the rest refused at once.
    let (owner, member, _) = workspace_with_member_from(&address, "203.0.113.1").await;
    let flood: Vec<_> = (0..24)
        .map(|n| tokio::spawn(attempt(format!("192.0.2.{n}"), format!("d{n}@x.test"))))
        .collect();
    // Meanwhile two members sync a document back and forth.
    let id = DocumentId([9; 16]);
    let mut a =
        connect(&address, &ticket_from(&address, &owner, "203.0.113.1").await, "a").await.unwrap();
    let mut b =
        connect(&address, &ticket_from(&address, &member, "203.0.113.1").await, "b").await.unwrap();
    let (mut doc_a, mut doc_b) = (AutoCommit::new(), AutoCommit::new());
    let (mut state_a, mut state_b) = (automerge::sync::State::new(), automerge::sync::State::new());
    for n in 0..5 {
        doc_a.put(ROOT, "name", format!("edit {n}")).unwrap();
        assert_eq!(sync(&mut a, "a", id, &mut doc_a, &mut state_a, false).await, Outcome::Synced);
        assert_eq!(sync(&mut b, "b", id, &mut doc_b, &mut state_b, n == 0).await, Outcome::Synced);
        assert_eq!(name(&doc_b), Some(format!("edit {n}")));
    }
    let mut statuses = Vec::new();
    for attempt in flood {
        statuses.push(attempt.await.unwrap().status().as_u16());
    }
    assert!(statuses.iter().all(|s| [401, 429].contains(s)), "{statuses:?}");
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(refused >= 10, "most of the flood is refused without hashing: {statuses:?}");
}

/// Signs up Olga, Max and Vera from `from` and puts them in `WS` (the flood test's own address, so
/// its per-address limit does not count the set-up).
async fn workspace_with_member_from(address: &str, from: &str) -> (String, String, String) {
    let client = reqwest::Client::new();
    let post = |path: String, cookie: Option<String>, body: serde_json::Value| {
        let mut request = client
            .post(format!("http://{address}{path}"))
            .header("x-forwarded-for", from)
            .json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let mut cookies = Vec::new();
    for name in ["olga", "max", "vera"] {
        let form = json!({ "email": format!("{name}@example.test"), "name": name, "password": "correct horse battery" });
        let response = post("/api/accounts".into(), None, form).await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookies.push(cookie.split(';').next().unwrap().to_owned());
    }
    let create = json!({ "id": WS, "name": "Acme" });
    post("/api/workspaces".into(), Some(cookies[0].clone()), create).await.unwrap();
    for (who, role) in [(1, "member"), (2, "viewer")] {
        let path = format!("/api/workspaces/{WS}/invites");
        let invite = post(path, Some(cookies[0].clone()), json!({ "role": role })).await.unwrap();
        let code =
            invite.json::<serde_json::Value>().await.unwrap()["code"].as_str().unwrap().to_owned();
        let joined = post(format!("/api/invites/{code}"), Some(cookies[who].clone()), json!({}));
        assert_eq!(joined.await.unwrap().status().as_u16(), 200);
    }
    (cookies[0].clone(), cookies[1].clone(), cookies[2].clone())
}

async fn ticket_from(address: &str, cookie: &str, from: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("http://{address}/api/workspaces/{WS}/tickets"))
        .header("cookie", cookie)
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap();
    response.json::<serde_json::Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn behind_tls_the_session_cookie_is_secure_and_host_only() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start_with(data.path(), |state| state.with_tls(true)).await;
    let form = json!({ "email": "ada@x.test", "name": "Ada", "password": "correct horse battery" });
    let response = reqwest::Client::new()
        .post(format!("http://{address}/api/accounts"))
        .json(&form)
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-rapport_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/") && cookie.contains("HttpOnly")
    );
    assert!(!cookie.contains("Domain"), "a __Host- cookie names no domain");
    let session = cookie.split(';').next().unwrap().to_owned();
    let me = http(&address, reqwest::Method::GET, "/api/me", Some(&session), json!(null)).await;
    assert_eq!(me.0, 200);
    // The plain name is not a session there (a page over plain HTTP could have set it).
    let plain = session.replace("__Host-", "");
    assert_eq!(
        http(&address, reqwest::Method::GET, "/api/me", Some(&plain), json!(null)).await.0,
        401
    );
}

#[tokio::test]
async fn signing_out_everywhere_and_changing_the_password_end_other_sessions() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let laptop = account(&address, "ada").await;
    let sign_in = |password: &'static str| {
        let address = address.clone();
        async move {
            let form = json!({ "email": "ada@example.test", "password": password });
            http(&address, reqwest::Method::POST, "/api/sessions", None, form).await
        }
    };
    let phone = sign_in("correct horse battery").await.1.unwrap();
    let me = |cookie: String| {
        let address = address.clone();
        async move {
            http(&address, reqwest::Method::GET, "/api/me", Some(&cookie), json!(null)).await.0
        }
    };

    let wrong = json!({ "current": "not my password", "new": "a brand new secret" });
    let put = |cookie: &String, body| {
        let (address, cookie) = (address.clone(), cookie.clone());
        async move {
            http(&address, reqwest::Method::PUT, "/api/me/password", Some(&cookie), body).await
        }
    };
    assert_eq!(put(&laptop, wrong).await.0, 403);
    // Malformed, oversized and unauthenticated requests are refused with a clear status; none of
    // them changes anything.
    let raw =
        |method: reqwest::Method, path: &'static str, cookie: Option<&String>, body: String| {
            let (address, cookie) = (address.clone(), cookie.cloned());
            async move {
                let mut request = reqwest::Client::new()
                    .request(method, format!("http://{address}{path}"))
                    .header("content-type", "application/json")
                    .body(body);
                if let Some(cookie) = cookie {
                    request = request.header("cookie", cookie);
                }
                request.send().await.unwrap().status().as_u16()
            }
        };
    assert_eq!(
        raw(reqwest::Method::PUT, "/api/me/password", Some(&laptop), "{\"current\":".into()).await,
        400
    );
    assert_eq!(
        raw(reqwest::Method::PUT, "/api/me/password", Some(&laptop), "[1, 2]".into()).await,
        400
    );
    let huge = format!("{{\"current\":\"{}\",\"new\":\"x\"}}", "a".repeat(2 * 1024 * 1024));
    assert_eq!(raw(reqwest::Method::PUT, "/api/me/password", Some(&laptop), huge).await, 413);
    let right_again =
        json!({ "current": "correct horse battery", "new": "stolen password" }).to_string();
    assert_eq!(raw(reqwest::Method::PUT, "/api/me/password", None, right_again.clone()).await, 401);
    let forged = "rapport_session=forged".to_owned();
    assert_eq!(
        raw(reqwest::Method::PUT, "/api/me/password", Some(&forged), right_again).await,
        401
    );
    assert_eq!(raw(reqwest::Method::DELETE, "/api/me/sessions", None, String::new()).await, 401);
    assert_eq!(
        raw(reqwest::Method::DELETE, "/api/me/sessions", Some(&forged), String::new()).await,
        401
    );
    assert_eq!(me(laptop.clone()).await, 200, "nothing above ended a session");
    assert_eq!(me(phone.clone()).await, 200);
    let short = json!({ "current": "correct horse battery", "new": "short" });
    assert_eq!(put(&laptop, short).await.0, 400);
    // The phone syncs; a session that ends must not leave its socket open.
    let create = json!({ "id": WS, "name": "Ada's" });
    http(&address, reqwest::Method::POST, "/api/workspaces", Some(&laptop), create).await;
    let mut phone_socket =
        connect(&address, &ticket(&address, &phone, WS).await, "phone").await.unwrap();
    let right = json!({ "current": "correct horse battery", "new": "a brand new secret" });
    assert_eq!(put(&laptop, right).await.0, 204);
    let Some(Message::Error { message }) = receive(&mut phone_socket, Duration::from_secs(5)).await
    else {
        panic!("the phone's socket is closed with its session")
    };
    assert_eq!(message, "your password was changed");
    assert_eq!(me(laptop.clone()).await, 200, "the session that changed it stays");
    assert_eq!(me(phone.clone()).await, 401, "every other session ends");
    assert_eq!(sign_in("correct horse battery").await.0, 401);
    let tablet = sign_in("a brand new secret").await.1.unwrap();

    let everywhere =
        http(&address, reqwest::Method::DELETE, "/api/me/sessions", Some(&tablet), json!(null));
    assert_eq!(everywhere.await.0, 204);
    assert_eq!(me(laptop).await, 401);
    assert_eq!(me(tablet).await, 401);
}

/// A document whose handling panics (Automerge on input it cannot take) is taken out of memory and
/// its sockets closed; every other document and socket carries on, and the relay stays up.
#[tokio::test]
async fn a_panic_on_one_document_closes_only_that_documents_sockets() {
    let data = tempfile::tempdir().unwrap();
    let poisoned = DocumentId([13; 16]);
    let target = poisoned.to_string();
    let (mut relay, address) = start_process_with(
        &data.path().join("no-dist"),
        data.path(),
        &[],
        &[("RAPPORT_FAULT_PANIC_DOCUMENT", target.as_str())],
    );
    let (owner, member, _) = workspace_with_member(&address).await;
    let mut writer = connect(&address, &ticket(&address, &owner, WS).await, "w").await.unwrap();
    let mut reader = connect(&address, &ticket(&address, &member, WS).await, "r").await.unwrap();
    let mut bystander = connect(&address, &ticket(&address, &member, WS).await, "b").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "first").unwrap();
    let mut state = automerge::sync::State::new();
    assert_eq!(
        sync(&mut writer, "w", poisoned, &mut doc, &mut state, false).await,
        Outcome::Synced
    );
    let mut copy = AutoCommit::new();
    assert_eq!(sync_afresh(&mut reader, "r", poisoned, &mut copy, true).await, Outcome::Synced);
    let other = DocumentId([14; 16]);
    let mut other_doc = AutoCommit::new();
    other_doc.put(ROOT, "name", "elsewhere").unwrap();
    let mut other_state = automerge::sync::State::new();
    assert_eq!(
        sync(&mut bystander, "b", other, &mut other_doc, &mut other_state, false).await,
        Outcome::Synced
    );

    doc.put(ROOT, "name", "second").unwrap();
    let reason =
        closed_because(sync(&mut writer, "w", poisoned, &mut doc, &mut state, false).await);
    assert!(reason.contains("made the relay fail"), "{reason}");
    let Some(Message::Error { message }) = receive(&mut reader, Duration::from_secs(5)).await
    else {
        panic!("the other socket of the failed document is told and closed")
    };
    assert_eq!(message, reason);

    other_doc.put(ROOT, "name", "still fine").unwrap();
    assert_eq!(
        sync(&mut bystander, "b", other, &mut other_doc, &mut other_state, false).await,
        Outcome::Synced,
        "another document's socket carries on"
    );
    let seen = metrics(&address).await;
    assert_eq!(seen["rapport_documents_failed_total"], 1.0);
    assert!(relay.try_wait().unwrap().is_none(), "the relay is still running");
    // Reconnecting serves what was stored, never the change that failed.
    let mut again = connect(&address, &ticket(&address, &member, WS).await, "r2").await.unwrap();
    let mut fresh = AutoCommit::new();
    assert_eq!(sync_afresh(&mut again, "r2", poisoned, &mut fresh, true).await, Outcome::Synced);
    assert_eq!(name(&fresh).as_deref(), Some("first"));
    relay.kill().unwrap();
    relay.wait().unwrap();
}

/// A member removed in the moment between using a ticket and the socket being registered: the
/// removal found no socket to end, so the socket checks the membership again once registered.
#[tokio::test]
async fn a_member_removed_while_their_socket_opens_is_closed() {
    let data = tempfile::tempdir().unwrap();
    let (mut relay, address) = start_process_with(
        &data.path().join("no-dist"),
        data.path(),
        &[],
        &[("RAPPORT_FAULT_DELAY_REGISTER_MS", "1500")],
    );
    let (owner, member, _) = workspace_with_member(&address).await;
    let url = format!("ws://{address}/api/sync?ticket={}", ticket(&address, &member, WS).await);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    // The ticket is used; the socket waits to be registered. Remove the member now.
    remove_member(&address, &owner, "max").await;
    let Some(Message::Error { message }) = receive(&mut socket, Duration::from_secs(10)).await
    else {
        panic!("the socket must be closed")
    };
    assert_eq!(message, "your access to this workspace was removed");
    relay.kill().unwrap();
    relay.wait().unwrap();
}

/// A folder on a small tmpfs of its own (a real file system that really fills up), unmounted on drop.
struct SmallDisk {
    root: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` when this process may not mount (not root): the caller says so and skips.
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let root = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(root.path())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then_some(SmallDisk { root })
    }

    fn path(&self) -> &std::path::Path {
        self.root.path()
    }

    /// Writes a file until the file system refuses more.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0xa5u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.flush();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(self.root.path()).status();
    }
}

/// A change the database cannot store (the disk is full) is never served: the document leaves memory,
/// every socket syncing it is closed, the error is counted, and once there is room again the writer's
/// device, which still holds the change, stores it.
#[tokio::test]
async fn a_change_that_could_not_be_stored_is_never_served() {
    let Some(disk) = SmallDisk::mount(4) else {
        // Said, not silent: the README's commands run as root (they install packages), so this only
        // happens where someone runs the tests by hand without root.
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        }
        return;
    };
    let (mut relay, address) = start_process(&disk.path().join("no-dist"), disk.path());
    let (owner, member, _) = workspace_with_member(&address).await;
    let id = DocumentId([21; 16]);
    let mut writer = connect(&address, &ticket(&address, &owner, WS).await, "w").await.unwrap();
    let mut reader = connect(&address, &ticket(&address, &member, WS).await, "r").await.unwrap();
    let spare = ticket(&address, &member, WS).await;
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "stored").unwrap();
    let mut state = automerge::sync::State::new();
    assert_eq!(sync(&mut writer, "w", id, &mut doc, &mut state, false).await, Outcome::Synced);
    let mut copy = AutoCommit::new();
    assert_eq!(sync_afresh(&mut reader, "r", id, &mut copy, true).await, Outcome::Synced);

    let filler = disk.fill();
    doc.put(ROOT, "name", "never stored").unwrap();
    bulky(&mut doc, "photo", 512 * 1024);
    let reason = closed_because(sync(&mut writer, "w", id, &mut doc, &mut state, false).await);
    assert!(reason.contains("could not store a change"), "{reason}");
    let Some(Message::Error { message }) = receive(&mut reader, Duration::from_secs(5)).await
    else {
        panic!("the reader of the document is closed too, not served the change")
    };
    assert_eq!(message, reason);
    let seen = metrics(&address).await;
    assert_eq!(seen["rapport_storage_errors_total"], 1.0);
    assert_eq!(seen["rapport_documents_failed_total"], 1.0);

    std::fs::remove_file(filler).unwrap();
    let mut late = connect(&address, &spare, "late").await.unwrap();
    let mut fresh = AutoCommit::new();
    assert_eq!(sync_afresh(&mut late, "late", id, &mut fresh, true).await, Outcome::Synced);
    assert_eq!(name(&fresh).as_deref(), Some("stored"), "what was not stored is not served");
    let mut writer = connect(&address, &ticket(&address, &owner, WS).await, "w2").await.unwrap();
    assert_eq!(sync_afresh(&mut writer, "w2", id, &mut doc, false).await, Outcome::Synced);
    let mut after = AutoCommit::new();
    let mut check = connect(&address, &ticket(&address, &member, WS).await, "c").await.unwrap();
    assert_eq!(sync_afresh(&mut check, "c", id, &mut after, true).await, Outcome::Synced);
    assert_eq!(name(&after).as_deref(), Some("never stored"), "stored now there is room");
    relay.kill().unwrap();
    relay.wait().unwrap();
}

/// Loading a large document from storage (here: thousands of small chunks, seconds of Automerge work in
/// a debug build) happens under that document's own lock, never the hub's: presence between two
/// colleagues on another document goes through meanwhile. Before, the hub-wide lock was held for the
/// whole load, and every socket of every workspace waited.
#[tokio::test]
async fn loading_a_large_document_stalls_nobody_else() {
    let data = tempfile::tempdir().unwrap();
    let (address, server) = start(data.path()).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    server.abort();
    let _ = server.await;
    // A long-lived document, written as the relay would have over months: thousands of chunks.
    let large = DocumentId([41; 16]);
    let store = rapport_sync_server::Store::open(data.path()).unwrap();
    let key = large.to_string();
    store
        .run(move |db| {
            use rapport_sync_server::store;
            // Seeding, not serving: no fsync per chunk.
            db.pragma_update(None, "synchronous", "OFF")?;
            store::claim_document(db, WS, &key, 10)?;
            let mut doc = AutoCommit::new();
            for n in 0..4_000 {
                doc.put(ROOT, format!("k{}", n % 50), n as i64).unwrap();
                doc.commit();
                store::append_chunk(db, WS, &key, &doc.save_incremental())?;
            }
            Ok(())
        })
        .await
        .unwrap();
    drop(store);

    let (address, _server) = start(data.path()).await;
    let small = DocumentId([42; 16]);
    let mut b = connect(&address, &ticket(&address, &owner, WS).await, "b").await.unwrap();
    let mut c = connect(&address, &ticket(&address, &member, WS).await, "c").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "small").unwrap();
    assert_eq!(sync_afresh(&mut b, "b", small, &mut doc, false).await, Outcome::Synced);
    let mut copy = AutoCommit::new();
    assert_eq!(sync_afresh(&mut c, "c", small, &mut copy, true).await, Outcome::Synced);

    // A asks for the large document; while the relay loads it, B tells C where it is.
    let mut a = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    let mut empty = AutoCommit::new();
    let request = empty.sync().generate_sync_message(&mut automerge::sync::State::new());
    let frame = Message::Request {
        sender_id: "a".into(),
        target_id: "rapport-relay".into(),
        document_id: large,
        data: request.expect("a first message").encode(),
    };
    a.send(Frame::Binary(frame.encode().into())).await.unwrap();
    let presence = Message::Ephemeral {
        sender_id: "b".into(),
        target_id: "rapport-relay".into(),
        count: 1,
        session_id: "b".into(),
        document_id: small,
        data: b"on the large one".to_vec(),
        sender_account: None,
    };
    b.send(Frame::Binary(presence.encode().into())).await.unwrap();
    // Whichever comes first: presence must not wait for the load.
    tokio::select! {
        biased;
        heard = receive(&mut c, Duration::from_secs(60)) => {
            assert!(matches!(heard, Some(Message::Ephemeral { .. })), "{heard:?}");
        }
        answered = receive(&mut a, Duration::from_secs(60)) => {
            panic!("the large document was loaded before presence went through: {answered:?}");
        }
    }
    let Some(Message::Sync { .. }) = receive(&mut a, Duration::from_secs(60)).await else {
        panic!("the large document is served once loaded")
    };
}

/// Changes whose dependencies the relay lacks are held back by Automerge, neither applied nor stored:
/// a member sending such orphans on purpose would grow the relay's memory without bound. They count
/// against the document's size, and past it the document is dropped from memory (and its queue with it).
#[tokio::test]
async fn changes_that_cannot_be_applied_cannot_pile_up() {
    let data = tempfile::tempdir().unwrap();
    let limits = Limits { document_bytes: 256 * 1024, ..limits() };
    let (address, _server) = start_limited(data.path(), limits).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let id = DocumentId([51; 16]);
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "real").unwrap();
    assert_eq!(sync_afresh(&mut socket, "a", id, &mut doc, false).await, Outcome::Synced);

    // Orphans: each message carries a change whose parent it never sends.
    let mut sent = 0;
    let outcome = loop {
        let mut elsewhere = AutoCommit::new();
        elsewhere.put(ROOT, "parent", sent).unwrap();
        elsewhere.commit();
        bulky(&mut elsewhere, "orphan", 32 * 1024);
        elsewhere.commit();
        let orphan = elsewhere.get_changes(&[]).last().unwrap().raw_bytes().to_vec();
        send_changes(&mut socket, "a", id, vec![], orphan).await;
        sent += 1;
        match next_event(&mut socket, Duration::from_millis(500)).await {
            Event::Message(Message::DocUnavailable { document_id, .. }) if document_id == id => {
                break sent;
            }
            Event::Message(Message::Error { message }) => panic!("closed: {message}"),
            Event::Closed => panic!("closed without a reason"),
            _ if sent > 40 => panic!("40 orphans of 32 KiB held for a 256 KiB document"),
            _ => {}
        }
    };
    // What is held back counts as the document's: refused once past its size.
    assert!(outcome <= 10, "refused once past the document's size, after {outcome}");
    // What was stored is intact.
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "b").await.unwrap();
    let mut read = AutoCommit::new();
    assert_eq!(sync_afresh(&mut socket, "b", id, &mut read, true).await, Outcome::Synced);
    assert_eq!(name(&read).as_deref(), Some("real"));
}

/// Stamps (the relay's time of a ticket's event, `Work::Stamp {}`): recorded at once with the relay's
/// clock, the same entry for every device that asks again, and refused to outsiders, viewers, removed
/// members, malformed and oversized requests.
#[tokio::test]
async fn a_stamp_keeps_the_time_the_relay_first_heard_it_and_only_members_may_ask() {
    let dir = tempfile::tempdir().unwrap();
    let (address, _relay) = start(dir.path()).await;
    let (olga, max, vera) = workspace_with_member(&address).await;
    let eve = outsider_with_workspace(&address).await;
    let item = |n: u32| format!("/api/workspaces/{WS}/outbox/{n:032x}");
    let stamp = json!({ "kind": "stamp" });
    let put = |cookie: &str, path: String, body: serde_json::Value| {
        let cookie = cookie.to_owned();
        let address = address.clone();
        async move { http(&address, reqwest::Method::PUT, &path, Some(&cookie), body).await }
    };

    let before =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
            as i64;
    let (status, _, first) = put(&olga, item(1), stamp.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["state"], "recorded");
    assert_eq!(first["kind"], "stamp");
    let at = first["queued_at"].as_i64().unwrap();
    assert!((before..=before + 5).contains(&at), "the relay's own clock: {at} vs {before}");
    // Max's device heard of the same event later: the first time stays.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, again) = put(&max, item(1), stamp.clone()).await;
    assert_eq!((status, &again["queued_at"]), (200, &json!(at)), "{again}");
    // Every device hears it in the ledger's changes.
    let changes = format!("/api/workspaces/{WS}/outbox?after=0");
    let (status, _, feed) =
        http(&address, reqwest::Method::GET, &changes, Some(&max), json!(null)).await;
    assert_eq!(status, 200);
    let entries = feed["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["kind"] == "stamp" && e["queued_at"] == at), "{feed}");
    // Cancelling a stamp changes nothing.
    let (status, _, kept) =
        http(&address, reqwest::Method::DELETE, &item(1), Some(&olga), json!(null)).await;
    assert_eq!((status, &kept["state"]), (200, &json!("recorded")), "{kept}");

    // Outsiders, viewers and removed members cannot stamp; nor reach another workspace's ledger.
    assert_eq!(put(&eve, item(2), stamp.clone()).await.0, 404);
    assert_eq!(put(&vera, item(2), stamp.clone()).await.0, 403);
    let other = format!("/api/workspaces/{OTHER_WS}/outbox/{:032x}", 2);
    assert_eq!(put(&olga, other, stamp.clone()).await.0, 404);
    // Malformed: a bad id, unknown fields, a wrong kind, not JSON at all; and oversized.
    let bad_id = format!("/api/workspaces/{WS}/outbox/not-an-id");
    assert_eq!(put(&olga, bad_id, stamp.clone()).await.0, 400);
    for bad in [json!({ "kind": "stamp", "at": 1 }), json!({ "kind": "stamped" }), json!("stamp")] {
        let (status, _, body) = put(&olga, item(3), bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let huge = json!({ "kind": "stamp", "padding": "x".repeat(2_000_000) });
    assert_eq!(put(&olga, item(3), huge).await.0, 413);
    let (status, _, missing) =
        http(&address, reqwest::Method::GET, &item(3), Some(&olga), json!(null)).await;
    assert_eq!(status, 404, "nothing was recorded by refused requests: {missing}");
    remove_member(&address, &olga, "max").await;
    assert_eq!(put(&max, item(4), stamp).await.0, 404);
}
