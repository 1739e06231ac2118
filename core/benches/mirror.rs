//! Lead scores off the page (issue 22): the worker's read model (`rapport_core::mirror`) over the
//! 100,000-party demo — taking in every stored unit when it starts, taking in one changed document,
//! everyone's scores over it — and the page's share of each recompute: encoding the job (with the
//! campaign engagement) and decoding the answer.
//!
//! `cargo bench -p rapport-core --bench mirror`; the browser's figures (wasm) come from
//! `app/tests/in_the_browser/scoring.rs`.

use std::collections::HashMap;

use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::ids::{PartyId, Timestamp};
use rapport_core::mirror::{Mirror, Workload, demo_workload};
use rapport_core::offload::{self, Job, Outcome};

fn mirror(c: &mut Criterion) {
    let now = Timestamp(1_795_000_000_000);
    let Workload { opening, job, one_month: one, .. } = demo_workload(now);
    let mut started = Mirror::default();
    started.take(opening.clone()).unwrap();
    let answer =
        offload::encode_outcome(&Ok(Outcome::Scores(started.scores(job.clone()).unwrap())));

    let mut group = c.benchmark_group("lead scores off the page, 100,000 people");
    group.sample_size(10);
    group.bench_function("worker: take in every stored unit", |b| {
        b.iter(|| Mirror::default().take(opening.clone()).unwrap())
    });
    group.bench_function("worker: take in this month's interactions", |b| {
        b.iter(|| started.take(one.clone()).unwrap())
    });
    group.bench_function("worker: everyone's scores", |b| {
        b.iter(|| started.scores(job.clone()).unwrap())
    });
    group.bench_function("page: encode the job", |b| {
        b.iter(|| offload::encode_job(&Job::Scores(job.clone())))
    });
    group.bench_function("page: decode the answer", |b| {
        b.iter(|| match offload::decode_outcome(&answer) {
            Ok(Outcome::Scores(scores)) => scores.into_iter().collect::<HashMap<PartyId, i64>>(),
            _ => unreachable!(),
        })
    });
    group.finish();
}

criterion_group!(benches, mirror);
criterion_main!(benches);
