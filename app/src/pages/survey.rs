//! One pulse survey: answering the round open now (for someone it asks — the answer waits on this
//! device until the relay is reached, then goes with a single-use token alone), what the relay's
//! operator can and cannot see, and for owners and admins the engagement dashboard: participation,
//! the score and eNPS round by round, the latest round's answers per question, per team and in
//! words — only what the relay shows, so never a group smaller than the survey's `k`.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::SurveyId;
use rapport_core::model::Survey;
use rapport_core::pulse::{
    self, AnswerRefused, AnswerValue, QuestionKind, QuestionRow, RoundSummary, SurveyRow,
};
use rapport_core::read_model::Changed;

use super::Page;
use super::surveys::{answer_said, my_answer, rhythm_name, round_state};
use crate::i18n::{t, t_string, use_i18n};
use crate::local::{self, Shared};
use crate::pulse::{AnswerState, PulseCtx};
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::widgets;

#[component]
pub(crate) fn SurveyPage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let params = leptos_router::hooks::use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<SurveyId>().ok())));
    let survey = Memo::new(move |_| {
        let id = id.get()?;
        ctx.read_of(Changed::EMPLOYEES, |ws| ws.model.surveys.get(&id).cloned()).flatten()
    });
    let title = move || {
        survey
            .with(|s| s.as_ref().map(|s| s.title.clone()))
            .unwrap_or_else(|| t_string!(i18n, survey.survey).to_owned())
    };
    view! {
        <Page key="survey" title>
            <p class="hint"><a href="/team" data-testid="back-to-team">{t!(i18n, employee.title)}</a></p>
            <Show when=move || survey.with(Option::is_some) fallback=move || view! { <p class="hint" data-testid="survey-missing">{t!(i18n, survey.no_such_survey)}</p> }>
                {move || survey.get().map(|row| view! {
                    <p class="hint" data-testid="survey-meta">
                        {rhythm_name(row.every_weeks)} " · " {round_state(&row)} " · "
                        {t_string!(i18n, survey.k_is, k = row.k).to_string()}
                    </p>
                })}
                <YourAnswer survey />
                <Dashboard survey />
                <WhatTheRelaySees />
                <StopSurvey survey />
            </Show>
        </Page>
    }
}

/// The round open now, for someone it asks: the form, or what became of their answer.
#[component]
fn YourAnswer(survey: Memo<Option<SurveyRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let pulse = PulseCtx::use_ctx();
    // The ballot of the round that asks this member now.
    let ballot = Memo::new(move |_| {
        let id = survey.with(|s| s.as_ref().map(|s| s.id))?;
        ctx.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| {
            let me = ws.me?;
            let open = pulse::open_for(&ws.model, me, local::now());
            let (_, round) = open.iter().find(|(s, _)| s.id == id)?;
            Some(pulse::round_ballot(ws.workspace, id, *round))
        })
        .flatten()
    });
    let account = crate::account::AccountCtx::use_ctx();
    // Someone who reads the results and is not asked has nothing to do here.
    let shown = move || ballot.with(Option::is_some) || !account.manages.get();
    view! {
        <Show when=shown>
        <section class="panel" data-testid="your-answer">
            <h2>{t!(i18n, survey.your_answer)}</h2>
            {move || match ballot.get() {
                None => view! { <p class="hint" data-testid="not-asked">{t!(i18n, survey.not_asked)}</p> }.into_any(),
                Some(ballot) => {
                    let answered = { let ballot = ballot.clone(); move || my_answer(pulse, &ballot) };
                    let shown = answered.clone();
                    view! {
                        <Show when={ let answered = answered.clone(); move || answered().is_none() }
                            fallback=move || view! {
                                <p class="done" role="status" data-testid="answer-state" data-state=shown().map(AnswerState::name)>{shown().map(answer_said)}</p>
                            }>
                            <AnswerForm survey ballot=ballot.clone() />
                        </Show>
                    }.into_any()
                }
            }}
        </section>
        </Show>
    }
}

