//! Drip sequences (issue 22): a device's round looking for steps due, with 10,000 people enrolled in
//! a five-step sequence — half past the intro and waiting on the branch, half not started — over the
//! 100,000-party demo (200,000 interactions, 20,000 deals); what the round and the sequence's page
//! both read (`World::new` gathers replies and won deals once, then each party's standing).
//!
//! `cargo bench -p rapport-core --bench sequences`.

use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::{SequenceId, Timestamp};
use rapport_core::model::{Enrolment, Sequence, SequenceStep, StepRun};
use rapport_core::outbox::DeviceOutbox;
use rapport_core::read_model::ReadModel;
use rapport_core::sequences::{SequenceRow, World, run_key};

fn sequences(c: &mut Criterion) {
    let now = Timestamp(1_795_000_000_000);
    let workspace = demo::generate(5, DemoSizes::hundred_thousand(), now);
    let mut model = ReadModel::of_demo(&workspace);
    let step =
        |position, kind: &str| SequenceStep { position, kind: kind.into(), ..Default::default() };
    let mut sequence = Sequence { name: "Fair".into(), created_at: now, ..Sequence::default() };
    let email = |position, subject: &str| SequenceStep {
        subject: subject.into(),
        body: "Text".into(),
        ..step(position, "email")
    };
    sequence.steps.insert("intro".into(), email(0, "Hello"));
    let ask =
        SequenceStep { days: 3, on: "replied".into(), then: "call".into(), ..step(1, "branch") };
    sequence.steps.insert("ask".into(), ask);
    sequence.steps.insert("again".into(), email(2, "Following up"));
    sequence.steps.insert("stop".into(), step(3, "end"));
    sequence.steps.insert("call".into(), step(4, "task"));
    let people: Vec<_> = model.parties.keys().copied().take(10_000).collect();
    for (n, party) in people.iter().enumerate() {
        let enrolment = Enrolment { at: Timestamp(now.0 - 60_000), by: None };
        sequence.enrolled.insert(party.to_string(), enrolment);
        if n % 2 == 0 {
            let run = StepRun { at: Timestamp(now.0 - 30_000), yes: false, skipped: false };
            sequence.runs.insert(run_key(*party, "intro"), run);
        }
    }
    let id = SequenceId::from_bytes([9; 16]);
    model.sequences.insert(id, SequenceRow::of(id, &sequence));
    let outbox = DeviceOutbox::default();
    let mut group = c.benchmark_group("a sequence of 10,000 people over 100,000 parties");
    group.sample_size(10);
    group.bench_function("a round's steps due", |b| {
        b.iter(|| World::new(workspace.workspace, &model, &outbox).due(now))
    });
    group.bench_function("gathering replies and won deals", |b| {
        b.iter(|| World::new(workspace.workspace, &model, &outbox))
    });
    group.finish();
}

criterion_group!(benches, sequences);
criterion_main!(benches);
