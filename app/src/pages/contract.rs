//! One contract: what was agreed (kind, value and billing, its dates as written, notice period, tacit
//! renewal, notice given, signing), whose it is, the dates derived from those terms (the running term,
//! the last day to give notice, the renewal or end), its obligations and its signed files.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::contract::{self, ContractRow, Outlook};
use rapport_core::ids::{ContractId, MemberId, ObligationId};
use rapport_core::model::{Billing, Contract, ContractKind, Money, Obligation, Span, SpanUnit};

use super::Page;
use super::contracts::{kind_name, outlook_text, what};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::{RecordRoute, WorkspaceCtx};
use crate::widgets::{self, MemberChoice};

#[component]
pub(crate) fn ContractPage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, contract.bad_link).to_owned();
    let route = RecordRoute::<Contract>::new(t_string!(i18n, contract.no_such), bad_link);
    let RecordRoute { id, record: contract, failure, .. } = route;
    let ctx = WorkspaceCtx::use_ctx();
    let party = move || {
        let party = contract.with(|c| c.as_ref().map(|c| c.party))?;
        let name = ctx.read(|ws| ws.model.parties.get(&party).map(|p| p.name.clone())).flatten();
        Some((party, name.unwrap_or_default()))
    };
    view! {
        <Page key="contract" title=move || contract.with(|c| c.as_ref().map(|c| c.title.clone())).unwrap_or_else(|| t_string!(i18n, contract.title).to_owned())>
            <p class="hint">
                <a href="/contracts" data-testid="back-to-contracts">{t!(i18n, contract.open_contracts)}</a>
                {move || party().map(|(party, name)| view! {
                    " · "<a href=format!("/parties/{party}") data-testid="contract-party">{name}</a>
                })}
            </p>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="contract-error">{error}</p> })}
            {move || contract.with(|c| c.as_ref().is_some_and(|c| c.archived)).then(|| view! {
                <p class="notice" role="status" data-testid="contract-deleted">{t!(i18n, contract.deleted)}</p>
            })}
            // A deleted contract is not edited: its reminders are cancelled, and it is listed nowhere.
            <Show
                when=move || contract.with(|c| c.as_ref().is_some_and(|c| !c.archived))
                fallback=move || (failure.get().is_none() && contract.with(Option::is_none)).then(|| view! { <p class="hint">{t!(i18n, contract.opening)}</p> })
            >
                {move || id.get_untracked().map(|id| view! {
                    <div class="record-layout">
                        // What falls due first: on a phone it comes before the long form.
                        <div class="record-main">
                            <ContractDates id contract />
                            <ContractForm id contract />
                        </div>
                        <div class="record-activity">
                            <Obligations id contract />
                            <widgets::Files owner=widgets::FileOwner::Contract(id) files=Signal::derive(move || contract.with(|c| c.as_ref().map(|c| c.files.clone()).unwrap_or_default())) />
                        </div>
                    </div>
                })}
            </Show>
        </Page>
    }
}

/// The fields the form edits, as text, in this order.
const TITLE: usize = 0;
const KIND: usize = 1;
const AMOUNT: usize = 2;
const BILLING: usize = 3;
const STARTS: usize = 4;
const ENDS: usize = 5;
const NOTICE: usize = 6;
const NOTICE_UNIT: usize = 7;
const RENEWAL: usize = 8;
const RENEWAL_UNIT: usize = 9;
const SIGNED: usize = 10;
const NOTICE_GIVEN: usize = 11;
const REMIND: usize = 12;
const FIELDS: usize = 13;

/// The most days ahead a reminder may come: a year.
const MOST_REMIND_DAYS: u32 = 366;

fn form_values(contract: &Contract) -> [String; FIELDS] {
    let count = |span: Option<Span>| span.map(|s| s.count.to_string()).unwrap_or_default();
    let unit = |span: Option<Span>| match span.map(|s| s.unit) {
        Some(SpanUnit::Days) => "days".to_owned(),
        _ => "months".to_owned(),
    };
    [
        contract.title.clone(),
        contract.kind.code().to_owned(),
        contract.value.to_plain(),
        contract.billing.code().to_owned(),
        contract.starts.clone(),
        contract.ends.clone(),
        count(contract.notice),
        unit(contract.notice),
        count(contract.renewal),
        unit(contract.renewal),
        contract.signed.clone(),
        contract.notice_given.clone(),
        contract.remind_days.to_string(),
    ]
}

