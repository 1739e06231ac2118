//! Supplier scorecards, derived: every device scores every supplier month by month from what is
//! recorded — orders delivered on time or late, units rejected, prices that rose on re-order — and from
//! people's ratings, weighs the criteria the workspace chose, and says where each supplier stands.
//! Nothing here is stored, so changing a weight re-scores every month on every device at once.
//!
//! Only months with something to score are scored (ERPNext scored empty periods as zero,
//! erpnext#31597): a quiet month is no worse than a good one. The standing follows the mean of the
//! last [`STANDING_MONTHS`] scored months (one late delivery in a quiet month does not block a supplier
//! with a clean record), a standing set by hand, and certifications that have expired — the worst of
//! them, with every reason.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::contract::{parse_day, utc_day};
use crate::ids::{FeedbackId, MemberId, PartyId, Timestamp};
use crate::layout::Month;
use crate::model::{Measure, Party, ScorecardCriterion, Standing, WorkspaceSettings};
use crate::purchase::{PurchaseRow, State};
use crate::read_model::{PartyRow, RoleRow};

/// Below this a supplier is on watch, when the workspace has not said.
pub const WATCH_BELOW: u8 = 70;
/// Below this a supplier is blocked, when the workspace has not said.
pub const BLOCK_BELOW: u8 = 50;
/// How many of the latest scored months the standing averages.
pub const STANDING_MONTHS: usize = 3;

/// The criteria a workspace scores on until it edits them.
pub fn default_criteria() -> Vec<(String, ScorecardCriterion)> {
    [
        ("on_time", "On-time delivery", 30, Measure::OnTime),
        ("quality", "Quality", 30, Measure::Quality),
        ("price", "Price", 20, Measure::Price),
        ("responsiveness", "Responsiveness", 20, Measure::Ratings),
    ]
    .into_iter()
    .enumerate()
    .map(|(position, (key, name, weight, measure))| {
        let position = position as u32;
        (key.to_owned(), ScorecardCriterion { name: name.into(), weight, measure, position })
    })
    .collect()
}

/// What suppliers are scored on, in the order they are listed, and the thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Criteria {
    pub list: Vec<(String, ScorecardCriterion)>,
    pub watch_below: u8,
    pub block_below: u8,
}

impl Criteria {
    pub fn of(settings: &WorkspaceSettings) -> Criteria {
        let mut list: Vec<(String, ScorecardCriterion)> = if settings.scorecard_criteria.is_empty()
        {
            default_criteria()
        } else {
            settings.scorecard_criteria.iter().map(|(k, c)| (k.clone(), c.clone())).collect()
        };
        list.sort_by(|a, b| (a.1.position, &a.0).cmp(&(b.1.position, &b.0)));
        let block_below = settings.scorecard_block_below.unwrap_or(BLOCK_BELOW).min(100);
        let watch_below =
            settings.scorecard_watch_below.unwrap_or(WATCH_BELOW).clamp(block_below, 100);
        Criteria { list, watch_below, block_below }
    }

    fn index(&self, key: &str) -> Option<usize> {
        self.list.iter().position(|(k, _)| k == key)
    }
}

/// A supplier's record as scorecards need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplierRow {
    pub supplies: Vec<String>,
    pub payment_terms: String,
    pub certifications: Vec<CertificationRow>,
    pub hold: Option<HoldRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificationRow {
    /// The certification id as text.
    pub key: String,
    pub name: String,
    /// Its last valid day (Julian); `None` when it does not expire.
    pub expires: Option<i32>,
    pub file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldRow {
    /// Blocked, else on watch.
    pub blocked: bool,
    pub reason: String,
    pub by: Option<MemberId>,
    pub at: Timestamp,
}

impl SupplierRow {
    /// `None` for a party with nothing of a supplier on its record.
    pub fn of(party: &Party) -> Option<SupplierRow> {
        let row = SupplierRow {
            supplies: crate::model::names(&party.supplies).map(str::to_owned).collect(),
            payment_terms: party.payment_terms.clone(),
            certifications: party
                .certifications
                .iter()
                .map(|(key, certification)| CertificationRow {
                    key: key.clone(),
                    name: certification.name.clone(),
                    expires: parse_day(&certification.expires).map(Date::to_julian_day),
                    file: certification.file.clone(),
                })
                .collect(),
            hold: party.hold.as_ref().filter(|hold| hold.standing != Standing::Ok).map(|hold| {
                HoldRow {
                    blocked: hold.standing == Standing::Blocked,
                    reason: hold.reason.clone(),
                    by: hold.by,
                    at: hold.at,
                }
            }),
        };
        let empty = row.supplies.is_empty()
            && row.payment_terms.is_empty()
            && row.certifications.is_empty()
            && row.hold.is_none();
        (!empty).then_some(row)
    }
}

/// A person's rating of a supplier (a scorecard [`crate::model::Feedback`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingRow {
    pub id: FeedbackId,
    pub party: PartyId,
    pub at: Timestamp,
    /// Criterion key → 1–5.
    pub scores: Vec<(String, u8)>,
    pub author: Option<MemberId>,
    pub note: String,
}

