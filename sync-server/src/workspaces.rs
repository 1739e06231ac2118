//! Workspaces on the relay and who may use them: create one for a device's local workspace, list mine,
//! invite by code with a role, join, remove a member, and issue the short-lived single-use ticket that
//! opens the sync socket.
//!
//! Deny by default: every route checks the caller's membership first, and a workspace the caller does
//! not belong to is answered exactly like one that does not exist (404), so ids cannot be probed.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rapport_core::ids::WorkspaceId;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounts::{
    Refusal, Why, bad_request, hash_token, random_token, signed_in, unix_seconds,
};
use crate::store::{self, Membership, Role, StoreError};

/// How long an invitation code works.
pub const INVITE_SECONDS: i64 = 7 * 24 * 3600;
/// How long a sync ticket works: just long enough to open the socket it was asked for.
pub const TICKET_SECONDS: i64 = 60;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces", post(create).get(list))
        .route("/api/workspaces/{id}/members", get(members))
        .route("/api/workspaces/{id}/members/{account}", delete(remove))
        .route("/api/workspaces/{id}/invites", post(invite))
        .route("/api/workspaces/{id}/tickets", post(ticket))
        .route("/api/invites/{code}", post(accept))
}

#[derive(Debug, Deserialize)]
struct NewWorkspace {
    id: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct WorkspaceView {
    id: String,
    name: String,
    role: &'static str,
}

impl From<Membership> for WorkspaceView {
    fn from(m: Membership) -> WorkspaceView {
        WorkspaceView { id: m.workspace, name: m.name, role: m.role.as_str() }
    }
}

fn not_found() -> Refusal {
    Refusal(StatusCode::NOT_FOUND, Why::NoSuchWorkspace)
}

/// The caller's membership of workspace `id`, or the same 404 as for a workspace that does not exist.
async fn member_of(
    state: &AppState,
    headers: &HeaderMap,
    id: String,
) -> Result<(i64, Membership), Refusal> {
    let account = signed_in(state, headers).await?;
    let found = state.store.run(move |db| store::membership(db, &id, account.id)).await?;
    found.map(|membership| (account.id, membership)).ok_or_else(not_found)
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(form): Json<NewWorkspace>,
) -> Result<Response, Refusal> {
    let account = signed_in(&state, &headers).await?;
    let id: WorkspaceId = form.id.parse().map_err(|_| bad_request(Why::BadWorkspaceId))?;
    let id = id.to_string();
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad_request(Why::NameNeeded));
    }
    let now = unix_seconds();
    let (ws_id, ws_name) = (id.clone(), name.clone());
    let created = state
        .store
        .run(move |db| store::create_workspace(db, &ws_id, &ws_name, account.id, now))
        .await;
    match created {
        Ok(()) => {
            let view = WorkspaceView { id, name, role: Role::Owner.as_str() };
            Ok((StatusCode::CREATED, Json(view)).into_response())
        }
        // A device connecting its workspace again: fine if it is already this account's.
        Err(StoreError::Duplicate) => {
            let mine = state.store.run(move |db| store::membership(db, &id, account.id)).await?;
            match mine {
                Some(membership) => Ok(Json(WorkspaceView::from(membership)).into_response()),
                None => Err(Refusal(StatusCode::CONFLICT, Why::WorkspaceIdTaken)),
            }
        }
        Err(error) => Err(error.into()),
    }
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<WorkspaceView>>, Refusal> {
    let account = signed_in(&state, &headers).await?;
    let mine = state.store.run(move |db| store::memberships_of(db, account.id)).await?;
    Ok(Json(mine.into_iter().map(WorkspaceView::from).collect()))
}

#[derive(Debug, Serialize)]
struct MemberView {
    account: i64,
    email: String,
    name: String,
    role: &'static str,
}

async fn members(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Vec<MemberView>>, Refusal> {
    let (_, membership) = member_of(&state, &headers, id).await?;
    let workspace = membership.workspace;
    let all = state.store.run(move |db| store::members(db, &workspace)).await?;
    Ok(Json(
        all.into_iter()
            .map(|(a, role)| MemberView {
                account: a.id,
                email: a.email,
                name: a.name,
                role: role.as_str(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
struct NewInvite {
    role: String,
}

async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(form): Json<NewInvite>,
) -> Result<Response, Refusal> {
    let (_, membership) = member_of(&state, &headers, id).await?;
    if !membership.role.manages() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::OnlyManagersInvite));
    }
    let role = Role::parse(&form.role)
        .filter(|role| *role != Role::Owner)
        .ok_or_else(|| bad_request(Why::BadRole))?;
    if role < membership.role {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::InviteAboveRole));
    }
    let code = random_token();
    let code_hash = hash_token(&code);
    let expires = unix_seconds() + INVITE_SECONDS;
    let workspace = membership.workspace;
    state
        .store
        .run(move |db| store::create_invite(db, &code_hash, &workspace, role, expires))
        .await?;
    let body = serde_json::json!({ "code": code, "role": role.as_str(), "expires_in_seconds": INVITE_SECONDS });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<WorkspaceView>, Refusal> {
    let account = signed_in(&state, &headers).await?;
    let code_hash = hash_token(&code);
    let now = unix_seconds();
    let joined =
        state.store.run(move |db| store::accept_invite(db, &code_hash, account.id, now)).await?;
    joined
        .map(|membership| Json(WorkspaceView::from(membership)))
        .ok_or(Refusal(StatusCode::NOT_FOUND, Why::InviteUnknown))
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, account)): Path<(String, i64)>,
) -> Result<Response, Refusal> {
    let (me, membership) = member_of(&state, &headers, id).await?;
    let workspace = membership.workspace.clone();
    if account != me {
        if !membership.role.manages() {
            return Err(Refusal(StatusCode::FORBIDDEN, Why::OnlyManagersRemove));
        }
        let lookup = workspace.clone();
        let target = state.store.run(move |db| store::membership(db, &lookup, account)).await?;
        if target.is_some_and(|target| target.role < membership.role) {
            return Err(Refusal(StatusCode::FORBIDDEN, Why::RemoveAboveRole));
        }
    }
    let removed_from = workspace.clone();
    match state.store.run(move |db| store::remove_member(db, &workspace, account)).await {
        Ok(true) => {
            // Open sync sockets end now, not when they next reconnect.
            state.hub.revoke(&removed_from, account);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Ok(false) => Err(Refusal(StatusCode::NOT_FOUND, Why::NotAMember)),
        Err(StoreError::LastOwner) => Err(Refusal(StatusCode::CONFLICT, Why::LastOwner)),
        Err(error) => Err(error.into()),
    }
}

async fn ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let (account, membership) = member_of(&state, &headers, id).await?;
    let ticket = random_token();
    let ticket_hash = hash_token(&ticket);
    let expires = unix_seconds() + TICKET_SECONDS;
    let workspace = membership.workspace;
    state
        .store
        .run(move |db| store::create_ticket(db, &ticket_hash, account, &workspace, expires))
        .await?;
    let body = serde_json::json!({ "ticket": ticket, "expires_in_seconds": TICKET_SECONDS });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
