//! The device's outbox, driven: work queued here (a mail to send, a reminder to push when due) is kept
//! on the device until the relay has it, handed over whenever the workspace is connected, and the
//! relay's ledger is followed so every screen shows where each piece of work stands — on every device
//! of the workspace. The decisions (what is queued once, which reminders the records call for
//! (`rapport_core::jobs`), what the relay's answer means, which ledger entry is newer) are core's;
//! this module only stores, fetches and waits.

use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::attachments::Uploads;
use rapport_core::ids::WorkspaceId;
use rapport_core::jobs::{self, Job};
use rapport_core::outbox::{BatchOutcome, DeviceOutbox, Handover, OutboxId, Work};

use crate::local::{self, Shared};
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::storage::StorageError;
use crate::sync::{SyncCtx, SyncStatus};

/// How often the ledger is asked for news while something is on its way, and otherwise (colleagues'
/// mail) while connected.
const BUSY_MS: u32 = 3_000;
/// The relay's page of consent events: a full one means more may follow.
const CONSENT_PAGE: usize = 500;
const IDLE_MS: u32 = 30_000;
/// Cancels answered between two writes of the outbox to the device.
const CANCELS_KEPT: usize = 100;
/// How long the browser's push service has to accept a subscription.
const SUBSCRIBE_WITHIN_MS: u32 = 20_000;

#[derive(Clone, Copy, Debug)]
pub struct OutboxCtx {
    /// The outbox as last kept on the device.
    pub outbox: RwSignal<DeviceOutbox>,
    /// Whether the relay sends this workspace's mail; `None` until it is asked (offline, not linked).
    pub relay_mail: RwSignal<Option<bool>>,
    /// The sender the relay writes as, when it sends mail.
    pub mail_from: RwSignal<Option<String>>,
    /// Whether the relay pushes reminders; `None` until it is asked.
    pub relay_push: RwSignal<Option<bool>>,
    /// This browser's push subscription as the relay last heard of it: `Ok` once registered this
    /// session, `Err` with why it could not be (no permission, no push service reachable).
    pub push_subscribed: RwSignal<Option<Result<(), String>>>,
    /// Files attached on this device that the relay does not hold yet (`crate::attachments`).
    pub uploads: RwSignal<Uploads>,
    /// Whether the relay keeps files; `None` until it is asked.
    pub relay_files: RwSignal<Option<bool>>,
    /// Whether the relay receives mail for a support address; `None` until it is asked.
    pub relay_inbound: RwSignal<Option<bool>>,
    /// The workspace's support address (replies sent as mail are answered to it), once made.
    pub support_address: RwSignal<Option<String>>,
    /// The relay's opt-outs, opens and clicks have been asked for since the page opened: what is
    /// decided from them (a sequence's branch, who may be mailed) waits for it.
    pub news_heard: RwSignal<bool>,
    /// A subscription attempt is under way.
    subscribing: StoredValue<bool>,
    wake: StoredValue<Option<UnboundedSender<()>>, LocalStorage>,
}

impl OutboxCtx {
    /// Creates the handle, puts it in context and starts handing work over for `workspace`.
    pub fn provide(workspace: WorkspaceCtx, sync: SyncCtx) -> OutboxCtx {
        let (sender, inbox) = unbounded();
        let ctx = OutboxCtx {
            outbox: RwSignal::new(DeviceOutbox::default()),
            relay_mail: RwSignal::new(None),
            mail_from: RwSignal::new(None),
            relay_push: RwSignal::new(None),
            push_subscribed: RwSignal::new(None),
            uploads: RwSignal::new(Uploads::default()),
            relay_files: RwSignal::new(None),
            relay_inbound: RwSignal::new(None),
            support_address: RwSignal::new(None),
            news_heard: RwSignal::new(false),
            subscribing: StoredValue::new(false),
            wake: StoredValue::new_local(Some(sender)),
        };
        provide_context(ctx);
        // Connected again: hand over what waited, and hear what happened meanwhile. And whenever the
        // relay says the ledger changed (a colleague's mail queued, a mail sent).
        Effect::new(move || {
            sync.outbox_news.track();
            if connected(&sync.status.get()) {
                ctx.wake();
            }
        });
        // Tasks, parties, contacts, tickets or contracts changed (here or by a colleague): the
        // reminders they call for are brought in line with the relay's jobs now, not at the next idle
        // round.
        Effect::new(move || {
            use rapport_core::read_model::Changed;
            let kinds = Changed::TASKS
                | Changed::PARTIES
                | Changed::INTERACTIONS
                | Changed::TICKETS
                | Changed::SETTINGS
                | Changed::CONTRACTS
                | Changed::MARKETING;
            if workspace.read_of(kinds, |_| ()).is_some() {
                ctx.wake();
            }
        });
        let account = use_context::<crate::account::AccountCtx>();
        spawn_local(run(ctx, workspace, sync, account, inbox));
        crate::inbound::start(ctx, workspace, sync, account);
        crate::ratings::start(ctx, workspace, sync, account);
        crate::escalations::start(ctx, workspace, sync, account);
        crate::lead_scores::start(ctx, workspace, sync, account);
        crate::sequences::start(ctx, workspace, sync, account);
        crate::automations::start(ctx, workspace, sync, account);
        crate::publishing::start(ctx, workspace, sync, account);
        ctx
    }

