//! Deals: the pipeline as a board (drag a card by its handle to another stage — mouse or finger — or
//! pick the stage from the card's menu) or as a list; a new deal; the weighted forecast by month or by
//! owner and the win rate. A workspace without a pipeline is offered the standard sales pipeline.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use rapport_core::ids::{DealId, MemberId, PartyId, PipelineId, StageId};
use rapport_core::layout::Month;
use rapport_core::model::{Deal, DealStatus, Destination, Money, StageChange};
use rapport_core::queries;
use rapport_core::read_model::Changed;
use rapport_core::read_model::DealRow;
use rapport_core::workspace;
use wasm_bindgen::JsCast;

use super::{EmptyState, Page};
use crate::edits::move_deal;
use crate::local::{self, BrowserIds};
use crate::state::WorkspaceCtx;
use crate::widgets::{self, PartyPicker, Segmented, Windowed};
use rapport_core::replica::Replica;

/// A deal as a card or list row shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DealCard {
    id: DealId,
    title: String,
    stage: StageId,
    amount: String,
    close: Option<String>,
    parties: Vec<(PartyId, String)>,
    /// The owner's name, if the deal has one.
    owner: Option<String>,
    /// Whole days since the deal entered its stage.
    days_in_stage: i64,
}

impl DealCard {
    fn of(row: &DealRow, ws: &Replica, now: rapport_core::ids::Timestamp) -> DealCard {
        DealCard {
            id: row.id,
            title: row.title.clone(),
            stage: row.stage,
            amount: widgets::money(row.amount_minor, &row.currency),
            close: row.expected_close.map(widgets::local_date),
            parties: row
                .parties
                .iter()
                .filter_map(|id| ws.model.parties.get(id).map(|p| (*id, p.name.clone())))
                .collect(),
            owner: row
                .owner
                .and_then(|o| ws.settings.members.get(&o.to_string()))
                .map(|m| m.display_name.clone()),
            days_in_stage: (now.0 - row.stage_since.0).max(0) / 86_400_000,
        }
    }
}

/// A board column: the stage, its open deals and their totals (one per currency).
#[derive(Debug, Clone, PartialEq)]
struct Column {
    stage: StageId,
    name: String,
    probability: u8,
    totals: Vec<String>,
    /// The stage's deals in order; a card reads its deal when it comes on screen.
    cards: Vec<DealId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Board,
    List,
}

/// The card being dragged: where the pointer went down and how far it has moved.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Drag {
    deal: DealId,
    pointer: i32,
    start: (f64, f64),
    moved: (f64, f64),
    over: Option<StageId>,
}

