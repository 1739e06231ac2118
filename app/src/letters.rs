//! Letters on the device (`rapport_core::letters` decides): private feedback, requests for feedback
//! and their answers travel through the relay, which lists each letter to its sender and recipients
//! alone — never through a workspace document, which every member's device receives with its
//! author. A letter written offline waits in this browser's storage under the member's id, its id
//! chosen here, so sending it again after a lost reply is the same letter to the relay; the letters
//! listed are kept beside it, so they read offline. Whenever the relay says something changed (the
//! same notice as for its outbox), the connection comes back or a minute passes, this device sends
//! what waits and lists what is new.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{LetterId, MemberId, ReviewCycleId, Timestamp};
use rapport_core::letters::{Letter, Mailbox, Note, Posting, Read};
use rapport_core::read_model::Changed;
use serde::{Deserialize, Serialize};

use crate::local::{self, Shared};
use crate::member_kept::{self, MemberKept, Wake};
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::storage::StorageError;
use crate::sync::{SyncCtx, SyncStatus};

/// How often the relay is asked anyway, in case a notice was missed (a reconnect).
const IDLE_MS: u32 = 60_000;
/// How soon a letter still waiting is tried again.
const WAITING_MS: u32 = 15_000;

/// This member's letters on this device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LettersState {
    /// Whose they are; `None` before the member is known.
    #[serde(skip)]
    pub member: Option<MemberId>,
    /// Where the relay's listing was read to.
    pub after: i64,
    /// The letters the relay listed, by id (a withdrawn one is dropped).
    pub listed: BTreeMap<String, Letter>,
    /// Letters written here and not listed yet, by id.
    pub waiting: BTreeMap<String, Outgoing>,
    /// Letters this member withdrew whose withdrawal has not reached the relay.
    pub withdrawing: BTreeSet<String>,
    /// Letters this member withdrew, as the relay confirmed: one that turns up again (sent by a tab
    /// that had not heard of the withdrawal) is withdrawn again.
    #[serde(default)]
    pub withdrawn: BTreeSet<String>,
    /// Letters the relay refused as they are, with the status it answered.
    pub refused: BTreeMap<String, (Outgoing, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Outgoing {
    pub posting: Posting,
    pub written: Timestamp,
    /// The relay took it; it shows as listed at the next reading.
    pub sent: bool,
    /// Kept here until this review cycle closes (a manager's review, read by its subject only
    /// then): the relay, and so its reader, has none of it before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_for: Option<ReviewCycleId>,
}

impl LettersState {
    /// What this member sees: the letters listed, and those waiting here as if sent.
    pub fn mailbox(&self) -> Mailbox {
        let Some(me) = self.member else { return Mailbox::default() };
        Mailbox::of(me, self.shown())
    }

    /// Every letter this member sees: those listed, and those waiting here as if sent (with no
    /// time yet), none withdrawn.
    pub fn shown(&self) -> Vec<Read> {
        let Some(me) = self.member else { return Vec::new() };
        let listed = self.listed.values().filter_map(Read::of);
        let waiting = self.waiting.iter().filter_map(|(id, outgoing)| {
            Some(Read {
                id: id.clone(),
                from: me,
                to: outgoing.posting.to.iter().filter_map(|m| m.parse().ok()).collect(),
                at: None,
                note: serde_json::from_str(&outgoing.posting.body).ok()?,
            })
        });
        listed.chain(waiting).filter(|read| !self.is_withdrawn(&read.id)).collect()
    }

    fn is_withdrawn(&self, id: &str) -> bool {
        self.withdrawing.contains(id) || self.withdrawn.contains(id)
    }

    /// Whether letter `id` is still on its way to the relay.
    pub fn is_waiting(&self, id: &str) -> bool {
        self.waiting.get(id).is_some_and(|outgoing| !outgoing.sent)
    }
}

impl MemberKept for LettersState {
    fn key(member: MemberId) -> String {
        format!("letters/{member}")
    }

    fn member(&self) -> Option<MemberId> {
        self.member
    }

    fn set_member(&mut self, member: Option<MemberId>) {
        self.member = member;
    }
}

#[derive(Clone, Copy)]
pub(crate) struct LettersCtx {
    pub state: RwSignal<LettersState>,
    wake: Wake,
}

impl LettersCtx {
    /// Creates the handle, puts it in context and starts sending and listing letters.
    pub fn provide(workspace: WorkspaceCtx, sync: SyncCtx) -> LettersCtx {
        let (wake, mut inbox) = Wake::new();
        let ctx = LettersCtx { state: RwSignal::new(LettersState::default()), wake };
        provide_context(ctx);
        Effect::new(move || {
            sync.outbox_news.track();
            let connected = matches!(sync.status.get(), SyncStatus::Syncing | SyncStatus::Synced);
            let me = workspace.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| ws.me);
            if connected || me.is_some() {
                ctx.wake();
            }
        });
        spawn_local(async move {
            let Some(shared) = workspace.shared_once_open().await else { return };
            loop {
                // One held for a cycle's close goes when the cycle's change wakes this, or idly.
                let waiting = ctx.state.with_untracked(|s| {
                    s.waiting.values().any(|o| !o.sent && o.held_for.is_none())
                        || !s.withdrawing.is_empty()
                });
                member_kept::woken(&mut inbox, if waiting { WAITING_MS } else { IDLE_MS }).await;
                member_kept::load(&shared, ctx.state).await;
                let connected =
                    matches!(sync.status.get_untracked(), SyncStatus::Syncing | SyncStatus::Synced);
                if connected && ctx.state.with_untracked(|s| s.member.is_some()) {
                    ctx.round(&shared).await;
                }
            }
        });
        ctx
    }

    pub fn use_ctx() -> LettersCtx {
        expect_context::<LettersCtx>()
    }

    fn wake(&self) {
        self.wake.wake();
    }

    /// Takes in what another tab of this browser stored since, so that neither writes the other's
    /// letters away.
    async fn merge_stored(&self, shared: &Shared) {
        let Some(stored) = member_kept::stored(shared, self.state).await else { return };
        self.state.update(|s| {
            s.withdrawn.extend(stored.withdrawn);
            s.withdrawing.extend(stored.withdrawing);
            let withdrawn = s.withdrawn.clone();
            s.withdrawing.retain(|id| !withdrawn.contains(id));
            for (id, outgoing) in stored.waiting {
                if !s.listed.contains_key(&id) && !s.refused.contains_key(&id) {
                    s.waiting.entry(id).or_insert(outgoing);
                }
            }
            s.refused.extend(stored.refused);
            let gone: Vec<String> =
                s.waiting.keys().filter(|id| s.is_withdrawn(id)).cloned().collect();
            for id in gone {
                s.waiting.remove(&id);
            }
        });
    }

    async fn keep(&self, shared: &Shared) -> Result<(), StorageError> {
        member_kept::keep(shared, self.state).await
    }

    /// Writes `note` to `to` (member ids): kept on this device at once, sent as soon as the relay is
    /// reached.
    pub async fn write(
        &self,
        shared: &Shared,
        to: Vec<MemberId>,
        note: &Note,
        held_for: Option<ReviewCycleId>,
    ) -> Result<(), String> {
        member_kept::load(shared, self.state).await;
        if self.state.with_untracked(|s| s.member.is_none()) {
            return Err("member unknown".to_owned());
        }
        let id = LetterId::generate(&mut local::BrowserIds).to_string();
        let mut to: Vec<String> = to.iter().map(ToString::to_string).collect();
        to.sort();
        to.dedup();
        let body = serde_json::to_string(note).map_err(|e| e.to_string())?;
        let outgoing = Outgoing {
            posting: Posting { to, body },
            written: local::now(),
            sent: false,
            held_for,
        };
        if let Some(refused) = outgoing.posting.refused() {
            return Err(refused.to_string());
        }
        self.state.update(|s| {
            s.waiting.insert(id.clone(), outgoing);
        });
        if let Err(error) = self.keep(shared).await {
            // Not kept, so not sent either: the form keeps what was typed.
            self.state.update(|s| {
                s.waiting.remove(&id);
            });
            return Err(error.to_string());
        }
        self.wake();
        Ok(())
    }

    /// Withdraws letter `id`: hidden at once, its withdrawal sent when the relay is reached — also
    /// for a letter that seems never to have left this device, since its sending may be on its way.
    pub async fn withdraw(&self, shared: &Shared, id: String) {
        self.state.update(|s| {
            s.waiting.remove(&id);
            s.refused.remove(&id);
            s.withdrawing.insert(id.clone());
        });
        let _ = self.keep(shared).await;
        self.wake();
    }

    /// Drops a refused letter from the list (what it said is gone with it).
    pub async fn dismiss(&self, shared: &Shared, id: String) {
        self.state.update(|s| {
            s.refused.remove(&id);
        });
        let _ = self.keep(shared).await;
    }

    /// Sends what waits, then lists what is new.
    async fn round(&self, shared: &Shared) {
        self.merge_stored(shared).await;
        let (workspace, still_open) = {
            let ws = shared.borrow();
            let now = local::now();
            let open: BTreeSet<ReviewCycleId> = ws
                .replica
                .model
                .reviews
                .values()
                .filter(|cycle| cycle.is_open(now))
                .map(|cycle| cycle.id)
                .collect();
            (ws.replica.workspace, open)
        };
        let sendable: Vec<(String, Posting)> = self.state.with_untracked(|s| {
            s.waiting
                .iter()
                .filter(|(id, o)| !o.sent && !s.is_withdrawn(id))
                .filter(|(_, o)| o.held_for.is_none_or(|cycle| !still_open.contains(&cycle)))
                .map(|(id, o)| (id.clone(), o.posting.clone()))
                .collect()
        });
        for (id, posting) in sendable {
            match relay_api::send_letter(workspace, &id, &posting).await {
                200 | 201 => self.state.update(|s| {
                    if let Some(outgoing) = s.waiting.get_mut(&id) {
                        outgoing.sent = true;
                    }
                }),
                status @ (400 | 409 | 413 | 422) => self.state.update(|s| {
                    if let Some(outgoing) = s.waiting.remove(&id) {
                        s.refused.insert(id.clone(), (outgoing, status));
                    }
                }),
                // The relay not reached, the session gone, a removed member: later.
                _ => continue,
            }
            let _ = self.keep(shared).await;
        }
        let withdrawing: Vec<String> =
            self.state.with_untracked(|s| s.withdrawing.iter().cloned().collect());
        for id in withdrawing {
            // Gone, or never there (should it arrive later, the listing says so and it goes again).
            if matches!(relay_api::withdraw_letter(workspace, &id).await, 204 | 404) {
                self.state.update(|s| {
                    s.withdrawing.remove(&id);
                    s.withdrawn.insert(id.clone());
                    s.listed.remove(&id);
                    s.waiting.remove(&id);
                });
                let _ = self.keep(shared).await;
            }
        }
        loop {
            let after = self.state.with_untracked(|s| s.after);
            let Ok(page) = relay_api::letters(workspace, after).await else { break };
            if page.letters.is_empty() {
                break;
            }
            self.state.update(|s| {
                for letter in page.letters {
                    s.waiting.remove(&letter.id);
                    if letter.body.is_none() {
                        s.withdrawing.remove(&letter.id);
                        s.listed.remove(&letter.id);
                    } else if s.withdrawn.contains(&letter.id) {
                        // Sent by a tab that had not heard of its withdrawal: withdrawn again.
                        s.withdrawn.remove(&letter.id);
                        s.withdrawing.insert(letter.id.clone());
                    } else if !s.withdrawing.contains(&letter.id) {
                        s.listed.insert(letter.id.clone(), letter);
                    }
                }
                s.after = page.after;
            });
            let _ = self.keep(shared).await;
        }
    }
}