/// What the form's fields say, as a contract's terms; the reason, in the screens' language, when
/// they cannot be.
#[derive(Clone)]
struct Terms {
    title: String,
    kind: ContractKind,
    value: Money,
    billing: Billing,
    starts: String,
    ends: String,
    notice: Option<Span>,
    renewal: Option<Span>,
    signed: String,
    notice_given: String,
    remind_days: u32,
}

fn read_form(fields: &[String; FIELDS], currency: &str) -> Result<Terms, String> {
    let i18n = use_i18n();
    let title = fields[TITLE].trim().to_owned();
    if title.is_empty() {
        return Err(t_string!(i18n, contract.title_needed).to_owned());
    }
    let value = match fields[AMOUNT].trim() {
        "" => Money { minor: 0, currency: currency.to_owned() },
        typed => Money::parse(typed, currency).map_err(|why| widgets::amount_refused(&why))?,
    };
    let number = |text: &str, field: &str| -> Result<Option<u32>, String> {
        match text.trim() {
            "" => Ok(None),
            typed => typed.parse::<u32>().map(Some).map_err(|_| {
                t_string!(i18n, contract.number_needed, field = field.to_owned()).to_string()
            }),
        }
    };
    let span = |count: usize, unit: usize, field: &str| -> Result<Option<Span>, String> {
        let unit = if fields[unit] == "days" { SpanUnit::Days } else { SpanUnit::Months };
        Ok(number(&fields[count], field)?.filter(|n| *n > 0).map(|count| Span { count, unit }))
    };
    let notice = span(NOTICE, NOTICE_UNIT, t_string!(i18n, contract.notice))?;
    let renewal = span(RENEWAL, RENEWAL_UNIT, t_string!(i18n, contract.renewal))?;
    let remind_days = number(&fields[REMIND], t_string!(i18n, contract.remind_days))?.unwrap_or(0);
    if remind_days > MOST_REMIND_DAYS {
        return Err(t_string!(i18n, contract.remind_too_many).to_owned());
    }
    let (starts, ends) = (fields[STARTS].trim().to_owned(), fields[ENDS].trim().to_owned());
    if let (Some(start), Some(end)) = (contract::parse_day(&starts), contract::parse_day(&ends))
        && end < start
    {
        return Err(t_string!(i18n, contract.dates_invalid).to_owned());
    }
    Ok(Terms {
        title,
        kind: ContractKind::from_code(&fields[KIND]).unwrap_or_default(),
        value,
        billing: Billing::from_code(&fields[BILLING]).unwrap_or_default(),
        starts,
        ends,
        notice,
        renewal,
        signed: fields[SIGNED].trim().to_owned(),
        notice_given: fields[NOTICE_GIVEN].trim().to_owned(),
        remind_days,
    })
}

