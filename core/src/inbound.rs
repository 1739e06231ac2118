//! Email-to-ticket, decided: a mail sent to the workspace's support address reaches the relay, which
//! keeps what it read of it ([`InboundMail`]) without knowing anything of tickets; a device of the
//! workspace files it — as a reply on the ticket it answers, or as a new ticket from its sender — and
//! tells the relay it did. Which ticket ([`thread_of`]) and every id written ([`Filing`]) follow from
//! the mail alone, so a device that files a mail again (it was cut off before the relay heard it was
//! filed) writes the same records under the same ids.
//!
//! Replies go out as mail through the relay's outbox ([`reply_mail`]) with `In-Reply-To` and
//! `References` naming the customer's mails, so the answer threads in the customer's mail app; the
//! relay's `Message-ID` of a reply begins with its outbox id, which the reply's [`MailLink`] keeps, so
//! the customer's answer to it threads back here.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use std::collections::HashMap;

use crate::ids::{InteractionId, PartyId, TicketEventId, TicketId, Timestamp, WorkspaceId};
use crate::model::{
    Attachment, Channel, ContactPoint, Interaction, InteractionKind, MailLink, MessageKind, Party,
    PartyKind, Role, Ticket, TicketMessage, TicketPriority,
};
use crate::outbox::{Mail, OutboxId, Recipient, normalise_address};
use crate::read_model::{InteractionRow, PartyRow, TicketRow};

/// A mail the relay received for a workspace, as it read it: the headers threading needs, the sender,
/// the subject and the text. Bytes the relay could not read as text are left out; it never guesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMail {
    /// The relay's order of receiving, per relay: what a device asks after.
    pub seq: i64,
    /// 32 hex digits naming this mail in its workspace: a hash of its `Message-ID` (of the whole
    /// message when it has none), so the same mail delivered twice is kept once.
    pub key: String,
    /// When the relay received it (Unix milliseconds, the relay's clock).
    pub received_at: i64,
    /// Its `Message-ID`, without angle brackets (one the relay made up when it had none).
    pub message_id: String,
    /// The `Message-ID`s it answers (`In-Reply-To`), without angle brackets.
    #[serde(default)]
    pub in_reply_to: Vec<String>,
    /// The thread it belongs to (`References`), oldest first.
    #[serde(default)]
    pub references: Vec<String>,
    pub from: Recipient,
    pub subject: String,
    /// The plain text (or the HTML part turned to text), at most [`crate::outbox::MOST_TEXT_BYTES`].
    pub text: String,
    /// Files it carried: those the relay kept are workspace files ([`crate::attachments`]) the
    /// ticket holds; the others (past the workspace's quota, or a relay that keeps no files) are
    /// only named in the message.
    #[serde(default)]
    pub attachments: Vec<InboundFile>,
    /// Another member's device took it to file a moment ago; this one leaves it.
    #[serde(default)]
    pub taken: bool,
    /// Sent by a machine, as its headers say (`Auto-Submitted` other than `no`, `X-Autoreply`,
    /// `Precedence: auto_reply`…): an out-of-office answer is no reply.
    #[serde(default)]
    pub automatic: bool,
}

/// A file a mail carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "InboundFileWire")]
pub struct InboundFile {
    pub name: String,
    /// Its media type as the mail said (`type/subtype`), empty when it said none.
    pub content_type: String,
    pub size: u64,
    /// The SHA-256 the relay keeps its bytes under, when it kept them.
    pub hash: Option<String>,
}

/// An [`InboundFile`] as stored: relays before files were kept stored only the name.
#[derive(Deserialize)]
#[serde(untagged)]
enum InboundFileWire {
    Named(String),
    Kept {
        name: String,
        #[serde(default)]
        content_type: String,
        #[serde(default)]
        size: u64,
        #[serde(default)]
        hash: Option<String>,
    },
}

impl From<InboundFileWire> for InboundFile {
    fn from(wire: InboundFileWire) -> InboundFile {
        match wire {
            InboundFileWire::Named(name) => {
                InboundFile { name, content_type: String::new(), size: 0, hash: None }
            }
            InboundFileWire::Kept { name, content_type, size, hash } => InboundFile {
                name,
                content_type,
                size,
                hash: hash.filter(|hash| crate::attachments::is_file_hash(hash)),
            },
        }
    }
}

