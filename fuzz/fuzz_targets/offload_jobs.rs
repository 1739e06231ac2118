//! A Web Worker job carries the relay's sync message for a document, or a saved document to derive rows
//! from (`rapport_core::offload`): whatever the bytes — a damaged job, or a well-formed job around any
//! message or document — the worker answers with an error or a result, and never panics (a panic would
//! take the worker down for the page).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_core::offload::{self, Job, SavedDocument, SyncState, WholeDocument};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let answer = match mode % 3 {
        0 => offload::run(rest),
        1 => {
            let job = WholeDocument {
                key: "parties/0".into(),
                state: SyncState::default(),
                message: rest.to_vec(),
            };
            offload::run(&offload::encode_job(&Job::Merge(job)))
        }
        _ => {
            let job = SavedDocument { key: "parties/0".into(), bytes: rest.to_vec() };
            offload::run(&offload::encode_job(&Job::Rows(job)))
        }
    };
    let _ = offload::decode_outcome(&answer);
});
