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

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::ballot::Results;
use rapport_core::ids::{MemberId, SurveyId, Timestamp};
use rapport_core::model::{Survey, SurveyQuestion};
use rapport_core::pulse::{self, RoundSummary, SurveyRow};

const PEOPLE: usize = 1_000;
const ROUNDS: u32 = 104;
const TEAMS: usize = 10;

fn survey() -> SurveyRow {
    let mut questions = pulse::starter_questions("Happy here?", "Recommend us?", "Anything else?");
    questions.push(SurveyQuestion {
        key: "q4".into(),
        text: "What helps most?".into(),
        kind: "choice".into(),
        options: vec!["Team".into(), "Work".into(), "Pay".into(), "Flexibility".into()],
    });
    let survey = Survey {
        title: "Pulse".into(),
        questions,
        teams: Vec::new(),
        k: 5,
        batch: 5,
        // 2025-01-06, a Monday.
        starts: Timestamp(1_736_121_600_000),
        every_weeks: 1,
        open_days: 3,
        created_by: MemberId::from_bytes([1; 16]),
        created_at: Timestamp(0),
        stopped_at: None,
    };
    SurveyRow::of(SurveyId::from_bytes([2; 16]), &survey)
}

/// One closed round as the relay gives it: every answer, and each team's apart.
fn round(rng: &mut ChaCha8Rng) -> Results {
    let mut teams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut answers = Vec::with_capacity(PEOPLE);
    for person in 0..PEOPLE {
        let words = if rng.random_range(0..5) == 0 {
            ",\"q3\":\"More focus time, fewer meetings\""
        } else {
            ""
        };
        let answer = format!(
            "{{\"q1\":{},\"q2\":{},\"q4\":{}{words}}}",
            rng.random_range(1..=5u8),
            rng.random_range(0..=10u8),
            rng.random_range(0..4u8),
        );
        teams.entry(format!("Team {}", person % TEAMS)).or_default().push(answer.clone());
        answers.push(answer);
    }
    Results {
        k: 5,
        batch: 5,
        closes_at: 0,
        closed: true,
        invited: PEOPLE as u64,
        tokens_taken: PEOPLE as u64,
        answered: PEOPLE as u64,
        answers,
        teams,
    }
}

fn dashboard(c: &mut Criterion) {
    let survey = survey();
    let mut rng = ChaCha8Rng::seed_from_u64(25);
    let rounds: Vec<Results> = (0..ROUNDS).map(|_| round(&mut rng)).collect();
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
