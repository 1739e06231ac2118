//! Sales analytics: the numbers of the default sales dashboard, each with the records behind it so a
//! screen can list what a bar or a number counts. A pure function of the read model and the settings,
//! so every device shows the same dashboard.
//!
//! What each figure counts, in the dashboard's pipeline and currency (and owner, when one is chosen):
//! - *open pipeline*: the deals open now, by the stage they stand in;
//! - *won*, *win rate*, *cycle length*, *lost reasons*: deals closed in the period, by the time they
//!   were won or lost (deals closed before that time was kept have none and are left out);
//! - *forecast vs won* by month: the weighted value of the deals expected to close in a month, as it
//!   stood at the start of that month — each deal's stage, amount, currency and expected close then,
//!   and whether it was open then, read from its history ([`stage_at`], [`terms_at`], [`open_at`]) —
//!   beside what was won in it;
//! - *activity*: interactions in the period (not machine answers), by who logged them.
//!
//! Months are UTC months, the months of the interaction documents.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{DealId, InteractionId, MemberId, PipelineId, StageId, Timestamp};
use crate::layout::Month;
use crate::model::WorkspaceSettings;
use crate::read_model::{DealRow, DealStatusRow, ReadModel};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// At most this many lost reasons get a bar of their own; the rest are counted together, so a
/// workspace that typed a hundred reasons still reads at 390 px.
pub const MAX_REASONS: usize = 8;

/// Whole months, from the start of `first` to the end of the month `count - 1` later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Months {
    pub first: Month,
    pub count: u8,
}

impl Months {
    /// The `count` months that end with the one containing `now`.
    pub fn ending_at(now: Timestamp, count: u8) -> Months {
        let count = count.max(1);
        Months { first: Month::of(now).plus(1 - i32::from(count)), count }
    }

    /// As many months right before these.
    pub fn previous(self) -> Months {
        Months { first: self.first.plus(-i32::from(self.count)), count: self.count }
    }

    pub fn iter(self) -> impl Iterator<Item = Month> {
        (0..i32::from(self.count)).map(move |n| self.first.plus(n))
    }

    pub fn from(self) -> Timestamp {
        self.first.start()
    }

    /// The first millisecond after them.
    pub fn to(self) -> Timestamp {
        self.first.plus(i32::from(self.count)).start()
    }

    pub fn contains(self, at: Timestamp) -> bool {
        (self.from()..self.to()).contains(&at)
    }

    /// From their first to their last millisecond.
    pub fn window(self) -> Window {
        (self.from(), self.to())
    }

    /// The months before these, as far into them as `now` is into these: a period still running is
    /// compared with as much of the one before, not all of it.
    pub fn previous_to_date(self, now: Timestamp) -> Window {
        let from = self.previous().from();
        let elapsed = (now.0.min(self.to().0) - self.from().0).max(0);
        (from, Timestamp((from.0 + elapsed).min(self.from().0)))
    }
}

/// From a first millisecond to the first one after.
pub type Window = (Timestamp, Timestamp);

/// What a sales dashboard counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesFilter {
    pub months: Months,
    pub pipeline: PipelineId,
    /// Amounts of different currencies are never added: one dashboard shows one currency.
    pub currency: String,
    /// Only this member's deals and activity; everyone's when `None`.
    pub owner: Option<MemberId>,
}

/// A value this period and in the period before it, to the same point ([`Months::previous_to_date`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compared<T> {
    pub now: T,
    pub before: T,
}

/// One bar (or a number card): its value and the records it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar<K, R> {
    pub key: K,
    /// A count, or a sum in minor units of the dashboard's currency.
    pub value: i64,
    pub records: Vec<R>,
}

/// One month of forecast against outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthOutcome {
    pub month: Month,
    /// Weighted value, at the start of the month, of the deals then open and expected to close in it.
    pub forecast: Bar<(), DealId>,
    /// Deals won in the month, by amount.
    pub won: Bar<(), DealId>,
}

/// Why a deal was lost, as a bar's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LostReason {
    Named(String),
    /// Lost with no reason written.
    Unstated,
    /// The reasons past [`MAX_REASONS`], together.
    Others,
}

