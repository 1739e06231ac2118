//! Records read from Automerge's one-pass `hydrate`, for deriving rows.
//!
//! autosurgeon's `Hydrate` looks every field of every record up in Automerge's compressed op columns
//! (about 45 µs a record natively, most of a new device's pull); Automerge's own `hydrate` walks a
//! document once and hands back plain values (about 10 µs a record). [`FromHydrated`] reads the record
//! types from those values **exactly as autosurgeon's derived `Hydrate` reads them from the document**:
//! the same required and defaulted fields, the same scalar types, the first present variant of an enum
//! with data. It is strict: anything else answers `None`, and the caller reads that record with
//! autosurgeon, which says what is wrong with it. The tests hold the two ways equal, record for record.
//!
//! For rows only: a `Text` read here is detached from its document and must never be written back (a
//! detached text replaces the whole text instead of merging).

use std::collections::BTreeMap;
use std::str::FromStr;

use automerge::ScalarValue;
use automerge::hydrate::Value;
use autosurgeon::Text;

use crate::ids::{
    ArticleId, ContractId, DealId, GoalId, InteractionId, MemberId, PartyId, PipelineId, RoundId,
    StageId, TaskId, TeamId, TenderId, TicketId, Timestamp,
};
use crate::model::{
    Address, Article, Attachment, Billing, Campaign, Certification, Channel, CheckIn, Closing,
    Consent, ConsentNote, ContactPoint, Contract, ContractKind, CustomValue, Deal, DealStatus,
    Employment, Erasure, Escalated, Feedback, GeoPoint, Goal, Hold, Interaction, InteractionKind,
    KeyResult, Kudos, LinkKind, MailLink, Meeting, MessageKind, Money, Obligation, OneOnOne, Party,
    PartyKind, PartyLink, Purchase, PurchaseLine, PurchaseStatus, Rating, RecordRef, Recurrence,
    RecurrenceUnit, ReviewCycle, Span, SpanUnit, StageChange, Standing, StatusChange, Survey,
    SurveyQuestion, TalkingPoint, Task, TermsChange, Ticket, TicketMessage, TicketPriority,
    Training,
};

/// A type read from a hydrated value as autosurgeon would read it from the document.
pub(crate) trait FromHydrated: Sized {
    fn from_hydrated(value: &Value) -> Option<Self>;

    /// What a field that is not there reads as, when the field has no `missing` default: autosurgeon
    /// fails for every type here.
    fn absent() -> Option<Self> {
        None
    }
}

fn scalar(value: &Value) -> Option<&ScalarValue> {
    match value {
        Value::Scalar(scalar) => Some(scalar),
        _ => None,
    }
}

impl FromHydrated for String {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match scalar(value)? {
            ScalarValue::Str(text) => Some(text.to_string()),
            _ => None,
        }
    }
}

impl FromHydrated for bool {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match scalar(value)? {
            ScalarValue::Boolean(flag) => Some(*flag),
            _ => None,
        }
    }
}

impl FromHydrated for i64 {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match scalar(value)? {
            ScalarValue::Int(number) => Some(*number),
            _ => None,
        }
    }
}

impl FromHydrated for u32 {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match scalar(value)? {
            ScalarValue::Uint(number) => u32::try_from(*number).ok(),
            _ => None,
        }
    }
}

impl FromHydrated for u64 {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match scalar(value)? {
            ScalarValue::Uint(number) => Some(*number),
            _ => None,
        }
    }
}

impl FromHydrated for u8 {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match scalar(value)? {
            ScalarValue::Uint(number) => u8::try_from(*number).ok(),
            _ => None,
        }
    }
}

impl FromHydrated for f64 {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match scalar(value)? {
            ScalarValue::F64(number) => Some(*number),
            _ => None,
        }
    }
}

impl FromHydrated for Timestamp {
    fn from_hydrated(value: &Value) -> Option<Self> {
        i64::from_hydrated(value).map(Timestamp)
    }
}

impl FromHydrated for Text {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match value {
            Value::Text(text) => Some(Text::with_value(String::from(text))),
            _ => None,
        }
    }
}

impl<T: FromHydrated> FromHydrated for Option<T> {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match value {
            Value::Scalar(ScalarValue::Null) => Some(None),
            other => T::from_hydrated(other).map(Some),
        }
    }
}

impl<T: FromHydrated> FromHydrated for Vec<T> {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match value {
            Value::List(list) => list.iter().map(|item| T::from_hydrated(&item.value)).collect(),
            _ => None,
        }
    }
}

impl<T: FromHydrated> FromHydrated for BTreeMap<String, T> {
    fn from_hydrated(value: &Value) -> Option<Self> {
        match value {
            Value::Map(map) => map
                .iter()
                .map(|(key, item)| Some((key.clone(), T::from_hydrated(&item.value)?)))
                .collect(),
            _ => None,
        }
    }
}

/// Ids are stored as their text.
macro_rules! id_from_text {
    ($($id:ty),*) => {$(
        impl FromHydrated for $id {
            fn from_hydrated(value: &Value) -> Option<Self> {
                match scalar(value)? {
                    ScalarValue::Str(text) => <$id>::from_str(text).ok(),
                    _ => None,
                }
            }
        }
    )*};
}

