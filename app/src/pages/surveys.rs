//! The Team page's pulse surveys: each survey with where its rounds stand and, for someone it asks,
//! whether they answered; and for owners and admins, a new survey (questions from a starter pulse,
//! the teams asked, how often, the smallest group shown).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::ids::SurveyId;
use rapport_core::model::{Survey, SurveyQuestion};
use rapport_core::pulse::{self, QuestionKind, SurveyRefused, SurveyRow};
use rapport_core::read_model::Changed;

use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::pulse::{AnswerState, Outcome, PulseCtx};
use crate::state::WorkspaceCtx;
use crate::widgets;

/// How a survey's rhythm reads: "once", "every week", "every 2 weeks", "every 4 weeks".
pub(crate) fn rhythm_name(weeks: u8) -> &'static str {
    let i18n = use_i18n();
    match weeks {
        0 => t_string!(i18n, survey.once),
        1 => t_string!(i18n, employee.weekly),
        2 => t_string!(i18n, employee.fortnightly),
        _ => t_string!(i18n, employee.monthly),
    }
}

/// Where a survey's rounds stand now: open until a day, the next opening, or stopped.
pub(crate) fn round_state(survey: &SurveyRow) -> String {
    let i18n = use_i18n();
    let now = local::now();
    let day = |at| widgets::day_text(widgets::local_day(at));
    if let Some((_, closes)) = survey.open_round(now).map(|n| survey.window(n)) {
        // The last day it takes answers (a round closes at the start of the day after).
        let last = rapport_core::ids::Timestamp(closes.0 - 1);
        return t_string!(i18n, survey.open_until, date = day(last)).to_string();
    }
    let next = survey.rounds_opened(now);
    let ahead = !survey.stopped() && (survey.every_weeks != 0 || next == 0);
    if ahead {
        let (opens, _) = survey.window(next);
        t_string!(i18n, survey.next_round, date = day(opens)).to_string()
    } else {
        t_string!(i18n, survey.ended).to_owned()
    }
}

/// This member's answer to the round open now, or `None` when they have not answered it here.
pub(crate) fn my_answer(pulse: PulseCtx, ballot: &str) -> Option<AnswerState> {
    pulse.state.with(|s| s.answer(ballot))
}

/// What the survey's page says of an answer.
pub(crate) fn answer_said(state: AnswerState) -> &'static str {
    let i18n = use_i18n();
    match state {
        AnswerState::Waiting => t_string!(i18n, survey.waiting_to_send),
        AnswerState::Done(Outcome::Sent) => t_string!(i18n, survey.sent),
        AnswerState::Done(Outcome::Elsewhere) => t_string!(i18n, survey.answered_elsewhere),
        AnswerState::Done(Outcome::Closed) => t_string!(i18n, survey.closed_before_sent),
        AnswerState::Done(Outcome::Refused) => t_string!(i18n, survey.refused),
        AnswerState::Done(Outcome::NotAsAsked) => t_string!(i18n, survey.not_as_asked),
    }
}

/// The short word a survey's row says of this member's answer.
fn answered_tag(state: AnswerState) -> &'static str {
    let i18n = use_i18n();
    match state {
        AnswerState::Waiting => t_string!(i18n, survey.tag_waiting),
        AnswerState::Done(Outcome::Closed | Outcome::Refused | Outcome::NotAsAsked) => {
            t_string!(i18n, survey.tag_missed)
        }
        AnswerState::Done(Outcome::Elsewhere) => t_string!(i18n, survey.tag_elsewhere),
        AnswerState::Done(Outcome::Sent) => t_string!(i18n, survey.tag_answered),
    }
}

/// Said to those who manage when the relay keeps no more ballots for the workspace: new rounds and
/// upward reviews ask nobody.
#[component]
pub(crate) fn BallotBoxFull() -> impl IntoView {
    let i18n = use_i18n();
    let pulse = PulseCtx::use_ctx();
    view! {
        <Show when=move || pulse.full.get()>
            <p class="notice" role="alert" data-testid="ballot-box-full">
                {move || t_string!(i18n, survey.ballot_box_full, most = widgets::count(rapport_core::ballot::MOST_BALLOTS)).to_string()}
            </p>
        </Show>
    }
}

