//! The ledger of things a workspace's devices do once although every one of them sees the cause (an
//! escalation of a breached ticket): `POST /api/workspaces/{id}/once/{key}` takes a key for two
//! minutes (`--once-hold-secs`; 204; 409 while another device holds it; 410 once done), `POST …/once/{key}/done` says it
//! is done (204; 409 from a device that does not hold it; 410 done already; 404 for a key nobody
//! took). Members who may
//! write only; a key is what a device derived from the cause (`rapport_core::outbox::OutboxId`), and
//! the relay knows nothing of what it names.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use rapport_core::outbox::OutboxId;

use crate::AppState;
use crate::accounts::{Refusal, Why, unix_seconds};
use crate::store::StoreError;
use crate::store::once::{self as store, Claim};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces/{id}/once/{key}", post(take))
        .route("/api/workspaces/{id}/once/{key}/done", post(done))
}

fn key_of(text: &str) -> Result<OutboxId, Refusal> {
    OutboxId::parse(text).map_err(|_| Refusal(StatusCode::NOT_FOUND, Why::NoSuchKey, None))
}

fn answer(claim: Claim) -> Result<StatusCode, Refusal> {
    match claim {
        Claim::Held => Ok(StatusCode::NO_CONTENT),
        Claim::Elsewhere => Err(Refusal(StatusCode::CONFLICT, Why::HeldElsewhere, None)),
        Claim::Done => Err(Refusal(StatusCode::GONE, Why::AlreadyDone, None)),
        Claim::Full => Err(Refusal(StatusCode::TOO_MANY_REQUESTS, Why::LedgerFull, None)),
    }
}

/// A step on `key` of `workspace` by the caller's page: `step(db, workspace, key, holder, now)`.
async fn ledger_step<T: Send + 'static>(
    state: &AppState,
    headers: &HeaderMap,
    (workspace, key): (String, String),
    step: impl FnOnce(&mut rusqlite::Connection, &str, &str, &str, i64) -> Result<T, StoreError>
    + Send
    + 'static,
) -> Result<T, Refusal> {
    let holder = crate::inbound::filer(state, headers, workspace.clone()).await?;
    let key = key_of(&key)?;
    let now = unix_seconds();
    Ok(state.store.run(move |db| step(db, &workspace, key.as_str(), &holder, now)).await?)
}

/// This device does `key`: nobody else may for a while.
async fn take(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
) -> Result<StatusCode, Refusal> {
    let hold = state.limits.once_hold_secs;
    let claim = ledger_step(&state, &headers, path, move |db, workspace, key, holder, now| {
        store::take(db, workspace, key, holder, now, now + hold)
    })
    .await?;
    answer(claim)
}

/// `key` is done (the change is on the device, on its way to the relay).
async fn done(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
) -> Result<StatusCode, Refusal> {
    let claim = ledger_step(&state, &headers, path, store::done).await?;
    match claim {
        None => Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchKey, None)),
        Some(Claim::Elsewhere) => Err(Refusal(StatusCode::CONFLICT, Why::NotHeld, None)),
        Some(claim) => answer(claim),
    }
}
