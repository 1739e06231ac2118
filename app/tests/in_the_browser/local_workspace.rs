//! The device's workspace on real IndexedDB: an edit is stored with its read-model rows in one
//! transaction, so a new session sees it without loading any document; damaged rows are reported and
//! rebuilt from the documents, nothing else lost.

use std::cell::RefCell;
use std::rc::Rc;

use rapport_app::local::{self, BrowserIds, LocalWorkspace};
use rapport_core::ids::PartyId;
use rapport_core::model::Party;
use rapport_core::queries::{self, PartyFilter, PartySort};
use wasm_bindgen_test::wasm_bindgen_test;

fn database(test: &str) -> String {
    format!("rapport-test-{test}-{}", js_sys::Date::now())
}

/// Opens the workspace and finishes opening it (search index, interactions), as the app does.
async fn open_fully(name: &str) -> (LocalWorkspace, local::OpenReport) {
    let (ws, report) = LocalWorkspace::open(name).await.unwrap();
    let shared = Rc::new(RefCell::new(ws));
    local::finish_opening(&shared).await.unwrap();
    let ws = Rc::try_unwrap(shared).expect("no other owner").into_inner();
    (ws, report)
}

fn names(ws: &LocalWorkspace, query: &str) -> Vec<String> {
    let filter = PartyFilter { query: query.into(), ..PartyFilter::default() };
    queries::parties(&ws.model, &filter, PartySort::Name).iter().map(|r| r.name.clone()).collect()
}

#[wasm_bindgen_test]
async fn edits_are_in_the_read_model_of_the_next_session() {
    let name = database("next-session");
    let (ws, _) = open_fully(&name).await;
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

    let (again, report) = open_fully(&name).await;
    assert_eq!(again.workspace, workspace, "the same workspace reopens");
    assert!(report.unreadable_rows.is_empty());
    assert_eq!(names(&again, "петр"), ["Пётр Ёлкин"]);
    assert_eq!(names(&again, "nunez"), ["Ana Núñez"]);
    assert_eq!(names(&again, "baker"), ["Zoë Adams-Baker"]);
}

#[wasm_bindgen_test]
async fn damaged_rows_are_reported_and_rebuilt_from_the_documents() {
    let name = database("damaged-rows");
    let (ws, _) = open_fully(&name).await;
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

    let (again, report) = open_fully(&name).await;
    assert_eq!(report.unreadable_rows, [doc_key.to_string()]);
    assert_eq!(names(&again, "grace"), ["Grace Hopper"], "rebuilt from the document");
}

#[wasm_bindgen_test]
async fn an_adopted_workspace_reopens_from_its_stored_rows() {
    use rapport_core::demo::{self, DemoBundle, DemoSizes};
    let name = database("adopted");
    let sizes = DemoSizes {
        parties: 40,
        interactions: 80,
        deals: 5,
        tasks: 10,
        tickets: 10,
        contracts: 4,
        suppliers: 0,
    };
    let bundle = DemoBundle::of(&demo::generate(7, sizes, local::now())).unwrap();
    let (mut ws, _) = open_fully(&name).await;
    let documents = bundle.documents.into_iter().map(|(key, bytes)| (key.parse().unwrap(), bytes));
    ws.adopt(bundle.workspace, documents.collect()).await.unwrap();
    assert_eq!(names(&ws, "").len(), 40);
    drop(ws);

    let (again, report) = LocalWorkspace::open(&name).await.unwrap();
    assert_eq!(again.workspace, bundle.workspace);
    assert!(report.unreadable_rows.is_empty(), "{report:?}");
    assert_eq!(
        names(&again, "").len(),
        40,
        "every adopted party is listed without loading documents"
    );
}

