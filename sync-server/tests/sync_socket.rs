//! The sync socket over real websockets on loopback: members sync documents through the relay, live and
//! after a restart; tickets, workspaces, roles and bad frames are enforced per connection.

mod common;

use std::time::Duration;

use automerge::sync::{self as am_sync, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use common::socket::*;
use futures_util::SinkExt;
use rapport_core::layout::DocumentId;
use rapport_core::protocol::Message;
use tokio_tungstenite::tungstenite::Message as Frame;

#[tokio::test]
async fn members_sync_live_through_the_relay_and_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let (address, server) = start(data.path()).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let id = DocumentId([7; 16]);

    let mut a = connect(&address, &ticket(&address, &owner, WS).await, "device-a").await.unwrap();
    let mut doc_a = AutoCommit::new();
    doc_a.put(ROOT, "name", "Acme").unwrap();
    let mut state_a = am_sync::State::new();
    assert_eq!(
        sync(&mut a, "device-a", id, &mut doc_a, &mut state_a, false).await,
        Outcome::Synced
    );

    let mut b = connect(&address, &ticket(&address, &member, WS).await, "device-b").await.unwrap();
    let mut doc_b = AutoCommit::new();
    let mut state_b = am_sync::State::new();
    assert_eq!(sync(&mut b, "device-b", id, &mut doc_b, &mut state_b, true).await, Outcome::Synced);
    assert_eq!(name(&doc_b).as_deref(), Some("Acme"));

    // A edits; B hears of it without asking.
    doc_a.put(ROOT, "name", "Acme Ltd").unwrap();
    assert_eq!(
        sync(&mut a, "device-a", id, &mut doc_a, &mut state_a, false).await,
        Outcome::Synced
    );
    let pushed = receive(&mut b, Duration::from_secs(5)).await;
    let Some(Message::Sync { data: live, .. }) = pushed else {
        panic!("expected a live sync, got {pushed:?}")
    };
    doc_b
        .sync()
        .receive_sync_message(&mut state_b, am_sync::Message::decode(&live).unwrap())
        .unwrap();
    assert_eq!(
        sync(&mut b, "device-b", id, &mut doc_b, &mut state_b, false).await,
        Outcome::Synced
    );
    assert_eq!(name(&doc_b).as_deref(), Some("Acme Ltd"));

    // The relay restarts: a new device gets everything from disk.
    drop((a, b));
    server.abort();
    let _ = server.await;
    let (address, _server) = start(data.path()).await;
    let mut c = connect(&address, &ticket(&address, &owner, WS).await, "device-c").await.unwrap();
    let mut doc_c = AutoCommit::new();
    let mut state_c = am_sync::State::new();
    assert_eq!(sync(&mut c, "device-c", id, &mut doc_c, &mut state_c, true).await, Outcome::Synced);
    assert_eq!(name(&doc_c).as_deref(), Some("Acme Ltd"));
    assert_eq!(doc_c.get_heads(), doc_a.get_heads());
}

