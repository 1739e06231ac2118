//! Letters, decided: what one member says to a few others — private feedback, praise meant for one
//! person, a request for feedback and its answers — cannot live in a synced document, since every
//! member's device receives every workspace document and every change names its author. So they go
//! through the relay's **letters**: a letter names its sender (the signed-in account, never claimed)
//! and up to [`MOST_RECIPIENTS`] members, and the relay lists it to those members alone. Its body is
//! the app's JSON ([`Note`]), which the relay keeps as opaque text.
//!
//! Exactly once although a device retries after days offline: a letter's id is chosen by the device
//! that writes it and is the relay's key; sending the same letter again is answered as the first
//! time, a different letter under a used id is refused. A sender can withdraw a letter: its body goes,
//! and the listing says so, so every reader's device drops it.
//!
//! What the relay's operator can see: who wrote to whom and when, and the text (as with mail). What
//! other members see: not the letter, nor whom it is from or to — only that something changed at the
//! relay, the notice that also tells devices of their outbox.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::MemberId;

/// The most members one letter goes to.
pub const MOST_RECIPIENTS: usize = 20;
/// The largest body, in bytes.
pub const MOST_BODY_BYTES: usize = 16 * 1024;
/// The longest feedback text or question, in characters.
pub const MOST_TEXT_CHARS: usize = 4_000;

/// A letter as a device sends it (`PUT /api/workspaces/{id}/letters/{letter}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Posting {
    /// The recipients' member ids.
    pub to: Vec<String>,
    /// The app's JSON, opaque to the relay.
    pub body: String,
}

/// Why the relay refuses a [`Posting`] as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostingRefused {
    #[error("a letter goes to 1 to {MOST_RECIPIENTS} members")]
    Recipients,
    #[error("a recipient is not a member id, or is named twice")]
    NotAMember,
    #[error("the letter is longer than the relay keeps")]
    TooLong,
}

impl Posting {
    /// Why the relay would refuse this letter, if it would (before it knows the workspace).
    pub fn refused(&self) -> Option<PostingRefused> {
        if self.to.is_empty() || self.to.len() > MOST_RECIPIENTS {
            return Some(PostingRefused::Recipients);
        }
        let members: Option<BTreeSet<MemberId>> = self.to.iter().map(|m| m.parse().ok()).collect();
        if members.is_none_or(|members| members.len() != self.to.len()) {
            return Some(PostingRefused::NotAMember);
        }
        (self.body.len() > MOST_BODY_BYTES).then_some(PostingRefused::TooLong)
    }
}

/// A letter as the relay lists it to its sender and recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    pub id: String,
    /// Where it stands in the workspace's listing; a withdrawal moves it on.
    pub seq: i64,
    pub from: String,
    pub to: Vec<String>,
    /// When the relay took it, in Unix seconds.
    pub at: i64,
    /// `None` once its sender withdrew it.
    pub body: Option<String>,
}

/// One page of the listing: letters after a point, oldest first, and where the next page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub letters: Vec<Letter>,
    pub after: i64,
}

/// What a letter says, as the app writes it into [`Posting::body`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    /// Feedback about `about` (usually the recipient; their manager may be told too). `praise`
    /// marks thanks rather than advice; `answers` names the request it answers.
    Feedback {
        about: String,
        text: String,
        #[serde(default)]
        praise: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answers: Option<String>,
    },
    /// A request to the recipients for feedback about `about` (the sender, or one of their reports),
    /// answered to the sender alone.
    Request { about: String, question: String },
    /// A review of `about` in review cycle `cycle`, of kind `review` (`self`, `manager`, `peer`),
    /// its `answers` as `crate::pulse::answers_text` makes them. Listed with its cycle, not as
    /// feedback.
    Review { cycle: String, review: String, about: String, answers: String },
}

impl Note {
    pub fn about(&self) -> Option<MemberId> {
        match self {
            Note::Feedback { about, .. }
            | Note::Request { about, .. }
            | Note::Review { about, .. } => about.parse().ok(),
        }
    }

