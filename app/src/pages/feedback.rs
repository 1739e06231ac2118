//! Feedback (`/team/feedback`): feedback and praise given to a colleague at any time, requests for
//! feedback and their answers. All of it travels as letters through the relay (`crate::letters`),
//! read only by the people each letter names — public praise is kudos, on the Team page. The Team
//! page shows a summary ([`FeedbackPanel`]).

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::employee;
use rapport_core::ids::MemberId;
use rapport_core::letters::{MOST_TEXT_CHARS, Mailbox, Note, Read};
use rapport_core::read_model::Changed;
use rapport_core::replica::Replica;

use super::Page;
use crate::i18n::{t, t_string, use_i18n};
use crate::letters::LettersCtx;
use crate::state::WorkspaceCtx;
use crate::widgets::{self, MemberChoice};

/// This member, once known.
pub(crate) fn me(ctx: WorkspaceCtx) -> Option<MemberId> {
    ctx.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| ws.me).flatten()
}

/// What a form needs to write a letter, looked up while the component is built: a task spawned
/// later has no reactive owner to look contexts up from.
#[derive(Clone, Copy)]
pub(crate) struct Writer {
    ctx: WorkspaceCtx,
    letters: LettersCtx,
}

impl Writer {
    pub(crate) fn new() -> Writer {
        Writer { ctx: WorkspaceCtx::use_ctx(), letters: LettersCtx::use_ctx() }
    }

    /// Writes `note` to `to`, saying what went wrong in `error`; whether it is kept.
    pub(crate) async fn write(
        self,
        to: Vec<MemberId>,
        note: Note,
        error: RwSignal<Option<String>>,
    ) -> bool {
        self.write_held(to, note, None, error).await
    }

    /// [`Writer::write`], kept on this device until review cycle `held_for` closes.
    pub(crate) async fn write_held(
        self,
        to: Vec<MemberId>,
        note: Note,
        held_for: Option<rapport_core::ids::ReviewCycleId>,
        error: RwSignal<Option<String>>,
    ) -> bool {
        let Some(shared) = self.ctx.shared_once_open().await else { return false };
        match self.letters.write(&shared, to, &note, held_for).await {
            Ok(()) => true,
            Err(_) => {
                let locale = crate::locale::current();
                error.set(Some(leptos_i18n::td_string!(locale, feedback.not_kept).to_owned()));
                false
            }
        }
    }
}

/// The Team page's summary: requests waiting for an answer, feedback received, and the way in.
#[component]
pub(crate) fn FeedbackPanel() -> impl IntoView {
    let i18n = use_i18n();
    let letters = LettersCtx::use_ctx();
    let counts = Memo::new(move |_| {
        letters.state.with(|s| {
            let mailbox = s.mailbox();
            (mailbox.to_answer.len(), mailbox.received.len())
        })
    });
    view! {
        <section class="panel" data-testid="feedback-panel">
            <h2>{t!(i18n, feedback.title)}</h2>
            <p class="hint">{t!(i18n, feedback.panel_hint)}</p>
            <Show when=move || counts.with(|c| c.0 > 0)>
                <p class="notice" data-testid="feedback-requests-waiting" data-count=move || counts.get().0>
                    {move || t_string!(i18n, feedback.requests_waiting, count = widgets::count(counts.get().0)).to_string()}
                </p>
            </Show>
            <p data-testid="feedback-received-count" data-count=move || counts.get().1>
                {move || t_string!(i18n, feedback.received_count, count = widgets::count(counts.get().1)).to_string()}
            </p>
            <a class="action" href="/team/feedback" data-testid="open-feedback">{t!(i18n, feedback.open)}</a>
        </section>
    }
}

