//! The relay's HTTP API as the app calls it: accounts, workspaces, invitations and sync tickets. The
//! relay serves the app, so every call is same-origin and the session rides in its `HttpOnly` cookie.

use gloo_net::http::{Request, Response};
use leptos_i18n::td_string;
use rapport_core::ids::WorkspaceId;
use serde::{Deserialize, Serialize};

/// Why a call to the relay did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The relay could not be reached (offline, relay down).
    #[error("the relay cannot be reached")]
    Unreachable,
    /// Not signed in, or the session expired.
    #[error("not signed in")]
    SignedOut,
    /// The relay refused, with its sentence for the person.
    #[error("{0}")]
    Refused(String),
}

impl ApiError {
    /// The sentence for the person, in the screens' language (the relay's own refusals arrive in
    /// its words).
    pub fn said(&self) -> String {
        let locale = crate::locale::current();
        match self {
            ApiError::Unreachable => td_string!(locale, sync.unreachable).to_owned(),
            ApiError::SignedOut => td_string!(locale, account.signed_out).to_owned(),
            ApiError::Refused(text) => text.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub email: String,
    pub name: String,
}

/// A workspace on the relay and my role in it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RemoteWorkspace {
    pub id: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Invite {
    pub code: String,
    pub role: String,
}

/// An invitation still waiting for people, as the relay lists it (without its code).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PendingInvite {
    pub id: String,
    pub role: String,
    pub uses_left: i64,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
    pub created_by: Option<String>,
}

#[derive(Deserialize)]
struct Ticket {
    ticket: String,
}

#[derive(Deserialize)]
struct Refusal {
    error: String,
    /// The relay's stable name for the reason, said here in the screens' language.
    #[serde(default)]
    code: Option<String>,
}

/// The relay's reason in the screens' language; its own sentence for a code this app does not know
/// (a newer relay).
fn refusal_text(refusal: Refusal) -> String {
    said_code(refusal.code.as_deref(), &refusal.error)
}

/// The relay's reason `code` in the screens' language; `error`, its own sentence, for a code this app
/// does not know.
pub fn said_code(code: Option<&str>, error: &str) -> String {
    let locale = crate::locale::current();
    let said = match code {
        Some("database") => td_string!(locale, relay.database),
        Some("not_an_email") => td_string!(locale, relay.not_an_email),
        Some("password_too_short") => td_string!(locale, relay.password_too_short),
        Some("password_too_long") => td_string!(locale, relay.password_too_long),
        Some("name_needed") => td_string!(locale, relay.name_needed),
        Some("account_exists") => td_string!(locale, relay.account_exists),
        Some("wrong_password") => td_string!(locale, relay.wrong_password),
        Some("not_signed_in") => td_string!(locale, relay.not_signed_in),
        Some("session_failed") => td_string!(locale, relay.session_failed),
        Some("hash_failed") => td_string!(locale, relay.hash_failed),
        Some("check_failed") => td_string!(locale, relay.check_failed),
        Some("no_such_workspace") => td_string!(locale, relay.no_such_workspace),
        Some("bad_workspace_id") => td_string!(locale, relay.bad_workspace_id),
        Some("workspace_id_taken") => td_string!(locale, relay.workspace_id_taken),
        Some("only_managers_invite") => td_string!(locale, relay.only_managers_invite),
        Some("bad_role") => td_string!(locale, relay.bad_role),
        Some("invite_above_role") => td_string!(locale, relay.invite_above_role),
        Some("invite_unknown") => td_string!(locale, relay.invite_unknown),
        Some("only_managers_remove") => td_string!(locale, relay.only_managers_remove),
        Some("remove_above_role") => td_string!(locale, relay.remove_above_role),
        Some("not_a_member") => td_string!(locale, relay.not_a_member),
        Some("last_owner") => td_string!(locale, relay.last_owner),
        Some("too_many_attempts") => td_string!(locale, relay.too_many_attempts),
        Some("busy") => td_string!(locale, relay.busy),
        Some("too_many_tickets") => td_string!(locale, relay.too_many_tickets),
        Some("no_such_invite") => td_string!(locale, relay.no_such_invite),
        Some("cross_site") => td_string!(locale, relay.cross_site),
        Some("bad_form") => td_string!(locale, relay.bad_form),
        Some("bad_uses") => td_string!(locale, relay.bad_uses),
        Some("too_many_workspaces") => td_string!(locale, relay.too_many_workspaces),
        Some("body_too_large") => td_string!(locale, relay.body_too_large),
        Some("read_only") => td_string!(locale, relay.read_only),
        Some("file_too_large") => td_string!(locale, relay.file_too_large),
        Some("files_quota") => td_string!(locale, relay.files_quota),
        Some("hash_mismatch") => td_string!(locale, relay.hash_mismatch),
        Some("file_lost") => td_string!(locale, relay.file_lost),
        Some("only_managers") => td_string!(locale, relay.only_managers),
        Some("no_inbound") => td_string!(locale, service.no_inbound),
        _ => return error.to_owned(),
    };
    said.to_owned()
}

async fn post(path: &str, body: &impl Serialize) -> Result<Response, ApiError> {
    let request = Request::post(path).json(body).map_err(|_| ApiError::Unreachable)?;
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    refused(response).await
}

async fn refused(response: Response) -> Result<Response, ApiError> {
    match response.status() {
        200..=299 => Ok(response),
        401 => Err(ApiError::SignedOut),
        // A relay behind a proxy that is down answers 502–504: the same as unreachable.
        502..=504 => Err(ApiError::Unreachable),
        status => Err(ApiError::Refused(
            response.json::<Refusal>().await.map(refusal_text).unwrap_or_else(|_| {
                td_string!(crate::locale::current(), account.answered, status).to_string()
            }),
        )),
    }
}

async fn json<T: for<'de> Deserialize<'de>>(response: Response) -> Result<T, ApiError> {
    response.json().await.map_err(|_| {
        ApiError::Refused(td_string!(crate::locale::current(), account.unexpected).into())
    })
}

/// Who is signed in on this browser, if anyone.
pub async fn me() -> Result<Option<Account>, ApiError> {
    let response = Request::get("/api/me").send().await.map_err(|_| ApiError::Unreachable)?;
    match refused(response).await {
        Ok(response) => json(response).await.map(Some),
        Err(ApiError::SignedOut) => Ok(None),
        Err(error) => Err(error),
    }
}

pub async fn sign_up(email: &str, name: &str, password: &str) -> Result<Account, ApiError> {
    #[derive(Serialize)]
    struct Form<'a> {
        email: &'a str,
        name: &'a str,
        password: &'a str,
    }
    json(post("/api/accounts", &Form { email, name, password }).await?).await
}

