//! Workspaces on the relay and who may use them: create one for a device's local workspace, list mine,
//! invite by code with a role and a number of uses (one unless the inviter says more; each account
//! once), list and revoke pending invitations, join, remove a member (their tickets and the codes they
//! made die with their membership), and issue the short-lived single-use ticket that opens the sync
//! socket.
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

/// A new invitation code: 128 random bits in base58 (about 22 characters, no look-alike letters), short
/// enough to read out or type; it travels mostly inside a link (`/settings?invite=…`).
fn invitation_code() -> String {
    let mut bytes = [0u8; 16];
    // The operating system's randomness; a relay without it cannot issue invitations safely.
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bs58::encode(bytes).into_string()
}

/// How long an invitation code works.
pub const INVITE_SECONDS: i64 = 7 * 24 * 3600;
/// How long a sync ticket works: just long enough to open the socket it was asked for.
pub const TICKET_SECONDS: i64 = 60;
/// The most uses one invitation may be given.
pub const MAX_INVITE_USES: i64 = 100;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces", post(create).get(list))
        .route("/api/workspaces/{id}/members", get(members))
        .route("/api/workspaces/{id}/members/{account}", delete(remove))
        .route("/api/workspaces/{id}/invites", post(invite).get(pending_invites))
        .route("/api/workspaces/{id}/invites/{invite}", delete(revoke_invite))
        .route("/api/workspaces/{id}/tickets", post(ticket))
        .route("/api/workspaces/{id}/private-document", post(private_document))
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
    Refusal(StatusCode::NOT_FOUND, Why::NoSuchWorkspace, None)
}

/// The id of the caller's private document in workspace `id` (made on first asking: a random id, so
/// nobody can name it before its owner has it): any member, viewers too. Only the caller's account
/// syncs it (`sync::Connection::may_sync`).
async fn private_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let (account, membership) = member_of(&state, &headers, id).await?;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    let candidate = rapport_core::layout::DocumentId(bytes).to_string();
    let workspace = membership.workspace;
    let document = state
        .store
        .run(move |db| crate::store::private::private_document(db, &workspace, account, &candidate))
        .await?;
    Ok(Json(serde_json::json!({ "document": document })))
}

/// The caller's membership of workspace `id`, or the same 404 as for a workspace that does not exist.
pub(crate) async fn member_of(
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
    let most = state.limits.workspaces_per_account;
    let created = state
        .store
        .run(move |db| store::create_workspace(db, &ws_id, &ws_name, account.id, now, most))
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
                // Answered like any workspace the caller is not in: ids cannot be probed.
                None => Err(not_found()),
            }
        }
        Err(StoreError::TooManyWorkspaces) => {
            Err(Refusal(StatusCode::FORBIDDEN, Why::TooManyWorkspaces, None))
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
    /// How many people may join with the code; one if not said.
    uses: Option<i64>,
}

#[derive(Debug, Serialize)]
struct InviteView {
    id: String,
    role: &'static str,
    uses_left: i64,
    expires_at: i64,
    created_at: i64,
    created_by: Option<String>,
}

/// The caller's membership of workspace `id` if they manage it (owners and admins).
async fn manager_of(
    state: &AppState,
    headers: &HeaderMap,
    id: String,
    refusal: Why,
) -> Result<(i64, Membership), Refusal> {
    let (account, membership) = member_of(state, headers, id).await?;
    if !membership.role.manages() {
        return Err(Refusal(StatusCode::FORBIDDEN, refusal, None));
    }
    Ok((account, membership))
}

async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(form): Json<NewInvite>,
) -> Result<Response, Refusal> {
    let (me, membership) = manager_of(&state, &headers, id, Why::OnlyManagersInvite).await?;
    let role = Role::parse(&form.role)
        .filter(|role| *role != Role::Owner)
        .ok_or_else(|| bad_request(Why::BadRole))?;
    if role < membership.role {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::InviteAboveRole, None));
    }
    let uses = form.uses.unwrap_or(1);
    if !(1..=MAX_INVITE_USES).contains(&uses) {
        return Err(bad_request(Why::BadUses));
    }
    let code = invitation_code();
    let code_hash = hash_token(&code);
    let now = unix_seconds();
    let workspace = membership.workspace;
    state
        .store
        .run(move |db| {
            store::create_invite(
                db,
                store::NewInvite {
                    code_hash: &code_hash,
                    workspace: &workspace,
                    role,
                    uses,
                    created_by: me,
                    now,
                    expires_at: now + INVITE_SECONDS,
                },
            )
        })
        .await?;
    let body = serde_json::json!({
        "code": code,
        "role": role.as_str(),
        "uses": uses,
        "expires_in_seconds": INVITE_SECONDS,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn pending_invites(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Vec<InviteView>>, Refusal> {
    let (_, membership) = manager_of(&state, &headers, id, Why::OnlyManagersInvite).await?;
    let now = unix_seconds();
    let workspace = membership.workspace;
    let pending = state.store.run(move |db| store::invites(db, &workspace, now)).await?;
    Ok(Json(
        pending
            .into_iter()
            .map(|invite| InviteView {
                id: invite.id,
                role: invite.role.as_str(),
                uses_left: invite.uses_left,
                expires_at: invite.expires_at,
                created_at: invite.created_at,
                created_by: invite.created_by,
            })
            .collect(),
    ))
}

async fn revoke_invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, invite)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    let (_, membership) = manager_of(&state, &headers, id, Why::OnlyManagersInvite).await?;
    let workspace = membership.workspace;
    if state.store.run(move |db| store::revoke_invite(db, &workspace, &invite)).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchInvite, None))
    }
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
    joined.map(|membership| Json(WorkspaceView::from(membership))).ok_or(Refusal(
        StatusCode::NOT_FOUND,
        Why::InviteUnknown,
        None,
    ))
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
            return Err(Refusal(StatusCode::FORBIDDEN, Why::OnlyManagersRemove, None));
        }
        let lookup = workspace.clone();
        let target = state.store.run(move |db| store::membership(db, &lookup, account)).await?;
        if target.is_some_and(|target| target.role < membership.role) {
            return Err(Refusal(StatusCode::FORBIDDEN, Why::RemoveAboveRole, None));
        }
    }
    let removed_from = workspace.clone();
    match state.store.run(move |db| store::remove_member(db, &workspace, account)).await {
        Ok(true) => {
            // Open sync sockets end now, not when they next reconnect.
            state.hub.revoke(&removed_from, account);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Ok(false) => Err(Refusal(StatusCode::NOT_FOUND, Why::NotAMember, None)),
        Err(StoreError::LastOwner) => Err(Refusal(StatusCode::CONFLICT, Why::LastOwner, None)),
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
    let now = unix_seconds();
    let workspace = membership.workspace;
    let most = state.limits.tickets_per_account;
    let issued = state
        .store
        .run(move |db| {
            if store::live_tickets(db, account, now)? >= most {
                return Ok(false);
            }
            store::create_ticket(db, &ticket_hash, account, &workspace, now + TICKET_SECONDS)?;
            Ok(true)
        })
        .await?;
    if !issued {
        let wait = Some(std::time::Duration::from_secs(TICKET_SECONDS as u64));
        return Err(Refusal(StatusCode::TOO_MANY_REQUESTS, Why::TooManyTickets, wait));
    }
    let body = serde_json::json!({ "ticket": ticket, "expires_in_seconds": TICKET_SECONDS });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