#[component]
pub(crate) fn SurveysPanel() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let pulse = PulseCtx::use_ctx();
    // Those still running first, then by title.
    let surveys = Memo::new(move |_| {
        ctx.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| {
            let now = local::now();
            let asked: Vec<SurveyId> = ws
                .me
                .map(|me| pulse::open_for(&ws.model, me, now).iter().map(|(s, _)| s.id).collect())
                .unwrap_or_default();
            let mut rows: Vec<(SurveyRow, Option<String>)> = ws
                .model
                .surveys
                .values()
                .map(|survey| {
                    let ballot = asked.contains(&survey.id).then(|| {
                        let round = survey.open_round(now).unwrap_or_default();
                        pulse::round_ballot(ws.workspace, survey.id, round)
                    });
                    (survey.clone(), ballot)
                })
                .collect();
            rows.sort_by(|(a, _), (b, _)| {
                (a.stopped(), a.title.to_lowercase(), a.id).cmp(&(
                    b.stopped(),
                    b.title.to_lowercase(),
                    b.id,
                ))
            });
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel" data-testid="surveys" data-count=move || surveys.with(Vec::len)>
            <h2>{t!(i18n, survey.surveys)}</h2>
            <p class="hint">{t!(i18n, survey.surveys_hint)}</p>
            <BallotBoxFull />
            <Show when=move || surveys.with(|s| !s.is_empty()) fallback=move || view! { <p class="hint" data-testid="no-surveys">{t!(i18n, survey.no_surveys)}</p> }>
                <ul class="rows">
                    <For each=move || surveys.get() key=|row| format!("{row:?}") let:row>
                        {
                            let (survey, ballot) = row;
                            let asked = ballot.is_some();
                            let answered = ballot.clone();
                            let state = round_state(&survey);
                            view! {
                                <li class="row" data-testid="survey-row" data-title=survey.title.clone() data-asked=asked.to_string()>
                                    <a class="row-link" href=format!("/team/surveys/{}", survey.id)>
                                        <span class="row-title">{survey.title.clone()}</span>
                                        <span class="row-detail">{rhythm_name(survey.every_weeks)} " · " {state}</span>
                                    </a>
                                    {move || answered.as_deref().map(|ballot| match my_answer(pulse, ballot) {
                                        Some(state) => view! { <span class="tag" data-testid="survey-answered" data-state=state.name()>{answered_tag(state)}</span> }.into_any(),
                                        None => view! { <span class="tag due" data-state="soon" data-testid="survey-to-answer">{t!(i18n, survey.to_answer)}</span> }.into_any(),
                                    })}
                                </li>
                            }
                        }
                    </For>
                </ul>
            </Show>
            <Show when=move || account.manages.get() && ctx.read(|ws| ws.me.is_some()).unwrap_or(false)>
                <NewSurvey />
            </Show>
        </section>
    }
}

/// A question as the form edits it: its kind, its text and (for a choice) its options, one a line.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    kind: QuestionKind,
    text: String,
    options: String,
}

fn refused_text(why: &SurveyRefused) -> &'static str {
    let i18n = use_i18n();
    match why {
        SurveyRefused::NoTitle => t_string!(i18n, survey.title_needed),
        SurveyRefused::Questions => t_string!(i18n, survey.questions_needed),
        SurveyRefused::BadQuestion => t_string!(i18n, survey.question_invalid),
        SurveyRefused::KTooSmall | SurveyRefused::BatchTooSmall => {
            t_string!(i18n, survey.k_too_small)
        }
        SurveyRefused::BadWindow => t_string!(i18n, survey.window_invalid),
    }
}

pub(crate) fn kind_name(kind: QuestionKind) -> &'static str {
    let i18n = use_i18n();
    match kind {
        QuestionKind::Scale => t_string!(i18n, survey.kind_scale),
        QuestionKind::Enps => t_string!(i18n, survey.kind_enps),
        QuestionKind::Choice => t_string!(i18n, survey.kind_choice),
        QuestionKind::Text => t_string!(i18n, survey.kind_text),
    }
}