/// The default sales dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesDashboard {
    /// Open deals by stage, in the pipeline's order, by amount.
    pub by_stage: Vec<Bar<StageId, DealId>>,
    /// Won in the period by amount, and the period before.
    pub won: Compared<Bar<(), DealId>>,
    /// Won deals' share of those closed in the period, in percent; `None` when none closed.
    pub win_rate: Compared<Option<u8>>,
    /// Average days from opening to winning, of the deals won in the period.
    pub cycle_days: Compared<Option<i64>>,
    pub by_month: Vec<MonthOutcome>,
    /// Deals lost in the period by reason, the most frequent first.
    pub lost_reasons: Vec<Bar<LostReason, DealId>>,
    /// Interactions in the period by who logged them (`None`: nobody known), the most first.
    pub activity: Vec<Bar<Option<MemberId>, InteractionId>>,
    /// How many open deals `by_stage` counts (their records may be left out).
    pub open_deals: usize,
}

/// A figure of the sales dashboard whose records a screen lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SalesPick {
    /// Every open deal (its number card).
    Open,
    /// What was won in the period (its number card).
    Won,
    Stage(StageId),
    /// A month's forecast (series 0) or what was won in it (series 1).
    Month(Month, usize),
    Reason(LostReason),
    Activity(Option<MemberId>),
}

impl SalesDashboard {
    /// Every open deal the dashboard counts (unless their records were left out).
    pub fn open(&self) -> impl Iterator<Item = DealId> + '_ {
        self.by_stage.iter().flat_map(|bar| bar.records.iter().copied())
    }

    /// Leaves out the records of every figure but those `picks` names (their values stay): what
    /// the worker sends a page, which then reads the few ids it lists rather than every figure's —
    /// a year's interactions by who logged them are most of a dashboard's bytes.
    pub fn keep_records_of(&mut self, picks: &[SalesPick]) {
        let kept = |pick: SalesPick| picks.contains(&pick);
        let open = kept(SalesPick::Open);
        for bar in &mut self.by_stage {
            if !open && !kept(SalesPick::Stage(bar.key)) {
                bar.records = Vec::new();
            }
        }
        if !kept(SalesPick::Won) {
            self.won.now.records = Vec::new();
        }
        self.won.before.records = Vec::new();
        for month in &mut self.by_month {
            for (series, bar) in [&mut month.forecast, &mut month.won].into_iter().enumerate() {
                if !kept(SalesPick::Month(month.month, series)) {
                    bar.records = Vec::new();
                }
            }
        }
        for bar in &mut self.lost_reasons {
            if !kept(SalesPick::Reason(bar.key.clone())) {
                bar.records = Vec::new();
            }
        }
        for bar in &mut self.activity {
            if !kept(SalesPick::Activity(bar.key)) {
                bar.records = Vec::new();
            }
        }
    }
}

/// The currency most of `pipeline`'s deals are in (the workspace's first when it has none): what a
/// dashboard shows first.
pub fn main_currency(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    pipeline: PipelineId,
) -> String {
    let fallback = settings.currencies.first().map_or("EUR", String::as_str);
    let deals = model.deals.values().filter(|d| d.pipeline == pipeline);
    crate::report::most_used(deals.map(|d| d.currency.as_str()), fallback)
}

