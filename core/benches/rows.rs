//! Deriving rows from documents (issue 18): what a device does for every document it is given whole — a
//! new device's pull, the demo a fresh browser adopts. One pass over the document (Automerge's `hydrate`,
//! read by `read_model`'s `FromHydrated`) against one autosurgeon `hydrate` per record, as rows were
//! derived before.
//!
//! `cargo bench -p rapport-core --bench rows`.

use automerge::AutoCommit;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rapport_core::demo::{self, DemoSizes};
use rapport_core::document;
use rapport_core::ids::Timestamp;
use rapport_core::layout::{Collection, DocKey};
use rapport_core::model::{Interaction, Party};
use rapport_core::read_model::ReadModel;

/// A party document and an interaction month of the 10k demo (313 parties; ~2,000 interactions).
fn documents() -> ((DocKey, AutoCommit), (DocKey, AutoCommit)) {
    let demo = demo::generate(
        42,
        // The figures in BENCHMARKS.md were measured before the demo had tickets.
        DemoSizes { tickets: 0, contracts: 0, suppliers: 0, ..DemoSizes::default() },
        Timestamp(1_795_000_000_000),
    );
    let documents = demo.to_documents().expect("demo documents");
    let parties = documents
        .clone()
        .into_iter()
        .find(|(key, _)| matches!(key, DocKey::Shard { collection: Collection::Parties, .. }))
        .expect("a party document");
    let month = documents
        .into_iter()
        .find(|(key, _)| matches!(key, DocKey::Interactions(_)))
        .expect("an interaction month");
    (parties, month)
}

fn rows(c: &mut Criterion) {
    let ((party_key, parties), (month_key, month)) = documents();
    c.bench_function("rows: a party document (313 parties), one pass", |b| {
        b.iter_batched(
            || parties.clone(),
            |mut doc| ReadModel::default().replace_document(party_key, &mut doc),
            BatchSize::LargeInput,
        );
    });
    c.bench_function("rows: a party document (313 parties), a hydrate per record", |b| {
        b.iter(|| {
            document::keys(&parties)
                .iter()
                .filter_map(|key| document::get::<_, Party>(&parties, key).ok().flatten())
                .count()
        });
    });
    c.bench_function("rows: an interaction month, one pass", |b| {
        b.iter_batched(
            || month.clone(),
            |mut doc| ReadModel::default().replace_document(month_key, &mut doc),
            BatchSize::LargeInput,
        );
    });
    c.bench_function("rows: an interaction month, a hydrate per record", |b| {
        b.iter(|| {
            document::keys(&month)
                .iter()
                .filter_map(|key| document::get::<_, Interaction>(&month, key).ok().flatten())
                .count()
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = rows
}
criterion_main!(benches);
