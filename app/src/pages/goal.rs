//! One goal: whose it is and what it serves, its key results with how far each is, a check-in (each
//! key result's value now, how confident, a note — each check-in its own entry, so two made at once
//! both count), the check-ins so far, and the goals that serve it.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::goals::{self, GoalRow, Track, Whose, parse_number};
use rapport_core::ids::{GoalId, GoalPartId};
use rapport_core::model::{CheckIn, Goal, KeyResult};
use rapport_core::read_model::Changed;

use super::Page;
use super::goals::{
    GoalLine, ParentChoice, Progress, WhoseChoice, WhosePerson, track_name, whose_fields,
    whose_name,
};
use super::team::member_name;
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;
use crate::widgets;

type Change = Box<dyn FnOnce(&mut Goal) + Send>;

/// Writes `change` to goal `id`, the error (if any) shown in `error`, then tells `done` whether it
/// was saved.
fn write(
    ctx: WorkspaceCtx,
    id: GoalId,
    change: Change,
    error: RwSignal<Option<String>>,
    done: impl FnOnce(bool) + 'static,
) {
    spawn_local(async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let result = local::update::<Goal>(&shared, id, change).await;
        done(ctx.settle(result, error));
    });
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n}") }
}

#[component]
pub(crate) fn GoalPage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let params = leptos_router::hooks::use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<GoalId>().ok())));
    let row = Memo::new(move |_| {
        let id = id.get()?;
        ctx.read_of(Changed::EMPLOYEES, |ws| ws.model.goals.get(&id).cloned()).flatten()
    });
    let title = move || {
        row.with(|r| r.as_ref().map(|r| r.title.clone()))
            .unwrap_or_else(|| t_string!(i18n, goals.goal).to_owned())
    };
    view! {
        <Page key="goal" title>
            <p class="hint"><a href="/team" data-testid="back-to-team">{t!(i18n, employee.title)}</a></p>
            // Mounted afresh for each goal: a note or a value typed for one never lands on the next.
            {move || id.get().map(|_| view! {
                <Show when=move || row.with(Option::is_some) fallback=move || view! { <p class="hint" data-testid="goal-missing">{t!(i18n, goals.no_such_goal)}</p> }>
                    {move || row.get().map(|r| view! { <GoalMeta row=r /> })}
                    <div class="record-layout">
                        <div class="record-main">
                            <KeyResults id row />
                            <CheckInForm id row />
                        </div>
                        <div class="record-activity">
                            <CheckIns row />
                            <Serving id />
                            <EditGoal id row />
                            <ArchiveGoal id />
                        </div>
                    </div>
                </Show>
            })}
        </Page>
    }
}

#[component]
fn GoalMeta(row: GoalRow) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let parent = row.parent.and_then(|p| {
        ctx.read_of(Changed::EMPLOYEES, |ws| ws.model.goals.get(&p).map(|g| (p, g.title.clone())))
            .flatten()
    });
    let track = row.track();
    let whose = row.whose.clone();
    view! {
        <p class="hint" data-testid="goal-meta">
            {move || whose_name(ctx, &whose)}
            {parent.map(|(id, name)| view! { " · " {t!(i18n, goals.serves)} " " <a href=format!("/team/goals/{id}") data-testid="goal-parent">{name}</a> })}
            {row.due.and_then(|d| time::Date::from_julian_day(d).ok()).map(|day| view! { " · " {t_string!(i18n, goals.due_on, date = widgets::day_text(day)).to_string()} })}
            {track.map(|track| view! { " " <span class="tag" data-testid="goal-track" data-track=track.name()>{track_name(track)}</span> })}
        </p>
        <Progress progress=row.progress total=true />
    }
}

