//! Accounts and sign-in: `POST /api/accounts` (sign up), `POST /api/sessions` (sign in),
//! `DELETE /api/sessions` (sign out), `DELETE /api/me/sessions` (sign out everywhere), `PUT
//! /api/me/password` (change it; other sessions end), `GET /api/me`.
//!
//! Passwords are hashed with Argon2id (its default parameters) on the blocking pool, at most
//! [`Limits::hashes_at_once`] at a time (each takes ~19 MiB and a core), with a short queue beyond which
//! the relay answers 429 at once; sign-ins and sign-ups are rate-limited per client address and sign-ins
//! per email (429 with `Retry-After`), so nobody can flood the relay with hashing while members sync.
//! A session is a random 256-bit token in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` and
//! `__Host-` prefixed behind TLS); the database keeps only its SHA-256, so a leaked database signs
//! nobody in. Signing in with an unknown email costs the same hash as a wrong password and gets the
//! same answer, so the endpoint does not tell which emails have accounts.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::limits::Limits;
use crate::store::{self, Account, StoreError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "rapport_session";
/// Its name over TLS: a `__Host-` cookie is only accepted `Secure`, for the whole host, from HTTPS, so
/// no other subdomain or plain-HTTP page can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-rapport_session";
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
        .route("/api/me/sessions", delete(sign_out_everywhere))
        .route("/api/me/password", put(change_password))
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

#[derive(Debug, Deserialize)]
struct NewPassword {
    current: String,
    new: String,
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
    NoSuchWorkspace,
    BadWorkspaceId,
    OnlyManagersInvite,
    BadRole,
    InviteAboveRole,
    InviteUnknown,
    OnlyManagersRemove,
    RemoveAboveRole,
    NotAMember,
    LastOwner,
    TooManyAttempts,
    Busy,
    TooManyTickets,
    NoSuchInvite,
    CrossSite,
    BadForm,
    BadUses,
    TooManyWorkspaces,
    BodyTooLarge,
    ReadOnly,
    NoMail,
    OutboxFull,
    NoSuchEntry,
    BadSource,
    NoFiles,
    BadHash,
    HashMismatch,
    FileTooLarge,
    FilesQuota,
    NoSuchFile,
    UploadCut,
    StorageFailed,
    UnderWay,
    NoPush,
    BadSubscription,
    PushServiceNotAllowed,
    NoBounces,
    BadBounce,
    NoInbound,
    OnlyManagers,
    TakenElsewhere,
    AlreadyFiled,
    NotTaken,
    NoSuchKey,
    HeldElsewhere,
    AlreadyDone,
    NotHeld,
    LedgerFull,
    BadArticle,
    ArticleTooLong,
    TooManyArticles,
    BadUpdate,
    UpdateTooLong,
    TooManyUpdates,
    BadBallot,
    BallotLocked,
    NotAReader,
    OwnResults,
    TooManyBallots,
    NoSuchBallot,
    TokenTaken,
    NoSuchToken,
    BallotClosed,
    AnswerTooLong,
    BadLetter,
    NotARecipient,
    LetterTaken,
    TooManyLetters,
    NoSuchLetter,
}

impl Why {
    pub(crate) fn code(self) -> &'static str {
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
            Why::NoSuchWorkspace => "no_such_workspace",
            Why::BadWorkspaceId => "bad_workspace_id",
            Why::OnlyManagersInvite => "only_managers_invite",
            Why::BadRole => "bad_role",
            Why::InviteAboveRole => "invite_above_role",
            Why::InviteUnknown => "invite_unknown",
            Why::OnlyManagersRemove => "only_managers_remove",
            Why::RemoveAboveRole => "remove_above_role",
            Why::NotAMember => "not_a_member",
            Why::LastOwner => "last_owner",
            Why::TooManyAttempts => "too_many_attempts",
            Why::Busy => "busy",
            Why::TooManyTickets => "too_many_tickets",
            Why::NoSuchInvite => "no_such_invite",
            Why::CrossSite => "cross_site",
            Why::BadForm => "bad_form",
            Why::BadUses => "bad_uses",
            Why::TooManyWorkspaces => "too_many_workspaces",
            Why::BodyTooLarge => "body_too_large",
            Why::ReadOnly => "read_only",
            Why::NoMail => "no_mail",
            Why::OutboxFull => "outbox_full",
            Why::NoSuchEntry => "no_such_entry",
            Why::BadSource => "bad_source",
            Why::NoFiles => "no_files",
            Why::BadHash => "bad_hash",
            Why::HashMismatch => "hash_mismatch",
            Why::FileTooLarge => "file_too_large",
            Why::FilesQuota => "files_quota",
            Why::NoSuchFile => "no_such_file",
            Why::UploadCut => "upload_cut",
            Why::StorageFailed => "storage_failed",
            Why::UnderWay => "under_way",
            Why::NoPush => "no_push",
            Why::BadSubscription => "bad_subscription",
            Why::PushServiceNotAllowed => "push_service_not_allowed",
            Why::NoBounces => "no_bounces",
            Why::BadBounce => "bad_bounce",
            Why::NoInbound => "no_inbound",
            Why::OnlyManagers => "only_managers",
            Why::TakenElsewhere => "taken_elsewhere",
            Why::AlreadyFiled => "already_filed",
            Why::NotTaken => "not_taken",
            Why::NoSuchKey => "no_such_key",
            Why::HeldElsewhere => "held_elsewhere",
            Why::AlreadyDone => "already_done",
            Why::NotHeld => "not_held",
            Why::LedgerFull => "ledger_full",
            Why::BadArticle => "bad_article",
            Why::ArticleTooLong => "article_too_long",
            Why::TooManyArticles => "too_many_articles",
            Why::BadUpdate => "bad_update",
            Why::UpdateTooLong => "update_too_long",
            Why::TooManyUpdates => "too_many_updates",
            Why::BadBallot => "bad_ballot",
            Why::BallotLocked => "ballot_locked",
            Why::NotAReader => "not_a_reader",
            Why::OwnResults => "own_results",
            Why::TooManyBallots => "too_many_ballots",
            Why::NoSuchBallot => "no_such_ballot",
            Why::TokenTaken => "token_taken",
            Why::NoSuchToken => "no_such_token",
            Why::BallotClosed => "ballot_closed",
            Why::AnswerTooLong => "answer_too_long",
            Why::BadLetter => "bad_letter",
            Why::NotARecipient => "not_a_recipient",
            Why::LetterTaken => "letter_taken",
            Why::TooManyLetters => "too_many_letters",
            Why::NoSuchLetter => "no_such_letter",
        }
    }

    pub(crate) fn sentence(self) -> &'static str {
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
            Why::NoSuchWorkspace => "no such workspace",
            Why::BadWorkspaceId => "the workspace id must be a UUID",
            Why::OnlyManagersInvite => "only owners and admins invite",
            Why::BadRole => "invite as admin, member or viewer",
            Why::InviteAboveRole => "you cannot invite above your own role",
            Why::InviteUnknown => "this invitation is unknown or has expired",
            Why::OnlyManagersRemove => "only owners and admins remove members",
            Why::RemoveAboveRole => "you cannot remove someone above your role",
            Why::NotAMember => "not a member",
            Why::LastOwner => "a workspace keeps at least one owner",
            Why::TooManyAttempts => "too many attempts; try again in a minute",
            Why::Busy => "the relay is busy; try again in a moment",
            Why::TooManyTickets => "too many sync tickets asked for; try again in a minute",
            Why::NoSuchInvite => "no such invitation",
            Why::CrossSite => "requests from other sites may not change anything here",
            Why::BadForm => "the request's body is not the JSON this call takes",
            Why::BadUses => "an invitation is for 1 to 100 people",
            Why::TooManyWorkspaces => "this account owns as many workspaces as the relay allows",
            Why::BodyTooLarge => "the request's body is larger than this call takes",
            Why::ReadOnly => "viewers may read but not send or change anything",
            Why::NoMail => {
                "this relay sends no mail (no SMTP server is configured); hand the message to your mail app"
            }
            Why::OutboxFull => "this workspace has as much unsent work queued as the relay allows",
            Why::NoSuchEntry => "no such entry in this workspace's outbox",
            Why::BadSource => {
                "say in 1 to 200 characters, on one line, how consent was given or withdrawn"
            }
            Why::NoFiles => "this relay keeps no files",
            Why::BadHash => "a file is named by the SHA-256 of its bytes: 64 lowercase hex digits",
            Why::HashMismatch => {
                "the file's bytes do not match its name (SHA-256): nothing was stored"
            }
            Why::FileTooLarge => "the file is larger than this relay takes",
            Why::FilesQuota => "this workspace's files take all the room the relay gives it",
            Why::NoSuchFile => "no such file in this workspace",
            Why::UploadCut => "the upload stopped before its end: nothing was stored",
            Why::StorageFailed => "the relay could not store or read the file",
            Why::UnderWay => "it is being sent right now and can no longer be changed or cancelled",
            Why::NoPush => "this relay sends no push notifications",
            Why::BadSubscription => {
                "a push subscription is {endpoint, keys: {p256dh, auth}} as the browser gives it"
            }
            Why::PushServiceNotAllowed => {
                "the subscription's endpoint is not a push service this relay sends to"
            }
            Why::NoBounces => "this relay takes no bounces (it has no --bounce-token)",
            Why::BadBounce => {
                "not a delivery status notification: a multipart/report with a message/delivery-status part and the returned message's headers"
            }
            Why::NoInbound => "this relay receives no mail (it has no --inbound-smtp)",
            Why::OnlyManagers => "only the workspace's owners and admins may do that",
            Why::TakenElsewhere => "another device is filing this mail right now",
            Why::AlreadyFiled => "this mail is filed already",
            Why::NotTaken => "take the mail before saying it is filed",
            Why::NoSuchKey => "a key is 32 hexadecimal digits, taken before it is said done",
            Why::HeldElsewhere => "another device is doing this right now",
            Why::AlreadyDone => "this is done already",
            Why::NotHeld => "take the key before saying it is done",
            Why::LedgerFull => "this workspace holds as many keys not done as the relay allows",
            Why::BadArticle => {
                "not an article id, or an article without a title or with too long a title or category"
            }
            Why::ArticleTooLong => "the article's text is longer than the relay publishes",
            Why::TooManyArticles => "this workspace publishes as many articles as the relay allows",
            Why::BadUpdate => {
                "not an update id, or an update without a title, with too many or too long figures, \
                 or readers that are not parties"
            }
            Why::UpdateTooLong => {
                "the update's highlights or asks are longer than the relay publishes"
            }
            Why::TooManyUpdates => {
                "this workspace publishes as many investor updates as the relay allows"
            }
            Why::BadBallot => {
                "not a survey id, or a survey with k under 3, batches under k, no invitees, too many, \
                 someone twice, too long a team name, or readers who are not up to 20 distinct \
                 members or who are invited"
            }
            Why::BallotLocked => {
                "a survey keeps its k, batches and readers once a token was taken, and changes no more \
                 once closed"
            }
            Why::NotAReader => "this survey's results are for the members it names alone",
            Why::OwnResults => {
                "a survey is registered by someone other than those who read its results"
            }
            Why::TooManyBallots => "this workspace has as many surveys as the relay keeps",
            Why::NoSuchBallot => "no such survey, or you are not invited to it",
            Why::TokenTaken => "your token for this survey was given already",
            Why::NoSuchToken => "this token answers nothing: it was used, or never given",
            Why::BallotClosed => "this survey is closed",
            Why::AnswerTooLong => "the answer is longer than the relay keeps",
            Why::BadLetter => {
                "not a letter id, or a letter to no one, to more than 20 members, to someone twice, \
                 to something not a member id, or longer than the relay keeps"
            }
            Why::NotARecipient => "a letter goes only to members of the workspace",
            Why::LetterTaken => "another letter has this id",
            Why::TooManyLetters => "this workspace keeps as many letters as the relay allows",
            Why::NoSuchLetter => "you sent no such letter",
        }
    }
}