/// Why a supplier stands where it does; each says what standing it brings.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Set by hand.
    Hold { blocked: bool, reason: String },
    /// Its last scored months (`months` of them, up to `until`) averaged below a threshold.
    Score { until: Month, months: u8, score: u8, below: u8, blocked: bool },
    /// A certification's last valid day has passed.
    Expired { name: String, on: Date },
}

impl Reason {
    pub fn standing(&self) -> Standing {
        match self {
            Reason::Hold { blocked: true, .. } | Reason::Score { blocked: true, .. } => {
                Standing::Blocked
            }
            _ => Standing::Watch,
        }
    }
}

/// One supplier's scores and standing.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    pub supplier: PartyId,
    /// The scored months of the window, oldest first.
    pub months: Vec<MonthScore>,
    pub standing: Standing,
    /// Worst first.
    pub reasons: Vec<Reason>,
}

impl Scorecard {
    /// The latest scored month's score.
    pub fn latest(&self) -> Option<u8> {
        self.months.last().map(|month| month.score)
    }

    /// What the standing goes by: the mean of the last [`STANDING_MONTHS`] scored months, and how
    /// many there were.
    pub fn recent(&self) -> Option<(u8, usize)> {
        recent(&self.months)
    }

    /// How the latest scored month compares with the one scored before it.
    pub fn trend(&self) -> Option<i16> {
        match self.months.as_slice() {
            [.., before, last] => Some(i16::from(last.score) - i16::from(before.score)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthScore {
    pub month: Month,
    /// 0–100, the weighted mean of the criteria scored that month.
    pub score: u8,
    /// Aligned with [`Criteria::list`]: 0–100, `None` where nothing was recorded.
    pub criteria: Vec<Option<u8>>,
    /// Orders delivered by or after their promised day, or due and not delivered, that month.
    pub deliveries: u32,
}

/// What happened with one supplier in one month.
#[derive(Debug, Clone, Default)]
struct Tally {
    on_time: u32,
    late: u32,
    units: f64,
    rejected: f64,
    steady: u32,
    rose: u32,
    /// Per criterion: the sum of ratings (1–5) and their count.
    ratings: Vec<(u32, u32)>,
}

impl Tally {
    fn facts(&self, measure: Measure) -> Option<f64> {
        let share = |good: f64, all: f64| (all > 0.0).then(|| 100.0 * good / all);
        match measure {
            Measure::OnTime => share(f64::from(self.on_time), f64::from(self.on_time + self.late)),
            Measure::Quality => share(self.units - self.rejected, self.units),
            Measure::Price => share(f64::from(self.steady), f64::from(self.steady + self.rose)),
            Measure::Ratings => None,
        }
    }
}

/// The month index of a Julian day: months since year 0.
fn month_index(julian: i32) -> Option<i32> {
    let date = Date::from_julian_day(julian).ok()?;
    Some(date.year() * 12 + i32::from(u8::from(date.month())) - 1)
}

fn month_of_index(index: i32) -> Month {
    Month { year: index.div_euclid(12), month: (index.rem_euclid(12) + 1) as u8 }
}

/// The months scored: `width` months ending with `last` (month indices).
#[derive(Debug, Clone, Copy)]
struct Window {
    first: i32,
    width: usize,
}

impl Window {
    fn slot(self, julian: i32) -> Option<usize> {
        let index = month_index(julian)?;
        let slot = usize::try_from(index - self.first).ok()?;
        (slot < self.width).then_some(slot)
    }
}

/// The tally of `supplier` in month `slot`.
fn tally_of(
    tallies: &mut HashMap<PartyId, Vec<Tally>>,
    window: Window,
    supplier: PartyId,
    slot: usize,
) -> &mut Tally {
    &mut tallies.entry(supplier).or_insert_with(|| vec![Tally::default(); window.width])[slot]
}

/// Scorecards of every supplier — a party with the supplier role, or one ordered from — over the
/// `months` months up to `today`'s, in party order.
pub fn scorecards<'a>(
    parties: impl IntoIterator<Item = &'a PartyRow>,
    purchases: impl IntoIterator<Item = &'a PurchaseRow>,
    ratings: impl IntoIterator<Item = &'a RatingRow>,
    criteria: &Criteria,
    today: Date,
    months: u8,
) -> Vec<Scorecard> {
    let today_julian = today.to_julian_day();
    let width = usize::from(months.max(1));
    let last = today.year() * 12 + i32::from(u8::from(today.month())) - 1;
    let window = Window { first: last - width as i32 + 1, width };

    let parties: Vec<&PartyRow> = parties.into_iter().collect();
    // What was recorded against a record merged into another counts for the one it was merged into.
    let merged: HashMap<PartyId, PartyId> =
        parties.iter().filter_map(|p| Some((p.id, p.merged_into?))).collect();
    let survivor = |mut party: PartyId| {
        for _ in 0..8 {
            match merged.get(&party) {
                Some(into) => party = *into,
                None => break,
            }
        }
        party
    };
    let mut tallies: HashMap<PartyId, Vec<Tally>> = HashMap::new();
    // Each ordered item's (day, order, unit price), by (supplier, item, currency): for price changes.
    type Bought<'a> = HashMap<(PartyId, &'a str, &'a str), Vec<(i32, crate::ids::PurchaseId, i64)>>;
    let mut bought: Bought = HashMap::new();
    for purchase in purchases {
        if purchase.archived || purchase.state != State::Ordered {
            continue;
        }
        let supplier = survivor(purchase.supplier);
        tallies.entry(supplier).or_insert_with(|| vec![Tally::default(); width]);
        match (purchase.delivered, purchase.promised) {
            (Some(delivered), promised) => {
                if let Some(slot) = window.slot(delivered) {
                    let tally = tally_of(&mut tallies, window, supplier, slot);
                    match promised {
                        Some(promised) if delivered <= promised => tally.on_time += 1,
                        Some(_) => tally.late += 1,
                        None => {}
                    }
                    let units: f64 = purchase.lines.iter().map(|l| l.quantity.max(0.0)).sum();
                    tally.units += units;
                    tally.rejected += purchase.rejected.min(units);
                }
            }
            // Due and not delivered: late already, in the month it was due.
            (None, Some(promised)) if promised < today_julian => {
                if let Some(slot) = window.slot(promised) {
                    tally_of(&mut tallies, window, supplier, slot).late += 1;
                }
            }
            _ => {}
        }
        let Some(day) = purchase.ordered_on else { continue };
        // An item on several lines of one order counts once, at its highest price: lines of one
        // order are not re-orders of each other.
        let mut items: Vec<(&str, i64)> = Vec::with_capacity(purchase.lines.len());
        for line in &purchase.lines {
            let Some(price) = line.price else { continue };
            match items.iter_mut().find(|(item, _)| *item == line.folded) {
                Some((_, highest)) => *highest = (*highest).max(price),
                None => items.push((&line.folded, price)),
            }
        }
        for (item, price) in items {
            let key = (supplier, item, purchase.currency.as_str());
            bought.entry(key).or_default().push((day, purchase.id, price));
        }
    }
    for ((supplier, _, _), mut orders) in bought {
        orders.sort_unstable();
        for pair in orders.windows(2) {
            let [(_, _, before), (day, _, price)] = pair else { continue };
            if let Some(slot) = window.slot(*day) {
                let tally = tally_of(&mut tallies, window, supplier, slot);
                if price > before { tally.rose += 1 } else { tally.steady += 1 }
            }
        }
    }
    for rating in ratings {
        let Some(slot) = window.slot(utc_day(rating.at).to_julian_day()) else { continue };
        for (key, score) in &rating.scores {
            let (Some(index), 1..=5) = (criteria.index(key), score) else { continue };
            let tally = tally_of(&mut tallies, window, survivor(rating.party), slot);
            if tally.ratings.len() < criteria.list.len() {
                tally.ratings.resize(criteria.list.len(), (0, 0));
            }
            tally.ratings[index].0 += u32::from(*score);
            tally.ratings[index].1 += 1;
        }
    }

    parties
        .into_iter()
        .filter(|party| !party.archived)
        .filter(|party| party.roles.contains(&RoleRow::Supplier) || tallies.contains_key(&party.id))
        .map(|party| {
            let months: Vec<MonthScore> = tallies
                .get(&party.id)
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(slot, tally)| {
                    score_month(tally, criteria).map(|(score, scores)| MonthScore {
                        month: month_of_index(window.first + slot as i32),
                        score,
                        criteria: scores,
                        deliveries: tally.on_time + tally.late,
                    })
                })
                .collect();
            let reasons = reasons(party, &months, criteria, today_julian);
            let standing = reasons.first().map_or(Standing::Ok, Reason::standing);
            Scorecard { supplier: party.id, months, standing, reasons }
        })
        .collect()
}

/// A month's score and its criteria's, or `None` when nothing weighed was recorded.
fn score_month(tally: &Tally, criteria: &Criteria) -> Option<(u8, Vec<Option<u8>>)> {
    let mut weighted = 0.0;
    let mut weights = 0u64;
    let scores = criteria
        .list
        .iter()
        .enumerate()
        .map(|(index, (_, criterion))| {
            let rated = tally
                .ratings
                .get(index)
                .filter(|(_, count)| *count > 0)
                .map(|(sum, count)| 25.0 * (f64::from(*sum) / f64::from(*count) - 1.0));
            let parts = [tally.facts(criterion.measure), rated];
            let present: Vec<f64> = parts.into_iter().flatten().collect();
            if present.is_empty() {
                return None;
            }
            let score = present.iter().sum::<f64>() / present.len() as f64;
            if criterion.weight > 0 {
                weighted += score * f64::from(criterion.weight);
                weights += u64::from(criterion.weight);
            }
            Some(score.round().clamp(0.0, 100.0) as u8)
        })
        .collect();
    (weights > 0).then(|| ((weighted / weights as f64).round().clamp(0.0, 100.0) as u8, scores))
}

/// The mean of the last [`STANDING_MONTHS`] scored months, rounded, and how many there were.
fn recent(months: &[MonthScore]) -> Option<(u8, usize)> {
    let last = &months[months.len().saturating_sub(STANDING_MONTHS)..];
    let sum: u32 = last.iter().map(|m| u32::from(m.score)).sum();
    let count = u32::try_from(last.len()).ok().filter(|n| *n > 0)?;
    Some((((sum + count / 2) / count) as u8, last.len()))
}

fn reasons(
    party: &PartyRow,
    months: &[MonthScore],
    criteria: &Criteria,
    today: i32,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if let Some(hold) = party.supplier.as_ref().and_then(|s| s.hold.as_ref()) {
        reasons.push(Reason::Hold { blocked: hold.blocked, reason: hold.reason.clone() });
    }
    if let (Some((score, count)), Some(until)) = (recent(months), months.last()) {
        let blocked = score < criteria.block_below;
        if blocked || score < criteria.watch_below {
            let below = if blocked { criteria.block_below } else { criteria.watch_below };
            let months = count as u8;
            reasons.push(Reason::Score { until: until.month, months, score, below, blocked });
        }
    }
    for certification in party.supplier.iter().flat_map(|s| &s.certifications) {
        let Some(expires) = certification.expires.filter(|day| *day < today) else { continue };
        let Ok(on) = Date::from_julian_day(expires) else { continue };
        reasons.push(Reason::Expired { name: certification.name.clone(), on });
    }
    // Worst first; a hold before a score of the same standing.
    reasons.sort_by_key(|reason| std::cmp::Reverse(reason.standing()));
    reasons
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ids::{PurchaseId, TenderId};
    use crate::purchase::LineRow;
    use crate::read_model::PartyKindRow;

    const DAY_MS: i64 = 24 * 60 * 60 * 1000;

    fn d(year: i32, month: u8, day: u8) -> Date {
        Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), day).unwrap()
    }

