//! Calls, meetings, visits, emails, messages and notes: the timeline of a relationship.

use autosurgeon::{Hydrate, Reconcile, Text};

use crate::ids::{MemberId, PartyId, TaskId, Timestamp};

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Interaction {
    pub kind: InteractionKind,
    pub at: Timestamp,
    /// The parties involved; the first is the one it was logged on.
    pub parties: Vec<PartyId>,
    /// Colleagues who took part.
    pub members: Vec<MemberId>,
    pub summary: String,
    pub notes: Text,
    pub outcome: String,
    /// Where a field visit happened, when the user allowed location.
    pub location: Option<GeoPoint>,
    pub follow_up: Option<TaskId>,
    pub author: Option<MemberId>,
    pub archived: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum InteractionKind {
    Call,
    Meeting,
    Visit,
    Email,
    Message,
    Note,
}

#[derive(Debug, Clone, Copy, PartialEq, Reconcile, Hydrate)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
    /// Radius of uncertainty in metres, as the browser reports it.
    pub accuracy_m: f64,
}
