//! A benchmark, not a test (ignored unless asked for): the sales dashboard (issue 23) in wasm in
//! headless Chromium over the analytics demo workspace — 100,000 parties, 500,000 interactions,
//! 20,000 deals. First each figure computed from a read model, as the page computes them when no
//! worker can; then as the app runs them, in the worker's read model (`rapport_core::mirror`, the
//! device's analytics index): building it from every stored unit, taking in one changed document,
//! answering, and the page's share (decoding the answer). The worker's share runs here on the test's
//! own thread: the same wasm, the time a worker's thread takes. The medians are printed; BENCHMARKS.md
//! records them beside the native figures (`cargo bench -p rapport-core --bench analytics`).
//!
//! `cargo test -p rapport-app --target wasm32-unknown-unknown --release --test in_the_browser --
//! analytics --include-ignored --nocapture`

use rapport_core::analytics;
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::Timestamp;
use rapport_core::mirror::{Mirror, Workload, demo_workload_of};
use rapport_core::offload::{self, Outcome};
use rapport_core::read_model::ReadModel;
use rapport_core::relationship;
use rapport_core::report::{self, Dimension, Measure, ReportDef, Source};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::timing::median_ms;

const NOW: Timestamp = Timestamp(1_795_000_000_000);

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn the_sales_dashboard_over_500_000_interactions() {
    let workspace = demo::generate(5, DemoSizes::analytics(), NOW);
    let model = ReadModel::of_demo(&workspace);
    let settings = &workspace.settings;
    let filter = analytics::demo_filter(&model, settings, NOW);
    let mut open = 0;
    let dashboard_ms = median_ms(9, || {
        open = analytics::sales(&model, settings, &filter, NOW).open().count();
    });
    let funnel_ms = median_ms(9, || {
        std::hint::black_box(analytics::funnel(&model, settings, &filter));
    });
    let mut cold = 0;
    let cold_ms = median_ms(5, || cold = relationship::going_cold(&model, settings, NOW).len());
    let first = *model.parties.keys().next().unwrap();
    let record_ms = median_ms(9, || {
        std::hint::black_box(relationship::signals_of(&model, settings, first, NOW));
    });
    // The report builder's widest questions: every interaction by month, a year's by owner.
    let report = |source, months, group| ReportDef::grouped(source, months, group, Measure::Count);
    let all_time = report(Source::Interactions, 0, Dimension::Month);
    let mut counted = 0;
    let all_time_ms = median_ms(5, || {
        let answer = report::run(&model, settings, &all_time, NOW);
        counted = answer.rows.iter().map(|r| r.records.len()).sum::<usize>();
    });
    let by_owner = report(Source::Interactions, 12, Dimension::Owner);
    let by_owner_ms = median_ms(5, || {
        std::hint::black_box(report::run(&model, settings, &by_owner, NOW));
    });
    console_log!(
        "analytics over 100,000 parties / 500,000 interactions / 20,000 deals in wasm, on a read model (medians): sales dashboard, 12 months {dashboard_ms:.1} ms; funnel {funnel_ms:.1} ms; going cold {cold_ms:.0} ms ({cold} listed); one record's health {record_ms:.1} ms; {open} open deals counted; report of every interaction by month {all_time_ms:.0} ms ({counted} counted), of a year's by owner {by_owner_ms:.0} ms"
    );
    assert!(counted > 400_000, "the report counts the interactions: {counted}");
    assert!(open > 1_000, "the dashboard counts the open deals: {open}");
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn the_analytics_index_in_the_worker_over_500_000_interactions() {
    let Workload { opening, sales, health, one_month, one_deals, .. } =
        demo_workload_of(DemoSizes::analytics(), NOW);
    let stored_bytes: usize = opening.units.values().map(|bytes| bytes.len()).sum();
    let mut index = Mirror::default();
    let build_ms = median_ms(3, || {
        index = Mirror::default();
        index.take(opening.clone()).unwrap();
    });
    let deals_ms = median_ms(9, || {
        index.take(one_deals.clone()).unwrap();
    });
    let month_ms = median_ms(9, || {
        index.take(one_month.clone()).unwrap();
    });
    let mut board = None;
    let sales_ms = median_ms(9, || board = Some(index.sales(&sales).unwrap()));
    let mut everyone = Default::default();
    let health_ms = median_ms(5, || everyone = index.health(health).unwrap());
    let counted = everyone.health.len();
    let board = offload::encode_outcome(&Ok(Outcome::Sales(Box::new(board.unwrap()))));
    let everyone = offload::encode_outcome(&Ok(Outcome::Health(Box::new(everyone))));
    let mut open = 0;
    let decode_board_ms = median_ms(9, || {
        let Ok(Outcome::Sales(board)) = offload::decode_outcome(&board) else { unreachable!() };
        open = board.open().count();
    });
    let mut read = Default::default();
    let decode_health_ms = median_ms(9, || {
        let Ok(Outcome::Health(all)) = offload::decode_outcome(&everyone) else { unreachable!() };
        read = *all;
    });
    let cold = read.coldest.len();
    let coldest_ms = median_ms(9, || {
        let parties = &index.model().parties;
        std::hint::black_box(read.coldest.iter().filter_map(|id| parties.get(id)).take(20).count());
    });
    console_log!(
        "the analytics index in the worker, 500,000 interactions, wasm (medians): worker — builds it from every stored unit ({} KB) {build_ms:.0} ms, takes in a document of deals {deals_ms:.1} ms, a month of interactions {month_ms:.1} ms, the sales dashboard {sales_ms:.1} ms, everyone's health {health_ms:.0} ms; page — decodes the dashboard ({} KB) {decode_board_ms:.1} ms, everyone's health ({} KB, {counted} records) {decode_health_ms:.1} ms, the twenty coldest of {cold} {coldest_ms:.1} ms",
        stored_bytes / 1024,
        board.len() / 1024,
        everyone.len() / 1024,
    );
    assert!(open > 1_000, "the dashboard counts the open deals: {open}");
    assert_eq!(read.health.len(), counted);
}
