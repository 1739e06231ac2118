//! Analytics (issue 23) over the analytics demo workspace — 100,000 parties, 500,000 interactions,
//! 20,000 deals, 5,000 tasks, 10,000 tickets: the default sales dashboard over 12 months (its number
//! cards and charts), the funnel beside it, the relationships going cold, and one record's health.
//!
//! `cargo bench -p rapport-core --bench analytics`.

use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::analytics::{self, Months, SalesFilter};
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::{PipelineId, Timestamp};
use rapport_core::model::PipelineKind;
use rapport_core::read_model::ReadModel;
use rapport_core::relationship;

fn analytics(c: &mut Criterion) {
    let now = Timestamp(1_795_000_000_000);
    let workspace = demo::generate(5, DemoSizes::analytics(), now);
    let model = ReadModel::of_demo(&workspace);
    let settings = &workspace.settings;
    let pipeline: PipelineId = settings
        .pipelines
        .iter()
        .find(|(_, p)| p.kind == PipelineKind::Sales)
        .and_then(|(id, _)| id.parse().ok())
        .expect("the demo's sales pipeline");
    let filter = SalesFilter {
        months: Months::ending_at(now, 12),
        pipeline,
        currency: analytics::main_currency(&model, settings, pipeline),
        owner: None,
    };
    let mut group = c.benchmark_group("analytics over 100,000 parties and 500,000 interactions");
    group.sample_size(10);
    group.bench_function("the sales dashboard, 12 months", |b| {
        b.iter(|| analytics::sales(&model, settings, &filter, now))
    });
    group.bench_function("the funnel, 12 months", |b| {
        b.iter(|| analytics::funnel(&model, settings, &filter))
    });
    group.bench_function("relationships going cold", |b| {
        b.iter(|| relationship::going_cold(&model, settings, now))
    });
    let first = *model.parties.keys().next().unwrap();
    group.bench_function("one record's health", |b| {
        b.iter(|| relationship::signals_of(&model, settings, first, now))
    });
    group.finish();
}

criterion_group!(benches, analytics);
criterion_main!(benches);
