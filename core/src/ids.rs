//! Stable identifiers.
//!
//! Records are named by UUID v7: time-ordered (so ids sort by creation and index well) and random enough
//! that two offline devices never collide. The domain crate does no I/O, so callers supply the clock and
//! the random bytes ([`IdSource`]); the app uses `crypto.getRandomValues`, tests use a seeded source.
//!
//! In Automerge documents ids are stored as their hyphenated text, readable by any automerge-repo peer.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use uuid::Uuid;

/// Milliseconds since the Unix epoch, UTC. Every timestamp in the model is one of these.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Reconcile,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Timestamp(pub i64);

// Written by hand: the derived `Hydrate` of a newtype reads a bare field but not an `Option<Timestamp>`,
// which autosurgeon hydrates through `hydrate_int`.
impl Hydrate for Timestamp {
    fn hydrate_int(millis: i64) -> Result<Self, HydrateError> {
        Ok(Timestamp(millis))
    }
}

/// What a new id is made from: the current time and 10 random bytes.
pub trait IdSource {
    fn now(&mut self) -> Timestamp;
    fn random_bytes(&mut self) -> [u8; 10];
}

/// An id that is not a valid UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: {0:?}")]
pub struct InvalidId(pub String);

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn generate(source: &mut impl IdSource) -> Self {
                Self(uuid_v7(source))
            }

            /// The id's 16 bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// Rebuilds an id from its 16 bytes.
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<Self, InvalidId> {
                Uuid::parse_str(text).map(Self).map_err(|_| InvalidId(text.to_owned()))
            }
        }

        // The read model caches ids as their 16 bytes.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(self.as_bytes(), serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <[u8; 16] as serde::Deserialize>::deserialize(deserializer).map(Self::from_bytes)
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.to_string())
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(text: &str) -> Result<Self, HydrateError> {
                text.parse().map_err(|_| HydrateError::unexpected("an id", text.to_owned()))
            }
        }
    };
}

define_id!(
    /// A person or organisation.
    PartyId
);
define_id!(
    /// A call, meeting, visit, email, message or note.
    InteractionId
);
define_id!(
    /// A task or reminder.
    TaskId
);
define_id!(
    /// A deal in a pipeline.
    DealId
);
define_id!(
    /// A configurable pipeline.
    PipelineId
);
define_id!(
    /// A stage of a pipeline.
    StageId
);
define_id!(
    /// A member of the workspace (a person who uses Rapport).
    MemberId
);
define_id!(
    /// A custom field definition.
    FieldId
);
define_id!(
    /// A support ticket.
    TicketId
);
define_id!(
    /// A contract with a party.
    ContractId
);
define_id!(
    /// A knowledge-base article.
    ArticleId
);
define_id!(
    /// A piece of feedback: NPS answer, supplier scorecard, pulse or 1:1 note.
    FeedbackId
);
define_id!(
    /// A request for quotation to one supplier, which becomes the purchase order once its offer is
    /// chosen.
    PurchaseId
);
define_id!(
    /// A call for tenders: the requests for quotation sent to several suppliers for the same lines.
    TenderId
);
define_id!(
    /// A line of a purchase; the requests of one tender share their lines' ids.
    PurchaseLineId
);
define_id!(
    /// A fundraising round.
    RoundId
);
define_id!(
    /// A periodic update to investors.
    UpdateId
);
define_id!(
    /// An investor-relations event: an earnings call, a roadshow.
    EventId
);
define_id!(
    /// A figure of an investor update; an update made from the previous one keeps its metrics' ids.
    MetricId
);
define_id!(
    /// A recurring 1:1 between a manager and a report.
    OneOnOneId
);
define_id!(
    /// A talking point or action item of a 1:1.
    PointId
);
define_id!(
    /// A training someone took.
    TrainingId
);
define_id!(
    /// Kudos given to someone.
    KudosId
);
define_id!(
    /// An anonymous pulse survey of the company's people.
    SurveyId
);
define_id!(
    /// An objective with key results (the company's, a team's or a person's).
    GoalId
);
define_id!(
    /// A key result of a goal, or a check-in on it.
    GoalPartId
);
define_id!(
    /// A review cycle: self, manager, peer and upward reviews over one period.
    ReviewCycleId
);
define_id!(
    /// A supplier's certification (ISO 9001, a licence) on its record.
    CertificationId
);
define_id!(
    /// A criterion suppliers are scored on that the workspace added.
    CriterionId
);
define_id!(
    /// A saved view of the people list.
    ViewId
);
define_id!(
    /// A saved email template.
    TemplateId
);
define_id!(
    /// A saved filter.
    SegmentId
);
define_id!(
    /// A campaign.
    CampaignId
);
define_id!(
    /// A drip sequence.
    SequenceId
);
define_id!(
    /// An automation rule.
    AutomationId
);
define_id!(
    /// A workspace; also names its root document.
    WorkspaceId
);
define_id!(
    /// A link between two parties.
    LinkId
);
define_id!(
    /// A support team (a queue of tickets).
    TeamId
);
define_id!(
    /// Something that happened on a ticket: a message, a status change.
    TicketEventId
);
define_id!(
    /// A service-level policy.
    PolicyId
);
define_id!(
    /// An escalation rule.
    RuleId
);
define_id!(
    /// A ticket status the workspace added (the built-in ones have words for keys).
    StatusId
);
define_id!(
    /// Something a side of a contract must do by a date.
    ObligationId
);
define_id!(
    /// A letter through the relay (`crate::letters`), chosen by the device that writes it.
    LetterId
);

fn uuid_v7(source: &mut impl IdSource) -> Uuid {
    let millis = u64::try_from(source.now().0).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &source.random_bytes()).into_uuid()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A deterministic source for tests: a fixed clock that ticks and a counter for "random" bytes.
    #[derive(Debug, Default)]
    pub(crate) struct CountingSource {
        pub(crate) millis: i64,
        pub(crate) counter: u64,
    }

    impl IdSource for CountingSource {
        fn now(&mut self) -> Timestamp {
            self.millis += 1;
            Timestamp(self.millis)
        }
        fn random_bytes(&mut self) -> [u8; 10] {
            self.counter += 1;
            let mut bytes = [0; 10];
            bytes[2..]
                .copy_from_slice(&self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
            bytes
        }
    }

    #[test]
    fn ids_are_uuid_v7_and_sort_by_creation_time() {
        let mut source = CountingSource { millis: 1_700_000_000_000, counter: 0 };
        let first = PartyId::generate(&mut source);
        let second = PartyId::generate(&mut source);
        assert!(first < second);
        assert_eq!(first.to_string().as_bytes()[14], b'7', "version nibble: {first}");
    }

    #[test]
    fn ids_round_trip_through_text_and_reject_garbage() {
        let mut source = CountingSource::default();
        let id = DealId::generate(&mut source);
        assert_eq!(id.to_string().parse::<DealId>().unwrap(), id);
        assert_eq!("not-an-id".parse::<DealId>(), Err(InvalidId("not-an-id".into())));
    }
}
