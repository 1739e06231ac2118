//! The relationship model: what Rapport stores, independent of how it is stored or shown.
//!
//! Every record type derives autosurgeon's `Reconcile` and `Hydrate`, so it maps field by field onto an
//! Automerge map: scalar fields are last-writer-wins per field (a concurrent write to the same field keeps
//! both values, surfaced by [`crate::document::conflicts`]); sets (roles, tags) are maps of `true` so
//! concurrent additions merge; long notes are `autosurgeon::Text`, merged character by character.
//! `docs/data-model.md` documents the same schema for integrators.

mod commerce;
mod interaction;
mod party;
mod settings;
mod task;

pub use commerce::{
    Campaign, CampaignResponse, Contract, Deal, DealStatus, Feedback, FeedbackKind, Money, Segment,
    SegmentFilter, StageChange, Ticket, TicketPriority, TicketStatus,
};
pub use interaction::{GeoPoint, Interaction, InteractionKind};
pub use party::{
    Address, Consent, ContactPoint, CustomValue, LinkKind, Party, PartyKind, PartyLink, Role,
};
pub use settings::{
    CustomFieldDef, FieldKind, Member, Pipeline, PipelineKind, RecordKind, Stage, WorkspaceSettings,
};
pub use task::{RecordRef, Recurrence, RecurrenceUnit, Task};

/// A set of names stored as an Automerge map of `true`, so two devices adding different members both
/// keep theirs (a list would duplicate or reorder).
pub type NameSet = std::collections::BTreeMap<String, bool>;

/// The names in a [`NameSet`] that are present.
pub fn names(set: &NameSet) -> impl Iterator<Item = &str> {
    set.iter().filter(|(_, present)| **present).map(|(name, _)| name.as_str())
}
