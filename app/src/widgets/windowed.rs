//! A long list that renders only the rows near the screen. Rows have one height, which the style sheet
//! sets (`--row` on the list, in px, per screen width), so a row's place is its index times that height and
//! ten thousand rows cost what forty do. The list scrolls with the page — several lists on one page
//! (Tasks' sections, the board's columns) each render the part of themselves the screen shows.

use std::hash::Hash;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Rows rendered beyond the screen's edges, so a fast flick does not show blank space.
const OVERSCAN: usize = 6;

/// Which rows are near the screen: `first..last`, not yet clamped to the list's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    first: usize,
    last: usize,
    row_px: u32,
}

#[component]
pub(crate) fn Windowed<T, K, KF, V, VF>(
    /// Every row, in order.
    #[prop(into)]
    items: Signal<Vec<T>>,
    /// What identifies a row, so a row that stays in its place is kept.
    key: KF,
    /// One row's content; it is placed by the list.
    row: VF,
    /// The list's class; the style sheet gives it `--row`.
    class: &'static str,
    testid: &'static str,
    /// The row height when the style sheet gives none.
    #[prop(default = 56)]
    row_px: u32,
) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
    K: Eq + Hash + Clone + Send + Sync + 'static,
    KF: Fn(&T) -> K + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    VF: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    let list = NodeRef::<leptos::html::Ul>::new();
    let span = RwSignal::new(Span { first: 0, last: 24, row_px });
    let measure = move || {
        let Some(element) = list.get_untracked() else { return };
        let Some(window) = web_sys::window() else { return };
        let px = window
            .get_computed_style(&element)
            .ok()
            .flatten()
            .and_then(|style| style.get_property_value("--row").ok())
            .and_then(|value| value.trim().trim_end_matches("px").parse::<f64>().ok())
            .filter(|px| *px >= 1.0)
            .unwrap_or(f64::from(row_px));
        let top = element.unchecked_ref::<web_sys::Element>().get_bounding_client_rect().top();
        let screen = window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(800.0);
        let first = ((-top / px).floor().max(0.0) as usize).saturating_sub(OVERSCAN);
        let last = ((screen - top) / px).ceil().max(0.0) as usize + OVERSCAN;
        let now = Span { first, last, row_px: px as u32 };
        if span.get_untracked() != now {
            span.set(now);
        }
    };
    let scrolled = window_event_listener(leptos::ev::scroll, move |_| measure());
    let resized = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || {
        scrolled.remove();
        resized.remove();
    });
    // Measured once the list is in the page, and again when its length changes (what is above it may
    // have moved too).
    Effect::new(move || {
        items.with(Vec::len);
        if list.get().is_some() {
            measure();
        }
    });
    let key = StoredValue::new(key);
    let shown = Memo::new(move |_| {
        let Span { first, last, .. } = span.get();
        items.with(|items| {
            let last = last.min(items.len());
            let first = first.min(last);
            items[first..last]
                .iter()
                .enumerate()
                .map(|(n, item)| (first + n, key.with_value(|key| key(item)), item.clone()))
                .collect::<Vec<_>>()
        })
    });
    view! {
        <ul
            class=format!("rows windowed {class}")
            data-testid=testid
            node_ref=list
            style:height=move || format!("{}px", items.with(Vec::len) as u32 * span.with(|s| s.row_px))
        >
            // Keyed by place and identity: scrolling keeps the rendered rows, a new order renders anew.
            <For
                each=move || shown.get()
                key=|(index, key, _)| (*index, key.clone())
                children=move |(index, _, item)| {
                    let row = row.clone();
                    view! {
                        <li class="windowed-row" style:transform=move || format!("translateY({}px)", index as u32 * span.with(|s| s.row_px))>
                            {row(item)}
                        </li>
                    }
                }
            />
        </ul>
    }
}
