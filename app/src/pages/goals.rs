//! The Team page's goals: the company's, each team's and each person's as one tree (each under the
//! goal it serves) with how far along and how confident each is; and a new goal.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::goals::{self, GoalRow, Track, Whose};
use rapport_core::ids::{GoalId, PartyId};
use rapport_core::model::Goal;
use rapport_core::read_model::Changed;

use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;
use crate::widgets;

/// "Company", a team's name, or a person's.
pub(crate) fn whose_name(ctx: WorkspaceCtx, whose: &Whose) -> String {
    let i18n = use_i18n();
    match whose {
        Whose::Company => t_string!(i18n, goals.company).to_owned(),
        Whose::Team(team) => team.clone(),
        Whose::Person(party) => ctx
            .read_of(Changed::PARTIES, |ws| ws.model.parties.get(party).map(|p| p.name.clone()))
            .flatten()
            .unwrap_or_else(|| t_string!(i18n, employee.someone).to_owned()),
    }
}

pub(crate) fn track_name(track: Track) -> &'static str {
    let i18n = use_i18n();
    match track {
        Track::OnTrack => t_string!(i18n, goals.on_track),
        Track::AtRisk => t_string!(i18n, goals.at_risk),
        Track::OffTrack => t_string!(i18n, goals.off_track),
    }
}

/// A goal's progress as a bar with its percentage.
#[component]
pub(crate) fn Progress(
    progress: f64,
    /// The whole goal's, on its page (apart from its key results').
    #[prop(optional)]
    total: bool,
) -> impl IntoView {
    let percent = (progress * 100.0).round() as u32;
    let testid = if total { "goal-progress-total" } else { "goal-progress" };
    view! {
        <span class="goal-progress" data-testid=testid data-percent=percent>
            <span class="raised-bar"><span class="raised-committed" style=format!("width: {percent}%")></span></span>
            <span class="number">{format!("{percent} %")}</span>
        </span>
    }
}

