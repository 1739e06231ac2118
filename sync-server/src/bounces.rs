//! Bounces: a mail the SMTP server accepted can still come back undeliverable, as a delivery status
//! notification (RFC 3464) sent to the relay's sender address. The mail system hands each one to the
//! relay — `POST /api/mail/bounces` with the raw message and `Authorization: Bearer <--bounce-token>`,
//! as Postfix's pipe or any provider's webhook can — and the relay marks the ledger entry whose
//! `Message-ID` it names `bounced`, with the failed recipient's status and diagnostic, and suppresses
//! that address in the workspace (source "bounced"), so every device shows it and nothing is sent there
//! again.
//!
//! Deny by default: without a token the route does not exist; a wrong token is 401. A notification
//! that only delays (`Action: delayed`) or names no mail of this relay changes nothing (202, so the mail
//! system does not retry it).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use mail_parser::{MessageParser, MimeHeaders};
use rapport_core::outbox::{OutboxId, Work};

use crate::AppState;
use crate::accounts::{Refusal, Why, bad_request, unix_seconds};
use crate::store::outbox as ledger;

/// The largest notification read: the status and the returned headers fit many times over; a
/// returned message beyond this is cut by any mail system that returns whole messages.
pub const MOST_BOUNCE_BYTES: usize = 1024 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/api/mail/bounces",
        post(bounce).layer(axum::extract::DefaultBodyLimit::max(MOST_BOUNCE_BYTES)),
    )
}

/// What a delivery status notification says, as far as the relay cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The returned message's `Message-ID`, without its angle brackets.
    pub message_id: String,
    /// The recipients it could not be delivered to.
    pub failed: Vec<FailedRecipient>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecipient {
    pub address: String,
    /// The enhanced status code (`5.1.1`).
    pub status: String,
    /// The receiving server's words, when it gave any.
    pub diagnostic: Option<String>,
}

impl FailedRecipient {
    /// What the ledger and the suppression list say of it: "5.1.1 (smtp; 550 5.1.1 no such user)".
    pub fn reason(&self) -> String {
        match &self.diagnostic {
            Some(words) => format!("{} ({words})", self.status),
            None => self.status.clone(),
        }
    }
}

/// Why a body is not a notification the relay can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    #[error("not a mail message")]
    NotAMessage,
    #[error("no delivery status part (message/delivery-status)")]
    NoStatus,
    #[error("the returned message's Message-ID is missing")]
    NoMessageId,
}

