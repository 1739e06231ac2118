//! Everyone's relationship health (`rapport_core::relationship::everyone`) for the screens that list
//! or sort by it — the dashboard's going-cold list, the people list sorted coldest first — and for
//! segments that select on it. Derived, never stored; computed only while such a screen is open or
//! such a segment exists, once per change it reads and once a day,
//! in the worker's read model (`crate::mirror`), or on the page when no worker can. One record's own
//! health, on its page, is computed there (a few milliseconds).

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use rapport_core::ids::WorkspaceId;
use rapport_core::mirror::HealthJob;
use rapport_core::model::WorkspaceSettings;
use rapport_core::offload::{Job, Outcome};
use rapport_core::read_model::Changed;
use rapport_core::relationship;

use crate::latest::Latest;
use crate::mirror::Unanswered;
use crate::state::WorkspaceCtx;

/// Everyone's health (a record missing is at 100) and those going cold in order; `None` until
/// computed, while nobody reads it, and while the device still reads its interactions.
pub(crate) type Everyone = Option<Arc<relationship::Everyone>>;

/// What health reads: a change to any of these computes it again.
const READS: Changed = Changed::PARTIES
    .union(Changed::INTERACTIONS)
    .union(Changed::TICKETS)
    .union(Changed::TASKS)
    .union(Changed::SETTINGS);

const MIRROR_USER: crate::mirror::User = "relationship health";

#[derive(Clone, Copy)]
pub(crate) struct EveryoneHealth {
    /// How many screens read it now.
    readers: RwSignal<usize>,
    health: ReadSignal<Everyone>,
    /// Set from a change until the health takes it in.
    behind: ReadSignal<bool>,
}

impl EveryoneHealth {
    pub fn use_ctx() -> EveryoneHealth {
        expect_context::<EveryoneHealth>()
    }

    /// Everyone's health, computed while `wanted` holds (and the calling screen is open).
    pub fn read_while(self, wanted: impl Fn() -> bool + 'static) -> ReadSignal<Everyone> {
        let readers = self.readers;
        let reading = StoredValue::new(false);
        Effect::new(move || {
            let now = wanted();
            if now != reading.get_value() {
                reading.set_value(now);
                readers.update(|n| *n = if now { *n + 1 } else { n.saturating_sub(1) });
            }
        });
        on_cleanup(move || {
            if reading.try_get_value() == Some(true) {
                readers.try_update(|n| *n = n.saturating_sub(1));
            }
        });
        self.health
    }

    /// Everyone's health as last computed, without asking for it: what segments read, for which
    /// it is computed as long as one of them selects on health ([`start`]).
    pub fn computed(self) -> ReadSignal<Everyone> {
        self.health
    }

    /// The health only once it takes in every change so far: what is done once on it (an
    /// automation's action) must not read one a change behind.
    pub fn current_untracked(self) -> Everyone {
        if self.behind.get_untracked() { None } else { self.health.get_untracked() }
    }

    /// Tracks the health and whether it is behind: a recomputation that answers the same still
    /// ends a wait for it.
    pub fn track(self) {
        self.health.track();
        self.behind.track();
    }
}

/// Whether a segment selects on health that is not computed, or a change behind: a send, an
/// enrolment or an automation switched on decides once who is in, and must not decide it without.
pub(crate) fn pending_for_segments(workspace: WorkspaceCtx) -> bool {
    segments_read_it(workspace)
        && use_context::<EveryoneHealth>().is_none_or(|h| h.current_untracked().is_none())
}

/// Whether a segment in use selects on health.
pub(crate) fn segments_read_it(workspace: WorkspaceCtx) -> bool {
    workspace
        .read_of(Changed::MARKETING, |ws| {
            ws.model.segments.values().any(|s| !s.archived && s.rule.reads_health())
        })
        .unwrap_or(false)
}

struct Asked {
    workspace: WorkspaceId,
    settings: WorkspaceSettings,
    now: rapport_core::ids::Timestamp,
}

/// Provides [`EveryoneHealth`].
pub(crate) fn start(workspace: WorkspaceCtx) {
    let computing = Latest::new(move |asked| compute(workspace, asked));
    let readers = RwSignal::new(0_usize);
    provide_context(EveryoneHealth {
        readers,
        health: computing.answer(),
        behind: computing.behind(),
    });
    // The clock the screens tick by; health is asked again only when the day changes.
    let now = crate::pages::tickets::ticking_now();
    let today = Memo::new(move |_| crate::widgets::local_day(now.get()));
    let asking = computing.clone();
    Effect::new(move || {
        let asked = if readers.get() == 0 && !segments_read_it(workspace) {
            None
        } else {
            // Read, not only tracked: a memo nobody reads is never computed, so never said to
            // change.
            let _ = today.get();
            workspace
                .read_of(READS, |ws| {
                    (!ws.model.interactions_pending).then(|| Asked {
                        workspace: ws.workspace,
                        settings: ws.settings.clone(),
                        now: crate::local::now(),
                    })
                })
                .flatten()
        };
        match asked {
            Some(_) => crate::mirror::hold(MIRROR_USER),
            None => crate::mirror::release(MIRROR_USER),
        }
        asking.ask(asked);
    });
    crate::mirror::on_stored(MIRROR_USER, READS, move || computing.again());
}

async fn compute(workspace: WorkspaceCtx, asked: Rc<Asked>) -> Everyone {
    let shared = workspace.shared()?;
    let job = Job::Health(HealthJob { workspace: asked.workspace, now: asked.now });
    match crate::mirror::ask(&shared, MIRROR_USER, asked.workspace, &asked.settings, job).await {
        Ok(Outcome::Health(all)) => return Some(Arc::new(*all)),
        // No screen reads it any more.
        Err(Unanswered::Released) => return None,
        Ok(_) | Err(Unanswered::OnThePage) => {}
    }
    let borrowed = shared.borrow();
    let replica = &borrowed.replica;
    Some(Arc::new(relationship::everyone(&replica.model, &replica.settings, asked.now)))
}
