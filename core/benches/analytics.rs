//! Analytics (issue 23) over the analytics demo workspace — 100,000 parties, 500,000 interactions,
//! 20,000 deals, 5,000 tasks, 10,000 tickets: the default sales dashboard over 12 months (its number
//! cards and charts), the funnel beside it, the relationships going cold and one record's health, as
//! computed from a read model; then the same off the page, in the worker's read model
//! (`rapport_core::mirror`, the device's analytics index): building it from every stored unit, taking in
//! one changed document, answering, and the page's share (decoding the answer); and report builder
//! questions over the same read model.
//!
//! `cargo bench -p rapport-core --bench analytics`.

use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::analytics;
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::Timestamp;
use rapport_core::leads;
use rapport_core::mirror::{Mirror, Workload, demo_workload_of};
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
    let Workload { opening, sales, health, one_month, one_deals, .. } =
        demo_workload_of(DemoSizes::analytics(), NOW);
    let mut index = Mirror::default();
    index.take(opening.clone()).unwrap();
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
    group.bench_function("page: decode everyone's health", |b| {
        b.iter(|| offload::decode_outcome(&everyone).unwrap())
    });
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
