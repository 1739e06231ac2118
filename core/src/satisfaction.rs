//! Customer satisfaction (CSAT): when a ticket is resolved, its customer is asked once to rate the
//! team's answer from 1 to 5, with a comment if they like.
//!
//! The survey is a mail through the relay's outbox, named by the ticket ([`survey_id`]): whichever
//! device resolves it, however often it is resolved again, one mail is sent. Its links are the
//! relay's to write — signed with a secret no device holds, so that only the customer who got the
//! mail can answer — at the place [`RATING_LINK`] marks, which is why a survey can be queued on a
//! device with no network. The relay keeps one answer per ticket and devices file it on the ticket
//! ([`Answer::rating`]); the relay never learns what the ticket says.

use serde::{Deserialize, Serialize};

use crate::ids::{TicketId, Timestamp, WorkspaceId};
use crate::model::{Rating, Ticket};
use crate::outbox::{Mail, OutboxId, RATING_LINK, Recipient};
use crate::sla::StatusCategory;

/// The lowest and highest scores.
pub const SCORES: std::ops::RangeInclusive<u8> = 1..=5;
/// The most characters of a customer's comment.
pub const MOST_COMMENT_CHARS: usize = 2_000;

/// The survey mail of ticket `ticket`: one per ticket.
pub fn survey_id(workspace: WorkspaceId, ticket: TicketId) -> OutboxId {
    OutboxId::from_cause(workspace, &["satisfaction-survey", &ticket.to_string()])
}

/// Whether moving a ticket from `before` to `after` resolves it — when its customer is asked.
pub fn resolves(before: StatusCategory, after: StatusCategory) -> bool {
    let finished = |category| matches!(category, StatusCategory::Resolved | StatusCategory::Closed);
    !finished(before) && finished(after)
}

/// The words of a survey, in the language of whoever resolves the ticket.
#[derive(Debug, Clone, Copy)]
pub struct SurveyWords<'a> {
    /// Above the links: "How would you rate our answer?"
    pub question: &'a str,
    /// What each score means, from 1 to 5.
    pub scores: [&'a str; 5],
    /// Below the links: "One click is enough; you can add a comment."
    pub closing: &'a str,
}

/// The survey of ticket `id` for `to`, threaded under the conversation like a reply: the question,
/// then one link per score, best first, each opening the relay's page with that score chosen.
pub fn survey_mail(
    id: TicketId,
    ticket: &Ticket,
    to: Recipient,
    words: &SurveyWords<'_>,
    support_address: Option<&str>,
) -> Mail {
    let mut text = format!("{}\n\n", words.question);
    for score in SCORES.rev() {
        let meaning = words.scores[usize::from(score - 1)];
        text.push_str(&format!("{score} — {meaning}: {RATING_LINK}?score={score}\n"));
    }
    text.push('\n');
    text.push_str(words.closing);
    let mut mail = crate::inbound::reply_mail(id, ticket, to, text, support_address);
    mail.rating_for = Some(id.to_string());
    mail
}

/// The customer whose ticket this is: their name and the record's emails.
#[derive(Debug, Clone, Copy, Default)]
pub struct Customer<'a> {
    pub name: &'a str,
    pub emails: &'a [String],
}

/// The survey that moving ticket `id` (now `ticket`) from category `before` to `after` sends, if it
/// resolves the ticket, the workspace asks (`no_satisfaction_surveys` unset), the customer has not
/// answered yet and there is an address to ask at.
pub fn survey_on_move(
    id: TicketId,
    ticket: &Ticket,
    (before, after): (StatusCategory, StatusCategory),
    settings: &crate::model::WorkspaceSettings,
    customer: Customer<'_>,
    words: &SurveyWords<'_>,
    support_address: Option<&str>,
) -> Option<Mail> {
    if !resolves(before, after) || settings.no_satisfaction_surveys || ticket.rating.is_some() {
        return None;
    }
    let to = customer_address(ticket, customer.name, customer.emails)?;
    Some(survey_mail(id, ticket, to, words, support_address))
}

/// Where mail to a ticket's customer goes: the address the ticket's first mail came from (not whoever
/// wrote last — anyone who saw a reply's subject can write into the thread), else the customer
/// record's first email.
pub fn customer_address(ticket: &Ticket, name: &str, emails: &[String]) -> Option<Recipient> {
    let written = ticket
        .conversation()
        .into_iter()
        .filter(|(_, message)| message.kind == crate::model::MessageKind::Customer)
        .find_map(|(_, message)| message.mail.as_ref().map(|mail| mail.address.clone()));
    let address = written.or_else(|| emails.first().cloned())?;
    Some(Recipient { address, name: name.to_owned() })
}

/// A customer's answer as the relay keeps it, in the order it received them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub seq: i64,
    /// The survey's key: the ticket's id.
    pub key: String,
    pub score: u8,
    #[serde(default)]
    pub comment: String,
    /// When the relay received it (milliseconds since 1970).
    pub at: i64,
}

