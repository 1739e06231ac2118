//! Automation rules on the device (`rapport_core::automation`): every device that may write looks for
//! occurrences due, and the one that takes an occurrence's key in the relay's ledger does its rule's
//! actions — a field, a tag, a task, an owner, a stage, an email on the timeline and its mail, a
//! notification, an enrolment — writes the run into the rule's log, and says the key is done once
//! the relay holds all of that: a device lost before then leaves the occurrence to another, which
//! does it again under the same ids. An occurrence another device holds or did is left to it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use rapport_core::automation::{Automations, Effect, Firing, Plan};
use rapport_core::campaigns::Sending;
use rapport_core::model::{Automation, Deal, Destination, Party, Sequence, Task};
use rapport_core::outbox::OutboxId;
use rapport_core::read_model::Changed;

use crate::local::{self, Shared};
use crate::outbox::OutboxCtx;
use crate::pages::marketing::{audience_of, opted_out};
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// How often occurrences are looked for besides the moments below (a date's moment comes with no
/// change to wake anyone).
const IDLE_MS: u32 = 30_000;
/// The most occurrences acted on in one round; the next round goes on at once.
const MOST_PER_ROUND: usize = 50;
/// How long an occurrence another device holds or did is not asked about again.
const LEFT_FOR_MS: f64 = 60_000.0;

type Passed = Rc<RefCell<HashMap<String, f64>>>;

/// Looks for occurrences whenever a rule, a record, a deal or the settings change, the relay's
/// opt-outs are heard, the device comes in step, and every [`IDLE_MS`].
pub(crate) fn start(
    ctx: OutboxCtx,
    workspace: WorkspaceCtx,
    sync: SyncCtx,
    account: Option<crate::account::AccountCtx>,
) {
    let scores = use_context::<crate::lead_scores::LeadScores>();
    let health = use_context::<crate::health::EveryoneHealth>();
    let wake = move || {
        ctx.outbox.with(|outbox| outbox.opt_outs().count());
        workspace.read_of(
            Changed::MARKETING | Changed::PARTIES | Changed::DEALS | Changed::SETTINGS,
            |_| (),
        );
        if let Some(scores) = scores {
            scores.scores.track();
            scores.behind.track();
        }
        if let Some(health) = health {
            health.track();
        }
    };
    let unsaid: Rc<RefCell<Vec<String>>> = Rc::default();
    let passed: Passed = Rc::default();
    crate::outbox::writer_rounds(
        ctx,
        (workspace, sync),
        account,
        |ctx| ctx.relay_mail.get().is_some() && ctx.news_heard.get(),
        (wake, IDLE_MS),
        move |shared| {
            let (unsaid, passed) = (unsaid.clone(), passed.clone());
            async move { run_due(ctx, &shared, (scores, health), &unsaid, &passed).await }
        },
    );
}

/// What a round did for one occurrence: its key, and what must reach the relay before it is said
/// done.
struct Done {
    key: String,
    records: Vec<String>,
    queued: Vec<OutboxId>,
}

async fn run_due(
    ctx: OutboxCtx,
    shared: &Shared,
    (scores, health): (
        Option<crate::lead_scores::LeadScores>,
        Option<crate::health::EveryoneHealth>,
    ),
    unsaid: &RefCell<Vec<String>>,
    passed: &RefCell<HashMap<String, f64>>,
) -> Option<u32> {
    let workspace = shared.borrow().replica.workspace;
    relay_api::say_unsaid(workspace, unsaid).await;
    let now = local::now();
    // None while they lag a change: a score trigger or condition waits for them.
    let scores = scores.and_then(|s| s.current_untracked());
    let health = health.and_then(|h| h.current_untracked());
    let opted_out = untrack(|| opted_out(ctx));
    let member = shared.borrow().replica.me;
    // What every occurrence due does, decided over one snapshot of the records.
    let planned: Vec<(Firing, Plan)> = {
        let borrowed = shared.borrow();
        let replica = &borrowed.replica;
        let model = &replica.model;
        if !model.automations.values().any(|rule| rule.is_on()) {
            return None;
        }
        // A condition on last contact, a score or health, or a score trigger, read from part of
        // the timeline (or before health is computed) would be wrong, and what a rule does is not undone: wait for all of it.
        let reads_scores = model.automations.values().filter(|rule| rule.is_on()).any(|rule| {
            rule.trigger == Some(rapport_core::automation::Trigger::Score)
                || rule
                    .segment
                    .and_then(|id| model.segments.get(&id))
                    .is_some_and(|segment| segment.rule.reads_scores())
        });
        // An archived segment holds nobody, and nobody computes health for it.
        let reads_health = model.automations.values().filter(|rule| rule.is_on()).any(|rule| {
            (rule.segment.and_then(|id| model.segments.get(&id)))
                .is_some_and(|segment| !segment.archived && segment.rule.reads_health())
        });
        if model.interactions_pending
            || (reads_scores && scores.is_none())
            || (reads_health && health.is_none())
        {
            return Some(1_000);
        }
        let how = Sending::of(&replica.settings);
        let support = ctx.support_address.get_untracked();
        let audience = audience_of(replica, ctx, opted_out, Some(scores.clone()), health);
        let automations =
            Automations::new(workspace, model, &replica.settings, &audience, scores.as_deref());
        let mut due = automations.due(now);
        let clock = js_sys::Date::now();
        passed.borrow_mut().retain(|_, at| clock - *at < LEFT_FOR_MS);
        let left_alone = passed.borrow();
        due.retain(|firing| !left_alone.contains_key(firing.key(workspace).as_str()));
        due.truncate(MOST_PER_ROUND);
        due.into_iter()
            .filter_map(|firing| {
                let rule = model.automations.get(&firing.rule)?;
                let plan = automations.plan(rule, &firing, how, support.as_deref(), now);
                Some((firing, plan))
            })
            .collect()
    };
    let mut done = Vec::new();
    for (firing, plan) in planned {
        if !still_due(shared, &firing) {
            continue;
        }
        let key = firing.key(workspace);
        match relay_api::once(workspace, key.as_str(), "").await {
            204 => {}
            409 | 410 => {
                passed.borrow_mut().insert(key.to_string(), js_sys::Date::now());
                continue;
            }
            _ => break,
        }
        match act(ctx, shared, &firing, plan, member, now).await {
            Ok(mut wrote) => {
                wrote.key = key.to_string();
                done.push(wrote);
            }
            Err(()) => break,
        }
    }
    let records: Vec<&String> = done.iter().flat_map(|d| &d.records).collect();
    let queued: Vec<&OutboxId> = done.iter().flat_map(|d| &d.queued).collect();
    if !done.is_empty() && crate::outbox::held_by_the_relay(ctx, shared, &records, &queued).await {
        for wrote in done {
            relay_api::say_done(workspace, wrote.key, unsaid).await;
        }
    }
    // Writing a run wakes the next round.
    None
}

