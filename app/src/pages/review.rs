//! A review cycle's page (`/team/reviews/:id`): who reads what, said plainly; the reviews this
//! member is asked to write, each a form; for whoever reads others' reviews (a manager, or whoever
//! ran the cycle for those without one) how each person's reviews stand, the peers asked and what
//! came; a manager's own review once the cycle closed; and a manager's upward reviews, anonymous,
//! from the relay's ballot box once the cycle closed and enough answered. Reviews travel as letters
//! or ballots (`rapport_core::reviews`); none is in a document.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use rapport_core::ballot::Results;
use rapport_core::ids::{MemberId, ReviewCycleId};
use rapport_core::letters::Note;
use rapport_core::model::ReviewCycle;
use rapport_core::pulse::{self, AnswerRefused, AnswerValue, QuestionKind, QuestionRow};
use rapport_core::read_model::Changed;
use rapport_core::reviews::{self, Assignment, Progress, Review, ReviewKind, ReviewRow};

use super::Page;
use super::feedback::{Writer, me};
use super::reviews::{cycle_state, kind_name, template_name};
use super::survey::QuestionFields;
use super::surveys::{answer_said, my_answer};
use super::team::member_name;
use crate::i18n::{t, t_string, use_i18n};
use crate::letters::LettersCtx;
use crate::local;
use crate::pulse::PulseCtx;
use crate::relay_api;
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn ReviewPage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let letters = LettersCtx::use_ctx();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")?.parse::<ReviewCycleId>().ok()));
    let cycle = Memo::new(move |_| {
        let id = id.get()?;
        ctx.read_of(Changed::EMPLOYEES, |ws| ws.model.reviews.get(&id).cloned()).flatten()
    });
    let written = Memo::new(move |_| {
        let Some(cycle) = cycle.get() else { return Vec::new() };
        letters.state.with(|s| reviews::reviews_in(&cycle, &s.shown()))
    });
    let me = Memo::new(move |_| me(ctx));
    let title = move || cycle.with(|c| c.as_ref().map(|c| c.title.clone()).unwrap_or_default());
    view! {
        <Page key="review" title>
            <Show when=move || cycle.with(Option::is_some) fallback=move || view! {
                <p class="hint" data-testid="review-missing">{t!(i18n, reviews.missing)}</p>
            }>
                <section class="panel" data-testid="review-cycle" data-open=move || cycle.with(|c| c.as_ref().is_some_and(|c| c.is_open(local::now()))).to_string()>
                    <p class="row-detail">
                        {move || cycle.with(|c| c.as_ref().map(|c| format!("{} · {}", template_name(c.template), cycle_state(c)))).unwrap_or_default()}
                    </p>
                    <WhoReadsWhat cycle />
                    <CloseCycle cycle />
                </section>
                <ToWrite cycle written me />
                <Upward cycle me />
                <Readers cycle written me />
                <AboutMe cycle written me />
                <UpwardResults cycle me />
            </Show>
        </Page>
    }
}

/// Said plainly, for the kinds the cycle asks for: who reads each review, and when.
#[component]
fn WhoReadsWhat(cycle: Memo<Option<ReviewRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let said = move || {
        let Some(cycle) = cycle.get() else { return Vec::new() };
        cycle
            .kinds
            .iter()
            .map(|kind| {
                let text = match kind {
                    ReviewKind::Own => t_string!(i18n, reviews.reads_self).to_owned(),
                    ReviewKind::Manager => t_string!(i18n, reviews.reads_manager).to_owned(),
                    ReviewKind::Peer => t_string!(i18n, reviews.reads_peer).to_owned(),
                    ReviewKind::Upward => {
                        t_string!(i18n, reviews.reads_upward, k = cycle.k).to_string()
                    }
                };
                (kind.name(), kind_name(*kind), text)
            })
            .collect()
    };
    view! {
        <dl class="who-reads" data-testid="who-reads-what">
            <For each=said key=|row| row.clone() let:row>
                <dt data-kind=row.0>{row.1}</dt>
                <dd>{row.2}</dd>
            </For>
        </dl>
        <p class="hint">{t!(i18n, reviews.relay_sees)}</p>
    }
}

