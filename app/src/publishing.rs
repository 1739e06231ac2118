//! The help pages follow the articles, and investor updates' links follow the updates: a device that
//! writes and is in step with the relay compares the published articles and the sent updates with
//! the relay's copies (`rapport_core::knowledge::plan`, `rapport_core::investor::plan`) and hands over
//! what changed. Any number of devices may do it at once — they hand over the same revisions — and a
//! device that was offline catches up the moment it is in step again.

use std::collections::BTreeMap;

use leptos::prelude::*;
use rapport_core::investor::{self, PublishedUpdates, UpdatePublication};
use rapport_core::knowledge::{self, Publication, Published};
use rapport_core::layout::{Collection, DocKey};
use rapport_core::model::{Article, InvestorUpdate};
use rapport_core::read_model::Changed;

use crate::local::Shared;
use crate::outbox::OutboxCtx;
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// How often the relay's copies are compared anyway (another device may have published an older
/// revision after this one's round).
const IDLE_MS: u32 = 60_000;

/// What the relay said of the published articles in the last round (readers' answers), and why it
/// refused a revision it was handed, for the knowledge-base pages; shared through the context.
#[derive(Clone, Copy)]
pub(crate) struct PublishedCtx {
    pub list: RwSignal<Option<Published>, LocalStorage>,
    /// By article id and revision: the relay's sentence. Not handed over again until it changes.
    pub refused: RwSignal<BTreeMap<(String, String), String>, LocalStorage>,
    /// The investor updates the relay serves, with who opened them and how they reacted.
    pub updates: RwSignal<Option<PublishedUpdates>, LocalStorage>,
}

impl PublishedCtx {
    pub fn use_ctx() -> PublishedCtx {
        expect_context()
    }

    /// Asks the relay again what recipients did with the updates (an update's page, when opened),
    /// when this device is signed in to the relay the workspace lives on.
    pub fn refresh_updates(self, ctx: WorkspaceCtx) {
        let signed_in = use_context::<crate::account::AccountCtx>()
            .is_some_and(|account| account.account.with(Option::is_some));
        let linked = ctx.read_of(Changed::NOTHING, |ws| ws.linked.then_some(ws.workspace));
        let (true, Some(Some(workspace))) = (signed_in, linked) else { return };
        leptos::task::spawn_local(async move {
            if let Ok(list) = relay_api::published_updates(workspace).await {
                self.updates.set(Some(list));
            }
        });
    }
}

pub(crate) fn start(
    ctx: OutboxCtx,
    workspace: WorkspaceCtx,
    sync: SyncCtx,
    account: Option<crate::account::AccountCtx>,
) {
    let seen = PublishedCtx {
        list: RwSignal::new_local(None),
        refused: RwSignal::new_local(BTreeMap::new()),
        updates: RwSignal::new_local(None),
    };
    provide_context(seen);
    // Every relay that says what it offers keeps the help pages.
    let offered = |ctx: &OutboxCtx| ctx.relay_mail.get().is_some();
    let wake = move || {
        workspace.read_of(Changed::ARTICLES, |_| ());
        workspace.read_of(Changed::INVESTORS, |_| ());
    };
    crate::outbox::writer_rounds(ctx, (workspace, sync), account, offered, (wake, IDLE_MS), {
        move |shared| async move {
            follow(&shared, seen).await;
            follow_updates(&shared, seen).await;
            None
        }
    });
}

/// One round: the relay's list, then each article to publish or withdraw. Stops at the first call
/// the relay does not answer (the next round tries again).
async fn follow(shared: &Shared, seen: PublishedCtx) {
    let workspace = shared.borrow().replica.workspace;
    let Ok(on_relay) = relay_api::published_articles(workspace).await else { return };
    let mut plan = knowledge::plan(&shared.borrow().replica.model.articles, &on_relay);
    // A record this app cannot read (damaged, or a newer app's) has no row, which is not the same as
    // not published: it is left as the relay has it.
    let unreadable = unreadable(shared, Collection::Articles);
    plan.withdraw.retain(|id| !unreadable.contains(id));
    seen.list.set(Some(on_relay));
    if plan.is_empty() {
        return;
    }
    for id in plan.publish {
        let revision = shared.borrow().replica.model.articles.get(&id).map(|r| r.revision.clone());
        let key = (id.to_string(), revision.unwrap_or_default());
        if seen.refused.with_untracked(|refused| refused.contains_key(&key)) {
            continue;
        }
        let Ok(Some(stored)) = crate::local::read_record::<Article>(shared, id).await else {
            continue;
        };
        let publication = Publication::of(&stored.record);
        match relay_api::publish_article(workspace, id, &publication).await {
            Ok(()) => {}
            Err(relay_api::ApiError::Refused(why)) => seen.refused.update(|refused| {
                refused.insert(key, why);
            }),
            Err(_) => return,
        }
    }
    for id in plan.withdraw {
        if relay_api::withdraw_article(workspace, &id).await.is_err() {
            return;
        }
    }
    if let Ok(now) = relay_api::published_articles(workspace).await {
        seen.list.set(Some(now));
    }
}

/// The ids of `collection`'s records this app could not read.
fn unreadable(shared: &Shared, collection: Collection) -> Vec<String> {
    shared
        .borrow()
        .replica
        .model
        .damaged
        .iter()
        .filter(|(key, _)| matches!(key, DocKey::Shard { collection: c, .. } if *c == collection))
        .flat_map(|(_, records)| records.iter().map(|(id, _)| id.clone()))
        .collect()
}

/// One round for investor updates: the relay's list, then each update to publish or withdraw. Stops
/// at the first call the relay does not answer.
async fn follow_updates(shared: &Shared, seen: PublishedCtx) {
    let workspace = shared.borrow().replica.workspace;
    let Ok(on_relay) = relay_api::published_updates(workspace).await else { return };
    let mut plan = investor::plan(&shared.borrow().replica.model.updates, &on_relay);
    let unreadable = unreadable(shared, Collection::Updates);
    plan.withdraw.retain(|id| !unreadable.contains(id));
    seen.updates.set(Some(on_relay));
    if plan.is_empty() {
        return;
    }
    for id in plan.publish {
        let revision = shared.borrow().replica.model.updates.get(&id).map(|r| r.revision.clone());
        let key = (id.to_string(), revision.unwrap_or_default());
        if seen.refused.with_untracked(|refused| refused.contains_key(&key)) {
            continue;
        }
        let Ok(Some(stored)) = crate::local::read_record::<InvestorUpdate>(shared, id).await else {
            continue;
        };
        let publication = UpdatePublication::of(&stored.record);
        match relay_api::publish_update(workspace, id, &publication).await {
            Ok(()) => {}
            Err(relay_api::ApiError::Refused(why)) => seen.refused.update(|refused| {
                refused.insert(key, why);
            }),
            Err(_) => return,
        }
    }
    for id in plan.withdraw {
        if relay_api::withdraw_update(workspace, &id).await.is_err() {
            return;
        }
    }
    if let Ok(now) = relay_api::published_updates(workspace).await {
        seen.updates.set(Some(now));
    }
}
