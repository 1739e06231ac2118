//! The page's side of the worker's read model (`rapport_core::mirror`, the device's analytics index):
//! work that reads the whole workspace — everyone's lead scores, the sales dashboard, everyone's
//! relationship health — runs there, off the page.
//!
//! The mirror starts on its first use: from then on every unit of rows the page stores
//! ([`stored`], called by `local` once a chunk and its rows are durable) waits here, latest per
//! document, and every unit on the device is read back from storage once; each job first sends what
//! waits. Until then nothing is kept, so a device whose screens read nothing of it pays nothing; and
//! once none of its users reads it any more ([`release`]), what is stored waits only up to 8 MB.
//!
//! Whenever the worker cannot help (no worker, it broke, an update was lost), [`ask`] answers
//! `None` and the page computes on its own thread, as it did before: slower, never wrong. After a
//! lost update the mirror starts again from storage; after a unit that could not be stored (the page
//! may show rows storage never got) it is given up for the session ([`abandon`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use futures_util::lock::Mutex;
use rapport_core::ids::{PartyId, WorkspaceId};
use rapport_core::layout::DocKey;
use rapport_core::mirror::{ByteBuf, ScoreJob, Update, encode_settings};
use rapport_core::model::WorkspaceSettings;
use rapport_core::offload::{Job, Outcome};
use rapport_core::read_model::Changed;

use crate::local::{self, Shared};

/// Who reads the mirror: each is told of the units it reads, and the mirror is kept while any uses it.
pub type User = &'static str;

/// What a user reads, and how it is told that more of it was stored.
type Listener = (Changed, Rc<dyn Fn()>);

#[derive(Default)]
struct Pending {
    /// Given up for the session: the page computes itself.
    abandoned: bool,
    /// The workspace the mirror holds, once started: what the page stores is kept for it from then on.
    workspace: Option<WorkspaceId>,
    /// The next update replaces everything the mirror holds.
    fresh: bool,
    /// Document key → its rows as stored, since the last update.
    units: BTreeMap<String, ByteBuf>,
    /// The settings the mirror was last sent.
    settings: Option<WorkspaceSettings>,
    /// Who asked since the mirror started and has not released it.
    users: BTreeSet<User>,
    /// Told when a unit of what they read is stored: they ask again.
    on_stored: BTreeMap<User, Listener>,
}

thread_local! {
    static PENDING: RefCell<Pending> = RefCell::default();
    /// One job at a time: an update and the job after it go out together, in order, whoever asks.
    static TURN: Rc<Mutex<()>> = Rc::new(Mutex::new(()));
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
            let waiting = || pending.units.values().map(|bytes| bytes.len()).sum::<usize>();
            if pending.users.is_empty() && waiting() > IDLE_BYTES {
                stop(&mut pending);
                return Vec::new();
            }
        } else if pending.workspace.is_some() {
            // Another workspace was adopted: the mirror starts again on its next use.
            stop(&mut pending);
        }
        // Only who reads what changed asks again (ticking a task re-sorts nobody by score).
        let Ok(key) = key.parse::<DocKey>() else { return Vec::new() };
        if !held {
            return Vec::new();
        }
        (pending.on_stored.values())
            .filter(|(reads, _)| reads.touches(Changed::of(key)))
            .map(|(_, tell)| tell.clone())
            .collect::<Vec<_>>()
    });
    for tell in tell {
        tell();
    }
}

/// Tells `user` (once per stored unit of what it `reads`, after it waits here) that the mirror has
/// more to take in.
pub fn on_stored(user: User, reads: Changed, tell: impl Fn() + 'static) {
    PENDING.with(|pending| pending.borrow_mut().on_stored.insert(user, (reads, Rc::new(tell))));
}

/// `user` is gone (its screen closed): it is not told of stored units any more, and it no longer
/// uses the mirror.
pub fn forget(user: User) {
    PENDING.with(|pending| pending.borrow_mut().on_stored.remove(user));
    release(user);
}

/// `user` no longer reads the mirror for now (the workspace scores nothing, a screen closed). While
/// nobody uses it, what is stored keeps waiting — a screen opened again sends only what changed
/// meanwhile, not the whole workspace — until more than [`IDLE_BYTES`] wait: then it is dropped and
/// nothing is kept until the mirror is used again (it then starts from storage).
pub fn release(user: User) {
    PENDING.with(|pending| pending.borrow_mut().users.remove(user));
}

/// How many bytes of rows may wait for a mirror nobody uses.
const IDLE_BYTES: usize = 8 << 20;

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

/// Everyone's lead scores from the worker's read model, with `settings` as the page has them.
pub async fn scores(
    shared: &Shared,
    settings: &WorkspaceSettings,
    job: ScoreJob,
) -> Result<HashMap<PartyId, i64>, Unanswered> {
    let workspace = job.workspace;
    let user = crate::lead_scores::MIRROR_USER;
    match ask(shared, user, workspace, settings, Job::Scores(job)).await? {
        Outcome::Scores(scores) => {
            // Browser tests read this to know the scores on screen came from the worker.
            crate::timing::mark("rapport:mirror-scored");
            Ok(scores.into_iter().collect())
        }
        _ => Err(Unanswered::OnThePage),
    }
}

/// Why the worker's read model did not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswered {
    /// The worker cannot help (none, it broke, the mirror was given up): do it on the page.
    OnThePage,
    /// The user released the mirror while its job waited its turn: nobody wants the answer.
    Released,
}

/// `user` reads the mirror from now on (until [`release`]): its jobs are answered.
pub fn hold(user: User) {
    PENDING.with(|pending| pending.borrow_mut().users.insert(user));
}

/// `job` done by the worker's read model for `user` (who [`hold`]s it), after it took in what the
/// page stored since; `settings` as the page has them. Jobs go out one at a time, in the order asked.
pub async fn ask(
    shared: &Shared,
    user: User,
    workspace: WorkspaceId,
    settings: &WorkspaceSettings,
    job: Job,
) -> Result<Outcome, Unanswered> {
    let turn = TURN.with(Rc::clone);
    let _turn = turn.lock().await;
    // Looked at once it is this job's turn: the mirror may have been given up, or the user may
    // have let go, while it waited.
    let (abandoned, held) = PENDING.with(|pending| {
        let pending = pending.borrow();
        (pending.abandoned, pending.users.contains(user))
    });
    if abandoned || !crate::offload::mirror_can_help() {
        return Err(Unanswered::OnThePage);
    }
    if !held {
        return Err(Unanswered::Released);
    }
    let update = next_update(shared, workspace, settings).await.ok_or(Unanswered::OnThePage)?;
    let answer = crate::offload::mirror_job(update, job, user).await;
    if answer.is_none() {
        // What was sent may not have been taken: start again from storage next time.
        PENDING.with(|pending| pending.borrow_mut().workspace = None);
    }
    answer.ok_or(Unanswered::OnThePage)
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
