//! Timing for the benchmarks that run in the browser (ignored tests printing medians).

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// The median of `runs` timings of `work`, in milliseconds.
pub fn median_ms(runs: usize, mut work: impl FnMut()) -> f64 {
    let mut timings: Vec<f64> = (0..runs)
        .map(|_| {
            let started = now_ms();
            work();
            now_ms() - started
        })
        .collect();
    timings.sort_by(f64::total_cmp);
    timings[runs / 2]
}