    fn j(year: i32, month: u8, day: u8) -> i32 {
        d(year, month, day).to_julian_day()
    }

    fn supplier(n: u8) -> PartyRow {
        PartyRow {
            kind: PartyKindRow::Organisation,
            roles: vec![RoleRow::Supplier],
            ..PartyRow::named(PartyId::from_bytes([n; 16]), &format!("Supplier {n}"))
        }
    }

    struct Order {
        n: u8,
        supplier: u8,
        lines: Vec<(&'static str, f64, i64)>,
        ordered: i32,
        promised: Option<i32>,
        delivered: Option<i32>,
        rejected: f64,
    }

    fn order(o: Order) -> PurchaseRow {
        PurchaseRow {
            id: PurchaseId::from_bytes([o.n; 16]),
            supplier: PartyId::from_bytes([o.supplier; 16]),
            tender: None::<TenderId>,
            title: "Order".into(),
            currency: "EUR".into(),
            lines: o
                .lines
                .iter()
                .enumerate()
                .map(|(i, (item, quantity, price))| LineRow {
                    key: i.to_string(),
                    item: (*item).into(),
                    folded: crate::search::fold(item.trim()),
                    quantity: *quantity,
                    price: Some(*price),
                })
                .collect(),
            state: State::Ordered,
            promised: o.promised,
            delivered: o.delivered,
            rejected: o.rejected,
            ordered_on: Some(o.ordered),
            owner: None,
            created_at: Timestamp(0),
            archived: false,
        }
    }

