//! What the document layout costs on the 10k-party / 50k-interaction demo workspace, against the
//! alternative of one document for everything: saved bytes, loading everything, and touching one record
//! (load its document, change a field, save the increment).
//!
//! `cargo bench -p rapport-core --bench layout` (set `RAPPORT_BENCH_SCALE=0.1` for a quick run).
//! Sizes are reported on stderr: a benchmark binary is a program whose output is its result.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::time::Instant;

use automerge::AutoCommit;
use criterion::{Criterion, criterion_group, criterion_main};
use rapport_core::demo::{self, DemoSizes};
use rapport_core::document::{self, Record};
use rapport_core::ids::Timestamp;
use rapport_core::layout::DocKey;
use rapport_core::model::Party;

struct Fixture {
    demo: demo::DemoWorkspace,
    sharded: BTreeMap<DocKey, Vec<u8>>,
    single: Vec<u8>,
}

fn fixture() -> Fixture {
    let scale: f64 =
        std::env::var("RAPPORT_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let full = DemoSizes::default();
    let sizes = DemoSizes {
        parties: (full.parties as f64 * scale) as usize,
        interactions: (full.interactions as f64 * scale) as usize,
        deals: (full.deals as f64 * scale) as usize,
        tasks: (full.tasks as f64 * scale) as usize,
        // The figures in BENCHMARKS.md were measured before the demo had tickets.
        tickets: 0,
        contracts: 0,
        suppliers: 0,
    };
    let demo = demo::generate(42, sizes, Timestamp(1_795_000_000_000));

    let started = Instant::now();
    let documents = demo.to_documents().expect("demo documents");
    eprintln!("layout: wrote {} documents in {:?}", documents.len(), started.elapsed());
    let sharded: BTreeMap<DocKey, Vec<u8>> =
        documents.into_iter().map(|(key, mut doc)| (key, doc.save())).collect();

    // The alternative: every record of every kind in one document.
    let mut one = document::new_document();
    put_each(&mut one, &demo.parties);
    put_each(&mut one, &demo.interactions);
    put_each(&mut one, &demo.deals);
    put_each(&mut one, &demo.tasks);
    let single = one.save();

    let sharded_bytes: usize = sharded.values().map(Vec::len).sum();
    let party_shard_bytes: Vec<usize> = sharded
        .iter()
        .filter(|(key, _)| matches!(key, DocKey::Shard { .. }))
        .map(|(_, bytes)| bytes.len())
        .collect();
    eprintln!(
        "layout: {} parties, {} interactions, {} deals, {} tasks",
        demo.parties.len(),
        demo.interactions.len(),
        demo.deals.len(),
        demo.tasks.len()
    );
    eprintln!(
        "layout: sharded {} documents, {} bytes saved (largest shard {} bytes); single document {} bytes",
        sharded.len(),
        sharded_bytes,
        party_shard_bytes.iter().max().unwrap_or(&0),
        single.len()
    );
    Fixture { demo, sharded, single }
}

/// One commit per record, as the sharded layout is written.
fn put_each<Id: std::fmt::Display, R: autosurgeon::Reconcile>(
    doc: &mut AutoCommit,
    records: &[(Id, R)],
) {
    for (id, record) in records {
        document::put(doc, &id.to_string(), record).unwrap();
        doc.commit();
    }
}

fn layout(c: &mut Criterion) {
    let fixture = fixture();
    let mut group = c.benchmark_group("layout");
    group.sample_size(10);

    group.bench_function("load every sharded document", |b| {
        b.iter(|| {
            for bytes in fixture.sharded.values() {
                document::load_document(bytes).unwrap();
            }
        })
    });
    group.bench_function("load the single document", |b| {
        b.iter(|| document::load_document(&fixture.single).unwrap())
    });

    let (id, _) = &fixture.demo.parties[fixture.demo.parties.len() / 2];
    let key = id.to_string();
    let shard_bytes = &fixture.sharded[&Party::doc_key(id)];
    group.bench_function("touch one party: sharded (load shard, edit, save increment)", |b| {
        b.iter(|| {
            let mut doc: AutoCommit = document::load_document(shard_bytes).unwrap();
            let before = doc.get_heads();
            document::update(&mut doc, &key, |party: &mut Party| party.name.push('!')).unwrap();
            // Only the new change: a loaded document counts as never saved for `save_incremental`.
            doc.save_after(&before)
        })
    });
    group.bench_function("touch one party: single document", |b| {
        b.iter(|| {
            let mut doc: AutoCommit = document::load_document(&fixture.single).unwrap();
            let before = doc.get_heads();
            document::update(&mut doc, &key, |party: &mut Party| party.name.push('!')).unwrap();
            // Only the new change: a loaded document counts as never saved for `save_incremental`.
            doc.save_after(&before)
        })
    });

    // With the document already in memory (the app keeps open documents), an edit is this cheap.
    let mut warm = document::load_document(shard_bytes).unwrap();
    warm.save_incremental();
    group.bench_function("edit one party in a loaded shard and save the increment", |b| {
        b.iter(|| {
            document::update(&mut warm, &key, |party: &mut Party| party.name.push('!')).unwrap();
            warm.save_incremental()
        })
    });
    group.finish();
}

criterion_group!(benches, layout);
criterion_main!(benches);
