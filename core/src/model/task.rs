//! Tasks and reminders.

use autosurgeon::{Hydrate, Reconcile};

use crate::ids::{ContractId, DealId, MemberId, PartyId, TicketId, Timestamp};

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Task {
    pub title: String,
    pub due: Option<Timestamp>,
    pub assignee: Option<MemberId>,
    /// The records this task is about.
    pub links: Vec<RecordRef>,
    /// When it was completed; `None` while open.
    pub done_at: Option<Timestamp>,
    pub recurrence: Option<Recurrence>,
    /// Snoozed tasks stay hidden from "due" lists until then.
    pub snoozed_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub archived: bool,
}

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