#[component]
pub(crate) fn Deals() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let chosen = RwSignal::new(None::<PipelineId>);
    let layout = RwSignal::new(Layout::Board);
    // The deal this page just added, shown where the user sees it.
    let added = RwSignal::new(None::<DealId>);
    let shown = StoredValue::new(None::<DealId>);
    let (pipelines, pipeline) = pipeline_choice(ctx, chosen);
    let columns = Memo::new(move |_| {
        let pipeline = pipeline.get()?;
        ctx.read_of(Changed::DEALS | Changed::SETTINGS, |ws| board(ws, pipeline))
    });
    // Computed once for the summary line and the forecast table.
    let forecast = Memo::new(move |_| {
        let pipeline = pipeline.get()?;
        ctx.read_of(Changed::DEALS | Changed::SETTINGS, |ws| {
            queries::forecast(&ws.model, &ws.settings, Some(pipeline))
        })
    });
    let summary = Memo::new(move |_| {
        let pipeline = pipeline.get()?;
        let forecast = forecast.get()?;
        ctx.read(|ws| {
            let open: usize = forecast.values().map(|cell| cell.deals).sum();
            let weighted = forecast
                .iter()
                .fold(BTreeMap::<String, i64>::new(), |mut sums, ((_, cur), c)| {
                    *sums.entry(cur.clone()).or_default() += c.weighted_minor;
                    sums
                })
                .into_iter()
                .map(|(currency, minor)| widgets::money(minor, &currency))
                .collect::<Vec<_>>()
                .join(" + ");
            let win_rate = queries::win_rate(&ws.model, Some(pipeline)).map_or_else(
                || t_string!(i18n, deals.no_closed).to_owned(),
                |rate| t_string!(i18n, deals.win_rate, rate).to_string(),
            );
            let weighted = if weighted.is_empty() {
                t_string!(i18n, deals.nothing).to_owned()
            } else {
                weighted
            };
            t_string!(i18n, deals.summary, open = widgets::count(open), weighted, win_rate)
                .to_string()
        })
    });
    let set_up = move |_| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let workspace_id = shared.borrow().workspace;
            let result = local::update_settings(&shared, |settings| {
                let (id, pipeline) = workspace::default_sales_pipeline(workspace_id);
                let pipeline = pipeline.named_by(crate::locale::default_name);
                settings.pipelines.entry(id.to_string()).or_insert(pipeline);
            })
            .await;
            if let Err(error) = result {
                ctx.report(&error);
            }
        });
    };
    view! {
        <Page key="deals" title=move || t_string!(i18n, nav.deals)>
            <Show
                when=move || pipeline.get().is_some()
                fallback=move || view! {
                    <EmptyState title=move || t_string!(i18n, deals.no_pipeline) hint=move || t_string!(i18n, deals.no_pipeline_hint)>
                        <Show when=move || account.can_edit()>
                            <button type="button" class="primary" data-testid="set-up-pipeline" on:click=set_up>
                                {t!(i18n, deals.set_up)}
                            </button>
                        </Show>
                    </EmptyState>
                }
            >
                <div class="toolbar">
                    <PipelineMenu pipelines pipeline chosen testid="pipeline-choice" />
                    <Segmented
                        value=layout
                        name="deal-layout"
                        label=Signal::derive(move || t_string!(i18n, deals.show_as))
                        options=vec![
                            (Layout::Board, Signal::derive(move || t_string!(i18n, deals.board)), "deals-board"),
                            (Layout::List, Signal::derive(move || t_string!(i18n, deals.list)), "deals-list"),
                        ]
                    />
                </div>
                <p class="count" data-testid="deal-summary">{move || summary.get().unwrap_or_default()}</p>
                <Show when=move || account.can_edit()>
                    {move || pipeline.get().map(|pipeline| view! { <NewDeal pipeline added /> })}
                </Show>
                {move || {
                    let columns = columns.get().unwrap_or_default();
                    match layout.get() {
                        Layout::Board => view! { <Board columns added shown /> }.into_any(),
                        Layout::List => view! { <DealList columns /> }.into_any(),
                    }
                }}
                <Forecast forecast pipeline />
                // Below the board: what is signed is worked with on its own page.
                <p class="actions-row">
                    <a class="action" href="/analytics" data-testid="analytics-link">{t!(i18n, analytics.title)}</a>
                    <a class="action" href="/contracts" data-testid="contracts-link">{t!(i18n, contract.open_contracts)}</a>
                    <a class="action" href="/purchasing" data-testid="purchasing-link">{t!(i18n, purchase.title)}</a>
                    <a class="action" href="/investors" data-testid="investors-link">{t!(i18n, investor.title)}</a>
                    <a class="action" href="/team" data-testid="team-link">{t!(i18n, employee.title)}</a>
                </p>
            </Show>
        </Page>
    }
}

/// A pipeline as a menu offers it: its id, its name, whether it is a sales one.
pub(super) type PipelineOption = (PipelineId, String, bool);

/// The workspace's pipelines (sales ones first, then by name) and the one shown: `chosen` while it
/// exists, else the first.
pub(super) fn pipeline_choice(
    ctx: WorkspaceCtx,
    chosen: RwSignal<Option<PipelineId>>,
) -> (Memo<Vec<PipelineOption>>, Memo<Option<PipelineId>>) {
    let pipelines = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            let mut all: Vec<PipelineOption> = ws
                .settings
                .pipelines
                .iter()
                .filter_map(|(id, p)| {
                    let sales = p.kind == rapport_core::model::PipelineKind::Sales;
                    Some((id.parse().ok()?, p.name.clone(), sales))
                })
                .collect();
            all.sort_by_key(|(_, name, sales)| (!sales, name.clone()));
            all
        })
        .unwrap_or_default()
    });
    let pipeline = Memo::new(move |_| {
        let all = pipelines.get();
        chosen.get().filter(|c| all.iter().any(|(id, _, _)| id == c)).or(all.first().map(|p| p.0))
    });
    (pipelines, pipeline)
}

