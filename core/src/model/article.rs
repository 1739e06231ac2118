//! Knowledge-base articles: answers written once and linked from replies, some of them published on
//! the relay's public help pages (`crate::knowledge`).

use autosurgeon::{Hydrate, Reconcile, Text};

use crate::ids::{MemberId, Timestamp};

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Article {
    pub title: String,
    /// The category it is listed under; articles with the same category (ignoring case) are listed
    /// together, so a category needs no record of its own.
    pub category: String,
    /// The text in Markdown (CommonMark): headings, emphasis, lists, links, quotes and code. A `Text`,
    /// so two people editing different paragraphs at once both keep theirs.
    pub body: Text,
    /// Whether it is on the public help pages (the relay keeps the published copy).
    pub published: bool,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub created_by: Option<MemberId>,
    pub updated_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub updated_by: Option<MemberId>,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}
