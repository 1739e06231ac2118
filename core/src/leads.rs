//! Leads on the marketing dashboard, derived: how many came in each month and how many of those
//! have been won since (lead to won, by the month a lead came in), and how the leads score now
//! against the workspace's handoff threshold. Pure functions of the read model (and of the scores
//! every device computes alike, [`crate::scoring`]), so every device draws the same board.
//!
//! A lead is a record that is not a colleague, a supplier or an investor (as handoffs count them,
//! [`is_lead`]); it is won once a deal naming it — or an organisation it works at — was won at or
//! after it came in. Deals of a fundraising round are no sales. A month's leads stay counted when
//! they are archived later (a lost lead is still a lead that came in); a duplicate merged into
//! another record counts as that record, and a person erased at their request not at all.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::analytics::{Bar, Months};
use crate::ids::{MemberId, PartyId, Timestamp};
use crate::layout::Month;
use crate::read_model::{DealStatusRow, PartyRow, ReadModel, RoleRow};

/// Whom nobody counts as a lead, whatever they score: colleagues, suppliers and investors.
const NOT_LEADS: [RoleRow; 3] = [RoleRow::Employee, RoleRow::Supplier, RoleRow::Investor];

/// Whether `row` can be a lead now: an active record, not a colleague, a supplier or an investor.
pub fn is_lead(row: &PartyRow) -> bool {
    !row.archived && came_in_as_lead(row)
}

/// Whether `row` counts among the leads of the month it came in: archived since or not, but not
/// merged into another record nor erased.
fn came_in_as_lead(row: &PartyRow) -> bool {
    row.merged_into.is_none() && !row.erased && !row.roles.iter().any(|r| NOT_LEADS.contains(r))
}

/// The leads that came in during one month, and those of them won since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    pub month: Month,
    pub leads: Bar<(), PartyId>,
    pub won: Bar<(), PartyId>,
}

impl Cohort {
    /// The share of its leads won, in whole percent; `None` without leads.
    pub fn rate(&self) -> Option<u8> {
        (self.leads.value > 0).then(|| (self.won.value * 100 / self.leads.value) as u8)
    }
}

/// Each month of `months`, oldest first, with the leads that came in during it (owned by `owner`
/// when one is given) and those of them won since.
pub fn conversion(model: &ReadModel, months: Months, owner: Option<MemberId>) -> Vec<Cohort> {
    let mut cohorts: Vec<Cohort> = months
        .iter()
        .map(|month| Cohort {
            month,
            leads: Bar { key: (), value: 0, records: Vec::new() },
            won: Bar { key: (), value: 0, records: Vec::new() },
        })
        .collect();
    let leads: Vec<&PartyRow> = model
        .parties
        .values()
        .filter(|row| months.contains(row.created_at) && came_in_as_lead(row))
        .filter(|row| owner.is_none_or(|owner| row.owner == Some(owner)))
        .collect();
    if leads.is_empty() {
        return cohorts;
    }
    // The latest win of each record a won deal names, for the record that record ended in: any win
    // since a lead came in is at or before the latest.
    let mut last_won: HashMap<PartyId, Timestamp> = HashMap::new();
    for deal in model.deals.values() {
        if deal.status != DealStatusRow::Won || deal.round.is_some() {
            continue;
        }
        let at = deal.closed_at.unwrap_or(deal.created_at);
        for party in &deal.parties {
            let party = crate::segments::survivor(model, *party);
            last_won.entry(party).and_modify(|t| *t = (*t).max(at)).or_insert(at);
        }
    }
    let won_since =
        |party: &PartyId, since: Timestamp| last_won.get(party).is_some_and(|at| *at >= since);
    // Which month a time falls in, by the months' first milliseconds (cheaper than a calendar).
    let starts: Vec<Timestamp> = months.iter().map(Month::start).collect();
    let index = |at: Timestamp| starts.partition_point(|start| *start <= at).checked_sub(1);
    // In id order (the parties' own), the same on every device; a screen sorts the few it lists.
    for row in leads {
        let Some(cohort) = index(row.created_at).and_then(|n| cohorts.get_mut(n)) else {
            continue;
        };
        cohort.leads.value += 1;
        cohort.leads.records.push(row.id);
        let organisations =
            row.organisations.iter().map(|org| crate::segments::survivor(model, *org));
        if std::iter::once(row.id)
            .chain(organisations)
            .any(|party| won_since(&party, row.created_at))
        {
            cohort.won.value += 1;
            cohort.won.records.push(row.id);
        }
    }
    cohorts
}

