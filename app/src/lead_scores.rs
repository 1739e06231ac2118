//! Lead scores on the device (`rapport_core::scoring`): each party's score is derived, never stored,
//! from the workspace's rules, its records and the campaign opens and clicks the relay counted, so
//! every device agrees. [`LeadScores`] holds everyone's scores, computed once per change for every
//! screen that reads them (the people list sorted by score, segments on scores) — never per
//! keystroke — in the worker that keeps a read model of its own (`crate::mirror`), so the page never
//! waits on them; on the page only when no worker can. A lead reaching the workspace's threshold is handed to sales by one device: the one
//! that takes the handoff's key in the relay's ledger gives the lead the chosen owner if it has none
//! and writes its follow-up task under an id derived from the lead, so even two devices doing it at
//! once (a holder offline past its hold) make one task.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use rapport_core::ids::PartyId;
use rapport_core::mirror::ScoreJob;
use rapport_core::model::WorkspaceSettings;
use rapport_core::model::{Party, RecordRef, Task};
use rapport_core::replica::Replica;
use rapport_core::scoring::{self, Engagement, Scorer};
use rapport_core::segments::CampaignFacts;

use crate::latest::Latest;
use crate::local::{self, Shared};
use crate::mirror::Unanswered;
use crate::outbox::OutboxCtx;
use crate::pages::marketing::{AUDIENCE, opted_out};
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// How often leads are looked at: scores move with every interaction and open, and a minute is soon
/// enough for a lead to reach sales.
const IDLE_MS: u32 = 60_000;
/// How long the settings must stay unchanged before leads are handed over: rules and the threshold
/// save as each control changes, and a rule half set up must not hand anyone over for good.
const QUIET_MS: f64 = 30_000.0;

type Scores = Option<Arc<HashMap<PartyId, i64>>>;

/// How scoring names itself to the worker's read model.
pub(crate) const MIRROR_USER: crate::mirror::User = "lead scores";

/// Everyone's lead scores as last computed; none while the workspace scores nothing or this device is
/// still reading its interactions (a score from part of them would be wrong).
#[derive(Clone, Copy)]
pub(crate) struct LeadScores {
    pub scores: ReadSignal<Scores>,
    /// Set from a change until the scores take it in (they are computed apart from the page).
    pub behind: ReadSignal<bool>,
}

impl LeadScores {
    pub fn use_ctx() -> LeadScores {
        expect_context::<LeadScores>()
    }

    /// The scores, only once they take in every change so far (what is done once on a score must
    /// not be decided on one that lags), without tracking.
    pub fn current_untracked(&self) -> Scores {
        if self.behind.get_untracked() { None } else { self.scores.get_untracked() }
    }
}

/// What scoring reads besides the rows, gathered on the page when something changes.
struct Asked {
    settings: WorkspaceSettings,
    job: ScoreJob,
}

impl Asked {
    fn of(ws: &Replica, outbox: OutboxCtx, opted_out: Vec<String>) -> Asked {
        let (engagement, campaigns) = audience_facts(ws, outbox);
        let job = ScoreJob {
            workspace: ws.workspace,
            engagement,
            opted_out,
            campaigns,
            now: local::now(),
        };
        Asked { settings: ws.settings.clone(), job }
    }
}

/// Everyone's scores for `asked`: in the mirror worker, or on the page when it cannot.
async fn score(workspace: WorkspaceCtx, asked: Rc<Asked>) -> Scores {
    let shared = workspace.shared()?;
    match crate::mirror::scores(&shared, &asked.settings, asked.job.clone()).await {
        Ok(scores) => return Some(Arc::new(scores)),
        // Nothing is scored any more: nobody wants the answer.
        Err(Unanswered::Released) => return None,
        Err(Unanswered::OnThePage) => {}
    }
    let job = &asked.job;
    let borrowed = shared.borrow();
    let model = &borrowed.replica.model;
    let scorer = Scorer::new(model, &asked.settings, &job.engagement, job.now)
        .with_audience_facts(job.opted_out.clone(), job.campaigns.clone());
    Some(Arc::new(scorer.scores()))
}

/// The campaign opens and clicks the relay counted, as scores read them (tracked: a new open
/// recomputes what reads it).
fn engagement(ws: &Replica, outbox: OutboxCtx) -> Vec<Engagement> {
    outbox
        .outbox
        .with(|o| scoring::engagement(ws.workspace, &ws.model, |id| o.engaged(id).cloned()))
}

/// What the relay told this device that scores read: opens and clicks, and what fit segments read as
/// their own pages do (campaign activity).
fn audience_facts(ws: &Replica, outbox: OutboxCtx) -> (Vec<Engagement>, Option<CampaignFacts>) {
    let engagement = engagement(ws, outbox);
    let campaigns = ws.model.segments.values().any(|s| s.rule.reads_campaigns()).then(|| {
        outbox.outbox.with(|o| rapport_core::campaigns::activity(ws.workspace, &ws.model, o))
    });
    (engagement, campaigns)
}

