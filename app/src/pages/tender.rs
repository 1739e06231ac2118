//! One call for tenders: the suppliers asked side by side — their price for each line, what the offer
//! comes to, the delivery day they promise, and where they stand — and the chosen offer turned into
//! the order. Choosing changes the requests that exist (`rapport_core::purchase::choose`), so choosing
//! again, or on another device meanwhile, makes no second order.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use rapport_core::contract::{parse_day, write_day};
use rapport_core::ids::{PurchaseId, TenderId};
use rapport_core::model::{Purchase, PurchaseStatus, Standing};
use rapport_core::purchase::{self, Comparison, Offer, State};
use rapport_core::read_model::Changed;

use super::Page;
use super::purchasing::{StandingTag, may_order, parse_price, scorecard_of};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn TenderPage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let params = use_params_map();
    let tender =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<TenderId>().ok())));
    let comparison: Memo<Compared> = Memo::new(move |_| {
        let tender = tender.get()?;
        ctx.read_of(Changed::PURCHASES, |ws| {
            let rows = ws.model.purchases.values().filter(|row| row.tender == Some(tender));
            let comparison = Comparison::of(rows);
            let title = ws
                .model
                .purchases
                .values()
                .find(|row| row.tender == Some(tender))
                .map(|row| (row.title.clone(), row.currency.clone()));
            title.map(|(title, currency)| (title, currency, comparison))
        })
        .flatten()
    });
    let title = move || {
        comparison
            .with(|c| c.as_ref().map(|(title, _, _)| title.clone()))
            .unwrap_or_else(|| t_string!(i18n, purchase.tender).to_owned())
    };
    // The cards are made once per request and read their offer as it changes, so what is being typed
    // into one survives another's save, or a colleague's.
    let offers = Memo::new(move |_| {
        comparison.with(|c| c.as_ref().map(|(_, _, c)| c.offers.clone()).unwrap_or_default())
    });
    let ids = Memo::new(move |_| offers.with(|o| o.iter().map(|o| o.purchase).collect::<Vec<_>>()));
    let lines = Memo::new(move |_| {
        comparison.with(|c| c.as_ref().map(|(_, _, c)| c.lines.clone()).unwrap_or_default())
    });
    let currency = Memo::new(move |_| {
        comparison.with(|c| c.as_ref().map(|(_, currency, _)| currency.clone()).unwrap_or_default())
    });
    let ordered = Memo::new(move |_| {
        offers.with(|o| o.iter().find(|o| o.state == State::Ordered).map(|o| o.purchase))
    });
    view! {
        <Page key="tender" title=title>
            <p class="hint"><a href="/purchasing" data-testid="back-to-purchasing">{t!(i18n, purchase.title)}</a></p>
            {move || tender.get().is_none().then(|| view! { <p class="error">{t!(i18n, purchase.bad_link)}</p> })}
            {move || ordered.get().map(|id| view! {
                <p class="notice" role="status" data-testid="tender-ordered">
                    {t!(i18n, purchase.tender_ordered)}" "
                    <a href=format!("/purchasing/orders/{id}") data-testid="tender-order-link">{t!(i18n, purchase.open_order)}</a>
                </p>
            })}
            {move || (!offers.with(Vec::is_empty)).then(|| view! { <OfferSummary offers=offers.get() currency=currency.get() /> })}
            <div class="offers" data-testid="offers" data-count=move || ids.with(Vec::len)>
                <For each=move || ids.get() key=|id| *id let:id>
                    <OfferCard id offers lines currency ordered />
                </For>
            </div>
        </Page>
    }
}

