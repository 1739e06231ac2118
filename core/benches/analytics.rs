//! Analytics (issue 23) over the analytics demo workspace — 100,000 parties, 500,000 interactions,
//! 20,000 deals, 5,000 tasks, 10,000 tickets: the default sales dashboard over 12 months (its number
//! cards and charts), the funnel beside it, the relationships going cold and one record's health, as
//! computed from a read model; then the same off the page, in the worker's read model
//! (`rapport_core::mirror`, the device's analytics index): building it from every stored unit, taking in
//! one changed document, answering, and the page's share (decoding the answer); and report builder
//! questions over the same read model.
//!
//! `cargo bench -p rapport-core --bench analytics`.

// The sizes of the answers the page decodes are said beside the timings.
#![allow(clippy::print_stderr)]

use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::analytics;
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::Timestamp;
use rapport_core::leads::{self, Leads, LeadsChart};
use rapport_core::mirror::{LeadsJob, Mirror, Workload, demo_workload_of};
use rapport_core::offload::{self, Outcome};
use rapport_core::read_model::ReadModel;
use rapport_core::relationship;
use rapport_core::report::{self, Dimension, Measure, Number, ReportDef, Source};

const NOW: Timestamp = Timestamp(1_795_000_000_000);

fn on_a_read_model(c: &mut Criterion) {
    let workspace = demo::generate(5, DemoSizes::analytics(), NOW);
    let model = ReadModel::of_demo(&workspace);
    let settings = &workspace.settings;
    let filter = analytics::demo_filter(&model, settings, NOW);
    let mut group = c.benchmark_group("analytics over 100,000 parties and 500,000 interactions");
    group.sample_size(10);
    group.bench_function("the sales dashboard, 12 months", |b| {
        b.iter(|| analytics::sales(&model, settings, &filter, NOW))
    });
    group.bench_function("the funnel, 12 months", |b| {
        b.iter(|| analytics::funnel(&model, settings, &filter))
    });
    group.bench_function("relationships going cold", |b| {
        b.iter(|| relationship::going_cold(&model, settings, NOW))
    });
    let first = *model.parties.keys().next().unwrap();
    group.bench_function("one record's health", |b| {
        b.iter(|| relationship::signals_of(&model, settings, first, NOW))
    });
    for (name, def) in reports() {
        group.bench_function(name, |b| b.iter(|| report::run(&model, settings, &def, NOW)));
    }
    // The marketing dashboard's leads, computed on the page: each month's leads with those won
    // since, and everyone by score (a score for every record, as a workspace scoring all of them).
    let months = analytics::Months::ending_at(NOW, 12);
    group.bench_function("leads won by the month they came in, 12 months", |b| {
        b.iter(|| leads::conversion(&model, months, None))
    });
    let scores: std::collections::HashMap<_, i64> =
        model.parties.keys().enumerate().map(|(n, id)| (*id, (n % 140) as i64 - 20)).collect();
    group.bench_function("leads by score now", |b| {
        b.iter(|| leads::by_score(&model, &scores, Some(100), None))
    });
    group.finish();
}