/// What was agreed, saved together; the owner saved as it is chosen.
#[component]
fn ContractForm(id: ContractId, contract: Memo<Option<Contract>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let initial = contract.with_untracked(|c| c.as_ref().map(form_values)).unwrap_or_default();
    let fields: [RwSignal<String>; FIELDS] = initial.map(RwSignal::new);
    let currency =
        move || contract.with(|c| c.as_ref().map(|c| c.value.currency.clone()).unwrap_or_default());
    // A colleague's change shows at once, except in a field this user has changed.
    Effect::new(move |before: Option<[String; FIELDS]>| {
        let now = contract.with(|c| c.as_ref().map(form_values)).unwrap_or_default();
        if let Some(before) = before {
            for ((field, old), new) in fields.iter().zip(&before).zip(&now) {
                if field.get_untracked() == *old && old != new {
                    field.set(new.clone());
                }
            }
        }
        now
    });
    let dirty = Signal::derive(move || {
        contract.with(|c| c.as_ref().map(form_values)).is_some_and(|stored| {
            fields.iter().zip(&stored).any(|(field, stored)| field.with(|f| f.trim() != stored))
        })
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    // Only what this user changed is written: a colleague's edit to another field that arrives while
    // the save runs stays.
    let saving = widgets::Save::new(move |(terms, changed): (Terms, [bool; FIELDS])| async move {
        let Some(shared) = ctx.shared() else { return };
        let plain = terms.value.to_plain();
        let result = local::update::<Contract>(&shared, id, move |contract| {
            let set = |index: usize| changed[index];
            if set(TITLE) {
                contract.title = terms.title;
            }
            if set(KIND) {
                contract.kind = terms.kind;
            }
            if set(AMOUNT) {
                contract.value = terms.value;
            }
            if set(BILLING) {
                contract.billing = terms.billing;
            }
            if set(STARTS) {
                contract.starts = terms.starts;
            }
            if set(ENDS) {
                contract.ends = terms.ends;
            }
            if set(NOTICE) || set(NOTICE_UNIT) {
                contract.notice = terms.notice;
            }
            if set(RENEWAL) || set(RENEWAL_UNIT) {
                contract.renewal = terms.renewal;
            }
            if set(SIGNED) {
                contract.signed = terms.signed;
            }
            if set(NOTICE_GIVEN) {
                contract.notice_given = terms.notice_given;
            }
            if set(REMIND) {
                contract.remind_days = terms.remind_days;
            }
        })
        .await;
        if ctx.settle(result, error) {
            // The amount as stored ("15 000" becomes "15000.00").
            fields[AMOUNT].set(plain);
        }
    });
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = fields.map(|field| field.get_untracked());
        let stored = contract.with_untracked(|c| c.as_ref().map(form_values)).unwrap_or_default();
        let changed = std::array::from_fn(|i| typed[i].trim() != stored[i]);
        match read_form(&typed, &currency()) {
            Ok(terms) => saving.submit((terms, changed)),
            Err(why) => error.set(Some(why)),
        }
    };
    let owner = Signal::derive(move || contract.with(|c| c.as_ref().and_then(|c| c.owner)));
    let reassign = Callback::new(move |to: Option<MemberId>| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            if let Err(error) =
                local::update::<Contract>(&shared, id, move |contract| contract.owner = to).await
            {
                ctx.report(&error);
            }
        });
    });
    // Deleted, it is listed nowhere and its reminders are cancelled (its row stays to say so).
    let navigate = leptos_router::hooks::use_navigate();
    let delete = move |_| {
        let sure = web_sys::window()
            .and_then(|w| w.confirm_with_message(t_string!(i18n, contract.delete_confirm)).ok())
            .unwrap_or(false);
        if !sure {
            return;
        }
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            match local::update::<Contract>(&shared, id, |contract| contract.archived = true).await
            {
                Ok(()) => {
                    ctx.changed();
                    navigate("/contracts", Default::default());
                }
                Err(failure) => ctx.report(&failure),
            }
        });
    };
    let read_only = move || !account.can_edit();
    let text = move |index: usize, testid: &'static str, kind: &'static str| {
        view! {
            <input type=kind data-testid=testid readonly=read_only prop:value=move || fields[index].get()
                on:input=move |e| fields[index].set(event_target_value(&e)) />
        }
    };
    let unit = move |index: usize, testid: &'static str, label: &'static str| {
        view! {
            <select data-testid=testid disabled=read_only aria-label=label prop:value=move || fields[index].get()
                on:change=move |e| fields[index].set(event_target_value(&e))>
                <option value="months" selected=move || fields[index].get() != "days">{t!(i18n, contract.months)}</option>
                <option value="days" selected=move || fields[index].get() == "days">{t!(i18n, contract.days)}</option>
            </select>
        }
    };
    view! {
        <form class="record-form panel" on:submit=save data-testid="contract-form">
            <label>{t!(i18n, contract.name)}{text(TITLE, "contract-title", "text")}</label>
            <div class="field-row">
                <label>
                    {t!(i18n, contract.kind)}
                    <select data-testid="contract-kind" disabled=read_only prop:value=move || fields[KIND].get()
                        on:change=move |e| fields[KIND].set(event_target_value(&e))>
                        {ContractKind::ALL.into_iter().map(|kind| view! {
                            <option value=kind.code() selected=move || fields[KIND].get() == kind.code()>{move || kind_name(kind.code())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {t!(i18n, contract.owner)}
                    <MemberChoice
                        testid="contract-owner"
                        current=owner
                        nobody=Signal::derive(move || t_string!(i18n, contract.nobody).to_owned())
                        choose=reassign
                        disabled=Signal::derive(read_only)
                    />
                </label>
            </div>
            <div class="field-row">
                <label>
                    {move || t_string!(i18n, contract.value, currency = currency()).to_string()}
                    <input type="text" inputmode="decimal" data-testid="contract-value" readonly=read_only
                        prop:value=move || fields[AMOUNT].get() on:input=move |e| fields[AMOUNT].set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, contract.billing)}
                    <select data-testid="contract-billing" disabled=read_only prop:value=move || fields[BILLING].get()
                        on:change=move |e| fields[BILLING].set(event_target_value(&e))>
                        {Billing::ALL.into_iter().map(|billing| view! {
                            <option value=billing.code() selected=move || fields[BILLING].get() == billing.code()>{move || billing_name(billing)}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <div class="field-row">
                <label>{t!(i18n, contract.starts)}{text(STARTS, "contract-starts", "date")}</label>
                <label>
                    {t!(i18n, contract.ends_field)}{text(ENDS, "contract-ends", "date")}
                    <span class="hint">{t!(i18n, contract.ends_hint)}</span>
                </label>
            </div>
            <div class="field-row">
                <label>
                    {t!(i18n, contract.notice)}
                    <span class="quantity">
                        <input type="number" min="0" inputmode="numeric" data-testid="contract-notice" readonly=read_only
                            prop:value=move || fields[NOTICE].get() on:input=move |e| fields[NOTICE].set(event_target_value(&e)) />
                        {unit(NOTICE_UNIT, "contract-notice-unit", t_string!(i18n, contract.notice_unit))}
                    </span>
                </label>
                <label>
                    {t!(i18n, contract.renewal)}
                    <span class="quantity">
                        <input type="number" min="0" inputmode="numeric" data-testid="contract-renewal" readonly=read_only
                            prop:value=move || fields[RENEWAL].get() on:input=move |e| fields[RENEWAL].set(event_target_value(&e)) />
                        {unit(RENEWAL_UNIT, "contract-renewal-unit", t_string!(i18n, contract.renewal_unit))}
                    </span>
                    <span class="hint">{t!(i18n, contract.renewal_hint)}</span>
                </label>
            </div>
            <div class="field-row">
                <label>{t!(i18n, contract.signed)}{text(SIGNED, "contract-signed", "date")}</label>
                <label>{t!(i18n, contract.notice_given)}{text(NOTICE_GIVEN, "contract-notice-given", "date")}</label>
            </div>
            <label>
                {t!(i18n, contract.remind_days)}
                <input type="number" min="0" inputmode="numeric" data-testid="contract-remind" readonly=read_only
                    prop:value=move || fields[REMIND].get() on:input=move |e| fields[REMIND].set(event_target_value(&e)) />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="contract-form-error">{e}</p> })}
            <Show when=move || !read_only()>
                // A child of the form itself, so that it sticks to the bottom of the screen while the
                // long form scrolls.
                <button type="submit" class="primary-action" data-testid="save-contract" disabled=move || saving.pending()>
                    {move || if saving.pending() { t_string!(i18n, contract.saving) } else { t_string!(i18n, contract.save) }}
                </button>
                <button type="button" data-testid="delete-contract" on:click=delete.clone()>{t!(i18n, contract.delete)}</button>
            </Show>
        </form>
    }
}

fn billing_name(billing: Billing) -> &'static str {
    let i18n = use_i18n();
    match billing {
        Billing::Once => t_string!(i18n, contract.billing_once),
        Billing::Monthly => t_string!(i18n, contract.billing_monthly),
        Billing::Quarterly => t_string!(i18n, contract.billing_quarterly),
        Billing::Yearly => t_string!(i18n, contract.billing_yearly),
    }
}

