use proptest::prelude::*;

use super::*;
use crate::ids::{MemberId, PipelineId, StageId};
use crate::read_model::{DealStatusRow, RoleRow};

/// 2026-11-18 12:00 UTC, a Wednesday.
const NOW: Timestamp = Timestamp(1_795_003_200_000);

fn id16(kind: u8, n: u16) -> [u8; 16] {
    let mut id = [kind; 16];
    id[14..].copy_from_slice(&n.to_be_bytes());
    id
}

fn member(n: u8) -> MemberId {
    MemberId::from_bytes(id16(0x70, u16::from(n)))
}

fn stage(n: u8) -> StageId {
    StageId::from_bytes(id16(0x50, u16::from(n)))
}

fn day(days: i64) -> Timestamp {
    Timestamp(NOW.0 + days * DAY_MS)
}

fn deal(n: u16, amount: i64, currency: &str, created: Timestamp) -> DealRow {
    DealRow {
        id: DealId::from_bytes(id16(0x10, n)),
        title: format!("Deal {n}"),
        pipeline: PipelineId::from_bytes([9; 16]),
        stage: stage(0),
        amount_minor: amount,
        currency: currency.into(),
        expected_close: None,
        owner: None,
        parties: Vec::new(),
        status: DealStatusRow::Open,
        created_at: created,
        stage_since: created,
        stages: Vec::new(),
        closed_at: None,
        closings: Vec::new(),
        terms: Vec::new(),
        lost_reason: String::new(),
        round: None,
        soft_circled: None,
        committed: None,
    }
}

fn party(n: u16, tags: &[&str], created: Timestamp) -> PartyRow {
    let mut row = PartyRow::named(PartyId::from_bytes(id16(0x20, n)), &format!("Party {n}"));
    row.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    row.created_at = created;
    row
}

fn ticket(n: u16, rating: Option<u8>, created: Timestamp) -> TicketRow {
    TicketRow {
        id: TicketId::from_bytes(id16(0x30, n)),
        subject: format!("Ticket {n}"),
        party: None,
        channel: crate::model::Channel::Email,
        priority: crate::model::TicketPriority::Normal,
        status: "open".into(),
        team: None,
        assignee: None,
        tags: Vec::new(),
        created_at: created,
        events: Vec::new(),
        mail_ids: Vec::new(),
        rating,
        escalated: Vec::new(),
    }
}

fn interaction(n: u16, at: Timestamp, author: Option<MemberId>, automatic: bool) -> InteractionRow {
    InteractionRow {
        id: InteractionId::from_bytes(id16(0x40, n)),
        kind: 1,
        at,
        parties: Vec::new(),
        summary: String::new(),
        author,
        answers: None,
        automatic,
    }
}

fn model_of(deals: Vec<DealRow>, parties: Vec<PartyRow>, tickets: Vec<TicketRow>) -> ReadModel {
    let mut model = ReadModel::default();
    model.deals = deals.into_iter().map(|d| (d.id, d)).collect();
    model.parties = parties.into_iter().map(|p| (p.id, p)).collect();
    model.tickets = tickets.into_iter().map(|t| (t.id, t)).collect();
    model
}

fn count_by(source: Source, group: Option<Dimension>) -> ReportDef {
    ReportDef { group, ..ReportDef::grouped(source, 0, Dimension::Month, Measure::Count) }
}

fn values(answer: &Answer) -> Vec<(Key, Option<f64>)> {
    answer.rows.iter().map(|r| (r.key.clone(), r.value)).collect()
}

fn value(key: &str) -> Key {
    Key::Value(key.to_owned())
}

#[test]
fn a_money_measure_adds_up_one_currency_and_lists_only_what_it_added() {
    let mut won = deal(1, 50_000, "EUR", day(-3));
    won.status = DealStatusRow::Won;
    let mut other = deal(2, 20_000, "EUR", day(-2));
    other.stage = stage(1);
    let dollars = deal(3, 900_000, "USD", day(-1));
    let model = model_of(vec![won, other, dollars.clone()], Vec::new(), Vec::new());
    let mut def = count_by(Source::Deals, Some(Dimension::Stage));
    def.measure = Measure::Sum(Number::Amount);
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    // EUR: two deals against one in dollars.
    assert_eq!(answer.currency.as_deref(), Some("EUR"));
    assert_eq!(
        values(&answer),
        [
            (value(&stage(0).to_string()), Some(50_000.0)),
            (value(&stage(1).to_string()), Some(20_000.0))
        ]
    );
    assert!(answer.rows.iter().all(|r| !r.records.contains(&Item::Deal(dollars.id))));

    def.currency = Some("USD".into());
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(values(&answer), [(value(&stage(0).to_string()), Some(900_000.0))]);
    assert_eq!(answer.rows[0].records, [Item::Deal(dollars.id)]);

    // A count counts every currency.
    def.measure = Measure::Count;
    def.group = None;
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(values(&answer), [(Key::All, Some(3.0))]);
    assert_eq!(answer.currency, None);
}

#[test]
fn a_number_is_compared_with_the_period_before_to_the_same_day_in_the_same_currency() {
    // This month (November) to the 18th, against October to the 18th.
    let model = model_of(
        vec![
            deal(1, 100, "EUR", day(-16)),
            deal(2, 300, "EUR", day(-8)),
            deal(3, 50, "EUR", day(-44)),
            // October, but later in it than today is in November.
            deal(4, 1_000, "EUR", day(-24)),
            // Most of October's deals are in dollars: not what November counted.
            deal(5, 7, "USD", day(-46)),
            deal(6, 9, "USD", day(-45)),
        ],
        Vec::new(),
        Vec::new(),
    );
    let settings = WorkspaceSettings::default();
    let mut def = ReportDef {
        group: None,
        ..ReportDef::grouped(Source::Deals, 1, Dimension::Month, Measure::Sum(Number::Amount))
    };
    let answer = run(&model, &settings, &def, NOW);
    assert_eq!(values(&answer), [(Key::All, Some(400.0))]);
    assert_eq!(answer.currency.as_deref(), Some("EUR"));
    let before = answer.before.expect("a number over a period has one before it");
    assert_eq!(before.value, Some(50.0));
    assert_eq!(before.records, [Item::Deal(DealId::from_bytes(id16(0x10, 3)))]);

    def.measure = Measure::Count;
    let answer = run(&model, &settings, &def, NOW);
    assert_eq!(answer.before.map(|b| b.value), Some(Some(3.0)));

    // Nothing to compare: bars, all time, or a date still to come.
    def.group = Some(Dimension::Owner);
    assert_eq!(run(&model, &settings, &def, NOW).before, None);
    def.group = None;
    def.months = 0;
    assert_eq!(run(&model, &settings, &def, NOW).before, None);
    def.months = 3;
    def.date = DateField::ExpectedClose;
    assert_eq!(run(&model, &settings, &def, NOW).before, None);
}