/// The offers at a glance, one line each: what each comes to and when it would come — the comparison a
/// phone shows without scrolling through every card.
#[component]
fn OfferSummary(offers: Vec<Offer>, currency: String) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let day = |julian: Option<i32>| {
        julian
            .and_then(|j| time::Date::from_julian_day(j).ok())
            .map(crate::widgets::day_text)
            .unwrap_or_else(|| "–".to_owned())
    };
    view! {
        <table class="data-table offer-summary" data-testid="offer-summary">
            <thead><tr>
                <th>{t!(i18n, purchase.supplier)}</th>
                <th class="number">{t!(i18n, purchase.amount)}</th>
                <th class="number">{t!(i18n, purchase.delivery)}</th>
            </tr></thead>
            <tbody>
                {offers.into_iter().map(|offer| {
                    let supplier = offer.supplier;
                    let name = move || ctx.read(|ws| ws.model.parties.get(&supplier).map(|p| p.name.clone())).flatten().unwrap_or_default();
                    let total = offer.total.map(|t| crate::widgets::money(t, &currency)).unwrap_or_else(|| "–".to_owned());
                    view! {
                        <tr data-state=state_code(offer.state)>
                            <td>{name}</td>
                            <td class="number" class:best=offer.cheapest>{total}</td>
                            <td class="number" class:best=offer.soonest>{day(offer.promised)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

type Compared = Option<(String, String, Comparison)>;

fn state_code(state: State) -> &'static str {
    match state {
        State::Requested => "requested",
        State::Ordered => "ordered",
        State::Cancelled => "cancelled",
    }
}

/// An offer's fields as the form shows them: a price per line, then the promised day.
fn offer_fields(offer: Option<&Offer>, lines: usize, currency: &str) -> Vec<String> {
    let plain = |minor: &Option<i64>| {
        minor
            .map(|minor| {
                rapport_core::model::Money { minor, currency: currency.to_owned() }.to_plain()
            })
            .unwrap_or_default()
    };
    let mut fields: Vec<String> = match offer {
        Some(offer) => offer.prices.iter().map(plain).collect(),
        None => Vec::new(),
    };
    fields.resize(lines, String::new());
    let promised = offer
        .and_then(|o| o.promised)
        .and_then(|j| time::Date::from_julian_day(j).ok())
        .map(write_day)
        .unwrap_or_default();
    fields.push(promised);
    fields
}

/// One supplier's offer: a price per line and the promised day, editable while no offer of the tender
/// is ordered; ordering it orders this one and cancels the rest.
#[component]
fn OfferCard(
    id: PurchaseId,
    offers: Memo<Vec<Offer>>,
    lines: Memo<Vec<(String, String, f64)>>,
    currency: Memo<String>,
    ordered: Memo<Option<PurchaseId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let offer = Memo::new(move |_| offers.with(|o| o.iter().find(|o| o.purchase == id).cloned()));
    let supplier = offer.get_untracked().map(|o| o.supplier);
    let name = move || {
        let supplier = supplier?;
        ctx.read(|ws| ws.model.parties.get(&supplier).map(|p| p.name.clone())).flatten()
    };
    let card = Memo::new(move |_| supplier.and_then(|s| scorecard_of(ctx, s)));
    let count = lines.with_untracked(Vec::len);
    let stored =
        Memo::new(move |_| offer.with(|o| currency.with(|c| offer_fields(o.as_ref(), count, c))));
    // One field per line, then the promised day; each follows the stored offer until it is typed in.
    let fields: Vec<RwSignal<String>> = (0..=count).map(|_| RwSignal::new(String::new())).collect();
    for (index, field) in fields.iter().enumerate() {
        let one = Memo::new(move |_| stored.with(|s| s.get(index).cloned().unwrap_or_default()));
        crate::widgets::follow(one, *field);
    }
    let dirty = {
        let fields = fields.clone();
        Signal::derive(move || {
            stored.with(|s| {
                fields.iter().zip(s).any(|(field, stored)| field.with(|f| f.trim() != stored))
            })
        })
    };
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let state = move || offer.with(|o| o.as_ref().map(|o| o.state)).unwrap_or(State::Requested);
    let editable = move || account.can_edit() && ordered.get().is_none();
    let saving = crate::widgets::Save::new(
        move |(prices, promised): (Vec<(String, Option<i64>)>, Option<String>)| async move {
            let Some(shared) = ctx.shared() else { return };
            let result = local::update::<Purchase>(&shared, id, move |purchase| {
                for (key, price) in prices {
                    if let Some(line) = purchase.lines.get_mut(&key) {
                        line.price = price;
                    }
                }
                if let Some(promised) = promised {
                    purchase.promised = promised;
                }
            })
            .await;
            ctx.settle(result, error);
        },
    );
    let save_fields = fields.clone();
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed: Vec<String> =
            save_fields.iter().map(|f| f.get_untracked().trim().to_owned()).collect();
        let stored = stored.get_untracked();
        let currency = currency.get_untracked();
        // Only what this person changed: a colleague's price for another line stays.
        let mut prices = Vec::new();
        let mut shown = Vec::new();
        for ((key, _, _), (index, typed)) in
            lines.get_untracked().iter().zip(typed.iter().enumerate())
        {
            if stored.get(index) == Some(typed) {
                continue;
            }
            match parse_price(typed, &currency) {
                Ok(price) => {
                    prices.push((key.clone(), price));
                    // Shown as it will be stored ("95" becomes "95.00"), so the card is not left
                    // looking unsaved.
                    let plain = price.map(|minor| {
                        rapport_core::model::Money { minor, currency: currency.clone() }.to_plain()
                    });
                    shown.push((index, plain.unwrap_or_default()));
                }
                Err(why) => return error.set(Some(why)),
            }
        }
        let day = typed.last().cloned().unwrap_or_default();
        if !day.is_empty() && parse_day(&day).is_none() {
            return error.set(Some(t_string!(i18n, purchase.date_invalid).to_owned()));
        }
        let promised = (stored.last() != Some(&day)).then_some(day);
        for (index, plain) in shown {
            save_fields[index].set(plain);
        }
        error.set(None);
        saving.submit((prices, promised));
    };
    let ordering = crate::widgets::Save::new(move |()| {
        let navigate = navigate.clone();
        async move {
            let Some(shared) = ctx.shared() else { return };
            let (changes, me) = ctx
                .read(|ws| {
                    let Some(tender) = ws.model.purchases.get(&id).and_then(|row| row.tender)
                    else {
                        return (Vec::new(), ws.me);
                    };
                    let rows = ws.model.purchases.values().filter(|row| row.tender == Some(tender));
                    (purchase::choose(rows, id), ws.me)
                })
                .unwrap_or_default();
            for (purchase_id, status) in changes {
                let result = local::update::<Purchase>(&shared, purchase_id, move |purchase| {
                    purchase.status = status;
                    if status == PurchaseStatus::Ordered && purchase.ordered_at.is_none() {
                        purchase.ordered_at = Some(local::now());
                        purchase.owner = purchase.owner.or(me);
                    }
                })
                .await;
                if let Err(failure) = result {
                    error.set(Some(failure.to_string()));
                    ctx.report(&failure);
                    return;
                }
            }
            ctx.changed();
            navigate(&format!("/purchasing/orders/{id}"), Default::default());
        }
    });
    let order = move |_| {
        if dirty.get_untracked() {
            return error.set(Some(t_string!(i18n, purchase.save_first).to_owned()));
        }
        if let Err(why) = may_order(card.get_untracked().as_ref()) {
            if !why.is_empty() {
                error.set(Some(why));
            }
            return;
        }
        error.set(None);
        ordering.submit(());
    };
    let total = move || {
        let total = offer.with(|o| o.as_ref().and_then(|o| o.total))?;
        Some(currency.with(|c| crate::widgets::money(total, c)))
    };
    let flag = move |pick: fn(&Offer) -> bool| offer.with(|o| o.as_ref().is_some_and(pick));
    let blocked =
        move || card.with(|c| c.as_ref().is_some_and(|c| c.standing == Standing::Blocked));
    let line_fields = fields.clone();
    let promised = fields[count];
    view! {
        <form class="panel offer" on:submit=save data-testid="offer" data-state=move || state_code(state())
            data-cheapest=move || flag(|o| o.cheapest).to_string() data-soonest=move || flag(|o| o.soonest).to_string()>
            <h2 class="offer-head">
                <a href=move || supplier.map(|s| format!("/parties/{s}")).unwrap_or_default() data-testid="offer-supplier">{name}</a>
                {move || card.get().map(|card| view! { <StandingTag card /> })}
            </h2>
            <div class="offer-badges">
                {move || flag(|o| o.cheapest).then(|| view! { <span class="tag" data-testid="cheapest">{t!(i18n, purchase.cheapest)}</span> })}
                {move || flag(|o| o.soonest).then(|| view! { <span class="tag" data-testid="soonest">{t!(i18n, purchase.soonest)}</span> })}
                {move || (state() == State::Cancelled).then(|| view! { <span class="tag priority-low">{t!(i18n, purchase.cancelled)}</span> })}
                {move || (state() == State::Ordered).then(|| view! { <span class="tag">{t!(i18n, purchase.ordered)}</span> })}
            </div>
            {lines.get_untracked().into_iter().zip(line_fields).enumerate().map(|(n, ((_, item, quantity), price))| {
                let label = item.clone();
                view! {
                    <label class="offer-line">
                        <span class="grow">{format!("{item} × {quantity}")}</span>
                        <input type="text" inputmode="decimal" class="narrow" data-testid=format!("offer-price-{n}")
                            aria-label=move || t_string!(i18n, purchase.unit_price_of, item = label.clone()).to_string()
                            readonly=move || !editable() prop:value=move || price.get()
                            on:input=move |e| price.set(event_target_value(&e)) />
                    </label>
                }
            }).collect_view()}
            <label>
                {t!(i18n, purchase.promised)}
                <input type="date" data-testid="offer-promised" readonly=move || !editable()
                    prop:value=move || promised.get() on:input=move |e| promised.set(event_target_value(&e)) />
            </label>
            <p class="offer-total" data-testid="offer-total">
                {move || match total() {
                    Some(total) => t_string!(i18n, purchase.total, total = total).to_string(),
                    None => t_string!(i18n, purchase.not_quoted).to_owned(),
                }}
            </p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="offer-error">{e}</p> })}
            <Show when=editable>
                <div class="field-row">
                    <button type="submit" data-testid="offer-save" disabled=move || saving.pending()>{t!(i18n, purchase.save_offer)}</button>
                    <button type="button" class="primary-action" data-testid="offer-order"
                        disabled=move || blocked() || total().is_none() || ordering.pending() on:click=order>
                        {t!(i18n, purchase.order_this)}
                    </button>
                </div>
            </Show>
        </form>
    }
}
