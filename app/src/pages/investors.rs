//! Investors: the fundraising rounds with what each has raised against its target (summed live from
//! its investors' deals, `rapport_core::investor::RoundSummary`), and the updates sent to investors —
//! drafts, and sent ones with how many recipients opened them.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::ids::{EventId, RoundId, UpdateId};
use rapport_core::investor::{self, EventRow, RoundRow, RoundSummary, UpdateRow};
use rapport_core::model::{EventKind, Instrument, InvestorEvent, InvestorUpdate, Money, Round};
use rapport_core::read_model::Changed;
use rapport_core::workspace;

use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn Investors() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let published = crate::publishing::PublishedCtx::use_ctx();
    // Rounds newest first, each with what it raised.
    let rounds = Memo::new(move |_| {
        ctx.read_of(Changed::INVESTORS | Changed::DEALS, |ws| {
            let mut rows: Vec<&RoundRow> =
                ws.model.rounds.values().filter(|r| !r.archived).collect();
            rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
            rows.into_iter()
                .map(|row| (row.clone(), RoundSummary::of(row, ws.model.deals.values())))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    // Drafts first, then sent ones newest first.
    let updates = Memo::new(move |_| {
        ctx.read_of(Changed::INVESTORS, |ws| {
            let mut rows: Vec<UpdateRow> =
                ws.model.updates.values().filter(|u| !u.archived).cloned().collect();
            rows.sort_by(|a, b| {
                (a.sent_at.is_some(), std::cmp::Reverse(a.sent_at), std::cmp::Reverse(a.created_at))
                    .cmp(&(
                        b.sent_at.is_some(),
                        std::cmp::Reverse(b.sent_at),
                        std::cmp::Reverse(b.created_at),
                    ))
            });
            rows
        })
        .unwrap_or_default()
    });
    // Coming ones first (soonest first), then past ones (latest first), undated last.
    let events = Memo::new(move |_| {
        let today = rapport_core::contract::write_day(crate::widgets::local_day(local::now()));
        ctx.read_of(Changed::INVESTORS, |ws| {
            let mut rows: Vec<EventRow> =
                ws.model.events.values().filter(|e| !e.archived).cloned().collect();
            let group = |row: &EventRow| match (row.day.is_empty(), row.day >= today) {
                (true, _) => 2,
                (false, true) => 0,
                (false, false) => 1,
            };
            rows.sort_by(|a, b| {
                let by_day = match group(a) {
                    0 => a.day.cmp(&b.day),
                    1 => b.day.cmp(&a.day),
                    _ => std::cmp::Ordering::Equal,
                };
                group(a).cmp(&group(b)).then(by_day).then(a.id.cmp(&b.id))
            });
            rows
        })
        .unwrap_or_default()
    });
    // Once, when the workspace is open: how many opened each update since the last round.
    Effect::new(move || published.refresh_updates(ctx));
    view! {
        <Page key="investors" title=move || t_string!(i18n, investor.title)>
            <section class="panel" data-testid="rounds" data-count=move || rounds.with(Vec::len)>
                <h2>{t!(i18n, investor.rounds)}</h2>
                <Show
                    when=move || rounds.with(|r| !r.is_empty())
                    fallback=move || view! { <EmptyState title=move || t_string!(i18n, investor.no_rounds) hint=move || t_string!(i18n, investor.no_rounds_hint) /> }
                >
                    <ul class="rows round-list">
                        <For each=move || rounds.get() key=|(row, summary)| format!("{row:?}{summary:?}") let:entry>
                            <RoundLine row=entry.0 summary=entry.1 />
                        </For>
                    </ul>
                </Show>
                <Show when=move || account.can_edit()>
                    <NewRound />
                </Show>
            </section>
            <section class="panel" data-testid="investor-events" data-count=move || events.with(Vec::len)>
                <h2>{t!(i18n, investor.events)}</h2>
                <p class="hint">{t!(i18n, investor.events_hint)}</p>
                <Show
                    when=move || events.with(|e| !e.is_empty())
                    fallback=move || view! { <p class="hint" data-testid="no-events">{t!(i18n, investor.no_events)}</p> }
                >
                    <ul class="rows">
                        <For each=move || events.get() key=|row| format!("{row:?}") let:row>
                            <EventLine row />
                        </For>
                    </ul>
                </Show>
                <Show when=move || account.can_edit()>
                    <NewEvent />
                </Show>
            </section>
            <section class="panel" data-testid="investor-updates" data-count=move || updates.with(Vec::len)>
                <h2>{t!(i18n, investor.updates)}</h2>
                <p class="hint">{t!(i18n, investor.updates_hint)}</p>
                <Show
                    when=move || updates.with(|u| !u.is_empty())
                    fallback=move || view! { <p class="hint" data-testid="no-updates">{t!(i18n, investor.no_updates)}</p> }
                >
                    <ul class="rows">
                        <For each=move || updates.get() key=|row| format!("{row:?}") let:row>
                            <UpdateLine row />
                        </For>
                    </ul>
                </Show>
                <Show when=move || account.can_edit()>
                    <NewUpdate />
                </Show>
            </section>
        </Page>
    }
}

/// What a round raised, as words and a bar: committed, then soft-circled beyond that, against the
/// target.
#[component]
pub(super) fn Raised(summary: RoundSummary) -> impl IntoView {
    let i18n = use_i18n();
    let money = |minor: i64| crate::widgets::money(minor, &summary.currency);
    let share = |minor: i64| {
        if summary.target > 0 {
            (minor.max(0) as f64 / summary.target as f64 * 100.0).min(100.0)
        } else {
            0.0
        }
    };
    let committed = share(summary.committed);
    let soft = share(summary.soft_circled).min(100.0 - committed);
    let (c, s, t, p) = (
        money(summary.committed),
        money(summary.soft_circled),
        money(summary.target),
        summary.percent_committed.to_string(),
    );
    view! {
        <div class="raised" data-testid="raised" data-committed=summary.committed data-soft=summary.soft_circled data-percent=summary.percent_committed>
            <div class="raised-bar" role="img" aria-label=move || t_string!(i18n, investor.raised_of, committed = c.clone(), target = t.clone(), percent = p.clone()).to_string()>
                <span class="raised-committed" style=format!("width:{committed:.1}%")></span>
                <span class="raised-soft" style=format!("width:{soft:.1}%")></span>
            </div>
            <p class="row-detail" data-testid="raised-text">
                {
                    let (c, t, p) = (money(summary.committed), money(summary.target), summary.percent_committed.to_string());
                    move || t_string!(i18n, investor.raised_of, committed = c.clone(), target = t.clone(), percent = p.clone()).to_string()
                }
                {(summary.soft_circled > 0).then(|| view! { " · " {move || t_string!(i18n, investor.soft_more, amount = s.clone()).to_string()} })}
            </p>
        </div>
    }
}

#[component]
fn RoundLine(row: RoundRow, summary: RoundSummary) -> impl IntoView {
    let i18n = use_i18n();
    let instrument = row.instrument();
    let close = rapport_core::contract::parse_day(&row.close_date);
    let investors = summary.investors.len();
    view! {
        <li class="row round-line" data-testid="round-row" data-name=row.name.clone()>
            <a class="row-link" href=format!("/investors/rounds/{}", row.id)>
                <span class="row-title">{row.name.clone()}</span>
                <span class="row-detail">
                    {move || instrument_name(instrument)}
                    " · "
                    {move || t_string!(i18n, investor.investor_count, count = crate::widgets::count(investors)).to_string()}
                    {close.map(|day| view! { " · " {move || t_string!(i18n, investor.closes_on, date = crate::widgets::day_text(day)).to_string()} })}
                </span>
                <Raised summary />
            </a>
        </li>
    }
}

#[component]
fn UpdateLine(row: UpdateRow) -> impl IntoView {
    let i18n = use_i18n();
    let published = crate::publishing::PublishedCtx::use_ctx();
    let id = row.id;
    let recipients = row.recipients.len();
    let sent = row.sent_at;
    let opened = move || {
        published.updates.with(|list| {
            list.as_ref()
                .and_then(|l| l.updates.iter().find(|u| u.id == id.to_string()))
                .map_or(0, |u| u.readers.iter().filter(|r| r.opens > 0).count())
        })
    };
    view! {
        <li class="row" data-testid="update-row" data-title=row.title.clone() data-sent=sent.is_some()>
            <a class="row-link" href=format!("/investors/updates/{id}")>
                <span class="row-title">{row.title.clone()}</span>
                <span class="row-detail">
                    {move || match sent {
                        None => t_string!(i18n, investor.draft).to_owned(),
                        Some(at) => t_string!(i18n, investor.sent_summary,
                            date = crate::widgets::local_date(at),
                            count = crate::widgets::count(recipients),
                            opened = crate::widgets::count(opened())).to_string(),
                    }}
                </span>
            </a>
        </li>
    }
}

#[component]
fn EventLine(row: EventRow) -> impl IntoView {
    let i18n = use_i18n();
    let came = row.attendees.iter().filter(|(_, a)| a == "attended").count();
    let invited = row.attendees.len();
    let day = rapport_core::contract::parse_day(&row.day);
    let kind = row.kind.clone();
    view! {
        <li class="row" data-testid="event-row" data-title=row.title.clone()>
            <a class="row-link" href=format!("/investors/events/{}", row.id)>
                <span class="row-title">{row.title.clone()}</span>
                <span class="row-detail">
                    {move || crate::pages::investor_event::kind_name(&kind)}
                    {day.map(|day| format!(" · {}", crate::widgets::day_text(day)))}
                    " · "
                    {move || t_string!(i18n, investor.attended_of, came = crate::widgets::count(came), invited = crate::widgets::count(invited)).to_string()}
                </span>
            </a>
        </li>
    }
}

/// A new event: its title, kind and day; who comes is added on its page.
#[component]
fn NewEvent() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let title = RwSignal::new(String::new());
    let day = RwSignal::new(String::new());
    let kind = RwSignal::new(EventKind::EarningsCall);
    let error = RwSignal::new(None::<String>);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = title.get_untracked().trim().to_owned();
        if named.is_empty() {
            return error.set(Some(t_string!(i18n, investor.title_needed_event).to_owned()));
        }
        error.set(None);
        let id = EventId::generate(&mut local::BrowserIds);
        let (navigate, chosen, on) = (navigate.clone(), kind.get_untracked(), day.get_untracked());
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let me = ctx.read(|ws| ws.me).flatten();
            let event = InvestorEvent {
                title: named,
                kind: chosen,
                day: on.trim().to_owned(),
                location: String::new(),
                attendees: Default::default(),
                notes: Default::default(),
                owner: me,
                created_at: local::now(),
                archived: false,
            };
            if ctx.settle(local::create(&shared, id, event).await, error) {
                ctx.changed();
                navigate(&format!("/investors/events/{id}"), Default::default());
            }
        });
    };
    view! {
        <form class="record-form" on:submit=create data-testid="new-event">
            <h3>{t!(i18n, investor.new_event)}</h3>
            <div class="field-row">
                <label>
                    {t!(i18n, investor.event_title)}
                    <input type="text" data-testid="new-event-title" prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, investor.event_kind)}
                    <select data-testid="new-event-kind" on:change=move |e| {
                        if let Some(chosen) = EventKind::from_code(&event_target_value(&e)) {
                            kind.set(chosen);
                        }
                    }>
                        {EventKind::ALL.into_iter().map(|k| view! {
                            <option value=k.code() selected=move || kind.get() == k>{move || crate::pages::investor_event::kind_name(k.code())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {t!(i18n, investor.event_day)}
                    <input type="date" data-testid="new-event-day" prop:value=move || day.get() on:input=move |e| day.set(event_target_value(&e)) />
                </label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="new-event-error">{e}</p> })}
            <button type="submit" data-testid="new-event-create">{t!(i18n, investor.create_event)}</button>
        </form>
    }
}

