//! A record's history from Automerge's own history: which fields each change touched, who made it and
//! when, the value before and after; a document as it was at a past time; and an earlier value of a field
//! put back.
//!
//! Every Rapport commit carries its author's member id as the change message and the time in milliseconds
//! ([`commit`]). Changes from other automerge-repo clients have no author and may carry seconds, which
//! [`change_time`] recognises.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, Prop, ReadDoc, Value};

use crate::ids::{MemberId, Timestamp};

/// Commits pending operations, attributed to `by` at `at`. Returns the new change's hash, if anything
/// was pending.
pub fn commit(doc: &mut AutoCommit, by: Option<MemberId>, at: Timestamp) -> Option<ChangeHash> {
    let mut options = automerge::transaction::CommitOptions::default().with_time(at.0);
    if let Some(member) = by {
        options = options.with_message(member.to_string());
    }
    doc.commit_with(options)
}

/// The time of a change in milliseconds. Clients that store seconds (below 10¹¹, i.e. before 1973 read
/// as milliseconds) are scaled up.
pub fn change_time(raw: i64) -> Timestamp {
    if raw.abs() < 100_000_000_000 { Timestamp(raw * 1000) } else { Timestamp(raw) }
}

/// One field of a record changed by one change.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub at: Timestamp,
    pub by: Option<MemberId>,
    /// The value before, rendered as text; `None` if the field was not set.
    pub old: Option<String>,
    pub new: Option<String>,
    /// The same values with their shape, for saying what changed in people's words
    /// ([`party_value`]).
    pub old_value: Option<Rendered>,
    pub new_value: Option<Rendered>,
    pub change: ChangeHash,
    /// The document's heads just before the change: where [`restore_field`] reads the old value.
    pub before: Vec<ChangeHash>,
}

/// Every change to record `key` of `doc`, oldest first, one entry per field changed. The record's creation
/// is listed as changes from nothing to each field's first value.
pub fn field_history(doc: &mut AutoCommit, key: &str) -> Vec<FieldChange> {
    let changes: Vec<(ChangeHash, Vec<ChangeHash>, i64, Option<String>)> = doc
        .get_changes(&[])
        .iter()
        .map(|c| (c.hash(), c.deps().to_vec(), c.timestamp(), c.message().map(str::to_owned)))
        .collect();
    let mut history = Vec::new();
    for (hash, deps, time, message) in changes {
        let after = [hash];
        let fields = touched_fields(&doc.diff(&deps, &after), key);
        if fields.is_empty() {
            continue;
        }
        let by = message.and_then(|m| m.parse::<MemberId>().ok());
        for field in fields {
            let old_value = render_field(doc, key, &field, &deps);
            let new_value = render_field(doc, key, &field, &after);
            let (old, new) =
                (old_value.as_ref().map(Rendered::flat), new_value.as_ref().map(Rendered::flat));
            if old == new {
                continue;
            }
            history.push(FieldChange {
                field,
                at: change_time(time),
                by,
                old,
                new,
                old_value,
                new_value,
                change: hash,
                before: deps.clone(),
            });
        }
    }
    history
}

/// The top-level fields of record `key` that `patches` touch.
fn touched_fields(patches: &[automerge::Patch], key: &str) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    for patch in patches {
        match patch.path.as_slice() {
            [(_, Prop::Map(record)), (_, Prop::Map(field)), ..] if record == key => {
                fields.insert(field.clone());
            }
            [(_, Prop::Map(record))] if record == key => match &patch.action {
                automerge::PatchAction::PutMap { key: field, .. }
                | automerge::PatchAction::DeleteMap { key: field } => {
                    fields.insert(field.clone());
                }
                _ => {}
            },
            _ => {}
        }
    }
    fields
}

/// A field's value as read from the document, with its shape: text (scalars as text, null as empty), a
/// list, or a map of keys in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Rendered {
    Text(String),
    List(Vec<Rendered>),
    Map(Vec<(String, Rendered)>),
}

