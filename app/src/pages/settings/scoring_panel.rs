//! Lead scoring: the rules that give a lead its points — for being in a segment, for each
//! interaction, for each campaign opened or clicked through, those cooling by half every so many
//! days — and the score at which a lead is handed to sales. Each control saves as it changes, into
//! its own field of its own rule, so two people editing two rules (or two fields of one) keep both;
//! every score follows at once on every device, since each derives them (`rapport_core::scoring`).

use leptos::prelude::*;
use rapport_core::ids::{MemberId, RuleId};
use rapport_core::model::{InteractionKind, ScoringRule};
use rapport_core::read_model::Changed;
use rapport_core::scoring::{self, Signal as Earns};

use super::service_panel::{Change, edit};
use crate::i18n::{t, t_string, use_i18n};
use crate::local::BrowserIds;
use crate::state::WorkspaceCtx;
use crate::widgets::{self, MemberChoice};

/// What earns a rule's points, in words.
pub(crate) fn signal_name(key: &str) -> &'static str {
    let i18n = use_i18n();
    match key {
        "segment" => t_string!(i18n, marketing.signal_segment),
        "interaction" => t_string!(i18n, marketing.signal_interaction),
        "opened" => t_string!(i18n, marketing.signal_opened),
        _ => t_string!(i18n, marketing.signal_clicked),
    }
}

