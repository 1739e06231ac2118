//! An employee's side of their record: title, team, manager and their account here, skills with
//! levels, and trainings with the day each expires (its holder and manager are reminded a month
//! before, through the relay's jobs: `rapport_core::employee::training_jobs`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::contract::parse_day;
use rapport_core::employee::KudosRow;
use rapport_core::goals::GoalRow;
use rapport_core::ids::{MemberId, PartyId, TrainingId};
use rapport_core::model::{Employment, Party, Training};
use rapport_core::read_model::Changed;

use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;
use crate::widgets::{self, MemberChoice, PartyPicker, RemoveButton};

/// Days before expiry a training is flagged.
const EXPIRES_SOON_DAYS: i32 = 30;

type Change = Box<dyn FnOnce(&mut Employment) + Send>;

/// Writes `change` to the employment of party `id`; `then` runs once it is stored.
fn write(ctx: WorkspaceCtx, id: PartyId, change: Change, then: Option<Box<dyn FnOnce()>>) {
    spawn_local(async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        match local::update::<Party>(&shared, id, move |party| change(&mut party.employment)).await
        {
            Ok(()) => then.into_iter().for_each(|then| then()),
            Err(failure) => ctx.report(&failure),
        }
    });
}

#[component]
pub(super) fn EmployeePanel(id: PartyId, party: Signal<Option<Party>>) -> impl IntoView {
    let i18n = use_i18n();
    let employment = Memo::new(move |_| {
        party.with(|p| p.as_ref().map(|p| p.employment.clone())).unwrap_or_default()
    });
    view! {
        <section class="panel employee-panel" data-testid="employee-panel">
            <h2>{t!(i18n, employee.as_employee)}</h2>
            <EmploymentForm id employment />
            <Skills id employment />
            <Trainings id employment />
            <Goals id />
            <KudosReceived id />
        </section>
    }
}

/// Their goals and their team's, as the Team page's tree shows them.
#[component]
fn Goals(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let rows = Memo::new(move |_| {
        ctx.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| {
            let mut rows: Vec<GoalRow> =
                rapport_core::goals::goals_of(&ws.model, id).into_iter().cloned().collect();
            rows.sort_by(|a, b| {
                (a.title.to_lowercase(), a.id).cmp(&(b.title.to_lowercase(), b.id))
            });
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <div class="record-form" data-testid="employee-goals" data-count=move || rows.with(Vec::len)>
            <h3>{t!(i18n, goals.goals)}</h3>
            <Show when=move || rows.with(|r| !r.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, employee.no_goals)}</p> }>
                <ul class="rows">
                    <For each=move || rows.get() key=|row| format!("{row:?}") let:row>
                        <crate::pages::goals::GoalLine depth=0 row />
                    </For>
                </ul>
            </Show>
        </div>
    }
}