    pub fn use_ctx() -> OutboxCtx {
        expect_context::<OutboxCtx>()
    }

    /// Ask the relay now (something changed there that this device caused).
    pub fn refresh(&self) {
        self.wake();
    }

    fn wake(&self) {
        self.wake.with_value(|sender| {
            if let Some(sender) = sender {
                let _ = sender.unbounded_send(());
            }
        });
    }

    /// Queues `work` under `id` on this device (once: a second call with the same id does nothing);
    /// resolves once it is stored, so it survives a closed tab, then hands it over when it can.
    pub async fn queue(
        &self,
        shared: &Shared,
        id: OutboxId,
        work: Work,
    ) -> Result<(), StorageError> {
        self.queue_as(shared, id, work, false).await
    }

    /// [`OutboxCtx::queue`] for once-only work (`Waiting::from_runner`): a sequence's or an
    /// automation's mail is never withdrawn as a stale campaign copy.
    pub async fn queue_from_runner(
        &self,
        shared: &Shared,
        id: OutboxId,
        work: Work,
    ) -> Result<(), StorageError> {
        self.queue_as(shared, id, work, true).await
    }

    async fn queue_as(
        &self,
        shared: &Shared,
        id: OutboxId,
        work: Work,
        from_runner: bool,
    ) -> Result<(), StorageError> {
        // Changed in memory at once (a round with the relay that is storing its own change meanwhile
        // keeps this one: see `keep`), then stored as it now is.
        let mut queued = false;
        let now = js_sys::Date::now() as i64;
        self.outbox.update(|outbox| {
            queued = if from_runner {
                outbox.queue_from_runner(id, work, now)
            } else {
                outbox.queue(id, work, now)
            }
        });
        if queued {
            local::keep_outbox(shared, &self.outbox.get_untracked()).await?;
            self.wake();
        }
        Ok(())
    }

    /// Withdraws a campaign's copies taken back (`DeviceOutbox::withdraw_many`); resolves once that
    /// is stored.
    pub async fn withdraw_many(
        &self,
        shared: &Shared,
        ids: Vec<OutboxId>,
    ) -> Result<(), StorageError> {
        let mut changed = 0;
        self.outbox.update(|outbox| changed = outbox.withdraw_many(ids));
        if changed > 0 {
            local::keep_outbox(shared, &self.outbox.get_untracked()).await?;
            self.wake();
        }
        Ok(())
    }

    /// Queues each of `items` as [`OutboxCtx::queue`] does, stored once for them all (a campaign's
    /// thousands of copies); resolves once they are stored. Returns how many were queued.
    pub async fn queue_many(
        &self,
        shared: &Shared,
        items: Vec<(OutboxId, Work)>,
    ) -> Result<usize, StorageError> {
        let mut queued = 0;
        self.outbox.update(|outbox| queued = outbox.queue_many(items, js_sys::Date::now() as i64));
        if queued > 0 {
            local::keep_outbox(shared, &self.outbox.get_untracked()).await?;
            self.wake();
        }
        Ok(queued)
    }
}

