//! Any bytes as a websocket frame of the automerge-repo protocol: decoding never panics, and whatever
//! decodes encodes back to a frame that decodes to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_core::protocol::Message;

fuzz_target!(|frame: &[u8]| {
    if let Ok(message) = Message::decode(frame) {
        let again = Message::decode(&message.encode()).expect("an encoded message decodes");
        assert_eq!(again, message);
    }
});