#[test]
fn reports_pinned_on_two_devices_at_once_are_both_on_the_member_s_own_page() {
    use crate::employee::write_private_note;
    let pinned = |doc: &automerge::AutoCommit| {
        let root: BTreeMap<String, autosurgeon::Text> = autosurgeon::hydrate(doc).unwrap();
        let notes: BTreeMap<String, String> =
            root.into_iter().map(|(k, v)| (k, v.as_str().to_owned())).collect();
        my_dashboard(&notes).into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let pin = |doc: &mut automerge::AutoCommit, report: &str, on: bool| {
        write_private_note(doc, &my_dashboard_note(report), my_dashboard_text(on)).unwrap();
    };
    // Neither device has pinned anything when they part; each pins its own, and the phone pins
    // and takes off a third.
    let mut phone = automerge::AutoCommit::new();
    write_private_note(&mut phone, "some-record", "A 1:1 note").unwrap();
    let mut laptop = phone.fork();
    pin(&mut phone, "churn", true);
    pin(&mut laptop, "pipeline", true);
    pin(&mut phone, "weekly", true);
    pin(&mut phone, "weekly", false);
    phone.merge(&mut laptop).unwrap();
    laptop.merge(&mut phone).unwrap();
    assert_eq!(pinned(&phone), ["churn", "pipeline"]);
    assert_eq!(pinned(&laptop), ["churn", "pipeline"]);

    // Only notes under the prefix, with something in them, name a report.
    let notes = BTreeMap::from([
        ("dashboard:a".to_owned(), "1".to_owned()),
        ("dashboard:b".to_owned(), " ".to_owned()),
        ("dashboard:".to_owned(), "1".to_owned()),
        ("c".to_owned(), "1".to_owned()),
    ]);
    assert_eq!(my_dashboard(&notes), BTreeSet::from(["a"]));
    // Each with its place: the note's text ("1" before the member moved any).
    assert_eq!(my_places(&notes), BTreeMap::from([("a", "1")]));
}

#[test]
fn months_with_nothing_in_them_are_drawn_empty_and_the_period_reads_the_report_s_date() {
    let mut early = deal(1, 100, "EUR", day(-200));
    early.closed_at = Some(day(-1));
    early.status = DealStatusRow::Won;
    let mut late = deal(2, 300, "EUR", day(-1));
    late.closed_at = Some(day(-100));
    late.status = DealStatusRow::Lost;
    let open = deal(3, 50, "EUR", day(-1));
    let model = model_of(vec![early.clone(), late.clone(), open], Vec::new(), Vec::new());
    let mut def = count_by(Source::Deals, Some(Dimension::Month));
    def.months = 6;
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    let months: Vec<Key> =
        Months::ending_at(NOW, 6).iter().map(|m| Key::Period(m.start())).collect();
    assert_eq!(answer.rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>(), months);
    // Created in the last six months: two, both this month.
    assert_eq!(
        answer.rows.iter().map(|r| r.value.unwrap()).collect::<Vec<_>>(),
        [0., 0., 0., 0., 0., 2.]
    );

    // By closing date: the open deal has none and is not counted.
    def.date = DateField::Closed;
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    let counted: Vec<Item> = answer.rows.iter().flat_map(|r| r.records.clone()).collect();
    assert_eq!(counted, [Item::Deal(late.id), Item::Deal(early.id)]);

    // All time, by closing month: from the first to the last, the open deal under "no date".
    def.months = 0;
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(answer.rows.first().unwrap().key, Key::Period(Month::of(day(-100)).start()));
    assert_eq!(answer.rows.len(), 5);
    assert_eq!(answer.rows.last().unwrap().key, Key::Missing);
}

#[test]
fn weeks_start_on_monday_in_utc() {
    // NOW is a Wednesday: its week began on Monday the 16th at midnight.
    assert_eq!(week_of(NOW), Timestamp(NOW.0 - 2 * DAY_MS - 12 * 3_600_000));
    assert_eq!(week_of(week_of(NOW)), week_of(NOW));
    assert_eq!(week_of(Timestamp(week_of(NOW).0 - 1)), Timestamp(week_of(NOW).0 - 7 * DAY_MS));
    // Before 1970 too.
    assert_eq!(week_of(Timestamp(-1)), Timestamp(-3 * DAY_MS));
}

#[test]
fn a_party_counts_once_under_each_of_its_tags_and_archived_ones_not_at_all() {
    let mut gone = party(4, &["vip"], day(-1));
    gone.archived = true;
    let parties = vec![
        party(1, &["vip", "berlin", "vip"], day(-1)),
        party(2, &["vip"], day(-1)),
        party(3, &[" "], day(-1)),
        gone,
    ];
    let model = model_of(Vec::new(), parties, Vec::new());
    let answer = run(
        &model,
        &WorkspaceSettings::default(),
        &count_by(Source::Parties, Some(Dimension::Tag)),
        NOW,
    );
    assert_eq!(
        values(&answer),
        [(value("vip"), Some(2.0)), (value("berlin"), Some(1.0)), (Key::Missing, Some(1.0))]
    );

    // A condition on a tag keeps those with it, whatever else they have.
    let mut def = count_by(Source::Parties, None);
    def.conditions = vec![Condition { dimension: Dimension::Tag, value: "berlin".into() }];
    assert_eq!(
        values(&run(&model, &WorkspaceSettings::default(), &def, NOW)),
        [(Key::All, Some(1.0))]
    );
    def.conditions = vec![Condition { dimension: Dimension::Tag, value: String::new() }];
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(answer.rows[0].records, [Item::Party(PartyId::from_bytes(id16(0x20, 3)))]);
}

#[test]
fn averages_and_medians_read_only_the_records_that_have_the_number() {
    let tickets = vec![
        ticket(1, Some(5), day(-1)),
        ticket(2, Some(2), day(-1)),
        ticket(3, Some(4), day(-1)),
        ticket(4, Some(3), day(-1)),
        ticket(5, None, day(-1)),
    ];
    let model = model_of(Vec::new(), Vec::new(), tickets);
    let mut def = count_by(Source::Tickets, None);
    def.measure = Measure::Average(Number::Rating);
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(values(&answer), [(Key::All, Some(3.5))]);
    assert_eq!(answer.rows[0].records.len(), 4);
    def.measure = Measure::Median(Number::Rating);
    assert_eq!(
        values(&run(&model, &WorkspaceSettings::default(), &def, NOW)),
        [(Key::All, Some(3.5))]
    );
    def.conditions = vec![Condition { dimension: Dimension::Rating, value: "5".into() }];
    assert_eq!(
        values(&run(&model, &WorkspaceSettings::default(), &def, NOW)),
        [(Key::All, Some(5.0))]
    );
    // Odd counts take the middle one.
    def.conditions.clear();
    def.group = Some(Dimension::Status);
    let model = model_of(
        Vec::new(),
        Vec::new(),
        vec![ticket(1, Some(1), day(-1)), ticket(2, Some(5), day(-1)), ticket(3, Some(2), day(-1))],
    );
    assert_eq!(
        values(&run(&model, &WorkspaceSettings::default(), &def, NOW)),
        [(value("open"), Some(2.0))]
    );
}

#[test]
fn past_a_hundred_groups_the_smallest_are_one_bar_that_lists_them_all() {
    let parties: Vec<PartyRow> = (0..150u16)
        .map(|n| {
            let tag = format!("tag {n:03}");
            // Tag 000 on everyone: the largest group.
            party(n, &["tag 000", tag.as_str()], day(-1))
        })
        .collect();
    let model = model_of(Vec::new(), parties, Vec::new());
    let answer = run(
        &model,
        &WorkspaceSettings::default(),
        &count_by(Source::Parties, Some(Dimension::Tag)),
        NOW,
    );
    assert_eq!(answer.rows.len(), MAX_BARS);
    assert_eq!(
        answer.rows[0],
        Row {
            key: value("tag 000"),
            value: Some(150.0),
            records: answer.rows[0].records.clone(),
            parts: Vec::new()
        }
    );
    let others = answer.rows.last().unwrap();
    assert_eq!(others.key, Key::Others);
    // Tags 099 to 149 are in the last bar: 51 parties, each once.
    assert_eq!(others.value, Some(51.0));
    assert_eq!(others.records.len(), 51);

    // Over time, the latest periods are kept and the earlier ones are one bar in front.
    let deals: Vec<DealRow> =
        (0..130u16).map(|n| deal(n, 1, "EUR", day(-7 * i64::from(n)))).collect();
    let model = model_of(deals, Vec::new(), Vec::new());
    let answer = run(
        &model,
        &WorkspaceSettings::default(),
        &count_by(Source::Deals, Some(Dimension::Week)),
        NOW,
    );
    assert_eq!(answer.rows.len(), MAX_BARS);
    assert_eq!(answer.rows[0].key, Key::Others);
    assert_eq!(answer.rows[0].value, Some(31.0));
    assert_eq!(answer.rows.last().unwrap().key, Key::Period(week_of(NOW)));
}

#[test]
fn interactions_of_the_period_are_read_from_their_months_and_machine_answers_are_not_counted() {
    let mut model = ReadModel::default();
    let rows = [
        interaction(1, day(-1), Some(member(1)), false),
        interaction(2, day(-2), Some(member(1)), true),
        interaction(3, day(-40), Some(member(2)), false),
        interaction(4, day(-400), None, false),
    ];
    for row in rows {
        model.interactions.entry(Month::of(row.at)).or_default().insert(row.id, row);
    }
    let mut def = count_by(Source::Interactions, Some(Dimension::Owner));
    def.months = 3;
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(
        values(&answer),
        [(value(&member(1).to_string()), Some(1.0)), (value(&member(2).to_string()), Some(1.0))]
    );
    def.months = 0;
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(
        answer.rows.last().unwrap(),
        &Row {
            key: Key::Missing,
            value: Some(1.0),
            records: vec![Item::Interaction(InteractionId::from_bytes(id16(0x40, 4)))],
            parts: Vec::new(),
        }
    );
}

#[test]
fn a_saved_report_reads_back_as_it_was_asked_and_unknown_keys_are_refused() {
    let def = ReportDef {
        source: Source::Deals,
        date: DateField::Closed,
        months: 12,
        group: Some(Dimension::Owner),
        split: Some(Dimension::Stage),
        measure: Measure::Median(Number::CycleDays),
        conditions: vec![
            Condition { dimension: Dimension::Status, value: "Won".into() },
            Condition { dimension: Dimension::LostReason, value: "a=b".into() },
        ],
        currency: Some("EUR".into()),
        chart: Chart::Line,
    };
    let saved = def.saved(" Cycle by owner ", true);
    assert_eq!(saved.name, "Cycle by owner");
    assert!(saved.pinned);
    assert_eq!(ReportDef::from_saved(&saved), Ok(def));

    let unknown = |edit: fn(&mut SavedReport)| {
        let mut saved = saved.clone();
        edit(&mut saved);
        ReportDef::from_saved(&saved).unwrap_err()
    };
    assert_eq!(
        unknown(|s| s.source = "invoices".into()),
        ReportError::Unknown { what: "record kind", key: "invoices".into() }
    );
    assert!(matches!(
        unknown(|s| s.group = Some("colour".into())),
        ReportError::Unknown { what: "grouping", .. }
    ));
    assert!(matches!(
        unknown(|s| s.conditions.push("colour=red".into())),
        ReportError::Unknown { what: "grouping", .. }
    ));
    assert!(matches!(
        unknown(|s| s.conditions.push("status".into())),
        ReportError::Unknown { what: "condition", .. }
    ));
    assert!(matches!(
        unknown(|s| s.measure = "mode".into()),
        ReportError::Unknown { what: "measure", .. }
    ));
    assert!(matches!(
        unknown(|s| s.chart = "pie".into()),
        ReportError::Unknown { what: "chart", .. }
    ));
    assert!(matches!(
        unknown(|s| s.split = Some("colour".into())),
        ReportError::Unknown { what: "grouping", .. }
    ));
    // Saved before there was a split: whole bars.
    let older = SavedReport { split: None, ..saved.clone() };
    assert_eq!(ReportDef::from_saved(&older).unwrap().split, None);

    // Known parts that do not fit together (two people edited it at once) are mended.
    let mended = |edit: fn(&mut SavedReport)| {
        let mut saved = saved.clone();
        edit(&mut saved);
        ReportDef::from_saved(&saved).unwrap()
    };
    // Tickets have no closing date, days to close or lost reason: their creation, a count, and the
    // status condition alone.
    let tickets = mended(|s| s.source = "tickets".into());
    assert_eq!(tickets.date, DateField::Created);
    assert_eq!(tickets.measure, Measure::Count);
    assert_eq!(tickets.group, Some(Dimension::Owner));
    assert_eq!(
        tickets.conditions,
        [Condition { dimension: Dimension::Status, value: "Won".into() }]
    );
    assert_eq!(mended(|s| s.group = Some("tag".into())).group, None);
    // Tickets have no stage to split by; a split by the grouping itself, or without one, is none.
    assert_eq!(tickets.split, None);
    assert_eq!(mended(|s| s.split = Some("owner".into())).split, None);
    assert_eq!(mended(|s| s.group = None).split, None);
    assert_eq!(mended(|s| s.number = None).measure, Measure::Count);
    assert_eq!(mended(|s| s.number = Some("rating".into())).measure, Measure::Count);
    assert_eq!(mended(|s| s.currency = Some(" ".into())).currency, None);
}

#[test]
fn the_currency_counted_is_the_one_asked_or_the_one_most_counted_deals_are_in() {
    let deals = vec![
        deal(1, 100, "EUR", day(-1)),
        deal(2, 200, "EUR", day(-1)),
        deal(3, 300, "USD", day(-1)),
        deal(4, 400, "USD", day(-300)),
        deal(5, 500, "USD", day(-300)),
    ];
    let model = model_of(deals, Vec::new(), Vec::new());
    let mut def = count_by(Source::Deals, None);
    def.measure = Measure::Sum(Number::Amount);
    // Over all time, dollars; over the last 3 months, euros.
    assert_eq!(
        values(&run(&model, &WorkspaceSettings::default(), &def, NOW)),
        [(Key::All, Some(1200.0))]
    );
    def.months = 3;
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(
        (answer.currency.as_deref(), values(&answer)),
        (Some("EUR"), vec![(Key::All, Some(300.0))])
    );
    // A condition on the currency is the currency counted.
    def.conditions = vec![Condition { dimension: Dimension::Currency, value: "USD".into() }];
    assert_eq!(
        values(&run(&model, &WorkspaceSettings::default(), &def, NOW)),
        [(Key::All, Some(300.0))]
    );
    // With nothing counted, the workspace's first currency, and a sum of 0 (not -0).
    def.conditions = vec![Condition { dimension: Dimension::Currency, value: "GBP".into() }];
    let settings = WorkspaceSettings { currencies: vec!["GBP".into()], ..Default::default() };
    let answer = run(&model, &settings, &def, NOW);
    assert_eq!(answer.currency.as_deref(), Some("GBP"));
    assert_eq!(answer.rows[0].value.map(f64::to_bits), Some(0.0f64.to_bits()));
}

#[test]
fn a_period_of_expected_closes_looks_ahead_and_a_week_s_bar_counts_the_whole_week() {
    let mut soon = deal(1, 100, "EUR", day(-1));
    soon.expected_close = Some(day(40));
    let mut past = deal(2, 100, "EUR", day(-1));
    past.expected_close = Some(day(-40));
    let model = model_of(vec![soon.clone(), past], Vec::new(), Vec::new());
    let mut def = count_by(Source::Deals, Some(Dimension::Month));
    (def.date, def.months) = (DateField::ExpectedClose, 3);
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    let months: Vec<Key> = (0..3).map(|n| Key::Period(Month::of(NOW).plus(n).start())).collect();
    assert_eq!(answer.rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>(), months);
    assert_eq!(
        answer.rows.iter().flat_map(|r| r.records.clone()).collect::<Vec<_>>(),
        [Item::Deal(soon.id)]
    );

    // September 2026 began on a Tuesday: the first week of a period from September counts its Monday.
    let monday = Timestamp(Month { year: 2026, month: 9 }.start().0 - DAY_MS + 3_600_000);
    let model = model_of(vec![deal(1, 1, "EUR", monday)], Vec::new(), Vec::new());
    let mut def = count_by(Source::Deals, Some(Dimension::Week));
    def.months = 3;
    let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
    assert_eq!(answer.rows[0].key, Key::Period(week_of(monday)));
    assert_eq!(answer.rows[0].value, Some(1.0));
    // To the week of the period's last day (Monday 30 November).
    let last_day = Timestamp(Month::of(NOW).plus(1).start().0 - 1);
    assert_eq!(answer.rows.last().unwrap().key, Key::Period(week_of(last_day)));
    assert_eq!(week_of(last_day), Timestamp(Month::of(NOW).plus(1).start().0 - DAY_MS));
}

#[test]
fn dates_past_any_calendar_are_no_dates_and_a_long_span_keeps_its_latest_bars_whole() {
    let deals = vec![
        deal(1, 1, "EUR", Timestamp(i64::MIN)),
        deal(2, 1, "EUR", Timestamp(i64::MAX)),
        deal(3, 1, "EUR", Timestamp(-200_000_000_000_000)),
        deal(4, 1, "EUR", NOW),
    ];
    let model = model_of(deals, Vec::new(), Vec::new());
    for group in [Dimension::Week, Dimension::Month] {
        let mut def = count_by(Source::Deals, Some(group));
        def.measure = Measure::Median(Number::CycleDays);
        run(&model, &WorkspaceSettings::default(), &def, NOW);
        def.measure = Measure::Count;
        let answer = run(&model, &WorkspaceSettings::default(), &def, NOW);
        assert_eq!(answer.rows.len(), MAX_BARS, "{group:?}");
        // The earliest date is counted in the first bar; no bar of the latest 98 is missing.
        assert_eq!(answer.rows[0].key, Key::Others);
        assert_eq!(answer.rows[0].value, Some(1.0));
        assert_eq!(
            answer.rows[MAX_BARS - 2].key,
            Key::Period(if group == Dimension::Week {
                week_of(NOW)
            } else {
                Month::of(NOW).start()
            })
        );
        assert_eq!(
            answer.rows[MAX_BARS - 1],
            Row {
                key: Key::Missing,
                value: Some(2.0),
                records: vec![
                    Item::Deal(DealId::from_bytes(id16(0x10, 1))),
                    Item::Deal(DealId::from_bytes(id16(0x10, 2)))
                ],
                parts: Vec::new(),
            }
        );
        let periods: Vec<Timestamp> = answer
            .rows
            .iter()
            .filter_map(|r| if let Key::Period(at) = r.key { Some(at) } else { None })
            .collect();
        assert_eq!(periods.len(), MAX_BARS - 2);
        for pair in periods.windows(2) {
            let next = if group == Dimension::Week {
                Timestamp(pair[0].0 + 7 * DAY_MS)
            } else {
                Month::of(pair[0]).plus(1).start()
            };
            assert_eq!(next, pair[1]);
        }
    }
}

// Property: every bar is what a plain reading of the records says.

/// A deal's month and status, a party's tags, read the long way.
fn naive_keys(model: &ReadModel, item: Item, dimension: Dimension, date: DateField) -> Vec<Key> {
    let month = |at: Option<Timestamp>| match at {
        None => vec![Key::Missing],
        Some(at) => {
            let date =
                time::OffsetDateTime::from_unix_timestamp(at.0.div_euclid(1000)).unwrap().date();
            let first = date.replace_day(1).unwrap().midnight().assume_utc();
            vec![Key::Period(Timestamp(first.unix_timestamp() * 1000))]
        }
    };
    let week = |at: Option<Timestamp>| match at {
        None => vec![Key::Missing],
        Some(at) => vec![naive_week(at)],
    };
    match item {
        Item::Deal(id) => {
            let d = &model.deals[&id];
            let at = match date {
                DateField::Created => Some(d.created_at),
                DateField::Closed => d.closed_at,
                _ => d.expected_close,
            };
            match dimension {
                Dimension::Month => month(at),
                Dimension::Owner => vec![d.owner.map_or(Key::Missing, |m| value(&m.to_string()))],
                Dimension::Stage => vec![value(&d.stage.to_string())],
                Dimension::Week => week(at),
                Dimension::Status => vec![value(match d.status {
                    DealStatusRow::Open => "open",
                    DealStatusRow::Won => "won",
                    DealStatusRow::Lost => "lost",
                })],
                Dimension::Currency => vec![value(&d.currency)],
                _ => unreachable!(),
            }
        }
        Item::Party(id) => {
            let p = &model.parties[&id];
            match dimension {
                Dimension::Month => month(Some(p.created_at)),
                Dimension::Tag => {
                    let mut tags: Vec<Key> = p
                        .tags
                        .iter()
                        .map(|t| t.trim().to_lowercase())
                        .filter(|t| !t.is_empty())
                        .map(|t| value(&t))
                        .collect();
                    tags.sort();
                    tags.dedup();
                    if tags.is_empty() { vec![Key::Missing] } else { tags }
                }
                Dimension::Role => {
                    let roles: Vec<Key> = p.roles.iter().map(|r| value(r.role().key())).collect();
                    if roles.is_empty() { vec![Key::Missing] } else { roles }
                }
                _ => unreachable!(),
            }
        }
        _ => unreachable!(),
    }
}

/// The Monday (UTC) of `at`'s week, by the calendar.
fn naive_week(at: Timestamp) -> Key {
    let date = time::OffsetDateTime::from_unix_timestamp(at.0.div_euclid(1000)).unwrap().date();
    let monday = date - time::Duration::days(date.weekday().number_days_from_monday().into());
    Key::Period(Timestamp(monday.midnight().assume_utc().unix_timestamp() * 1000))
}

fn naive_date(model: &ReadModel, item: Item, date: DateField) -> Option<Timestamp> {
    match item {
        Item::Deal(id) => match date {
            DateField::Created => Some(model.deals[&id].created_at),
            DateField::Closed => model.deals[&id].closed_at,
            _ => model.deals[&id].expected_close,
        },
        Item::Party(id) => Some(model.parties[&id].created_at),
        _ => unreachable!(),
    }
}

fn naive_number(model: &ReadModel, item: Item, measure: Measure) -> Option<f64> {
    let Item::Deal(id) = item else { return Some(1.0) };
    let d = &model.deals[&id];
    match measure.number() {
        None => Some(1.0),
        Some(Number::Amount) => Some(d.amount_minor as f64),
        Some(_) => d.closed_at.map(|c| (c.0 - d.created_at.0).max(0) as f64 / 86_400_000.0),
    }
}

fn naive_value(measure: Measure, mut numbers: Vec<f64>) -> Option<f64> {
    numbers.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = numbers.len();
    match measure {
        Measure::Count => Some(n as f64),
        Measure::Sum(_) => Some(numbers.iter().sum()),
        _ if n == 0 => None,
        Measure::Average(_) => Some(numbers.iter().sum::<f64>() / n as f64),
        Measure::Median(_) if n % 2 == 1 => Some(numbers[n / 2]),
        Measure::Median(_) => Some((numbers[n / 2 - 1] + numbers[n / 2]) / 2.0),
    }
}

prop_compose! {
    fn deals()(specs in prop::collection::vec(
        (0..4u8, 0..3u8, 0..3u8, any::<bool>(), 0..10_000i64, -400..0i64, prop::option::of(-400..1i64), prop::option::of(-400..400i64)), 0..40)
    ) -> Vec<DealRow> {
        specs.into_iter().enumerate().map(|(n, (owner, stage_n, status, dollars, amount, created, closed, expected))| {
            let mut d = deal(n as u16, amount, if dollars { "USD" } else { "EUR" }, day(created));
            d.owner = (owner < 3).then(|| member(owner));
            d.stage = stage(stage_n);
            d.status = [DealStatusRow::Open, DealStatusRow::Won, DealStatusRow::Lost][usize::from(status)];
            // Closings before the deal's creation too (an imported deal): days to close are then 0.
            d.closed_at = closed.filter(|_| status > 0).map(day);
            d.expected_close = expected.map(day);
            d
        }).collect()
    }
}

prop_compose! {
    fn parties()(specs in prop::collection::vec(
        (prop::collection::vec(0..4usize, 0..3), prop::collection::vec(0..3usize, 0..2), any::<bool>(), -400..0i64), 0..40)
    ) -> Vec<PartyRow> {
        let names = ["vip", "berlin", " lead ", "Vip"];
        let roles = [RoleRow::Customer, RoleRow::Supplier, RoleRow::Investor];
        specs.into_iter().enumerate().map(|(n, (tags, kinds, archived, created))| {
            let tags: Vec<&str> = tags.into_iter().map(|t| names[t]).collect();
            let mut p = party(n as u16, &tags, day(created));
            p.roles = kinds.into_iter().map(|r| roles[r]).collect();
            p.roles.dedup();
            p.archived = archived;
            p
        }).collect()
    }
}

fn def_strategy() -> impl Strategy<Value = (ReportDef, Option<(usize, usize)>)> {
    let deal_dims = [
        Dimension::Month,
        Dimension::Week,
        Dimension::Owner,
        Dimension::Stage,
        Dimension::Status,
        Dimension::Currency,
    ];
    let party_dims = [Dimension::Month, Dimension::Tag, Dimension::Role];
    (
        any::<bool>(),
        0..7usize,
        0..3usize,
        0..4usize,
        0..3u8,
        prop::option::of((0..6usize, 0..40usize)),
        0..13u8,
        0..9usize,
    )
        .prop_map(move |(on_deals, group, date, measure, number, condition, months, split)| {
            let (source, dims): (Source, &[Dimension]) =
                if on_deals { (Source::Deals, &deal_dims) } else { (Source::Parties, &party_dims) };
            let number = if number == 0 { Number::Amount } else { Number::CycleDays };
            let measure = match measure {
                _ if !on_deals => Measure::Count,
                0 => Measure::Count,
                1 => Measure::Sum(number),
                2 => Measure::Average(number),
                _ => Measure::Median(number),
            };
            let def = ReportDef {
                source,
                date: source.dates()[date % source.dates().len()],
                months,
                group: dims.get(group).copied(),
                // Sometimes the group's own dimension, or one without a group: never split.
                split: dims.get(split).copied(),
                measure,
                conditions: Vec::new(),
                currency: None,
                chart: Chart::Stacked,
            };
            (def, condition.map(|(dim, record)| (dim % dims.len(), record)))
        })
}

proptest! {
    #[test]
    fn every_bar_is_the_measure_of_exactly_the_records_with_its_key(
        deals in deals(), parties in parties(), (mut def, condition) in def_strategy()
    ) {
        let model = model_of(deals, parties, Vec::new());
        let settings = WorkspaceSettings::default();
        let items: Vec<Item> = match def.source {
            Source::Deals => model.deals.keys().map(|id| Item::Deal(*id)).collect(),
            _ => model.parties.values().filter(|p| !p.archived).map(|p| Item::Party(p.id)).collect(),
        };
        let dims: &[Dimension] = match def.source {
            Source::Deals => &[Dimension::Month, Dimension::Week, Dimension::Owner, Dimension::Stage, Dimension::Status, Dimension::Currency],
            _ => &[Dimension::Month, Dimension::Tag, Dimension::Role],
        };
        // A condition on a value some record has (when there is one).
        if let Some((dim, record)) = condition
            && let Some(item) = items.get(record % items.len().max(1))
        {
            let dimension = dims[dim];
            let value = match naive_keys(&model, *item, dimension, def.date).remove(0) {
                Key::Value(v) => v,
                Key::Period(at) => at.0.to_string(),
                _ => String::new(),
            };
            def.conditions.push(Condition { dimension, value });
        }
        let answer = run(&model, &settings, &def, NOW);
        // The months counted: ending with this one, or from it for an expected close; from the
        // Monday of the first week when grouped by week.
        let this_month = Month::of(NOW);
        let window = (def.months > 0).then(|| {
            let months = i32::from(def.months);
            let (first, after) = match def.date {
                DateField::ExpectedClose => (this_month, this_month.plus(months)),
                _ => (this_month.plus(1 - months), this_month.plus(1)),
            };
            let from = match (def.group, naive_week(first.start())) {
                (Some(Dimension::Week), Key::Period(monday)) => monday,
                _ => first.start(),
            };
            (from, after.start())
        });
        let passing: Vec<(Item, f64)> = items.iter().filter_map(|item| {
            if let Some((from, to)) = window {
                let at = naive_date(&model, *item, def.date)?;
                if at < from || at >= to { return None; }
            }
            for c in &def.conditions {
                let keys = naive_keys(&model, *item, c.dimension, def.date);
                let holds = keys.iter().any(|k| match k {
                    Key::Period(at) => at.0.to_string() == c.value,
                    Key::Value(v) => *v == c.value,
                    Key::Missing => c.value.is_empty(),
                    _ => false,
                });
                if !holds { return None; }
            }
            Some((*item, naive_number(&model, *item, def.measure)?))
        }).collect();
        // A money measure: the currency most of those are in, the first in the alphabet on a tie.
        let currency = matches!(def.measure.number(), Some(Number::Amount)).then(|| {
            let in_currency = |c: &str| passing.iter().filter(|(i, _)| matches!(i, Item::Deal(id) if model.deals[id].currency == c)).count();
            if in_currency("USD") > in_currency("EUR") { "USD".to_owned() } else { "EUR".to_owned() }
        });
        prop_assert_eq!(&answer.currency, &currency);
        let counted: Vec<(Item, f64)> = passing.into_iter().filter(|(item, _)| match (item, &currency) {
            (Item::Deal(id), Some(currency)) => model.deals[id].currency == *currency,
            _ => true,
        }).collect();
        let mut expected: BTreeMap<Key, Vec<(Item, f64)>> = BTreeMap::new();
        for (item, number) in &counted {
            let keys = match def.group {
                None => vec![Key::All],
                Some(dimension) => naive_keys(&model, *item, dimension, def.date),
            };
            for key in keys {
                expected.entry(key).or_default().push((*item, *number));
            }
        }
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-6,
            (a, b) => a == b,
        };
        // Split: by another dimension than the group's, of a grouped report only.
        let split = def.split.filter(|s| def.group.is_some_and(|g| g != *s));
        let split_keys = |item: Item| naive_keys(&model, item, split.unwrap(), def.date);
        match split {
            None => prop_assert!(answer.series.is_empty()),
            Some(split) => {
                // Every value of the split among the records drawn is a series of its own, or
                // they are more than the colours and the smallest are "others".
                let mut values: BTreeSet<Key> = BTreeSet::new();
                for item in answer.rows.iter().flat_map(|r| &r.records) {
                    values.extend(split_keys(*item));
                }
                let named: Vec<&Key> = answer.series.iter().filter(|k| **k != Key::Others).collect();
                if values.len() <= MAX_SERIES {
                    prop_assert_eq!(named.len(), values.len());
                    prop_assert_eq!(named.len(), answer.series.len());
                } else {
                    prop_assert_eq!(answer.series.len(), MAX_SERIES);
                    prop_assert!(answer.series.contains(&Key::Others));
                }
                prop_assert!(named.iter().all(|k| values.contains(*k)));
                let by_period = matches!(split, Dimension::Month | Dimension::Week);
                if !by_period {
                    // The largest over the whole answer first, others last.
                    let overall = |key: &Key| {
                        let mut numbers: Vec<(Item, f64)> = counted.iter().copied()
                            .filter(|(item, _)| answer.rows.iter().any(|r| r.records.contains(item)))
                            .filter(|(item, _)| split_keys(*item).contains(key))
                            .collect();
                        numbers.sort_by_key(|a| a.0);
                        naive_value(def.measure, numbers.into_iter().map(|(_, n)| n).collect())
                    };
                    for pair in named.windows(2) {
                        prop_assert!(overall(pair[0]).unwrap_or(f64::MIN) >= overall(pair[1]).unwrap_or(f64::MIN));
                    }
                    if let Some(at) = answer.series.iter().position(|k| *k == Key::Others) {
                        prop_assert_eq!(at, answer.series.len() - 1);
                    }
                }
            }
        }
        // Past MAX_BARS groups (a long span of weeks), those not drawn are one "others" bar, each
        // record once.
        if answer.rows.iter().any(|row| row.key == Key::Others) {
            let drawn: BTreeSet<&Key> = answer.rows.iter().map(|row| &row.key).collect();
            let left: Vec<Key> = expected.keys().filter(|k| !drawn.contains(k)).cloned().collect();
            let mut merged: Vec<(Item, f64)> =
                left.iter().flat_map(|k| expected.remove(k).unwrap_or_default()).collect();
            merged.sort_by_key(|a| a.0);
            merged.dedup_by_key(|a| a.0);
            expected.insert(Key::Others, merged);
        }
        for row in &answer.rows {
            let mut want = expected.remove(&row.key).unwrap_or_default();
            want.sort_by_key(|a| a.0);
            prop_assert_eq!(&row.records, &want.iter().map(|(i, _)| *i).collect::<Vec<_>>(), "{:?}", row.key);
            let naive = naive_value(def.measure, want.iter().map(|(_, n)| *n).collect());
            prop_assert!(close(row.value, naive), "{:?}: {:?} against {:?}", row.key, row.value, naive);
            // Each part: exactly the bar's records with its value of the split (others: with a
            // value no series names), measured.
            prop_assert_eq!(row.parts.len(), answer.series.len());
            for (key, part) in answer.series.iter().zip(&row.parts) {
                let mine: Vec<&(Item, f64)> = want.iter().filter(|(item, _)| {
                    let keys = split_keys(*item);
                    match key {
                        Key::Others => keys.iter().any(|k| !answer.series.contains(k)),
                        key => keys.contains(key),
                    }
                }).collect();
                prop_assert_eq!(&part.records, &mine.iter().map(|(i, _)| *i).collect::<Vec<_>>(), "{:?} / {:?}", row.key, key);
                let naive = naive_value(def.measure, mine.iter().map(|(_, n)| *n).collect());
                prop_assert!(close(part.value, naive), "{:?} / {:?}: {:?} against {:?}", row.key, key, part.value, naive);
            }
        }
        // No group left out.
        prop_assert!(expected.is_empty(), "groups not drawn: {:?}", expected.keys().collect::<Vec<_>>());
        let periods: Vec<Timestamp> = answer.rows.iter().filter_map(|r| if let Key::Period(at) = r.key { Some(at) } else { None }).collect();
        if matches!(def.group, Some(Dimension::Week)) {
            for pair in periods.windows(2) {
                prop_assert_eq!(pair[0].0 + 7 * DAY_MS, pair[1].0);
            }
            if let Some((from, _)) = window {
                prop_assert_eq!(periods[0], from);
            }
        } else if matches!(def.group, Some(Dimension::Month)) {
            // One bar a month, none skipped, in time order.
            for pair in periods.windows(2) {
                prop_assert_eq!(Month::of(pair[0]).plus(1).start(), pair[1]);
            }
            if let Some((from, _)) = window {
                prop_assert_eq!(periods.len(), usize::from(def.months));
                prop_assert_eq!(periods[0], from);
            }
        } else {
            for pair in answer.rows.windows(2) {
                prop_assert!(pair[0].value.unwrap_or(f64::MIN) >= pair[1].value.unwrap_or(f64::MIN));
            }
        }
    }
}

