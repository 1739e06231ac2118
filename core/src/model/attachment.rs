//! Files attached to records: what a document keeps of a file is its name, kind and size, and the
//! SHA-256 of its bytes, by which the relay stores and serves it (the bytes never enter a document).

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use crate::ids::{MemberId, Timestamp};

/// A file on a record, kept in the record's `files` map under the hex SHA-256 of its bytes, so the
/// same file attached on two devices is one entry and two different files merge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct Attachment {
    /// The file's name as it was chosen ("Contract 2027.pdf").
    pub name: String,
    /// Its media type as the device read it (`application/pdf`), empty when unknown.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    pub added_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub added_by: Option<MemberId>,
    /// For an image: the hash of a small JPEG of it, made by the device that attached it and stored
    /// as a file of its own, which the record page shows.
    #[autosurgeon(missing = "Default::default")]
    pub thumbnail: Option<String>,
}

/// A record that keeps files (people and organisations, deals): one files panel and one way of
/// attaching serve them all.
pub trait WithFiles {
    /// The record's files, by the hex SHA-256 of their bytes.
    fn files(&self) -> &BTreeMap<String, Attachment>;
    fn files_mut(&mut self) -> &mut BTreeMap<String, Attachment>;
}

macro_rules! with_files {
    ($($record:ty),*) => {$(
        impl WithFiles for $record {
            fn files(&self) -> &BTreeMap<String, Attachment> {
                &self.files
            }
            fn files_mut(&mut self) -> &mut BTreeMap<String, Attachment> {
                &mut self.files
            }
        }
    )*};
}

with_files!(super::Party, super::Deal, super::Ticket, super::Contract, super::Round);
