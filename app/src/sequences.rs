//! Drip sequences on the device (`rapport_core::sequences`): every device that may write looks for
//! steps due, and the one that takes a step's key in the relay's ledger does it — the email on the
//! party's timeline and its mail queued, the task made, the branch answered — writes the run into
//! the sequence, and says the key is done once the relay holds all of that: a device lost before
//! then leaves the step to another, which does it again under the same ids. A step another device
//! holds or did is left to it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use rapport_core::campaigns::Sending;
use rapport_core::ids::SequenceId;
use rapport_core::model::{Sequence, Task};
use rapport_core::outbox::OutboxId;
use rapport_core::read_model::Changed;
use rapport_core::sequences::{self, Action, DueStep, World, run_key};

use crate::local::{self, Shared};
use crate::outbox::OutboxCtx;
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// How often steps are looked for besides the moments below, in case a notice was missed.
const IDLE_MS: u32 = 15_000;
/// The most steps done in one round; the next round goes on at once.
const MOST_PER_ROUND: usize = 100;
/// How long a step another device holds or did is not asked about again: long enough for its run
/// to arrive, short of a hold's end (after which the step is this device's to do if still due).
const LEFT_FOR_MS: f64 = 60_000.0;

/// Keys the relay said another device holds or did, with when: not asked about for a while.
type Passed = Rc<RefCell<HashMap<String, f64>>>;

/// Looks for steps due whenever a sequence, a record or the timeline changes (an answer came, a deal
/// was won), the relay's opens, clicks or opt-outs are heard, the device comes in step — and when the
/// next wait ends, the same moment on every device. Not before the relay's opt-outs, opens and
/// clicks were asked for: a branch or a mail decided without them could be wrong.
pub(crate) fn start(
    ctx: OutboxCtx,
    workspace: WorkspaceCtx,
    sync: SyncCtx,
    account: Option<crate::account::AccountCtx>,
) {
    let heard = Memo::new(move |_| {
        ctx.outbox.with(|outbox| (outbox.engagement_seq(), outbox.opt_outs().count()))
    });
    let wake = move || {
        // Read, not only tracked: a memo nobody reads is never computed, so it would never change.
        let _ = heard.get();
        workspace.read_of(
            Changed::MARKETING | Changed::INTERACTIONS | Changed::DEALS | Changed::PARTIES,
            |_| (),
        );
    };
    // Keys this page acted on but could not say were done: said next round.
    let unsaid: Rc<RefCell<Vec<String>>> = Rc::default();
    let passed: Passed = Rc::default();
    crate::outbox::writer_rounds(
        ctx,
        (workspace, sync),
        account,
        // Every relay that says what it offers keeps the ledger.
        |ctx| ctx.relay_mail.get().is_some() && ctx.news_heard.get(),
        (wake, IDLE_MS),
        move |shared| {
            let (unsaid, passed) = (unsaid.clone(), passed.clone());
            async move { run_due(ctx, &shared, &unsaid, &passed).await }
        },
    );
}

/// What a round did for one step: its key, and what must reach the relay before it is said done.
struct Done {
    key: String,
    records: Vec<String>,
    mail: Option<OutboxId>,
}