/// The sales dashboard of `filter` at `now`.
pub fn sales(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    filter: &SalesFilter,
    now: Timestamp,
) -> SalesDashboard {
    let pipeline = settings.pipelines.get(&filter.pipeline.to_string());
    let probability = |stage: StageId| pipeline.and_then(|p| p.probability(stage)).unwrap_or(0);
    let in_pipeline: Vec<&DealRow> = model
        .deals
        .values()
        .filter(|d| {
            d.pipeline == filter.pipeline && filter.owner.is_none_or(|owner| d.owner == Some(owner))
        })
        .collect();
    let deals: Vec<&DealRow> =
        in_pipeline.iter().copied().filter(|d| d.currency == filter.currency).collect();

    let mut by_stage: Vec<Bar<StageId, DealId>> = pipeline
        .map(|p| {
            p.stages.iter().map(|s| Bar { key: s.id, value: 0, records: Vec::new() }).collect()
        })
        .unwrap_or_default();
    for deal in deals.iter().filter(|d| d.status == DealStatusRow::Open) {
        // A deal in a stage since removed from the pipeline has no column on the board either.
        if let Some(bar) = by_stage.iter_mut().find(|bar| bar.key == deal.stage) {
            bar.value += deal.amount_minor;
            bar.records.push(deal.id);
        }
    }

    let closed_in = |(from, to): Window, status: DealStatusRow| {
        deals.iter().filter(move |d| {
            d.status == status && d.closed_at.is_some_and(|at| (from..to).contains(&at))
        })
    };
    let won_in = |months: Window| {
        let won: Vec<&&DealRow> = closed_in(months, DealStatusRow::Won).collect();
        Bar {
            key: (),
            value: won.iter().map(|d| d.amount_minor).sum(),
            records: won.iter().map(|d| d.id).collect(),
        }
    };
    let win_rate = |months: Window| {
        let won = closed_in(months, DealStatusRow::Won).count() as u64;
        let lost = closed_in(months, DealStatusRow::Lost).count() as u64;
        (won + lost > 0).then(|| (won * 100 / (won + lost)) as u8)
    };
    let cycle_days = |months: Window| {
        let days: Vec<i64> = closed_in(months, DealStatusRow::Won)
            .filter_map(|d| d.closed_at.map(|closed| (closed.0 - d.created_at.0).max(0)))
            .collect();
        let count = days.len() as i64;
        // Rounded to the nearest day.
        (count > 0).then(|| (days.iter().sum::<i64>() + count * DAY_MS / 2) / (count * DAY_MS))
    };
    let months = filter.months;
    let (period, previous) = (months.window(), months.previous_to_date(now));

    let by_month = months
        .iter()
        .map(|month| {
            let as_of = month.start().min(now);
            let mut forecast = Bar { key: (), value: 0, records: Vec::new() };
            // As each deal stood then: its amount, currency and expected close too.
            for deal in &in_pipeline {
                let (amount, currency, close) = terms_at(deal, as_of);
                if currency != filter.currency || close.map(Month::of) != Some(month) {
                    continue;
                }
                // A stage since removed from the pipeline has no weight and no column: left out,
                // as from the board.
                let stage = stage_at(deal, as_of)
                    .filter(|stage| pipeline.is_some_and(|p| p.probability(*stage).is_some()));
                if let Some(stage) = stage {
                    forecast.value += amount * i64::from(probability(stage)) / 100;
                    forecast.records.push(deal.id);
                }
            }
            let won = won_in(Months { first: month, count: 1 }.window());
            MonthOutcome { month, forecast, won }
        })
        .collect();

    // "price" and "Price" are one reason, shown as the first spelling in the alphabet.
    let mut spelled: BTreeMap<String, (String, Vec<DealId>)> = BTreeMap::new();
    let mut unstated = Vec::new();
    for deal in closed_in(period, DealStatusRow::Lost) {
        if deal.lost_reason.is_empty() {
            unstated.push(deal.id);
            continue;
        }
        let (spelling, records) = spelled
            .entry(deal.lost_reason.to_lowercase())
            .or_insert_with(|| (deal.lost_reason.clone(), Vec::new()));
        if deal.lost_reason < *spelling {
            spelling.clone_from(&deal.lost_reason);
        }
        records.push(deal.id);
    }
    let mut reasons: BTreeMap<LostReason, Vec<DealId>> =
        spelled.into_values().map(|(name, records)| (LostReason::Named(name), records)).collect();
    if !unstated.is_empty() {
        reasons.insert(LostReason::Unstated, unstated);
    }
    let lost_reasons = most_first(reasons, LostReason::Others);

    let mut logged: BTreeMap<Option<MemberId>, Vec<InteractionId>> = BTreeMap::new();
    for month in months.iter() {
        for row in model.interactions.get(&month).into_iter().flat_map(|rows| rows.values()) {
            if row.automatic || filter.owner.is_some_and(|owner| row.author != Some(owner)) {
                continue;
            }
            logged.entry(row.author).or_default().push(row.id);
        }
    }
    let mut activity: Vec<Bar<Option<MemberId>, InteractionId>> = logged
        .into_iter()
        .map(|(key, records)| Bar { key, value: records.len() as i64, records })
        .collect();
    activity.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));

    SalesDashboard {
        open_deals: by_stage.iter().map(|bar| bar.records.len()).sum(),
        by_stage,
        won: Compared { now: won_in(period), before: won_in(previous) },
        win_rate: Compared { now: win_rate(period), before: win_rate(previous) },
        cycle_days: Compared { now: cycle_days(period), before: cycle_days(previous) },
        by_month,
        lost_reasons,
        activity,
    }
}

/// One stage of a funnel: the deals that got at least this far, and how long those that moved on
/// stayed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelStep {
    pub stage: StageId,
    pub reached: Vec<DealId>,
    /// The median (the upper middle one of an even count) of the whole days of each stay in the stage
    /// that ended (the deal moved on, back, or closed); `None` when none has ended yet.
    pub median_days: Option<i64>,
}

