//! Supplier scorecards (issue 24): 2,000 suppliers scored month by month over a year — what the
//! suppliers list and every supplier's record are derived from on every device. Each supplier has
//! four orders a month over the year (two lines each, re-ordered items whose price moves; some late,
//! some with rejects) and a rating a month: 96,000 orders and 24,000 ratings.
//!
//! `cargo bench -p rapport-core --bench scorecards`.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::ids::{FeedbackId, PartyId, PurchaseId, Timestamp};
use rapport_core::model::WorkspaceSettings;
use rapport_core::purchase::{LineRow, PurchaseRow, State};
use rapport_core::read_model::{PartyKindRow, PartyRow, RoleRow};
use rapport_core::scorecard::{self, Criteria, RatingRow};
use time::{Date, Month};

const SUPPLIERS: u32 = 2_000;
const UNIX_EPOCH_JULIAN: i32 = 2_440_588;

fn id(n: u32, kind: u8) -> [u8; 16] {
    let mut bytes = [kind; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    bytes
}

fn workspace(today: Date) -> (Vec<PartyRow>, Vec<PurchaseRow>, Vec<RatingRow>) {
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    let parties: Vec<PartyRow> = (0..SUPPLIERS)
        .map(|n| PartyRow {
            kind: PartyKindRow::Organisation,
            roles: vec![RoleRow::Supplier],
            ..PartyRow::named(PartyId::from_bytes(id(n, 1)), &format!("Supplier {n}"))
        })
        .collect();
    let today = today.to_julian_day();
    let mut purchases = Vec::new();
    let mut ratings = Vec::new();
    for (s, party) in parties.iter().enumerate() {
        for k in 0..48u32 {
            let ordered = today - 360 + (k as i32) * 7 + rng.random_range(0..7);
            let promised = ordered + 14;
            let delivered = ordered + rng.random_range(7..20);
            let line = |item: &str, rng: &mut ChaCha8Rng| LineRow {
                key: item.to_owned(),
                item: item.to_owned(),
                folded: rapport_core::search::fold(item),
                quantity: f64::from(rng.random_range(1..100u32)),
                price: Some(rng.random_range(950..1_050)),
            };
            purchases.push(PurchaseRow {
                id: PurchaseId::from_bytes(id(s as u32 * 64 + k, 2)),
                supplier: party.id,
                tender: None,
                title: format!("Order {k}"),
                currency: "EUR".into(),
                lines: vec![
                    line("Bolts", &mut rng),
                    line(["Nuts", "Washers"][k as usize % 2], &mut rng),
                ],
                state: State::Ordered,
                promised: Some(promised),
                delivered: (delivered <= today).then_some(delivered),
                rejected: f64::from(rng.random_range(0..3u32)),
                ordered_on: Some(ordered),
                owner: None,
                created_at: Timestamp(0),
                archived: false,
            });
        }
        for month in 0..12u32 {
            let day = today - 350 + (month as i32) * 30;
            ratings.push(RatingRow {
                id: FeedbackId::from_bytes(id(s as u32 * 16 + month, 3)),
                party: party.id,
                at: Timestamp(i64::from(day - UNIX_EPOCH_JULIAN) * 86_400_000),
                scores: vec![("responsiveness".into(), rng.random_range(1..=5))],
                author: None,
                note: String::new(),
            });
        }
    }
    (parties, purchases, ratings)
}

fn scorecards(c: &mut Criterion) {
    let today = Date::from_calendar_date(2027, Month::March, 1).unwrap();
    let (parties, purchases, ratings) = workspace(today);
    let criteria = Criteria::of(&WorkspaceSettings::default());
    c.bench_function("scorecards: 2,000 suppliers over 12 months", |b| {
        b.iter(|| {
            scorecard::scorecards(&parties, &purchases, &ratings, &criteria, today, 12).len()
        });
    });
}

criterion_group!(benches, scorecards);
criterion_main!(benches);