/// Runs `round` whenever the relay says on the sync socket that its services changed, the device
/// comes in step, a signal `wake` reads changes or the relay turns out to offer the service `offered`
/// says — and after `idle_ms`, in case a notice was missed (a reconnect), or sooner when the round
/// asks to run again in so many milliseconds — as long as the device is in step (one still pulling
/// might not hold the records a round writes to), its member may write, and the relay offers the
/// service. Its own loop: the outbox's rounds (a backlog of reminders handed over) never hold it back.
pub(crate) fn writer_rounds<Round, Done>(
    ctx: OutboxCtx,
    (workspace, sync): (WorkspaceCtx, SyncCtx),
    account: Option<crate::account::AccountCtx>,
    offered: fn(&OutboxCtx) -> bool,
    (wake, idle_ms): (impl Fn() + 'static, u32),
    mut round: Round,
) where
    Round: FnMut(Shared) -> Done + 'static,
    Done: std::future::Future<Output = Option<u32>> + 'static,
{
    let (sender, mut inbox) = unbounded::<()>();
    Effect::new(move || {
        sync.outbox_news.track();
        wake();
        let in_step = matches!(sync.status.get(), SyncStatus::Synced);
        if in_step && offered(&ctx) {
            let _ = sender.unbounded_send(());
        }
    });
    spawn_local(async move {
        let Some(shared) = workspace.shared_once_open().await else { return };
        let mut again = None;
        loop {
            let wait =
                gloo_timers::future::TimeoutFuture::new(again.unwrap_or(idle_ms).min(idle_ms));
            futures_util::future::select(inbox.next(), wait).await;
            while inbox.try_recv().is_ok() {}
            let in_step = matches!(sync.status.get_untracked(), SyncStatus::Synced);
            let writes = account.is_some_and(|account| !account.view_only.get_untracked());
            again = None;
            if in_step && writes && untrack(|| offered(&ctx)) {
                again = round(shared.clone()).await;
            }
        }
    });
}

fn connected(status: &SyncStatus) -> bool {
    matches!(status, SyncStatus::Syncing | SyncStatus::Synced)
}

async fn run(
    ctx: OutboxCtx,
    workspace: WorkspaceCtx,
    sync: SyncCtx,
    account: Option<crate::account::AccountCtx>,
    mut inbox: UnboundedReceiver<()>,
) {
    let Some(shared) = workspace.shared_once_open().await else { return };
    let mut loaded: Option<WorkspaceId> = None;
    loop {
        // The device switched workspaces: its outbox is another one.
        let id = shared.borrow().replica.workspace;
        if loaded != Some(id) {
            ctx.outbox.set(local::outbox(&shared).await);
            ctx.uploads.set(local::uploads(&shared).await);
            ctx.relay_mail.set(None);
            ctx.relay_push.set(None);
            ctx.relay_files.set(None);
            ctx.relay_inbound.set(None);
            ctx.support_address.set(None);
            // The relay's news of this workspace is still to be heard.
            ctx.news_heard.set(false);
            loaded = Some(id);
        }
        if connected(&sync.status.get_untracked()) {
            // Only from a device that is in step (a half-synced one would register stale versions)
            // and may change the workspace (a viewer's registrations are refused).
            let in_step = matches!(sync.status.get_untracked(), SyncStatus::Synced);
            let writes = account.is_some_and(|account| !account.view_only.get_untracked());
            if in_step && writes {
                withdraw_taken_back(ctx, &shared, workspace).await;
            }
            exchange(ctx, &shared, id, in_step).await;
            if in_step && writes {
                stamp_recent_events(ctx, &shared).await;
            }
            if ctx.relay_push.get_untracked() == Some(true) && in_step && writes {
                register_reminders(ctx, &shared).await;
                subscribe_once(ctx);
            }
            if writes {
                send_files(ctx, &shared, id).await;
            }
        }
        let busy = ctx.outbox.with_untracked(|outbox| outbox.unsettled())
            || (ctx.relay_files.get_untracked() == Some(true)
                && ctx.uploads.with_untracked(|uploads| !uploads.waiting().is_empty()));
        let wait = gloo_timers::future::TimeoutFuture::new(if busy { BUSY_MS } else { IDLE_MS });
        futures_util::future::select(inbox.next(), wait).await;
        // Many wakes while one round ran (a burst of edits, a colleague's batch): one round serves all.
        while inbox.try_recv().is_ok() {}
    }
}

/// Withdraws the copies of every campaign scheduled and then taken back (here or by a colleague),
/// and any copy waiting here of a round since taken back: those waiting here are forgotten, those
/// the relay holds waiting are cancelled.
async fn withdraw_taken_back(ctx: OutboxCtx, shared: &Shared, workspace: WorkspaceCtx) {
    let withdrawn = ctx.outbox.with_untracked(|outbox| {
        workspace
            .read(|ws| rapport_core::campaigns::withdrawn_copies(ws.workspace, &ws.model, outbox))
    });
    let Some(withdrawn) = withdrawn.filter(|ids| !ids.is_empty()) else { return };
    let mut next = ctx.outbox.get_untracked();
    if next.withdraw_many(withdrawn) > 0 {
        keep(ctx, shared, next).await;
    }
}

/// One round with the relay: what the services are, every waiting piece of work handed over and
/// every cancelled job cancelled, the ledger's changes taken in. Each change is kept on the device
/// before the next step. A campaign's copies go only from a device `in_step` with the workspace's
/// records: one back online after days hands over none of a campaign a colleague took back meanwhile.
async fn exchange(ctx: OutboxCtx, shared: &Shared, workspace: WorkspaceId, in_step: bool) {
    if ctx.relay_mail.get_untracked().is_none()
        && let Ok(services) = relay_api::services(workspace).await
    {
        ctx.relay_mail.set(Some(services.mail));
        ctx.mail_from.set(services.mail_from);
        ctx.relay_push.set(Some(services.push));
        ctx.relay_inbound.set(Some(services.inbound));
        ctx.support_address.set(services.support_address);
    }
    // Kept every so many answers rather than after each: a campaign taken back cancels thousands,
    // and a cancel answered but not kept is only asked again (the relay answers the same).
    let cancelling = ctx.outbox.with_untracked(|outbox| outbox.cancelling().to_vec());
    let mut answered = 0;
    for id in cancelling {
        let (status, body) = relay_api::cancel_job(workspace, &id).await;
        let mut next = ctx.outbox.get_untracked();
        let later = next.cancel_answered(&id, status, &body) == Handover::Later;
        answered += 1;
        if later || answered % CANCELS_KEPT == 0 {
            keep(ctx, shared, next).await;
        } else {
            ctx.outbox.set(next);
        }
        if later {
            break;
        }
    }
    if answered % CANCELS_KEPT != 0 {
        keep(ctx, shared, ctx.outbox.get_untracked()).await;
    }
    // In batches (a campaign's thousands of mails are a few requests and a few writes here), a mail
    // someone just wrote before a backlog of reminders.
    let batches =
        ctx.outbox.with_untracked(DeviceOutbox::batches).into_iter().filter_map(|mut batch| {
            batch.retain(|item| in_step || item.work.kind() != "bulk");
            (!batch.is_empty()).then_some(batch)
        });
    'batches: for batch in batches {
        let (status, body) = relay_api::hand_over_batch(workspace, &batch).await;
        let mut next = ctx.outbox.get_untracked();
        match next.batch_answered(&batch, status, &body) {
            BatchOutcome::Done => keep(ctx, shared, next).await,
            // Not now: the rest would meet the same answer.
            BatchOutcome::Later => {
                keep(ctx, shared, next).await;
                break;
            }
            // A relay (or a proxy before it) that takes no batch, or not this one: one by one.
            BatchOutcome::OneByOne => {
                for item in batch {
                    let (status, body) =
                        relay_api::hand_over(workspace, &item.id, &item.work).await;
                    let mut next = ctx.outbox.get_untracked();
                    let handover = next.handed_over(&item.id, status, &body);
                    keep(ctx, shared, next).await;
                    if handover == Handover::Later {
                        break 'batches;
                    }
                }
            }
        }
    }
    // Who opted out: the composer says so before anything is queued.
    let mut heard = true;
    loop {
        let after = ctx.outbox.with_untracked(DeviceOutbox::consent_seq);
        let Ok(log) = relay_api::consent_log(workspace, after).await else {
            heard = false;
            break;
        };
        let full = log.events.len() >= CONSENT_PAGE;
        let mut next = ctx.outbox.get_untracked();
        if next.apply_consent(log.events) {
            keep(ctx, shared, next).await;
        }
        if !full {
            break;
        }
    }
    // Opens and clicks of tracked campaign mail.
    loop {
        let after = ctx.outbox.with_untracked(DeviceOutbox::engagement_seq);
        let Ok(log) = relay_api::engagement_log(workspace, after).await else {
            heard = false;
            break;
        };
        let more = log.more && log.after > after;
        let mut next = ctx.outbox.get_untracked();
        if next.apply_engagement(log.events, log.after) {
            keep(ctx, shared, next).await;
        }
        if !more {
            break;
        }
    }
    if heard && !ctx.news_heard.get_untracked() {
        ctx.news_heard.set(true);
    }
    loop {
        let after = ctx.outbox.with_untracked(DeviceOutbox::version);
        let Ok(changes) = relay_api::outbox_changes(workspace, after).await else { return };
        let more = changes.more;
        let mut next = ctx.outbox.get_untracked();
        if next.apply(changes) || next.version() != after {
            keep(ctx, shared, next).await;
        }
        if !more {
            return;
        }
    }
}

