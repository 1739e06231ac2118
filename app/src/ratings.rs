//! Satisfaction surveys' answers on the device: the relay keeps each customer's answer
//! (`rapport_core::satisfaction`), and devices that write file it on the ticket it rates. Any device
//! may: the answer is the same on each, and a ticket that has its rating is left alone.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use rapport_core::model::Ticket;

use crate::local::Shared;
use crate::outbox::OutboxCtx;
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// How often the relay is asked anyway, in case a notice of an answer was missed (a reconnect).
const IDLE_MS: u32 = 60_000;

/// Files the workspace's answers whenever the relay says its services changed, the device comes in
/// step, or the relay turns out to send mail — and now and then.
pub(crate) fn start(
    ctx: OutboxCtx,
    workspace: WorkspaceCtx,
    sync: SyncCtx,
    account: Option<crate::account::AccountCtx>,
) {
    // Where this page's reading of the relay's answers stands: from the first, once per page, since
    // a ticket may have lost its rating to an import or a restore.
    let after = Rc::new(Cell::new(0));
    let offered = |ctx: &OutboxCtx| ctx.relay_mail.get() == Some(true);
    crate::outbox::writer_rounds(
        ctx,
        (workspace, sync),
        account,
        offered,
        (|| {}, IDLE_MS),
        move |shared| {
            let after = after.clone();
            async move {
                while let Some(next) = file_page(&shared, after.get()).await {
                    if next == after.get() {
                        break;
                    }
                    after.set(next);
                }
                None
            }
        },
    );
}

/// Files one page of answers after `after`; where the next page starts, or `None` when the relay
/// could not be asked or a rating could not be written (asked again next round).
async fn file_page(shared: &Shared, after: i64) -> Option<i64> {
    let workspace = shared.borrow().replica.workspace;
    let page = relay_api::ratings(workspace, after).await.ok()?;
    for answer in &page.answers {
        // An answer naming no ticket of this workspace (a deleted one) is passed over.
        let Some((ticket, rating)) = answer.rating() else { continue };
        let unfiled = shared
            .borrow()
            .replica
            .model
            .tickets
            .get(&ticket)
            .is_some_and(|row| row.rating.is_none());
        if unfiled {
            let filed = crate::local::update::<Ticket>(shared, ticket, move |ticket| {
                if ticket.rating.is_none() {
                    ticket.rating = Some(rating);
                }
            })
            .await;
            filed.ok()?;
        }
    }
    Some(page.after)
}
