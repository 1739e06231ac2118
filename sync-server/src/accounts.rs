//! Accounts and sign-in: `POST /api/accounts` (sign up), `POST /api/sessions` (sign in),
//! `DELETE /api/sessions` (sign out), `GET /api/me`.
//!
//! Passwords are hashed with Argon2id (its default parameters) on the blocking pool. A session is a
//! random 256-bit token in an `HttpOnly`, `SameSite=Strict` cookie; the database keeps only its SHA-256,
//! so a leaked database signs nobody in. Signing in with an unknown email costs the same hash as a wrong
//! password and gets the same answer, so the endpoint does not tell which emails have accounts.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::store::{self, Account, StoreError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "rapport_session";
/// How long a sign-in lasts: a field salesperson should not be signed out during a week offline.
pub const SESSION_SECONDS: i64 = 30 * 24 * 3600;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in bytes: hashing is deliberately expensive, so its input is bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts", post(sign_up))
        .route("/api/sessions", post(sign_in).delete(sign_out))
        .route("/api/me", get(me))
}

#[derive(Debug, Deserialize)]
struct SignUp {
    email: String,
    name: String,
    password: String,
}

#[derive(Debug, Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

#[derive(Debug, Serialize)]
struct Me {
    email: String,
    name: String,
}

impl From<Account> for Me {
    fn from(account: Account) -> Me {
        Me { email: account.email, name: account.name }
    }
}

/// Why the relay refuses: a stable code the app says in its user's language, and an English sentence
/// for anyone else reading the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    DatabaseUnreachable,
    NotAnEmail,
    PasswordTooShort,
    PasswordTooLong,
    NameNeeded,
    AccountExists,
    WrongPassword,
    NotSignedIn,
    SessionFailed,
    HashFailed,
    CheckFailed,
    NoSuchWorkspace,
    BadWorkspaceId,
    WorkspaceIdTaken,
    OnlyManagersInvite,
    BadRole,
    InviteAboveRole,
    InviteUnknown,
    OnlyManagersRemove,
    RemoveAboveRole,
    NotAMember,
    LastOwner,
}

impl Why {
    fn code(self) -> &'static str {
        match self {
            Why::DatabaseUnreachable => "database",
            Why::NotAnEmail => "not_an_email",
            Why::PasswordTooShort => "password_too_short",
            Why::PasswordTooLong => "password_too_long",
            Why::NameNeeded => "name_needed",
            Why::AccountExists => "account_exists",
            Why::WrongPassword => "wrong_password",
            Why::NotSignedIn => "not_signed_in",
            Why::SessionFailed => "session_failed",
            Why::HashFailed => "hash_failed",
            Why::CheckFailed => "check_failed",
            Why::NoSuchWorkspace => "no_such_workspace",
            Why::BadWorkspaceId => "bad_workspace_id",
            Why::WorkspaceIdTaken => "workspace_id_taken",
            Why::OnlyManagersInvite => "only_managers_invite",
            Why::BadRole => "bad_role",
            Why::InviteAboveRole => "invite_above_role",
            Why::InviteUnknown => "invite_unknown",
            Why::OnlyManagersRemove => "only_managers_remove",
            Why::RemoveAboveRole => "remove_above_role",
            Why::NotAMember => "not_a_member",
            Why::LastOwner => "last_owner",
        }
    }

    fn sentence(self) -> &'static str {
        match self {
            Why::DatabaseUnreachable => "the relay could not reach its database",
            Why::NotAnEmail => "that does not look like an email address",
            Why::PasswordTooShort => "the password needs at least 10 characters",
            Why::PasswordTooLong => "the password is too long (1024 bytes at most)",
            Why::NameNeeded => "a name of 1 to 100 characters is needed",
            Why::AccountExists => "an account with that email exists; sign in instead",
            Why::WrongPassword => "wrong email or password",
            Why::NotSignedIn => "not signed in",
            Why::SessionFailed => "could not start a session",
            Why::HashFailed => "could not hash the password",
            Why::CheckFailed => "could not check the password",
            Why::NoSuchWorkspace => "no such workspace",
            Why::BadWorkspaceId => "the workspace id must be a UUID",
            Why::WorkspaceIdTaken => "that workspace id is taken",
            Why::OnlyManagersInvite => "only owners and admins invite",
            Why::BadRole => "invite as admin, member or viewer",
            Why::InviteAboveRole => "you cannot invite above your own role",
            Why::InviteUnknown => "this invitation is unknown or has expired",
            Why::OnlyManagersRemove => "only owners and admins remove members",
            Why::RemoveAboveRole => "you cannot remove someone above your role",
            Why::NotAMember => "not a member",
            Why::LastOwner => "a workspace keeps at least one owner",
        }
    }
}

