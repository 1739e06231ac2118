//! One ticket: where it stands (status, priority, team, assignee), its service-level clocks, the
//! conversation — replies to the customer, what the customer said, notes for the team — with canned
//! replies, and its files.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{MemberId, PartyId, TicketId, Timestamp};
use rapport_core::model::{MessageKind, Party, Ticket, TicketMessage, TicketPriority};
use rapport_core::outbox::Recipient;
use rapport_core::read_model::Changed;
use rapport_core::service::{self, Desk, TicketClocks};
use rapport_core::sla::{Clock, StatusCategory};
use rapport_core::template::{MergeFields, Template};

use super::Page;
use super::tickets::{channel_name, priority_name, span, status_name, ticking_now};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::state::{RecordRoute, WorkspaceCtx};
use crate::widgets::{self, MemberChoice, Segmented};

#[component]
pub(crate) fn TicketPage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, ticket.bad_link).to_owned();
    let route = RecordRoute::<Ticket>::new(t_string!(i18n, ticket.no_such), bad_link);
    let RecordRoute { id, record: ticket, failure, .. } = route;
    view! {
        <Page key="ticket" title=move || ticket.with(|t| t.as_ref().map(|t| t.subject.clone())).unwrap_or_else(|| t_string!(i18n, ticket.ticket).to_owned())>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="ticket-error">{error}</p> })}
            <Show
                when=move || ticket.with(Option::is_some)
                fallback=move || failure.get().is_none().then(|| view! { <p class="hint">{t!(i18n, ticket.opening)}</p> })
            >
                {move || id.get_untracked().map(|id| view! {
                    <div class="record-layout">
                        <div class="record-main">
                            <TicketStanding id ticket />
                            <ServiceLevel id ticket />
                        </div>
                        <div class="record-activity">
                            <Conversation id ticket />
                            <widgets::Files owner=widgets::FileOwner::Ticket(id) files=Signal::derive(move || ticket.with(|t| t.as_ref().map(|t| t.files.clone()).unwrap_or_default())) />
                        </div>
                    </div>
                })}
            </Show>
        </Page>
    }
}