id_from_text!(
    PartyId,
    MemberId,
    DealId,
    TaskId,
    TicketId,
    ContractId,
    PipelineId,
    StageId,
    TeamId,
    ArticleId,
    TenderId,
    RoundId,
    GoalId,
    InteractionId
);

/// A struct stored as a map: `required` fields fail when absent, `defaulted` ones (autosurgeon's
/// `missing = "Default::default"`) read as their default.
macro_rules! struct_from_map {
    ($ty:ident { required: [$($required:ident),*], defaulted: [$($defaulted:ident),*] $(,)? }) => {
        impl FromHydrated for $ty {
            fn from_hydrated(value: &Value) -> Option<Self> {
                let Value::Map(map) = value else { return None };
                Some($ty {
                    $($required: match map.get(stringify!($required)) {
                        Some(field) => FromHydrated::from_hydrated(field)?,
                        None => FromHydrated::absent()?,
                    },)*
                    $($defaulted: match map.get(stringify!($defaulted)) {
                        Some(field) => FromHydrated::from_hydrated(field)?,
                        None => Default::default(),
                    },)*
                })
            }
        }
    };
}

/// An enum of unit variants, stored as the variant's name.
macro_rules! enum_from_name {
    ($ty:ident { $($variant:ident),* $(,)? }) => {
        impl FromHydrated for $ty {
            fn from_hydrated(value: &Value) -> Option<Self> {
                match scalar(value)? {
                    ScalarValue::Str(name) => match name.as_str() {
                        $(stringify!($variant) => Some($ty::$variant),)*
                        _ => None,
                    },
                    _ => None,
                }
            }
        }
    };
}

/// An enum of one-value variants, stored as a map from the variant's name to its value; autosurgeon
/// takes the first variant (in declaration order) whose name is a key.
macro_rules! enum_from_tagged_map {
    ($ty:ident { $($variant:ident),* $(,)? }) => {
        impl FromHydrated for $ty {
            fn from_hydrated(value: &Value) -> Option<Self> {
                let Value::Map(map) = value else { return None };
                $(if let Some(inner) = map.get(stringify!($variant)) {
                    return FromHydrated::from_hydrated(inner).map($ty::$variant);
                })*
                None
            }
        }
    };
}

struct_from_map!(Party {
    required: [kind, name, created_at],
    defaulted: [
        given_name,
        family_name,
        roles,
        emails,
        phones,
        addresses,
        links,
        tags,
        owner,
        custom,
        consent,
        relations,
        keep_in_touch_days,
        birthday,
        anniversary,
        notes,
        files,
        supplies,
        payment_terms,
        certifications,
        hold,
        employment,
        archived,
        merged_into,
        erased
    ],
});
struct_from_map!(Employment {
    required: [],
    defaulted: [title, team, manager, member, start_date, skills, trainings],
});
struct_from_map!(Training { required: [name], defaulted: [completed, expires, archived] });
struct_from_map!(OneOnOne {
    required: [manager, report, every_weeks, created_at],
    defaulted: [next, points, meetings, archived],
});
struct_from_map!(TalkingPoint {
    required: [text, by, at],
    defaulted: [done, meeting, task, position]
});
struct_from_map!(Meeting { required: [day, by, at], defaulted: [] });
struct_from_map!(Kudos { required: [from, to, message, at], defaulted: [value, archived] });
struct_from_map!(Survey {
    required: [title, questions, k, starts, open_days, created_by, created_at],
    defaulted: [teams, batch, every_weeks, stopped_at],
});
struct_from_map!(SurveyQuestion { required: [key, text, kind], defaulted: [options] });
struct_from_map!(Goal {
    required: [title, created_by, created_at],
    defaulted: [team, owner, parent, due, key_results, check_ins, archived],
});
struct_from_map!(KeyResult {
    required: [title, start, target],
    defaulted: [unit, position, archived]
});
struct_from_map!(ReviewCycle {
    required: [title, template, kinds, questions, participants, k, closes, created_by, created_at],
    defaulted: [upward_questions, peers, closed_at],
});
/// Segments are few, and their rules nest enums with fields, which the macros here do not read:
/// autosurgeon reads them.
impl FromHydrated for crate::model::Segment {
    fn from_hydrated(_: &Value) -> Option<Self> {
        None
    }
}
/// Sequences are few: autosurgeon reads them.
impl FromHydrated for crate::model::Sequence {
    fn from_hydrated(_: &Value) -> Option<Self> {
        None
    }
}
/// Automation rules are few: autosurgeon reads them.
impl FromHydrated for crate::model::Automation {
    fn from_hydrated(_: &Value) -> Option<Self> {
        None
    }
}
struct_from_map!(Campaign {
    required: [name, created_at],
    defaulted: [
        subject,
        body,
        include,
        exclude,
        consented_only,
        send_at,
        per_hour,
        scheduled_for,
        paced,
        sent_at,
        sent_by,
        round,
        recipients,
        sent_subject,
        sent_body,
        subject_b,
        test_percent,
        sent_subject_b,
        got_a,
        got_b,
        winner_subject,
        winner_sent_at,
        created_by,
        archived
    ],
});
struct_from_map!(CheckIn { required: [at, by, confidence], defaulted: [values, note] });
struct_from_map!(Certification { required: [name, expires], defaulted: [file] });
struct_from_map!(Hold { required: [standing, reason, by, at], defaulted: [] });
enum_from_name!(Standing { Ok, Watch, Blocked });
enum_from_name!(PartyKind { Person, Organisation });
struct_from_map!(ContactPoint { required: [label, value], defaulted: [] });
struct_from_map!(Address {
    required: [label, street, city, region, postcode, country],
    defaulted: [],
});
struct_from_map!(Consent {
    required: [email_marketing, phone_calls, data_processing],
    defaulted: [recorded],
});
struct_from_map!(ConsentNote { required: [at, by, source], defaulted: [] });
struct_from_map!(Erasure { required: [at, by], defaulted: [] });
enum_from_tagged_map!(CustomValue { Text, Number, Date, Choice, Boolean });
struct_from_map!(Attachment {
    required: [name, content_type, size, added_at],
    defaulted: [added_by, thumbnail],
});
struct_from_map!(PartyLink { required: [to, kind, title], defaulted: [] });
enum_from_name!(LinkKind { WorksAt, ReportsTo, IntroducedBy, SubsidiaryOf, Other });

