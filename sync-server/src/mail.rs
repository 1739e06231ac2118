//! Email out over SMTP: the relay's sender works through the outbox ledger, one attempt per entry at a
//! time, and records how each ended.
//!
//! Exactly once: an entry is marked `sending` (its attempt counted) in the same transaction that takes
//! it, and marked `sent` when the mail server accepts it. A temporary refusal or a timeout is tried
//! again later with growing pauses, up to a number of attempts; a permanent refusal (5xx) ends it at
//! once with the server's answer. The only message that can go twice is the one being handed over
//! when the relay died (the server may have taken it before the relay heard so): on restart it goes
//! again with the same `Message-ID`, derived from the ledger id.
//!
//! Consent is checked here, when the mail goes, not only when a device queued it: an address that
//! opted out meanwhile (for example through the one-click link while every device was offline) is not
//! written to. Bulk mail carries `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058) pointing at
//! the relay, with a link signed by the relay's secret.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use hmac::{KeyInit, Mac};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rapport_core::outbox::{Mail, OutboxId, UpdateLink, Work, normalise_address};
use rapport_core::tracking;

use crate::AppState;
use crate::accounts::unix_seconds;
use crate::store::outbox::{self as ledger, Due, Outcome};

/// How the relay reaches its mail server.
#[derive(Clone)]
pub struct MailSettings {
    /// lettre's connection URL: `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465` (TLS from the start), `smtp://host:25` (plain, a local MTA).
    pub smtp_url: String,
    /// The sender, `Name <address>`.
    pub from: String,
    /// How long one SMTP exchange may take.
    pub timeout: Duration,
    /// The pause after the first failed attempt; each next pause is three times longer (6 h at most).
    pub retry_after: Duration,
    /// Attempts before an entry is marked failed.
    pub attempts: u32,
    /// Mails handed to the mail server at once, each over a connection of its own. A relay killed
    /// mid-send resends at most these (with their `Message-ID`s). More than one because lettre
    /// 0.11.23 leaves Nagle's algorithm on, so each mail on a connection waits ~40 ms for the
    /// server's delayed ACK (fixed upstream in lettre#1159, not yet released): one at a time sends
    /// ~22 mails a second, eight ~180.
    pub at_once: usize,
    /// Campaign mails sent a minute at most, evenly spaced (none: no limit).
    pub bulk_per_minute: Option<std::num::NonZeroU32>,
    /// Where unsubscribe links point: the relay's public origin.
    pub links_origin: String,
    /// The bearer token the mail system presents when it hands the relay a bounce
    /// (`POST /api/mail/bounces`); none, no bounces are taken.
    pub bounce_token: Option<String>,
}

impl std::fmt::Debug for MailSettings {
    // The URL may hold the submission password: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings").field("from", &self.from).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("the SMTP URL is not usable: {0}")]
    Url(String),
    #[error("the sender address “{0}” is not a mailbox (write `Name <address>` or `address`)")]
    From(String),
}

/// The relay's sender. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Mailer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    settings: MailSettings,
    /// Nudged when work is queued, so the sender does not wait for its next look: one for each lane
    /// (mail, and bulk mail).
    wake: tokio::sync::Notify,
    wake_bulk: tokio::sync::Notify,
    /// Spaces campaign mails out when the relay is told to ([`MailSettings::bulk_per_minute`]).
    bulk_pace: Option<governor::DefaultDirectRateLimiter>,
}

impl Mailer {
    /// The token bounces are handed over with, if the relay takes them.
    pub(crate) fn bounce_token(&self) -> Option<&[u8]> {
        self.inner.settings.bounce_token.as_deref().map(str::as_bytes)
    }