#[tokio::test]
async fn tickets_workspaces_roles_and_bad_frames_are_enforced_per_connection() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, _, viewer) = workspace_with_member(&address).await;
    let outsider = outsider_with_workspace(&address).await;
    let id = DocumentId([9; 16]);

    // No ticket, a made-up ticket, a replayed ticket: no socket at all.
    assert!(connect(&address, "", "x").await.unwrap_err().contains("401"));
    assert!(connect(&address, &"ab".repeat(32), "x").await.unwrap_err().contains("401"));
    let used = ticket(&address, &owner, WS).await;
    let mut a = connect(&address, &used, "device-a").await.unwrap();
    assert!(connect(&address, &used, "again").await.unwrap_err().contains("401"));

    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "secret").unwrap();
    let mut state = am_sync::State::new();
    assert_eq!(sync(&mut a, "device-a", id, &mut doc, &mut state, false).await, Outcome::Synced);

    // Another workspace's member asks for it, or tries to write into it: as if it did not exist.
    let mut eve =
        connect(&address, &ticket(&address, &outsider, OTHER_WS).await, "eve").await.unwrap();
    let mut eve_doc = AutoCommit::new();
    let mut eve_state = am_sync::State::new();
    assert_eq!(
        sync(&mut eve, "eve", id, &mut eve_doc, &mut eve_state, true).await,
        Outcome::Unavailable
    );
    let missing = DocumentId([1; 16]);
    let mut nothing = AutoCommit::new();
    assert_eq!(
        sync(&mut eve, "eve", missing, &mut nothing, &mut am_sync::State::new(), true).await,
        Outcome::Unavailable
    );
    // Writing the same id makes a document in Eve's own workspace, and nothing in Acme's.
    eve_doc.put(ROOT, "name", "overwritten").unwrap();
    assert_eq!(
        sync(&mut eve, "eve", id, &mut eve_doc, &mut am_sync::State::new(), false).await,
        Outcome::Synced
    );
    assert_eq!(name(&eve_doc).as_deref(), Some("overwritten"), "Eve learned nothing");

    // A viewer reads, and is refused when writing.
    let mut vera = connect(&address, &ticket(&address, &viewer, WS).await, "vera").await.unwrap();
    let mut vera_doc = AutoCommit::new();
    let mut vera_state = am_sync::State::new();
    assert_eq!(
        sync(&mut vera, "vera", id, &mut vera_doc, &mut vera_state, true).await,
        Outcome::Synced
    );
    assert_eq!(name(&vera_doc).as_deref(), Some("secret"));
    vera_doc.put(ROOT, "name", "vandalised").unwrap();
    let refused = sync(&mut vera, "vera", id, &mut vera_doc, &mut vera_state, false).await;
    assert_eq!(refused, Outcome::Closed(Some("viewers cannot change documents".into())));

    // Garbage, a text frame, a missing join: that connection gets an error and is closed.
    let mut bad = connect(&address, &ticket(&address, &owner, WS).await, "bad").await.unwrap();
    bad.send(Frame::Binary(vec![0xff, 0x00, 0x13].into())).await.unwrap();
    let Some(Message::Error { message }) = receive(&mut bad, Duration::from_secs(5)).await else {
        panic!("no error")
    };
    assert!(message.contains("CBOR"), "{message}");
    assert!(receive(&mut bad, Duration::from_secs(5)).await.is_none(), "closed after the error");
    let url = format!("ws://{address}/api/sync?ticket={}", ticket(&address, &owner, WS).await);
    let (mut rude, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    rude.send(Frame::Binary(Message::Leave { sender_id: "rude".into() }.encode().into()))
        .await
        .unwrap();
    let Some(Message::Error { message }) = receive(&mut rude, Duration::from_secs(5)).await else {
        panic!("no error")
    };
    assert_eq!(message, "the first message must be join");
    // A sync message Automerge decodes but would panic on (a bloom filter with entries and no bits:
    // a remainder by zero when the relay answers — in a release build, an abort of the whole relay).
    let mut sly = connect(&address, &ticket(&address, &owner, WS).await, "sly").await.unwrap();
    let poisoned = am_sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![am_sync::Have {
            last_sync: vec![],
            bloom: am_sync::BloomFilter::try_from(&[1u8, 0, 1][..]).unwrap(),
        }],
        changes: am_sync::ChunkList::empty(),
        flags: None,
        version: am_sync::MessageVersion::V1,
    };
    let frame = Message::Sync {
        sender_id: "sly".into(),
        target_id: "rapport-relay".into(),
        document_id: id,
        data: poisoned.encode(),
    };
    sly.send(Frame::Binary(frame.encode().into())).await.unwrap();
    let Some(Message::Error { message }) = receive(&mut sly, Duration::from_secs(5)).await else {
        panic!("no error")
    };
    assert!(message.contains("bloom filter"), "{message}");

    // Everyone else carries on: the owner's connection still syncs, and the document was not changed.
    doc.put(ROOT, "more", 1).unwrap();
    assert_eq!(sync(&mut a, "device-a", id, &mut doc, &mut state, false).await, Outcome::Synced);
    let mut check = AutoCommit::new();
    let mut owner2 = connect(&address, &ticket(&address, &owner, WS).await, "check").await.unwrap();
    assert_eq!(
        sync(&mut owner2, "check", id, &mut check, &mut am_sync::State::new(), true).await,
        Outcome::Synced
    );
    assert_eq!(name(&check).as_deref(), Some("secret"));
    assert_eq!(check.get_heads(), doc.get_heads());
}