/// An answer that is not a success: a status and why (`{"error": sentence, "code": code}`), and for
/// 429 how long to wait (`Retry-After`).
#[derive(Debug)]
pub(crate) struct Refusal(pub(crate) StatusCode, pub(crate) Why, pub(crate) Option<Duration>);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.1.sentence(), "code": self.1.code() });
        let mut response = (self.0, Json(body)).into_response();
        if let Refusal(StatusCode::TOO_MANY_REQUESTS, _, Some(wait)) = self {
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// What keeps password hashing from being used against the relay: rate limits per client address and
/// per email, and a bound on hashes computed and waiting at once.
#[derive(Clone, Debug)]
pub(crate) struct Guards {
    by_address: Arc<governor::DefaultKeyedRateLimiter<IpAddr>>,
    by_email: Arc<governor::DefaultKeyedRateLimiter<String>>,
    /// Readers' answers on the help pages ("was this helpful?"), which need no account.
    answers_by_address: Arc<governor::DefaultKeyedRateLimiter<IpAddr>>,
    hashing: Hashing,
}

/// Answers to "was this helpful?" one address may give a minute: a reader answers a few articles; a
/// script stuffing the counts is held to this.
const ANSWERS_PER_MINUTE_PER_ADDRESS: u32 = 20;

/// A hash or its check, to run on a hashing thread.
type HashJob = Box<dyn FnOnce() + Send>;

/// Threads of their own for password hashing, `hashes_at_once` of them, fed through a queue of
/// `hashes_waiting`. Not the blocking pool: that one serves every database call and grows to 512
/// threads, and each thread's allocator arena kept the ~19 MiB Argon2 buffers it had used — a sign-in
/// flood took the relay to 5 GB of memory (BENCHMARKS.md). Here a handful of threads reuse theirs.
#[derive(Clone, Debug)]
struct Hashing {
    jobs: std::sync::mpsc::SyncSender<HashJob>,
}

impl Hashing {
    fn start(threads: usize, waiting: usize) -> Hashing {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<HashJob>(waiting);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned =
                std::thread::Builder::new().name(format!("rapport-hash-{n}")).spawn(move || {
                    loop {
                        // The queue's lock is held only while taking a job, never while hashing.
                        let job = queue.lock().unwrap_or_else(|poison| poison.into_inner()).recv();
                        let Ok(job) = job else { return };
                        // A panicking hash must not take the thread (and every later sign-in).
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password-hashing thread");
            }
        }
        Hashing { jobs }
    }
}

impl Guards {
    pub(crate) fn new(limits: &Limits) -> Guards {
        let per_minute = |n: u32| {
            governor::Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
        };
        Guards {
            by_address: Arc::new(governor::RateLimiter::keyed(per_minute(
                limits.sign_ins_per_minute_per_address,
            ))),
            by_email: Arc::new(governor::RateLimiter::keyed(per_minute(
                limits.sign_ins_per_minute_per_email,
            ))),
            answers_by_address: Arc::new(governor::RateLimiter::keyed(per_minute(
                ANSWERS_PER_MINUTE_PER_ADDRESS,
            ))),
            hashing: Hashing::start(limits.hashes_at_once, limits.hashes_waiting),
        }
    }

    /// Counts a reader's answer from `address` (when known); 429 once it has had its share.
    pub(crate) fn answer(&self, address: Option<IpAddr>) -> Result<(), Refusal> {
        use governor::clock::{Clock, DefaultClock};
        let Some(address) = address else { return Ok(()) };
        let key = crate::server::address_key(address);
        self.answers_by_address.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Refusal(StatusCode::TOO_MANY_REQUESTS, Why::TooManyAttempts, Some(wait))
        })
    }

    /// Counts an attempt from `address` (when known) and for `email` (when given); 429 once either
    /// has had its share.
    fn attempt(&self, address: Option<IpAddr>, email: Option<&str>) -> Result<(), Refusal> {
        use governor::clock::{Clock, DefaultClock};
        let refused = |not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Refusal(StatusCode::TOO_MANY_REQUESTS, Why::TooManyAttempts, Some(wait))
        };
        if let Some(address) = address {
            // An IPv6 host commonly holds a whole /64: counted as one client.
            let key = crate::server::address_key(address);
            self.by_address.check_key(&key).map_err(refused)?;
        }
        if let Some(email) = email {
            self.by_email.check_key(&email.to_owned()).map_err(refused)?;
        }
        Ok(())
    }

    /// Runs `work` (a hash or its check) on a hashing thread; 429 at once when too many wait.
    async fn hash<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Refusal> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: HashJob = Box::new(move || {
            let _ = answer.send(work());
        });
        if self.hashing.jobs.try_send(job).is_err() {
            return Err(Refusal(
                StatusCode::TOO_MANY_REQUESTS,
                Why::Busy,
                Some(Duration::from_secs(1)),
            ));
        }
        answered
            .await
            .map_err(|_| Refusal(StatusCode::INTERNAL_SERVER_ERROR, Why::HashFailed, None))
    }

    /// Forgets addresses and emails that have been quiet (keyed limiters otherwise grow for ever).
    pub(crate) fn forget_idle(&self) {
        self.by_address.retain_recent();
        self.by_email.retain_recent();
        self.answers_by_address.retain_recent();
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        tracing::error!(%error, "storage error");
        Refusal(StatusCode::INTERNAL_SERVER_ERROR, Why::DatabaseUnreachable, None)
    }
}