#[component]
fn NewSurvey() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let title = RwSignal::new(t_string!(i18n, survey.default_title).to_owned());
    let drafts = RwSignal::new(
        pulse::starter_questions(
            t_string!(i18n, survey.starter_feel),
            t_string!(i18n, survey.starter_recommend),
            t_string!(i18n, survey.starter_more),
        )
        .into_iter()
        .map(|q| Draft {
            kind: QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text),
            text: q.text,
            options: String::new(),
        })
        .collect::<Vec<_>>(),
    );
    let weeks = RwSignal::new(1u8);
    let open_days = RwSignal::new(3u8);
    let starts = RwSignal::new(rapport_core::contract::write_day(widgets::local_day(local::now())));
    let day_invalid = move || t_string!(i18n, survey.start_invalid).to_owned();
    let k = RwSignal::new(rapport_core::ballot::DEFAULT_K);
    let as_they_come = RwSignal::new(true);
    let chosen_teams = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<String>);
    let teams = Memo::new(move |_| {
        ctx.read_of(Changed::PARTIES, |ws| {
            let mut teams: Vec<String> = ws
                .model
                .parties
                .values()
                .filter(|p| !p.archived)
                .filter_map(|p| p.employee.as_deref().map(|e| e.team.trim().to_owned()))
                .filter(|t| !t.is_empty())
                .collect();
            teams.sort();
            teams.dedup();
            teams
        })
        .unwrap_or_default()
    });
    // How many the survey would ask as it stands, and whether that is fewer than its k (then no
    // result could ever be shown).
    let asked = Memo::new(move |_| {
        let teams = chosen_teams.get();
        ctx.read_of(Changed::PARTIES, |ws| {
            let probe = Survey {
                title: String::new(),
                questions: Vec::new(),
                teams,
                k: k.get(),
                batch: 0,
                starts: local::now(),
                every_weeks: 0,
                open_days: 1,
                created_by: ws.me.unwrap_or(rapport_core::ids::MemberId::from_bytes([0; 16])),
                created_at: local::now(),
                stopped_at: None,
            };
            pulse::invitees(&ws.model, &SurveyRow::of(SurveyId::from_bytes([0; 16]), &probe)).len()
        })
        .unwrap_or_default()
    });
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(me) = ctx.read(|ws| ws.me).flatten() else {
            return error.set(Some(t_string!(i18n, employee.who_unknown).to_owned()));
        };
        let k = k.get_untracked();
        // From today on: a round in the past would open and close unanswered.
        let today = widgets::local_day(local::now());
        let first_day = rapport_core::contract::parse_day(&starts.get_untracked());
        let Some(first_day) = first_day.filter(|day| *day >= today) else {
            return error.set(Some(day_invalid()));
        };
        let survey = Survey {
            title: title.get_untracked().trim().to_owned(),
            questions: drafts
                .get_untracked()
                .into_iter()
                .enumerate()
                .map(|(i, d)| SurveyQuestion {
                    key: format!("q{}", i + 1),
                    text: d.text.trim().to_owned(),
                    kind: d.kind.name().to_owned(),
                    options: match d.kind {
                        QuestionKind::Choice => d
                            .options
                            .lines()
                            .map(str::trim)
                            .filter(|o| !o.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        _ => Vec::new(),
                    },
                })
                .collect(),
            teams: chosen_teams.get_untracked(),
            k,
            batch: if as_they_come.get_untracked() { k } else { 0 },
            starts: widgets::local_midnight(first_day),
            every_weeks: weeks.get_untracked(),
            open_days: open_days.get_untracked(),
            created_by: me,
            created_at: local::now(),
            stopped_at: None,
        };
        if let Some(why) = pulse::refused(&survey) {
            return error.set(Some(refused_text(&why).to_owned()));
        }
        error.set(None);
        let id = SurveyId::generate(&mut local::BrowserIds);
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            if ctx.settle(local::create(&shared, id, survey).await, error) {
                navigate(&format!("/team/surveys/{id}"), Default::default());
            }
        });
    };
    let indices = move || (0..drafts.with(Vec::len)).collect::<Vec<usize>>();
    view! {
        <form class="record-form" on:submit=create data-testid="new-survey">
            <h3>{t!(i18n, survey.new_survey)}</h3>
            <label>
                {t!(i18n, survey.survey_title)}
                <input data-testid="new-survey-title" prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
            </label>
            <fieldset class="group survey-questions" data-testid="new-survey-questions">
                <legend>{t!(i18n, survey.questions)}</legend>
                <For each=indices key=|i| *i let:i>
                    {
                        let draft = move || drafts.with(|d| d.get(i).cloned());
                        let set = move |change: Box<dyn FnOnce(&mut Draft)>| drafts.update(|d| if let Some(draft) = d.get_mut(i) { change(draft) });
                        view! {
                            <div class="survey-question-draft" data-testid="new-survey-question">
                                <select aria-label=move || t_string!(i18n, survey.kind) on:change=move |e| {
                                    if let Some(kind) = QuestionKind::parse(&event_target_value(&e)) { set(Box::new(move |d| d.kind = kind)) }
                                }>
                                    {QuestionKind::ALL.into_iter().map(|kind| view! {
                                        <option value=kind.name() selected=move || draft().is_some_and(|d| d.kind == kind)>{move || kind_name(kind)}</option>
                                    }).collect_view()}
                                </select>
                                <input aria-label=move || t_string!(i18n, survey.question_text) prop:value=move || draft().map(|d| d.text).unwrap_or_default()
                                    on:input=move |e| { let text = event_target_value(&e); set(Box::new(move |d| d.text = text)) } />
                                <Show when=move || draft().is_some_and(|d| d.kind == QuestionKind::Choice)>
                                    <textarea rows="3" aria-label=move || t_string!(i18n, survey.options) placeholder=move || t_string!(i18n, survey.options_hint)
                                        prop:value=move || draft().map(|d| d.options).unwrap_or_default()
                                        on:input=move |e| { let text = event_target_value(&e); set(Box::new(move |d| d.options = text)) }></textarea>
                                </Show>
                                <button type="button" class="secondary" on:click=move |_| drafts.update(|d| if i < d.len() { d.remove(i); })>
                                    {t!(i18n, survey.remove_question)}
                                </button>
                            </div>
                        }
                    }
                </For>
                <button type="button" class="secondary" data-testid="new-survey-add-question" on:click=move |_| drafts.update(|d| d.push(Draft { kind: QuestionKind::Scale, text: String::new(), options: String::new() }))>
                    {t!(i18n, survey.add_question)}
                </button>
            </fieldset>
            <div class="field-row wrapping">
                <label>
                    {t!(i18n, survey.rhythm)}
                    <select data-testid="new-survey-rhythm" on:change=move |e| { if let Ok(n) = event_target_value(&e).parse::<u8>() { weeks.set(n) } }>
                        {[0u8, 1, 2, 4].into_iter().map(|n| view! { <option value=n.to_string() selected=move || weeks.get() == n>{move || rhythm_name(n)}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    {t!(i18n, survey.open_days)}
                    <input type="number" min="1" max="28" data-testid="new-survey-days" prop:value=move || open_days.get().to_string()
                        on:input=move |e| { if let Ok(n) = event_target_value(&e).parse::<u8>() { open_days.set(n) } } />
                </label>
                <label>
                    {t!(i18n, survey.starts)}
                    <input type="date" data-testid="new-survey-starts" prop:value=move || starts.get() on:input=move |e| starts.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, survey.k)}
                    <input type="number" min=rapport_core::ballot::MIN_K.to_string() data-testid="new-survey-k" prop:value=move || k.get().to_string()
                        on:input=move |e| { if let Ok(n) = event_target_value(&e).parse::<u32>() { k.set(n) } } />
                </label>
                <label>
                    {t!(i18n, survey.results_when)}
                    <select data-testid="new-survey-release" on:change=move |e| as_they_come.set(event_target_value(&e) == "batches")>
                        <option value="batches" selected=move || as_they_come.get()>{t!(i18n, survey.in_groups)}</option>
                        <option value="close" selected=move || !as_they_come.get()>{t!(i18n, survey.at_close)}</option>
                    </select>
                </label>
            </div>
            <fieldset class="group" data-testid="new-survey-teams">
                <legend>{t!(i18n, survey.audience)}</legend>
                <p class="hint">{t!(i18n, survey.audience_hint)}</p>
                <For each=move || teams.get() key=|team| team.clone() let:team>
                    {
                        let name = team.clone();
                        let checked = { let team = team.clone(); move || chosen_teams.with(|c| c.contains(&team)) };
                        view! {
                            <label class="check">
                                <input type="checkbox" prop:checked=checked on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    let team = team.clone();
                                    chosen_teams.update(|c| { c.retain(|t| *t != team); if on { c.push(team); c.sort(); } });
                                } />
                                {name}
                            </label>
                        }
                    }
                </For>
            </fieldset>
            <p class="hint" data-testid="new-survey-asked" data-count=move || asked.get()>
                {move || t_string!(i18n, survey.asked_count, count = widgets::count(asked.get())).to_string()}
                " "
                {move || (asked.get() < k.get() as usize).then(|| t_string!(i18n, survey.too_few_asked).to_owned())}
            </p>
            <p class="hint">{t!(i18n, survey.k_hint)}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="new-survey-error">{e}</p> })}
            <button type="submit" data-testid="new-survey-create">{t!(i18n, survey.create)}</button>
        </form>
    }
}
