//! The relay's explicit services over HTTP, each behind workspace authorisation, deny by default: the
//! outbox (queue work under an id derived from its cause; read the ledger's changes), consent (the
//! suppression list, as an append-only log of opt-ins and opt-outs) and the public unsubscribe link
//! that works while every device is offline.
//!
//! Scheduled jobs (`notify` work) are replaced when handed over again with another request under the
//! same id, and cancelled with DELETE while waiting for their time.
//!
//! Who may do what: any member reads the ledger and the consent log; owners, admins and members queue
//! and cancel work and record consent; viewers only read. A workspace the caller is not in is answered like one
//! that does not exist (404).

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use rapport_core::outbox::{
    ConsentEvent, MOST_TEXT_BYTES, OutboxId, Work, normalise_address, plausible_address,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounts::{Refusal, Why, bad_request, json_body, unix_seconds};
use crate::mail::read_unsubscribe_token;
use crate::store::StoreError;
use crate::store::outbox::{self as ledger, NewWork};
use crate::workspaces::member_of;

/// The most unsent mails one workspace may have in the outbox.
pub const MOST_PENDING: u64 = 10_000;
/// The most scheduled notifications one workspace may have waiting (a reminder per open task).
pub const MOST_SCHEDULED: u64 = 100_000;
/// The most stamps a workspace may have (a few per ticket event: a million is years of a busy
/// support team).
pub const MOST_STAMPS: u64 = 1_000_000;
/// The most ledger changes or consent events one answer carries.
const PAGE: usize = 500;
/// A queued request's body: the largest mail text and room for its envelope.
const MOST_WORK_BYTES: usize = MOST_TEXT_BYTES + 64 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces/{id}/services", get(services))
        .route(
            "/api/workspaces/{id}/outbox",
            get(outbox_changes).post(queue_batch).layer(DefaultBodyLimit::max(MOST_BATCH_BYTES)),
        )
        .route(
            "/api/workspaces/{id}/outbox/{item}",
            put(queue)
                .get(outbox_entry)
                .delete(cancel)
                .layer(DefaultBodyLimit::max(MOST_WORK_BYTES)),
        )
        .route("/api/workspaces/{id}/consent", get(consent_log).post(record_consent))
        .route("/api/unsubscribe/{token}", get(unsubscribe_page).post(unsubscribe))
}

#[derive(Debug, Serialize)]
struct Services {
    /// The relay sends mail; without it, devices hand messages to the device's mail app.
    mail: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    mail_from: Option<String>,
    /// The relay pushes scheduled notifications to subscribed devices.
    push: bool,
    /// The relay receives mail for support addresses.
    inbound: bool,
    /// The workspace's support address, once made.
    #[serde(skip_serializing_if = "Option::is_none")]
    support_address: Option<String>,
}

async fn services(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Services>, Refusal> {
    member_of(&state, &headers, id.clone()).await?;
    let mail_from = state.mail.as_ref().map(|mailer| mailer.from());
    let support_address = match &state.inbound {
        Some(inbound) => state
            .store
            .run(move |db| crate::store::inbound::address_of(db, &id))
            .await?
            .map(|local| inbound.address(&local)),
        None => None,
    };
    Ok(Json(Services {
        mail: mail_from.is_some(),
        mail_from,
        push: state.push.is_some(),
        inbound: state.inbound.is_some(),
        support_address,
    }))
}

/// A refusal naming exactly what is wrong with the work (`{"error", "code": "bad_work"}`).
fn bad_work(error: impl std::fmt::Display) -> Response {
    let body = serde_json::json!({ "error": error.to_string(), "code": "bad_work" });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// The signed-in member who may change `workspace`'s outbox (anyone but a viewer), and the entry the
/// path names.
async fn writer_and_entry(
    state: &AppState,
    headers: &HeaderMap,
    workspace: String,
    item: &str,
) -> Result<(i64, crate::store::Membership, OutboxId), Response> {
    let (account, membership) =
        member_of(state, headers, workspace).await.map_err(IntoResponse::into_response)?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None).into_response());
    }
    let id = OutboxId::parse(item).map_err(bad_work)?;
    Ok((account, membership, id))
}