impl Answer {
    /// The ticket it rates and the rating to file on it, if it names a ticket and a score.
    pub fn rating(&self) -> Option<(TicketId, Rating)> {
        let ticket = self.key.parse().ok()?;
        SCORES.contains(&self.score).then(|| {
            let comment = self.comment.chars().take(MOST_COMMENT_CHARS).collect();
            (ticket, Rating { score: self.score, comment, at: Timestamp(self.at) })
        })
    }
}

/// The relay's answers after a point, and where the next page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    pub answers: Vec<Answer>,
    /// The `seq` to ask after next time.
    pub after: i64,
}

/// What the customers said, over some tickets: how many answered, the share satisfied (4 or 5, as
/// CSAT is usually counted) and the average.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Answers per score, 1 to 5.
    pub by_score: [usize; 5],
}

impl Summary {
    pub fn of(scores: impl IntoIterator<Item = u8>) -> Summary {
        let mut summary = Summary::default();
        for score in scores.into_iter().filter(|score| SCORES.contains(score)) {
            summary.by_score[usize::from(score - 1)] += 1;
        }
        summary
    }

    pub fn answers(&self) -> usize {
        self.by_score.iter().sum()
    }

    /// The percentage of answers of 4 or 5, rounded; none without answers.
    pub fn satisfied_percent(&self) -> Option<u32> {
        let answers = self.answers();
        let satisfied = self.by_score[3] + self.by_score[4];
        (answers > 0).then(|| ((satisfied * 200 + answers) / (answers * 2)) as u32)
    }

    /// The average score in tenths (43 for 4.3), rounded; none without answers.
    pub fn average_tenths(&self) -> Option<u32> {
        let answers = self.answers();
        let total: usize = self.by_score.iter().enumerate().map(|(i, n)| (i + 1) * n).sum();
        (answers > 0).then(|| ((total * 20 + answers) / (answers * 2)) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, MailLink, MessageKind, TicketMessage, TicketPriority};

    fn workspace() -> WorkspaceId {
        "0190f5a0-0000-7000-8000-00000000aaaa".parse().unwrap()
    }

    fn ticket() -> (TicketId, Ticket) {
        let id: TicketId = "0190f5a0-0000-7000-8000-0000000000c1".parse().unwrap();
        let mut ticket = Ticket::open(
            "Printer jams".into(),
            None,
            Channel::Email,
            TicketPriority::Normal,
            "open",
            Timestamp(1_000),
            None,
        );
        for (event, address, mail) in [
            ("0190f5a0-0000-7000-8000-0000000000e1", "ann@client.example", "a1@client.example"),
            ("0190f5a0-0000-7000-8000-0000000000e2", "eve@other.example", "e1@other.example"),
        ] {
            let message = TicketMessage {
                kind: MessageKind::Customer,
                author: None,
                at: Timestamp(2_000),
                text: "It jams.".into(),
                mail: Some(MailLink { id: mail.into(), address: address.into() }),
            };
            ticket.add_message(event.into(), message);
        }
        (id, ticket)
    }

    const WORDS: SurveyWords<'static> = SurveyWords {
        question: "How would you rate our answer?",
        scores: ["Very bad", "Bad", "Fair", "Good", "Very good"],
        closing: "One click is enough.",
    };

    #[test]
    fn one_survey_per_ticket_sent_when_it_is_resolved() {
        let (id, _) = ticket();
        assert_eq!(
            survey_id(workspace(), id),
            survey_id(workspace(), id),
            "every device, every time"
        );
        let other: TicketId = "0190f5a0-0000-7000-8000-0000000000c2".parse().unwrap();
        assert_ne!(survey_id(workspace(), id), survey_id(workspace(), other));
        assert_ne!(
            survey_id(workspace(), id),
            crate::inbound::reply_mail_id(workspace(), id, "opened"),
            "not any reply's mail"
        );
        use StatusCategory::*;
        assert!(resolves(Open, Resolved));
        assert!(resolves(Paused, Closed));
        assert!(!resolves(Resolved, Closed), "closing a resolved ticket asks nobody again");
        assert!(!resolves(Open, Paused));
        assert!(!resolves(Closed, Open));
    }

