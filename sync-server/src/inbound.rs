//! Email-to-ticket, the relay's part: mail sent to a workspace's support address is accepted over
//! SMTP, read (`mail-parser`) into what filing needs ([`InboundMail`]) and kept until a device of the
//! workspace files it; the relay never decides what becomes of it (`rapport_core::inbound` does, on
//! the device).
//!
//! Why SMTP rather than fetching from a mailbox over IMAP: the mail arrives the moment it is sent (no
//! polling interval between a customer and the queue), the relay holds no mailbox password, and any
//! mail system can deliver to it — an MX record for the inbound domain, or a forwarding rule
//! (`support@company.example` → the workspace's address). The SMTP conversation itself is `mailin`'s
//! state machine; this module only reads lines and writes its answers.
//!
//! Deny by default: a workspace has no address until an owner or admin makes one (an unguessable
//! local part at `--inbound-domain`), and any other recipient is refused at `RCPT` (550). Mail past
//! [`MOST_MAIL_BYTES`] is refused at its end (552); a workspace with [`MOST_WAITING`] mails not filed
//! is answered "try later" (452), so a flood neither fills the disk nor loses mail already accepted
//! (what is kept of a mail is bounded: its text at 256 KB, a few ids and file names). One address
//! holds at most `MOST_PER_ADDRESS` connections, and a conversation lasts at most half an hour.
//! A mail is answered 250 only once it is in the database.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mail_parser::{MessageParser, MimeHeaders};
use mailin::{Action, Handler, SessionBuilder};
use rapport_core::inbound::{InboundFile, InboundList, InboundMail};
use rapport_core::outbox::{MOST_TEXT_BYTES, Recipient, normalise_address, plausible_address};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::AppState;
use crate::accounts::{Refusal, Why, hash_token, random_token, session_token, unix_seconds};
use crate::store::StoreError;
use crate::store::inbound::{self as store, Kept, Take};
use crate::workspaces::member_of;

/// The largest mail accepted (its encoded size, attachments included).
pub const MOST_MAIL_BYTES: usize = 10 * 1024 * 1024;
/// The most mails a workspace may have waiting to be filed.
pub const MOST_WAITING: u64 = 1_000;
/// The longest line read: SMTP allows 1,000 bytes; mail software that folds badly gets room.
const MOST_LINE_BYTES: u64 = 64 * 1024;
/// How long a client may stay silent before the relay hangs up (RFC 5321 suggests minutes).
const IDLE: Duration = Duration::from_secs(300);
/// SMTP connections served at once; more are told to come back.
const MOST_CONNECTIONS: usize = 64;
/// Connections one address may hold at once: one host cannot take every slot.
const MOST_PER_ADDRESS: usize = 4;
/// The longest a whole conversation may last, however busy it keeps the line.
const MOST_CONVERSATION: Duration = Duration::from_secs(30 * 60);
/// Recipients per mail: a mail to more of this relay's workspaces than this is refused past it.
const MOST_RECIPIENTS: usize = 20;
/// How long a device holds a mail it is filing before another may.
const TAKE_SECS: i64 = 120;
/// Mails one answer lists.
const PAGE: usize = 100;

/// Where the relay receives mail: the listener and the domain of its addresses.
#[derive(Clone, Debug)]
pub struct Inbound {
    pub domain: Arc<str>,
}

impl Inbound {
    /// The full address of a local part.
    pub fn address(&self, local: &str) -> String {
        format!("{local}@{}", self.domain)
    }
}

/// Accepts SMTP connections on `listener` until the relay stops.
pub async fn serve(state: AppState, listener: TcpListener, inbound: Inbound) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MOST_CONNECTIONS));
    let per_address: Arc<Mutex<HashMap<std::net::IpAddr, usize>>> = Arc::default();
    loop {
        let (mut stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting an SMTP connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let address = peer.ip();
        let admitted = {
            let mut held = per_address.lock().unwrap_or_else(|poison| poison.into_inner());
            let count = held.entry(address).or_default();
            (*count < MOST_PER_ADDRESS).then(|| *count += 1)
        };
        let slot = match (admitted, slots.clone().try_acquire_owned()) {
            (Some(()), Ok(slot)) => slot,
            (admitted, _) => {
                if admitted.is_some() {
                    release(&per_address, address);
                }
                let _ = stream.write_all(b"421 Too busy, try again later\r\n").await;
                continue;
            }
        };
        let (state, inbound, per_address) = (state.clone(), inbound.clone(), per_address.clone());
        tokio::spawn(async move {
            let talk = converse(state, stream, peer, inbound);
            match tokio::time::timeout(MOST_CONVERSATION, talk).await {
                Ok(Err(error)) => tracing::debug!(%error, %peer, "SMTP connection ended"),
                Err(_) => tracing::debug!(%peer, "SMTP conversation too long: cut"),
                Ok(Ok(())) => {}
            }
            release(&per_address, address);
            drop(slot);
        });
    }
}