/// Closes the cycle now (owners and admins, or whoever ran it): no review is taken after it, and
/// what waits for the close is shown.
#[component]
fn CloseCycle(cycle: Memo<Option<ReviewRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let may = move || {
        let mine = me(ctx);
        cycle.with(|c| {
            c.as_ref().is_some_and(|c| {
                c.is_open(local::now()) && (account.manages.get() || mine == Some(c.created_by))
            })
        })
    };
    let close = move |_| {
        let Some(id) = cycle.with_untracked(|c| c.as_ref().map(|c| c.id)) else { return };
        let at = local::now();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<ReviewCycle>(&shared, id, move |c| {
                c.closed_at.get_or_insert(at);
            })
            .await;
            ctx.settle(result, error);
        });
    };
    view! {
        <Show when=may>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button type="button" class="secondary" data-testid="close-review-cycle" on:click=close>{t!(i18n, reviews.close_now)}</button>
        </Show>
    }
}

/// The answers of a review, question by question.
#[component]
fn AnswersView(questions: Vec<QuestionRow>, answers: String) -> impl IntoView {
    let values: BTreeMap<String, AnswerValue> = serde_json::from_str(&answers).unwrap_or_default();
    let rows: Vec<(String, String)> = questions
        .iter()
        .filter_map(|q| {
            let said = match (q.kind, values.get(&q.key)?) {
                (Some(QuestionKind::Scale), AnswerValue::Number(n)) => format!("{n} / 5"),
                (Some(QuestionKind::Choice), AnswerValue::Number(n)) => {
                    q.options.get(usize::from(*n)).cloned()?
                }
                (Some(QuestionKind::Text), AnswerValue::Text(text)) => text.clone(),
                _ => return None,
            };
            Some((q.text.clone(), said))
        })
        .collect();
    view! {
        <dl class="review-answers" data-testid="review-answers">
            {rows.into_iter().map(|(question, said)| view! { <dt>{question}</dt><dd>{said}</dd> }).collect_view()}
        </dl>
    }
}

/// One review as its reader sees it: whose, of what kind, about whom, and what it says.
#[component]
fn ReviewCard(
    review: Review,
    questions: Vec<QuestionRow>,
    /// Said beside it while it waits on this device ("waits to be sent").
    waiting: Option<String>,
) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let from = member_name(ctx, review.from);
    let kind = kind_name(review.kind);
    view! {
        <li class="row letter" data-testid="review" data-kind=review.kind.name() data-from=review.from.to_string() data-about=review.about.to_string()>
            <p class="letter-head">
                <span class="tag">{kind}</span>
                <span>{from}</span>
                {waiting.map(|said| view! { <span class="tag due" data-testid="review-waiting">{said}</span> })}
            </p>
            <AnswersView questions answers=review.answers.clone() />
        </li>
    }
}