/// A request checked and ready for the ledger.
struct Prepared {
    work: Work,
    payload: String,
    digest: String,
    most_pending: u64,
}

/// What one piece of work is answered, as its own PUT would be: a status and a JSON body.
type Answer = (StatusCode, serde_json::Value);

fn refused(status: StatusCode, why: Why) -> Answer {
    (status, serde_json::json!({ "error": why.sentence(), "code": why.code() }))
}

fn bad_work_answer(error: impl std::fmt::Display) -> Answer {
    let body = serde_json::json!({ "error": error.to_string(), "code": "bad_work" });
    (StatusCode::BAD_REQUEST, body)
}

/// Checks `work` — well formed, and a service here to do it — and readies it for the ledger.
fn prepare(state: &AppState, work: Work) -> Result<Prepared, Answer> {
    work.check().map_err(bad_work_answer)?;
    match &work {
        Work::Mail(_) if state.mail.is_none() => {
            return Err(refused(StatusCode::SERVICE_UNAVAILABLE, Why::NoMail));
        }
        Work::Notify(_) if state.push.is_none() => {
            return Err(refused(StatusCode::SERVICE_UNAVAILABLE, Why::NoPush));
        }
        _ => {}
    }
    let payload = serde_json::to_string(&work).map_err(bad_work_answer)?;
    let most_pending = match &work {
        Work::Stamp {} => MOST_STAMPS,
        // A campaign's mails wait their turn by the thousand, as reminders do.
        work if work.replaceable() || matches!(work, Work::Mail(mail) if mail.bulk) => {
            MOST_SCHEDULED
        }
        _ => MOST_PENDING,
    };
    Ok(Prepared { digest: work.digest(), work, payload, most_pending })
}

impl Prepared {
    fn new_work<'a>(
        &'a self,
        workspace: &'a str,
        id: &'a OutboxId,
        account: i64,
        now: i64,
    ) -> NewWork<'a> {
        NewWork {
            workspace,
            id,
            kind: self.work.kind(),
            payload: &self.payload,
            digest: &self.digest,
            due_at: self.work.due_at(),
            replaceable: self.work.replaceable(),
            queued_by: account,
            now,
            most_pending: self.most_pending,
            record_only: matches!(self.work, Work::Stamp {}),
        }
    }
}

/// The ledger's answer to queuing one piece of work: 201 when queued or replaced, 200 with the same
/// entry for every repeat (from any device), or why not.
fn ledger_answer(queued: Result<(rapport_core::outbox::Entry, bool), StoreError>) -> Answer {
    match queued {
        Ok((entry, created)) => {
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            (status, serde_json::to_value(entry).unwrap_or_default())
        }
        Err(StoreError::OutboxFull) => refused(StatusCode::TOO_MANY_REQUESTS, Why::OutboxFull),
        Err(StoreError::UnderWay) => refused(StatusCode::CONFLICT, Why::UnderWay),
        Err(error) => {
            let refusal = Refusal::from(error);
            refused(refusal.0, refusal.1)
        }
    }
}

/// Nudges the services that have new work of the `kinds` given.
fn wake(state: &AppState, kinds: impl IntoIterator<Item = &'static str>) {
    for kind in kinds {
        match kind {
            "mail" | "bulk" => state.mail.iter().for_each(|mailer| mailer.wake()),
            "notify" => state.push.iter().for_each(|pusher| pusher.wake()),
            _ => {}
        }
    }
}

