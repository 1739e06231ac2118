//! Pulse surveys on the device (`rapport_core::pulse` decides): the devices of those who manage the
//! workspace register each round's ballot at the relay as it comes due, and an invited member's
//! device takes their single-use token as soon as it sees a round that asks them — answered or not,
//! so the relay's record of who took one says nothing of who answered. The device chooses the token,
//! keeps it and sends only its hash, so a reply lost on the way costs nothing: asked again with the
//! same token, the relay says yes again. An answer waits in this browser's storage, under the
//! member's id and never in a document, until the relay is reached; it is sent with the token alone,
//! without cookies, and once the relay keeps it, the answer's text and the token are dropped from the
//! device — only that it was sent is remembered.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{MemberId, Timestamp};
use rapport_core::read_model::Changed;
use rapport_core::{pulse, reviews};
use serde::{Deserialize, Serialize};

use crate::account::AccountCtx;
use crate::local::{self, Shared};
use crate::member_kept::{self, MemberKept, Wake};
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::storage::StorageError;
use crate::sync::{SyncCtx, SyncStatus};

/// How often rounds and waiting answers are looked at anyway (a round opens with the calendar).
const IDLE_MS: u32 = 5 * 60_000;
/// How soon an answer still waiting is tried again: its round may not be registered yet, and the
/// device that registers it says nothing to this one when it is.
const WAITING_MS: u32 = 20_000;

/// This member's tokens and answers on this device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PulseState {
    /// Whose they are; `None` before the member is known.
    #[serde(skip)]
    pub member: Option<MemberId>,
    /// The token this device chose for each round that asks the member, by ballot — kept before the
    /// relay is asked for it, until the answer is sent or the round closes.
    #[serde(default)]
    pub tokens: BTreeMap<String, Token>,
    /// Answers not sent yet, by ballot.
    pub waiting: BTreeMap<String, Waiting>,
    /// What became of those sent (or of a round whose token another device took), by ballot.
    pub done: BTreeMap<String, Outcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Token {
    pub token: String,
    /// The relay said it is this member's.
    pub granted: bool,
    /// When its round closes: then it is forgotten.
    pub closes: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Waiting {
    pub answer: String,
    /// When its round closes: an answer still here then will never be counted.
    pub closes: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Outcome {
    /// The relay keeps it.
    Sent,
    /// Another of this member's devices took the round's token first: the answer is given there.
    Elsewhere,
    /// The round closed before it reached the relay.
    Closed,
    /// The relay refused it as it is (too large, malformed).
    Refused,
    /// The relay's ballot is not the one this device expects (another `k`, other readers): nothing
    /// was sent.
    NotAsAsked,
}

impl MemberKept for PulseState {
    fn key(member: MemberId) -> String {
        format!("pulse/{member}")
    }

    fn member(&self) -> Option<MemberId> {
        self.member
    }

    fn set_member(&mut self, member: Option<MemberId>) {
        self.member = member;
    }
}

/// Where this member's answer to a round stands on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnswerState {
    /// Kept here until the relay is reached.
    Waiting,
    Done(Outcome),
}

impl AnswerState {
    /// Its name for the page's markup (`data-state`).
    pub fn name(self) -> &'static str {
        match self {
            AnswerState::Waiting => "waiting",
            AnswerState::Done(Outcome::Sent) => "sent",
            AnswerState::Done(Outcome::Elsewhere) => "elsewhere",
            AnswerState::Done(Outcome::Closed) => "closed",
            AnswerState::Done(Outcome::Refused) => "refused",
            AnswerState::Done(Outcome::NotAsAsked) => "not_as_asked",
        }
    }
}

