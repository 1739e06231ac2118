//! A benchmark, not a test (ignored unless asked for): a segment counted over 100,000 people in wasm
//! in headless Chromium, as the segment page counts it on every keystroke — the audience's facts
//! gathered (deals and tickets by party, lists, opt-outs) and the rule evaluated over every row
//! (`rapport_core::segments`). The medians are printed; BENCHMARKS.md records them.
//!
//! `cargo test -p rapport-app --target wasm32-unknown-unknown --release --test
//! in_the_browser -- segments --include-ignored --nocapture`

use rapport_core::demo::{self, DemoSizes};
use rapport_core::ids::Timestamp;
use rapport_core::model::{
    Condition, ConditionGroup, ConsentState, DealState, Op, PartyField, RuleCondition, SegmentRule,
};
use rapport_core::read_model::ReadModel;
use rapport_core::segments::Audience;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::timing::median_ms;

fn only(conditions: Vec<Condition>) -> SegmentRule {
    let conditions = conditions
        .into_iter()
        .enumerate()
        .map(|(n, test)| RuleCondition { id: n.to_string(), test })
        .collect();
    SegmentRule {
        any: false,
        groups: vec![ConditionGroup { id: "g".into(), any: false, conditions }],
    }
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn a_segment_counted_over_100_000_people_while_typing() {
    let now = Timestamp(1_795_000_000_000);
    let sizes = DemoSizes::hundred_thousand();
    let workspace = demo::generate(5, sizes, now);
    let model = ReadModel::of_demo(&workspace);
    let settings = &workspace.settings;
    let opted_out: Vec<String> = Vec::new();
    // What a person types, a letter at a time, into "name contains", beside two choices made before.
    let typing = ["А", "Ан", "Анн", "Анна"].map(|typed| {
        only(vec![
            Condition::Role { role: "customer".into(), has: true },
            Condition::Consent { state: ConsentState::Given },
            Condition::Field { field: PartyField::Name, op: Op::Contains, value: typed.into() },
        ])
    });
    let mut counts = Vec::new();
    let keystroke = median_ms(15, || {
        counts.clear();
        for rule in &typing {
            let audience = Audience::new(&model, settings, opted_out.clone(), now);
            counts.push(audience.count(rule));
        }
    }) / typing.len() as f64;
    let rich = only(vec![
        Condition::Field { field: PartyField::Country, op: Op::Is, value: "Germany".into() },
        Condition::Deal { has: true, state: DealState::Open, stage: None, at_least: Some(100_000) },
        Condition::Contacted { within: false, days: 90 },
    ]);
    let mut rich_count = 0;
    let rich_ms = median_ms(15, || {
        let audience = Audience::new(&model, settings, opted_out.clone(), now);
        rich_count = audience.count(&rich);
    });
    let audience = Audience::new(&model, settings, opted_out.clone(), now);
    let facts_ms = median_ms(15, || {
        std::hint::black_box(Audience::new(&model, settings, opted_out.clone(), now));
    });
    let rule_ms = median_ms(15, || {
        std::hint::black_box(audience.count(&typing[2]));
    });
    console_log!(
        "segment over 100,000 people in wasm: a keystroke {keystroke:.1} ms (facts {facts_ms:.1} ms + rule {rule_ms:.1} ms); country + open deal + not contacted {rich_ms:.1} ms (medians); counts {counts:?}, {rich_count}"
    );
    assert_eq!(model.parties.len(), 100_000);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "each letter narrows: {counts:?}");
}
