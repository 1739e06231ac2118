//! The ballot box over HTTP (`rapport_core::ballot` decides what may be shown; `store::ballots`
//! keeps it): owners and admins register a survey and read what of its answers may be shown;
//! an invited member takes one single-use token for it; the answer is sent later with that token
//! alone — no session, so the request that carries an answer names nobody — and kept without the
//! token or an account. Deny by default: other workspaces get 404, members who do not manage get
//! 403 on registering and reading, someone not invited gets no token.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use rapport_core::ballot::{Ballot, MOST_ANSWER_BYTES, MOST_INVITEES, Results};
use rapport_core::workspace::member_of_account;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounts::{Refusal, Why, bad_request, hash_token, json_body, random_token, signed_in};
use crate::store::ballots::{self as store, Answered, Registered, TokenTaken};
use crate::workspaces::member_of;

/// A registration's JSON: every invitee's member id (36 characters), quoted, and team.
const MOST_REGISTRATION_BYTES: usize =
    MOST_INVITEES * (64 + rapport_core::ballot::MOST_TEAM_CHARS * 4) + 1024;
/// An answer's JSON: the token and the answer, its quotes and line ends escaped.
const MOST_ANSWER_BODY_BYTES: usize = MOST_ANSWER_BYTES * 2 + 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/workspaces/{id}/ballots/{survey}",
            get(results).put(register).layer(DefaultBodyLimit::max(MOST_REGISTRATION_BYTES)),
        )
        .route("/api/workspaces/{id}/ballots/{survey}/token", post(take_token))
        .route(
            "/api/ballots/answer",
            post(answer).layer(DefaultBodyLimit::max(MOST_ANSWER_BODY_BYTES)),
        )
}

fn now() -> i64 {
    crate::accounts::unix_seconds()
}

/// A survey's id as a path gives it: 1 to 64 letters, digits and dashes (the app's are UUIDs).
fn survey_id(text: &str) -> Result<String, Refusal> {
    let fits = (1..=64).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    fits.then(|| text.to_ascii_lowercase()).ok_or_else(|| bad_request(Why::BadBallot))
}

/// Registers a survey or changes it (owners and admins).
async fn register(
    State(state): State<AppState>,
    Path((workspace, survey)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<StatusCode, Refusal> {
    let account = signed_in(&state, request.headers()).await?;
    let (_, membership) = member_of(&state, request.headers(), workspace).await?;
    if !membership.role.manages() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::OnlyManagers, None));
    }
    let survey = survey_id(&survey)?;
    let Json(ballot): Json<Ballot> = json_body(request).await?;
    if ballot.refused().is_some() {
        return Err(bad_request(Why::BadBallot));
    }
    // Whoever reads a survey's results does not set it up: they could invite those whose answers
    // they know and leave one unknown (a manager who is an admin, their own upward reviews).
    let caller = member_of_account(&account.email);
    let caller_reads = |readers: &[String]| {
        readers.iter().any(|r| r.parse::<rapport_core::ids::MemberId>().ok() == Some(caller))
    };
    if caller_reads(&ballot.readers) {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::OwnResults, None));
    }
    let workspace = membership.workspace;
    // The clock is read once the database is this request's: every request sees the close in the
    // order they are served, so no answer is kept after a release at the close (nor a closed survey
    // moved) on a reading taken before it.
    let registered = state
        .store
        .run(move |db| {
            store::register(db, &workspace, &survey, &ballot, &caller.to_string(), now())
        })
        .await?;
    match registered {
        Registered::New => Ok(StatusCode::CREATED),
        Registered::Updated => Ok(StatusCode::NO_CONTENT),
        Registered::Locked => Err(Refusal(StatusCode::CONFLICT, Why::BallotLocked, None)),
        Registered::Full => Err(Refusal(StatusCode::CONFLICT, Why::TooManyBallots, None)),
        Registered::Invalid => Err(bad_request(Why::BadBallot)),
        Registered::ReadByCaller => Err(Refusal(StatusCode::FORBIDDEN, Why::OwnResults, None)),
    }
}