#[component]
pub(crate) fn FeedbackPage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let letters = LettersCtx::use_ctx();
    let mailbox = Memo::new(move |_| letters.state.with(|s| s.mailbox()));
    let known = move || me(ctx).is_some();
    view! {
        <Page key="feedback" title=move || t_string!(i18n, feedback.title)>
            <p class="hint" data-testid="feedback-who-reads">{t!(i18n, feedback.who_reads)}</p>
            <Show
                when=known
                fallback=move || view! { <p class="notice" data-testid="feedback-need-member">{t!(i18n, feedback.need_member)}</p> }
            >
                <section class="panel" data-testid="feedback-to-answer" data-count=move || mailbox.with(|m| m.to_answer.len())>
                    <h2>{t!(i18n, feedback.asked_of_you)}</h2>
                    <Show
                        when=move || mailbox.with(|m| !m.to_answer.is_empty())
                        fallback=move || view! { <p class="hint">{t!(i18n, feedback.nothing_asked)}</p> }
                    >
                        <ul class="rows">
                            <For each=move || mailbox.get().to_answer key=|letter| letter.id.clone() let:letter>
                                <Answer request=letter />
                            </For>
                        </ul>
                    </Show>
                </section>
                <section class="panel" data-testid="feedback-received" data-count=move || mailbox.with(|m| m.received.len())>
                    <h2>{t!(i18n, feedback.received)}</h2>
                    <Show
                        when=move || mailbox.with(|m| !m.received.is_empty())
                        fallback=move || view! { <p class="hint">{t!(i18n, feedback.none_received)}</p> }
                    >
                        <ul class="rows">
                            <For each=move || mailbox.get().received key=|letter| format!("{letter:?}") let:letter>
                                <LetterLine letter mine=false mailbox />
                            </For>
                        </ul>
                    </Show>
                </section>
                <GiveFeedback />
                <AskForFeedback />
                <section class="panel" data-testid="feedback-sent" data-count=move || mailbox.with(|m| m.sent.len())>
                    <h2>{t!(i18n, feedback.sent)}</h2>
                    <Refused />
                    <Show
                        when=move || mailbox.with(|m| !m.sent.is_empty())
                        fallback=move || view! { <p class="hint">{t!(i18n, feedback.none_sent)}</p> }
                    >
                        <ul class="rows">
                            <For each=move || mailbox.get().sent key=|letter| format!("{letter:?}") let:letter>
                                <LetterLine letter mine=true mailbox />
                            </For>
                        </ul>
                    </Show>
                </section>
            </Show>
        </Page>
    }
}

/// The names of `members`, joined.
fn names(ctx: WorkspaceCtx, members: &[MemberId]) -> String {
    members.iter().map(|m| super::team::member_name(ctx, *m)).collect::<Vec<_>>().join(", ")
}

/// One letter: who wrote it to whom and when, what it says; the answers to a request of mine; and
/// for the sender, whether it has left this device and a way to withdraw it.
#[component]
fn LetterLine(letter: Read, mine: bool, mailbox: Memo<Mailbox>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let letters = LettersCtx::use_ctx();
    let id = letter.id.clone();
    let waiting = {
        let id = id.clone();
        move || letters.state.with(|s| s.is_waiting(&id))
    };
    let when = letter
        .at
        .map(|at| widgets::local_date(rapport_core::ids::Timestamp(at * 1000)))
        .unwrap_or_default();
    // Names read as they change (a new device hears members' names after their letters).
    let (to, from) = (letter.to.clone(), letter.from);
    let heading = move || {
        if mine {
            t_string!(i18n, feedback.to_whom, names = names(ctx, &to)).to_string()
        } else {
            t_string!(i18n, feedback.from_whom, name = super::team::member_name(ctx, from))
                .to_string()
        }
    };
    let about =
        letter.note.about().filter(|about| !letter.to.contains(about) && *about != letter.from);
    let about = about.map(|about| {
        move || {
            t_string!(i18n, feedback.about_whom, name = super::team::member_name(ctx, about))
                .to_string()
        }
    });
    let (kind, text, praise) = match &letter.note {
        Note::Feedback { text, praise, answers, .. } => {
            let kind = if answers.is_some() { "answer" } else { "feedback" };
            (kind, text.clone(), *praise)
        }
        Note::Request { question, .. } => ("request", question.clone(), false),
        // Listed with its cycle (`pages::review`), never in the mailbox.
        Note::Review { .. } => ("review", String::new(), false),
    };
    let answers = {
        let id = id.clone();
        move || mailbox.with(|m| m.answers.get(&id).cloned().unwrap_or_default())
    };
    let withdraw = move |_| {
        let id = id.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            letters.withdraw(&shared, id).await;
        });
    };
    view! {
        <li class="row letter" data-testid="letter" data-kind=kind data-praise=praise.to_string()>
            <div class="letter-head">
                <span class="row-title">{heading}</span>
                {about.map(|about| view! { <span class="row-detail">{about}</span> })}
                {praise.then(|| view! { <span class="tag" data-testid="letter-praise">{t!(i18n, feedback.praise)}</span> })}
                {(kind == "request").then(|| view! { <span class="tag">{t!(i18n, feedback.request)}</span> })}
                {(kind == "answer").then(|| view! { <span class="tag">{t!(i18n, feedback.answer)}</span> })}
                <span class="row-detail">{when}</span>
                {mine.then(|| view! {
                    <Show when=waiting.clone()>
                        <span class="tag due" data-testid="letter-waiting">{t!(i18n, feedback.waiting)}</span>
                    </Show>
                })}
            </div>
            <p class="letter-text" data-testid="letter-text">{text}</p>
            {mine.then(|| view! {
                <ul class="rows letter-answers" data-testid="letter-answers">
                    <For each=answers.clone() key=|letter| letter.id.clone() let:answer>
                        <li class="row" data-testid="letter-answer">
                            <span class="row-title">{move || super::team::member_name(ctx, answer.from)}</span>
                            <p class="letter-text">{match answer.note { Note::Feedback { text, .. } => text, Note::Request { question, .. } => question, Note::Review { .. } => String::new() }}</p>
                        </li>
                    </For>
                </ul>
                <button type="button" class="subtle" data-testid="letter-withdraw" on:click=withdraw.clone()>{t!(i18n, feedback.withdraw)}</button>
            })}
        </li>
    }
}