    /// Why this note cannot be sent as it is: empty or too long a text.
    pub fn invalid(&self) -> bool {
        let text = match self {
            Note::Feedback { text, .. } => text,
            Note::Request { question, .. } => question,
            Note::Review { answers, .. } => {
                return answers.trim().is_empty() || self.about().is_none();
            }
        };
        text.trim().is_empty() || text.chars().count() > MOST_TEXT_CHARS || self.about().is_none()
    }
}

/// A letter this device can show: read, not withdrawn, its note understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub id: String,
    pub from: MemberId,
    pub to: Vec<MemberId>,
    /// Unix seconds at the relay; `None` while it waits on this device to be sent.
    pub at: Option<i64>,
    pub note: Note,
}

impl Read {
    /// A listed letter, unless withdrawn or not understood (a newer app's note).
    pub fn of(letter: &Letter) -> Option<Read> {
        let note = serde_json::from_str(letter.body.as_deref()?).ok()?;
        let to = letter.to.iter().filter_map(|m| m.parse().ok()).collect();
        Some(Read {
            id: letter.id.clone(),
            from: letter.from.parse().ok()?,
            to,
            at: Some(letter.at),
            note,
        })
    }
}

/// A member's letters, sorted into what the app shows. Built from the listing and the letters still
/// waiting on this device, so what was written offline shows at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailbox {
    /// Feedback to this member, newest first — answers to their requests apart (under `answers`).
    pub received: Vec<Read>,
    /// Feedback and requests from this member, newest first.
    pub sent: Vec<Read>,
    /// Requests to this member they have not answered, oldest first.
    pub to_answer: Vec<Read>,
    /// The answers to each of this member's requests, by request id.
    pub answers: BTreeMap<String, Vec<Read>>,
}

