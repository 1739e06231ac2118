//! One drip sequence: its steps (emails, tasks, waits, branches on how a party took its mails, ends),
//! who is in it and where each stands, and who to enrol — from a segment or list, or one by one.
//!
//! Each control saves into its own field of its own step as it changes, so two people editing keep
//! both. Where a party stands is derived on every device (`rapport_core::sequences`), never stored;
//! the steps themselves are done by one device (`crate::sequences`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{PartyId, SegmentId, SequenceId, Timestamp};
use rapport_core::model::{Enrolment, Sequence, SequenceStep};
use rapport_core::read_model::Changed;
use rapport_core::sequences::{self, Leave, Reaction, SequenceRow, Standing, StepKind, World};

use super::Page;
use super::marketing::audience_now;
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets;

/// How many enrolled people the page names; the rest are counted.
const SHOWN: usize = 100;

type Change = Box<dyn FnOnce(&mut Sequence) + Send>;

/// Changes the sequence as it is stored when written.
pub(crate) fn write(
    ctx: WorkspaceCtx,
    id: SequenceId,
    change: Change,
    error: RwSignal<Option<String>>,
) {
    spawn_local(async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let result = local::update::<Sequence>(&shared, id, change).await;
        ctx.settle(result, error);
    });
}

/// Enrols `parties` who were never in it (a party enters a sequence once, even when two devices
/// enrol them at once: the first enrolment stays), now, by this member.
pub(crate) fn enrol(
    ctx: WorkspaceCtx,
    id: SequenceId,
    parties: Vec<PartyId>,
    error: RwSignal<Option<String>>,
) {
    let me = ctx.read(|ws| ws.me).flatten();
    let at = local::now();
    write(
        ctx,
        id,
        Box::new(move |sequence| {
            for party in parties {
                sequence.enrolled.entry(party.to_string()).or_insert(Enrolment { at, by: me });
            }
        }),
        error,
    );
}

/// A step's kind, in words.
fn kind_name(kind: StepKind) -> &'static str {
    let i18n = use_i18n();
    match kind {
        StepKind::Email => t_string!(i18n, sequences.kind_email),
        StepKind::Task => t_string!(i18n, sequences.kind_task),
        StepKind::Wait => t_string!(i18n, sequences.kind_wait),
        StepKind::Branch => t_string!(i18n, sequences.kind_branch),
        StepKind::End => t_string!(i18n, sequences.kind_end),
    }
}

fn reaction_name(reaction: Reaction) -> &'static str {
    let i18n = use_i18n();
    match reaction {
        Reaction::Opened => t_string!(i18n, sequences.on_opened),
        Reaction::Clicked => t_string!(i18n, sequences.on_clicked),
        Reaction::Replied => t_string!(i18n, sequences.on_replied),
    }
}

/// A step as a line says it: "2. Email “Following up”".
fn step_title(row: &SequenceRow, index: usize) -> String {
    let i18n = use_i18n();
    let Some(step) = row.steps.get(index) else { return String::new() };
    let kind = step.kind.map_or_else(|| t_string!(i18n, sequences.kind_unknown), kind_name);
    let n = index + 1;
    match step.kind {
        Some(StepKind::Email | StepKind::Task) if !step.subject.trim().is_empty() => {
            let name = rapport_core::template::gist(&step.subject, 40);
            t_string!(i18n, sequences.step_named, n, kind, name).to_string()
        }
        _ => format!("{n}. {kind}"),
    }
}

/// Where a party stands, in words.
pub(crate) fn standing_text(row: &SequenceRow, standing: Standing) -> String {
    let i18n = use_i18n();
    match standing {
        Standing::Due { step, .. } => {
            t_string!(i18n, sequences.due, step = step_title(row, step)).to_string()
        }
        Standing::Waiting { step, until } => t_string!(
            i18n,
            sequences.waiting,
            step = step_title(row, step),
            until = widgets::local_date_time(until)
        )
        .to_string(),
        Standing::Paused { step } => {
            t_string!(i18n, sequences.paused_at, step = step_title(row, step)).to_string()
        }
        Standing::Unwritten { step } => {
            t_string!(i18n, sequences.unwritten, step = step_title(row, step)).to_string()
        }
        Standing::NoSteps => t_string!(i18n, sequences.no_steps_yet).to_owned(),
        Standing::Left { why } => match why {
            Leave::Finished => t_string!(i18n, sequences.finished),
            Leave::Replied => t_string!(i18n, sequences.left_replied),
            Leave::Unsubscribed => t_string!(i18n, sequences.left_unsubscribed),
            Leave::DealWon => t_string!(i18n, sequences.left_deal_won),
            Leave::Removed => t_string!(i18n, sequences.left_removed),
            Leave::Gone => t_string!(i18n, sequences.left_gone),
        }
        .to_owned(),
    }
}

