//! Support tickets: a customer's question or problem, the conversation about it and the status it is
//! in. Deadlines are not here: `crate::service` derives them from the ticket's events and the
//! workspace's policies, so every device shows the same ones.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::{Deserialize, Serialize};

use super::NameSet;
use super::sparse::reconcile_sparse;
use crate::ids::{ContractId, DealId, MemberId, PartyId, TeamId, Timestamp};

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Ticket {
    pub subject: String,
    /// What the customer asked, as first written down.
    pub description: Text,
    /// The customer (a person or an organisation); the ticket is on its timeline.
    #[autosurgeon(missing = "Default::default")]
    pub party: Option<PartyId>,
    #[autosurgeon(missing = "Default::default")]
    pub deal: Option<DealId>,
    #[autosurgeon(missing = "Default::default")]
    pub contract: Option<ContractId>,
    pub channel: Channel,
    pub priority: TicketPriority,
    /// A status key of the workspace (`crate::service::Statuses`): the built-in `open`, `waiting`,
    /// `resolved`, `closed`, or one the workspace added.
    pub status: String,
    /// The queue it is in.
    #[autosurgeon(missing = "Default::default")]
    pub team: Option<TeamId>,
    #[autosurgeon(missing = "Default::default")]
    pub assignee: Option<MemberId>,
    pub tags: NameSet,
    #[autosurgeon(missing = "Default::default")]
    pub files: BTreeMap<String, super::Attachment>,
    /// The conversation, by event id (UUID v7 text, so the ids sort by time of writing): a map, so
    /// replies written at once on two devices both stay.
    pub messages: BTreeMap<String, TicketMessage>,
    /// Every status change, by event id; the clocks read them ([`crate::service`]).
    pub status_log: BTreeMap<String, StatusChange>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub created_by: Option<MemberId>,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
    /// The customer's answer to the satisfaction survey sent when it was resolved (one per ticket).
    #[autosurgeon(missing = "Default::default")]
    pub rating: Option<Rating>,
    /// The escalation rules applied to it, by event id (`crate::escalation`). Written with the ticket,
    /// empty, so that two devices adding a line at once both keep theirs (two maps made at once would
    /// leave one) — which happens only if the relay's ledger failed them.
    #[autosurgeon(missing = "Default::default")]
    pub escalations: BTreeMap<String, Escalated>,
}

reconcile_sparse!(Ticket {
    always: [
        subject,
        description,
        channel,
        priority,
        status,
        tags,
        messages,
        status_log,
        created_at,
        escalations
    ],
    sparse: [party, deal, contract, team, assignee, files, created_by, archived, rating],
});

/// How the customer rated the team's answer (`crate::satisfaction`).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Rating {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    pub comment: String,
    /// When the relay received the answer.
    pub at: Timestamp,
}

/// An escalation rule applied to the ticket when one of its clocks ran past its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Escalated {
    /// What names the breach it answers (`crate::escalation::Due::key`): a breach is escalated once.
    pub key: String,
    /// The rule's id (as text) and its name when applied.
    pub rule: String,
    pub rule_name: String,
    /// The clock that ran past its deadline (`first_response`, `next_response`, `resolution`).
    pub metric: String,
    /// The deadline it ran past.
    pub due: Timestamp,
    pub at: Timestamp,
    pub by: Option<MemberId>,
}

/// How the customer reached the team.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Reconcile, Hydrate, Serialize, Deserialize,
)]
pub enum Channel {
    #[default]
    Email,
    Phone,
    Visit,
    WebForm,
}

impl Channel {
    pub const ALL: [Channel; 4] =
        [Channel::Email, Channel::Phone, Channel::Visit, Channel::WebForm];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Phone => "phone",
            Channel::Visit => "visit",
            Channel::WebForm => "web_form",
        }
    }

    pub fn parse(key: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|channel| channel.as_str() == key)
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    Hash,
    Reconcile,
    Hydrate,
    Serialize,
    Deserialize,
)]
pub enum TicketPriority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl TicketPriority {
    pub const ALL: [TicketPriority; 4] =
        [TicketPriority::Low, TicketPriority::Normal, TicketPriority::High, TicketPriority::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketPriority::Low => "low",
            TicketPriority::Normal => "normal",
            TicketPriority::High => "high",
            TicketPriority::Urgent => "urgent",
        }
    }

    pub fn parse(key: &str) -> Option<TicketPriority> {
        TicketPriority::ALL.into_iter().find(|priority| priority.as_str() == key)
    }
}