    fn rating(n: u8, supplier: u8, day: Date, scores: &[(&str, u8)]) -> RatingRow {
        RatingRow {
            id: FeedbackId::from_bytes([n; 16]),
            party: PartyId::from_bytes([supplier; 16]),
            at: Timestamp((day.to_julian_day() - 2_440_588) as i64 * DAY_MS + 3_600_000),
            scores: scores.iter().map(|(k, s)| (k.to_string(), *s)).collect(),
            author: None,
            note: String::new(),
        }
    }

    fn criteria() -> Criteria {
        Criteria::of(&WorkspaceSettings::default())
    }

    #[test]
    fn a_month_is_scored_from_deliveries_rejects_prices_and_ratings_by_weight() {
        let orders = [
            // October: ordered at 100 a bolt, delivered on time, 5 of 50 rejected.
            Order {
                n: 1,
                supplier: 1,
                lines: vec![("Bolt", 50.0, 100)],
                ordered: j(2026, 10, 1),
                promised: Some(j(2026, 10, 10)),
                delivered: Some(j(2026, 10, 9)),
                rejected: 5.0,
            },
            // November: the bolt at 120 (rose), delivered late.
            Order {
                n: 2,
                supplier: 1,
                lines: vec![("bolt ", 50.0, 120)],
                ordered: j(2026, 11, 2),
                promised: Some(j(2026, 11, 10)),
                delivered: Some(j(2026, 11, 20)),
                rejected: 0.0,
            },
            // Due in November, still not delivered: late too.
            Order {
                n: 3,
                supplier: 1,
                lines: vec![("Nut", 10.0, 5)],
                ordered: j(2026, 11, 3),
                promised: Some(j(2026, 11, 25)),
                delivered: None,
                rejected: 0.0,
            },
        ]
        .map(order);
        let ratings = [
            rating(1, 1, d(2026, 11, 5), &[("responsiveness", 5), ("quality", 3)]),
            rating(2, 1, d(2026, 11, 6), &[("responsiveness", 4), ("nonsense", 5)]),
        ];
        let parties = [supplier(1)];
        let cards = scorecards(&parties, &orders, &ratings, &criteria(), d(2026, 12, 2), 12);
        let card = &cards[0];
        let months: Vec<String> = card.months.iter().map(|m| m.month.to_string()).collect();
        assert_eq!(months, ["2026-10", "2026-11"], "quiet months are not scored");
        // October: on time 100, quality 90; nothing else recorded: (100·30 + 90·30) / 60.
        assert_eq!(card.months[0].criteria, [Some(100), Some(90), None, None]);
        assert_eq!(card.months[0].score, 95);
        // November: on time 0 of 2; quality 100 by facts and 50 by a rating: 75; price 0 (rose);
        // responsiveness 4.5 → 87.5. (0·30 + 75·30 + 0·20 + 87.5·20) / 100 = 40.
        assert_eq!(card.months[1].criteria, [Some(0), Some(75), Some(0), Some(88)]);
        assert_eq!((card.months[1].score, card.months[1].deliveries), (40, 2));
        assert_eq!(card.trend(), Some(-55));
        // The standing goes by the mean of the scored months: (95 + 40) / 2, rounded — on watch, not
        // blocked by one bad month.
        assert_eq!(card.recent(), Some((68, 2)));
        assert_eq!(card.standing, Standing::Watch);
        let until = Month { year: 2026, month: 11 };
        assert_eq!(
            card.reasons,
            [Reason::Score { until, months: 2, score: 68, below: 70, blocked: false }]
        );
    }