/// An answer that is not a success: a status and why (`{"error": sentence, "code": code}`).
#[derive(Debug)]
pub(crate) struct Refusal(pub(crate) StatusCode, pub(crate) Why);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.1.sentence(), "code": self.1.code() });
        (self.0, Json(body)).into_response()
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        tracing::error!(%error, "storage error");
        Refusal(StatusCode::INTERNAL_SERVER_ERROR, Why::DatabaseUnreachable)
    }
}

pub(crate) fn bad_request(why: Why) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, why)
}

fn normalise_email(email: &str) -> Result<String, Refusal> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'));
    if plausible { Ok(email) } else { Err(bad_request(Why::NotAnEmail)) }
}

fn check_password(password: &str) -> Result<(), Refusal> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(bad_request(Why::PasswordTooShort));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(bad_request(Why::PasswordTooLong));
    }
    Ok(())
}

async fn sign_up(
    State(state): State<AppState>,
    Json(form): Json<SignUp>,
) -> Result<Response, Refusal> {
    let email = normalise_email(&form.email)?;
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad_request(Why::NameNeeded));
    }
    check_password(&form.password)?;
    let hash = hash_password(form.password).await?;
    let now = unix_seconds();
    let created =
        state.store.run(move |db| store::create_account(db, &email, &name, &hash, now)).await;
    let account = match created {
        Ok(account) => account,
        Err(StoreError::Duplicate) => {
            return Err(Refusal(StatusCode::CONFLICT, Why::AccountExists));
        }
        Err(error) => return Err(error.into()),
    };
    let cookie = start_session(&state, account.id).await?;
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], Json(Me::from(account)))
        .into_response())
}

async fn sign_in(
    State(state): State<AppState>,
    Json(form): Json<SignIn>,
) -> Result<Response, Refusal> {
    let refused = || Refusal(StatusCode::UNAUTHORIZED, Why::WrongPassword);
    let email = normalise_email(&form.email).map_err(|_| refused())?;
    if form.password.len() > MAX_PASSWORD_BYTES {
        return Err(refused());
    }
    let found = state.store.run(move |db| store::account_by_email(db, &email)).await?;
    let (account, stored_hash) = match found {
        Some((account, hash)) => (Some(account), hash),
        // Spend the same work on unknown emails as on known ones.
        None => (None, dummy_hash().to_owned()),
    };
    let matches = verify_password(form.password, stored_hash).await?;
    let Some(account) = account.filter(|_| matches) else { return Err(refused()) };
    let cookie = start_session(&state, account.id).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(Me::from(account))).into_response())
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Refusal> {
    if let Some(token) = session_token(&headers) {
        let token_hash = hash_token(&token);
        state.store.run(move |db| store::delete_session(db, &token_hash)).await?;
    }
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired)]).into_response())
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Me>, Refusal> {
    let account = signed_in(&state, &headers).await?;
    Ok(Json(Me::from(account)))
}

/// The account whose session cookie came with the request.
pub(crate) async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Account, Refusal> {
    let unauthorised = || Refusal(StatusCode::UNAUTHORIZED, Why::NotSignedIn);
    let token = session_token(headers).ok_or_else(unauthorised)?;
    let token_hash = hash_token(&token);
    let now = unix_seconds();
    state
        .store
        .run(move |db| store::session_account(db, &token_hash, now))
        .await?
        .ok_or_else(unauthorised)
}

async fn start_session(state: &AppState, account: i64) -> Result<HeaderValue, Refusal> {
    let token = random_token();
    let token_hash = hash_token(&token);
    let expires = unix_seconds() + SESSION_SECONDS;
    state.store.run(move |db| store::create_session(db, &token_hash, account, expires)).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}"
    );
    HeaderValue::from_str(&cookie)
        .map_err(|_| Refusal(StatusCode::INTERNAL_SERVER_ERROR, Why::SessionFailed))
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// 32 random bytes, hex encoded.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The operating system's randomness; a relay without it cannot issue sessions safely.
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    hex(&bytes)
}

pub(crate) fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn hash_password(password: String) -> Result<String, Refusal> {
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string())
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or(Refusal(StatusCode::INTERNAL_SERVER_ERROR, Why::HashFailed))
}

async fn verify_password(password: String, hash: String) -> Result<bool, Refusal> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .map_err(|_| Refusal(StatusCode::INTERNAL_SERVER_ERROR, Why::CheckFailed))
}

/// An Argon2id hash of a password nobody has, with the default parameters, so that checking it costs what
/// checking a real one does.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(random_token().as_bytes())
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

pub(crate) fn unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
