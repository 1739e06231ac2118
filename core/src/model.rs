//! The relationship model: what Rapport stores, independent of how it is stored or shown.
//!
//! Every record type derives autosurgeon's `Reconcile` and `Hydrate`, so it maps field by field onto an
//! Automerge map: scalar fields are last-writer-wins per field (a concurrent write to the same field keeps
//! both values, surfaced by [`crate::document::conflicts`]); sets (roles, tags) are maps of `true` so
//! concurrent additions merge; long notes are `autosurgeon::Text`, merged character by character.
//! `docs/data-model.md` documents the same schema for integrators.

mod article;
mod attachment;
mod commerce;
mod employee;
mod interaction;
mod investor;
mod marketing;
mod party;
mod purchase;
mod settings;
mod sparse;
mod task;
mod ticket;

pub use article::Article;
pub use attachment::{Attachment, WithFiles};
pub use commerce::{
    AmountError, Billing, Closing, Contract, ContractKind, Deal, DealStatus, Destination, Feedback,
    FeedbackKind, Money, Obligation, Span, SpanUnit, StageChange, TermsChange, minor_digits,
};
pub use employee::{
    CheckIn, Employment, Goal, KeyResult, Kudos, Meeting, OneOnOne, ReviewCycle, Survey,
    SurveyQuestion, TalkingPoint, Training,
};
pub use interaction::{GeoPoint, Interaction, InteractionKind};
pub use investor::{
    Attendance, Audience, EventKind, Instrument, InvestorEvent, InvestorUpdate, Metric, Round,
};
pub use marketing::{
    Asked, Automation, AutomationAction, AutomationRun, Campaign, CampaignActivity, Condition,
    ConditionGroup, ConsentState, DealState, Enrolment, Op, Outcome, PartyField, RuleCondition,
    RuleEdit, Segment, SegmentRule, Sequence, SequenceStep, StepRun,
};
pub use party::{
    Address, Consent, ConsentNote, ContactPoint, CustomValue, Erasure, LinkKind, Party, PartyKind,
    PartyLink, Role,
};
pub use purchase::{
    Certification, Hold, Measure, Purchase, PurchaseLine, PurchaseStatus, ScorecardCriterion,
    Standing,
};
pub use settings::{
    Assignment, CannedReply, CustomFieldDef, CustomValueError, EscalationRule, FieldKind,
    MailTemplate, Member, Pipeline, PipelineKind, RecordKind, SavedReport, SavedView, ScoringRule,
    SlaPolicy, Stage, StageInUse, Team, TicketStatusDef, TicketViewDef, WorkspaceSettings,
};
pub use task::{RecordRef, Recurrence, RecurrenceUnit, Task};
pub use ticket::{
    Channel, Escalated, MailLink, MessageKind, Rating, StatusChange, Ticket, TicketMessage,
    TicketPriority,
};

/// A set of names stored as an Automerge map of `true`, so two devices adding different members both
/// keep theirs (a list would duplicate or reorder).
pub type NameSet = std::collections::BTreeMap<String, bool>;

/// The names in a [`NameSet`] that are present.
pub fn names(set: &NameSet) -> impl Iterator<Item = &str> {
    set.iter().filter(|(_, present)| **present).map(|(name, _)| name.as_str())
}

#[cfg(test)]
pub(crate) mod tests {
    //! Records with every field set, for round-trip tests.

    use autosurgeon::Text;

    use super::*;
    use crate::ids::{FieldId, LinkId, MemberId, PartyId, PipelineId, StageId, TaskId, Timestamp};