/// Runs `read` with a scorer over `ws` and what the relay told this device (one record's score and
/// why, as its page shows it: quick enough on the page).
pub(crate) fn with_scorer<T>(
    ws: &Replica,
    outbox: OutboxCtx,
    opted_out: Vec<String>,
    read: impl FnOnce(&Scorer) -> T,
) -> T {
    let (engagement, campaigns) = audience_facts(ws, outbox);
    let scorer = Scorer::new(&ws.model, &ws.settings, &engagement, local::now())
        .with_audience_facts(opted_out, campaigns);
    read(&scorer)
}

/// Provides [`LeadScores`] and hands leads over whenever the device comes in step, every
/// [`IDLE_MS`], and once the settings have been left alone for [`QUIET_MS`].
pub(crate) fn start(
    ctx: OutboxCtx,
    workspace: WorkspaceCtx,
    sync: SyncCtx,
    account: Option<crate::account::AccountCtx>,
) {
    let scoring = Latest::new(move |asked| score(workspace, asked));
    let lead_scores = LeadScores { scores: scoring.answer(), behind: scoring.behind() };
    provide_context(lead_scores);
    let asking = scoring.clone();
    Effect::new(move || {
        let opted_out = opted_out(ctx);
        let asked = workspace
            .read_of(AUDIENCE, |ws| {
                if ws.settings.scoring_rules.is_empty() || ws.model.interactions_pending {
                    return None;
                }
                Some(Asked::of(ws, ctx, opted_out))
            })
            .flatten();
        match asked {
            Some(_) => crate::mirror::hold(MIRROR_USER),
            None => crate::mirror::release(MIRROR_USER),
        }
        asking.ask(asked);
    });
    // A change this page (or the relay) stored after it was asked about is scored too.
    crate::mirror::on_stored(MIRROR_USER, AUDIENCE, move || scoring.again());
    // When this device last saw the settings change.
    let settled_since = Rc::new(Cell::new(js_sys::Date::now()));
    let seen = settled_since.clone();
    Effect::new(move || {
        workspace.read_of(rapport_core::read_model::Changed::SETTINGS, |_| ());
        seen.set(js_sys::Date::now());
    });
    // Keys this page took and acted on but could not say were done: said next round.
    let unsaid: Rc<RefCell<Vec<String>>> = Rc::default();
    crate::outbox::writer_rounds(
        ctx,
        (workspace, sync),
        account,
        // Every relay that says what it offers keeps the ledger.
        |ctx| ctx.relay_mail.get().is_some(),
        (
            move || {
                workspace.read_of(rapport_core::read_model::Changed::SETTINGS, |_| ());
            },
            IDLE_MS,
        ),
        move |shared| {
            let (unsaid, settled_since) = (unsaid.clone(), settled_since.clone());
            async move {
                let quiet = js_sys::Date::now() - settled_since.get();
                if quiet < QUIET_MS {
                    return Some((QUIET_MS - quiet) as u32 + 50);
                }
                hand_over(&shared, lead_scores, &unsaid).await
            }
        },
    );
}

/// Hands over each lead due whose key no other device holds or did; a lead whose record cannot be
/// written is left for the next round, the others go on.
async fn hand_over(
    shared: &Shared,
    scores: LeadScores,
    unsaid: &RefCell<Vec<String>>,
) -> Option<u32> {
    let workspace = shared.borrow().replica.workspace;
    relay_api::say_unsaid(workspace, unsaid).await;
    if scores.behind.get_untracked() {
        return Some(1_000);
    }
    let scores = scores.scores.get_untracked()?;
    let due = {
        let borrowed = shared.borrow();
        let replica = &borrowed.replica;
        scoring::handoffs(replica.workspace, &replica.model, &replica.settings, &scores, |task| {
            replica.model.tasks.contains_key(&task)
        })
    };
    for lead in due {
        let key = scoring::handoff_key(workspace, lead.party);
        match relay_api::once(workspace, key.as_str(), "").await {
            204 => {}
            // Another device does it, or did.
            409 | 410 => continue,
            // The relay out of reach: next round.
            _ => return None,
        }
        if give(shared, &lead).await.is_err() {
            continue;
        }
        relay_api::say_done(workspace, key.to_string(), unsaid).await;
    }
    None
}

/// The owner (only to a lead without one) and the follow-up task (only if no device made it yet).
async fn give(shared: &Shared, lead: &scoring::Handoff) -> Result<(), local::LocalError> {
    if let Some(owner) = lead.owner {
        local::update::<Party>(shared, lead.party, move |party| {
            party.owner.get_or_insert(owner);
        })
        .await?;
    }
    let name = {
        let borrowed = shared.borrow();
        borrowed.replica.model.parties.get(&lead.party).map(|p| p.name.clone())
    };
    let locale = crate::locale::current();
    let points = lead.points;
    let title = leptos_i18n::td_string!(
        locale,
        marketing.handoff_task,
        name = name.unwrap_or_default(),
        points
    )
    .to_string();
    let now = local::now();
    let task = Task {
        title,
        due: Some(now),
        assignee: lead.owner,
        links: vec![RecordRef::Party(lead.party)],
        done_at: None,
        recurrence: None,
        snoozed_until: None,
        created_at: now,
        archived: false,
    };
    local::create_if_absent(shared, lead.task, task).await.map(|_| ())
}
