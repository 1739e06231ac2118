//! Opening a ticket: what it is about, for whom, how urgent, how the customer got in touch and what
//! they said. Put in a team's queue, it goes to whoever the team's rule picks
//! (`rapport_core::service::assignee_for`). Works offline like every other edit; the relay stamps
//! its opening when it hears of it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use rapport_core::ids::{PartyId, TeamId, TicketEventId, TicketId};
use rapport_core::model::{Channel, MessageKind, Ticket, TicketMessage, TicketPriority};
use rapport_core::read_model::{Changed, TicketRow};
use rapport_core::service::{self, NEW_TICKET_STATUS, Statuses};

use crate::i18n::{t, t_string, use_i18n};
use crate::local::{self, BrowserIds};
use crate::outbox::OutboxCtx;
use crate::pages::tickets::{channel_name, priority_name};
use crate::state::WorkspaceCtx;
use crate::widgets::{self, PartyPicker};

#[component]
pub(crate) fn NewTicket(
    /// The party whose page this is: the ticket is theirs.
    about: Option<PartyId>,
    /// Called once it is saved or given up.
    done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let navigate = use_navigate();
    let subject = RwSignal::new(String::new());
    let said = RwSignal::new(String::new());
    let party = RwSignal::new(None::<(PartyId, String)>);
    let priority = RwSignal::new(TicketPriority::Normal);
    let channel = RwSignal::new(Channel::Phone);
    let teams = Memo::new(move |_| {
        crate::pages::tickets::teams(ctx)
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect::<Vec<_>>()
    });
    let team = RwSignal::new(String::new());
    // The only team, or the first, unless one is chosen.
    let chosen_team = move || {
        let chosen = team.get();
        teams.with(|teams| {
            teams.iter().find(|(id, _)| *id == chosen).or(teams.first()).map(|(id, _)| id.clone())
        })
    };
    let dirty = Signal::derive(move || {
        !subject.with(|s| s.trim().is_empty()) || !said.with(|s| s.trim().is_empty())
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let saving = widgets::Save::new(move |(ticket, id): (Ticket, TicketId)| {
        let navigate = navigate.clone();
        async move {
            match crate::edits::open_ticket(ctx, outbox, id, ticket).await {
                Ok(()) => {
                    subject.set(String::new());
                    said.set(String::new());
                    done.run(());
                    navigate(&format!("/tickets/{id}"), Default::default());
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
        }
    });
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = subject.get_untracked().trim().to_owned();
        if text.is_empty() {
            error.set(Some(t_string!(i18n, tickets.subject_needed).to_owned()));
            return;
        }
        let whose = about.or_else(|| party.get_untracked().map(|(id, _)| id));
        let team: Option<TeamId> = chosen_team().and_then(|id| id.parse().ok());
        let Some(ticket) = ctx.read(|ws| {
            let at = local::now();
            let mut ticket = Ticket::open(
                text,
                whose,
                channel.get_untracked(),
                priority.get_untracked(),
                NEW_TICKET_STATUS,
                at,
                ws.me,
            );
            ticket.team = team;
            if let Some(team) = team {
                let rows: Vec<&TicketRow> = ws.model.tickets.values().collect();
                let statuses = Statuses::of(&ws.settings);
                ticket.assignee = service::assignee_for(&ws.settings, &statuses, team, &rows, at);
            }
            let first = said.get_untracked().trim().to_owned();
            if !first.is_empty() {
                let event = TicketEventId::generate(&mut BrowserIds).to_string();
                let message = TicketMessage {
                    kind: MessageKind::Customer,
                    author: ws.me,
                    at,
                    text: first,
                    mail: None,
                };
                ticket.add_message(event, message);
            }
            ticket
        }) else {
            return;
        };
        error.set(None);
        saving.submit((ticket, TicketId::generate(&mut BrowserIds)));
    };
    view! {
        <form class="record-form panel new-ticket" on:submit=save data-testid="new-ticket">
            <h2>{t!(i18n, tickets.new_ticket)}</h2>
            <label>
                {t!(i18n, tickets.subject)}
                <input type="text" data-testid="new-ticket-subject" prop:value=move || subject.get()
                    on:input=move |e| subject.set(event_target_value(&e)) />
            </label>
            {about.map(|party| {
                let name = move || {
                    ctx.read_of(Changed::PARTIES, |ws| ws.model.parties.get(&party).map(|p| p.name.clone()))
                        .flatten()
                        .unwrap_or_default()
                };
                view! { <p class="hint" data-testid="new-ticket-for">{move || t_string!(i18n, tickets.for_customer, name = name()).to_string()}</p> }
            })}
            {about.is_none().then(|| view! {
                <PartyPicker chosen=party testid="new-ticket" label=move || t_string!(i18n, tickets.customer) />
            })}
            <div class="field-row">
                <label>
                    {t!(i18n, tickets.priority)}
                    <select data-testid="new-ticket-priority" on:change=move |e| {
                        if let Some(p) = TicketPriority::parse(&event_target_value(&e)) { priority.set(p) }
                    }>
                        {service::priorities_urgent_first().map(|p| view! {
                            <option value=p.as_str() selected=move || priority.get() == p>{move || priority_name(p)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {t!(i18n, tickets.channel)}
                    <select data-testid="new-ticket-channel" on:change=move |e| {
                        if let Some(c) = Channel::parse(&event_target_value(&e)) { channel.set(c) }
                    }>
                        {Channel::ALL.into_iter().map(|c| view! {
                            <option value=c.as_str() selected=move || channel.get() == c>{move || channel_name(c)}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <Show when=move || teams.with(|t| t.len() > 1)>
                <label>
                    {t!(i18n, tickets.team)}
                    <select data-testid="new-ticket-team" on:change=move |e| team.set(event_target_value(&e))>
                        {move || teams.get().into_iter().map(|(id, name)| {
                            let selected = chosen_team().as_deref() == Some(id.as_str());
                            view! { <option value=id selected=selected>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </Show>
            <label>
                {t!(i18n, tickets.customer_said)}
                <textarea rows="3" data-testid="new-ticket-said" prop:value=move || said.get()
                    on:input=move |e| said.set(event_target_value(&e))></textarea>
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="new-ticket-error">{e}</p> })}
            <div class="field-row">
                <button type="submit" class="primary-action" data-testid="save-ticket" disabled=move || saving.pending()>
                    {t!(i18n, tickets.open_it)}
                </button>
                <button type="button" data-testid="cancel-ticket" on:click=move |_| done.run(())>
                    {t!(i18n, tickets.cancel)}
                </button>
            </div>
        </form>
    }
}
