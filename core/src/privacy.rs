//! A person's rights over what the workspace holds about them (GDPR articles 15, 17 and 20): a copy of
//! everything that names them, and erasure from the current state of every document.
//!
//! Both start from the documents' content as plain JSON ([`crate::backup::content_of`]) and look for
//! the ids of the person's records — their own and every record since merged into it — as keys or
//! values anywhere in a record, so a module added later is covered without being taught here.
//! Erasure acts on what it knows holds personal data (the records themselves, interactions with
//! nobody else, list memberships, campaign addresses, this member's private notes, their files) and
//! leaves every other mention as a bare id that no longer leads to anyone. What it cannot reach is
//! said, not hidden: Automerge keeps every change, so each document's history on every device and on
//! the relay still holds the earlier values, as do backups made before.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ObjType, ReadDoc, ScalarValue, transaction::Transactable};
use serde::Serialize;
use serde_json::Value as Json;

use crate::document::{self, DocumentError, Record};
use crate::ids::{MemberId, PartyId, Timestamp};
use crate::layout::{Collection, DocKey};
use crate::model::{Erasure, Party};
use crate::outbox::{ConsentEvent, normalise_address as normalise};
use crate::read_model::ReadModel;

/// What an export file says it is.
pub const EXPORT_FORMAT: &str = "rapport-personal-data";

/// The records that stand for `person`: the record theirs was merged into, if it was (following
/// merges of merges), and every record merged into that one, or into one of those.
pub fn records_of(model: &ReadModel, person: PartyId) -> BTreeSet<PartyId> {
    let mut records = BTreeSet::from([crate::segments::survivor(model, person)]);
    // Merges of merges: repeat until nothing more joins (a cycle cannot grow the set forever).
    loop {
        let before = records.len();
        for row in model.parties.values() {
            if row.merged_into.is_some_and(|into| records.contains(&into)) {
                records.insert(row.id);
            }
        }
        if records.len() == before {
            return records;
        }
    }
}

/// The addresses the person's records give, as typed.
pub fn addresses_of(model: &ReadModel, records: &BTreeSet<PartyId>) -> Vec<String> {
    let mut addresses: Vec<String> = records
        .iter()
        .filter_map(|id| model.parties.get(id))
        .flat_map(|row| row.emails.iter().cloned())
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// A record, in a document, that names the person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Mention {
    pub document: String,
    pub record: String,
}

/// Whether `value` has one of `ids` as a map key (or a key's first part, `party/…`) or a text value,
/// at any depth.
fn names_any(value: &Json, ids: &BTreeSet<String>) -> bool {
    match value {
        Json::String(text) => ids.contains(text),
        Json::Array(items) => items.iter().any(|item| names_any(item, ids)),
        Json::Object(map) => map.iter().any(|(key, item)| {
            ids.contains(key)
                || key.split_once('/').is_some_and(|(first, _)| ids.contains(first))
                || names_any(item, ids)
        }),
        _ => false,
    }
}

fn party_doc(id: PartyId) -> DocKey {
    <Party as Record>::doc_key(&id)
}

fn id_texts(records: &BTreeSet<PartyId>) -> BTreeSet<String> {
    records.iter().map(PartyId::to_string).collect()
}

/// The records of a document's content: its root's entries.
fn records_in(content: &Json) -> impl Iterator<Item = (&String, &Json)> {
    content.as_object().into_iter().flatten()
}

#[derive(Serialize)]
struct ExportFile<'a> {
    format: &'static str,
    version: u32,
    exported_at: i64,
    exported_by: Option<String>,
    person: String,
    /// The person's records as stored: their own, and those merged into it.
    records: BTreeMap<String, &'a Json>,
    /// Every other record that names them: what it says about them (see [`about_them`]).
    mentioned_in: Vec<MentionedIn<'a>>,
    /// The exporting member's private notes on their records.
    private_notes: BTreeMap<String, &'a Json>,
    /// The latest opt-in or opt-out the relay recorded for each of their addresses, as this device
    /// last heard it.
    consent_latest: Vec<ConsentLine<'a>>,
    not_included: Vec<&'static str>,
}

#[derive(Serialize)]
struct MentionedIn<'a> {
    document: String,
    record: &'a str,
    content: Json,
}

#[derive(Serialize)]
struct ConsentLine<'a> {
    address: &'a str,
    opted_in: bool,
    source: &'a str,
    /// Milliseconds since 1970, like every time in the file (the relay's log counts seconds).
    at: i64,
}

/// Maps of a record keyed by party id: a campaign's recipients (with their addresses), a list's
/// members, an event's attendees, an investor update's recipients and revoked links, a sequence's
/// enrolments, removals and outcomes, an automation rule's baseline.
const KEYED_BY_PARTY: [&str; 8] = [
    "recipients",
    "members",
    "attendees",
    "revoked",
    "enrolled",
    "removed",
    "outcomes",
    "baseline",
];
/// Maps keyed by party and something of theirs (`party/step`): a sequence's steps done, an
/// automation rule's runs and runs asked for.
const KEYED_BY_PARTY_PATH: [&str; 2] = ["runs", "asked"];

