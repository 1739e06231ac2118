//! The device's replica (`rapport_core::replica`) driven natively, the way the browser drives it: what
//! it shows is what it stored, a failed or interrupted write loses nothing acknowledged, and devices
//! that edit, merge, reload and crash in any order converge on documents whose stored rows are the rows
//! the documents give.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use proptest::prelude::*;
use rapport_core::document::{self, Record};
use rapport_core::ids::{InteractionId, PartyId, Timestamp, WorkspaceId};
use rapport_core::layout::{DocKey, Month};
use rapport_core::model::{Interaction, InteractionKind, Party, WorkspaceSettings};
use rapport_core::read_model::ReadModel;
use rapport_core::replica::memory::{Device, MemoryError, MemoryStore};

fn workspace() -> WorkspaceId {
    WorkspaceId::from_bytes([7; 16])
}
const START: i64 = 1_780_000_000_000;

fn party_id(n: u8) -> PartyId {
    let mut bytes = [0x01; 16];
    bytes[15] = n;
    PartyId::from_bytes(bytes)
}

fn new_device() -> Device {
    let settings = WorkspaceSettings { name: "Test".into(), ..WorkspaceSettings::default() };
    Device::create(workspace(), &settings).unwrap()
}

fn add_party(device: &mut Device, n: u8, name: &str) -> Result<(), MemoryError> {
    let id = party_id(n);
    let party = Party { name: name.to_owned(), created_at: Timestamp(START), ..Party::default() };
    let key = id.to_string();
    device.edit(Party::doc_key(&id), std::slice::from_ref(&key), Timestamp(START), |doc| {
        document::put(doc, &key, &party).map_err(rapport_core::replica::ReplicaError::from)?;
        Ok(())
    })
}

fn rename(device: &mut Device, n: u8, name: &str, at: i64) -> Result<(), MemoryError> {
    let id = party_id(n);
    let key = id.to_string();
    device.edit(Party::doc_key(&id), std::slice::from_ref(&key), Timestamp(at), |doc| {
        document::update(doc, &key, |p: &mut Party| p.name = name.to_owned())
            .map_err(rapport_core::replica::ReplicaError::from)?;
        Ok(())
    })
}

fn log_call(device: &mut Device, n: u8, day: u8) -> Result<DocKey, MemoryError> {
    let at = Timestamp(START + i64::from(day) * 86_400_000);
    let key = DocKey::Interactions(Month::of(at));
    let id = InteractionId::from_bytes([n + 1; 16]).to_string();
    let interaction = Interaction {
        kind: InteractionKind::Call,
        at,
        parties: vec![party_id(n)],
        members: Vec::new(),
        summary: format!("call {n}"),
        notes: Default::default(),
        outcome: String::new(),
        location: None,
        follow_up: None,
        author: None,
        archived: false,
        answers: None,
        automatic: false,
    };
    device.edit(key, std::slice::from_ref(&id), at, |doc| {
        document::put(doc, &id, &interaction).map_err(rapport_core::replica::ReplicaError::from)?;
        Ok(())
    })?;
    Ok(key)
}

fn name_of(device: &Device, n: u8) -> Option<String> {
    device.replica.model.parties.get(&party_id(n)).map(|row| row.name.clone())
}

/// Every document the device knows, as stored.
fn stored_documents(device: &Device) -> BTreeMap<DocKey, AutoCommit> {
    device
        .replica
        .document_keys()
        .into_iter()
        .filter_map(|key| Some((key, device.store.load(key.document_id(workspace())).document?)))
        .collect()
}

/// The rows the stored documents give, and the rows stored beside them, are the same; so are the rows
/// the device shows.
fn assert_rows_follow_documents(device: &Device) {
    let mut documents = stored_documents(device);
    let mut derived = ReadModel::default();
    for (key, doc) in documents.iter_mut() {
        derived.replace_document(*key, doc);
    }
    let reopened = Device::open(workspace(), device.store.clone()).unwrap();
    for model in [&device.replica.model, &reopened.replica.model] {
        assert_eq!(model.parties, derived.parties);
        assert_eq!(model.interactions, derived.interactions);
        assert_eq!(model.last_contact, derived.last_contact);
    }
}