#[wasm_bindgen_test]
async fn many_edits_are_compacted_and_nothing_is_lost() {
    let name = database("compacted");
    let (ws, _) = open_fully(&name).await;
    let shared = Rc::new(RefCell::new(ws));
    let id = PartyId::generate(&mut BrowserIds);
    local::create(&shared, id, Party { name: "Edit 0".into(), ..Party::default() }).await.unwrap();
    for edit in 1..=60 {
        local::update::<Party>(&shared, id, |p| p.name = format!("Edit {edit}")).await.unwrap();
    }
    let (workspace, doc_key) = {
        let ws = shared.borrow();
        (ws.workspace, <Party as rapport_core::document::Record>::doc_key(&id))
    };
    let store = rapport_app::storage::ChunkStore::open(&name).await.unwrap();
    let loaded = store.load(doc_key.document_id(workspace)).await.unwrap();
    assert!(
        loaded.incremental_count <= 32,
        "61 edits were folded into a snapshot as they grew: {} increments left",
        loaded.incremental_count
    );
    assert!(loaded.corrupt.is_empty());

    // Checking everything compacts what is left into one snapshot per document, losing nothing.
    let check = local::check_and_compact(&shared).await.unwrap();
    assert!(check.damaged.is_empty(), "{check:?}");
    assert!(check.documents > 1 && check.bytes_after <= check.bytes_before, "{check:?}");
    let loaded = store.load(doc_key.document_id(workspace)).await.unwrap();
    assert_eq!((loaded.chunk_keys.len(), loaded.incremental_count), (1, 0));
    drop(shared);

    let (again, _) = open_fully(&name).await;
    assert_eq!(names(&again, "edit"), ["Edit 60"]);
    let again = Rc::new(RefCell::new(again));
    local::update::<Party>(&again, id, |p| p.name.push_str(" and one more")).await.unwrap();
    assert_eq!(
        names(&again.borrow(), "edit"),
        ["Edit 60 and one more"],
        "the document itself reloads"
    );
}

/// A small seeded generator: the edit sequence is random but the same on every run.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[wasm_bindgen_test]
async fn the_stored_read_model_matches_the_documents_after_random_edits() {
    use rapport_core::ids::TaskId;
    use rapport_core::model::{ContactPoint, Task};
    use rapport_core::read_model::ReadModel;

    const NAMES: [&str; 8] = [
        "Åsa Öberg",
        "Пётр Ёлкин",
        "Zoë Adams",
        "Łukasz Żak",
        "Ольга",
        "Ana Núñez",
        "Chloé",
        "Bob",
    ];
    const TAGS: [&str; 4] = ["vip", "поставщик", "lead", "évent"];
    for seed in [1_u64, 7, 42] {
        let name = database(&format!("random-edits-{seed}"));
        let (ws, _) = open_fully(&name).await;
        let workspace = ws.workspace;
        let shared = Rc::new(RefCell::new(ws));
        let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut parties: Vec<PartyId> = Vec::new();
        let mut tasks: Vec<TaskId> = Vec::new();
        for _ in 0..60 {
            match rng.below(6) {
                0 | 1 => {
                    let id = PartyId::generate(&mut BrowserIds);
                    let party =
                        Party { name: NAMES[rng.below(NAMES.len())].into(), ..Party::default() };
                    local::create(&shared, id, party).await.unwrap();
                    parties.push(id);
                }
                2 if !parties.is_empty() => {
                    let id = parties[rng.below(parties.len())];
                    let (name, tag) = (NAMES[rng.below(NAMES.len())], TAGS[rng.below(TAGS.len())]);
                    local::update::<Party>(&shared, id, |p| {
                        p.name = format!("{name} {}", p.name.len());
                        p.tags.insert(tag.into(), true);
                    })
                    .await
                    .unwrap();
                }
                3 if !parties.is_empty() => {
                    let id = parties[rng.below(parties.len())];
                    let email = format!("person{}@example.test", rng.below(100));
                    local::update::<Party>(&shared, id, |p| {
                        p.emails = vec![ContactPoint { label: "work".into(), value: email }]
                    })
                    .await
                    .unwrap();
                }
                4 => {
                    let id = TaskId::generate(&mut BrowserIds);
                    let task = Task {
                        title: format!("Call {}", rng.below(100)),
                        due: None,
                        assignee: None,
                        links: Vec::new(),
                        done_at: None,
                        recurrence: None,
                        snoozed_until: None,
                        created_at: local::now(),
                        archived: false,
                    };
                    local::create(&shared, id, task).await.unwrap();
                    tasks.push(id);
                }
                _ if !tasks.is_empty() => {
                    let id = tasks[rng.below(tasks.len())];
                    let archive = rng.below(4) == 0;
                    local::update::<Task>(&shared, id, |t| {
                        t.title.push('!');
                        t.archived = archive;
                    })
                    .await
                    .unwrap();
                }
                _ => {}
            }
        }
        drop(shared);

        // What the next session reads (stored rows only) ...
        let (stored, report) = open_fully(&name).await;
        assert!(report.unreadable_rows.is_empty());
        // ... against rows derived afresh from every stored document.
        let store = rapport_app::storage::ChunkStore::open(&name).await.unwrap();
        let mut derived = ReadModel::default();
        for key in stored.model.heads.keys().copied() {
            let mut doc = store.load(key.document_id(workspace)).await.unwrap().document.unwrap();
            derived.replace_document(key, &mut doc);
        }
        assert_eq!(stored.model.parties, derived.parties, "seed {seed}");
        assert_eq!(stored.model.tasks, derived.tasks, "seed {seed}");
        assert_eq!(stored.model.parties.len(), parties.len(), "seed {seed}");
        for query in ["пётр", "asa", "lukasz", "vip", "person1", "EVENT"] {
            let mut a: Vec<_> = stored.model.search.matching(query).into_iter().collect();
            let mut b: Vec<_> = derived.search.matching(query).into_iter().collect();
            a.sort();
            b.sort();
            assert_eq!(a, b, "seed {seed}, query {query:?}");
        }
    }
}