/// Letters the relay refused as they were (a recipient no longer a member), so nothing typed is
/// lost silently.
#[component]
fn Refused() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let letters = LettersCtx::use_ctx();
    let refused = Memo::new(move |_| {
        letters.state.with(|s| {
            s.refused
                .iter()
                .map(|(id, (o, status))| (id.clone(), o.posting.body.clone(), *status))
                .collect::<Vec<_>>()
        })
    });
    view! {
        <For each=move || refused.get() key=|row| row.0.clone() let:row>
            {
                let text = match serde_json::from_str::<Note>(&row.1) {
                    Ok(Note::Feedback { text, .. }) => text,
                    Ok(Note::Request { question, .. }) => question,
                    Ok(Note::Review { .. }) => t_string!(i18n, reviews.refused_review).to_owned(),
                    Err(_) => String::new(),
                };
                let why = if row.2 == 422 { t_string!(i18n, feedback.refused_recipient) } else { t_string!(i18n, feedback.refused) };
                let id = row.0.clone();
                let dismiss = move |_| {
                    let id = id.clone();
                    spawn_local(async move {
                        let Some(shared) = ctx.shared_once_open().await else { return };
                        letters.dismiss(&shared, id).await;
                    });
                };
                view! {
                    <div class="notice" role="alert" data-testid="letter-refused">
                        <p>{why}</p>
                        <p class="letter-text">{text}</p>
                        <button type="button" class="subtle" on:click=dismiss>{t!(i18n, feedback.dismiss)}</button>
                    </div>
                }
            }
        </For>
    }
}

/// A request for feedback with the form that answers it, to its sender alone.
#[component]
fn Answer(request: Read) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let writer = Writer::new();
    let asker = request.from;
    let from = move || super::team::member_name(ctx, asker);
    let (question, about) = match &request.note {
        Note::Request { question, about } => (question.clone(), about.clone()),
        Note::Feedback { text, about, .. } => (text.clone(), about.clone()),
        Note::Review { about, .. } => (String::new(), about.clone()),
    };
    let about_other = about.parse::<MemberId>().ok().filter(|a| *a != request.from);
    let asks = move || match about_other {
        Some(other) => t_string!(
            i18n,
            feedback.asks_about,
            name = from(),
            about = super::team::member_name(ctx, other)
        )
        .to_string(),
        None => t_string!(i18n, feedback.asks, name = from()).to_string(),
    };
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let dirty = Signal::derive(move || !text.with(|t| t.trim().is_empty()));
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let (sender, request_id) = (request.from, request.id.clone());
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let said = text.get_untracked().trim().to_owned();
        if said.is_empty() {
            return error.set(Some(t_string!(i18n, feedback.text_needed).to_owned()));
        }
        error.set(None);
        let note = Note::Feedback {
            about: about.clone(),
            text: said,
            praise: false,
            answers: Some(request_id.clone()),
        };
        spawn_local(async move {
            if writer.write(vec![sender], note, error).await {
                text.set(String::new());
            }
        });
    };
    view! {
        <li class="row letter" data-testid="feedback-request">
            <div class="letter-head"><span class="row-title">{asks}</span></div>
            <p class="letter-text" data-testid="feedback-question">{question}</p>
            <form class="record-form" on:submit=send>
                <label>
                    {move || t_string!(i18n, feedback.your_answer, name = from()).to_string()}
                    <textarea rows="3" maxlength=MOST_TEXT_CHARS data-testid="feedback-answer-text"
                        prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e))></textarea>
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" data-testid="feedback-answer-send">{t!(i18n, feedback.send_answer)}</button>
            </form>
        </li>
    }
}

