//! Opens and clicks of tracked mail (`rapport_core::tracking`): the redirect each tracked link goes
//! through, the image in a tracked mail's HTML part, and the log devices read them from.
//!
//! The relay wrote every tracked link and image itself, signed with its link secret
//! (`crate::mail::track_token`), so a token names one workspace, one mail of its ledger and the link it
//! leads to, and cannot be altered into a redirect anywhere else. The first open and the first click
//! of each link of each mail are kept once (a unique key); later ones change nothing. A `HEAD`
//! request — link checkers ask that — is answered without being counted.
//!
//! Who may do what: anyone holding a link follows it; any member reads their workspace's log; a
//! workspace the caller is not in is answered like one that does not exist (404).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rapport_core::outbox::OutboxId;
use rapport_core::tracking::EngagementEvent;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::accounts::{Refusal, Why, bad_request, unix_seconds};
use crate::mail::read_track_token;
use crate::services::{Caching, PublicPage};
use crate::store::outbox as ledger;
use crate::workspaces::member_of;

/// The most events one answer carries.
const PAGE: usize = 1000;

/// A transparent GIF of one pixel.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/t/{token}", get(click))
        .route("/api/o/{token}", get(open))
        .route("/api/workspaces/{id}/engagement", get(engagement_log))
}

/// A tracked link: recorded (its first click), then on to where it leads — also when recording
/// fails, since the reader wants the page, not the relay's trouble.
async fn click(
    State(state): State<AppState>,
    method: Method,
    Path(token): Path<String>,
) -> Response {
    let Some((workspace, item, Some(link))) = read(&state, &token).await else { return gone() };
    // Only the web: the relay signed it, but a link to anything else is not one it follows.
    let lower = link.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Only while the mail is in the ledger: a link of a workspace deleted since leads nowhere.
    let counted = method != Method::HEAD;
    if record(&state, workspace, item, Some(link.clone()), counted).await == Some(false) {
        return gone();
    }
    let location = ascii_location(&link);
    let headers = [
        (header::LOCATION, location.as_str()),
        (header::CACHE_CONTROL, "no-store"),
        // The page reached learns nothing of the token.
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    (StatusCode::FOUND, headers).into_response()
}

/// A tracked mail's image: recorded (its first open), answered with a transparent pixel.
async fn open(
    State(state): State<AppState>,
    method: Method,
    Path(token): Path<String>,
) -> Response {
    let Some((workspace, item, None)) = read(&state, &token).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if record(&state, workspace, item, None, method != Method::HEAD).await == Some(false) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let headers = [(header::CONTENT_TYPE, "image/gif"), (header::CACHE_CONTROL, "no-store")];
    (StatusCode::OK, headers, PIXEL).into_response()
}

/// What `token` names, if the relay signed it.
async fn read(state: &AppState, token: &str) -> Option<(String, String, Option<String>)> {
    let token = token.strip_suffix(".gif").unwrap_or(token).to_owned();
    let secret = state.store.run(ledger::link_secret).await.ok()?;
    read_track_token(&secret, &token)
}

/// Records an open or a click (when `counted`); whether the ledger holds the mail — `None` when that
/// could not be read, which the reader does not pay for (they still reach the page).
async fn record(
    state: &AppState,
    workspace: String,
    item: String,
    link: Option<String>,
    counted: bool,
) -> Option<bool> {
    let now = unix_seconds();
    let ws = workspace.clone();
    let recorded = state
        .store
        .run(move |db| match counted {
            true => ledger::record_engagement(db, &ws, &item, link.as_deref(), now),
            false => match OutboxId::parse(&item) {
                Ok(id) => Ok(ledger::entry(db, &ws, &id)?.map(|_| false)),
                Err(_) => Ok(None),
            },
        })
        .await;
    match recorded {
        // Devices hear of it as they hear of the ledger's other news.
        Ok(Some(true)) => {
            state.hub.outbox_changed(&workspace).await;
            Some(true)
        }
        Ok(Some(false)) => Some(true),
        Ok(None) => Some(false),
        Err(error) => {
            tracing::warn!(%error, "an open or click could not be recorded");
            None
        }
    }
}

/// The page of a tracked link that leads nowhere.
fn gone() -> Response {
    let page = PublicPage {
        lang: "en",
        title: "Link not found",
        style: "body{max-width:32rem}",
        body: "<h1>This link does not work</h1>\
               <p>It may have been copied in part, or the mail it came in was withdrawn. / \
               Ссылка не работает: возможно, она скопирована не полностью или письмо отозвано.</p>",
    };
    page.answer(StatusCode::NOT_FOUND, Caching::Never)
}

/// `link` as a `Location` header can carry it: bytes outside printable ASCII percent-encoded (a
/// browser reads `%D0%BF` in a path as the letter it encodes).
fn ascii_location(link: &str) -> String {
    let mut out = String::with_capacity(link.len());
    for byte in link.bytes() {
        if byte.is_ascii_graphic() {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[derive(Debug, Deserialize)]
struct After {
    #[serde(default)]
    after: i64,
}

#[derive(Debug, Serialize)]
struct EngagementLog {
    events: Vec<EngagementEvent>,
    /// The sequence number to ask after next time.
    after: i64,
    /// More events wait beyond this page.
    more: bool,
}

async fn engagement_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<After>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EngagementLog>, Refusal> {
    let (_, membership) = member_of(&state, &headers, id).await?;
    let Ok(Query(After { after })) = query else { return Err(bad_request(Why::BadForm)) };
    let (events, last, rows) = state
        .store
        .run(move |db| ledger::engagement_events(db, &membership.workspace, after, PAGE))
        .await?;
    // A full page: more may follow.
    let more = rows >= PAGE;
    Ok(Json(EngagementLog { events, after: last, more }))
}