    #[test]
    fn changing_the_weights_changes_the_standing() {
        // On time always, but the price rose on every re-order.
        let orders: Vec<PurchaseRow> = (1..=3u8)
            .map(|n| {
                order(Order {
                    n,
                    supplier: 1,
                    lines: vec![("Desk", 1.0, 100 * i64::from(n))],
                    ordered: j(2026, 11, n),
                    promised: Some(j(2026, 11, 20)),
                    delivered: Some(j(2026, 11, 15)),
                    rejected: 0.0,
                })
            })
            .collect();
        let parties = [supplier(1)];
        let today = d(2026, 11, 30);
        let mut settings = WorkspaceSettings::default();
        let standing = |settings: &WorkspaceSettings| {
            let cards = scorecards(&parties, &orders, &[], &Criteria::of(settings), today, 12);
            (cards[0].latest(), cards[0].standing)
        };
        // Defaults: on time 100·30, quality 100·30, price 0·20 (nobody rated responsiveness) → 75.
        assert_eq!(standing(&settings), (Some(75), Standing::Ok));
        let mut weights = default_criteria();
        weights[2].1.weight = 60; // price matters most now
        settings.scorecard_criteria = weights.into_iter().collect();
        assert_eq!(standing(&settings), (Some(50), Standing::Watch));
        settings.scorecard_criteria.get_mut("price").unwrap().weight = 200;
        assert_eq!(standing(&settings), (Some(23), Standing::Blocked));
        settings.scorecard_block_below = Some(20);
        assert_eq!(standing(&settings), (Some(23), Standing::Watch));
    }

