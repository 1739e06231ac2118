//! The marketing dashboard's leads: how many came in each month and how many of them were won
//! since (`rapport_core::leads::conversion`), and how they score now against the threshold at which
//! they are handed to sales (`leads::by_score`, over the scores every screen shares,
//! [`crate::lead_scores::LeadScores`]). A bar lists the people it counts.
//!
//! Both are computed in the worker's read model (`rapport_core::mirror`), which sends the counts and
//! the records of the bar picked only: a change somewhere in a year of leads costs the page a few
//! hundred bytes to read, not every lead's id. On the page only when no worker can.

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use rapport_core::analytics::Months;
use rapport_core::ids::{MemberId, PartyId};
use rapport_core::leads::{self, Band, Leads, LeadsChart};
use rapport_core::mirror::LeadsJob;
use rapport_core::offload::{Job, Outcome};
use rapport_core::read_model::Changed;
use rapport_core::report::Item;

use crate::i18n::{t_string, use_i18n};
use crate::latest::Latest;
use crate::lead_scores::LeadScores;
use crate::mirror::{Unanswered, User};
use crate::state::WorkspaceCtx;
use crate::widgets::{self, BarChart, ChartRow, Pick};

/// A chart and the question it answers (a screen shows it only under that question).
type Answered = Option<(LeadsJob, Arc<Leads>)>;

/// The chart `asked`: from the worker's read model, or computed on the page when no worker can.
async fn leads_of(
    ctx: WorkspaceCtx,
    user: User,
    scores: Option<LeadScores>,
    asked: Rc<LeadsJob>,
) -> Answered {
    let shared = ctx.shared()?;
    let settings = shared.borrow().replica.settings.clone();
    let job = Job::Leads((*asked).clone());
    match crate::mirror::ask(&shared, user, asked.workspace, &settings, job).await {
        Ok(Outcome::Leads(leads)) => {
            // Browser tests read this to know the chart on screen came from the worker.
            crate::timing::mark("rapport:leads-from-worker");
            return Some(((*asked).clone(), Arc::new(*leads)));
        }
        // The chart was closed.
        Err(Unanswered::Released) => return None,
        Ok(_) | Err(Unanswered::OnThePage) => {}
    }
    let scores = scores.and_then(|s| s.scores.get_untracked());
    let borrowed = shared.borrow();
    let ws = &borrowed.replica;
    let leads = leads::answer(&ws.model, &ws.settings, scores.as_deref(), asked.chart, asked.owner);
    Some(((*asked).clone(), Arc::new(leads)))
}

/// `chart` (none: nothing to ask) of `owner`'s leads with `picked`'s records, asked while the
/// screen is open: again on every change of what it `reads`, whenever `also` changes, and when the
/// worker took in a change the page stored. The answer to the chart and owner shown, and whether it
/// holds the records of the bar picked now.
fn answering(
    user: User,
    reads: Changed,
    chart: Memo<Option<LeadsChart>>,
    owner: Signal<Option<MemberId>>,
    picked: RwSignal<Pick>,
    also: impl Fn() + 'static,
) -> Memo<Option<(Arc<Leads>, bool)>> {
    let ctx = WorkspaceCtx::use_ctx();
    let scores = use_context::<LeadScores>();
    let computing = Latest::new(move |asked| leads_of(ctx, user, scores, asked));
    let asking = computing.clone();
    Effect::new(move || {
        also();
        let (chart, owner, pick) = (chart.get(), owner.get(), picked.get());
        let asked = chart.and_then(|chart| {
            ctx.read_of(reads, |ws| LeadsJob { workspace: ws.workspace, chart, owner, pick })
        });
        match asked {
            Some(_) => crate::mirror::hold(user),
            None => crate::mirror::release(user),
        }
        asking.ask(asked);
    });
    let answer = computing.answer();
    crate::mirror::on_stored(user, reads, move || computing.again());
    on_cleanup(move || crate::mirror::forget(user));
    Memo::new(move |_| {
        let (chart, owner) = (chart.get()?, owner.get());
        answer.with(|answer| {
            let (of, leads) = answer.as_ref()?;
            let shown = of.chart == chart && of.owner == owner;
            shown.then(|| (leads.clone(), picked.with(|p| *p == of.pick)))
        })
    })
}