/// The deals opened in one month, and how many of them got to each stage and were won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    pub month: Month,
    pub opened: usize,
    /// Aligned with [`Funnel::steps`].
    pub reached: Vec<usize>,
    pub won: usize,
}

/// A pipeline as a funnel, over the deals opened in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    /// In the pipeline's order; a deal counts in every stage up to the furthest it entered, and a won
    /// deal in all of them.
    pub steps: Vec<FunnelStep>,
    pub won: Vec<DealId>,
    pub cohorts: Vec<Cohort>,
}

impl Funnel {
    /// The share, in percent, of the deals that reached step `n` that did not reach the next (or were
    /// not won, after the last); `None` when none reached it.
    pub fn drop_off(&self, n: usize) -> Option<u8> {
        let here = self.steps.get(n)?.reached.len();
        let next = self.steps.get(n + 1).map_or(self.won.len(), |step| step.reached.len());
        (here > 0).then(|| ((here - next.min(here)) * 100 / here) as u8)
    }
}

/// The funnel of `filter`'s pipeline and currency: the deals opened in its months.
pub fn funnel(model: &ReadModel, settings: &WorkspaceSettings, filter: &SalesFilter) -> Funnel {
    let stages: Vec<StageId> = settings
        .pipelines
        .get(&filter.pipeline.to_string())
        .map(|p| p.stages.iter().map(|s| s.id).collect())
        .unwrap_or_default();
    let index = |stage: StageId| stages.iter().position(|s| *s == stage);
    let mut steps: Vec<FunnelStep> = stages
        .iter()
        .map(|stage| FunnelStep { stage: *stage, reached: Vec::new(), median_days: None })
        .collect();
    let mut stays: Vec<Vec<i64>> = vec![Vec::new(); stages.len()];
    let mut won = Vec::new();
    let mut cohorts: Vec<Cohort> = filter
        .months
        .iter()
        .map(|month| Cohort { month, opened: 0, reached: vec![0; stages.len()], won: 0 })
        .collect();
    let deals = model.deals.values().filter(|d| {
        d.pipeline == filter.pipeline
            && d.currency == filter.currency
            && filter.months.contains(d.created_at)
            && filter.owner.is_none_or(|owner| d.owner == Some(owner))
    });
    for deal in deals {
        let mut entries = deal.stages.clone();
        entries.sort_by_key(|(at, _)| *at);
        let furthest = if deal.status == DealStatusRow::Won {
            Some(stages.len().saturating_sub(1))
        } else {
            entries.iter().filter_map(|(_, stage)| index(*stage)).chain(index(deal.stage)).max()
        };
        let reached = furthest.map_or(0, |furthest| furthest + 1).min(stages.len());
        for step in &mut steps[..reached] {
            step.reached.push(deal.id);
        }
        if deal.status == DealStatusRow::Won {
            won.push(deal.id);
        }
        // A stay ends at the next entry, or at the close; the open deal's current stay goes on.
        let closed = match deal.status {
            DealStatusRow::Open => None,
            _ => deal.closed_at,
        };
        for (n, (at, stage)) in entries.iter().enumerate() {
            let left = entries.get(n + 1).map(|(next, _)| *next).or(closed);
            if let (Some(left), Some(stage)) = (left, index(*stage)) {
                stays[stage].push((left.0 - at.0).max(0) / DAY_MS);
            }
        }
        if let Some(cohort) = cohorts.iter_mut().find(|c| c.month == Month::of(deal.created_at)) {
            cohort.opened += 1;
            for count in &mut cohort.reached[..reached] {
                *count += 1;
            }
            cohort.won += usize::from(deal.status == DealStatusRow::Won);
        }
    }
    for (step, mut days) in steps.iter_mut().zip(stays) {
        days.sort_unstable();
        step.median_days = (!days.is_empty()).then(|| days[days.len() / 2]);
    }
    Funnel { steps, won, cohorts }
}

/// The stage `deal` stood in at `at`, if it was open then: opened before, not yet closed, in the last
/// stage it had entered. A deal closed at an unknown time is left out of every past month.
pub fn stage_at(deal: &DealRow, at: Timestamp) -> Option<StageId> {
    if !open_at(deal, at) {
        return None;
    }
    let entered = deal.stages.iter().filter(|(when, _)| *when < at).max_by_key(|(when, _)| *when);
    // Before its first recorded move it stood where it was created: the first entry (made with
    // it), or where it stands now when it has no history.
    Some(entered.or(deal.stages.first()).map_or(deal.stage, |(_, stage)| *stage))
}