pub(crate) fn bad_request(why: Why) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, why, None)
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
    request: axum::extract::Request,
) -> Result<Response, Refusal> {
    let address = crate::server::client_address(request.extensions()).map(|a| a.ip());
    let Json(form): Json<SignUp> = json_body(request).await?;
    state.guards.attempt(address, None)?;
    let email = normalise_email(&form.email)?;
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad_request(Why::NameNeeded));
    }
    check_password(&form.password)?;
    // Before hashing: a taken email costs the relay nothing.
    let lookup = email.clone();
    if state.store.run(move |db| store::email_taken(db, &lookup)).await? {
        return Err(Refusal(StatusCode::CONFLICT, Why::AccountExists, None));
    }
    let hash = hash_password(&state, form.password).await?;
    let now = unix_seconds();
    let created =
        state.store.run(move |db| store::create_account(db, &email, &name, &hash, now)).await;
    let account = match created {
        Ok(account) => account,
        Err(StoreError::Duplicate) => {
            return Err(Refusal(StatusCode::CONFLICT, Why::AccountExists, None));
        }
        Err(error) => return Err(error.into()),
    };
    let cookie = start_session(&state, account.id).await?;
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], Json(Me::from(account)))
        .into_response())
}

async fn sign_in(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, Refusal> {
    let address = crate::server::client_address(request.extensions()).map(|a| a.ip());
    let Json(form): Json<SignIn> = json_body(request).await?;
    let refused = || Refusal(StatusCode::UNAUTHORIZED, Why::WrongPassword, None);
    let email = normalise_email(&form.email).map_err(|_| refused())?;
    state.guards.attempt(address, Some(&email))?;
    if form.password.len() > MAX_PASSWORD_BYTES {
        return Err(refused());
    }
    let found = state.store.run(move |db| store::account_by_email(db, &email)).await?;
    let (account, stored_hash) = match found {
        Some((account, hash)) => (Some(account), hash),
        // Spend the same work on unknown emails as on known ones.
        None => (None, dummy_hash().to_owned()),
    };
    let matches = verify_password(&state, form.password, stored_hash).await?;
    let Some(account) = account.filter(|_| matches) else { return Err(refused()) };
    let cookie = start_session(&state, account.id).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(Me::from(account))).into_response())
}