#[test]
fn an_edit_is_stored_with_its_rows_and_a_reloaded_device_shows_it_unsynced() {
    let mut device = new_device();
    add_party(&mut device, 1, "Nordwind GmbH").unwrap();
    assert_eq!(name_of(&device, 1).as_deref(), Some("Nordwind GmbH"));

    let reopened = Device::open(workspace(), device.store.clone()).unwrap();
    assert_eq!(name_of(&reopened, 1).as_deref(), Some("Nordwind GmbH"));
    assert_eq!(reopened.replica.unsynced_edits(), 1);
    assert!(reopened.replica.is_unsynced(&party_id(1).to_string()));
    assert_eq!(reopened.replica.settings.name, "Test");
    assert_rows_follow_documents(&device);
}

#[test]
fn an_edit_that_changes_nothing_stores_nothing_and_waits_for_no_confirmation() {
    let mut device = new_device();
    add_party(&mut device, 1, "Nordwind GmbH").unwrap();
    let heads = device.replica.document(Party::doc_key(&party_id(1))).unwrap().get_heads();
    rename(&mut device, 1, "Nordwind GmbH", START + 1).unwrap();
    assert_eq!(device.replica.document(Party::doc_key(&party_id(1))).unwrap().get_heads(), heads);
    // Otherwise the ledger would keep an edit no change carries, which the relay can never confirm.
    assert_eq!(device.replica.unsynced_edits(), 1);
    let reopened = Device::open(workspace(), device.store.clone()).unwrap();
    assert_eq!(reopened.replica.unsynced_edits(), 1);
}

#[test]
fn an_edit_that_cannot_be_stored_is_not_shown() {
    let mut device = new_device();
    add_party(&mut device, 1, "Nordwind GmbH").unwrap();
    device.store.writes_left = Some(0);
    assert!(matches!(rename(&mut device, 1, "Südwind", START + 1), Err(MemoryError::Crashed)));
    assert_eq!(name_of(&device, 1).as_deref(), Some("Nordwind GmbH"), "undone on screen");

    device.store.writes_left = None;
    rename(&mut device, 1, "Ostwind", START + 2).unwrap();
    assert_eq!(name_of(&device, 1).as_deref(), Some("Ostwind"), "the next edit is stored");
    assert_rows_follow_documents(&device);
}

#[test]
fn a_crash_after_the_change_is_stored_keeps_the_change() {
    let mut device = new_device();
    add_party(&mut device, 1, "Nordwind GmbH").unwrap();
    // The change and its rows are one write; the ledger is the next: the device stops in between.
    device.store.writes_left = Some(1);
    assert!(rename(&mut device, 1, "Südwind", START + 1).is_err());
    device.store.writes_left = None;

    let reopened = Device::open(workspace(), device.store.clone()).unwrap();
    assert_eq!(name_of(&reopened, 1).as_deref(), Some("Südwind"), "the stored change survives");
    assert_eq!(reopened.replica.unsynced_edits(), 1, "the ledger lost a count, not the change");
    assert_rows_follow_documents(&reopened);
}

#[test]
fn increments_are_folded_into_a_snapshot_once_they_outgrow_it() {
    let mut device = new_device();
    add_party(&mut device, 1, "Nordwind GmbH").unwrap();
    let document = Party::doc_key(&party_id(1)).document_id(workspace());
    let mut most = 0;
    for i in 0..100 {
        rename(&mut device, 1, &format!("Nordwind {i}"), START + i64::from(i)).unwrap();
        most = most.max(device.store.chunk_count(document));
    }
    assert!(most <= 34, "at most a snapshot and 33 increments on disk: {most}");
    let reopened = Device::open(workspace(), device.store.clone()).unwrap();
    assert_eq!(name_of(&reopened, 1).as_deref(), Some("Nordwind 99"));
}