/// Whether a key of a map keyed by party (`party`, or `party/…` in the maps that say so) is one of
/// `ids`'.
fn keyed_by(name: &str, key: &str, ids: &BTreeSet<String>) -> bool {
    let party = if KEYED_BY_PARTY_PATH.contains(&name) {
        key.split('/').next().unwrap_or_default()
    } else {
        key
    };
    ids.contains(party)
}

/// What a record that names the person says about them, and nothing about anyone else: another
/// party's record gives only its links to them; elsewhere, maps keyed by party keep only their
/// entries (a campaign's other recipients' addresses stay out).
fn about_them(key: &DocKey, value: &Json, ids: &BTreeSet<String>) -> Json {
    if let DocKey::Shard { collection: Collection::Parties, .. } = key {
        let links: serde_json::Map<String, Json> = value["relations"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, link)| link["to"].as_str().is_some_and(|to| ids.contains(to)))
            .map(|(id, link)| (id.clone(), link.clone()))
            .collect();
        let mut about = serde_json::Map::new();
        about.insert("relations".into(), Json::Object(links));
        if value["merged_into"].as_str().is_some_and(|into| ids.contains(into)) {
            about.insert("merged_into".into(), value["merged_into"].clone());
        }
        return Json::Object(about);
    }
    narrowed(value, ids)
}

fn narrowed(value: &Json, ids: &BTreeSet<String>) -> Json {
    match value {
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(name, item)| {
                    let item = match item {
                        Json::Object(entries)
                            if KEYED_BY_PARTY.contains(&name.as_str())
                                || KEYED_BY_PARTY_PATH.contains(&name.as_str()) =>
                        {
                            Json::Object(
                                entries
                                    .iter()
                                    .filter(|(party, _)| keyed_by(name, party, ids))
                                    .map(|(party, entry)| (party.clone(), entry.clone()))
                                    .collect(),
                            )
                        }
                        other => narrowed(other, ids),
                    };
                    (name.clone(), item)
                })
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(|item| narrowed(item, ids)).collect()),
        other => other.clone(),
    }
}

/// What the workspace may hold about the person that this export cannot contain, said in the file.
const NOT_INCLUDED: [&str; 3] = [
    "Private notes other members wrote about this person: they are in those members' private documents, which only their own devices hold.",
    "The mail the relay sent to this person (its outbox ledger), the opens and clicks it counted of that mail, and the bytes of attached files: ask the workspace's administrator; the records above list each file by name and SHA-256.",
    "Earlier values: every document keeps its full history of changes; this export holds the current state.",
];

