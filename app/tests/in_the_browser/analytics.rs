//! A benchmark, not a test (ignored unless asked for): the sales dashboard (issue 23) in wasm in
//! headless Chromium over the analytics demo workspace — 100,000 parties, 500,000 interactions,
//! 20,000 deals: the dashboard's figures over 12 months, the funnel, the relationships going cold and
//! one record's health, each computed from the read model as the page computes them. The medians are
//! printed; BENCHMARKS.md records them beside the native figures (`cargo bench -p rapport-core
//! --bench analytics`).
//!
//! `cargo test -p rapport-app --target wasm32-unknown-unknown --release --test in_the_browser --
//! analytics --include-ignored --nocapture`

use rapport_core::analytics::{self, Months, SalesFilter};
use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::{PipelineId, Timestamp};
use rapport_core::model::PipelineKind;
use rapport_core::read_model::ReadModel;
use rapport_core::relationship;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::timing::median_ms;

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn the_sales_dashboard_over_500_000_interactions() {
    let now = Timestamp(1_795_000_000_000);
    let workspace = demo::generate(5, DemoSizes::analytics(), now);
    let model = ReadModel::of_demo(&workspace);
    let settings = &workspace.settings;
    let pipeline: PipelineId = settings
        .pipelines
        .iter()
        .find(|(_, p)| p.kind == PipelineKind::Sales)
        .and_then(|(id, _)| id.parse().ok())
        .expect("the demo's sales pipeline");
    let filter = SalesFilter {
        months: Months::ending_at(now, 12),
        pipeline,
        currency: analytics::main_currency(&model, settings, pipeline),
        owner: None,
    };
    let mut open = 0;
    let dashboard_ms = median_ms(9, || {
        open = analytics::sales(&model, settings, &filter, now).open().count();
    });
    let funnel_ms = median_ms(9, || {
        std::hint::black_box(analytics::funnel(&model, settings, &filter));
    });
    let mut cold = 0;
    let cold_ms = median_ms(5, || cold = relationship::going_cold(&model, settings, now).len());
    let first = *model.parties.keys().next().unwrap();
    let record_ms = median_ms(9, || {
        std::hint::black_box(relationship::signals_of(&model, settings, first, now));
    });
    console_log!(
        "analytics over 100,000 parties / 500,000 interactions / 20,000 deals in wasm (medians): sales dashboard, 12 months {dashboard_ms:.1} ms; funnel {funnel_ms:.1} ms; going cold {cold_ms:.0} ms ({cold} listed); one record's health {record_ms:.1} ms; {open} open deals counted"
    );
    assert!(open > 1_000, "the dashboard counts the open deals: {open}");
}