/// The leads of the board's period (and owner), month by month, with those won since.
#[component]
pub(crate) fn LeadConversion(
    #[prop(into)] months: Signal<u8>,
    #[prop(into)] owner: Signal<Option<MemberId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let picked = RwSignal::new(None);
    // Again when the records or the filters change, and when a new month begins.
    let now = super::tickets::ticking_now();
    let this_month = Memo::new(move |_| rapport_core::layout::Month::of(now.get()));
    let chart = Memo::new(move |_| {
        Some(LeadsChart::Conversion(Months::ending_at(this_month.get().start(), months.get())))
    });
    let answer = answering(
        "lead conversion",
        Changed::PARTIES | Changed::DEALS,
        chart,
        owner,
        picked,
        || (),
    );
    let cohorts = Memo::new(move |_| {
        answer.with(|answer| match answer.as_ref().map(|(leads, _)| &**leads) {
            Some(Leads::Conversion(cohorts)) => cohorts.clone(),
            _ => Vec::new(),
        })
    });
    let rows = Signal::derive(move || {
        cohorts.with(|cohorts| {
            // No lead at all in the period: said, not drawn as empty months.
            if cohorts.iter().all(|c| c.leads.value == 0) {
                return Vec::new();
            }
            cohorts
                .iter()
                .map(|cohort| {
                    let month = super::deals::month_name(cohort.month);
                    let label = match cohort.rate() {
                        Some(rate) => t_string!(
                            i18n,
                            report_builder.month_won_rate,
                            month = month.clone(),
                            rate
                        )
                        .to_string(),
                        None => month,
                    };
                    counts_row(
                        cohort.month.to_string(),
                        label,
                        &[cohort.leads.value, cohort.won.value],
                    )
                })
                .collect()
        })
    });
    let series = Signal::derive(move || {
        vec![
            t_string!(i18n, report_builder.leads).to_owned(),
            t_string!(i18n, report_builder.leads_won).to_owned(),
        ]
    });
    // Once the answer holds them: the worker sends the picked bar's records when asked.
    let listed = Memo::new(move |_| answer.with(|a| a.as_ref().is_some_and(|(_, listed)| *listed)));
    let records = Signal::derive(move || {
        let Some((key, series)) = picked.get() else { return Vec::new() };
        cohorts.with(|cohorts| {
            let cohort = cohorts.iter().find(|c| c.month.to_string() == key);
            let bar = cohort.map(|c| if series == 0 { &c.leads } else { &c.won });
            bar.map(|bar| people(ctx, &bar.records)).unwrap_or_default()
        })
    });
    view! {
        <BarChart
            testid="lead-conversion"
            title=Signal::derive(move || t_string!(i18n, report_builder.lead_conversion).to_owned())
            series
            rows
            empty=Signal::derive(move || t_string!(i18n, report_builder.no_leads).to_owned())
            picked
        >
            {move || (picked.with(Option::is_some) && listed.get()).then(|| view! { <super::reports::ItemRecords items=records /> })}
        </BarChart>
    }
}

/// The leads (of the board's owner) by their score now, in bands up to the handoff threshold.
#[component]
pub(crate) fn LeadsByScore(#[prop(into)] owner: Signal<Option<MemberId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let scores = use_context::<LeadScores>();
    let picked = RwSignal::new(None);
    // Nothing to ask while the workspace scores nothing (or scores are not computed yet).
    let scored = Memo::new(move |_| scores.is_some_and(|s| s.scores.with(Option::is_some)));
    let chart = Memo::new(move |_| scored.get().then_some(LeadsChart::ByScore));
    // Asked again whenever the scores change.
    let rescored = move || {
        if let Some(scores) = scores {
            scores.scores.track();
        }
    };
    let reads = Changed::PARTIES | Changed::SETTINGS;
    let answer = answering("leads by score", reads, chart, owner, picked, rescored);
    let bands = Memo::new(move |_| {
        answer.with(|answer| match answer.as_ref().map(|(leads, _)| &**leads) {
            Some(Leads::ByScore(bands)) => Some(bands.clone()),
            _ => None,
        })
    });
    let listed = Memo::new(move |_| answer.with(|a| a.as_ref().is_some_and(|(_, listed)| *listed)));
    let rows = Signal::derive(move || {
        bands.with(|bands| {
            bands
                .iter()
                .flatten()
                .map(|bar| counts_row(bar.key.key(), band_label(bar.key), &[bar.value]))
                .collect()
        })
    });
    let records = Signal::derive(move || {
        let Some((key, _)) = picked.get() else { return Vec::new() };
        bands.with(|bands| {
            let bar = bands.iter().flatten().find(|bar| bar.key.key() == key);
            bar.map(|bar| people(ctx, &bar.records)).unwrap_or_default()
        })
    });
    // No rules: where to set them; rules but no scores yet: that they are coming.
    let empty = Signal::derive(move || {
        let scored = ctx.read_of(Changed::SETTINGS, |ws| !ws.settings.scoring_rules.is_empty());
        if scored == Some(true) {
            t_string!(i18n, report_builder.scores_pending).to_owned()
        } else {
            t_string!(i18n, report_builder.no_scores).to_owned()
        }
    });
    view! {
        <BarChart
            testid="leads-by-score"
            title=Signal::derive(move || t_string!(i18n, report_builder.leads_by_score).to_owned())
            series=Signal::derive(move || vec![t_string!(i18n, report_builder.leads).to_owned()])
            rows
            empty
            picked
        >
            {move || (picked.with(Option::is_some) && listed.get()).then(|| view! { <super::reports::ItemRecords items=records /> })}
        </BarChart>
    }
}

/// "< 0", "25–49", "≥ 100".
fn band_label(band: Band) -> String {
    match (band.from, band.to) {
        (None, Some(to)) => format!("< {to}"),
        (Some(from), None) => format!("≥ {from}"),
        (Some(from), Some(to)) => format!("{from}–{}", to - 1),
        (None, None) => String::new(),
    }
}

/// The records of a bar, by name: those picked, once, not every bar's on every change.
fn people(ctx: WorkspaceCtx, ids: &[PartyId]) -> Vec<Item> {
    let mut ids = ids.to_vec();
    ctx.read_of(Changed::PARTIES, |ws| {
        ids.sort_by_cached_key(|id| ws.model.parties.get(id).map(|row| row.sort_name.clone()));
    });
    ids.into_iter().map(Item::Party).collect()
}

/// A chart row of counts, one per series.
fn counts_row(key: String, label: String, counts: &[i64]) -> ChartRow {
    ChartRow {
        key,
        label,
        values: counts.to_vec(),
        shown: counts.iter().map(|n| widgets::count((*n).max(0) as usize)).collect(),
        plain: counts.iter().map(i64::to_string).collect(),
    }
}
