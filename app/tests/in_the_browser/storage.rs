//! Documents saved to real IndexedDB in headless Chromium: they reload, compact into one snapshot
//! without losing anything, and a damaged chunk is reported while the rest still opens.

use rapport_app::storage::ChunkStore;
use rapport_core::chunks::ChunkKind;
use rapport_core::document;
use rapport_core::layout::DocumentId;
use rapport_core::model::Party;
use wasm_bindgen_test::wasm_bindgen_test;

/// A database of its own for each test, so tests never see each other's data.
async fn fresh_store(test: &str) -> (ChunkStore, String) {
    let name = format!("rapport-test-{test}-{}", js_sys::Date::now());
    (ChunkStore::open(&name).await.expect("open"), name)
}

const DOC: DocumentId = DocumentId([42; 16]);
const KEY: &str = "0190c4e2-7d1c-7000-8000-000000000001";

/// Creates a party and renames it `edits` times, appending each increment as a chunk.
async fn save_edits(store: &ChunkStore, edits: usize) -> Party {
    let mut doc = document::new_document();
    document::put(&mut doc, KEY, &Party { name: "Ёлка Иванова".into(), ..Party::default() })
        .unwrap();
    store.append(DOC, ChunkKind::Incremental, &doc.save_incremental()).await.unwrap();
    for i in 0..edits {
        document::update(&mut doc, KEY, |party: &mut Party| {
            party.name = format!("Ёлка Иванова {i}")
        })
        .unwrap();
        store.append(DOC, ChunkKind::Incremental, &doc.save_incremental()).await.unwrap();
    }
    document::get(&doc, KEY).unwrap().unwrap()
}

#[wasm_bindgen_test]
async fn saved_changes_reload_from_a_new_connection() {
    let (store, name) = fresh_store("reload").await;
    let expected = save_edits(&store, 5).await;

    let reopened = ChunkStore::open(&name).await.unwrap();
    let loaded = reopened.load(DOC).await.unwrap();
    assert!(loaded.corrupt.is_empty(), "{:?}", loaded.corrupt);
    assert_eq!(loaded.incremental_count, 6);
    let doc = loaded.document.expect("a document");
    assert_eq!(document::get::<_, Party>(&doc, KEY).unwrap(), Some(expected));

    let nothing = reopened.load(DocumentId([7; 16])).await.unwrap();
    assert!(nothing.document.is_none() && nothing.chunk_keys.is_empty());
}

#[wasm_bindgen_test]
async fn compaction_replaces_increments_by_one_snapshot_and_keeps_everything() {
    let (store, _) = fresh_store("compact").await;
    let expected = save_edits(&store, 40).await;
    let loaded = store.load(DOC).await.unwrap();
    assert!(rapport_core::chunks::should_compact(
        loaded.snapshot_bytes,
        loaded.incremental_count,
        loaded.incremental_bytes
    ));
    let mut doc = loaded.document.unwrap();
    store.compact(DOC, &doc.save(), &loaded.chunk_keys).await.unwrap();

    let after = store.load(DOC).await.unwrap();
    assert_eq!(after.incremental_count, 0);
    assert_eq!(after.chunk_keys.len(), 1, "one snapshot: {:?}", after.chunk_keys);
    assert!(after.snapshot_bytes > 0);
    let doc = after.document.unwrap();
    assert_eq!(document::get::<_, Party>(&doc, KEY).unwrap(), Some(expected));
}

#[wasm_bindgen_test]
async fn a_damaged_chunk_is_reported_and_the_rest_opens() {
    let (store, _) = fresh_store("corrupt").await;
    let expected = save_edits(&store, 3).await;
    let bad =
        store.append(DOC, ChunkKind::Incremental, b"\x85\x6f\x4a\x83 not automerge").await.unwrap();

    let loaded = store.load(DOC).await.unwrap();
    assert_eq!(loaded.corrupt, vec![bad.clone()]);
    let doc = loaded.document.expect("the rest opens");
    assert_eq!(document::get::<_, Party>(&doc, KEY).unwrap(), Some(expected));

    // Nothing was overwritten: the damaged chunk is still there to be inspected or recovered.
    let again = store.load(DOC).await.unwrap();
    assert_eq!(again.corrupt, vec![bad]);
}
