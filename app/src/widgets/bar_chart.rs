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

/// What a chart draws, as its files are made from it.
#[derive(Clone, Copy)]
struct Drawn {
    title: Signal<String>,
    series: Signal<Vec<String>>,
    rows: Signal<Vec<ChartRow>>,
    shape: Signal<Shape>,
    /// Where it is on the page.
    section: NodeRef<leptos::html::Section>,
    /// Number cards, not a chart: each row a card (its value, then what it is compared with).
    cards: bool,
}

impl Drawn {
    /// Its table: a header (the title, then the series) and a line per row, as a spreadsheet reads
    /// the numbers.
    fn table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let header: Vec<String> = std::iter::once(self.title.get_untracked())
            .chain(self.series.get_untracked())
            .collect();
        let lines: Vec<Vec<String>> = self.rows.with_untracked(|rows| {
            rows.iter()
                .map(|row| std::iter::once(row.label.clone()).chain(row.plain.clone()).collect())
                .collect()
        });
        (header, lines)
    }

    /// Its SVG file and that file's height.
    fn svg(&self) -> (String, u32) {
        let lines: Vec<SvgRow> = self.rows.with_untracked(|rows| {
            rows.iter()
                .map(|row| SvgRow {
                    label: row.label.clone(),
                    values: row.values.clone(),
                    shown: row.shown.clone(),
                })
                .collect()
        });
        let (title, series) = (self.title.get_untracked(), self.series.get_untracked());
        if self.cards {
            return (chart::cards_svg(&title, &lines), chart::cards_height(lines.len()));
        }
        match self.shape.get_untracked() {
            Shape::Line => (chart::line_svg(&title, &series, &lines), chart::LINE_HEIGHT),
            Shape::Donut => (chart::donut_svg(&title, &lines), chart::donut_height(lines.len())),
            Shape::Stacked => {
                (chart::stacked_svg(&title, &series, &lines), chart::stacked_height(lines.len()))
            }
            // A table's file is its bars: the same numbers, drawn.
            Shape::Bars | Shape::Table => {
                (chart::bars_svg(&title, &series, &lines), chart::height(series.len(), lines.len()))
            }
        }
    }
}

/// The charts a page shows, in the order they were drawn, for "download the whole dashboard": every
/// [`BarChart`] under a page that provides one adds itself, and leaves when it is no longer shown.
#[derive(Clone, Copy)]
pub(crate) struct PageCharts(StoredValue<Vec<(u64, Drawn)>>, StoredValue<u64>);

impl PageCharts {
    pub(crate) fn provide() -> PageCharts {
        let charts = PageCharts(StoredValue::new(Vec::new()), StoredValue::new(0));
        provide_context(charts);
        charts
    }

    fn add(self, drawn: Drawn) {
        let id = self.1.get_value();
        self.1.set_value(id + 1);
        self.0.update_value(|charts| charts.push((id, drawn)));
        on_cleanup(move || self.0.update_value(|charts| charts.retain(|(n, _)| *n != id)));
    }

    /// The charts on the page, in the order it shows them whatever order they were drawn in.
    fn in_page_order(self) -> Vec<Drawn> {
        use std::cmp::Ordering;
        const FOLLOWING: u16 = web_sys::Node::DOCUMENT_POSITION_FOLLOWING;
        let mut charts: Vec<(Drawn, web_sys::HtmlElement)> = self.0.with_value(|charts| {
            charts.iter().filter_map(|(_, d)| Some((*d, d.section.get_untracked()?))).collect()
        });
        // Elements of one document are in one order: a total one, as sorting needs.
        charts.sort_by(|(_, a), (_, b)| match a.compare_document_position(b) & FOLLOWING {
            _ if a == b => Ordering::Equal,
            0 => Ordering::Greater,
            _ => Ordering::Less,
        });
        charts.into_iter().map(|(drawn, _)| drawn).collect()
    }

    /// Every chart's table, one under the other, each under its title (`analytics::tables_csv`).
    pub(crate) fn csv(self) -> String {
        let tables: Vec<(Vec<String>, Vec<Vec<String>>)> =
            self.in_page_order().iter().map(Drawn::table).collect();
        format!("\u{feff}{}", rapport_core::analytics::tables_csv(&tables))
    }