    pub fn new(settings: MailSettings) -> Result<Mailer, MailSetupError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .map_err(|error| MailSetupError::Url(error.to_string()))?
            .timeout(Some(settings.timeout))
            .build();
        let from: Mailbox =
            settings.from.parse().map_err(|_| MailSetupError::From(settings.from.clone()))?;
        let (wake, wake_bulk) = (tokio::sync::Notify::new(), tokio::sync::Notify::new());
        // Evenly spaced, no burst: a provider's limit per minute is often one per second too.
        let bulk_pace = settings.bulk_per_minute.map(|per_minute| {
            let quota =
                governor::Quota::per_minute(per_minute).allow_burst(std::num::NonZeroU32::MIN);
            governor::RateLimiter::direct(quota)
        });
        let inner = Inner { transport, from, settings, wake, wake_bulk, bulk_pace };
        Ok(Mailer { inner: Arc::new(inner) })
    }

    /// The sender address as members see it.
    pub fn from(&self) -> String {
        self.inner.from.to_string()
    }

    /// Work was queued: look now (each lane looks for its own).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
        self.inner.wake_bulk.notify_one();
    }

    /// The pause before attempt `attempt + 1`, or none when `attempt` was the last.
    fn retry_pause(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.inner.settings.attempts {
            return None;
        }
        let first = self.inner.settings.retry_after.as_secs().max(1);
        let pause = first.saturating_mul(3u64.saturating_pow(attempt.saturating_sub(1)));
        Some(Duration::from_secs(pause.min(6 * 3600)))
    }

    /// `<ledger id.workspace@sender's domain>`: the same for every attempt of one entry.
    fn message_id(&self, workspace: &str, id: &OutboxId) -> String {
        format!("<{id}.{workspace}@{}>", self.inner.from.email.domain())
    }
}