/// One connection of `address` ended.
fn release(per_address: &Mutex<HashMap<std::net::IpAddr, usize>>, address: std::net::IpAddr) {
    let mut held = per_address.lock().unwrap_or_else(|poison| poison.into_inner());
    if let Some(count) = held.get_mut(&address) {
        *count -= 1;
        if *count == 0 {
            held.remove(&address);
        }
    }
}

/// How a message's text ended, for the conversation to answer once it is kept.
enum Ended {
    Received(Received),
    TooLarge,
}

/// A mail the conversation received, waiting to be kept before it is answered.
struct Received {
    workspaces: Vec<String>,
    envelope_from: String,
    raw: Vec<u8>,
}

/// `mailin`'s handler: says which recipients are this relay's and gathers the message.
struct Gatherer {
    domain: Arc<str>,
    /// Local part → workspace, as the conversation began.
    addresses: HashMap<String, String>,
    envelope_from: String,
    workspaces: Vec<String>,
    raw: Vec<u8>,
    too_large: bool,
    done: Arc<Mutex<Option<Ended>>>,
}

impl Handler for Gatherer {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> mailin::Response {
        self.envelope_from = from.to_owned();
        self.workspaces.clear();
        self.raw.clear();
        self.too_large = false;
        mailin::response::OK
    }

    fn rcpt(&mut self, to: &str) -> mailin::Response {
        let to = to.trim_matches(['<', '>']).to_ascii_lowercase();
        let workspace = to
            .rsplit_once('@')
            .filter(|(_, domain)| domain.eq_ignore_ascii_case(&self.domain))
            .and_then(|(local, _)| self.addresses.get(local));
        match workspace {
            Some(_) if self.workspaces.len() >= MOST_RECIPIENTS => {
                mailin::Response::custom(452, "Too many recipients".into())
            }
            Some(workspace) => {
                if !self.workspaces.contains(workspace) {
                    self.workspaces.push(workspace.clone());
                }
                mailin::response::OK
            }
            None => mailin::response::NO_MAILBOX,
        }
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        // Past the limit the rest is read and dropped, and the mail refused at its end.
        if self.raw.len() + buf.len() > MOST_MAIL_BYTES {
            self.too_large = true;
            self.raw = Vec::new();
        } else if !self.too_large {
            self.raw.extend_from_slice(buf);
        }
        Ok(())
    }

    /// Always OK to the state machine, which stays in its data state after an error (every later
    /// command would be taken as text): the conversation answers with what keeping the mail gave.
    fn data_end(&mut self) -> mailin::Response {
        let ended = if self.too_large {
            Ended::TooLarge
        } else {
            Ended::Received(Received {
                workspaces: std::mem::take(&mut self.workspaces),
                envelope_from: std::mem::take(&mut self.envelope_from),
                raw: std::mem::take(&mut self.raw),
            })
        };
        *self.done.lock().unwrap_or_else(|poison| poison.into_inner()) = Some(ended);
        mailin::response::OK
    }
}

