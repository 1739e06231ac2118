//! Email-to-ticket on the device: the mails the relay received for the workspace's support address
//! are filed here — each taken from the relay first, so one device files it while the others leave
//! it, then written as core decides (`rapport_core::inbound::file`: a reply on the ticket it answers,
//! an answer to an email sent from a timeline on that timeline, or a new ticket from its sender), then
//! said to be filed. A device cut off between writing and
//! saying so leaves the mail to be filed again, which writes nothing new: every id comes from the mail.
//!
//! Its own loop, beside the outbox's: a round of the outbox (a backlog of reminders handed over) must
//! not hold a customer's mail back. Only a device in step files (one still pulling might not hold the
//! ticket a mail answers, and would open a second one).

use leptos::prelude::*;
use rapport_core::ids::WorkspaceId;
use rapport_core::inbound::{self, Filing};
use rapport_core::model::{Party, Ticket};

use crate::local::{self, Shared};
use crate::outbox::OutboxCtx;
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// How often the relay is asked anyway, in case a notice of new mail was missed (a reconnect).
const IDLE_MS: u32 = 30_000;

/// Files the workspace's mail whenever the relay says something arrived, the device comes in step,
/// or the relay turns out to receive mail — and now and then.
pub(crate) fn start(
    ctx: OutboxCtx,
    workspace: WorkspaceCtx,
    sync: SyncCtx,
    account: Option<crate::account::AccountCtx>,
) {
    let offered = |ctx: &OutboxCtx| ctx.relay_inbound.get() == Some(true);
    crate::outbox::writer_rounds(
        ctx,
        (workspace, sync),
        account,
        offered,
        (|| {}, IDLE_MS),
        move |shared| {
            async move {
                let id = shared.borrow().replica.workspace;
                // The timeline says which emails went out: until it is read, an answer to one
                // would become a ticket.
                if shared.borrow().replica.model.interactions_pending {
                    return Some(500);
                }
                // A full page filed: more may wait behind it.
                while file_mail(ctx, &shared, id).await {}
                None
            }
        },
    );
}

/// Files every mail of the relay's page of waiting ones that no other device is filing; says whether
/// the page was full and this device filed some of it (so more may wait).
async fn file_mail(ctx: OutboxCtx, shared: &Shared, workspace: WorkspaceId) -> bool {
    /// The relay's page of waiting mails.
    const PAGE: usize = 100;
    let Ok(list) = relay_api::inbound(workspace).await else { return false };
    let full = list.mails.len() >= PAGE;
    let mut filed = false;
    if ctx.support_address.with_untracked(|known| known != &list.address) {
        ctx.support_address.set(list.address.clone());
    }
    // The emails sent from timelines, which an answer names: read once for the page of mails (a
    // mail filed here as an answer names none of them).
    let mut sent = None;
    for mail in list.mails.into_iter().filter(|mail| !mail.taken) {
        match relay_api::inbound_step(workspace, mail.seq, "take").await {
            204 => {}
            // Another device files it, or did, or it is gone.
            404 | 409 | 410 => continue,
            // The relay is not answering: the rest waits for the next round.
            _ => return false,
        }
        let filing = {
            let ws = shared.borrow();
            let model = &ws.replica.model;
            let sent = sent.get_or_insert_with(|| {
                inbound::timeline_mails(
                    workspace,
                    model.interactions.values().flat_map(|month| month.values()),
                )
            });
            inbound::file(workspace, &mail, model.tickets.values(), model.parties.values(), sent)
        };
        let records = filing.records();
        // Filed once the relay holds what it wrote: until then the relay keeps the mail (and this
        // device's hold on it lapses), so a device lost before its change left loses no mail.
        if write(shared, filing).await.is_ok() && reached_the_relay(shared, &records).await {
            filed |= relay_api::inbound_step(workspace, mail.seq, "filed").await == 204;
        } else {
            return false;
        }
    }
    full && filed
}

/// Waits (as long as a hold lasts, at most) until the relay has confirmed every edit of `records`.
async fn reached_the_relay(shared: &Shared, records: &[String]) -> bool {
    const WAIT_MS: u32 = 60_000;
    const EVERY_MS: u32 = 100;
    for _ in 0..WAIT_MS / EVERY_MS {
        let waiting = {
            let ws = shared.borrow();
            records.iter().any(|id| ws.replica.is_unsynced(id))
        };
        if !waiting {
            return true;
        }
        gloo_timers::future::TimeoutFuture::new(EVERY_MS).await;
    }
    false
}

/// Writes what filing a mail decided, leaving alone whatever an earlier filing of it wrote.
async fn write(shared: &Shared, filing: Filing) -> Result<(), local::LocalError> {
    match filing {
        Filing::Reply { ticket, event, message, files } => {
            local::update::<Ticket>(shared, ticket, move |ticket| {
                if !ticket.messages.contains_key(&event) {
                    ticket.add_message(event, message);
                }
                for (hash, file) in files {
                    ticket.files.entry(hash).or_insert(file);
                }
            })
            .await
        }
        Filing::New { ticket, record, person } => {
            if let Some((id, party)) = person {
                let known = shared.borrow().replica.model.parties.contains_key(&id);
                if !known {
                    local::create::<Party>(shared, id, *party).await?;
                }
            }
            let known = shared.borrow().replica.model.tickets.contains_key(&ticket);
            if known {
                return Ok(());
            }
            // Into the queue a new ticket goes to, handed to whoever its rule names.
            let mut record = *record;
            {
                let ws = shared.borrow();
                let rows: Vec<&rapport_core::read_model::TicketRow> =
                    ws.replica.model.tickets.values().collect();
                let at = record.created_at;
                rapport_core::service::queue_new(&ws.replica.settings, &mut record, &rows, at);
            }
            local::create::<Ticket>(shared, ticket, record).await
        }
        Filing::Answer { interaction, record, party, files } => {
            if !files.is_empty() {
                local::update::<Party>(shared, party, move |party| {
                    for (hash, file) in files {
                        party.files.entry(hash).or_insert(file);
                    }
                })
                .await?;
            }
            let known = {
                let ws = shared.borrow();
                ws.replica.model.interactions.values().any(|month| month.contains_key(&interaction))
            };
            if known {
                return Ok(());
            }
            local::log_interaction(shared, interaction, *record).await.map(drop)
        }
    }
}
