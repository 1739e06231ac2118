//! Writes several screens make, so that no page imports another for them. The rules themselves are
//! `rapport_core`'s (a deal's move with its stage history: `Deal::move_to`); this only applies them to
//! the workspace and tells the screens.

use leptos::prelude::*;
use rapport_core::ids::{DealId, MemberId, TicketEventId, TicketId};
use rapport_core::model::{Deal, Destination, MailLink, Ticket, TicketMessage};
use rapport_core::outbox::{Recipient, Work};

use crate::local;
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;

/// Moves a deal to another stage (recorded in its stage history), or closes it as won or lost.
pub(crate) async fn move_deal(
    ctx: WorkspaceCtx,
    id: DealId,
    to: Destination,
    by: Option<MemberId>,
) -> Result<(), local::LocalError> {
    let Some(shared) = ctx.shared() else { return Ok(()) };
    let at = local::now();
    // The write tells the screens itself.
    local::update::<Deal>(&shared, id, |deal| deal.move_to(to, at, by)).await
}

/// Opens ticket `ticket` (its first message, if any, already in it) and asks the relay to stamp its
/// events.
pub(crate) async fn open_ticket(
    ctx: WorkspaceCtx,
    outbox: OutboxCtx,
    id: TicketId,
    ticket: Ticket,
) -> Result<(), local::LocalError> {
    let Some(shared) = ctx.shared_once_open().await else { return Ok(()) };
    let events: Vec<String> =
        std::iter::once("opened".to_owned()).chain(ticket.messages.keys().cloned()).collect();
    local::create(&shared, id, ticket).await?;
    stamp(&shared, outbox, id, events).await;
    Ok(())
}

/// Adds a message to ticket `id` and asks the relay to stamp it; a reply with `email` goes to that
/// customer as mail too, through the relay's outbox, threaded under the customer's mails
/// (`rapport_core::inbound::reply_mail`).
pub(crate) async fn add_ticket_message(
    ctx: WorkspaceCtx,
    outbox: OutboxCtx,
    id: TicketId,
    mut message: TicketMessage,
    email: Option<Recipient>,
) -> Result<(), local::LocalError> {
    let Some(shared) = ctx.shared_once_open().await else { return Ok(()) };
    let event = TicketEventId::generate(&mut local::BrowserIds).to_string();
    let workspace = shared.borrow().workspace;
    let mail_id = email.as_ref().map(|to| {
        let mail_id = rapport_core::inbound::reply_mail_id(workspace, id, &event);
        let address = to.address.clone();
        message.mail = Some(MailLink { id: mail_id.to_string(), address });
        mail_id
    });
    let support = outbox.support_address.get_untracked();
    let (written, text) = (event.clone(), message.text.clone());
    let mail = std::rc::Rc::new(std::cell::RefCell::new(None));
    let composed = mail.clone();
    local::update::<Ticket>(&shared, id, move |ticket| {
        ticket.add_message(written, message);
        if let Some(to) = email {
            let mail = rapport_core::inbound::reply_mail(id, ticket, to, text, support.as_deref());
            *composed.borrow_mut() = Some(mail);
        }
    })
    .await?;
    if let (Some(mail_id), Some(mail)) = (mail_id, mail.take()) {
        // Kept on the device until the relay has it, however long it is offline.
        let _ = outbox.queue(&shared, mail_id, Work::Mail(mail)).await;
    }
    stamp(&shared, outbox, id, vec![event]).await;
    Ok(())
}

/// A satisfaction survey's words, in the language of whoever resolves the ticket.
pub(crate) struct SurveyText {
    pub question: String,
    /// What each score means, from 1 to 5.
    pub scores: [String; 5],
    pub closing: String,
}

/// Moves ticket `id` to status `status` (logged, and stamped by the relay). Resolving it asks its
/// customer to rate the answer, once per ticket (`rapport_core::satisfaction`), in `survey`'s words —
/// queued on the device when it is offline — unless the workspace turned surveys off or the relay
/// sends no mail.
pub(crate) async fn set_ticket_status(
    ctx: WorkspaceCtx,
    outbox: OutboxCtx,
    id: TicketId,
    status: String,
    survey: SurveyText,
) -> Result<(), local::LocalError> {
    use rapport_core::satisfaction;
    let Some(shared) = ctx.shared_once_open().await else { return Ok(()) };
    let (by, workspace, settings, asks, customer) = {
        let ws = shared.borrow();
        let settings = &ws.settings;
        let asks = ws.linked && outbox.relay_mail.get_untracked() != Some(false);
        let customer = ws
            .model
            .tickets
            .get(&id)
            .and_then(|row| row.party)
            .and_then(|party| ws.model.parties.get(&party))
            .map(|party| (party.name.clone(), party.emails.clone()))
            .unwrap_or_default();
        (ws.me, ws.workspace, settings.clone(), asks, customer)
    };
    let support = outbox.support_address.get_untracked();
    let event = TicketEventId::generate(&mut local::BrowserIds).to_string();
    let written = event.clone();
    let at = local::now();
    let moved = std::rc::Rc::new(std::cell::Cell::new(false));
    let told = moved.clone();
    let mail = std::rc::Rc::new(std::cell::RefCell::new(None));
    let composed = mail.clone();
    local::update::<Ticket>(&shared, id, move |ticket| {
        let statuses = rapport_core::service::Statuses::of(&settings);
        let before = statuses.category(ticket.current_status());
        told.set(ticket.set_status(written, &status, at, by));
        if told.get() && asks {
            let words = satisfaction::SurveyWords {
                question: &survey.question,
                scores: survey.scores.each_ref().map(String::as_str),
                closing: &survey.closing,
            };
            let (name, emails) = &customer;
            let customer = satisfaction::Customer { name, emails };
            let moved = (before, statuses.category(&status));
            *composed.borrow_mut() = satisfaction::survey_on_move(
                id,
                ticket,
                moved,
                &settings,
                customer,
                &words,
                support.as_deref(),
            );
        }
    })
    .await?;
    if let Some(mail) = mail.take() {
        // One per ticket: resolved again, or by another device too, it names the same survey.
        let _ =
            outbox.queue(&shared, satisfaction::survey_id(workspace, id), Work::Mail(mail)).await;
    }
    if moved.get() {
        stamp(&shared, outbox, id, vec![event]).await;
    }
    Ok(())
}

/// Asks the relay to note when it first hears of `events` of ticket `id` — the times the SLA clocks
/// count with (`rapport_core::service`). Only for a workspace linked to a relay: a device's own
/// workspace has no relay clock, and stamping its events when it is linked later would move them all
/// to that day. Kept in the device's outbox until the relay has them, however long it is offline.
async fn stamp(shared: &local::Shared, outbox: OutboxCtx, id: TicketId, events: Vec<String>) {
    let (linked, workspace) = {
        let ws = shared.borrow();
        (ws.linked, ws.workspace)
    };
    if !linked {
        return;
    }
    for event in events {
        let stamp = rapport_core::service::stamp_id(workspace, id, &event);
        // A failed write leaves the event counted at this device's time: shown as such.
        let _ = outbox.queue(shared, stamp, Work::Stamp {}).await;
    }
}