async fn converse(
    state: AppState,
    stream: TcpStream,
    peer: SocketAddr,
    inbound: Inbound,
) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let addresses = match state.store.run(store::addresses).await {
        Ok(addresses) => addresses,
        Err(error) => {
            tracing::error!(%error, "reading the support addresses failed");
            writer.write_all(b"421 Service not available, try again later\r\n").await?;
            return Ok(());
        }
    };
    let done = Arc::new(Mutex::new(None));
    let gatherer = Gatherer {
        domain: inbound.domain.clone(),
        addresses,
        envelope_from: String::new(),
        workspaces: Vec::new(),
        raw: Vec::new(),
        too_large: false,
        done: done.clone(),
    };
    let mut session = SessionBuilder::new(&*inbound.domain).build(peer.ip(), gatherer);
    writer.write_all(&session.greeting().buffer()?).await?;
    let mut line = Vec::with_capacity(1024);
    // Within a message's text (after 354), where a line longer than the buffer is passed on in
    // pieces; `mid_line` when the last piece did not end it.
    let (mut in_data, mut mid_line) = (false, false);
    loop {
        line.clear();
        let mut limited = (&mut reader).take(MOST_LINE_BYTES);
        let read = limited.read_until(b'\n', &mut line);
        match tokio::time::timeout(IDLE, read).await {
            Err(_) => {
                writer.write_all(b"421 Timeout, closing connection\r\n").await?;
                return Ok(());
            }
            Ok(Err(error)) => return Err(error),
            Ok(Ok(0)) => return Ok(()),
            Ok(Ok(_)) if !line.ends_with(b"\n") && !in_data => {
                writer.write_all(b"500 Line too long, closing connection\r\n").await?;
                return Ok(());
            }
            Ok(Ok(_)) => {}
        }
        let ended = line.ends_with(b"\n");
        if mid_line && line.starts_with(b".") {
            // The rest of a long line, not a line of its own: a dot there is text (the state
            // machine takes one leading dot away, and a lone dot would end the message).
            line.insert(0, b'.');
        } else if ended && !in_data && !line.ends_with(b"\r\n") {
            // A bare LF ends a command for lenient clients; the state machine expects CRLF. Never
            // within a message's text: only CRLF.CRLF ends a message, or a bare-LF dot line could
            // end it early and smuggle what follows in as commands.
            line.pop();
            line.extend_from_slice(b"\r\n");
        }
        mid_line = in_data && !ended;
        let mut response = session.process(&line);
        if response.code == 354 {
            in_data = true;
        } else if in_data && response.action != Action::NoReply {
            in_data = false;
        }
        let ended = done.lock().unwrap_or_else(|poison| poison.into_inner()).take();
        match ended {
            Some(Ended::Received(received)) => response = keep(&state, received).await,
            Some(Ended::TooLarge) => {
                let most = MOST_MAIL_BYTES / (1024 * 1024);
                response = mailin::Response::custom(552, format!("Message larger than {most} MB"));
            }
            None => {}
        }
        match response.action {
            Action::NoReply => {}
            Action::Reply => writer.write_all(&response.buffer()?).await?,
            Action::Close | Action::UpgradeTls => {
                writer.write_all(&response.buffer()?).await?;
                return Ok(());
            }
        }
    }
}

/// Reads a received mail and keeps it for each workspace it was sent to, then says so on their sync
/// sockets; the SMTP answer says whether it was kept.
async fn keep(state: &AppState, received: Received) -> mailin::Response {
    // To the millisecond: the conversation orders a customer's answer after the reply it answers.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64);
    let Some((mail, contents)) = read(&received.raw, &received.envelope_from, now_ms) else {
        return mailin::Response::custom(550, "A mail needs a sender address".into());
    };
    let full = || mailin::Response::custom(452, "Too many mails waiting, try later".into());
    for workspace in received.workspaces {
        let (ws, key) = (workspace.clone(), mail.key.clone());
        match state.store.run(move |db| store::admits(db, &ws, &key, MOST_WAITING)).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(StoreError::InboundFull) => return full(),
            Err(error) => {
                tracing::error!(%error, "keeping a received mail failed");
                return mailin::response::INTERNAL_ERROR;
            }
        }
        // Its files first, as the workspace's own: a device filing the mail finds them there.
        let mut mail = mail.clone();
        for (file, bytes) in mail.attachments.iter_mut().zip(&contents) {
            match crate::files::keep_received(state, &workspace, bytes, &file.content_type).await {
                Ok(hash) => file.hash = hash,
                Err(_) => return mailin::response::INTERNAL_ERROR,
            }
        }
        let payload = match serde_json::to_string(&mail) {
            Ok(payload) => payload,
            Err(_) => return mailin::response::INTERNAL_ERROR,
        };
        let (ws, key) = (workspace.clone(), mail.key.clone());
        let kept = state
            .store
            .run(move |db| store::keep(db, &ws, &key, now_ms, &payload, MOST_WAITING))
            .await;
        match kept {
            Ok(Kept::New(seq)) => {
                tracing::info!(%workspace, seq, "mail received");
                state.hub.outbox_changed(&workspace).await;
            }
            Ok(Kept::Again) => {}
            Err(StoreError::InboundFull) => return full(),
            Err(error) => {
                tracing::error!(%error, "keeping a received mail failed");
                return mailin::response::INTERNAL_ERROR;
            }
        }
    }
    mailin::response::OK
}