struct_from_map!(Task {
    required: [title, created_at],
    defaulted: [due, assignee, links, done_at, recurrence, snoozed_until, archived],
});
enum_from_tagged_map!(RecordRef { Party, Deal, Ticket, Contract });
struct_from_map!(Recurrence { required: [every, unit], defaulted: [day] });
enum_from_name!(RecurrenceUnit { Day, Week, Month });

struct_from_map!(Deal {
    required: [title, pipeline, stage, amount, status, created_at],
    defaulted: [
        expected_close,
        owner,
        parties,
        lost_reason,
        stage_history,
        closed_at,
        closings,
        terms_history,
        files,
        archived,
        round,
        soft_circled,
        committed
    ],
});
struct_from_map!(Money { required: [minor, currency], defaulted: [] });
enum_from_name!(DealStatus { Open, Won, Lost });
struct_from_map!(StageChange { required: [stage, at, by], defaulted: [] });
struct_from_map!(Closing { required: [at, status], defaulted: [] });
struct_from_map!(TermsChange { required: [at, amount, expected_close], defaulted: [] });

struct_from_map!(Ticket {
    required: [
        subject,
        description,
        channel,
        priority,
        status,
        tags,
        messages,
        status_log,
        created_at
    ],
    defaulted: [
        party,
        deal,
        contract,
        team,
        assignee,
        files,
        created_by,
        archived,
        rating,
        escalations
    ],
});
struct_from_map!(Rating { required: [score, comment, at], defaulted: [] });
struct_from_map!(Escalated {
    required: [key, rule, rule_name, metric, due, at, by],
    defaulted: []
});
enum_from_name!(Channel { Email, Phone, Visit, WebForm });
enum_from_name!(TicketPriority { Low, Normal, High, Urgent });
struct_from_map!(Article {
    required: [title, category, body, published, created_at, updated_at],
    defaulted: [created_by, updated_by, archived],
});
struct_from_map!(Contract {
    required: [party, title, kind, value, billing, starts, created_at],
    defaulted: [
        ends,
        notice,
        renewal,
        notice_given,
        signed,
        owner,
        remind_days,
        obligations,
        notes,
        files,
        archived
    ],
});
enum_from_name!(ContractKind { Customer, Supplier, Investor, Employment });
enum_from_name!(Billing { Once, Monthly, Quarterly, Yearly });
struct_from_map!(Span { required: [count, unit], defaulted: [] });
enum_from_name!(SpanUnit { Days, Months });
struct_from_map!(Purchase {
    required: [supplier, title, currency, lines, status, created_at],
    defaulted: [tender, promised, delivered, rejected, ordered_at, owner, notes, files, archived],
});
struct_from_map!(PurchaseLine { required: [item, quantity], defaulted: [price, position] });
enum_from_name!(PurchaseStatus { Requested, Ordered, Cancelled });

/// Feedback is read with autosurgeon: its kinds carry data, and there is little of it.
impl FromHydrated for Feedback {
    fn from_hydrated(_: &Value) -> Option<Self> {
        None
    }
}
/// Rounds and investor updates are few: autosurgeon reads them.
impl FromHydrated for crate::model::Round {
    fn from_hydrated(_: &Value) -> Option<Self> {
        None
    }
}
impl FromHydrated for crate::model::InvestorUpdate {
    fn from_hydrated(_: &Value) -> Option<Self> {
        None
    }
}
impl FromHydrated for crate::model::InvestorEvent {
    fn from_hydrated(_: &Value) -> Option<Self> {
        None
    }
}
struct_from_map!(Obligation { required: [title, due, done], defaulted: [] });
struct_from_map!(TicketMessage { required: [kind, author, at, text], defaulted: [mail] });
struct_from_map!(MailLink { required: [id, address], defaulted: [] });
enum_from_name!(MessageKind { Customer, Reply, Internal });
struct_from_map!(StatusChange { required: [status, at, by], defaulted: [] });

