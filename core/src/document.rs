//! Reading and writing records in Automerge documents.
//!
//! A shard or month document holds each record as a map at the document root, under the record id's
//! text. Writing reconciles the record field by field (only changed fields become operations), so two
//! devices editing different fields of one record both keep their edits, and a concurrent write to the
//! same field keeps both values: Automerge picks a deterministic winner for reads, and [`conflicts`]
//! shows every value so a person can choose.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ScalarValue, Value};
use autosurgeon::{Hydrate, Reconcile};

use crate::ids::{
    ArticleId, AutomationId, CampaignId, ContractId, DealId, EventId, FeedbackId, GoalId, KudosId,
    OneOnOneId, PartyId, PurchaseId, ReviewCycleId, RoundId, SegmentId, SequenceId, SurveyId,
    TaskId, TicketId, UpdateId,
};
use crate::layout::{Collection, DocKey};
use crate::model::{
    Article, Automation, Campaign, Contract, Deal, Feedback, Goal, InvestorEvent, InvestorUpdate,
    Kudos, OneOnOne, Party, Purchase, ReviewCycle, Round, Segment, Sequence, Survey, Task, Ticket,
};

/// Why a record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("record {id} is malformed: {source}")]
    Malformed { id: String, source: Box<autosurgeon::HydrateError> },
    #[error("could not write record {id}: {source}")]
    Write { id: String, source: Box<autosurgeon::ReconcileError> },
    #[error("automerge: {0}")]
    Automerge(#[from] Box<automerge::AutomergeError>),
}

/// How text positions are counted in every Rapport document: UTF-8 bytes, because autosurgeon's `Text`
/// splices by byte offset. The encoding is an API setting, not part of the stored data, so JS peers
/// (UTF-16) read and write the same documents. A document opened any other way corrupts non-ASCII notes.
pub const TEXT_ENCODING: automerge::TextEncoding = automerge::TextEncoding::Utf8CodeUnit;

impl From<automerge::AutomergeError> for DocumentError {
    fn from(error: automerge::AutomergeError) -> Self {
        DocumentError::Automerge(Box::new(error))
    }
}

/// A new, empty document.
pub fn new_document() -> AutoCommit {
    AutoCommit::new_with_encoding(TEXT_ENCODING)
}

/// Loads a saved document (a snapshot, changes, or both concatenated).
pub fn load_document(bytes: &[u8]) -> Result<AutoCommit, DocumentError> {
    let options = automerge::LoadOptions::new().text_encoding(TEXT_ENCODING);
    AutoCommit::load_with_options(bytes, options).map_err(DocumentError::from)
}