/// What the relay keeps of a mail: the headers threading needs, the sender, the subject, the text,
/// and its files (named, with their bytes beside, in the same order; none kept yet). `None` when it
/// names no sender address at all.
pub fn read(
    raw: &[u8],
    envelope_from: &str,
    received_at: i64,
) -> Option<(InboundMail, Vec<Vec<u8>>)> {
    let message = MessageParser::default().parse(raw);
    let header_from = message.as_ref().and_then(|m| m.from()).and_then(|from| from.first());
    let (address, name) = match header_from.and_then(|addr| addr.address()) {
        Some(address) if plausible_address(address) => {
            (address.to_owned(), header_from.and_then(|addr| addr.name()).unwrap_or_default())
        }
        _ if plausible_address(envelope_from) => (envelope_from.to_owned(), ""),
        _ => return None,
    };
    let name: String =
        name.chars().filter(|c| !c.is_control() && !matches!(c, '<' | '>')).take(200).collect();
    let ids = |value: &mail_parser::HeaderValue| -> Vec<String> {
        value
            .as_text_list()
            .unwrap_or_default()
            .iter()
            .map(|id| id.trim().trim_matches(['<', '>']).to_owned())
            .filter(|id| well_formed_id(id))
            .collect()
    };
    let message_id = message.as_ref().and_then(|m| m.message_id()).map(str::trim);
    let (key, message_id) = match message_id.filter(|id| well_formed_id(id)) {
        Some(id) => (hex32(id.as_bytes()), id.to_owned()),
        None => {
            let key = hex32(raw);
            (key.clone(), format!("{key}@inbound.invalid"))
        }
    };
    let subject: String = message
        .as_ref()
        .and_then(|m| m.subject())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(rapport_core::outbox::MOST_SUBJECT_CHARS)
        .collect();
    let mut text = message
        .as_ref()
        .and_then(|m| m.body_text(0))
        .map(|text| text.into_owned())
        .unwrap_or_default();
    if text.len() > MOST_TEXT_BYTES {
        let mut cut = MOST_TEXT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    let (attachments, contents): (Vec<InboundFile>, Vec<Vec<u8>>) = message
        .as_ref()
        .map(|m| {
            m.attachments()
                .take(rapport_core::inbound::MOST_ATTACHMENT_NAMES)
                .map(|part| {
                    let name = part.attachment_name().unwrap_or("attachment");
                    let name = name
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(rapport_core::inbound::MOST_NAME_CHARS)
                        .collect();
                    let content_type = part.content_type().map_or_else(String::new, |kind| {
                        let subtype = kind.subtype().unwrap_or_default();
                        crate::files::media_type(&format!("{}/{subtype}", kind.ctype()))
                    });
                    let bytes = part.contents().to_vec();
                    let size = bytes.len() as u64;
                    (InboundFile { name, content_type, size, hash: None }, bytes)
                })
                .unzip()
        })
        .unwrap_or_default();
    let mut in_reply_to = message.as_ref().map(|m| ids(m.in_reply_to())).unwrap_or_default();
    in_reply_to.truncate(rapport_core::inbound::MOST_ANSWERED);
    let mut references = message.as_ref().map(|m| ids(m.references())).unwrap_or_default();
    let most = rapport_core::outbox::MOST_REFERENCES;
    if references.len() > most {
        references.drain(..references.len() - most);
    }
    let mail = InboundMail {
        seq: 0,
        key,
        received_at,
        message_id,
        in_reply_to,
        references,
        from: Recipient { address: normalise_address(&address), name },
        subject,
        text,
        attachments,
        taken: false,
        automatic: message.as_ref().is_some_and(automatic),
    };
    Some((mail, contents))
}

/// Whether a machine sent it, as its headers say (RFC 3834's `Auto-Submitted`, and the older
/// markers of out-of-office answers).
fn automatic(message: &mail_parser::Message) -> bool {
    let value = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    value("Auto-Submitted").is_some_and(|v| !v.is_empty() && v != "no")
        || value("X-Autoreply").is_some()
        || value("X-Autorespond").is_some()
        || value("Precedence").is_some_and(|v| matches!(v.as_str(), "auto_reply" | "bulk" | "junk"))
}

fn well_formed_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= rapport_core::outbox::MOST_MESSAGE_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

fn hex32(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..16].iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces/{id}/inbound", get(list))
        .route("/api/workspaces/{id}/inbound/address", post(make_address))
        .route("/api/workspaces/{id}/inbound/{seq}/take", post(take))
        .route("/api/workspaces/{id}/inbound/{seq}/filed", post(filed))
}

