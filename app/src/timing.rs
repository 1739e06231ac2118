//! User Timing marks and measures (`performance.mark` / `performance.measure`), so the browser benchmark
//! harness — and anyone with DevTools open — sees how long the app's own work takes, without the app
//! keeping timings of its own.
//!
//! Each measure replaces the previous one of its name: a session of typing leaves one entry per name,
//! not one per keystroke.

/// Records that `name` happened now, once per page load (later calls are ignored).
pub fn mark_once(name: &str) {
    let Some(performance) = performance() else { return };
    if performance.get_entries_by_name(name).length() == 0 {
        let _ = performance.mark(name);
    }
}

/// Records that `name` happened now, every time (DevTools and the tests count them).
pub fn mark(name: &str) {
    if let Some(performance) = performance() {
        let _ = performance.mark(name);
    }
}

/// A piece of work being timed; [`Span::end`] records it as the measure of its name.
#[derive(Debug)]
#[must_use = "a span records nothing until it ends"]
pub struct Span {
    name: &'static str,
}

impl Span {
    pub fn start(name: &'static str) -> Span {
        if let Some(performance) = performance() {
            let _ = performance.mark(&start_mark(name));
        }
        Span { name }
    }

    pub fn end(self) {
        let Some(performance) = performance() else { return };
        let start = start_mark(self.name);
        performance.clear_measures_with_measure_name(self.name);
        let _ = performance.measure_with_start_mark(self.name, &start);
        performance.clear_marks_with_mark_name(&start);
    }
}

fn start_mark(name: &str) -> String {
    format!("{name}/start")
}

fn performance() -> Option<web_sys::Performance> {
    web_sys::window()?.performance()
}

/// Starts (`started`) or ends the measure `name`, for code that reports its phases as they happen
/// (the replica's edits) instead of holding a [`Span`].
pub fn phase(name: &'static str, started: bool) {
    if started {
        let _ = Span::start(name);
    } else {
        Span { name }.end();
    }
}
