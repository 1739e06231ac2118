//! A benchmark, not a test (ignored unless asked for): lead scores recomputed for 100,000 people in
//! wasm in headless Chromium after a rule changes — the demo workspace's rules: fit by two segments,
//! calls, meetings and every interaction decaying, campaign opens and clicks
//! (`rapport_core::scoring`) — and one record's score with its reasons. The medians are printed;
//! BENCHMARKS.md records them beside the native figure (`cargo bench -p rapport-core --bench
//! scoring`).
//!
//! `cargo test -p rapport-app --target wasm32-unknown-unknown --release --test
//! in_the_browser -- scoring --include-ignored --nocapture`

use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::Timestamp;
use rapport_core::read_model::ReadModel;
use rapport_core::scoring::Scorer;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::timing::median_ms;

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn lead_scores_for_100_000_people_after_a_rule_change() {
    let now = Timestamp(1_795_000_000_000);
    let sizes = DemoSizes::hundred_thousand();
    let workspace = demo::generate(5, sizes, now);
    let model = ReadModel::of_demo(&workspace);
    let settings = &workspace.settings;
    let engagement = demo::engagement(&model, now);
    let mut scored = 0;
    let all_ms = median_ms(9, || {
        scored = Scorer::new(&model, settings, &engagement, now).scores().len();
    });
    let first = *model.parties.keys().next().unwrap();
    let one_ms = median_ms(9, || {
        std::hint::black_box(Scorer::new(&model, settings, &engagement, now).score(first));
    });
    console_log!(
        "lead scores for 100,000 people in wasm: everyone {all_ms:.0} ms, one record with its reasons {one_ms:.1} ms (medians of 9); {scored} scored"
    );
    assert!(scored > 50_000, "most people score something: {scored}");
}

/// The same workload as the app runs it since scores left the page (`rapport_core::mirror`): what the
/// worker does — take in every stored unit when it starts, take in a changed month of interactions,
/// score everyone — and what stays on the page per recompute: encoding the job with the campaign
/// engagement, and decoding the answer into the map the screens read. (The worker's share runs here
/// on the test's own thread: the same wasm, the time a worker's thread takes.)
#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn lead_scores_off_the_page_for_100_000_people() {
    use std::collections::HashMap;

    use rapport_core::ids::PartyId;
    use rapport_core::mirror::{Mirror, Workload, demo_workload};
    use rapport_core::offload::{self, Job, Outcome};

    let Workload { opening, job, one_month: one, .. } = demo_workload(Timestamp(1_795_000_000_000));
    let stored_bytes: usize = opening.units.values().map(|bytes| bytes.len()).sum();
    let mut mirror = Mirror::default();
    let start_ms = median_ms(5, || {
        mirror = Mirror::default();
        mirror.take(opening.clone()).unwrap();
    });
    let month_ms = median_ms(9, || {
        mirror.take(one.clone()).unwrap();
    });
    let mut scores = Vec::new();
    let score_ms = median_ms(9, || scores = mirror.scores(job.clone()).unwrap());
    let scored = scores.len();
    let answer = offload::encode_outcome(&Ok(Outcome::Scores(scores)));
    let encode_ms = median_ms(9, || {
        std::hint::black_box(offload::encode_job(&Job::Scores(job.clone())));
    });
    let mut read = HashMap::new();
    let decode_ms = median_ms(9, || {
        let Ok(Outcome::Scores(scores)) = offload::decode_outcome(&answer) else { unreachable!() };
        read = scores.into_iter().collect::<HashMap<PartyId, i64>>();
    });
    console_log!(
        "lead scores off the page, 100,000 people, wasm (medians): worker — takes in every stored unit ({} KB) {start_ms:.0} ms, a month of interactions {month_ms:.1} ms, scores everyone {score_ms:.0} ms; page — encodes the job {encode_ms:.1} ms, decodes the answer ({} KB) {decode_ms:.1} ms; {scored} scored",
        stored_bytes / 1024,
        answer.len() / 1024,
    );
    assert_eq!(read.len(), scored);
    assert!(scored > 50_000, "most people score something: {scored}");
}