/// Everything the workspace's documents say about the person, as one JSON file (pretty-printed):
/// `documents` are every document's content ([`crate::backup::content_of`]) — a member's private
/// document among them contributes their notes on the person —, `consent` the latest consent event
/// of each address as the device last heard them.
pub fn export(
    person: PartyId,
    records: &BTreeSet<PartyId>,
    documents: &[(DocKey, Json)],
    consent: &[ConsentEvent],
    exported_at: Timestamp,
    exported_by: Option<String>,
) -> String {
    let ids = id_texts(records);
    let mut file = ExportFile {
        format: EXPORT_FORMAT,
        version: 1,
        exported_at: exported_at.0,
        exported_by,
        person: person.to_string(),
        records: BTreeMap::new(),
        mentioned_in: Vec::new(),
        private_notes: BTreeMap::new(),
        consent_latest: Vec::new(),
        not_included: NOT_INCLUDED.to_vec(),
    };
    for (key, content) in documents {
        for (record, value) in records_in(content) {
            match key {
                DocKey::Private(_) if ids.contains(record) => {
                    file.private_notes.insert(record.clone(), value);
                }
                DocKey::Private(_) => {}
                DocKey::Shard { collection: Collection::Parties, .. } if ids.contains(record) => {
                    file.records.insert(record.clone(), value);
                }
                _ if names_any(value, &ids) => file.mentioned_in.push(MentionedIn {
                    document: key.to_string(),
                    record,
                    content: about_them(key, value, &ids),
                }),
                _ => {}
            }
        }
    }
    let addresses: BTreeSet<String> =
        file.records.values().flat_map(|record| emails_in(record)).collect();
    let mut events: Vec<&ConsentEvent> =
        consent.iter().filter(|event| addresses.contains(&normalise(&event.address))).collect();
    events.sort_by_key(|event| event.seq);
    file.consent_latest = events
        .into_iter()
        .map(|event| ConsentLine {
            address: &event.address,
            opted_in: event.opted_in,
            source: &event.source,
            at: event.at.saturating_mul(1000),
        })
        .collect();
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

/// The email addresses a stored party record gives, normalised.
fn emails_in(record: &Json) -> Vec<String> {
    record["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|point| point["value"].as_str())
        .map(normalise)
        .collect()
}

/// What erasing a person does, worked out before anything is changed, so the page can say it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasurePlan {
    /// The person's records: each replaced by an erased one holding nothing but when and by whom.
    pub records: Vec<PartyId>,
    /// Interactions with nobody else: deleted.
    pub interactions: Vec<Mention>,
    /// Interactions with others too: the person is taken off them; what was written stays.
    pub shared_interactions: Vec<Mention>,
    /// Lists they are on: taken off.
    pub lists: Vec<Mention>,
    /// Campaigns sent to them: their address taken out of the recipients.
    pub campaigns: Vec<Mention>,
    /// Sequences they were enrolled in: their enrolment, steps done and outcome taken out (the
    /// emails and tasks those steps made are on their timeline, handled with it).
    pub sequences: Vec<Mention>,
    /// Automation rules that ran for them or wrote them down: their runs, requests and place in
    /// the rule's baseline taken out (what the runs made is on their timeline, handled with it).
    pub automations: Vec<Mention>,
    /// This member's private notes on them: deleted.
    pub private_notes: Vec<Mention>,
    /// Other records naming them (deals, tasks, tickets…): kept as they are written, their link to
    /// the person leading to the erased record.
    pub kept: Vec<Mention>,
    /// Files attached to their records and to nothing else (hex SHA-256): for the relay to delete.
    pub files: Vec<String>,
    /// Their email addresses (normalised): blanked wherever a record that stays holds one as a value
    /// of its own (a ticket's mail from them, a campaign's test), texts written by people excepted.
    pub addresses: Vec<String>,
}

impl ErasurePlan {
    /// The documents the plan changes, the person's own records last: until those are erased the
    /// record still shows, so an erasure stopped half way can be seen and run again.
    pub fn documents(&self) -> Vec<String> {
        let others: BTreeSet<String> =
            [&self.interactions, &self.shared_interactions, &self.lists, &self.campaigns]
                .into_iter()
                .chain([&self.sequences, &self.automations])
                .chain([&self.private_notes, &self.kept])
                .flatten()
                .map(|mention| mention.document.clone())
                .collect();
        let own: BTreeSet<String> =
            self.records.iter().map(|id| party_doc(*id).to_string()).collect();
        others.into_iter().chain(own).collect()
    }

    /// How many kept records of each kind name them, by collection ("deals", "tasks", …).
    pub fn kept_kinds(&self) -> BTreeMap<String, usize> {
        let mut kinds = BTreeMap::new();
        for mention in &self.kept {
            let kind = mention.document.split('/').next().unwrap_or_default().to_owned();
            *kinds.entry(kind).or_default() += 1;
        }
        kinds
    }
}

/// Works out what erasing the person whose records are `records` does to `documents` (every
/// document's content, this member's private one among them).
pub fn plan_erasure(records: &BTreeSet<PartyId>, documents: &[(DocKey, Json)]) -> ErasurePlan {
    let ids = id_texts(records);
    let mut plan = ErasurePlan { records: records.iter().copied().collect(), ..Default::default() };
    let mut their_files = BTreeSet::new();
    let mut files_elsewhere = BTreeSet::new();
    for (key, content) in documents {
        for (record, value) in records_in(content) {
            let mention = || Mention { document: key.to_string(), record: record.clone() };
            let theirs = ids.contains(record);
            match key {
                DocKey::Private(_) => {
                    if theirs {
                        plan.private_notes.push(mention());
                    }
                    continue;
                }
                DocKey::Shard { collection: Collection::Parties, .. } if theirs => {
                    plan.addresses.extend(emails_in(value));
                    for (hash, file) in value["files"].as_object().into_iter().flatten() {
                        their_files.insert(hash.clone());
                        their_files.extend(file["thumbnail"].as_str().map(str::to_owned));
                    }
                    continue;
                }
                _ => {}
            }
            collect_hashes(value, &mut files_elsewhere);
            if !names_any(value, &ids) {
                continue;
            }
            match key {
                DocKey::Interactions(_) => {
                    let parties: Vec<&str> = value["parties"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Json::as_str)
                        .collect();
                    if parties.iter().all(|party| ids.contains(*party)) {
                        plan.interactions.push(mention());
                    } else {
                        plan.shared_interactions.push(mention());
                    }
                }
                DocKey::Shard { collection: Collection::Segments, .. }
                    if keys_named(&value["members"], &ids) =>
                {
                    plan.lists.push(mention());
                }
                DocKey::Shard { collection: Collection::Campaigns, .. }
                    if keys_named(&value["recipients"], &ids) =>
                {
                    plan.campaigns.push(mention());
                }
                DocKey::Shard { collection: Collection::Sequences, .. }
                    if keys_named(&value["enrolled"], &ids) =>
                {
                    plan.sequences.push(mention());
                }
                DocKey::Shard { collection: Collection::Automations, .. }
                    if ["baseline", "runs", "asked"].into_iter().any(|field| {
                        let map = value[field].as_object();
                        map.is_some_and(|map| map.keys().any(|key| keyed_by(field, key, &ids)))
                    }) =>
                {
                    plan.automations.push(mention());
                }
                _ => plan.kept.push(mention()),
            }
        }
    }
    plan.files = their_files.difference(&files_elsewhere).cloned().collect();
    plan.addresses.sort();
    plan.addresses.dedup();
    plan
}

fn keys_named(map: &Json, ids: &BTreeSet<String>) -> bool {
    map.as_object().is_some_and(|map| map.keys().any(|key| ids.contains(key)))
}

/// Every file hash a record names: the keys of its `files` and their thumbnails.
fn collect_hashes(value: &Json, into: &mut BTreeSet<String>) {
    match value {
        Json::Object(map) => {
            for (key, item) in map {
                if key == "files" {
                    for (hash, file) in item.as_object().into_iter().flatten() {
                        into.insert(hash.clone());
                        into.extend(file["thumbnail"].as_str().map(str::to_owned));
                    }
                } else {
                    collect_hashes(item, into);
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|item| collect_hashes(item, into)),
        _ => {}
    }
}

/// The record left in place of an erased one: its kind and when it was created, and when and by
/// whom it was erased. Nothing else, so no device shows anything of the person.
pub fn erased_party(before: Option<&Party>, at: Timestamp, by: Option<MemberId>) -> Party {
    Party {
        kind: before.map(|party| party.kind).unwrap_or_default(),
        created_at: before.map_or(at, |party| party.created_at),
        archived: true,
        erased: Some(Erasure { at, by }),
        ..Party::default()
    }
}

/// Carries out the plan's steps for document `key` (the app calls this once per document it
/// names) and returns the records changed. A record is replaced by a new object rather than cleared
/// in place, so an edit a device makes to the old one while offline lands in an object no longer
/// reachable instead of bringing a value back.
pub fn erase(
    doc: &mut AutoCommit,
    key: DocKey,
    plan: &ErasurePlan,
    records: &BTreeSet<PartyId>,
    at: Timestamp,
    by: Option<MemberId>,
) -> Result<Vec<String>, DocumentError> {
    let ids = id_texts(records);
    let here = key.to_string();
    let in_here = |list: &[Mention]| -> Vec<String> {
        list.iter().filter(|m| m.document == here).map(|m| m.record.clone()).collect()
    };
    let mut changed = Vec::new();
    for id in plan.records.iter().filter(|id| party_doc(**id) == key) {
        let record = id.to_string();
        let before = document::get::<_, Party>(doc, &record).ok().flatten();
        // Erased again (what synced in since, a second admin): the first erasure's time and author
        // stay, and a record that is exactly the tombstone already is left alone.
        let (at, by) = match before.as_ref().and_then(|party| party.erased.clone()) {
            Some(first) => (first.at, first.by),
            None => (at, by),
        };
        let tombstone = erased_party(before.as_ref(), at, by);
        if before.as_ref() == Some(&tombstone) {
            continue;
        }
        if doc.get(automerge::ROOT, record.as_str())?.is_some() {
            doc.delete(automerge::ROOT, record.as_str())?;
        }
        document::put(doc, &record, &tombstone)?;
        changed.push(record);
    }
    for record in in_here(&plan.private_notes) {
        if doc.get(automerge::ROOT, record.as_str())?.is_some() {
            doc.delete(automerge::ROOT, record.as_str())?;
            changed.push(record);
        }
    }
    // An interaction planned as theirs alone is deleted only if it still is: a colleague added to it
    // since keeps it, with the person taken off.
    let mut shared = in_here(&plan.shared_interactions);
    for record in in_here(&plan.interactions) {
        let others = match child(doc, &record, "parties", ObjType::List)? {
            Some(list) => (0..doc.length(&list)).any(|index| {
                !matches!(doc.get(&list, index), Ok(Some((automerge::Value::Scalar(value), _)))
                    if matches!(value.as_ref(), ScalarValue::Str(text) if ids.contains(text.as_str())))
            }),
            None => false,
        };
        if others {
            shared.push(record);
        } else if doc.get(automerge::ROOT, record.as_str())?.is_some() {
            doc.delete(automerge::ROOT, record.as_str())?;
            changed.push(record);
        }
    }
    for record in shared {
        if let Some(list) = child(doc, &record, "parties", ObjType::List)? {
            for index in (0..doc.length(&list)).rev() {
                let named = match doc.get(&list, index)? {
                    Some((automerge::Value::Scalar(value), _)) => match value.as_ref() {
                        ScalarValue::Str(text) => ids.contains(text.as_str()),
                        _ => false,
                    },
                    _ => false,
                };
                if named {
                    doc.delete(&list, index)?;
                }
            }
            changed.push(record);
        }
    }
    let keyed = [
        (&plan.lists, "members"),
        (&plan.campaigns, "recipients"),
        (&plan.sequences, "enrolled"),
        (&plan.sequences, "removed"),
        (&plan.sequences, "outcomes"),
        (&plan.sequences, "runs"),
        (&plan.automations, "baseline"),
        (&plan.automations, "runs"),
        (&plan.automations, "asked"),
    ];
    for (list, field) in keyed {
        for record in in_here(list) {
            if let Some(map) = child(doc, &record, field, ObjType::Map)? {
                let theirs = doc.keys(&map).filter(|name| keyed_by(field, name, &ids));
                for name in theirs.collect::<Vec<_>>() {
                    doc.delete(&map, name.as_str())?;
                }
                changed.push(record);
            }
        }
    }
    let addresses: BTreeSet<&str> = plan.addresses.iter().map(String::as_str).collect();
    let staying =
        [&plan.kept, &plan.shared_interactions, &plan.lists, &plan.campaigns, &plan.sequences]
            .into_iter()
            .chain([&plan.automations]);
    // Another person's record is theirs to keep as it is, even an address they share.
    let others_record = matches!(key, DocKey::Shard { collection: Collection::Parties, .. });
    for record in staying.flat_map(|list| in_here(list)).filter(|_| !others_record) {
        if let Some((automerge::Value::Object(_), object)) =
            doc.get(automerge::ROOT, record.as_str())?
            && blank_addresses(doc, &object, &addresses)?
        {
            changed.push(record);
        }
    }
    changed.sort();
    changed.dedup();
    Ok(changed)
}

/// Puts an empty text in place of every value under `object` that is one of `addresses` in any
/// spelling; returns whether it found one. Automerge texts (notes people wrote) are left as written.
fn blank_addresses(
    doc: &mut AutoCommit,
    object: &automerge::ObjId,
    addresses: &BTreeSet<&str>,
) -> Result<bool, automerge::AutomergeError> {
    let is_theirs = |value: &automerge::Value<'_>| match value {
        automerge::Value::Scalar(scalar) => match scalar.as_ref() {
            ScalarValue::Str(text) => addresses.contains(normalise(text).as_str()),
            _ => false,
        },
        automerge::Value::Object(_) => false,
    };
    let mut found = false;
    match doc.object_type(object)? {
        ObjType::Map | ObjType::Table => {
            for key in doc.keys(object).collect::<Vec<_>>() {
                match doc.get(object, key.as_str())? {
                    Some((automerge::Value::Object(_), inner)) => {
                        found |= blank_addresses(doc, &inner, addresses)?
                    }
                    Some((value, _)) if is_theirs(&value) => {
                        doc.put(object, key.as_str(), "")?;
                        found = true;
                    }
                    _ => {}
                }
            }
        }
        ObjType::List => {
            for index in 0..doc.length(object) {
                match doc.get(object, index)? {
                    Some((automerge::Value::Object(_), inner)) => {
                        found |= blank_addresses(doc, &inner, addresses)?
                    }
                    Some((value, _)) if is_theirs(&value) => {
                        doc.put(object, index, "")?;
                        found = true;
                    }
                    _ => {}
                }
            }
        }
        ObjType::Text => {}
    }
    Ok(found)
}

/// The object `field` of record `record`, if it is one of type `kind`.
fn child(
    doc: &AutoCommit,
    record: &str,
    field: &str,
    kind: ObjType,
) -> Result<Option<automerge::ObjId>, automerge::AutomergeError> {
    let Some((automerge::Value::Object(_), object)) = doc.get(automerge::ROOT, record)? else {
        return Ok(None);
    };
    Ok(match doc.get(&object, field)? {
        Some((automerge::Value::Object(found), id)) if found == kind => Some(id),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::content_of;
    use crate::document::new_document;
    use crate::ids::{CampaignId, DealId, InteractionId, SegmentId};
    use crate::layout::Month;
    use crate::model::tests::{full_deal, full_interaction};
    use crate::model::{Attachment, Campaign, ContactPoint, Deal, Interaction, Segment};
    use crate::read_model::ReadModel;

    /// Ann (with a record merged into hers), Carl, and what names them across the workspace.
    struct Workspace {
        docs: BTreeMap<DocKey, AutoCommit>,
        ann: PartyId,
        old_ann: PartyId,
        carl: PartyId,
        model: ReadModel,
    }

    fn file(name: &str) -> Attachment {
        Attachment {
            name: name.into(),
            content_type: "application/pdf".into(),
            size: 10,
            added_at: Timestamp(1),
            added_by: None,
            thumbnail: None,
        }
    }

    fn workspace() -> Workspace {
        let (ann, old_ann, carl) = (
            PartyId::from_bytes([1; 16]),
            PartyId::from_bytes([2; 16]),
            PartyId::from_bytes([3; 16]),
        );
        let mut docs: BTreeMap<DocKey, AutoCommit> = BTreeMap::new();
        let mut put = |key: DocKey, id: String, record: &dyn Fn(&mut AutoCommit, &str)| {
            record(docs.entry(key).or_insert_with(new_document), &id);
        };
        let person = |name: &str, email: &str| Party {
            name: name.into(),
            emails: vec![ContactPoint { label: "work".into(), value: email.into() }],
            notes: autosurgeon::Text::with_value(format!("{name} prefers mornings")),
            created_at: Timestamp(5),
            ..Party::default()
        };
        let mut ann_record = person("Ann Lee", "Ann@Example.com");
        ann_record.files.insert("aa".repeat(32), file("passport.pdf"));
        ann_record.files.insert("cc".repeat(32), file("shared.pdf"));
        let old = Party { merged_into: Some(ann), ..person("Ann L.", "ann.lee@old.example") };
        let mut carl_record = person("Carl Berg", "carl@example.com");
        carl_record.files.insert("cc".repeat(32), file("shared.pdf"));
        carl_record.link(
            crate::ids::LinkId::from_bytes([7; 16]),
            crate::model::PartyLink {
                to: ann,
                kind: crate::model::LinkKind::IntroducedBy,
                title: "met at the fair".into(),
            },
        );
        for (id, record) in [(ann, ann_record), (old_ann, old), (carl, carl_record)] {
            put(party_doc(id), id.to_string(), &|doc, key| {
                document::put(doc, key, &record).unwrap()
            });
        }
        let month = DocKey::Interactions(Month::of(Timestamp(1_700_000_000_000)));
        let alone = Interaction { parties: vec![old_ann], ..full_interaction() };
        let together = Interaction { parties: vec![ann, carl], ..full_interaction() };
        put(month, InteractionId::from_bytes([4; 16]).to_string(), &|doc, key| {
            document::put(doc, key, &alone).unwrap()
        });
        put(month, InteractionId::from_bytes([5; 16]).to_string(), &|doc, key| {
            document::put(doc, key, &together).unwrap()
        });
        // Ann's mail on a ticket about her: the ticket stays, her address goes.
        let mut ticket = crate::model::Ticket::open(
            "Printer jams".into(),
            Some(ann),
            crate::model::Channel::Email,
            crate::model::TicketPriority::Normal,
            "open",
            Timestamp(1_000),
            None,
        );
        ticket.add_message(
            "0190f5a0-0000-7000-8000-0000000000e1".into(),
            crate::model::TicketMessage {
                kind: crate::model::MessageKind::Customer,
                author: None,
                at: Timestamp(2_000),
                text: "It jams.".into(),
                mail: Some(crate::model::MailLink {
                    id: "m1@mail".into(),
                    address: "ANN@example.com".into(),
                }),
            },
        );
        let ticket_id = crate::ids::TicketId::from_bytes([10; 16]);
        let ticket_doc = <crate::model::Ticket as Record>::doc_key(&ticket_id);
        put(ticket_doc, ticket_id.to_string(), &|doc, key| {
            document::put(doc, key, &ticket).unwrap()
        });
        let deal = Deal { parties: vec![ann], ..full_deal() };
        let deal_id = DealId::from_bytes([6; 16]);
        put(<Deal as Record>::doc_key(&deal_id), deal_id.to_string(), &|doc, key| {
            document::put(doc, key, &deal).unwrap()
        });
        let list = Segment {
            name: "Fair visitors".into(),
            list: true,
            rule: Default::default(),
            members: [(old_ann.to_string(), true), (carl.to_string(), true)].into(),
            created_by: None,
            created_at: Timestamp(1),
            archived: false,
        };
        let list_id = SegmentId::from_bytes([7; 16]);
        put(<Segment as Record>::doc_key(&list_id), list_id.to_string(), &|doc, key| {
            document::put(doc, key, &list).unwrap()
        });
        let campaign = Campaign {
            name: "Spring".into(),
            recipients: [
                (ann.to_string(), "ann@example.com".into()),
                (carl.to_string(), "carl@example.com".into()),
            ]
            .into(),
            ..Campaign::default()
        };
        let campaign_id = CampaignId::from_bytes([8; 16]);
        put(<Campaign as Record>::doc_key(&campaign_id), campaign_id.to_string(), &|doc, key| {
            document::put(doc, key, &campaign).unwrap()
        });
        // A sequence both were enrolled in: Ann under her old record, which has a step done and
        // an outcome.
        let mut sequence =
            crate::model::Sequence { name: "Fair follow-up".into(), ..Default::default() };
        for party in [old_ann, carl] {
            let enrolment = crate::model::Enrolment { at: Timestamp(3), by: None };
            sequence.enrolled.insert(party.to_string(), enrolment);
            let run = crate::model::StepRun { at: Timestamp(4), yes: false, skipped: false };
            sequence.runs.insert(format!("{party}/intro"), run);
        }
        let finished = crate::sequences::outcome(crate::sequences::Leave::Finished, Timestamp(5));
        sequence.outcomes.insert(old_ann.to_string(), finished);
        let sequence_id = crate::ids::SequenceId::from_bytes([12; 16]);
        let sequence_doc = <crate::model::Sequence as Record>::doc_key(&sequence_id);
        put(sequence_doc, sequence_id.to_string(), &|doc, key| {
            document::put(doc, key, &sequence).unwrap()
        });
        // An automation rule that ran for both, asked by hand for Ann, with Carl in its baseline.
        let mut rule = crate::model::Automation { name: "Welcome".into(), ..Default::default() };
        for party in [old_ann, carl] {
            let run = crate::model::AutomationRun {
                at: Timestamp(6),
                subject: party.to_string(),
                by: None,
                did: vec!["task".into()],
            };
            rule.runs.insert(format!("{party}/created"), run);
        }
        let asked = crate::model::Asked { at: Timestamp(7), by: None };
        rule.asked.insert(format!("{ann}/7"), asked);
        rule.baseline.insert(carl.to_string(), Timestamp(1));
        let rule_id = crate::ids::AutomationId::from_bytes([13; 16]);
        let rule_doc = <crate::model::Automation as Record>::doc_key(&rule_id);
        put(rule_doc, rule_id.to_string(), &|doc, key| document::put(doc, key, &rule).unwrap());
        // Another that names her only in a run asked for by hand, not done yet.
        let mut asked_only =
            crate::model::Automation { name: "By hand".into(), ..Default::default() };
        asked_only
            .asked
            .insert(format!("{ann}/8"), crate::model::Asked { at: Timestamp(8), by: None });
        let asked_id = crate::ids::AutomationId::from_bytes([14; 16]);
        put(rule_doc, asked_id.to_string(), &|doc, key| {
            document::put(doc, key, &asked_only).unwrap()
        });
        let private = DocKey::Private(crate::layout::DocumentId([9; 16]));
        for (id, note) in [(ann, "Ann is moving to Riga"), (carl, "Carl likes chess")] {
            put(private, id.to_string(), &|doc, key| {
                crate::employee::write_private_note(doc, key, note).unwrap()
            });
        }
        let mut model = ReadModel::default();
        for (key, doc) in &mut docs {
            let keys = document::keys(doc).into_iter().collect();
            model.refresh(*key, doc, &keys);
        }
        Workspace { docs, ann, old_ann, carl, model }
    }

    fn contents(docs: &BTreeMap<DocKey, AutoCommit>) -> Vec<(DocKey, Json)> {
        docs.iter().map(|(key, doc)| (*key, content_of(doc))).collect()
    }

    fn event(seq: i64, address: &str, opted_in: bool) -> ConsentEvent {
        ConsentEvent {
            seq,
            address: address.into(),
            opted_in,
            source: "one-click unsubscribe".into(),
            at: seq * 1000,
        }
    }

    #[test]
    fn an_export_holds_every_record_naming_the_person_and_nothing_only_about_others() {
        let ws = workspace();
        let records = records_of(&ws.model, ws.ann);
        assert_eq!(records, BTreeSet::from([ws.ann, ws.old_ann]), "a merged record is theirs too");
        let consent = [
            event(2, "ann@example.com", false),
            event(1, "carl@example.com", false),
            event(3, "ANN.LEE@old.example", true),
        ];
        let text = export(
            ws.ann,
            &records,
            &contents(&ws.docs),
            &consent,
            Timestamp(9),
            Some("Mia".into()),
        );
        let file: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(file["format"], EXPORT_FORMAT);
        let records: Vec<&String> = file["records"].as_object().unwrap().keys().collect();
        assert_eq!(records.len(), 2);
        assert_eq!(file["records"][ws.ann.to_string()]["notes"], "Ann Lee prefers mornings");
        let mentioned: Vec<&str> = file["mentioned_in"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["document"].as_str().unwrap().split('/').next().unwrap())
            .collect();
        assert_eq!(
            mentioned.iter().filter(|d| **d == "interactions").count(),
            2,
            "both interactions, the one through the merged record too: {mentioned:?}"
        );
        for kind in ["deals", "segments", "campaigns", "sequences", "automations"] {
            assert!(mentioned.contains(&kind), "{kind} in {mentioned:?}");
        }
        // The rule says what it did for her and when she asked, nothing of Carl.
        let rule = file["mentioned_in"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["document"].as_str().unwrap().starts_with("automations"))
            .unwrap();
        let said = rule["content"].to_string();
        assert!(said.contains(&format!("{}/created", ws.old_ann)), "{said}");
        assert!(said.contains(&format!("{}/7", ws.ann)), "{said}");
        assert!(!said.contains(&ws.carl.to_string()), "{said}");
        // The sequence says when she was enrolled and what was done for her, nothing of Carl.
        let sequence = file["mentioned_in"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["document"].as_str().unwrap().starts_with("sequences"))
            .unwrap();
        let said = sequence["content"].to_string();
        assert!(said.contains(&format!("{}/intro", ws.old_ann)), "{said}");
        assert!(!said.contains(&ws.carl.to_string()), "{said}");
        // Carl's record names Ann (she introduced him): only that link is hers to read.
        let carl_says = file["mentioned_in"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["record"] == ws.carl.to_string().as_str())
            .expect("Carl's record, for its link to Ann");
        assert_eq!(carl_says["content"]["relations"].as_object().unwrap().len(), 1);
        assert_eq!(file["private_notes"][ws.ann.to_string()], "Ann is moving to Riga");
        for others in ["chess", "carl@example.com", "Carl Berg"] {
            assert!(!text.contains(others), "“{others}”, about someone else, stays out");
        }
        let at: Vec<i64> = file["consent_latest"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["at"].as_i64().unwrap())
            .collect();
        assert_eq!(
            at,
            [2000 * 1000, 3000 * 1000],
            "their addresses in any spelling, in ms; not Carl's"
        );
        assert_eq!(file["not_included"].as_array().unwrap().len(), NOT_INCLUDED.len());
    }

    #[test]
    fn erasure_leaves_nothing_of_the_person_in_any_document_and_keeps_the_rest() {
        let mut ws = workspace();
        let records = records_of(&ws.model, ws.ann);
        let plan = plan_erasure(&records, &contents(&ws.docs));
        assert_eq!(plan.interactions.len(), 1, "the call with nobody else");
        assert_eq!(plan.shared_interactions.len(), 1);
        assert_eq!((plan.lists.len(), plan.campaigns.len(), plan.private_notes.len()), (1, 1, 1));
        assert_eq!((plan.sequences.len(), plan.automations.len()), (1, 2));
        assert_eq!(plan.kept.len(), 3, "the deal, the ticket and Carl's link: {:?}", plan.kept);
        assert_eq!(
            plan.kept_kinds(),
            BTreeMap::from([("deals".into(), 1), ("parties".into(), 1), ("tickets".into(), 1)])
        );
        assert!(plan.documents().last().unwrap().starts_with("parties/"), "their records last");
        assert_eq!(plan.files, ["aa".repeat(32)], "a file Carl's record has too stays");
        let by = Some(MemberId::from_bytes([1; 16]));
        for key in plan.documents() {
            let key: DocKey = key.parse().unwrap();
            let doc = ws.docs.get_mut(&key).unwrap();
            let changed = erase(doc, key, &plan, &records, Timestamp(50), by).unwrap();
            // A deal naming her holds nothing of hers but the link; Carl's record is his.
            let untouched = key.to_string().starts_with("deals/") || key == party_doc(ws.carl);
            assert_eq!(changed.is_empty(), untouched, "{key}: {changed:?}");
        }
        let after: String =
            contents(&ws.docs).iter().map(|(_, content)| content.to_string()).collect();
        let sequence = contents(&ws.docs)
            .into_iter()
            .find(|(key, _)| key.to_string().starts_with("sequences"))
            .unwrap()
            .1
            .to_string();
        assert!(!sequence.contains(&ws.old_ann.to_string()), "{sequence}");
        assert!(sequence.contains(&format!("{}/intro", ws.carl)), "Carl's run stays: {sequence}");
        let rule = contents(&ws.docs)
            .into_iter()
            .find(|(key, _)| key.to_string().starts_with("automations"))
            .unwrap()
            .1
            .to_string();
        for hers in [ws.old_ann, ws.ann] {
            assert!(!rule.contains(&hers.to_string()), "{rule}");
        }
        assert!(!rule.contains("/8"), "the run asked for her is gone: {rule}");
        assert!(rule.contains(&format!("{}/created", ws.carl)), "Carl's run stays: {rule}");
        assert!(rule.contains("baseline"), "{rule}");
        for trace in ["Ann", "ann@", "ANN@", "ann.lee", "Riga", "passport"] {
            assert!(!after.contains(trace), "“{trace}” is gone from every document");
        }
        for kept in [
            "Carl Berg",
            "carl@example.com",
            "chess",
            "Walked the warehouse",
            "500 chairs",
            "It jams.",
        ] {
            assert!(after.contains(kept), "“{kept}” stays");
        }
        let erased: Party =
            document::get(&ws.docs[&party_doc(ws.ann)], &ws.ann.to_string()).unwrap().unwrap();
        assert_eq!(
            erased,
            erased_party(
                Some(&Party { created_at: Timestamp(5), ..Party::default() }),
                Timestamp(50),
                by
            )
        );
        let mut model = ReadModel::default();
        for (key, doc) in &mut ws.docs {
            let keys = document::keys(doc).into_iter().collect();
            model.refresh(*key, doc, &keys);
        }
        let row = &model.parties[&ws.ann];
        assert!(row.erased && row.archived && row.emails.is_empty());
        assert_eq!(row.name, crate::read_model::ERASED_NAME);
        assert!(model.parties[&ws.old_ann].erased, "the merged record too");
        assert!(!model.parties[&ws.carl].erased);

        // Erasing again (a second press, another admin's device) changes nothing.
        let again = plan_erasure(&records, &contents(&ws.docs));
        assert_eq!((again.interactions.len(), again.lists.len(), again.campaigns.len()), (0, 0, 0));
        for key in [party_doc(ws.ann), party_doc(ws.old_ann)] {
            let doc = ws.docs.get_mut(&key).unwrap();
            assert_eq!(
                erase(doc, key, &again, &records, Timestamp(60), by).unwrap(),
                Vec::<String>::new()
            );
        }
    }

    #[test]
    fn an_edit_made_offline_to_an_erased_record_does_not_bring_anything_back() {
        let mut ws = workspace();
        let records = BTreeSet::from([ws.carl]);
        let key = party_doc(ws.carl);
        let mut offline = ws.docs.get_mut(&key).unwrap().fork();
        document::update::<_, Party, _>(&mut offline, &ws.carl.to_string(), |carl| {
            carl.phones.push(ContactPoint { label: "mobile".into(), value: "+46 70 123".into() });
            carl.name = "Carl J. Berg".into();
        })
        .unwrap();
        let plan = plan_erasure(&records, &contents(&ws.docs));
        let doc = ws.docs.get_mut(&key).unwrap();
        erase(doc, key, &plan, &records, Timestamp(50), None).unwrap();
        doc.merge(&mut offline).unwrap();
        let text = content_of(doc).to_string();
        assert!(!text.contains("+46") && !text.contains("Carl"), "{text}");
        let carl: Party = document::get(doc, &ws.carl.to_string()).unwrap().unwrap();
        assert!(carl.erased.is_some());
    }

    #[test]
    fn an_interaction_a_colleague_joined_after_the_plan_is_kept_without_the_person() {
        let mut ws = workspace();
        let records = records_of(&ws.model, ws.ann);
        let plan = plan_erasure(&records, &contents(&ws.docs));
        let call = &plan.interactions[0];
        let key: DocKey = call.document.parse().unwrap();
        let doc = ws.docs.get_mut(&key).unwrap();
        // Between the plan and the confirmation, Carl is added to the call that was Ann's alone.
        let record = call.record.clone();
        let carl = ws.carl;
        document::update::<_, Interaction, _>(doc, &record, |i| i.parties.push(carl)).unwrap();
        erase(doc, key, &plan, &records, Timestamp(50), None).unwrap();
        let kept: Interaction = document::get(doc, &record).unwrap().expect("the call stays");
        assert_eq!(kept.parties, [ws.carl]);
    }
}