/// The signed-in member who may file `workspace`'s mail or take a key of its ledger (`crate::once`):
/// anyone but a viewer, named as the holder of what it takes by their session's hash and the page's
/// own id (`X-Rapport-Filer`), so two tabs of one browser are two holders.
pub(crate) async fn filer(
    state: &AppState,
    headers: &HeaderMap,
    workspace: String,
) -> Result<String, Refusal> {
    let (_, membership) = member_of(state, headers, workspace).await?;
    if !membership.role.writes() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::ReadOnly, None));
    }
    let token = session_token(state, headers).ok_or(Refusal(
        StatusCode::UNAUTHORIZED,
        Why::NotSignedIn,
        None,
    ))?;
    let page = headers
        .get("x-rapport-filer")
        .and_then(|value| value.to_str().ok())
        .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or_default();
    Ok(format!("{}:{page}", hash_token(&token)))
}

/// The workspace's mails not filed yet, and its support address.
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(workspace): Path<String>,
) -> Result<Json<InboundList>, Refusal> {
    let session = filer(&state, &headers, workspace.clone()).await?;
    let now = unix_seconds();
    let ws = workspace.clone();
    let (waiting, local) = state
        .store
        .run(move |db| {
            let waiting = store::waiting(db, &ws, &session, now, PAGE)?;
            Ok((waiting, store::address_of(db, &ws)?))
        })
        .await?;
    let mails = waiting
        .into_iter()
        .filter_map(|row| {
            let mut mail: InboundMail = serde_json::from_str(&row.mail).ok()?;
            mail.seq = row.seq;
            mail.taken = row.taken_elsewhere;
            Some(mail)
        })
        .collect();
    let address = state.inbound.as_ref().zip(local).map(|(inbound, local)| inbound.address(&local));
    Ok(Json(InboundList { mails, address }))
}

/// Makes the workspace's support address (owners and admins), or returns the one it has.
async fn make_address(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(workspace): Path<String>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let (_, membership) = member_of(&state, &headers, workspace.clone()).await?;
    if !membership.role.manages() {
        return Err(Refusal(StatusCode::FORBIDDEN, Why::OnlyManagers, None));
    }
    let Some(inbound) = state.inbound.clone() else {
        return Err(Refusal(StatusCode::SERVICE_UNAVAILABLE, Why::NoInbound, None));
    };
    // Unguessable, so nobody can write to a workspace whose address they were not given; lower
    // case, as mail systems may fold it.
    let token: String = random_token().to_ascii_lowercase().chars().take(16).collect();
    let local = format!("support-{token}");
    let now = unix_seconds();
    let local = state.store.run(move |db| store::make_address(db, &workspace, &local, now)).await?;
    Ok(Json(serde_json::json!({ "address": inbound.address(&local) })))
}

fn seq_of(text: &str) -> Result<i64, Refusal> {
    text.parse::<i64>().ok().filter(|seq| *seq > 0).ok_or(Refusal(
        StatusCode::NOT_FOUND,
        Why::NoSuchEntry,
        None,
    ))
}

fn answer(take: Take) -> Result<StatusCode, Refusal> {
    match take {
        Take::Taken => Ok(StatusCode::NO_CONTENT),
        Take::Elsewhere => Err(Refusal(StatusCode::CONFLICT, Why::TakenElsewhere, None)),
        Take::Filed => Err(Refusal(StatusCode::GONE, Why::AlreadyFiled, None)),
        Take::Missing => Err(Refusal(StatusCode::NOT_FOUND, Why::NoSuchEntry, None)),
    }
}

/// A step of filing mail `seq` by the caller's session: `step(db, workspace, seq, session, now)`.
async fn filing_step(
    state: &AppState,
    headers: &HeaderMap,
    (workspace, seq): (String, String),
    step: fn(&mut rusqlite::Connection, &str, i64, &str, i64) -> Result<Take, StoreError>,
) -> Result<Take, Refusal> {
    let session = filer(state, headers, workspace.clone()).await?;
    let seq = seq_of(&seq)?;
    let now = unix_seconds();
    Ok(state.store.run(move |db| step(db, &workspace, seq, &session, now)).await?)
}