/// The kudos they were given, newest first: who gave them, for which value, what for.
#[component]
fn KudosReceived(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let rows = Memo::new(move |_| {
        ctx.read_of(Changed::EMPLOYEES, |ws| {
            let mut rows: Vec<KudosRow> = ws
                .model
                .kudos
                .values()
                .filter(|k| !k.archived && k.to.contains(&id))
                .cloned()
                .collect();
            rows.sort_by_key(|k| std::cmp::Reverse((k.at, k.id)));
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <div class="record-form" data-testid="employee-kudos" data-count=move || rows.with(Vec::len)>
            <h3>{t!(i18n, employee.kudos_received)}</h3>
            <Show when=move || rows.with(|r| !r.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, employee.no_kudos_received)}</p> }>
                <ul class="rows">
                    <For each=move || rows.get() key=|row| format!("{row:?}") let:row>
                        <li class="row kudos-line" data-testid="employee-kudos-row">
                            <span class="row-title">
                                {move || crate::pages::team::member_name(ctx, row.from)}
                                {(!row.value.is_empty()).then(|| view! { " "<span class="tag">{row.value.clone()}</span> })}
                            </span>
                            <span class="row-detail prewrap">{row.message.clone()}</span>
                            <span class="row-detail">{widgets::local_date(row.at)}</span>
                        </li>
                    </For>
                </ul>
            </Show>
        </div>
    }
}

/// Title, team, start date, manager and account: the text fields saved together (only those this
/// person changed), the manager and the account as soon as they are chosen.
#[component]
fn EmploymentForm(id: PartyId, employment: Memo<Employment>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let stored = [
        Memo::new(move |_| employment.with(|e| e.title.clone())),
        Memo::new(move |_| employment.with(|e| e.team.clone())),
        Memo::new(move |_| employment.with(|e| e.start_date.clone())),
    ];
    let fields = [(); 3].map(|_| RwSignal::new(String::new()));
    for (stored, field) in stored.iter().zip(&fields) {
        widgets::follow(*stored, *field);
    }
    let dirty = Signal::derive(move || {
        fields.iter().zip(&stored).any(|(field, stored)| field.with(|f| f.trim() != stored.get()))
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = fields.map(|field| field.get_untracked().trim().to_owned());
        if !typed[2].is_empty() && parse_day(&typed[2]).is_none() {
            return error.set(Some(t_string!(i18n, employee.date_invalid).to_owned()));
        }
        error.set(None);
        let changed = [0, 1, 2].map(|n| typed[n] != stored[n].get_untracked());
        let [title, team, start] = typed;
        write(
            ctx,
            id,
            Box::new(move |e| {
                if changed[0] {
                    e.title = title;
                }
                if changed[1] {
                    e.team = team;
                }
                if changed[2] {
                    e.start_date = start;
                }
            }),
            None,
        );
    };
    let manager = RwSignal::new(None::<(PartyId, String)>);
    let manager_name = move || {
        let chosen = employment.with(|e| e.manager)?;
        ctx.read_of(rapport_core::read_model::Changed::PARTIES, |ws| {
            ws.model.parties.get(&chosen).map(|row| row.name.clone())
        })
        .flatten()
    };
    Effect::new(move || {
        if let Some((chosen, _)) = manager.get() {
            manager.set(None);
            if chosen != id {
                write(ctx, id, Box::new(move |e| e.manager = Some(chosen)), None);
            }
        }
    });
    let member = Signal::derive(move || employment.with(|e| e.member));
    view! {
        <form class="record-form" on:submit=save data-testid="employment-form">
            <div class="field-row wrapping">
                <label class="grow">
                    {t!(i18n, employee.job_title)}
                    <input type="text" maxlength="200" data-testid="employee-title" readonly=move || !account.can_edit()
                        prop:value=move || fields[0].get() on:input=move |e| fields[0].set(event_target_value(&e)) />
                </label>
                <label class="grow">
                    {t!(i18n, employee.team)}
                    <input type="text" maxlength="100" data-testid="employee-team" readonly=move || !account.can_edit()
                        prop:value=move || fields[1].get() on:input=move |e| fields[1].set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, employee.start_date)}
                    <input type="date" data-testid="employee-start" readonly=move || !account.can_edit()
                        prop:value=move || fields[2].get() on:input=move |e| fields[2].set(event_target_value(&e)) />
                </label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || account.can_edit()>
                <button type="submit" data-testid="employment-save">{t!(i18n, employee.save)}</button>
            </Show>
        </form>
        <div class="record-form">
            <p class="row-detail" data-testid="employee-manager">
                {t!(i18n, employee.manager)}": "
                {move || manager_name().unwrap_or_else(|| t_string!(i18n, employee.no_manager).to_owned())}
            </p>
            <Show when=move || account.can_edit()>
                <PartyPicker chosen=manager testid="employee-manager-pick" label=move || t_string!(i18n, employee.choose_manager) />
            </Show>
            <label>
                {t!(i18n, employee.account)}
                <MemberChoice
                    testid="employee-account"
                    current=member
                    nobody=Signal::derive(move || t_string!(i18n, employee.no_account).to_owned())
                    disabled=Signal::derive(move || !account.can_edit())
                    choose=Callback::new(move |chosen: Option<MemberId>| write(ctx, id, Box::new(move |e| e.member = chosen), None))
                />
            </label>
            <p class="hint">{t!(i18n, employee.account_hint)}</p>
        </div>
    }
}