/// A band of lead scores: from `from` (none: any score below `to`) up to, not including, `to`
/// (none: any score from `from` up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Band {
    pub fn contains(self, score: i64) -> bool {
        self.from.is_none_or(|from| score >= from) && self.to.is_none_or(|to| score < to)
    }

    /// Stable across languages: "below-0", "0-24", "100-up".
    pub fn key(self) -> String {
        match (self.from, self.to) {
            (None, Some(to)) => format!("below-{to}"),
            (Some(from), None) => format!("{from}-up"),
            (Some(from), Some(to)) => format!("{from}-{}", to - 1),
            (None, None) => "all".to_owned(),
        }
    }
}

/// The threshold bands are drawn against when the workspace hands no leads over.
pub const DEFAULT_THRESHOLD: i64 = 100;

/// The leads (owned by `owner`, when one is given) by their score now, in bands: below 0 (only when
/// someone is), four quarters up to `threshold` (the workspace's handoff threshold, or
/// [`DEFAULT_THRESHOLD`]; fewer below a threshold under 4 points), and at or above it. A lead
/// missing from `scores` scores 0. Each band's records are in id order (a screen sorts the few it
/// lists).
pub fn by_score(
    model: &ReadModel,
    scores: &HashMap<PartyId, i64>,
    threshold: Option<i64>,
    owner: Option<MemberId>,
) -> Vec<Bar<Band, PartyId>> {
    let top = threshold.unwrap_or(DEFAULT_THRESHOLD).max(1);
    let mut edges = vec![0, top / 4, top / 2, top * 3 / 4, top];
    // A threshold under 4 points has fewer quarters than four: no band is empty by construction.
    edges.dedup();
    let mut bands: Vec<Bar<Band, PartyId>> = std::iter::once(Band { from: None, to: Some(0) })
        .chain(edges.windows(2).map(|w| Band { from: Some(w[0]), to: Some(w[1]) }))
        .chain(std::iter::once(Band { from: Some(top), to: None }))
        .map(|key| Bar { key, value: 0, records: Vec::new() })
        .collect();
    let leads = model.parties.values();
    for row in leads.filter(|row| is_lead(row) && owner.is_none_or(|o| row.owner == Some(o))) {
        let score = scores.get(&row.id).copied().unwrap_or(0);
        if let Some(bar) = bands.iter_mut().find(|bar| bar.key.contains(score)) {
            bar.value += 1;
            bar.records.push(row.id);
        }
    }
    if bands[0].value == 0 {
        bands.remove(0);
    }
    bands
}

/// A leads chart a board asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadsChart {
    /// The leads of these months, with those won since ([`conversion`]).
    Conversion(Months),
    /// The leads by their score now ([`by_score`]).
    ByScore,
}

/// The answer of `chart` over `model`, the leads owned by `owner` when one is given; by score over
/// `scores` (none: [`Leads::Unscored`]).
pub fn answer(
    model: &ReadModel,
    settings: &crate::model::WorkspaceSettings,
    scores: Option<&HashMap<PartyId, i64>>,
    chart: LeadsChart,
    owner: Option<MemberId>,
) -> Leads {
    match chart {
        LeadsChart::Conversion(months) => Leads::Conversion(conversion(model, months, owner)),
        LeadsChart::ByScore => match scores {
            Some(scores) => Leads::ByScore(by_score(model, scores, settings.lead_threshold, owner)),
            None => Leads::Unscored,
        },
    }
}

/// A leads chart's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Leads {
    Conversion(Vec<Cohort>),
    ByScore(Vec<Bar<Band, PartyId>>),
    /// Nobody is scored (yet): there are no bands to draw.
    Unscored,
}