    pub(crate) fn full_party() -> Party {
        let mut party = Party {
            kind: PartyKind::Organisation,
            name: "ООО «Ромашка»".into(),
            given_name: "Анна".into(),
            family_name: "Иванова".into(),
            emails: vec![ContactPoint { label: "work".into(), value: "anna@romashka.test".into() }],
            phones: vec![ContactPoint { label: "mobile".into(), value: "+7 900 000-00-00".into() }],
            addresses: vec![Address {
                label: "office".into(),
                street: "Тверская, 1".into(),
                city: "Москва".into(),
                region: "Москва".into(),
                postcode: "125009".into(),
                country: "RU".into(),
            }],
            links: vec![ContactPoint {
                label: "site".into(),
                value: "https://romashka.test".into(),
            }],
            owner: Some(MemberId::from_bytes([1; 16])),
            consent: Consent {
                email_marketing: Some(true),
                phone_calls: Some(false),
                data_processing: Some(true),
                recorded: [(
                    "email_marketing".to_owned(),
                    ConsentNote {
                        at: Timestamp(1_690_000_000_000),
                        by: Some(MemberId::from_bytes([1; 16])),
                        source: "signed form at the spring fair".into(),
                    },
                )]
                .into(),
            },
            keep_in_touch_days: Some(30),
            notes: Text::with_value("Prefers calls after 10:00"),
            created_at: Timestamp(1_700_000_000_000),
            archived: true,
            merged_into: Some(PartyId::from_bytes([2; 16])),
            erased: Some(Erasure {
                at: Timestamp(1_800_000_000_000),
                by: Some(MemberId::from_bytes([1; 16])),
            }),
            ..Party::default()
        };
        party.files.insert(
            "ab".repeat(32),
            Attachment {
                name: "Договор.pdf".into(),
                content_type: "application/pdf".into(),
                size: 5_000_000_000,
                added_at: Timestamp(1_700_000_100_000),
                added_by: Some(MemberId::from_bytes([1; 16])),
                thumbnail: Some("cd".repeat(32)),
            },
        );
        party.set_role(Role::Supplier, true);
        party.supplies.insert("furniture".into(), true);
        party.payment_terms = "30 days net".into();
        party.certifications.insert(
            "c1".into(),
            Certification {
                name: "ISO 9001".into(),
                expires: "2027-03-31".into(),
                file: Some("ab".repeat(32)),
            },
        );
        party.hold = Some(Hold {
            standing: Standing::Blocked,
            reason: "Late twice".into(),
            by: Some(MemberId::from_bytes([1; 16])),
            at: Timestamp(1_700_000_300_000),
        });
        party.tags.insert("vip".into(), true);
        party.set_custom(FieldId::from_bytes([3; 16]), CustomValue::Number(4.5));
        party.link(
            LinkId::from_bytes([4; 16]),
            PartyLink {
                to: PartyId::from_bytes([5; 16]),
                kind: LinkKind::WorksAt,
                title: "CEO".into(),
            },
        );
        party
    }

    pub(crate) fn full_interaction() -> Interaction {
        Interaction {
            kind: InteractionKind::Visit,
            at: Timestamp(1_700_000_000_000),
            parties: vec![PartyId::from_bytes([1; 16])],
            members: vec![MemberId::from_bytes([2; 16])],
            summary: "Site visit".into(),
            notes: Text::with_value("Walked the warehouse"),
            outcome: "Order promised".into(),
            location: Some(GeoPoint { latitude: 55.75, longitude: 37.61, accuracy_m: 12.0 }),
            follow_up: Some(TaskId::from_bytes([3; 16])),
            author: Some(MemberId::from_bytes([2; 16])),
            archived: true,
            answers: Some(crate::ids::InteractionId::from_bytes([4; 16])),
            automatic: true,
        }
    }

    pub(crate) fn full_task() -> Task {
        Task {
            title: "Send the quote".into(),
            due: Some(Timestamp(1_700_000_100_000)),
            assignee: Some(MemberId::from_bytes([1; 16])),
            links: vec![RecordRef::Party(PartyId::from_bytes([2; 16]))],
            done_at: Some(Timestamp(1_700_000_200_000)),
            recurrence: Some(Recurrence { every: 2, unit: RecurrenceUnit::Week, day: None }),
            snoozed_until: Some(Timestamp(1_700_000_150_000)),
            created_at: Timestamp(1_700_000_000_000),
            archived: true,
        }
    }

    pub(crate) fn full_deal() -> Deal {
        Deal {
            title: "500 chairs".into(),
            pipeline: PipelineId::from_bytes([1; 16]),
            stage: StageId::from_bytes([2; 16]),
            amount: Money { minor: 1_250_000, currency: "EUR".into() },
            expected_close: Some(Timestamp(1_700_000_300_000)),
            owner: Some(MemberId::from_bytes([3; 16])),
            parties: vec![PartyId::from_bytes([4; 16])],
            status: DealStatus::Lost,
            lost_reason: "Price".into(),
            stage_history: vec![StageChange {
                stage: StageId::from_bytes([2; 16]),
                at: Timestamp(1_700_000_000_000),
                by: Some(MemberId::from_bytes([3; 16])),
            }],
            closed_at: Some(Timestamp(1_700_000_100_000)),
            closings: vec![Closing { at: Timestamp(1_700_000_100_000), status: DealStatus::Lost }],
            terms_history: vec![TermsChange {
                at: Timestamp(1_700_000_050_000),
                amount: Money { minor: 1_250_000, currency: "EUR".into() },
                expected_close: Some(Timestamp(1_700_000_300_000)),
            }],
            files: [(
                "ef".repeat(32),
                Attachment {
                    name: "Offer.pdf".into(),
                    content_type: "application/pdf".into(),
                    size: 80_000,
                    added_at: Timestamp(1_700_000_200_000),
                    added_by: None,
                    thumbnail: None,
                },
            )]
            .into(),
            created_at: Timestamp(1_700_000_000_000),
            archived: true,
            round: Some(crate::ids::RoundId::from_bytes([9; 16])),
            soft_circled: Some(500_000),
            committed: Some(250_000),
        }
    }
}