/// Skills and levels from 1 (learning) to 5 (expert); a level is saved as it is chosen.
#[component]
fn Skills(id: PartyId, employment: Memo<Employment>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let name = RwSignal::new(String::new());
    let level = RwSignal::new(3u8);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = name.get_untracked().trim().to_owned();
        if named.is_empty() {
            return;
        }
        let chosen = level.get_untracked();
        write(
            ctx,
            id,
            Box::new(move |e| {
                e.skills.insert(named, chosen);
            }),
            Some(Box::new(move || name.set(String::new()))),
        );
    };
    let levels = move |current: u8| {
        (1..=Employment::MOST_LEVEL)
            .map(|n| view! { <option value=n.to_string() selected=n == current>{move || level_name(n)}</option> })
            .collect_view()
    };
    view! {
        <h3>{t!(i18n, employee.skills)}</h3>
        <ul class="rows" data-testid="skills">
            {move || employment.with(|e| e.skills.clone()).into_iter().map(|(skill, current)| {
                let (for_level, for_remove, for_label) = (skill.clone(), skill.clone(), skill.clone());
                view! {
                    <li class="row skill-row" data-testid="skill" data-name=skill.clone() data-level=current>
                        <span class="row-title grow">{skill.clone()}</span>
                        <select aria-label=move || t_string!(i18n, employee.level_of, skill = for_label.clone()).to_string() disabled=move || !account.can_edit()
                            on:change=move |ev| {
                                let Ok(chosen) = event_target_value(&ev).parse::<u8>() else { return };
                                let skill = for_level.clone();
                                write(ctx, id, Box::new(move |e| { e.skills.insert(skill, chosen); }), None);
                            }>
                            {levels(current)}
                        </select>
                        <Show when=move || account.can_edit()>
                            {
                                let (skill, label) = (for_remove.clone(), for_remove.clone());
                                view! {
                                    <RemoveButton
                                        label=Signal::derive(move || t_string!(i18n, employee.remove_named, name = label.clone()).to_string())
                                        on_remove=Callback::new(move |()| {
                                            let skill = skill.clone();
                                            write(ctx, id, Box::new(move |e| { e.skills.remove(&skill); }), None);
                                        }) />
                                }
                            }
                        </Show>
                    </li>
                }
            }).collect_view()}
        </ul>
        <Show when=move || account.can_edit()>
            <form class="record-form" on:submit=add data-testid="skill-add">
                <label>
                    {t!(i18n, employee.skill)}
                    <input type="text" maxlength="100" data-testid="skill-name"
                        prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, employee.level)}
                    <select data-testid="skill-level" on:change=move |e| {
                        if let Ok(chosen) = event_target_value(&e).parse::<u8>() { level.set(chosen) }
                    }>
                        {move || levels(level.get())}
                    </select>
                </label>
                <button type="submit" data-testid="skill-save">{t!(i18n, employee.add_skill)}</button>
            </form>
        </Show>
    }
}

/// A skill level in the screens' language.
fn level_name(level: u8) -> &'static str {
    let i18n = use_i18n();
    match level {
        1 => t_string!(i18n, employee.level_1),
        2 => t_string!(i18n, employee.level_2),
        3 => t_string!(i18n, employee.level_3),
        4 => t_string!(i18n, employee.level_4),
        _ => t_string!(i18n, employee.level_5),
    }
}

