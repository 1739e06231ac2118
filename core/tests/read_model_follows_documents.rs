//! Property: after any sequence of edits — local ones and ones merged in from another device — the read
//! model refreshed from patches equals a read model rebuilt from the documents, and survives being stored
//! and read back.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use proptest::prelude::*;
use rapport_core::document::{self, Record};
use rapport_core::ids::{InteractionId, PartyId, TaskId, Timestamp};
use rapport_core::layout::{DocKey, Month};
use rapport_core::model::{
    ContactPoint, Interaction, InteractionKind, LinkKind, Party, PartyKind, PartyLink, RecordRef,
    Role, Task,
};
use rapport_core::read_model::{DocRows, ReadModel};

#[derive(Debug, Clone)]
enum Edit {
    NewParty {
        n: u8,
        organisation: bool,
    },
    Rename {
        n: u8,
        name: String,
    },
    Tag {
        n: u8,
        tag: String,
    },
    Role {
        n: u8,
        role: usize,
    },
    WorksAt {
        n: u8,
        org: u8,
    },
    Archive {
        n: u8,
    },
    Interaction {
        n: u8,
        party: u8,
        day: u8,
    },
    DropInteraction {
        n: u8,
    },
    Task {
        n: u8,
        party: u8,
    },
    Complete {
        n: u8,
    },
    /// Merge in the other device's document for this party's shard.
    MergeFromPeer {
        n: u8,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = 0u8..6;
    prop_oneof![
        (n.clone(), any::<bool>()).prop_map(|(n, organisation)| Edit::NewParty { n, organisation }),
        (n.clone(), "[A-Za-zÀ-ÿА-Яа-яЁё ]{1,12}").prop_map(|(n, name)| Edit::Rename { n, name }),
        (n.clone(), "[a-zа-я]{1,5}").prop_map(|(n, tag)| Edit::Tag { n, tag }),
        (n.clone(), 0..Role::ALL.len()).prop_map(|(n, role)| Edit::Role { n, role }),
        (n.clone(), n.clone()).prop_map(|(n, org)| Edit::WorksAt { n, org }),
        n.clone().prop_map(|n| Edit::Archive { n }),
        (n.clone(), n.clone(), 0u8..60).prop_map(|(n, party, day)| Edit::Interaction {
            n,
            party,
            day
        }),
        n.clone().prop_map(|n| Edit::DropInteraction { n }),
        (n.clone(), n.clone()).prop_map(|(n, party)| Edit::Task { n, party }),
        n.clone().prop_map(|n| Edit::Complete { n }),
        n.prop_map(|n| Edit::MergeFromPeer { n }),
    ]
}

fn party_id(n: u8) -> PartyId {
    let mut bytes = [0x01; 16];
    bytes[15] = n;
    PartyId::from_bytes(bytes)
}

fn interaction_id(n: u8) -> InteractionId {
    InteractionId::from_bytes([n + 1; 16])
}

fn task_id(n: u8) -> TaskId {
    TaskId::from_bytes([n + 1; 16])
}

const START: i64 = 1_780_000_000_000;

struct Device {
    docs: BTreeMap<DocKey, AutoCommit>,
    model: ReadModel,
    stored: BTreeMap<DocKey, Vec<u8>>,
}

impl Device {
    fn doc(&mut self, key: DocKey) -> &mut AutoCommit {
        self.docs.entry(key).or_insert_with(document::new_document)
    }