#[component]
fn AnswerForm(survey: Memo<Option<SurveyRow>>, ballot: String) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let pulse = PulseCtx::use_ctx();
    let answers = RwSignal::new(BTreeMap::<String, AnswerValue>::new());
    let error = RwSignal::new(None::<String>);
    let ballot = StoredValue::new(ballot);
    let questions =
        move || survey.with(|s| s.as_ref().map(|s| s.questions.clone())).unwrap_or_default();
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(row) = survey.get_untracked() else { return };
        // The round open now, which the form was shown for: a page left open past the close says so
        // rather than sending to the next round.
        let workspace = ctx.read(|ws| ws.workspace);
        let current = row.open_round(local::now()).zip(workspace).map(|(round, workspace)| {
            (pulse::round_ballot(workspace, row.id, round), row.window(round).1)
        });
        let Some((now_open, closes)) = current.filter(|(b, _)| *b == ballot.get_value()) else {
            return error.set(Some(t_string!(i18n, survey.round_changed).to_owned()));
        };
        let text = match pulse::answer_text(&row, &answers.get_untracked()) {
            Ok(text) => text,
            Err(AnswerRefused::Empty) => {
                return error.set(Some(t_string!(i18n, survey.answer_something).to_owned()));
            }
            Err(AnswerRefused::TooLong) => {
                return error.set(Some(t_string!(i18n, survey.comment_too_long).to_owned()));
            }
            Err(AnswerRefused::Unfit) => {
                return error.set(Some(t_string!(i18n, survey.answer_unfit).to_owned()));
            }
        };
        error.set(None);
        let ballot = now_open;
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            if let Err(why) = pulse.queue(&shared, ballot, text, closes).await {
                error.set(Some(why));
            }
        });
    };
    view! {
        <form class="record-form survey-form" on:submit=send data-testid="answer-form">
            <QuestionFields questions=Signal::derive(questions) answers />
            <p class="hint">{t!(i18n, survey.answer_hint)}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="answer-error">{e}</p> })}
            <button type="submit" data-testid="send-answer">{t!(i18n, survey.send)}</button>
        </form>
    }
}

/// A fieldset for each question — thumb-sized scores, choices, a text box — filling `answers`
/// (question key → answer): a survey's answer form and a review's share it.
#[component]
pub(crate) fn QuestionFields(
    questions: Signal<Vec<QuestionRow>>,
    answers: RwSignal<BTreeMap<String, AnswerValue>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let choose = move |key: String, value: AnswerValue| {
        answers.update(|a| {
            a.insert(key, value);
        })
    };
    view! {
            <For each=move || questions.get() key=|q| q.key.clone() let:question>
                {
                    let key = question.key.clone();
                    let data_key = key.clone();
                    let text_key = StoredValue::new(key.clone());
                    let name = format!("answer-{key}");
                    let scores: Vec<(u8, String)> = match question.kind {
                        Some(QuestionKind::Scale) => (1..=5).map(|n| (n, n.to_string())).collect(),
                        Some(QuestionKind::Enps) => (0..=10).map(|n| (n, n.to_string())).collect(),
                        Some(QuestionKind::Choice) => question.options.iter().enumerate().map(|(i, o)| (i as u8, o.clone())).collect(),
                        _ => Vec::new(),
                    };
                    let kind = question.kind;
                    let written = kind == Some(QuestionKind::Text);
                    let ends = match kind {
                        Some(QuestionKind::Scale) => Some((t_string!(i18n, survey.scale_low), t_string!(i18n, survey.scale_high))),
                        Some(QuestionKind::Enps) => Some((t_string!(i18n, survey.enps_low), t_string!(i18n, survey.enps_high))),
                        _ => None,
                    };
                    view! {
                        <fieldset class="survey-question" data-testid="survey-question" data-key=data_key data-kind=kind.map(QuestionKind::name).unwrap_or("unknown")>
                            <legend>{question.text.clone()}</legend>
                            <Show when=move || written>
                                <textarea rows="3" aria-label=question.text.clone() data-testid="answer-text" maxlength=pulse::MOST_COMMENT_CHARS.to_string()
                                    on:input=move |e| choose(text_key.get_value(), AnswerValue::Text(event_target_value(&e)))></textarea>
                            </Show>
                            <div class=if kind == Some(QuestionKind::Choice) { "choices" } else { "scores" } role="radiogroup">
                                {scores.into_iter().map(|(n, label)| {
                                    let key = key.clone();
                                    view! {
                                        <label class="score">
                                            <input type="radio" name=name.clone() value=n.to_string() data-testid="answer-option"
                                                on:change=move |_| choose(key.clone(), AnswerValue::Number(n)) />
                                            <span>{label}</span>
                                        </label>
                                    }
                                }).collect_view()}
                            </div>
                            {ends.map(|(low, high)| view! { <p class="scale-ends"><span>{low}</span><span>{high}</span></p> })}
                        </fieldset>
                    }
                }
            </For>
    }
}

