//! A bar chart as the dashboards draw it: a row per category, its label above one bar per series, the
//! value at the bar's end. Rows rather than columns so a label of any length reads at 390 px; each bar
//! is a button (what it counts opens below the chart) and the same numbers are a table behind it, for
//! screen readers and for a CSV file.

use leptos::prelude::*;
use rapport_core::chart::{self, SvgRow};

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

/// How the rows are drawn; the numbers, the table and the files are the same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Shape {
    #[default]
    Bars,
    /// A line through the rows in order (months, weeks), each point a button.
    Line,
    /// Only the table, open.
    Table,
}

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
    /// Bars unless said otherwise.
    #[prop(optional, into)]
    shape: Signal<Shape>,
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
    // The chart as a file of its own: SVG, and PNG drawn from it.
    let svg = move || {
        let lines: Vec<SvgRow> = rows.with_untracked(|rows| {
            rows.iter()
                .map(|row| SvgRow {
                    label: row.label.clone(),
                    values: row.values.clone(),
                    shown: row.shown.clone(),
                })
                .collect()
        });
        let height = chart::height(series.with_untracked(Vec::len), lines.len());
        (chart::bars_svg(&title.get_untracked(), &series.get_untracked(), &lines), height)
    };
    let export_svg = move |_| {
        let name = format!("{testid}.svg");
        refused.set(super::download_text(&name, "image/svg+xml", &svg().0).err());
    };
    let export_png = move |_| {
        let (svg, height) = svg();
        leptos::task::spawn_local(async move {
            let name = format!("{testid}.png");
            refused.set(super::download_png(&name, &svg, chart::WIDTH, height).await.err());
        });
    };
    view! {
        <section class="panel chart" data-testid=testid>
            <div class="chart-head">
                <h2>{move || title.get()}</h2>
                <div class="chart-actions">
                <button
                    type="button"
                    data-testid="chart-csv"
                    aria-label=move || t_string!(i18n, analytics.csv_of, chart = title.get()).to_string()
                    on:click=export
                >
                    {t!(i18n, analytics.csv)}
                </button>
                // The image files draw bars: not offered for a line.
                <Show when=move || shape.get() != Shape::Line>
                    <button
                        type="button"
                        data-testid="chart-svg"
                        aria-label=move || t_string!(i18n, analytics.svg_of, chart = title.get()).to_string()
                        on:click=export_svg
                    >
                        {t!(i18n, analytics.svg)}
                    </button>
                    <button
                        type="button"
                        data-testid="chart-png"
                        aria-label=move || t_string!(i18n, analytics.png_of, chart = title.get()).to_string()
                        on:click=export_png
                    >
                        {t!(i18n, analytics.png)}
                    </button>
                </Show>
                </div>
            </div>
            <Show when=move || series.with(|s| s.len() > 1)>
                <p class="chart-legend">
                    {move || series.get().into_iter().enumerate().map(|(n, name)| view! {
                        <span class=format!("legend series-{n}")>{name}</span>
                    }).collect_view()}
                </p>
            </Show>
            <Show when=move || rows.with(|r| !r.is_empty()) fallback=move || view! { <p class="hint" data-testid="chart-empty">{move || empty.get()}</p> }>
                <Show when=move || shape.get() == Shape::Line>
                    <LineOf rows series picked title />
                </Show>
                <ul class="bars" hidden=move || shape.get() != Shape::Bars>
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
                <details class="chart-table" open=move || shape.get() == Shape::Table>
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

/// The rows as a line per series, left to right, scaled to the largest value; each point is a button
/// that picks its row, and the first and last rows' labels run under it.
#[component]
fn LineOf(
    rows: Signal<Vec<ChartRow>>,
    series: Signal<Vec<String>>,
    picked: RwSignal<Pick>,
    title: Signal<String>,
) -> impl IntoView {
    // In the SVG's own units; it stretches to the panel's width, the strokes do not.
    const WIDE: f64 = 100.0;
    const HIGH: f64 = 40.0;
    let points = Memo::new(move |_| {
        rows.with(|rows| {
            let largest =
                rows.iter().flat_map(|r| r.values.iter().copied()).max().unwrap_or(0).max(1);
            let step = WIDE / (rows.len().max(2) - 1) as f64;
            let at = |n: usize, value: i64| {
                (n as f64 * step, HIGH - value.max(0) as f64 * (HIGH - 2.0) / largest as f64 - 1.0)
            };
            let series = rows.first().map_or(0, |r| r.values.len());
            (0..series)
                .map(|s| {
                    rows.iter()
                        .enumerate()
                        .map(|(n, row)| {
                            let (x, y) = at(n, row.values.get(s).copied().unwrap_or(0));
                            (
                                row.key.clone(),
                                row.label.clone(),
                                row.shown.get(s).cloned().unwrap_or_default(),
                                x,
                                y,
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
    });
    let ends = move || {
        rows.with(|rows| {
            (
                rows.first().map(|r| r.label.clone()),
                rows.last().filter(|_| rows.len() > 1).map(|r| r.label.clone()),
            )
        })
    };
    view! {
        <div class="line-chart" data-testid="chart-line">
            <svg viewBox=format!("0 -2 {WIDE} {}", HIGH + 4.0) preserveAspectRatio="none" role="group" aria-label=move || title.get()>
                {move || points.get().into_iter().enumerate().map(|(s, line)| {
                    let path = line.iter().map(|(_, _, _, x, y)| format!("{x:.2},{y:.2}")).collect::<Vec<_>>().join(" ");
                    let names = series.get();
                    let dots = line.into_iter().map(|(key, label, shown, x, y)| {
                        let name = names.get(s).cloned().unwrap_or_default();
                        let label = if names.len() > 1 { format!("{label}, {name}: {shown}") } else { format!("{label}: {shown}") };
                        let spoken = label.clone();
                        let mine = {
                            let key = key.clone();
                            move || picked.with(|p| p.as_ref().is_some_and(|(k, n)| *k == key && *n == s))
                        };
                        view! {
                            <line
                                class="line-point"
                                data-testid="chart-point"
                                data-key=key.clone()
                                x1=format!("{x:.2}") y1=format!("{y:.2}") x2=format!("{x:.2}") y2=format!("{y:.2}")
                                vector-effect="non-scaling-stroke"
                                role="button"
                                tabindex="0"
                                aria-label=spoken
                                aria-pressed=move || mine().to_string()
                                on:click={
                                    let key = key.clone();
                                    move |_| toggle(picked, key.clone(), s)
                                }
                                // A button's keys: Enter and Space pick it too.
                                on:keydown=move |e: leptos::ev::KeyboardEvent| {
                                    if matches!(e.key().as_str(), "Enter" | " ") {
                                        e.prevent_default();
                                        toggle(picked, key.clone(), s);
                                    }
                                }
                            ><title>{label}</title></line>
                        }
                    }).collect_view();
                    view! {
                        <g class=format!("line-series series-{s}")>
                            <polyline points=path vector-effect="non-scaling-stroke" />
                            {dots}
                        </g>
                    }
                }).collect_view()}
            </svg>
            <p class="line-ends">
                <span>{move || ends().0}</span>
                <span>{move || ends().1}</span>
            </p>
        </div>
    }
}

/// Picks the point (or bar) of row `key` in series `series`, or lets it go when it was picked.
fn toggle(picked: RwSignal<Pick>, key: String, series: usize) {
    picked.update(|p| {
        let this = Some((key, series));
        *p = if *p == this { None } else { this };
    });
}
