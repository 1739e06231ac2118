//! Any bytes arriving at a device after the relay said `peer`: the sync client either ignores them,
//! reports a protocol error, or hands a sync message that is applied to a document — never a panic.
//! (The relay runs the same decoding and `receive_sync_message` on what devices send it.)
#![no_main]

use automerge::AutoCommit;
use libfuzzer_sys::fuzz_target;
use rapport_core::protocol::Message;
use rapport_core::sync_client::{Event, SyncClient};

fuzz_target!(|frame: &[u8]| {
    let mut client = SyncClient::new("device", "session");
    let peer = Message::Peer {
        sender_id: "rapport-relay".into(),
        target_id: "device".into(),
        selected_protocol_version: "1".into(),
        metadata: None,
    };
    assert!(matches!(client.receive(&peer.encode()), Ok(Event::Connected)));
    if let Ok(Event::Sync { document, message }) = client.receive(frame) {
        let mut doc = AutoCommit::new();
        let _ = client.apply(document, &mut doc, message);
        let _ = client.message_for(document, &mut doc);
    }
});