/// An instrument in the screens' language.
pub(super) fn instrument_name(instrument: Instrument) -> &'static str {
    let i18n = use_i18n();
    match instrument {
        Instrument::Equity => t_string!(i18n, investor.instrument_equity),
        Instrument::Safe => t_string!(i18n, investor.instrument_safe),
        Instrument::ConvertibleNote => t_string!(i18n, investor.instrument_note),
        Instrument::Other => t_string!(i18n, investor.instrument_other),
    }
}

/// A new round: its name, target and instrument; the rest is filled in on its page. The workspace's
/// fundraising pipeline is set up with the first round, with ids every device derives alike.
#[component]
fn NewRound() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let instrument = RwSignal::new(Instrument::Equity);
    let error = RwSignal::new(None::<String>);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = name.get_untracked().trim().to_owned();
        if named.is_empty() {
            return error.set(Some(t_string!(i18n, investor.name_needed).to_owned()));
        }
        let Some((currency, me, workspace_id, pipeline)) = ctx.read(|ws| {
            let fundraising = ws
                .settings
                .pipelines
                .iter()
                .find(|(_, p)| p.kind == rapport_core::model::PipelineKind::Fundraising)
                .and_then(|(id, _)| id.parse().ok());
            (ws.settings.currencies.first().cloned(), ws.me, ws.workspace, fundraising)
        }) else {
            return;
        };
        let currency = currency.unwrap_or_else(|| "EUR".to_owned());
        let target = match Money::parse(target.get_untracked().trim(), &currency) {
            Ok(money) if money.minor > 0 => money,
            Ok(_) | Err(_) => {
                return error.set(Some(t_string!(i18n, investor.target_needed).to_owned()));
            }
        };
        error.set(None);
        let id = RoundId::generate(&mut local::BrowserIds);
        let navigate = navigate.clone();
        let chosen = instrument.get_untracked();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let pipeline = match pipeline {
                Some(pipeline) => pipeline,
                None => {
                    let (id, pipeline) = workspace::default_fundraising_pipeline(workspace_id);
                    let pipeline = pipeline.named_by(crate::locale::default_name);
                    let result = local::update_settings(&shared, |settings| {
                        settings.pipelines.entry(id.to_string()).or_insert(pipeline);
                    })
                    .await;
                    if !ctx.settle(result, error) {
                        return;
                    }
                    id
                }
            };
            let round = Round {
                name: named,
                instrument: chosen,
                target,
                pre_money: None,
                valuation_cap: None,
                discount: None,
                close_date: String::new(),
                pipeline,
                owner: me,
                notes: Default::default(),
                files: Default::default(),
                created_at: local::now(),
                archived: false,
            };
            if ctx.settle(local::create(&shared, id, round).await, error) {
                ctx.changed();
                navigate(&format!("/investors/rounds/{id}"), Default::default());
            }
        });
    };
    view! {
        <form class="record-form new-round" on:submit=create data-testid="new-round">
            <h3>{t!(i18n, investor.new_round)}</h3>
            <div class="field-row">
                <label>
                    {t!(i18n, investor.round_name)}
                    <input type="text" data-testid="new-round-name" placeholder=move || t_string!(i18n, investor.round_name_placeholder)
                        prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, investor.target)}
                    <input type="text" inputmode="decimal" data-testid="new-round-target"
                        prop:value=move || target.get() on:input=move |e| target.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, investor.instrument)}
                    <select data-testid="new-round-instrument" on:change=move |e| {
                        if let Some(chosen) = Instrument::from_code(&event_target_value(&e)) {
                            instrument.set(chosen);
                        }
                    }>
                        {Instrument::ALL.into_iter().map(|i| view! {
                            <option value=i.code() selected=move || instrument.get() == i>{move || instrument_name(i)}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="new-round-error">{e}</p> })}
            <button type="submit" class="primary" data-testid="new-round-create">{t!(i18n, investor.create_round)}</button>
        </form>
    }
}