#[wasm_bindgen_test]
async fn a_failed_save_is_an_error_and_is_not_shown() {
    let name = database("failed-save");
    let (ws, _) = open_fully(&name).await;
    let shared = Rc::new(RefCell::new(ws));
    let id = PartyId::generate(&mut BrowserIds);
    local::create(&shared, id, Party { name: "Saved Person".into(), ..Party::default() })
        .await
        .unwrap();

    // The device storage goes away (here: its connection is closed), then the user edits.
    shared.borrow().close_storage();
    let renamed = local::update::<Party>(&shared, id, |p| p.name = "Unsaved Name".into()).await;
    assert!(renamed.is_err(), "the edit must fail, not pretend");
    let added = PartyId::generate(&mut BrowserIds);
    let created =
        local::create(&shared, added, Party { name: "Unsaved Person".into(), ..Party::default() })
            .await;
    assert!(created.is_err());
    {
        let ws = shared.borrow();
        assert_eq!(names(&ws, "saved"), ["Saved Person"], "the list shows only what is stored");
        assert!(names(&ws, "unsaved").is_empty());
    }

    // What the device holds agrees.
    let (again, _) = open_fully(&name).await;
    assert_eq!(names(&again, ""), ["Saved Person"]);
}

/// A colleague's changes, merged as the sync engine merges them, are in the read model at once and in
/// the stored rows of the next session; the ledger of edits not yet on the relay survives a reload and
/// empties once the relay confirms.
#[wasm_bindgen_test]
async fn a_colleagues_changes_are_listed_and_the_unsynced_ledger_survives_a_reload() {
    use rapport_core::document::Record;
    let (mine, theirs) = (database("ledger-mine"), database("ledger-theirs"));
    let (ws, _) = open_fully(&mine).await;
    let workspace = ws.workspace;
    let shared = Rc::new(RefCell::new(ws));
    let id = PartyId::generate(&mut BrowserIds);
    local::create(&shared, id, Party { name: "Acme Ltd".into(), ..Party::default() })
        .await
        .unwrap();
    let key = Party::doc_key(&id);
    assert_eq!(shared.borrow().unsynced_edits(), 1);
    assert!(shared.borrow().is_unsynced(&id.to_string()));
    let changes = local::with_document(&shared, key, |doc| doc.save()).await.unwrap();
    drop(shared);

    // The colleague's device holds the same workspace and receives the change.
    let (colleague, _) = open_fully(&theirs).await;
    let colleague = Rc::new(RefCell::new(colleague));
    local::switch_workspace(&colleague, workspace).await.unwrap();
    drop(colleague);
    let (colleague, _) = open_fully(&theirs).await;
    assert_eq!(colleague.workspace, workspace);
    assert!(colleague.linked, "a joined workspace syncs");
    let colleague = Rc::new(RefCell::new(colleague));
    let changed =
        local::merge_remote(&colleague, key, |doc| doc.load_incremental(&changes).map(drop))
            .await
            .unwrap();
    assert!(changed);
    assert_eq!(names(&colleague.borrow(), "acme"), ["Acme Ltd"]);
    assert_eq!(colleague.borrow().unsynced_edits(), 0, "a colleague's change is not mine to push");
    let again =
        local::merge_remote(&colleague, key, |doc| doc.load_incremental(&changes).map(drop))
            .await
            .unwrap();
    assert!(!again, "the same changes twice change nothing");
    drop(colleague);
    let (colleague, _) = open_fully(&theirs).await;
    assert_eq!(names(&colleague, "acme"), ["Acme Ltd"], "stored with its rows");

    // My ledger: still one edit after a reload, none once the relay has it.
    let (ws, _) = open_fully(&mine).await;
    assert_eq!(ws.unsynced_edits(), 1);
    let shared = Rc::new(RefCell::new(ws));
    let ledger = shared.borrow_mut().replica.mark_synced(key).expect("it had edits");
    local::perform(&shared, vec![ledger]).await;
    drop(shared);
    let (ws, _) = open_fully(&mine).await;
    assert_eq!(ws.unsynced_edits(), 0);
}