    /// Runs `change` on document `key`, then refreshes the read model from the patches, as the app does.
    fn edit(&mut self, key: DocKey, change: impl FnOnce(&mut AutoCommit)) {
        let doc = self.docs.entry(key).or_insert_with(document::new_document);
        let before = doc.get_heads();
        change(doc);
        doc.commit();
        let rows = self.model.refresh_since(key, doc, &before);
        self.stored.insert(key, rows.encode());
    }
}

fn apply(device: &mut Device, peer: &mut BTreeMap<DocKey, AutoCommit>, edit: &Edit) {
    match edit.clone() {
        Edit::NewParty { n, organisation } => {
            let id = party_id(n);
            device.edit(Party::doc_key(&id), |doc| {
                if document::get::<_, Party>(&*doc, &id.to_string()).unwrap().is_none() {
                    let kind =
                        if organisation { PartyKind::Organisation } else { PartyKind::Person };
                    let party = Party {
                        kind,
                        name: format!("Party {n}"),
                        emails: vec![ContactPoint {
                            label: "work".into(),
                            value: format!("p{n}@x.test"),
                        }],
                        keep_in_touch_days: Some(u32::from(n) + 1),
                        created_at: Timestamp(START),
                        ..Party::default()
                    };
                    document::put(doc, &id.to_string(), &party).unwrap();
                }
            });
        }
        Edit::Rename { n, name } => update_party(device, n, |p| p.name = name),
        Edit::Tag { n, tag } => update_party(device, n, |p| {
            p.tags.insert(tag, true);
        }),
        Edit::Role { n, role } => update_party(device, n, |p| {
            let role = Role::ALL[role];
            let has = p.role_list().contains(&role);
            p.set_role(role, !has);
        }),
        Edit::WorksAt { n, org } => update_party(device, n, |p| {
            let link = rapport_core::ids::LinkId::from_bytes([org; 16]);
            p.link(
                link,
                PartyLink { to: party_id(org), kind: LinkKind::WorksAt, title: String::new() },
            );
        }),
        Edit::Archive { n } => update_party(device, n, |p| p.archived = !p.archived),
        Edit::Interaction { n, party, day } => {
            let at = Timestamp(START + i64::from(day) * 86_400_000);
            let key = DocKey::Interactions(Month::of(at));
            let id = interaction_id(n);
            device.edit(key, |doc| {
                let interaction = Interaction {
                    kind: InteractionKind::Call,
                    at,
                    parties: vec![party_id(party)],
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
                document::put(doc, &id.to_string(), &interaction).unwrap();
            });
        }
        Edit::DropInteraction { n } => {
            let keys: Vec<DocKey> = device
                .docs
                .keys()
                .copied()
                .filter(|k| matches!(k, DocKey::Interactions(_)))
                .collect();
            for key in keys {
                device.edit(key, |doc| {
                    document::update(doc, &interaction_id(n).to_string(), |i: &mut Interaction| {
                        i.archived = true
                    })
                    .unwrap();
                });
            }
        }
        Edit::Task { n, party } => {
            let id = task_id(n);
            device.edit(Task::doc_key(&id), |doc| {
                let task = Task {
                    title: format!("task {n}"),
                    due: Some(Timestamp(START + i64::from(n) * 3_600_000)),
                    assignee: None,
                    links: vec![RecordRef::Party(party_id(party))],
                    done_at: None,
                    recurrence: None,
                    snoozed_until: None,
                    created_at: Timestamp(START),
                    archived: false,
                };
                document::put(doc, &id.to_string(), &task).unwrap();
            });
        }
        Edit::Complete { n } => {
            let id = task_id(n);
            device.edit(Task::doc_key(&id), |doc| {
                document::update(doc, &id.to_string(), |t: &mut Task| {
                    t.done_at = Some(Timestamp(START))
                })
                .unwrap();
            });
        }
        Edit::MergeFromPeer { n } => {
            // The peer edits the same party concurrently; its document is then merged in (as sync does).
            let id = party_id(n);
            let key = Party::doc_key(&id);
            let mine = device.doc(key).fork();
            let theirs = peer.entry(key).or_insert(mine);
            document::update(theirs, &id.to_string(), |p: &mut Party| {
                p.tags.insert("from-peer".into(), true);
                p.phones.push(ContactPoint {
                    label: "mobile".into(),
                    value: format!("+4470000000{n}"),
                });
            })
            .unwrap();
            theirs.commit();
            let mut theirs = theirs.clone();
            device.edit(key, |doc| {
                doc.merge(&mut theirs).unwrap();
            });
        }
    }
}

fn update_party(device: &mut Device, n: u8, change: impl FnOnce(&mut Party)) {
    let id = party_id(n);
    device.edit(Party::doc_key(&id), |doc| {
        document::update(doc, &id.to_string(), change).unwrap();
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn read_model_matches_a_rebuild_from_the_documents(edits in proptest::collection::vec(edit(), 1..40)) {
        let mut device = Device { docs: BTreeMap::new(), model: ReadModel::default(), stored: BTreeMap::new() };
        let mut peer = BTreeMap::new();
        for edit in &edits {
            apply(&mut device, &mut peer, edit);
        }

        let mut rebuilt = ReadModel::default();
        for (key, doc) in device.docs.iter_mut() {
            rebuilt.replace_document(*key, doc);
        }
        let reloaded = ReadModel::from_units(
            device.stored.iter().map(|(key, bytes)| (*key, DocRows::decode(bytes).unwrap())),
        );
        // Rows derived elsewhere (a worker) from each whole document, then handed to the model.
        let mut handed = ReadModel::default();
        for (key, doc) in device.docs.iter_mut() {
            handed.replace_rows(*key, ReadModel::default().replace_document(*key, doc));
        }
        for other in [&rebuilt, &reloaded, &handed] {
            prop_assert_eq!(&device.model.parties, &other.parties);
            prop_assert_eq!(&device.model.tasks, &other.tasks);
            prop_assert_eq!(&device.model.interactions, &other.interactions);
            prop_assert_eq!(&device.model.last_contact, &other.last_contact);
            for n in 0..6u8 {
                for query in [format!("party {n}"), format!("p{n}@x"), "from-peer".to_owned()] {
                    prop_assert_eq!(device.model.search.matching(&query), other.search.matching(&query));
                }
            }
        }
    }
}

/// An import writes parties in batches and derives their rows from the values it wrote, indexing the
/// batch's search terms at once; the model must be the one the documents themselves give.
#[test]
fn rows_of_written_parties_equal_rows_read_from_their_documents() {
    let org = party_id(1);
    let names = ["ООО «Ромашка»", "Zoë Łukasiewicz", "Пётр Ёлкин", "Émile Zola", "Ann Lee"];
    let parties: Vec<(PartyId, Party)> = names
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let id = party_id(n as u8 + 1);
            let mut party = Party {
                kind: if id == org { PartyKind::Organisation } else { PartyKind::Person },
                name: (*name).to_owned(),
                created_at: Timestamp(START),
                ..Party::default()
            };
            party.tags.insert("поставщик".into(), true);
            if id != org {
                let link = PartyLink { to: org, kind: LinkKind::WorksAt, title: String::new() };
                party.link(rapport_core::ids::LinkId::from_bytes([n as u8; 16]), link);
            }
            (id, party)
        })
        .collect();
    let mut by_key: BTreeMap<DocKey, Vec<(PartyId, Party)>> = BTreeMap::new();
    for (id, party) in parties {
        by_key.entry(Party::doc_key(&id)).or_default().push((id, party));
    }

    let mut written = ReadModel::default();
    let mut docs = BTreeMap::new();
    for (key, batch) in &by_key {
        let mut doc = document::new_document();
        let ids: Vec<String> = batch.iter().map(|(id, _)| id.to_string()).collect();
        document::put_new(
            &mut doc,
            ids.iter().map(String::as_str).zip(batch.iter().map(|(_, p)| p)),
        )
        .unwrap();
        doc.commit();
        written.refresh_written_parties(*key, &mut doc, batch.iter().map(|(id, p)| (*id, p)));
        docs.insert(*key, doc);
    }
    let mut read = ReadModel::default();
    for (key, doc) in docs.iter_mut() {
        read.replace_document(*key, doc);
    }

    assert_eq!(written.parties, read.parties);
    for query in ["ромаш", "zoe", "петр ел", "emile", "ann ромашка", "поставщ", "lee"]
    {
        assert_eq!(written.search.matching(query), read.search.matching(query), "{query}");
    }
    assert_eq!(written.search.matching("ромашка").len(), 5, "the organisation and its four people");
}