/// Works through the outbox's mail until the relay stops (`worker::work_through`).
pub async fn run(state: AppState, mailer: Mailer) {
    let secret = loop {
        match state.store.run(ledger::link_secret).await {
            Ok(secret) => break secret,
            Err(error) => {
                tracing::error!(%error, "reading the link secret failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    };
    let secret: Arc<str> = secret.into();
    // Two lanes: a campaign's thousands of copies wait their turn in their own, while mail written to
    // one person goes at once in the other.
    let mail = Sending { mailer: mailer.clone(), secret: secret.clone(), bulk: false };
    let bulk = Sending { mailer, secret, bulk: true };
    tokio::join!(
        crate::worker::work_through(state.clone(), mail),
        crate::worker::work_through(state, bulk)
    );
}

/// The mail service as the outbox's worker runs it: the sender, the secret its unsubscribe links
/// are signed with, and which lane (bulk mail, or the rest).
#[derive(Clone)]
struct Sending {
    mailer: Mailer,
    secret: Arc<str>,
    bulk: bool,
}

impl crate::worker::Service for Sending {
    fn kind(&self) -> &'static str {
        if self.bulk { "bulk" } else { "mail" }
    }

    fn lease_secs(&self) -> i64 {
        self.mailer.inner.settings.timeout.as_secs() as i64 * 4 + 60
    }

    /// The bulk lane takes half the connections, so the other always has its own.
    fn at_once(&self) -> usize {
        let at_once = self.mailer.inner.settings.at_once;
        if self.bulk { at_once.div_ceil(2) } else { at_once }
    }

    fn wakes(&self) -> &tokio::sync::Notify {
        if self.bulk { &self.mailer.inner.wake_bulk } else { &self.mailer.inner.wake }
    }

    fn pace(&self) -> Option<&governor::DefaultDirectRateLimiter> {
        self.mailer.inner.bulk_pace.as_ref().filter(|_| self.bulk)
    }

    async fn attempt(&self, state: &AppState, entry: &Due) -> Outcome {
        let outcome = attempt(state, &self.mailer, &self.secret, entry).await;
        if let Outcome::Suppressed { reason } = &outcome {
            tracing::info!(id = %entry.id, %reason, "mail not sent");
        }
        outcome
    }
}

/// One attempt at one entry.
async fn attempt(state: &AppState, mailer: &Mailer, secret: &str, entry: &Due) -> Outcome {
    let mail = match serde_json::from_str::<Work>(&entry.payload) {
        Ok(Work::Mail(mail)) => mail,
        Ok(_) => return Outcome::Failed { reason: "not a mail".into() },
        Err(error) => return Outcome::Failed { reason: format!("unreadable request: {error}") },
    };
    let addresses: Vec<String> = mail.to.iter().map(|r| normalise_address(&r.address)).collect();
    let workspace = entry.workspace.clone();
    match state.store.run(move |db| ledger::opted_out(db, &workspace, &addresses)).await {
        Ok(Some(event)) => {
            let reason = format!("{} opted out ({})", event.address, event.source);
            return Outcome::Suppressed { reason };
        }
        Ok(None) => {}
        Err(error) => return retry_or_fail(mailer, entry, format!("consent unreadable: {error}")),
    }
    let message_id = mailer.message_id(&entry.workspace, &entry.id);
    let message =
        match compose(mailer, secret, &entry.workspace, entry.id.as_str(), &mail, &message_id) {
            Ok(message) => message,
            Err(reason) => return Outcome::Failed { reason },
        };
    // lettre applies its timeout per command; this bounds the whole exchange.
    let deadline = mailer.inner.settings.timeout * 3;
    match tokio::time::timeout(deadline, mailer.inner.transport.send(message)).await {
        Ok(Ok(reply)) => {
            let text = reply.message().collect::<Vec<_>>().join(" ");
            Outcome::Sent { message_id, reply: format!("{} {text}", reply.code()) }
        }
        Ok(Err(error)) if error.is_permanent() => Outcome::Failed { reason: smtp_reason(&error) },
        Ok(Err(error)) => retry_or_fail(mailer, entry, smtp_reason(&error)),
        Err(_) => retry_or_fail(mailer, entry, "the mail server did not answer in time".into()),
    }
}

/// The server's answer as a person reads it, without lettre's wrapping.
fn smtp_reason(error: &lettre::transport::smtp::Error) -> String {
    match error.status() {
        Some(code) => format!("{code}: {error}"),
        None => error.to_string(),
    }
}

fn retry_or_fail(mailer: &Mailer, entry: &Due, reason: String) -> Outcome {
    match mailer.retry_pause(entry.attempt) {
        Some(pause) => Outcome::Retry { at: unix_seconds() + pause.as_secs() as i64, reason },
        None => Outcome::Failed {
            reason: format!("gave up after {} attempts: {reason}", entry.attempt),
        },
    }
}

fn compose(
    mailer: &Mailer,
    secret: &str,
    workspace: &str,
    item: &str,
    mail: &Mail,
    message_id: &str,
) -> Result<Message, String> {
    let mailbox = |address: &str, name: &str| -> Result<Mailbox, String> {
        let address = address.parse().map_err(|_| format!("“{address}” is not an address"))?;
        Ok(Mailbox::new((!name.is_empty()).then(|| name.to_owned()), address))
    };
    let mut builder = Message::builder()
        .from(mailer.inner.from.clone())
        .subject(mail.subject.clone())
        .message_id(Some(message_id.to_owned()));
    for recipient in &mail.to {
        builder = builder.to(mailbox(&recipient.address, &recipient.name)?);
    }
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(mailbox(&reply_to.address, &reply_to.name)?);
    }
    // Threads it in the recipient's mail app (the ids were checked when it was queued).
    if let Some(id) = &mail.in_reply_to {
        builder = builder.in_reply_to(format!("<{id}>"));
    }
    if !mail.references.is_empty() {
        let ids: Vec<String> = mail.references.iter().map(|id| format!("<{id}>")).collect();
        builder = builder.references(ids.join(" "));
    }
    if mail.bulk {
        let first = mail.to.first().map(|r| normalise_address(&r.address)).unwrap_or_default();
        let link = format!(
            "{}/api/unsubscribe/{}",
            mailer.inner.settings.links_origin.trim_end_matches('/'),
            unsubscribe_token(secret, workspace, &first)
        );
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{link}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let origin = mailer.inner.settings.links_origin.trim_end_matches('/');
    let text = match &mail.rating_for {
        // A survey: the relay's signed link where the device marked its place.
        Some(key) => {
            let link = format!("{origin}/api/rate/{}", rating_token(secret, workspace, key));
            mail.text.replace(rapport_core::outbox::RATING_LINK, &link)
        }
        None => mail.text.clone(),
    };
    // An investor update: the recipient's own read-only link.
    let text = match &mail.update_link {
        Some(link) => {
            let UpdateLink { update, reader } = &**link;
            let link =
                format!("{origin}/updates/{}", update_token(secret, workspace, update, reader));
            text.replace(rapport_core::outbox::UPDATE_LINK, &link)
        }
        None => text,
    };
    // A campaign's links: tagged, then (tracked) each a signed redirect through the relay — one too
    // long to carry is left going straight. Only bulk mail is tracked: the relay's redirects are no
    // member's to hand out.
    let track = mail.track && mail.bulk;
    let link = |url: &str| -> Option<String> {
        let tagged = mail.utm.as_deref().map(|tag| tracking::with_utm(url, tag));
        let target = tagged.as_deref().unwrap_or(url);
        match track && target.len() <= tracking::MOST_TRACKED_LINK_BYTES {
            true => Some(format!(
                "{origin}/api/t/{}",
                track_token(secret, workspace, item, Some(target))
            )),
            false => tagged,
        }
    };
    let message = if mail.markdown {
        let parts = tracking::mail_parts(&text, link);
        let pixel = if track {
            let token = track_token(secret, workspace, item, None);
            format!(
                "<img src=\"{origin}/api/o/{token}\" width=\"1\" height=\"1\" alt=\"\" \
                 style=\"display:block;border:0\">"
            )
        } else {
            String::new()
        };
        let html = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"></head>\
             <body style=\"font-family:system-ui,sans-serif;font-size:16px;line-height:1.5\">\
             {}{pixel}</body></html>",
            parts.html
        );
        builder.multipart(MultiPart::alternative_plain_html(parts.text, html))
    } else {
        let text = match track || mail.utm.is_some() {
            true => {
                tracking::replace_links(&text, |url| link(url).unwrap_or_else(|| url.to_owned()))
            }
            false => text,
        };
        builder.header(ContentType::TEXT_PLAIN).body(text)
    };
    message.map_err(|error| format!("the message is not valid: {error}"))
}

/// A tracking token naming mail `item` of `workspace` and, for a click, the `link` it leads to:
/// whoever holds it records that mail's open (or that link's click) and is sent on to the link,
/// nothing else. Its payload begins `open` or `click`, which no workspace id is.
pub fn track_token(secret: &str, workspace: &str, item: &str, link: Option<&str>) -> String {
    let payload = match link {
        None => format!("{OPEN}\n{workspace}\n{item}"),
        Some(link) => format!("{CLICK}\n{workspace}\n{item}\n{link}"),
    };
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}", engine.encode(&payload), engine.encode(link_tag(secret, &payload)))
}

/// The workspace, mail and (for a click) link a tracking token names, if the relay signed it.
pub fn read_track_token(secret: &str, token: &str) -> Option<(String, String, Option<String>)> {
    let payload = signed_payload(secret, token)?;
    let (kind, rest) = payload.split_once('\n')?;
    match kind {
        OPEN => {
            let (workspace, item) = rest.split_once('\n')?;
            (!item.contains('\n')).then(|| (workspace.to_owned(), item.to_owned(), None))
        }
        CLICK => {
            let mut parts = rest.splitn(3, '\n');
            let (workspace, item, link) = (parts.next()?, parts.next()?, parts.next()?);
            Some((workspace.to_owned(), item.to_owned(), Some(link.to_owned())))
        }
        _ => None,
    }
}

const OPEN: &str = "open";
const CLICK: &str = "click";

type LinkMac = hmac::Hmac<sha2::Sha256>;

/// A link token naming `address` in `workspace`, signed with the relay's secret: whoever holds it may
/// opt that address out, and nothing else.
pub fn unsubscribe_token(secret: &str, workspace: &str, address: &str) -> String {
    let payload = format!("{workspace}\n{address}");
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}", engine.encode(&payload), engine.encode(link_tag(secret, &payload)))
}

