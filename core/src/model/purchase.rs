//! Buying from suppliers: requests for quotation, the offers they bring back and the purchase orders
//! they become, and what a supplier's record says of its standing.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

use super::Attachment;
use crate::ids::{MemberId, PartyId, TenderId, Timestamp};

/// A request for quotation sent to one supplier and, once its offer is chosen, the purchase order
/// itself — Odoo's model, where an RFQ is the order in draft. Choosing an offer therefore creates
/// nothing: it changes the status of the requests that already exist, so two devices choosing the
/// same offer while apart make one order, not two.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Purchase {
    pub supplier: PartyId,
    /// The call for tenders it belongs to: requests sent to several suppliers for the same lines share
    /// it, and their offers are compared side by side. `None` for an order placed directly.
    #[autosurgeon(missing = "Default::default")]
    pub tender: Option<TenderId>,
    pub title: String,
    /// ISO 4217 code of every price on it.
    pub currency: String,
    /// Line id (as text) → line. The requests of one tender share line ids, so offers compare line by
    /// line.
    pub lines: BTreeMap<String, PurchaseLine>,
    pub status: PurchaseStatus,
    /// The delivery date the supplier offered and the order then expects, `YYYY-MM-DD`; empty until
    /// known.
    #[autosurgeon(missing = "Default::default")]
    pub promised: String,
    /// The day it was delivered, `YYYY-MM-DD`; empty while it has not been.
    #[autosurgeon(missing = "Default::default")]
    pub delivered: String,
    /// Units rejected at delivery (damaged, out of specification): the scorecard's quality.
    #[autosurgeon(missing = "Default::default")]
    pub rejected: f64,
    /// When the offer was chosen and the order placed.
    #[autosurgeon(missing = "Default::default")]
    pub ordered_at: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<MemberId>,
    #[autosurgeon(missing = "Default::default")]
    pub notes: Text,
    /// The offer, the order as sent, the delivery note: by the hex SHA-256 of their bytes.
    #[autosurgeon(missing = "Default::default")]
    pub files: BTreeMap<String, Attachment>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// What is bought, how many, and the price the supplier quoted for one.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct PurchaseLine {
    pub item: String,
    pub quantity: f64,
    /// Minor units of the purchase's currency for one unit; `None` until the supplier quotes it.
    #[autosurgeon(missing = "Default::default")]
    pub price: Option<i64>,
    /// Where it is listed: ids made in the same millisecond do not sort in the order typed.
    #[autosurgeon(missing = "Default::default")]
    pub position: u32,
}

impl Purchase {
    /// The lines in the order they were written, with their ids (as text).
    pub fn lines_in_order(&self) -> Vec<(&String, &PurchaseLine)> {
        let mut lines: Vec<(&String, &PurchaseLine)> = self.lines.iter().collect();
        lines.sort_by_key(|(key, line)| (line.position, *key));
        lines
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum PurchaseStatus {
    /// Sent to the supplier; its offer, once it comes, is entered on the lines.
    Requested,
    /// The offer was chosen: this is the order.
    Ordered,
    /// Another offer was chosen, or the request was withdrawn.
    Cancelled,
}

impl PurchaseStatus {
    pub fn code(self) -> &'static str {
        match self {
            PurchaseStatus::Requested => "requested",
            PurchaseStatus::Ordered => "ordered",
            PurchaseStatus::Cancelled => "cancelled",
        }
    }
}

/// A certification a supplier holds, on the supplier's record.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Certification {
    pub name: String,
    /// Its last valid day, `YYYY-MM-DD`; empty when it does not expire.
    pub expires: String,
    /// The certificate's file among the record's files (hex SHA-256), if attached.
    #[autosurgeon(missing = "Default::default")]
    pub file: Option<String>,
}

/// How far a supplier may be ordered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Reconcile, Hydrate)]
pub enum Standing {
    Ok,
    /// Ordering asks to confirm, with the reason.
    Watch,
    /// Nothing can be requested or ordered from it, and the reason is shown.
    Blocked,
}

impl Standing {
    pub fn code(self) -> &'static str {
        match self {
            Standing::Ok => "ok",
            Standing::Watch => "watch",
            Standing::Blocked => "blocked",
        }
    }
}

/// A standing a person sets by hand, whatever the scores say, with why.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Hold {
    pub standing: Standing,
    pub reason: String,
    pub by: Option<MemberId>,
    pub at: Timestamp,
}

/// A criterion suppliers are scored on, and its weight in the period's score.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct ScorecardCriterion {
    pub name: String,
    /// Its share of the score relative to the other criteria's weights; 0 leaves it out.
    pub weight: u32,
    pub measure: Measure,
    /// Where it is listed.
    pub position: u32,
}

/// What recorded facts a criterion is measured from; people's ratings of it count too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub enum Measure {
    /// The share of orders delivered by the promised day.
    OnTime,
    /// The share of delivered units not rejected.
    Quality,
    /// The share of re-ordered items whose unit price did not rise.
    Price,
    /// People's ratings only (responsiveness, communication).
    Ratings,
}

impl Measure {
    pub const ALL: [Measure; 4] =
        [Measure::OnTime, Measure::Quality, Measure::Price, Measure::Ratings];

    pub fn code(self) -> &'static str {
        match self {
            Measure::OnTime => "on_time",
            Measure::Quality => "quality",
            Measure::Price => "price",
            Measure::Ratings => "ratings",
        }
    }

    pub fn from_code(code: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|measure| measure.code() == code)
    }
}
