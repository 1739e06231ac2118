//! Calls, meetings, visits, emails, messages and notes: the timeline of a relationship.

use autosurgeon::{Hydrate, Reconcile, Text};

use super::sparse::reconcile_sparse;
use crate::ids::{InteractionId, MemberId, PartyId, TaskId, Timestamp};

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Interaction {
    pub kind: InteractionKind,
    pub at: Timestamp,
    /// The parties involved; the first is the one it was logged on.
    #[autosurgeon(missing = "Default::default")]
    pub parties: Vec<PartyId>,
    /// Colleagues who took part.
    #[autosurgeon(missing = "Default::default")]
    pub members: Vec<MemberId>,
    #[autosurgeon(missing = "Default::default")]
    pub summary: String,
    #[autosurgeon(missing = "Default::default")]
    pub notes: Text,
    #[autosurgeon(missing = "Default::default")]
    pub outcome: String,
    /// Where a field visit happened, when the user allowed location.
    #[autosurgeon(missing = "Default::default")]
    pub location: Option<GeoPoint>,
    #[autosurgeon(missing = "Default::default")]
    pub follow_up: Option<TaskId>,
    #[autosurgeon(missing = "Default::default")]
    pub author: Option<MemberId>,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
    /// The email it answers: a mail that came back to the workspace's support address in answer
    /// to one sent from the timeline (`crate::inbound`).
    #[autosurgeon(missing = "Default::default")]
    pub answers: Option<InteractionId>,
    /// Sent by a machine (an out-of-office answer, RFC 3834): on the timeline, never a reply.
    #[autosurgeon(missing = "Default::default")]
    pub automatic: bool,
}

reconcile_sparse!(Interaction {
    always: [kind, at],
    sparse: [
        parties, members, summary, notes, outcome, location, follow_up, author, archived, answers,
        automatic
    ],
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum InteractionKind {
    Call,
    Meeting,
    Visit,
    Email,
    Message,
    Note,
}

impl InteractionKind {
    pub const ALL: [InteractionKind; 6] = [
        InteractionKind::Call,
        InteractionKind::Meeting,
        InteractionKind::Visit,
        InteractionKind::Email,
        InteractionKind::Message,
        InteractionKind::Note,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Reconcile, Hydrate)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
    /// Radius of uncertainty in metres, as the browser reports it.
    pub accuracy_m: f64,
}
