//! The loop every outbox service runs (mail, push): take up what a previous run left half done, then
//! take due entries only when a slot is free to attempt them at once — an entry marked `sending` is one
//! being handed over, and a slow attempt does not hold up the others —, record each outcome with the
//! attempt it belongs to, tell the workspace's devices, and otherwise sleep until the next due time or
//! a wake. Each service says how one attempt goes ([`Service::attempt`]); the rest is here.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::AppState;
use crate::accounts::unix_seconds;
use crate::store::outbox::{self as ledger, Due, Outcome};

/// One kind of outbox work and how it is attempted.
pub(crate) trait Service: Clone + Send + Sync + 'static {
    /// The ledger's kind of entry this service works through (`mail`, `bulk`, `notify`).
    fn kind(&self) -> &'static str;
    /// How long one attempt may hold its entry, in seconds; a relay that dies mid-attempt takes the
    /// entry up again when it ends.
    fn lease_secs(&self) -> i64;
    /// Attempts made at once.
    fn at_once(&self) -> usize;
    /// Notified when new work is queued or a retry may be due sooner.
    fn wakes(&self) -> &tokio::sync::Notify;
    /// Spaces attempts out (a mail provider's limit): one entry is taken at a time, and only once
    /// the limiter allows — before it is marked `sending`, so a copy waiting for its turn can still
    /// be cancelled.
    fn pace(&self) -> Option<&governor::DefaultDirectRateLimiter> {
        None
    }
    /// One attempt at `entry`; the outcome is recorded by the loop.
    fn attempt(&self, state: &AppState, entry: &Due) -> impl Future<Output = Outcome> + Send;
}

/// Works through `service`'s entries until the relay stops.
pub(crate) async fn work_through<S: Service>(state: AppState, service: S) {
    let kind = service.kind();
    let now = unix_seconds();
    match state.store.run(move |db| ledger::resume_interrupted(db, kind, now)).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(kind = kind, entries = n, "taking up work the last stop left"),
        Err(error) => tracing::error!(%error, "reading the outbox failed"),
    }
    let lease = service.lease_secs();
    let slots = Arc::new(tokio::sync::Semaphore::new(service.at_once().max(1)));
    loop {
        let Ok(first) = slots.clone().acquire_owned().await else { return };
        let mut free = 1 + slots.available_permits();
        if let Some(pace) = service.pace() {
            pace.until_ready().await;
            free = 1;
        }
        let now = unix_seconds();
        let due =
            state.store.run(move |db| ledger::take_due(db, kind, now, now + lease, free)).await;
        let due = match due {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, kind = kind, "taking due work failed");
                drop(first);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if due.is_empty() {
            drop(first);
            let next = state.store.run(|db| ledger::next_due(db, kind)).await.ok().flatten();
            // Due times are whole seconds: look when the next one's second has begun.
            let wait = next.map_or(60_000, |at| {
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                (at * 1000 - now_ms).clamp(50, 60_000)
            });
            tokio::select! {
                () = service.wakes().notified() => {}
                () = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
            }
            continue;
        }
        let mut first = Some(first);
        for entry in due {
            let slot = match first.take() {
                Some(slot) => slot,
                None => match slots.clone().acquire_owned().await {
                    Ok(slot) => slot,
                    Err(_) => return,
                },
            };
            let (state, service) = (state.clone(), service.clone());
            tokio::spawn(async move {
                let outcome = service.attempt(&state, &entry).await;
                record(&state, &entry, outcome).await;
                drop(slot);
                // A retry may now be due sooner than the loop planned to look.
                service.wakes().notify_one();
            });
        }
    }
}

/// Records how `entry`'s attempt ended — only if that attempt is still the one under way — and tells
/// the workspace's devices.
async fn record(state: &AppState, entry: &Due, outcome: Outcome) {
    if let Outcome::Retry { reason, .. } | Outcome::Failed { reason } = &outcome {
        tracing::warn!(kind = %entry.kind, id = %entry.id, attempt = entry.attempt, %reason, "not done");
    }
    let (workspace, id) = (entry.workspace.clone(), entry.id.clone());
    let (now, attempt) = (unix_seconds(), entry.attempt);
    let finished = state
        .store
        .run(move |db| ledger::finish(db, &workspace, &id, attempt, &outcome, now))
        .await;
    match finished {
        Ok(()) => state.hub.outbox_changed(&entry.workspace).await,
        // The entry stays `sending` and is taken up again when its lease ends.
        Err(error) => tracing::error!(%error, id = %entry.id, "recording an outcome failed"),
    }
}
