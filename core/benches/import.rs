//! What one batch of an import costs (issue 5: 10,000 CSV rows in ≤ 5 s): reading the CSV into
//! candidates, writing one shard's records into its document, committing, saving the increment,
//! refreshing the read model's rows and encoding them, and compacting.
//!
//! `cargo bench -p rapport-core --bench import`.

use automerge::AutoCommit;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rapport_core::document;
use rapport_core::history;
use rapport_core::ids::{PartyId, Timestamp};
use rapport_core::interchange::{self, Candidate, KnownParties};
use rapport_core::layout::{Collection, DocKey};
use rapport_core::model::Party;
use rapport_core::read_model::ReadModel;

/// One party document's share of a 10,000-row import (10,000 / 32 shards).
const BATCH: usize = 313;

fn csv(rows: usize) -> String {
    let mut csv = String::from("First Name,Last Name,E-mail Address,Mobile Phone,Company,Notes\n");
    for n in 0..rows {
        let (given, family) =
            if n % 3 == 0 { ("Иван", "Петров") } else { ("Anna", "Weber") };
        csv += &format!(
            "{given},{family} {n},person{n}@import.example,+49 170 {n:07},Firma {},\"Met at the fair, \nrow {n}\"\n",
            n % 500
        );
    }
    csv
}

fn candidates(text: &str) -> Vec<Candidate> {
    let table = interchange::read_table(text).expect("a table");
    let fields: Vec<_> = table.headers.iter().map(|h| interchange::guess_field(h)).collect();
    let plan = interchange::dedupe(
        interchange::candidates_from_table(&table, &fields),
        KnownParties::default(),
    );
    plan.new
}

fn batch() -> Vec<(PartyId, Party)> {
    candidates(&csv(BATCH))
        .iter()
        .enumerate()
        .map(|(n, c)| {
            (
                PartyId::from_bytes((n as u128 + 1).to_be_bytes()),
                c.to_party(Timestamp(1_795_000_000_000), &|extra| extra.english().into()),
            )
        })
        .collect()
}

fn write(doc: &mut AutoCommit, records: &[(PartyId, Party)]) {
    let keys: Vec<String> = records.iter().map(|(id, _)| id.to_string()).collect();
    document::put_new(doc, keys.iter().map(String::as_str).zip(records.iter().map(|(_, p)| p)))
        .expect("put");
    history::commit(doc, None, Timestamp(1_795_000_000_000));
}

fn write_field_by_field(doc: &mut AutoCommit, records: &[(PartyId, Party)]) {
    for (id, party) in records {
        document::put(doc, &id.to_string(), party).expect("put");
    }
    history::commit(doc, None, Timestamp(1_795_000_000_000));
}

fn import(c: &mut Criterion) {
    let text = csv(10_000);
    c.bench_function("import: read 10,000 CSV rows into candidates", |b| {
        b.iter(|| candidates(&text));
    });
    let records = batch();
    let key = DocKey::Shard { collection: Collection::Parties, shard: 0 };
    let keys = records.iter().map(|(id, _)| id.to_string()).collect();
    c.bench_function("import: write 313 parties into a new document and commit", |b| {
        b.iter_batched(
            document::new_document,
            |mut doc| write(&mut doc, &records),
            BatchSize::LargeInput,
        );
    });
    let holding_a_batch = || {
        let mut doc = document::new_document();
        let earlier: Vec<(PartyId, Party)> = records
            .iter()
            .map(|(id, p)| {
                (
                    PartyId::from_bytes(
                        (u128::from_be_bytes(*id.as_bytes()) + 1_000_000).to_be_bytes(),
                    ),
                    p.clone(),
                )
            })
            .collect();
        write(&mut doc, &earlier);
        doc
    };
    c.bench_function("import: write 313 more parties into a document holding 313", |b| {
        b.iter_batched(holding_a_batch, |mut doc| write(&mut doc, &records), BatchSize::LargeInput);
    });
    c.bench_function("import: the same, reconciled field by field (the way an edit writes)", |b| {
        b.iter_batched(
            document::new_document,
            |mut doc| write_field_by_field(&mut doc, &records),
            BatchSize::LargeInput,
        );
    });
    let written = || {
        let mut doc = document::new_document();
        write(&mut doc, &records);
        doc
    };
    c.bench_function("import: save the batch's increment", |b| {
        b.iter_batched(written, |mut doc| doc.save_after(&[]), BatchSize::LargeInput);
    });
    c.bench_function("import: refresh and encode the batch's rows", |b| {
        b.iter_batched(
            || (written(), ReadModel::default()),
            |(mut doc, mut model)| model.refresh(key, &mut doc, &keys).encode(),
            BatchSize::LargeInput,
        );
    });
    c.bench_function("import: the batch's rows from the written values", |b| {
        b.iter_batched(
            || (written(), ReadModel::default()),
            |(mut doc, mut model)| {
                model
                    .refresh_written_parties(key, &mut doc, records.iter().map(|(id, p)| (*id, p)))
                    .encode()
            },
            BatchSize::LargeInput,
        );
    });
    c.bench_function("import: compact the document (save)", |b| {
        b.iter_batched(written, |mut doc| doc.save(), BatchSize::LargeInput);
    });
}

criterion_group!(benches, import);
criterion_main!(benches);
