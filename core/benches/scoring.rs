//! Lead scores (issue 22) recomputed for 100,000 people after a rule changes: the demo workspace's
//! rules — fit by two segments, calls, meetings and every interaction decaying, campaign opens and
//! clicks — over 200,000 interactions, 20,000 deals and a fifth of the people engaged with a
//! campaign; and one record's score with its reasons, as the record's page shows it.
//!
//! `cargo bench -p rapport-core --bench scoring`; the browser's figure (wasm) comes from
//! `app/tests/in_the_browser/scoring.rs`.

use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::Timestamp;
use rapport_core::read_model::ReadModel;
use rapport_core::scoring::Scorer;

fn scoring(c: &mut Criterion) {
    let now = Timestamp(1_795_000_000_000);
    let sizes = DemoSizes::hundred_thousand();
    let workspace = demo::generate(5, sizes, now);
    let model = ReadModel::of_demo(&workspace);
    let settings = &workspace.settings;
    let engagement = demo::engagement(&model, now);
    let mut group = c.benchmark_group("lead scores over 100,000 people");
    group.sample_size(10);
    group.bench_function("everyone after a rule change", |b| {
        b.iter(|| Scorer::new(&model, settings, &engagement, now).scores())
    });
    let first = *model.parties.keys().next().unwrap();
    group.bench_function("one record with its reasons", |b| {
        b.iter(|| Scorer::new(&model, settings, &engagement, now).score(first))
    });
    group.finish();
}

criterion_group!(benches, scoring);
criterion_main!(benches);