async fn queue(
    State(state): State<AppState>,
    Path((workspace, item)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Result<Response, Response> {
    let headers = request.headers().clone();
    let (account, membership, id) = writer_and_entry(&state, &headers, workspace, &item).await?;
    let Json(work): Json<Work> = json_body(request).await.map_err(IntoResponse::into_response)?;
    let prepared =
        prepare(&state, work).map_err(|(status, body)| (status, Json(body)).into_response())?;
    let now = unix_seconds();
    let ws = membership.workspace.clone();
    let queued = state
        .store
        .run(move |db| {
            ledger::queue(db, prepared.new_work(&ws, &id, account, now))
                .map(|q| (q, prepared.work.kind()))
        })
        .await;
    let kind = queued.as_ref().ok().map(|(_, kind)| *kind);
    let (status, body) = ledger_answer(queued.map(|(q, _)| q));
    if status == StatusCode::CREATED {
        wake(&state, kind);
        state.hub.outbox_changed(&membership.workspace).await;
    }
    if status.is_success() {
        Ok((status, Json(body)).into_response())
    } else {
        Err((status, Json(body)).into_response())
    }
}

/// The most pieces of work one batch carries.
pub const MOST_BATCH: usize = 500;
/// A batch's body: a campaign's copies, a few hundred at a time.
const MOST_BATCH_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct Batch {
    items: Vec<BatchItem>,
}

/// One piece of work of a batch, read as loosely as can be: a bad one is answered on its own.
#[derive(Debug, Deserialize)]
struct BatchItem {
    id: serde_json::Value,
    work: serde_json::Value,
}

#[derive(Debug, Serialize)]
struct BatchAnswer {
    status: u16,
    body: serde_json::Value,
}

/// Queues up to [`MOST_BATCH`] pieces of work at once, in one write (a campaign's mails): each
/// answered in order with the status and body its own PUT would have had, so one bad piece refuses
/// nobody else's.
async fn queue_batch(
    State(state): State<AppState>,
    Path(workspace): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, Response> {
    let headers = request.headers().clone();
    let (account, membership) =
        member_of(&state, &headers, workspace).await.map_err(IntoResponse::into_response)?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None).into_response());
    }
    let Json(batch): Json<Batch> = json_body(request).await.map_err(IntoResponse::into_response)?;
    if batch.items.len() > MOST_BATCH {
        return Err(bad_work(format!("a batch has at most {MOST_BATCH} pieces of work")));
    }
    let mut answers: Vec<Option<Answer>> = Vec::with_capacity(batch.items.len());
    let mut ready: Vec<(usize, OutboxId, Prepared)> = Vec::new();
    for (at, item) in batch.items.into_iter().enumerate() {
        let id = item.id.as_str().ok_or(()).and_then(|id| OutboxId::parse(id).map_err(|_| ()));
        let checked = match id {
            Err(()) => Err(bad_work_answer(rapport_core::outbox::BadOutboxId)),
            Ok(id) => serde_json::from_value::<Work>(item.work)
                .map_err(|error| bad_work_answer(format!("not a piece of work: {error}")))
                .and_then(|work| prepare(&state, work))
                .map(|prepared| (id, prepared)),
        };
        match checked {
            Ok((id, prepared)) => {
                ready.push((at, id, prepared));
                answers.push(None);
            }
            Err(answer) => answers.push(Some(answer)),
        }
    }
    let now = unix_seconds();
    let ws = membership.workspace.clone();
    let queued = state
        .store
        .run(move |db| {
            let works = ready.iter().map(|(_, id, p)| p.new_work(&ws, id, account, now)).collect();
            let results = ledger::queue_many(db, works)?;
            Ok::<_, StoreError>(
                ready
                    .iter()
                    .zip(results)
                    .map(|((at, _, p), result)| (*at, p.work.kind(), result))
                    .collect::<Vec<_>>(),
            )
        })
        .await
        .map_err(|error| Refusal::from(error).into_response())?;
    let mut woken = std::collections::BTreeSet::new();
    for (at, kind, result) in queued {
        let answer = ledger_answer(result);
        if answer.0 == StatusCode::CREATED {
            woken.insert(kind);
        }
        answers[at] = Some(answer);
    }
    if !woken.is_empty() {
        wake(&state, woken);
        state.hub.outbox_changed(&membership.workspace).await;
    }
    let answers: Vec<BatchAnswer> = answers
        .into_iter()
        .flatten()
        .map(|(status, body)| BatchAnswer { status: status.as_u16(), body })
        .collect();
    Ok(Json(serde_json::json!({ "answers": answers })).into_response())
}