/// The menu of pipelines, when there is more than one to choose from.
#[component]
pub(super) fn PipelineMenu(
    pipelines: Memo<Vec<PipelineOption>>,
    pipeline: Memo<Option<PipelineId>>,
    chosen: RwSignal<Option<PipelineId>>,
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show when=move || { pipelines.with(|p| p.len() > 1) }>
            <select
                aria-label=move || t_string!(i18n, deals.pipeline)
                data-testid=testid
                on:change=move |e| chosen.set(event_target_value(&e).parse().ok())
            >
                {move || pipelines.get().into_iter().map(|(id, name, _)| {
                    let selected = pipeline.get() == Some(id);
                    view! { <option value=id.to_string() selected=selected>{name}</option> }
                }).collect_view()}
            </select>
        </Show>
    }
}

/// The open deals of `pipeline` by stage, with each stage's total.
fn board(ws: &Replica, pipeline: PipelineId) -> Vec<Column> {
    let Some(definition) = ws.settings.pipelines.get(&pipeline.to_string()) else {
        return Vec::new();
    };
    queries::pipeline_columns(&ws.model, &ws.settings, pipeline)
        .into_iter()
        .filter_map(|(stage, rows)| {
            let defined = definition.stages.iter().find(|s| s.id == stage)?;
            let mut totals = std::collections::BTreeMap::<&str, i64>::new();
            for row in &rows {
                *totals.entry(row.currency.as_str()).or_default() += row.amount_minor;
            }
            let totals = totals
                .into_iter()
                .map(|(currency, minor)| widgets::money(minor, currency))
                .collect::<Vec<_>>();
            Some(Column {
                stage,
                name: defined.name.clone(),
                probability: defined.probability,
                totals,
                cards: rows.into_iter().map(|row| row.id).collect(),
            })
        })
        .collect()
}

