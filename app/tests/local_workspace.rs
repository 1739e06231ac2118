//! The device's workspace on real IndexedDB: an edit is stored with its read-model rows in one
//! transaction, so a new session sees it without loading any document; damaged rows are reported and
//! rebuilt from the documents, nothing else lost.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use rapport_app::local::{self, BrowserIds, LocalWorkspace};
use rapport_core::ids::PartyId;
use rapport_core::model::Party;
use rapport_core::queries::{self, PartyFilter, PartySort};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn database(test: &str) -> String {
    format!("rapport-test-{test}-{}", js_sys::Date::now())
}

fn names(ws: &LocalWorkspace, query: &str) -> Vec<String> {
    let filter = PartyFilter { query: query.into(), ..PartyFilter::default() };
    queries::parties(&ws.model, &filter, PartySort::Name).iter().map(|r| r.name.clone()).collect()
}

#[wasm_bindgen_test]
async fn edits_are_in_the_read_model_of_the_next_session() {
    let name = database("next-session");
    let (ws, _) = LocalWorkspace::open(&name).await.unwrap();
    let workspace = ws.workspace;
    let shared = Rc::new(RefCell::new(ws));
    let mut ids = Vec::new();
    for person in ["Zoë Adams", "Пётр Ёлкин", "Ana Núñez"] {
        let id = PartyId::generate(&mut BrowserIds);
        local::create(&shared, id, Party { name: person.into(), ..Party::default() })
            .await
            .unwrap();
        ids.push(id);
    }
    local::update::<Party>(&shared, ids[0], |p| p.name = "Zoë Adams-Baker".into()).await.unwrap();
    assert_eq!(names(&shared.borrow(), "zoe"), ["Zoë Adams-Baker"]);
    drop(shared);

    let (again, report) = LocalWorkspace::open(&name).await.unwrap();
    assert_eq!(again.workspace, workspace, "the same workspace reopens");
    assert!(report.unreadable_rows.is_empty());
    assert_eq!(names(&again, "петр"), ["Пётр Ёлкин"]);
    assert_eq!(names(&again, "nunez"), ["Ana Núñez"]);
    assert_eq!(names(&again, "baker"), ["Zoë Adams-Baker"]);
}

#[wasm_bindgen_test]
async fn damaged_rows_are_reported_and_rebuilt_from_the_documents() {
    let name = database("damaged-rows");
    let (ws, _) = LocalWorkspace::open(&name).await.unwrap();
    let workspace = ws.workspace;
    let shared = Rc::new(RefCell::new(ws));
    let id = PartyId::generate(&mut BrowserIds);
    local::create(&shared, id, Party { name: "Grace Hopper".into(), ..Party::default() })
        .await
        .unwrap();
    let doc_key = <Party as rapport_core::document::Record>::doc_key(&id);
    drop(shared);

    // Overwrite that document's rows with garbage, as a failing disk or a bad extension might.
    let store = rapport_app::storage::ChunkStore::open(&name).await.unwrap();
    store
        .save_with_rows(
            rapport_core::layout::DocumentId([0; 16]),
            rapport_core::chunks::ChunkKind::Incremental,
            b"unrelated",
            &format!("{workspace}/{doc_key}"),
            b"\xff\xfe not rows",
        )
        .await
        .unwrap();

    let (again, report) = LocalWorkspace::open(&name).await.unwrap();
    assert_eq!(report.unreadable_rows, [doc_key.to_string()]);
    assert_eq!(names(&again, "grace"), ["Grace Hopper"], "rebuilt from the document");
}
