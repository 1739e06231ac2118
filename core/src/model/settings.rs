//! Workspace settings: members, currencies, pipelines, custom-field definitions and saved views. They live in the
//! workspace's root document, which every device loads first.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use crate::ids::StageId;

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct WorkspaceSettings {
    pub name: String,
    /// Member id (as text) → member.
    pub members: BTreeMap<String, Member>,
    /// ISO 4217 codes offered for amounts; the first is the default.
    pub currencies: Vec<String>,
    /// Pipeline id (as text) → pipeline.
    pub pipelines: BTreeMap<String, Pipeline>,
    /// Field id (as text) → definition.
    pub custom_fields: BTreeMap<String, CustomFieldDef>,
    /// Saved views of the people list, shared by the team: view id (as text) → view.
    #[autosurgeon(missing = "Default::default")]
    pub saved_views: BTreeMap<String, SavedView>,
}

/// A named search, filter and sort of the people list ("Suppliers in Moscow", "My prospects").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct SavedView {
    pub name: String,
    /// Words searched for; empty for none.
    pub query: String,
    /// A [`crate::model::Role`] key, or none for every role.
    pub role: Option<String>,
    pub tag: Option<String>,
    /// Only the parties owned by whoever opens the view.
    pub only_mine: bool,
    /// A `PartySort` key (`queries::PartySort::key`).
    pub sort: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Member {
    pub display_name: String,
    /// `#rrggbb`, for avatars and presence.
    pub colour: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Pipeline {
    pub name: String,
    pub kind: PipelineKind,
    /// Stages in board order.
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum PipelineKind {
    Sales,
    Fundraising,
    Procurement,
    Hiring,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Stage {
    pub id: StageId,
    pub name: String,
    /// Chance a deal in this stage is won, 0–100, for the weighted forecast.
    pub probability: u8,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct CustomFieldDef {
    pub label: String,
    pub kind: FieldKind,
    pub applies_to: RecordKind,
    /// Allowed values of a `Choice` field.
    pub choices: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Choice,
    Boolean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum RecordKind {
    Party,
    Deal,
    Task,
    Ticket,
    Contract,
}

impl Pipeline {
    /// The win probability of `stage`, or `None` if the stage is not (or no longer) in this pipeline.
    pub fn probability(&self, stage: StageId) -> Option<u8> {
        self.stages.iter().find(|s| s.id == stage).map(|s| s.probability)
    }
}