#[tokio::test]
async fn removing_a_member_closes_their_open_socket_at_once() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let id = DocumentId([3; 16]);
    let mut max = connect(&address, &ticket(&address, &member, WS).await, "max").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "before").unwrap();
    let mut state = am_sync::State::new();
    assert_eq!(sync(&mut max, "max", id, &mut doc, &mut state, false).await, Outcome::Synced);

    remove_member(&address, &owner, "max").await;

    let Some(Message::Error { message }) = receive(&mut max, Duration::from_secs(5)).await else {
        panic!("the removed member's socket must be told and closed")
    };
    assert_eq!(message, "your access to this workspace was removed");
    assert!(receive(&mut max, Duration::from_secs(5)).await.is_none(), "closed");

    // Nothing they send now arrives: the owner still sees the document as it was.
    doc.put(ROOT, "name", "after removal").unwrap();
    let _ = sync(&mut max, "max", id, &mut doc, &mut state, false).await;
    let mut olga = connect(&address, &ticket(&address, &owner, WS).await, "olga").await.unwrap();
    let mut seen = AutoCommit::new();
    assert_eq!(
        sync(&mut olga, "olga", id, &mut seen, &mut am_sync::State::new(), true).await,
        Outcome::Synced
    );
    assert_eq!(name(&seen).as_deref(), Some("before"));
}

#[tokio::test]
async fn metrics_count_sockets_and_documents_and_unused_documents_leave_memory() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, _, _) = workspace_with_member(&address).await;
    let before = metrics(&address).await;
    assert_eq!(before["rapport_sync_connections"], 0.0);
    assert_eq!(before["rapport_documents_in_memory"], 0.0);

    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    for n in 0..3u8 {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "name", format!("doc {n}")).unwrap();
        let outcome = sync(
            &mut socket,
            "a",
            DocumentId([n; 16]),
            &mut doc,
            &mut am_sync::State::new(),
            false,
        )
        .await;
        assert_eq!(outcome, Outcome::Synced);
    }
    let _ = connect(&address, "not-a-ticket", "b").await;
    let during = metrics(&address).await;
    assert_eq!(during["rapport_sync_connections"], 1.0);
    assert_eq!(during["rapport_documents_in_memory"], 3.0);
    assert!(during["rapport_sync_messages_received_total"] >= 4.0);
    assert!(during["rapport_sync_messages_sent_total"] >= 4.0);
    assert_eq!(during["rapport_sync_connections_refused_total"], 1.0);
    assert_eq!(during["rapport_storage_errors_total"], 0.0);

    drop(socket);
    let mut after = metrics(&address).await;
    for _ in 0..50 {
        if after["rapport_sync_connections"] == 0.0 && after["rapport_documents_in_memory"] == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = metrics(&address).await;
    }
    assert_eq!(after["rapport_sync_connections"], 0.0);
    assert_eq!(after["rapport_documents_in_memory"], 0.0, "nobody syncs them: evicted");
    // Evicted is not lost: a new socket gets them back from disk.
    let mut socket = connect(&address, &ticket(&address, &owner, WS).await, "c").await.unwrap();
    let mut doc = AutoCommit::new();
    let outcome =
        sync(&mut socket, "c", DocumentId([2; 16]), &mut doc, &mut am_sync::State::new(), true)
            .await;
    assert_eq!(outcome, Outcome::Synced);
    assert_eq!(name(&doc).as_deref(), Some("doc 2"));
}

#[tokio::test]
async fn presence_reaches_only_those_syncing_the_document_and_floods_are_cut_off() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let outsider = outsider_with_workspace(&address).await;
    let id = DocumentId([4; 16]);
    let mut a = connect(&address, &ticket(&address, &owner, WS).await, "a").await.unwrap();
    let mut b = connect(&address, &ticket(&address, &member, WS).await, "b").await.unwrap();
    let mut eve =
        connect(&address, &ticket(&address, &outsider, OTHER_WS).await, "eve").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "shared").unwrap();
    assert_eq!(
        sync(&mut a, "a", id, &mut doc, &mut am_sync::State::new(), false).await,
        Outcome::Synced
    );
    let mut doc_b = AutoCommit::new();
    assert_eq!(
        sync(&mut b, "b", id, &mut doc_b, &mut am_sync::State::new(), true).await,
        Outcome::Synced
    );

    let presence = |sender: &str, count: u64| Message::Ephemeral {
        sender_id: sender.into(),
        target_id: "rapport-relay".into(),
        count,
        session_id: format!("{sender}-session"),
        document_id: id,
        data: b"viewing party 42".to_vec(),
        sender_account: None,
    };
    // A device claims an account in its message: the relay stamps the real one over it.
    let mut forged = presence("a", 1);
    if let Message::Ephemeral { sender_account, .. } = &mut forged {
        *sender_account = Some(rapport_core::protocol::SenderAccount { id: 0, name: "CEO".into() });
    }
    a.send(Frame::Binary(forged.encode().into())).await.unwrap();
    match receive(&mut b, Duration::from_secs(5)).await {
        Some(Message::Ephemeral { sender_id, target_id, count, data, sender_account, .. }) => {
            assert_eq!((sender_id.as_str(), target_id.as_str(), count), ("a", "b", 1));
            assert_eq!(data, b"viewing party 42");
            let stamped = sender_account.expect("the relay names the sending account");
            assert_eq!(stamped.name, "olga", "the account that holds the socket, not a claim");
            assert!(stamped.id > 0);
        }
        other => panic!("expected presence, got {other:?}"),
    }
    // Someone outside the workspace cannot inject presence into it.
    eve.send(Frame::Binary(presence("eve", 1).encode().into())).await.unwrap();
    assert_eq!(receive(&mut b, Duration::from_millis(500)).await, None);

    // A flood is cut off; the others carry on.
    let frame = presence("a", 2).encode();
    let mut refused = None;
    for _ in 0..20_000 {
        if a.send(Frame::Binary(frame.clone().into())).await.is_err() {
            break;
        }
    }
    while let Some(message) = receive(&mut a, Duration::from_secs(5)).await {
        if let Message::Error { message } = message {
            refused = Some(message);
        }
    }
    assert_eq!(refused.as_deref(), Some("too many messages; slow down"));
    doc_b.put(ROOT, "name", "still syncing").unwrap();
    assert_eq!(
        sync(&mut b, "b", id, &mut doc_b, &mut am_sync::State::new(), false).await,
        Outcome::Synced
    );
}

