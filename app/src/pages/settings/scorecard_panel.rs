//! Supplier scorecards: the criteria suppliers are scored on, each with its weight and what it is
//! measured from, and the scores below which a supplier is on watch or blocked. Saved together; every
//! supplier's scores and standing change at once on every device, since each derives them.

use leptos::prelude::*;
use rapport_core::ids::CriterionId;
use rapport_core::model::{Measure, ScorecardCriterion};
use rapport_core::read_model::Changed;
use rapport_core::scorecard::{Criteria, default_criteria};

use super::service_panel::edit;
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::pages::purchasing::criterion_name;
use crate::state::WorkspaceCtx;

/// A criterion as the form holds it.
#[derive(Clone, Copy)]
struct Row {
    key: StoredValue<String>,
    /// The name as stored and as first shown: a built-in name shown translated is stored as it was.
    names: StoredValue<(String, String)>,
    name: RwSignal<String>,
    weight: RwSignal<String>,
    measure: RwSignal<Measure>,
}

fn measure_name(measure: Measure) -> &'static str {
    let i18n = use_i18n();
    match measure {
        Measure::OnTime => t_string!(i18n, purchase.measure_on_time),
        Measure::Quality => t_string!(i18n, purchase.measure_quality),
        Measure::Price => t_string!(i18n, purchase.measure_price),
        Measure::Ratings => t_string!(i18n, purchase.measure_ratings),
    }
}

