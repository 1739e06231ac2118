//! A Web Worker job carries the relay's sync message for a document (`rapport_core::offload`): whatever
//! the bytes — a damaged job, or a well-formed job around any message — the worker answers with an
//! error or a result, and never panics (a panic would take the worker down for the page).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_core::offload::{self, SyncState, WholeDocument};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let answer = if mode % 2 == 0 {
        offload::run(rest)
    } else {
        let job = WholeDocument {
            key: "parties/0".into(),
            state: SyncState::default(),
            message: rest.to_vec(),
        };
        offload::run(&offload::encode_job(&job))
    };
    let _ = offload::decode_outcome(&answer);
});