impl Rendered {
    /// One line of text: sets (maps of `true`) as their members, other maps as `key: value`, lists
    /// joined by commas; empty and `false` entries left out.
    pub fn flat(&self) -> String {
        match self {
            Rendered::Text(text) => text.clone(),
            Rendered::List(items) => items
                .iter()
                .map(Rendered::flat)
                .filter(|text| !text.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            Rendered::Map(entries) => entries
                .iter()
                .filter_map(|(key, value)| match value.flat().as_str() {
                    "true" => Some(key.clone()),
                    "" | "false" => None,
                    text => Some(format!("{key}: {text}")),
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The text of entry `key` of a map ("" if absent or not text).
    fn entry(&self, key: &str) -> String {
        match self {
            Rendered::Map(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, value)| value.flat())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The items of a list, the values of a map, or this one value.
    fn items(&self) -> Vec<&Rendered> {
        match self {
            Rendered::List(items) => items.iter().collect(),
            Rendered::Map(entries) => entries.iter().map(|(_, value)| value).collect(),
            text => vec![text],
        }
    }
}

/// The value of `field` of record `key` at `heads`.
fn render_field(
    doc: &AutoCommit,
    key: &str,
    field: &str,
    heads: &[ChangeHash],
) -> Option<Rendered> {
    let (_, record) = doc.get_at(automerge::ROOT, key, heads).ok()??;
    let (value, id) = doc.get_at(&record, field, heads).ok()??;
    Some(render(doc, value, &id, heads, 0))
}

fn render(
    doc: &AutoCommit,
    value: Value<'_>,
    id: &ObjId,
    heads: &[ChangeHash],
    depth: u8,
) -> Rendered {
    match value {
        Value::Scalar(scalar) => Rendered::Text(match scalar.as_ref() {
            automerge::ScalarValue::Str(text) => text.to_string(),
            automerge::ScalarValue::Null => String::new(),
            other => other.to_string(),
        }),
        Value::Object(ObjType::Text) => Rendered::Text(doc.text_at(id, heads).unwrap_or_default()),
        Value::Object(_) if depth > 3 => Rendered::Text("…".to_owned()),
        Value::Object(ObjType::Map | ObjType::Table) => Rendered::Map(
            doc.map_range_at(id, .., heads)
                .map(|item| {
                    let value =
                        render(doc, Value::from(item.value.clone()), &item.id(), heads, depth + 1);
                    (item.key.to_string(), value)
                })
                .collect(),
        ),
        Value::Object(ObjType::List) => Rendered::List(
            doc.list_range_at(id, .., heads)
                .map(|item| {
                    render(doc, Value::from(item.value.clone()), &item.id(), heads, depth + 1)
                })
                .collect(),
        ),
    }
}

/// A party's field value as a person would read it: what the screens put into words (and translate).
#[derive(Debug, Clone, PartialEq)]
pub enum PartyValue {
    /// Nothing (a cleared field).
    Empty,
    /// Names, notes: the text itself.
    Text(String),
    /// Emails, phones, websites, tags, addresses: each value, without its label or field names.
    Values(Vec<String>),
    /// Relationship roles by key (`Role::key`).
    Roles(Vec<String>),
    /// Person or organisation.
    Kind(crate::model::PartyKind),
    /// A member (the owner), by id.
    Member(MemberId),
    /// A keep-in-touch cadence in days.
    Days(u32),
    /// Links to other parties: the kind (as stored, e.g. `WorksAt`), the party and the title.
    Relations(Vec<(String, crate::ids::PartyId, String)>),
    /// Custom field values by the field's id.
    Custom(Vec<(String, String)>),
    /// Consent by question: `email_marketing`, `phone_calls`, `data_processing` → yes (true) or no.
    Consent(Vec<(String, bool)>),
}

/// What `value` of party field `field` says, in the shape the screens put into words. Unknown fields
/// (a newer app's) are their text.
pub fn party_value(field: &str, value: Option<&Rendered>) -> PartyValue {
    let Some(value) = value else { return PartyValue::Empty };
    let flat = value.flat();
    let values = |items: Vec<String>| {
        let items: Vec<String> = items.into_iter().filter(|v| !v.trim().is_empty()).collect();
        if items.is_empty() { PartyValue::Empty } else { PartyValue::Values(items) }
    };
    match field {
        _ if flat.trim().is_empty() => PartyValue::Empty,
        "emails" | "phones" | "links" => {
            values(value.items().iter().map(|p| p.entry("value")).collect())
        }
        "addresses" => values(
            value
                .items()
                .iter()
                .map(|address| {
                    ["street", "city", "region", "postcode", "country"]
                        .iter()
                        .map(|part| address.entry(part))
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect(),
        ),
        // A record's files, by name.
        "files" => values(match value {
            Rendered::Map(entries) => entries.iter().map(|(_, file)| file.entry("name")).collect(),
            other => vec![other.flat()],
        }),
        "tags" | "roles" => {
            let members: Vec<String> = match value {
                Rendered::Map(entries) => entries
                    .iter()
                    .filter(|(_, v)| v.flat() == "true")
                    .map(|(key, _)| key.clone())
                    .collect(),
                other => vec![other.flat()],
            };
            if members.is_empty() {
                PartyValue::Empty
            } else if field == "roles" {
                PartyValue::Roles(members)
            } else {
                PartyValue::Values(members)
            }
        }
        "kind" => match flat.as_str() {
            "Organisation" => PartyValue::Kind(crate::model::PartyKind::Organisation),
            "Person" => PartyValue::Kind(crate::model::PartyKind::Person),
            _ => PartyValue::Text(flat),
        },
        "owner" => flat.parse().map_or(PartyValue::Text(flat), PartyValue::Member),
        "keep_in_touch_days" => flat.parse().map_or(PartyValue::Text(flat), PartyValue::Days),
        "relations" => PartyValue::Relations(
            value
                .items()
                .iter()
                .filter_map(|link| {
                    Some((link.entry("kind"), link.entry("to").parse().ok()?, link.entry("title")))
                })
                .collect(),
        ),
        "custom" => PartyValue::Custom(match value {
            Rendered::Map(entries) => entries
                .iter()
                .map(|(id, typed)| {
                    // Stored as `{ Variant: value }`: the value is what was entered.
                    let text = match typed {
                        Rendered::Map(variant) => {
                            variant.first().map(|(_, v)| v.flat()).unwrap_or_default()
                        }
                        other => other.flat(),
                    };
                    (id.clone(), text)
                })
                .filter(|(_, text)| !text.is_empty())
                .collect(),
            _ => Vec::new(),
        }),
        "consent" => PartyValue::Consent(match value {
            Rendered::Map(entries) => entries
                .iter()
                .filter_map(|(question, answer)| match answer.flat().as_str() {
                    "true" => Some((question.clone(), true)),
                    "false" => Some((question.clone(), false)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }),
        _ => PartyValue::Text(flat),
    }
}

/// The document as it was at `at`: every change made at or before that time whose dependencies are
/// also included (a change never appears without what it built on).
pub fn as_of(doc: &mut AutoCommit, at: Timestamp) -> Result<AutoCommit, automerge::AutomergeError> {
    let mut included: BTreeSet<ChangeHash> = BTreeSet::new();
    let mut depended_on: BTreeSet<ChangeHash> = BTreeSet::new();
    for change in doc.get_changes(&[]) {
        if change_time(change.timestamp()) <= at
            && change.deps().iter().all(|d| included.contains(d))
        {
            included.insert(change.hash());
            depended_on.extend(change.deps().iter().copied());
        }
    }
    let heads: Vec<ChangeHash> = included.difference(&depended_on).copied().collect();
    doc.fork_at(&heads)
}

/// Puts field `field` of record `key` back to its value at `heads` (a history entry's `before`): the
/// value is copied as it was — text, lists and maps included — so the restore is an ordinary change that
/// syncs and merges like any edit. A field that did not exist then is removed. Returns whether the
/// record exists now.
pub fn restore_field(
    doc: &mut AutoCommit,
    key: &str,
    field: &str,
    heads: &[ChangeHash],
) -> Result<bool, automerge::AutomergeError> {
    let Some((_, record)) = doc.get(automerge::ROOT, key)? else { return Ok(false) };
    let then = match doc.get_at(automerge::ROOT, key, heads)? {
        Some((_, old_record)) => {
            doc.get_at(&old_record, field, heads)?.map(|(value, id)| (value.to_owned(), id))
        }
        None => None,
    };
    match then {
        None => doc.delete(&record, field)?,
        Some((value, id)) => {
            copy_value(doc, &record, Prop::Map(field.to_owned()), value, &id, heads)?
        }
    }
    Ok(true)
}

/// Writes `value` (as read at `heads`, object id `id`) to `prop` of `target`, recursively.
fn copy_value(
    doc: &mut AutoCommit,
    target: &ObjId,
    prop: Prop,
    value: Value<'static>,
    id: &ObjId,
    heads: &[ChangeHash],
) -> Result<(), automerge::AutomergeError> {
    let kind = match value {
        Value::Scalar(scalar) => {
            match prop {
                Prop::Map(key) => doc.put(target, key, scalar.into_owned())?,
                Prop::Seq(index) => doc.insert(target, index, scalar.into_owned())?,
            }
            return Ok(());
        }
        Value::Object(kind) => kind,
    };
    let created = match prop {
        Prop::Map(key) => doc.put_object(target, key, kind)?,
        Prop::Seq(index) => doc.insert_object(target, index, kind)?,
    };
    match kind {
        ObjType::Text => {
            let text = doc.text_at(id, heads)?;
            doc.splice_text(&created, 0, 0, &text)?;
        }
        ObjType::List => {
            let items: Vec<(Value<'static>, ObjId)> = doc
                .list_range_at(id, .., heads)
                .map(|item| (Value::from(item.value.clone()).to_owned(), item.id()))
                .collect();
            for (index, (item, item_id)) in items.into_iter().enumerate() {
                copy_value(doc, &created, Prop::Seq(index), item, &item_id, heads)?;
            }
        }
        ObjType::Map | ObjType::Table => {
            let entries: Vec<(String, Value<'static>, ObjId)> = doc
                .map_range_at(id, .., heads)
                .map(|item| {
                    (item.key.to_string(), Value::from(item.value.clone()).to_owned(), item.id())
                })
                .collect();
            for (key, item, item_id) in entries {
                copy_value(doc, &created, Prop::Map(key), item, &item_id, heads)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document;
    use crate::model::Party;

    fn member(n: u8) -> MemberId {
        MemberId::from_bytes([n; 16])
    }

    fn history_doc() -> AutoCommit {
        let mut doc = document::new_document();
        let party = Party {
            name: "Acme".into(),
            created_at: Timestamp(1_000_000_000_000),
            ..Party::default()
        };
        document::put(&mut doc, "p", &party).unwrap();
        commit(&mut doc, Some(member(1)), Timestamp(1_000_000_000_000));
        document::update(&mut doc, "p", |p: &mut Party| p.name = "Acme Ltd".into()).unwrap();
        commit(&mut doc, Some(member(2)), Timestamp(1_000_000_060_000));
        document::update(&mut doc, "p", |p: &mut Party| {
            p.tags.insert("vip".into(), true);
            p.keep_in_touch_days = Some(30);
        })
        .unwrap();
        commit(&mut doc, Some(member(1)), Timestamp(1_000_000_120_000));
        doc
    }

    #[test]
    fn history_lists_who_changed_which_field_from_what_to_what() {
        let mut doc = history_doc();
        let history = field_history(&mut doc, "p");
        let rename = history.iter().find(|c| c.field == "name" && c.old.is_some()).unwrap();
        assert_eq!(rename.old.as_deref(), Some("Acme"));
        assert_eq!(rename.new.as_deref(), Some("Acme Ltd"));
        assert_eq!(rename.by, Some(member(2)));
        assert_eq!(rename.at, Timestamp(1_000_000_060_000));
        let tags =
            history.iter().find(|c| c.field == "tags" && c.new.as_deref() == Some("vip")).unwrap();
        assert_eq!(tags.by, Some(member(1)));
        let cadence = history.iter().find(|c| c.field == "keep_in_touch_days").unwrap();
        assert_eq!((cadence.old.as_deref(), cadence.new.as_deref()), (None, Some("30")));
        let created = history.iter().find(|c| c.field == "name" && c.old.is_none()).unwrap();
        assert_eq!(created.new.as_deref(), Some("Acme"));
    }

    #[test]
    fn a_change_is_read_in_the_shape_people_read_it() {
        let mut doc = history_doc();
        let org = crate::ids::PartyId::from_bytes([5; 16]);
        document::update(&mut doc, "p", |p: &mut Party| {
            p.emails.push(crate::model::ContactPoint {
                label: "work".into(),
                value: "zoe.first@example.test".into(),
            });
            p.roles.insert("customer".into(), true);
            p.kind = crate::model::PartyKind::Organisation;
            p.owner = Some(member(3));
            p.relations.insert(
                "l".into(),
                crate::model::PartyLink {
                    to: org,
                    kind: crate::model::LinkKind::WorksAt,
                    title: "CFO".into(),
                },
            );
            p.files.insert(
                "ab".repeat(32),
                crate::model::Attachment { name: "Offer.pdf".into(), ..Default::default() },
            );
        })
        .unwrap();
        commit(&mut doc, Some(member(1)), Timestamp(1_000_000_180_000));
        document::update(&mut doc, "p", |p: &mut Party| {
            p.emails[0].value = "zoe.second@example.test".into();
            p.owner = None;
        })
        .unwrap();
        commit(&mut doc, Some(member(1)), Timestamp(1_000_000_240_000));
        let history = field_history(&mut doc, "p");
        let email = history.iter().rfind(|c| c.field == "emails").unwrap();
        assert_eq!(
            party_value("emails", email.old_value.as_ref()),
            PartyValue::Values(vec!["zoe.first@example.test".into()])
        );
        assert_eq!(
            party_value("emails", email.new_value.as_ref()),
            PartyValue::Values(vec!["zoe.second@example.test".into()])
        );
        // The first value each field was given.
        let value = |field: &str| {
            history
                .iter()
                .filter(|c| c.field == field)
                .map(|c| party_value(field, c.new_value.as_ref()))
                .find(|v| *v != PartyValue::Empty)
                .unwrap()
        };
        assert_eq!(value("roles"), PartyValue::Roles(vec!["customer".into()]));
        let kind = history.iter().rfind(|c| c.field == "kind").unwrap();
        assert_eq!(
            party_value("kind", kind.new_value.as_ref()),
            PartyValue::Kind(crate::model::PartyKind::Organisation)
        );
        assert_eq!(value("owner"), PartyValue::Member(member(3)));
        assert_eq!(value("keep_in_touch_days"), PartyValue::Days(30));
        assert_eq!(value("files"), PartyValue::Values(vec!["Offer.pdf".into()]));
        assert_eq!(
            value("relations"),
            PartyValue::Relations(vec![("WorksAt".into(), org, "CFO".into())])
        );
        let owner = history.iter().rfind(|c| c.field == "owner").unwrap();
        assert_eq!(party_value("owner", owner.new_value.as_ref()), PartyValue::Empty);
        assert_eq!(party_value("tags", None), PartyValue::Empty);
    }

    #[test]
    fn as_of_shows_the_record_as_it_was() {
        let mut doc = history_doc();
        let then = as_of(&mut doc, Timestamp(1_000_000_030_000)).unwrap();
        let party: Party = document::get(&then, "p").unwrap().unwrap();
        assert_eq!(party.name, "Acme");
        let later = as_of(&mut doc, Timestamp(1_000_000_090_000)).unwrap();
        let party: Party = document::get(&later, "p").unwrap().unwrap();
        assert_eq!(party.name, "Acme Ltd");
        assert!(party.tags.is_empty());
        let before = as_of(&mut doc, Timestamp(0)).unwrap();
        assert_eq!(document::get::<_, Party>(&before, "p").unwrap(), None);
    }

    #[test]
    fn an_earlier_value_is_restored_as_a_new_change() {
        let mut doc = history_doc();
        document::update(&mut doc, "p", |p: &mut Party| {
            p.emails.push(crate::model::ContactPoint {
                label: "work".into(),
                value: "a@acme.de".into(),
            });
            p.notes = autosurgeon::Text::with_value("first note");
        })
        .unwrap();
        commit(&mut doc, Some(member(1)), Timestamp(1_000_000_180_000));
        document::update(&mut doc, "p", |p: &mut Party| {
            p.name = "ACME Holding".into();
            p.emails.clear();
            p.notes.update("second");
        })
        .unwrap();
        commit(&mut doc, Some(member(2)), Timestamp(1_000_000_240_000));
        let history = field_history(&mut doc, "p");
        let last = |field: &str| history.iter().rev().find(|c| c.field == field).unwrap().clone();
        for field in ["name", "emails", "notes"] {
            assert!(restore_field(&mut doc, "p", field, &last(field).before).unwrap());
        }
        // The tags added before that stay; a field that did not exist before its first change goes.
        let cadence = history.iter().find(|c| c.field == "keep_in_touch_days").unwrap().clone();
        restore_field(&mut doc, "p", "keep_in_touch_days", &cadence.before).unwrap();
        commit(&mut doc, Some(member(1)), Timestamp(1_000_000_300_000));
        let party: Party = document::get(&doc, "p").unwrap().unwrap();
        assert_eq!(party.name, "Acme Ltd");
        assert_eq!(
            party.emails.iter().map(|e| e.value.as_str()).collect::<Vec<_>>(),
            ["a@acme.de"]
        );
        assert_eq!(party.notes.as_str(), "first note");
        assert_eq!(party.keep_in_touch_days, None);
        assert!(party.tags.contains_key("vip"));
        assert!(!restore_field(&mut doc, "missing", "name", &[]).unwrap());
        // The restore is history too.
        let after = field_history(&mut doc, "p");
        let restored = after.iter().rev().find(|c| c.field == "name").unwrap();
        assert_eq!(restored.new.as_deref(), Some("Acme Ltd"));
        assert_eq!(restored.by, Some(member(1)));
    }

    #[test]
    fn change_times_in_seconds_are_recognised() {
        assert_eq!(change_time(1_700_000_000), Timestamp(1_700_000_000_000));
        assert_eq!(change_time(1_700_000_000_000), Timestamp(1_700_000_000_000));
    }
}
