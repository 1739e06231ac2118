//! Purchasing, light: a call for tenders asks several suppliers to quote the same lines, their offers
//! are compared side by side, and the chosen one becomes the purchase order — the others are
//! cancelled. Delivery dates recorded on orders feed the suppliers' scorecards (`crate::scorecard`).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::contract::{parse_day, utc_day};
use crate::ids::{MemberId, PartyId, PurchaseId, TenderId, Timestamp};
use crate::model::{Purchase, PurchaseStatus};

/// A purchase as lists, comparisons and scorecards use it; days are Julian day numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseRow {
    pub id: PurchaseId,
    pub supplier: PartyId,
    pub tender: Option<TenderId>,
    pub title: String,
    pub currency: String,
    /// In the order they were written.
    pub lines: Vec<LineRow>,
    pub state: State,
    pub promised: Option<i32>,
    pub delivered: Option<i32>,
    pub rejected: f64,
    /// The UTC day the order was placed.
    pub ordered_on: Option<i32>,
    pub owner: Option<MemberId>,
    pub created_at: Timestamp,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineRow {
    /// The line id as text: the same on every request of a tender.
    pub key: String,
    pub item: String,
    /// The item's name folded (`crate::search::fold`), once: scorecards find re-ordered items by it.
    pub folded: String,
    pub quantity: f64,
    pub price: Option<i64>,
}

/// [`PurchaseStatus`] for rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum State {
    Requested,
    Ordered,
    Cancelled,
}

impl State {
    pub fn status(self) -> PurchaseStatus {
        match self {
            State::Requested => PurchaseStatus::Requested,
            State::Ordered => PurchaseStatus::Ordered,
            State::Cancelled => PurchaseStatus::Cancelled,
        }
    }
}

impl PurchaseRow {
    pub fn of(id: PurchaseId, purchase: &Purchase) -> PurchaseRow {
        let julian = |text: &str| parse_day(text).map(Date::to_julian_day);
        PurchaseRow {
            id,
            supplier: purchase.supplier,
            tender: purchase.tender,
            title: purchase.title.clone(),
            currency: purchase.currency.clone(),
            lines: purchase
                .lines_in_order()
                .into_iter()
                .map(|(key, line)| LineRow {
                    key: key.clone(),
                    item: line.item.clone(),
                    folded: crate::search::fold(line.item.trim()),
                    quantity: line.quantity,
                    price: line.price,
                })
                .collect(),
            state: match purchase.status {
                PurchaseStatus::Requested => State::Requested,
                PurchaseStatus::Ordered => State::Ordered,
                PurchaseStatus::Cancelled => State::Cancelled,
            },
            promised: julian(&purchase.promised),
            delivered: julian(&purchase.delivered),
            rejected: purchase.rejected.max(0.0),
            ordered_on: purchase.ordered_at.map(|at| utc_day(at).to_julian_day()),
            owner: purchase.owner,
            created_at: purchase.created_at,
            archived: purchase.archived,
        }
    }

    /// What the offer comes to, in minor units; `None` while a line has no price.
    pub fn total(&self) -> Option<i64> {
        self.lines.iter().try_fold(0i64, |sum, line| {
            let price = line.price?;
            sum.checked_add(line_amount(line.quantity, price)?)
        })
    }

    /// Whether the supplier has quoted every line.
    pub fn quoted(&self) -> bool {
        !self.lines.is_empty() && self.lines.iter().all(|line| line.price.is_some())
    }

    /// An order not delivered by its promised day, seen on `today`.
    pub fn is_late(&self, today: Date) -> bool {
        self.state == State::Ordered
            && self.delivered.is_none()
            && self.promised.is_some_and(|day| day < today.to_julian_day())
    }
}

/// `quantity` units at `price` minor units each, rounded to the minor unit; `None` past `i64`.
pub fn line_amount(quantity: f64, price: i64) -> Option<i64> {
    let amount = (quantity * price as f64).round();
    (amount.is_finite() && amount.abs() < i64::MAX as f64).then_some(amount as i64)
}

/// The offers of one tender side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The tender's lines (line key, item, quantity), as the first request has them.
    pub lines: Vec<(String, String, f64)>,
    /// One per supplier asked, in the order the requests were made.
    pub offers: Vec<Offer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub purchase: PurchaseId,
    pub supplier: PartyId,
    pub state: State,
    /// Aligned with [`Comparison::lines`]; `None` where not quoted.
    pub prices: Vec<Option<i64>>,
    pub total: Option<i64>,
    pub promised: Option<i32>,
    /// The lowest total among the complete offers (ties: every one of them).
    pub cheapest: bool,
    /// The earliest promised delivery among the complete offers.
    pub soonest: bool,
}

