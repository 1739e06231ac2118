//! Sparse records: a field that still holds its default is not written to the document.
//!
//! A new device loads every record of the workspace, and most records leave most fields empty (no
//! address, no notes, not archived). Writing those defaults made the 10k-party demo workspace about
//! four times larger and slower to load than the same data written sparsely (see ARCHITECTURE.md).
//!
//! The rule keeps merging intact: a field is left out only while its key is absent. Once a field has
//! been written it is always reconciled in place — clearing it writes the empty value rather than deleting
//! the key — so a device clearing a field and another editing it concurrently merge exactly as before.
//! The one difference: two devices that give a record the *first* value of the same container field
//! while apart create two objects under one key; Automerge keeps both and [`crate::document::conflicts`]
//! reports them, like any other same-field conflict. So containers people commonly add to concurrently —
//! a party's roles, tags, emails, phones and notes — are in a record's `always` list and created with it:
//! their first additions merge (the `concurrent_edits_converge` property test checks this).
//!
//! Reading treats an absent field as its default (`#[autosurgeon(missing = "Default::default")]` on the
//! field), so a record written densely by an older version reads the same.

use std::collections::BTreeMap;

use autosurgeon::Text;
use autosurgeon::reconcile::MapReconciler;

/// A value that can be left out of a document while it is unset.
pub trait Sparse {
    fn is_unset(&self) -> bool;
}

impl Sparse for String {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

impl Sparse for bool {
    fn is_unset(&self) -> bool {
        !*self
    }
}

impl<T> Sparse for Option<T> {
    fn is_unset(&self) -> bool {
        self.is_none()
    }
}

impl<T> Sparse for Vec<T> {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

impl<K, V> Sparse for BTreeMap<K, V> {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

impl Sparse for Text {
    fn is_unset(&self) -> bool {
        self.as_str().is_empty()
    }
}

/// Writes `value` under `key` unless it is unset and the key has never been written.
pub fn put_field<M, V>(map: &mut M, key: &str, value: &V) -> Result<(), M::Error>
where
    M: MapReconciler,
    V: autosurgeon::Reconcile + Sparse,
{
    if value.is_unset() && map.entry(key).is_none() {
        return Ok(());
    }
    map.put(key, value)
}

/// Implements `Reconcile` for a record as a map: `always` fields are written every time, `sparse` fields
/// only once they hold something (see the module documentation). List every field: one left out here
/// would never be stored.
macro_rules! reconcile_sparse {
    ($record:ty { always: [$($always:ident),* $(,)?], sparse: [$($sparse:ident),* $(,)?] $(,)? }) => {
        impl autosurgeon::Reconcile for $record {
            type Key<'a> = autosurgeon::reconcile::NoKey;

            fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                use autosurgeon::reconcile::MapReconciler;
                let mut map = reconciler.map()?;
                $( map.put(stringify!($always), &self.$always)?; )*
                $( $crate::model::sparse::put_field(&mut map, stringify!($sparse), &self.$sparse)?; )*
                Ok(())
            }
        }

    };
}
pub(crate) use reconcile_sparse;

#[cfg(test)]
mod tests {
    use automerge::ReadDoc;

    use crate::document;
    use crate::ids::Timestamp;
    use crate::model::{Deal, Interaction, Party, Task};

    fn bare_party() -> Party {
        Party { name: "Ada".into(), created_at: Timestamp(1), ..Party::default() }
    }

    #[test]
    fn unset_fields_are_not_written() {
        let mut doc = document::new_document();
        document::put(&mut doc, "p", &bare_party()).unwrap();
        let (_, record) = doc.get(automerge::ROOT, "p").unwrap().unwrap();
        let written: Vec<String> = doc.keys(&record).collect();
        assert_eq!(
            written,
            ["created_at", "emails", "kind", "name", "notes", "phones", "roles", "tags"]
        );
        assert_eq!(document::get::<_, Party>(&doc, "p").unwrap(), Some(bare_party()));
    }

    #[test]
    fn a_cleared_field_is_written_empty_not_deleted() {
        let mut doc = document::new_document();
        let mut party = bare_party();
        party.tags.insert("vip".into(), true);
        party.notes = autosurgeon::Text::with_value("met at the fair");
        document::put(&mut doc, "p", &party).unwrap();
        document::update(&mut doc, "p", |party: &mut Party| {
            party.tags.clear();
            party.notes = autosurgeon::Text::with_value("");
        })
        .unwrap();
        let (_, record) = doc.get(automerge::ROOT, "p").unwrap().unwrap();
        let written: Vec<String> = doc.keys(&record).collect();
        assert!(written.contains(&"tags".to_owned()) && written.contains(&"notes".to_owned()));
        let read: Party = document::get(&doc, "p").unwrap().unwrap();
        assert!(read.tags.is_empty() && read.notes.as_str().is_empty());
    }

    #[test]
    fn every_field_round_trips() {
        // A field left out of a `reconcile_sparse!` list would silently never be saved: write records with
        // every field set and read them back.
        let mut doc = document::new_document();
        let party = crate::model::tests::full_party();
        document::put(&mut doc, "p", &party).unwrap();
        assert_eq!(document::get::<_, Party>(&doc, "p").unwrap(), Some(party));
        let interaction = crate::model::tests::full_interaction();
        document::put(&mut doc, "i", &interaction).unwrap();
        assert_eq!(document::get::<_, Interaction>(&doc, "i").unwrap(), Some(interaction));
        let task = crate::model::tests::full_task();
        document::put(&mut doc, "t", &task).unwrap();
        assert_eq!(document::get::<_, Task>(&doc, "t").unwrap(), Some(task));
        let deal = crate::model::tests::full_deal();
        document::put(&mut doc, "d", &deal).unwrap();
        assert_eq!(document::get::<_, Deal>(&doc, "d").unwrap(), Some(deal));
    }
}