/// Said plainly: what the relay's operator can and cannot see.
#[component]
fn WhatTheRelaySees() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="panel" data-testid="what-the-relay-sees">
            <h2>{t!(i18n, survey.anonymity)}</h2>
            <ul class="plain-list">
                <li>{t!(i18n, survey.anonymity_answers)}</li>
                <li>{t!(i18n, survey.anonymity_k)}</li>
                <li>{t!(i18n, survey.anonymity_operator)}</li>
                <li>{t!(i18n, survey.anonymity_limits)}</li>
            </ul>
        </section>
    }
}

/// Stopping a survey (owners and admins): no more rounds; those held keep their results.
#[component]
fn StopSurvey(survey: Memo<Option<SurveyRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let stop = move |_| {
        let Some(id) = survey.with_untracked(|s| s.as_ref().map(|s| s.id)) else { return };
        let at = local::now();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<Survey>(&shared, id, move |s| {
                s.stopped_at.get_or_insert(at);
            })
            .await;
            ctx.settle(result, error);
        });
    };
    view! {
        <Show when=move || account.manages.get() && survey.with(|s| s.as_ref().is_some_and(|s| !s.stopped()))>
            <section class="panel">
                <h2>{t!(i18n, survey.stop)}</h2>
                <p class="hint">{t!(i18n, survey.stop_hint)}</p>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="button" class="secondary" data-testid="stop-survey" on:click=stop>{t!(i18n, survey.stop)}</button>
            </section>
        </Show>
    }
}

/// Where a survey's closed rounds' summaries are kept on this device: they no longer change.
fn summaries_kept_as(survey: SurveyId) -> String {
    format!("pulse-results/{survey}")
}

/// Every round's summary: closed ones kept on this device once read, the others asked of the relay.
async fn load_summaries(shared: &Shared, survey: &SurveyRow) -> Result<Vec<RoundSummary>, String> {
    let what = summaries_kept_as(survey.id);
    let mut kept: BTreeMap<u32, RoundSummary> = local::kept_json(shared, &what).await;
    let workspace = shared.borrow().replica.workspace;
    let mut summaries = Vec::new();
    let mut newly_closed = false;
    for n in 0..survey.rounds_opened(local::now()) {
        if let Some(summary) = kept.get(&n) {
            summaries.push(summary.clone());
            continue;
        }
        let ballot = pulse::round_ballot(workspace, survey.id, n);
        // A round the relay does not know was never registered (nobody who manages was online).
        let Some(results) =
            relay_api::ballot_results(workspace, &ballot).await.map_err(|e| e.said())?
        else {
            continue;
        };
        let summary = pulse::summarise(survey, n, &results);
        if summary.closed {
            kept.insert(n, summary.clone());
            newly_closed = true;
        }
        summaries.push(summary);
    }
    if newly_closed {
        let _ = local::keep_json(shared, &what, &kept).await;
    }
    Ok(summaries)
}

fn one_decimal(score: f64) -> String {
    format!("{score:.1}")
}

fn signed(change: f64) -> String {
    if change >= 0.0 { format!("+{change:.1}") } else { format!("{change:.1}") }
}