/// Cancels a waiting entry (a scheduled job, or a mail not yet handed over): 200 with the entry as
/// it now is (also when it had already finished), 404 when there is none, 409 while it is being sent.
async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((workspace, item)): Path<(String, String)>,
) -> Result<Response, Response> {
    let (_, membership, id) = writer_and_entry(&state, &headers, workspace, &item).await?;
    let now = unix_seconds();
    let ws = membership.workspace.clone();
    let cancelled = state.store.run(move |db| ledger::cancel(db, &ws, &id, now)).await;
    match cancelled {
        Ok(Some(entry)) => {
            state.hub.outbox_changed(&membership.workspace).await;
            Ok(Json(entry).into_response())
        }
        Ok(None) => Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchEntry, None).into_response()),
        Err(StoreError::UnderWay) => {
            Err(Refusal(StatusCode::CONFLICT, Why::UnderWay, None).into_response())
        }
        Err(error) => Err(Refusal::from(error).into_response()),
    }
}

#[derive(Debug, Deserialize)]
struct After {
    #[serde(default)]
    after: i64,
}

async fn outbox_changes(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<After>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Refusal> {
    let (_, membership) = member_of(&state, &headers, id).await?;
    let Ok(Query(After { after })) = query else { return Err(bad_request(Why::BadForm)) };
    let changes =
        state.store.run(move |db| ledger::changes(db, &membership.workspace, after, PAGE)).await?;
    Ok(Json(changes).into_response())
}

async fn outbox_entry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((workspace, item)): Path<(String, String)>,
) -> Result<Response, Response> {
    let (_, membership) =
        member_of(&state, &headers, workspace).await.map_err(IntoResponse::into_response)?;
    let id = OutboxId::parse(&item).map_err(bad_work)?;
    let found = state
        .store
        .run(move |db| ledger::entry(db, &membership.workspace, &id))
        .await
        .map_err(|error| Refusal::from(error).into_response())?;
    match found {
        Some(entry) => Ok(Json(entry).into_response()),
        None => Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchEntry, None).into_response()),
    }
}

#[derive(Debug, Serialize)]
struct ConsentLog {
    events: Vec<ConsentEvent>,
    /// The sequence number to ask after next time.
    after: i64,
}

