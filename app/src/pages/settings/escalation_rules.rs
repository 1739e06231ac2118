//! Escalation rules: what happens to a ticket whose clock runs past its deadline — raised a
//! priority, given to someone, moved to another queue, members told. Applied once per breach by
//! whichever device takes it first (`rapport_core::escalation`).

use leptos::prelude::*;
use rapport_core::escalation::METRICS;
use rapport_core::ids::{MemberId, RuleId};
use rapport_core::model::{EscalationRule, names};
use rapport_core::read_model::Changed;

use super::service_panel::{Change, edit};
use crate::i18n::{t, t_string, use_i18n};
use crate::local::BrowserIds;
use crate::pages::tickets::priority_name;
use crate::state::WorkspaceCtx;
use crate::widgets::MemberChoice;

/// A clock's name as the ticket page shows it.
pub(crate) fn metric_name(metric: &str) -> String {
    let locale = crate::locale::current();
    match metric {
        "first_response" => leptos_i18n::td_string!(locale, ticket.first_response),
        "next_response" => leptos_i18n::td_string!(locale, ticket.next_response),
        _ => leptos_i18n::td_string!(locale, ticket.resolution),
    }
    .to_owned()
}

#[component]
pub(super) fn EscalationRules(
    error: RwSignal<Option<String>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let rules = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            rapport_core::escalation::rules(&ws.settings)
                .into_iter()
                .filter_map(|(id, rule)| Some((id.parse::<RuleId>().ok()?, rule.clone())))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let add_rule = move |_| {
        let name = t_string!(i18n, service.new_rule_name).to_owned();
        edit(ctx, error, move |settings| {
            let position =
                settings.escalation_rules.values().map(|r| r.position + 1).max().unwrap_or(0);
            let rule = EscalationRule {
                name,
                position,
                metrics: Default::default(),
                priorities: Default::default(),
                // Nothing until a clock and an action are chosen: a rule half set up changes no ticket.
                raise_priority: false,
                assign_to: None,
                team: None,
                notify: Default::default(),
            };
            settings.escalation_rules.insert(RuleId::generate(&mut BrowserIds).to_string(), rule);
            Ok(())
        });
    };
    view! {
        <h3>{t!(i18n, service.escalations)}</h3>
        <p class="hint">{t!(i18n, service.escalations_hint)}</p>
        <For each=move || rules.get() key=|entry| entry.clone() let:entry>
            <RuleEditor id=entry.0 rule=entry.1 error read_only />
        </For>
        <Show when=move || !read_only.get()>
            <button type="button" data-testid="add-rule" on:click=add_rule>{t!(i18n, service.add_rule)}</button>
        </Show>
    }
}

#[component]
fn RuleEditor(
    id: RuleId,
    rule: EscalationRule,
    error: RwSignal<Option<String>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let change = move |change: Change<EscalationRule>| {
        edit(ctx, error, move |settings| {
            let rule =
                settings.escalation_rules.get_mut(&id.to_string()).ok_or_else(String::new)?;
            change(rule)
        });
    };
    let remove = move |_| {
        edit(ctx, error, move |settings| {
            settings.escalation_rules.remove(&id.to_string());
            Ok(())
        })
    };
    let members = move || ctx.read(rapport_core::replica::Replica::members).unwrap_or_default();
    let teams = move || crate::pages::tickets::teams(ctx);
    let watched = rule.metrics.clone();
    let priorities = rule.priorities.clone();
    let told = rule.notify.clone();
    let assign_to = rule.assign_to.as_deref().and_then(|member| member.parse::<MemberId>().ok());
    let team = rule.team.clone().unwrap_or_default();
    view! {
        <fieldset class="record-form rule-editor" data-testid="rule" disabled=move || read_only.get()>
            <legend>{rule.name.clone()}</legend>
            <label>
                {t!(i18n, service.rule_name)}
                <input type="text" data-testid="rule-name" value=rule.name.clone() on:change=move |e| {
                    let name = event_target_value(&e).trim().to_owned();
                    if !name.is_empty() {
                        change(Box::new(move |rule| { rule.name = name; Ok(()) }));
                    }
                } />
            </label>
            <div class="checks" role="group" aria-label=move || t_string!(i18n, service.rule_clocks)>
                <span class="hint">{t!(i18n, service.rule_clocks)}</span>
                {METRICS.into_iter().map(|metric| {
                    let on = names(&watched).any(|m| m == metric);
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid="rule-clock" value=metric checked=on on:change=move |e| {
                                let on = event_target_checked(&e);
                                change(Box::new(move |rule| { rule.metrics.insert(metric.to_owned(), on); Ok(()) }));
                            } />
                            {move || metric_name(metric)}
                        </label>
                    }
                }).collect_view()}
            </div>
            <div class="checks" role="group" aria-label=move || t_string!(i18n, service.applies_to)>
                <span class="hint">{t!(i18n, service.applies_to)}</span>
                {rapport_core::service::priorities_urgent_first().map(|priority| {
                    let on = names(&priorities).any(|p| p == priority.as_str());
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid="rule-priority" value=priority.as_str() checked=on on:change=move |e| {
                                let on = event_target_checked(&e);
                                change(Box::new(move |rule| { rule.priorities.insert(priority.as_str().to_owned(), on); Ok(()) }));
                            } />
                            {move || priority_name(priority)}
                        </label>
                    }
                }).collect_view()}
            </div>
            <label class="check">
                <input type="checkbox" data-testid="rule-raise" checked=rule.raise_priority on:change=move |e| {
                    let on = event_target_checked(&e);
                    change(Box::new(move |rule| { rule.raise_priority = on; Ok(()) }));
                } />
                {t!(i18n, service.rule_raise)}
            </label>
            <div class="field-row">
                <label>
                    {t!(i18n, service.rule_assign)}
                    <MemberChoice
                        testid="rule-assign"
                        current=Signal::stored(assign_to)
                        nobody=Signal::derive(move || t_string!(i18n, service.rule_no_change).to_owned())
                        choose=Callback::new(move |member: Option<MemberId>| {
                            let chosen = member.map(|member| member.to_string());
                            change(Box::new(move |rule| { rule.assign_to = chosen; Ok(()) }));
                        })
                        disabled=read_only
                    />
                </label>
                <label>
                    {t!(i18n, service.rule_team)}
                    <select data-testid="rule-team" on:change=move |e| {
                        let chosen = Some(event_target_value(&e)).filter(|t| !t.is_empty());
                        change(Box::new(move |rule| { rule.team = chosen; Ok(()) }));
                    }>
                        <option value="" selected=team.is_empty()>{t!(i18n, service.rule_no_change)}</option>
                        {move || teams().into_iter().map(|(id, name)| {
                            let key = id.to_string();
                            view! { <option value=key.clone() selected=key == team>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <div class="checks" role="group" aria-label=move || t_string!(i18n, service.rule_notify)>
                <span class="hint">{t!(i18n, service.rule_notify)}</span>
                {move || members().into_iter().map(|(member, name)| {
                    let key = member.to_string();
                    let checked = names(&told).any(|m| m == key);
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid="rule-notify" checked=checked on:change=move |e| {
                                let on = event_target_checked(&e);
                                let key = key.clone();
                                change(Box::new(move |rule| { rule.notify.insert(key, on); Ok(()) }));
                            } />
                            {name}
                        </label>
                    }
                }).collect_view()}
            </div>
            <button type="button" data-testid="remove-rule" on:click=remove>{t!(i18n, service.remove_rule)}</button>
        </fieldset>
    }
}