/// The reviews this member is asked to write: a form each until written, then what was written.
#[component]
fn ToWrite(
    cycle: Memo<Option<ReviewRow>>,
    written: Memo<Vec<Review>>,
    me: Memo<Option<MemberId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let assignments = Memo::new(move |_| {
        let Some(me) = me.get() else { return Vec::new() };
        cycle.with(|c| c.as_ref().map(|c| reviews::assignments(c, me))).unwrap_or_default()
    });
    view! {
        <Show when=move || assignments.with(|a| !a.is_empty())>
            <section class="panel" data-testid="reviews-to-write">
                <h2>{t!(i18n, reviews.yours_to_write)}</h2>
                <ul class="rows">
                    <For each=move || assignments.get() key=|a| format!("{a:?}") let:assignment>
                        <Assigned cycle written me assignment />
                    </For>
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn Assigned(
    cycle: Memo<Option<ReviewRow>>,
    written: Memo<Vec<Review>>,
    me: Memo<Option<MemberId>>,
    assignment: Assignment,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let letters = LettersCtx::use_ctx();
    let writer = Writer::new();
    let answers = RwSignal::new(BTreeMap::<String, AnswerValue>::new());
    let error = RwSignal::new(None::<String>);
    let (kind, about) = (assignment.kind, assignment.about);
    let to = StoredValue::new(assignment.to.clone());
    let heading = match kind {
        ReviewKind::Own => t_string!(i18n, reviews.your_own).to_owned(),
        _ => format!("{} · {}", kind_name(kind), member_name(ctx, about)),
    };
    let readers =
        to.with_value(|to| to.iter().map(|m| member_name(ctx, *m)).collect::<Vec<_>>().join(", "));
    let goes_to = match kind {
        ReviewKind::Manager => {
            t_string!(i18n, reviews.goes_to_at_close, name = readers).to_string()
        }
        _ => t_string!(i18n, reviews.goes_to, name = readers).to_string(),
    };
    let mine = Memo::new(move |_| {
        let me = me.get()?;
        written.with(|w| {
            w.iter().find(|r| r.from == me && r.kind == kind && r.about == about).cloned()
        })
    });
    let questions = Signal::derive(move || {
        cycle.with(|c| c.as_ref().map(|c| c.questions.clone())).unwrap_or_default()
    });
    // A memo: the form below is rebuilt only when the cycle opens or closes, not at every change
    // of the cycle (a peer asked), which would empty the fields while their answers stay.
    let open =
        Memo::new(move |_| cycle.with(|c| c.as_ref().is_some_and(|c| c.is_open(local::now()))));
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(row) = cycle.get_untracked() else { return };
        if !row.is_open(local::now()) {
            return error.set(Some(t_string!(i18n, reviews.closed_now).to_owned()));
        }
        let text = match pulse::answers_text(&row.questions, &answers.get_untracked()) {
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
        let note = Note::Review {
            cycle: row.id.to_string(),
            review: kind.name().to_owned(),
            about: about.to_string(),
            answers: text,
        };
        let to = to.get_value();
        // A manager's review stays on their device until the cycle closes: its subject reads it then.
        let held_for = (kind == ReviewKind::Manager).then_some(row.id);
        spawn_local(async move {
            if writer.write_held(to, note, held_for, error).await {
                answers.set(BTreeMap::new());
            }
        });
    };
    view! {
        <li class="row review-assigned" data-testid="review-assignment" data-kind=kind.name() data-about=about.to_string()
            data-written=move || mine.with(Option::is_some).to_string()>
            <h3>{heading}</h3>
            <p class="hint">{goes_to}</p>
            {move || match mine.get() {
                Some(review) => {
                    let waiting = letters.state.with(|s| s.is_waiting(&review.letter)).then(|| match kind {
                        ReviewKind::Manager if open.get() => t_string!(i18n, reviews.held).to_owned(),
                        _ => t_string!(i18n, feedback.waiting).to_owned(),
                    });
                    view! {
                        <p class="done" data-testid="review-written">{t!(i18n, reviews.written)}</p>
                        <ul class="rows"><ReviewCard review questions=questions.get() waiting /></ul>
                    }.into_any()
                }
                None if open.get() => view! {
                    <form class="record-form survey-form" on:submit=send data-testid="review-form">
                        <QuestionFields questions answers />
                        {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="review-form-error">{e}</p> })}
                        <button type="submit" data-testid="send-review">{t!(i18n, reviews.send)}</button>
                    </form>
                }.into_any(),
                None => view! { <p class="hint">{t!(i18n, reviews.not_written)}</p> }.into_any(),
            }}
        </li>
    }
}

