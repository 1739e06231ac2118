//! The sales dashboard: the open pipeline by stage, what was won against what was forecast at the start
//! of each month, win rate, cycle length, why deals were lost and who logged what — for one pipeline
//! and currency over the last 3, 6 or 12 months, everyone's or one owner's. Every number and bar opens
//! the list of records it counts. Computed on the device by `rapport_core::analytics`, so it follows
//! every edit, a colleague's too, as it arrives.

use leptos::prelude::*;
use rapport_core::analytics::{
    self, Bar, Compared, LostReason, Months, SalesDashboard, SalesFilter, SalesPick,
};
use rapport_core::ids::{DealId, InteractionId, MemberId, PipelineId};
use rapport_core::layout::Month;
use rapport_core::mirror::SalesJob;
use rapport_core::model::Money;
use rapport_core::offload::{Job, Outcome};
use rapport_core::read_model::{Changed, DealStatusRow, PartyRow};

use super::deals::{PipelineMenu, pipeline_choice};
use super::reports::DefaultBoard;
use super::{EmptyState, Page};
use rapport_core::report::Board;
use std::rc::Rc;
use std::sync::Arc;

use crate::i18n::{t, t_string, use_i18n};
use crate::latest::Latest;
use crate::mirror::Unanswered;
use crate::state::WorkspaceCtx;
use crate::widgets::{self, BarChart, ChartRow, MemberChoice, Pick, Segmented};

/// What the dashboard reads: a change to any of these computes it again.
const BOARD_READS: Changed = Changed::DEALS.union(Changed::INTERACTIONS).union(Changed::SETTINGS);

const MIRROR_USER: crate::mirror::User = "sales dashboard";

/// A dashboard, the filter it was computed for (a screen shows it only under that filter) and the
/// figures whose records it holds (every one's when `None`).
type Answered = Option<(SalesFilter, Option<Vec<SalesPick>>, Arc<SalesDashboard>)>;

/// The dashboard of `asked`: from the worker's read model, or computed on the page when no worker
/// can.
async fn sales_board(ctx: WorkspaceCtx, asked: Rc<SalesJob>) -> Answered {
    let shared = ctx.shared()?;
    let settings = shared.borrow().replica.settings.clone();
    let job = Job::Sales((*asked).clone());
    match crate::mirror::ask(&shared, MIRROR_USER, asked.workspace, &settings, job).await {
        Ok(Outcome::Sales(board)) => {
            // Browser tests read this to know the dashboard on screen came from the worker.
            crate::timing::mark("rapport:dashboard-from-worker");
            return Some((asked.filter.clone(), asked.picks.clone(), Arc::new(*board)));
        }
        // The dashboard was closed.
        Err(Unanswered::Released) => return None,
        Ok(_) | Err(Unanswered::OnThePage) => {}
    }
    let borrowed = shared.borrow();
    let ws = &borrowed.replica;
    let board = analytics::sales(&ws.model, &ws.settings, &asked.filter, asked.now);
    Some((asked.filter.clone(), None, Arc::new(board)))
}

/// How many months the dashboard looks back over, this one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span(u8);

/// A number card someone opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Card {
    Open,
    Won,
}