/// Reads a delivery status notification (a `multipart/report` with a `message/delivery-status` part
/// and the returned message or its headers).
pub fn read_dsn(raw: &[u8]) -> Result<Bounce, DsnError> {
    let parser = MessageParser::default();
    let message = parser.parse(raw).ok_or(DsnError::NotAMessage)?;
    let mut status = None;
    let mut message_id = None;
    for part in &message.parts {
        let Some(kind) = part.content_type() else { continue };
        let (main, sub) = (kind.ctype(), kind.subtype().unwrap_or_default());
        match (main.to_ascii_lowercase().as_str(), sub.to_ascii_lowercase().as_str()) {
            ("message", "delivery-status" | "global-delivery-status") => {
                status = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            ("message", "rfc822" | "global") if message_id.is_none() => {
                message_id = part.message().and_then(|m| m.message_id()).map(str::to_owned);
            }
            ("text", "rfc822-headers") | ("message", "global-headers") if message_id.is_none() => {
                let headers = parser.parse(part.contents());
                message_id = headers.as_ref().and_then(|m| m.message_id()).map(str::to_owned);
            }
            _ => {}
        }
    }
    let status = status.ok_or(DsnError::NoStatus)?;
    let message_id = message_id.filter(|id| !id.is_empty()).ok_or(DsnError::NoMessageId)?;
    Ok(Bounce { message_id, failed: failed_recipients(&status) })
}

/// The per-recipient blocks of a delivery status (header-like fields, blocks apart by a blank line)
/// whose `Action` is `failed`.
fn failed_recipients(status: &str) -> Vec<FailedRecipient> {
    let mut failed = Vec::new();
    for block in status.replace("\r\n", "\n").split("\n\n") {
        // Folded lines continue the field above.
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in block.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = fields.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                fields.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        if !field("action").is_some_and(|a| a.eq_ignore_ascii_case("failed")) {
            continue;
        }
        // `rfc822; ann@example.test`: the address after its type.
        let Some(recipient) = field("final-recipient").or_else(|| field("original-recipient"))
        else {
            continue;
        };
        let address = recipient.rsplit(';').next().unwrap_or_default().trim();
        let address = address.trim_start_matches('<').trim_end_matches('>').to_lowercase();
        if address.is_empty() {
            continue;
        }
        let status = field("status").unwrap_or_else(|| "5.0.0".into());
        failed.push(FailedRecipient { address, status, diagnostic: field("diagnostic-code") });
    }
    failed
}

/// `<ledger id>.<workspace>@domain` (without brackets), as `mail.rs` writes it: the entry it names.
fn entry_of(message_id: &str) -> Option<(String, OutboxId)> {
    let (local, _) = message_id.rsplit_once('@')?;
    let (id, workspace) = local.split_once('.')?;
    let workspace: rapport_core::ids::WorkspaceId = workspace.parse().ok()?;
    Some((workspace.to_string(), OutboxId::parse(id).ok()?))
}

async fn bounce(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match take(&state, &headers, &body).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

async fn take(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, Refusal> {
    let Some(token) = state.mail.as_ref().and_then(|mailer| mailer.bounce_token()) else {
        return Err(Refusal(StatusCode::NOT_FOUND, Why::NoBounces, None));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if !given.is_some_and(|given| crate::health::constant_time_equal(given.as_bytes(), token)) {
        return Err(Refusal(StatusCode::UNAUTHORIZED, Why::NotSignedIn, None));
    }
    let bounce = read_dsn(body).map_err(|error| {
        tracing::info!(%error, "a bounce the relay cannot read");
        bad_request(Why::BadBounce)
    })?;
    let ignored =
        || (StatusCode::ACCEPTED, Json(serde_json::json!({ "bounced": 0 }))).into_response();
    let Some((workspace, id)) = entry_of(&bounce.message_id) else { return Ok(ignored()) };
    if bounce.failed.is_empty() {
        return Ok(ignored());
    }
    let message_id = format!("<{}>", bounce.message_id);
    let now = unix_seconds();
    let ws = workspace.clone();
    let marked = state
        .store
        .run(move |db| {
            let Some(entry) = ledger::entry(db, &ws, &id)? else { return Ok(false) };
            let payload = ledger::payload(db, &ws, &id)?.unwrap_or_default();
            let Ok(Work::Mail(mail)) = serde_json::from_str::<Work>(&payload) else {
                return Ok(false);
            };
            // Only the message's own recipients: a notification cannot suppress anyone else.
            let failed: Vec<&FailedRecipient> = bounce
                .failed
                .iter()
                .filter(|f| mail.to.iter().any(|to| to.address.eq_ignore_ascii_case(&f.address)))
                .collect();
            if failed.is_empty() || entry.message_id.as_deref() != Some(message_id.as_str()) {
                return Ok(false);
            }
            let reason =
                failed.iter().map(|f| format!("{}: {}", f.address, f.reason())).collect::<Vec<_>>();
            let marked = ledger::bounced(db, &ws, &id, &reason.join("; "), now)?;
            for recipient in failed {
                let source = format!("bounced: {}", recipient.reason());
                ledger::record_consent(db, &ws, &recipient.address, false, &source, now)?;
            }
            Ok(marked)
        })
        .await?;
    if !marked {
        return Ok(ignored());
    }
    state.hub.outbox_changed(&workspace).await;
    Ok((StatusCode::OK, Json(serde_json::json!({ "bounced": 1 }))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "From: MAILER-DAEMON@mx.example\r\n\
To: crm@acme.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
Your message could not be delivered.\r\n\
--b1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example\r\n\
\r\n\
Final-Recipient: rfc822; Ann@Client.example\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <ann@client.example>:\r\n\
\x20no such user\r\n\
\r\n\
Final-Recipient: rfc822; late@client.example\r\n\
Action: delayed\r\n\
Status: 4.4.1\r\n\
--b1\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
From: Acme <crm@acme.example>\r\n\
Message-ID: <0123456789abcdef0123456789abcdef.0190f5a0-0000-7000-8000-000000000001@acme.example>\r\n\
Subject: Hello\r\n\
--b1--\r\n";

    #[test]
    fn a_notification_names_the_returned_message_and_each_recipient_that_failed() {
        let bounce = read_dsn(DSN.as_bytes()).unwrap();
        assert_eq!(
            bounce.message_id,
            "0123456789abcdef0123456789abcdef.0190f5a0-0000-7000-8000-000000000001@acme.example"
        );
        assert_eq!(
            bounce.failed,
            [FailedRecipient {
                address: "ann@client.example".into(),
                status: "5.1.1".into(),
                diagnostic: Some("smtp; 550 5.1.1 <ann@client.example>: no such user".into()),
            }],
            "a delay is not a failure"
        );
        let (workspace, id) = entry_of(&bounce.message_id).unwrap();
        assert_eq!(workspace, "0190f5a0-0000-7000-8000-000000000001");
        assert_eq!(id.as_str(), "0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn what_is_not_a_notification_says_why() {
        assert_eq!(read_dsn(b""), Err(DsnError::NotAMessage));
        let plain = "From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n";
        assert_eq!(read_dsn(plain.as_bytes()), Err(DsnError::NoStatus));
        let no_id = DSN.replace("Message-ID: <0123456789abcdef0123456789abcdef.0190f5a0-0000-7000-8000-000000000001@acme.example>\r\n", "");
        assert_eq!(read_dsn(no_id.as_bytes()), Err(DsnError::NoMessageId));
        assert_eq!(entry_of("someone@else.example"), None);
        assert_eq!(entry_of("abc.not-a-workspace@acme.example"), None);
    }
}