/// A rating link's token naming survey `key` (a ticket's id) in `workspace`: whoever holds it may
/// answer that survey, once, and nothing else. Its payload begins `rate`, which no workspace id is,
/// so it is never read as an unsubscribe link, nor one of those as it.
pub fn rating_token(secret: &str, workspace: &str, key: &str) -> String {
    let payload = format!("{RATE}\n{workspace}\n{key}");
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}", engine.encode(&payload), engine.encode(link_tag(secret, &payload)))
}

const RATE: &str = "rate";
const READ: &str = "read";

/// An investor update's link token naming update `update` of `workspace` and recipient `reader`:
/// whoever holds it may read that update while the workspace lets `reader` read it, react to it, and
/// nothing else. Its payload begins `read`, which no workspace id is (nor `rate`).
pub fn update_token(secret: &str, workspace: &str, update: &str, reader: &str) -> String {
    let payload = format!("{READ}\n{workspace}\n{update}\n{reader}");
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}", engine.encode(&payload), engine.encode(link_tag(secret, &payload)))
}

/// The workspace, update and reader an update token names, if the relay signed it.
pub fn read_update_token(secret: &str, token: &str) -> Option<(String, String, String)> {
    let payload = signed_payload(secret, token)?;
    let mut parts = payload.strip_prefix(READ)?.strip_prefix('\n')?.split('\n');
    let (workspace, update, reader) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((workspace.to_owned(), update.to_owned(), reader.to_owned()))
}

