//! How many bytes Automerge chunks take once inflated, found without inflating them into memory.
//!
//! Automerge compresses with DEFLATE: a compressed change chunk, and the columns of document and bundle
//! chunks marked as deflated. Loading one (`load_incremental`, `receive_sync_message`) inflates it
//! whole into memory with no bound, and DEFLATE expands up to ~1000×: a 16 MiB sync frame could ask
//! for 16 GB. A peer's changes are therefore walked first — chunk headers, column metadata — and
//! every compressed part is inflated into nothing, stopping as soon as the total passes what the
//! caller allows. Only then are they handed to Automerge.
//!
//! The walk follows Automerge's storage format (automerge-0.12 `storage/{chunk,change,document,
//! bundle}.rs`): `magic(4) checksum(4) type(1) length(uleb) data`, chunk types document (0), change
//! (1), compressed change (2) and bundle (3); column metadata is `count(uleb)` then `spec(uleb)
//! length(uleb)` pairs, a spec with bit 3 set being deflated. Anything it cannot walk is refused:
//! Automerge would refuse it too, or read it in a way this module cannot bound.

use std::io::Read;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const HASH_BYTES: usize = 32;
/// The column-specification bit that says the column's data is deflated.
const DEFLATED: u64 = 0b1000;

/// Why chunks may not be handed to Automerge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the changes would take more than {most} bytes once inflated")]
    TooLarge { most: u64 },
    #[error("a change chunk is malformed: {0}")]
    Malformed(&'static str),
}

/// What the chunks in `bytes` (one or more, back to back, as `load_incremental` and a sync message's
/// changes carry them) take once every compressed part is inflated; refused beyond `most`.
pub fn inflated_size(bytes: &[u8], most: u64) -> Result<u64, Refused> {
    let mut budget = Budget { most, used: 0 };
    let mut rest = bytes;
    while !rest.is_empty() {
        let magic = take(&mut rest, 4)?;
        if magic != MAGIC {
            return Err(Refused::Malformed("a chunk does not start with Automerge's magic bytes"));
        }
        take(&mut rest, 4)?; // checksum
        let kind = take(&mut rest, 1)?[0];
        let length = uleb(&mut rest)?;
        let data = take(&mut rest, to_usize(length)?)?;
        budget.spend(4 + 4 + 1 + 10)?;
        match kind {
            0 => document(data, &mut budget)?,
            1 => budget.spend(data.len() as u64)?,
            2 => budget.inflate(data)?,
            3 => bundle(data, &mut budget)?,
            _ => return Err(Refused::Malformed("a chunk has an unknown type")),
        }
    }
    Ok(budget.used)
}

struct Budget {
    most: u64,
    used: u64,
}

impl Budget {
    fn spend(&mut self, bytes: u64) -> Result<(), Refused> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.most {
            return Err(Refused::TooLarge { most: self.most });
        }
        Ok(())
    }

    /// Inflates `deflated` into nothing, counting, and stops one byte past the budget.
    fn inflate(&mut self, deflated: &[u8]) -> Result<(), Refused> {
        let left = self.most - self.used;
        let decoder = flate2::bufread::DeflateDecoder::new(deflated);
        let inflated = std::io::copy(&mut decoder.take(left + 1), &mut std::io::sink())
            .map_err(|_| Refused::Malformed("a compressed part does not inflate"))?;
        self.spend(inflated)
    }
}

/// A document chunk: actors, heads, the metadata of its change and op columns, their data, and the
/// heads' indexes (which take what they take).
fn document(mut data: &[u8], budget: &mut Budget) -> Result<(), Refused> {
    let whole = data.len() as u64;
    let actors = uleb(&mut data)?;
    for _ in 0..actors {
        let length = uleb(&mut data)?;
        take(&mut data, to_usize(length)?)?;
    }
    let heads = uleb(&mut data)?;
    take(&mut data, to_usize(heads)?.checked_mul(HASH_BYTES).ok_or(TOO_LONG)?)?;
    let changes = columns(&mut data)?;
    let ops = columns(&mut data)?;
    let prefix = whole - data.len() as u64;
    budget.spend(prefix)?;
    column_data(&mut data, &changes, budget)?;
    column_data(&mut data, &ops, budget)?;
    budget.spend(data.len() as u64)
}

/// A bundle chunk: dependencies, actors, then change columns (metadata, data) and op columns.
fn bundle(mut data: &[u8], budget: &mut Budget) -> Result<(), Refused> {
    let whole = data.len() as u64;
    let deps = uleb(&mut data)?;
    take(&mut data, to_usize(deps)?.checked_mul(HASH_BYTES).ok_or(TOO_LONG)?)?;
    let actors = uleb(&mut data)?;
    for _ in 0..actors {
        let length = uleb(&mut data)?;
        take(&mut data, to_usize(length)?)?;
    }
    let changes = columns(&mut data)?;
    let before = whole - data.len() as u64;
    budget.spend(before)?;
    column_data(&mut data, &changes, budget)?;
    let at = data.len();
    let ops = columns(&mut data)?;
    budget.spend((at - data.len()) as u64)?;
    column_data(&mut data, &ops, budget)?;
    budget.spend(data.len() as u64)
}

/// Column metadata: (whether deflated, length of its data) per column.
fn columns(data: &mut &[u8]) -> Result<Vec<(bool, usize)>, Refused> {
    let count = uleb(data)?;
    let mut columns = Vec::new();
    for _ in 0..count {
        let spec = uleb(data)?;
        let length = to_usize(uleb(data)?)?;
        columns.push((spec & DEFLATED != 0, length));
    }
    Ok(columns)
}