pub async fn sign_in(email: &str, password: &str) -> Result<Account, ApiError> {
    #[derive(Serialize)]
    struct Form<'a> {
        email: &'a str,
        password: &'a str,
    }
    match post("/api/sessions", &Form { email, password }).await {
        // Here a 401 means the credentials, not an expired session.
        Err(ApiError::SignedOut) => Err(ApiError::Refused(
            td_string!(crate::locale::current(), account.wrong_password).into(),
        )),
        other => json(other?).await,
    }
}

pub async fn sign_out() -> Result<(), ApiError> {
    let response =
        Request::delete("/api/sessions").send().await.map_err(|_| ApiError::Unreachable)?;
    refused(response).await.map(drop)
}

/// Ends every session of my account, on every device (this one too).
pub async fn sign_out_everywhere() -> Result<(), ApiError> {
    let response =
        Request::delete("/api/me/sessions").send().await.map_err(|_| ApiError::Unreachable)?;
    refused(response).await.map(drop)
}

/// Changes my password; every other device's session ends. A wrong current password is refused.
pub async fn change_password(current: &str, new: &str) -> Result<(), ApiError> {
    #[derive(Serialize)]
    struct Form<'a> {
        current: &'a str,
        new: &'a str,
    }
    let request = Request::put("/api/me/password")
        .json(&Form { current, new })
        .map_err(|_| ApiError::Unreachable)?;
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    refused(response).await.map(drop)
}