/// The files this device owes the relay, sent — once the relay said it keeps files, and how large
/// one may be (which the record page checks before attaching).
async fn send_files(ctx: OutboxCtx, shared: &Shared, workspace: WorkspaceId) {
    if ctx.relay_files.get_untracked().is_none() {
        match relay_api::file_usage(workspace).await {
            Ok(Some(usage)) => {
                ctx.relay_files.set(Some(true));
                if ctx.uploads.with_untracked(|u| u.most_file() != usage.most_file) {
                    let most = usage.most_file;
                    let set = crate::attachments::change_uploads(ctx, shared, move |uploads| {
                        uploads.set_most_file(most)
                    });
                    let _ = set.await;
                }
            }
            Ok(None) => ctx.relay_files.set(Some(false)),
            Err(_) => return,
        }
    }
    if ctx.relay_files.get_untracked() == Some(true) {
        crate::attachments::upload_owed(ctx, shared, workspace).await;
    }
}

/// Brings the relay's reminder jobs and SLA breach alerts in line with the records as this device
/// knows them (after the ledger's changes are in, so what the relay already holds is not handed over
/// again): what changed is queued or cancelled here and goes to the relay in the next round, which
/// starts at once.
async fn register_reminders(ctx: OutboxCtx, shared: &Shared) {
    let now = local::now();
    let mut next = ctx.outbox.get_untracked();
    let wanted = {
        let borrowed = shared.borrow();
        let replica = &borrowed.replica;
        if !replica.linked {
            return;
        }
        let mut wanted = jobs::reminder_jobs(&replica.model, replica.workspace, now);
        wanted.extend(jobs::contract_jobs(&replica.model, replica.workspace, now));
        wanted.extend(rapport_core::employee::training_jobs(
            &replica.model,
            replica.workspace,
            now,
        ));
        wanted.extend(rapport_core::employee::one_on_one_jobs(
            &replica.model,
            replica.workspace,
            now,
        ));
        // Breach alerts, at the relay's time of each ticket event this device has heard; none yet
        // for a ticket whose stamp waits here to be handed over.
        let stamping: std::collections::HashSet<&OutboxId> = next
            .waiting()
            .iter()
            .filter(|waiting| matches!(waiting.work, Work::Stamp {}))
            .map(|waiting| &waiting.id)
            .collect();
        wanted.extend(jobs::breach_jobs(
            &replica.model,
            &replica.settings,
            replica.workspace,
            |id| next.stamp(id),
            |id| stamping.contains(id),
            now,
        ));
        wanted
    };
    let mut changed = false;
    for job in wanted {
        changed |= match job {
            Job::Schedule(id, work) => next.schedule(id, work, js_sys::Date::now() as i64),
            Job::Cancel(id) => next.cancel(&id),
        };
    }
    if changed {
        let to_send = !next.waiting().is_empty() || !next.cancelling().is_empty();
        keep(ctx, shared, next).await;
        if to_send {
            ctx.wake();
        }
    }
}