#[test]
fn a_dashboard_s_filters_narrow_each_report_to_their_period_and_owner() {
    let owned = |n: u16, days: i64, owner: u8| DealRow {
        owner: Some(member(owner)),
        ..deal(n, 100, "EUR", day(days))
    };
    let model = model_of(
        vec![owned(1, -10, 1), owned(2, -12, 2), owned(3, -120, 1)],
        Vec::new(),
        Vec::new(),
    );
    let settings = WorkspaceSettings::default();
    let counted = |def: &ReportDef| {
        let mut items: Vec<Item> =
            run(&model, &settings, def, NOW).rows.into_iter().flat_map(|r| r.records).collect();
        items.sort();
        items
    };
    let deal_item = |n: u16| Item::Deal(DealId::from_bytes(id16(0x10, n)));
    let by_month = ReportDef::grouped(Source::Deals, 12, Dimension::Month, Measure::Count);
    assert_eq!(counted(&by_month), [deal_item(1), deal_item(2), deal_item(3)]);
    let mine = by_month.clone().under(3, Some(member(1)));
    assert_eq!(mine.months, 3);
    assert_eq!(counted(&mine), [deal_item(1)]);
    assert_eq!(counted(&by_month.clone().under(3, None)), [deal_item(1), deal_item(2)]);
    // No period chosen on the board (pinned reports until one is): each keeps its own.
    assert_eq!(by_month.clone().under(0, None), by_month);
    assert_eq!(counted(&by_month.clone().under(0, Some(member(1)))), [deal_item(1), deal_item(3)]);
    // The board's owner stands in for the report's own; its other conditions stay.
    let status = Condition { dimension: Dimension::Status, value: "open".into() };
    let named = ReportDef {
        conditions: vec![
            Condition { dimension: Dimension::Owner, value: member(2).to_string() },
            status.clone(),
        ],
        ..by_month.clone()
    };
    assert_eq!(
        named.under(12, Some(member(1))).conditions,
        [status, Condition { dimension: Dimension::Owner, value: member(1).to_string() }]
    );
    // All time stays all time.
    let ever = ReportDef::grouped(Source::Parties, 0, Dimension::Role, Measure::Count);
    assert_eq!(ever.clone().under(3, None), ever);
}

