//! How documents are stored as chunks on a device, the way automerge-repo stores them: each saved
//! increment is appended as its own chunk (so a save never rewrites earlier data), and from time to time
//! the chunks of a document are replaced by one snapshot.
//!
//! Keys are `<document id>/<kind>/<content hash>`: a document's chunks form one key range, and writing
//! the same chunk twice (two tabs, a retried save) is idempotent.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::layout::DocumentId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChunkKind {
    Snapshot,
    Incremental,
}

impl ChunkKind {
    fn key(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot",
            ChunkKind::Incremental => "incremental",
        }
    }
}

/// The storage key of one chunk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChunkKey {
    pub document: DocumentId,
    pub kind: ChunkKind,
    /// Hex of the first 16 bytes of the chunk's SHA-256.
    pub hash: String,
}

impl ChunkKey {
    pub fn for_chunk(document: DocumentId, kind: ChunkKind, bytes: &[u8]) -> ChunkKey {
        let digest = Sha256::digest(bytes);
        let hash = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        ChunkKey { document, kind, hash }
    }

    /// Parses a key written by [`ChunkKey`]'s `Display`; `None` for anything else.
    pub fn parse(text: &str) -> Option<ChunkKey> {
        let mut parts = text.split('/');
        let document = parts.next()?.parse().ok()?;
        let kind = match parts.next()? {
            "snapshot" => ChunkKind::Snapshot,
            "incremental" => ChunkKind::Incremental,
            _ => return None,
        };
        let hash = parts.next()?.to_owned();
        (parts.next().is_none() && hash.len() == 32).then_some(ChunkKey { document, kind, hash })
    }
}

impl fmt::Display for ChunkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.document, self.kind.key(), self.hash)
    }
}

/// The key range `[low, high]` holding every chunk of `document`.
pub fn document_range(document: DocumentId) -> (String, String) {
    (format!("{document}/"), format!("{document}/\u{ffff}"))
}

/// Whether a document's chunks should be compacted into one snapshot: when increments outnumber a
/// handful, or together outweigh the snapshot they extend.
pub fn should_compact(
    snapshot_bytes: usize,
    incremental_count: usize,
    incremental_bytes: usize,
) -> bool {
    incremental_count > 32
        || (incremental_count > 1 && incremental_bytes > snapshot_bytes.max(4096))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_group_by_document() {
        let doc = DocumentId([5; 16]);
        let key = ChunkKey::for_chunk(doc, ChunkKind::Incremental, b"change");
        assert_eq!(ChunkKey::parse(&key.to_string()), Some(key.clone()));
        assert_eq!(key, ChunkKey::for_chunk(doc, ChunkKind::Incremental, b"change"));
        assert_ne!(key, ChunkKey::for_chunk(doc, ChunkKind::Incremental, b"other"));
        let (low, high) = document_range(doc);
        assert!(
            low.as_str() < key.to_string().as_str() && key.to_string().as_str() < high.as_str()
        );
        let other = ChunkKey::for_chunk(DocumentId([6; 16]), ChunkKind::Snapshot, b"x").to_string();
        assert!(!(low.as_str() < other.as_str() && other.as_str() < high.as_str()));
    }

    #[test]
    fn foreign_keys_are_not_chunk_keys() {
        for text in ["", "abc", "x/snapshot/00", "2Xf/unknown/0123456789abcdef0123456789abcdef"] {
            assert_eq!(ChunkKey::parse(text), None, "{text}");
        }
    }

    #[test]
    fn compaction_waits_for_enough_increments() {
        assert!(!should_compact(100_000, 1, 50));
        assert!(!should_compact(100_000, 10, 5_000));
        assert!(should_compact(100_000, 33, 5_000));
        assert!(should_compact(1_000, 3, 5_000));
        assert!(!should_compact(0, 1, 10_000), "a single chunk is already compact");
    }
}