/// Ticket events of the last day that no device has had stamped yet, as far as this one knows (the
/// device that wrote one was closed before it stored its stamp, or lost it): stamped now — the relay
/// keeps the first time anyone asked, so a colleague's own stamp, if it arrives, changes nothing.
/// Older events are left at their device's time rather than moved to today.
async fn stamp_recent_events(ctx: OutboxCtx, shared: &Shared) {
    const RECENT_MS: i64 = 24 * 60 * 60 * 1000;
    let now = local::now();
    let mut next = ctx.outbox.get_untracked();
    let mut queued = false;
    {
        let borrowed = shared.borrow();
        let replica = &borrowed.replica;
        if !replica.linked {
            return;
        }
        for ticket in replica.model.tickets.values() {
            for event in &ticket.events {
                // A mail received is at the relay's time already.
                if event.relay_time || (event.at.0 - now.0).abs() > RECENT_MS {
                    continue;
                }
                let id = rapport_core::service::stamp_id(replica.workspace, ticket.id, &event.id);
                queued |= next.queue(id, Work::Stamp {}, js_sys::Date::now() as i64);
            }
        }
    }
    if queued {
        keep(ctx, shared, next).await;
        ctx.wake();
    }
}

/// Registers this browser for pushed reminders once a session, where notifications are allowed — on
/// the side, never holding up the outbox: a browser's push service may take long to answer, or never
/// (no network to it), and then the attempt is given up after [`SUBSCRIBE_WITHIN_MS`].
fn subscribe_once(ctx: OutboxCtx) {
    if ctx.push_subscribed.get_untracked().is_some()
        || ctx.subscribing.get_value()
        || crate::reminders::permission() != "granted"
    {
        return;
    }
    ctx.subscribing.set_value(true);
    spawn_local(async move {
        let attempt = Box::pin(crate::reminders::subscribe_push());
        let deadline = gloo_timers::future::TimeoutFuture::new(SUBSCRIBE_WITHIN_MS);
        let subscribed = match futures_util::future::select(attempt, deadline).await {
            futures_util::future::Either::Left((subscribed, _)) => subscribed,
            futures_util::future::Either::Right(_) => {
                Err(leptos_i18n::td_string!(crate::locale::current(), reminders.no_push_service)
                    .to_owned())
            }
        };
        if let Err(reason) = &subscribed {
            let said = format!("Pushed reminders are off on this device: {reason}");
            web_sys::console::warn_1(&said.into());
        }
        ctx.push_subscribed.set(Some(subscribed));
        ctx.subscribing.set_value(false);
    });
}

