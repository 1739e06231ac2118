//! How the relationship is kept: a score from 0 to 100 and what takes points off it (a contact
//! overdue for its cadence, a quiet quarter, unanswered mail, open tickets, overdue next steps) —
//! derived here by `rapport_core::relationship` from the records, so it changes as they do.

use leptos::prelude::*;
use rapport_core::ids::PartyId;
use rapport_core::read_model::Changed;
use rapport_core::relationship::{self, Health, Reason};

use crate::i18n::{t, t_string, use_i18n};
use crate::state::WorkspaceCtx;
use crate::widgets;

/// A reason in the screens' language.
pub(crate) fn reason_text(reason: Reason) -> String {
    let i18n = use_i18n();
    let count = |n: u32| widgets::count(n as usize);
    match reason {
        Reason::NeverContacted => t_string!(i18n, health.never_contacted).to_owned(),
        Reason::Overdue { days, cadence } => t_string!(
            i18n,
            health.overdue,
            days = widgets::count(days.max(0) as usize),
            cadence = count(cadence)
        )
        .to_string(),
        Reason::Quiet { interactions } => {
            t_string!(i18n, health.quiet, count = count(interactions)).to_string()
        }
        Reason::Unanswered { sent } => {
            t_string!(i18n, health.unanswered, count = count(sent)).to_string()
        }
        Reason::OpenTickets(n) => {
            t_string!(i18n, health.open_tickets, count = count(n)).to_string()
        }
        Reason::OverdueSteps(n) => {
            t_string!(i18n, health.overdue_steps, count = count(n)).to_string()
        }
    }
}

/// The score as a tag, coloured as it is going.
#[component]
pub(crate) fn HealthTag(health: Health) -> impl IntoView {
    let state = if health.going_cold() {
        "cold"
    } else if health.score < 85 {
        "cooling"
    } else {
        "warm"
    };
    view! {
        <span
            class="tag health"
            data-state=state
            data-testid="health-score"
            aria-label=t_string!(use_i18n(), health.score, score = health.score).to_string()
        >
            {health.score}
        </span>
    }
}

#[component]
pub(super) fn RelationshipHealth(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let now = crate::pages::tickets::ticking_now();
    let kinds = Changed::PARTIES | Changed::INTERACTIONS | Changed::TICKETS | Changed::TASKS;
    // None while the device is still reading its interactions: a score from half of them would lie.
    let health = Memo::new(move |_| {
        let now = now.get();
        ctx.read_of(kinds, |ws| {
            if ws.model.interactions_pending {
                return None;
            }
            let party = ws.model.parties.get(&id)?;
            let signals = relationship::signals_of(&ws.model, &ws.settings, id, now);
            Some(relationship::health(party, &signals, now))
        })
        .flatten()
    });
    view! {
        {move || health.get().map(|health| {
            let (reasons, score) = (health.reasons.clone(), health.score);
            view! {
                <section class="panel" data-testid="relationship-health" data-score=score aria-labelledby="health-title">
                    <h2 id="health-title">{t!(i18n, health.title)}" "<HealthTag health /></h2>
                    {if reasons.is_empty() {
                        view! { <p class="hint">{t!(i18n, health.all_well)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="rows compact">
                                {reasons.into_iter().map(|reason| view! {
                                    <li class="row" data-testid="health-reason">
                                        <span class="row-title">{reason_text(reason)}</span>
                                        <span class="row-detail">{format!("−{}", reason.penalty())}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
            }
        })}
    }
}