/// Report builder questions (issue 23): the widest (every interaction of all time, by owner and
/// month), one over deals, and both split again (stacked bars).
fn reports() -> [(&'static str, ReportDef); 5] {
    let def = ReportDef::grouped;
    [
        (
            "report: interactions of all time by month",
            def(Source::Interactions, 0, Dimension::Month, Measure::Count),
        ),
        (
            "report: interactions of 12 months by owner",
            def(Source::Interactions, 12, Dimension::Owner, Measure::Count),
        ),
        (
            "report: deals' median amount by stage",
            def(Source::Deals, 0, Dimension::Stage, Measure::Median(Number::Amount)),
        ),
        (
            "report: interactions of 12 months by month, split by owner",
            ReportDef {
                split: Some(Dimension::Owner),
                ..def(Source::Interactions, 12, Dimension::Month, Measure::Count)
            },
        ),
        (
            "report: deals' amount by stage, split by owner",
            ReportDef {
                split: Some(Dimension::Owner),
                ..def(Source::Deals, 0, Dimension::Stage, Measure::Sum(Number::Amount))
            },
        ),
    ]
}

fn in_the_worker(c: &mut Criterion) {
    let Workload { opening, sales, health, one_month, one_deals, job, .. } =
        demo_workload_of(DemoSizes::analytics(), NOW);
    let mut index = Mirror::default();
    index.take(opening.clone()).unwrap();
    index.scores(job).unwrap();
    // The marketing board's leads charts, each with one bar picked (its records sent, the others'
    // left out): this year's latest month, and the widest band of scores.
    let leads_job = |chart, pick: &str| LeadsJob {
        workspace: opening.workspace,
        chart,
        owner: None,
        pick: Some((pick.to_owned(), 0)),
    };
    let months = analytics::Months::ending_at(NOW, 12);
    let conversion = leads_job(
        LeadsChart::Conversion(months),
        &rapport_core::layout::Month::of(NOW).to_string(),
    );
    let widest = match index.leads(&leads_job(LeadsChart::ByScore, "")).unwrap() {
        Some(Leads::ByScore(bands)) => bands.iter().max_by_key(|bar| bar.value).unwrap().key.key(),
        other => panic!("not bands: {other:?}"),
    };
    let by_score = leads_job(LeadsChart::ByScore, &widest);
    let leads_answer = offload::encode_outcome(&Ok(Outcome::Leads(Box::new(
        index.leads(&by_score).unwrap().unwrap(),
    ))));
    let board =
        offload::encode_outcome(&Ok(Outcome::Sales(Box::new(index.sales(&sales).unwrap()))));
    let everyone =
        offload::encode_outcome(&Ok(Outcome::Health(Box::new(index.health(health).unwrap()))));

    let mut group = c.benchmark_group("analytics in the worker, 500,000 interactions");
    group.sample_size(10);
    group.bench_function("worker: build the index from every stored unit", |b| {
        b.iter(|| Mirror::default().take(opening.clone()).unwrap())
    });
    group.bench_function("worker: take in one changed document of deals", |b| {
        b.iter(|| index.take(one_deals.clone()).unwrap())
    });
    group.bench_function("worker: take in this month's interactions", |b| {
        b.iter(|| index.take(one_month.clone()).unwrap())
    });
    group
        .bench_function("worker: the sales dashboard", |b| b.iter(|| index.sales(&sales).unwrap()));
    group.bench_function("worker: everyone's health", |b| b.iter(|| index.health(health).unwrap()));
    group.bench_function("page: decode the dashboard", |b| {
        b.iter(|| offload::decode_outcome(&board).unwrap())
    });
    // As the app asks it since the seventh stop: the records of the figures picked only (none).
    let mut bare = index.sales(&sales).unwrap();
    bare.keep_records_of(&[]);
    let bare = offload::encode_outcome(&Ok(Outcome::Sales(Box::new(bare))));
    eprintln!("the dashboard: {} bytes, nothing picked: {} bytes", board.len(), bare.len());
    group.bench_function("page: decode the dashboard, nothing picked", |b| {
        b.iter(|| offload::decode_outcome(&bare).unwrap())
    });
    group.bench_function("page: decode everyone's health", |b| {
        b.iter(|| offload::decode_outcome(&everyone).unwrap())
    });
    group.bench_function("worker: leads won by month, one month picked", |b| {
        b.iter(|| index.leads(&conversion).unwrap())
    });
    group.bench_function("worker: leads by score, the widest band picked", |b| {
        b.iter(|| index.leads(&by_score).unwrap())
    });
    group.bench_function("page: decode the leads by score, the widest band picked", |b| {
        b.iter(|| offload::decode_outcome(&leads_answer).unwrap())
    });
    eprintln!("the leads by score, the widest band picked: {} bytes", leads_answer.len());
    let all = index.health(health).unwrap();
    group.bench_function("page: the twenty coldest of everyone's health", |b| {
        b.iter(|| {
            let parties = &index.model().parties;
            all.coldest.iter().filter_map(|id| parties.get(id)).take(20).count()
        })
    });
    group.finish();
}

criterion_group!(benches, on_a_read_model, in_the_worker);
criterion_main!(benches);