#[component]
pub(super) fn ScorecardPanel() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let stored =
        Memo::new(move |_| ctx.read_of(Changed::SETTINGS, |ws| Criteria::of(&ws.settings)));
    let rows = RwSignal::new(Vec::<Row>::new());
    let watch = RwSignal::new(String::new());
    let block = RwSignal::new(String::new());
    // Filled from the settings as stored, and again when a colleague saves them.
    Effect::new(move || {
        let Some(criteria) = stored.get() else { return };
        rows.set(
            criteria
                .list
                .iter()
                .map(|(key, c)| Row {
                    key: StoredValue::new(key.clone()),
                    names: StoredValue::new((c.name.clone(), criterion_name(key, c))),
                    name: RwSignal::new(criterion_name(key, c)),
                    weight: RwSignal::new(c.weight.to_string()),
                    measure: RwSignal::new(c.measure),
                })
                .collect(),
        );
        watch.set(criteria.watch_below.to_string());
        block.set(criteria.block_below.to_string());
    });
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let add = move |_| {
        let key = CriterionId::generate(&mut local::BrowserIds).to_string();
        rows.update(|rows| {
            rows.push(Row {
                key: StoredValue::new(key),
                names: StoredValue::new(Default::default()),
                name: RwSignal::new(String::new()),
                weight: RwSignal::new("10".to_owned()),
                measure: RwSignal::new(Measure::Ratings),
            })
        });
    };
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        saved.set(false);
        let mut criteria = std::collections::BTreeMap::new();
        for (position, row) in rows.get_untracked().into_iter().enumerate() {
            let typed = row.name.get_untracked().trim().to_owned();
            if typed.is_empty() {
                continue;
            }
            let (stored, shown) = row.names.get_value();
            let name = if typed == shown { stored } else { typed };
            let Ok(weight) = row.weight.get_untracked().trim().parse::<u32>() else {
                return error
                    .set(Some(t_string!(i18n, purchase.weight_invalid, name = name).to_string()));
            };
            let criterion = ScorecardCriterion {
                name,
                weight: weight.min(1000),
                measure: row.measure.get_untracked(),
                position: position as u32,
            };
            criteria.insert(row.key.get_value(), criterion);
        }
        if criteria.values().all(|c| c.weight == 0) {
            return error.set(Some(t_string!(i18n, purchase.weights_needed).to_owned()));
        }
        let threshold = |text: String| text.trim().parse::<u8>().ok().filter(|n| *n <= 100);
        let (Some(watch), Some(block)) =
            (threshold(watch.get_untracked()), threshold(block.get_untracked()))
        else {
            return error.set(Some(t_string!(i18n, purchase.threshold_invalid).to_owned()));
        };
        if block > watch {
            return error.set(Some(t_string!(i18n, purchase.threshold_order).to_owned()));
        }
        error.set(None);
        // Only what this person changed, against what the form was filled from: a colleague's change
        // to another criterion, saved meanwhile, stays.
        let Some(before) = stored.get_untracked() else { return };
        let changed: Vec<(String, ScorecardCriterion)> = criteria
            .iter()
            .filter(|(key, criterion)| {
                !before.list.iter().any(|(k, c)| k == *key && c == *criterion)
            })
            .map(|(key, criterion)| (key.clone(), criterion.clone()))
            .collect();
        let removed: Vec<String> = before
            .list
            .iter()
            .filter(|(key, _)| !criteria.contains_key(key))
            .map(|(key, _)| key.clone())
            .collect();
        let watch = (watch != before.watch_below).then_some(watch);
        let block = (block != before.block_below).then_some(block);
        edit(ctx, error, move |settings| {
            // The built-in criteria are written out at the first edit: from then on all are here.
            if settings.scorecard_criteria.is_empty() {
                settings.scorecard_criteria = default_criteria().into_iter().collect();
            }
            for (key, criterion) in changed {
                settings.scorecard_criteria.insert(key, criterion);
            }
            for key in removed {
                settings.scorecard_criteria.remove(&key);
            }
            if let Some(watch) = watch {
                settings.scorecard_watch_below = Some(watch);
            }
            if let Some(block) = block {
                settings.scorecard_block_below = Some(block);
            }
            Ok(())
        });
        saved.set(true);
    };
    let read_only = move || !account.can_edit();
    view! {
        <section class="panel" aria-labelledby="scorecard-title">
            <h2 id="scorecard-title">{t!(i18n, purchase.scorecard_settings)}</h2>
            <p class="hint">{t!(i18n, purchase.scorecard_hint)}</p>
            <form class="record-form" on:submit=save data-testid="scorecard-settings">
                {move || rows.get().into_iter().enumerate().map(|(n, row)| view! {
                    <div class="field-row wrapping" data-testid="criterion">
                        <label class="grow">
                            {t!(i18n, purchase.criterion)}
                            <input type="text" maxlength="80" data-testid=format!("criterion-name-{n}") readonly=read_only
                                prop:value=move || row.name.get() on:input=move |e| row.name.set(event_target_value(&e)) />
                        </label>
                        <label class="narrow">
                            {t!(i18n, purchase.weight)}
                            <input type="text" inputmode="numeric" data-testid=format!("criterion-weight-{n}") readonly=read_only
                                prop:value=move || row.weight.get() on:input=move |e| row.weight.set(event_target_value(&e)) />
                        </label>
                        <label>
                            {t!(i18n, purchase.measured_by)}
                            <select data-testid=format!("criterion-measure-{n}") disabled=read_only on:change=move |e| {
                                if let Some(measure) = Measure::from_code(&event_target_value(&e)) {
                                    row.measure.set(measure);
                                }
                            }>
                                {Measure::ALL.into_iter().map(|measure| view! {
                                    <option value=measure.code() selected=move || row.measure.get() == measure>{measure_name(measure)}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    </div>
                }).collect_view()}
                <div class="field-row">
                    <label>
                        {t!(i18n, purchase.watch_below)}
                        <input type="text" inputmode="numeric" data-testid="watch-below" readonly=read_only
                            prop:value=move || watch.get() on:input=move |e| watch.set(event_target_value(&e)) />
                    </label>
                    <label>
                        {t!(i18n, purchase.block_below)}
                        <input type="text" inputmode="numeric" data-testid="block-below" readonly=read_only
                            prop:value=move || block.get() on:input=move |e| block.set(event_target_value(&e)) />
                    </label>
                </div>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="scorecard-error">{e}</p> })}
                {move || (saved.get() && error.get().is_none()).then(|| view! { <p class="hint" role="status" data-testid="scorecard-saved">{t!(i18n, purchase.scorecard_saved)}</p> })}
                <Show when=move || account.can_edit()>
                    <div class="field-row">
                        <button type="button" data-testid="criterion-add" on:click=add>{t!(i18n, purchase.add_criterion)}</button>
                        <button type="submit" class="primary-action" data-testid="scorecard-save">{t!(i18n, purchase.save)}</button>
                    </div>
                </Show>
            </form>
        </section>
    }
}