/// The workspace and survey key a rating token names, if the relay signed it.
pub fn read_rating_token(secret: &str, token: &str) -> Option<(String, String)> {
    let payload = signed_payload(secret, token)?;
    let (workspace, key) = payload.strip_prefix(RATE)?.strip_prefix('\n')?.split_once('\n')?;
    Some((workspace.to_owned(), key.to_owned()))
}

fn link_tag(secret: &str, payload: &str) -> Vec<u8> {
    let mut mac =
        LinkMac::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes()[..16].to_vec()
}

/// The workspace and address a token names, if the relay signed it.
pub fn read_unsubscribe_token(secret: &str, token: &str) -> Option<(String, String)> {
    let payload = signed_payload(secret, token)?;
    let (workspace, address) = payload.split_once('\n')?;
    if [RATE, READ, OPEN, CLICK].contains(&workspace) {
        return None;
    }
    Some((workspace.to_owned(), address.to_owned()))
}

/// A link token's payload, if the relay signed it.
fn signed_payload(secret: &str, token: &str) -> Option<String> {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (payload, tag) = token.split_once('.')?;
    let payload = String::from_utf8(engine.decode(payload).ok()?).ok()?;
    let tag = engine.decode(tag).ok()?;
    let mut mac = LinkMac::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(payload.as_bytes());
    // Constant time: a forged tag learns nothing from how long the check took.
    mac.verify_truncated_left(&tag).ok()?;
    if tag.len() != 16 {
        return None;
    }
    Some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsubscribe_link_names_one_address_and_cannot_be_altered() {
        let token = unsubscribe_token("secret", "ws-1", "ann@example.com");
        assert_eq!(
            read_unsubscribe_token("secret", &token),
            Some(("ws-1".into(), "ann@example.com".into()))
        );
        assert_eq!(read_unsubscribe_token("another secret", &token), None);
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (_, tag) = token.split_once('.').unwrap();
        let forged = format!("{}.{tag}", engine.encode("ws-1\nbob@example.com"));
        assert_eq!(read_unsubscribe_token("secret", &forged), None);
        let short = format!("{}.{}", token.split_once('.').unwrap().0, &tag[..4]);
        assert_eq!(read_unsubscribe_token("secret", &short), None, "a truncated tag is refused");
        for junk in ["", ".", "x.y", "%%%.%%%"] {
            assert_eq!(read_unsubscribe_token("secret", junk), None);
            assert_eq!(read_rating_token("secret", junk), None);
        }
    }

    #[test]
    fn a_tracking_link_names_one_mail_and_link_and_opens_nothing_else() {
        let click = track_token("secret", "ws-1", "item-1", Some("https://acme.test/a\nb"));
        assert_eq!(
            read_track_token("secret", &click),
            Some(("ws-1".into(), "item-1".into(), Some("https://acme.test/a\nb".into())))
        );
        let open = track_token("secret", "ws-1", "item-1", None);
        assert_eq!(read_track_token("secret", &open), Some(("ws-1".into(), "item-1".into(), None)));
        assert_eq!(read_track_token("another secret", &click), None);
        for token in [&click, &open] {
            assert_eq!(read_unsubscribe_token("secret", token), None, "it opts nobody out");
            assert_eq!(read_rating_token("secret", token), None, "it answers no survey");
            assert_eq!(read_update_token("secret", token), None, "it reads no update");
        }
        let unsubscribe = unsubscribe_token("secret", "ws-1", "ann@example.com");
        assert_eq!(read_track_token("secret", &unsubscribe), None, "it sends nobody anywhere");
        let rating = rating_token("secret", "ws-1", "key");
        assert_eq!(read_track_token("secret", &rating), None);
    }

    #[test]
    fn a_rating_link_names_one_survey_and_is_no_unsubscribe_link() {
        let token = rating_token("secret", "ws-1", "ticket-7");
        assert_eq!(read_rating_token("secret", &token), Some(("ws-1".into(), "ticket-7".into())));
        assert_eq!(read_rating_token("another secret", &token), None);
        assert_eq!(read_unsubscribe_token("secret", &token), None, "it opts nobody out");
        let unsubscribe = unsubscribe_token("secret", "ws-1", "ann@example.com");
        assert_eq!(read_rating_token("secret", &unsubscribe), None, "it answers no survey");
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (_, tag) = token.split_once('.').unwrap();
        let forged = format!("{}.{tag}", engine.encode("rate\nws-1\nticket-8"));
        assert_eq!(read_rating_token("secret", &forged), None);
    }

    #[test]
    fn an_update_link_names_one_reader_of_one_update_and_nothing_else() {
        let token = update_token("secret", "ws-1", "update-2", "party-3");
        assert_eq!(
            read_update_token("secret", &token),
            Some(("ws-1".into(), "update-2".into(), "party-3".into()))
        );
        assert_eq!(read_update_token("another secret", &token), None);
        assert_eq!(read_rating_token("secret", &token), None, "it rates nothing");
        assert_eq!(read_unsubscribe_token("secret", &token), None, "it opts nobody out");
        let rating = rating_token("secret", "ws-1", "ticket-7");
        assert_eq!(read_update_token("secret", &rating), None, "a rating link reads no update");
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (_, tag) = token.split_once('.').unwrap();
        let forged = format!("{}.{tag}", engine.encode("read\nws-1\nupdate-2\nparty-4"));
        assert_eq!(read_update_token("secret", &forged), None, "another reader");
    }

    fn mailer(attempts: u32) -> Mailer {
        Mailer::new(MailSettings {
            smtp_url: "smtp://127.0.0.1:1".into(),
            from: "Rapport <crm@example.com>".into(),
            timeout: Duration::from_secs(5),
            retry_after: Duration::from_secs(30),
            attempts,
            at_once: 1,
            bulk_per_minute: None,
            links_origin: "https://crm.example.com".into(),
            bounce_token: None,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn failed_attempts_wait_three_times_longer_each_time_until_the_last() {
        let mailer = mailer(4);
        let pauses: Vec<_> = (1..=4).map(|n| mailer.retry_pause(n).map(|d| d.as_secs())).collect();
        assert_eq!(pauses, [Some(30), Some(90), Some(270), None]);
        assert_eq!(self::mailer(100).retry_pause(60), Some(Duration::from_secs(6 * 3600)));
    }

    #[tokio::test]
    async fn a_bad_sender_or_url_is_named_at_start() {
        let mut settings = mailer(1).inner.settings.clone();
        settings.from = "not an address".into();
        assert!(matches!(Mailer::new(settings.clone()), Err(MailSetupError::From(_))));
        settings.from = "crm@example.com".into();
        settings.smtp_url = "ftp://example.com".into();
        assert!(matches!(Mailer::new(settings), Err(MailSetupError::Url(_))));
    }
}