/// The anonymous review of this member's manager, when the cycle asks for one of them.
#[component]
fn Upward(cycle: Memo<Option<ReviewRow>>, me: Memo<Option<MemberId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let pulse_ctx = PulseCtx::use_ctx();
    let answers = RwSignal::new(BTreeMap::<String, AnswerValue>::new());
    let error = RwSignal::new(None::<String>);
    // (ballot, manager, close) when this member reviews their manager in this cycle now.
    let asked = Memo::new(move |_| {
        let me = me.get()?;
        let cycle = cycle.get()?;
        ctx.read_of(Changed::EMPLOYEES, |ws| {
            reviews::upward_open_for(&ws.model, me, local::now())
                .into_iter()
                .find(|(c, _)| c.id == cycle.id)
                .map(|(c, manager)| {
                    (reviews::upward_ballot(ws.workspace, c.id, manager), manager, c.ends())
                })
        })
        .flatten()
    });
    let questions = Signal::derive(move || {
        cycle.with(|c| c.as_ref().map(|c| c.upward_questions.clone())).unwrap_or_default()
    });
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some((ballot, _, closes)) = asked.get_untracked() else {
            return error.set(Some(t_string!(i18n, reviews.closed_now).to_owned()));
        };
        let text = match pulse::answers_text(&questions.get_untracked(), &answers.get_untracked()) {
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
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            if let Err(why) = pulse_ctx.queue(&shared, ballot, text, closes).await {
                error.set(Some(why));
            }
        });
    };
    // A memo: the pulse state changes at every pass of its loop, and the form below must not be
    // rebuilt (its fields emptied while their answers stay) unless this answer's state changes.
    let state = Memo::new(move |_| {
        let ballot = asked.with(|a| a.as_ref().map(|(ballot, _, _)| ballot.clone()))?;
        my_answer(pulse_ctx, &ballot)
    });
    view! {
        {move || asked.get().map(|(_, manager, _)| {
            let name = member_name(ctx, manager);
            view! {
                <section class="panel" data-testid="upward-review">
                    <h2>{t_string!(i18n, reviews.upward_of, name = name.clone()).to_string()}</h2>
                    <p class="hint">{t!(i18n, reviews.upward_hint)}</p>
                    {move || match state.get() {
                        Some(state) => view! {
                            <p class="done" data-testid="upward-answered" data-state=state.name()>{answer_said(state)}</p>
                        }.into_any(),
                        None => view! {
                            <form class="record-form survey-form" on:submit=send data-testid="upward-form">
                                <QuestionFields questions answers />
                                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                                <button type="submit" data-testid="send-upward">{t!(i18n, reviews.send_anonymously)}</button>
                            </form>
                        }.into_any(),
                    }}
                </section>
            }
        })}
    }
}