/// Who it is for, how it came in, and the controls that move it: status, priority, team, assignee.
#[component]
fn TicketStanding(id: TicketId, ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let statuses = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            service::Statuses::of(&ws.settings)
                .all()
                .iter()
                .map(|status| (status.key.clone(), status.category, status.retired))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let status_label = move |key: &str| {
        ctx.read_of(Changed::SETTINGS, |ws| status_name(&service::Statuses::of(&ws.settings), key))
            .unwrap_or_default()
    };
    let current = move || {
        ticket.with(|t| t.as_ref().map(|t| t.current_status().to_owned())).unwrap_or_default()
    };
    let category = move || {
        let key = current();
        statuses.with(|all| {
            all.iter().find(|(k, ..)| *k == key).map_or(StatusCategory::Open, |(_, c, _)| *c)
        })
    };
    let move_to = move |status: String| {
        let survey = crate::edits::SurveyText {
            question: t_string!(i18n, ticket.survey_question).to_owned(),
            scores: [
                t_string!(i18n, ticket.survey_score_1).to_owned(),
                t_string!(i18n, ticket.survey_score_2).to_owned(),
                t_string!(i18n, ticket.survey_score_3).to_owned(),
                t_string!(i18n, ticket.survey_score_4).to_owned(),
                t_string!(i18n, ticket.survey_score_5).to_owned(),
            ],
            closing: t_string!(i18n, ticket.survey_closing).to_owned(),
        };
        spawn_local(async move {
            let moved = crate::edits::set_ticket_status(ctx, outbox, id, status, survey).await;
            if let Err(error) = moved {
                ctx.report(&error);
            }
        });
    };
    let rating = move || ticket.with(|t| t.as_ref().and_then(|t| t.rating.clone()));
    // The survey, once this device has heard of it (queued here, or the relay's ledger).
    let survey = move || {
        let id = ctx.read(|ws| rapport_core::satisfaction::survey_id(ws.workspace, id))?;
        outbox.outbox.with(|known| known.status(&id).is_some()).then_some(id)
    };
    // One tap to finish it, or to open it again.
    let quick = move || {
        let wanted = if super::tickets::finished(category()) {
            StatusCategory::Open
        } else {
            StatusCategory::Resolved
        };
        statuses.with(|all| {
            all.iter().find(|(_, c, retired)| *c == wanted && !retired).map(|(k, ..)| k.clone())
        })
    };
    let update = move |change: Box<dyn FnOnce(&mut Ticket)>| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            if let Err(error) = local::update::<Ticket>(&shared, id, change).await {
                ctx.report(&error);
            }
        });
    };
    let assignee = Signal::derive(move || ticket.with(|t| t.as_ref().and_then(|t| t.assignee)));
    let reassign = Callback::new(move |to: Option<MemberId>| {
        update(Box::new(move |ticket| ticket.assignee = to))
    });
    let teams = move || super::tickets::teams(ctx);
    let party = move || {
        let party = ticket.with(|t| t.as_ref().and_then(|t| t.party))?;
        let name = ctx.read_of(Changed::PARTIES, |ws| {
            ws.model.parties.get(&party).map(|row| row.name.clone())
        })??;
        Some((party, name))
    };
    let facts = move || {
        ticket.with(|t| {
            t.as_ref().map(|t| {
                format!(
                    "{} · {}",
                    channel_name(t.channel),
                    t_string!(i18n, ticket.opened_at, at = super::local_date_time(t.created_at))
                )
            })
        })
    };
    let read_only = move || !account.can_edit();
    view! {
        <section class="panel" data-testid="ticket-standing">
            <h2>{t!(i18n, ticket.standing)}</h2>
            <p>
                {move || party().map(|(party, name): (PartyId, String)| view! {
                    <a class="action" href=format!("/parties/{party}") data-testid="ticket-party">{name}</a>" · "
                })}
                <span class="row-detail">{facts}</span>
            </p>
            <p data-testid="ticket-status" data-status=current>{move || status_label(&current())}</p>
            {move || match rating() {
                Some(rating) => view! {
                    <div class="ticket-rating" data-testid="ticket-rating" data-score=rating.score>
                        <p>
                            <span class="tag due" data-state=rating_state(rating.score)>
                                {t_string!(i18n, ticket.rated, score = rating.score).to_string()}
                            </span>
                            " "<span class="row-detail">{super::local_date_time(rating.at)}</span>
                        </p>
                        {(!rating.comment.is_empty()).then(|| view! { <blockquote class="message-text">{rating.comment}</blockquote> })}
                    </div>
                }.into_any(),
                None => survey().map(|id| view! {
                    <p class="row-detail" data-testid="ticket-survey">{t!(i18n, ticket.survey)}" "<widgets::MailState id /></p>
                }).into_any(),
            }}
            <Show when=move || !read_only()>
                <div class="ticket-quick">
                    {move || quick().map(|status| {
                        let finishing = !super::tickets::finished(category());
                        view! {
                            <button type="button" data-testid=if finishing { "ticket-resolve" } else { "ticket-reopen" }
                                on:click=move |_| move_to(status.clone())>
                                {if finishing { t_string!(i18n, ticket.resolve) } else { t_string!(i18n, ticket.reopen) }}
                            </button>
                        }
                    })}
                </div>
                <div class="ticket-controls">
                    <label>
                        {t!(i18n, ticket.status)}
                        <select data-testid="ticket-status-choice" on:change=move |e| move_to(event_target_value(&e))>
                            {move || {
                                let now = current();
                                // A retired status is offered only to the ticket still in it.
                                statuses.get().into_iter().filter(|(key, _, retired)| !retired || *key == now).map(|(key, ..)| {
                                    let label = status_label(&key);
                                    let selected = key == now;
                                    view! { <option value=key selected=selected>{label}</option> }
                                }).collect_view()
                            }}
                        </select>
                    </label>
                    <label>
                        {t!(i18n, tickets.priority)}
                        <select data-testid="ticket-priority" on:change=move |e| {
                            if let Some(p) = TicketPriority::parse(&event_target_value(&e)) {
                                update(Box::new(move |ticket| ticket.priority = p));
                            }
                        }>
                            {service::priorities_urgent_first().map(|p| view! {
                                <option value=p.as_str() selected=move || ticket.with(|t| t.as_ref().map(|t| t.priority)) == Some(p)>{move || priority_name(p)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>
                        {t!(i18n, tickets.team)}
                        <select data-testid="ticket-team" on:change=move |e| {
                            let team: Option<rapport_core::ids::TeamId> = event_target_value(&e).parse().ok();
                            // Put in a queue with nobody on it: whoever the team's rule picks.
                            let pick = team.and_then(|team| {
                                ctx.read(|ws| {
                                    let rows: Vec<&rapport_core::read_model::TicketRow> = ws.model.tickets.values().collect();
                                    let statuses = service::Statuses::of(&ws.settings);
                                    service::assignee_for(&ws.settings, &statuses, team, &rows, local::now())
                                })
                                .flatten()
                            });
                            update(Box::new(move |ticket| {
                                ticket.team = team;
                                if ticket.assignee.is_none() {
                                    ticket.assignee = pick;
                                }
                            }));
                        }>
                            <option value="" selected=move || ticket.with(|t| t.as_ref().is_some_and(|t| t.team.is_none()))>{t!(i18n, ticket.no_team)}</option>
                            {move || {
                                let now = ticket.with(|t| t.as_ref().and_then(|t| t.team));
                                teams().into_iter().map(|(id, name)| {
                                    let selected = now == Some(id);
                                    view! { <option value=id.to_string() selected=selected>{name}</option> }
                                }).collect_view()
                            }}
                        </select>
                    </label>
                    <label>
                        {t!(i18n, ticket.assignee)}
                        <MemberChoice
                            testid="ticket-assignee"
                            current=assignee
                            nobody=Signal::derive(move || t_string!(i18n, ticket.nobody).to_owned())
                            choose=reassign
                        />
                    </label>
                    <label>
                        {t!(i18n, ticket.tags)}
                        <input type="text" data-testid="ticket-tags" placeholder=move || t_string!(i18n, ticket.tags_hint)
                            prop:value=move || ticket.with(|t| t.as_ref().map(|t| rapport_core::model::names(&t.tags).collect::<Vec<_>>().join(", ")).unwrap_or_default())
                            on:change=move |e| {
                                let tags = crate::widgets::parse_tags(&event_target_value(&e));
                                // Removed tags leave the set; kept and added ones are present (a set merges).
                                update(Box::new(move |ticket| {
                                    ticket.tags.retain(|tag, _| tags.contains(tag));
                                    for tag in tags {
                                        ticket.tags.insert(tag, true);
                                    }
                                }));
                            } />
                    </label>
                </div>
            </Show>
        </section>
    }
}

/// How a rating is coloured: as a met clock (satisfied), one due soon (neutral) or a missed one.
fn rating_state(score: u8) -> &'static str {
    match score {
        4.. => "met",
        3 => "soon",
        _ => "missed",
    }
}

/// The ticket's clocks: first response, next response and resolution, each due, paused or done; and
/// the escalation rules applied to it when one ran late.
#[component]
fn ServiceLevel(id: TicketId, ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let now = ticking_now();
    // The clocks, the policy's name, and whether an event of this ticket still waits on this device
    // for the relay's stamp.
    let state = Memo::new(move |_| {
        let kinds = Changed::TICKETS | Changed::SETTINGS | Changed::PARTIES;
        outbox.outbox.with(|stamps| {
            ctx.read_of(kinds, |ws| {
                let row = ws.model.tickets.get(&id)?;
                let desk = Desk::new(ws.workspace, &ws.settings);
                let roles: Vec<&str> = row
                    .party
                    .and_then(|p| ws.model.parties.get(&p))
                    .map(|p| p.roles.iter().map(|r| r.role().key()).collect())
                    .unwrap_or_default();
                let clocks: TicketClocks = desk.clocks(row, &roles, |id| stamps.stamp(id));
                let policy = clocks
                    .policy
                    .as_ref()
                    .and_then(|p| ws.settings.sla_policies.get(p))
                    .map(|p| p.name.clone());
                let waiting = ws.linked
                    && row.events.iter().any(|event| {
                        let stamp = service::stamp_id(ws.workspace, id, &event.id);
                        matches!(stamps.status(&stamp), Some(rapport_core::outbox::Status::Waiting))
                    });
                Some((clocks, policy, waiting))
            })
            .flatten()
        })
    });
    // Oldest first; two lines for one breach only if two devices applied it at once (the relay's
    // ledger is there so that they do not).
    let escalations = move || {
        ticket.with(|t| {
            let mut list: Vec<rapport_core::model::Escalated> =
                t.iter().flat_map(|t| t.escalations.values().cloned()).collect();
            list.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
            list
        })
    };
    let line = move |label: &'static str, testid: &'static str, clock: Option<Clock>| {
        let now: Timestamp = now.get();
        let clock = clock?;
        let (state, text) = match clock {
            Clock::Running { due: Some(due) } if due <= now => (
                "overdue",
                t_string!(i18n, tickets.overdue_by, span = span(now.0 - due.0)).to_string(),
            ),
            Clock::Running { due: Some(due) } => {
                let state = if due.0 - now.0 <= service::SOON { "soon" } else { "due" };
                (
                    state,
                    t_string!(
                        i18n,
                        ticket.due_at,
                        span = span(due.0 - now.0),
                        at = super::local_date_time(due)
                    )
                    .to_string(),
                )
            }
            Clock::Running { due: None } => {
                ("due", t_string!(i18n, ticket.no_working_time).to_owned())
            }
            Clock::Paused { left, .. } if left < 0 => {
                ("overdue", t_string!(i18n, tickets.paused_overdue, span = span(-left)).to_string())
            }
            Clock::Paused { left, .. } => {
                ("paused", t_string!(i18n, tickets.paused_left, span = span(left)).to_string())
            }
            Clock::Done { at, late: false } => {
                ("met", t_string!(i18n, ticket.met_at, at = super::local_date_time(at)).to_string())
            }
            Clock::Done { at, late: true } => (
                "missed",
                t_string!(i18n, ticket.missed_at, at = super::local_date_time(at)).to_string(),
            ),
        };
        Some(view! {
            <li class="row" data-testid=testid data-state=state>
                <span class="row-title">{label}</span>
                <span class="tag due" data-state=state>{text}</span>
            </li>
        })
    };
    view! {
        // How many of its events this device still counts at their device's time (the relay's not
        // heard yet): what a test waits on before saying every device sees the same deadline.
        <section class="panel" data-testid="ticket-sla"
            data-unstamped=move || state.with(|s| s.as_ref().map_or(0, |(clocks, _, _)| clocks.unstamped))>
            <h2>{t!(i18n, ticket.service_level)}</h2>
            {move || match state.get() {
                None => view! { <p class="hint">{t!(i18n, ticket.no_policy)}</p> }.into_any(),
                Some((clocks, policy, waiting)) => view! {
                    <p class="hint" data-testid="ticket-policy">
                        {match &policy {
                            Some(name) => t_string!(i18n, ticket.policy, name = name.clone()).to_string(),
                            None => t_string!(i18n, ticket.no_policy).to_owned(),
                        }}
                    </p>
                    <ul class="rows">
                        {line(t_string!(i18n, ticket.first_response), "sla-first-response", clocks.clocks.first_response)}
                        {line(t_string!(i18n, ticket.next_response), "sla-next-response", clocks.clocks.next_response)}
                        {line(t_string!(i18n, ticket.resolution), "sla-resolution", clocks.clocks.resolution)}
                    </ul>
                    {waiting.then(|| view! {
                        <p class="hint" data-testid="sla-waiting">{t!(i18n, ticket.counts_when_relay_hears)}</p>
                    })}
                }.into_any(),
            }}
            {move || {
                let escalations = escalations();
                (!escalations.is_empty()).then(|| view! {
                    <h3>{t!(i18n, ticket.escalations)}</h3>
                    <ul class="rows" data-testid="ticket-escalations">
                        {escalations.into_iter().map(|escalated| view! {
                            <li class="row" data-testid="ticket-escalation" data-metric=escalated.metric.clone()>
                                <span class="row-title">
                                    {t_string!(
                                        i18n,
                                        ticket.escalated,
                                        rule = escalated.rule_name.clone(),
                                        clock = super::settings::metric_name(&escalated.metric)
                                    ).to_string()}
                                </span>
                                <span class="row-detail">{super::local_date_time(escalated.at)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}

/// What was said, oldest first, and the composer: a reply to the customer, what the customer said
/// (a call, a visit), or a note only the team sees; canned replies fill it in.
#[component]
fn Conversation(id: TicketId, ticket: Memo<Option<Ticket>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let kind = RwSignal::new(MessageKind::Reply);
    let by_mail = RwSignal::new(true);
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    crate::pwa::PwaCtx::use_ctx()
        .track_unsaved(Signal::derive(move || !text.with(|t| t.trim().is_empty())));
    let messages = move || {
        let Some(ticket) = ticket.get() else { return Vec::new() };
        ctx.read_of(Changed::SETTINGS, |ws| {
            ticket
                .conversation()
                .into_iter()
                .map(|(event, message)| {
                    let who = message
                        .author
                        .and_then(|m| ws.settings.members.get(&m.to_string()))
                        .map(|m| m.display_name.clone());
                    (event.to_owned(), message.clone(), who)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    let saving = widgets::Save::new(
        move |(message, email): (TicketMessage, Option<Recipient>)| async move {
            match crate::edits::add_ticket_message(ctx, outbox, id, message, email).await {
                Ok(()) => {
                    text.set(String::new());
                    error.set(None);
                    ctx.changed();
                }
                Err(failure) => {
                    error.set(Some(failure.to_string()));
                    ctx.report(&failure);
                }
            }
        },
    );
    // The customer's record, for canned replies' merge fields.
    let party_id = Memo::new(move |_| ticket.with(|t| t.as_ref().and_then(|t| t.party)));
    let party = crate::state::watch_record::<Party>(party_id, t_string!(i18n, ticket.no_party));
    // Where a reply goes as mail, when the relay sends mail (as a survey does).
    let mail_to = Memo::new(move |_| {
        if outbox.relay_mail.get() != Some(true) {
            return None;
        }
        let stored = party.get().and_then(Result::ok);
        let name = stored.as_ref().map(|s| s.record.name.clone()).unwrap_or_default();
        let emails: Vec<String> = stored
            .map(|s| s.record.emails.iter().map(|e| e.value.clone()).collect())
            .unwrap_or_default();
        ticket.with(|t| {
            t.as_ref().and_then(|t| rapport_core::satisfaction::customer_address(t, &name, &emails))
        })
    });
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let said = text.get_untracked().trim().to_owned();
        if said.is_empty() {
            error.set(Some(t_string!(i18n, ticket.message_needed).to_owned()));
            return;
        }
        let me = ctx.read(|ws| ws.me).flatten();
        let email = (kind.get_untracked() == MessageKind::Reply && by_mail.get_untracked())
            .then(|| mail_to.get_untracked())
            .flatten();
        let message = TicketMessage {
            kind: kind.get_untracked(),
            author: me,
            at: local::now(),
            text: said,
            mail: None,
        };
        saving.submit((message, email));
    };
    let canned = widgets::SavedKind {
        testid: "canned",
        list: |settings| {
            settings.canned_replies.iter().map(|(id, r)| (id.clone(), r.name.clone())).collect()
        },
        remove: |settings, id| {
            settings.canned_replies.remove(id);
        },
        keep: std::sync::Arc::new(move |settings, id, name| {
            let text = text.get_untracked();
            settings.canned_replies.insert(id, rapport_core::model::CannedReply { name, text });
        }),
        new_id: || rapport_core::ids::TemplateId::generate(&mut local::BrowserIds).to_string(),
        group_label: Signal::derive(move || t_string!(i18n, ticket.canned).to_owned()),
        save_label: Signal::derive(move || t_string!(i18n, ticket.save_canned).to_owned()),
        name_label: Signal::derive(move || t_string!(i18n, ticket.canned_name).to_owned()),
        name_needed: Signal::derive(move || t_string!(i18n, ticket.canned_name_needed).to_owned()),
        remove_label: std::sync::Arc::new(move |label| {
            t_string!(i18n, ticket.remove_canned, label = label).to_string()
        }),
    };
    let insert = Callback::new(move |reply: String| {
        let Some(found) = ctx.read(|ws| ws.settings.canned_replies.get(&reply).cloned()).flatten()
        else {
            return;
        };
        let mut fields = party
            .get_untracked()
            .and_then(Result::ok)
            .map(|stored| MergeFields::of_party(&stored.record, None))
            .unwrap_or_default();
        let subject =
            ticket.with_untracked(|t| t.as_ref().map(|t| t.subject.clone())).unwrap_or_default();
        fields.0.insert("ticket_subject".into(), subject);
        let me = ctx
            .read(|ws| {
                ws.me.and_then(|m| {
                    ws.settings.members.get(&m.to_string()).map(|m| m.display_name.clone())
                })
            })
            .flatten();
        fields.0.insert("my_name".into(), me.unwrap_or_default());
        for field in rapport_core::template::PARTY_FIELDS {
            fields.0.entry(field.to_owned()).or_default();
        }
        match Template::parse(&found.text).and_then(|template| template.render(&fields)) {
            Ok(filled) => {
                kind.set(MessageKind::Reply);
                text.update(|text| {
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    text.push_str(&filled);
                });
                error.set(None);
            }
            Err(why) => error.set(Some(why.to_string())),
        }
    });
    let message_field = NodeRef::<leptos::html::Textarea>::new();
    // The palette's canned replies come here while the member may write.
    if let Some(composer) = use_context::<crate::shell::ReplyComposer>() {
        Effect::new(move || composer.open.set(account.can_edit()));
        Effect::new(move || {
            if let Some(reply) = composer.chosen.get() {
                composer.chosen.set(None);
                insert.run(reply);
                if let Some(field) = message_field.get_untracked() {
                    let _ = field.focus();
                }
            }
        });
        on_cleanup(move || composer.open.set(false));
    }
    view! {
        <section class="panel" data-testid="conversation">
            <h2>{t!(i18n, ticket.conversation)}</h2>
            <ol class="conversation">
                {move || messages().into_iter().map(|(_, message, who)| {
                    let (class, label) = match message.kind {
                        MessageKind::Customer => ("message customer", t_string!(i18n, ticket.from_customer)),
                        MessageKind::Reply => ("message reply", t_string!(i18n, ticket.reply)),
                        MessageKind::Internal => ("message internal", t_string!(i18n, ticket.internal)),
                    };
                    let kind_key = match message.kind {
                        MessageKind::Customer => "customer",
                        MessageKind::Reply => "reply",
                        MessageKind::Internal => "internal",
                    };
                    view! {
                        <li class=class data-testid="ticket-message" data-kind=kind_key>
                            <p class="row-detail">
                                {label}
                                {who.map(|who| format!(" · {who}"))}
                                " · "<time>{super::local_date_time(message.at)}</time>
                            </p>
                            <p class="message-text">{message.text}</p>
                            {message.mail.filter(|_| message.kind == MessageKind::Reply).map(|mail| {
                                let id = rapport_core::outbox::OutboxId::parse(&mail.id).ok();
                                view! {
                                    <p class="row-detail" data-testid="reply-mailed">
                                        {t!(i18n, ticket.mailed_to, address = mail.address)}
                                        " "{id.map(|id| view! { <widgets::MailState id /> })}
                                    </p>
                                }
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
            <Show when=move || account.can_edit()>
                <form class="record-form composer" on:submit=send data-testid="ticket-composer">
                    <Segmented
                        value=kind
                        name="message-kind"
                        label=Signal::derive(move || t_string!(i18n, ticket.message_kind))
                        options=vec![
                            (MessageKind::Reply, Signal::derive(move || t_string!(i18n, ticket.reply)), "message-reply"),
                            (MessageKind::Customer, Signal::derive(move || t_string!(i18n, ticket.from_customer)), "message-customer"),
                            (MessageKind::Internal, Signal::derive(move || t_string!(i18n, ticket.internal_choice)), "message-internal"),
                        ]
                    />
                    <textarea rows="4" data-testid="ticket-message-text" node_ref=message_field
                            aria-label=move || t_string!(i18n, ticket.message)
                            placeholder=move || match kind.get() {
                                MessageKind::Reply => t_string!(i18n, ticket.reply_placeholder),
                                MessageKind::Customer => t_string!(i18n, ticket.customer_placeholder),
                                MessageKind::Internal => t_string!(i18n, ticket.internal_placeholder),
                            }
                            prop:value=move || text.get()
                            on:input=move |e| text.set(event_target_value(&e))></textarea>
                    {move || (kind.get() == MessageKind::Reply).then(|| mail_to.get()).flatten().map(|to| view! {
                        <label class="check" data-testid="reply-by-mail">
                            <input type="checkbox" prop:checked=move || by_mail.get()
                                on:change=move |e| by_mail.set(event_target_checked(&e)) />
                            {t!(i18n, ticket.send_by_mail, address = to.address)}
                        </label>
                    })}
                    <widgets::SavedChips kind=canned.clone() pick=insert />
                    <ArticleLink text kind />
                    {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="ticket-message-error">{e}</p> })}
                    <button type="submit" class="primary-action" data-testid="send-message" disabled=move || saving.pending()>
                        {move || match kind.get() {
                            MessageKind::Internal => t_string!(i18n, ticket.add_note),
                            MessageKind::Customer => t_string!(i18n, ticket.log_customer),
                            MessageKind::Reply => t_string!(i18n, ticket.send_reply),
                        }}
                    </button>
                </form>
            </Show>
        </section>
    }
}

/// Finds a published article and puts its title and public link in the reply, where the customer can
/// read it without an account.
#[component]
fn ArticleLink(text: RwSignal<String>, kind: RwSignal<MessageKind>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let query = RwSignal::new(String::new());
    let found = Memo::new(move |_| {
        let query = query.get();
        ctx.read_of(Changed::ARTICLES, |ws| {
            let published = ws.model.articles.values().filter(|row| row.published);
            rapport_core::knowledge::matching(published, &query)
                .into_iter()
                .take(5)
                .filter_map(|id| ws.model.articles.get(&id).map(|row| (id, row.title.clone())))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let link = move |id: rapport_core::ids::ArticleId, title: String| {
        let Some(workspace) = ctx.read_of(Changed::NOTHING, |ws| ws.workspace) else { return };
        let origin = window().location().origin().unwrap_or_default();
        let url = format!("{origin}{}", rapport_core::knowledge::public_path(workspace, id));
        kind.set(MessageKind::Reply);
        text.update(|text| {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("{title}: {url}\n"));
        });
        query.set(String::new());
    };
    view! {
        <details class="article-link" data-testid="article-link">
            <summary>{t!(i18n, knowledge.link_article)}</summary>
            <input type="search" class="search" data-testid="article-link-search"
                placeholder=move || t_string!(i18n, knowledge.link_article_search)
                aria-label=move || t_string!(i18n, knowledge.link_article_search)
                prop:value=move || query.get() on:input=move |e| query.set(event_target_value(&e)) />
            <ul class="chips">
                {move || found.get().into_iter().map(|(id, title)| {
                    let label = title.clone();
                    view! {
                        <li><button type="button" class="chip" data-testid="article-link-choice"
                            on:click=move |_| link(id, title.clone())>{label}</button></li>
                    }
                }).collect_view()}
            </ul>
            {move || (!query.with(|q| q.trim().is_empty()) && found.with(Vec::is_empty)).then(|| view! {
                <p class="hint">{t!(i18n, knowledge.no_articles_found)}</p>
            })}
        </details>
    }
}
