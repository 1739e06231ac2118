//! Contracts and renewals: what falls due in the next twelve months (the last days to give notice,
//! tacit renewals, ends) by date, every contract with the date that matters next, and the same dates
//! as an `.ics` calendar. Every date is derived from the contracts' terms (`rapport_core::contract`).

use leptos::prelude::*;
use rapport_core::contract::{self, CalendarDate, ContractRow, DateKind, Outlook};
use rapport_core::ids::ContractId;
use rapport_core::interchange::{self, DatedEvent};
use rapport_core::read_model::Changed;

use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;
use crate::widgets::Windowed;

/// How far ahead the page and the calendar file look.
const AHEAD_DAYS: i64 = 366;

#[component]
pub(crate) fn Contracts() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let today = crate::widgets::local_day(local::now());
    // Every contract, by title.
    let ids = Memo::new(move |_| {
        ctx.read_of(Changed::CONTRACTS, |ws| {
            let mut rows: Vec<&ContractRow> =
                ws.model.contracts.values().filter(|row| !row.archived).collect();
            rows.sort_by_cached_key(|row| row.title.to_lowercase());
            rows.into_iter().map(|row| row.id).collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let coming = Memo::new(move |_| {
        let span = crate::timing::Span::start("rapport:contracts");
        let coming = ctx
            .read_of(Changed::CONTRACTS, |ws| coming_up(ws.model.contracts.values(), today))
            .unwrap_or_default();
        span.end();
        coming
    });
    Effect::new(move || {
        coming.track();
        crate::timing::mark("rapport:contracts-rendered");
    });
    let error = RwSignal::new(None::<String>);
    let export = move |_| {
        let events = ctx
            .read(|ws| {
                coming
                    .get_untracked()
                    .iter()
                    .filter_map(|date| {
                        let row = ws.model.contracts.get(&date.contract)?;
                        Some(event(date, row, &party_name(ws, row)))
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let text = interchange::dated_events_ics(&events, local::now());
        let name = format!("rapport-contracts-{}.ics", contract::write_day(today));
        error.set(crate::widgets::download_text(&name, "text/calendar;charset=utf-8", &text).err());
    };
    view! {
        <Page key="contracts" title=move || t_string!(i18n, contract.title)>
            <Show
                when=move || ids.with(|ids| !ids.is_empty())
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, contract.empty) hint=move || t_string!(i18n, contract.empty_hint) /> }
            >
                <section class="panel" data-testid="contracts-coming-up" data-count=move || coming.with(Vec::len)>
                    <h2>{t!(i18n, contract.coming_up)}</h2>
                    <div class="list-toolbar">
                        <button type="button" data-testid="contracts-ics" on:click=export>{t!(i18n, contract.download_ics)}</button>
                    </div>
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <Show
                        when=move || coming.with(|c| !c.is_empty())
                        fallback=move || view! { <p class="hint">{t!(i18n, contract.no_coming_up)}</p> }
                    >
                        <Windowed items=coming class="contract-dates" testid="contract-dates" row_px=64
                            key=|date: &Dated| (date.contract, date.date, date.kind)
                            row=|date: Dated| view! { <DateLine date /> } />
                    </Show>
                </section>
                <section class="panel" data-testid="contracts-all" data-count=move || ids.with(Vec::len)>
                    <h2>{t!(i18n, contract.all)}</h2>
                    <Windowed items=ids class="contract-lines" testid="contract-list" row_px=64
                        key=|id: &ContractId| *id
                        row=move |id: ContractId| view! { <ContractLineById id today /> } />
                </section>
            </Show>
        </Page>
    }
}

/// A day of the calendar.
type Dated = CalendarDate<ContractId>;

fn party_name(ws: &rapport_core::replica::Replica, row: &ContractRow) -> String {
    ws.model.parties.get(&row.party).map(|party| party.name.clone()).unwrap_or_default()
}

/// A day of the calendar: when, what, and the contract with whom.
#[component]
pub(super) fn DateLine(date: Dated) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let id = date.contract;
    let named = move || {
        ctx.read(|ws| {
            let row = ws.model.contracts.get(&id)?;
            Some(format!("{} · {}", row.title, party_name(ws, row)))
        })
        .flatten()
        .unwrap_or_default()
    };
    view! {
        <div class="row contract-line" data-testid="contract-date" data-kind=date.kind.code() data-day=contract::write_day(date.date)>
            <a class="row-link" href=format!("/contracts/{id}")>
                <span class="row-title">{move || format!("{} · {}", crate::widgets::day_text(date.date), what(date.kind))}</span>
                <span class="row-detail">{named}</span>
            </a>
        </div>
    }
}

/// A contract of the list, read by id when it comes on screen.
#[component]
fn ContractLineById(id: ContractId, today: time::Date) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let found = move || {
        ctx.read(|ws| {
            let row = ws.model.contracts.get(&id)?;
            Some((row.clone(), party_name(ws, row)))
        })
        .flatten()
    };
    move || found().map(|(row, party)| view! { <ContractLine row party today /> })
}

/// One contract in a list: its title, who it is with, its kind and the date that matters next.
#[component]
pub(super) fn ContractLine(row: ContractRow, party: String, today: time::Date) -> impl IntoView {
    let outlook = Outlook::of(row.terms().as_ref(), today);
    let kind = row.kind.clone();
    let party = (!party.is_empty()).then(|| format!(" · {party}"));
    // Words read in the view, so that they follow a change of language.
    view! {
        <div class="row contract-line" data-testid="contract-row" data-title=row.title.clone()>
            <a class="row-link" href=format!("/contracts/{}", row.id) data-testid="contract-link">
                <span class="row-title">{row.title.clone()}</span>
                <span class="row-detail">{move || kind_name(&kind)}{party}</span>
            </a>
            <span class="tag" data-testid="contract-outlook">{move || outlook_text(outlook)}</span>
        </div>
    }
}

/// What falls due from `today` for a year, by date.
fn coming_up<'a>(
    rows: impl Iterator<Item = &'a ContractRow>,
    today: time::Date,
) -> Vec<CalendarDate<ContractId>> {
    let terms: Vec<_> =
        rows.filter(|row| !row.archived).filter_map(|row| Some((row.id, row.terms()?))).collect();
    let to = today.saturating_add(time::Duration::days(AHEAD_DAYS));
    contract::calendar(terms.iter().map(|(id, terms)| (*id, terms)), today, to)
}

/// A calendar date as an event: named by contract, kind and term, so a second export updates it.
fn event(date: &CalendarDate<ContractId>, row: &ContractRow, party: &str) -> DatedEvent {
    let remind_days = match date.kind {
        DateKind::Renews => 0,
        DateKind::NoticeBy | DateKind::Ends => row.remind_days,
    };
    DatedEvent {
        // By term number, not date: importing again after the dates were edited moves the events.
        uid: format!("{}-{}-{}@rapport", row.id, date.kind.code(), date.term),
        day: date.date,
        summary: format!("{}: {}", what(date.kind), row.title),
        description: party.to_owned(),
        remind_days,
    }
}

/// What falls due, in the screens' language.
pub(super) fn what(kind: DateKind) -> &'static str {
    let i18n = use_i18n();
    match kind {
        DateKind::NoticeBy => t_string!(i18n, contract.what_notice),
        DateKind::Renews => t_string!(i18n, contract.what_renews),
        DateKind::Ends => t_string!(i18n, contract.what_ends),
    }
}

/// A contract's kind ([`rapport_core::model::ContractKind::code`]) in the screens' language.
pub(super) fn kind_name(code: &str) -> &'static str {
    let i18n = use_i18n();
    match code {
        "supplier" => t_string!(i18n, contract.kind_supplier),
        "investor" => t_string!(i18n, contract.kind_investor),
        "employment" => t_string!(i18n, contract.kind_employment),
        _ => t_string!(i18n, contract.kind_customer),
    }
}

/// The date that matters next, in the screens' language.
pub(super) fn outlook_text(outlook: Outlook) -> String {
    let i18n = use_i18n();
    let day = crate::widgets::day_text;
    match outlook {
        Outlook::Draft => t_string!(i18n, contract.draft).to_owned(),
        Outlook::Invalid => t_string!(i18n, contract.dates_invalid).to_owned(),
        Outlook::Starts(date) => t_string!(i18n, contract.starts_on, date = day(date)).to_string(),
        Outlook::NoticeBy(date) => {
            t_string!(i18n, contract.notice_by, date = day(date)).to_string()
        }
        Outlook::Renews(date) => t_string!(i18n, contract.renews, date = day(date)).to_string(),
        Outlook::Ends(date) => t_string!(i18n, contract.ends, date = day(date)).to_string(),
        Outlook::Ended(date) => t_string!(i18n, contract.ended, date = day(date)).to_string(),
        Outlook::OpenEnded => t_string!(i18n, contract.open_ended).to_owned(),
    }
}