#[tokio::test]
async fn a_silent_socket_is_closed_after_the_idle_timeout_and_a_live_one_stays() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) =
        start_with(data.path(), |state| state.with_idle_timeout(Duration::from_millis(800))).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let mut silent =
        connect(&address, &ticket(&address, &owner, WS).await, "silent").await.unwrap();
    let mut live = connect(&address, &ticket(&address, &member, WS).await, "live").await.unwrap();

    // For two idle timeouts, one socket pings now and then and the other says nothing.
    let started = tokio::time::Instant::now();
    while started.elapsed() < Duration::from_millis(1_600) {
        live.send(Frame::Ping(Vec::new().into())).await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    match receive(&mut silent, Duration::from_secs(2)).await {
        Some(Message::Error { message }) => assert!(message.contains("timed out"), "{message}"),
        other => panic!("expected an error before the close, got {other:?}"),
    }
    assert!(matches!(next_event(&mut silent, Duration::from_secs(2)).await, Event::Closed));

    // The live socket still syncs.
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "Still here").unwrap();
    let mut state = am_sync::State::new();
    let id = DocumentId([41; 16]);
    assert_eq!(sync(&mut live, "live", id, &mut doc, &mut state, false).await, Outcome::Synced);
}

/// Document ids derive from the workspace id, so anyone can compute the ids another workspace will
/// use. Someone who syncs them first — a member of another workspace, or a removed member — must not
/// take them: each workspace has a namespace of its own.
#[tokio::test]
async fn another_workspace_cannot_squat_the_documents_a_workspace_will_create() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (owner, member, _) = workspace_with_member(&address).await;
    let outsider = outsider_with_workspace(&address).await;
    let future = DocumentId([42; 16]);

    // Eve syncs the id first, with content of her own, as a writer of her workspace.
    let mut eve =
        connect(&address, &ticket(&address, &outsider, OTHER_WS).await, "eve").await.unwrap();
    let mut squat = AutoCommit::new();
    squat.put(ROOT, "name", "squatted").unwrap();
    assert_eq!(sync_afresh(&mut eve, "eve", future, &mut squat, false).await, Outcome::Synced);

    // Acme's member creates the document later: it is Acme's, with Acme's content only.
    let mut max = connect(&address, &ticket(&address, &member, WS).await, "max").await.unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", "Acme's own").unwrap();
    assert_eq!(sync_afresh(&mut max, "max", future, &mut doc, false).await, Outcome::Synced);
    assert_eq!(name(&doc).as_deref(), Some("Acme's own"), "nothing of Eve's merged in");

    let mut olga = connect(&address, &ticket(&address, &owner, WS).await, "olga").await.unwrap();
    let mut read = AutoCommit::new();
    assert_eq!(sync_afresh(&mut olga, "olga", future, &mut read, true).await, Outcome::Synced);
    assert_eq!(read.get_heads(), doc.get_heads());
    assert_eq!(name(&read).as_deref(), Some("Acme's own"));

    // And Eve still sees only her own.
    let mut eve_read = AutoCommit::new();
    assert_eq!(sync_afresh(&mut eve, "eve", future, &mut eve_read, true).await, Outcome::Synced);
    assert_eq!(name(&eve_read).as_deref(), Some("squatted"));
}