pub async fn my_workspaces() -> Result<Vec<RemoteWorkspace>, ApiError> {
    let response =
        Request::get("/api/workspaces").send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// Puts this device's workspace on the relay (I become its owner). Creating one I already own is fine.
pub async fn create_workspace(id: WorkspaceId, name: &str) -> Result<RemoteWorkspace, ApiError> {
    #[derive(Serialize)]
    struct Form<'a> {
        id: String,
        name: &'a str,
    }
    json(post("/api/workspaces", &Form { id: id.to_string(), name }).await?).await
}

/// A code for `uses` people to join `workspace` as `role`.
pub async fn invite(workspace: WorkspaceId, role: &str, uses: u32) -> Result<Invite, ApiError> {
    #[derive(Serialize)]
    struct Form<'a> {
        role: &'a str,
        uses: u32,
    }
    json(post(&format!("/api/workspaces/{workspace}/invites"), &Form { role, uses }).await?).await
}

/// The invitations of `workspace` not used up, expired or revoked (owners and admins only).
pub async fn pending_invites(workspace: WorkspaceId) -> Result<Vec<PendingInvite>, ApiError> {
    let path = format!("/api/workspaces/{workspace}/invites");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// Deletes file `hash` of `workspace` for good (an erasure; owners and admins only). Deleting one
/// already gone succeeds.
pub async fn erase_file(workspace: WorkspaceId, hash: &str) -> Result<(), ApiError> {
    let path = format!("/api/workspaces/{workspace}/files/{hash}");
    let response = Request::delete(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    if response.status() == 503 {
        // A relay that keeps no files holds none of theirs; any other 503 is a proxy's.
        let said = response.json::<Refusal>().await.ok().and_then(|r| r.code);
        return if said.as_deref() == Some("no_files") {
            Ok(())
        } else {
            Err(ApiError::Unreachable)
        };
    }
    refused(response).await.map(drop)
}

/// Takes back invitation `invite` of `workspace` before anyone else uses it.
pub async fn revoke_invite(workspace: WorkspaceId, invite: String) -> Result<(), ApiError> {
    let path = format!("/api/workspaces/{workspace}/invites/{invite}");
    let response = Request::delete(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    refused(response).await.map(drop)
}

/// Joins the workspace an invitation code is for.
pub async fn accept(code: &str) -> Result<RemoteWorkspace, ApiError> {
    let code: String = code
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if code.is_empty() {
        return Err(ApiError::Refused(
            td_string!(crate::locale::current(), account.enter_code).into(),
        ));
    }
    json(post(&format!("/api/invites/{code}"), &serde_empty()).await?).await
}

/// A single-use ticket for opening the sync socket of `workspace`.
pub async fn ticket(workspace: WorkspaceId) -> Result<String, ApiError> {
    let ticket: Ticket =
        json(post(&format!("/api/workspaces/{workspace}/tickets"), &serde_empty()).await?).await?;
    Ok(ticket.ticket)
}

/// The id of this member's private document in `workspace` (made on first asking), which the relay
/// syncs with their own devices only.
pub async fn private_document(
    workspace: WorkspaceId,
) -> Result<rapport_core::layout::DocumentId, ApiError> {
    #[derive(Deserialize)]
    struct Private {
        document: String,
    }
    let private: Private =
        json(post(&format!("/api/workspaces/{workspace}/private-document"), &serde_empty()).await?)
            .await?;
    private.document.parse().map_err(|_| ApiError::Refused("not a document id".to_owned()))
}

/// What the relay offers a workspace's devices besides sync.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Services {
    /// The relay sends mail; without it, messages go to the device's mail app.
    pub mail: bool,
    #[serde(default)]
    pub mail_from: Option<String>,
    /// The relay pushes scheduled reminders to subscribed devices.
    #[serde(default)]
    pub push: bool,
    /// The relay receives mail for support addresses.
    #[serde(default)]
    pub inbound: bool,
    /// The workspace's support address, once made.
    #[serde(default)]
    pub support_address: Option<String>,
}

pub async fn services(workspace: WorkspaceId) -> Result<Services, ApiError> {
    let path = format!("/api/workspaces/{workspace}/services");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// What a workspace's files take on the relay, and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct FileUsage {
    pub used: u64,
    pub quota: u64,
    pub most_file: u64,
}

/// The workspace's file usage; `None` when the relay keeps no files.
pub async fn file_usage(workspace: WorkspaceId) -> Result<Option<FileUsage>, ApiError> {
    let path = format!("/api/workspaces/{workspace}/files");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    if response.status() == 503
        && response.json::<Refusal>().await.is_ok_and(|r| r.code.as_deref() == Some("no_files"))
    {
        return Ok(None);
    }
    json(refused(response).await?).await.map(Some)
}

/// Uploads `blob` as the file at `path`: the relay's status and body as they are, for
/// `Uploads::uploaded` to judge (status 0: the relay was not reached).
pub async fn upload_file(path: &str, blob: &web_sys::Blob, content_type: &str) -> (u16, String) {
    let kind = if content_type.is_empty() { "application/octet-stream" } else { content_type };
    let Ok(request) = Request::put(path).header("content-type", kind).body(blob) else {
        return (0, String::new());
    };
    match request.send().await {
        Ok(response) => (response.status(), response.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

/// Hands `work` to the relay's outbox under `id`: the relay's status and body as they are, for
/// `DeviceOutbox::handed_over` to judge (status 0: the relay was not reached). For a relay that takes
/// no batch.
pub async fn hand_over(
    workspace: WorkspaceId,
    id: &rapport_core::outbox::OutboxId,
    work: &rapport_core::outbox::Work,
) -> (u16, String) {
    let path = format!("/api/workspaces/{workspace}/outbox/{id}");
    let Ok(request) = Request::put(&path).json(work) else { return (0, String::new()) };
    match request.send().await {
        Ok(response) => (response.status(), response.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

/// Hands a batch of waiting work to the relay at once: the relay's status and body as they are, for
/// `DeviceOutbox::batch_answered` to judge (status 0: the relay was not reached).
pub async fn hand_over_batch(
    workspace: WorkspaceId,
    batch: &[rapport_core::outbox::Waiting],
) -> (u16, String) {
    use rapport_core::outbox::{Batch, BatchItem};
    let path = format!("/api/workspaces/{workspace}/outbox");
    let items = batch.iter().map(|w| BatchItem { id: &w.id, work: &w.work }).collect();
    let Ok(request) = Request::post(&path).json(&Batch { items }) else {
        return (0, String::new());
    };
    match request.send().await {
        Ok(response) => (response.status(), response.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

/// Asks the relay to cancel the scheduled job `id`: its status and body, for
/// `DeviceOutbox::cancel_answered` (status 0: the relay was not reached).
pub async fn cancel_job(
    workspace: WorkspaceId,
    id: &rapport_core::outbox::OutboxId,
) -> (u16, String) {
    let path = format!("/api/workspaces/{workspace}/outbox/{id}");
    match Request::delete(&path).send().await {
        Ok(response) => (response.status(), response.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

/// The key browsers subscribe to the relay's pushes with (base64url).
pub async fn push_key() -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct Key {
        public_key: String,
    }
    let response = Request::get("/api/push/key").send().await.map_err(|_| ApiError::Unreachable)?;
    json::<Key>(refused(response).await?).await.map(|key| key.public_key)
}

/// Hands this browser's push subscription (`PushSubscription.toJSON()`, as JSON text) to the relay.
pub async fn push_subscribe(subscription: &str) -> Result<(), ApiError> {
    let request = Request::put("/api/push/subscription")
        .header("content-type", "application/json")
        .body(subscription)
        .map_err(|_| ApiError::Unreachable)?;
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    refused(response).await.map(drop)
}

/// The workspace's outbox ledger, changed after version `after`.
pub async fn outbox_changes(
    workspace: WorkspaceId,
    after: i64,
) -> Result<rapport_core::outbox::Changes, ApiError> {
    let path = format!("/api/workspaces/{workspace}/outbox?after={after}");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// A page of the workspace's consent log, after sequence number `after`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConsentLog {
    pub events: Vec<rapport_core::outbox::ConsentEvent>,
    pub after: i64,
}

/// Records that `address` opted in or out, and how (204 when it already stood so: fine too).
pub async fn record_consent(
    workspace: WorkspaceId,
    address: &str,
    opted_in: bool,
    source: &str,
) -> Result<(), ApiError> {
    #[derive(Serialize)]
    struct Form<'a> {
        address: &'a str,
        opted_in: bool,
        source: &'a str,
    }
    let path = format!("/api/workspaces/{workspace}/consent");
    post(&path, &Form { address: address.trim(), opted_in, source: source.trim() }).await.map(drop)
}

/// A page of the workspace's opens and clicks of tracked mail, after sequence number `after`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EngagementLog {
    pub events: Vec<rapport_core::tracking::EngagementEvent>,
    pub after: i64,
    /// More wait beyond this page.
    #[serde(default)]
    pub more: bool,
}

pub async fn engagement_log(workspace: WorkspaceId, after: i64) -> Result<EngagementLog, ApiError> {
    let path = format!("/api/workspaces/{workspace}/engagement?after={after}");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

pub async fn consent_log(workspace: WorkspaceId, after: i64) -> Result<ConsentLog, ApiError> {
    let path = format!("/api/workspaces/{workspace}/consent?after={after}");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// The answers to the workspace's satisfaction surveys received after `after` (writers only).
pub async fn ratings(
    workspace: WorkspaceId,
    after: i64,
) -> Result<rapport_core::satisfaction::Answers, ApiError> {
    let path = format!("/api/workspaces/{workspace}/ratings?after={after}");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// The workspace's mails not filed yet (writers only).
pub async fn inbound(
    workspace: WorkspaceId,
) -> Result<rapport_core::inbound::InboundList, ApiError> {
    let path = format!("/api/workspaces/{workspace}/inbound");
    let request = Request::get(&path).header("x-rapport-filer", &this_page());
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// Asks to file mail `seq` (`step` `take`) or says it is filed (`filed`): the status (204 yes, 409
/// another device holds it, 410 filed already; 0 the relay was not reached).
pub async fn inbound_step(workspace: WorkspaceId, seq: i64, step: &str) -> u16 {
    let path = format!("/api/workspaces/{workspace}/inbound/{seq}/{step}");
    match Request::post(&path).header("x-rapport-filer", &this_page()).send().await {
        Ok(response) => response.status(),
        Err(_) => 0,
    }
}

/// Takes `key` of the workspace's ledger (`path` empty) or says it is done (`path` `/done`): the
/// status (204 yes, 409 another device holds it, 410 done already; 0 the relay was not reached).
pub async fn once(workspace: WorkspaceId, key: &str, path: &str) -> u16 {
    let path = format!("/api/workspaces/{workspace}/once/{key}{path}");
    match Request::post(&path).header("x-rapport-filer", &this_page()).send().await {
        Ok(response) => response.status(),
        Err(_) => 0,
    }
}

/// Says `key` of the workspace's ledger is done; one the relay did not hear of is kept in `unsaid`,
/// to be said again ([`say_unsaid`]) before its hold ends and another device would act again.
pub async fn say_done(
    workspace: WorkspaceId,
    key: String,
    unsaid: &std::cell::RefCell<Vec<String>>,
) {
    if once(workspace, &key, "/done").await == 0 {
        unsaid.borrow_mut().push(key);
    }
}

/// Says again each key of `unsaid` done ([`say_done`]).
pub async fn say_unsaid(workspace: WorkspaceId, unsaid: &std::cell::RefCell<Vec<String>>) {
    let waiting = std::mem::take(&mut *unsaid.borrow_mut());
    for key in waiting {
        say_done(workspace, key, unsaid).await;
    }
}

/// This page's own id as a filer of mail or holder of a ledger key: two tabs of one browser share a
/// session but not this.
fn this_page() -> String {
    thread_local! {
        static PAGE: String = format!("{:016x}", (js_sys::Math::random() * 1e16) as u64);
    }
    PAGE.with(Clone::clone)
}

/// Makes the workspace's support address (owners and admins), or returns the one it has.
pub async fn make_support_address(workspace: WorkspaceId) -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct Made {
        address: String,
    }
    let path = format!("/api/workspaces/{workspace}/inbound/address");
    let response = Request::post(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json::<Made>(refused(response).await?).await.map(|made| made.address)
}

fn serde_empty() -> std::collections::BTreeMap<String, String> {
    std::collections::BTreeMap::new()
}

/// The workspace's articles on the help pages, with readers' answers (any member).
pub async fn published_articles(
    workspace: WorkspaceId,
) -> Result<rapport_core::knowledge::Published, ApiError> {
    let path = format!("/api/workspaces/{workspace}/articles");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// Publishes (or republishes) article `article` on the help pages (writers only).
pub async fn publish_article(
    workspace: WorkspaceId,
    article: rapport_core::ids::ArticleId,
    publication: &rapport_core::knowledge::Publication,
) -> Result<(), ApiError> {
    let path = format!("/api/workspaces/{workspace}/articles/{article}");
    let request = Request::put(&path).json(publication).map_err(|_| ApiError::Unreachable)?;
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    // Only a refusal of the article itself is final; a busy or failing relay is asked again.
    if !matches!(response.status(), 200..=299 | 400 | 401 | 409 | 413) {
        return Err(ApiError::Unreachable);
    }
    refused(response).await.map(drop)
}

/// The workspace's investor updates on the relay, with what each recipient did (any member).
pub async fn published_updates(
    workspace: WorkspaceId,
) -> Result<rapport_core::investor::PublishedUpdates, ApiError> {
    let path = format!("/api/workspaces/{workspace}/updates");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// Hands the relay update `update` to serve behind its recipients' links (writers only).
pub async fn publish_update(
    workspace: WorkspaceId,
    update: rapport_core::ids::UpdateId,
    publication: &rapport_core::investor::UpdatePublication,
) -> Result<(), ApiError> {
    let path = format!("/api/workspaces/{workspace}/updates/{update}");
    let request = Request::put(&path).json(publication).map_err(|_| ApiError::Unreachable)?;
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    // Only a refusal of the update itself is final; a busy or failing relay is asked again.
    if !matches!(response.status(), 200..=299 | 400 | 401 | 409 | 413) {
        return Err(ApiError::Unreachable);
    }
    refused(response).await.map(drop)
}

/// Withdraws update `update`: none of its links open any more (writers only).
pub async fn withdraw_update(workspace: WorkspaceId, update: &str) -> Result<(), ApiError> {
    let path = format!("/api/workspaces/{workspace}/updates/{update}");
    let response = Request::delete(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    refused(response).await.map(drop)
}

/// Takes article `article` off the help pages (writers only).
pub async fn withdraw_article(workspace: WorkspaceId, article: &str) -> Result<(), ApiError> {
    let path = format!("/api/workspaces/{workspace}/articles/{article}");
    let response = Request::delete(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    refused(response).await.map(drop)
}

/// Registers (or brings up to date) ballot `ballot` of `workspace` at the relay's ballot box (owners
/// and admins): the status (201 new, 204 updated, 409 locked or full, 400 refused; 0 the relay was
/// not reached), with the relay's code for a refusal (`too_many_ballots`: the workspace's ballot box
/// is full).
pub async fn register_ballot(
    workspace: WorkspaceId,
    ballot: &str,
    registration: &rapport_core::ballot::Ballot,
) -> (u16, Option<String>) {
    let path = format!("/api/workspaces/{workspace}/ballots/{ballot}");
    let Ok(request) = Request::put(&path).json(registration) else { return (0, None) };
    let Ok(response) = request.send().await else { return (0, None) };
    let status = response.status();
    let code = if status >= 400 {
        response.json::<Refusal>().await.ok().and_then(|refusal| refusal.code)
    } else {
        None
    };
    (status, code)
}

/// What the relay may show of ballot `ballot` (owners and admins); `None` when it does not know it.
pub async fn ballot_results(
    workspace: WorkspaceId,
    ballot: &str,
) -> Result<Option<rapport_core::ballot::Results>, ApiError> {
    let path = format!("/api/workspaces/{workspace}/ballots/{ballot}");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    if response.status() == 404 {
        return Ok(None);
    }
    json(refused(response).await?).await.map(Some)
}

/// Takes this member's single-use token for ballot `ballot` — the one the device chose, of which only
/// the hash is sent: the status (201 it is theirs, also when asked again with the same one; 409
/// another token was taken for them before; 404 not invited or not registered yet; 410 closed; 0 the
/// relay was not reached) — with, when it is theirs, the ballot's terms as the relay keeps them.
pub async fn ballot_token(
    workspace: WorkspaceId,
    ballot: &str,
    token_hash: &str,
) -> (u16, Option<BallotTerms>) {
    #[derive(Serialize)]
    struct Chosen<'a> {
        token_hash: &'a str,
    }
    let path = format!("/api/workspaces/{workspace}/ballots/{ballot}/token");
    let Ok(request) = Request::post(&path).json(&Chosen { token_hash }) else { return (0, None) };
    let Ok(response) = request.send().await else { return (0, None) };
    let status = response.status();
    let terms = if status == 201 { response.json().await.ok() } else { None };
    (status, terms)
}

/// A ballot's terms as the relay tells them with a token: its smallest group shown and who alone
/// reads its results (none: the workspace's owners and admins).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct BallotTerms {
    pub k: u32,
    #[serde(default)]
    pub readers: Vec<String>,
}

/// Sends `answer` with `token` alone — without this browser's cookies, so the request names nobody:
/// the status (201 kept, 404 the token is spent or unknown, 410 closed; 0 the relay was not reached).
pub async fn send_answer(token: &str, answer: &str) -> u16 {
    #[derive(Serialize)]
    struct Body<'a> {
        token: &'a str,
        answer: &'a str,
    }
    let request = Request::post("/api/ballots/answer")
        .credentials(web_sys::RequestCredentials::Omit)
        .json(&Body { token, answer });
    let Ok(request) = request else { return 0 };
    request.send().await.map_or(0, |response| response.status())
}

/// This member's letters (sent or received) listed after `after`.
pub async fn letters(
    workspace: WorkspaceId,
    after: i64,
) -> Result<rapport_core::letters::Page, ApiError> {
    let path = format!("/api/workspaces/{workspace}/letters?after={after}");
    let response = Request::get(&path).send().await.map_err(|_| ApiError::Unreachable)?;
    json(refused(response).await?).await
}

/// Sends letter `id`: the status (201 kept, 200 kept before, 409 the id is another letter's, 422 a
/// recipient is no member, 400/413 refused as it is; 0 the relay was not reached).
pub async fn send_letter(
    workspace: WorkspaceId,
    id: &str,
    posting: &rapport_core::letters::Posting,
) -> u16 {
    let path = format!("/api/workspaces/{workspace}/letters/{id}");
    let Ok(request) = Request::put(&path).json(posting) else { return 0 };
    request.send().await.map_or(0, |response| response.status())
}

/// Withdraws letter `id` this member sent: the status (204 withdrawn, also before; 404 this member
/// sent no such letter; 0 the relay was not reached).
pub async fn withdraw_letter(workspace: WorkspaceId, id: &str) -> u16 {
    let path = format!("/api/workspaces/{workspace}/letters/{id}");
    Request::delete(&path).send().await.map_or(0, |response| response.status())
}
