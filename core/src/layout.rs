//! How a workspace is laid out in Automerge documents.
//!
//! - One small **root** document per workspace: schema version, settings (members, pipelines, custom
//!   fields) and the table of every other document, so automerge-repo peers can discover them.
//! - Entity collections **sharded** by id into a fixed number of documents (parties into 32, the rest into
//!   8 or 4), so touching one record loads and saves about 1/32 of the parties, and a sync handshake
//!   covers a few dozen documents, not thousands.
//! - **Interactions in monthly documents**: the month of `at` picks the document, so old months stay cold
//!   and a new device can load the recent ones first.
//!
//! Document ids are derived from the workspace id and the document's [`DocKey`], so two offline devices
//! that both create "parties shard 7" create the *same* document (Automerge merges their histories) rather
//! than two documents that hide each other's records. Inside a shard or month document, each record is a
//! map at the document root under its id's text; no container is shared between records, so concurrent
//! creations never collide.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::ids::{Timestamp, WorkspaceId};

/// The schema version written to every root document. Bump it with a migration in `crate::migrate`.
pub const SCHEMA_VERSION: u64 = 1;

/// A collection of records kept in sharded documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Collection {
    Parties,
    Tasks,
    Deals,
    Tickets,
    Contracts,
    Feedback,
    Segments,
    Campaigns,
    Articles,
    Purchases,
    Rounds,
    Updates,
    Events,
    OneOnOnes,
    Kudos,
    Surveys,
    Goals,
    Reviews,
    Sequences,
    Automations,
}

impl Collection {
    pub const ALL: [Collection; 20] = [
        Collection::Parties,
        Collection::Tasks,
        Collection::Deals,
        Collection::Tickets,
        Collection::Contracts,
        Collection::Feedback,
        Collection::Segments,
        Collection::Campaigns,
        Collection::Articles,
        Collection::Purchases,
        Collection::Rounds,
        Collection::Updates,
        Collection::Events,
        Collection::OneOnOnes,
        Collection::Kudos,
        Collection::Surveys,
        Collection::Goals,
        Collection::Reviews,
        Collection::Sequences,
        Collection::Automations,
    ];

    /// How many documents the collection is spread over. Fixed for a schema version: changing it moves
    /// records between documents and needs a migration.
    pub fn shard_count(self) -> u16 {
        match self {
            Collection::Parties => 32,
            Collection::Tasks | Collection::Deals => 8,
            Collection::Tickets
            | Collection::Contracts
            | Collection::Feedback
            | Collection::Purchases
            | Collection::OneOnOnes
            | Collection::Kudos
            | Collection::Goals => 4,
            Collection::Segments
            | Collection::Campaigns
            | Collection::Rounds
            | Collection::Updates
            | Collection::Events
            | Collection::Surveys
            | Collection::Reviews
            | Collection::Sequences
            | Collection::Automations => 1,
            // Articles are long but few: two documents keep each small enough to load at once.
            Collection::Articles => 2,
        }
    }

    /// Whether the collection came after the first workspaces were made: their roots' tables do not
    /// list its documents, so the first write to each lists it, or other devices would never open it.
    pub fn added_later(self) -> bool {
        matches!(
            self,
            Collection::Articles
                | Collection::Purchases
                | Collection::Rounds
                | Collection::Updates
                | Collection::Events
                | Collection::OneOnOnes
                | Collection::Kudos
                | Collection::Surveys
                | Collection::Goals
                | Collection::Reviews
                | Collection::Sequences
                | Collection::Automations
        )
    }

