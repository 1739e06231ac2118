//! What the relay does with every sync message a member sends: decode it, measure what its changes
//! inflate to, apply it to the document it holds (which has history of its own), store the changes
//! and answer. Inputs are near-valid: a peer
//! document is edited as the input says, its real sync message is generated, and then damaged as the
//! input says — so the fuzzer explores messages Automerge nearly accepts, applied to non-empty
//! documents. A panic here is a panic of the relay (contained to one document since issue 17, but a
//! panic all the same).
#![no_main]

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use libfuzzer_sys::fuzz_target;

/// A document with history: a map, a list and a text, edited `rounds` times.
fn edited(base: &mut AutoCommit, script: &[u8]) {
    let list = match base.get(ROOT, "list") {
        Ok(Some((automerge::Value::Object(ObjType::List), id))) => id,
        _ => base.put_object(ROOT, "list", ObjType::List).unwrap(),
    };
    for (n, op) in script.iter().enumerate() {
        let key = format!("k{}", op % 7);
        match op % 4 {
            0 => base.put(ROOT, key, i64::from(*op)).unwrap(),
            1 => {
                let len = base.length(&list);
                base.insert(&list, (*op as usize) % (len + 1), n as i64).unwrap();
            }
            2 => {
                let _ = base.delete(ROOT, key);
            }
            _ => base.put(ROOT, "name", format!("name {op}")).unwrap(),
        }
        if n % 3 == 2 {
            base.commit();
        }
    }
    base.commit();
}

fuzz_target!(|data: &[u8]| {
    let Some((&shape, rest)) = data.split_first() else { return };
    let split = (shape as usize % 16).min(rest.len());
    let (script, damage) = rest.split_at(split);
    // The relay's copy and a device's copy share a history, then each goes on alone.
    let mut relay = AutoCommit::new();
    edited(&mut relay, &[shape, shape.wrapping_mul(7), 3, 1]);
    let mut device = relay.fork();
    edited(&mut relay, &[shape.wrapping_add(1), 5]);
    edited(&mut device, script);

    let mut device_state = sync::State::new();
    let mut relay_state = sync::State::new();
    if shape & 0x80 != 0 {
        // A conversation already under way.
        if let Some(first) = relay.sync().generate_sync_message(&mut relay_state) {
            let _ = device.sync().receive_sync_message(&mut device_state, first);
        }
    }
    let Some(message) = device.sync().generate_sync_message(&mut device_state) else { return };
    let mut bytes = message.encode();
    // Damage: pairs of (position, xor mask), and a truncation when asked.
    for pair in damage.chunks(2) {
        if let [position, mask] = pair {
            let len = bytes.len();
            if len > 0 {
                bytes[*position as usize % len] ^= mask;
            }
        }
    }
    if damage.len() % 2 == 1 {
        let keep = bytes.len().saturating_sub(usize::from(damage[damage.len() - 1] % 8));
        bytes.truncate(keep);
    }
    let Ok(message) = rapport_core::protocol::decode_sync_message(&bytes) else { return };
    // What the relay measures before applying: the changes' inflated size, within its budget.
    for chunks in message.changes.iter() {
        if rapport_core::inflate::inflated_size(chunks, 64 * 1024 * 1024).is_err() {
            return;
        }
    }
    let before = relay.get_heads();
    if relay.sync().receive_sync_message(&mut relay_state, message).is_ok() {
        let _ = relay.save_after(&before);
        let _ = relay.sync().generate_sync_message(&mut relay_state);
    }
});