/// Checks that `bytes` is one or more whole, well-formed Automerge chunks (a snapshot or changes), without
/// needing the changes it depends on. Used to find a damaged chunk among a document's stored chunks, since
/// loading changes incrementally skips what it cannot parse instead of failing.
pub fn check_chunk(bytes: &[u8]) -> Result<(), DocumentError> {
    let options = automerge::LoadOptions::new()
        .text_encoding(TEXT_ENCODING)
        .on_partial_load(automerge::OnPartialLoad::Error)
        .verification_mode(automerge::VerificationMode::DontCheck);
    match automerge::Automerge::load_with_options(bytes, options) {
        // The chunk parsed; only the changes it builds on are elsewhere.
        Ok(_) | Err(automerge::AutomergeError::MissingDeps) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// A record type stored in a sharded collection.
pub trait Record: Reconcile + Hydrate {
    type Id: Copy + std::fmt::Display + std::str::FromStr;
    const COLLECTION: Collection;
    fn id_bytes(id: &Self::Id) -> [u8; 16];

    /// The document holding the record `id`.
    fn doc_key(id: &Self::Id) -> DocKey {
        let collection = Self::COLLECTION;
        DocKey::Shard { collection, shard: collection.shard_of(&Self::id_bytes(id)) }
    }
}

macro_rules! sharded_record {
    ($record:ty, $id:ty, $collection:expr) => {
        impl Record for $record {
            type Id = $id;
            const COLLECTION: Collection = $collection;
            fn id_bytes(id: &$id) -> [u8; 16] {
                *id.as_bytes()
            }
        }
    };
}

sharded_record!(Party, PartyId, Collection::Parties);
sharded_record!(Task, TaskId, Collection::Tasks);
sharded_record!(Deal, DealId, Collection::Deals);
sharded_record!(Ticket, TicketId, Collection::Tickets);
sharded_record!(Contract, ContractId, Collection::Contracts);
sharded_record!(Feedback, FeedbackId, Collection::Feedback);
sharded_record!(Segment, SegmentId, Collection::Segments);
sharded_record!(Campaign, CampaignId, Collection::Campaigns);
sharded_record!(Article, ArticleId, Collection::Articles);
sharded_record!(Purchase, PurchaseId, Collection::Purchases);
sharded_record!(Round, RoundId, Collection::Rounds);
sharded_record!(InvestorUpdate, UpdateId, Collection::Updates);
sharded_record!(InvestorEvent, EventId, Collection::Events);
sharded_record!(OneOnOne, OneOnOneId, Collection::OneOnOnes);
sharded_record!(Kudos, KudosId, Collection::Kudos);
sharded_record!(Survey, SurveyId, Collection::Surveys);
sharded_record!(Goal, GoalId, Collection::Goals);
sharded_record!(ReviewCycle, ReviewCycleId, Collection::Reviews);
sharded_record!(Sequence, SequenceId, Collection::Sequences);
sharded_record!(Automation, AutomationId, Collection::Automations);

/// Writes `record` under `key` at the document root, changing only what differs.
pub fn put<D, R>(doc: &mut D, key: &str, record: &R) -> Result<(), DocumentError>
where
    D: autosurgeon::Doc,
    R: Reconcile,
{
    autosurgeon::reconcile_prop(doc, automerge::ROOT, key, record)
        .map_err(|source| DocumentError::Write { id: key.to_owned(), source: Box::new(source) })
}

/// Writes records that are new to `doc` (an import, a restore) in bulk. Reconciling straight into a
/// document costs one splice of its op columns per field, about 0.7 ms per party in a document of 300
/// (`cargo bench --bench import`). Reconciling into an *empty* document builds the value in memory and
/// initialises the root in one step, so the records are built that way (in `doc` itself when it is
/// empty, else in a scratch document) and each inserted into `doc` as one batch. A key that exists
/// already is replaced, not merged: use [`put`] to change a record.
pub fn put_new<'r, R: Reconcile + 'r>(
    doc: &mut AutoCommit,
    records: impl IntoIterator<Item = (&'r str, &'r R)>,
) -> Result<(), DocumentError> {
    let records: std::collections::BTreeMap<&str, &R> = records.into_iter().collect();
    let reconcile = |target: &mut AutoCommit| {
        autosurgeon::reconcile(target, &records).map_err(|source| DocumentError::Write {
            id: records.keys().next().copied().unwrap_or_default().to_owned(),
            source: Box::new(source),
        })
    };
    // `is_empty` looks at committed changes only: with operations pending, initialising the root
    // would drop them (found by the tests below).
    if doc.is_empty() && doc.pending_ops() == 0 {
        return reconcile(doc);
    }
    let mut scratch = new_document();
    reconcile(&mut scratch)?;
    let automerge::hydrate::Value::Map(built) = scratch.hydrate(automerge::ROOT, None)? else {
        unreachable!("a document's root is a map");
    };
    for (key, record) in &records {
        match built.get(key) {
            Some(value) if value.is_object() => {
                doc.batch_create_object(automerge::ROOT, *key, value, false)?;
            }
            // A record that reconciles to a scalar is one operation anyway.
            _ => put(doc, key, record)?,
        }
    }
    Ok(())
}

/// Reads the record under `key`, `None` if there is none. A record that does not match the schema is
/// an error naming it; the rest of the document stays readable.
pub fn get<D, R>(doc: &D, key: &str) -> Result<Option<R>, DocumentError>
where
    D: autosurgeon::ReadDoc,
    R: Hydrate,
{
    if autosurgeon::ReadDoc::get(doc, &automerge::ROOT, key)?.is_none() {
        return Ok(None);
    }
    autosurgeon::hydrate_prop(doc, automerge::ROOT, key)
        .map(Some)
        .map_err(|source| DocumentError::Malformed { id: key.to_owned(), source: Box::new(source) })
}

/// Changes the stored record `key` in place: reads it, applies `change`, writes back what differs.
///
/// Always edit this way rather than `put`ting a freshly built record over a stored one: a fresh
/// `Text` or nested object would replace the stored one as a new object, and concurrent edits to the
/// old one would be lost in a conflict instead of merging. Returns `None` if there is no such record.
pub fn update<D, R, T>(
    doc: &mut D,
    key: &str,
    change: impl FnOnce(&mut R) -> T,
) -> Result<Option<T>, DocumentError>
where
    D: autosurgeon::Doc,
    R: Reconcile + Hydrate,
{
    let Some(mut record) = get::<D, R>(doc, key)? else { return Ok(None) };
    let result = change(&mut record);
    put(doc, key, &record)?;
    Ok(Some(result))
}

/// The keys of every record in the document.
pub fn keys<D: ReadDoc>(doc: &D) -> Vec<String> {
    doc.keys(automerge::ROOT).collect()
}

/// A field of a record that two devices set concurrently.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldConflict {
    pub field: String,
    /// Every concurrent value; the first is the one reads return. Containers show as their type.
    pub values: Vec<ConflictValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConflictValue {
    Scalar(ScalarValue),
    Object(ObjType),
}

/// The fields of record `key` that hold more than one concurrent value.
pub fn conflicts<D: ReadDoc>(doc: &D, key: &str) -> Result<Vec<FieldConflict>, DocumentError> {
    let Some((Value::Object(ObjType::Map), record)) = doc.get(automerge::ROOT, key)? else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for field in doc.keys(&record) {
        let all = doc.get_all(&record, field.as_str())?;
        if all.len() > 1 {
            let mut values: Vec<ConflictValue> = all
                .into_iter()
                .map(|(value, _)| match value {
                    Value::Scalar(scalar) => ConflictValue::Scalar(scalar.into_owned()),
                    Value::Object(kind) => ConflictValue::Object(kind),
                })
                .collect();
            // Automerge lists the winner last; callers want it first.
            values.reverse();
            found.push(FieldConflict { field, values });
        }
    }
    Ok(found)
}

/// Settles a conflict on `field` of record `key` by writing `value` over every concurrent value. (An
/// ordinary update would write nothing when `value` is the one reads already return, and the conflict
/// would stay.)
pub fn resolve(
    doc: &mut AutoCommit,
    key: &str,
    field: &str,
    value: ScalarValue,
) -> Result<(), DocumentError> {
    let Some((Value::Object(ObjType::Map), record)) = doc.get(automerge::ROOT, key)? else {
        return Ok(());
    };
    doc.put(&record, field, value)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Timestamp;
    use crate::ids::tests::CountingSource;
    use crate::model::{ContactPoint, PartyKind, Role};

    fn acme() -> Party {
        let mut party = Party {
            kind: PartyKind::Organisation,
            name: "Acme Ltd".into(),
            emails: vec![ContactPoint { label: "work".into(), value: "hello@acme.test".into() }],
            created_at: Timestamp(1_700_000_000_000),
            ..Party::default()
        };
        party.set_role(Role::Customer, true);
        party
    }

    #[test]
    fn a_record_round_trips_through_a_document() {
        let id = PartyId::generate(&mut CountingSource::default());
        let mut doc = new_document();
        put(&mut doc, &id.to_string(), &acme()).unwrap();
        let saved = doc.save();
        let loaded = load_document(&saved).unwrap();
        let back: Party = get(&loaded, &id.to_string()).unwrap().unwrap();
        assert_eq!(back, acme());
        assert_eq!(back.role_list(), vec![Role::Customer]);
        assert_eq!(keys(&loaded), vec![id.to_string()]);
    }

    #[test]
    fn records_written_in_a_batch_read_merge_and_edit_like_any_other() {
        let mut party = acme();
        party.notes = autosurgeon::Text::with_value("Заметка: привет");
        party.phones.push(ContactPoint { label: "mobile".into(), value: "+7 900".into() });
        let mut empty = new_document();
        put_new(&mut empty, [("a", &party), ("b", &acme())]).unwrap();
        empty.commit();
        assert_eq!(get::<_, Party>(&empty, "a").unwrap().unwrap(), party);
        let mut doc = new_document();
        put(&mut doc, "old", &acme()).unwrap();
        put_new(&mut doc, [("a", &party), ("b", &acme())]).unwrap();
        doc.commit();
        let loaded = load_document(&doc.save()).unwrap();
        assert_eq!(get::<_, Party>(&loaded, "a").unwrap().unwrap(), party);
        assert_eq!(get::<_, Party>(&loaded, "b").unwrap().unwrap(), acme());
        assert_eq!(get::<_, Party>(&loaded, "old").unwrap().unwrap(), acme());

        // Concurrent edits to different fields and to the notes' text merge as usual.
        let mut other = doc.fork();
        update(&mut doc, "a", |p: &mut Party| p.name = "Acme Corporation".into()).unwrap();
        update(&mut other, "a", |p: &mut Party| {
            p.notes.splice(0, 0, "! ");
            p.set_role(Role::Supplier, true);
        })
        .unwrap();
        doc.merge(&mut other).unwrap();
        let merged: Party = get(&doc, "a").unwrap().unwrap();
        assert_eq!(merged.name, "Acme Corporation");
        assert_eq!(merged.notes.as_str(), "! Заметка: привет");
        assert_eq!(merged.role_list(), vec![Role::Customer, Role::Supplier]);
        assert!(conflicts(&doc, "a").unwrap().is_empty());
    }

    #[test]
    fn a_batch_among_many_committed_and_pending_records_keeps_every_record() {
        let named = |n: usize| Party { name: format!("Party {n}"), ..acme() };
        let mut doc = new_document();
        // Keys interleave: the batch's records sort between, before and after the existing ones.
        for n in (0..300).step_by(3) {
            put(&mut doc, &format!("{n:04}"), &named(n)).unwrap();
        }
        doc.commit();
        put(&mut doc, "0001", &named(1)).unwrap();
        put(&mut doc, "zzzz", &named(9999)).unwrap();
        let batch: Vec<(String, Party)> =
            (0..300).filter(|n| n % 3 == 2).map(|n| (format!("{n:04}"), named(n))).collect();
        put_new(&mut doc, batch.iter().map(|(key, party)| (key.as_str(), party))).unwrap();
        doc.commit();
        let loaded = load_document(&doc.save()).unwrap();
        for n in (0..300).filter(|n| n % 3 != 1 || *n == 1) {
            let key = format!("{n:04}");
            assert_eq!(get::<_, Party>(&doc, &key).unwrap(), Some(named(n)), "{key}");
            assert_eq!(get::<_, Party>(&loaded, &key).unwrap(), Some(named(n)), "{key} loaded");
        }
        assert_eq!(get::<_, Party>(&loaded, "zzzz").unwrap(), Some(named(9999)));
        assert_eq!(keys(&loaded).len(), 202);
    }

    #[test]
    fn a_missing_record_is_none_and_a_malformed_one_is_a_named_error() {
        let mut doc = new_document();
        assert!(get::<_, Party>(&doc, "nobody").unwrap().is_none());
        use automerge::transaction::Transactable;
        doc.put(automerge::ROOT, "broken", 42).unwrap();
        let error = get::<_, Party>(&doc, "broken").unwrap_err();
        assert!(error.to_string().contains("broken"), "{error}");
    }

    #[test]
    fn edits_to_different_fields_on_two_devices_both_survive() {
        let key = "party";
        let mut alice = new_document();
        put(&mut alice, key, &acme()).unwrap();
        let mut bob = alice.fork();

        update(&mut alice, key, |party: &mut Party| party.name = "Acme Corporation".into())
            .unwrap();
        update(&mut bob, key, |party: &mut Party| {
            party.set_role(Role::Supplier, true);
            party
                .phones
                .push(ContactPoint { label: "office".into(), value: "+7 495 000-00-00".into() });
        })
        .unwrap();

        alice.merge(&mut bob).unwrap();
        let merged: Party = get(&alice, key).unwrap().unwrap();
        assert_eq!(merged.name, "Acme Corporation");
        assert_eq!(merged.role_list(), vec![Role::Customer, Role::Supplier]);
        assert_eq!(merged.phones.len(), 1);
        assert!(conflicts(&alice, key).unwrap().is_empty());
    }

    #[test]
    fn the_same_field_changed_on_two_devices_keeps_both_values() {
        let key = "party";
        let mut alice = new_document();
        put(&mut alice, key, &acme()).unwrap();
        let mut bob = alice.fork();
        update(&mut alice, key, |party: &mut Party| party.name = "Acme (Alice)".into()).unwrap();
        update(&mut bob, key, |party: &mut Party| party.name = "Acme (Bob)".into()).unwrap();

        alice.merge(&mut bob).unwrap();
        bob.merge(&mut alice).unwrap();
        let shown: Party = get(&alice, key).unwrap().unwrap();
        let shown_to_bob: Party = get(&bob, key).unwrap().unwrap();
        assert_eq!(shown.name, shown_to_bob.name, "both devices show the same winner");

        let found = conflicts(&alice, key).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "name");
        let mut values: Vec<String> = found[0]
            .values
            .iter()
            .map(|value| match value {
                ConflictValue::Scalar(ScalarValue::Str(text)) => text.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(values[0], shown.name, "the first value is the one reads return");
        values.sort();
        assert_eq!(values, vec!["Acme (Alice)", "Acme (Bob)"]);

        // Choosing a value — even the one already shown — settles the conflict on both devices.
        resolve(&mut alice, key, "name", ScalarValue::Str(shown.name.clone().into())).unwrap();
        bob.merge(&mut alice).unwrap();
        assert!(conflicts(&bob, key).unwrap().is_empty());
        assert_eq!(get::<_, Party>(&bob, key).unwrap().unwrap().name, shown.name);
    }

    #[test]
    fn chunk_checks_accept_changes_without_their_dependencies_and_reject_damage() {
        let mut doc = new_document();
        put(&mut doc, "a", &acme()).unwrap();
        let first = doc.save_incremental();
        update(&mut doc, "a", |party: &mut Party| party.name = "Acme 2".into()).unwrap();
        let second = doc.save_incremental();
        check_chunk(&first).unwrap();
        check_chunk(&second).expect("a later change alone is still a well-formed chunk");
        check_chunk(&doc.save()).unwrap();

        assert!(check_chunk(b"\x85\x6f\x4a\x83 not automerge").is_err());
        assert!(check_chunk(&second[..second.len() - 3]).is_err(), "truncated");
        let mut flipped = second.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        assert!(check_chunk(&flipped).is_err(), "checksum");
    }

    #[test]
    fn records_route_to_stable_shards() {
        let mut source = CountingSource::default();
        let id = PartyId::generate(&mut source);
        let key = Party::doc_key(&id);
        assert_eq!(key, Party::doc_key(&id));
        assert!(
            matches!(key, DocKey::Shard { collection: Collection::Parties, shard } if shard < 32)
        );
    }
}
