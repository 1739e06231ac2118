//! Purchasing: requests for quotation sent to several suppliers at once, the orders they became
//! (late ones first), and every supplier's standing from its scorecard. Scores and standings are
//! derived on the device from what is recorded (`rapport_core::scorecard`), never stored.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use rapport_core::ids::{PartyId, PurchaseId, PurchaseLineId, TenderId};
use rapport_core::model::ScorecardCriterion;
use rapport_core::model::{Money, Purchase, PurchaseLine, PurchaseStatus, Standing};
use rapport_core::purchase::{PurchaseRow, State};
use rapport_core::read_model::{Changed, RoleRow};
use rapport_core::replica::Replica;
use rapport_core::scorecard::{self, Criteria, Reason, Scorecard, default_criteria};

use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;

/// Months a scorecard covers.
pub(crate) const SCORED_MONTHS: u8 = 12;

/// What the scorecards and standings read.
pub(crate) fn scored() -> Changed {
    Changed::PARTIES | Changed::PURCHASES | Changed::FEEDBACK | Changed::SETTINGS
}

/// Every supplier's scorecard, today.
pub(crate) fn scorecards(ws: &Replica) -> Vec<Scorecard> {
    let today = crate::widgets::local_day(local::now());
    scorecard::scorecards(
        ws.model.parties.values(),
        ws.model.purchases.values(),
        ws.model.ratings.values(),
        &Criteria::of(&ws.settings),
        today,
        SCORED_MONTHS,
    )
}

/// The scorecard of one supplier, read whenever what it is scored from changes.
pub(crate) fn scorecard_of(ctx: WorkspaceCtx, party: PartyId) -> Option<Scorecard> {
    ctx.read_of(scored(), |ws| {
        let today = crate::widgets::local_day(local::now());
        let parties = ws.model.parties.get(&party).into_iter();
        let purchases = ws.model.purchases.values().filter(|row| row.supplier == party);
        let ratings = ws.model.ratings.values().filter(|row| row.party == party);
        let criteria = Criteria::of(&ws.settings);
        scorecard::scorecards(parties, purchases, ratings, &criteria, today, SCORED_MONTHS).pop()
    })
    .flatten()
}

/// A criterion's name in the screens' language: the built-in ones are translated while they keep
/// their built-in name; a name the workspace gave is shown as written.
pub(crate) fn criterion_name(key: &str, criterion: &ScorecardCriterion) -> String {
    let i18n = use_i18n();
    let builtin = default_criteria().into_iter().any(|(k, c)| k == key && c.name == criterion.name);
    if !builtin {
        return criterion.name.clone();
    }
    match key {
        "on_time" => t_string!(i18n, purchase.criterion_on_time),
        "quality" => t_string!(i18n, purchase.criterion_quality),
        "price" => t_string!(i18n, purchase.criterion_price),
        _ => t_string!(i18n, purchase.criterion_responsiveness),
    }
    .to_owned()
}

pub(crate) fn standing_name(standing: Standing) -> &'static str {
    let i18n = use_i18n();
    match standing {
        Standing::Ok => t_string!(i18n, purchase.standing_ok),
        Standing::Watch => t_string!(i18n, purchase.standing_watch),
        Standing::Blocked => t_string!(i18n, purchase.standing_blocked),
    }
}

/// Why a supplier stands where it does, in words.
pub(crate) fn reason_text(reason: &Reason) -> String {
    let i18n = use_i18n();
    match reason {
        Reason::Hold { reason, .. } => {
            t_string!(i18n, purchase.reason_hold, reason = reason.clone()).to_string()
        }
        Reason::Score { until, months, score, below, .. } => t_string!(
            i18n,
            purchase.reason_score,
            month = until.to_string(),
            months = months.to_string(),
            score = score.to_string(),
            below = below.to_string()
        )
        .to_string(),
        Reason::Expired { name, on } => t_string!(
            i18n,
            purchase.reason_expired,
            name = name.clone(),
            date = crate::widgets::day_text(*on)
        )
        .to_string(),
    }
}