/// One message of a ticket's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct TicketMessage {
    pub kind: MessageKind,
    /// The member who wrote it, or logged what the customer said.
    pub author: Option<MemberId>,
    /// When it was written, by the writing device's clock; the clocks take the relay's time once
    /// it has heard of the message. A mail received is at the relay's time of receiving it.
    pub at: Timestamp,
    pub text: String,
    /// The mail it came as or went out as, if any: what threads the customer's answers to it.
    #[autosurgeon(missing = "Default::default")]
    pub mail: Option<MailLink>,
}

/// A message's mail: for the customer's, the `Message-ID` of the mail the relay received; for a reply
/// sent as mail, the id of the outbox entry that sent it (the relay's `Message-ID` begins with it).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct MailLink {
    pub id: String,
    /// The customer's address it came from or went to.
    pub address: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub enum MessageKind {
    /// The customer wrote (a mail received, or what they said on the phone, logged by a member).
    Customer,
    /// The team answered the customer.
    Reply,
    /// A note for the team only; not an answer.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct StatusChange {
    /// The status key moved to.
    pub status: String,
    pub at: Timestamp,
    pub by: Option<MemberId>,
}

impl Ticket {
    /// A new ticket from `party` in status `status`, opened at `at` by `by`; `question`, when given,
    /// is the customer's first message.
    pub fn open(
        subject: String,
        party: Option<PartyId>,
        channel: Channel,
        priority: TicketPriority,
        status: &str,
        at: Timestamp,
        by: Option<MemberId>,
    ) -> Ticket {
        Ticket {
            subject,
            description: Text::with_value(""),
            party,
            deal: None,
            contract: None,
            channel,
            priority,
            status: status.to_owned(),
            team: None,
            assignee: None,
            tags: NameSet::new(),
            files: BTreeMap::new(),
            messages: BTreeMap::new(),
            status_log: BTreeMap::new(),
            created_at: at,
            created_by: by,
            archived: false,
            rating: None,
            escalations: BTreeMap::new(),
        }
    }

    /// Adds message `event` (a fresh event id) to the conversation.
    pub fn add_message(&mut self, event: String, message: TicketMessage) {
        self.messages.insert(event, message);
    }

    /// The status the ticket is in: the latest change of its log (by time, then event id), so that
    /// whatever two devices did at once, the status shown and the clocks (which replay the log) agree;
    /// `status` itself (last writer wins) only until a change is logged.
    pub fn current_status(&self) -> &str {
        self.status_log
            .iter()
            .max_by(|a, b| (a.1.at, a.0).cmp(&(b.1.at, b.0)))
            .map_or(self.status.as_str(), |(_, change)| change.status.as_str())
    }

    /// Moves the ticket to status `status`, logged as event `event`; nothing when it is already there.
    /// Returns whether it moved.
    pub fn set_status(
        &mut self,
        event: String,
        status: &str,
        at: Timestamp,
        by: Option<MemberId>,
    ) -> bool {
        if self.current_status() == status {
            return false;
        }
        self.status = status.to_owned();
        self.status_log.insert(event, StatusChange { status: status.to_owned(), at, by });
        true
    }

    /// The conversation in the order it was written (by time, then by id).
    pub fn conversation(&self) -> Vec<(&str, &TicketMessage)> {
        let mut messages: Vec<(&str, &TicketMessage)> =
            self.messages.iter().map(|(id, message)| (id.as_str(), message)).collect();
        messages.sort_by(|a, b| (a.1.at, a.0).cmp(&(b.1.at, b.0)));
        messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_status_is_the_latest_logged_whatever_the_field_says() {
        let mut ticket = Ticket::open(
            "Printer".into(),
            None,
            Channel::Phone,
            TicketPriority::Normal,
            "open",
            Timestamp(0),
            None,
        );
        assert_eq!(ticket.current_status(), "open");
        assert!(!ticket.set_status("a".into(), "open", Timestamp(1), None), "already open");
        assert!(ticket.set_status("b".into(), "resolved", Timestamp(10), None));
        // Two devices at once: one reopened a little later; the field kept the other's value.
        ticket.status_log.insert(
            "c".into(),
            StatusChange { status: "open".into(), at: Timestamp(12), by: None },
        );
        assert_eq!(ticket.status, "resolved");
        assert_eq!(ticket.current_status(), "open");
        assert!(ticket.set_status("d".into(), "closed", Timestamp(20), None));
        assert_eq!((ticket.status.as_str(), ticket.current_status()), ("closed", "closed"));
    }
}