    /// The stable name used in document keys and the root's document table.
    pub fn key(self) -> &'static str {
        match self {
            Collection::Parties => "parties",
            Collection::Tasks => "tasks",
            Collection::Deals => "deals",
            Collection::Tickets => "tickets",
            Collection::Contracts => "contracts",
            Collection::Feedback => "feedback",
            Collection::Segments => "segments",
            Collection::Campaigns => "campaigns",
            Collection::Articles => "articles",
            Collection::Purchases => "purchases",
            Collection::Rounds => "rounds",
            Collection::Updates => "investor-updates",
            Collection::Events => "investor-events",
            Collection::OneOnOnes => "one-on-ones",
            Collection::Kudos => "kudos",
            Collection::Surveys => "surveys",
            Collection::Goals => "goals",
            Collection::Reviews => "review-cycles",
            Collection::Sequences => "sequences",
            Collection::Automations => "automations",
        }
    }

    /// The shard holding the record with these id bytes. UUID v7 ends in random bits, so the last two
    /// bytes spread records evenly; the creation time in the first bytes would not.
    pub fn shard_of(self, id_bytes: &[u8; 16]) -> u16 {
        u16::from_be_bytes([id_bytes[14], id_bytes[15]]) % self.shard_count()
    }
}

/// A calendar month (UTC), naming the document of that month's interactions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u8,
}

impl Month {
    /// The UTC month containing `at`.
    pub fn of(at: Timestamp) -> Month {
        let seconds = at.0.div_euclid(1000);
        let date = time::OffsetDateTime::from_unix_timestamp(seconds)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .date();
        Month { year: date.year(), month: u8::from(date.month()) }
    }

    /// Its first millisecond (UTC).
    pub fn start(self) -> Timestamp {
        let month = time::Month::try_from(self.month.clamp(1, 12)).unwrap_or(time::Month::January);
        time::Date::from_calendar_date(self.year, month, 1).map_or(Timestamp(0), |date| {
            Timestamp(date.midnight().assume_utc().unix_timestamp() * 1000)
        })
    }

    /// The month `months` later (earlier when negative).
    pub fn plus(self, months: i32) -> Month {
        let index = self.year * 12 + i32::from(self.month.clamp(1, 12)) - 1 + months;
        Month { year: index.div_euclid(12), month: (index.rem_euclid(12) + 1) as u8 }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Which document of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKey {
    Root,
    Shard {
        collection: Collection,
        shard: u16,
    },
    Interactions(Month),
    /// A member's private document: a random id the relay gave them, synced with their own devices
    /// only and never listed in the root's table: the member's private notes, one text per record
    /// (`crate::employee::write_private_note`).
    Private(DocumentId),
}

impl fmt::Display for DocKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocKey::Root => f.write_str("root"),
            DocKey::Shard { collection, shard } => write!(f, "{}/{shard}", collection.key()),
            DocKey::Interactions(month) => write!(f, "interactions/{month}"),
            DocKey::Private(id) => write!(f, "private/{id}"),
        }
    }
}

/// Text that is not a document key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a document key: {0:?}")]
pub struct InvalidDocKey(pub String);

impl std::str::FromStr for DocKey {
    type Err = InvalidDocKey;
    fn from_str(text: &str) -> Result<DocKey, InvalidDocKey> {
        let invalid = || InvalidDocKey(text.to_owned());
        if text == "root" {
            return Ok(DocKey::Root);
        }
        let (head, tail) = text.split_once('/').ok_or_else(invalid)?;
        if head == "interactions" {
            let (year, month) = tail.split_once('-').ok_or_else(invalid)?;
            let year = year.parse().map_err(|_| invalid())?;
            let month: u8 = month.parse().map_err(|_| invalid())?;
            if !(1..=12).contains(&month) {
                return Err(invalid());
            }
            return Ok(DocKey::Interactions(Month { year, month }));
        }
        if head == "private" {
            return tail.parse().map(DocKey::Private).map_err(|_| invalid());
        }
        let collection =
            Collection::ALL.into_iter().find(|c| c.key() == head).ok_or_else(invalid)?;
        let shard: u16 = tail.parse().map_err(|_| invalid())?;
        if shard >= collection.shard_count() {
            return Err(invalid());
        }
        Ok(DocKey::Shard { collection, shard })
    }
}

impl DocKey {
    /// Every document a new workspace starts with (interaction months come as they are needed).
    pub fn initial() -> impl Iterator<Item = DocKey> {
        std::iter::once(DocKey::Root).chain(Collection::ALL.into_iter().flat_map(|collection| {
            (0..collection.shard_count()).map(move |shard| DocKey::Shard { collection, shard })
        }))
    }