/// This device files mail `seq`: nobody else may for a while.
async fn take(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
) -> Result<Response, Refusal> {
    let taken = filing_step(&state, &headers, path, |db, workspace, seq, session, now| {
        store::take(db, workspace, seq, session, now, now + TAKE_SECS)
    })
    .await?;
    Ok(answer(taken)?.into_response())
}

/// Mail `seq` is filed (the records it made are on the device, on their way to the relay).
async fn filed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
) -> Result<Response, Refusal> {
    let done = filing_step(&state, &headers, path, store::filed).await?;
    match done {
        Take::Elsewhere => Err(Refusal(StatusCode::CONFLICT, Why::NotTaken, None)),
        other => Ok(answer(other)?.into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_is_read_into_what_filing_needs() {
        let raw = b"From: \"Ann Lee\" <Ann@Example.com>\r\nTo: support-x@in.example\r\nSubject: Printer jams\r\nMessage-ID: <a1@mail.example>\r\nIn-Reply-To: <r1@relay.example>\r\nReferences: <a0@mail.example> <r1@relay.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIt jams.\r\n";
        let (mail, contents) = read(raw, "bounce@mail.example", 5).unwrap();
        assert!(mail.attachments.is_empty() && contents.is_empty());
        assert_eq!(mail.from.address, "ann@example.com");
        assert_eq!(mail.from.name, "Ann Lee");
        assert_eq!(mail.message_id, "a1@mail.example");
        assert_eq!(mail.in_reply_to, ["r1@relay.example"]);
        assert_eq!(mail.references, ["a0@mail.example", "r1@relay.example"]);
        assert_eq!(mail.subject, "Printer jams");
        assert_eq!(mail.text.trim(), "It jams.");
        assert_eq!(mail.key, hex32(b"a1@mail.example"));
        assert!(!mail.automatic, "a person wrote it");
        // An out-of-office answer says a machine sent it, in any of the ways mail systems do.
        for header in [
            "Auto-Submitted: auto-replied",
            "Auto-Submitted: Auto-Generated",
            "X-Autoreply: yes",
            "X-Autorespond: on",
            "Precedence: auto_reply",
        ] {
            let raw = format!(
                "From: ann@example.com\r\nSubject: Away\r\n{header}\r\n\r\nBack Monday.\r\n"
            );
            assert!(read(raw.as_bytes(), "", 5).unwrap().0.automatic, "{header}");
        }
        let raw = b"From: ann@example.com\r\nAuto-Submitted: no\r\n\r\nHi\r\n";
        assert!(!read(raw, "", 5).unwrap().0.automatic, "Auto-Submitted: no is a person");
        // No header sender: the envelope's; none at all: refused.
        let bare = b"Subject: hi\r\n\r\nbody\r\n";
        assert_eq!(read(bare, "bob@example.org", 5).unwrap().0.from.address, "bob@example.org");
        assert!(read(bare, "", 5).is_none());
        // Not a mail at all: the sender the envelope gave, a key from the bytes.
        let (junk, _) = read(&[0xff, 0x00, 0x13], "x@example.org", 5).unwrap();
        assert_eq!(junk.key, hex32(&[0xff, 0x00, 0x13]));
        assert!(junk.message_id.ends_with("@inbound.invalid"));
    }

    #[test]
    fn a_mail_s_files_are_read_decoded_with_their_names_and_types() {
        let raw = b"From: ann@example.com\r\nSubject: Photo\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the photo.\r\n--b\r\nContent-Type: image/PNG; name=\"jam.png\"\r\nContent-Disposition: attachment; filename=\"jam\x07.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b\r\nContent-Type: application/x-what\"ever\r\nContent-Disposition: attachment\r\n\r\nraw\r\n--b--\r\n";
        let (mail, contents) = read(raw, "", 5).unwrap();
        assert_eq!(mail.text.trim(), "See the photo.");
        let names: Vec<&str> = mail.attachments.iter().map(|file| file.name.as_str()).collect();
        assert_eq!(names, ["jam.png", "attachment"]);
        assert_eq!(mail.attachments[0].content_type, "image/png");
        assert_eq!(mail.attachments[1].content_type, "application/octet-stream");
        assert_eq!(contents[0], b"hello");
        assert_eq!(mail.attachments[0].size, 5);
        // Not kept until the relay stores them for a workspace.
        assert!(mail.attachments.iter().all(|file| file.hash.is_none()));
    }
}