/// Feedback or praise to a colleague, for them alone or their manager too.
#[component]
fn GiveFeedback() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let writer = Writer::new();
    let to = RwSignal::new(None::<MemberId>);
    let praise = RwSignal::new(false);
    let with_manager = RwSignal::new(false);
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let dirty = Signal::derive(move || !text.with(|t| t.trim().is_empty()));
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let manager = Memo::new(move |_| {
        let member = to.get()?;
        ctx.read_of(Changed::PARTIES, |ws| employee::manager_of(&ws.model, member))
            .flatten()
            .filter(|manager| Some(*manager) != me(ctx))
    });
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(person) = to.get_untracked() else {
            return error.set(Some(t_string!(i18n, feedback.to_needed).to_owned()));
        };
        let said = text.get_untracked().trim().to_owned();
        if said.is_empty() {
            return error.set(Some(t_string!(i18n, feedback.text_needed).to_owned()));
        }
        let mut recipients = vec![person];
        if with_manager.get_untracked()
            && let Some(manager) = manager.get_untracked()
        {
            recipients.push(manager);
        }
        error.set(None);
        done.set(None);
        let name = super::team::member_name(ctx, person);
        let note = Note::Feedback {
            about: person.to_string(),
            text: said,
            praise: praise.get_untracked(),
            answers: None,
        };
        spawn_local(async move {
            if writer.write(recipients, note, error).await {
                text.set(String::new());
                done.set(Some(t_string!(i18n, feedback.given, name = name).to_string()));
            }
        });
    };
    let reads = move || {
        let Some(person) = to.get() else { return String::new() };
        let mut readers = vec![person];
        if with_manager.get()
            && let Some(manager) = manager.get()
        {
            readers.push(manager);
        }
        t_string!(i18n, feedback.read_by, names = names(ctx, &readers)).to_string()
    };
    view! {
        <form class="panel record-form" on:submit=send data-testid="give-feedback">
            <h2>{t!(i18n, feedback.give)}</h2>
            <label>
                {t!(i18n, feedback.to)}
                <MemberChoice testid="feedback-to" current=to.into()
                    nobody=Signal::derive(move || t_string!(i18n, feedback.choose).to_owned())
                    choose=Callback::new(move |member: Option<MemberId>| { to.set(member.filter(|m| Some(*m) != me(ctx))); }) />
            </label>
            <label class="check">
                <input type="checkbox" data-testid="feedback-praise" prop:checked=move || praise.get() on:change=move |e| praise.set(event_target_checked(&e)) />
                {t!(i18n, feedback.is_praise)}
            </label>
            <Show when=move || manager.get().is_some()>
                <label class="check">
                    <input type="checkbox" data-testid="feedback-with-manager" prop:checked=move || with_manager.get() on:change=move |e| with_manager.set(event_target_checked(&e)) />
                    {move || t_string!(i18n, feedback.tell_manager, name = manager.get().map(|m| super::team::member_name(ctx, m)).unwrap_or_default()).to_string()}
                </label>
            </Show>
            <label>
                {t!(i18n, feedback.text)}
                <textarea rows="3" maxlength=MOST_TEXT_CHARS data-testid="feedback-text"
                    prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e))></textarea>
            </label>
            <Show when=move || to.get().is_some()>
                <p class="hint" data-testid="feedback-read-by">{reads}</p>
            </Show>
            <p class="hint">{t!(i18n, feedback.public_is_kudos)}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="feedback-error">{e}</p> })}
            {move || done.get().map(|d| view! { <p class="done" role="status" data-testid="feedback-given">{d}</p> })}
            <button type="submit" data-testid="feedback-send">{t!(i18n, feedback.send)}</button>
        </form>
    }
}