impl Leads {
    /// Leaves out the records of every bar but `pick`'s — its key as a chart names it (a cohort's
    /// month, a band's [`Band::key`]) and its series (a cohort's leads 0, those won 1) —: the counts
    /// stay, and a page reads the few ids it lists rather than every lead of a year.
    pub fn keep_records_of(&mut self, pick: Option<&(String, usize)>) {
        let picked =
            |key: &str, series: usize| pick.is_some_and(|(k, s)| k.as_str() == key && *s == series);
        match self {
            Leads::Conversion(cohorts) => {
                for cohort in cohorts {
                    let key = cohort.month.to_string();
                    for (series, bar) in
                        [&mut cohort.leads, &mut cohort.won].into_iter().enumerate()
                    {
                        if !picked(&key, series) {
                            bar.records = Vec::new();
                        }
                    }
                }
            }
            Leads::ByScore(bands) => {
                for bar in bands.iter_mut().filter(|bar| !picked(&bar.key.key(), 0)) {
                    bar.records = Vec::new();
                }
            }
            Leads::Unscored => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DealId, PipelineId, StageId};
    use crate::read_model::DealRow;

    /// 21 November 2026, noon UTC.
    const NOW: Timestamp = Timestamp(1_795_262_400_000);
    const DAY: i64 = 24 * 60 * 60 * 1000;

    fn party(model: &mut ReadModel, n: u8, name: &str, days_ago: i64) -> PartyId {
        let id = PartyId::from_bytes([n; 16]);
        let row =
            PartyRow { created_at: Timestamp(NOW.0 - days_ago * DAY), ..PartyRow::named(id, name) };
        model.parties.insert(id, row);
        id
    }

    fn won(model: &mut ReadModel, n: u8, parties: &[PartyId], days_ago: i64) {
        let id = DealId::from_bytes([n; 16]);
        let at = Timestamp(NOW.0 - days_ago * DAY);
        let row = DealRow {
            id,
            title: format!("Deal {n}"),
            pipeline: PipelineId::from_bytes([1; 16]),
            stage: StageId::from_bytes([2; 16]),
            amount_minor: 1_000,
            currency: "EUR".into(),
            expected_close: None,
            owner: None,
            parties: parties.to_vec(),
            status: DealStatusRow::Won,
            created_at: Timestamp(at.0 - 10 * DAY),
            stage_since: at,
            stages: Vec::new(),
            closed_at: Some(at),
            closings: Vec::new(),
            terms: Vec::new(),
            lost_reason: String::new(),
            round: None,
            soft_circled: None,
            committed: None,
        };
        model.deals.insert(id, row);
    }

    #[test]
    fn leads_are_counted_in_the_month_they_came_in_and_won_when_a_deal_naming_them_closed_after() {
        let mut model = ReadModel::default();
        // November (this month): Anna won through her organisation, Boris not yet, a supplier
        // that is no lead.
        let anna = party(&mut model, 1, "Anna", 10);
        let boris = party(&mut model, 2, "Boris", 5);
        let supplier = party(&mut model, 3, "Steel Ltd", 3);
        model.parties.get_mut(&supplier).unwrap().roles.push(RoleRow::Supplier);
        // Kontor, an organisation that came in long ago, won a deal naming it yesterday.
        let kontor = party(&mut model, 4, "Kontor", 400);
        model.parties.get_mut(&anna).unwrap().organisations.push(kontor);
        won(&mut model, 1, &[kontor], 1);
        // October: Clara, won through a record merged into her; Dmitri, whose only win was before
        // he came in (the deal names his organisation, won long ago).
        let clara = party(&mut model, 5, "Clara", 40);
        let clara_old = party(&mut model, 6, "Clara (old)", 300);
        model.parties.get_mut(&clara_old).unwrap().merged_into = Some(clara);
        model.parties.get_mut(&clara_old).unwrap().archived = true;
        won(&mut model, 2, &[clara_old], 20);
        let old_org = party(&mut model, 7, "Old Org", 500);
        let dmitri = party(&mut model, 8, "Dmitri", 35);
        model.parties.get_mut(&dmitri).unwrap().organisations.push(old_org);
        won(&mut model, 3, &[old_org], 200);
        // A round's deal is no sale.
        let investor_deal_party = party(&mut model, 9, "Edith", 38);
        won(&mut model, 4, &[investor_deal_party], 2);
        model.deals.get_mut(&DealId::from_bytes([4; 16])).unwrap().round =
            Some(crate::ids::RoundId::from_bytes([1; 16]));

        // Fyodor's organisation won long before he came in, and again since.
        let fyodor = party(&mut model, 10, "Fyodor", 36);
        let new_org = party(&mut model, 11, "New Org", 600);
        model.parties.get_mut(&fyodor).unwrap().organisations.push(new_org);
        won(&mut model, 5, &[new_org], 300);
        won(&mut model, 6, &[new_org], 4);
        // Boris, archived since, is still one of November's leads.
        model.parties.get_mut(&boris).unwrap().archived = true;

        let cohorts = conversion(&model, Months::ending_at(NOW, 2), None);
        // Month, leads, won, those won, rate.
        type Counted = (u8, i64, i64, Vec<PartyId>, Option<u8>);
        let counted: Vec<Counted> = cohorts
            .iter()
            .map(|c| (c.month.month, c.leads.value, c.won.value, c.won.records.clone(), c.rate()))
            .collect();
        assert_eq!(
            counted,
            vec![(10, 4, 2, vec![clara, fyodor], Some(50)), (11, 2, 1, vec![anna], Some(50))]
        );
        assert_eq!(cohorts[1].leads.records, vec![anna, boris]);

        // Only Boris's: his leads, none won.
        let boris_member = MemberId::from_bytes([9; 16]);
        model.parties.get_mut(&boris).unwrap().owner = Some(boris_member);
        let his = conversion(&model, Months::ending_at(NOW, 2), Some(boris_member));
        assert_eq!(his[0].leads.value, 0);
        assert_eq!(his[0].rate(), None);
        assert_eq!((his[1].leads.records.clone(), his[1].won.value), (vec![boris], 0));
    }

    #[test]
    fn leads_fall_in_quarters_of_the_threshold_and_above_it() {
        let mut model = ReadModel::default();
        let names = ["A", "B", "C", "D", "E", "F", "G"];
        let ids: Vec<PartyId> = names
            .iter()
            .enumerate()
            .map(|(n, name)| party(&mut model, n as u8 + 1, name, 5))
            .collect();
        let points = [-3, 0, 12, 25, 49, 74, 80];
        let scores: HashMap<PartyId, i64> = ids.iter().copied().zip(points).collect();
        let bands = by_score(&model, &scores, Some(50), None);
        let drawn: Vec<(String, i64)> = bands.iter().map(|b| (b.key.key(), b.value)).collect();
        assert_eq!(
            drawn,
            vec![
                ("below-0".to_owned(), 1),
                ("0-11".to_owned(), 1),
                ("12-24".to_owned(), 1),
                ("25-36".to_owned(), 1),
                ("37-49".to_owned(), 1),
                ("50-up".to_owned(), 2),
            ]
        );
        assert_eq!(bands[5].records, vec![ids[5], ids[6]]);
        // A threshold of 2 points: below it from 0, and from it up.
        let drawn: Vec<String> =
            by_score(&model, &scores, Some(2), None).iter().map(|b| b.key.key()).collect();
        assert_eq!(drawn, ["below-0", "0-0", "1-1", "2-up"]);
        // Nobody below 0, no threshold: from 0, in quarters of 100; a lead without a score at 0,
        // and an investor not counted.
        let mut scores = scores;
        scores.remove(&ids[0]);
        model.parties.get_mut(&ids[6]).unwrap().roles.push(RoleRow::Investor);
        let bands = by_score(&model, &scores, None, None);
        let drawn: Vec<(String, i64)> = bands.iter().map(|b| (b.key.key(), b.value)).collect();
        assert_eq!(
            drawn,
            vec![
                ("0-24".to_owned(), 3),
                ("25-49".to_owned(), 2),
                ("50-74".to_owned(), 1),
                ("75-99".to_owned(), 0),
                ("100-up".to_owned(), 0),
            ]
        );
    }
}