impl InboundFile {
    /// What the ticket keeps of it, if the relay kept its bytes: under its hash, added when received.
    fn attachment(&self, at: Timestamp) -> Option<(String, Attachment)> {
        let hash = self.hash.clone()?;
        let attachment = Attachment {
            name: self.name.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            added_at: at,
            added_by: None,
            thumbnail: None,
        };
        Some((hash, attachment))
    }
}

/// The most attachments a mail names, and the most characters of each name (the relay keeps no more).
pub const MOST_ATTACHMENT_NAMES: usize = 20;
pub const MOST_NAME_CHARS: usize = 100;
/// The most `In-Reply-To` ids kept of a mail.
pub const MOST_ANSWERED: usize = 5;

/// The relay's list of a workspace's mails not filed yet.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InboundList {
    pub mails: Vec<InboundMail>,
    /// The workspace's support address, once one is made.
    #[serde(default)]
    pub address: Option<String>,
}

/// The short reference of a ticket a subject carries (`[#1a2b3c4d]`): the last eight hex digits of
/// its id (the random part of a UUID v7, so tickets opened in the same millisecond differ).
pub fn reference(ticket: TicketId) -> String {
    let text = ticket.to_string();
    text[text.len() - 8..].to_owned()
}

/// The subject of a reply to ticket `ticket`: the ticket's subject with `Re: ` and its reference, so
/// an answer whose mail app dropped the headers still finds the ticket.
/// It is cut to fit a subject's length with the reference kept.
pub fn reply_subject(subject: &str, ticket: TicketId) -> String {
    let tag = format!("[#{}]", reference(ticket));
    let base = subject.trim();
    let base = if base.to_lowercase().starts_with("re:") {
        base.to_owned()
    } else {
        format!("Re: {base}")
    };
    if base.contains(&tag) && base.chars().count() <= crate::outbox::MOST_SUBJECT_CHARS {
        return base;
    }
    let room = crate::outbox::MOST_SUBJECT_CHARS - tag.chars().count() - 1;
    let base: String = base.replace(&tag, "").chars().take(room).collect();
    format!("{} {tag}", base.trim_end())
}

/// The ticket `mail` answers, if any: by the mails it names (`In-Reply-To`, then `References`, latest
/// first) — a customer's mail on a ticket, or a reply the relay sent (its `Message-ID` begins with the
/// reply's outbox id) — then by a ticket reference in its subject that names exactly one ticket.
pub fn thread_of<'a>(
    mail: &InboundMail,
    tickets: impl IntoIterator<Item = &'a TicketRow> + Clone,
) -> Option<TicketId> {
    // A few of each: a mail naming thousands of ids costs no more than an ordinary one.
    let named =
        mail.in_reply_to.iter().take(MOST_ANSWERED).chain(mail.references.iter().rev().take(30));
    for id in named {
        let outbox = id.split(['.', '@']).next().filter(|local| OutboxId::parse(local).is_ok());
        let found = tickets.clone().into_iter().find(|ticket| {
            ticket.mail_ids.iter().any(|known| known == id || Some(known.as_str()) == outbox)
        });
        if let Some(ticket) = found {
            return Some(ticket.id);
        }
    }
    let tag = subject_reference(&mail.subject)?;
    let mut matching = tickets.into_iter().filter(|ticket| reference(ticket.id) == tag);
    let first = matching.next()?;
    matching.next().is_none().then_some(first.id)
}

/// The eight hex digits of the first `[#…]` in `subject`.
fn subject_reference(subject: &str) -> Option<String> {
    let mut rest = subject;
    while let Some(start) = rest.find("[#") {
        let after = &rest[start + 2..];
        if let Some(candidate) = after.get(..9)
            && candidate.ends_with(']')
            && candidate[..8].bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Some(candidate[..8].to_ascii_lowercase());
        }
        rest = after;
    }
    None
}