async fn keep(ctx: OutboxCtx, shared: &Shared, next: DeviceOutbox) {
    // In memory first, before anything is awaited: `next` was made from the outbox as it was a moment
    // ago with no await since, so nothing queued meanwhile (a stamp, a mail) is lost by setting it. Then
    // stored as it is now; kept in memory even if the device refuses it: the relay has the work, and the
    // next round writes again.
    ctx.outbox.set(next);
    let _ = local::keep_outbox(shared, &ctx.outbox.get_untracked()).await;
}

/// Waits (a minute at most) until the relay has confirmed every record a round of once-only work
/// wrote (ids as text) and holds every piece of work it queued: only then is its ledger key said
/// done, so a device lost before leaves the work to another.
pub(crate) async fn held_by_the_relay(
    ctx: OutboxCtx,
    shared: &Shared,
    records: &[&String],
    queued: &[&OutboxId],
) -> bool {
    const EVERY_MS: u32 = 100;
    const WITHIN_MS: u32 = 60_000;
    for _ in 0..WITHIN_MS / EVERY_MS {
        let written = {
            let ws = shared.borrow();
            records.iter().all(|id| !ws.replica.is_unsynced(id))
        };
        let held = ctx.outbox.with_untracked(|outbox| {
            queued.iter().all(|id| {
                !matches!(outbox.status(id), None | Some(rapport_core::outbox::Status::Waiting))
            })
        });
        if written && held {
            return true;
        }
        gloo_timers::future::TimeoutFuture::new(EVERY_MS).await;
    }
    false
}