/// The dates derived from what is saved: the running term, what falls due next, and the dates of
/// the coming two years.
#[component]
fn ContractDates(id: ContractId, contract: Memo<Option<Contract>>) -> impl IntoView {
    let i18n = use_i18n();
    let today = widgets::local_day(local::now());
    let terms = Memo::new(move |_| {
        contract.with(|c| c.as_ref().and_then(|c| ContractRow::of(id, c).terms()))
    });
    let outlook = move || terms.with(|terms| Outlook::of(terms.as_ref(), today));
    let term = move || {
        let terms = terms.get()?;
        let standing = terms.standing(today)?;
        let from = widgets::day_text(standing.term_start);
        Some(
            match standing.term_end {
                Some(to) => {
                    let to = widgets::day_text(to);
                    t_string!(i18n, contract.term, from = from, to = to).to_string()
                }
                None => t_string!(i18n, contract.term_open, from = from).to_string(),
            } + &match standing.renewals {
                0 => String::new(),
                count => format!(" · {}", t_string!(i18n, contract.renewals, count = count)),
            },
        )
    };
    let upcoming = move || {
        let Some(terms) = terms.get() else { return Vec::new() };
        let to = today.saturating_add(time::Duration::days(2 * 366));
        contract::calendar([(id, &terms)], today, to).into_iter().take(6).collect::<Vec<_>>()
    };
    view! {
        <section class="panel" data-testid="contract-dates">
            <h2>{t!(i18n, contract.dates)}</h2>
            <p class="row-title" data-testid="contract-outlook">{move || outlook_text(outlook())}</p>
            {move || term().map(|term| view! { <p data-testid="contract-term">{term}</p> })}
            <ul class="rows">
                {move || upcoming().into_iter().map(|date| view! {
                    <li class="row" data-testid="contract-upcoming">
                        <span class="row-title">{widgets::day_text(date.date)}</span>
                        <span class="row-detail">{what(date.kind)}</span>
                    </li>
                }).collect_view()}
            </ul>
            <p class="hint">{t!(i18n, contract.derived)}</p>
        </section>
    }
}