#[test]
fn a_new_interaction_month_is_listed_in_the_root_for_other_devices() {
    let mut device = new_device();
    add_party(&mut device, 1, "Nordwind GmbH").unwrap();
    let month = log_call(&mut device, 1, 40).unwrap();
    let reopened = Device::open(workspace(), device.store.clone()).unwrap();
    assert!(reopened.replica.document_keys().contains(&month));
    assert_eq!(reopened.replica.model.interactions.len(), 1);
    assert_rows_follow_documents(&device);
}

#[test]
fn a_collection_newer_than_the_workspace_is_listed_in_the_root_when_first_written() {
    use rapport_core::ids::PurchaseId;
    use rapport_core::model::{Purchase, PurchaseStatus};
    let mut device = new_device();
    // A workspace made before purchases existed: its root's table names no purchases document.
    device
        .edit(DocKey::Root, &[], Timestamp(START), |root| {
            document::update::<_, BTreeMap<String, String>, _>(root, "documents", |table| {
                table.retain(|name, _| !name.starts_with("purchases/"));
            })
            .map_err(rapport_core::replica::ReplicaError::from)?;
            Ok(())
        })
        .unwrap();
    let id = PurchaseId::from_bytes([3; 16]);
    let key = <Purchase as Record>::doc_key(&id);
    let listed = |device: &mut Device| {
        let root = device.replica.document(DocKey::Root).expect("the root is loaded");
        rapport_core::workspace::document_keys(root).unwrap().contains(&key)
    };
    assert!(!listed(&mut device));
    let purchase = Purchase {
        supplier: party_id(1),
        tender: None,
        title: "Chairs".into(),
        currency: "EUR".into(),
        lines: BTreeMap::new(),
        status: PurchaseStatus::Requested,
        promised: String::new(),
        delivered: String::new(),
        rejected: 0.0,
        ordered_at: None,
        owner: None,
        notes: Default::default(),
        files: Default::default(),
        created_at: Timestamp(START),
        archived: false,
    };
    let record = id.to_string();
    device
        .edit(key, std::slice::from_ref(&record), Timestamp(START), |doc| {
            document::put(doc, &record, &purchase)
                .map_err(rapport_core::replica::ReplicaError::from)?;
            Ok(())
        })
        .unwrap();
    // Another device that has only the root finds the document there.
    assert!(listed(&mut device));
}

#[test]
fn a_document_the_relay_confirmed_leaves_the_ledger_for_good() {
    let mut device = new_device();
    add_party(&mut device, 1, "Nordwind GmbH").unwrap();
    let key = Party::doc_key(&party_id(1));
    let write = device.replica.mark_synced(key).expect("it had edits");
    device.store.write(&write).unwrap();
    assert!(device.replica.mark_synced(key).is_none(), "once");
    let reopened = Device::open(workspace(), device.store.clone()).unwrap();
    assert_eq!(reopened.replica.unsynced_edits(), 0);
}

#[test]
fn rows_that_cannot_be_read_are_derived_again_from_the_documents() {
    let mut device = new_device();
    add_party(&mut device, 1, "Nordwind GmbH").unwrap();
    let key = Party::doc_key(&party_id(1));
    let mut store = device.store.clone();
    store.damage_rows(workspace(), key);
    let reopened = Device::open(workspace(), store).unwrap();
    assert_eq!(name_of(&reopened, 1).as_deref(), Some("Nordwind GmbH"));
    assert!(reopened.store.rows_of(workspace(), key).is_some(), "stored again");
}