/// The JSON body of `request`, refused as axum's `Json` would refuse it.
pub(crate) async fn json_body<T: serde::de::DeserializeOwned>(
    request: axum::extract::Request,
) -> Result<Json<T>, Refusal> {
    use axum::extract::FromRequest;
    Json::<T>::from_request(request, &()).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal(StatusCode::PAYLOAD_TOO_LARGE, Why::BodyTooLarge, None)
        } else {
            bad_request(Why::BadForm)
        }
    })
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Refusal> {
    if let Some(token) = session_token(&state, &headers) {
        let token_hash = hash_token(&token);
        state.store.run(move |db| store::delete_session(db, &token_hash)).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired_cookie(&state))]).into_response())
}

/// Ends every session of the signed-in account, on every device, this one included.
async fn sign_out_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let account = signed_in(&state, &headers).await?;
    state.store.run(move |db| store::end_sessions(db, account.id, None)).await?;
    state.hub.revoke_account(account.id, "you signed out on every device");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expired_cookie(&state))]).into_response())
}

/// Changes the signed-in account's password, given the current one; every other session ends.
async fn change_password(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, Refusal> {
    let address = crate::server::client_address(request.extensions()).map(|a| a.ip());
    let headers = request.headers().clone();
    let account = signed_in(&state, &headers).await?;
    let Json(form): Json<NewPassword> = json_body(request).await?;
    state.guards.attempt(address, Some(&account.email))?;
    check_password(&form.new)?;
    let id = account.id;
    let stored = state.store.run(move |db| store::password_hash(db, id)).await?;
    if form.current.len() > MAX_PASSWORD_BYTES
        || !verify_password(&state, form.current, stored).await?
    {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::WrongPassword, None));
    }
    let hash = hash_password(&state, form.new).await?;
    let keep = session_token(&state, &headers).map(|token| hash_token(&token));
    state
        .store
        .run(move |db| {
            store::set_password_hash(db, id, &hash)?;
            store::end_sessions(db, id, keep.as_deref())
        })
        .await?;
    // Open sync sockets may belong to a session that just ended; devices still signed in reconnect.
    state.hub.revoke_account(id, "your password was changed");
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Me>, Refusal> {
    let account = signed_in(&state, &headers).await?;
    Ok(Json(Me::from(account)))
}

