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
