use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::model::{Pipeline, PipelineKind, Stage};
use crate::read_model::{InteractionRow, TermsRow};

/// 2026-11-18 12:00 UTC.
const NOW: Timestamp = Timestamp(1_795_003_200_000);

fn stage(n: u8) -> StageId {
    StageId::from_bytes([n + 1; 16])
}

fn member(n: u8) -> MemberId {
    MemberId::from_bytes([n + 100; 16])
}

fn pipeline_id() -> PipelineId {
    PipelineId::from_bytes([9; 16])
}

/// Lead 10 %, Proposal 50 %, Negotiation 80 %.
fn settings() -> WorkspaceSettings {
    let mut settings = WorkspaceSettings::default();
    let stages = [("Lead", 10), ("Proposal", 50), ("Negotiation", 80)]
        .iter()
        .enumerate()
        .map(|(n, (name, probability))| Stage {
            id: stage(n as u8),
            name: (*name).into(),
            probability: *probability,
        })
        .collect();
    settings.pipelines.insert(
        pipeline_id().to_string(),
        Pipeline { name: "Sales".into(), kind: PipelineKind::Sales, stages },
    );
    settings
}

fn day(days: i64) -> Timestamp {
    Timestamp(NOW.0 + days * DAY_MS)
}

fn at_month(month: Month, day: i64) -> Timestamp {
    Timestamp(month.start().0 + day * DAY_MS + 3_600_000)
}

fn deal(n: u16, stage_now: StageId, amount: i64, created: Timestamp) -> DealRow {
    let mut id = [0; 16];
    id[..2].copy_from_slice(&n.to_be_bytes());
    DealRow {
        id: DealId::from_bytes(id),
        title: format!("Deal {n}"),
        pipeline: pipeline_id(),
        stage: stage_now,
        amount_minor: amount,
        currency: "EUR".into(),
        expected_close: None,
        owner: None,
        parties: Vec::new(),
        status: DealStatusRow::Open,
        created_at: created,
        stage_since: created,
        stages: vec![(created, stage_now)],
        closed_at: None,
        closings: Vec::new(),
        terms: Vec::new(),
        lost_reason: String::new(),
        round: None,
        soft_circled: None,
        committed: None,
    }
}