#[component]
fn KeyResults(id: Memo<Option<GoalId>>, row: Memo<Option<GoalRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let results =
        move || row.with(|r| r.as_ref().map(|r| r.key_results.clone())).unwrap_or_default();
    let count = move || row.with(|r| r.as_ref().map_or(0, |r| r.key_results.len()));
    let (title, start, target, unit) = (
        RwSignal::new(String::new()),
        RwSignal::new("0".to_owned()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(id) = id.get_untracked() else { return };
        if saving.get_untracked() {
            return;
        }
        let name = title.get_untracked().trim().to_owned();
        let (Some(from), Some(to)) =
            (parse_number(&start.get_untracked()), parse_number(&target.get_untracked()))
        else {
            return error.set(Some(t_string!(i18n, goals.numbers_needed).to_owned()));
        };
        if name.is_empty() {
            return error.set(Some(t_string!(i18n, goals.kr_title_needed).to_owned()));
        }
        if from == to {
            return error.set(Some(t_string!(i18n, goals.start_is_target).to_owned()));
        }
        if count() >= goals::MOST_KEY_RESULTS {
            return error.set(Some(t_string!(i18n, goals.too_many_krs).to_owned()));
        }
        error.set(None);
        let key = GoalPartId::generate(&mut local::BrowserIds).to_string();
        let kr = KeyResult {
            title: name,
            start: from,
            target: to,
            unit: unit.get_untracked().trim().to_owned(),
            position: local::now().0,
            archived: false,
        };
        // Saving until written: a second click adds nothing twice.
        saving.set(true);
        let cleared = move |saved: bool| {
            saving.set(false);
            if saved {
                title.set(String::new());
                target.set(String::new());
            }
        };
        write(
            ctx,
            id,
            Box::new(move |g| {
                g.key_results.insert(key, kr);
            }),
            error,
            cleared,
        );
    };
    view! {
        <section class="panel" data-testid="key-results" data-count=count>
            <h2>{t!(i18n, goals.key_results)}</h2>
            <Show when=move || count() != 0 fallback=move || view! { <p class="hint">{t!(i18n, goals.no_key_results)}</p> }>
                <ul class="rows">
                    <For each=results key=|kr| format!("{kr:?}") let:kr>
                        <KeyResultLine kr id error />
                    </For>
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <form class="record-form" on:submit=add data-testid="new-key-result">
                    <div class="field-row wrapping">
                        <label>{t!(i18n, goals.key_result)}<input data-testid="kr-title" prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) /></label>
                        <label>{t!(i18n, goals.start)}<input inputmode="decimal" data-testid="kr-start" prop:value=move || start.get() on:input=move |e| start.set(event_target_value(&e)) /></label>
                        <label>{t!(i18n, goals.target)}<input inputmode="decimal" data-testid="kr-target" prop:value=move || target.get() on:input=move |e| target.set(event_target_value(&e)) /></label>
                        <label>{t!(i18n, goals.unit)}<input data-testid="kr-unit" prop:value=move || unit.get() on:input=move |e| unit.set(event_target_value(&e)) /></label>
                    </div>
                    {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="kr-error">{e}</p> })}
                    <button type="submit" data-testid="kr-add" disabled=move || saving.get()>{t!(i18n, goals.add_key_result)}</button>
                </form>
            </Show>
        </section>
    }
}

/// A key result: where it stands against its target, and removing it.
#[component]
fn KeyResultLine(
    kr: rapport_core::goals::KeyResultRow,
    id: Memo<Option<GoalId>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let key = StoredValue::new(kr.key.clone());
    let label = t_string!(i18n, goals.remove_key_result, name = kr.title.clone()).to_string();
    let remove = Callback::new(move |()| {
        let Some(id) = id.get_untracked() else { return };
        let key = key.get_value();
        let change: Change = Box::new(move |g| {
            if let Some(kr) = g.key_results.get_mut(&key) {
                kr.archived = true;
            }
        });
        write(ctx, id, change, error, |_| {});
    });
    let detail = format!("{} → {} {}", number_text(kr.current), number_text(kr.target), kr.unit);
    // The target moved (a plan revised): progress is read against the new one from then on, the
    // check-ins' values stay as they were.
    let (start, target) = (kr.start, kr.target);
    let new_target = RwSignal::new(number_text(target));
    let retarget = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(id) = id.get_untracked() else { return };
        let Some(to) = parse_number(&new_target.get_untracked()) else {
            return error.set(Some(t_string!(i18n, goals.numbers_needed).to_owned()));
        };
        if to == start {
            return error.set(Some(t_string!(i18n, goals.start_is_target).to_owned()));
        }
        if to == target {
            return;
        }
        error.set(None);
        let key = key.get_value();
        let change: Change = Box::new(move |g| {
            if let Some(kr) = g.key_results.get_mut(&key) {
                kr.target = to;
            }
        });
        write(ctx, id, change, error, |_| {});
    };
    view! {
        <li class="row key-result" data-testid="key-result" data-title=kr.title.clone()>
            <span class="row-title">
                {kr.title.clone()}
                <Show when=move || account.can_edit()>
                    <widgets::RemoveButton label=label.clone() on_remove=remove />
                </Show>
            </span>
            <span class="row-detail" data-testid="key-result-detail">{detail}</span>
            <Progress progress=kr.progress />
            <Show when=move || account.can_edit()>
                <details class="kr-edit">
                    <summary>{t!(i18n, goals.change_target)}</summary>
                    <form class="field-row" on:submit=retarget data-testid="kr-retarget">
                        <label>{t!(i18n, goals.target)}
                            <input inputmode="decimal" data-testid="kr-new-target" prop:value=move || new_target.get() on:input=move |e| new_target.set(event_target_value(&e)) />
                        </label>
                        <button type="submit" class="secondary" data-testid="kr-retarget-save">{t!(i18n, goals.save)}</button>
                    </form>
                </details>
            </Show>
        </li>
    }
}