/// What either side must do by a date: ticked off as done, added here.
#[component]
fn Obligations(id: ContractId, contract: Memo<Option<Contract>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let list = move || {
        let mut list: Vec<(String, Obligation)> = contract
            .with(|c| c.as_ref().map(|c| c.obligations.clone().into_iter().collect()))
            .unwrap_or_default();
        list.sort_by(|a, b| {
            (a.1.done, a.1.due.is_empty(), &a.1.due).cmp(&(b.1.done, b.1.due.is_empty(), &b.1.due))
        });
        list
    };
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = title.get_untracked().trim().to_owned();
        if named.is_empty() {
            return;
        }
        let Some(shared) = ctx.shared() else { return };
        let obligation = Obligation { title: named, due: due.get_untracked(), done: false };
        let key = ObligationId::generate(&mut local::BrowserIds).to_string();
        spawn_local(async move {
            let result = local::update::<Contract>(&shared, id, move |contract| {
                contract.obligations.insert(key, obligation);
            })
            .await;
            if ctx.settle(result, error) {
                title.set(String::new());
                due.set(String::new());
            }
        });
    };
    let toggle = move |key: String, done: bool| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let result = local::update::<Contract>(&shared, id, move |contract| {
                if let Some(obligation) = contract.obligations.get_mut(&key) {
                    obligation.done = done;
                }
            })
            .await;
            if let Err(failure) = result {
                ctx.report(&failure);
            }
        });
    };
    view! {
        <section class="panel" data-testid="contract-obligations">
            <h2>{t!(i18n, contract.obligations)}</h2>
            <Show when=move || !list().is_empty() fallback=move || view! { <p class="hint">{t!(i18n, contract.no_obligations)}</p> }>
                <ul class="rows">
                    {move || list().into_iter().map(|(key, obligation)| {
                        let day = contract::parse_day(&obligation.due).map(widgets::day_text).unwrap_or_default();
                        view! {
                            <li class="row" data-testid="obligation">
                                <label class="check">
                                    <input type="checkbox" data-testid="obligation-done" disabled=move || !account.can_edit()
                                        prop:checked=obligation.done on:change=move |e| toggle(key.clone(), event_target_checked(&e)) />
                                    <span class="row-title">{obligation.title.clone()}</span>
                                </label>
                                <span class="row-detail">{day}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <form class="field-row wrapping" on:submit=add data-testid="new-obligation">
                    <input type="text" maxlength="200" data-testid="obligation-title" aria-label=move || t_string!(i18n, contract.obligation)
                        placeholder=move || t_string!(i18n, contract.obligation)
                        prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
                    <input type="date" data-testid="obligation-due" aria-label=move || t_string!(i18n, contract.due)
                        prop:value=move || due.get() on:input=move |e| due.set(event_target_value(&e)) />
                    <button type="submit" data-testid="obligation-add">{t!(i18n, contract.add)}</button>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}