#[component]
pub(crate) fn Analytics() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    // The sales dashboard (None) or one made of reports.
    let shown_board = RwSignal::new(None::<Board>);
    // Every chart shown, for downloading the dashboard whole.
    let charts = widgets::PageCharts::provide();
    let span = RwSignal::new(Span(6));
    // Pinned reports keep their own periods until someone picks one for the dashboard (the sales
    // board's six months are its default, not a choice); the owner chosen applies at once.
    let period_picked = RwSignal::new(false);
    Effect::new(move |first: Option<()>| {
        let _ = span.get();
        if first.is_some() {
            period_picked.set(true);
        }
    });
    let pinned_months = Signal::derive(move || if period_picked.get() { span.get().0 } else { 0 });
    let chosen = RwSignal::new(None::<PipelineId>);
    let owner = RwSignal::new(None::<MemberId>);
    let chosen_currency = RwSignal::new(None::<String>);
    let (pipelines, pipeline) = pipeline_choice(ctx, chosen);
    // The currencies of the pipeline's deals: one dashboard adds up one of them.
    let currencies = Memo::new(move |_| {
        let pipeline = pipeline.get()?;
        ctx.read_of(Changed::DEALS | Changed::SETTINGS, |ws| {
            let main = analytics::main_currency(&ws.model, &ws.settings, pipeline);
            let mut all: Vec<String> = ws
                .model
                .deals
                .values()
                .filter(|d| d.pipeline == pipeline)
                .map(|d| d.currency.clone())
                .collect();
            all.sort();
            all.dedup();
            all.retain(|c| *c != main);
            all.insert(0, main);
            all
        })
    });
    let currency = Memo::new(move |_| {
        let all = currencies.get()?;
        chosen_currency.get().filter(|c| all.contains(c)).or_else(|| all.first().cloned())
    });
    // Recomputed when the records or the filters change, and once a day (the period before is
    // compared to date): not on every tick of the clock.
    let now = super::tickets::ticking_now();
    let today = Memo::new(move |_| widgets::local_day(now.get()));
    let filter = Memo::new(move |_| {
        let _ = today.get();
        let now = now.get_untracked();
        Some(SalesFilter {
            months: Months::ending_at(now, span.get().0),
            pipeline: pipeline.get()?,
            currency: currency.get()?,
            owner: owner.get(),
        })
    });
    // Computed in the worker's read model, once per change it reads (and again when the worker has
    // taken in a change the page stored). None while the device still reads its interactions:
    // activity counted from half of them would lie.
    let computing = Latest::new(move |asked| sales_board(ctx, asked));
    // Only the dashboard of the filters shown: under new ones, none until it is computed.
    let answer = computing.answer();
    let board = Memo::new(move |_| {
        answer.with(|answer| {
            let (of, _, board) = answer.as_ref()?;
            filter.with(|filter| filter.as_ref() == Some(of)).then(|| board.clone())
        })
    });
    // What is picked on each chart (and which card is open), as the figures it names: the worker
    // sends their records only, the rest of the dashboard's are left out.
    let card = RwSignal::new(None::<Card>);
    let stage_pick = RwSignal::new(None);
    let month_pick = RwSignal::new(None);
    let reason_pick = RwSignal::new(None);
    let activity_pick = RwSignal::new(None);
    let picked = Memo::new(move |_| {
        let (stage, month) = (stage_pick.get(), month_pick.get());
        let (reason, activity) = (reason_pick.get(), activity_pick.get());
        let card = card.get().map(|card| match card {
            Card::Open => SalesPick::Open,
            Card::Won => SalesPick::Won,
        });
        // A bar can be picked only once drawn: its figure is found on the dashboard shown.
        board.with_untracked(|b| {
            let bars = b.as_deref();
            let stage = stage.and_then(|(key, _): (String, usize)| {
                let bar = bars?.by_stage.iter().find(|bar| bar.key.to_string() == key)?;
                Some(SalesPick::Stage(bar.key))
            });
            let month = month.and_then(|(key, series): (String, usize)| {
                let m = bars?.by_month.iter().find(|m| m.month.to_string() == key)?;
                Some(SalesPick::Month(m.month, series))
            });
            let reason = reason.and_then(|(key, _): (String, usize)| {
                let bar = bars?.lost_reasons.iter().find(|bar| reason_key(&bar.key) == key)?;
                Some(SalesPick::Reason(bar.key.clone()))
            });
            let activity = activity.and_then(|(key, _): (String, usize)| {
                let bar = bars?.activity.iter().find(|bar| member_key(bar.key) == key)?;
                Some(SalesPick::Activity(bar.key))
            });
            [card, stage, month, reason, activity]
        })
    });
    // Whether the dashboard shown holds the records of the figure picked at `at` in `picked`.
    let listed = move |at: usize| {
        let Some(pick) = picked.with(|p| p[at].clone()) else { return false };
        answer.with(|answer| {
            answer.as_ref().is_some_and(|(of, picks, _)| {
                filter.with(|filter| filter.as_ref() == Some(of))
                    && picks.as_ref().is_none_or(|picks| picks.contains(&pick))
            })
        })
    };
    let asking = computing.clone();
    Effect::new(move || {
        let picks: Vec<SalesPick> = picked.get().into_iter().flatten().collect();
        let asked = filter.get().and_then(|filter| {
            ctx.read_of(BOARD_READS, |ws| {
                (!ws.model.interactions_pending).then(|| SalesJob {
                    workspace: ws.workspace,
                    filter,
                    now: now.get_untracked(),
                    picks: Some(picks),
                })
            })
            .flatten()
        });
        match asked {
            Some(_) => crate::mirror::hold(MIRROR_USER),
            None => crate::mirror::release(MIRROR_USER),
        }
        asking.ask(asked);
    });
    crate::mirror::on_stored(MIRROR_USER, BOARD_READS, move || computing.again());
    on_cleanup(|| crate::mirror::forget(MIRROR_USER));
    let funnel = Memo::new(move |_| {
        let filter = filter.get()?;
        ctx.read_of(Changed::DEALS | Changed::SETTINGS, |ws| {
            analytics::funnel(&ws.model, &ws.settings, &filter)
        })
    });
    Effect::new(move || {
        if board.with(Option::is_some) {
            crate::timing::mark("rapport:dashboard-rendered");
        }
    });
    let money = move |minor: i64| widgets::money(minor, &currency.get().unwrap_or_default());
    let plain = move |minor: i64| {
        Money { minor, currency: currency.get_untracked().unwrap_or_default() }.to_plain()
    };

    let stage_names = Memo::new(move |_| {
        let pipeline = pipeline.get()?;
        ctx.read_of(Changed::SETTINGS, |ws| {
            ws.settings.pipelines.get(&pipeline.to_string()).map(|p| {
                let p = p.clone().named_by(crate::locale::default_name);
                p.stages.into_iter().map(|s| (s.id, s.name)).collect::<Vec<_>>()
            })
        })
        .flatten()
    });
    let member_names = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, rapport_core::replica::Replica::members).unwrap_or_default()
    });
    let member_name = move |member: Option<MemberId>| match member {
        None => t_string!(i18n, analytics.nobody).to_owned(),
        Some(member) => member_names.with(|names| {
            names.iter().find(|(id, _)| *id == member).map_or_else(
                || t_string!(i18n, analytics.former_member).to_owned(),
                |(_, name)| name.clone(),
            )
        }),
    };

    let stage_name = move |stage: rapport_core::ids::StageId| {
        stage_names.with(|names| {
            names
                .iter()
                .flatten()
                .find(|(id, _)| *id == stage)
                .map_or_else(String::new, |(_, name)| name.clone())
        })
    };
    let funnel_pick = RwSignal::new(None);
    let funnel_rows = Signal::derive(move || {
        funnel.with(|f| {
            let Some(f) = f else { return Vec::new() };
            let mut rows: Vec<ChartRow> = f
                .steps
                .iter()
                .enumerate()
                .map(|(n, step)| {
                    let count = step.reached.len() as i64;
                    let mut row = count_row(step.stage.to_string(), stage_name(step.stage), count);
                    if let Some(drop) = f.drop_off(n) {
                        row.shown[0] = t_string!(
                            i18n,
                            analytics.count_drop,
                            count = row.shown[0].clone(),
                            drop
                        )
                        .to_string();
                    }
                    if let Some(days) = step.median_days {
                        row.label =
                            t_string!(i18n, analytics.stage_stay, stage = row.label.clone(), days)
                                .to_string();
                    }
                    row
                })
                .collect();
            rows.push(count_row(
                "won".to_owned(),
                t_string!(i18n, analytics.funnel_won).to_owned(),
                f.won.len() as i64,
            ));
            rows
        })
    });
    let funnel_deals = Signal::derive(move || {
        let Some((key, _)) = funnel_pick.get() else { return Vec::new() };
        funnel.with(|f| {
            f.as_ref()
                .and_then(|f| {
                    if key == "won" {
                        return Some(f.won.clone());
                    }
                    f.steps.iter().find(|s| s.stage.to_string() == key).map(|s| s.reached.clone())
                })
                .unwrap_or_default()
        })
    });
    // Other filters, other bars: what was picked under the old ones is closed.
    Effect::new(move |first: Option<()>| {
        let _ = filter.get();
        if first.is_some() {
            for pick in [stage_pick, month_pick, reason_pick, activity_pick, funnel_pick] {
                pick.set(None);
            }
            card.set(None);
        }
    });
    let stage_rows = Signal::derive(move || {
        let names = stage_names.get().unwrap_or_default();
        board.with(|b| {
            b.as_ref().map_or_else(Vec::new, |b| {
                b.by_stage
                    .iter()
                    .map(|bar| {
                        let label = names
                            .iter()
                            .find(|(id, _)| *id == bar.key)
                            .map_or_else(String::new, |(_, name)| name.clone());
                        money_row(bar.key.to_string(), label, &[bar.value], money, plain)
                    })
                    .collect()
            })
        })
    });
    let month_rows = Signal::derive(move || {
        board.with(|b| {
            b.as_ref().map_or_else(Vec::new, |b| {
                b.by_month
                    .iter()
                    .map(|m| {
                        let values = [m.forecast.value, m.won.value];
                        money_row(m.month.to_string(), month_name(m.month), &values, money, plain)
                    })
                    .collect()
            })
        })
    });
    let reason_rows = Signal::derive(move || {
        board.with(|b| {
            b.as_ref().map_or_else(Vec::new, |b| {
                b.lost_reasons
                    .iter()
                    .map(|bar| {
                        let label = match &bar.key {
                            LostReason::Named(name) => name.clone(),
                            LostReason::Unstated => t_string!(i18n, analytics.unstated).to_owned(),
                            LostReason::Others => t_string!(i18n, analytics.others).to_owned(),
                        };
                        count_row(reason_key(&bar.key), label, bar.value)
                    })
                    .collect()
            })
        })
    });
    let activity_rows = Signal::derive(move || {
        board.with(|b| {
            b.as_ref().map_or_else(Vec::new, |b| {
                b.activity
                    .iter()
                    .map(|bar| count_row(member_key(bar.key), member_name(bar.key), bar.value))
                    .collect()
            })
        })
    });

    // What a picked bar or card counts.
    let picked_deals = move |pick: Pick, of: fn(&SalesDashboard, &str, usize) -> Vec<DealId>| {
        let (key, series) = pick?;
        board.with(|b| b.as_ref().map(|b| of(b, &key, series)))
    };
    let stage_deals = Signal::derive(move || {
        picked_deals(stage_pick.get(), |b, key, _| {
            records_of(b.by_stage.iter().find(|bar| bar.key.to_string() == key))
        })
        .unwrap_or_default()
    });
    let month_deals = Signal::derive(move || {
        picked_deals(month_pick.get(), |b, key, series| {
            let month = b.by_month.iter().find(|m| m.month.to_string() == key);
            records_of(month.map(|m| if series == 0 { &m.forecast } else { &m.won }))
        })
        .unwrap_or_default()
    });
    let reason_deals = Signal::derive(move || {
        picked_deals(reason_pick.get(), |b, key, _| {
            records_of(b.lost_reasons.iter().find(|bar| reason_key(&bar.key) == key))
        })
        .unwrap_or_default()
    });
    let activity_records = Signal::derive(move || {
        let Some((key, _)) = activity_pick.get() else { return Vec::new() };
        board.with(|b| {
            b.as_ref()
                .and_then(|b| b.activity.iter().find(|bar| member_key(bar.key) == key))
                .map(|bar| bar.records.clone())
                .unwrap_or_default()
        })
    });
    let card_deals = Signal::derive(move || {
        let Some(card) = card.get() else { return Vec::new() };
        board.with(|b| {
            b.as_ref().map_or_else(Vec::new, |b| match card {
                Card::Open => b.open().collect(),
                Card::Won => b.won.now.records.clone(),
            })
        })
    });

    let compared_money = move |figure: Compared<i64>| change_text(i18n, figure, money);
    // The four number cards — open pipeline, won, win rate, cycle — as rows: label, value (shown
    // and plain), what it is compared with. The cards read them, and so do the page's files.
    let kpi_rows = Memo::new(move |_| {
        let none = || "—".to_owned();
        board.with(|b| {
            let Some(b) = b.as_ref() else { return Vec::new() };
            let open: i64 = b.by_stage.iter().map(|bar| bar.value).sum();
            let open_note =
                t_string!(i18n, analytics.deals_count, count = widgets::count(b.open_deals))
                    .to_string();
            let won_note =
                compared_money(Compared { now: b.won.now.value, before: b.won.before.value });
            let rate =
                b.win_rate.now.map(|p| t_string!(i18n, analytics.percent, percent = p).to_string());
            let rate_note = (b.win_rate.now.zip(b.win_rate.before))
                .map(|(now, before)| points_text(i18n, i64::from(now) - i64::from(before)));
            let days = |days: i64| {
                t_string!(i18n, analytics.days, days = widgets::count(days.unsigned_abs() as usize))
                    .to_string()
            };
            let cycle = b.cycle_days.now.map(|d| days(d.max(0)));
            let cycle_note = (b.cycle_days.now.zip(b.cycle_days.before))
                .map(|(now, before)| change_text(i18n, Compared { now, before }, days));
            let card =
                |key: &str, label: &str, shown: String, plain: String, note: Option<String>| {
                    let note = note.unwrap_or_default();
                    ChartRow {
                        key: key.to_owned(),
                        label: label.to_owned(),
                        values: vec![0],
                        shown: vec![shown, note.clone()],
                        plain: vec![plain, note],
                    }
                };
            vec![
                card("open", kpi_name(i18n, 0), money(open), plain(open), Some(open_note)),
                card(
                    "won",
                    kpi_name(i18n, 1),
                    money(b.won.now.value),
                    plain(b.won.now.value),
                    Some(won_note),
                ),
                card(
                    "win-rate",
                    kpi_name(i18n, 2),
                    rate.unwrap_or_else(none),
                    b.win_rate.now.map(|p| p.to_string()).unwrap_or_default(),
                    rate_note,
                ),
                card(
                    "cycle",
                    kpi_name(i18n, 3),
                    cycle.unwrap_or_else(none),
                    b.cycle_days.now.map(|d| d.max(0).to_string()).unwrap_or_default(),
                    cycle_note,
                ),
            ]
        })
    });
    view! {
        <Page key="analytics" title=move || t_string!(i18n, analytics.title)>
            <Segmented value=shown_board name="dashboard-board" label=Signal::derive(move || t_string!(i18n, report_builder.board)) options=vec![
                (None, Signal::derive(move || t_string!(i18n, report_builder.sales)), "board-sales"),
                (Some(Board::Service), Signal::derive(move || t_string!(i18n, report_builder.service)), "board-service-tab"),
                (Some(Board::Marketing), Signal::derive(move || t_string!(i18n, report_builder.marketing)), "board-marketing-tab"),
                (Some(Board::Relationships), Signal::derive(move || t_string!(i18n, report_builder.relationships)), "board-relationships-tab"),
            ] />
            <widgets::PageChartFiles charts name=Signal::derive(move || format!("analytics-{}", shown_board.get().map_or("sales", Board::key))) />
            {move || shown_board.get().map(|board| view! {
                // Beside the reports, what a report of records cannot say: the desk's times and
                // SLA from the tickets' clocks, and campaigns' opens and clicks from the relay.
                <div class="toolbar dashboard-filters">
                    // Only where a report counts a period (the relationships are counted over all time).
                    <Show when=move || board.reports().iter().any(|(_, def)| def.months > 0)>
                        <PeriodChoice span name="board-period" testids=["board-3", "board-6", "board-12"] />
                    </Show>
                    <OwnerChoice owner testid="board-owner" />
                </div>
                // The desk's own period (30 days), said on each card.
                {(board == Board::Service).then(|| view! { <super::service_reports::DeskNumbers /> })}
                <DefaultBoard board months=Signal::derive(move || span.get().0) owner>
                    {(board == Board::Marketing).then(|| view! {
                        <super::marketing::CampaignsChart />
                        <super::leads_board::LeadConversion months=Signal::derive(move || span.get().0) owner />
                        <super::leads_board::LeadsByScore owner />
                    })}
                </DefaultBoard>
                {match board {
                    Board::Service => Some(view! { <p><a class="action" href="/tickets/reports">{t!(i18n, report_builder.service_more)}</a></p> }.into_any()),
                    Board::Marketing => Some(view! { <p><a class="action" href="/marketing">{t!(i18n, report_builder.marketing_more)}</a></p> }.into_any()),
                    Board::Relationships => None,
                }}
            })}
            <Show
                when=move || shown_board.get().is_none() && pipeline.get().is_some()
                fallback=move || view! {
                    <Show when=move || shown_board.get().is_none()>
                        <EmptyState title=move || t_string!(i18n, analytics.no_pipeline) hint=move || t_string!(i18n, analytics.no_pipeline_hint)>
                            <a class="action" href="/deals">{t!(i18n, nav.deals)}</a>
                        </EmptyState>
                    </Show>
                }
            >
                <div class="toolbar dashboard-filters">
                    <PeriodChoice span name="dashboard-period" testids=["dashboard-3", "dashboard-6", "dashboard-12"] />
                    <PipelineMenu pipelines pipeline chosen testid="dashboard-pipeline" />
                    <Show when=move || currencies.with(|c| c.as_ref().is_some_and(|c| c.len() > 1))>
                        <select
                            aria-label=move || t_string!(i18n, analytics.currency)
                            data-testid="dashboard-currency"
                            on:change=move |e| chosen_currency.set(Some(event_target_value(&e)))
                        >
                            {move || currencies.get().unwrap_or_default().into_iter().map(|code| {
                                let selected = currency.get().as_deref() == Some(code.as_str());
                                view! { <option value=code.clone() selected=selected>{code.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </Show>
                    <OwnerChoice owner testid="dashboard-owner" />
                </div>
                <KpiCards rows=kpi_rows card />
                <Show when=move || card.get().is_some()>
                    <section class="panel" data-testid="kpi-records">
                        <Show when=move || listed(0)><DealRecords deals=card_deals /></Show>
                    </section>
                </Show>
                <div class="dashboard-grid">
                    <BarChart
                        testid="chart-by-stage"
                        title=Signal::derive(move || t_string!(i18n, analytics.by_stage).to_owned())
                        series=Signal::derive(move || vec![t_string!(i18n, analytics.amount).to_owned()])
                        rows=stage_rows
                        empty=Signal::derive(move || t_string!(i18n, analytics.no_stages).to_owned())
                        picked=stage_pick
                    >
                        <Show when=move || listed(1)><DealRecords deals=stage_deals /></Show>
                    </BarChart>
                    <BarChart
                        testid="chart-forecast-vs-won"
                        title=Signal::derive(move || t_string!(i18n, analytics.forecast_vs_won).to_owned())
                        series=Signal::derive(move || vec![t_string!(i18n, analytics.forecast).to_owned(), t_string!(i18n, analytics.won).to_owned()])
                        rows=month_rows
                        empty=Signal::derive(String::new)
                        picked=month_pick
                    >
                        <Show when=move || listed(2)><DealRecords deals=month_deals /></Show>
                    </BarChart>
                    <BarChart
                        testid="chart-funnel"
                        title=Signal::derive(move || t_string!(i18n, analytics.funnel).to_owned())
                        series=Signal::derive(move || vec![t_string!(i18n, analytics.deals).to_owned()])
                        rows=funnel_rows
                        empty=Signal::derive(move || t_string!(i18n, analytics.no_stages).to_owned())
                        picked=funnel_pick
                    >
                        <DealRecords deals=funnel_deals />
                    </BarChart>
                    <Cohorts funnel stage_names />
                    <BarChart
                        testid="chart-lost-reasons"
                        title=Signal::derive(move || t_string!(i18n, analytics.lost_reasons).to_owned())
                        series=Signal::derive(move || vec![t_string!(i18n, analytics.deals).to_owned()])
                        rows=reason_rows
                        empty=Signal::derive(move || t_string!(i18n, analytics.no_lost).to_owned())
                        picked=reason_pick
                    >
                        <Show when=move || listed(3)><DealRecords deals=reason_deals /></Show>
                    </BarChart>
                    <BarChart
                        testid="chart-activity"
                        title=Signal::derive(move || t_string!(i18n, analytics.activity).to_owned())
                        series=Signal::derive(move || vec![t_string!(i18n, analytics.interactions).to_owned()])
                        rows=activity_rows
                        empty=Signal::derive(move || t_string!(i18n, analytics.no_activity).to_owned())
                        picked=activity_pick
                    >
                        <Show when=move || listed(4)><InteractionRecords interactions=activity_records /></Show>
                    </BarChart>
                </div>
                <GoingCold owner />
                <p class="hint">{t!(i18n, analytics.how_counted)}</p>
            </Show>
            // A workspace without a pipeline still has its own reports (tickets, tasks…).
            <super::reports::PinnedReports mine=true months=pinned_months owner />
            <super::reports::PinnedReports months=pinned_months owner />
            <p><a class="action" href="/analytics/reports" data-testid="report-builder-link">{t!(i18n, report_builder.open_builder)}</a></p>
        </Page>
    }
}

/// A lost reason's key on its chart: stable across languages.
fn reason_key(reason: &LostReason) -> String {
    match reason {
        LostReason::Named(name) => format!("named:{name}"),
        LostReason::Unstated => "unstated".to_owned(),
        LostReason::Others => "others".to_owned(),
    }
}

/// A member's key on a chart ("nobody" for none).
fn member_key(member: Option<MemberId>) -> String {
    member.map_or_else(|| "nobody".to_owned(), |m| m.to_string())
}

/// A dashboard's period: the last 3, 6 or 12 months (their choices' test handles in that order).
#[component]
fn PeriodChoice(
    span: RwSignal<Span>,
    name: &'static str,
    testids: [&'static str; 3],
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Segmented value=span name label=Signal::derive(move || t_string!(i18n, analytics.period)) options=vec![
            (Span(3), Signal::derive(move || t_string!(i18n, analytics.months_3)), testids[0]),
            (Span(6), Signal::derive(move || t_string!(i18n, analytics.months_6)), testids[1]),
            (Span(12), Signal::derive(move || t_string!(i18n, analytics.months_12)), testids[2]),
        ] />
    }
}

/// A dashboard's owner: one member's records, or everyone's.
#[component]
fn OwnerChoice(owner: RwSignal<Option<MemberId>>, testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="inline-field">
            <span>{t!(i18n, analytics.owner)}</span>
            <MemberChoice
                testid
                current=owner.into()
                nobody=Signal::derive(move || t_string!(i18n, analytics.everyone).to_owned())
                choose=Callback::new(move |member| owner.set(member))
            />
        </label>
    }
}

/// The deals opened in each month of the period and how many got to each stage and were won.
#[component]
fn Cohorts(
    funnel: Memo<Option<analytics::Funnel>>,
    stage_names: Memo<Option<Vec<(rapport_core::ids::StageId, String)>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="panel chart" data-testid="funnel-cohorts">
            <h2>{t!(i18n, analytics.cohorts)}</h2>
            <div class="table-scroll">
                <table class="data-table">
                    <thead><tr>
                        <th>{t!(i18n, analytics.opened_in)}</th>
                        <th class="number">{t!(i18n, analytics.opened)}</th>
                        {move || stage_names.get().unwrap_or_default().into_iter().map(|(_, name)| view! { <th class="number">{name}</th> }).collect_view()}
                        <th class="number">{t!(i18n, analytics.won)}</th>
                    </tr></thead>
                    <tbody>
                        {move || funnel.get().map(|f| f.cohorts.into_iter().rev().map(|cohort| view! {
                            <tr data-testid="cohort-row" data-month=cohort.month.to_string()>
                                <th scope="row">{month_name(cohort.month)}</th>
                                <td class="number">{widgets::count(cohort.opened)}</td>
                                {cohort.reached.into_iter().map(|n| view! { <td class="number">{widgets::count(n)}</td> }).collect_view()}
                                <td class="number">{widgets::count(cohort.won)}</td>
                            </tr>
                        }).collect_view())}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// How many relationships going cold are listed; the heading counts them all.
const COLD_SHOWN: usize = 10;

/// The relationships going cold (the chosen owner's, or everyone's), the coldest first.
#[component]
fn GoingCold(owner: RwSignal<Option<MemberId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    // Everyone's health, computed off the page (None until it is, and while the device still reads
    // its interactions).
    let everyone = crate::health::EveryoneHealth::use_ctx().read_while(|| true);
    let cold = Memo::new(move |_| {
        let owner = owner.get();
        let everyone = everyone.get()?;
        ctx.read_of(Changed::PARTIES, |ws| {
            // In the order the worker put them; only what is shown is looked at, unless an owner
            // is chosen (then each is looked up to count theirs). Archived or merged since it was
            // computed: left out.
            let mine = |party: &&PartyRow| {
                !party.archived
                    && party.merged_into.is_none()
                    && owner.is_none_or(|o| party.owner == Some(o))
            };
            let theirs = || everyone.coldest.iter().filter_map(|id| ws.model.parties.get(id));
            let count = match owner {
                None => everyone.coldest.len(),
                Some(_) => theirs().filter(mine).count(),
            };
            let shown = theirs()
                .filter(mine)
                .take(COLD_SHOWN)
                .filter_map(|party| {
                    Some((party.id, party.name.clone(), everyone.health.get(&party.id)?.clone()))
                })
                .collect::<Vec<_>>();
            (count, shown)
        })
    });
    view! {
        <section class="panel" data-testid="going-cold">
            <h2>{t!(i18n, health.going_cold)}" "<span class="tag" data-testid="going-cold-count">{move || cold.with(|c| c.as_ref().map(|c| widgets::count(c.0)))}</span></h2>
            <p class="hint">{t!(i18n, health.going_cold_hint)}</p>
            <Show when=move || cold.with(|c| c.as_ref().is_none_or(|c| c.0 > 0)) fallback=move || view! { <p class="hint">{t!(i18n, health.none_cold)}</p> }>
                <ul class="rows compact">
                    {move || cold.get().map(|c| c.1).unwrap_or_default().into_iter().map(|(id, name, health)| {
                        let why = health.reasons.first().map(|r| super::party::health::reason_text(*r)).unwrap_or_default();
                        let key = name.clone();
                        view! {
                            <li class="row" data-testid="cold-row" data-name=key>
                                <a class="row-title" href=format!("/parties/{id}")>{name}</a>
                                <span class="row-detail">{why}</span>
                                <super::party::health::HealthTag health />
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

/// At most this many records are listed under a number; the count says how many it has.
const SHOWN: usize = 100;

/// The records a bar counts, when it has any.
fn records_of<K>(bar: Option<&Bar<K, DealId>>) -> Vec<DealId> {
    bar.map(|bar| bar.records.clone()).unwrap_or_default()
}

/// A chart row of amounts.
fn money_row(
    key: String,
    label: String,
    values: &[i64],
    money: impl Fn(i64) -> String,
    plain: impl Fn(i64) -> String,
) -> ChartRow {
    ChartRow {
        key,
        label,
        values: values.to_vec(),
        shown: values.iter().map(|v| money(*v)).collect(),
        plain: values.iter().map(|v| plain(*v)).collect(),
    }
}

/// The sales dashboard's number cards, also in the page's files while they are shown.
#[component]
fn KpiCards(rows: Memo<Vec<ChartRow>>, card: RwSignal<Option<Card>>) -> impl IntoView {
    let i18n = use_i18n();
    let section = NodeRef::new();
    let title = Signal::derive(move || t_string!(i18n, analytics.key_figures).to_owned());
    widgets::cards_in_page_files(title, rows.into(), section);
    let label = move |n: usize| Signal::derive(move || kpi_name(i18n, n).to_owned());
    let value = move |n: usize| {
        Signal::derive(move || {
            // "—" also while the board is being computed and there are no rows yet.
            rows.with(|r| r.get(n).map(|r| r.shown[0].clone())).unwrap_or_else(|| "—".to_owned())
        })
    };
    let note = move |n: usize| {
        Signal::derive(move || {
            rows.with(|r| r.get(n).map(|r| r.shown[1].clone()).filter(|n| !n.is_empty()))
        })
    };
    view! {
        <section class="kpis" data-testid="dashboard-kpis" node_ref=section>
            <Kpi testid="kpi-open" label=label(0) value=value(0) note=note(0) open=Some(Card::Open) card />
            <Kpi testid="kpi-won" label=label(1) value=value(1) note=note(1) open=Some(Card::Won) card />
            <Kpi testid="kpi-win-rate" label=label(2) value=value(2) note=note(2) open=None card />
            <Kpi testid="kpi-cycle" label=label(3) value=value(3) note=note(3) open=None card />
        </section>
    }
}

/// The name of the sales dashboard's number card `n`: open pipeline, won, win rate, cycle.
fn kpi_name(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>, n: usize) -> &'static str {
    match n {
        0 => t_string!(i18n, analytics.open_pipeline),
        1 => t_string!(i18n, analytics.won),
        2 => t_string!(i18n, analytics.win_rate),
        _ => t_string!(i18n, analytics.cycle),
    }
}

/// A chart row of one count.
fn count_row(key: String, label: String, count: i64) -> ChartRow {
    ChartRow {
        key,
        label,
        values: vec![count],
        shown: vec![widgets::count(count.max(0) as usize)],
        plain: vec![count.to_string()],
    }
}

/// "▲ €1,200 on the period before", "▼ …", "As in the period before".
pub(super) fn change_text(
    i18n: leptos_i18n::I18nContext<crate::i18n::Locale>,
    figure: Compared<i64>,
    show: impl Fn(i64) -> String,
) -> String {
    let difference = figure.now - figure.before;
    match difference.signum() {
        0 => t_string!(i18n, analytics.same_as_before).to_owned(),
        1 => t_string!(i18n, analytics.up_on_before, change = show(difference)).to_string(),
        _ => t_string!(i18n, analytics.down_on_before, change = show(-difference)).to_string(),
    }
}

/// A change of a percentage, in points.
fn points_text(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>, points: i64) -> String {
    change_text(i18n, Compared { now: points, before: 0 }, |p| {
        t_string!(i18n, analytics.points, points = p).to_string()
    })
}

/// "Nov 2026" in the screens' language.
fn month_name(month: Month) -> String {
    super::deals::month_name(month)
}

/// A number card: a label, the figure, a line comparing it with the period before; those that count
/// deals open their list.
#[component]
fn Kpi(
    testid: &'static str,
    label: Signal<String>,
    value: Signal<String>,
    note: Signal<Option<String>>,
    open: Option<Card>,
    card: RwSignal<Option<Card>>,
) -> impl IntoView {
    let body = move || {
        view! {
            <span class="kpi-label">{move || label.get()}</span>
            <span class="kpi-value" data-testid="kpi-value">{move || value.get()}</span>
            <span class="kpi-note" data-testid="kpi-note">{move || note.get().unwrap_or_default()}</span>
        }
    };
    match open {
        Some(which) => view! {
            <button
                type="button"
                class="kpi"
                data-testid=testid
                aria-pressed=move || (card.get() == Some(which)).to_string()
                on:click=move |_| card.update(|c| *c = if *c == Some(which) { None } else { Some(which) })
            >
                {body()}
            </button>
        }
        .into_any(),
        None => view! { <div class="kpi" data-testid=testid>{body()}</div> }.into_any(),
    }
}

/// The deals behind a number: each linked to its page, with where it stands, its owner and amount.
#[component]
fn DealRecords(#[prop(into)] deals: Signal<Vec<DealId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let rows = move || {
        let ids = deals.get();
        ctx.read(|ws| {
            let members = ws.members();
            let mut rows: Vec<_> = ids
                .iter()
                .filter_map(|id| ws.model.deals.get(id))
                .map(|deal| {
                    let stage = match deal.status {
                        DealStatusRow::Won => t_string!(i18n, deals.won).to_owned(),
                        DealStatusRow::Lost => t_string!(i18n, deals.lost).to_owned(),
                        DealStatusRow::Open => ws
                            .settings
                            .pipelines
                            .get(&deal.pipeline.to_string())
                            .and_then(|p| p.stages.iter().find(|s| s.id == deal.stage))
                            .map(|s| crate::locale::default_name(&s.name).unwrap_or(s.name.clone()))
                            .unwrap_or_default(),
                    };
                    let owner = deal
                        .owner
                        .and_then(|o| members.iter().find(|(id, _)| *id == o))
                        .map(|(_, name)| name.clone())
                        .unwrap_or_default();
                    (
                        deal.id,
                        deal.title.clone(),
                        stage,
                        owner,
                        widgets::money(deal.amount_minor, &deal.currency),
                    )
                })
                .collect();
            rows.sort_by(|a, b| a.1.cmp(&b.1));
            rows.truncate(SHOWN);
            rows
        })
        .unwrap_or_default()
    };
    view! {
        <div class="records-behind" data-testid="records-behind">
            <p class="count" data-testid="records-count">
                {move || t_string!(i18n, analytics.deals_count, count = widgets::count(deals.with(Vec::len))).to_string()}
                {move || (deals.with(Vec::len) > SHOWN).then(|| t_string!(i18n, analytics.first_shown, count = SHOWN).to_string())}
            </p>
            <table class="data-table">
                <thead><tr>
                    <th>{t!(i18n, deals.deal)}</th>
                    <th>{t!(i18n, deals.stage)}</th>
                    <th>{t!(i18n, deals.owner)}</th>
                    <th class="number">{t!(i18n, deals.amount)}</th>
                </tr></thead>
                <tbody>
                    {move || rows().into_iter().map(|(id, title, stage, owner, amount)| (title.clone(), id, title, stage, owner, amount)).map(|(key, id, title, stage, owner, amount)| view! {
                        <tr data-testid="record-row" data-title=key>
                            <td><a href=format!("/deals/{id}")>{title}</a></td>
                            <td>{stage}</td>
                            <td>{owner}</td>
                            <td class="number">{amount}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The interactions behind a number: when, what, with whom (linked to the record).
#[component]
fn InteractionRecords(#[prop(into)] interactions: Signal<Vec<InteractionId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let rows = move || {
        let ids = interactions.get();
        ctx.read(|ws| {
            let mut rows: Vec<_> = ids
                .iter()
                .filter_map(|id| ws.model.interactions.values().find_map(|month| month.get(id)))
                .map(|row| {
                    let party = row.parties.first().and_then(|p| ws.model.parties.get(p));
                    let with = party.map(|p| (p.id, p.name.clone()));
                    (row.at, widgets::interaction_label(row.kind()), row.summary.clone(), with)
                })
                .collect();
            rows.sort_by_key(|row| std::cmp::Reverse(row.0));
            rows.truncate(SHOWN);
            rows
        })
        .unwrap_or_default()
    };
    view! {
        <div class="records-behind" data-testid="records-behind">
            <p class="count" data-testid="records-count">
                {move || t_string!(i18n, analytics.interactions_count, count = widgets::count(interactions.with(Vec::len))).to_string()}
                {move || (interactions.with(Vec::len) > SHOWN).then(|| t_string!(i18n, analytics.first_shown, count = SHOWN).to_string())}
            </p>
            <table class="data-table">
                <thead><tr>
                    <th>{t!(i18n, analytics.when)}</th>
                    <th>{t!(i18n, analytics.kind)}</th>
                    <th>{t!(i18n, analytics.what)}</th>
                    <th>{t!(i18n, analytics.with)}</th>
                </tr></thead>
                <tbody>
                    {move || rows().into_iter().map(|(at, kind, summary, with)| (summary.clone(), at, kind, summary, with)).map(|(key, at, kind, summary, with)| view! {
                        <tr data-testid="record-row" data-title=key>
                            <td>{widgets::local_date(at)}</td>
                            <td>{kind}</td>
                            <td>{summary}</td>
                            <td>{with.map(|(id, name)| view! { <a href=format!("/parties/{id}")>{name}</a> })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
