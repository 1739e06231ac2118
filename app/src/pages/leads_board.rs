//! The marketing dashboard's leads: how many came in each month and how many of them were won
//! since (`rapport_core::leads::conversion`), and how they score now against the threshold at which
//! they are handed to sales (`leads::by_score`, over the scores every screen shares,
//! [`crate::lead_scores::LeadScores`]). A bar lists the people it counts.

use leptos::prelude::*;
use rapport_core::analytics::Months;
use rapport_core::ids::{MemberId, PartyId};
use rapport_core::leads::{self, Band};
use rapport_core::read_model::Changed;
use rapport_core::report::Item;

use crate::i18n::{t_string, use_i18n};
use crate::state::WorkspaceCtx;
use crate::widgets::{self, BarChart, ChartRow};

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
    let cohorts = Memo::new(move |_| {
        let period = Months::ending_at(this_month.get().start(), months.get());
        let owner = owner.get();
        ctx.read_of(Changed::PARTIES | Changed::DEALS, |ws| {
            leads::conversion(&ws.model, period, owner)
        })
        .unwrap_or_default()
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
            {move || picked.with(Option::is_some).then(|| view! { <super::reports::ItemRecords items=records /> })}
        </BarChart>
    }
}

/// The leads (of the board's owner) by their score now, in bands up to the handoff threshold.
#[component]
pub(crate) fn LeadsByScore(#[prop(into)] owner: Signal<Option<MemberId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let scores = use_context::<crate::lead_scores::LeadScores>();
    let picked = RwSignal::new(None);
    let bands = Memo::new(move |_| {
        // None while the workspace scores nothing (or scores are not computed yet).
        let scores = scores.and_then(|s| s.scores.get())?;
        let owner = owner.get();
        ctx.read_of(Changed::PARTIES | Changed::SETTINGS, |ws| {
            leads::by_score(&ws.model, &scores, ws.settings.lead_threshold, owner)
        })
    });
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
            {move || picked.with(Option::is_some).then(|| view! { <super::reports::ItemRecords items=records /> })}
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
