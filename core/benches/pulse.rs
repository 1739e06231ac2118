//! The engagement dashboard (issue 25): two years of weekly pulses answered by 1,000 people — 104
//! rounds of 1,000 answers, each to a 1–5 scale, an eNPS, a choice and (one in five) a few words,
//! with ten teams of 100 shown apart.
//!
//! What a device that manages does: each round's results, as the relay shows them, summed up once
//! (`core::pulse::summarise`; a closed round's summary is kept on the device, so this is paid once
//! per round), then the dashboard over every round's summary (`core::pulse::engagement`), at every
//! open of the survey's page.
//!
//! `cargo bench -p rapport-core --bench pulse`.

use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::ballot::Results;
use rapport_core::demo;
use rapport_core::pulse::{self, RoundSummary};

const PEOPLE: usize = 1_000;
const ROUNDS: u32 = 104;
const TEAMS: usize = 10;

fn dashboard(c: &mut Criterion) {
    let survey = demo::pulse_survey();
    let rounds: Vec<Results> = demo::pulse_rounds(25, ROUNDS, PEOPLE, TEAMS);
    let summaries: Vec<RoundSummary> =
        rounds.iter().enumerate().map(|(n, r)| pulse::summarise(&survey, n as u32, r)).collect();
    c.bench_function("engagement dashboard over 104 rounds' summaries", |b| {
        b.iter(|| pulse::engagement(&survey, std::hint::black_box(&summaries)))
    });
    c.bench_function("one round of 1,000 answers summed up", |b| {
        b.iter(|| pulse::summarise(&survey, 0, std::hint::black_box(&rounds[0])))
    });
    c.bench_function("every round summed up, then the dashboard (nothing kept yet)", |b| {
        b.iter(|| {
            let summaries: Vec<RoundSummary> = rounds
                .iter()
                .enumerate()
                .map(|(n, r)| pulse::summarise(&survey, n as u32, r))
                .collect();
            pulse::engagement(&survey, &summaries)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = dashboard
}
criterion_main!(benches);