    #[test]
    fn what_was_recorded_against_a_merged_record_counts_for_the_one_it_was_merged_into() {
        let mut duplicate = supplier(2);
        duplicate.archived = true;
        duplicate.merged_into = Some(PartyId::from_bytes([1; 16]));
        let orders = [order(Order {
            n: 1,
            supplier: 2,
            lines: vec![("Desk", 4.0, 100)],
            ordered: j(2026, 11, 1),
            promised: Some(j(2026, 11, 10)),
            delivered: Some(j(2026, 11, 9)),
            rejected: 1.0,
        })];
        let ratings = [rating(1, 2, d(2026, 11, 12), &[("responsiveness", 5)])];
        let parties = [supplier(1), duplicate];
        let cards = scorecards(&parties, &orders, &ratings, &criteria(), d(2026, 11, 30), 12);
        assert_eq!(cards.len(), 1, "the duplicate has no card of its own");
        assert_eq!(cards[0].supplier, PartyId::from_bytes([1; 16]));
        assert_eq!(cards[0].months[0].criteria, [Some(100), Some(75), None, Some(100)]);
    }

    #[test]
    fn a_hold_and_an_expired_certification_set_the_standing_with_their_reasons() {
        let mut party = supplier(1);
        party.supplier = Some(Box::new(SupplierRow {
            supplies: Vec::new(),
            payment_terms: String::new(),
            certifications: vec![
                CertificationRow {
                    key: "a".into(),
                    name: "ISO 9001".into(),
                    expires: Some(j(2026, 11, 30)),
                    file: None,
                },
                CertificationRow {
                    key: "b".into(),
                    name: "Licence".into(),
                    expires: Some(j(2026, 12, 1)),
                    file: None,
                },
            ],
            hold: None,
        }));
        let today = d(2026, 12, 1);
        let card =
            |party: &PartyRow| scorecards([party], &[], &[], &criteria(), today, 12).remove(0);
        let expired = Reason::Expired { name: "ISO 9001".into(), on: d(2026, 11, 30) };
        let watched = card(&party);
        assert_eq!((watched.standing, watched.reasons), (Standing::Watch, vec![expired.clone()]));
        assert!(watched.months.is_empty(), "nothing recorded: nothing scored");
        party.supplier.as_mut().unwrap().hold = Some(HoldRow {
            blocked: true,
            reason: "Unpaid credit note".into(),
            by: None,
            at: Timestamp(0),
        });
        let blocked = card(&party);
        assert_eq!(blocked.standing, Standing::Blocked);
        assert_eq!(
            blocked.reasons,
            [Reason::Hold { blocked: true, reason: "Unpaid credit note".into() }, expired]
        );
    }

    // --- The property test: the scores against a naive computation over the same records.