/// Whether `deal` was open at `at`: created before it, and neither won nor lost then.
///
/// When its history records a change at or after `at`, the last one before `at` says (before its
/// first, the opposite of what the first made it: a deal first recorded reopening was closed before,
/// since some unknown time). When nothing was recorded since, its own fields say — so a change by a
/// device that keeps no history (an older version), or one whose first entries were lost to a
/// concurrent first write, still counts: open now, or closed at or after `at`.
pub fn open_at(deal: &DealRow, at: Timestamp) -> bool {
    if deal.created_at >= at {
        return false;
    }
    if deal.closings.iter().all(|(when, _)| *when < at) {
        return match (deal.status, deal.closed_at) {
            (DealStatusRow::Open, _) => true,
            (_, Some(closed)) => closed >= at,
            (_, None) => false,
        };
    }
    let before = deal.closings.iter().filter(|(when, _)| *when < at).max_by_key(|(when, _)| *when);
    let first = deal.closings.iter().min_by_key(|(when, _)| *when);
    match (before, first) {
        (Some((_, status)), _) => *status == DealStatusRow::Open,
        (None, Some((_, first))) => *first != DealStatusRow::Open,
        (None, None) => true,
    }
}

/// A deal's amount (minor units), currency and expected close as they stood at `at`: when its
/// history records a change at or after `at`, the last entry before `at` (before its first, the
/// first, which holds what they were at creation); otherwise as they are now (unchanged since, or
/// changed by a device that keeps no history).
pub fn terms_at(deal: &DealRow, at: Timestamp) -> (i64, &str, Option<Timestamp>) {
    let now = (deal.amount_minor, deal.currency.as_str(), deal.expected_close);
    if deal.terms.iter().all(|t| t.at < at) {
        return now;
    }
    let before = deal.terms.iter().filter(|t| t.at < at).max_by_key(|t| t.at);
    let entry = before.or_else(|| deal.terms.iter().min_by_key(|t| t.at));
    entry.map_or(now, |t| (t.amount_minor, t.currency.as_str(), t.expected_close))
}

/// What the benchmarks count over the demo (natively and in wasm): its sales pipeline in its main
/// currency over the 12 months to `now`, everyone's.
pub fn demo_filter(model: &ReadModel, settings: &WorkspaceSettings, now: Timestamp) -> SalesFilter {
    let pipeline: PipelineId = settings
        .pipelines
        .iter()
        .find(|(_, p)| p.kind == crate::model::PipelineKind::Sales)
        .and_then(|(id, _)| id.parse().ok())
        .expect("the demo has a sales pipeline");
    SalesFilter {
        months: Months::ending_at(now, 12),
        pipeline,
        currency: main_currency(model, settings, pipeline),
        owner: None,
    }
}

/// A chart's table as CSV (quoted as RFC 4180 says, lines ending in `\n`, a header line): what a
/// dashboard's "CSV" button saves. A text cell a spreadsheet would take for a formula is written as
/// text; numbers stay numbers.
pub fn table_csv(header: &[String], rows: &[Vec<String>]) -> String {
    let cell = |text: &String| {
        let number = text.parse::<f64>().is_ok();
        if !number && text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.clone()
        }
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing into memory cannot fail.
    let _ = writer.write_record(header.iter().map(cell));
    for row in rows {
        let _ = writer.write_record(row.iter().map(cell));
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Several tables ([`table_csv`]) in one file, one under the other with an empty line between:
/// what a whole dashboard exports. Each table's header names it in its first cell.
pub fn tables_csv(tables: &[(Vec<String>, Vec<Vec<String>>)]) -> String {
    tables.iter().map(|(header, rows)| table_csv(header, rows)).collect::<Vec<_>>().join("\n")
}

/// Bars by key, the largest first (ties by key), those past [`MAX_REASONS`] merged under `others`.
fn most_first<K: Ord, R>(groups: BTreeMap<K, Vec<R>>, others: K) -> Vec<Bar<K, R>> {
    let mut bars: Vec<Bar<K, R>> = groups
        .into_iter()
        .map(|(key, records)| Bar { key, value: records.len() as i64, records })
        .collect();
    bars.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));
    if bars.len() > MAX_REASONS {
        let rest = bars.split_off(MAX_REASONS - 1);
        let records: Vec<R> = rest.into_iter().flat_map(|bar| bar.records).collect();
        bars.push(Bar { key: others, value: records.len() as i64, records });
    }
    bars
}

#[cfg(test)]
mod tests;