struct_from_map!(Interaction {
    required: [kind, at],
    defaulted: [
        parties, members, summary, notes, outcome, location, follow_up, author, archived, answers,
        automatic
    ],
});
enum_from_name!(InteractionKind { Call, Meeting, Visit, Email, Message, Note });
struct_from_map!(GeoPoint { required: [latitude, longitude, accuracy_m], defaulted: [] });

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
    use autosurgeon::Hydrate;

    use super::*;
    use crate::demo::{self, DemoSizes};
    use crate::document;
    use crate::ids::{FieldId, InteractionId, LinkId};
    use crate::layout::DocKey;

    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    /// How record `key` of `doc` reads both ways: `None` for autosurgeon means it failed.
    fn both<R: Hydrate + FromHydrated>(doc: &AutoCommit, key: &str) -> (Option<R>, Option<R>) {
        let Ok(Value::Map(whole)) = doc.hydrate(ROOT, None) else { panic!("a map at the root") };
        let fast = R::from_hydrated(whole.get(key).expect("the record"));
        let slow = document::get::<_, R>(doc, key).ok().flatten();
        (fast, slow)
    }

    fn same<R: Hydrate + FromHydrated + PartialEq + std::fmt::Debug>(doc: &AutoCommit, key: &str) {
        let (fast, slow) = both::<R>(doc, key);
        assert!(slow.is_some(), "autosurgeon reads {key}");
        assert_eq!(fast, slow, "record {key}");
    }

    fn refused<R: Hydrate + FromHydrated + std::fmt::Debug>(doc: &AutoCommit, key: &str) {
        let (fast, slow) = both::<R>(doc, key);
        assert!(slow.is_none(), "autosurgeon refuses {key}");
        assert!(fast.is_none(), "and so does the one-pass read of {key}: {fast:?}");
    }

    #[test]
    fn every_demo_record_reads_as_autosurgeon_reads_it() {
        let sizes = DemoSizes {
            parties: 300,
            interactions: 900,
            deals: 60,
            tasks: 120,
            tickets: 120,
            contracts: 4,
            suppliers: 3,
        };
        let documents = demo::generate(5, sizes, NOW).to_documents().expect("documents");
        let mut read = 0;
        for (key, doc) in &documents {
            // Besides its records, a document holds its own description under "rapport".
            for record in document::keys(doc).into_iter().filter(|key| key != "rapport") {
                match key {
                    DocKey::Shard { collection: crate::layout::Collection::Parties, .. } => {
                        same::<Party>(doc, &record)
                    }
                    DocKey::Shard { collection: crate::layout::Collection::Tasks, .. } => {
                        same::<Task>(doc, &record)
                    }
                    DocKey::Shard { collection: crate::layout::Collection::Deals, .. } => {
                        same::<Deal>(doc, &record)
                    }
                    DocKey::Shard { collection: crate::layout::Collection::Tickets, .. } => {
                        same::<Ticket>(doc, &record)
                    }
                    DocKey::Shard { collection: crate::layout::Collection::Articles, .. } => {
                        same::<Article>(doc, &record)
                    }
                    DocKey::Shard { collection: crate::layout::Collection::Contracts, .. } => {
                        same::<Contract>(doc, &record)
                    }
                    DocKey::Shard { collection: crate::layout::Collection::Purchases, .. } => {
                        same::<Purchase>(doc, &record)
                    }
                    DocKey::Interactions(_) => same::<Interaction>(doc, &record),
                    _ => continue,
                }
                read += 1;
            }
        }
        // Three suppliers' year of orders, and a tender to them.
        let purchases = 3 * 12 + 3;
        assert_eq!(
            read,
            300 + 900 + 60 + 120 + 120 + 4 + 4 + purchases,
            "articles, contracts and purchases too"
        );
    }

    fn written<R: autosurgeon::Reconcile>(records: &[(&str, &R)]) -> AutoCommit {
        let mut doc = document::new_document();
        for (key, record) in records {
            document::put(&mut doc, key, *record).expect("put");
        }
        doc.commit();
        doc
    }

    #[test]
    fn goals_and_surveys_read_as_autosurgeon_reads_them() {
        let member = MemberId::from_bytes([2; 16]);
        let check_in = crate::model::CheckIn {
            at: Timestamp(5),
            by: member,
            values: [("a".to_owned(), 2.0)].into_iter().collect(),
            confidence: 7,
            note: "Good".into(),
        };
        let full = Goal {
            title: "Double ARR".into(),
            team: "Sales".into(),
            owner: Some(PartyId::from_bytes([1; 16])),
            parent: Some(GoalId::from_bytes([3; 16])),
            due: "2027-03-31".into(),
            key_results: [(
                "a".to_owned(),
                KeyResult {
                    title: "ARR".into(),
                    start: 1.0,
                    target: 2.0,
                    unit: "M€".into(),
                    position: 4,
                    archived: true,
                },
            )]
            .into_iter()
            .collect(),
            check_ins: [("c".to_owned(), check_in.clone())].into_iter().collect(),
            created_by: member,
            created_at: Timestamp(1),
            archived: true,
        };
        let sparse = Goal {
            team: String::new(),
            owner: None,
            parent: None,
            due: String::new(),
            key_results: Default::default(),
            check_ins: [(
                "c".to_owned(),
                crate::model::CheckIn {
                    values: Default::default(),
                    note: String::new(),
                    ..check_in
                },
            )]
            .into_iter()
            .collect(),
            archived: false,
            ..full.clone()
        };
        let doc = written(&[("full", &full), ("sparse", &sparse)]);
        same::<Goal>(&doc, "full");
        same::<Goal>(&doc, "sparse");
        let survey = crate::model::Survey {
            title: "Pulse".into(),
            questions: crate::pulse::starter_questions("a", "b", "c"),
            teams: vec!["Sales".into()],
            k: 5,
            batch: 5,
            starts: Timestamp(9),
            every_weeks: 1,
            open_days: 3,
            created_by: member,
            created_at: Timestamp(1),
            stopped_at: Some(Timestamp(10)),
        };
        let doc = written(&[("survey", &survey)]);
        same::<crate::model::Survey>(&doc, "survey");
        let cycle = ReviewCycle {
            title: "Q1".into(),
            template: "quarterly".into(),
            kinds: vec!["self".into(), "upward".into()],
            questions: crate::pulse::starter_questions("a", "b", "c"),
            upward_questions: crate::pulse::starter_questions("d", "e", "f"),
            participants: [(member.to_string(), String::new())].into_iter().collect(),
            peers: [("a/b".to_owned(), true)].into_iter().collect(),
            k: 3,
            closes: Timestamp(20),
            closed_at: Some(Timestamp(15)),
            created_by: member,
            created_at: Timestamp(1),
        };
        let sparse = ReviewCycle {
            upward_questions: Vec::new(),
            peers: Default::default(),
            closed_at: None,
            ..cycle.clone()
        };
        let doc = written(&[("full", &cycle), ("sparse", &sparse)]);
        same::<ReviewCycle>(&doc, "full");
        same::<ReviewCycle>(&doc, "sparse");
    }

    #[test]
    fn every_field_of_every_kind_reads_as_autosurgeon_reads_it() {
        let org = PartyId::from_bytes([1; 16]);
        let member = MemberId::from_bytes([2; 16]);
        let mut full = Party {
            kind: PartyKind::Person,
            name: "Zoë Ångström".into(),
            given_name: "Zoë".into(),
            family_name: "Ångström".into(),
            emails: vec![ContactPoint { label: "work".into(), value: "zoe@example.com".into() }],
            phones: vec![ContactPoint { label: "mobile".into(), value: "+49 170 1".into() }],
            addresses: vec![Address {
                label: "home".into(),
                street: "Hauptstraße 1".into(),
                city: "Köln".into(),
                region: "NRW".into(),
                postcode: "50667".into(),
                country: "DE".into(),
            }],
            links: vec![ContactPoint { label: "web".into(), value: "https://zoe.example".into() }],
            owner: Some(member),
            consent: Consent {
                email_marketing: Some(true),
                phone_calls: Some(false),
                data_processing: None,
                recorded: [(
                    "phone_calls".to_owned(),
                    crate::model::ConsentNote { at: NOW, by: Some(member), source: "call".into() },
                )]
                .into(),
            },
            keep_in_touch_days: Some(30),
            birthday: "--02-29".into(),
            anniversary: "2020-06-01".into(),
            notes: Text::with_value("Met at the fair.\nLikes tea."),
            created_at: NOW,
            merged_into: Some(org),
            erased: Some(crate::model::Erasure { at: NOW, by: None }),
            ..Party::default()
        };
        full.files.insert(
            "ef".repeat(32),
            Attachment {
                name: "photo.jpg".into(),
                content_type: "image/jpeg".into(),
                size: 123_456,
                added_at: NOW,
                added_by: Some(member),
                thumbnail: Some("01".repeat(32)),
            },
        );
        full.files.insert(
            "02".repeat(32),
            Attachment {
                name: "notes.txt".into(),
                size: 3,
                added_at: NOW,
                ..Attachment::default()
            },
        );
        full.set_role(crate::model::Role::Customer, true);
        full.supplies.insert("furniture".into(), true);
        full.payment_terms = "30 days net".into();
        full.certifications.insert(
            "c1".into(),
            Certification { name: "ISO 9001".into(), expires: "2027-01-31".into(), file: None },
        );
        full.certifications.insert(
            "c2".into(),
            Certification {
                name: "Licence".into(),
                expires: String::new(),
                file: Some("ab".into()),
            },
        );
        full.hold = Some(Hold {
            standing: Standing::Watch,
            reason: "Late twice".into(),
            by: None,
            at: NOW,
        });
        full.employment = Employment {
            title: "Engineer".into(),
            team: "Platform".into(),
            manager: Some(org),
            member: Some(MemberId::from_bytes([4; 16])),
            start_date: "2024-03-01".into(),
            skills: [("Rust".to_owned(), 4)].into(),
            trainings: [(
                "t".to_owned(),
                Training {
                    name: "First aid".into(),
                    completed: "2025-01-10".into(),
                    expires: "2027-01-09".into(),
                    archived: true,
                },
            )]
            .into(),
        };
        full.tags.insert("vip".into(), true);
        full.tags.insert("gone".into(), false);
        full.link(
            LinkId::from_bytes([3; 16]),
            PartyLink { to: org, kind: LinkKind::WorksAt, title: "CFO".into() },
        );
        for (n, value) in [
            CustomValue::Text("t".into()),
            CustomValue::Number(1.5),
            CustomValue::Date("2026-01-31".into()),
            CustomValue::Choice("gold".into()),
            CustomValue::Boolean(true),
        ]
        .into_iter()
        .enumerate()
        {
            full.set_custom(FieldId::from_bytes([10 + n as u8; 16]), value);
        }
        let sparse =
            Party { name: "Acme".into(), kind: PartyKind::Organisation, ..Party::default() };
        let doc = written(&[("full", &full), ("sparse", &sparse)]);
        same::<Party>(&doc, "full");
        same::<Party>(&doc, "sparse");

        let task = Task {
            title: "Call back".into(),
            due: Some(NOW),
            assignee: Some(member),
            links: vec![
                RecordRef::Party(org),
                RecordRef::Deal(DealId::from_bytes([4; 16])),
                RecordRef::Ticket(TicketId::from_bytes([5; 16])),
                RecordRef::Contract(ContractId::from_bytes([6; 16])),
            ],
            done_at: None,
            recurrence: Some(Recurrence { every: 1, unit: RecurrenceUnit::Month, day: Some(31) }),
            snoozed_until: Some(NOW),
            created_at: NOW,
            archived: true,
        };
        same::<Task>(&written(&[("task", &task)]), "task");

        let stage = StageId::from_bytes([7; 16]);
        let deal = Deal {
            title: "Pilot".into(),
            pipeline: PipelineId::from_bytes([8; 16]),
            stage,
            amount: Money { minor: -1250, currency: "EUR".into() },
            expected_close: Some(NOW),
            owner: None,
            parties: vec![org],
            status: DealStatus::Lost,
            lost_reason: "Price".into(),
            stage_history: vec![
                StageChange { stage, at: NOW, by: Some(member) },
                StageChange { stage, at: NOW, by: None },
            ],
            closed_at: Some(NOW),
            closings: vec![
                Closing { at: NOW, status: DealStatus::Won },
                Closing { at: NOW, status: DealStatus::Lost },
            ],
            terms_history: vec![
                TermsChange {
                    at: NOW,
                    amount: Money { minor: 5, currency: "USD".into() },
                    expected_close: None,
                },
                TermsChange {
                    at: NOW,
                    amount: Money { minor: -1250, currency: "EUR".into() },
                    expected_close: Some(NOW),
                },
            ],
            files: [(
                "aa".repeat(32),
                Attachment {
                    name: "Quote.pdf".into(),
                    size: 9,
                    added_at: NOW,
                    ..Attachment::default()
                },
            )]
            .into(),
            created_at: NOW,
            archived: false,
            round: None,
            soft_circled: None,
            committed: None,
        };
        same::<Deal>(&written(&[("deal", &deal)]), "deal");

        let interaction = Interaction {
            kind: InteractionKind::Visit,
            at: NOW,
            parties: vec![org],
            members: vec![member],
            summary: "On site".into(),
            notes: Text::with_value("Долго говорили."),
            outcome: "Order".into(),
            location: Some(GeoPoint { latitude: 50.9, longitude: 6.9, accuracy_m: 12.0 }),
            follow_up: Some(TaskId::from_bytes([9; 16])),
            author: Some(member),
            archived: false,
            answers: None,
            automatic: false,
        };
        let key = InteractionId::from_bytes([11; 16]).to_string();
        same::<Interaction>(&written(&[(key.as_str(), &interaction)]), &key);

        let ticket = Ticket {
            subject: "Printer jams".into(),
            description: Text::with_value("Since Monday."),
            party: Some(org),
            deal: Some(DealId::from_bytes([4; 16])),
            contract: Some(ContractId::from_bytes([6; 16])),
            channel: Channel::Visit,
            priority: TicketPriority::Urgent,
            status: "waiting".into(),
            team: Some(TeamId::from_bytes([12; 16])),
            assignee: Some(member),
            tags: [("hardware".to_owned(), true), ("old".to_owned(), false)].into(),
            files: deal.files.clone(),
            messages: [
                ("m1", MessageKind::Customer, None),
                ("m2", MessageKind::Reply, Some(member)),
                ("m3", MessageKind::Internal, Some(member)),
            ]
            .into_iter()
            .map(|(id, kind, author)| {
                (
                    id.to_owned(),
                    TicketMessage {
                        kind, author, at: NOW, text: "Привет".into(), mail: None
                    },
                )
            })
            .collect(),
            status_log: [(
                "s1".to_owned(),
                StatusChange { status: "waiting".into(), at: NOW, by: Some(member) },
            )]
            .into(),
            created_at: NOW,
            created_by: Some(member),
            archived: true,
            rating: Some(Rating { score: 4, comment: "Quick, thanks".into(), at: NOW }),
            escalations: [(
                "e1".to_owned(),
                Escalated {
                    key: "k".into(),
                    rule: "r".into(),
                    rule_name: "Late answers".into(),
                    metric: "first_response".into(),
                    due: NOW,
                    at: NOW,
                    by: Some(member),
                },
            )]
            .into(),
        };
        let sparse_ticket = Ticket {
            subject: "Hello".into(),
            description: Text::with_value(""),
            party: None,
            deal: None,
            contract: None,
            channel: Channel::WebForm,
            priority: TicketPriority::Low,
            status: "open".into(),
            team: None,
            assignee: None,
            tags: Default::default(),
            files: Default::default(),
            messages: Default::default(),
            status_log: Default::default(),
            created_at: NOW,
            created_by: None,
            archived: false,
            rating: None,
            escalations: Default::default(),
        };
        let doc = written(&[("ticket", &ticket), ("sparse", &sparse_ticket)]);
        same::<Ticket>(&doc, "ticket");
        same::<Ticket>(&doc, "sparse");

        let contract = Contract {
            party: org,
            title: "Supply 2027".into(),
            kind: ContractKind::Supplier,
            value: Money { minor: 1_000_000, currency: "RUB".into() },
            billing: Billing::Quarterly,
            starts: "2027-01-01".into(),
            ends: "2027-12-31".into(),
            notice: Some(Span { count: 3, unit: SpanUnit::Months }),
            renewal: Some(Span { count: 30, unit: SpanUnit::Days }),
            notice_given: "2027-05-01".into(),
            signed: "2026-12-20".into(),
            owner: Some(member),
            remind_days: 30,
            obligations: [(
                "o1".to_owned(),
                Obligation {
                    title: "Insurance proof".into(),
                    due: "2027-02-01".into(),
                    done: true,
                },
            )]
            .into(),
            notes: Text::with_value("Signed in Kazan."),
            files: deal.files.clone(),
            created_at: NOW,
            archived: true,
        };
        let draft = Contract {
            party: org,
            title: String::new(),
            kind: ContractKind::Employment,
            value: Money::default(),
            billing: Billing::Once,
            starts: String::new(),
            ends: String::new(),
            notice: None,
            renewal: None,
            notice_given: String::new(),
            signed: String::new(),
            owner: None,
            remind_days: 0,
            obligations: Default::default(),
            notes: Text::default(),
            files: Default::default(),
            created_at: NOW,
            archived: false,
        };
        let doc = written(&[("contract", &contract), ("draft", &draft)]);
        same::<Contract>(&doc, "contract");
        same::<Contract>(&doc, "draft");

        let one = OneOnOne {
            manager: member,
            report: MemberId::from_bytes([5; 16]),
            every_weeks: 2,
            next: "2026-12-07".into(),
            points: [
                (
                    "a".to_owned(),
                    TalkingPoint {
                        text: "Promotion".into(),
                        by: member,
                        at: NOW,
                        done: true,
                        meeting: Some("2026-11-23".into()),
                        task: Some(TaskId::from_bytes([6; 16])),
                        position: -3,
                    },
                ),
                (
                    "b".to_owned(),
                    TalkingPoint {
                        text: "Hiring".into(),
                        by: member,
                        at: NOW,
                        done: false,
                        meeting: None,
                        task: None,
                        position: 0,
                    },
                ),
            ]
            .into(),
            meetings: [(
                "2026-11-23".to_owned(),
                Meeting { day: "2026-11-23".into(), by: member, at: NOW },
            )]
            .into(),
            created_at: NOW,
            archived: true,
        };
        let bare =
            OneOnOne { next: String::new(), points: [].into(), meetings: [].into(), ..one.clone() };
        let doc = written(&[("one", &one), ("bare", &bare)]);
        same::<OneOnOne>(&doc, "one");
        same::<OneOnOne>(&doc, "bare");

        let line = |item: &str, price: Option<i64>, position: u32| PurchaseLine {
            item: item.into(),
            quantity: 2.5,
            price,
            position,
        };
        let order = Purchase {
            supplier: org,
            tender: Some(TenderId::from_bytes([7; 16])),
            title: "Chairs".into(),
            currency: "EUR".into(),
            lines: [
                ("b".to_owned(), line("Chair", Some(9_500), 0)),
                ("a".to_owned(), line("Desk", None, 1)),
            ]
            .into(),
            status: PurchaseStatus::Ordered,
            promised: "2027-01-10".into(),
            delivered: "2027-01-12".into(),
            rejected: 1.0,
            ordered_at: Some(NOW),
            owner: Some(member),
            notes: Text::with_value("Call before delivery."),
            files: deal.files.clone(),
            created_at: NOW,
            archived: true,
        };
        let request = Purchase {
            tender: None,
            lines: Default::default(),
            status: PurchaseStatus::Requested,
            promised: String::new(),
            delivered: String::new(),
            rejected: 0.0,
            ordered_at: None,
            owner: None,
            notes: Text::default(),
            files: Default::default(),
            archived: false,
            ..order.clone()
        };
        let doc = written(&[("order", &order), ("request", &request)]);
        same::<Purchase>(&doc, "order");
        same::<Purchase>(&doc, "request");
        let items: Vec<&str> =
            order.lines_in_order().into_iter().map(|(_, line)| line.item.as_str()).collect();
        assert_eq!(items, ["Chair", "Desk"], "by position, not by id");
    }

    #[test]
    fn the_value_a_concurrent_edit_left_winning_is_read_both_ways() {
        let party = Party { name: "Before".into(), created_at: NOW, ..Party::default() };
        let mut left = written(&[("p", &party)]);
        let mut right = left.fork();
        let mut on_left = party.clone();
        on_left.name = "Left".into();
        document::put(&mut left, "p", &on_left).expect("put");
        left.commit();
        let mut on_right = party;
        on_right.name = "Right".into();
        on_right.keep_in_touch_days = Some(7);
        document::put(&mut right, "p", &on_right).expect("put");
        right.commit();
        left.merge(&mut right).expect("merge");
        assert_eq!(left.get_all(left.get(ROOT, "p").unwrap().unwrap().1, "name").unwrap().len(), 2);
        same::<Party>(&left, "p");
    }

    #[test]
    fn what_autosurgeon_refuses_is_refused_in_one_pass_too() {
        let mut doc = document::new_document();
        let record = |doc: &mut AutoCommit, key: &str| {
            let obj = doc.put_object(ROOT, key, ObjType::Map).unwrap();
            doc.put(&obj, "kind", "Person").unwrap();
            doc.put(&obj, "name", "Ann").unwrap();
            doc.put(&obj, "created_at", NOW.0).unwrap();
            obj
        };
        let good = record(&mut doc, "good");
        let _ = good;
        let obj = record(&mut doc, "name-is-a-number");
        doc.put(&obj, "name", 5_i64).unwrap();
        let obj = record(&mut doc, "no-name");
        doc.delete(&obj, "name").unwrap();
        let obj = record(&mut doc, "a-robot");
        doc.put(&obj, "kind", "Robot").unwrap();
        let obj = record(&mut doc, "created-unsigned");
        doc.put(&obj, "created_at", 5_u64).unwrap();
        let obj = record(&mut doc, "cadence-signed");
        doc.put(&obj, "keep_in_touch_days", 30_i64).unwrap();
        let obj = record(&mut doc, "owner-not-an-id");
        doc.put(&obj, "owner", "someone").unwrap();
        let obj = record(&mut doc, "roles-a-list");
        doc.put_object(&obj, "roles", ObjType::List).unwrap();
        let obj = record(&mut doc, "notes-a-string");
        doc.put(&obj, "notes", "plain").unwrap();
        let obj = record(&mut doc, "email-without-label");
        let emails = doc.put_object(&obj, "emails", ObjType::List).unwrap();
        let email = doc.insert_object(&emails, 0, ObjType::Map).unwrap();
        doc.put(&email, "value", "a@example.com").unwrap();
        let obj = record(&mut doc, "custom-of-no-kind");
        let custom = doc.put_object(&obj, "custom", ObjType::Map).unwrap();
        let value = doc.put_object(&custom, "f", ObjType::Map).unwrap();
        doc.put(&value, "Colour", "red").unwrap();
        doc.put(&obj, "merged_into", automerge::ScalarValue::Null).unwrap();
        doc.commit();

        same::<Party>(&doc, "good");
        for key in [
            "name-is-a-number",
            "no-name",
            "a-robot",
            "created-unsigned",
            "cadence-signed",
            "owner-not-an-id",
            "roles-a-list",
            "notes-a-string",
            "email-without-label",
            "custom-of-no-kind",
        ] {
            refused::<Party>(&doc, key);
        }
    }

    #[test]
    fn rows_of_a_whole_document_equal_rows_read_record_by_record() {
        let sizes = DemoSizes {
            parties: 200,
            interactions: 400,
            deals: 40,
            tasks: 80,
            tickets: 80,
            contracts: 4,
            suppliers: 3,
        };
        let documents = demo::generate(9, sizes, NOW).to_documents().expect("documents");
        for (key, doc) in documents {
            let mut doc = doc;
            let all = document::keys(&doc).into_iter().collect();
            let whole = crate::read_model::ReadModel::default().replace_document(key, &mut doc);
            let each = crate::read_model::ReadModel::default().refresh(key, &mut doc, &all);
            assert_eq!(whole, each, "document {key}");
        }
    }
}
