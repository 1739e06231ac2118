//! SLA deadlines after a policy edit (issue 21): every open ticket's clocks computed again from its
//! events under the new working hours — what each device does when a team's hours change. 5,000
//! open tickets, working hours in Europe/Berlin with a lunch break and holidays, tickets opened over
//! the last three months with replies, customer messages and pauses.
//!
//! `cargo bench -p rapport-core --bench sla`.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::ids::Timestamp;
use rapport_core::sla::{
    self, Calendar, ClockEvent, ClockEventKind, LocalDay, StatusCategory, Targets, WorkingHours,
    WorkingSpan,
};

const MINUTE: i64 = 60_000;
const NOW: i64 = 1_806_192_000_000; // 2027-03-28, the day Berlin's clocks go forward

fn hours() -> WorkingHours {
    let mut spans = Vec::new();
    for weekday in 0..5 {
        spans.push(WorkingSpan { weekday, from: 9 * 60, to: 13 * 60 });
        spans.push(WorkingSpan { weekday, from: 14 * 60, to: 18 * 60 });
    }
    WorkingHours {
        zone: "Europe/Berlin".into(),
        rule: sla::zone_rule("Europe/Berlin").unwrap().into(),
        spans,
        holidays: vec![
            LocalDay { year: 2027, month: 1, day: 1 },
            LocalDay { year: 2027, month: 3, day: 26 },
            LocalDay { year: 2027, month: 3, day: 29 },
            LocalDay { year: 2027, month: 5, day: 1 },
        ],
    }
}

fn tickets(count: usize) -> Vec<Vec<ClockEvent>> {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    (0..count)
        .map(|_| {
            let mut at = NOW - rng.random_range(0..90 * 24 * 60) * MINUTE;
            let mut events = vec![ClockEvent { at: Timestamp(at), kind: ClockEventKind::Opened }];
            for _ in 0..rng.random_range(0..6) {
                at += rng.random_range(1..2 * 24 * 60) * MINUTE;
                let kind = match rng.random_range(0..5) {
                    0 | 1 => ClockEventKind::TeamReplied,
                    2 | 3 => ClockEventKind::CustomerWrote,
                    _ => ClockEventKind::Status(StatusCategory::Paused),
                };
                events.push(ClockEvent { at: Timestamp(at), kind });
            }
            events
        })
        .collect()
}

fn deadlines(c: &mut Criterion) {
    let hours = hours();
    let tickets = tickets(5_000);
    let targets = Targets {
        first_response: Some(4 * 60),
        next_response: Some(8 * 60),
        resolution: Some(3 * 8 * 60),
    };
    c.bench_function("sla: 5,000 open tickets' clocks after a policy edit", |b| {
        b.iter(|| {
            let calendar = Calendar::new(&hours).unwrap();
            tickets
                .iter()
                .filter_map(|events| sla::clocks(&targets, &calendar, events).next_due())
                .count()
        });
    });
}

criterion_group!(benches, deadlines);
criterion_main!(benches);