    /// Every chart's SVG file, one under the other, as one file and its height (`chart::stacked`).
    pub(crate) fn svg(self) -> (String, u32) {
        let files: Vec<(String, u32)> = self.in_page_order().iter().map(Drawn::svg).collect();
        chart::stacked(&files)
    }
}

/// Number cards in `section` (each row a card: its label, its value shown and plain, then what it
/// is compared with) join the page's files with the charts ([`PageCharts`]), where the page has
/// them.
pub(crate) fn cards_in_page_files(
    title: Signal<String>,
    rows: Signal<Vec<ChartRow>>,
    section: NodeRef<leptos::html::Section>,
) {
    let Some(charts) = use_context::<PageCharts>() else { return };
    let i18n = use_i18n();
    let series = Signal::derive(move || {
        vec![
            t_string!(i18n, analytics.card_value).to_owned(),
            t_string!(i18n, analytics.card_compared).to_owned(),
        ]
    });
    charts.add(Drawn {
        title,
        series,
        rows,
        shape: Signal::from(Shape::Bars),
        section,
        cards: true,
    });
}

/// "The whole dashboard as CSV, SVG or PNG": every chart the page shows ([`PageCharts`]) in one file
/// named `name`.
#[component]
pub(crate) fn PageChartFiles(
    charts: PageCharts,
    #[prop(into)] name: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let refused = RwSignal::new(None::<String>);
    let csv = move |_| {
        let file = format!("{}.csv", name.get_untracked());
        refused.set(super::download_text(&file, "text/csv;charset=utf-8", &charts.csv()).err());
    };
    let svg = move |_| {
        let file = format!("{}.svg", name.get_untracked());
        refused.set(super::download_text(&file, "image/svg+xml", &charts.svg().0).err());
    };
    let png = move |_| {
        let (svg, height) = charts.svg();
        let file = format!("{}.png", name.get_untracked());
        leptos::task::spawn_local(async move {
            refused.set(super::download_png(&file, &svg, chart::WIDTH, height).await.err());
        });
    };
    view! {
        <div class="chart-actions page-chart-files" role="group" aria-label=move || t_string!(i18n, analytics.whole_dashboard)>
            <span class="hint">{t!(i18n, analytics.whole_dashboard)}</span>
            <button type="button" data-testid="dashboard-csv" on:click=csv>{t!(i18n, analytics.csv)}</button>
            <button type="button" data-testid="dashboard-svg" on:click=svg>{t!(i18n, analytics.svg)}</button>
            <button type="button" data-testid="dashboard-png" on:click=png>{t!(i18n, analytics.png)}</button>
        </div>
        {move || refused.get().map(|why| view! { <p class="error" role="alert">{why}</p> })}
    }
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
    /// The first series' shares of their sum as a ring, each slice and its legend line a button.
    Donut,
    /// Only the table, open.
    Table,
    /// A bar a row made of its parts: every series but the last, end to end, each a button; the
    /// last series is the row's whole, written (and picked) at the bar's end.
    Stacked,
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
    let section = NodeRef::new();
    let drawn = Drawn { title, series, rows, shape, section, cards: false };
    if let Some(charts) = use_context::<PageCharts>() {
        charts.add(drawn);
    }
    let export = move |_| {
        let (header, lines) = drawn.table();
        // With a byte-order mark, so a spreadsheet reads the labels as UTF-8 (Cyrillic included).
        let csv = format!("\u{feff}{}", rapport_core::analytics::table_csv(&header, &lines));
        let name = format!("{testid}.csv");
        refused.set(super::download_text(&name, "text/csv;charset=utf-8", &csv).err());
    };
    // The chart as a file of its own: SVG, and PNG drawn from it.
    let svg = move || drawn.svg();
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
        <section class="panel chart" data-testid=testid node_ref=section>
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
                </div>
            </div>
            <Show when=move || series.with(|s| s.len() > 1)>
                <p class="chart-legend">
                    {move || {
                        // Stacked, the last series is the whole: a number, not a colour.
                        let mut names = series.get();
                        if shape.get() == Shape::Stacked {
                            names.pop();
                        }
                        names.into_iter().enumerate().map(|(n, name)| view! {
                            <span class=format!("legend series-{n}")>{name}</span>
                        }).collect_view()
                    }}
                </p>
            </Show>
            <Show when=move || rows.with(|r| !r.is_empty()) fallback=move || view! { <p class="hint" data-testid="chart-empty">{move || empty.get()}</p> }>
                <Show when=move || shape.get() == Shape::Line>
                    <LineOf rows series picked title />
                </Show>
                <Show when=move || shape.get() == Shape::Donut>
                    <DonutOf rows picked title />
                </Show>
                <Show when=move || shape.get() == Shape::Stacked>
                    <StackedOf rows series picked />
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

/// The rows as stacked bars: each row's parts (every series but the last) end to end, scaled to the
/// largest whole (the last series), the whole at the end; parts and whole are buttons.
#[component]
fn StackedOf(
    rows: Signal<Vec<ChartRow>>,
    series: Signal<Vec<String>>,
    picked: RwSignal<Pick>,
) -> impl IntoView {
    // The whole, or the parts end to end where they are longer: nothing runs past the track.
    let largest = Memo::new(move |_| {
        let parts = series.with(|s| s.len().saturating_sub(1));
        rows.with(|rows| {
            rows.iter()
                .map(|r| {
                    let drawn: i64 = r.values.iter().take(parts).map(|v| (*v).max(0)).sum();
                    drawn.max(r.values.get(parts).copied().unwrap_or(0))
                })
                .max()
                .unwrap_or(0)
                .max(1)
        })
    });
    let mine = move |key: &str, n: usize| {
        picked.with(|p| p.as_ref().is_some_and(|(k, s)| k == key && *s == n))
    };
    view! {
        <ul class="bars stacked" data-testid="chart-stacked">
            {move || {
                let (largest, names) = (largest.get(), series.get());
                let whole = names.len().saturating_sub(1);
                rows.get().into_iter().map(|row| {
                    let parts = row.values.iter().zip(&row.shown).take(whole).enumerate()
                        .filter(|(_, (value, _))| **value > 0)
                        .map(|(n, (value, shown))| {
                            let width = *value as f64 * 100.0 / largest as f64;
                            let name = names.get(n).cloned().unwrap_or_default();
                            let label = format!("{}, {name}: {shown}", row.label);
                            let (key, picks) = (row.key.clone(), row.key.clone());
                            view! {
                                <button
                                    type="button"
                                    class=format!("stack-part series-{n}")
                                    style=format!("width: {width:.2}%")
                                    data-testid="chart-part"
                                    data-key=key.clone()
                                    data-series=n.to_string()
                                    data-value=value.to_string()
                                    title=label.clone()
                                    aria-label=label
                                    aria-pressed=move || mine(&key, n).to_string()
                                    on:click=move |_| toggle(picked, picks.clone(), n)
                                ></button>
                            }
                        }).collect_view();
                    let shown = row.shown.get(whole).cloned().unwrap_or_default();
                    let label = format!("{}: {shown}", row.label);
                    let (key, picks) = (row.key.clone(), row.key.clone());
                    view! {
                        <li class="bar-row" data-testid="chart-row" data-key=row.key.clone()>
                            <span class="bar-label">{row.label.clone()}</span>
                            <div class="stack-line">
                                <div class="stack-track">{parts}</div>
                                <button
                                    type="button"
                                    class="stack-whole bar-value"
                                    data-testid="chart-bar"
                                    data-key=row.key.clone()
                                    data-series=whole.to_string()
                                    data-value=row.values.get(whole).copied().unwrap_or(0).to_string()
                                    aria-label=label
                                    aria-pressed=move || mine(&key, whole).to_string()
                                    on:click=move |_| toggle(picked, picks.clone(), whole)
                                >{shown}</button>
                            </div>
                        </li>
                    }
                }).collect_view()
            }}
        </ul>
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

/// The first series as a ring of slices, clockwise from the top, each as long as its share of the
/// sum (`chart::shares`), beside a legend of every row; slices and legend lines are buttons.
#[component]
fn DonutOf(
    rows: Signal<Vec<ChartRow>>,
    picked: RwSignal<Pick>,
    title: Signal<String>,
) -> impl IntoView {
    /// A radius whose circle is 100 long: a slice's dash is its share in hundredths.
    const R: f64 = 15.915_494;
    let slices = Memo::new(move |_| {
        rows.with(|rows| {
            let values: Vec<i64> =
                rows.iter().map(|r| r.values.first().copied().unwrap_or(0)).collect();
            let mut from = 0.0;
            rows.iter()
                .zip(chart::shares(&values))
                .enumerate()
                .map(|(n, (row, share))| {
                    // In hundredths; none when nothing is above 0.
                    let share = share.map(|s| s * 100.0);
                    let slice = (
                        n,
                        row.key.clone(),
                        row.label.clone(),
                        row.shown.first().cloned().unwrap_or_default(),
                        share,
                        from,
                    );
                    from += share.unwrap_or(0.0);
                    slice
                })
                .collect::<Vec<_>>()
        })
    });
    let mine = move |key: &str| picked.with(|p| p.as_ref().is_some_and(|(k, _)| k == key));
    view! {
        <div class="donut-chart" data-testid="chart-donut">
            <svg viewBox="0 0 42 42" role="group" aria-label=move || title.get()>
                <circle class="donut-track" cx="21" cy="21" r=R />
                {move || slices.get().into_iter().filter_map(|(n, key, label, shown, share, from)| {
                    Some((n, key, label, shown, share.filter(|s| *s > 0.0)?, from))
                }).map(|(n, key, label, shown, share, from)| {
                    let spoken = format!("{label}: {shown} ({share:.0}%)");
                    let tip = spoken.clone();
                    let pressed = { let key = key.clone(); move || mine(&key).to_string() };
                    let picks = key.clone();
                    view! {
                        <circle
                            class=format!("donut-slice slice-{}", n % SLICE_COLOURS)
                            data-testid="chart-slice"
                            data-key=key.clone()
                            cx="21" cy="21" r=R
                            // Drawn from the top: a circle's stroke starts at three o'clock.
                            stroke-dasharray=format!("{share:.3} {:.3}", 100.0 - share)
                            stroke-dashoffset=format!("{:.3}", 25.0 - from)
                            role="button"
                            tabindex="0"
                            aria-label=spoken
                            aria-pressed=pressed
                            on:click=move |_| toggle(picked, picks.clone(), 0)
                            on:keydown=move |e: leptos::ev::KeyboardEvent| {
                                if matches!(e.key().as_str(), "Enter" | " ") {
                                    e.prevent_default();
                                    toggle(picked, key.clone(), 0);
                                }
                            }
                        ><title>{tip}</title></circle>
                    }
                }).collect_view()}
            </svg>
            <ul class="donut-legend">
                {move || slices.get().into_iter().map(|(n, key, label, shown, share, _)| {
                    let pressed = { let key = key.clone(); move || mine(&key).to_string() };
                    view! {
                        <li>
                            <button type="button" class="legend-pick" data-testid="chart-legend-row" data-key=key.clone() aria-pressed=pressed on:click=move |_| toggle(picked, key.clone(), 0)>
                                <span class=format!("swatch slice-{}", n % SLICE_COLOURS) aria-hidden="true"></span>
                                <span class="legend-label">{label}</span>
                                <span class="bar-value">{match share {
                                    Some(share) => format!("{shown} · {share:.0}%"),
                                    None => shown,
                                }}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// How many colours a donut's slices take in turn (`.slice-N` in the style sheet).
const SLICE_COLOURS: usize = 6;

/// Picks the point (or bar) of row `key` in series `series`, or lets it go when it was picked.
fn toggle(picked: RwSignal<Pick>, key: String, series: usize) {
    picked.update(|p| {
        let this = Some((key, series));
        *p = if *p == this { None } else { this };
    });
}