/// Trainings and certifications, with the day each expires.
#[component]
fn Trainings(id: PartyId, employment: Memo<Employment>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let today = widgets::local_day(local::now());
    let fields = [(); 3].map(|_| RwSignal::new(String::new()));
    let error = RwSignal::new(None::<String>);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let [name, completed, expires] = fields.map(|f| f.get_untracked().trim().to_owned());
        if name.is_empty() {
            return error.set(Some(t_string!(i18n, employee.training_needed).to_owned()));
        }
        let bad = |day: &str| !day.is_empty() && parse_day(day).is_none();
        if bad(&completed) || bad(&expires) {
            return error.set(Some(t_string!(i18n, employee.date_invalid).to_owned()));
        }
        error.set(None);
        let key = TrainingId::generate(&mut local::BrowserIds).to_string();
        write(
            ctx,
            id,
            Box::new(move |e| {
                e.trainings.insert(key, Training { name, completed, expires, archived: false });
            }),
            Some(Box::new(move || fields.iter().for_each(|f| f.set(String::new())))),
        );
    };
    view! {
        <h3>{t!(i18n, employee.trainings)}</h3>
        <p class="hint">{t!(i18n, employee.trainings_hint)}</p>
        <ul class="rows" data-testid="trainings">
            {move || employment.with(|e| e.trainings.clone()).into_iter().filter(|(_, t)| !t.archived).map(|(key, training)| {
                let last = parse_day(&training.expires);
                let state = match last {
                    Some(last) if last < today => "overdue",
                    Some(last) if last.to_julian_day() - today.to_julian_day() <= EXPIRES_SOON_DAYS => "soon",
                    Some(_) => "met",
                    None => "paused",
                };
                let when = match last {
                    Some(last) => t_string!(i18n, employee.valid_until, date = widgets::day_text(last)).to_string(),
                    None => t_string!(i18n, employee.no_expiry).to_owned(),
                };
                let done = parse_day(&training.completed).map(widgets::day_text);
                let named = training.name.clone();
                view! {
                    <li class="row certification-row" data-testid="training" data-state=state data-name=training.name.clone()>
                        <span class="row-title grow">
                            {training.name.clone()}
                            {done.map(|day| view! { <span class="row-detail">{move || t_string!(i18n, employee.completed_on, date = day.clone()).to_string()}</span> })}
                        </span>
                        <span class="tag due" data-state=state>{when}</span>
                        <Show when=move || account.can_edit()>
                            {
                                let (key, named) = (key.clone(), named.clone());
                                view! {
                                    <RemoveButton
                                        label=Signal::derive(move || t_string!(i18n, employee.remove_named, name = named.clone()).to_string())
                                        on_remove=Callback::new(move |()| {
                                            let key = key.clone();
                                            // Kept, marked removed: every device then cancels its reminder.
                                            write(ctx, id, Box::new(move |e| {
                                                if let Some(training) = e.trainings.get_mut(&key) { training.archived = true; }
                                            }), None);
                                        }) />
                                }
                            }
                        </Show>
                    </li>
                }
            }).collect_view()}
        </ul>
        <Show when=move || account.can_edit()>
            <form class="record-form" on:submit=add data-testid="training-add">
                <label>
                    {t!(i18n, employee.training)}
                    <input type="text" maxlength="200" data-testid="training-name"
                        prop:value=move || fields[0].get() on:input=move |e| fields[0].set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, employee.completed)}
                    <input type="date" data-testid="training-completed"
                        prop:value=move || fields[1].get() on:input=move |e| fields[1].set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, employee.expires)}
                    <input type="date" data-testid="training-expires"
                        prop:value=move || fields[2].get() on:input=move |e| fields[2].set(event_target_value(&e)) />
                </label>
                <button type="submit" data-testid="training-save">{t!(i18n, employee.add_training)}</button>
            </form>
        </Show>
        {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="training-error">{e}</p> })}
    }
}