#[derive(Debug, Clone)]
enum Step {
    Add {
        device: usize,
        n: u8,
    },
    Rename {
        device: usize,
        n: u8,
        name: String,
    },
    Call {
        device: usize,
        n: u8,
        day: u8,
    },
    /// `to` takes in what `from` holds of one party's document, as a sync would bring it.
    Merge {
        from: usize,
        to: usize,
        n: u8,
    },
    Reload {
        device: usize,
    },
    /// The device stops after `writes` more writes, during an edit; it is opened again from storage.
    Crash {
        device: usize,
        writes: usize,
        n: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let device = 0usize..3;
    let n = 0u8..5;
    prop_oneof![
        (device.clone(), n.clone()).prop_map(|(device, n)| Step::Add { device, n }),
        (device.clone(), n.clone(), "[A-Za-zА-Яа-я]{1,8}")
            .prop_map(|(device, n, name)| Step::Rename { device, n, name }),
        (device.clone(), n.clone(), 0u8..70).prop_map(|(device, n, day)| Step::Call {
            device,
            n,
            day
        }),
        (device.clone(), device.clone(), n.clone()).prop_map(|(from, to, n)| Step::Merge {
            from,
            to,
            n
        }),
        device.clone().prop_map(|device| Step::Reload { device }),
        (device, 0usize..3, n).prop_map(|(device, writes, n)| Step::Crash { device, writes, n }),
    ]
}

/// Three devices of one workspace, each starting from the same stored workspace.
fn devices() -> Vec<Device> {
    let first = new_device();
    let store: MemoryStore = first.store.clone();
    vec![
        first,
        Device::open(workspace(), store.clone()).unwrap(),
        Device::open(workspace(), store).unwrap(),
    ]
}

fn merge(devices: &mut [Device], from: usize, to: usize, key: DocKey) {
    if from == to {
        return;
    }
    devices[from].ensure_loaded(key);
    let mut theirs = devices[from].replica.document(key).unwrap().fork();
    devices[to].merge_from(key, &mut theirs).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn devices_converge_and_show_what_they_store(steps in proptest::collection::vec(step(), 1..30)) {
        let mut devices = devices();
        for (i, step) in steps.iter().enumerate() {
            let at = START + i as i64;
            match step.clone() {
                Step::Add { device, n } => add_party(&mut devices[device], n, &format!("Party {n}")).unwrap(),
                Step::Rename { device, n, name } => {
                    if name_of(&devices[device], n).is_some() {
                        rename(&mut devices[device], n, &name, at).unwrap();
                    }
                }
                Step::Call { device, n, day } => {
                    log_call(&mut devices[device], n, day).unwrap();
                }
                Step::Merge { from, to, n } => merge(&mut devices, from, to, Party::doc_key(&party_id(n))),
                Step::Reload { device } => {
                    let store = devices[device].store.clone();
                    devices[device] = Device::open(workspace(), store).unwrap();
                }
                Step::Crash { device, writes, n } => {
                    devices[device].store.writes_left = Some(writes);
                    let _ = add_party(&mut devices[device], n, &format!("Crash {n}"));
                    let mut store = devices[device].store.clone();
                    store.writes_left = None;
                    devices[device] = Device::open(workspace(), store).unwrap();
                }
            }
        }
        // Everyone takes in everyone's documents, twice round (as sync does until nothing is missing).
        for _ in 0..2 {
            for from in 0..3 {
                let keys = devices[from].replica.document_keys();
                for key in keys {
                    for to in 0..3 {
                        merge(&mut devices, from, to, key);
                    }
                }
            }
        }
        let mut heads: Vec<BTreeMap<DocKey, Vec<automerge::ChangeHash>>> = Vec::new();
        for device in &mut devices {
            let keys = device.replica.document_keys();
            let mut by_key = BTreeMap::new();
            for key in keys {
                device.ensure_loaded(key);
                let mut h = device.replica.document(key).unwrap().get_heads();
                h.sort();
                by_key.insert(key, h);
            }
            heads.push(by_key);
        }
        prop_assert_eq!(&heads[0], &heads[1]);
        prop_assert_eq!(&heads[1], &heads[2]);
        for device in &devices {
            assert_rows_follow_documents(device);
            prop_assert_eq!(&device.replica.model.parties, &devices[0].replica.model.parties);
        }
    }
}

fn write_note(device: &mut Device, private: DocKey, record: &str, text: &str) {
    let record = record.to_owned();
    device
        .edit(private, std::slice::from_ref(&record), Timestamp(START), |doc| {
            document::put(doc, &record, &autosurgeon::Text::with_value(text))
                .map_err(rapport_core::replica::ReplicaError::from)?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_private_document_made_on_the_device_is_never_synced_and_the_relay_s_takes_its_notes() {
    use rapport_core::layout::DocumentId;
    use rapport_core::replica::{PrivateDoc, private_meta};
    let mut device = new_device();
    let local = DocKey::Private(DocumentId([1; 16]));
    let relay = DocKey::Private(DocumentId([2; 16]));
    device.replica.set_private(PrivateDoc::Local(DocumentId([1; 16])));
    write_note(&mut device, local, "one-on-one", "Ask about the move");
    assert_eq!(device.replica.model.private_notes["one-on-one"], "Ask about the move");
    assert!(
        !device.replica.document_keys().contains(&local),
        "a private document the relay did not give would reach every member"
    );
    assert!(!device.replica.may_sync(local), "nor is an edit of it offered to the relay");

    // The workspace starts to sync: the relay's document takes the notes over.
    let notes = device.replica.notes_to_copy();
    assert_eq!(notes, vec![("one-on-one".to_owned(), "Ask about the move".to_owned())]);
    let me = rapport_core::ids::MemberId::from_bytes([9; 16]);
    device.replica.set_me(me);
    device.replica.set_private(PrivateDoc::Relay(DocumentId([2; 16]), me));
    assert!(!device.replica.document_keys().contains(&relay), "not before the relay names it");
    device.replica.confirm_private();
    assert!(device.replica.model.private_notes.is_empty(), "the old document's rows are gone");
    assert!(device.replica.document_keys().contains(&relay));
    assert!(device.replica.may_sync(relay) && !device.replica.may_sync(local));
    for (record, note) in &notes {
        write_note(&mut device, relay, record, note);
    }
    assert!(device.replica.notes_to_copy().is_empty(), "the relay's notes are never copied again");

    // Reopened, the device shows the relay's notes once and still never syncs its own document.
    device
        .store
        .meta
        .insert(private_meta(workspace()), PrivateDoc::Relay(DocumentId([2; 16]), me).encode());
    let mut reopened = Device::open(workspace(), device.store.clone()).unwrap();
    reopened.replica.set_me(me);
    reopened.replica.confirm_private();
    assert_eq!(reopened.replica.model.private_notes.len(), 1);
    assert_eq!(reopened.replica.model.private_notes["one-on-one"], "Ask about the move");
    let keys = reopened.replica.document_keys();
    assert!(keys.contains(&relay) && !keys.contains(&local));

    // Another account signs in on this browser: the first one's notes are neither shown nor synced.
    reopened.replica.set_me(rapport_core::ids::MemberId::from_bytes([8; 16]));
    assert!(reopened.replica.model.private_notes.is_empty());
    assert!(!reopened.replica.document_keys().contains(&relay));
    assert!(!reopened.replica.may_sync(relay));
    assert_eq!(reopened.replica.private_to_write(), None);
}

#[test]
fn where_private_notes_go_survives_storage_as_text() {
    use rapport_core::layout::DocumentId;
    use rapport_core::replica::PrivateDoc;
    for private in [
        PrivateDoc::None,
        PrivateDoc::Local(DocumentId([3; 16])),
        PrivateDoc::Relay(DocumentId([4; 16]), rapport_core::ids::MemberId::from_bytes([5; 16])),
    ] {
        assert_eq!(PrivateDoc::decode(&private.encode()), private);
    }
    assert_eq!(PrivateDoc::decode("relay:not-an-id"), PrivateDoc::None);
}