/// A supplier's standing as a tag; its reasons in the tag's title.
#[component]
pub(crate) fn StandingTag(card: Scorecard) -> impl IntoView {
    let reasons: Vec<String> = card.reasons.iter().map(reason_text).collect();
    view! {
        <span class="tag standing" data-testid="standing" data-standing=card.standing.code() title=reasons.join("\n")>
            {standing_name(card.standing)}
        </span>
    }
}

/// Whether ordering from a supplier may go ahead: `Err` with why when it is blocked; on watch, the
/// person is asked to confirm with the reasons shown.
pub(crate) fn may_order(card: Option<&Scorecard>) -> Result<(), String> {
    let Some(card) = card else { return Ok(()) };
    let reasons: Vec<String> = card.reasons.iter().map(reason_text).collect();
    match card.standing {
        Standing::Ok => Ok(()),
        Standing::Blocked => Err(reasons.join(" ")),
        Standing::Watch => {
            let i18n = use_i18n();
            let question =
                t_string!(i18n, purchase.watch_confirm, reasons = reasons.join(" ")).to_string();
            let sure = web_sys::window()
                .and_then(|w| w.confirm_with_message(&question).ok())
                .unwrap_or(false);
            if sure { Ok(()) } else { Err(String::new()) }
        }
    }
}

fn party_name(ws: &Replica, party: PartyId) -> String {
    ws.model.parties.get(&party).map(|p| p.name.clone()).unwrap_or_default()
}

/// A tender as listed: its title, how many suppliers were asked and have answered, and whether an
/// offer was chosen.
#[derive(Debug, Clone, PartialEq)]
struct TenderLine {
    tender: TenderId,
    title: String,
    asked: usize,
    quoted: usize,
    ordered: Option<PurchaseId>,
    created: rapport_core::ids::Timestamp,
}

fn tenders(ws: &Replica) -> Vec<TenderLine> {
    let mut lines: Vec<TenderLine> = Vec::new();
    let mut rows: Vec<&PurchaseRow> =
        ws.model.purchases.values().filter(|row| !row.archived && row.tender.is_some()).collect();
    rows.sort_by_key(|row| (row.tender, row.created_at));
    for row in rows {
        let tender = row.tender.unwrap_or(TenderId::from_bytes([0; 16]));
        if lines.last().is_none_or(|line| line.tender != tender) {
            lines.push(TenderLine {
                tender,
                title: row.title.clone(),
                asked: 0,
                quoted: 0,
                ordered: None,
                created: row.created_at,
            });
        }
        let Some(line) = lines.last_mut() else { continue };
        line.asked += 1;
        line.quoted += usize::from(row.quoted());
        if row.state == State::Ordered {
            line.ordered = Some(row.id);
        }
    }
    lines.sort_by_key(|line| (line.ordered.is_some(), std::cmp::Reverse(line.created)));
    lines
}