/// What filing a mail writes: a message on an existing ticket, or a new ticket (and, for a sender no
/// record has, a new person).
#[derive(Debug, Clone, PartialEq)]
pub enum Filing {
    Reply {
        ticket: TicketId,
        event: String,
        message: TicketMessage,
        /// The files it carried that the relay kept, under their hashes.
        files: Vec<(String, Attachment)>,
    },
    New {
        ticket: TicketId,
        record: Box<Ticket>,
        person: Option<(PartyId, Box<Party>)>,
    },
    /// An answer to an email sent from a party's timeline (a sequence's, say): on their timeline,
    /// naming the email it answers; the files it carried (those the relay kept) become the party's.
    Answer {
        interaction: InteractionId,
        record: Box<Interaction>,
        party: PartyId,
        files: Vec<(String, Attachment)>,
    },
}

impl Filing {
    /// The ids of the records it writes (what must reach the relay before the mail counts as filed).
    pub fn records(&self) -> Vec<String> {
        match self {
            Filing::Reply { ticket, .. } => vec![ticket.to_string()],
            Filing::New { ticket, person, .. } => std::iter::once(ticket.to_string())
                .chain(person.iter().map(|(id, _)| id.to_string()))
                .collect(),
            Filing::Answer { interaction, party, files, .. } => {
                let mut records = vec![interaction.to_string()];
                if !files.is_empty() {
                    records.push(party.to_string());
                }
                records
            }
        }
    }
}

/// The emails sent from parties' timelines, by the outbox id their mail went under
/// ([`OutboxId::of_mail`]): what an answer names.
pub fn timeline_mails<'a>(
    workspace: WorkspaceId,
    interactions: impl IntoIterator<Item = &'a InteractionRow>,
) -> HashMap<String, (InteractionId, PartyId)> {
    interactions
        .into_iter()
        .filter(|row| row.kind() == InteractionKind::Email && row.answers.is_none())
        .filter_map(|row| {
            let party = *row.parties.first()?;
            Some((OutboxId::of_mail(workspace, row.id).as_str().to_owned(), (row.id, party)))
        })
        .collect()
}

/// The timeline email `mail` answers, by the mails it names (their `Message-ID` begins with the
/// outbox id the relay sent them under).
fn answered<'m>(
    mail: &InboundMail,
    sent: &'m HashMap<String, (InteractionId, PartyId)>,
) -> Option<&'m (InteractionId, PartyId)> {
    let named =
        mail.in_reply_to.iter().take(MOST_ANSWERED).chain(mail.references.iter().rev().take(30));
    named.filter_map(|id| id.split(['.', '@']).next()).find_map(|local| sent.get(local))
}

/// How `mail` is filed in `workspace`, given the tickets and parties the device has and the emails
/// sent from timelines ([`timeline_mails`]). Every id comes from the mail, so filing it twice writes
/// the same.
pub fn file<'a>(
    workspace: WorkspaceId,
    mail: &InboundMail,
    tickets: impl IntoIterator<Item = &'a TicketRow> + Clone,
    parties: impl IntoIterator<Item = &'a PartyRow>,
    sent: &HashMap<String, (InteractionId, PartyId)>,
) -> Filing {
    let address = normalise_address(&mail.from.address);
    let at = Timestamp(mail.received_at);
    let message = TicketMessage {
        kind: MessageKind::Customer,
        author: None,
        at,
        text: message_text(mail),
        mail: Some(MailLink { id: mail.message_id.clone(), address: address.clone() }),
    };
    let event = TicketEventId::from_bytes(event_bytes(workspace, mail)).to_string();
    let files: Vec<(String, Attachment)> =
        mail.attachments.iter().filter_map(|file| file.attachment(at)).collect();
    if let Some(ticket) = thread_of(mail, tickets) {
        return Filing::Reply { ticket, event, message, files };
    }
    if let Some((answers, party)) = answered(mail, sent) {
        let mut bytes = derived(workspace, &["answer", &mail.key]);
        bytes[..6].copy_from_slice(&(mail.received_at.max(0) as u64).to_be_bytes()[2..]);
        bytes[6] = (bytes[6] & 0x0f) | 0x70;
        let record = Interaction {
            kind: InteractionKind::Email,
            at,
            parties: vec![*party],
            members: Vec::new(),
            summary: mail.subject.trim().chars().take(crate::outbox::MOST_SUBJECT_CHARS).collect(),
            notes: autosurgeon::Text::with_value(message.text),
            outcome: String::new(),
            location: None,
            follow_up: None,
            author: None,
            archived: false,
            answers: Some(*answers),
            automatic: mail.automatic,
        };
        return Filing::Answer {
            interaction: InteractionId::from_bytes(bytes),
            record: Box::new(record),
            party: *party,
            files,
        };
    }
    let known = parties
        .into_iter()
        .filter(|party| !party.archived)
        .find(|party| party.emails.iter().any(|email| normalise_address(email) == address));
    let (party, person) = match known {
        Some(party) => (party.id, None),
        None => {
            let id = PartyId::from_bytes(derived(workspace, &["party", &address]));
            let name = match mail.from.name.trim() {
                "" => address.clone(),
                name => name.to_owned(),
            };
            let mut person = Party {
                kind: PartyKind::Person,
                name,
                emails: vec![ContactPoint { label: String::new(), value: address.clone() }],
                created_at: at,
                ..Party::default()
            };
            person.set_role(Role::Customer, true);
            (id, Some((id, Box::new(person))))
        }
    };
    let subject = match mail.subject.trim() {
        "" => first_line(&mail.text),
        subject => subject.chars().take(crate::outbox::MOST_SUBJECT_CHARS).collect(),
    };
    let ticket_id = TicketId::from_bytes(derived(workspace, &["ticket", &mail.key]));
    let mut record = Ticket::open(
        subject,
        Some(party),
        Channel::Email,
        TicketPriority::Normal,
        crate::service::NEW_TICKET_STATUS,
        at,
        None,
    );
    record.add_message(event, message);
    record.files.extend(files);
    Filing::New { ticket: ticket_id, record: Box::new(record), person }
}