async fn consent_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<After>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ConsentLog>, Refusal> {
    let (_, membership) = member_of(&state, &headers, id).await?;
    let Ok(Query(After { after })) = query else { return Err(bad_request(Why::BadForm)) };
    let events = state
        .store
        .run(move |db| ledger::consent_events(db, &membership.workspace, after, PAGE))
        .await?;
    let after = events.last().map_or(after, |event| event.seq);
    Ok(Json(ConsentLog { events, after }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConsent {
    address: String,
    opted_in: bool,
    /// How it was given or withdrawn ("asked by phone", "signed the form at the fair").
    source: String,
}

async fn record_consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, Refusal> {
    let headers = request.headers().clone();
    let (_, membership) = member_of(&state, &headers, id).await?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None));
    }
    let Json(form): Json<NewConsent> = json_body(request).await?;
    let address = normalise_address(&form.address);
    if !plausible_address(&address) {
        return Err(bad_request(Why::NotAnEmail));
    }
    let source = form.source.trim().to_owned();
    if source.is_empty() || source.chars().count() > 200 || source.contains(['\r', '\n']) {
        return Err(bad_request(Why::BadSource));
    }
    let now = unix_seconds();
    let workspace = membership.workspace.clone();
    let recorded = state
        .store
        .run(move |db| {
            ledger::record_consent(db, &membership.workspace, &address, form.opted_in, &source, now)
        })
        .await?;
    Ok(match recorded {
        Some(event) => {
            // Devices check consent before queueing: they hear of it at once.
            state.hub.outbox_changed(&workspace).await;
            (StatusCode::CREATED, Json(event)).into_response()
        }
        // Already so: nothing recorded, nothing to tell.
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// The link's workspace and address, if the relay signed it and the workspace still exists.
async fn linked(state: &AppState, token: String) -> Result<Option<(String, String)>, StoreError> {
    state
        .store
        .run(move |db| {
            let secret = ledger::link_secret(db)?;
            let Some((workspace, address)) = read_unsubscribe_token(&secret, &token) else {
                return Ok(None);
            };
            Ok(ledger::workspace_exists(db, &workspace)?.then_some((workspace, address)))
        })
        .await
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let page = PublicPage { lang: "en", title, style: "body{max-width:32rem}", body };
    page.answer(status, Caching::Never)
}

/// One of the relay's own pages for people without an account (unsubscribing, rating an answer, the
/// help pages): the same shell — readable on a phone, styled inline — and the same policy: no script
/// at all, images only from the web, forms posting only back to the relay, never framed.
pub(crate) struct PublicPage<'a> {
    pub lang: &'a str,
    /// Plain text: escaped here.
    pub title: &'a str,
    /// The page's own rules, after the shared ones.
    pub style: &'a str,
    /// HTML, escaped by its maker.
    pub body: &'a str,
}

/// How long a browser may keep a public page.
#[derive(Clone, Copy)]
pub(crate) enum Caching {
    /// Not at all: the page holds what one person typed or may do once.
    Never,
    /// Asking the relay again each time: the page changes when its source does.
    Revalidate,
}

impl PublicPage<'_> {
    pub(crate) fn answer(&self, status: StatusCode, caching: Caching) -> Response {
        let html = format!(
            "<!doctype html><html lang={lang}><head><meta charset=utf-8>\
             <meta name=viewport content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><style>\
             body{{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;padding:0 1rem;color:#1c1f24}}\
             button{{font:inherit;min-height:44px;padding:0 1.25rem}}{style}\
             </style></head><body>{body}</body></html>",
            lang = escape(self.lang),
            title = escape(self.title),
            style = self.style,
            body = self.body,
        );
        let cache = match caching {
            Caching::Never => "no-store",
            Caching::Revalidate => "no-cache",
        };
        let policy = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; \
                      form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
        let headers = [(header::CACHE_CONTROL, cache), (header::CONTENT_SECURITY_POLICY, policy)];
        (status, headers, Html(html)).into_response()
    }
}

/// Whether the browser's first language (`Accept-Language`) is Russian: the relay's own pages — rating
/// forms, help pages — speak Russian or English.
pub(crate) fn prefers_russian(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .starts_with("ru")
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const UNKNOWN_LINK: &str = "<h1>This link no longer works</h1>\
    <p>Nothing was changed. / Ссылка больше не действует, ничего не изменено.</p>";

/// Opening the link shows a button and changes nothing: mail scanners open links on their own.
async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, Refusal> {
    let Some((_, address)) = linked(&state, token.clone()).await? else {
        return Ok(page(StatusCode::NOT_FOUND, "Unsubscribe", UNKNOWN_LINK));
    };
    let body = format!(
        "<h1>Unsubscribe</h1><p>Stop mail to <strong>{address}</strong>?<br>\
         Отписать <strong>{address}</strong> от рассылок?</p>\
         <form method=post action=\"/api/unsubscribe/{token}\">\
         <button type=submit>Unsubscribe / Отписаться</button></form>",
        address = escape(&address),
        token = escape(&token),
    );
    Ok(page(StatusCode::OK, "Unsubscribe", &body))
}

/// The opt-out itself: from the page's button, or a mail provider's one-click POST (RFC 8058, body
/// `List-Unsubscribe=One-Click`). Recorded with its time and source; repeating it changes nothing.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: String,
) -> Result<Response, Refusal> {
    let Some((workspace, address)) = linked(&state, token).await? else {
        return Ok(page(StatusCode::NOT_FOUND, "Unsubscribe", UNKNOWN_LINK));
    };
    let source = if body.trim() == "List-Unsubscribe=One-Click" {
        "one-click unsubscribe"
    } else {
        "unsubscribe page"
    };
    let now = unix_seconds();
    let shown = address.clone();
    let ws = workspace.clone();
    let recorded = state
        .store
        .run(move |db| ledger::record_consent(db, &ws, &address, false, source, now))
        .await?;
    if recorded.is_some() {
        state.hub.outbox_changed(&workspace).await;
    }
    let body = format!(
        "<h1>Unsubscribed</h1><p><strong>{0}</strong> will get no more mail from this sender.<br>\
         <strong>{0}</strong> больше не будет получать рассылки.</p>",
        escape(&shown)
    );
    Ok(page(StatusCode::OK, "Unsubscribed", &body))
}
