//! Work a device hands to the relay — an email to send now, a notification due at a time — and the
//! relay's ledger of it, as wire types both sides share.
//!
//! Exactly once although every device of a workspace sees the same triggers, retries after timeouts
//! and replays after days offline: a piece of work is named by an [`OutboxId`] derived from what caused
//! it (a record, a rule, a due time), so two devices doing the same thing, or one device asking again,
//! name the same entry, and the relay keeps one entry per id and workspace. The relay never reads CRM
//! fields: it sees the message it is asked to send, not the record it came from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{InteractionId, MemberId, WorkspaceId};

/// The first parts of many causes, hashed once: the ids of many pieces of work that share them (every
/// event of every ticket: `["stamp", "ticket", …]`) cost only their own parts.
#[derive(Clone)]
pub struct Causes(Sha256);

impl Causes {
    pub fn new(workspace: WorkspaceId, first: &[&str]) -> Causes {
        let mut hash = Sha256::new();
        hash.update(b"rapport-outbox\0");
        hash.update(workspace.to_string().as_bytes());
        let mut causes = Causes(hash);
        causes.feed(first);
        causes
    }

    fn feed(&mut self, parts: &[&str]) {
        for part in parts {
            self.0.update((part.len() as u64).to_be_bytes());
            self.0.update(part.as_bytes());
        }
    }

    /// The id of the cause made of the first parts and then `rest`, as
    /// [`OutboxId::from_cause`] gives it for all the parts at once.
    pub fn id(&self, rest: &[&str]) -> OutboxId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut causes = self.clone();
        causes.feed(rest);
        let digest = causes.0.finalize();
        let mut text = String::with_capacity(OutboxId::LEN);
        for byte in &digest[..OutboxId::LEN / 2] {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 15)]));
        }
        OutboxId(text)
    }
}

impl std::fmt::Debug for Causes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Causes")
    }
}

/// The ledger id of one piece of work: 32 lowercase hex digits (128 bits of a SHA-256 of its cause).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OutboxId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an outbox id is 32 lowercase hex digits")]
pub struct BadOutboxId;

/// The 16 bytes of a UUID of version 8 (made by the application) derived from `cause` in
/// `workspace`: the id of a record that two devices creating "the same" record must agree on (a
/// follow-up task, an action item's task).
pub fn derived_uuid(workspace: WorkspaceId, cause: &[&str]) -> [u8; 16] {
    let cause = OutboxId::from_cause(workspace, cause);
    let mut bytes = [0u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(cause.as_str().as_bytes().chunks(2)) {
        let text = std::str::from_utf8(pair).unwrap_or("00");
        *byte = u8::from_str_radix(text, 16).unwrap_or(0);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

impl OutboxId {
    pub const LEN: usize = 32;

    /// The id of the work that `cause` names in `workspace` — for example `["follow-up",
    /// interaction id]` or `["reminder", task id, due time]`. The same cause gives the same id on every
    /// device; the parts are length-prefixed, so `["ab", "c"]` and `["a", "bc"]` differ.
    pub fn from_cause(workspace: WorkspaceId, cause: &[&str]) -> OutboxId {
        Causes::new(workspace, &[]).id(cause)
    }

    /// The mail sent as interaction `interaction` (the email on the timeline): every device derives
    /// the same id from it, so the mail's state shows wherever the interaction does.
    pub fn of_mail(workspace: WorkspaceId, interaction: InteractionId) -> OutboxId {
        OutboxId::from_cause(workspace, &["mail", &interaction.to_string()])
    }

    pub fn parse(text: &str) -> Result<OutboxId, BadOutboxId> {
        let well_formed = text.len() == Self::LEN
            && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if well_formed { Ok(OutboxId(text.to_owned())) } else { Err(BadOutboxId) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OutboxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OutboxId {
    type Error = BadOutboxId;
    fn try_from(text: String) -> Result<OutboxId, BadOutboxId> {
        OutboxId::parse(&text)
    }
}

impl From<OutboxId> for String {
    fn from(id: OutboxId) -> String {
        id.0
    }
}

/// The data of the ephemeral message the relay sends on a workspace's root when its outbox ledger
/// changed: devices then ask for the changes.
pub const OUTBOX_CHANGED: &[u8] = b"rapport:outbox-changed";

/// What a device asks the relay to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Work {
    Mail(Mail),
    Notify(Notify),
    /// Nothing to do but note the time the relay first heard of the id: the relay's clock for an
    /// event on a device (a ticket's reply, say), the same on every device once they have heard it,
    /// and only as early as the event reached the relay, however the device's clock is set.
    Stamp {},
}

impl Work {
    /// The kind as the ledger names it. Bulk mail (a campaign's copies) is a kind of its own: the relay
    /// sends it in a lane of its own and counts it apart, so ten thousand copies neither hold up nor
    /// crowd out a reply to a customer.
    pub fn kind(&self) -> &'static str {
        match self {
            Work::Mail(mail) if mail.bulk => "bulk",
            Work::Mail(_) => "mail",
            Work::Notify(_) => "notify",
            Work::Stamp {} => "stamp",
        }
    }

    pub fn check(&self) -> Result<(), WorkError> {
        match self {
            Work::Mail(mail) => mail.check(),
            Work::Notify(notify) => notify.check(),
            Work::Stamp {} => Ok(()),
        }
    }

    /// Unix seconds before which the relay does not do it (a scheduled job, a scheduled campaign's
    /// copy), if any.
    pub fn due_at(&self) -> Option<i64> {
        match self {
            Work::Mail(mail) => mail.send_at,
            Work::Stamp {} => None,
            Work::Notify(notify) => Some(notify.due_at),
        }
    }

    /// Whether handing over other work under the same id replaces it (a job re-registered with a new
    /// time or text). A mail, once queued, is what it is: asking again changes nothing — a
    /// campaign's copy too, whatever its time (a campaign scheduled again after it was taken back
    /// queues copies of a new round, under other ids: `crate::campaigns`).
    pub fn replaceable(&self) -> bool {
        matches!(self, Work::Notify(_))
    }

    /// A fingerprint of exactly this request (32 hex digits): the ledger shows it, so a device can
    /// tell whether the relay holds the version of a job it would register.
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&json);
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A notification the relay pushes to members' subscribed devices when it is due (Web Push), whether
/// or not any device is online then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// Unix seconds when it is due.
    pub due_at: i64,
    /// The members to notify; none named means every member of the workspace.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "member_texts")]
    pub to: Vec<MemberId>,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// The app's path a tap on the notification opens (`/parties/…`).
    pub open: String,
}

/// Member ids on the wire as their usual text (`0190f5a0-…`), not the 16 bytes rows keep them as.
mod member_texts {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::ids::MemberId;

    pub fn serialize<S: Serializer>(
        members: &[MemberId],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(members.iter().map(ToString::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<MemberId>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts.iter().map(|text| text.parse().map_err(serde::de::Error::custom)).collect()
    }
}

/// The most members one notification names.
pub const MOST_NOTIFIED: usize = 50;
/// The most characters of a notification's title.
pub const MOST_TITLE_CHARS: usize = 200;
/// The most bytes of a notification's body (a push message carries about 4 KB in all).
pub const MOST_BODY_BYTES: usize = 1000;
/// The most bytes of the path a notification opens.
pub const MOST_OPEN_BYTES: usize = 300;
/// The span a due time must fall in: 2000-01-01 to 2100-01-01 (Unix seconds).
pub const DUE_SPAN: std::ops::Range<i64> = 946_684_800..4_102_444_800;

impl Notify {
    pub fn check(&self) -> Result<(), WorkError> {
        if !DUE_SPAN.contains(&self.due_at) {
            return Err(WorkError::BadDueTime);
        }
        if self.to.len() > MOST_NOTIFIED {
            return Err(WorkError::TooManyNotified);
        }
        if self.title.trim().is_empty() {
            return Err(WorkError::TitleNeeded);
        }
        if self.title.chars().count() > MOST_TITLE_CHARS || self.title.contains(char::is_control) {
            return Err(WorkError::BadTitle);
        }
        if self.body.len() > MOST_BODY_BYTES {
            return Err(WorkError::BodyTooLong);
        }
        // A path of this app only: a notification never sends anyone to another site.
        let path_only = self.open.starts_with('/')
            && !self.open.starts_with("//")
            && !self.open.contains(['\\', ' '])
            && !self.open.contains(char::is_control);
        if !path_only || self.open.len() > MOST_OPEN_BYTES {
            return Err(WorkError::BadOpen);
        }
        Ok(())
    }
}

/// An email, composed on the device (merge fields already filled in), sent by the relay as plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    pub to: Vec<Recipient>,
    pub subject: String,
    pub text: String,
    /// Where replies go when not to the relay's sender address (the member who wrote it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Recipient>,
    /// Bulk mail (a campaign): it carries one-click unsubscribe headers (RFC 8058).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bulk: bool,
    /// The `Message-ID` it answers (without angle brackets): threads it in the recipient's mail app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// The thread it belongs to, oldest first (`References`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// A satisfaction survey: the key (a ticket's id) the relay signs into the rating link it writes
    /// where the text says [`RATING_LINK`]; the customer's answer comes back under it
    /// (`crate::satisfaction`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_for: Option<String>,
    /// An investor update: the update and recipient the relay signs into the read-only link it writes
    /// where the text says [`UPDATE_LINK`] (`crate::investor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_link: Option<Box<UpdateLink>>,
    /// The text is Markdown: the relay sends it as an HTML part and a plain-text part
    /// (`crate::tracking::mail_parts`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub markdown: bool,
    /// Bulk mail only: the relay writes each web link as a redirect through itself and (with
    /// `markdown`) puts an image in the HTML part, and records the first open and each link's first
    /// click (`crate::tracking`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub track: bool,
    /// The campaign's tag (`crate::tracking::campaign_tag`) the relay adds to each web
    /// link as UTM parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm: Option<String>,
    /// Bulk mail only: Unix seconds before which the relay does not send it (a campaign scheduled,
    /// or paced in batches); until then it can be cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_at: Option<i64>,
}

/// Where a survey's text has the relay write its signed rating link.
pub const RATING_LINK: &str = "{{rating_link}}";
/// Where an investor update's text has the relay write its signed read-only link.
pub const UPDATE_LINK: &str = "{{update_link}}";

/// Whose link to an update a mail carries: the update's id and the recipient party's, as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateLink {
    pub update: String,
    pub reader: String,
}
/// The most bytes of a survey's key.
pub const MOST_RATING_KEY_BYTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub address: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// The most recipients one mail may have (a campaign sends one mail per recipient).
pub const MOST_RECIPIENTS: usize = 50;
/// The most characters of a subject.
pub const MOST_SUBJECT_CHARS: usize = 300;
/// The most bytes of a mail's text.
pub const MOST_TEXT_BYTES: usize = 256 * 1024;
/// The most mails a mail's `References` names (the oldest are dropped past it, as mail apps do).
pub const MOST_REFERENCES: usize = 30;
/// The most bytes of a `Message-ID`.
pub const MOST_MESSAGE_ID_BYTES: usize = 250;

/// Why a piece of work cannot be queued; each says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkError {
    #[error("a mail needs at least one recipient")]
    NoRecipient,
    #[error("a mail may have at most {MOST_RECIPIENTS} recipients")]
    TooManyRecipients,
    #[error("“{0}” is not an email address")]
    BadAddress(String),
    #[error("a recipient's name may not contain line breaks or angle brackets")]
    BadName,
    #[error("a mail needs a subject")]
    SubjectNeeded,
    #[error("a subject has at most {MOST_SUBJECT_CHARS} characters and no line breaks")]
    BadSubject,
    #[error("a mail's text has at most {} KB", MOST_TEXT_BYTES / 1024)]
    TextTooLong,
    #[error(
        "a mail answered is named by its Message-ID (at most {MOST_MESSAGE_ID_BYTES} bytes, no spaces or angle brackets), at most {MOST_REFERENCES} of them"
    )]
    BadThread,
    #[error(
        "a survey is named by a key of at most {MOST_RATING_KEY_BYTES} letters, digits and dashes, and its text has the rating link's place"
    )]
    BadSurvey,
    #[error(
        "an investor update's link names the update and the recipient by their ids, and its text has the link's place"
    )]
    BadUpdateLink,
    #[error("only a campaign's mail is tracked")]
    TrackedNotBulk,
    #[error("a campaign's tag is lower-case letters, digits, dashes and percent-encoded bytes")]
    BadCampaignTag,
    #[error("only a campaign's mail is sent at a time set in advance")]
    ScheduledNotBulk,
    #[error("a mail's sending time must fall between the years 2000 and 2100")]
    BadSendTime,
    #[error("a notification's due time must fall between the years 2000 and 2100")]
    BadDueTime,
    #[error("a notification may name at most {MOST_NOTIFIED} members")]
    TooManyNotified,
    #[error("a notification needs a title")]
    TitleNeeded,
    #[error("a notification's title has at most {MOST_TITLE_CHARS} characters and no line breaks")]
    BadTitle,
    #[error("a notification's text has at most {MOST_BODY_BYTES} bytes")]
    BodyTooLong,
    #[error(
        "a notification opens a path of this app (starting with one /), at most {MOST_OPEN_BYTES} bytes"
    )]
    BadOpen,
}

