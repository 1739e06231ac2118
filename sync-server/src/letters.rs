//! Letters over HTTP (`rapport_core::letters` decides what a letter is; `store::letters` keeps it):
//! a member sends a letter to other members of the workspace and lists the letters they sent or were
//! sent; its sender withdraws it. The relay never reads a letter's body.
//!
//! Deny by default: someone not signed in gets 401; a workspace the caller is not in (or was removed
//! from) is answered like one that does not exist (404); a letter lists only to its sender and
//! recipients; a recipient must be a member now; only its sender withdraws a letter. Any member
//! writes letters, viewers too — a letter is no workspace data.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Json, Router};
use rapport_core::letters::{MOST_BODY_BYTES, MOST_RECIPIENTS, Page, Posting};
use rapport_core::workspace::member_of_account;

use crate::AppState;
use crate::accounts::{Refusal, Why, bad_request, json_body, signed_in};
use crate::ratings::After;
use crate::store::letters::{self as store, Sent};
use crate::workspaces::member_of;

/// A posting's JSON: the recipients' ids, quoted, and the body with every character escaped at worst
/// (`\u00XX`, six bytes for one).
const MOST_POSTING_BYTES: usize = MOST_RECIPIENTS * 40 + MOST_BODY_BYTES * 6 + 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/workspaces/{id}/letters", get(list)).route(
        "/api/workspaces/{id}/letters/{letter}",
        put(send).delete(withdraw).layer(DefaultBodyLimit::max(MOST_POSTING_BYTES)),
    )
}

/// A letter's id as a path gives it: 1 to 64 letters, digits and dashes (the app's are UUIDs).
fn letter_id(text: &str) -> Result<String, Refusal> {
    let fits = (1..=64).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    fits.then(|| text.to_ascii_lowercase()).ok_or_else(|| bad_request(Why::BadLetter))
}

/// The signed-in caller's member id in workspace `id`, and the workspace's id.
async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    workspace: String,
) -> Result<(String, String), Refusal> {
    let account = signed_in(state, headers).await?;
    let (_, membership) = member_of(state, headers, workspace).await?;
    Ok((member_of_account(&account.email).to_string(), membership.workspace))
}

/// Sends letter `letter` (its id chosen by the device): 201 the first time, 200 when the same letter
/// comes again, 409 when the id is another letter's.
async fn send(
    State(state): State<AppState>,
    Path((workspace, letter)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<StatusCode, Refusal> {
    let (sender, workspace) = caller(&state, &request.headers().clone(), workspace).await?;
    let letter = letter_id(&letter)?;
    let Json(mut posting): Json<Posting> = json_body(request).await?;
    if posting.refused().is_some() {
        return Err(bad_request(Why::BadLetter));
    }
    // Ids as the relay writes them, so a retry spelled otherwise is the same letter (`refused` read
    // every one as a member id).
    posting.to = posting
        .to
        .iter()
        .filter_map(|to| to.parse::<rapport_core::ids::MemberId>().ok())
        .map(|to| to.to_string())
        .collect();
    posting.to.sort();
    let now = crate::accounts::unix_seconds();
    let sent = {
        let workspace = workspace.clone();
        state
            .store
            .run(move |db| {
                let members: Vec<String> = crate::store::members(db, &workspace)?
                    .into_iter()
                    .map(|(account, _)| member_of_account(&account.email).to_string())
                    .collect();
                if !posting.to.iter().all(|to| members.contains(to)) {
                    return Ok(None);
                }
                store::send(db, &workspace, &letter, &sender, &posting, now).map(Some)
            })
            .await?
    };
    match sent {
        None => Err(Refusal(StatusCode::UNPROCESSABLE_ENTITY, Why::NotARecipient, None)),
        Some(Sent::New) => {
            state.hub.outbox_changed(&workspace).await;
            Ok(StatusCode::CREATED)
        }
        Some(Sent::Again) => Ok(StatusCode::OK),
        Some(Sent::Taken) => Err(Refusal(StatusCode::CONFLICT, Why::LetterTaken, None)),
        Some(Sent::Full) => Err(Refusal(StatusCode::CONFLICT, Why::TooManyLetters, None)),
    }
}

/// Withdraws a letter the caller sent: 204, also when it was withdrawn before; 404 when the caller
/// sent no such letter.
async fn withdraw(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((workspace, letter)): Path<(String, String)>,
) -> Result<StatusCode, Refusal> {
    let (sender, workspace) = caller(&state, &headers, workspace).await?;
    let letter = letter_id(&letter)?;
    let found = {
        let workspace = workspace.clone();
        state.store.run(move |db| store::withdraw(db, &workspace, &letter, &sender)).await?
    };
    if !found {
        return Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchLetter, None));
    }
    state.hub.outbox_changed(&workspace).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The letters the caller sent or was sent after `after`, oldest first, a page at a time.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(workspace): Path<String>,
    Query(query): Query<After>,
) -> Result<Json<Page>, Refusal> {
    let (member, workspace) = caller(&state, &headers, workspace).await?;
    let letters =
        state.store.run(move |db| store::list(db, &workspace, &member, query.after)).await?;
    let after = letters.last().map_or(query.after, |letter| letter.seq);
    Ok(Json(Page { letters, after }))
}
