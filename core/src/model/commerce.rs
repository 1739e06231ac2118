//! Deals in pipelines, and the records later screens use: tickets, contracts, feedback, segments and
//! campaigns. Modelled now so that the schema does not have to break when their screens arrive.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

use super::NameSet;
use super::sparse::reconcile_sparse;
use crate::ids::{MemberId, PartyId, PipelineId, StageId, Timestamp};

/// An amount in minor units (cents, kopecks) of an ISO 4217 currency: exact, never floating point.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Deal {
    pub title: String,
    pub pipeline: PipelineId,
    pub stage: StageId,
    pub amount: Money,
    #[autosurgeon(missing = "Default::default")]
    pub expected_close: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<MemberId>,
    #[autosurgeon(missing = "Default::default")]
    pub parties: Vec<PartyId>,
    pub status: DealStatus,
    #[autosurgeon(missing = "Default::default")]
    pub lost_reason: String,
    /// Every stage move, oldest first; appended, never rewritten.
    #[autosurgeon(missing = "Default::default")]
    pub stage_history: Vec<StageChange>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

reconcile_sparse!(Deal {
    always: [title, pipeline, stage, amount, status, created_at],
    sparse: [expected_close, owner, parties, lost_reason, stage_history, archived],
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub enum DealStatus {
    #[default]
    Open,
    Won,
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub struct StageChange {
    pub stage: StageId,
    pub at: Timestamp,
    pub by: Option<MemberId>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Ticket {
    pub subject: String,
    pub party: Option<PartyId>,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub sla_due: Option<Timestamp>,
    pub assignee: Option<MemberId>,
    pub description: Text,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum TicketStatus {
    Open,
    Pending,
    Resolved,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum TicketPriority {
    Low,
    Normal,
    High,
    Urgent,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Contract {
    pub party: PartyId,
    pub title: String,
    pub value: Money,
    pub starts: Option<Timestamp>,
    pub ends: Option<Timestamp>,
    /// Days before `ends` by which renewal must be decided.
    pub renewal_notice_days: Option<u32>,
    pub owner: Option<MemberId>,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Feedback {
    pub party: PartyId,
    pub at: Timestamp,
    pub kind: FeedbackKind,
    pub notes: Text,
    pub author: Option<MemberId>,
}

/// Customer NPS, supplier scorecards, employee pulse and 1:1 notes.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub enum FeedbackKind {
    /// Net promoter score, 0–10.
    Nps {
        score: u8,
    },
    /// Supplier scorecard: criterion → score 1–5.
    Scorecard {
        scores: BTreeMap<String, u8>,
    },
    /// Employee pulse, 1–5.
    Pulse {
        score: u8,
    },
    OneOnOne,
}

/// A saved filter over parties.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Segment {
    pub name: String,
    pub filter: SegmentFilter,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct SegmentFilter {
    /// Role keys; a party matches if it has any of them (all parties when empty).
    pub roles: NameSet,
    /// Tags; a party matches if it has all of them.
    pub tags: NameSet,
    pub owner: Option<MemberId>,
    /// Search text, matched like the search box.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Campaign {
    pub name: String,
    pub starts: Option<Timestamp>,
    /// Member party id (as text) → their response.
    pub members: BTreeMap<String, CampaignResponse>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum CampaignResponse {
    Pending,
    Sent,
    Responded,
    Declined,
}