/// The mail's text, with a line naming the files it carried (those kept are also the ticket's files),
/// so the conversation says which mail brought which.
fn message_text(mail: &InboundMail) -> String {
    let mut text = mail.text.trim_end().to_owned();
    if !mail.attachments.is_empty() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str("📎 ");
        let names: Vec<String> = mail
            .attachments
            .iter()
            .take(MOST_ATTACHMENT_NAMES)
            .map(|file| file.name.chars().take(MOST_NAME_CHARS).collect())
            .collect();
        text.push_str(&names.join(", "));
    }
    text
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("…");
    line.chars().take(80).collect()
}

/// A UUID (version 8: made from a hash, not a clock) derived from the workspace and `parts`.
fn derived(workspace: WorkspaceId, parts: &[&str]) -> [u8; 16] {
    let mut hash = Sha256::new();
    hash.update(b"rapport-inbound\0");
    hash.update(workspace.as_bytes());
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

/// The message's event id: a UUID v7 at the relay's time of receiving (event ids sort by time) whose
/// other bits come from the mail, so every device derives the same.
fn event_bytes(workspace: WorkspaceId, mail: &InboundMail) -> [u8; 16] {
    let mut bytes = derived(workspace, &["event", &mail.key]);
    let millis = mail.received_at.max(0) as u64;
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes
}

/// The outbox id of the mail that sends reply `event` of ticket `ticket`.
pub fn reply_mail_id(workspace: WorkspaceId, ticket: TicketId, event: &str) -> OutboxId {
    OutboxId::from_cause(workspace, &["ticket-reply", &ticket.to_string(), event])
}

/// The mail that sends a reply of ticket `id` to `to`: its subject carries the ticket's reference;
/// `In-Reply-To` names the customer's latest mail and `References` all of them, so it threads; answers
/// go to the workspace's support address when it has one.
pub fn reply_mail(
    id: TicketId,
    ticket: &Ticket,
    to: Recipient,
    text: String,
    support_address: Option<&str>,
) -> Mail {
    let mut received: Vec<&str> = ticket
        .conversation()
        .into_iter()
        .filter(|(_, message)| message.kind == MessageKind::Customer)
        .filter_map(|(_, message)| message.mail.as_ref().map(|mail| mail.id.as_str()))
        .collect();
    // The newest, as mail apps keep them.
    let most = crate::outbox::MOST_REFERENCES;
    if received.len() > most {
        received.drain(..received.len() - most);
    }
    Mail {
        to: vec![to],
        subject: reply_subject(&ticket.subject, id),
        text,
        reply_to: support_address
            .map(|address| Recipient { address: address.to_owned(), name: String::new() }),
        bulk: false,
        in_reply_to: received.last().map(|id| (*id).to_owned()),
        references: received.iter().map(|id| (*id).to_owned()).collect(),
        rating_for: None,
        update_link: None,
        markdown: false,
        track: false,
        utm: None,
        send_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_model::{TicketEvent, TicketEventKind};

    fn workspace() -> WorkspaceId {
        "0190f5a0-0000-7000-8000-00000000aaaa".parse().unwrap()
    }

    fn no_mails() -> HashMap<String, (InteractionId, PartyId)> {
        HashMap::new()
    }

    #[test]
    fn an_answer_to_a_timeline_email_goes_on_the_timeline_naming_it_and_a_ticket_s_stays_a_reply() {
        let party = PartyId::from_bytes([3; 16]);
        let sent_as = InteractionId::from_bytes([4; 16]);
        let email = InteractionRow {
            id: sent_as,
            kind: 3,
            at: Timestamp(1),
            parties: vec![party],
            summary: "Hello".into(),
            author: None,
            answers: None,
            automatic: false,
        };
        let call =
            InteractionRow { id: InteractionId::from_bytes([5; 16]), kind: 0, ..email.clone() };
        let sent = timeline_mails(workspace(), [&email, &call]);
        assert_eq!(sent.len(), 1, "only emails are answered");
        let copy = OutboxId::of_mail(workspace(), sent_as);
        let mut answer = mail("k1", "x@mail.example");
        answer.subject = "Re: Hello".into();
        answer.references = vec!["old@mail.example".into(), format!("{copy}.1@relay.example")];
        let filed = file(workspace(), &answer, &[], &[], &sent);
        let Filing::Answer { interaction, record, party: whose, files } = &filed else {
            panic!("{filed:?}")
        };
        assert_eq!((*whose, files.len()), (party, 0));
        assert_eq!(record.answers, Some(sent_as));
        assert_eq!(record.parties, vec![party]);
        assert_eq!(record.kind, InteractionKind::Email);
        assert_eq!(record.summary, "Re: Hello");
        assert_eq!(record.at, Timestamp(answer.received_at));
        assert_eq!(filed.records(), vec![interaction.to_string()]);
        assert_eq!(file(workspace(), &answer, &[], &[], &sent), filed, "the same ids again");
        // Its id sorts by when it came, as interaction ids do.
        assert!(interaction.to_string().starts_with(&format!("{:012x}", answer.received_at)[..8]));
        // An answer that names a ticket's mail is the ticket's, whatever else it names.
        let ticket: TicketId = "0190f5a0-0000-7000-8000-00001a2b3c4d".parse().unwrap();
        answer.in_reply_to = vec!["a@mail.example".into()];
        let rows = [row(ticket, &["a@mail.example"])];
        assert!(matches!(file(workspace(), &answer, &rows, &[], &sent), Filing::Reply { .. }));
        // Naming no timeline mail: a ticket, as before.
        let unknown = mail("k2", "y@mail.example");
        assert!(matches!(file(workspace(), &unknown, &[], &[], &sent), Filing::New { .. }));
    }

    fn mail(key: &str, message_id: &str) -> InboundMail {
        InboundMail {
            seq: 1,
            key: key.into(),
            received_at: 1_780_000_000_000,
            message_id: message_id.into(),
            in_reply_to: Vec::new(),
            references: Vec::new(),
            from: Recipient { address: "Ann@Example.com".into(), name: "Ann Lee".into() },
            subject: "Printer jams".into(),
            text: "It jams on every page.".into(),
            attachments: Vec::new(),
            taken: false,
            automatic: false,
        }
    }

    fn row(id: TicketId, mail_ids: &[&str]) -> TicketRow {
        TicketRow {
            id,
            subject: "Printer jams".into(),
            party: None,
            channel: Channel::Email,
            priority: TicketPriority::Normal,
            status: "open".into(),
            team: None,
            assignee: None,
            tags: Vec::new(),
            created_at: Timestamp(0),
            events: vec![TicketEvent {
                id: "opened".into(),
                at: Timestamp(0),
                kind: TicketEventKind::Opened,
                relay_time: false,
            }],
            mail_ids: mail_ids.iter().map(|id| (*id).to_owned()).collect(),
            rating: None,
            escalated: Vec::new(),
        }
    }

    #[test]
    fn a_new_sender_becomes_a_customer_and_the_mail_a_ticket_with_ids_from_the_mail() {
        let first = file(workspace(), &mail("k1", "a@mail.example"), &[], &[], &no_mails());
        let Filing::New { ticket, record, person: Some((party, person)) } = first.clone() else {
            panic!("{first:?}")
        };
        assert_eq!(record.party, Some(party));
        assert_eq!(person.name, "Ann Lee");
        assert_eq!(person.emails[0].value, "ann@example.com");
        assert_eq!(record.subject, "Printer jams");
        assert_eq!(record.created_at, Timestamp(1_780_000_000_000));
        let (event, message) = record.messages.iter().next().unwrap();
        assert_eq!(message.mail.as_ref().unwrap().id, "a@mail.example");
        // The event id is a UUID v7 at the time received: it sorts among the device-written ones.
        let parsed: TicketEventId = event.parse().unwrap();
        assert_eq!(&parsed.as_bytes()[..6], &1_780_000_000_000u64.to_be_bytes()[2..]);
        // Filed again (by another device, or after a cut): the same records under the same ids.
        assert_eq!(file(workspace(), &mail("k1", "a@mail.example"), &[], &[], &no_mails()), first);
        // Another mail: another ticket, but the same person.
        let Filing::New { ticket: other, person: Some((again, _)), .. } =
            file(workspace(), &mail("k2", "b@mail.example"), &[], &[], &no_mails())
        else {
            panic!()
        };
        assert_ne!(other, ticket);
        assert_eq!(again, party);
    }

    #[test]
    fn a_known_sender_is_the_ticket_s_party() {
        let known = PartyRow {
            emails: vec!["ann@example.com".into()],
            ..PartyRow::named(PartyId::from_bytes([3; 16]), "Ann")
        };
        let Filing::New { record, person: None, .. } =
            file(workspace(), &mail("k1", "a@x"), &[], std::slice::from_ref(&known), &no_mails())
        else {
            panic!()
        };
        assert_eq!(record.party, Some(known.id));
    }

    #[test]
    fn an_answer_threads_by_headers_then_by_the_subject_s_reference() {
        let ticket: TicketId = "0190f5a0-0000-7000-8000-00001a2b3c4d".parse().unwrap();
        let other: TicketId = "0190f5a0-0000-7000-8000-000099999999".parse().unwrap();
        let reply_id = reply_mail_id(workspace(), ticket, "e1");
        let rows =
            [row(other, &["z@mail.example"]), row(ticket, &["a@mail.example", reply_id.as_str()])];
        // Answering the customer's own first mail (a second mail in the same thread).
        let mut answer = mail("k3", "c@mail.example");
        answer.references = vec!["a@mail.example".into()];
        assert_eq!(thread_of(&answer, &rows), Some(ticket));
        // Answering the reply the relay sent: its Message-ID begins with the outbox id.
        let mut answer = mail("k4", "d@mail.example");
        answer.in_reply_to = vec![format!("{reply_id}.{}@relay.example", workspace())];
        assert_eq!(thread_of(&answer, &rows), Some(ticket));
        // The headers lost, the subject kept.
        let mut answer = mail("k5", "e@mail.example");
        answer.subject = reply_subject("Printer jams", ticket);
        assert_eq!(answer.subject, "Re: Printer jams [#1a2b3c4d]");
        assert_eq!(thread_of(&answer, &rows), Some(ticket));
        let Filing::Reply { ticket: found, message, .. } =
            file(workspace(), &answer, &rows, &[], &no_mails())
        else {
            panic!()
        };
        assert_eq!(found, ticket);
        assert_eq!(message.kind, MessageKind::Customer);
        // Nothing known: a new ticket.
        assert_eq!(thread_of(&mail("k6", "f@mail.example"), &rows), None);
        let mut unknown = mail("k7", "g@mail.example");
        unknown.subject = "Re: [#deadbeef] [#1a2b3c4".into();
        assert_eq!(thread_of(&unknown, &rows), None);
    }

    #[test]
    fn a_reply_names_the_customer_s_mails_and_carries_the_reference() {
        let id: TicketId = "0190f5a0-0000-7000-8000-00001a2b3c4d".parse().unwrap();
        let Filing::New { record: mut ticket, .. } =
            file(workspace(), &mail("k1", "a@mail.example"), &[], &[], &no_mails())
        else {
            panic!()
        };
        let mut later = mail("k2", "b@mail.example");
        later.received_at += 60_000;
        let Filing::New { record: second, .. } = file(workspace(), &later, &[], &[], &no_mails())
        else {
            panic!()
        };
        for (event, message) in second.messages {
            ticket.add_message(event, message);
        }
        let to = Recipient { address: "ann@example.com".into(), name: "Ann Lee".into() };
        let mail = reply_mail(id, &ticket, to, "Fixed.".into(), Some("s-1@in.example"));
        assert_eq!(mail.subject, "Re: Printer jams [#1a2b3c4d]");
        assert_eq!(mail.in_reply_to.as_deref(), Some("b@mail.example"));
        assert_eq!(mail.references, ["a@mail.example", "b@mail.example"]);
        assert_eq!(mail.reply_to.as_ref().unwrap().address, "s-1@in.example");
        assert!(mail.check().is_ok());

        // A long conversation and the longest subject: still a mail the relay takes.
        ticket.subject = "x".repeat(crate::outbox::MOST_SUBJECT_CHARS);
        for n in 0..40 {
            let mut more = self::mail(&format!("k{n}"), &format!("m{n}@mail.example"));
            more.received_at += 120_000 + n;
            let Filing::New { record, .. } = file(workspace(), &more, &[], &[], &no_mails()) else {
                panic!()
            };
            for (event, message) in record.messages {
                ticket.add_message(event, message);
            }
        }
        let to = Recipient { address: "ann@example.com".into(), name: String::new() };
        let long = reply_mail(id, &ticket, to, "Fixed.".into(), None);
        assert_eq!(long.check(), Ok(()));
        assert!(long.subject.ends_with("[#1a2b3c4d]"), "{}", long.subject);
        assert_eq!(long.references.len(), crate::outbox::MOST_REFERENCES);
        assert_eq!(long.references.last().map(String::as_str), Some("m39@mail.example"));
    }

    #[test]
    fn the_files_a_relay_kept_become_the_ticket_s_and_every_file_is_named_in_the_message() {
        let kept = "ab".repeat(32);
        let mut with_files = mail("k1", "a@mail.example");
        with_files.attachments = vec![
            InboundFile {
                name: "jam.png".into(),
                content_type: "image/png".into(),
                size: 5,
                hash: Some(kept.clone()),
            },
            InboundFile {
                name: "scan.pdf".into(),
                content_type: "application/pdf".into(),
                size: 9,
                hash: None,
            },
        ];
        let Filing::New { ticket, record, .. } =
            file(workspace(), &with_files, &[], &[], &no_mails())
        else {
            panic!()
        };
        let files: Vec<(&String, &str)> =
            record.files.iter().map(|(hash, file)| (hash, file.name.as_str())).collect();
        assert_eq!(files, [(&kept, "jam.png")]);
        assert_eq!(record.files[&kept].added_at, Timestamp(with_files.received_at));
        let (_, message) = record.messages.iter().next().unwrap();
        assert!(message.text.ends_with("📎 jam.png, scan.pdf"), "{}", message.text);

        // An answer on that ticket brings its files to it.
        let rows = [row(ticket, &["a@mail.example"])];
        let mut answer = with_files.clone();
        (answer.key, answer.message_id) = ("k2".into(), "b@mail.example".into());
        answer.in_reply_to = vec!["a@mail.example".into()];
        let Filing::Reply { ticket: found, files, .. } =
            file(workspace(), &answer, &rows, &[], &no_mails())
        else {
            panic!()
        };
        assert_eq!(found, ticket);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, kept);
    }

    #[test]
    fn a_mail_kept_before_files_were_kept_still_reads_with_its_files_named() {
        let stored = r#"{"seq":3,"key":"k","received_at":1,"message_id":"m@x","from":{"address":"a@x","name":""},"subject":"s","text":"t","attachments":["old.pdf",{"name":"new.png","content_type":"image/png","size":4,"hash":"not-a-hash"}]}"#;
        let mail: InboundMail = serde_json::from_str(stored).unwrap();
        let names: Vec<&str> = mail.attachments.iter().map(|file| file.name.as_str()).collect();
        assert_eq!(names, ["old.pdf", "new.png"]);
        assert!(mail.attachments.iter().all(|file| file.hash.is_none()), "{mail:?}");
    }
}