impl Mail {
    pub fn check(&self) -> Result<(), WorkError> {
        if self.to.is_empty() {
            return Err(WorkError::NoRecipient);
        }
        if self.to.len() > MOST_RECIPIENTS {
            return Err(WorkError::TooManyRecipients);
        }
        for recipient in self.to.iter().chain(&self.reply_to) {
            if !plausible_address(&recipient.address) {
                return Err(WorkError::BadAddress(recipient.address.clone()));
            }
            if recipient.name.contains(['\r', '\n', '<', '>']) || recipient.name.len() > 200 {
                return Err(WorkError::BadName);
            }
        }
        if self.subject.trim().is_empty() {
            return Err(WorkError::SubjectNeeded);
        }
        if self.subject.chars().count() > MOST_SUBJECT_CHARS || self.subject.contains(['\r', '\n'])
        {
            return Err(WorkError::BadSubject);
        }
        if self.text.len() > MOST_TEXT_BYTES {
            return Err(WorkError::TextTooLong);
        }
        let well_formed = |id: &String| {
            !id.is_empty()
                && id.len() <= MOST_MESSAGE_ID_BYTES
                && id.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
        };
        if self.references.len() > MOST_REFERENCES
            || !self.references.iter().chain(&self.in_reply_to).all(well_formed)
        {
            return Err(WorkError::BadThread);
        }
        if self.track && !self.bulk {
            return Err(WorkError::TrackedNotBulk);
        }
        if self.utm.as_deref().is_some_and(|tag| !crate::tracking::plausible_tag(tag)) {
            return Err(WorkError::BadCampaignTag);
        }
        if let Some(at) = self.send_at {
            if !self.bulk {
                return Err(WorkError::ScheduledNotBulk);
            }
            if !DUE_SPAN.contains(&at) {
                return Err(WorkError::BadSendTime);
            }
        }
        if let Some(key) = &self.rating_for {
            let key_ok = !key.is_empty()
                && key.len() <= MOST_RATING_KEY_BYTES
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !key_ok || !self.text.contains(RATING_LINK) {
                return Err(WorkError::BadSurvey);
            }
        }
        if let Some(link) = &self.update_link {
            // In their one text form: the relay signs the text, and compares it with the readers'.
            let ids_ok = link
                .update
                .parse::<crate::ids::UpdateId>()
                .is_ok_and(|id| id.to_string() == link.update)
                && link
                    .reader
                    .parse::<crate::ids::PartyId>()
                    .is_ok_and(|id| id.to_string() == link.reader);
            if !ids_ok || self.rating_for.is_some() || !self.text.contains(UPDATE_LINK) {
                return Err(WorkError::BadUpdateLink);
            }
        }
        Ok(())
    }
}

/// `local@domain.tld`: one `@`, no spaces, quotes, brackets or control characters, a dotted domain.
/// The relay's mail library checks the full grammar again before sending.
pub fn plausible_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else { return false };
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && !local.contains(forbidden)
        && !domain.contains(forbidden)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// The form an address is kept in for consent: trimmed and lowercased (nobody has two mailboxes that
/// differ by case, and an opt-out must hold however the address is written).
pub fn normalise_address(address: &str) -> String {
    address.trim().to_lowercase()
}

/// Where a piece of work stands in the relay's ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for its turn (or for its next attempt after a temporary failure).
    Queued,
    /// Being handed to the mail server.
    Sending,
    /// The mail server accepted it.
    Sent,
    /// Given up: refused by the mail server, or still failing after the last attempt.
    Failed,
    /// Not sent: a recipient opted out.
    Suppressed,
    /// Cancelled before it was due (a scheduled job deleted by a device).
    Cancelled,
    /// Taken note of, nothing more to do (a [`Work::Stamp`]).
    Recorded,
    /// Accepted by the mail server, then returned as undeliverable (a delivery status notification
    /// with `Action: failed`); the address is suppressed from then on.
    Bounced,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Suppressed => "suppressed",
            State::Cancelled => "cancelled",
            State::Bounced => "bounced",
            State::Recorded => "recorded",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        [
            State::Queued,
            State::Sending,
            State::Sent,
            State::Failed,
            State::Suppressed,
            State::Cancelled,
            State::Bounced,
            State::Recorded,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }

    /// Nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Sent
                | State::Failed
                | State::Suppressed
                | State::Cancelled
                | State::Bounced
                | State::Recorded
        )
    }
}