#[test]
fn every_default_dashboard_reads_back_and_counts_the_demo_workspace() {
    let workspace = crate::demo::generate(
        3,
        crate::demo::DemoSizes {
            parties: 300,
            interactions: 2_000,
            deals: 60,
            tasks: 0,
            tickets: 80,
            ..Default::default()
        },
        NOW,
    );
    let mut model = ReadModel::of_demo(&workspace);
    // The demo's customers rate no tickets: a third of them rate theirs here.
    for (n, ticket) in model.tickets.values_mut().enumerate() {
        ticket.rating = (n % 3 == 0).then_some(1 + (n % 5) as u8);
    }
    for board in Board::ALL {
        for (builtin, def) in board.reports() {
            // Each is a question the builder can ask and save.
            assert_eq!(
                ReportDef::from_saved(&def.saved("x", false)),
                Ok(def.clone()),
                "{builtin:?}"
            );
            let answer = run(&model, &workspace.settings, &def, NOW);
            let counted: usize = answer.rows.iter().map(|r| r.records.len()).sum();
            assert!(counted > 0, "{builtin:?} counts something in the demo: {answer:?}");
        }
    }
}

/// A segment kept by a rule (parties tagged `tag`) or a list of `members`.
fn segment(
    n: u16,
    name: &str,
    tag: Option<&str>,
    members: &[PartyId],
) -> crate::segments::SegmentRow {
    use crate::model::{ConditionGroup, RuleCondition, SegmentRule};
    let rule = SegmentRule {
        any: false,
        groups: tag
            .map(|tag| ConditionGroup {
                id: "g".into(),
                any: false,
                conditions: vec![RuleCondition {
                    id: "c".into(),
                    test: crate::model::Condition::Tag { tag: tag.into(), has: true },
                }],
            })
            .into_iter()
            .collect(),
    };
    crate::segments::SegmentRow {
        id: SegmentId::from_bytes(id16(0x40, n)),
        name: name.into(),
        list: tag.is_none(),
        rule,
        members: members.to_vec(),
        created_by: None,
        created_at: NOW,
        archived: false,
    }
}