/// For whoever reads others' self and peer reviews: each person's progress, the peers asked (and a
/// way to ask more), and what came.
#[component]
fn Readers(
    cycle: Memo<Option<ReviewRow>>,
    written: Memo<Vec<Review>>,
    me: Memo<Option<MemberId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let progress = Memo::new(move |_| {
        let Some(me) = me.get() else { return Vec::new() };
        let Some(cycle) = cycle.get() else { return Vec::new() };
        written.with(|w| reviews::progress(&cycle, w, me))
    });
    view! {
        <Show when=move || progress.with(|p| !p.is_empty())>
            <section class="panel" data-testid="reviews-you-read">
                <h2>{t!(i18n, reviews.you_read)}</h2>
                <ul class="rows">
                    // Keyed by the person: a row keeps its open picker as reviews come and peers change.
                    <For each=move || progress.get() key=|p| p.subject let:row>
                        <Subject cycle written progress subject=row.subject />
                    </For>
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn Subject(
    cycle: Memo<Option<ReviewRow>>,
    written: Memo<Vec<Review>>,
    progress: Memo<Vec<Progress>>,
    subject: MemberId,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let letters = LettersCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let name = member_name(ctx, subject);
    let row =
        Memo::new(move |_| progress.with(|p| p.iter().find(|row| row.subject == subject).cloned()));
    let own = move || row.with(|r| r.as_ref().is_some_and(|r| r.own_written));
    let manager = move || row.with(|r| r.as_ref().is_some_and(|r| r.manager_written));
    let came = move || row.with(|r| r.as_ref().map_or(0, |r| r.peers_written.len()));
    let asked_count = move || row.with(|r| r.as_ref().map_or(0, |r| r.peers_asked.len()));
    let is_asked = move |member: MemberId| {
        row.with(|r| r.as_ref().is_some_and(|r| r.peers_asked.contains(&member)))
    };
    let asks = move |kind: ReviewKind| cycle.with(|c| c.as_ref().is_some_and(|c| c.asks(kind)));
    let received = Memo::new(move |_| {
        written.with(|w| {
            w.iter()
                .filter(|r| r.about == subject && r.kind != ReviewKind::Manager)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let questions =
        move || cycle.with(|c| c.as_ref().map(|c| c.questions.clone())).unwrap_or_default();
    let colleagues = Memo::new(move |_| {
        let mine = me(ctx);
        ctx.read(rapport_core::replica::Replica::members)
            .unwrap_or_default()
            .into_iter()
            .filter(|(member, _)| *member != subject && Some(*member) != mine)
            .collect::<Vec<_>>()
    });
    let open =
        Memo::new(move |_| cycle.with(|c| c.as_ref().is_some_and(|c| c.is_open(local::now()))));
    let set_peer = move |reviewer: MemberId, on: bool| {
        let Some(id) = cycle.with_untracked(|c| c.as_ref().map(|c| c.id)) else { return };
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<ReviewCycle>(&shared, id, move |c| {
                c.peers.insert(reviews::peer_key(subject, reviewer), on);
            })
            .await;
            ctx.settle(result, error);
        });
    };
    let tag = |done: bool| if done { "✓" } else { "–" };
    view! {
        <li class="row review-subject" data-testid="review-subject" data-member=subject.to_string()
            data-own=move || own().to_string() data-manager=move || manager().to_string() data-peers=came>
            <h3>{name}</h3>
            <p class="row-detail">
                <Show when=move || asks(ReviewKind::Own)>
                    <span class="tag">{kind_name(ReviewKind::Own)} " " {move || tag(own())}</span>
                </Show>
                <Show when=move || asks(ReviewKind::Peer)>
                    <span class="tag" data-testid="peers-came">{kind_name(ReviewKind::Peer)} " " {move || format!("{}/{}", came(), asked_count())}</span>
                </Show>
                <Show when=move || asks(ReviewKind::Manager)>
                    <span class="tag">{kind_name(ReviewKind::Manager)} " " {move || tag(manager())}</span>
                </Show>
            </p>
            <Show when=move || asks(ReviewKind::Peer) && open.get()>
                <details class="peer-picker" data-testid="peer-picker">
                    <summary>{t!(i18n, reviews.ask_peers)}</summary>
                    <div class="checks">
                        <For each=move || colleagues.get() key=|(member, name)| format!("{member}{name}") let:colleague>
                            {
                                let (member, name) = colleague;
                                view! {
                                    <label class="check">
                                        <input type="checkbox" data-member=member.to_string() prop:checked=move || is_asked(member)
                                            on:change=move |e| set_peer(member, event_target_checked(&e)) />
                                        {name}
                                    </label>
                                }
                            }
                        </For>
                    </div>
                </details>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <ul class="rows">
                <For each=move || received.get() key=|r| format!("{r:?}") let:review>
                    {
                        let waiting = letters
                            .state
                            .with_untracked(|s| s.is_waiting(&review.letter))
                            .then(|| t_string!(i18n, feedback.waiting).to_owned());
                        view! { <ReviewCard review questions=questions() waiting /> }
                    }
                </For>
            </ul>
        </li>
    }
}

/// What this member's manager wrote of them, once the cycle closed.
#[component]
fn AboutMe(
    cycle: Memo<Option<ReviewRow>>,
    written: Memo<Vec<Review>>,
    me: Memo<Option<MemberId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let reviewed = move || {
        let me = me.get()?;
        cycle.with(|c| {
            c.as_ref()
                .filter(|c| c.asks(ReviewKind::Manager) && c.manager_of(me).is_some())
                .cloned()
        })
    };
    let shown = Memo::new(move |_| {
        let me = me.get()?;
        let cycle = cycle.get()?;
        written.with(|w| {
            w.iter()
                .find(|r| {
                    r.kind == ReviewKind::Manager
                        && r.about == me
                        && r.from != me
                        && reviews::shown_to(&cycle, r, me, local::now())
                })
                .cloned()
        })
    });
    view! {
        {move || reviewed().map(|cycle| view! {
            <section class="panel" data-testid="review-of-me">
                <h2>{t!(i18n, reviews.of_you)}</h2>
                {move || match shown.get() {
                    Some(review) => view! { <ul class="rows"><ReviewCard review questions=cycle.questions.clone() waiting=None /></ul> }.into_any(),
                    None if cycle.is_open(local::now()) => view! { <p class="hint" data-testid="review-of-me-later">{t!(i18n, reviews.of_you_later)}</p> }.into_any(),
                    None => view! { <p class="hint" data-testid="review-of-me-none">{t!(i18n, reviews.of_you_none)}</p> }.into_any(),
                }}
            </section>
        })}
    }
}

/// A manager's upward reviews: how many answered, and once the cycle closed with `k` or more, what
/// they said together — never one at a time.
#[component]
fn UpwardResults(cycle: Memo<Option<ReviewRow>>, me: Memo<Option<MemberId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let results = RwSignal::new(None::<Results>);
    let unreachable = RwSignal::new(false);
    let ballot = Memo::new(move |_| {
        let me = me.get()?;
        let cycle = cycle.get()?;
        let workspace = ctx.read(|ws| ws.workspace)?;
        cycle.reviewed_upward(me).then(|| reviews::upward_ballot(workspace, cycle.id, me))
    });
    // Read when the page opens, and again until the relay says the ballot closed: soon after a
    // close seen here (an owner's device tells the relay of it), else every minute — a planned
    // close comes with the clock, which nothing here reacts to. A newer reading stops an older one.
    let readings = StoredValue::new(0u32);
    Effect::new(move || {
        let Some(ballot) = ballot.get() else { return };
        let closed_here = cycle.with(|c| c.as_ref().is_some_and(|c| !c.is_open(local::now())));
        let Some(workspace) = untrack(|| ctx.read(|ws| ws.workspace)) else { return };
        let reading = readings.get_value() + 1;
        readings.set_value(reading);
        spawn_local(async move {
            // Until the page goes (its values with it) or a newer reading starts.
            while readings.try_get_value() == Some(reading) {
                match relay_api::ballot_results(workspace, &ballot).await {
                    Ok(found) => {
                        unreachable.try_set(false);
                        results.try_set(found);
                    }
                    Err(_) => {
                        unreachable.try_set(true);
                    }
                }
                let settled = results
                    .try_with_untracked(|r| r.as_ref().is_some_and(|r| r.closed))
                    .unwrap_or(true);
                if settled {
                    return;
                }
                let wait = if closed_here { 3_000 } else { 60_000 };
                gloo_timers::future::TimeoutFuture::new(wait).await;
            }
        });
    });
    let summary = move || {
        let results = results.get()?;
        let questions = cycle.with(|c| c.as_ref().map(|c| c.upward_questions.clone()))?;
        let tallies = pulse::tally(&questions, &results.answers);
        Some((results, questions, tallies))
    };
    view! {
        <Show when=move || ballot.with(Option::is_some)>
            <section class="panel" data-testid="upward-results">
                <h2>{t!(i18n, reviews.upward_results)}</h2>
                <Show when=move || unreachable.get()>
                    <p class="hint">{t!(i18n, reviews.results_offline)}</p>
                </Show>
                {move || summary().map(|(results, questions, tallies)| {
                    let k = cycle.with(|c| c.as_ref().map_or(3, |c| c.k));
                    let counts = t_string!(i18n, reviews.answered_of, answered = results.answered, invited = results.invited).to_string();
                    let shown = !results.answers.is_empty();
                    view! {
                        <p data-testid="upward-count" data-answered=results.answered data-shown=results.answers.len()>{counts}</p>
                        {if shown {
                            view! {
                                <dl class="review-answers" data-testid="upward-summary">
                                    {questions.into_iter().zip(tallies).map(|(q, tally)| {
                                        let said = match q.kind {
                                            Some(QuestionKind::Scale) => tally.mean().map(|m| format!("{} / 5", crate::widgets::tenths((m * 10.0).round() as u32))),
                                            _ => None,
                                        };
                                        // A question nobody answered says so rather than nothing.
                                        let said = if said.is_none() && tally.comments.is_empty() { Some("—".to_owned()) } else { said };
                                        view! {
                                            <dt>{q.text.clone()}</dt>
                                            <dd>
                                                {said}
                                                <ul class="comments">{tally.comments.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                                            </dd>
                                        }
                                    }).collect_view()}
                                </dl>
                            }.into_any()
                        } else if results.closed {
                            view! { <p class="hint" data-testid="upward-too-few">{t_string!(i18n, reviews.too_few, k = k).to_string()}</p> }.into_any()
                        } else {
                            view! { <p class="hint" data-testid="upward-at-close">{t_string!(i18n, reviews.shown_at_close, k = k).to_string()}</p> }.into_any()
                        }}
                    }
                })}
            </section>
        </Show>
    }
}