    #[test]
    fn a_survey_has_a_link_per_score_for_the_relay_to_sign_and_threads_under_the_conversation() {
        let (id, ticket) = ticket();
        let to = customer_address(&ticket, "Ann Lee", &["ann.lee@home.example".into()]).unwrap();
        assert_eq!(to.address, "ann@client.example", "the first mail's sender, not the last");
        let mail = survey_mail(id, &ticket, to, &WORDS, Some("support-x@in.example"));
        assert_eq!(mail.check(), Ok(()));
        assert_eq!(mail.rating_for.as_deref(), Some(id.to_string().as_str()));
        assert_eq!(mail.in_reply_to.as_deref(), Some("e1@other.example"));
        assert!(mail.subject.contains("Printer jams"));
        let links: Vec<&str> = mail.text.lines().filter(|l| l.contains(RATING_LINK)).collect();
        assert_eq!(links.len(), 5);
        assert!(links[0].starts_with("5 — Very good: {{rating_link}}?score=5"), "{}", links[0]);
        assert!(links[4].ends_with("?score=1"));
        assert_eq!(mail.reply_to.unwrap().address, "support-x@in.example");

        let mut no_mail = ticket.clone();
        no_mail.messages.clear();
        let to = customer_address(&no_mail, "Ann", &["ann.lee@home.example".into()]).unwrap();
        assert_eq!(to.address, "ann.lee@home.example", "else the record's first email");
        assert_eq!(customer_address(&no_mail, "Ann", &[]), None);
    }

    #[test]
    fn a_survey_goes_on_resolving_unless_the_workspace_says_no_or_the_customer_answered() {
        use StatusCategory::*;
        let (id, mut ticket) = ticket();
        let mut settings = crate::model::WorkspaceSettings::default();
        let emails = ["ann.lee@home.example".to_owned()];
        let customer = Customer { name: "Ann Lee", emails: &emails };
        let asked = |ticket: &Ticket, settings: &_, moved| {
            survey_on_move(id, ticket, moved, settings, customer, &WORDS, None)
        };
        let sent = asked(&ticket, &settings, (Open, Resolved)).expect("resolving asks");
        assert_eq!(sent.to[0].address, "ann@client.example");
        assert_eq!(sent.to[0].name, "Ann Lee");
        assert!(asked(&ticket, &settings, (Open, Paused)).is_none(), "only resolving asks");
        assert!(asked(&ticket, &settings, (Resolved, Closed)).is_none());
        ticket.messages.clear();
        let none = Customer::default();
        let nowhere = survey_on_move(id, &ticket, (Open, Closed), &settings, none, &WORDS, None);
        assert!(nowhere.is_none(), "no address, no survey");
        settings.no_satisfaction_surveys = true;
        assert!(asked(&ticket, &settings, (Open, Resolved)).is_none(), "the workspace said no");
        settings.no_satisfaction_surveys = false;
        assert!(asked(&ticket, &settings, (Open, Resolved)).is_some());
        ticket.rating = Some(Rating { score: 5, comment: String::new(), at: Timestamp(1) });
        assert!(asked(&ticket, &settings, (Open, Resolved)).is_none(), "answered already");
    }

    #[test]
    fn an_answer_is_filed_only_with_a_ticket_and_a_score() {
        let (id, _) = ticket();
        let answer =
            Answer { seq: 1, key: id.to_string(), score: 4, comment: "Quick".into(), at: 9 };
        let (ticket, rating) = answer.rating().unwrap();
        assert_eq!(ticket, id);
        assert_eq!(rating, Rating { score: 4, comment: "Quick".into(), at: Timestamp(9) });
        for bad in [0, 6, 255] {
            assert_eq!(Answer { score: bad, ..answer.clone() }.rating(), None, "{bad}");
        }
        assert_eq!(Answer { key: "not-a-ticket".into(), ..answer.clone() }.rating(), None);
        let long = Answer { comment: "ж".repeat(MOST_COMMENT_CHARS + 10), ..answer };
        assert_eq!(long.rating().unwrap().1.comment.chars().count(), MOST_COMMENT_CHARS);
    }

    #[test]
    fn a_summary_counts_the_satisfied_share_and_the_average_as_a_naive_count_would() {
        assert_eq!(Summary::of([]).satisfied_percent(), None);
        assert_eq!(Summary::of([]).average_tenths(), None);
        let summary = Summary::of([5, 4, 3, 5, 1, 0, 9]);
        assert_eq!(summary.answers(), 5, "scores out of range are not answers");
        assert_eq!(summary.by_score, [1, 0, 1, 1, 2]);
        assert_eq!(summary.satisfied_percent(), Some(60));
        assert_eq!(summary.average_tenths(), Some(36));
        // Rounded half up: 2 of 3 satisfied is 67 %, an average of 4.25 is 4.3 (4 answers).
        assert_eq!(Summary::of([5, 4, 1]).satisfied_percent(), Some(67));
        assert_eq!(Summary::of([5, 4, 4, 4]).average_tenths(), Some(43));
        for scores in [vec![1u8; 7], vec![5; 3], vec![2, 3, 4, 5, 5, 5, 1, 1, 4]] {
            let summary = Summary::of(scores.iter().copied());
            let n = scores.len() as f64;
            let satisfied = scores.iter().filter(|s| **s >= 4).count() as f64;
            let average = scores.iter().map(|s| f64::from(*s)).sum::<f64>() / n;
            assert_eq!(summary.satisfied_percent(), Some((satisfied * 100.0 / n).round() as u32));
            assert_eq!(summary.average_tenths(), Some((average * 10.0).round() as u32));
        }
    }
}