impl Mailbox {
    pub fn of(me: MemberId, letters: impl IntoIterator<Item = Read>) -> Mailbox {
        let mut letters: Vec<Read> = letters.into_iter().collect();
        // Waiting letters (no time yet) are the newest.
        letters.sort_by_key(|letter| {
            std::cmp::Reverse((letter.at.unwrap_or(i64::MAX), letter.id.clone()))
        });
        let answered: BTreeSet<&str> = letters
            .iter()
            .filter(|letter| letter.from == me)
            .filter_map(|letter| match &letter.note {
                Note::Feedback { answers: Some(request), .. } => Some(request.as_str()),
                _ => None,
            })
            .collect();
        let mut mailbox = Mailbox::default();
        for letter in &letters {
            let to_me = letter.to.contains(&me) && letter.from != me;
            match &letter.note {
                Note::Feedback { answers, .. } => {
                    if let Some(request) = answers
                        && letter.from != me
                    {
                        mailbox.answers.entry(request.clone()).or_default().push(letter.clone());
                    }
                    if to_me && answers.is_none() {
                        mailbox.received.push(letter.clone());
                    }
                }
                Note::Request { .. } if to_me && !answered.contains(letter.id.as_str()) => {
                    mailbox.to_answer.push(letter.clone());
                }
                Note::Request { .. } => {}
                Note::Review { .. } => continue,
            }
            if letter.from == me {
                mailbox.sent.push(letter.clone());
            }
        }
        mailbox.to_answer.reverse();
        mailbox
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(n: u8) -> MemberId {
        MemberId::from_bytes([n; 16])
    }

    fn letter(id: &str, from: u8, to: &[u8], at: i64, note: Note) -> Read {
        Read {
            id: id.into(),
            from: member(from),
            to: to.iter().map(|n| member(*n)).collect(),
            at: Some(at),
            note,
        }
    }

    fn feedback(about: u8, answers: Option<&str>) -> Note {
        Note::Feedback {
            about: member(about).to_string(),
            text: "Clear demo".into(),
            praise: false,
            answers: answers.map(Into::into),
        }
    }

    fn request(about: u8) -> Note {
        Note::Request { about: member(about).to_string(), question: "How was my demo?".into() }
    }

    #[test]
    fn a_posting_names_one_to_twenty_distinct_members_and_keeps_its_size() {
        let posting = |to: Vec<String>, body: &str| Posting { to, body: body.into() };
        let one = vec![member(1).to_string()];
        assert_eq!(posting(one.clone(), "{}").refused(), None);
        assert_eq!(posting(vec![], "{}").refused(), Some(PostingRefused::Recipients));
        let many = (0..21).map(|n| member(n).to_string()).collect();
        assert_eq!(posting(many, "{}").refused(), Some(PostingRefused::Recipients));
        let twice = vec![member(1).to_string(), member(1).to_string()];
        assert_eq!(posting(twice, "{}").refused(), Some(PostingRefused::NotAMember));
        assert_eq!(posting(vec!["max".into()], "{}").refused(), Some(PostingRefused::NotAMember));
        let long = "x".repeat(MOST_BODY_BYTES + 1);
        assert_eq!(posting(one, &long).refused(), Some(PostingRefused::TooLong));
    }

    #[test]
    fn a_request_waits_for_an_answer_until_its_recipient_answers_it() {
        let (me, anna, boris) = (1, 2, 3);
        let letters = vec![
            letter("r1", anna, &[me, boris], 10, request(anna)),
            letter("r2", boris, &[me], 20, request(boris)),
            letter("f1", me, &[anna], 30, feedback(anna, Some("r1"))),
            letter("f2", boris, &[me], 40, feedback(me, None)),
        ];
        let mailbox = Mailbox::of(member(me), letters.clone());
        let ids = |list: &[Read]| list.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&mailbox.to_answer), ["r2"], "r1 is answered by f1");
        assert_eq!(ids(&mailbox.received), ["f2"]);
        assert_eq!(ids(&mailbox.sent), ["f1"]);
        // Anna sees my answer under her request, and Boris's request still open for him is not hers.
        let anna_box = Mailbox::of(member(anna), letters);
        assert_eq!(ids(&anna_box.answers["r1"]), ["f1"]);
        assert!(anna_box.received.is_empty(), "my answer shows under her request, not apart");
        assert_eq!(ids(&anna_box.sent), ["r1"]);
        assert!(anna_box.to_answer.is_empty());
    }

    #[test]
    fn a_letter_still_waiting_to_be_sent_is_the_newest() {
        let mut waiting = letter("w", 1, &[2], 0, feedback(2, None));
        waiting.at = None;
        let mailbox =
            Mailbox::of(member(1), vec![letter("old", 1, &[2], 99, feedback(2, None)), waiting]);
        assert_eq!(mailbox.sent[0].id, "w");
    }

    #[test]
    fn a_withdrawn_or_unknown_letter_is_not_read() {
        let listed = |body: Option<&str>| Letter {
            id: "x".into(),
            seq: 1,
            from: member(1).to_string(),
            to: vec![member(2).to_string()],
            at: 5,
            body: body.map(Into::into),
        };
        assert_eq!(Read::of(&listed(None)), None);
        assert_eq!(Read::of(&listed(Some(r#"{"kind":"poll"}"#))), None);
        let note = serde_json::to_string(&feedback(2, None)).unwrap();
        assert_eq!(Read::of(&listed(Some(&note))).unwrap().note, feedback(2, None));
    }

    #[test]
    fn a_note_needs_words_and_someone_it_is_about() {
        assert!(!feedback(2, None).invalid());
        let blank = Note::Feedback {
            about: member(2).to_string(),
            text: "  ".into(),
            praise: true,
            answers: None,
        };
        assert!(blank.invalid());
        let nobody = Note::Request { about: "max".into(), question: "How?".into() };
        assert!(nobody.invalid());
        let long = Note::Request {
            about: member(2).to_string(),
            question: "x".repeat(MOST_TEXT_CHARS + 1),
        };
        assert!(long.invalid());
    }
}