/// A new update, made from the latest one as its template (same figures, last period's values
/// carried over), opened to be written.
#[component]
fn NewUpdate() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let create = move |_| {
        let navigate = navigate.clone();
        let latest = ctx
            .read(|ws| {
                ws.model
                    .updates
                    .values()
                    .filter(|u| !u.archived)
                    .max_by_key(|u| (u.sent_at.is_some(), u.sent_at, u.created_at))
                    .map(|u| u.id)
            })
            .flatten();
        let title = t_string!(i18n, investor.new_title, month = month_name()).to_string();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let previous = match latest {
                Some(id) => local::read_record::<InvestorUpdate>(&shared, id).await.ok().flatten(),
                None => None,
            };
            let update =
                investor::next_update(previous.as_ref().map(|p| &p.record), title, local::now());
            let id = UpdateId::generate(&mut local::BrowserIds);
            if ctx.settle(local::create(&shared, id, update).await, error) {
                ctx.changed();
                navigate(&format!("/investors/updates/{id}"), Default::default());
            }
        });
    };
    view! {
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <button type="button" class="primary" data-testid="new-update" on:click=create>{t!(i18n, investor.new_update)}</button>
    }
}

/// This month's name and year in the screens' language ("December 2026"), an update's first title.
fn month_name() -> String {
    let day = crate::widgets::local_day(local::now());
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"month".into(), &"long".into());
    let _ = js_sys::Reflect::set(&options, &"year".into(), &"numeric".into());
    let date = js_sys::Date::new_with_year_month_day(
        day.year() as u32,
        i32::from(u8::from(day.month())) - 1,
        1,
    );
    let locale = leptos_i18n::Locale::as_str(crate::locale::current()).to_owned();
    date.to_locale_date_string(&locale, &options).into()
}