/// One ledger entry as every member's device sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: OutboxId,
    pub kind: String,
    pub state: State,
    /// Attempts made to hand it over so far.
    pub attempts: u32,
    /// Unix seconds when the relay first took it.
    pub queued_at: i64,
    /// Unix seconds of its last change.
    pub updated_at: i64,
    /// The mail server's answer, or why it was not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The `Message-ID` it is sent with (stable across attempts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// When a scheduled job is due (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<i64>,
    /// [`Work::digest`] of the request the ledger holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Grows with every change in the workspace's ledger: a device asks for what changed after the
    /// last version it saw.
    pub version: i64,
}

/// The answer to "what changed in the ledger after version V".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub entries: Vec<Entry>,
    /// The version to ask after next time.
    pub version: i64,
    /// More changes wait beyond this page.
    pub more: bool,
}

/// An opt-in or opt-out, as recorded (never rewritten).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub seq: i64,
    pub address: String,
    pub opted_in: bool,
    /// Who or what recorded it: "one-click unsubscribe", "unsubscribe page", or a member's words.
    pub source: String,
    pub at: i64,
}

/// A device's side of the outbox, sans IO. Work queued here stays (the driver keeps this value in the
/// device's storage) until the relay has acknowledged it, across reloads and days offline; the
/// ledger's entries are kept as last heard, so every device shows every entry's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceOutbox {
    /// Work the relay has not acknowledged yet, oldest first.
    waiting: Vec<Waiting>,
    /// The ledger as last heard, by id.
    ledger: BTreeMap<OutboxId, Entry>,
    /// Work the relay refused for good, and why (it will never be in the ledger).
    refused: BTreeMap<OutboxId, String>,
    /// The ledger version heard up to.
    version: i64,
    /// The latest consent event of each address (normalised), as last heard.
    #[serde(default)]
    consent: BTreeMap<String, ConsentEvent>,
    /// The consent log's sequence number heard up to.
    #[serde(default)]
    consent_seq: i64,
    /// Scheduled jobs to cancel at the relay, oldest first.
    #[serde(default)]
    cancelling: Vec<OutboxId>,
    /// The digest of each job the relay refused for good: that version is not handed over again.
    #[serde(default)]
    refused_digests: BTreeMap<OutboxId, String>,
    /// The relay's time of each [`Work::Stamp`] (Unix milliseconds), kept apart from the ledger: a
    /// busy support team makes tens of thousands, and a device needs only their time.
    #[serde(default)]
    stamps: BTreeMap<OutboxId, i64>,
    /// Opens and clicks of tracked mail, by entry, as last heard.
    #[serde(default)]
    engagement: BTreeMap<OutboxId, crate::tracking::Engaged>,
    /// The engagement log's sequence number heard up to.
    #[serde(default)]
    engagement_seq: i64,
}

/// Work queued on the device, not yet acknowledged by the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub id: OutboxId,
    pub work: Work,
    /// Unix milliseconds when it was queued here.
    pub queued_at: i64,
    /// Queued by a device doing once-only work (a sequence's step, an automation's action) under an
    /// id derived from its cause: never taken for a stale campaign copy and withdrawn
    /// (`crate::campaigns::withdrawn_copies`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_runner: bool,
}

/// Where a piece of work stands, as this device knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<'a> {
    /// On this device, not yet at the relay (offline, or the relay not reached yet).
    Waiting,
    /// In the relay's ledger.
    Relay(&'a Entry),
    /// The relay refused it for good.
    Refused(&'a str),
    /// A stamp the relay has taken ([`DeviceOutbox::stamp`] says when).
    Stamped,
}

/// The most pieces of work a device hands over in one request (the relay takes up to 500).
pub const BATCH_ITEMS: usize = 200;
/// About the most bytes of work in one request (the relay takes 8 MB).
pub const BATCH_BYTES: usize = 2 * 1024 * 1024;

/// Work handed over at once: `POST /api/workspaces/{id}/outbox`.
#[derive(Debug, Serialize)]
pub struct Batch<'a> {
    pub items: Vec<BatchItem<'a>>,
}

#[derive(Debug, Serialize)]
pub struct BatchItem<'a> {
    pub id: &'a OutboxId,
    pub work: &'a Work,
}

/// The relay's answer to a batch: each piece's status and body, in order, as its own PUT's.
#[derive(Debug, Deserialize)]
struct BatchAnswers {
    answers: Vec<BatchAnswer>,
}

#[derive(Debug, Deserialize)]
struct BatchAnswer {
    status: u16,
    body: serde_json::Value,
}

/// What came of handing a batch over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Every piece answered for good (stored or refused).
    Done,
    /// Some or all to be handed over again later (offline, signed out, the relay busy).
    Later,
    /// The relay took no batch: hand these pieces over one by one.
    OneByOne,
}

/// What the relay's answer to handing over a piece of work means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handover {
    /// In the ledger (now or already): the device forgets its copy.
    Stored,
    /// Refused for good (bad input, no mail service): kept as refused, with the relay's words.
    Refused(String),
    /// Not now (offline, signed out, busy, a relay error): hand it over again later.
    Later,
}

impl DeviceOutbox {
    /// Queues `work` under `id` unless this device already knows that id (waiting, in the ledger or
    /// refused): the same trigger seen twice queues once. Returns whether it was queued.
    pub fn queue(&mut self, id: OutboxId, work: Work, now_ms: i64) -> bool {
        if self.status(&id).is_some() {
            return false;
        }
        self.waiting.push(Waiting { id, work, queued_at: now_ms, from_runner: false });
        true
    }

    /// [`DeviceOutbox::queue`] for once-only work ([`Waiting::from_runner`]).
    pub fn queue_from_runner(&mut self, id: OutboxId, work: Work, now_ms: i64) -> bool {
        if self.status(&id).is_some() {
            return false;
        }
        self.waiting.push(Waiting { id, work, queued_at: now_ms, from_runner: true });
        true
    }

    /// Queues each of `items` as [`DeviceOutbox::queue`] does (a campaign's thousands of copies, in one
    /// pass rather than a search of the waiting work for each). Returns how many were queued.
    pub fn queue_many(
        &mut self,
        items: impl IntoIterator<Item = (OutboxId, Work)>,
        now_ms: i64,
    ) -> usize {
        let mut known: std::collections::HashSet<OutboxId> =
            self.waiting.iter().map(|w| w.id.clone()).collect();
        let before = self.waiting.len();
        for (id, work) in items {
            let heard = self.stamps.contains_key(&id)
                || self.ledger.contains_key(&id)
                || self.refused.contains_key(&id);
            if !heard && known.insert(id.clone()) {
                self.waiting.push(Waiting { id, work, queued_at: now_ms, from_runner: false });
            }
        }
        self.waiting.len() - before
    }

    /// Registers a scheduled job: queues `work` under `id` unless the relay already holds exactly
    /// this version of it (same [`Work::digest`], not cancelled) or it already waits here; a different
    /// version replaces the waiting one and, once handed over, the relay's. Returns whether anything
    /// is to be handed over.
    pub fn schedule(&mut self, id: OutboxId, work: Work, now_ms: i64) -> bool {
        if let Some(waiting) = self.waiting.iter_mut().find(|w| w.id == id) {
            if waiting.work == work {
                return false;
            }
            waiting.work = work;
            return true;
        }
        let digest = work.digest();
        // Wanted again: whatever the relay holds is not to be cancelled.
        let was_cancelling = self.cancelling.len();
        self.cancelling.retain(|c| c != &id);
        let uncancelled = self.cancelling.len() != was_cancelling;
        let held = self.ledger.get(&id).is_some_and(|entry| {
            entry.digest.as_deref() == Some(digest.as_str()) && entry.state != State::Cancelled
        });
        // Refused for good in this very version (a viewer's device, a time out of range): asking
        // again changes nothing. Another version may be asked for.
        let refused = self.refused_digests.get(&id) == Some(&digest);
        if held || refused {
            return uncancelled;
        }
        self.refused.remove(&id);
        self.refused_digests.remove(&id);
        self.waiting.push(Waiting { id, work, queued_at: now_ms, from_runner: false });
        true
    }

    /// Cancels a scheduled job: forgets it if it still waits here, and asks the relay to cancel it if
    /// the ledger holds it unfinished. Returns whether anything changed.
    pub fn cancel(&mut self, id: &OutboxId) -> bool {
        let before = self.waiting.len();
        self.waiting.retain(|w| &w.id != id);
        let mut changed = self.waiting.len() != before;
        let pending = self.ledger.get(id).is_some_and(|entry| entry.state == State::Queued);
        if pending && !self.cancelling.contains(id) {
            self.cancelling.push(id.clone());
            changed = true;
        }
        changed
    }