    /// The document's id in `workspace`. The root's id is the workspace id itself.
    pub fn document_id(self, workspace: WorkspaceId) -> DocumentId {
        match self {
            DocKey::Root => return DocumentId(*workspace.as_bytes()),
            DocKey::Private(id) => return id,
            _ => {}
        }
        let mut hasher = Sha256::new();
        hasher.update(b"rapport/doc/v1\0");
        hasher.update(workspace.as_bytes());
        hasher.update(self.to_string().as_bytes());
        let digest = hasher.finalize();
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        DocumentId(id)
    }
}

/// An automerge-repo document id: 16 bytes, written as base58check (`automerge:<id>` in URLs).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentId(pub [u8; 16]);

/// Text that is not a base58check document id of 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a document id: {0:?}")]
pub struct InvalidDocumentId(pub String);

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl std::str::FromStr for DocumentId {
    type Err = InvalidDocumentId;
    fn from_str(text: &str) -> Result<Self, InvalidDocumentId> {
        let invalid = || InvalidDocumentId(text.to_owned());
        let bytes = bs58::decode(text).with_check(None).into_vec().map_err(|_| invalid())?;
        Ok(DocumentId(bytes.try_into().map_err(|_| invalid())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PartyId;

    #[test]
    fn document_keys_round_trip_through_text() {
        let mut keys: Vec<DocKey> = DocKey::initial().collect();
        keys.push(DocKey::Interactions(Month { year: 2026, month: 11 }));
        keys.push(DocKey::Private(DocumentId([7; 16])));
        for key in keys {
            assert_eq!(key.to_string().parse::<DocKey>(), Ok(key));
        }
        for bad in ["", "parties", "parties/32", "nope/1", "interactions/2026-13", "interactions/x"]
        {
            assert!(bad.parse::<DocKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn months_are_utc_calendar_months() {
        assert_eq!(Month::of(Timestamp(0)).to_string(), "1970-01");
        // 2026-11-30T23:59:59.999Z and one millisecond later.
        assert_eq!(Month::of(Timestamp(1_796_083_199_999)).to_string(), "2026-11");
        assert_eq!(Month::of(Timestamp(1_796_083_200_000)).to_string(), "2026-12");
        assert_eq!(Month::of(Timestamp(-1)).to_string(), "1969-12");
    }

    #[test]
    fn shards_spread_ids_evenly() {
        let mut counts = [0u32; 32];
        for i in 0..32_000u32 {
            let mut bytes = [0u8; 16];
            bytes[12..].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
            let id = PartyId::from_bytes(bytes);
            counts[usize::from(Collection::Parties.shard_of(id.as_bytes()))] += 1;
        }
        assert!(counts.iter().all(|&n| (900..=1100).contains(&n)), "{counts:?}");
    }

    #[test]
    fn document_ids_are_stable_distinct_and_per_workspace() {
        let a = WorkspaceId::from_bytes([1; 16]);
        let b = WorkspaceId::from_bytes([2; 16]);
        let keys: Vec<DocKey> = DocKey::initial().collect();
        assert_eq!(
            keys.len(),
            1 + 32 + 8 + 8 + 4 + 4 + 4 + 1 + 1 + 2 + 4 + 1 + 1 + 1 + 4 + 4 + 1 + 4 + 1 + 1 + 1
        );
        let ids: std::collections::BTreeSet<DocumentId> =
            keys.iter().map(|key| key.document_id(a)).collect();
        assert_eq!(ids.len(), keys.len());
        assert_eq!(DocKey::Root.document_id(a).0, [1; 16]);
        let shard = DocKey::Shard { collection: Collection::Parties, shard: 3 };
        assert_eq!(shard.document_id(a), shard.document_id(a));
        assert_ne!(shard.document_id(a), shard.document_id(b));
    }

    #[test]
    fn document_ids_use_automerge_repo_text_form() {
        let id = DocumentId([7; 16]);
        let text = id.to_string();
        assert_eq!(text.parse::<DocumentId>().unwrap(), id);
        assert!("not-base58!".parse::<DocumentId>().is_err());
        // A valid base58check string of the wrong length is refused too.
        let short = bs58::encode([1u8; 8]).with_check().into_string();
        assert!(short.parse::<DocumentId>().is_err());
    }
}
