//! One purchase order: the supplier, the lines at the agreed prices, the promised day, and its
//! delivery — the day it came and the units rejected, which the supplier's scorecard is scored from.
//! Sent as a CSV file or printed (to paper or PDF) from the browser.

use leptos::prelude::*;
use rapport_core::contract::{parse_day, write_day};
use rapport_core::model::{Purchase, PurchaseStatus};
use rapport_core::purchase::line_amount;

use super::Page;
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::{RecordRoute, WorkspaceCtx};

#[component]
pub(crate) fn PurchaseOrderPage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, purchase.bad_link).to_owned();
    let route = RecordRoute::<Purchase>::new(t_string!(i18n, purchase.no_such), bad_link);
    let RecordRoute { id, record: purchase, failure, .. } = route;
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let supplier = move || {
        let party = purchase.with(|p| p.as_ref().map(|p| p.supplier))?;
        let name = ctx.read(|ws| ws.model.parties.get(&party).map(|p| p.name.clone())).flatten();
        Some((party, name.unwrap_or_default()))
    };
    let delivered = RwSignal::new(String::new());
    let rejected = RwSignal::new(String::new());
    // Filled from the order as stored; a colleague's delivery shows in a field this person has not
    // changed.
    let stored_day = Memo::new(move |_| {
        purchase.with(|p| p.as_ref().map(|p| p.delivered.clone())).unwrap_or_default()
    });
    let stored_units = Memo::new(move |_| {
        purchase
            .with(|p| {
                p.as_ref()
                    .map(|p| if p.rejected > 0.0 { p.rejected.to_string() } else { String::new() })
            })
            .unwrap_or_default()
    });
    crate::widgets::follow(stored_day, delivered);
    crate::widgets::follow(stored_units, rejected);
    let dirty = Signal::derive(move || {
        delivered.with(|d| d.trim() != stored_day.get())
            || rejected.with(|r| r.trim() != stored_units.get())
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let saving =
        crate::widgets::Save::new(move |(day, units): (Option<String>, Option<f64>)| async move {
            let (Some(shared), Some(id)) = (ctx.shared(), id.get_untracked()) else { return };
            let result = local::update::<Purchase>(&shared, id, move |purchase| {
                if let Some(day) = day {
                    purchase.delivered = day;
                }
                if let Some(units) = units {
                    purchase.rejected = units;
                }
            })
            .await;
            ctx.settle(result, error);
        });
    // Only what this person changed is written; a day after today or more units rejected than were
    // ordered is refused with the reason.
    let record = move |day: String, units: String| {
        let day = day.trim().to_owned();
        if !day.is_empty() {
            let Some(date) = parse_day(&day) else {
                return error.set(Some(t_string!(i18n, purchase.date_invalid).to_owned()));
            };
            if date > crate::widgets::local_day(local::now()) {
                return error.set(Some(t_string!(i18n, purchase.delivered_future).to_owned()));
            }
        }
        let units = units.trim().replace(',', ".");
        let count = match units.as_str() {
            "" => 0.0,
            typed => match typed.parse::<f64>() {
                Ok(units) if units.is_finite() && units >= 0.0 => units,
                _ => return error.set(Some(t_string!(i18n, purchase.rejected_invalid).to_owned())),
            },
        };
        let ordered: f64 = purchase
            .with_untracked(|p| p.as_ref().map(|p| p.lines.values().map(|l| l.quantity).sum()))
            .unwrap_or(0.0);
        if count > ordered {
            let quantity = ordered.to_string();
            return error.set(Some(
                t_string!(i18n, purchase.rejected_too_many, quantity = quantity).to_string(),
            ));
        }
        error.set(None);
        // Shown as stored ("6,0" is kept as 6), so the form is not left looking unsaved.
        let shown = if count > 0.0 { count.to_string() } else { String::new() };
        rejected.set(shown.clone());
        let day = (day != stored_day.get_untracked()).then_some(day);
        let units = (shown != stored_units.get_untracked()).then_some(count);
        saving.submit((day, units));
    };
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        record(delivered.get_untracked(), rejected.get_untracked());
    };
    let today = move |_| {
        let day = write_day(crate::widgets::local_day(local::now()));
        delivered.set(day.clone());
        record(day, rejected.get_untracked());
    };
    let export = move |_| {
        let Some(p) = purchase.get_untracked() else { return };
        let name = supplier().map(|(_, name)| name).unwrap_or_default();
        let text = order_csv(&p, &name);
        let safe: String =
            p.title.chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect();
        let file = format!("order-{safe}.csv");
        error.set(crate::widgets::download_text(&file, "text/csv;charset=utf-8", &text).err());
    };
    let print = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    let day = |text: &str| parse_day(text).map(crate::widgets::day_text).unwrap_or_default();
    view! {
        <Page key="purchase-order" title=move || purchase.with(|p| p.as_ref().map(|p| p.title.clone())).unwrap_or_else(|| t_string!(i18n, purchase.order).to_owned())>
            <p class="hint no-print">
                <a href="/purchasing" data-testid="back-to-purchasing">{t!(i18n, purchase.title)}</a>
                {move || purchase.with(|p| p.as_ref().and_then(|p| p.tender)).map(|tender| view! {
                    " · "<a href=format!("/purchasing/tenders/{tender}") data-testid="order-tender">{t!(i18n, purchase.compare)}</a>
                })}
            </p>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="order-error">{error}</p> })}
            {move || purchase.get().map(|p| {
                let total: Option<i64> = p.lines.values().try_fold(0i64, |sum, line| sum.checked_add(line_amount(line.quantity, line.price?)?));
                let status = match p.status {
                    PurchaseStatus::Requested => t_string!(i18n, purchase.status_requested),
                    PurchaseStatus::Ordered => t_string!(i18n, purchase.status_ordered),
                    PurchaseStatus::Cancelled => t_string!(i18n, purchase.status_cancelled),
                };
                let currency = p.currency.clone();
                view! {
                    <section class="panel order-sheet" data-testid="order-sheet" data-status=p.status.code()>
                        <p>
                            <strong>{t!(i18n, purchase.supplier)}</strong>" "
                            {move || supplier().map(|(party, name)| view! { <a href=format!("/parties/{party}") data-testid="order-supplier">{name}</a> })}
                        </p>
                        <p data-testid="order-status">{status}</p>
                        <table class="data-table order-lines" data-testid="order-lines">
                            <thead><tr>
                                <th>{t!(i18n, purchase.item)}</th>
                                <th class="number">{t!(i18n, purchase.quantity)}</th>
                                <th class="number">{t!(i18n, purchase.unit_price)}</th>
                                <th class="number">{t!(i18n, purchase.amount)}</th>
                            </tr></thead>
                            <tbody>
                                {p.lines_in_order().into_iter().map(|(_, line)| {
                                    let money = |minor: Option<i64>| minor.map(|m| crate::widgets::money(m, &currency)).unwrap_or_else(|| "–".to_owned());
                                    view! {
                                        <tr>
                                            <td>{line.item.clone()}</td>
                                            <td class="number">{line.quantity.to_string()}</td>
                                            <td class="number">{money(line.price)}</td>
                                            <td class="number">{money(line.price.and_then(|price| line_amount(line.quantity, price)))}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p class="offer-total" data-testid="order-total">
                            {total.map(|t| t_string!(i18n, purchase.total, total = crate::widgets::money(t, &p.currency)).to_string())}
                        </p>
                        <p data-testid="order-promised">
                            {(!p.promised.is_empty()).then(|| t_string!(i18n, purchase.due_on, date = day(&p.promised)).to_string())}
                        </p>
                    </section>
                }
            })}
            <Show when=move || purchase.with(|p| p.as_ref().is_some_and(|p| p.status == PurchaseStatus::Ordered))>
                <form class="record-form panel no-print" on:submit=save data-testid="delivery-form">
                    <h2>{t!(i18n, purchase.delivery)}</h2>
                    <div class="field-row">
                        <label>
                            {t!(i18n, purchase.delivered)}
                            <input type="date" data-testid="order-delivered" readonly=move || !account.can_edit()
                                prop:value=move || delivered.get() on:input=move |e| delivered.set(event_target_value(&e)) />
                        </label>
                        <label>
                            {t!(i18n, purchase.rejected)}
                            <input type="text" inputmode="decimal" data-testid="order-rejected" readonly=move || !account.can_edit()
                                prop:value=move || rejected.get() on:input=move |e| rejected.set(event_target_value(&e)) />
                        </label>
                    </div>
                    <p class="hint">{t!(i18n, purchase.delivery_hint)}</p>
                    <Show when=move || account.can_edit()>
                        <div class="field-row">
                            <button type="submit" data-testid="order-save" disabled=move || saving.pending()>{t!(i18n, purchase.save)}</button>
                            <button type="button" class="primary-action" data-testid="order-delivered-today" on:click=today>{t!(i18n, purchase.delivered_today)}</button>
                        </div>
                    </Show>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="order-form-error">{e}</p> })}
            <div class="actions-row no-print">
                <button type="button" data-testid="order-csv" on:click=export>{t!(i18n, purchase.export_csv)}</button>
                <button type="button" data-testid="order-print" on:click=print>{t!(i18n, purchase.print)}</button>
            </div>
        </Page>
    }
}

/// The order as a CSV file to send: a header of who and what, then one row per line.
fn order_csv(purchase: &Purchase, supplier: &str) -> String {
    let field = |text: &str| {
        // A cell a spreadsheet would read as a formula is written as text.
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    };
    let plain = |minor: Option<i64>| {
        minor
            .map(|minor| {
                rapport_core::model::Money { minor, currency: purchase.currency.clone() }.to_plain()
            })
            .unwrap_or_default()
    };
    let mut text = format!(
        "order,{}\nsupplier,{}\ncurrency,{}\ndelivery by,{}\n\nitem,quantity,unit price,amount\n",
        field(&purchase.title),
        field(supplier),
        purchase.currency,
        purchase.promised
    );
    for (_, line) in purchase.lines_in_order() {
        let amount = line.price.and_then(|price| line_amount(line.quantity, price));
        text.push_str(&format!(
            "{},{},{},{}\n",
            field(&line.item),
            line.quantity,
            plain(line.price),
            plain(amount)
        ));
    }
    text
}