    /// Withdraws each of `ids` (a scheduled campaign's copies, taken back, or of a round since
    /// taken back): forgets those still waiting here, and asks the relay to cancel those this device
    /// has heard it holds, waiting. Every device does so as it hears of them, so one that has not yet
    /// heard of a copy another handed over leaves it to the next round of news — asking again costs
    /// nothing. Returns how many changed.
    pub fn withdraw_many(&mut self, ids: impl IntoIterator<Item = OutboxId>) -> usize {
        let ids: std::collections::HashSet<OutboxId> = ids.into_iter().collect();
        let before = self.waiting.len();
        self.waiting.retain(|w| !ids.contains(&w.id));
        let mut changed = before - self.waiting.len();
        let mut cancelling: std::collections::HashSet<OutboxId> =
            self.cancelling.iter().cloned().collect();
        for id in ids {
            let waiting = self.ledger.get(&id).is_some_and(|entry| entry.state == State::Queued);
            if waiting && cancelling.insert(id.clone()) {
                self.cancelling.push(id);
                changed += 1;
            }
        }
        changed
    }

    /// Jobs to cancel at the relay.
    pub fn cancelling(&self) -> &[OutboxId] {
        &self.cancelling
    }

    /// The relay answered `status` with `body` to cancelling `id`: done (the entry as it now is),
    /// nothing to cancel (unknown, or already under way or finished), or to ask again later.
    pub fn cancel_answered(&mut self, id: &OutboxId, status: u16, body: &str) -> Handover {
        let handover = match status {
            200 => match serde_json::from_str::<Entry>(body) {
                Ok(entry) if &entry.id == id => {
                    self.heard(entry);
                    Handover::Stored
                }
                _ => Handover::Later,
            },
            403 | 404 | 409 if error_code(body).is_some() => {
                Handover::Refused(error_text(body).unwrap_or_else(|| format!("refused ({status})")))
            }
            _ => Handover::Later,
        };
        if handover != Handover::Later {
            self.cancelling.retain(|c| c != id);
        }
        handover
    }

    /// Work to hand to the relay, oldest first.
    pub fn waiting(&self) -> &[Waiting] {
        &self.waiting
    }

    /// Something is on its way: waiting for the relay, or in the ledger and not final yet.
    pub fn unsettled(&self) -> bool {
        !self.waiting.is_empty()
            || !self.cancelling.is_empty()
            || self.ledger.values().any(|entry| entry.state == State::Sending)
            || self
                .ledger
                .values()
                .any(|entry| entry.state == State::Queued && entry.due_at.is_none())
    }

    /// The version to ask the ledger's changes after.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// When the relay first heard of stamp `id` (Unix milliseconds), once this device has heard.
    pub fn stamp(&self, id: &OutboxId) -> Option<i64> {
        self.stamps.get(id).copied()
    }

    /// How many stamps this device has heard of: a screen reading them again only when this grows.
    pub fn stamps_heard(&self) -> usize {
        self.stamps.len()
    }

    pub fn status(&self, id: &OutboxId) -> Option<Status<'_>> {
        if self.stamps.contains_key(id) {
            return Some(Status::Stamped);
        }
        if let Some(entry) = self.ledger.get(id) {
            return Some(Status::Relay(entry));
        }
        if let Some(reason) = self.refused.get(id) {
            return Some(Status::Refused(reason));
        }
        self.waiting.iter().any(|w| &w.id == id).then_some(Status::Waiting)
    }

    /// [`DeviceOutbox::status`] of each of `ids`, looking through what waits once for them all (a
    /// campaign's ten thousand copies).
    pub fn statuses(&self, ids: &[OutboxId]) -> Vec<Option<Status<'_>>> {
        let waiting: std::collections::HashSet<&OutboxId> =
            self.waiting.iter().map(|w| &w.id).collect();
        ids.iter()
            .map(|id| {
                if self.stamps.contains_key(id) {
                    Some(Status::Stamped)
                } else if let Some(entry) = self.ledger.get(id) {
                    Some(Status::Relay(entry))
                } else if let Some(reason) = self.refused.get(id) {
                    Some(Status::Refused(reason))
                } else {
                    waiting.contains(id).then_some(Status::Waiting)
                }
            })
            .collect()
    }

    /// The relay answered `status` with `body` to the handover of `id`.
    pub fn handed_over(&mut self, id: &OutboxId, status: u16, body: &str) -> Handover {
        let waiting = self.waiting.iter().find(|w| &w.id == id);
        let digest = waiting.map(|w| w.work.digest());
        let stamp = waiting.is_some_and(|w| matches!(w.work, Work::Stamp {}));
        let handover = self.answered(id, status, body, digest, stamp);
        if handover != Handover::Later {
            self.waiting.retain(|w| &w.id != id);
        }
        handover
    }

    /// What waits, in the batches and order it is handed over in: a mail someone just wrote before a
    /// backlog of reminders; at most [`BATCH_ITEMS`] and about [`BATCH_BYTES`] a batch (a piece larger
    /// than that goes alone).
    pub fn batches(&self) -> Vec<Vec<Waiting>> {
        let mut waiting = self.waiting.clone();
        waiting.sort_by_key(|item| item.work.replaceable());
        let mut batches: Vec<Vec<Waiting>> = Vec::new();
        let mut bytes = 0;
        for item in waiting {
            let size = serde_json::to_string(&item.work).map_or(0, |text| text.len());
            let full = batches
                .last()
                .is_none_or(|batch| batch.len() >= BATCH_ITEMS || bytes + size > BATCH_BYTES);
            if full {
                batches.push(Vec::new());
                bytes = 0;
            }
            bytes += size;
            batches.last_mut().expect("a batch was just made").push(item);
        }
        batches
    }

    /// The relay answered `status` with `body` to the batch `sent`: each piece is taken with its own
    /// answer. An answer to the whole is every piece's only where it is about every piece (a viewer's
    /// device, signed out, the relay unreachable or busy); a relay (or a proxy before it) that does
    /// not take batches, or not this one (too large, unreadable), is handed the pieces one by one.
    pub fn batch_answered(&mut self, sent: &[Waiting], status: u16, body: &str) -> BatchOutcome {
        let answers = match (status, serde_json::from_str::<BatchAnswers>(body)) {
            (200, Ok(read)) if read.answers.len() == sent.len() => read
                .answers
                .into_iter()
                .map(|answer| (answer.status, answer.body.to_string()))
                .collect(),
            (403, _) if error_code(body).as_deref() == Some("read_only") => {
                sent.iter().map(|_| (status, body.to_owned())).collect()
            }
            (0 | 401 | 408 | 429, _) | (500..=599, _) => return BatchOutcome::Later,
            _ => return BatchOutcome::OneByOne,
        };
        if self.batch_handed_over(sent, answers) { BatchOutcome::Later } else { BatchOutcome::Done }
    }

    /// Each piece of `sent` with its answer `(status, body)`, taken as [`DeviceOutbox::handed_over`]
    /// takes one. Returns whether any is to be handed over again later.
    fn batch_handed_over(&mut self, sent: &[Waiting], answers: Vec<(u16, String)>) -> bool {
        // The version handed over, by id: what waits now may be a reminder moved meanwhile.
        let mut settled = std::collections::HashMap::new();
        let mut later = false;
        for (item, (status, body)) in sent.iter().zip(answers) {
            let digest = item.work.digest();
            let stamp = matches!(item.work, Work::Stamp {});
            match self.answered(&item.id, status, &body, Some(digest.clone()), stamp) {
                Handover::Later => later = true,
                _ => {
                    settled.insert(item.id.clone(), digest);
                }
            }
        }
        // One pass over what waits, not one for each answer; a version changed since it was sent stays.
        self.waiting.retain(|w| settled.get(&w.id).is_none_or(|sent| *sent != w.work.digest()));
        later
    }

    /// What the relay's answer to handing over `id` means, noted in the ledger or the refusals.
    fn answered(
        &mut self,
        id: &OutboxId,
        status: u16,
        body: &str,
        digest: Option<String>,
        stamp: bool,
    ) -> Handover {
        match status {
            200 | 201 => match serde_json::from_str::<Entry>(body) {
                Ok(entry) if &entry.id == id => {
                    // The caller forgets what waits under this id.
                    self.note(entry);
                    Handover::Stored
                }
                _ => Handover::Later,
            },
            // Bad input, too large, a viewer, or a relay without the service: asking again changes
            // nothing. Nor for a stamp the workspace has no room for (stamps are never removed):
            // asking again would hold up every mail and job queued after it, for good.
            400 | 403 | 413 | 503 if error_code(body).is_some_and(|code| code != "database") => {
                self.refuse(id, status, body, digest)
            }
            429 if stamp && error_code(body).as_deref() == Some("outbox_full") => {
                self.refuse(id, status, body, digest)
            }
            _ => Handover::Later,
        }
    }

    fn refuse(
        &mut self,
        id: &OutboxId,
        status: u16,
        body: &str,
        digest: Option<String>,
    ) -> Handover {
        let reason = error_text(body).unwrap_or_else(|| format!("refused ({status})"));
        self.refused.insert(id.clone(), reason.clone());
        if let Some(digest) = digest {
            self.refused_digests.insert(id.clone(), digest);
        }
        Handover::Refused(reason)
    }

    /// Takes in the ledger's changes after [`DeviceOutbox::version`]; returns whether anything changed.
    pub fn apply(&mut self, changes: Changes) -> bool {
        let mut changed = false;
        for entry in changes.entries {
            changed |= self.heard(entry);
        }
        self.version = self.version.max(changes.version);
        changed
    }

    /// The consent log's sequence number to ask after.
    pub fn consent_seq(&self) -> i64 {
        self.consent_seq
    }

    /// Takes in consent events (oldest first); returns whether anything changed.
    pub fn apply_consent(&mut self, events: Vec<ConsentEvent>) -> bool {
        let mut changed = false;
        for event in events {
            self.consent_seq = self.consent_seq.max(event.seq);
            let newer = self.consent.get(&event.address).is_none_or(|known| known.seq < event.seq);
            if newer {
                self.consent.insert(event.address.clone(), event);
                changed = true;
            }
        }
        changed
    }

    /// The engagement log's sequence number to ask after.
    pub fn engagement_seq(&self) -> i64 {
        self.engagement_seq
    }

    /// Takes in opens and clicks (oldest first), heard up to sequence number `after`; returns whether
    /// anything changed, the sequence number included.
    pub fn apply_engagement(
        &mut self,
        events: Vec<crate::tracking::EngagementEvent>,
        after: i64,
    ) -> bool {
        let mut changed = after > self.engagement_seq;
        self.engagement_seq = self.engagement_seq.max(after);
        for event in events {
            self.engagement_seq = self.engagement_seq.max(event.seq);
            changed |= self.engagement.entry(event.item).or_default().heard(event.link, event.at);
        }
        changed
    }

    /// What the recipient of tracked mail `id` did with it, as heard.
    pub fn engaged(&self, id: &OutboxId) -> Option<&crate::tracking::Engaged> {
        self.engagement.get(id)
    }

    /// Every address whose latest event is an opt-out, by address.
    pub fn opt_outs(&self) -> impl Iterator<Item = &ConsentEvent> {
        self.consent.values().filter(|event| !event.opted_in)
    }

    /// The latest consent event of each address, as last heard.
    pub fn consent_heard(&self) -> impl Iterator<Item = &ConsentEvent> {
        self.consent.values()
    }

    /// The opt-out that stands for `address` (however it is written), if its latest event is one.
    pub fn opted_out(&self, address: &str) -> Option<&ConsentEvent> {
        self.consent.get(&normalise_address(address)).filter(|event| !event.opted_in)
    }

    /// Keeps `entry` unless a later version of it is already known. What waits under its id is settled
    /// by it — except a job this device wants changed to something else than the entry holds (an older
    /// version heard late, a colleague's): that replacement still goes.
    fn heard(&mut self, entry: Entry) -> bool {
        self.waiting.retain(|w| {
            w.id != entry.id
                || (w.work.replaceable() && entry.digest.as_deref() != Some(&*w.work.digest()))
        });
        self.note(entry)
    }

    /// Keeps `entry` as the ledger's (or a stamp's time); whether anything changed.
    fn note(&mut self, entry: Entry) -> bool {
        if entry.kind == "stamp" {
            // A stamp never changes once taken.
            if self.stamps.contains_key(&entry.id) {
                return false;
            }
            self.stamps.insert(entry.id, entry.queued_at.saturating_mul(1000));
            return true;
        }
        match self.ledger.get(&entry.id) {
            Some(known) if known.version >= entry.version => false,
            _ => {
                self.ledger.insert(entry.id.clone(), entry);
                true
            }
        }
    }
}