impl Comparison {
    /// The requests of one tender, in any order; archived ones are left out, cancelled ones are shown
    /// but never marked best.
    pub fn of<'a>(requests: impl IntoIterator<Item = &'a PurchaseRow>) -> Comparison {
        let mut requests: Vec<&PurchaseRow> =
            requests.into_iter().filter(|row| !row.archived).collect();
        requests.sort_by_key(|row| (row.created_at, row.id));
        let lines: Vec<(String, String, f64)> = requests
            .first()
            .map(|row| {
                row.lines.iter().map(|l| (l.key.clone(), l.item.clone(), l.quantity)).collect()
            })
            .unwrap_or_default();
        let mut offers: Vec<Offer> = requests
            .iter()
            .map(|row| {
                let prices: Vec<Option<i64>> = lines
                    .iter()
                    .map(|(key, _, _)| {
                        row.lines.iter().find(|line| &line.key == key).and_then(|line| line.price)
                    })
                    .collect();
                Offer {
                    purchase: row.id,
                    supplier: row.supplier,
                    state: row.state,
                    prices,
                    total: row.quoted().then(|| row.total()).flatten(),
                    promised: row.promised,
                    cheapest: false,
                    soonest: false,
                }
            })
            .collect();
        let complete =
            |offer: &&mut Offer| offer.total.is_some() && offer.state != State::Cancelled;
        let lowest = offers.iter_mut().filter(complete).filter_map(|o| o.total).min();
        let earliest = offers.iter_mut().filter(complete).filter_map(|o| o.promised).min();
        for offer in &mut offers {
            let candidate = offer.total.is_some() && offer.state != State::Cancelled;
            offer.cheapest = candidate && offer.total == lowest;
            offer.soonest = candidate && offer.promised.is_some() && offer.promised == earliest;
        }
        Comparison { lines, offers }
    }
}

/// What choosing `chosen` among a tender's requests changes: it becomes the order, every other
/// request — and any other order — is cancelled. Nothing is created, so choosing twice changes
/// nothing more, and a tender that two devices ordered differently while apart is set right by the
/// next choice.
pub fn choose<'a>(
    requests: impl IntoIterator<Item = &'a PurchaseRow>,
    chosen: PurchaseId,
) -> Vec<(PurchaseId, PurchaseStatus)> {
    requests
        .into_iter()
        .filter_map(|row| {
            // Another order of the tender too (two devices that chose different offers while apart
            // left two): one order per tender.
            let wanted = if row.id == chosen { State::Ordered } else { State::Cancelled };
            (wanted != row.state).then_some((row.id, wanted.status()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u8, supplier: u8, prices: [Option<i64>; 2], promised: Option<i32>) -> PurchaseRow {
        PurchaseRow {
            id: PurchaseId::from_bytes([n; 16]),
            supplier: PartyId::from_bytes([supplier; 16]),
            tender: Some(TenderId::from_bytes([9; 16])),
            title: "Chairs".into(),
            currency: "EUR".into(),
            lines: vec![
                LineRow {
                    key: "a".into(),
                    item: "Chair".into(),
                    folded: "chair".into(),
                    quantity: 10.0,
                    price: prices[0],
                },
                LineRow {
                    key: "b".into(),
                    item: "Table".into(),
                    folded: "table".into(),
                    quantity: 2.5,
                    price: prices[1],
                },
            ],
            state: State::Requested,
            promised,
            delivered: None,
            rejected: 0.0,
            ordered_on: None,
            owner: None,
            created_at: Timestamp(i64::from(n)),
            archived: false,
        }
    }

    #[test]
    fn offers_compare_by_total_and_promised_day_among_complete_ones() {
        let rows = [
            row(1, 1, [Some(1_000), Some(4_000)], Some(20)), // 10,000 + 10,000
            row(2, 2, [Some(900), None], Some(5)),           // incomplete: never best
            row(3, 3, [Some(1_200), Some(3_200)], Some(12)), // 12,000 + 8,000
            row(4, 4, [Some(1_100), Some(4_000)], Some(12)), // 11,000 + 10,000
            // Withdrawn: cheaper and sooner, but no longer on offer.
            PurchaseRow { state: State::Cancelled, ..row(5, 5, [Some(1), Some(1)], Some(1)) },
        ];
        let comparison = Comparison::of(rows.iter().rev());
        assert_eq!(comparison.lines.len(), 2);
        let offers: Vec<(u8, Option<i64>, bool, bool)> = comparison
            .offers
            .iter()
            .map(|o| (o.purchase.as_bytes()[0], o.total, o.cheapest, o.soonest))
            .collect();
        assert_eq!(
            offers,
            [
                (1, Some(20_000), true, false),
                (2, None, false, false),
                (3, Some(20_000), true, true),
                (4, Some(21_000), false, true),
                (5, Some(13), false, false),
            ]
        );
    }

    #[test]
    fn choosing_an_offer_orders_it_cancels_the_rest_and_again_changes_nothing() {
        let mut rows = vec![row(1, 1, [None; 2], None), row(2, 2, [None; 2], None)];
        rows.push(PurchaseRow { state: State::Cancelled, ..row(3, 3, [None; 2], None) });
        // Ordered on another device while apart: one order per tender all the same.
        rows.push(PurchaseRow { state: State::Ordered, ..row(4, 4, [None; 2], None) });
        let changes = choose(&rows, rows[1].id);
        assert_eq!(
            changes,
            [
                (rows[0].id, PurchaseStatus::Cancelled),
                (rows[1].id, PurchaseStatus::Ordered),
                (rows[3].id, PurchaseStatus::Cancelled)
            ]
        );
        for (id, status) in changes {
            let row = rows.iter_mut().find(|row| row.id == id).unwrap();
            row.state = match status {
                PurchaseStatus::Requested => State::Requested,
                PurchaseStatus::Ordered => State::Ordered,
                PurchaseStatus::Cancelled => State::Cancelled,
            };
        }
        assert_eq!(choose(&rows, rows[1].id), []);
    }

    #[test]
    fn a_total_needs_every_price_and_rounds_fractions_of_units() {
        assert_eq!(row(1, 1, [Some(1_000), Some(333)], None).total(), Some(10_000 + 833));
        assert_eq!(row(1, 1, [Some(1_000), None], None).total(), None);
        assert_eq!(line_amount(f64::MAX, 2), None);
    }
}