/// What the relay would send a new device for one party document holding `name` (and the key): the Web
/// Worker's job, merged as the worker merges it.
fn merged_by_the_worker(
    name: &str,
) -> (rapport_core::layout::DocKey, rapport_core::offload::Merged) {
    use automerge::sync::{self as am_sync, SyncDoc};
    use rapport_core::document::{self, Record};
    use rapport_core::offload::{self, SyncState, WholeDocument};
    let id = PartyId::generate(&mut BrowserIds);
    let key = Party::doc_key(&id);
    let mut relay = document::new_document();
    document::put(&mut relay, &id.to_string(), &Party { name: name.into(), ..Party::default() })
        .unwrap();
    let mut relay_state = am_sync::State::new();
    let mut device_state = am_sync::State::new();
    let ask = document::new_document().sync().generate_sync_message(&mut device_state).unwrap();
    relay.sync().receive_sync_message(&mut relay_state, ask).unwrap();
    let offer = relay.sync().generate_sync_message(&mut relay_state).unwrap();
    let job = WholeDocument {
        key: key.to_string(),
        state: SyncState::of(&device_state),
        message: offer.encode(),
    };
    (key, offload::merge_whole(&job).unwrap())
}

/// Stores what the worker merged, as the sync session does (`Session::worker_done`): its snapshot with
/// its rows, then — if an edit reached the document meanwhile — the page's copy holding both.
async fn store_merged(
    shared: &Rc<RefCell<LocalWorkspace>>,
    key: rapport_core::layout::DocKey,
    merged: &rapport_core::offload::Merged,
) {
    let chunk = shared.borrow().replica.merged_chunk(key, merged);
    local::store_chunk(shared, &chunk).await.unwrap();
    let again = shared.borrow_mut().replica.merged_stored(key, merged).unwrap();
    if let Some(again) = again {
        local::store_chunk(shared, &again).await.unwrap();
    }
}

