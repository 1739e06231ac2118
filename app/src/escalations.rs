//! Escalation rules on the device (`rapport_core::escalation`): every device that may write looks for
//! breaches its rules call to escalate, and the one that takes a breach's key in the relay's ledger
//! applies the rule — the ticket raised, reassigned or moved and a line saying so, the notification
//! queued — and says it is done. A breach another device holds or has done is left to it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use rapport_core::escalation;
use rapport_core::ids::TicketEventId;
use rapport_core::model::Ticket;
use rapport_core::read_model::Changed;

use crate::local::{self, Shared};
use crate::outbox::OutboxCtx;
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// How often breaches are looked for besides the moments below, in case a notice was missed.
const IDLE_MS: u32 = 15_000;

/// Looks for breaches whenever the relay says its services changed, the device comes in step, a
/// stamp is heard (the relay's time of an event, which may put a deadline in the past), a rule or a
/// ticket changes (a rule added applies at once) — and at the next deadline a rule watches, the same
/// moment on every device.
pub(crate) fn start(
    ctx: OutboxCtx,
    workspace: WorkspaceCtx,
    sync: SyncCtx,
    account: Option<crate::account::AccountCtx>,
) {
    // Every relay that says what it offers keeps the ledger.
    let offered = |ctx: &OutboxCtx| ctx.relay_mail.get().is_some();
    let stamps_heard = Memo::new(move |_| ctx.outbox.with(|outbox| outbox.stamps_heard()));
    let wake = move || {
        // Read, not only tracked: a memo nobody reads is never computed, so it would never change.
        let _ = stamps_heard.get();
        workspace.read_of(Changed::SETTINGS | Changed::TICKETS, |_| ());
    };
    // Keys this page applied but could not say were done (the relay out of reach): said next round,
    // before their hold ends and another device would apply them again.
    let unsaid: Rc<RefCell<Vec<String>>> = Rc::default();
    crate::outbox::writer_rounds(
        ctx,
        (workspace, sync),
        account,
        offered,
        (wake, IDLE_MS),
        move |shared| {
            let unsaid = unsaid.clone();
            async move { escalate(ctx, &shared, &unsaid).await }
        },
    );
}

/// Applies every rule due now whose breach no other device holds or did, and says in how many
/// milliseconds the next deadline a rule watches comes; stops at the first the relay or the device's
/// storage failed (asked again next round: a key taken stays this page's).
async fn escalate(ctx: OutboxCtx, shared: &Shared, unsaid: &RefCell<Vec<String>>) -> Option<u32> {
    let workspace = shared.borrow().replica.workspace;
    relay_api::say_unsaid(workspace, unsaid).await;
    let now = local::now();
    let (breaches, workspace, me, rules) = {
        let borrowed = shared.borrow();
        let replica = &borrowed.replica;
        let breaches = ctx.outbox.with_untracked(|outbox| {
            escalation::due(
                &replica.model,
                &replica.settings,
                replica.workspace,
                |id| outbox.stamp(id),
                now,
            )
        });
        (breaches, replica.workspace, replica.me, replica.settings.escalation_rules.clone())
    };
    // A few milliseconds past the deadline, so that it has passed when looked at; counted from when
    // this round ends, so that every device looks at the same moment however long its round took.
    let again = || {
        breaches
            .next
            .map(|next| u32::try_from((next.0 - local::now().0).max(0) + 5).unwrap_or(u32::MAX))
    };
    for breach in breaches.due.iter().cloned() {
        let Some(rule) = rules.get(&breach.rule).cloned() else { continue };
        match relay_api::once(workspace, breach.key.as_str(), "").await {
            204 => {}
            // Another device does it, or did.
            409 | 410 => continue,
            _ => return again(),
        }
        let event = TicketEventId::generate(&mut local::BrowserIds).to_string();
        let applied = Rc::new(Cell::new(false));
        let subject = Rc::new(RefCell::new(String::new()));
        let (told, named, apply, changed_rule) =
            (applied.clone(), subject.clone(), breach.clone(), rule.clone());
        let written = local::update::<Ticket>(shared, breach.ticket, move |ticket| {
            told.set(apply.apply(&changed_rule, ticket, event, now, me));
            *named.borrow_mut() = ticket.subject.clone();
        })
        .await;
        if written.is_err() {
            return again();
        }
        if applied.get() {
            let subject = subject.borrow().clone();
            if let Some((id, work)) = breach.notification(&rule, workspace, &subject, now)
                && ctx.queue(shared, id, work).await.is_err()
            {
                return again();
            }
        }
        relay_api::say_done(workspace, breach.key.to_string(), unsaid).await;
    }
    again()
}