/// The engagement dashboard (owners and admins): read from the relay, with `k` everywhere.
#[component]
fn Dashboard(survey: Memo<Option<SurveyRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let summaries = RwSignal::new(None::<Vec<RoundSummary>>);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let refresh = move || {
        let Some(row) = survey.get_untracked() else { return };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        spawn_local(async move {
            if let Some(shared) = ctx.shared_once_open().await {
                match load_summaries(&shared, &row).await {
                    Ok(loaded) => {
                        summaries.set(Some(loaded));
                        error.set(None);
                    }
                    Err(why) => error.set(Some(why)),
                }
            }
            loading.set(false);
        });
    };
    Effect::new(move || {
        if account.manages.get() && survey.with(Option::is_some) {
            refresh();
        }
    });
    let dashboard = Memo::new(move |_| {
        let row = survey.get()?;
        summaries.with(|s| s.as_ref().map(|s| (pulse::engagement(&row, s), s.clone(), row)))
    });
    view! {
        <section class="panel" data-testid="engagement">
            <h2>{t!(i18n, survey.engagement)}</h2>
            <Show when=move || account.manages.get() fallback=move || view! { <p class="hint" data-testid="results-for-managers">{t!(i18n, survey.results_for_managers)}</p> }>
                <div class="actions-row">
                    <button type="button" class="secondary" data-testid="refresh-results" disabled=move || loading.get() on:click=move |_| refresh()>
                        {t!(i18n, survey.refresh)}
                    </button>
                </div>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="results-error">{e}</p> })}
                {move || dashboard.get().map(|(engagement, rounds, row)| view! { <EngagementView engagement rounds row /> })}
            </Show>
        </section>
    }
}

