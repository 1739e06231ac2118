//! The team: this member's 1:1s (the next first, with how much is on each agenda), the people the
//! company employs by team with their title and manager, and the trainings that expire soon.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::employee::{self, KudosRow, OneOnOneRow};
use rapport_core::ids::{KudosId, MemberId, OneOnOneId, PartyId, Timestamp};
use rapport_core::model::{Kudos, OneOnOne};
use rapport_core::read_model::{Changed, RoleRow};

use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;
use crate::widgets::{self, MemberChoice};

/// How far ahead expiring trainings are listed, and how long after they expired (days).
const EXPIRING_WITHIN_DAYS: i32 = 60;

/// Someone employed, as the team list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Employee {
    id: PartyId,
    name: String,
    title: String,
    team: String,
    manager: Option<String>,
}

#[component]
pub(crate) fn Team() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let mine = Memo::new(move |_| {
        ctx.read_of(Changed::EMPLOYEES | Changed::SETTINGS, |ws| {
            let Some(me) = ws.me else { return Vec::new() };
            employee::one_on_ones_of(&ws.model, me).into_iter().cloned().collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    // By team (those without one last), then by name.
    let people = Memo::new(move |_| {
        ctx.read_of(Changed::PARTIES, |ws| {
            let parties = &ws.model.parties;
            let mut rows: Vec<Employee> = parties
                .values()
                .filter(|row| {
                    !row.archived
                        && row.kind == rapport_core::read_model::PartyKindRow::Person
                        && (row.employee.is_some() || row.roles.contains(&RoleRow::Employee))
                })
                .map(|row| {
                    let employee = row.employee.as_deref();
                    Employee {
                        id: row.id,
                        name: row.name.clone(),
                        title: employee.map(|e| e.title.clone()).unwrap_or_default(),
                        team: employee.map(|e| e.team.clone()).unwrap_or_default(),
                        manager: employee
                            .and_then(|e| e.manager)
                            .and_then(|m| parties.get(&m))
                            .map(|m| m.name.clone()),
                    }
                })
                .collect();
            rows.sort_by(|a, b| {
                (a.team.is_empty(), a.team.to_lowercase(), a.name.to_lowercase(), a.id).cmp(&(
                    b.team.is_empty(),
                    b.team.to_lowercase(),
                    b.name.to_lowercase(),
                    b.id,
                ))
            });
            rows
        })
        .unwrap_or_default()
    });
    let today = widgets::local_day(local::now()).to_julian_day();
    // (party, its name, training, last valid day), soonest first.
    let expiring = Memo::new(move |_| {
        ctx.read_of(Changed::PARTIES, |ws| {
            let mut rows: Vec<(PartyId, String, String, i32)> = ws
                .model
                .parties
                .values()
                .filter(|row| !row.archived)
                .flat_map(|row| {
                    let trainings = row.employee.as_deref().map(|e| e.trainings.clone());
                    trainings.unwrap_or_default().into_iter().filter_map(move |training| {
                        let day = training.expires.filter(|_| !training.archived)?;
                        ((day - today).abs() <= EXPIRING_WITHIN_DAYS)
                            .then(|| (row.id, row.name.clone(), training.name, day))
                    })
                })
                .collect();
            rows.sort_by_key(|row| (row.3, row.0));
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <Page key="team" title=move || t_string!(i18n, employee.title)>
            <section class="panel" data-testid="one-on-ones" data-count=move || mine.with(Vec::len)>
                <h2>{t!(i18n, employee.one_on_ones)}</h2>
                <Show
                    when=move || mine.with(|m| !m.is_empty())
                    fallback=move || view! { <EmptyState title=move || t_string!(i18n, employee.no_one_on_ones) hint=move || t_string!(i18n, employee.no_one_on_ones_hint) /> }
                >
                    <ul class="rows">
                        <For each=move || mine.get() key=|row| format!("{row:?}") let:row>
                            <OneOnOneLine row />
                        </For>
                    </ul>
                </Show>
                <Show
                    when=move || ctx.read(|ws| ws.me.is_some()).unwrap_or(false)
                    fallback=move || view! { <p class="hint" data-testid="one-on-ones-need-members">{t!(i18n, employee.need_members)}</p> }
                >
                    <Show when=move || account.can_edit()>
                        <NewOneOnOne />
                    </Show>
                </Show>
            </section>
            <super::goals::GoalsPanel />
            <super::feedback::FeedbackPanel />
            <super::reviews::ReviewsPanel />
            <super::surveys::SurveysPanel />
            <Recognition />
            <section class="panel" data-testid="employees" data-count=move || people.with(Vec::len)>
                <h2>{t!(i18n, employee.people)}</h2>
                <Show
                    when=move || people.with(|p| !p.is_empty())
                    fallback=move || view! { <p class="hint" data-testid="no-employees">{t!(i18n, employee.no_people)}</p> }
                >
                    <ul class="rows">
                        <For each=move || people.get() key=|row| format!("{row:?}") let:row>
                            <li class="row" data-testid="employee-row" data-name=row.name.clone() data-team=row.team.clone()>
                                <a class="row-link" href=format!("/parties/{}", row.id)>
                                    <span class="row-title">{row.name.clone()}</span>
                                    <span class="row-detail">
                                        {[row.title.clone(), row.team.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}
                                        {row.manager.clone().map(|m| view! { " · " {move || t_string!(i18n, employee.reports_to, name = m.clone()).to_string()} })}
                                    </span>
                                </a>
                            </li>
                        </For>
                    </ul>
                </Show>
            </section>
            <section class="panel" data-testid="expiring-trainings" data-count=move || expiring.with(Vec::len)>
                <h2>{t!(i18n, employee.expiring)}</h2>
                <Show
                    when=move || expiring.with(|e| !e.is_empty())
                    fallback=move || view! { <p class="hint">{t!(i18n, employee.none_expiring)}</p> }
                >
                    <ul class="rows">
                        <For each=move || expiring.get() key=|row| format!("{row:?}") let:row>
                            {
                                let state = if row.3 < today { "overdue" } else { "soon" };
                                let day = time::Date::from_julian_day(row.3).map(widgets::day_text).unwrap_or_default();
                                view! {
                                    <li class="row" data-testid="expiring-training" data-state=state>
                                        <a class="row-link" href=format!("/parties/{}", row.0)>
                                            <span class="row-title">{row.2.clone()}</span>
                                            <span class="row-detail">{row.1.clone()}</span>
                                        </a>
                                        <span class="tag due" data-state=state>{move || t_string!(i18n, employee.valid_until, date = day.clone()).to_string()}</span>
                                    </li>
                                }
                            }
                        </For>
                    </ul>
                </Show>
            </section>
        </Page>
    }
}

/// A member's display name, or "someone" for one no longer in the workspace.
pub(crate) fn member_name(ctx: WorkspaceCtx, member: MemberId) -> String {
    let i18n = use_i18n();
    ctx.read_of(Changed::SETTINGS, |ws| {
        ws.settings.members.get(&member.to_string()).map(|m| m.display_name.clone())
    })
    .flatten()
    .unwrap_or_else(|| t_string!(i18n, employee.someone).to_owned())
}

#[component]
fn OneOnOneLine(row: OneOnOneRow) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let me = ctx.read(|ws| ws.me).flatten();
    let other = if me == Some(row.manager) { row.report } else { row.manager };
    let name = member_name(ctx, other);
    let next = rapport_core::contract::parse_day(&row.next);
    let (weeks, points) = (row.every_weeks, row.open_points as usize);
    view! {
        <li class="row" data-testid="one-on-one-row" data-with=name.clone()>
            <a class="row-link" href=format!("/team/one-on-ones/{}", row.id)>
                <span class="row-title">{name.clone()}</span>
                <span class="row-detail">
                    {move || cadence_name(weeks)}
                    {next.map(|day| view! { " · " {move || t_string!(i18n, employee.next_on, date = widgets::day_text(day)).to_string()} })}
                    " · "
                    {move || t_string!(i18n, employee.points_count, count = widgets::count(points)).to_string()}
                </span>
            </a>
        </li>
    }
}

/// "Every week", "every 2 weeks", "every 4 weeks".
pub(crate) fn cadence_name(weeks: u8) -> &'static str {
    let i18n = use_i18n();
    match weeks {
        1 => t_string!(i18n, employee.weekly),
        2 => t_string!(i18n, employee.fortnightly),
        _ => t_string!(i18n, employee.monthly),
    }
}

/// A new 1:1 with another member: who manages whom, how often, and the first meeting's day.
#[component]
fn NewOneOnOne() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let with = RwSignal::new(None::<MemberId>);
    let i_manage = RwSignal::new(true);
    let weeks = RwSignal::new(2u8);
    let first = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let me = ctx.read(|ws| ws.me).flatten();
        let (Some(me), Some(other)) = (me, with.get_untracked()) else {
            return error.set(Some(t_string!(i18n, employee.with_needed).to_owned()));
        };
        if me == other {
            return error.set(Some(t_string!(i18n, employee.not_yourself).to_owned()));
        }
        let day = first.get_untracked().trim().to_owned();
        if !day.is_empty() && rapport_core::contract::parse_day(&day).is_none() {
            return error.set(Some(t_string!(i18n, employee.date_invalid).to_owned()));
        }
        error.set(None);
        let (manager, report) = if i_manage.get_untracked() { (me, other) } else { (other, me) };
        let id = OneOnOneId::generate(&mut local::BrowserIds);
        let (navigate, every) = (navigate.clone(), weeks.get_untracked());
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let record = OneOnOne {
                manager,
                report,
                every_weeks: every,
                next: day,
                points: Default::default(),
                meetings: Default::default(),
                created_at: local::now(),
                archived: false,
            };
            if ctx.settle(local::create(&shared, id, record).await, error) {
                navigate(&format!("/team/one-on-ones/{id}"), Default::default());
            }
        });
    };
    view! {
        <form class="record-form" on:submit=create data-testid="new-one-on-one">
            <h3>{t!(i18n, employee.new_one_on_one)}</h3>
            <div class="field-row wrapping">
                <label>
                    {t!(i18n, employee.with)}
                    <MemberChoice
                        testid="new-one-on-one-with"
                        current=Signal::derive(move || with.get())
                        nobody=Signal::derive(move || t_string!(i18n, employee.choose_member).to_owned())
                        choose=Callback::new(move |chosen| with.set(chosen))
                    />
                </label>
                <label>
                    {t!(i18n, employee.i_am)}
                    <select data-testid="new-one-on-one-side" on:change=move |e| i_manage.set(event_target_value(&e) == "manager")>
                        <option value="manager" selected=move || i_manage.get()>{t!(i18n, employee.their_manager)}</option>
                        <option value="report" selected=move || !i_manage.get()>{t!(i18n, employee.their_report)}</option>
                    </select>
                </label>
                <label>
                    {t!(i18n, employee.cadence)}
                    <select data-testid="new-one-on-one-cadence" on:change=move |e| {
                        if let Ok(chosen) = event_target_value(&e).parse::<u8>() { weeks.set(chosen) }
                    }>
                        {[1u8, 2, 4].into_iter().map(|n| view! {
                            <option value=n.to_string() selected=move || weeks.get() == n>{move || cadence_name(n)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {t!(i18n, employee.first_meeting)}
                    <input type="date" data-testid="new-one-on-one-day" prop:value=move || first.get() on:input=move |e| first.set(event_target_value(&e)) />
                </label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="new-one-on-one-error">{e}</p> })}
            <button type="submit" data-testid="new-one-on-one-create">{t!(i18n, employee.create_one_on_one)}</button>
        </form>
    }
}

/// How far back the counts of kudos go (days): a quarter.
const RECOGNITION_DAYS: i64 = 90;
/// How many kudos the feed shows.
const FEED: usize = 20;

/// Kudos tied to the company's values: giving them, the feed, and who was recognised how often.
#[component]
fn Recognition() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let values = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            rapport_core::model::names(&ws.settings.company_values)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    // (kudos, from, to), newest first.
    let feed = Memo::new(move |_| {
        ctx.read_of(Changed::EMPLOYEES | Changed::PARTIES | Changed::SETTINGS, |ws| {
            let mut rows: Vec<&KudosRow> =
                ws.model.kudos.values().filter(|k| !k.archived).collect();
            rows.sort_by_key(|k| std::cmp::Reverse((k.at, k.id)));
            rows.into_iter()
                .take(FEED)
                .map(|row| {
                    let from = ws
                        .settings
                        .members
                        .get(&row.from.to_string())
                        .map(|m| m.display_name.clone())
                        .unwrap_or_default();
                    let to: Vec<String> = row
                        .to
                        .iter()
                        .filter_map(|p| ws.model.parties.get(p).map(|r| r.name.clone()))
                        .collect();
                    (row.clone(), from, to.join(", "))
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let counts = Memo::new(move |_| {
        let since = Timestamp(local::now().0 - RECOGNITION_DAYS * 24 * 60 * 60 * 1000);
        ctx.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| {
            let (people, _) = employee::recognition(ws.model.kudos.values(), since);
            people
                .into_iter()
                .take(10)
                .map(|p| {
                    let name =
                        ws.model.parties.get(&p.party).map(|r| r.name.clone()).unwrap_or_default();
                    (p.party, name, p.count, p.values.into_iter().collect::<Vec<_>>())
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel" data-testid="recognition" data-count=move || feed.with(Vec::len)>
            <h2>{t!(i18n, employee.recognition)}</h2>
            <p class="hint">{t!(i18n, employee.recognition_hint)}</p>
            <div class="chips" data-testid="company-values">
                <For each=move || values.get() key=|v| v.clone() let:value>
                    <span class="tag" data-testid="company-value">
                        {value.clone()}
                        <Show when=move || account.can_edit()>
                            {
                                let (label, removed) = (value.clone(), value.clone());
                                view! {
                                    <widgets::RemoveButton
                                        label=Signal::derive(move || t_string!(i18n, employee.remove_named, name = label.clone()).to_string())
                                        on_remove=Callback::new(move |()| {
                                            let removed = removed.clone();
                                            spawn_local(async move {
                                                let Some(shared) = ctx.shared_once_open().await else { return };
                                                // A set: the name stays, marked absent, so a colleague adding it back meanwhile wins.
                                                let result = local::update_settings(&shared, move |settings| {
                                                    settings.company_values.insert(removed, false);
                                                })
                                                .await;
                                                if let Err(failure) = result {
                                                    ctx.report(&failure);
                                                }
                                            });
                                        }) />
                                }
                            }
                        </Show>
                    </span>
                </For>
            </div>
            <Show when=move || account.can_edit()>
                <NewValue />
                // Kudos are from a member: in a workspace that does not sync there is nobody to be.
                <Show when=move || ctx.read(|ws| ws.me.is_some()).unwrap_or(false)>
                    <GiveKudos values />
                </Show>
            </Show>
            <h3>{t!(i18n, employee.most_recognised)}</h3>
            <Show when=move || counts.with(|c| !c.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, employee.no_kudos)}</p> }>
                <ul class="rows">
                    <For each=move || counts.get() key=|c| format!("{c:?}") let:entry>
                        <li class="row" data-testid="recognised" data-name=entry.1.clone() data-count=entry.2>
                            <a class="row-link" href=format!("/parties/{}", entry.0)>
                                <span class="row-title">{entry.1.clone()}</span>
                                <span class="row-detail">
                                    {move || t_string!(i18n, employee.kudos_count, count = widgets::count(entry.2 as usize)).to_string()}
                                    {entry.3.iter().filter(|(v, _)| !v.is_empty()).map(|(v, n)| format!(" · {v} ×{n}")).collect::<String>()}
                                </span>
                            </a>
                        </li>
                    </For>
                </ul>
            </Show>
            <h3>{t!(i18n, employee.kudos_feed)}</h3>
            <ul class="rows" data-testid="kudos-feed">
                <For each=move || feed.get() key=|k| format!("{k:?}") let:entry>
                    <li class="row kudos-line" data-testid="kudos" data-to=entry.2.clone() data-value=entry.0.value.clone()>
                        <span class="row-title">
                            {
                                let (from, to) = (entry.1.clone(), entry.2.clone());
                                move || t_string!(i18n, employee.kudos_from_to, from = from.clone(), to = to.clone()).to_string()
                            }
                            {(!entry.0.value.is_empty()).then(|| view! { " "<span class="tag">{entry.0.value.clone()}</span> })}
                        </span>
                        <span class="row-detail prewrap">{entry.0.message.clone()}</span>
                        <span class="row-detail">
                            {widgets::local_date(entry.0.at)}
                            // Whoever gave them can take them back (a wrong person, a typo).
                            <Show when={ let from = entry.0.from; move || ctx.read(|ws| ws.me).flatten() == Some(from) }>
                                {
                                    let id = entry.0.id;
                                    view! {
                                        " "
                                        <button type="button" class="subtle" data-testid="kudos-withdraw" on:click=move |_| {
                                            spawn_local(async move {
                                                let Some(shared) = ctx.shared_once_open().await else { return };
                                                let result = local::update::<Kudos>(&shared, id, |k| k.archived = true).await;
                                                if let Err(failure) = result {
                                                    ctx.report(&failure);
                                                }
                                            });
                                        }>{t!(i18n, employee.withdraw)}</button>
                                    }
                                }
                            </Show>
                        </span>
                    </li>
                </For>
            </ul>
        </section>
    }
}

/// Adding one of the company's values.
#[component]
fn NewValue() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let named = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let value = named.get_untracked().trim().to_owned();
        if value.is_empty() {
            return;
        }
        named.set(String::new());
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update_settings(&shared, move |settings| {
                settings.company_values.insert(value, true);
            })
            .await;
            ctx.settle(result, error);
        });
    };
    view! {
        <form class="field-row" on:submit=add data-testid="add-value">
            <input type="text" class="grow" maxlength="60" data-testid="value-name"
                aria-label=move || t_string!(i18n, employee.new_value) placeholder=move || t_string!(i18n, employee.new_value)
                prop:value=move || named.get() on:input=move |e| named.set(event_target_value(&e)) />
            <button type="submit" data-testid="value-add">{t!(i18n, employee.add)}</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// Kudos to someone, for one of the values, with a message.
#[component]
fn GiveKudos(values: Memo<Vec<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let to = RwSignal::new(None::<(PartyId, String)>);
    let value = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let give = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some((party, name)) = to.get_untracked() else {
            return error.set(Some(t_string!(i18n, employee.kudos_to_needed).to_owned()));
        };
        let said = message.get_untracked().trim().to_owned();
        if said.is_empty() {
            return error.set(Some(t_string!(i18n, employee.kudos_message_needed).to_owned()));
        }
        let Some(me) = ctx.read(|ws| ws.me).flatten() else {
            return error.set(Some(t_string!(i18n, employee.who_unknown).to_owned()));
        };
        error.set(None);
        done.set(None);
        let id = KudosId::generate(&mut local::BrowserIds);
        let chosen = value.get_untracked();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let kudos = Kudos {
                from: me,
                to: vec![party],
                value: chosen,
                message: said,
                at: local::now(),
                archived: false,
            };
            if ctx.settle(local::create(&shared, id, kudos).await, error) {
                to.set(None);
                message.set(String::new());
                done.set(Some(t_string!(i18n, employee.kudos_given, name = name).to_string()));
            }
        });
    };
    view! {
        <form class="record-form" on:submit=give data-testid="give-kudos">
            <h3>{t!(i18n, employee.give_kudos)}</h3>
            <widgets::PartyPicker chosen=to testid="kudos-to" employees=true label=move || t_string!(i18n, employee.kudos_to) />
            <label>
                {t!(i18n, employee.kudos_value)}
                <select data-testid="kudos-value" on:change=move |e| value.set(event_target_value(&e))>
                    <option value="" selected=move || value.get().is_empty()>{t!(i18n, employee.no_value)}</option>
                    {move || values.get().into_iter().map(|v| view! {
                        <option value=v.clone() selected={ let v = v.clone(); move || value.get() == v }>{v.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, employee.kudos_message)}
                <textarea rows="2" maxlength="1000" data-testid="kudos-message"
                    prop:value=move || message.get() on:input=move |e| message.set(event_target_value(&e))></textarea>
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="kudos-error">{e}</p> })}
            {move || done.get().map(|d| view! { <p class="done" role="status" data-testid="kudos-given">{d}</p> })}
            <button type="submit" data-testid="kudos-give">{t!(i18n, employee.give)}</button>
        </form>
    }
}