fn error_code(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get("code")?.as_str().map(str::to_owned)
}

fn error_text(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get("error")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(n: u8) -> WorkspaceId {
        format!("0190f5a0-0000-7000-8000-0000000000{n:02x}").parse().unwrap()
    }

    #[test]
    fn an_id_is_the_same_in_every_version_and_however_its_parts_are_hashed() {
        // Pinned: ids already in ledgers must be derived the same forever (computed independently:
        // SHA-256 of the prefix, the workspace and each part with its big-endian u64 length).
        let interaction = "0190f5a0-0000-7000-8000-0000000000ab";
        let mail = OutboxId::from_cause(workspace(1), &["mail", interaction]);
        assert_eq!(mail.as_str(), "e30e89acdae9783fcfba8e4180dac05a");
        assert_eq!(Causes::new(workspace(1), &["mail"]).id(&[interaction]), mail);
        assert_eq!(Causes::new(workspace(1), &[]).id(&["mail", interaction]), mail);
    }

    #[test]
    fn the_same_cause_names_the_same_work_and_any_difference_another() {
        let a = OutboxId::from_cause(workspace(1), &["reminder", "task-1", "2026-12-03T09:00"]);
        assert_eq!(
            a,
            OutboxId::from_cause(workspace(1), &["reminder", "task-1", "2026-12-03T09:00"])
        );
        assert_ne!(
            a,
            OutboxId::from_cause(workspace(2), &["reminder", "task-1", "2026-12-03T09:00"])
        );
        assert_ne!(
            a,
            OutboxId::from_cause(workspace(1), &["reminder", "task-1", "2026-12-04T09:00"])
        );
        // Parts are length-prefixed: moving a boundary is another cause.
        assert_ne!(
            OutboxId::from_cause(workspace(1), &["ab", "c"]),
            OutboxId::from_cause(workspace(1), &["a", "bc"])
        );
        assert_eq!(OutboxId::parse(a.as_str()), Ok(a.clone()));
        assert_eq!(a.as_str().len(), OutboxId::LEN);
    }

    #[test]
    fn only_well_formed_ids_parse() {
        assert!(OutboxId::parse("0123456789abcdef0123456789abcdef").is_ok());
        for bad in [
            "",
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "../../etc/passwd0123456789abcdef0",
        ] {
            assert_eq!(OutboxId::parse(bad), Err(BadOutboxId), "{bad}");
        }
        let json = r#"{"kind":"mail","to":[{"address":"a@b.example"}],"subject":"s","text":"t"}"#;
        let work: Work = serde_json::from_str(json).unwrap();
        assert_eq!(work.kind(), "mail");
        assert!(serde_json::from_str::<Work>(r#"{"kind":"fax","to":"x"}"#).is_err());
        assert!(
            serde_json::from_str::<Work>(&json.replace("\"text\"", "\"html\"")).is_err(),
            "unknown fields are refused, not ignored"
        );
    }

    fn mail(to: &str) -> Mail {
        Mail {
            to: vec![Recipient { address: to.into(), name: "Ann".into() }],
            subject: "Following up".into(),
            text: "Hello".into(),
            reply_to: None,
            bulk: false,
            in_reply_to: None,
            references: Vec::new(),
            rating_for: None,
            update_link: None,
            markdown: false,
            track: false,
            utm: None,
            send_at: None,
        }
    }

    #[test]
    fn a_mail_is_checked_before_it_is_queued_and_says_what_is_wrong() {
        assert_eq!(mail("ann@example.com").check(), Ok(()));
        assert_eq!(
            mail("ann@localhost").check(),
            Err(WorkError::BadAddress("ann@localhost".into()))
        );
        assert_eq!(
            mail("ann example.com").check(),
            Err(WorkError::BadAddress("ann example.com".into()))
        );
        assert!(matches!(mail("ann@exa mple.com").check(), Err(WorkError::BadAddress(_))));
        assert!(matches!(
            mail("a\r\nBcc: x@y.z@example.com").check(),
            Err(WorkError::BadAddress(_))
        ));
        let mut m = mail("ann@example.com");
        m.subject = "Hi\r\nBcc: everyone@example.com".into();
        assert_eq!(
            m.check(),
            Err(WorkError::BadSubject),
            "no header injection through the subject"
        );
        m.subject = "  ".into();
        assert_eq!(m.check(), Err(WorkError::SubjectNeeded));
        let mut m = mail("ann@example.com");
        m.to[0].name = "Ann\r\nBcc: x@y.z".into();
        assert_eq!(m.check(), Err(WorkError::BadName));
        let mut m = mail("ann@example.com");
        m.to.clear();
        assert_eq!(m.check(), Err(WorkError::NoRecipient));
        m.to = vec![mail("ann@example.com").to[0].clone(); MOST_RECIPIENTS + 1];
        assert_eq!(m.check(), Err(WorkError::TooManyRecipients));
        let mut m = mail("ann@example.com");
        m.text = "x".repeat(MOST_TEXT_BYTES + 1);
        assert_eq!(m.check(), Err(WorkError::TextTooLong));
        let mut survey = mail("ann@example.com");
        survey.rating_for = Some("0190f5a0-0000-7000-8000-000000000001".into());
        assert_eq!(
            survey.check(),
            Err(WorkError::BadSurvey),
            "a survey with no place for its link"
        );
        survey.text = format!("Rate us: {RATING_LINK}?score=5");
        assert_eq!(survey.check(), Ok(()));
        for key in ["", "a/b", "a\nb", &"k".repeat(MOST_RATING_KEY_BYTES + 1)] {
            survey.rating_for = Some(key.to_owned());
            assert_eq!(survey.check(), Err(WorkError::BadSurvey), "{key:?}");
        }
        let mut update = mail("ann@example.com");
        let link = UpdateLink {
            update: "0190f5a0-0000-7000-8000-000000000001".into(),
            reader: "0190f5a0-0000-7000-8000-000000000002".into(),
        };
        update.update_link = Some(Box::new(link.clone()));
        assert_eq!(update.check(), Err(WorkError::BadUpdateLink), "no place for its link");
        update.text = format!("Read it: {UPDATE_LINK}");
        assert_eq!(update.check(), Ok(()));
        update.update_link = Some(Box::new(UpdateLink { reader: "ann".into(), ..link }));
        assert_eq!(update.check(), Err(WorkError::BadUpdateLink), "a reader that is no party");
        let upper = UpdateLink {
            update: "0190F5A0-0000-7000-8000-000000000001".into(),
            reader: "0190f5a0-0000-7000-8000-000000000002".into(),
        };
        update.update_link = Some(Box::new(upper));
        assert_eq!(
            update.check(),
            Err(WorkError::BadUpdateLink),
            "ids in their one text form only"
        );
    }

    fn entry(id: &OutboxId, state: State, version: i64) -> Entry {
        Entry {
            id: id.clone(),
            kind: "mail".into(),
            state,
            attempts: 1,
            queued_at: 1,
            updated_at: 2,
            reason: None,
            message_id: None,
            due_at: None,
            digest: None,
            version,
        }
    }

    #[test]
    fn a_batch_is_queued_once_and_each_answer_settles_its_own_piece() {
        let ids: Vec<OutboxId> =
            (0..5).map(|n| OutboxId::from_cause(workspace(1), &["c", &n.to_string()])).collect();
        let mut outbox = DeviceOutbox::default();
        assert!(outbox.queue(ids[0].clone(), Work::Mail(mail("a@example.com")), 1));
        // Already waiting, twice in the batch, or already in the ledger: queued once.
        outbox.apply(Changes {
            entries: vec![entry(&ids[4], State::Sent, 1)],
            version: 1,
            more: false,
        });
        let batch = [0, 1, 2, 2, 3, 4]
            .map(|n| (ids[n].clone(), Work::Mail(mail(&format!("p{n}@example.com")))));
        assert_eq!(outbox.queue_many(batch, 2), 3);
        let waiting: Vec<&OutboxId> = outbox.waiting().iter().map(|w| &w.id).collect();
        assert_eq!(waiting, [&ids[0], &ids[1], &ids[2], &ids[3]]);

        // Stored, refused for good, not now: only the last waits on.
        let answer = |status: u16, body: serde_json::Value| serde_json::json!({ "status": status, "body": body });
        let sent: Vec<Waiting> = outbox.waiting()[..3].to_vec();
        let body = serde_json::json!({ "answers": [
            answer(201, serde_json::to_value(entry(&ids[0], State::Queued, 2)).unwrap()),
            answer(400, serde_json::json!({ "error": "“x” is not an email address", "code": "bad_work" })),
            answer(500, serde_json::json!({ "error": "the database", "code": "database" })),
        ]});
        assert_eq!(outbox.batch_answered(&sent, 200, &body.to_string()), BatchOutcome::Later);
        let waiting: Vec<&OutboxId> = outbox.waiting().iter().map(|w| &w.id).collect();
        assert_eq!(waiting, [&ids[2], &ids[3]]);
        assert!(
            matches!(outbox.status(&ids[0]), Some(Status::Relay(e)) if e.state == State::Queued)
        );
        assert!(
            matches!(outbox.status(&ids[1]), Some(Status::Refused(r)) if r.contains("not an email"))
        );
        let sent: Vec<Waiting> = outbox.waiting().to_vec();
        let body = serde_json::json!({ "answers": [
            answer(201, serde_json::to_value(entry(&ids[2], State::Queued, 3)).unwrap()),
            answer(200, serde_json::to_value(entry(&ids[3], State::Sent, 4)).unwrap()),
        ]});
        assert_eq!(outbox.batch_answered(&sent, 200, &body.to_string()), BatchOutcome::Done);
        assert!(outbox.waiting().is_empty());
    }

    #[test]
    fn waiting_work_goes_in_batches_mail_first_and_a_refusal_of_the_whole_is_each_piece_s() {
        let mut outbox = DeviceOutbox::default();
        outbox.schedule(OutboxId::from_cause(workspace(1), &["r"]), reminder(10, "Call"), 1);
        let mails = (0..450).map(|n| {
            let id = OutboxId::from_cause(workspace(1), &["m", &n.to_string()]);
            (id, Work::Mail(mail(&format!("p{n}@example.com"))))
        });
        assert_eq!(outbox.queue_many(mails, 2), 450);
        let batches = outbox.batches();
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [BATCH_ITEMS, BATCH_ITEMS, 51]);
        assert!(batches[0].iter().all(|w| matches!(w.work, Work::Mail(_))), "mail first");
        assert!(matches!(batches[2].last().unwrap().work, Work::Notify(_)), "the reminder last");
        // A large text makes a batch of its own size.
        let mut big = mail("big@example.com");
        big.text = "x".repeat(BATCH_BYTES / 2);
        let mut outbox_of_big = DeviceOutbox::default();
        let bigs = (0..3).map(|n| {
            (OutboxId::from_cause(workspace(1), &["b", &n.to_string()]), Work::Mail(big.clone()))
        });
        outbox_of_big.queue_many(bigs, 1);
        assert_eq!(outbox_of_big.batches().iter().map(Vec::len).collect::<Vec<_>>(), [1, 1, 1]);

        // The relay answering for the whole batch: a viewer's device is refused every piece for
        // good; the relay unreachable or busy leaves them for later; a relay or proxy that takes no
        // batch (or not this one) has them handed over one by one — none refused for the batch's sake.
        let first = &batches[0];
        let mut heard = outbox.clone();
        for (status, body) in [(0, ""), (401, ""), (503, "busy"), (429, "{}")] {
            assert_eq!(heard.batch_answered(first, status, body), BatchOutcome::Later, "{status}");
        }
        for (status, body) in [
            (200, "<html>proxy</html>"),
            (413, "<html>nginx</html>"),
            (413, r#"{"error":"too large","code":"body_too_large"}"#),
            (404, ""),
            (405, ""),
            (400, r#"{"error":"a batch has at most 500","code":"bad_work"}"#),
        ] {
            assert_eq!(
                heard.batch_answered(first, status, body),
                BatchOutcome::OneByOne,
                "{status}"
            );
        }
        assert_eq!(heard.waiting().len(), 451, "nothing settled");
        let viewer = r#"{"error":"viewers cannot change anything","code":"read_only"}"#;
        assert_eq!(outbox.batch_answered(first, 403, viewer), BatchOutcome::Done);
        assert_eq!(outbox.waiting().len(), 251);
        assert!(matches!(outbox.status(&first[7].id), Some(Status::Refused(_))));
        // Each piece its own answer, in order.
        let second = &batches[1];
        let answers: Vec<serde_json::Value> = second
            .iter()
            .enumerate()
            .map(|(n, w)| {
                let entry =
                    serde_json::to_value(entry(&w.id, State::Queued, n as i64 + 1)).unwrap();
                serde_json::json!({ "status": 201, "body": entry })
            })
            .collect();
        let body = serde_json::json!({ "answers": answers }).to_string();
        assert_eq!(outbox.batch_answered(second, 200, &body), BatchOutcome::Done);
        assert_eq!(outbox.waiting().len(), 51);
        assert!(matches!(outbox.status(&second[3].id), Some(Status::Relay(_))));
        // The reminder moved while its batch was on the way: stored as it was, it waits on as it is.
        let third = &batches[2];
        let reminder_id = OutboxId::from_cause(workspace(1), &["r"]);
        assert!(outbox.schedule(reminder_id.clone(), reminder(20, "Call"), 3));
        let answers: Vec<serde_json::Value> = third
            .iter()
            .map(|w| {
                let entry = serde_json::to_value(entry(&w.id, State::Queued, 9)).unwrap();
                serde_json::json!({ "status": 201, "body": entry })
            })
            .collect();
        let body = serde_json::json!({ "answers": answers }).to_string();
        assert_eq!(outbox.batch_answered(third, 200, &body), BatchOutcome::Done);
        let waiting: Vec<&OutboxId> = outbox.waiting().iter().map(|w| &w.id).collect();
        assert_eq!(waiting, [&reminder_id]);
        assert_eq!(outbox.waiting()[0].work, reminder(20, "Call"));
    }

    fn reminder(due_at: i64, title: &str) -> Work {
        Work::Notify(Notify {
            due_at,
            to: Vec::new(),
            title: title.into(),
            body: "Due now".into(),
            open: "/tasks".into(),
        })
    }

    #[test]
    fn a_notification_is_checked_and_opens_only_a_path_of_this_app() {
        assert_eq!(reminder(1_790_000_000, "Call Ann").check(), Ok(()));
        assert_eq!(reminder(0, "Call Ann").check(), Err(WorkError::BadDueTime));
        assert_eq!(reminder(1_790_000_000, " ").check(), Err(WorkError::TitleNeeded));
        assert_eq!(reminder(1_790_000_000, "a\nb").check(), Err(WorkError::BadTitle));
        for open in ["https://evil.example", "//evil.example", "/\\evil.example", "", "/a b"] {
            let Work::Notify(mut notify) = reminder(1_790_000_000, "Call Ann") else {
                unreachable!()
            };
            notify.open = open.into();
            assert_eq!(notify.check(), Err(WorkError::BadOpen), "{open}");
        }
        let Work::Notify(mut notify) = reminder(1_790_000_000, "Call Ann") else { unreachable!() };
        notify.body = "x".repeat(MOST_BODY_BYTES + 1);
        assert_eq!(notify.check(), Err(WorkError::BodyTooLong));
        notify.body.clear();
        notify.to = vec![MemberId::from_bytes([1; 16]); MOST_NOTIFIED + 1];
        assert_eq!(notify.check(), Err(WorkError::TooManyNotified));
        let Work::Notify(mut notify) = reminder(1_790_000_000, "Call Ann") else { unreachable!() };
        notify.to = vec![MemberId::from_bytes([1; 16])];
        let json = serde_json::to_string(&Work::Notify(notify.clone())).unwrap();
        assert!(json.contains(r#""to":["01010101-0101-0101-0101-010101010101"]"#), "{json}");
        assert_eq!(serde_json::from_str::<Work>(&json).unwrap(), Work::Notify(notify));
        assert_ne!(reminder(1, "a").digest(), reminder(2, "a").digest());
        assert_eq!(reminder(1, "a").digest(), reminder(1, "a").digest());
    }

    #[test]
    fn a_job_registered_again_is_handed_over_only_when_it_differs_from_what_the_relay_holds() {
        let id = OutboxId::from_cause(workspace(1), &["reminder", "task", "t-1"]);
        let mut outbox = DeviceOutbox::default();
        assert!(outbox.schedule(id.clone(), reminder(100, "Call"), 1));
        assert!(!outbox.schedule(id.clone(), reminder(100, "Call"), 2), "already waiting");
        assert!(outbox.schedule(id.clone(), reminder(200, "Call"), 3), "a new time replaces it");
        assert_eq!(outbox.waiting().len(), 1);
        assert_eq!(outbox.waiting()[0].work, reminder(200, "Call"));

        let mut held = entry(&id, State::Queued, 1);
        held.due_at = Some(200);
        held.digest = Some(reminder(200, "Call").digest());
        let body = serde_json::to_string(&held).unwrap();
        assert_eq!(outbox.handed_over(&id, 200, &body), Handover::Stored);
        assert!(!outbox.unsettled(), "a job waiting for its time keeps nobody busy");
        assert!(!outbox.schedule(id.clone(), reminder(200, "Call"), 4), "the relay holds it");
        assert!(
            outbox.schedule(id.clone(), reminder(300, "Call"), 5),
            "a snooze goes to the relay"
        );
        assert!(outbox.cancel(&id), "cancelling forgets the waiting version and asks the relay");
        assert!(outbox.waiting().is_empty());
        assert_eq!(outbox.cancelling(), std::slice::from_ref(&id));
        assert!(outbox.unsettled());

        let mut cancelled = held.clone();
        cancelled.state = State::Cancelled;
        cancelled.version = 2;
        let body = serde_json::to_string(&cancelled).unwrap();
        assert_eq!(outbox.cancel_answered(&id, 200, &body), Handover::Stored);
        assert!(outbox.cancelling().is_empty());
        assert!(!outbox.cancel(&id), "nothing left to cancel");
        assert!(
            outbox.schedule(id.clone(), reminder(200, "Call"), 6),
            "a cancelled job comes back"
        );
    }

    #[test]
    fn a_campaign_copy_waits_for_its_time_and_is_withdrawn_only_while_it_waits() {
        let copy = |at: i64| {
            let mut mail = mail("ann@example.test");
            mail.bulk = true;
            mail.send_at = Some(at);
            Work::Mail(mail)
        };
        assert_eq!(copy(1_900_000_000).check(), Ok(()));
        assert_eq!(copy(1_900_000_000).due_at(), Some(1_900_000_000));
        assert!(!copy(1_900_000_000).replaceable(), "once queued, a copy is what it is");
        let mut one_to_one = mail("ann@example.test");
        one_to_one.send_at = Some(1_900_000_000);
        assert_eq!(Work::Mail(one_to_one).check(), Err(WorkError::ScheduledNotBulk));
        assert_eq!(copy(5).check(), Err(WorkError::BadSendTime));

        let ids: Vec<OutboxId> = (0..4)
            .map(|n| OutboxId::from_cause(workspace(1), &["campaign", "c", &n.to_string()]))
            .collect();
        let mut outbox = DeviceOutbox::default();
        let items = ids.iter().map(|id| (id.clone(), copy(1_900_000_000)));
        assert_eq!(outbox.queue_many(items, 1), 4);
        // The relay holds the first, has sent the second; the third and fourth still wait here.
        let held = |id: &OutboxId, state: State| entry(id, state, 1);
        let changes = Changes {
            entries: vec![held(&ids[0], State::Queued), held(&ids[1], State::Sent)],
            version: 1,
            more: false,
        };
        outbox.apply(changes);
        assert_eq!(outbox.waiting().len(), 2);

        // Withdrawn (the campaign taken back): what waits here is forgotten, the relay is asked to
        // cancel what it holds waiting, and a sent copy is left as it is.
        assert_eq!(outbox.withdraw_many(ids[..3].to_vec()), 2, "one forgotten, one cancelled");
        assert_eq!(outbox.waiting().len(), 1, "the fourth was not withdrawn");
        assert_eq!(outbox.cancelling(), std::slice::from_ref(&ids[0]));
        // Asked again after each round of news: nothing more.
        assert_eq!(outbox.withdraw_many(ids[..3].to_vec()), 0);
        // Once cancelled, handing the same copy over again queues nothing.
        let mut cancelled = held(&ids[0], State::Cancelled);
        cancelled.version = 2;
        let body = serde_json::to_string(&cancelled).unwrap();
        assert_eq!(outbox.cancel_answered(&ids[0], 200, &body), Handover::Stored);
        assert_eq!(outbox.queue_many(vec![(ids[0].clone(), copy(1_900_000_600))], 2), 0);
    }

    #[test]
    fn a_change_heard_late_does_not_drop_the_newer_job_waiting_to_replace_it() {
        let id = OutboxId::from_cause(workspace(1), &["reminder", "task", "t-1"]);
        let mut outbox = DeviceOutbox::default();
        let mut held = entry(&id, State::Queued, 1);
        held.due_at = Some(100);
        held.digest = Some(reminder(100, "Call").digest());
        // The relay holds the job at 100; the task is snoozed to 200 here while offline.
        assert!(outbox.schedule(id.clone(), reminder(200, "Call"), 1));
        // The ledger's change for the old version arrives afterwards.
        let changes = Changes { entries: vec![held.clone()], version: 1, more: false };
        assert!(outbox.apply(changes));
        assert_eq!(outbox.waiting().len(), 1, "the snooze still goes to the relay");
        assert_eq!(outbox.waiting()[0].work, reminder(200, "Call"));
        // Once the ledger holds exactly what waits, nothing is left to send.
        let mut replaced = held;
        replaced.due_at = Some(200);
        replaced.digest = Some(reminder(200, "Call").digest());
        replaced.version = 2;
        assert!(outbox.apply(Changes { entries: vec![replaced], version: 2, more: false }));
        assert!(outbox.waiting().is_empty());
        // A mail is settled by any entry under its id: it is sent once, never replaced.
        let mail_id = OutboxId::from_cause(workspace(1), &["mail", "m-1"]);
        assert!(outbox.queue(mail_id.clone(), Work::Mail(mail("ann@example.test")), 3));
        let changes =
            Changes { entries: vec![entry(&mail_id, State::Sent, 3)], version: 3, more: false };
        outbox.apply(changes);
        assert!(outbox.waiting().is_empty());
    }

    #[test]
    fn a_job_refused_for_good_is_not_handed_over_again_until_it_changes() {
        let id = OutboxId::from_cause(workspace(1), &["reminder", "task", "t-3"]);
        let mut outbox = DeviceOutbox::default();
        assert!(outbox.schedule(id.clone(), reminder(100, "Call"), 1));
        let body =
            r#"{"error":"viewers may read but not send or change anything","code":"read_only"}"#;
        assert!(matches!(outbox.handed_over(&id, 403, body), Handover::Refused(_)));
        assert!(!outbox.schedule(id.clone(), reminder(100, "Call"), 2), "the same version: no");
        assert!(outbox.waiting().is_empty());
        assert!(outbox.schedule(id.clone(), reminder(200, "Call"), 3), "another version may go");
        assert_eq!(outbox.status(&id), Some(Status::Waiting));
    }

    #[test]
    fn a_cancel_the_relay_cannot_do_is_dropped_and_one_it_did_not_hear_is_asked_again() {
        let id = OutboxId::from_cause(workspace(1), &["reminder", "task", "t-2"]);
        let mut outbox = DeviceOutbox::default();
        let mut held = entry(&id, State::Queued, 1);
        held.digest = Some(reminder(100, "Call").digest());
        outbox.apply(Changes { entries: vec![held], version: 1, more: false });
        assert!(outbox.cancel(&id));
        assert_eq!(outbox.cancel_answered(&id, 0, ""), Handover::Later);
        assert_eq!(outbox.cancelling().len(), 1);
        let body = r#"{"error":"it is being sent","code":"under_way"}"#;
        assert_eq!(
            outbox.cancel_answered(&id, 409, body),
            Handover::Refused("it is being sent".into())
        );
        assert!(outbox.cancelling().is_empty());
    }

    #[test]
    fn a_device_keeps_work_until_the_relay_has_it_and_then_follows_the_ledger() {
        let id = OutboxId::from_cause(workspace(1), &["follow-up", "i-1"]);
        let work = Work::Mail(mail("ann@example.com"));
        let mut outbox = DeviceOutbox::default();
        assert!(outbox.queue(id.clone(), work.clone(), 10));
        assert!(!outbox.queue(id.clone(), work.clone(), 11), "the same trigger queues once");
        assert_eq!(outbox.status(&id), Some(Status::Waiting));

        // Offline, a relay error, a session that ran out: kept for later.
        for (status, body) in [(0, ""), (500, r#"{"code":"database"}"#), (401, "{}"), (404, "{}")] {
            assert_eq!(outbox.handed_over(&id, status, body), Handover::Later);
        }
        // A stored copy survives a reload.
        let reloaded: DeviceOutbox =
            serde_json::from_str(&serde_json::to_string(&outbox).unwrap()).unwrap();
        assert_eq!(reloaded, outbox);
        assert_eq!(outbox.waiting().len(), 1);

        let queued = entry(&id, State::Queued, 1);
        let body = serde_json::to_string(&queued).unwrap();
        assert_eq!(outbox.handed_over(&id, 201, &body), Handover::Stored);
        assert!(outbox.waiting().is_empty());
        assert_eq!(outbox.status(&id), Some(Status::Relay(&queued)));
        assert!(!outbox.queue(id.clone(), work, 12), "known to the ledger: not queued again");

        // Changes arrive in any order; the later version wins, an older one changes nothing.
        let sent = entry(&id, State::Sent, 3);
        assert!(outbox.apply(Changes { entries: vec![sent.clone()], version: 3, more: false }));
        assert!(!outbox.apply(Changes { entries: vec![queued], version: 1, more: false }));
        assert_eq!(outbox.status(&id), Some(Status::Relay(&sent)));
        assert_eq!(outbox.version(), 3);
    }

    #[test]
    fn work_the_relay_refuses_for_good_is_not_handed_over_again() {
        let id = OutboxId::from_cause(workspace(1), &["follow-up", "i-2"]);
        let mut outbox = DeviceOutbox::default();
        outbox.queue(id.clone(), Work::Mail(mail("ann@example.com")), 1);
        let body = r#"{"error":"this relay sends no mail","code":"no_mail"}"#;
        assert_eq!(
            outbox.handed_over(&id, 503, body),
            Handover::Refused("this relay sends no mail".into())
        );
        assert!(outbox.waiting().is_empty());
        assert_eq!(outbox.status(&id), Some(Status::Refused("this relay sends no mail")));
        // A 503 without a code is a proxy in front, not the relay's answer: later.
        let other = OutboxId::from_cause(workspace(1), &["follow-up", "i-3"]);
        outbox.queue(other.clone(), Work::Mail(mail("ann@example.com")), 2);
        assert_eq!(outbox.handed_over(&other, 503, "<html>bad gateway</html>"), Handover::Later);
    }

    #[test]
    fn consent_holds_however_an_address_is_written() {
        assert_eq!(normalise_address("  Ann@Example.COM "), "ann@example.com");
        let event = |seq, opted_in| ConsentEvent {
            seq,
            address: "ann@example.com".into(),
            opted_in,
            source: "one-click unsubscribe".into(),
            at: 1,
        };
        let mut outbox = DeviceOutbox::default();
        assert!(outbox.apply_consent(vec![event(3, false)]));
        assert_eq!(outbox.opted_out("ANN@example.com").map(|e| e.seq), Some(3));
        // An older event heard late changes nothing; a newer opt-in lifts the opt-out.
        assert!(!outbox.apply_consent(vec![event(2, true)]));
        assert!(outbox.opted_out("ann@example.com").is_some());
        assert!(outbox.apply_consent(vec![event(5, true)]));
        assert_eq!(outbox.opted_out("ann@example.com"), None);
        assert_eq!(outbox.consent_seq(), 5);
    }

    #[test]
    fn a_stamp_heard_from_the_ledger_keeps_the_relays_first_time_and_is_not_asked_for_again() {
        let id = OutboxId::from_cause(workspace(1), &["stamp", "ticket", "t", "opened"]);
        let mut outbox = DeviceOutbox::default();
        assert!(outbox.queue(id.clone(), Work::Stamp {}, 5));
        assert_eq!(outbox.status(&id), Some(Status::Waiting));
        let mut stamp = entry(&id, State::Recorded, 1);
        stamp.kind = "stamp".into();
        stamp.queued_at = 1_800_000_000;
        assert_eq!(
            outbox.handed_over(&id, 201, &serde_json::to_string(&stamp).unwrap()),
            Handover::Stored
        );
        assert_eq!(outbox.stamp(&id), Some(1_800_000_000_000));
        assert_eq!(outbox.status(&id), Some(Status::Stamped));
        assert!(!outbox.queue(id.clone(), Work::Stamp {}, 6), "asked once");
        // A later answer (another device asked again) changes nothing.
        let mut later = stamp.clone();
        later.queued_at = 1_900_000_000;
        later.version = 2;
        assert!(!outbox.apply(Changes { entries: vec![later], version: 2, more: false }));
        assert_eq!(outbox.stamp(&id), Some(1_800_000_000_000));
        assert_eq!(outbox.stamps_heard(), 1);
        let kept: DeviceOutbox =
            serde_json::from_str(&serde_json::to_string(&outbox).unwrap()).unwrap();
        assert_eq!(kept.stamp(&id), Some(1_800_000_000_000), "kept across reloads");
        assert_eq!(
            serde_json::to_value(Work::Stamp {}).unwrap(),
            serde_json::json!({ "kind": "stamp" })
        );

        // A workspace with no room for more stamps: the stamp is given up (the rest of the outbox
        // goes on), while a mail refused for a full outbox waits for room.
        let full = r#"{"error":"full","code":"outbox_full"}"#;
        let other = OutboxId::from_cause(workspace(1), &["stamp", "ticket", "t", "e1"]);
        assert!(outbox.queue(other.clone(), Work::Stamp {}, 7));
        assert!(matches!(outbox.handed_over(&other, 429, full), Handover::Refused(_)));
        assert!(!outbox.unsettled(), "nothing left waiting");
        let mail_id = OutboxId::from_cause(workspace(1), &["mail", "m"]);
        assert!(outbox.queue(mail_id.clone(), Work::Mail(mail("ann@example.test")), 8));
        assert_eq!(outbox.handed_over(&mail_id, 429, full), Handover::Later);
    }
}