/// A check-in: each key result's value now (its current one to start with), how confident, a note.
#[component]
fn CheckInForm(id: Memo<Option<GoalId>>, row: Memo<Option<GoalRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    // What was typed, by key result: only those go into the check-in, so two people checking in at
    // once on different results each move their own.
    let typed = RwSignal::new(BTreeMap::<String, String>::new());
    let saving = RwSignal::new(false);
    let confidence = RwSignal::new(7u8);
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    // One field per key result, kept while its value moves.
    let fields = move || {
        row.with(|r| {
            r.as_ref()
                .map(|r| {
                    r.key_results
                        .iter()
                        .map(|kr| (kr.key.clone(), kr.title.clone(), kr.unit.clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(id) = id.get_untracked() else { return };
        if saving.get_untracked() {
            return;
        }
        let Some(me) = ctx.read(|ws| ws.me).flatten() else {
            return error.set(Some(t_string!(i18n, employee.who_unknown).to_owned()));
        };
        let Some(goal) = row.get_untracked() else { return };
        let mut values = BTreeMap::new();
        for kr in &goal.key_results {
            let Some(text) = typed.with_untracked(|t| t.get(&kr.key).cloned()) else { continue };
            let Some(value) = parse_number(&text) else {
                return error.set(Some(t_string!(i18n, goals.numbers_needed).to_owned()));
            };
            if value != kr.current {
                values.insert(kr.key.clone(), value);
            }
        }
        error.set(None);
        let check_in = CheckIn {
            at: goal.next_check_in_at(local::now()),
            by: me,
            values,
            confidence: confidence.get_untracked(),
            note: note.get_untracked().trim().to_owned(),
        };
        let key = GoalPartId::generate(&mut local::BrowserIds).to_string();
        let said = t_string!(i18n, goals.checked_in).to_owned();
        saving.set(true);
        let cleared = move |saved: bool| {
            saving.set(false);
            if saved {
                typed.set(BTreeMap::new());
                note.set(String::new());
                done.set(Some(said));
            }
        };
        write(
            ctx,
            id,
            Box::new(move |g| {
                g.check_ins.insert(key, check_in);
            }),
            error,
            cleared,
        );
    };
    view! {
        <Show when=move || account.can_edit()>
            <section class="panel" data-testid="check-in">
                <h2>{t!(i18n, goals.check_in)}</h2>
                <form class="record-form" on:submit=save>
                    <For each=fields key=|kr| kr.clone() let:kr>
                        {
                            let (key, title, unit) = kr;
                            let field = key.clone();
                            // What was typed, else where the result stands now (read as check-ins
                            // arrive; the field keeps its place while someone types).
                            let shown = move || {
                                typed.with(|t| t.get(&field).cloned()).unwrap_or_else(|| {
                                    row.with(|r| r.as_ref().and_then(|r| r.key_results.iter().find(|kr| kr.key == field).map(|kr| number_text(kr.current)))).unwrap_or_default()
                                })
                            };
                            view! {
                                <label>
                                    {format!("{title} ({unit})")}
                                    <input inputmode="decimal" data-testid="check-in-value" data-title=title.clone() prop:value=shown
                                        on:input=move |e| {
                                            let text = event_target_value(&e);
                                            let key = key.clone();
                                            // Emptied: as it stands, not a value to refuse.
                                            typed.update(|t| { if text.trim().is_empty() { t.remove(&key); } else { t.insert(key, text); } });
                                        } />
                                </label>
                            }
                        }
                    </For>
                    <label>
                        {t!(i18n, goals.confidence)}
                        <select data-testid="check-in-confidence" on:change=move |e| { if let Ok(n) = event_target_value(&e).parse::<u8>() { confidence.set(n) } }>
                            {(1..=10u8).rev().map(|n| view! {
                                <option value=n.to_string() selected=move || confidence.get() == n>{format!("{n} · {}", track_name(Track::of(n)))}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>
                        {t!(i18n, goals.note)}
                        <textarea rows="2" data-testid="check-in-note" prop:value=move || note.get() on:input=move |e| note.set(event_target_value(&e))></textarea>
                    </label>
                    {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="check-in-error">{e}</p> })}
                    {move || done.get().map(|d| view! { <p class="done" role="status" data-testid="checked-in">{d}</p> })}
                    <button type="submit" data-testid="check-in-save" disabled=move || saving.get()>{t!(i18n, goals.save_check_in)}</button>
                </form>
            </section>
        </Show>
    }
}

#[component]
fn CheckIns(row: Memo<Option<GoalRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let list = move || row.with(|r| r.as_ref().map(|r| r.check_ins.clone())).unwrap_or_default();
    view! {
        <section class="panel" data-testid="check-ins" data-count=move || list().len()>
            <h2>{t!(i18n, goals.check_ins)}</h2>
            <Show when=move || !list().is_empty() fallback=move || view! { <p class="hint">{t!(i18n, goals.no_check_ins)}</p> }>
                <ul class="rows">
                    <For each=list key=|c| c.key.clone() let:c>
                        <li class="row" data-testid="check-in-row">
                            <span class="row-title">
                                {widgets::local_date(c.at)} " · " {member_name(ctx, c.by)}
                                " " <span class="tag" data-track=Track::of(c.confidence).name()>{format!("{} · {}", c.confidence, track_name(Track::of(c.confidence)))}</span>
                            </span>
                            <span class="row-detail">{c.values.iter().map(|(title, v)| format!("{title}: {}", number_text(*v))).collect::<Vec<_>>().join(" · ")}</span>
                            {(!c.note.is_empty()).then(|| view! { <span class="row-detail">{c.note.clone()}</span> })}
                        </li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// The goals that serve this one.
#[component]
fn Serving(id: Memo<Option<GoalId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let children = Memo::new(move |_| {
        let Some(id) = id.get() else { return Vec::new() };
        ctx.read_of(Changed::EMPLOYEES, |ws| {
            let mut list: Vec<GoalRow> = ws
                .model
                .goals
                .values()
                .filter(|g| g.parent == Some(id) && !g.archived)
                .cloned()
                .collect();
            list.sort_by(|a, b| {
                (a.whose.clone(), a.title.to_lowercase())
                    .cmp(&(b.whose.clone(), b.title.to_lowercase()))
            });
            list
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel" data-testid="serving" data-count=move || children.with(Vec::len)>
            <h2>{t!(i18n, goals.serving)}</h2>
            <Show when=move || children.with(|c| !c.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, goals.none_serving)}</p> }>
                <ul class="rows">
                    <For each=move || children.get() key=|g| format!("{g:?}") let:g>
                        <GoalLine depth=0 row=g />
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// Archiving a goal: off the tree and every list (the goals that served it then stand on their own).
#[component]
fn ArchiveGoal(id: Memo<Option<GoalId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let error = RwSignal::new(None::<String>);
    let archive = Callback::new(move |()| {
        let Some(id) = id.get_untracked() else { return };
        let navigate = navigate.clone();
        write(ctx, id, Box::new(|g| g.archived = true), error, move |saved| {
            if saved {
                navigate("/team", Default::default());
            }
        });
    });
    view! {
        <widgets::ArchivePanel testid="archive-goal" error on_archive=archive
            title=move || t_string!(i18n, goals.archive) hint=move || t_string!(i18n, goals.archive_hint) />
    }
}

/// A goal's title, due day and the goal it serves, changed in place: each written only if it
/// differs from what is stored, so two people changing different ones at once keep both.
#[component]
fn EditGoal(id: Memo<Option<GoalId>>, row: Memo<Option<GoalRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let stored_title =
        Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.title.clone())).unwrap_or_default());
    let stored_due = Memo::new(move |_| {
        row.with(|r| r.as_ref().and_then(|r| r.due))
            .and_then(|d| time::Date::from_julian_day(d).ok())
            .map(|d| d.to_string())
            .unwrap_or_default()
    });
    let stored_parent = Memo::new(move |_| row.with(|r| r.as_ref().and_then(|r| r.parent)));
    // Whose it is, as the choice shows it: "company", "team" or "person", the team, the person.
    let stored_whose = Memo::new(move |_| {
        let whose = row.with(|r| r.as_ref().map(|r| r.whose.clone()))?;
        Some(match whose {
            Whose::Company => ("company".to_owned(), String::new(), None),
            Whose::Team(team) => ("team".to_owned(), team, None),
            Whose::Person(party) => (
                "person".to_owned(),
                String::new(),
                Some((party, whose_name(ctx, &Whose::Person(party)))),
            ),
        })
    });
    let stored_level = Memo::new(move |_| stored_whose.get().map(|w| w.0).unwrap_or_default());
    let stored_team = Memo::new(move |_| stored_whose.get().map(|w| w.1).unwrap_or_default());
    let stored_person = Memo::new(move |_| stored_whose.get().and_then(|w| w.2));
    let (title, due, parent) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(None::<GoalId>));
    let (level, team, person) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(None));
    widgets::follow(stored_title, title);
    widgets::follow(stored_due, due);
    widgets::follow(stored_parent, parent);
    widgets::follow(stored_level, level);
    widgets::follow(stored_team, team);
    widgets::follow(stored_person, person);
    let whose_changed = move || {
        level.get() != stored_level.get()
            || (level.get() == "team" && team.get().trim() != stored_team.get())
            || (level.get() == "person"
                && person.get().map(|p| p.0) != stored_person.get().map(|p| p.0))
    };
    let dirty = Signal::derive(move || {
        title.get() != stored_title.get()
            || due.get() != stored_due.get()
            || parent.get() != stored_parent.get()
            || whose_changed()
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let choices = Memo::new(move |_| {
        let Some(id) = id.get() else { return Vec::new() };
        ctx.read_of(Changed::EMPLOYEES, |ws| {
            goals::could_serve(&ws.model, id)
                .into_iter()
                .map(|(depth, g)| (g.id, format!("{}{}", "— ".repeat(depth), g.title)))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(id) = id.get_untracked() else { return };
        let name = title.get_untracked().trim().to_owned();
        if name.is_empty() {
            return error.set(Some(t_string!(i18n, goals.title_needed).to_owned()));
        }
        let day = due.get_untracked();
        if !day.is_empty() && rapport_core::contract::parse_day(&day).is_none() {
            return error.set(Some(t_string!(i18n, employee.date_invalid).to_owned()));
        }
        let chosen = parent.get_untracked();
        // Chosen before a colleague made it serve this one: refused rather than a loop.
        if chosen.is_some_and(|p| !choices.with_untracked(|c| c.iter().any(|(g, _)| *g == p))) {
            return error.set(Some(t_string!(i18n, goals.would_loop).to_owned()));
        }
        // Whose, written only if it changed: a colleague's rename at once is kept.
        let new_whose = if untrack(whose_changed) {
            let chosen = whose_fields(
                &level.get_untracked(),
                &team.get_untracked(),
                person.get_untracked().map(|(id, _)| id),
            );
            match chosen {
                Ok(fields) => Some(fields),
                Err(why) => return error.set(Some(why.to_owned())),
            }
        } else {
            None
        };
        error.set(None);
        saved.set(false);
        let new_title = (name != stored_title.get_untracked()).then_some(name);
        let new_due = (day != stored_due.get_untracked()).then_some(day);
        let new_parent = (chosen != stored_parent.get_untracked()).then_some(chosen);
        write(
            ctx,
            id,
            Box::new(move |g| {
                if let Some(title) = new_title {
                    g.title = title;
                }
                if let Some(due) = new_due {
                    g.due = due;
                }
                if let Some(parent) = new_parent {
                    g.parent = parent;
                }
                if let Some((team, owner)) = new_whose {
                    g.team = team;
                    g.owner = owner;
                }
            }),
            error,
            move |ok| saved.set(ok),
        );
    };
    view! {
        <Show when=move || account.can_edit()>
            <form class="panel record-form" on:submit=save data-testid="edit-goal">
                <h2>{t!(i18n, goals.edit)}</h2>
                <label>
                    {t!(i18n, goals.objective)}
                    <input data-testid="edit-goal-title" maxlength="200" prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
                </label>
                <div class="field-row wrapping">
                    <WhoseChoice testid="edit-goal" level team />
                </div>
                <WhosePerson testid="edit-goal-owner" level person />
                <ParentChoice testid="edit-goal-parent" choices parent />
                <label>
                    {t!(i18n, goals.due)}
                    <input type="date" data-testid="edit-goal-due" prop:value=move || due.get() on:input=move |e| due.set(event_target_value(&e)) />
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="edit-goal-error">{e}</p> })}
                <Show when=move || saved.get() && !dirty.get()>
                    <p class="done" role="status" data-testid="edit-goal-saved">{t!(i18n, goals.saved)}</p>
                </Show>
                <button type="submit" data-testid="edit-goal-save" disabled=move || !dirty.get()>{t!(i18n, goals.save)}</button>
            </form>
        </Show>
    }
}