#[component]
fn EngagementView(
    engagement: pulse::Engagement,
    rounds: Vec<RoundSummary>,
    row: SurveyRow,
) -> impl IntoView {
    let i18n = use_i18n();
    let latest = engagement.latest.and_then(|n| rounds.iter().find(|r| r.round == n).cloned());
    let shown_now = latest.as_ref().map_or(0, |l| l.shown).to_string();
    let open = rounds.iter().rev().find(|r| !r.closed).cloned();
    let day = |at| widgets::day_text(widgets::local_day(at));
    let dash = || "—".to_owned();
    view! {
        <div data-testid="engagement-view" data-shown=shown_now>
            {open.map(|r| view! {
                <p class="hint" data-testid="open-round" data-answered=r.answered.to_string() data-invited=r.invited.to_string()>
                    {t_string!(i18n, survey.open_round_count, answered = r.answered, invited = r.invited, k = row.k).to_string()}
                </p>
            })}
            <dl class="facts" data-testid="engagement-figures">
                <dt>{t!(i18n, survey.score)}</dt>
                <dd data-testid="engagement-score">
                    {engagement.score.map(one_decimal).unwrap_or_else(dash)}
                    {engagement.score_change.map(|c| format!(" ({})", signed(c)))}
                </dd>
                <dt>{t!(i18n, survey.enps)}</dt>
                <dd data-testid="engagement-enps">
                    {engagement.enps.map(|e| e.to_string()).unwrap_or_else(dash)}
                    {engagement.enps_change.map(|c| format!(" ({c:+})"))}
                </dd>
                <dt>{t!(i18n, survey.participation)}</dt>
                <dd data-testid="engagement-participation">{engagement.participation.map(|p| format!("{p} %")).unwrap_or_else(dash)}</dd>
            </dl>
            <Show when={ let none = latest.is_none(); move || none }>
                <p class="hint" data-testid="nothing-shown">{t_string!(i18n, survey.nothing_shown, k = row.k).to_string()}</p>
            </Show>
            <TrendLine points=engagement.rounds.iter().filter_map(|p| p.score).collect() />
            <table class="data-table" data-testid="rounds-table">
                <thead><tr>
                    <th>{t!(i18n, survey.round)}</th>
                    <th class="number">{t!(i18n, survey.participation)}</th>
                    <th class="number">{t!(i18n, survey.shown)}</th>
                    <th class="number">{t!(i18n, survey.score)}</th>
                    <th class="number">{t!(i18n, survey.enps)}</th>
                </tr></thead>
                <tbody>
                    {engagement.rounds.iter().rev().take(12).map(|p| view! {
                        <tr data-testid="round-row">
                            <td>{day(p.opens)}</td>
                            <td class="number">{p.participation.map(|v| format!("{v} %")).unwrap_or_else(dash)}</td>
                            <td class="number">{p.shown}</td>
                            <td class="number">{p.score.map(one_decimal).unwrap_or_else(dash)}</td>
                            <td class="number">{p.enps.map(|v| v.to_string()).unwrap_or_else(dash)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {latest.map(|summary| view! { <LatestRound summary row=row.clone() teams=engagement.teams.clone() comments=engagement.comments.clone() /> })}
        </div>
    }
}

/// The latest round shown: each question's answers, the teams shown apart, and what was written.
#[component]
fn LatestRound(
    summary: RoundSummary,
    row: SurveyRow,
    teams: Vec<(String, pulse::TeamScore)>,
    comments: Vec<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let shown = summary.shown;
    view! {
        <h3>{t_string!(i18n, survey.latest_round, count = shown).to_string()}</h3>
        {row.questions.iter().zip(summary.questions.iter()).filter(|(q, _)| q.kind != Some(QuestionKind::Text)).map(|(question, tally)| {
            let labels: Vec<String> = match question.kind {
                Some(QuestionKind::Scale) => (1..=5).map(|n| n.to_string()).collect(),
                Some(QuestionKind::Enps) => (0..=10).map(|n| n.to_string()).collect(),
                _ => question.options.clone(),
            };
            let total = tally.counts.iter().sum::<u64>().max(1);
            let headline = match question.kind {
                Some(QuestionKind::Scale) => tally.mean().map(one_decimal),
                Some(QuestionKind::Enps) => tally.enps().map(|e| format!("eNPS {e}")),
                _ => None,
            };
            view! {
                <div class="survey-result" data-testid="question-result" data-key=question.key.clone()>
                    <p class="row-title">{question.text.clone()} {headline.map(|h| view! { <span class="tag">{h}</span> })}</p>
                    <table class="data-table">
                        <tbody>
                            {labels.into_iter().zip(tally.counts.iter().copied()).map(|(label, count)| view! {
                                <tr>
                                    <td>{label}</td>
                                    <td class="bar-cell"><span class="bar" style=format!("width: {}%", count * 100 / total)></span></td>
                                    <td class="number">{count}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        }).collect_view()}
        <Show when={ let any = !teams.is_empty(); move || any }>
            <h3>{t!(i18n, survey.by_team)}</h3>
        </Show>
        <ul class="rows" data-testid="team-results">
            {teams.into_iter().map(|(team, score)| { let name = team.clone(); view! {
                <li class="row" data-testid="team-result" data-team=name>
                    <span class="row-title">{team}</span>
                    <span class="row-detail">
                        {t_string!(i18n, survey.team_line, count = score.shown).to_string()}
                        {score.score.map(|s| format!(" · {}", one_decimal(s)))}
                        {score.enps.map(|e| format!(" · eNPS {e}"))}
                    </span>
                </li>
            }}).collect_view()}
        </ul>
        <h3>{t!(i18n, survey.comments)}</h3>
        <Show when={ let none = comments.is_empty(); move || none }>
            <p class="hint">{t!(i18n, survey.no_comments)}</p>
        </Show>
        <ul class="plain-list" data-testid="comments">
            {comments.into_iter().map(|c| view! { <li class="comment" data-testid="comment">{c}</li> }).collect_view()}
        </ul>
    }
}

/// The score round by round as a line (1 to 5, bottom to top); the rounds table holds the figures.
#[component]
fn TrendLine(points: Vec<f64>) -> impl IntoView {
    let (width, height) = (300.0, 60.0);
    let step = if points.len() > 1 { width / (points.len() - 1) as f64 } else { 0.0 };
    let path: String = points
        .iter()
        .enumerate()
        .map(|(i, score)| {
            format!("{:.1},{:.1}", i as f64 * step, height - (score - 1.0) / 4.0 * height)
        })
        .collect::<Vec<_>>()
        .join(" ");
    (points.len() > 1).then(|| view! {
        <svg class="trend" viewBox=format!("-2 -2 {} {}", width + 4.0, height + 4.0) preserveAspectRatio="none" aria-hidden="true" data-testid="score-trend">
            <polyline points=path fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" />
        </svg>
    })
}