/// The account whose session cookie came with the request.
pub(crate) async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Account, Refusal> {
    let unauthorised = || Refusal(StatusCode::UNAUTHORIZED, Why::NotSignedIn, None);
    let token = session_token(state, headers).ok_or_else(unauthorised)?;
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
        "{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}{}",
        cookie_name(state),
        if state.behind_tls { "; Secure" } else { "" },
    );
    HeaderValue::from_str(&cookie)
        .map_err(|_| Refusal(StatusCode::INTERNAL_SERVER_ERROR, Why::SessionFailed, None))
}

fn expired_cookie(state: &AppState) -> String {
    format!(
        "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        cookie_name(state),
        if state.behind_tls { "; Secure" } else { "" },
    )
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.behind_tls { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

pub(crate) fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, cookie_name(state))
}

/// The value of cookie `name` the request carries, if not empty.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
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

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn hash_password(state: &AppState, password: String) -> Result<String, Refusal> {
    state
        .guards
        .hash(move || {
            Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string())
        })
        .await?
        .map_err(|_| Refusal(StatusCode::INTERNAL_SERVER_ERROR, Why::HashFailed, None))
}

async fn verify_password(
    state: &AppState,
    password: String,
    hash: String,
) -> Result<bool, Refusal> {
    state
        .guards
        .hash(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
                })
                .unwrap_or(false)
        })
        .await
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
