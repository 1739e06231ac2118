//! The page's side of the worker's read model (`rapport_core::mirror`): work that reads the whole
//! workspace — everyone's lead scores — runs there, off the page.
//!
//! The mirror starts on its first use: from then on every unit of rows the page stores
//! ([`stored`], called by `local` once a chunk and its rows are durable) waits here, latest per
//! document, and every unit on the device is read back from storage once; each job first sends what
//! waits. Until then nothing is kept, so a workspace that scores nothing pays nothing.
//!
//! Whenever the worker cannot help (no worker, it broke, an update was lost), [`scores`] answers
//! `None` and the page computes on its own thread, as it did before: slower, never wrong. After a
//! lost update the mirror starts again from storage; after a unit that could not be stored (the page
//! may show rows storage never got) it is given up for the session ([`abandon`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use rapport_core::ids::{PartyId, WorkspaceId};
use rapport_core::layout::DocKey;
use rapport_core::mirror::{ByteBuf, ScoreJob, Update, encode_settings};
use rapport_core::model::WorkspaceSettings;
use rapport_core::read_model::Changed;

use crate::local::{self, Shared};
use crate::pages::marketing::AUDIENCE;

#[derive(Default)]
struct Pending {
    /// Given up for the session: the page scores itself.
    abandoned: bool,
    /// The workspace the mirror holds, once started: what the page stores is kept for it from then on.
    workspace: Option<WorkspaceId>,
    /// The next update replaces everything the mirror holds.
    fresh: bool,
    /// Document key → its rows as stored, since the last update.
    units: BTreeMap<String, ByteBuf>,
    /// The settings the mirror was last sent.
    settings: Option<WorkspaceSettings>,
    /// Told when a unit is stored: what reads the mirror asks again.
    on_stored: Option<Rc<dyn Fn()>>,
}

thread_local! {
    static PENDING: RefCell<Pending> = RefCell::default();
}

/// A chunk's rows were stored under `rows_key` (`{workspace}/{document}`): kept for the mirror's next
/// update, if it has started on that workspace. A member's private notes are never sent.
pub fn stored(rows_key: &str, rows: &[u8]) {
    let Some((workspace, key)) = rows_key.split_once('/') else { return };
    if key.starts_with("private/") {
        return;
    }
    let tell = PENDING.with(|pending| {
        let mut pending = pending.borrow_mut();
        let held = pending.workspace.is_some_and(|held| held.to_string() == workspace);
        if held {
            pending.units.insert(key.to_owned(), ByteBuf::from(rows.to_vec()));
        } else if pending.workspace.is_some() {
            // Another workspace was adopted: the mirror starts again on its next use.
            stop(&mut pending);
        }
        // Only what scores read asks them again (ticking a task re-sorts nobody).
        let read = key.parse::<DocKey>().is_ok_and(|key| AUDIENCE.touches(Changed::of(key)));
        (held && read).then(|| pending.on_stored.clone()).flatten()
    });
    if let Some(tell) = tell {
        tell();
    }
}

/// Who is told (once per stored unit scores read, after it waits here) that the mirror has more to
/// take in.
pub fn on_stored(tell: impl Fn() + 'static) {
    PENDING.with(|pending| pending.borrow_mut().on_stored = Some(Rc::new(tell)));
}

/// Nothing reads the mirror any more (the workspace scores nothing): what waits is dropped, and
/// nothing is kept until it is used again.
pub fn release() {
    PENDING.with(|pending| stop(&mut pending.borrow_mut()));
}

/// A unit of rows could not be stored: the page's model may hold rows neither storage nor the mirror
/// has, so the page does the mirror's work for the rest of the session.
pub fn abandon() {
    PENDING.with(|pending| {
        let mut pending = pending.borrow_mut();
        pending.abandoned = true;
        stop(&mut pending);
    });
}

fn stop(pending: &mut Pending) {
    pending.workspace = None;
    pending.units.clear();
    pending.settings = None;
}

/// Everyone's lead scores from the worker's read model, with `settings` as the page has them. `None`:
/// score on the page. One caller at a time (`crate::lead_scores` asks again only once answered).
pub async fn scores(
    shared: &Shared,
    settings: &WorkspaceSettings,
    job: ScoreJob,
) -> Option<HashMap<PartyId, i64>> {
    if !crate::offload::mirror_can_help() || PENDING.with(|pending| pending.borrow().abandoned) {
        return None;
    }
    let update = next_update(shared, job.workspace, settings).await?;
    let answer = crate::offload::mirror_scores(update, job).await;
    if answer.is_none() {
        // What was sent may not have been taken: start again from storage next time.
        PENDING.with(|pending| pending.borrow_mut().workspace = None);
    }
    answer.map(|scores| scores.into_iter().collect())
}

/// What the mirror must take in before its next job: on its first use (or another workspace's), every
/// unit on the device; then what was stored since.
async fn next_update(
    shared: &Shared,
    workspace: WorkspaceId,
    settings: &WorkspaceSettings,
) -> Option<Update> {
    let started = PENDING.with(|pending| pending.borrow().workspace == Some(workspace));
    if !started {
        // From now on every stored unit waits here; those read below never replace them (they are
        // newer than what storage gave).
        PENDING.with(|pending| {
            let mut pending = pending.borrow_mut();
            pending.workspace = Some(workspace);
            pending.fresh = true;
            pending.units.clear();
            pending.settings = None;
        });
        let span = crate::timing::Span::start("rapport:mirror-read");
        let stored = local::stored_rows(shared, workspace).await;
        span.end();
        let Ok(stored) = stored else {
            // Nothing was read: the next use starts again, rather than take what was stored since
            // for everything.
            PENDING.with(|pending| {
                let mut pending = pending.borrow_mut();
                if pending.workspace == Some(workspace) {
                    stop(&mut pending);
                }
            });
            return None;
        };
        PENDING.with(|pending| {
            let mut pending = pending.borrow_mut();
            for (key, bytes) in stored {
                if key.starts_with("private/") {
                    continue;
                }
                if let Some(bytes) = bytes {
                    pending.units.entry(key).or_insert_with(|| ByteBuf::from(bytes));
                }
            }
        });
    }
    PENDING.with(|pending| {
        let mut pending = pending.borrow_mut();
        if pending.workspace != Some(workspace) {
            // Another workspace was adopted while storage was read.
            return None;
        }
        let settings_changed = pending.settings.as_ref() != Some(settings);
        if settings_changed {
            pending.settings = Some(settings.clone());
        }
        Some(Update {
            workspace,
            fresh: std::mem::take(&mut pending.fresh),
            units: std::mem::take(&mut pending.units),
            settings: settings_changed.then(|| encode_settings(settings)),
        })
    })
}
