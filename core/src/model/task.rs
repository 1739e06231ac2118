//! Tasks and reminders.

use autosurgeon::{Hydrate, Reconcile};

use super::sparse::reconcile_sparse;
use crate::ids::{ContractId, DealId, MemberId, PartyId, TicketId, Timestamp};

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Task {
    pub title: String,
    #[autosurgeon(missing = "Default::default")]
    pub due: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub assignee: Option<MemberId>,
    /// The records this task is about.
    #[autosurgeon(missing = "Default::default")]
    pub links: Vec<RecordRef>,
    /// When it was completed; `None` while open.
    #[autosurgeon(missing = "Default::default")]
    pub done_at: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub recurrence: Option<Recurrence>,
    /// Snoozed tasks stay hidden from "due" lists until then.
    #[autosurgeon(missing = "Default::default")]
    pub snoozed_until: Option<Timestamp>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

reconcile_sparse!(Task {
    always: [title, created_at],
    sparse: [due, assignee, links, done_at, recurrence, snoozed_until, archived],
});

/// A reference to a record of another collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum RecordRef {
    Party(PartyId),
    Deal(DealId),
    Ticket(TicketId),
    Contract(ContractId),
}

/// Repeat every `every` units after completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Recurrence {
    pub every: u32,
    pub unit: RecurrenceUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum RecurrenceUnit {
    Day,
    Week,
    Month,
}