/// Whether the device holds nothing of document `key` (the worker may merge it).
async fn holds_nothing(
    shared: &Rc<RefCell<LocalWorkspace>>,
    key: rapport_core::layout::DocKey,
) -> bool {
    if let Some(heads) = shared.borrow().replica.stored_heads(key) {
        return heads.is_empty();
    }
    local::with_document(shared, key, |doc| doc.get_heads().is_empty()).await.unwrap()
}

/// A device that has just joined a colleague's workspace: nothing of it is on the device yet.
async fn joined(name: &str) -> Rc<RefCell<LocalWorkspace>> {
    let (ws, _) = open_fully(name).await;
    let shared = Rc::new(RefCell::new(ws));
    let workspace = rapport_core::ids::WorkspaceId::generate(&mut BrowserIds);
    local::switch_workspace(&shared, workspace).await.unwrap();
    drop(shared);
    let (ws, _) = open_fully(name).await;
    assert_eq!(ws.workspace, workspace);
    Rc::new(RefCell::new(ws))
}

#[wasm_bindgen_test]
async fn a_document_merged_by_the_worker_is_stored_shown_and_kept_with_an_edit_made_meanwhile() {
    use rapport_core::document::Record;
    // The usual case: the page stores the worker's snapshot and rows without loading the document.
    let name = database("worker-merge");
    let shared = joined(&name).await;
    let (key, merged) = merged_by_the_worker("Worker One");
    assert!(holds_nothing(&shared, key).await);
    store_merged(&shared, key, &merged).await;
    assert_eq!(names(&shared.borrow(), "worker"), ["Worker One"]);
    assert_eq!(shared.borrow().replica.stored_heads(key), Some(merged.heads()));
    assert!(!holds_nothing(&shared, key).await);
    drop(shared);
    let (again, _) = open_fully(&name).await;
    assert_eq!(names(&again, "worker"), ["Worker One"], "stored with its rows");
    let again = Rc::new(RefCell::new(again));
    let heads = local::with_document(&again, key, |doc| doc.get_heads()).await.unwrap();
    assert_eq!(heads, merged.heads(), "and the document itself");

    // A local edit reached the same document while the worker ran: both are kept.
    let name = database("worker-merge-edited");
    let shared = joined(&name).await;
    let (key, merged) = merged_by_the_worker("Worker Two");
    let mine = loop {
        let id = PartyId::generate(&mut BrowserIds);
        if Party::doc_key(&id) == key {
            break id;
        }
    };
    assert!(holds_nothing(&shared, key).await);
    local::create(&shared, mine, Party { name: "Typed Meanwhile".into(), ..Party::default() })
        .await
        .unwrap();
    store_merged(&shared, key, &merged).await;
    assert_eq!(names(&shared.borrow(), ""), ["Typed Meanwhile", "Worker Two"]);
    assert_eq!(shared.borrow().replica.stored_heads(key), None, "the page holds the document now");
    drop(shared);
    let (again, _) = open_fully(&name).await;
    assert_eq!(names(&again, ""), ["Typed Meanwhile", "Worker Two"]);
}

/// In the browser, search folding removes marks with the browser's own Unicode tables instead of the
/// crate the native build links; it must fold exactly as the native tests pin, one text at a time and
/// when the index folds all parties in one call.
#[wasm_bindgen_test]
fn search_folds_text_in_the_browser_as_the_native_build_does() {
    use rapport_core::search::{FOLD_EXAMPLES, SearchIndex, SearchableParty, fold, words};

    for (text, folded) in FOLD_EXAMPLES {
        assert_eq!(fold(text), *folded, "{text}");
    }
    let id = |n: usize| PartyId::from_bytes([n as u8; 16]);
    let index = SearchIndex::build(FOLD_EXAMPLES.iter().enumerate().map(|(n, (text, _))| {
        (id(n), SearchableParty { names: vec![text], ..Default::default() })
    }));
    for (n, (text, folded)) in FOLD_EXAMPLES.iter().enumerate() {
        for word in words(folded) {
            assert!(index.matching(&word).contains(&id(n)), "{text} is found by {word}");
        }
    }
}
