//! A bar chart as the dashboards draw it: a row per category, its label above one bar per series, the
//! value at the bar's end. Rows rather than columns so a label of any length reads at 390 px; each bar
//! is a button (what it counts opens below the chart) and the same numbers are a table behind it, for
//! screen readers and for a CSV file.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};

/// One row of a chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChartRow {
    /// Stable across languages: what a pick remembers and tests find.
    pub key: String,
    pub label: String,
    /// One value per series; the bars' lengths are proportional to them.
    pub values: Vec<i64>,
    /// The same values as people read them ("€12,500", "7").
    pub shown: Vec<String>,
    /// And as a spreadsheet reads them ("12500.00", "7"), for the CSV file.
    pub plain: Vec<String>,
}

/// A bar someone picked: the row's key and the series.
pub(crate) type Pick = Option<(String, usize)>;

#[component]
pub(crate) fn BarChart(
    /// The chart's test handle and its CSV file's name.
    testid: &'static str,
    #[prop(into)] title: Signal<String>,
    /// The series' names; a legend shows when there is more than one.
    #[prop(into)]
    series: Signal<Vec<String>>,
    #[prop(into)] rows: Signal<Vec<ChartRow>>,
    /// Said when there are no rows.
    #[prop(into)]
    empty: Signal<String>,
    picked: RwSignal<Pick>,
    /// What the picked bar counts, shown under the chart.
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let i18n = use_i18n();
    let largest = Memo::new(move |_| {
        rows.with(|rows| {
            rows.iter().flat_map(|r| r.values.iter().copied()).max().unwrap_or(0).max(1)
        })
    });
    let refused = RwSignal::new(None::<String>);
    let export = move |_| {
        let header: Vec<String> =
            std::iter::once(title.get_untracked()).chain(series.get_untracked()).collect();
        let lines: Vec<Vec<String>> = rows.with_untracked(|rows| {
            rows.iter()
                .map(|row| std::iter::once(row.label.clone()).chain(row.plain.clone()).collect())
                .collect()
        });
        // With a byte-order mark, so a spreadsheet reads the labels as UTF-8 (Cyrillic included).
        let csv = format!("\u{feff}{}", rapport_core::analytics::table_csv(&header, &lines));
        let name = format!("{testid}.csv");
        refused.set(super::download_text(&name, "text/csv;charset=utf-8", &csv).err());
    };
    view! {
        <section class="panel chart" data-testid=testid>
            <div class="chart-head">
                <h2>{move || title.get()}</h2>
                <button
                    type="button"
                    data-testid="chart-csv"
                    aria-label=move || t_string!(i18n, analytics.csv_of, chart = title.get()).to_string()
                    on:click=export
                >
                    {t!(i18n, analytics.csv)}
                </button>
            </div>
            <Show when=move || series.with(|s| s.len() > 1)>
                <p class="chart-legend">
                    {move || series.get().into_iter().enumerate().map(|(n, name)| view! {
                        <span class=format!("legend series-{n}")>{name}</span>
                    }).collect_view()}
                </p>
            </Show>
            <Show when=move || rows.with(|r| !r.is_empty()) fallback=move || view! { <p class="hint" data-testid="chart-empty">{move || empty.get()}</p> }>
                <ul class="bars">
                    {move || {
                        let largest = largest.get();
                        let names = series.get();
                        rows.get().into_iter().map(|row| {
                            let key = row.key.clone();
                            let bars = row.values.iter().zip(&row.shown).enumerate().map(|(n, (value, shown))| {
                                let width = (*value).max(0) as f64 * 100.0 / largest as f64;
                                let key = key.clone();
                                let mine = {
                                    let key = key.clone();
                                    move || picked.with(|p| p.as_ref().is_some_and(|(k, s)| *k == key && *s == n))
                                };
                                let name = names.get(n).cloned().unwrap_or_default();
                                let label = if names.len() > 1 { format!("{}, {name}: {shown}", row.label) } else { format!("{}: {shown}", row.label) };
                                view! {
                                    <button
                                        type="button"
                                        class="bar-pick"
                                        data-testid="chart-bar"
                                        data-key=key.clone()
                                        data-series=n.to_string()
                                        data-value=value.to_string()
                                        aria-label=label
                                        aria-pressed=move || mine().to_string()
                                        on:click=move |_| picked.update(|p| {
                                            let this = Some((key.clone(), n));
                                            *p = if *p == this { None } else { this };
                                        })
                                    >
                                        <svg class=format!("bar-track series-{n}") viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                                            <rect x="0" y="0" height="10" rx="1" width=format!("{width:.2}") />
                                        </svg>
                                        <span class="bar-value">{shown.clone()}</span>
                                    </button>
                                }
                            }).collect_view();
                            view! {
                                <li class="bar-row" data-testid="chart-row" data-key=row.key.clone()>
                                    <span class="bar-label">{row.label.clone()}</span>
                                    {bars}
                                </li>
                            }
                        }).collect_view()
                    }}
                </ul>
                <details class="chart-table">
                    <summary>{t!(i18n, analytics.as_table)}</summary>
                    <table class="data-table">
                        <thead><tr>
                            <th>{move || title.get()}</th>
                            {move || series.get().into_iter().map(|name| view! { <th class="number">{name}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {move || rows.get().into_iter().map(|row| view! {
                                <tr>
                                    <th scope="row">{row.label}</th>
                                    {row.shown.into_iter().map(|shown| view! { <td class="number">{shown}</td> }).collect_view()}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </details>
            </Show>
            {move || refused.get().map(|why| view! { <p class="error" role="alert">{why}</p> })}
            {move || picked.with(Option::is_some).then(|| children.as_ref().map(|c| c()))}
        </section>
    }
}