/// The key a standing is shown under in tests and styles.
pub(crate) fn standing_key(standing: Standing) -> &'static str {
    match standing {
        Standing::Due { .. } => "due",
        Standing::Waiting { .. } => "waiting",
        Standing::Paused { .. } => "paused",
        Standing::Unwritten { .. } => "unwritten",
        Standing::NoSteps => "no-steps",
        Standing::Left { why } => why.key(),
    }
}

/// An enrolled party: (id, name, where they stand).
pub(crate) type Enrolled = (PartyId, String, Standing);

/// Where each enrolled party of the sequence stands at `now`, by name.
pub(crate) fn standings(
    ctx: WorkspaceCtx,
    outbox: OutboxCtx,
    id: SequenceId,
    now: Timestamp,
) -> Option<(SequenceRow, Vec<Enrolled>)> {
    ctx.read_of(
        Changed::MARKETING | Changed::INTERACTIONS | Changed::DEALS | Changed::PARTIES,
        |ws| {
            let row = ws.model.sequences.get(&id)?.clone();
            let mut people: Vec<Enrolled> = outbox.outbox.with(|o| {
                let world = World::new(ws.workspace, &ws.model, o);
                row.enrolled
                    .keys()
                    .filter_map(|party| {
                        let standing = world.standing(&row, *party, now)?;
                        let name = ws.model.parties.get(party).map(|p| p.name.clone())?;
                        Some((*party, name, standing))
                    })
                    .collect()
            });
            people.sort_by_cached_key(|(_, name, _)| rapport_core::search::fold(name));
            Some((row, people))
        },
    )
    .flatten()
}

#[component]
pub(crate) fn SequencePage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|id| id.parse::<SequenceId>().ok()))
    });
    let row = Memo::new(move |_| {
        let id = id.get()?;
        ctx.read_of(Changed::MARKETING, |ws| ws.model.sequences.get(&id).cloned()).flatten()
    });
    let exists = Memo::new(move |_| row.with(Option::is_some));
    let title = move || {
        row.with(|r| r.as_ref().map(|r| r.name.clone()))
            .unwrap_or_else(|| t_string!(i18n, sequences.sequence).to_owned())
    };
    view! {
        <Page key="sequence" title>
            <p class="hint"><a href="/marketing" data-testid="back-to-marketing">{t!(i18n, marketing.title)}</a></p>
            // Mounted afresh for each sequence (one's fields never land on another), and only then:
            // a change to it (a step done, a person enrolled) leaves what is being typed alone.
            {move || id.get().filter(|_| exists.get()).map(|id| view! { <SequenceBody id row /> })}
            <Show when=move || ctx.status.get() != crate::state::Status::Opening && row.with(Option::is_none)>
                <p class="hint" data-testid="sequence-missing">{t!(i18n, sequences.no_such)}</p>
            </Show>
        </Page>
    }
}

#[component]
fn SequenceBody(id: SequenceId, row: Memo<Option<SequenceRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let error = RwSignal::new(None::<String>);
    let archive = Callback::new(move |()| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result =
                local::update::<Sequence>(&shared, id, |s: &mut Sequence| s.archived = true).await;
            if ctx.settle(result, error) {
                navigate("/marketing", Default::default());
            }
        });
    });
    view! {
        <div class="record-layout">
            <div class="record-main">
                <Steps id row />
            </div>
            <div class="record-activity">
                <People id />
                <Settings id row />
                <widgets::ArchivePanel testid="archive-sequence" error on_archive=archive
                    title=move || t_string!(i18n, sequences.archive) hint=move || t_string!(i18n, sequences.archive_hint) />
            </div>
        </div>
    }
}

