//! Service reports: the support team's numbers over the last week, month or quarter — tickets opened
//! and resolved per day, SLA met, first-response and resolution times (median, 90th percentile) and
//! satisfaction, for the whole desk, each team and each assignee. Plain tables; computed on the
//! device by `rapport_core::service_report` from the same event times as the deadlines.

use leptos::prelude::*;
use rapport_core::read_model::Changed;
use rapport_core::service::{ClockCache, Desk};
use rapport_core::service_report::{self, Figures, Period, Report};

use super::Page;
use super::tickets::span;
use crate::i18n::{t, t_string, use_i18n};
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets::{self, ChartRow, Segmented};
use leptos_i18n::td_string;

/// How far back a report looks, in days (today included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Days(i32);

#[component]
pub(crate) fn ServiceReports() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let days = RwSignal::new(Days(30));
    let report = desk_report(days);
    let names = Memo::new(move |_| {
        let members: Vec<(String, String)> = ctx
            .read_of(Changed::SETTINGS, |ws| {
                ws.settings
                    .members
                    .iter()
                    .map(|(id, member)| (id.clone(), member.display_name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        (super::tickets::teams(ctx), members)
    });
    let by_team = move || {
        let report = report.get().flatten()?;
        let (teams, _) = names.get();
        let mut rows =
            vec![(t_string!(i18n, reports.all_tickets).to_owned(), report.total.clone())];
        let mut named: Vec<(String, Figures)> = report
            .by_team
            .into_iter()
            .map(|(team, figures)| {
                let name = match team {
                    None => t_string!(i18n, reports.no_team).to_owned(),
                    Some(team) => teams.iter().find(|(id, _)| *id == team).map_or_else(
                        || t_string!(i18n, reports.removed_team).to_owned(),
                        |t| t.1.clone(),
                    ),
                };
                (name, figures)
            })
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        rows.extend(named);
        Some(rows)
    };
    let by_assignee = move || {
        let report = report.get().flatten()?;
        let (_, members) = names.get();
        let mut rows: Vec<(String, Figures)> = report
            .by_assignee
            .into_iter()
            .map(|(member, figures)| {
                let name = match member {
                    None => t_string!(i18n, reports.unassigned).to_owned(),
                    Some(member) => {
                        let id = member.to_string();
                        members.iter().find(|(m, _)| *m == id).map_or_else(
                            || t_string!(i18n, reports.former_member).to_owned(),
                            |m| m.1.clone(),
                        )
                    }
                };
                (name, figures)
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Some(rows)
    };
    Effect::new(move || {
        if report.with(|report| report.as_ref().is_some_and(Option::is_some)) {
            crate::timing::mark("rapport:reports-rendered");
        }
    });
    view! {
        <Page key="service-reports" title=move || t_string!(i18n, reports.title)>
            <Segmented value=days name="report-period" label=Signal::derive(move || t_string!(i18n, reports.period)) options=vec![
                (Days(7), Signal::derive(move || t_string!(i18n, reports.last_7)), "report-7"),
                (Days(30), Signal::derive(move || t_string!(i18n, reports.last_30)), "report-30"),
                (Days(90), Signal::derive(move || t_string!(i18n, reports.last_90)), "report-90"),
            ] />
            <FiguresTable
                title=Signal::derive(move || t_string!(i18n, reports.by_team))
                who=Signal::derive(move || t_string!(i18n, reports.team))
                testid="report-by-team"
                rows=Signal::derive(move || by_team().unwrap_or_default())
            />
            <FiguresTable
                title=Signal::derive(move || t_string!(i18n, reports.by_assignee))
                who=Signal::derive(move || t_string!(i18n, reports.assignee))
                testid="report-by-assignee"
                rows=Signal::derive(move || by_assignee().unwrap_or_default())
            />
            <PerDay report />
            <p class="hint">{t!(i18n, reports.how_counted)}</p>
        </Page>
    }
}

/// The desk's report over the last `days` days (today included), as tickets, their clocks and the
/// relay's stamps change, and moved on at midnight while a page shows it; `None` until the
/// workspace is open.
fn desk_report(days: RwSignal<Days>) -> Memo<Option<Option<Report>>> {
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let cache = StoredValue::new_local(ClockCache::default());
    // Today in the device's time zone, moved on at midnight while the page stays open.
    let now = super::tickets::ticking_now();
    let today = Memo::new(move |_| widgets::local_day(now.get()));
    Memo::new(move |_| {
        let Days(days) = days.get();
        let today = today.get();
        // From midnight `days - 1` days ago to the end of today.
        let day = |offset: i64| {
            widgets::local_midnight(today.saturating_add(time::Duration::days(offset)))
        };
        let period = Period { from: day(1 - i64::from(days)), to: day(1) };
        let kinds = Changed::TICKETS | Changed::SETTINGS | Changed::PARTIES;
        outbox.outbox.with(|stamps| {
            ctx.read_of(kinds, |ws| {
                let desk = Desk::new(ws.workspace, &ws.settings);
                let heard = stamps.stamps_heard();
                cache.try_update_value(|cache| {
                    cache.retain(|id| ws.model.tickets.contains_key(id));
                    let tickets = ws.model.tickets.values().map(|row| {
                        let roles: Vec<&'static str> = row
                            .party
                            .and_then(|party| ws.model.parties.get(&party))
                            .map(|party| party.roles.iter().map(|role| role.role().key()).collect())
                            .unwrap_or_default();
                        (row, cache.clocks(&desk, row, &roles, heard, |id| stamps.stamp(id)))
                    });
                    service_report::report(period, tickets, widgets::local_day)
                })
            })
        })
    })
}

/// The desk's numbers over the last 30 days, as cards: the service dashboard's top row, each
/// opening the reports that break it down.
#[component]
pub(crate) fn DeskNumbers() -> impl IntoView {
    let i18n = use_i18n();
    let report = desk_report(RwSignal::new(Days(30)));
    let total = Memo::new(move |_| report.get().flatten().map(|report| report.total));
    let none = || "—".to_owned();
    let card = move |testid: &'static str,
                     label: Signal<&'static str>,
                     value: fn(&Figures) -> Option<String>| {
        view! {
            <a class="kpi" href="/tickets/reports" data-testid=testid>
                <span class="kpi-label">{label}</span>
                <span class="kpi-value" data-testid="kpi-value">{move || {
                    // Written again when the language changes: the values say "%" and "min" in it.
                    let _ = i18n.get_locale();
                    total.with(|t| t.as_ref().and_then(value)).unwrap_or_else(none)
                }}</span>
                <span class="kpi-note">{t!(i18n, reports.last_30_days)}</span>
            </a>
        }
    };
    // The same cards as rows, for the page's files.
    let rows = Signal::derive(move || {
        let period = t_string!(i18n, reports.last_30_days).to_owned();
        desk_cards()
            .into_iter()
            .map(|desk| {
                let shown = total.with(|t| t.as_ref().and_then(desk.value)).unwrap_or_else(none);
                // An empty cell where there is no number yet: a spreadsheet sums the column.
                let plain = total.with(|t| t.as_ref().and_then(desk.plain));
                ChartRow {
                    key: desk.testid.to_owned(),
                    label: (desk.file_label)(i18n).to_owned(),
                    values: vec![0],
                    shown: vec![shown, period.clone()],
                    plain: vec![plain.map(|n| n.to_string()).unwrap_or_default(), period.clone()],
                }
            })
            .collect()
    });
    let section = NodeRef::new();
    let title = Signal::derive(move || t_string!(i18n, report_builder.desk_numbers).to_owned());
    widgets::cards_in_page_files(title, rows, section);
    view! {
        <section class="kpis" data-testid="desk-numbers" aria-label=move || t_string!(i18n, reports.title) node_ref=section>
            {desk_cards().into_iter().map(|desk| card(desk.testid, Signal::derive(move || (desk.label)(i18n)), desk.value)).collect_view()}
        </section>
    }
}

type I18n = leptos_i18n::I18nContext<crate::i18n::Locale>;

/// A desk card: its test handle, its label (on screen and, with the unit its plain value is
/// counted in, in the page's files), and its value from the figures, as read and as a plain number.
struct DeskCard {
    testid: &'static str,
    label: fn(I18n) -> &'static str,
    file_label: fn(I18n) -> &'static str,
    value: fn(&Figures) -> Option<String>,
    plain: fn(&Figures) -> Option<i64>,
}

/// Minutes, rounded up as [`span`] shows them.
fn minutes(ms: i64) -> i64 {
    (ms.max(0) + 59_999) / 60_000
}

/// The desk's cards.
fn desk_cards() -> [DeskCard; 5] {
    [
        DeskCard {
            testid: "desk-opened",
            label: |i18n| t_string!(i18n, reports.opened),
            file_label: |i18n| t_string!(i18n, reports.opened),
            value: |t| Some(widgets::count(t.opened)),
            plain: |t| Some(t.opened as i64),
        },
        DeskCard {
            testid: "desk-sla",
            label: |i18n| t_string!(i18n, reports.sla_met),
            file_label: |i18n| t_string!(i18n, reports.sla_met_percent),
            value: |t| {
                t.sla_met_percent().map(|p| {
                    td_string!(crate::locale::current(), reports.percent, percent = p).to_string()
                })
            },
            plain: |t| t.sla_met_percent().map(i64::from),
        },
        DeskCard {
            testid: "desk-first-response",
            label: |i18n| t_string!(i18n, reports.first_response_median),
            file_label: |i18n| t_string!(i18n, reports.first_response_minutes),
            value: |t| t.first_response.median().map(span),
            plain: |t| t.first_response.median().map(minutes),
        },
        DeskCard {
            testid: "desk-resolution",
            label: |i18n| t_string!(i18n, reports.resolution_median),
            file_label: |i18n| t_string!(i18n, reports.resolution_minutes),
            value: |t| t.resolution.median().map(span),
            plain: |t| t.resolution.median().map(minutes),
        },
        DeskCard {
            testid: "desk-csat",
            label: |i18n| t_string!(i18n, reports.satisfaction),
            file_label: |i18n| t_string!(i18n, reports.satisfied_percent),
            value: |t| {
                t.satisfaction.satisfied_percent().map(|p| {
                    td_string!(crate::locale::current(), reports.satisfied, percent = p).to_string()
                })
            },
            plain: |t| t.satisfaction.satisfied_percent().map(i64::from),
        },
    ]
}

/// One table of figures, a row per team or person.
#[component]
fn FiguresTable(
    title: Signal<&'static str>,
    /// The heading of the first column.
    who: Signal<&'static str>,
    testid: &'static str,
    rows: Signal<Vec<(String, Figures)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let none = || "—".to_owned();
    let spread = move |took: Option<i64>| took.map_or_else(none, span);
    view! {
        <section class="panel" data-testid=testid>
            <h2>{title}</h2>
            <table class="data-table">
                <thead><tr>
                    <th>{who}</th>
                    <th class="number">{t!(i18n, reports.opened)}</th>
                    <th class="number">{t!(i18n, reports.resolved)}</th>
                    <th class="number">{t!(i18n, reports.sla_met)}</th>
                    <th class="number">{t!(i18n, reports.first_response)}</th>
                    <th class="number">{t!(i18n, reports.resolution)}</th>
                    <th class="number">{t!(i18n, reports.satisfaction)}</th>
                </tr></thead>
                <tbody>
                    {move || rows.get().into_iter().map(|(name, figures)| {
                        let percent = |p: Option<u32>| p.map_or_else(none, |p| t_string!(i18n, reports.percent, percent = p).to_string());
                        let times = |spread_of: &rapport_core::service_report::Spread| {
                            t_string!(i18n, reports.median_p90, median = spread(spread_of.median()), p90 = spread(spread_of.p90())).to_string()
                        };
                        let (first, resolution) = (times(&figures.first_response), times(&figures.resolution));
                        let (first, resolution) = (
                            if figures.first_response.count() == 0 { none() } else { first },
                            if figures.resolution.count() == 0 { none() } else { resolution },
                        );
                        let csat = figures.satisfaction.average_tenths().map_or_else(none, |average| {
                            t_string!(i18n, reports.csat, percent = figures.satisfaction.satisfied_percent().unwrap_or(0), average = widgets::tenths(average), answers = widgets::count(figures.satisfaction.answers())).to_string()
                        });
                        view! {
                            <tr data-testid="report-row" data-name=name.clone()>
                                <th scope="row">{name.clone()}</th>
                                <td class="number" data-testid="report-opened">{widgets::count(figures.opened)}</td>
                                <td class="number" data-testid="report-resolved">{widgets::count(figures.resolved)}</td>
                                <td class="number" data-testid="report-sla">{percent(figures.sla_met_percent())}</td>
                                <td class="number" data-testid="report-first-response">{first}</td>
                                <td class="number" data-testid="report-resolution">{resolution}</td>
                                <td class="number" data-testid="report-csat">{csat}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// Tickets opened and resolved on each day of the period, the latest first.
#[component]
fn PerDay(report: Memo<Option<Option<Report>>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="panel" data-testid="report-per-day">
            <h2>{t!(i18n, reports.per_day)}</h2>
            <table class="data-table">
                <thead><tr>
                    <th>{t!(i18n, reports.day)}</th>
                    <th class="number">{t!(i18n, reports.opened)}</th>
                    <th class="number">{t!(i18n, reports.resolved)}</th>
                </tr></thead>
                <tbody>
                    {move || report.get().flatten().map(|report| report.days.into_iter().map(|day| {
                        let label = widgets::local_date(widgets::local_midnight(day.date));
                        view! {
                            <tr data-testid="report-day" data-day=day.date.to_string()>
                                <th scope="row">{label}</th>
                                <td class="number" data-testid="report-opened">{widgets::count(day.opened)}</td>
                                <td class="number" data-testid="report-resolved">{widgets::count(day.resolved)}</td>
                            </tr>
                        }
                    }).collect_view())}
                </tbody>
            </table>
        </section>
    }
}