/// Does every step due now that no other device holds or did, writes down who went through a
/// sequence or left it, and says in how many milliseconds to look again; stops at the first step
/// the relay or the device's storage failed (asked again next round: a key taken stays this page's
/// until its hold ends).
async fn run_due(
    ctx: OutboxCtx,
    shared: &Shared,
    unsaid: &RefCell<Vec<String>>,
    passed: &RefCell<HashMap<String, f64>>,
) -> Option<u32> {
    let workspace = shared.borrow().replica.workspace;
    relay_api::say_unsaid(workspace, unsaid).await;
    let now = local::now();
    // What every step due does, decided over one snapshot of the records: each device decides the
    // same from the same records.
    let (due, actions) = {
        let borrowed = shared.borrow();
        let replica = &borrowed.replica;
        let model = &replica.model;
        // The timeline says who answered: wait for it rather than read nobody did.
        if model.interactions_pending {
            return Some(1_000);
        }
        if !model.sequences.values().any(|s| !s.archived && !s.enrolled.is_empty()) {
            return None;
        }
        let how = Sending::of(&replica.settings);
        let support = ctx.support_address.get_untracked();
        ctx.outbox.with_untracked(|outbox| {
            let world = World::new(workspace, model, outbox);
            let mut due = world.due(now);
            let clock = js_sys::Date::now();
            passed.borrow_mut().retain(|_, at| clock - *at < LEFT_FOR_MS);
            let left_alone = passed.borrow();
            due.steps.retain(|step| !left_alone.contains_key(step.key(workspace).as_str()));
            due.steps.truncate(MOST_PER_ROUND);
            let actions: Vec<Action> = due
                .steps
                .iter()
                .map(|step| world.act(step, how, support.as_deref(), now))
                .collect();
            (due, actions)
        })
    };
    let again = || {
        due.next.map(|next| u32::try_from((next.0 - local::now().0).max(0) + 5).unwrap_or(u32::MAX))
    };
    for (sequence, party, why) in &due.settled {
        let (party, outcome) = (party.to_string(), sequences::outcome(*why, now));
        let written = local::update::<Sequence>(shared, *sequence, move |s| {
            s.outcomes.entry(party).or_insert(outcome);
        })
        .await;
        if written.is_err() {
            return again();
        }
    }
    let mut done = Vec::new();
    for (step, action) in due.steps.iter().zip(actions) {
        let Some(run) = action.run(now) else { continue };
        if !still_due(shared, step) {
            continue;
        }
        let key = step.key(workspace);
        match relay_api::once(workspace, key.as_str(), "").await {
            204 => {}
            // Another device does it, or did: its run is on its way here.
            409 | 410 => {
                passed.borrow_mut().insert(key.to_string(), js_sys::Date::now());
                continue;
            }
            _ => break,
        }
        match act(ctx, shared, step, action, run).await {
            Ok(mut wrote) => {
                wrote.key = key.to_string();
                done.push(wrote);
            }
            Err(()) => break,
        }
    }
    let records: Vec<&String> = done.iter().flat_map(|d| &d.records).collect();
    let mails: Vec<&OutboxId> = done.iter().filter_map(|d| d.mail.as_ref()).collect();
    if !done.is_empty() && crate::outbox::held_by_the_relay(ctx, shared, &records, &mails).await {
        for wrote in done {
            relay_api::say_done(workspace, wrote.key, unsaid).await;
        }
    }
    // Writing a run wakes the next round, which finds the steps it made due.
    again()
}

/// Whether `step` is still to be done as the records stand now (a round takes a while): the
/// sequence not paused or archived since the round began, the party not taken out or through, the
/// step not done by another device.
fn still_due(shared: &Shared, step: &DueStep) -> bool {
    let borrowed = shared.borrow();
    let Some(row) = borrowed.replica.model.sequences.get(&step.sequence) else { return false };
    !row.archived
        && !row.paused
        && !row.removed.contains_key(&step.party)
        && !row.outcomes.contains_key(&step.party)
        && !row.runs.contains_key(&(step.party, step.step.id.clone()))
}

/// Does `step` as decided and keeps its run in the sequence; what another device already wrote of
/// it (its hold lapsed before it said it was done) is left as it is. Fails when the device's storage
/// did (the page's storage notice says so).
async fn act(
    ctx: OutboxCtx,
    shared: &Shared,
    step: &DueStep,
    action: Action,
    run: rapport_core::model::StepRun,
) -> Result<Done, ()> {
    let mut wrote =
        Done { key: String::new(), records: vec![step.sequence.to_string()], mail: None };
    match action {
        Action::Email { interaction, record, mail } => {
            let logged = {
                let borrowed = shared.borrow();
                let model = &borrowed.replica.model;
                model.interactions.values().any(|month| month.contains_key(&interaction))
            };
            if !logged {
                local::log_interaction(shared, interaction, *record).await.map_err(drop)?;
            }
            let workspace = shared.borrow().replica.workspace;
            let id = OutboxId::of_mail(workspace, interaction);
            ctx.queue_from_runner(shared, id.clone(), *mail).await.map_err(drop)?;
            wrote.records.push(interaction.to_string());
            wrote.mail = Some(id);
        }
        Action::Task { id, record } => {
            local::create_if_absent::<Task>(shared, id, *record).await.map_err(drop)?;
            wrote.records.push(id.to_string());
        }
        Action::Branch { .. } | Action::Skip(_) | Action::Nothing => {}
    }
    let key = run_key(step.party, &step.step.id);
    write_run(shared, step.sequence, key, run).await?;
    Ok(wrote)
}

async fn write_run(
    shared: &Shared,
    sequence: SequenceId,
    key: String,
    run: rapport_core::model::StepRun,
) -> Result<(), ()> {
    local::update::<Sequence>(shared, sequence, move |s| {
        s.runs.entry(key).or_insert(run);
    })
    .await
    .map_err(drop)
}