    /// What the naive computation reads of one month of one supplier, computed record by record.
    fn naive_month(
        supplier: PartyId,
        month: (i32, u8),
        orders: &[PurchaseRow],
        ratings: &[RatingRow],
        criteria: &Criteria,
        today: i32,
    ) -> Option<(u8, Vec<Option<u8>>)> {
        let in_month = |julian: i32| {
            let date = Date::from_julian_day(julian).unwrap();
            (date.year(), u8::from(date.month())) == month
        };
        let ordered: Vec<&PurchaseRow> = orders
            .iter()
            .filter(|o| o.supplier == supplier && o.state == State::Ordered && !o.archived)
            .collect();
        let (mut on_time, mut late, mut units, mut rejected) = (0u32, 0u32, 0.0f64, 0.0f64);
        for o in &ordered {
            if let Some(delivered) = o.delivered.filter(|day| in_month(*day)) {
                match o.promised {
                    Some(p) if delivered <= p => on_time += 1,
                    Some(_) => late += 1,
                    None => {}
                }
                let n: f64 = o.lines.iter().map(|l| l.quantity.max(0.0)).sum();
                units += n;
                rejected += o.rejected.min(n);
            } else if o.delivered.is_none() && o.promised.is_some_and(|p| p < today && in_month(p))
            {
                late += 1;
            }
        }
        // An order's price of an item: the highest among its lines of that item.
        let price_in = |o: &PurchaseRow, item: &str| {
            o.lines
                .iter()
                .filter(|l| crate::search::fold(l.item.trim()) == item)
                .filter_map(|l| l.price)
                .max()
        };
        let (mut steady, mut rose) = (0u32, 0u32);
        for o in &ordered {
            let Some(day) = o.ordered_on.filter(|day| in_month(*day)) else { continue };
            let items: std::collections::BTreeSet<String> =
                o.lines.iter().map(|l| crate::search::fold(l.item.trim())).collect();
            for item in items {
                let Some(price) = price_in(o, &item) else { continue };
                let before = ordered
                    .iter()
                    .filter(|p| p.currency == o.currency)
                    .filter_map(|p| Some((p.ordered_on?, p.id, price_in(p, &item)?)))
                    .filter(|(when, id, _)| (*when, *id) < (day, o.id))
                    .max_by_key(|(when, id, _)| (*when, *id));
                if let Some((_, _, previous)) = before {
                    if price > previous { rose += 1 } else { steady += 1 }
                }
            }
        }
        let mut weighted = 0.0;
        let mut weights = 0u64;
        let mut scores = Vec::new();
        for (key, criterion) in &criteria.list {
            let facts = match criterion.measure {
                Measure::OnTime if on_time + late > 0 => {
                    Some(100.0 * f64::from(on_time) / f64::from(on_time + late))
                }
                Measure::Quality if units > 0.0 => Some(100.0 * (units - rejected) / units),
                Measure::Price if steady + rose > 0 => {
                    Some(100.0 * f64::from(steady) / f64::from(steady + rose))
                }
                _ => None,
            };
            let given: Vec<u8> = ratings
                .iter()
                .filter(|r| r.party == supplier)
                .filter(|r| in_month((r.at.0.div_euclid(DAY_MS)) as i32 + 2_440_588))
                .flat_map(|r| r.scores.iter())
                .filter(|(k, s)| k == key && (1..=5).contains(s))
                .map(|(_, s)| *s)
                .collect();
            let rated = (!given.is_empty()).then(|| {
                let mean = given.iter().map(|s| f64::from(*s)).sum::<f64>() / given.len() as f64;
                25.0 * (mean - 1.0)
            });
            let score = match (facts, rated) {
                (Some(f), Some(r)) => Some((f + r) / 2.0),
                (one, other) => one.or(other),
            };
            if let (Some(score), true) = (score, criterion.weight > 0) {
                weighted += score * f64::from(criterion.weight);
                weights += u64::from(criterion.weight);
            }
            scores.push(score.map(|s| s.round() as u8));
        }
        (weights > 0).then(|| ((weighted / weights as f64).round() as u8, scores))
    }

