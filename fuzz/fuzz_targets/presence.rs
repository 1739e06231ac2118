//! Any bytes as a colleague's presence (ephemeral data is relayed unread, so anyone can send anything).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_core::presence::Presence;

fuzz_target!(|data: &[u8]| {
    if let Ok(presence) = Presence::decode(data) {
        assert_eq!(Presence::decode(&presence.encode()).ok(), Some(presence));
    }
});