/// The data of `columns`, which follow one another: deflated ones are counted inflated.
fn column_data(
    data: &mut &[u8],
    columns: &[(bool, usize)],
    budget: &mut Budget,
) -> Result<(), Refused> {
    for &(deflated, length) in columns {
        let column = take(data, length)?;
        if deflated {
            budget.inflate(column)?;
        } else {
            budget.spend(column.len() as u64)?;
        }
    }
    Ok(())
}

const TOO_LONG: Refused = Refused::Malformed("a length runs past the end of its chunk");

fn take<'a>(data: &mut &'a [u8], length: usize) -> Result<&'a [u8], Refused> {
    if data.len() < length {
        return Err(TOO_LONG);
    }
    let (taken, rest) = data.split_at(length);
    *data = rest;
    Ok(taken)
}

fn to_usize(length: u64) -> Result<usize, Refused> {
    usize::try_from(length).map_err(|_| TOO_LONG)
}

/// An unsigned LEB128 number of at most 64 bits (the protocol's reader).
fn uleb(data: &mut &[u8]) -> Result<u64, Refused> {
    crate::protocol::read_leb128(data).ok_or(TOO_LONG)
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    /// A document whose columns compress well: the same long text in many records.
    fn repetitive(records: usize) -> AutoCommit {
        let mut doc = AutoCommit::new();
        for n in 0..records {
            doc.put(ROOT, format!("note-{n}"), "the same long note, again and again. ".repeat(20))
                .unwrap();
            doc.commit();
        }
        doc
    }

    fn loads(bytes: &[u8]) -> bool {
        automerge::Automerge::new().load_incremental(bytes).is_ok()
    }

    #[test]
    fn what_automerge_writes_is_counted_inflated_and_accepted() {
        let mut doc = repetitive(200);
        let saved = doc.save();
        assert!(loads(&saved));
        let inflated = inflated_size(&saved, u64::MAX).unwrap();
        // The saved document has deflated columns: inflated, it takes several times its size.
        assert!(inflated > 3 * saved.len() as u64, "{inflated} vs {}", saved.len());
        // Changes one by one (as sync messages carry them), compressed or not.
        let mut compressed_changes = 0;
        for change in doc.get_changes(&[]) {
            let raw = change.raw_bytes().to_vec();
            assert!(inflated_size(&raw, u64::MAX).unwrap() >= raw.len() as u64);
            let mut compressed = change.clone();
            let bytes = compressed.bytes().into_owned();
            compressed_changes += usize::from(bytes[8] == 2);
            assert_eq!(inflated_size(&bytes, u64::MAX), inflated_size(&raw, u64::MAX));
        }
        assert!(compressed_changes > 0, "the test wants compressed change chunks too");
        // A bundle of every change (Automerge compresses its columns as it does a document's).
        let hashes = doc.get_changes(&[]).iter().map(|change| change.hash()).collect::<Vec<_>>();
        let bundle = doc.bundle(hashes).unwrap().bytes().to_vec();
        assert!(loads(&bundle));
        assert!(inflated_size(&bundle, u64::MAX).unwrap() > bundle.len() as u64);
        // Incremental saves, back to back, as the relay stores them.
        let before = doc.get_heads();
        doc.put(ROOT, "one more", "the same long note, again and again. ".repeat(40)).unwrap();
        let after = doc.save_after(&before);
        let both = [saved.clone(), after].concat();
        assert!(loads(&both));
        assert!(inflated_size(&both, u64::MAX).unwrap() > inflated);
    }

    #[test]
    fn a_compressed_change_past_the_budget_is_refused_before_it_is_inflated() {
        use std::io::Write;
        // 64 MB of zeros deflate to ~64 KB: a bomb in a compressed-change chunk.
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..64 {
            encoder.write_all(&zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 100 * 1024);
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0; 4]);
        chunk.push(2);
        let mut length = bomb.len() as u64;
        loop {
            let byte = (length & 0x7f) as u8;
            length >>= 7;
            if length == 0 {
                chunk.push(byte);
                break;
            }
            chunk.push(byte | 0x80);
        }
        chunk.extend(&bomb);
        assert_eq!(
            inflated_size(&chunk, 1024 * 1024),
            Err(Refused::TooLarge { most: 1024 * 1024 })
        );
        assert!(inflated_size(&chunk, u64::MAX).unwrap() >= 64 * 1024 * 1024);
    }

    #[test]
    fn a_document_whose_inflated_columns_pass_the_budget_is_refused() {
        let saved = repetitive(200).save();
        let inflated = inflated_size(&saved, u64::MAX).unwrap();
        assert_eq!(inflated_size(&saved, inflated), Ok(inflated));
        assert_eq!(
            inflated_size(&saved, inflated - 1),
            Err(Refused::TooLarge { most: inflated - 1 })
        );
        // Under the budget in compressed bytes, over it inflated: the compressed size is not what counts.
        assert!(inflated_size(&saved, saved.len() as u64 * 2).is_err());
    }

    #[test]
    fn chunks_it_cannot_walk_are_refused() {
        let saved = repetitive(3).save();
        assert!(matches!(inflated_size(b"nonsense", u64::MAX), Err(Refused::Malformed(_))));
        assert!(matches!(
            inflated_size(&saved[..saved.len() - 1], u64::MAX),
            Err(Refused::Malformed(_))
        ));
        let mut unknown = saved.clone();
        unknown[8] = 9;
        assert!(matches!(inflated_size(&unknown, u64::MAX), Err(Refused::Malformed(_))));
        assert_eq!(inflated_size(&[], u64::MAX), Ok(0));
    }
}