#[component]
pub(crate) fn Purchasing() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let today = crate::widgets::local_day(local::now());
    let tender_lines =
        Memo::new(move |_| ctx.read_of(Changed::PURCHASES, tenders).unwrap_or_default());
    // Orders not yet delivered (late first), then the last delivered ones.
    // Orders still to come — late first, then by the day they are due, undated last —, and those
    // delivered, the latest first.
    let orders_of = move |delivered: bool| {
        ctx.read_of(Changed::PURCHASES | Changed::PARTIES, |ws| {
            let mut rows: Vec<(PurchaseRow, String)> = ws
                .model
                .purchases
                .values()
                .filter(|row| !row.archived && row.state == State::Ordered)
                .filter(|row| row.delivered.is_some() == delivered)
                .map(|row| (row.clone(), party_name(ws, row.supplier)))
                .collect();
            rows.sort_by_key(|(row, _)| match row.delivered {
                None => (!row.is_late(today), row.promised.unwrap_or(i32::MAX)),
                Some(delivered) => (false, -delivered),
            });
            rows
        })
        .unwrap_or_default()
    };
    let orders = Memo::new(move |_| orders_of(false));
    let delivered = Memo::new(move |_| orders_of(true));
    let cards = Memo::new(move |_| {
        let span = crate::timing::Span::start("rapport:scorecards");
        let cards = ctx
            .read_of(scored(), |ws| {
                let mut cards: Vec<(Scorecard, String)> = scorecards(ws)
                    .into_iter()
                    .map(|card| {
                        let name = party_name(ws, card.supplier);
                        (card, name)
                    })
                    .collect();
                // The worst standing first, then by name.
                cards.sort_by_cached_key(|(card, name)| {
                    (std::cmp::Reverse(card.standing), name.to_lowercase())
                });
                cards
            })
            .unwrap_or_default();
        span.end();
        cards
    });
    Effect::new(move || {
        cards.track();
        crate::timing::mark("rapport:scorecards-rendered");
    });
    let asking = RwSignal::new(false);
    view! {
        <Page key="purchasing" title=move || t_string!(i18n, purchase.title)>
            <div class="list-toolbar">
                <Show when=move || account.can_edit() && !asking.get()>
                    <button type="button" class="primary-action" data-testid="new-rfq-open" on:click=move |_| asking.set(true)>
                        {t!(i18n, purchase.new_rfq)}
                    </button>
                </Show>
            </div>
            <Show when=move || asking.get()>
                <NewRequest done=Callback::new(move |()| asking.set(false)) />
            </Show>
            <section class="panel" data-testid="tenders" data-count=move || tender_lines.with(Vec::len)>
                <h2>{t!(i18n, purchase.requests)}</h2>
                <Show when=move || tender_lines.with(|l| !l.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, purchase.no_requests)}</p> }>
                    <ul class="rows">
                        {move || tender_lines.get().into_iter().map(|line| {
                            let state = if line.ordered.is_some() { "ordered" } else if line.quoted == line.asked { "quoted" } else { "waiting" };
                            view! {
                                <li class="row" data-testid="tender" data-state=state>
                                    <a class="row-link" href=format!("/purchasing/tenders/{}", line.tender)>
                                        <span class="row-title">{line.title.clone()}</span>
                                        <span class="row-detail">{move || t_string!(i18n, purchase.offers_in, quoted = line.quoted.to_string(), asked = line.asked.to_string()).to_string()}</span>
                                    </a>
                                    {line.ordered.is_some().then(|| view! { <span class="tag">{t!(i18n, purchase.ordered)}</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </Show>
            </section>
            <section class="panel" data-testid="orders" data-count=move || orders.with(Vec::len)>
                <h2>{t!(i18n, purchase.orders)}</h2>
                <Show when=move || orders.with(|o| !o.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, purchase.no_orders)}</p> }>
                    <OrderList orders today />
                </Show>
            </section>
            <section class="panel" data-testid="suppliers-standing" data-count=move || cards.with(Vec::len)>
                <h2>{t!(i18n, purchase.suppliers)}</h2>
                <Show when=move || cards.with(|c| !c.is_empty()) fallback=move || view! {
                    <EmptyState title=move || t_string!(i18n, purchase.no_suppliers) hint=move || t_string!(i18n, purchase.no_suppliers_hint) />
                }>
                    <crate::widgets::Windowed items=cards class="supplier-cards" testid="supplier-cards" row_px=64
                        key=|(card, name): &(Scorecard, String)| standings_key(card, name)
                        row=|(card, name): (Scorecard, String)| view! { <SupplierLine card name /> } />
                </Show>
            </section>
            <Show when=move || delivered.with(|d| !d.is_empty())>
                <section class="panel" data-testid="delivered" data-count=move || delivered.with(Vec::len)>
                    <h2>{t!(i18n, purchase.delivered_orders)}</h2>
                    <OrderList orders=delivered today />
                </section>
            </Show>
        </Page>
    }
}

/// Orders, windowed.
#[component]
fn OrderList(orders: Memo<Vec<(PurchaseRow, String)>>, today: time::Date) -> impl IntoView {
    view! {
        <crate::widgets::Windowed items=orders class="purchase-orders" testid="order-list" row_px=64
            key=|(row, supplier): &(PurchaseRow, String)| (row.id, row.delivered, row.promised, row.title.clone(), supplier.clone(), row.total())
            row=move |(row, supplier): (PurchaseRow, String)| view! { <OrderLine row supplier today /> } />
    }
}

/// What a supplier's line shows: it is drawn again when any of it changes.
fn standings_key(
    card: &Scorecard,
    name: &str,
) -> (PartyId, String, Standing, Option<u8>, Option<i16>, usize) {
    (card.supplier, name.to_owned(), card.standing, card.latest(), card.trend(), card.reasons.len())
}

/// A supplier in the standings: its latest score, the trend and the standing.
#[component]
fn SupplierLine(card: Scorecard, name: String) -> impl IntoView {
    let i18n = use_i18n();
    let score = card.latest().map(|s| s.to_string()).unwrap_or_else(|| "–".to_owned());
    let trend = card.trend().map(|delta| match delta {
        d if d > 0 => format!("↑{d}"),
        d if d < 0 => format!("↓{}", -d),
        _ => "→".to_owned(),
    });
    let why = card.reasons.first().map(reason_text);
    let standing = card.standing.code();
    view! {
        <div class="row supplier-line" data-testid="supplier-line" data-standing=standing>
            <a class="row-link" href=format!("/parties/{}", card.supplier)>
                <span class="row-title">{name}</span>
                <span class="row-detail">
                    {move || t_string!(i18n, purchase.score_line, score = score.clone()).to_string()}
                    {trend.map(|t| format!(" {t}"))}
                    {why.map(|why| format!(" · {why}"))}
                </span>
            </a>
            <StandingTag card />
        </div>
    }
}

/// An order: with whom, what it comes to, and when it is due or came.
#[component]
pub(crate) fn OrderLine(row: PurchaseRow, supplier: String, today: time::Date) -> impl IntoView {
    let i18n = use_i18n();
    let day = |julian: i32| {
        time::Date::from_julian_day(julian).map(crate::widgets::day_text).unwrap_or_default()
    };
    let late = row.is_late(today);
    let state = if row.delivered.is_some() {
        "delivered"
    } else if late {
        "late"
    } else {
        "open"
    };
    let when = match (row.delivered, row.promised) {
        (Some(on), _) => t_string!(i18n, purchase.delivered_on, date = day(on)).to_string(),
        (None, Some(by)) => t_string!(i18n, purchase.due_on, date = day(by)).to_string(),
        (None, None) => t_string!(i18n, purchase.no_date).to_owned(),
    };
    let total = row.total().map(|minor| crate::widgets::money(minor, &row.currency));
    view! {
        <div class="row order-line" data-testid="order" data-state=state>
            <a class="row-link" href=format!("/purchasing/orders/{}", row.id)>
                <span class="row-title">{format!("{} · {}", row.title, supplier)}</span>
                <span class="row-detail">{total.map(|t| format!("{t} · "))}{when}</span>
            </a>
            {late.then(|| view! { <span class="tag due" data-state="overdue">{t!(i18n, purchase.late)}</span> })}
        </div>
    }
}

/// A line being written: what and how many.
#[derive(Clone, Copy)]
struct DraftLine {
    item: RwSignal<String>,
    quantity: RwSignal<String>,
}

impl DraftLine {
    fn new() -> DraftLine {
        DraftLine { item: RwSignal::new(String::new()), quantity: RwSignal::new("1".to_owned()) }
    }
}

/// A quantity as people type it ("10", "2,5"); `None` unless it is more than nothing.
pub(crate) fn parse_quantity(text: &str) -> Option<f64> {
    let quantity: f64 = text.trim().replace(',', ".").parse().ok()?;
    (quantity.is_finite() && quantity > 0.0).then_some(quantity)
}

/// A request for quotation: a title, the lines, the suppliers asked. Each supplier gets its own
/// request with the same line ids, so their offers compare line by line.
#[component]
fn NewRequest(done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let title = RwSignal::new(String::new());
    let lines = RwSignal::new(vec![DraftLine::new()]);
    let chosen = RwSignal::new(BTreeSet::<PartyId>::new());
    let error = RwSignal::new(None::<String>);
    // Suppliers by name, each with its standing: a blocked one cannot be asked.
    let suppliers = Memo::new(move |_| {
        ctx.read_of(scored(), |ws| {
            let mut cards: std::collections::HashMap<PartyId, Scorecard> =
                scorecards(ws).into_iter().map(|card| (card.supplier, card)).collect();
            let mut suppliers: Vec<(PartyId, String, Scorecard)> = ws
                .model
                .parties
                .values()
                .filter(|p| !p.archived && p.roles.contains(&RoleRow::Supplier))
                .filter_map(|p| Some((p.id, p.name.clone(), cards.remove(&p.id)?)))
                .collect();
            suppliers.sort_by_cached_key(|(_, name, _)| name.to_lowercase());
            suppliers
        })
        .unwrap_or_default()
    });
    // The tender's id and each supplier's request id are chosen once for this form: sending again
    // after a failure part-way writes the same records, never a second tender.
    let tender = StoredValue::new(TenderId::generate(&mut local::BrowserIds));
    let request_ids = StoredValue::new(std::collections::HashMap::<PartyId, PurchaseId>::new());
    let sending = crate::widgets::Save::new(
        move |(named, typed, asked): (String, Vec<(String, f64)>, Vec<PartyId>)| {
            let navigate = navigate.clone();
            async move {
                let Some(shared) = ctx.shared() else { return };
                let (currency, me) = ctx
                    .read(|ws| (ws.settings.currencies.first().cloned(), ws.me))
                    .unwrap_or_default();
                let currency = currency.unwrap_or_else(|| "EUR".to_owned());
                let tender = tender.get_value();
                let lines: std::collections::BTreeMap<String, PurchaseLine> = typed
                    .into_iter()
                    .enumerate()
                    .map(|(position, (item, quantity))| {
                        let id = PurchaseLineId::generate(&mut local::BrowserIds);
                        let position = position as u32;
                        (id.to_string(), PurchaseLine { item, quantity, price: None, position })
                    })
                    .collect();
                let created_at = local::now();
                for supplier in asked {
                    let id = request_ids.try_update_value(|ids| {
                        *ids.entry(supplier)
                            .or_insert_with(|| PurchaseId::generate(&mut local::BrowserIds))
                    });
                    let Some(id) = id else { return };
                    let purchase = Purchase {
                        supplier,
                        tender: Some(tender),
                        title: named.clone(),
                        currency: currency.clone(),
                        lines: lines.clone(),
                        status: PurchaseStatus::Requested,
                        promised: String::new(),
                        delivered: String::new(),
                        rejected: 0.0,
                        ordered_at: None,
                        owner: me,
                        notes: Default::default(),
                        files: Default::default(),
                        created_at,
                        archived: false,
                    };
                    if let Err(failure) = local::create(&shared, id, purchase).await {
                        error.set(Some(failure.to_string()));
                        ctx.report(&failure);
                        return;
                    }
                }
                ctx.changed();
                done.run(());
                navigate(&format!("/purchasing/tenders/{tender}"), Default::default());
            }
        },
    );
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = title.get_untracked().trim().to_owned();
        if named.is_empty() {
            error.set(Some(t_string!(i18n, purchase.title_needed).to_owned()));
            return;
        }
        let mut typed = Vec::new();
        for line in lines.get_untracked() {
            let item = line.item.get_untracked().trim().to_owned();
            if item.is_empty() {
                continue;
            }
            let Some(quantity) = parse_quantity(&line.quantity.get_untracked()) else {
                let quantity = line.quantity.get_untracked();
                error.set(Some(
                    t_string!(i18n, purchase.quantity_invalid, item = item, quantity = quantity)
                        .to_string(),
                ));
                return;
            };
            typed.push((item, quantity));
        }
        if typed.is_empty() {
            error.set(Some(t_string!(i18n, purchase.lines_needed).to_owned()));
            return;
        }
        let asked: Vec<PartyId> = chosen.get_untracked().into_iter().collect();
        if asked.is_empty() {
            error.set(Some(t_string!(i18n, purchase.suppliers_needed).to_owned()));
            return;
        }
        // A supplier blocked since it was ticked (a colleague's hold arrived) is not asked.
        let blocked = suppliers.with_untracked(|suppliers| {
            suppliers
                .iter()
                .filter(|(party, _, card)| {
                    asked.contains(party) && card.standing == Standing::Blocked
                })
                .map(|(_, name, card)| {
                    let why = card.reasons.first().map(reason_text).unwrap_or_default();
                    t_string!(i18n, purchase.blocked_asked, name = name.clone(), reason = why)
                        .to_string()
                })
                .next()
        });
        if let Some(why) = blocked {
            error.set(Some(why));
            return;
        }
        error.set(None);
        sending.submit((named, typed, asked));
    };
    let toggle = move |party: PartyId| {
        chosen.update(|chosen| {
            if !chosen.remove(&party) {
                chosen.insert(party);
            }
        })
    };
    view! {
        <form class="record-form panel" on:submit=create data-testid="new-rfq">
            <h2>{t!(i18n, purchase.new_rfq)}</h2>
            <label>
                {t!(i18n, purchase.name)}
                <input type="text" required maxlength="200" data-testid="rfq-title"
                    prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
            </label>
            <fieldset class="rfq-lines">
                <legend>{t!(i18n, purchase.lines)}</legend>
                {move || lines.get().into_iter().enumerate().map(|(n, line)| view! {
                    <div class="field-row" data-testid="rfq-line">
                        <label class="grow">
                            {t!(i18n, purchase.item)}
                            <input type="text" maxlength="200" data-testid=format!("rfq-item-{n}")
                                prop:value=move || line.item.get() on:input=move |e| line.item.set(event_target_value(&e)) />
                        </label>
                        <label class="narrow">
                            {t!(i18n, purchase.quantity)}
                            <input type="text" inputmode="decimal" data-testid=format!("rfq-quantity-{n}")
                                prop:value=move || line.quantity.get() on:input=move |e| line.quantity.set(event_target_value(&e)) />
                        </label>
                    </div>
                }).collect_view()}
                <button type="button" data-testid="rfq-add-line" on:click=move |_| lines.update(|l| l.push(DraftLine::new()))>
                    {t!(i18n, purchase.add_line)}
                </button>
            </fieldset>
            <fieldset class="rfq-suppliers">
                <legend>{t!(i18n, purchase.ask)}</legend>
                <Show when=move || suppliers.with(|s| !s.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, purchase.no_suppliers_hint)}</p> }>
                    {move || suppliers.get().into_iter().map(|(party, name, card)| {
                        let blocked = card.standing == Standing::Blocked;
                        let why = card.reasons.first().map(reason_text);
                        let standing = card.standing.code();
                        view! {
                            <label class="check-row" data-testid="rfq-supplier" data-standing=standing>
                                <input type="checkbox" disabled=blocked
                                    prop:checked=move || chosen.with(|c| c.contains(&party))
                                    on:change=move |_| toggle(party) />
                                <span class="grow">{name}{why.map(|why| view! { <small class="hint">{format!(" · {why}")}</small> })}</span>
                                <StandingTag card />
                            </label>
                        }
                    }).collect_view()}
                </Show>
            </fieldset>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="rfq-error">{e}</p> })}
            <div class="field-row">
                <button type="submit" class="primary-action" data-testid="rfq-send" disabled=move || sending.pending()>
                    {move || if sending.pending() { t_string!(i18n, purchase.sending) } else { t_string!(i18n, purchase.send_rfq) }}
                </button>
                <button type="button" on:click=move |_| done.run(())>{t!(i18n, purchase.cancel)}</button>
            </div>
        </form>
    }
}

/// A price as typed for one unit; `None` for an empty field.
pub(crate) fn parse_price(text: &str, currency: &str) -> Result<Option<i64>, String> {
    match text.trim() {
        "" => Ok(None),
        typed => Money::parse(typed, currency)
            .map(|money| Some(money.minor))
            .map_err(|why| crate::widgets::amount_refused(&why)),
    }
}
