//! A benchmark, not a test (ignored unless asked for): the engagement dashboard over two years of
//! weekly pulses for 1,000 people — 104 rounds of 1,000 answers, ten teams apart — computed in wasm
//! in headless Chromium, as a survey's page computes it (`rapport_core::pulse`): from the rounds'
//! kept summaries, and from scratch (every round tallied first: a device that has kept nothing). The
//! medians are printed; BENCHMARKS.md records them.
//!
//! `cargo test -p rapport-app --target wasm32-unknown-unknown --release --test
//! in_the_browser -- engagement --include-ignored --nocapture`

use rapport_core::pulse::{self, RoundSummary};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::timing::median_ms;

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn engagement_dashboard_over_two_years_of_weekly_pulses() {
    let survey = rapport_core::demo::pulse_survey();
    let rounds = rapport_core::demo::pulse_rounds(25, 104, 1_000, 10);
    let summaries: Vec<RoundSummary> =
        rounds.iter().enumerate().map(|(n, r)| pulse::summarise(&survey, n as u32, r)).collect();
    // Microseconds each: timed a hundred at a time, the browser's clock being coarser than that.
    let kept = median_ms(21, || {
        for _ in 0..100 {
            std::hint::black_box(pulse::engagement(&survey, &summaries));
        }
    }) / 100.0;
    let one_round = median_ms(21, || {
        std::hint::black_box(pulse::summarise(&survey, 0, &rounds[0]));
    });
    let from_scratch = median_ms(9, || {
        let summaries: Vec<RoundSummary> = rounds
            .iter()
            .enumerate()
            .map(|(n, r)| pulse::summarise(&survey, n as u32, r))
            .collect();
        std::hint::black_box(pulse::engagement(&survey, &summaries));
    });
    console_log!(
        "engagement in wasm: from the kept summaries {kept:.3} ms; one round summed up {one_round:.2} ms; from scratch {from_scratch:.1} ms (medians)"
    );
    assert_eq!(summaries.len(), 104);
}