#[component]
pub(super) fn ScoringPanel() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let read_only = Signal::derive(move || !account.can_edit());
    let error = RwSignal::new(None::<String>);
    // The rules' ids in their order: each row reads its rule itself.
    let rules = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            scoring::rules(&ws.settings)
                .into_iter()
                .map(|(id, _)| id.to_owned())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let segments = Memo::new(move |_| {
        ctx.read_of(Changed::MARKETING, |ws| {
            let mut segments: Vec<(String, String)> = (ws.model.segments.values())
                .filter(|s| !s.archived)
                .map(|s| (s.id.to_string(), s.name.clone()))
                .collect();
            segments.sort_by_cached_key(|(_, name)| rapport_core::search::fold(name));
            segments
        })
        .unwrap_or_default()
    });
    let threshold = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| ws.settings.lead_threshold).flatten()
    });
    let owner = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            ws.settings.lead_owner.as_deref().and_then(|m| m.parse::<MemberId>().ok())
        })
        .flatten()
    });
    let add = move |_| {
        edit(ctx, error, move |settings| {
            let position =
                settings.scoring_rules.values().map(|r| r.position + 1).max().unwrap_or(0);
            // No points until some are typed: a rule half set up gives nobody anything.
            let rule = ScoringRule {
                position,
                signal: "interaction".into(),
                points: 0,
                half_life_days: 30,
                ..Default::default()
            };
            settings.scoring_rules.insert(RuleId::generate(&mut BrowserIds).to_string(), rule);
            Ok(())
        });
    };
    let set_threshold = move |e: leptos::ev::Event| {
        let field = event_target::<web_sys::HtmlInputElement>(&e);
        // A text field, not a number one: a browser reads a number field it cannot read as empty,
        // which here would clear the threshold.
        let typed = field.value();
        let typed = typed.trim();
        let chosen = if typed.is_empty() {
            None
        } else {
            match typed.parse::<i64>() {
                // A lead with no points is no lead.
                Ok(points) => Some(points.clamp(1, 1_000_000)),
                Err(_) => {
                    let stored = threshold.get_untracked().map(|n| n.to_string());
                    field.set_value(&stored.unwrap_or_default());
                    let why = t_string!(i18n, marketing.threshold_invalid, text = typed.to_owned());
                    return error.set(Some(why.to_string()));
                }
            }
        };
        field.set_value(&chosen.map(|n| n.to_string()).unwrap_or_default());
        error.set(None);
        edit(ctx, error, move |settings| {
            settings.lead_threshold = chosen;
            Ok(())
        });
    };
    view! {
        <section class="panel" id="lead-scoring" aria-labelledby="scoring-title" data-testid="scoring-panel">
            <h2 id="scoring-title">{t!(i18n, marketing.scoring)}</h2>
            <p class="hint">{t!(i18n, marketing.scoring_hint)}</p>
            <ul class="conditions">
                <For each=move || rules.get() key=|id| id.clone() let:id>
                    <RuleEditor id segments error read_only />
                </For>
            </ul>
            <Show when=move || !read_only.get()>
                <button type="button" data-testid="add-scoring-rule" on:click=add>{t!(i18n, marketing.add_scoring_rule)}</button>
            </Show>
            <h3>{t!(i18n, marketing.handoff)}</h3>
            <p class="hint">{t!(i18n, marketing.handoff_hint)}</p>
            <div class="record-form">
                <div class="field-row">
                <label>
                    {t!(i18n, marketing.lead_owner)}
                    <MemberChoice
                        testid="lead-owner"
                        current=owner.into()
                        nobody=Signal::derive(move || t_string!(i18n, marketing.lead_owner_none).to_owned())
                        choose=Callback::new(move |member: Option<MemberId>| {
                            let chosen = member.map(|member| member.to_string());
                            edit(ctx, error, move |settings| { settings.lead_owner = chosen; Ok(()) });
                        })
                        disabled=read_only
                    />
                </label>
                <label>
                    {t!(i18n, marketing.threshold)}
                    <input type="text" inputmode="numeric" data-testid="lead-threshold" disabled=move || read_only.get()
                        placeholder=move || t_string!(i18n, marketing.threshold_none)
                        prop:value=move || threshold.get().map(|n| n.to_string()).unwrap_or_default()
                        on:change=set_threshold />
                </label>
                </div>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn RuleEditor(
    id: String,
    segments: Memo<Vec<(String, String)>>,
    error: RwSignal<Option<String>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let key = StoredValue::new(id);
    // The rule as stored: every control shows it and follows a colleague's change to it, and the
    // row stays in place while it changes (keyed by the rule's id), so nothing under the cursor moves.
    let rule = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            key.with_value(|id| ws.settings.scoring_rules.get(id).cloned())
        })
        .flatten()
        .unwrap_or_default()
    });
    let signal = Memo::new(move |_| rule.with(|r| r.signal.clone()));
    let change = move |change: Change<ScoringRule>| {
        edit(ctx, error, move |settings| {
            let rule = key.with_value(|id| settings.scoring_rules.get_mut(id));
            change(rule.ok_or_else(String::new)?)
        });
    };
    let remove = move |_| {
        edit(ctx, error, move |settings| {
            key.with_value(|id| settings.scoring_rules.remove(id));
            Ok(())
        })
    };
    // A whole number within `range`; anything else is said and the field shows what is stored.
    let number = move |e: &leptos::ev::Event, stored: i64, range: (i64, i64)| {
        let field = event_target::<web_sys::HtmlInputElement>(e);
        let typed = field.value();
        match typed.trim().parse::<i64>() {
            Ok(n) => {
                let n = n.clamp(range.0, range.1);
                field.set_value(&n.to_string());
                error.set(None);
                Some(n)
            }
            Err(_) => {
                let why = t_string!(i18n, marketing.threshold_invalid, text = typed.clone());
                error.set(Some(why.to_string()));
                field.set_value(&stored.to_string());
                None
            }
        }
    };
    let choose_segment = move |e: leptos::ev::Event| {
        let chosen = Some(event_target_value(&e)).filter(|s| !s.is_empty());
        change(Box::new(move |rule| {
            rule.segment = chosen;
            Ok(())
        }));
    };
    let choose_kind = move |e: leptos::ev::Event| {
        let chosen = Some(event_target_value(&e)).filter(|k| !k.is_empty());
        change(Box::new(move |rule| {
            rule.interaction_kind = chosen;
            Ok(())
        }));
    };
    let segment = move || rule.with(|r| r.segment.clone().unwrap_or_default());
    let kind = move || rule.with(|r| r.interaction_kind.clone().unwrap_or_default());
    view! {
        <li class="condition scoring-rule" data-testid="scoring-rule" data-signal=move || signal.get() data-points=move || rule.with(|r| r.points)>
            <fieldset class="field-row wrapping" disabled=move || read_only.get()>
                <label class="inline">
                    <input type="number" step="1" inputmode="numeric" data-testid="scoring-points"
                        prop:value=move || rule.with(|r| r.points.to_string())
                        aria-label=move || t_string!(i18n, marketing.points)
                        on:change=move |e| {
                            let stored = rule.with_untracked(|r| r.points);
                            let Some(n) = number(&e, stored, (-1000, 1000)) else { return };
                            change(Box::new(move |rule| { rule.points = n; Ok(()) }));
                        } />
                    {t!(i18n, marketing.points_for)}
                </label>
                <select data-testid="scoring-signal" aria-label=move || t_string!(i18n, marketing.signal)
                    prop:value=move || signal.get()
                    on:change=move |e| {
                        let chosen = event_target_value(&e);
                        change(Box::new(move |rule| { rule.signal = chosen; Ok(()) }));
                    }>
                    {Earns::KEYS.into_iter().map(|k| view! { <option value=k selected=move || signal.get() == k>{move || signal_name(k)}</option> }).collect_view()}
                </select>
                {move || (signal.get() == "segment").then(|| view! {
                    <select data-testid="scoring-segment" aria-label=move || t_string!(i18n, marketing.signal_segment)
                        aria-invalid=move || rule.with(|r| Earns::of(r).is_none()).then_some("true")
                        prop:value=segment
                        on:change=choose_segment>
                        <option value="" selected=move || segment().is_empty()>{t!(i18n, marketing.choose_segment)}</option>
                        {move || segments.get().into_iter().map(|(id, name)| {
                            let value = id.clone();
                            view! { <option value=id selected=move || segment() == value>{name}</option> }
                        }).collect_view()}
                    </select>
                })}
                {move || (signal.get() == "interaction").then(|| view! {
                    <select data-testid="scoring-kind" aria-label=move || t_string!(i18n, marketing.signal_interaction)
                        prop:value=kind
                        on:change=choose_kind>
                        <option value="" selected=move || kind().is_empty()>{t!(i18n, marketing.any_kind)}</option>
                        {InteractionKind::ALL.into_iter().map(|k| {
                            let value = scoring::interaction_key(k);
                            view! { <option value=value selected=move || kind() == value>{move || widgets::interaction_label(k)}</option> }
                        }).collect_view()}
                    </select>
                })}
                // Segments do not decay; every other signal counts events, even one this version
                // does not know.
                {move || (signal.get() != "segment").then(|| view! {
                    <label class="inline">
                        {t!(i18n, marketing.half_life)}
                        <input type="number" min="0" max="3650" step="1" inputmode="numeric" data-testid="scoring-half-life"
                            prop:value=move || rule.with(|r| r.half_life_days.to_string())
                            on:change=move |e| {
                                let stored = rule.with_untracked(|r| i64::from(r.half_life_days));
                                let Some(n) = number(&e, stored, (0, 3650)) else { return };
                                change(Box::new(move |rule| { rule.half_life_days = n as u32; Ok(()) }));
                            } />
                        {t!(i18n, marketing.days)}
                    </label>
                })}
                <button type="button" class="icon-button" data-testid="remove-scoring-rule" aria-label=move || t_string!(i18n, marketing.remove_scoring_rule) on:click=remove>"×"</button>
            </fieldset>
        </li>
    }
}