#[test]
fn a_segment_keeps_the_records_of_its_members_and_groups_them_by_segment() {
    // Party 1 is tagged VIP (the rule segment), party 2 is on the fair's list, party 3 was merged
    // into party 1, party 4 is in neither.
    let p = |n: u16| PartyId::from_bytes(id16(0x20, n));
    let mut merged = party(3, &[], day(-5));
    (merged.merged_into, merged.archived) = (Some(p(1)), true);
    let parties =
        vec![party(1, &["VIP"], day(-5)), party(2, &[], day(-5)), merged, party(4, &[], day(-5))];
    let with = |n: u16, parties: &[u16]| DealRow {
        parties: parties.iter().map(|n| p(*n)).collect(),
        ..deal(n, 100, "EUR", day(-2))
    };
    let deals = vec![
        with(1, &[1]),
        with(2, &[2]),
        with(3, &[3]),
        with(4, &[1, 2]),
        with(5, &[4]),
        with(6, &[]),
    ];
    let mut model = model_of(deals, parties, Vec::new());
    let (vips, fair) = (segment(1, "VIPs", Some("vip"), &[]), segment(2, "Fair", None, &[p(2)]));
    let mut archived = segment(3, "Old", None, &[p(4)]);
    archived.archived = true;
    for s in [vips.clone(), fair.clone(), archived.clone()] {
        model.segments.insert(s.id, s);
    }
    let settings = WorkspaceSettings::default();
    let audience = Audience::new(&model, &settings, Vec::<String>::new(), NOW);
    let answer = |def: &ReportDef| {
        let segments = SegmentsOf::of(&audience, &model, &def.segments_read());
        run_with(&model, &settings, def, NOW, &segments)
    };
    let deals_of = |answer: &Answer| -> Vec<Item> {
        answer.rows.iter().flat_map(|row| row.records.clone()).collect()
    };
    let d = |n: u16| Item::Deal(DealId::from_bytes(id16(0x10, n)));

    // Only the VIPs' deals: party 1's, the one naming both, and the merged record's.
    let only = |segment: &crate::segments::SegmentRow| ReportDef {
        conditions: vec![Condition {
            dimension: Dimension::Segment,
            value: segment.id.to_string(),
        }],
        ..count_by(Source::Deals, None)
    };
    assert_eq!(only(&vips).segments_read(), SegmentsRead::These(BTreeSet::from([vips.id])));
    assert_eq!(deals_of(&answer(&only(&vips))), [d(1), d(3), d(4)]);
    assert_eq!(deals_of(&answer(&only(&fair))), [d(2), d(4)]);
    // In no segment: the deals of party 4 (in an archived one only) and of nobody.
    let in_none = ReportDef {
        conditions: vec![Condition { dimension: Dimension::Segment, value: String::new() }],
        ..count_by(Source::Deals, None)
    };
    assert_eq!(in_none.segments_read(), SegmentsRead::All);
    assert_eq!(deals_of(&answer(&in_none)), [d(5), d(6)]);
    // An archived segment is no segment; without its members evaluated, nobody is in one.
    assert_eq!(deals_of(&answer(&only(&archived))), []);
    assert_eq!(deals_of(&run(&model, &settings, &only(&vips), NOW)), []);

    // Grouped by segment: a deal under each of its parties' segments, those in none as none.
    let by_segment = count_by(Source::Deals, Some(Dimension::Segment));
    assert_eq!(by_segment.segments_read(), SegmentsRead::All);
    let mut rows: Vec<(Key, Vec<Item>)> =
        answer(&by_segment).rows.into_iter().map(|row| (row.key, row.records)).collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            (value(&vips.id.to_string()), vec![d(1), d(3), d(4)]),
            (value(&fair.id.to_string()), vec![d(2), d(4)]),
            (Key::Missing, vec![d(5), d(6)]),
        ]
    );
    // The people themselves: the VIPs are party 1 (the merged record is not counted, archived).
    let parties_of = ReportDef {
        conditions: vec![Condition { dimension: Dimension::Segment, value: vips.id.to_string() }],
        ..count_by(Source::Parties, None)
    };
    assert_eq!(deals_of(&answer(&parties_of)), [Item::Party(p(1))]);
    assert!(!Dimension::Segment.one_per_record(), "a record in two segments is in two parts");
}