/// A request for feedback — about oneself, or one of one's reports — to a few colleagues, whose
/// answers come to the one who asked alone.
#[component]
fn AskForFeedback() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let writer = Writer::new();
    let about = RwSignal::new(None::<MemberId>);
    let asked = RwSignal::new(Vec::<MemberId>::new());
    let question = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let dirty = Signal::derive(move || !question.with(|t| t.trim().is_empty()));
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let reports = Memo::new(move |_| {
        let Some(me) = me(ctx) else { return Vec::new() };
        ctx.read_of(Changed::PARTIES, |ws| employee::reports_of(&ws.model, me)).unwrap_or_default()
    });
    let colleagues = Memo::new(move |_| {
        let mine = me(ctx);
        let subject = about.get().or(mine);
        ctx.read(Replica::members)
            .unwrap_or_default()
            .into_iter()
            .filter(|(member, _)| Some(*member) != mine && Some(*member) != subject)
            .collect::<Vec<_>>()
    });
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(mine) = me(ctx) else { return };
        let subject = about.get_untracked().unwrap_or(mine);
        // Only those the list shows: someone ticked, then chosen as the one it is about, is not asked.
        let mut chosen = asked.get_untracked();
        chosen.retain(|m| *m != mine && *m != subject);
        if chosen.is_empty() {
            return error.set(Some(t_string!(i18n, feedback.asked_needed).to_owned()));
        }
        let said = question.get_untracked().trim().to_owned();
        if said.is_empty() {
            return error.set(Some(t_string!(i18n, feedback.question_needed).to_owned()));
        }
        error.set(None);
        done.set(None);
        let count = chosen.len();
        let note = Note::Request { about: subject.to_string(), question: said };
        spawn_local(async move {
            if writer.write(chosen, note, error).await {
                question.set(String::new());
                asked.set(Vec::new());
                done.set(Some(
                    t_string!(i18n, feedback.asked, count = widgets::count(count)).to_string(),
                ));
            }
        });
    };
    view! {
        <form class="panel record-form" on:submit=send data-testid="ask-feedback">
            <h2>{t!(i18n, feedback.ask)}</h2>
            <Show when=move || reports.with(|r| !r.is_empty())>
                <label>
                    {t!(i18n, feedback.ask_about)}
                    <select data-testid="feedback-ask-about" on:change=move |e| about.set(event_target_value(&e).parse().ok())>
                        <option value="" selected=move || about.get().is_none()>{t!(i18n, feedback.about_me)}</option>
                        {move || reports.get().into_iter().map(|report| view! {
                            <option value=report.to_string() selected=move || about.get() == Some(report)>{super::team::member_name(ctx, report)}</option>
                        }).collect_view()}
                    </select>
                </label>
            </Show>
            <fieldset class="group" data-testid="feedback-ask-whom">
                <legend>{t!(i18n, feedback.ask_whom)}</legend>
                <div class="checks">
                    <For each=move || colleagues.get() key=|(member, name)| format!("{member}{name}") let:colleague>
                        {
                            let (member, name) = colleague;
                            view! {
                                <label class="check">
                                    <input type="checkbox" data-member=member.to_string()
                                        prop:checked=move || asked.with(|a| a.contains(&member))
                                        on:change=move |e| {
                                            let on = event_target_checked(&e);
                                            asked.update(|a| { a.retain(|m| *m != member); if on { a.push(member); } });
                                        } />
                                    {name}
                                </label>
                            }
                        }
                    </For>
                </div>
            </fieldset>
            <label>
                {t!(i18n, feedback.question)}
                <textarea rows="2" maxlength=MOST_TEXT_CHARS data-testid="feedback-question-text"
                    prop:value=move || question.get() on:input=move |e| question.set(event_target_value(&e))></textarea>
            </label>
            <p class="hint">{t!(i18n, feedback.answers_to_you)}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="ask-error">{e}</p> })}
            {move || done.get().map(|d| view! { <p class="done" role="status" data-testid="feedback-asked">{d}</p> })}
            <button type="submit" data-testid="feedback-ask-send">{t!(i18n, feedback.ask_send)}</button>
        </form>
    }
}