impl PulseState {
    /// Where the answer to round `ballot` stands; `None` when it was not answered here.
    pub fn answer(&self, ballot: &str) -> Option<AnswerState> {
        if self.waiting.contains_key(ballot) {
            return Some(AnswerState::Waiting);
        }
        self.done.get(ballot).copied().map(AnswerState::Done)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct PulseCtx {
    pub state: RwSignal<PulseState>,
    /// The relay refused a new round or upward ballot because the workspace has as many as it keeps
    /// (`too_many_ballots`): nobody is asked in them. Learnt by the devices that register.
    pub full: RwSignal<bool>,
    wake: Wake,
}

impl PulseCtx {
    /// Creates the handle, puts it in context and starts registering rounds and sending answers.
    pub fn provide(workspace: WorkspaceCtx, sync: SyncCtx, account: AccountCtx) -> PulseCtx {
        let (wake, mut inbox) = Wake::new();
        let ctx = PulseCtx {
            state: RwSignal::new(PulseState::default()),
            full: RwSignal::new(false),
            wake,
        };
        provide_context(ctx);
        // Connected, made an admin, a survey or the staff changed, the member known: look again.
        Effect::new(move || {
            let connected = matches!(sync.status.get(), SyncStatus::Syncing | SyncStatus::Synced);
            account.manages.track();
            let me = workspace.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| ws.me);
            if connected || me.is_some() {
                ctx.wake();
            }
        });
        spawn_local(async move {
            let Some(shared) = workspace.shared_once_open().await else { return };
            // (ballot, registration) pairs the relay has taken, or refused for good, on this page.
            let mut registered = Registered::default();
            loop {
                let waiting = ctx.state.with_untracked(|s| !s.waiting.is_empty());
                member_kept::woken(&mut inbox, if waiting { WAITING_MS } else { IDLE_MS }).await;
                member_kept::load(&shared, ctx.state).await;
                let connected =
                    matches!(sync.status.get_untracked(), SyncStatus::Syncing | SyncStatus::Synced);
                if !connected {
                    continue;
                }
                if account.manages.get_untracked() {
                    register_rounds(&shared, &mut registered, ctx.full).await;
                }
                ctx.take_tokens_and_send(&shared).await;
            }
        });
        ctx
    }

    pub fn use_ctx() -> PulseCtx {
        expect_context::<PulseCtx>()
    }

    fn wake(&self) {
        self.wake.wake();
    }

    /// Takes in what another tab of this browser stored since (a token it chose, an answer it
    /// queued or sent), so that this one neither chooses a second token nor writes them away.
    async fn merge_stored(&self, shared: &Shared) {
        let Some(stored) = member_kept::stored(shared, self.state).await else { return };
        self.state.update(|s| {
            for (ballot, outcome) in stored.done {
                s.waiting.remove(&ballot);
                s.tokens.remove(&ballot);
                s.done.entry(ballot).or_insert(outcome);
            }
            for (ballot, token) in stored.tokens {
                if !s.done.contains_key(&ballot) {
                    let kept = s.tokens.entry(ballot).or_insert_with(|| token.clone());
                    kept.granted |= token.granted && kept.token == token.token;
                }
            }
            for (ballot, waiting) in stored.waiting {
                if !s.done.contains_key(&ballot) {
                    s.waiting.entry(ballot).or_insert(waiting);
                }
            }
        });
    }

    async fn keep(&self, shared: &Shared) -> Result<(), StorageError> {
        member_kept::keep(shared, self.state).await
    }

    /// Keeps `answer` to ballot `ballot` on this device, to be sent as soon as the relay is reached.
    pub async fn queue(
        &self,
        shared: &Shared,
        ballot: String,
        answer: String,
        closes: Timestamp,
    ) -> Result<(), String> {
        member_kept::load(shared, self.state).await;
        if self.state.with_untracked(|s| s.member.is_none()) {
            return Err("member unknown".to_owned());
        }
        // A token already taken for the round stays: the answer goes with it.
        self.state.update(|s| {
            s.done.remove(&ballot);
            s.waiting.insert(ballot, Waiting { answer, closes });
        });
        self.keep(shared).await.map_err(|e| e.to_string())?;
        self.wake();
        Ok(())
    }

    /// Takes a token for every open round that asks this member and has none yet, then sends what
    /// waits; what could not be done now is tried again later.
    async fn take_tokens_and_send(&self, shared: &Shared) {
        self.merge_stored(shared).await;
        let now = local::now();
        let (workspace, asking) = {
            let ws = shared.borrow();
            let workspace = ws.replica.workspace;
            let model = &ws.replica.model;
            // Upward reviews go through the ballot box as a survey's answers do; each with the
            // terms it must have at the relay — its k, who alone reads it.
            let asking: Vec<(String, Timestamp, Expected)> = match ws.replica.me {
                Some(me) => pulse::open_for(model, me, now)
                    .into_iter()
                    .map(|(survey, round)| {
                        let expected = Expected { k: survey.k, readers: Vec::new() };
                        let ballot = pulse::round_ballot(workspace, survey.id, round);
                        (ballot, survey.window(round).1, expected)
                    })
                    .chain(reviews::upward_open_for(model, me, now).into_iter().map(
                        |(cycle, manager)| {
                            let expected = Expected { k: cycle.k, readers: vec![manager] };
                            let ballot = reviews::upward_ballot(workspace, cycle.id, manager);
                            (ballot, cycle.ends(), expected)
                        },
                    ))
                    .collect(),
                None => Vec::new(),
            };
            (workspace, asking)
        };
        // Closed rounds: their tokens are of no more use, their waiting answers will not count.
        let closed: Vec<String> = self.state.with_untracked(|s| {
            s.waiting.iter().filter(|(_, w)| now >= w.closes).map(|(b, _)| b.clone()).collect()
        });
        for ballot in closed {
            self.settle(&ballot, Outcome::Closed);
        }
        self.state.update(|s| s.tokens.retain(|_, t| now < t.closes));
        for (ballot, closes, expected) in asking {
            let known = self.state.with_untracked(|s| {
                s.done.contains_key(&ballot) || s.tokens.get(&ballot).is_some_and(|t| t.granted)
            });
            if known {
                continue;
            }
            // Chosen and kept before the relay hears of it: asked again with the same one after a
            // lost reply, the relay says yes again.
            let token =
                match self.state.with_untracked(|s| s.tokens.get(&ballot).map(|t| t.token.clone()))
                {
                    Some(token) => token,
                    None => {
                        let token = new_token();
                        let kept = Token { token: token.clone(), granted: false, closes };
                        self.state.update(|s| {
                            s.tokens.insert(ballot.clone(), kept);
                        });
                        if self.keep(shared).await.is_err() {
                            continue;
                        }
                        token
                    }
                };
            match relay_api::ballot_token(workspace, &ballot, &pulse::token_hash(&token)).await {
                // Answered only under the terms it was asked under: a ballot registered with
                // another k or other readers (by an admin who reads it, say) gets nothing.
                (201, terms) if !expected.met_by(terms.as_ref()) => {
                    self.settle(&ballot, Outcome::NotAsAsked)
                }
                (201, _) => self.state.update(|s| {
                    if let Some(kept) = s.tokens.get_mut(&ballot) {
                        kept.granted = true;
                    }
                }),
                (409, _) => self.settle(&ballot, Outcome::Elsewhere),
                (410, _) => self.settle(&ballot, Outcome::Closed),
                // Not registered yet, the relay down or the session gone: later.
                _ => continue,
            }
            let _ = self.keep(shared).await;
        }
        let sendable: Vec<(String, String, String)> = self.state.with_untracked(|s| {
            s.waiting
                .iter()
                .filter_map(|(ballot, waiting)| {
                    let token = s.tokens.get(ballot).filter(|t| t.granted)?;
                    Some((ballot.clone(), token.token.clone(), waiting.answer.clone()))
                })
                .collect()
        });
        for (ballot, token, answer) in sendable {
            match relay_api::send_answer(&token, &answer).await {
                // 404: the token is spent — by an earlier send whose reply was lost.
                201 | 404 => self.settle(&ballot, Outcome::Sent),
                410 => self.settle(&ballot, Outcome::Closed),
                400 | 413 => self.settle(&ballot, Outcome::Refused),
                _ => continue,
            }
            let _ = self.keep(shared).await;
        }
        let _ = self.keep(shared).await;
    }

    /// Files what became of the round's answer, dropping its text and its token.
    fn settle(&self, ballot: &str, outcome: Outcome) {
        self.state.update(|s| {
            s.waiting.remove(ballot);
            s.tokens.remove(ballot);
            s.done.insert(ballot.to_owned(), outcome);
        });
    }
}

/// The terms a ballot must have at the relay for this device to answer it.
struct Expected {
    k: u32,
    readers: Vec<MemberId>,
}

impl Expected {
    /// Whether the relay's terms are these: the same `k` and the same readers (told none by a relay
    /// that does not know readers, a ballot that should have some is not answered either).
    fn met_by(&self, terms: Option<&relay_api::BallotTerms>) -> bool {
        let Some(terms) = terms else { return self.readers.is_empty() };
        let told: BTreeSet<Option<MemberId>> =
            terms.readers.iter().map(|r| r.parse().ok()).collect();
        let wanted: BTreeSet<Option<MemberId>> = self.readers.iter().copied().map(Some).collect();
        terms.k == self.k && told == wanted
    }
}

/// A new single-use token: 32 random bytes from the browser's cryptographic source, as hex.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("crypto.getRandomValues");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How long a registration the relay refused waits before it is offered again (the workspace's
/// surveys full, a round closed).
const REFUSED_RETRY_MS: i64 = 60 * 60_000;

/// The registrations this page made: (ballot, registration) pairs the relay took, and those it
/// refused with when.
#[derive(Default)]
struct Registered {
    taken: BTreeSet<(String, String)>,
    refused: BTreeMap<(String, String), Timestamp>,
}

impl Registered {
    fn settled(&self, key: &(String, String), now: Timestamp) -> bool {
        self.taken.contains(key)
            || self.refused.get(key).is_some_and(|at| now.0 - at.0 < REFUSED_RETRY_MS)
    }
}

/// Registers every survey's due rounds, and every review cycle's upward ballots, not registered
/// from this page yet with what they are now.
async fn register_rounds(shared: &Shared, registered: &mut Registered, full: RwSignal<bool>) {
    let now = local::now();
    let due: Vec<(String, String, rapport_core::ballot::Ballot)> = {
        let ws = shared.borrow();
        let model = &ws.replica.model;
        let workspace = ws.replica.workspace;
        model
            .surveys
            .values()
            .flat_map(|survey| {
                survey.rounds_to_register(now).into_iter().filter_map(move |n| {
                    let ballot = pulse::ballot(model, survey, n);
                    let id = pulse::round_ballot(workspace, survey.id, n);
                    let text = serde_json::to_string(&ballot).ok()?;
                    Some((id, text, ballot))
                })
            })
            .chain(reviews::upward_ballots(model, workspace, now).into_iter().filter_map(
                |(id, ballot)| {
                    let text = serde_json::to_string(&ballot).ok()?;
                    Some((id, text, ballot))
                },
            ))
            .filter(|(id, text, ballot)| {
                !ballot.invitees.is_empty() && !registered.settled(&(id.clone(), text.clone()), now)
            })
            .collect()
    };
    let workspace = shared.borrow().replica.workspace;
    for (id, text, ballot) in due {
        match relay_api::register_ballot(workspace, &id, &ballot).await {
            // Unreachable, or the relay in trouble: the next round tries again.
            (0 | 401 | 500.., _) => return,
            (status @ 200..=299, _) => {
                // A new one kept: there is room again.
                if status == 201 {
                    full.set(false);
                }
                registered.taken.insert((id, text));
            }
            // Refused as it is (closed, the workspace's surveys full, a team too small once tokens
            // were out): offered again when it changes, or in an hour.
            (_, code) => {
                if code.as_deref() == Some("too_many_ballots") {
                    full.set(true);
                }
                registered.refused.insert((id, text), now);
            }
        }
    }
}