#[component]
pub(crate) fn GoalsPanel() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let tree = Memo::new(move |_| {
        ctx.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| {
            goals::tree(&ws.model)
                .into_iter()
                .map(|(depth, g)| (depth, g.clone()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel" data-testid="goals" data-count=move || tree.with(Vec::len)>
            <h2>{t!(i18n, goals.goals)}</h2>
            <Show when=move || tree.with(|t| !t.is_empty()) fallback=move || view! { <p class="hint" data-testid="no-goals">{t!(i18n, goals.no_goals)}</p> }>
                <ul class="rows">
                    <For each=move || tree.get() key=|(depth, row)| format!("{depth}{row:?}") let:item>
                        <GoalLine depth=item.0 row=item.1 />
                    </For>
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <NewGoal />
            </Show>
        </section>
    }
}

/// The goal a goal serves, chosen among `choices` (each indented by its depth in the tree), or none.
#[component]
pub(crate) fn ParentChoice(
    testid: &'static str,
    choices: Memo<Vec<(GoalId, String)>>,
    parent: RwSignal<Option<GoalId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label>
            {t!(i18n, goals.serves)}
            <select data-testid=testid on:change=move |e| parent.set(event_target_value(&e).parse().ok())>
                <option value="" selected=move || parent.with(Option::is_none)>{t!(i18n, goals.serves_nothing)}</option>
                {move || choices.get().into_iter().map(|(id, name)| view! {
                    <option value=id.to_string() selected=move || parent.get() == Some(id)>{name}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// A goal in a list: its title, whose, when due, its progress and confidence.
#[component]
pub(crate) fn GoalLine(depth: usize, row: GoalRow) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    // Read as the people load: a person's name may come after their goal.
    let whose = row.whose.clone();
    let whose = move || whose_name(ctx, &whose);
    let track = row.track();
    view! {
        <li class="row goal-line" data-testid="goal-row" data-title=row.title.clone() data-depth=depth style=format!("--depth: {}", depth.min(4))>
            <a class="row-link" href=format!("/team/goals/{}", row.id)>
                <span class="row-title">{row.title.clone()}</span>
                <span class="row-detail">
                    {whose}
                    {row.due.and_then(|d| time::Date::from_julian_day(d).ok()).map(|day| view! { " · " {move || t_string!(i18n, goals.due_on, date = widgets::day_text(day)).to_string()} })}
                </span>
                <Progress progress=row.progress />
            </a>
            {track.map(|track| view! { <span class="tag" data-testid="goal-track" data-track=track.name()>{track_name(track)}</span> })}
        </li>
    }
}

/// Whose a goal is, chosen: the company's, a team's (named in `team`) or a person's (the picker
/// that [`WhosePerson`] shows). `level` is "company", "team" or "person"; handles are
/// `<testid>-level` and `<testid>-team`.
#[component]
pub(crate) fn WhoseChoice(
    testid: &'static str,
    level: RwSignal<String>,
    team: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label>
            {t!(i18n, goals.whose)}
            <select data-testid=format!("{testid}-level") prop:value=move || level.get() on:change=move |e| level.set(event_target_value(&e))>
                <option value="company" selected=move || level.get() == "company">{t!(i18n, goals.company)}</option>
                <option value="team" selected=move || level.get() == "team">{t!(i18n, goals.a_team)}</option>
                <option value="person" selected=move || level.get() == "person">{t!(i18n, goals.a_person)}</option>
            </select>
        </label>
        <Show when=move || level.get() == "team">
            <label>
                {t!(i18n, employee.team)}
                <input data-testid=format!("{testid}-team") prop:value=move || team.get() on:input=move |e| team.set(event_target_value(&e)) />
            </label>
        </Show>
    }
}

/// The person a goal is for, when [`WhoseChoice`] says a person's.
#[component]
pub(crate) fn WhosePerson(
    testid: &'static str,
    level: RwSignal<String>,
    person: RwSignal<Option<(PartyId, String)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show when=move || level.get() == "person">
            <widgets::PartyPicker chosen=person testid employees=true label=move || t_string!(i18n, goals.a_person) />
        </Show>
    }
}

/// Whose a goal is, as its fields say it (`team`, `owner`), from the choice; or why it cannot be.
pub(crate) fn whose_fields(
    level: &str,
    team: &str,
    person: Option<PartyId>,
) -> Result<(String, Option<PartyId>), &'static str> {
    let i18n = use_i18n();
    match level {
        "team" if team.trim().is_empty() => Err(t_string!(i18n, goals.team_needed)),
        "team" => Ok((team.trim().to_owned(), None)),
        "person" => {
            person.map(|p| (String::new(), Some(p))).ok_or(t_string!(i18n, goals.person_needed))
        }
        _ => Ok((String::new(), None)),
    }
}

/// A new goal: its title, whose (the company's, a team's, a person's), the goal it serves and when
/// it is due; key results are added on its page.
#[component]
fn NewGoal() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let title = RwSignal::new(String::new());
    // "company", "team" or "person".
    let level = RwSignal::new("company".to_owned());
    let team = RwSignal::new(String::new());
    let person = RwSignal::new(None::<(PartyId, String)>);
    let parent = RwSignal::new(None::<GoalId>);
    let due = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let parents = Memo::new(move |_| {
        ctx.read_of(Changed::EMPLOYEES, |ws| {
            goals::tree(&ws.model)
                .into_iter()
                .map(|(depth, g)| (g.id, format!("{}{}", "— ".repeat(depth), g.title)))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(me) = ctx.read(|ws| ws.me).flatten() else {
            return error.set(Some(t_string!(i18n, employee.who_unknown).to_owned()));
        };
        let name = title.get_untracked().trim().to_owned();
        if name.is_empty() {
            return error.set(Some(t_string!(i18n, goals.title_needed).to_owned()));
        }
        let chosen = whose_fields(
            &level.get_untracked(),
            &team.get_untracked(),
            person.get_untracked().map(|(id, _)| id),
        );
        let (team_name, owner) = match chosen {
            Ok(fields) => fields,
            Err(why) => return error.set(Some(why.to_owned())),
        };
        let due_day = due.get_untracked();
        if !due_day.is_empty() && rapport_core::contract::parse_day(&due_day).is_none() {
            return error.set(Some(t_string!(i18n, employee.date_invalid).to_owned()));
        }
        error.set(None);
        let goal = Goal {
            title: name,
            team: team_name,
            owner,
            parent: parent.get_untracked(),
            due: due_day,
            key_results: Default::default(),
            check_ins: Default::default(),
            created_by: me,
            created_at: local::now(),
            archived: false,
        };
        let id = GoalId::generate(&mut local::BrowserIds);
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            if ctx.settle(local::create(&shared, id, goal).await, error) {
                navigate(&format!("/team/goals/{id}"), Default::default());
            }
        });
    };
    view! {
        <form class="record-form" on:submit=create data-testid="new-goal">
            <h3>{t!(i18n, goals.new_goal)}</h3>
            <label>
                {t!(i18n, goals.objective)}
                <input data-testid="new-goal-title" prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
            </label>
            <div class="field-row wrapping">
                <WhoseChoice testid="new-goal" level team />
                <ParentChoice testid="new-goal-parent" choices=parents parent />
                <label>
                    {t!(i18n, goals.due)}
                    <input type="date" data-testid="new-goal-due" prop:value=move || due.get() on:input=move |e| due.set(event_target_value(&e)) />
                </label>
            </div>
            <WhosePerson testid="new-goal-owner" level person />
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="new-goal-error">{e}</p> })}
            <button type="submit" data-testid="new-goal-create">{t!(i18n, goals.create)}</button>
        </form>
    }
}