#[component]
fn Board(
    columns: Vec<Column>,
    /// The deal just added here: brought on screen and marked.
    added: RwSignal<Option<DealId>>,
    /// The added deal already brought on screen.
    shown: StoredValue<Option<DealId>>,
) -> impl IntoView {
    let account = crate::account::AccountCtx::use_ctx();
    let drag = RwSignal::new(None::<Drag>);
    let stages: Vec<(StageId, String)> =
        columns.iter().map(|c| (c.stage, c.name.clone())).collect();
    let stages = StoredValue::new(stages);
    // Each column's deals, to find the new one: its column and its place in it. Brought on screen once
    // (a later change to the board leaves the page where the user scrolled it).
    let positions: Vec<(StageId, Vec<DealId>)> =
        columns.iter().map(|c| (c.stage, c.cards.clone())).collect();
    Effect::new(move || {
        let Some(new) = added.get() else { return };
        if shown.get_value() == Some(new) {
            return;
        }
        let place = positions
            .iter()
            .find_map(|(stage, ids)| ids.iter().position(|id| *id == new).map(|row| (*stage, row)));
        if let Some((stage, row)) = place {
            shown.set_value(Some(new));
            show_card(stage, row);
        }
    });
    view! {
        <div class="board" data-testid="deal-board">
            {columns.into_iter().map(|column| {
                let stage = column.stage;
                view! {
                    <section
                        class="board-column"
                        class:drop-target=move || drag.with(|d| d.is_some_and(|d| d.over == Some(stage)))
                        data-stage=stage.to_string()
                        data-testid="stage-column"
                        data-name=column.name.clone()
                    >
                        <header>
                            <h2>
                                <span data-testid="stage-name">{column.name.clone()}</span>
                                <span class="stage-count" data-testid="stage-count">{widgets::count(column.cards.len())}</span>
                                <span class="stage-probability">{format!("{} %", column.probability)}</span>
                            </h2>
                            <span class="stage-totals" data-testid="stage-total">
                                {column.totals.iter().map(|total| view! { <span>{total.clone()}</span> }).collect_view()}
                            </span>
                        </header>
                        // Only the cards on screen are in the page; the column is as tall as all of them.
                        <Windowed
                            items=Signal::stored(column.cards)
                            key=|id: &DealId| *id
                            row=move |id| {
                                let card = deal_card(id);
                                move || card.get().map(|card| view! { <DealCardView card drag stages added editable=Signal::derive(move || account.can_edit()) /> })
                            }
                            class="cards"
                            testid="stage-cards"
                            row_px=128
                        />
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

/// Scrolls the board so that card `row` of `stage`'s column is on screen: the column into view sideways
/// (a phone shows one at a time), the page to the card's place.
fn show_card(stage: StageId, row: usize) {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else { return };
    let Some(document) = window.document() else { return };
    let column = document
        .query_selector(&format!("[data-testid=stage-column][data-stage=\"{stage}\"]"))
        .ok()
        .flatten();
    let Some(column) = column.and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok()) else {
        return;
    };
    if let Some(board) = column.parent_element() {
        board.set_scroll_left(column.offset_left() - 8);
    }
    let Some(cards) = column.query_selector("[data-testid=stage-cards]").ok().flatten() else {
        return;
    };
    let row_px = window
        .get_computed_style(&cards)
        .ok()
        .flatten()
        .and_then(|style| style.get_property_value("--row").ok())
        .and_then(|value| value.trim().trim_end_matches("px").parse::<f64>().ok())
        .unwrap_or(128.0);
    let top = cards.get_bounding_client_rect().top() + window.scroll_y().unwrap_or(0.0);
    let card_top = top + row as f64 * row_px;
    let screen = window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(800.0);
    let now = window.scroll_y().unwrap_or(0.0);
    // Only if it is not on screen already: then to a third of the way down.
    if card_top < now || card_top + row_px > now + screen {
        window.scroll_to_with_x_and_y(window.scroll_x().unwrap_or(0.0), card_top - screen / 3.0);
    }
}

/// The stage under a point of the page, if any: what a dragged card is over. Only the columns themselves
/// count — the dragged card, under the pointer too, still sits in its old column in the document.
fn stage_at(x: f64, y: f64) -> Option<StageId> {
    let document = web_sys::window()?.document()?;
    document.elements_from_point(x as f32, y as f32).iter().find_map(|node| {
        let element: web_sys::Element = node.dyn_into().ok()?;
        element.get_attribute("data-stage")?.parse().ok()
    })
}

#[component]
fn DealCardView(
    card: DealCard,
    drag: RwSignal<Option<Drag>>,
    stages: StoredValue<Vec<(StageId, String)>>,
    added: RwSignal<Option<DealId>>,
    editable: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let id = card.id;
    let stage = card.stage;
    let dragging = move || drag.with(|d| d.is_some_and(|d| d.deal == id));
    let send = move |to: Destination| {
        let me = ctx.read(|ws| ws.me).flatten();
        spawn_local(async move {
            if let Err(error) = move_deal(ctx, id, to, me).await {
                ctx.report(&error);
            }
        });
    };
    let style = move || {
        drag.with(|d| match d {
            Some(d) if d.deal == id => {
                format!("transform: translate({}px, {}px)", d.moved.0, d.moved.1)
            }
            _ => String::new(),
        })
    };
    let down = move |e: leptos::ev::PointerEvent| {
        if !editable.get_untracked() || e.button() != 0 {
            return;
        }
        e.prevent_default();
        if let Some(target) = e.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = target.set_pointer_capture(e.pointer_id());
        }
        let start = (f64::from(e.client_x()), f64::from(e.client_y()));
        drag.set(Some(Drag {
            deal: id,
            pointer: e.pointer_id(),
            start,
            moved: (0.0, 0.0),
            over: None,
        }));
    };
    let moved = move |e: leptos::ev::PointerEvent| {
        let (x, y) = (f64::from(e.client_x()), f64::from(e.client_y()));
        drag.update(|d| {
            if let Some(d) = d.as_mut().filter(|d| d.deal == id && d.pointer == e.pointer_id()) {
                d.moved = (x - d.start.0, y - d.start.1);
                d.over = stage_at(x, y);
            }
        });
    };
    let up = move |e: leptos::ev::PointerEvent| {
        if drag.get_untracked().is_none_or(|d| d.deal != id) {
            return;
        }
        drag.set(None);
        let over = stage_at(f64::from(e.client_x()), f64::from(e.client_y()));
        if let Some(to) = over.filter(|to| *to != stage) {
            send(Destination::Stage(to));
        }
    };
    let choose = move |e: leptos::ev::Event| {
        if let Some(to) = Destination::from_key(&event_target_value(&e)) {
            send(to);
        }
    };
    view! {
        <div class="deal-card" class:dragging=dragging class:just-added=move || added.get() == Some(id) style=style data-testid="deal-card" data-title=card.title.clone()>
            <div class="deal-card-top">
                <a class="row-title" href=format!("/deals/{id}") data-testid="deal-link">{card.title.clone()}</a>
                <Show when=move || editable.get()>
                    <span
                        class="drag-handle"
                        role="img"
                        aria-label=move || t_string!(i18n, deals.drag)
                        data-testid="deal-drag"
                        on:pointerdown=down
                        on:pointermove=moved
                        on:pointerup=up
                        on:pointercancel=move |_| drag.set(None)
                    >
                        "⠿"
                    </span>
                </Show>
            </div>
            <span class="deal-card-detail row-detail">
                <span data-testid="deal-amount">{card.amount.clone()}</span>
                // The party by name only: too small a target for a thumb here, it is a tap away on the
                // deal's page (the card's title).
                {card.parties.first().map(|(_, name)| view! {
                    " · "<span data-testid="deal-party-name">{name.clone()}</span>
                })}
            </span>
            <div class="deal-card-meta">
                {card.owner.clone().map(|owner| view! {
                    <span class="avatar" title=owner.clone() aria-label=owner.clone() data-testid="deal-owner">{widgets::initials(&owner)}</span>
                })}
                <span class="row-detail" data-testid="deal-days" title=t_string!(i18n, deals.days_in_stage_long, days = card.days_in_stage).to_string()>
                    {t_string!(i18n, deals.days_in_stage, days = card.days_in_stage).to_string()}
                </span>
                <Show when=move || editable.get()>
                    <select class="deal-move" aria-label=move || t_string!(i18n, deals.move_to) data-testid="deal-move" on:change=choose>
                        {stages.with_value(|stages| stages.iter().map(|(s, name)| {
                            let value = Destination::Stage(*s).key();
                            view! { <option value=value selected=*s == stage>{name.clone()}</option> }
                        }).collect_view())}
                        <option value="won">{t!(i18n, deals.won)}</option>
                        <option value="lost">{t!(i18n, deals.lost)}</option>
                    </select>
                </Show>
            </div>
        </div>
    }
}

/// What deal `id`'s card shows, following the workspace (a colleague's change shows at once). Read only
/// for the cards on screen: formatting two thousand amounts would take longer than the page may.
fn deal_card(id: DealId) -> Memo<Option<DealCard>> {
    let ctx = WorkspaceCtx::use_ctx();
    Memo::new(move |_| {
        let kinds = Changed::DEALS | Changed::PARTIES | Changed::SETTINGS;
        ctx.read_of(kinds, |ws| {
            ws.model.deals.get(&id).map(|row| DealCard::of(row, ws, local::now()))
        })
        .flatten()
    })
}

#[component]
fn DealList(columns: Vec<Column>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let mut rows: Vec<(String, String, DealId)> = ctx
        .read(|ws| {
            columns
                .into_iter()
                .flat_map(|column| {
                    let name = column.name;
                    column.cards.into_iter().map(move |id| (name.clone(), id))
                })
                .map(|(stage, id)| {
                    let title =
                        ws.model.deals.get(&id).map(|d| d.title.to_lowercase()).unwrap_or_default();
                    (title, stage, id)
                })
                .collect()
        })
        .unwrap_or_default();
    rows.sort();
    let rows: Vec<(String, DealId)> = rows.into_iter().map(|(_, stage, id)| (stage, id)).collect();
    // A grid of rows rather than a <table>: only the rows on screen are in the page.
    view! {
        <div class="deal-grid" role="table" data-testid="deal-table">
            <div class="deal-line deal-head" role="row">
                <span role="columnheader">{t!(i18n, deals.deal)}</span>
                <span role="columnheader">{t!(i18n, deals.stage)}</span>
                <span role="columnheader" class="number">{t!(i18n, deals.amount)}</span>
                <span role="columnheader">{t!(i18n, deals.closes_col)}</span>
                <span role="columnheader">{t!(i18n, deals.with)}</span>
            </div>
            <Windowed
                items=Signal::stored(rows)
                key=|(_, id): &(String, DealId)| *id
                row=|(stage, id): (String, DealId)| {
                    let card = deal_card(id);
                    move || card.get().map(|card| { let stage = stage.clone(); view! {
                    <div class="deal-line" role="row" data-testid="deal-table-row">
                        <a role="cell" class="row-title" href=format!("/deals/{}", card.id)>{card.title}</a>
                        <span role="cell" class="row-detail" data-testid="deal-table-stage">{stage}</span>
                        <span role="cell" class="number">{card.amount}</span>
                        <span role="cell" class="row-detail">{card.close.unwrap_or_default()}</span>
                        <span role="cell" class="row-detail">{card.parties.into_iter().map(|(party, name)| view! {
                            <a href=format!("/parties/{party}")>{name}</a>" "
                        }).collect_view()}</span>
                    </div>
                    }})
                }
                class="deal-lines"
                testid="deal-lines"
                row_px=48
            />
        </div>
    }
}

/// How the forecast table groups open deals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ForecastBy {
    Month,
    Owner,
}

/// Open deals' value by expected-close month or by owner, in full and weighted by each stage's
/// probability.
#[component]
fn Forecast(
    forecast: Memo<Option<queries::Forecast>>,
    pipeline: Memo<Option<PipelineId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let by = RwSignal::new(ForecastBy::Month);
    let cell_row = |label: String, cell: &queries::ForecastCell, currency: &str| {
        (
            label,
            cell.deals,
            widgets::money(cell.total_minor, currency),
            widgets::money(cell.weighted_minor, currency),
        )
    };
    let rows = move || match by.get() {
        ForecastBy::Month => forecast
            .get()
            .unwrap_or_default()
            .iter()
            .map(|((month, currency), cell)| {
                let label =
                    month.map_or_else(|| t_string!(i18n, deals.no_close).to_owned(), month_name);
                cell_row(label, cell, currency)
            })
            .collect::<Vec<_>>(),
        ForecastBy::Owner => ctx
            .read(|ws| {
                let cells = queries::forecast_by_owner(&ws.model, &ws.settings, pipeline.get());
                let name = |owner: Option<MemberId>| {
                    owner.and_then(|o| ws.settings.members.get(&o.to_string())).map_or_else(
                        || t_string!(i18n, deals.nobody).to_owned(),
                        |m| m.display_name.clone(),
                    )
                };
                let mut rows: Vec<_> = cells
                    .iter()
                    .map(|((owner, currency), cell)| cell_row(name(*owner), cell, currency))
                    .collect();
                rows.sort_by(|a, b| a.0.cmp(&b.0));
                rows
            })
            .unwrap_or_default(),
    };
    view! {
        <section class="panel" aria-labelledby="forecast-title" data-testid="forecast">
            <h2 id="forecast-title">{t!(i18n, deals.forecast)}</h2>
            <Segmented value=by name="forecast-by" label=Signal::derive(move || t_string!(i18n, deals.group)) options=vec![
                (ForecastBy::Month, Signal::derive(move || t_string!(i18n, deals.by_month)), "forecast-by-month"),
                (ForecastBy::Owner, Signal::derive(move || t_string!(i18n, deals.by_owner)), "forecast-by-owner"),
            ] />
            <table class="data-table">
                <thead><tr>
                    <th>{move || if by.get() == ForecastBy::Month { t_string!(i18n, deals.month) } else { t_string!(i18n, deals.owner) }}</th>
                    <th>{t!(i18n, deals.deals)}</th><th>{t!(i18n, deals.total)}</th><th>{t!(i18n, deals.weighted)}</th>
                </tr></thead>
                <tbody>
                    {move || rows().into_iter().map(|(label, deals, total, weighted)| view! {
                        <tr data-testid="forecast-row">
                            <td data-testid="forecast-label">{label}</td>
                            <td class="number">{deals}</td>
                            <td class="number">{total}</td>
                            <td class="number" data-testid="forecast-weighted">{weighted}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// "Nov 2026" in the screens' language.
pub(super) fn month_name(month: Month) -> String {
    let date =
        js_sys::Date::new_with_year_month_day(month.year as u32, i32::from(month.month) - 1, 1);
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"month".into(), &"short".into());
    let _ = js_sys::Reflect::set(&options, &"year".into(), &"numeric".into());
    date.to_locale_date_string(&widgets::language(), &options).into()
}

/// A new deal: a title, an amount, when it should close and with whom; it starts in the first stage.
#[component]
fn NewDeal(pipeline: PipelineId, added: RwSignal<Option<DealId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let title = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let currencies = Memo::new(move |_| {
        ctx.read(|ws| ws.settings.currencies.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| vec!["EUR".to_owned()])
    });
    let currency = RwSignal::new(None::<String>);
    let close = RwSignal::new(String::new());
    let party = RwSignal::new(None::<(PartyId, String)>);
    let error = RwSignal::new(None::<String>);
    let form = NodeRef::<leptos::html::Details>::new();
    // `?party=` ("Add deal" on a record): the form opens with that party chosen.
    let preset = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("party"))
        .and_then(|id| id.parse::<PartyId>().ok());
    Effect::new(move || {
        let Some(id) = preset else { return };
        let name = ctx.read(|ws| ws.model.parties.get(&id).map(|row| row.name.clone())).flatten();
        if let (Some(name), Some(details)) = (name, form.get())
            && party.get_untracked().is_none()
        {
            party.set(Some((id, name)));
            details.set_open(true);
        }
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(Signal::derive(move || {
        !title.with(|t| t.trim().is_empty()) || !amount.with(|a| a.trim().is_empty())
    }));
    let saving = widgets::Save::new(move |(text, money): (String, Money)| async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let (first_stage, me) = {
            let ws = shared.borrow();
            let stage = ws
                .settings
                .pipelines
                .get(&pipeline.to_string())
                .and_then(|p| p.stages.first().map(|s| s.id));
            (stage, ws.me)
        };
        let Some(stage) = first_stage else {
            error.set(Some(t_string!(i18n, deals.no_stages).into()));
            return;
        };
        let now = local::now();
        let deal = Deal {
            title: text,
            pipeline,
            stage,
            amount: money,
            expected_close: widgets::parse_date_input(&close.get_untracked()),
            owner: me,
            parties: party.get_untracked().map(|(id, _)| id).into_iter().collect(),
            status: DealStatus::Open,
            lost_reason: String::new(),
            stage_history: vec![StageChange { stage, at: now, by: me }],
            closed_at: None,
            closings: Vec::new(),
            terms_history: Vec::new(),
            files: Default::default(),
            created_at: now,
            archived: false,
            round: None,
            soft_circled: None,
            committed: None,
        };
        let id = DealId::generate(&mut BrowserIds);
        let created = local::create(&shared, id, deal).await;
        if ctx.settle(created, error) {
            added.set(Some(id));
            title.set(String::new());
            amount.set(String::new());
            close.set(String::new());
            party.set(None);
            // Folded away again: the board is what one wants to see next.
            if let Some(form) = form.get_untracked() {
                form.set_open(false);
            }
        }
    });
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = title.get_untracked().trim().to_owned();
        if text.is_empty() {
            error.set(Some(t_string!(i18n, deals.title_needed).into()));
            return;
        }
        let currency_now = currency
            .get_untracked()
            .or_else(|| currencies.get_untracked().first().cloned())
            .unwrap_or_else(|| "EUR".into());
        let money = match amount.with_untracked(|a| a.trim().is_empty()) {
            true => Money { minor: 0, currency: currency_now },
            false => match Money::parse(&amount.get_untracked(), &currency_now) {
                Ok(money) => money,
                Err(why) => {
                    error.set(Some(crate::widgets::amount_refused(&why)));
                    return;
                }
            },
        };
        saving.submit((text, money));
    };

    view! {
        <details class="panel new-deal" node_ref=form>
            <summary data-testid="new-deal-open">{t!(i18n, deals.new_one)}</summary>
            <form class="record-form" on:submit=add data-testid="new-deal">
                <label>
                    {t!(i18n, deals.title)}
                    <input type="text" data-testid="new-deal-title" prop:value=move || title.get()
                        on:input=move |e| title.set(event_target_value(&e)) />
                </label>
                <div class="field-row">
                    <label>
                        {t!(i18n, deals.amount)}
                        <input type="text" inputmode="decimal" data-testid="new-deal-amount"
                            prop:value=move || amount.get()
                            on:input=move |e| amount.set(event_target_value(&e)) />
                    </label>
                    <label>
                        {t!(i18n, deals.currency)}
                        <select data-testid="new-deal-currency" on:change=move |e| currency.set(Some(event_target_value(&e)))>
                            {move || currencies.get().into_iter().map(|code| view! {
                                <option value=code.clone()>{code.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </div>
                <label>
                    {t!(i18n, deals.expected_close)}
                    <input type="date" data-testid="new-deal-close" prop:value=move || close.get()
                        on:input=move |e| close.set(event_target_value(&e)) />
                </label>
                <PartyPicker chosen=party testid="new-deal" label=move || t_string!(i18n, deals.with) />
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="new-deal-error">{e}</p> })}
                <button type="submit" data-testid="add-deal" disabled=move || saving.pending()>{t!(i18n, deals.add)}</button>
            </form>
        </details>
    }
}