/// Its name, whether a reply ends it, and pause.
#[component]
fn Settings(id: SequenceId, row: Memo<Option<SequenceRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let name =
        Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.name.clone())).unwrap_or_default());
    let stays = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.stay_on_reply)));
    let paused = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.paused)));
    let rename = Callback::new(move |typed: String| {
        let typed = typed.trim().to_owned();
        if typed.is_empty() {
            return error.set(Some(t_string!(i18n, sequences.name_needed).to_owned()));
        }
        error.set(None);
        write(ctx, id, Box::new(move |s| s.name = typed), error);
    });
    let set_stays = move |e: leptos::ev::Event| {
        let on = event_target_checked(&e);
        write(ctx, id, Box::new(move |s| s.stay_on_reply = on), error);
    };
    let toggle_pause = move |_| {
        let pause = !paused.get_untracked();
        write(ctx, id, Box::new(move |s| s.paused = pause), error);
    };
    view! {
        <section class="panel record-form" data-testid="sequence-settings" data-paused=move || paused.get().to_string()>
            <h2>{t!(i18n, sequences.sequence)}</h2>
            <widgets::SavedText stored=name save=rename testid="sequence-name" label=move || t_string!(i18n, marketing.name) />
            <label class="check">
                <input type="checkbox" data-testid="sequence-stay-on-reply" prop:checked=move || stays.get()
                    disabled=move || !account.can_edit() on:change=set_stays />
                {t!(i18n, sequences.stay_on_reply)}
            </label>
            <p class="hint">{t!(i18n, sequences.leaves_hint)}</p>
            <Show when=move || paused.get()>
                <p class="notice" role="status" data-testid="sequence-paused">{t!(i18n, sequences.paused_notice)}</p>
            </Show>
            <Show when=move || account.can_edit()>
                <button type="button" data-testid="sequence-pause" on:click=toggle_pause>
                    {move || if paused.get() { t_string!(i18n, sequences.resume) } else { t_string!(i18n, sequences.pause) }}
                </button>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// The steps in order, each edited in place; and a new one at the end.
#[component]
fn Steps(id: SequenceId, row: Memo<Option<SequenceRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    // The steps' ids in their order: each row reads its step itself.
    let order = Memo::new(move |_| {
        row.with(|r| r.as_ref().map(|r| r.steps.iter().map(|s| s.id.clone()).collect::<Vec<_>>()))
            .unwrap_or_default()
    });
    let add = move |_| {
        let step_id = rapport_core::ids::RuleId::generate(&mut local::BrowserIds).to_string();
        write(
            ctx,
            id,
            Box::new(move |s| {
                let position = s.steps.values().map(|step| step.position + 1).max().unwrap_or(0);
                let step = SequenceStep { position, kind: "email".into(), ..Default::default() };
                s.steps.insert(step_id, step);
            }),
            error,
        );
    };
    view! {
        <section class="panel" data-testid="sequence-steps" data-count=move || order.with(Vec::len)>
            <h2>{t!(i18n, sequences.steps)}</h2>
            <p class="hint">{t!(i18n, sequences.steps_hint)}</p>
            <Show when=move || order.with(Vec::is_empty)>
                <p class="hint" data-testid="sequence-no-steps">{t!(i18n, sequences.no_steps)}</p>
            </Show>
            <ol class="conditions sequence-steps">
                <For each=move || order.get() key=|id| id.clone() let:step>
                    <StepEditor id step row order error />
                </For>
            </ol>
            <Show when=move || account.can_edit()>
                <button type="button" data-testid="add-step" on:click=add>{t!(i18n, sequences.add_step)}</button>
            </Show>
            <p class="hint">
                {t!(i18n, mail.fields)} " "
                {rapport_core::template::PARTY_FIELDS.map(|f| format!("{{{{{f}}}}}")).join(" ")}
                " · " {t!(i18n, campaigns.fallback_hint)}
            </p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn StepEditor(
    id: SequenceId,
    step: String,
    row: Memo<Option<SequenceRow>>,
    order: Memo<Vec<String>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let key = StoredValue::new(step);
    let index =
        Memo::new(move |_| key.with_value(|k| order.with(|o| o.iter().position(|s| s == k))));
    let stored = Memo::new(move |_| {
        row.with(|r| {
            let row = r.as_ref()?;
            key.with_value(|k| row.steps.iter().find(|s| &s.id == k).cloned())
        })
    });
    let kind = Memo::new(move |_| stored.with(|s| s.as_ref().and_then(|s| s.kind)));
    let change = move |change: Box<dyn FnOnce(&mut SequenceStep) + Send>| {
        let step = key.get_value();
        write(
            ctx,
            id,
            Box::new(move |s| {
                if let Some(step) = s.steps.get_mut(&step) {
                    change(step);
                }
            }),
            error,
        );
    };
    let text = move |read: fn(&rapport_core::sequences::StepRow) -> String| {
        Memo::new(move |_| stored.with(|s| s.as_ref().map(read)).unwrap_or_default())
    };
    let subject = text(|s| s.subject.clone());
    let body = text(|s| s.body.clone());
    let save_subject = Callback::new(move |typed: String| {
        change(Box::new(move |step| step.subject = typed));
    });
    let save_body = Callback::new(move |typed: String| {
        change(Box::new(move |step| step.body = typed));
    });
    let days = Memo::new(move |_| stored.with(|s| s.as_ref().map_or(0, |s| s.days)));
    let set_days = move |e: leptos::ev::Event| {
        let field = event_target::<web_sys::HtmlInputElement>(&e);
        let typed = field.value();
        match typed.trim().parse::<u32>() {
            Ok(n) => {
                let n = n.min(sequences::MOST_DAYS);
                field.set_value(&n.to_string());
                error.set(None);
                change(Box::new(move |step| step.days = n));
            }
            Err(_) => {
                field.set_value(&days.get_untracked().to_string());
                let why = t_string!(i18n, sequences.days_invalid, text = typed.clone());
                error.set(Some(why.to_string()));
            }
        }
    };
    // Moves the step before or after its neighbour: the two swap places (positions renumbered in
    // order, so two steps with one position still move).
    let shift = move |by: isize| {
        let ids = order.get_untracked();
        let Some(at) = index.get_untracked() else { return };
        let Some(other) = at.checked_add_signed(by).filter(|o| *o < ids.len()) else { return };
        let mut ids = ids;
        ids.swap(at, other);
        write(
            ctx,
            id,
            Box::new(move |s| {
                for (position, step) in ids.iter().enumerate() {
                    if let Some(step) = s.steps.get_mut(step) {
                        step.position = position as u32;
                    }
                }
            }),
            error,
        );
    };
    let remove = move |_| {
        let step = key.get_value();
        write(
            ctx,
            id,
            Box::new(move |s| {
                s.steps.remove(&step);
            }),
            error,
        );
    };
    // A question this version does not know shows as the first; it is stored as it is until chosen.
    let on = Memo::new(move |_| {
        stored.with(|s| s.as_ref().and_then(|s| s.on)).unwrap_or(Reaction::Opened)
    });
    let then = Memo::new(move |_| {
        stored.with(|s| s.as_ref().and_then(|s| s.then.clone())).unwrap_or_default()
    });
    // The steps a branch may go to: those after it.
    let targets = Memo::new(move |_| {
        let at = index.get()?;
        row.with(|r| {
            let row = r.as_ref()?;
            Some(
                row.later_steps(at)
                    .iter()
                    .enumerate()
                    .map(|(n, s)| (s.id.clone(), step_title(row, at + 1 + n)))
                    .collect::<Vec<_>>(),
            )
        })
    });
    let kind_key = move || kind.get().map_or("", StepKind::key);
    // A number of days (a wait's, a branch's, a task's delay), saved when left.
    let days_field = move |label: &'static str| {
        view! {
            <label class="inline">
                {label}
                <input type="number" min="0" max="3650" step="1" inputmode="numeric" data-testid="step-days"
                    disabled=move || !account.can_edit()
                    prop:value=move || days.get().to_string() on:change=set_days />
                {t!(i18n, marketing.days)}
            </label>
        }
    };
    view! {
        <li class="condition sequence-step" data-testid="sequence-step" data-kind=kind_key data-index=move || index.get().map(|i| i + 1)>
            <fieldset class="field-row wrapping" disabled=move || !account.can_edit()>
                <span class="step-number" aria-hidden="true">{move || index.get().map(|i| format!("{}.", i + 1))}</span>
                <select data-testid="step-kind" aria-label=move || t_string!(i18n, sequences.kind)
                    prop:value=kind_key
                    on:change=move |e| {
                        let chosen = event_target_value(&e);
                        change(Box::new(move |step| step.kind = chosen));
                    }>
                    {StepKind::ALL.into_iter().map(|k| view! { <option value=k.key() selected=move || kind.get() == Some(k)>{move || kind_name(k)}</option> }).collect_view()}
                </select>
                <span class="row-actions">
                    <button type="button" class="icon-button" data-testid="step-up" aria-label=move || t_string!(i18n, sequences.move_up)
                        disabled=move || index.get() == Some(0) on:click=move |_| shift(-1)>"↑"</button>
                    <button type="button" class="icon-button" data-testid="step-down" aria-label=move || t_string!(i18n, sequences.move_down)
                        disabled=move || index.get().map(|i| i + 1) == Some(order.with(Vec::len)) on:click=move |_| shift(1)>"↓"</button>
                    <button type="button" class="icon-button" data-testid="remove-step" aria-label=move || t_string!(i18n, sequences.remove_step) on:click=remove>"×"</button>
                </span>
            </fieldset>
            <div class="record-form step-fields">
                {move || match kind.get() {
                    Some(StepKind::Email) => view! {
                        <widgets::SavedText stored=subject save=save_subject testid="step-subject" label=move || t_string!(i18n, mail.subject) />
                        <widgets::SavedText stored=body save=save_body testid="step-body" label=move || t_string!(i18n, mail.body) long=true />
                    }.into_any(),
                    Some(StepKind::Task) => view! {
                        <widgets::SavedText stored=subject save=save_subject testid="step-subject" label=move || t_string!(i18n, sequences.task_title) />
                        {days_field(t_string!(i18n, sequences.task_due))}
                    }.into_any(),
                    Some(StepKind::Wait) => view! {
                        {days_field(t_string!(i18n, sequences.wait_for))}
                    }.into_any(),
                    Some(StepKind::Branch) => view! {
                        <div class="field-row wrapping">
                            <label>
                                {t!(i18n, sequences.branch_if)}
                                <select data-testid="step-on" disabled=move || !account.can_edit()
                                    prop:value=move || on.get().key()
                                    on:change=move |e| {
                                        let chosen = event_target_value(&e);
                                        change(Box::new(move |step| step.on = chosen));
                                    }>
                                    {Reaction::ALL.into_iter().map(|r| view! { <option value=r.key() selected=move || on.get() == r>{move || reaction_name(r)}</option> }).collect_view()}
                                </select>
                            </label>
                            {days_field(t_string!(i18n, sequences.within))}
                            <label>
                                {t!(i18n, sequences.then_go)}
                                <select data-testid="step-then" disabled=move || !account.can_edit()
                                    prop:value=move || then.get()
                                    on:change=move |e| {
                                        let chosen = event_target_value(&e);
                                        change(Box::new(move |step| step.then = chosen));
                                    }>
                                    <option value="" selected=move || then.with(String::is_empty)>{t!(i18n, sequences.to_the_end)}</option>
                                    {move || targets.get().unwrap_or_default().into_iter().map(|(target, title)| {
                                        let value = target.clone();
                                        view! { <option value=target selected=move || then.get() == value>{title}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                        </div>
                        <p class="hint">{t!(i18n, sequences.otherwise_next)}</p>
                    }.into_any(),
                    Some(StepKind::End) => view! { <p class="hint">{t!(i18n, sequences.end_hint)}</p> }.into_any(),
                    None => view! { <p class="hint">{t!(i18n, sequences.unknown_hint)}</p> }.into_any(),
                }}
            </div>
        </li>
    }
}

/// Who is in it and where each stands; enrolling a segment or list, or one person.
#[component]
fn People(id: SequenceId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let now = super::tickets::ticking_now();
    let people = Memo::new(move |_| standings(ctx, outbox, id, now.get()));
    // (in it now, through it, left).
    let counts = Memo::new(move |_| {
        people.with(|p| {
            let mut counts = (0, 0, 0);
            for (_, _, standing) in p.as_ref().map(|p| p.1.as_slice()).unwrap_or_default() {
                match standing {
                    Standing::Left { why: Leave::Finished } => counts.1 += 1,
                    Standing::Left { .. } => counts.2 += 1,
                    _ => counts.0 += 1,
                }
            }
            counts
        })
    });
    let segments = Memo::new(move |_| {
        ctx.read_of(Changed::MARKETING, |ws| {
            let mut segments: Vec<(SegmentId, String)> = (ws.model.segments.values())
                .filter(|s| !s.archived)
                .map(|s| (s.id, s.name.clone()))
                .collect();
            segments.sort_by_cached_key(|(_, name)| rapport_core::search::fold(name));
            segments
        })
        .unwrap_or_default()
    });
    let chosen_segment = RwSignal::new(None::<SegmentId>);
    let enrol_segment = move |_| {
        let Some(segment) = chosen_segment.get_untracked() else { return };
        if crate::health::pending_for_segments(ctx) {
            return notice.set(Some(t_string!(i18n, marketing.health_pending).to_string()));
        }
        let fresh = audience_now(ctx, outbox, |audience, ws| {
            let Some(row) = ws.model.sequences.get(&id) else { return Vec::new() };
            let Some(segment) = ws.model.segments.get(&segment) else { return Vec::new() };
            let members = audience.of_segment(segment).into_iter().map(|p| p.id);
            sequences::newcomers(row, &ws.model, members)
        })
        .unwrap_or_default();
        let count = fresh.len();
        notice.set(Some(
            t_string!(i18n, sequences.enrolled_n, count = widgets::count(count)).to_string(),
        ));
        if count > 0 {
            enrol(ctx, id, fresh, error);
        }
    };
    let person = RwSignal::new(None::<(PartyId, String)>);
    let enrol_person = move |_| {
        let Some((party, name)) = person.get_untracked() else { return };
        let fresh = ctx
            .read(|ws| {
                ws.model.sequences.get(&id).map(|row| sequences::newcomers(row, &ws.model, [party]))
            })
            .flatten()
            .unwrap_or_default();
        if fresh.is_empty() {
            notice.set(Some(t_string!(i18n, sequences.already_in, name = name).to_string()));
        } else {
            notice.set(Some(t_string!(i18n, sequences.enrolled_one, name = name).to_string()));
            enrol(ctx, id, fresh, error);
        }
        person.set(None);
    };
    let remove = move |party: PartyId| {
        let at = local::now();
        write(
            ctx,
            id,
            Box::new(move |s| {
                s.removed.entry(party.to_string()).or_insert(at);
            }),
            error,
        );
    };
    view! {
        <section class="panel" data-testid="sequence-people" data-active=move || counts.get().0 data-finished=move || counts.get().1 data-left=move || counts.get().2>
            <h2>{t!(i18n, sequences.people)}</h2>
            <p class="hint" data-testid="sequence-counts">
                {move || {
                    let (active, finished, left) = counts.get();
                    t_string!(i18n, sequences.counts, active = widgets::count(active), finished = widgets::count(finished), left = widgets::count(left)).to_string()
                }}
            </p>
            <Show when=move || account.can_edit()>
                <div class="record-form">
                    <div class="field-row wrapping">
                        <label>
                            {t!(i18n, sequences.enrol_segment)}
                            <select data-testid="enrol-segment" prop:value=move || chosen_segment.get().map(|s| s.to_string()).unwrap_or_default()
                                on:change=move |e| chosen_segment.set(event_target_value(&e).parse().ok())>
                                <option value="">{t!(i18n, marketing.choose_segment)}</option>
                                {move || segments.get().into_iter().map(|(segment, name)| view! { <option value=segment.to_string()>{name}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="button" data-testid="enrol-segment-go" disabled=move || chosen_segment.with(Option::is_none) on:click=enrol_segment>
                            {t!(i18n, sequences.enrol)}
                        </button>
                    </div>
                    <div class="field-row wrapping">
                        <widgets::PartyPicker chosen=person testid="enrol" label=move || t_string!(i18n, sequences.enrol_person) />
                        <button type="button" data-testid="enrol-person-go" disabled=move || person.with(Option::is_none) on:click=enrol_person>
                            {t!(i18n, sequences.enrol)}
                        </button>
                    </div>
                </div>
            </Show>
            {move || notice.get().map(|n| view! { <p class="notice" role="status" data-testid="sequence-notice">{n}</p> })}
            <ul class="rows" data-testid="sequence-enrolled">
                {move || people.with(|p| {
                    let Some((row, people)) = p.as_ref() else { return Vec::new() };
                    people.iter().take(SHOWN).map(|(party, name, standing)| {
                        let party = *party;
                        let open = standing.in_it();
                        view! {
                            <li class="row" data-testid="enrolled" data-name=name.clone() data-standing=standing_key(*standing)>
                                <a class="row-link" href=format!("/parties/{party}")>
                                    <span class="row-title">{name.clone()}</span>
                                    <span class="row-detail">{standing_text(row, *standing)}</span>
                                </a>
                                <Show when=move || open && account.can_edit()>
                                    <button type="button" class="secondary" data-testid="unenrol" on:click=move |_| remove(party)>
                                        {t!(i18n, sequences.take_out)}
                                    </button>
                                </Show>
                            </li>
                        }
                    }).collect::<Vec<_>>()
                })}
            </ul>
            {move || people.with(|p| p.as_ref().map_or(0, |p| p.1.len())).checked_sub(SHOWN).filter(|n| *n > 0).map(|more| view! {
                <p class="hint">{t_string!(i18n, sequences.more, count = widgets::count(more)).to_string()}</p>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}