/// What of a survey's answers may be shown, with its counts: to the readers it names alone, or,
/// naming none, to owners and admins.
async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((workspace, survey)): Path<(String, String)>,
) -> Result<Json<Results>, Refusal> {
    let account = signed_in(&state, &headers).await?;
    let (_, membership) = member_of(&state, &headers, workspace).await?;
    let survey = survey_id(&survey)?;
    let member = member_of_account(&account.email).to_string();
    let manages = membership.role.manages();
    let workspace = membership.workspace;
    let found = state
        .store
        .run(move |db| {
            let readers = store::readers_of(db, &workspace, &survey)?;
            let may_read = if readers.is_empty() { manages } else { readers.contains(&member) };
            if !may_read {
                return Ok(Err(if readers.is_empty() {
                    Why::OnlyManagers
                } else {
                    Why::NotAReader
                }));
            }
            store::results(db, &workspace, &survey, now()).map(Ok)
        })
        .await?;
    match found {
        Ok(Some(results)) => Ok(Json(results)),
        Ok(None) => Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchBallot, None)),
        Err(why) => Err(Refusal(StatusCode::FORBIDDEN, why, None)),
    }
}

#[derive(Debug, Serialize)]
struct Token {
    /// The token made by the relay; none when the device chose its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// The survey's terms as the relay keeps them — its smallest group shown and who alone reads
    /// its results — so the device answers only the survey it expects.
    k: u32,
    readers: Vec<String>,
}

/// A device that chooses its own token sends only its hash (SHA-256, hex): kept before it asks, the
/// token survives an answer lost on the way, and asking again with it is answered the same.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Chosen {
    token_hash: String,
}

/// The signed-in member's single-use token for a survey they are invited to, given once: made here,
/// or chosen by the device (its hash in the body).
async fn take_token(
    State(state): State<AppState>,
    Path((workspace, survey)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<Token>), Refusal> {
    let headers = request.headers().clone();
    let account = signed_in(&state, &headers).await?;
    let (_, membership) = member_of(&state, &headers, workspace).await?;
    let survey = survey_id(&survey)?;
    let member = member_of_account(&account.email).to_string();
    let body = axum::body::to_bytes(request.into_body(), 1024)
        .await
        .map_err(|_| Refusal(StatusCode::PAYLOAD_TOO_LARGE, Why::BodyTooLarge, None))?;
    let chosen = match body.trim_ascii() {
        b"" | b"null" | b"{}" => None,
        text => {
            let chosen: Chosen =
                serde_json::from_slice(text).map_err(|_| bad_request(Why::BadForm))?;
            let well_formed = chosen.token_hash.len() == 64
                && chosen
                    .token_hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !well_formed {
                return Err(bad_request(Why::BadForm));
            }
            Some(chosen.token_hash)
        }
    };
    let (token, token_hash) = match chosen {
        Some(hash) => (None, hash),
        None => {
            let token = random_token();
            let hash = hash_token(&token);
            (Some(token), hash)
        }
    };
    let workspace = membership.workspace;
    let taken = state
        .store
        .run(move |db| {
            let taken = store::take_token(db, &workspace, &survey, &member, &token_hash, now())?;
            let terms = match taken {
                TokenTaken::Taken => store::terms(db, &workspace, &survey)?,
                _ => None,
            };
            Ok((taken, terms))
        })
        .await?;
    match taken {
        (TokenTaken::Taken, Some((k, readers))) => {
            Ok((StatusCode::CREATED, Json(Token { token, k, readers })))
        }
        (TokenTaken::Taken, None) => Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchBallot, None)),
        (TokenTaken::AlreadyTaken, _) => Err(Refusal(StatusCode::CONFLICT, Why::TokenTaken, None)),
        (TokenTaken::NotInvited, _) => Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchBallot, None)),
        (TokenTaken::Closed, _) => Err(Refusal(StatusCode::GONE, Why::BallotClosed, None)),
    }
}

#[derive(Debug, Deserialize)]
struct AnswerBody {
    token: String,
    answer: String,
}

/// An answer with its token, and nothing else: no session is read.
async fn answer(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<StatusCode, Refusal> {
    let Json(body): Json<AnswerBody> = json_body(request).await?;
    if body.answer.len() > MOST_ANSWER_BYTES {
        return Err(Refusal(StatusCode::PAYLOAD_TOO_LARGE, Why::AnswerTooLong, None));
    }
    let well_formed = body.token.len() == 64 && body.token.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchToken, None));
    }
    let token_hash = hash_token(&body.token);
    // A random id: answers are listed in no order that follows the time they came.
    let id = random_token();
    let answered =
        state.store.run(move |db| store::answer(db, &token_hash, &id, &body.answer, now())).await?;
    match answered {
        Answered::Kept => Ok(StatusCode::CREATED),
        Answered::UnknownToken => Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchToken, None)),
        Answered::Closed => Err(Refusal(StatusCode::GONE, Why::BallotClosed, None)),
    }
}