fn interaction(n: u32, at: Timestamp, author: Option<MemberId>, automatic: bool) -> InteractionRow {
    let mut id = [0; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    InteractionRow {
        id: InteractionId::from_bytes(id),
        kind: 0,
        at,
        parties: Vec::new(),
        summary: String::new(),
        author,
        answers: None,
        automatic,
    }
}

fn model_of(deals: Vec<DealRow>, interactions: Vec<InteractionRow>) -> ReadModel {
    let mut model = ReadModel::default();
    model.deals = deals.into_iter().map(|d| (d.id, d)).collect();
    for row in interactions {
        model.interactions.entry(Month::of(row.at)).or_default().insert(row.id, row);
    }
    model
}

fn filter(months: u8) -> SalesFilter {
    SalesFilter {
        months: Months::ending_at(NOW, months),
        pipeline: pipeline_id(),
        currency: "EUR".into(),
        owner: None,
    }
}

#[test]
fn months_run_across_years_and_the_period_before_is_as_long() {
    let months = Months::ending_at(NOW, 3);
    assert_eq!(months.first, Month { year: 2026, month: 9 });
    assert_eq!(months.previous().first, Month { year: 2026, month: 6 });
    assert_eq!(Month { year: 2026, month: 11 }.plus(2), Month { year: 2027, month: 1 });
    assert_eq!(Month { year: 2026, month: 1 }.plus(-1), Month { year: 2025, month: 12 });
    assert_eq!(Month::of(Month { year: 2026, month: 12 }.start()), Month { year: 2026, month: 12 });
    assert_eq!(Month::of(Timestamp(Month { year: 2027, month: 1 }.start().0 - 1)).month, 12);
    assert!(
        months.contains(NOW) && !months.contains(months.to()) && months.contains(months.from())
    );
    assert_eq!(months.iter().count(), 3);
}

/// A small pipeline with each kind of fact: open deals in two stages, one won in the period (the
/// forecast at its month's start counted it at the stage it stood in then), one lost, one won in the
/// period before, a deal in another currency and another pipeline, and some calls.
#[test]
fn a_dashboard_counts_each_fact_in_its_place_with_the_records_behind_it() {
    let (lead, proposal, negotiation) = (stage(0), stage(1), stage(2));
    let november = Month::of(NOW);
    let october = november.plus(-1);

    let open_lead = deal(1, lead, 10_000, day(-30));
    let open_negotiation = deal(2, negotiation, 40_000, day(-20));
    // Opened on 6 September in Lead, moved to Proposal on 10 October, won on 20 October; it was
    // expected to close in October. On 1 October it stood in Lead: 10 % of 50,000.
    let mut won = deal(3, proposal, 50_000, at_month(october.plus(-1), 5));
    won.stages = vec![(won.created_at, lead), (at_month(october, 9), proposal)];
    won.status = DealStatusRow::Won;
    won.closed_at = Some(at_month(october, 19));
    won.expected_close = Some(at_month(october, 25));
    let mut lost = deal(4, lead, 7_000, at_month(october, 1));
    lost.status = DealStatusRow::Lost;
    lost.closed_at = Some(at_month(november, 2));
    lost.lost_reason = "Budget".into();
    // Won in June, the period before a three-month one ending in November (Sep–Nov vs Jun–Aug).
    let mut won_before = deal(5, negotiation, 9_000, at_month(november.plus(-6), 0));
    won_before.status = DealStatusRow::Won;
    won_before.closed_at = Some(at_month(november.plus(-5), 10));
    let mut dollars = deal(6, lead, 99_000, day(-3));
    dollars.currency = "USD".into();
    let mut elsewhere = deal(7, lead, 99_000, day(-3));
    elsewhere.pipeline = PipelineId::from_bytes([8; 16]);
    // Closed before closing times were kept: in the board's totals never, in no period either.
    let mut unknown_close = deal(8, lead, 1_000, day(-300));
    unknown_close.status = DealStatusRow::Won;

    let calls = vec![
        interaction(1, day(-1), Some(member(0)), false),
        interaction(2, day(-2), Some(member(0)), false),
        interaction(3, day(-3), Some(member(1)), false),
        interaction(4, day(-4), Some(member(1)), true),
        interaction(5, day(-200), Some(member(1)), false),
    ];
    let model = model_of(
        vec![open_lead, open_negotiation, won, lost, won_before, dollars, elsewhere, unknown_close],
        calls,
    );
    let board = sales(&model, &settings(), &filter(3), NOW);
    let ids: Vec<(String, DealId)> =
        model.deals.values().map(|d| (d.title.clone(), d.id)).collect();
    let id = |n: u16| ids.iter().find(|(title, _)| *title == format!("Deal {n}")).unwrap().1;

    let stages: Vec<(StageId, i64, Vec<DealId>)> =
        board.by_stage.iter().map(|b| (b.key, b.value, b.records.clone())).collect();
    assert_eq!(
        stages,
        [(lead, 10_000, vec![id(1)]), (proposal, 0, vec![]), (negotiation, 40_000, vec![id(2)])]
    );
    assert_eq!((board.won.now.value, board.won.now.records.clone()), (50_000, vec![id(3)]));
    assert_eq!((board.won.before.value, board.won.before.records.clone()), (9_000, vec![id(5)]));
    assert_eq!(board.win_rate, Compared { now: Some(50), before: Some(100) });
    // 44 days (6 September to 20 October).
    assert_eq!(board.cycle_days.now, Some(44));

    let october_row = board.by_month.iter().find(|m| m.month == october).unwrap();
    assert_eq!(
        (october_row.forecast.value, october_row.forecast.records.clone()),
        (5_000, vec![id(3)])
    );
    assert_eq!(october_row.won.records, [id(3)]);
    assert_eq!(board.by_month.len(), 3);

    assert_eq!(board.lost_reasons.len(), 1);
    assert_eq!(board.lost_reasons[0].key, LostReason::Named("Budget".into()));
    assert_eq!(board.lost_reasons[0].records, [id(4)]);

    let activity: Vec<(Option<MemberId>, i64)> =
        board.activity.iter().map(|b| (b.key, b.value)).collect();
    assert_eq!(
        activity,
        [(Some(member(0)), 2), (Some(member(1)), 1)],
        "machine answers and old calls left out"
    );

    // One owner: only their deals and their calls.
    let mut mine = filter(3);
    mine.owner = Some(member(0));
    let mut model = model;
    model.deals.get_mut(&id(2)).unwrap().owner = Some(member(0));
    let board = sales(&model, &settings(), &mine, NOW);
    assert_eq!(board.open().collect::<Vec<_>>(), [id(2)]);
    assert_eq!(board.activity.iter().map(|b| b.value).sum::<i64>(), 2);
}

#[test]
fn many_lost_reasons_are_shown_as_the_commonest_and_the_rest_together() {
    let mut deals = Vec::new();
    for n in 0..20u16 {
        let mut lost = deal(n, stage(0), 100, day(-10));
        lost.status = DealStatusRow::Lost;
        lost.closed_at = Some(day(-1));
        // Reason 0 three times, reason 1 twice, then one each; four with none written.
        lost.lost_reason = match n {
            0..=2 => "Price".into(),
            3..=4 => "Timing".into(),
            16.. => String::new(),
            n => format!("Reason {n}"),
        };
        deals.push(lost);
    }
    let board = sales(&model_of(deals, Vec::new()), &settings(), &filter(1), NOW);
    let keys: Vec<&LostReason> = board.lost_reasons.iter().map(|b| &b.key).collect();
    assert_eq!(board.lost_reasons.len(), MAX_REASONS);
    assert_eq!(
        keys[..3],
        [
            &LostReason::Unstated,
            &LostReason::Named("Price".into()),
            &LostReason::Named("Timing".into())
        ]
    );
    assert_eq!(keys[MAX_REASONS - 1], &LostReason::Others);
    assert_eq!(
        board.lost_reasons.iter().map(|b| b.value).sum::<i64>(),
        20,
        "every lost deal counted once"
    );
    assert_eq!(board.lost_reasons.iter().map(|b| b.records.len()).sum::<usize>(), 20);
}

#[test]
fn the_main_currency_is_the_one_most_deals_are_in() {
    let mut deals: Vec<DealRow> = (0..3).map(|n| deal(n, stage(0), 1, day(-1))).collect();
    deals[0].currency = "USD".into();
    deals[1].currency = "USD".into();
    let model = model_of(deals, Vec::new());
    assert_eq!(main_currency(&model, &settings(), pipeline_id()), "USD");
    let mut settings = settings();
    settings.currencies = vec!["RUB".into()];
    assert_eq!(main_currency(&ReadModel::default(), &settings, pipeline_id()), "RUB");
}

/// The forecast as it stood on 1 October reads that day's amount, currency, expected close and
/// whether the deal was open — not today's.
#[test]
fn the_forecast_as_it_stood_reads_each_deal_s_terms_and_closings_of_that_day() {
    let lead = stage(0);
    let november = Month::of(NOW);
    let october = november.plus(-1);
    let terms = |at, amount_minor, currency: &str, close| TermsRow {
        at,
        amount_minor,
        currency: currency.into(),
        expected_close: Some(close),
    };
    // Expected in October at 20,000 on 1 October; raised to 90,000 and moved to November since.
    let mut moved = deal(1, lead, 90_000, at_month(october.plus(-2), 0));
    moved.expected_close = Some(at_month(november, 20));
    moved.terms = vec![
        terms(moved.created_at, 20_000, "EUR", at_month(october, 15)),
        terms(at_month(october, 3), 90_000, "EUR", at_month(november, 20)),
    ];
    // Lost in September, reopened in mid-October: not open on 1 October.
    let mut reopened = deal(2, lead, 30_000, at_month(october.plus(-2), 0));
    reopened.expected_close = Some(at_month(october, 25));
    reopened.closings = vec![
        (at_month(october.plus(-1), 10), DealStatusRow::Lost),
        (at_month(october, 12), DealStatusRow::Open),
    ];
    // In dollars on 1 October, in euros since: not in October's euro forecast.
    let mut converted = deal(3, lead, 40_000, at_month(october.plus(-2), 0));
    converted.expected_close = Some(at_month(october, 28));
    converted.terms = vec![
        terms(converted.created_at, 45_000, "USD", at_month(october, 28)),
        terms(at_month(october, 5), 40_000, "EUR", at_month(october, 28)),
    ];
    let model = model_of(vec![moved.clone(), reopened.clone(), converted.clone()], Vec::new());
    let board = sales(&model, &settings(), &filter(2), NOW);
    let (oct, nov) = (&board.by_month[0], &board.by_month[1]);
    assert_eq!((oct.month, nov.month), (october, november));
    assert_eq!(oct.forecast.records, [moved.id], "only the deal expected in October then");
    assert_eq!(oct.forecast.value, 2_000, "10 % of the 20,000 it stood at");
    // On 1 November: the moved deal at 90,000, the reopened one (October) and the converted one
    // (October) expected elsewhere.
    assert_eq!((nov.forecast.value, nov.forecast.records.clone()), (9_000, vec![moved.id]));
    assert!(!open_at(&reopened, october.start()) && open_at(&reopened, november.start()));
    // Reopened here, then won by a device that keeps no history: open until it was won.
    let mut won_elsewhere = deal(4, lead, 10, at_month(october.plus(-2), 0));
    won_elsewhere.closings = vec![(at_month(october, 2), DealStatusRow::Open)];
    won_elsewhere.status = DealStatusRow::Won;
    won_elsewhere.closed_at = Some(at_month(october, 20));
    assert!(!open_at(&won_elsewhere, at_month(october, 1)), "closed before its reopening");
    assert!(open_at(&won_elsewhere, at_month(october, 10)));
    assert!(!open_at(&won_elsewhere, november.start()), "won since, as its fields say");
    assert_eq!(terms_at(&converted, october.start()), (45_000, "USD", Some(at_month(october, 28))));
}

// --- The same figures computed the plain way, over the same records ---------------------------

#[derive(Debug, Clone)]
struct RandomDeal {
    stage: u8,
    status: u8,
    amount: i64,
    dollars: bool,
    owner: u8,
    created_days_ago: i64,
    closed_after_days: Option<i64>,
    expected_in_days: Option<i64>,
    /// (days after it was opened, stage) of each later move.
    moves: Vec<(i64, u8)>,
    reason: u8,
    /// (days after it was opened, 0 open / 1 won / 2 lost) of each closing and reopening; some on
    /// the same day.
    closings: Vec<(i64, u8)>,
    /// (days after it was opened, amount, in dollars, expected close in days) of each change of terms.
    terms: Vec<(i64, i64, bool, Option<i64>)>,
}

fn random_deal() -> impl Strategy<Value = RandomDeal> {
    (
        (0u8..4, 0u8..3, 0i64..1_000_000, any::<bool>(), 0u8..3),
        (
            0i64..500,
            proptest::option::weighted(0.9, 0i64..300),
            proptest::option::weighted(0.9, -400i64..200),
        ),
        (proptest::collection::vec((0i64..300, 0u8..4), 0..4), 0u8..4),
        (
            proptest::collection::vec((0i64..300, 0u8..3), 0..4),
            proptest::collection::vec(
                (
                    0i64..300,
                    0i64..1_000_000,
                    proptest::bool::weighted(0.2),
                    proptest::option::weighted(0.9, -400i64..200),
                ),
                0..4,
            ),
        ),
    )
        .prop_map(
            |(
                (stage, status, amount, dollars, owner),
                (created, closed, expected),
                (moves, reason),
                (closings, terms),
            )| {
                RandomDeal {
                    stage,
                    status,
                    amount,
                    dollars,
                    owner,
                    created_days_ago: created,
                    closed_after_days: closed,
                    expected_in_days: expected,
                    moves,
                    reason,
                    closings,
                    terms,
                }
            },
        )
}

fn build(n: usize, random: &RandomDeal) -> DealRow {
    // Stage 3 is one since removed from the pipeline.
    let mut row = deal(n as u16, stage(random.stage), random.amount, day(-random.created_days_ago));
    let mut moves: Vec<(Timestamp, StageId)> = random
        .moves
        .iter()
        .map(|(after, s)| (Timestamp(row.created_at.0 + after * DAY_MS + 1), stage(*s)))
        .collect();
    moves.sort();
    row.stages.extend(moves);
    row.currency = if random.dollars { "USD" } else { "EUR" }.into();
    row.owner = (random.owner > 0).then(|| member(random.owner));
    row.status =
        [DealStatusRow::Open, DealStatusRow::Won, DealStatusRow::Lost][usize::from(random.status)];
    if row.status != DealStatusRow::Open {
        row.closed_at =
            random.closed_after_days.map(|d| Timestamp(row.created_at.0 + d * DAY_MS).min(NOW));
    }
    row.expected_close = random.expected_in_days.map(day);
    row.lost_reason = ["", "Price", "Timing", "Competitor"][usize::from(random.reason)].into();
    // Some at the very start of a month (where "as it stood at the month's start" turns).
    let after = |days: i64| {
        let at = Timestamp(row.created_at.0 + days * DAY_MS / 2 + 1);
        if days % 5 == 0 { Month::of(at).start() } else { at }
    };
    let statuses = [DealStatusRow::Open, DealStatusRow::Won, DealStatusRow::Lost];
    row.closings =
        random.closings.iter().map(|(days, s)| (after(*days), statuses[usize::from(*s)])).collect();
    row.terms = random
        .terms
        .iter()
        .map(|(days, amount, dollars, close)| TermsRow {
            at: after(*days),
            amount_minor: *amount,
            currency: if *dollars { "USD" } else { "EUR" }.into(),
            expected_close: close.map(day),
        })
        .collect();
    // Appended in the order they happened (two on one day in the order written) — or, merged from
    // devices apart, in another order.
    if random.amount % 3 != 0 {
        row.closings.sort_by_key(|(at, _)| *at);
        row.terms.sort_by_key(|t| t.at);
    }
    row
}

/// Whether a deal was open at `at`, by replaying its closings and reopenings in time order; with
/// none recorded since `at`, by what the deal says now.
fn naive_open_at(deal: &DealRow, at: Timestamp) -> bool {
    if deal.created_at >= at {
        return false;
    }
    let mut changes = deal.closings.clone();
    changes.sort_by_key(|(when, _)| *when);
    if changes.last().is_none_or(|(when, _)| *when < at) {
        return match deal.status {
            DealStatusRow::Open => true,
            _ => deal.closed_at.is_some_and(|closed| closed >= at),
        };
    }
    // Before its first recorded change it was the opposite of what that change made it.
    let mut open = changes[0].1 != DealStatusRow::Open;
    for (when, status) in &changes {
        if *when < at {
            open = *status == DealStatusRow::Open;
        }
    }
    open
}

/// A deal's amount, currency and expected close at `at`, by replaying its changes in time order;
/// with none recorded since `at`, as the deal is now.
fn naive_terms_at(deal: &DealRow, at: Timestamp) -> (i64, String, Option<Timestamp>) {
    let mut changes = deal.terms.clone();
    changes.sort_by_key(|t| t.at);
    if changes.last().is_none_or(|t| t.at < at) {
        return (deal.amount_minor, deal.currency.clone(), deal.expected_close);
    }
    let mut terms =
        (changes[0].amount_minor, changes[0].currency.clone(), changes[0].expected_close);
    for change in changes.iter().filter(|t| t.at < at) {
        terms = (change.amount_minor, change.currency.clone(), change.expected_close);
    }
    terms
}

/// Where a deal stood at `at`, by replaying its moves in time order.
fn naive_stage_at(deal: &DealRow, at: Timestamp) -> Option<StageId> {
    if !naive_open_at(deal, at) {
        return None;
    }
    let mut stage = deal.stages.first().map_or(deal.stage, |s| s.1);
    let mut moves = deal.stages.clone();
    moves.sort_by_key(|m| m.0);
    for (when, to) in moves {
        if when < at {
            stage = to;
        }
    }
    Some(stage)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_figure_equals_the_plain_count_of_the_same_records(
        randoms in proptest::collection::vec(random_deal(), 0..40),
        calls in proptest::collection::vec((0i64..500, 0u8..3, proptest::bool::weighted(0.1)), 0..60),
        months in 1u8..13,
        owner in 0u8..3,
    ) {
        let deals: Vec<DealRow> = randoms.iter().enumerate().map(|(n, r)| build(n, r)).collect();
        let interactions: Vec<InteractionRow> = calls
            .iter()
            .enumerate()
            .map(|(n, (ago, author, automatic))| {
                interaction(n as u32, day(-ago), (*author > 0).then(|| member(*author)), *automatic)
            })
            .collect();
        let model = model_of(deals.clone(), interactions.clone());
        let settings = settings();
        let mut filter = filter(months);
        filter.owner = (owner > 0).then(|| member(owner));
        let board = sales(&model, &settings, &filter, NOW);

        let counted: Vec<&DealRow> = deals
            .iter()
            .filter(|d| d.currency == "EUR" && filter.owner.is_none_or(|o| d.owner == Some(o)))
            .collect();
        let (from, to) = (filter.months.from(), filter.months.to());
        let in_period = |at: Option<Timestamp>, from: Timestamp, to: Timestamp| at.is_some_and(|at| at >= from && at < to);
        let sorted = |mut ids: Vec<DealId>| { ids.sort(); ids };

        // Open deals by stage: each open deal of a stage the pipeline has, once.
        for (n, bar) in board.by_stage.iter().enumerate() {
            let open: Vec<&&DealRow> = counted.iter().filter(|d| d.status == DealStatusRow::Open && d.stage == stage(n as u8)).collect();
            prop_assert_eq!(bar.key, stage(n as u8));
            prop_assert_eq!(bar.value, open.iter().map(|d| d.amount_minor).sum::<i64>());
            prop_assert_eq!(sorted(bar.records.clone()), sorted(open.iter().map(|d| d.id).collect()));
        }

        // Won, win rate and cycle length, now and before.
        let previous = filter.months.previous();
        for (figure, rate, cycle, from, to) in [
            (&board.won.now, board.win_rate.now, board.cycle_days.now, from, to),
            // The period before, as far into it as now is into this one.
            (&board.won.before, board.win_rate.before, board.cycle_days.before, previous.from(), Timestamp(previous.from().0 + (NOW.0 - from.0))),
        ] {
            let won: Vec<&&DealRow> = counted.iter().filter(|d| d.status == DealStatusRow::Won && in_period(d.closed_at, from, to)).collect();
            let lost = counted.iter().filter(|d| d.status == DealStatusRow::Lost && in_period(d.closed_at, from, to)).count();
            prop_assert_eq!(figure.value, won.iter().map(|d| d.amount_minor).sum::<i64>());
            prop_assert_eq!(sorted(figure.records.clone()), sorted(won.iter().map(|d| d.id).collect()));
            let expected_rate = if won.is_empty() && lost == 0 { None } else { Some((won.len() * 100 / (won.len() + lost)) as u8) };
            prop_assert_eq!(rate, expected_rate);
            let expected_cycle = if won.is_empty() {
                None
            } else {
                let total: f64 = won.iter().map(|d| (d.closed_at.unwrap().0 - d.created_at.0).max(0) as f64).sum();
                Some((total / won.len() as f64 / DAY_MS as f64).round() as i64)
            };
            prop_assert_eq!(cycle, expected_cycle);
        }

        // Forecast as it stood at each month's start, and won in each month.
        prop_assert_eq!(board.by_month.len(), usize::from(months));
        for row in &board.by_month {
            let start = row.month.start().min(NOW);
            let mut value = 0;
            let mut records = Vec::new();
            // As each deal of the pipeline stood then, in whatever currency it is in now.
            for d in deals.iter().filter(|d| filter.owner.is_none_or(|o| d.owner == Some(o))) {
                let (amount, currency, close) = naive_terms_at(d, start);
                let expected = currency == "EUR" && close.is_some_and(|e| e >= row.month.start() && e < row.month.plus(1).start());
                let known = |stage| settings.pipelines.values().next().unwrap().probability(stage);
                if let (true, Some(probability)) = (expected, naive_stage_at(d, start).and_then(known)) {
                    value += amount * i64::from(probability) / 100;
                    records.push(d.id);
                }
            }
            prop_assert_eq!(row.forecast.value, value);
            prop_assert_eq!(sorted(row.forecast.records.clone()), sorted(records));
            let won: i64 = counted.iter().filter(|d| d.status == DealStatusRow::Won && in_period(d.closed_at, row.month.start(), row.month.plus(1).start())).map(|d| d.amount_minor).sum();
            prop_assert_eq!(row.won.value, won);
        }

        // Lost reasons: four reasons at most, so none are merged.
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for d in counted.iter().filter(|d| d.status == DealStatusRow::Lost && in_period(d.closed_at, from, to)) {
            *reasons.entry(d.lost_reason.clone()).or_default() += 1;
        }
        let shown: BTreeMap<String, usize> = board.lost_reasons.iter().map(|bar| {
            let name = match &bar.key { LostReason::Named(name) => name.clone(), _ => String::new() };
            (name, bar.records.len())
        }).collect();
        prop_assert_eq!(shown, reasons);

        // Activity: every interaction in the period, not a machine's, by author.
        let mut logged: BTreeMap<Option<MemberId>, i64> = BTreeMap::new();
        for row in interactions.iter().filter(|r| r.at >= from && r.at < to && !r.automatic && filter.owner.is_none_or(|o| r.author == Some(o))) {
            *logged.entry(row.author).or_default() += 1;
        }
        let shown: BTreeMap<Option<MemberId>, i64> = board.activity.iter().map(|bar| (bar.key, bar.value)).collect();
        prop_assert_eq!(shown, logged);
        for bar in &board.activity {
            prop_assert_eq!(bar.value, bar.records.len() as i64);
        }
    }
}

#[test]
fn a_chart_table_goes_out_as_csv_with_formulas_defused_and_numbers_kept() {
    let header = vec!["Lost reasons".to_owned(), "Deals".to_owned()];
    let rows = vec![
        vec!["Price, mostly".to_owned(), "3".to_owned()],
        vec!["=HYPERLINK(\"x\")".to_owned(), "-2.50".to_owned()],
    ];
    assert_eq!(
        table_csv(&header, &rows),
        "Lost reasons,Deals\n\"Price, mostly\",3\n\"'=HYPERLINK(\"\"x\"\")\",-2.50\n"
    );
}

#[test]
fn a_dashboard_s_tables_go_out_one_under_the_other_with_an_empty_line_between() {
    let table = |title: &str, rows: &[(&str, &str)]| {
        (
            vec![title.to_owned(), "Deals".to_owned()],
            rows.iter().map(|(l, v)| vec![(*l).to_owned(), (*v).to_owned()]).collect::<Vec<_>>(),
        )
    };
    let csv =
        tables_csv(&[table("By stage", &[("Lead", "2"), ("Won", "1")]), table("Lost, why", &[])]);
    assert_eq!(csv, "By stage,Deals\nLead,2\nWon,1\n\n\"Lost, why\",Deals\n");
    assert_eq!(tables_csv(&[]), "");
}

#[test]
fn a_funnel_counts_each_deal_up_to_the_furthest_stage_it_reached_with_its_stays() {
    let (lead, proposal, negotiation) = (stage(0), stage(1), stage(2));
    let november = Month::of(NOW);
    let opened = at_month(november, 0);
    // Lead → Proposal after 4 days, → Negotiation after 6 more, won 10 days later.
    let mut won = deal(1, negotiation, 100, opened);
    won.stages = vec![(opened, lead)];
    won.stages.push((Timestamp(opened.0 + 4 * DAY_MS), proposal));
    won.stages.push((Timestamp(opened.0 + 10 * DAY_MS), negotiation));
    won.status = DealStatusRow::Won;
    won.closed_at = Some(Timestamp(opened.0 + 20 * DAY_MS));
    // Lead → Negotiation after 2 days (skipping Proposal: it still got that far), then back to
    // Proposal after 3 more, where it stands.
    let mut back = deal(2, proposal, 100, opened);
    back.stages = vec![(opened, lead)];
    back.stages.push((Timestamp(opened.0 + 2 * DAY_MS), negotiation));
    back.stages.push((Timestamp(opened.0 + 5 * DAY_MS), proposal));
    // Lost in Lead after 8 days.
    let mut lost = deal(3, lead, 100, opened);
    lost.status = DealStatusRow::Lost;
    lost.closed_at = Some(Timestamp(opened.0 + 8 * DAY_MS));
    // Still in Lead; and one opened long before the period, left out.
    let waiting = deal(4, lead, 100, opened);
    let old = deal(5, negotiation, 100, day(-400));
    let model = model_of(vec![won, back, lost, waiting, old], Vec::new());
    let funnel = funnel(&model, &settings(), &filter(1));
    let counts: Vec<usize> = funnel.steps.iter().map(|s| s.reached.len()).collect();
    assert_eq!(counts, [4, 2, 2]);
    assert_eq!(funnel.won.len(), 1);
    assert_eq!(
        (funnel.drop_off(0), funnel.drop_off(1), funnel.drop_off(2), funnel.drop_off(3)),
        (Some(50), Some(0), Some(50), None)
    );
    // Lead stays that ended: 4, 2 and 8 days → 4. Proposal: 6 (the other is still there).
    // Negotiation: 10 and 3 → the upper middle, 10.
    let medians: Vec<Option<i64>> = funnel.steps.iter().map(|s| s.median_days).collect();
    assert_eq!(medians, [Some(4), Some(6), Some(10)]);
    assert_eq!(
        funnel.cohorts,
        [Cohort { month: november, opened: 4, reached: vec![4, 2, 2], won: 1 }]
    );
}

#[test]
fn lost_reasons_differing_only_in_case_are_one_and_a_running_period_is_compared_to_date() {
    let mut deals = Vec::new();
    for (n, reason) in ["price", "Price", "PRICE", "Timing"].iter().enumerate() {
        let mut lost = deal(n as u16, stage(0), 100, day(-10));
        lost.status = DealStatusRow::Lost;
        lost.closed_at = Some(day(-1));
        lost.lost_reason = (*reason).into();
        deals.push(lost);
    }
    // Won on 25 October: after 18 days of October, where November stands now, so not in the part of
    // the period before that this running month is compared with.
    let mut late = deal(9, stage(0), 700, day(-60));
    late.status = DealStatusRow::Won;
    late.closed_at = Some(at_month(Month::of(NOW).plus(-1), 24));
    deals.push(late);
    let board = sales(&model_of(deals, Vec::new()), &settings(), &filter(1), NOW);
    let reasons: Vec<(LostReason, i64)> =
        board.lost_reasons.iter().map(|b| (b.key.clone(), b.value)).collect();
    assert_eq!(
        reasons,
        [(LostReason::Named("PRICE".into()), 3), (LostReason::Named("Timing".into()), 1)]
    );
    assert_eq!(board.won.before.value, 0);
    let window = Months::ending_at(NOW, 1).previous_to_date(NOW);
    assert_eq!(Month::of(window.0), Month::of(NOW).plus(-1));
    assert_eq!(window.1.0 - window.0.0, NOW.0 - Month::of(NOW).start().0);
}
