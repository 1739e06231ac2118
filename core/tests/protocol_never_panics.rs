//! The wire decoder meets hostile input: arbitrary bytes, and valid messages cut or corrupted anywhere,
//! must come back as a message or a named error — never a panic, never an unbounded allocation.

use proptest::prelude::*;
use rapport_core::layout::DocumentId;
use rapport_core::protocol::{Message, PeerMetadata};

fn message() -> impl Strategy<Value = Message> {
    let id = "[a-zA-Z0-9+/=-]{1,24}";
    let doc = any::<[u8; 16]>().prop_map(DocumentId);
    let data = proptest::collection::vec(any::<u8>(), 0..256);
    prop_oneof![
        (id, any::<bool>(), proptest::option::of("[a-z0-9]{1,12}")).prop_map(
            |(sender, eph, storage)| {
                Message::Join {
                    sender_id: sender,
                    supported_protocol_versions: vec!["1".into()],
                    metadata: Some(PeerMetadata { storage_id: storage, is_ephemeral: eph }),
                }
            }
        ),
        (id, id, doc.clone(), data.clone()).prop_map(|(s, t, d, data)| Message::Sync {
            sender_id: s,
            target_id: t,
            document_id: d,
            data
        }),
        (id, id, doc.clone(), data.clone()).prop_map(|(s, t, d, data)| Message::Request {
            sender_id: s,
            target_id: t,
            document_id: d,
            data
        }),
        (id, id, any::<u64>(), doc, data).prop_map(|(s, t, count, d, data)| Message::Ephemeral {
            sender_id: s,
            target_id: t,
            count,
            session_id: "session".into(),
            document_id: d,
            data,
            sender_account: None,
        }),
        ".{0,64}".prop_map(|message| Message::Error { message }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Message::decode(&bytes);
    }

    #[test]
    fn messages_round_trip(message in message()) {
        prop_assert_eq!(Message::decode(&message.encode()), Ok(message));
    }

    #[test]
    fn damaged_messages_never_panic(message in message(), cut in any::<prop::sample::Index>(), flip in any::<(prop::sample::Index, u8)>()) {
        let bytes = message.encode();
        let _ = Message::decode(&bytes[..cut.index(bytes.len() + 1)]);
        let mut flipped = bytes.clone();
        let at = flip.0.index(flipped.len());
        flipped[at] ^= flip.1 | 1;
        let _ = Message::decode(&flipped);
    }
}
