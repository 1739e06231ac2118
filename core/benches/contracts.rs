//! The renewals calendar (issue 24): every notice date, renewal and end of 10,000 contracts over the
//! next twelve months — what the calendar page and the reminders are derived from on every device.
//! Contracts started over the last five years, first terms of one to three years, renewing monthly,
//! yearly or not at all, with one to three months' notice.
//!
//! `cargo bench -p rapport-core --bench contracts`.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::contract::{self, Period, Terms};
use time::{Date, Duration, Month};

fn contracts(count: usize, today: Date) -> Vec<Terms> {
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    (0..count)
        .map(|_| {
            let start = today - Duration::days(rng.random_range(0..5 * 365));
            let first = Period::Months(rng.random_range(12..=36));
            let end = first.after(start).and_then(Date::previous_day).unwrap();
            let renewal = match rng.random_range(0..3) {
                0 => None,
                1 => Some(Period::Months(1)),
                _ => Some(Period::Months(12)),
            };
            let notice = Period::Months(rng.random_range(1..=3));
            Terms { start, end: Some(end), notice, renewal, notice_given: None }
        })
        .collect()
}

fn renewals_calendar(c: &mut Criterion) {
    let today = Date::from_calendar_date(2027, Month::March, 1).unwrap();
    let year_on = today + Duration::days(365);
    let contracts = contracts(10_000, today);
    c.bench_function("contracts: the renewals calendar of 10,000 contracts over a year", |b| {
        b.iter(|| contract::calendar(contracts.iter().enumerate(), today, year_on).len());
    });
}

criterion_group!(benches, renewals_calendar);
criterion_main!(benches);