/// Whether `firing` is still to be done as the records stand now: its rule on, and no run of it
/// written meanwhile.
fn still_due(shared: &Shared, firing: &Firing) -> bool {
    let borrowed = shared.borrow();
    borrowed
        .replica
        .model
        .automations
        .get(&firing.rule)
        .is_some_and(|rule| rule.is_on() && !rule.runs.contains_key(&firing.cause))
}

/// Does each effect and writes the run into the rule's log. Each write leaves what is there alone
/// where a device that did this occurrence before (its hold lapsed) already wrote it.
async fn act(
    ctx: OutboxCtx,
    shared: &Shared,
    firing: &Firing,
    plan: Plan,
    member: Option<rapport_core::ids::MemberId>,
    now: rapport_core::ids::Timestamp,
) -> Result<Done, ()> {
    let mut wrote =
        Done { key: String::new(), records: vec![firing.rule.to_string()], queued: Vec::new() };
    let mut did = Vec::new();
    for (kind, effect) in plan {
        did.push(effect.log(kind));
        match effect {
            Effect::SetField { party, field, value } => {
                local::update::<Party>(shared, party, move |p| match value {
                    Some(value) => {
                        p.custom.insert(field, value);
                    }
                    None => {
                        p.custom.remove(&field);
                    }
                })
                .await
                .map_err(drop)?;
                wrote.records.push(party.to_string());
            }
            Effect::AddTag { party, tag } => {
                local::update::<Party>(shared, party, move |p| {
                    p.tags.insert(tag, true);
                })
                .await
                .map_err(drop)?;
                wrote.records.push(party.to_string());
            }
            Effect::Task { id, record } => {
                local::create_if_absent::<Task>(shared, id, *record).await.map_err(drop)?;
                wrote.records.push(id.to_string());
            }
            Effect::Owner { subject, member: owner } => match subject {
                rapport_core::automation::Subject::Party(id) => {
                    local::update::<Party>(shared, id, move |p| p.owner = Some(owner))
                        .await
                        .map_err(drop)?;
                    wrote.records.push(id.to_string());
                }
                rapport_core::automation::Subject::Deal(id) => {
                    local::update::<Deal>(shared, id, move |d| d.owner = Some(owner))
                        .await
                        .map_err(drop)?;
                    wrote.records.push(id.to_string());
                }
            },
            Effect::Stage { deal, stage } => {
                local::update::<Deal>(shared, deal, move |d| {
                    d.move_to(Destination::Stage(stage), now, member)
                })
                .await
                .map_err(drop)?;
                wrote.records.push(deal.to_string());
            }
            Effect::Email { interaction, record, mail } => {
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
                wrote.queued.push(id);
            }
            Effect::Notify { id, work } => {
                ctx.queue_from_runner(shared, id.clone(), *work).await.map_err(drop)?;
                wrote.queued.push(id);
            }
            Effect::Enrol { sequence, party } => {
                let enrolment = rapport_core::model::Enrolment { at: now, by: member };
                local::update::<Sequence>(shared, sequence, move |s| {
                    s.enrolled.entry(party.to_string()).or_insert(enrolment);
                })
                .await
                .map_err(drop)?;
                wrote.records.push(sequence.to_string());
            }
            Effect::Skip(_) => {}
        }
    }
    let run = rapport_core::automation::run(firing, member, did, now);
    let cause = firing.cause.clone();
    local::update::<Automation>(shared, firing.rule, move |rule| {
        rule.runs.entry(cause).or_insert(run);
    })
    .await
    .map_err(drop)?;
    Ok(wrote)
}