    prop_compose! {
        fn any_order(today: i32)(
            n in any::<u8>(),
            supplier in 1u8..4,
            lines in proptest::collection::vec(
                (prop_oneof![Just("Bolt"), Just("bolt "), Just("Nut"), Just("Гайка")], 1u32..40, 95i64..105),
                1..4,
            ),
            ordered in -420i32..0,
            promised in proptest::option::of(0i32..40),
            delivered in proptest::option::of(-5i32..60),
            rejected in 0u32..50,
            state in prop_oneof![8 => Just(State::Ordered), 1 => Just(State::Requested), 1 => Just(State::Cancelled)],
            archived in proptest::bool::weighted(0.05),
            euro in proptest::bool::weighted(0.8),
        ) -> PurchaseRow {
            let ordered_on = today + ordered;
            // An item may be on several lines of one order, at different prices.
            let lines = lines
                .into_iter()
                .enumerate()
                .map(|(i, (item, quantity, price))| LineRow {
                    key: i.to_string(),
                    item: item.into(),
                    folded: crate::search::fold(item.trim()),
                    quantity: f64::from(quantity),
                    price: Some(price),
                })
                .collect();
            PurchaseRow {
                id: PurchaseId::from_bytes([n; 16]),
                supplier: PartyId::from_bytes([supplier; 16]),
                tender: None,
                title: String::new(),
                currency: if euro { "EUR" } else { "USD" }.into(),
                lines,
                state,
                promised: promised.map(|p| ordered_on + p),
                delivered: delivered.map(|p| ordered_on + p).filter(|day| *day <= today),
                rejected: f64::from(rejected),
                ordered_on: Some(ordered_on),
                owner: None,
                created_at: Timestamp(0),
                archived,
            }
        }
    }

    proptest! {
        /// Every supplier's every month, scored from the read rows, equals a naive computation
        /// record by record; unscored months are exactly those the naive one cannot score; and the
        /// standing follows the mean of the last three scored months.
        #[test]
        fn scorecards_agree_with_a_naive_computation(
            orders in proptest::collection::vec(any_order(j(2026, 12, 2)), 0..40),
            ratings in proptest::collection::vec(
                (any::<u8>(), 1u8..4, -400i32..0, proptest::collection::vec(
                    (prop_oneof![Just("quality"), Just("responsiveness"), Just("price"), Just("other")], 0u8..7),
                    1..3,
                )),
                0..12,
            ),
            weights in proptest::collection::vec(0u32..50, 4),
        ) {
            let today = d(2026, 12, 2);
            // Distinct ids, as in a real workspace.
            let mut seen = std::collections::BTreeSet::new();
            let orders: Vec<PurchaseRow> = orders.into_iter().filter(|o| seen.insert(o.id)).collect();
            let ratings: Vec<RatingRow> = ratings
                .into_iter()
                .map(|(n, party, day, scores)| {
                    let scores: Vec<(&str, u8)> = scores.iter().map(|(k, s)| (*k, *s)).collect();
                    rating(n, party, today + time::Duration::days(i64::from(day)), &scores)
                })
                .collect();
            let settings = WorkspaceSettings {
                scorecard_criteria: default_criteria()
                    .into_iter()
                    .zip(&weights)
                    .map(|((key, criterion), weight)| {
                        (key, ScorecardCriterion { weight: *weight, ..criterion })
                    })
                    .collect(),
                ..WorkspaceSettings::default()
            };
            let criteria = Criteria::of(&settings);
            let parties: Vec<PartyRow> = (1..4).map(supplier).collect();
            let cards = scorecards(&parties, &orders, &ratings, &criteria, today, 12);
            prop_assert_eq!(cards.len(), 3);
            for card in &cards {
                let mut expected = Vec::new();
                for back in (0..12).rev() {
                    let index = 2026 * 12 + 11 - back;
                    let month = (index / 12, (index % 12 + 1) as u8);
                    if let Some((score, criteria)) = naive_month(
                        card.supplier, month, &orders, &ratings, &criteria, today.to_julian_day(),
                    ) {
                        expected.push((format!("{:04}-{:02}", month.0, month.1), score, criteria));
                    }
                }
                let got: Vec<(String, u8, Vec<Option<u8>>)> = card
                    .months
                    .iter()
                    .map(|m| (m.month.to_string(), m.score, m.criteria.clone()))
                    .collect();
                prop_assert_eq!(&got, &expected);
                // The standing: the mean of the last three scored months, rounded half up.
                let last: Vec<f64> = got.iter().rev().take(3).map(|(_, s, _)| f64::from(*s)).collect();
                let mean = (!last.is_empty())
                    .then(|| (last.iter().sum::<f64>() / last.len() as f64 + 0.5).floor() as u8);
                let standing = match mean {
                    Some(score) if score < BLOCK_BELOW => Standing::Blocked,
                    Some(score) if score < WATCH_BELOW => Standing::Watch,
                    _ => Standing::Ok,
                };
                prop_assert_eq!(card.standing, standing);
            }
        }
    }
}
