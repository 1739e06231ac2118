//! One automation rule: what sets it off (its trigger), whom it is for (a segment or list), what it
//! does (its actions, in order), switched on and off; tested against a chosen record before it is
//! on; and its run log.
//!
//! Each control saves into its own field as it changes, so two people editing keep both. What sets
//! it off cannot change while it is on: the records that met the trigger when it was switched on are
//! written down with it (`rapport_core::automation`), and another trigger would need others.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::automation::{
    self, ActionKind, AutomationRow, Automations, Effect, Preview, Subject, Trigger,
};
use rapport_core::campaigns::Sending;
use rapport_core::ids::{AutomationId, MemberId, PartyId};
use rapport_core::model::{Asked, Automation, AutomationAction, FieldKind};
use rapport_core::read_model::Changed;

use super::Page;
use super::marketing::{audience_now, with_audience};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets;

/// How many runs the log shows, latest first.
const SHOWN: usize = 50;

type Change = Box<dyn FnOnce(&mut Automation) + Send>;

fn write(ctx: WorkspaceCtx, id: AutomationId, change: Change, error: RwSignal<Option<String>>) {
    spawn_local(async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let result = local::update::<Automation>(&shared, id, change).await;
        ctx.settle(result, error);
    });
}

fn trigger_name(trigger: Trigger) -> &'static str {
    let i18n = use_i18n();
    match trigger {
        Trigger::Created => t_string!(i18n, automations.when_created),
        Trigger::Field => t_string!(i18n, automations.when_field),
        Trigger::Tag => t_string!(i18n, automations.when_tag),
        Trigger::Stage => t_string!(i18n, automations.when_stage),
        Trigger::Date => t_string!(i18n, automations.when_date),
        Trigger::Score => t_string!(i18n, automations.when_score),
        Trigger::Manual => t_string!(i18n, automations.when_manual),
    }
}

fn action_name(kind: ActionKind) -> &'static str {
    let i18n = use_i18n();
    match kind {
        ActionKind::Field => t_string!(i18n, automations.do_field),
        ActionKind::Tag => t_string!(i18n, automations.do_tag),
        ActionKind::Task => t_string!(i18n, automations.do_task),
        ActionKind::Owner => t_string!(i18n, automations.do_owner),
        ActionKind::Stage => t_string!(i18n, automations.do_stage),
        ActionKind::Email => t_string!(i18n, automations.do_email),
        ActionKind::Notify => t_string!(i18n, automations.do_notify),
        ActionKind::Sequence => t_string!(i18n, automations.do_sequence),
    }
}

/// A run log's entry, in words: what an action did, or why it did nothing.
fn done_text(entry: &str) -> String {
    let i18n = use_i18n();
    match ActionKind::from_key(entry) {
        Some(ActionKind::Field) => t_string!(i18n, automations.done_field).to_owned(),
        Some(ActionKind::Tag) => t_string!(i18n, automations.done_tag).to_owned(),
        Some(ActionKind::Task) => t_string!(i18n, automations.done_task).to_owned(),
        Some(ActionKind::Owner) => t_string!(i18n, automations.done_owner).to_owned(),
        Some(ActionKind::Stage) => t_string!(i18n, automations.done_stage).to_owned(),
        Some(ActionKind::Email) => t_string!(i18n, automations.done_email).to_owned(),
        Some(ActionKind::Notify) => t_string!(i18n, automations.done_notify).to_owned(),
        Some(ActionKind::Sequence) => t_string!(i18n, automations.done_sequence).to_owned(),
        None => did_text(entry),
    }
}

/// A test's entry, in words: what an action would do, or why it would do nothing.
fn did_text(entry: &str) -> String {
    let i18n = use_i18n();
    let Some(why) = entry.strip_prefix("skip:") else {
        return ActionKind::from_key(entry)
            .map_or_else(|| entry.to_owned(), |k| action_name(k).to_owned());
    };
    let (code, detail) = why.split_once(':').unwrap_or((why, ""));
    let words = match code {
        "no_party" => t_string!(i18n, automations.skip_no_party),
        "not_a_deal" => t_string!(i18n, automations.skip_not_a_deal),
        "unset" => t_string!(i18n, automations.skip_unset),
        "bad_value" => t_string!(i18n, automations.skip_bad_value),
        "deal_closed" => t_string!(i18n, automations.skip_deal_closed),
        "no_address" => t_string!(i18n, automations.skip_no_address),
        "no_consent" => t_string!(i18n, automations.skip_no_consent),
        "unfilled" => t_string!(i18n, automations.skip_unfilled),
        "enrolled" => t_string!(i18n, automations.skip_enrolled),
        _ => t_string!(i18n, automations.skip_unknown),
    };
    if detail.is_empty() { words.to_owned() } else { format!("{words}: {detail}") }
}

#[component]
pub(crate) fn AutomationPage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|id| id.parse::<AutomationId>().ok()))
    });
    let row = Memo::new(move |_| {
        let id = id.get()?;
        ctx.read_of(Changed::MARKETING, |ws| ws.model.automations.get(&id).cloned()).flatten()
    });
    let exists = Memo::new(move |_| row.with(Option::is_some));
    let title = move || {
        row.with(|r| r.as_ref().map(|r| r.name.clone()))
            .unwrap_or_else(|| t_string!(i18n, automations.rule).to_owned())
    };
    view! {
        <Page key="automation" title>
            <p class="hint"><a href="/marketing" data-testid="back-to-marketing">{t!(i18n, marketing.title)}</a></p>
            // Mounted afresh for each rule, and only then: a run written leaves what is typed alone.
            {move || id.get().filter(|_| exists.get()).map(|id| view! { <AutomationBody id row /> })}
            <Show when=move || ctx.status.get() != crate::state::Status::Opening && row.with(Option::is_none)>
                <p class="hint" data-testid="automation-missing">{t!(i18n, automations.no_such)}</p>
            </Show>
        </Page>
    }
}

#[component]
fn AutomationBody(id: AutomationId, row: Memo<Option<AutomationRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = leptos_router::hooks::use_navigate();
    let error = RwSignal::new(None::<String>);
    let archive = Callback::new(move |()| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result =
                local::update::<Automation>(&shared, id, |a: &mut Automation| a.archived = true)
                    .await;
            if ctx.settle(result, error) {
                navigate("/marketing", Default::default());
            }
        });
    });
    view! {
        <div class="record-layout">
            <div class="record-main">
                <When id row />
                <Actions id row />
            </div>
            <div class="record-activity">
                <Switch id row />
                <TryIt id row />
                <RunLog row />
                <widgets::ArchivePanel testid="archive-automation" error on_archive=archive
                    title=move || t_string!(i18n, automations.archive) hint=move || t_string!(i18n, automations.archive_hint) />
            </div>
        </div>
    }
}

/// Its name, and switching it on (with who meets its trigger now, so they do not set it off) and off.
#[component]
fn Switch(id: AutomationId, row: Memo<Option<AutomationRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let scores = use_context::<crate::lead_scores::LeadScores>();
    let error = RwSignal::new(None::<String>);
    let name =
        Memo::new(move |_| row.with(|r| r.as_ref().map(|r| r.name.clone())).unwrap_or_default());
    let on = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.on_since.is_some())));
    // Switched on only once it says what sets it off and does something.
    let ready = Memo::new(move |_| {
        row.with(|r| r.as_ref().is_some_and(|r| r.trigger.is_some() && !r.actions.is_empty()))
    });
    let rename = Callback::new(move |typed: String| {
        let typed = typed.trim().to_owned();
        if typed.is_empty() {
            return error.set(Some(t_string!(i18n, automations.name_needed).to_owned()));
        }
        error.set(None);
        write(ctx, id, Box::new(move |a| a.name = typed), error);
    });
    let toggle = move |_| {
        if on.get_untracked() {
            return write(ctx, id, Box::new(|a| a.on_since = None), error);
        }
        let now = local::now();
        let scores = scores.and_then(|s| s.current_untracked());
        let by_score =
            row.with_untracked(|r| r.as_ref().is_some_and(|r| r.trigger == Some(Trigger::Score)));
        // Who meets it now is written down with it: read from all the records, or not switched on.
        if by_score && scores.is_none() {
            return error.set(Some(t_string!(i18n, automations.scores_pending).to_owned()));
        }
        if crate::health::pending_for_segments(ctx) {
            return error.set(Some(t_string!(i18n, marketing.health_pending).to_owned()));
        }
        let baseline = audience_now(ctx, outbox, |audience, ws| {
            if ws.model.interactions_pending {
                return None;
            }
            let rule = ws.model.automations.get(&id)?;
            let automations = Automations::new(
                ws.workspace,
                &ws.model,
                &ws.settings,
                audience,
                scores.as_deref(),
            );
            Some(automations.baseline(rule, now))
        })
        .flatten();
        let Some(baseline) = baseline else {
            return error.set(Some(t_string!(i18n, automations.not_ready).to_owned()));
        };
        error.set(None);
        write(
            ctx,
            id,
            // The baseline of this trigger only: one taken for another trigger means nothing now.
            Box::new(move |a| {
                a.on_since = Some(now);
                a.baseline = baseline.into_iter().map(|key| (key, now)).collect();
            }),
            error,
        );
    };
    view! {
        <section class="panel record-form" data-testid="automation-switch" data-on=move || on.get().to_string()>
            <h2>{t!(i18n, automations.rule)}</h2>
            <widgets::SavedText stored=name save=rename testid="automation-name" label=move || t_string!(i18n, marketing.name) />
            <p class=move || if on.get() { "notice" } else { "hint" } role="status" data-testid="automation-state">
                {move || if on.get() { t_string!(i18n, automations.is_on) } else { t_string!(i18n, automations.is_off) }}
            </p>
            <Show when=move || account.can_edit()>
                <Show when=move || !on.get() && !ready.get()>
                    <p class="hint" data-testid="automation-not-ready">{t!(i18n, automations.set_up_first)}</p>
                </Show>
                <button type="button" data-testid="automation-toggle" disabled=move || !on.get() && !ready.get() on:click=toggle>
                    {move || if on.get() { t_string!(i18n, automations.switch_off) } else { t_string!(i18n, automations.switch_on) }}
                </button>
            </Show>
            <p class="hint">{t!(i18n, automations.once_hint)}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// The custom fields of people of `kind` (all kinds when none), by label: `(key, label)`.
fn party_fields(ctx: WorkspaceCtx, kind: Option<FieldKind>) -> Memo<Vec<(String, String)>> {
    Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            ws.settings
                .party_fields()
                .filter(|(_, def)| kind.is_none_or(|k| def.kind == k))
                .map(|(key, def)| (key.clone(), def.label.clone()))
                .collect()
        })
        .unwrap_or_default()
    })
}

/// Every stage of every pipeline: `(stage id, "Pipeline — Stage")`.
fn all_stages(ctx: WorkspaceCtx) -> Memo<Vec<(String, String)>> {
    Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            let mut pipelines: Vec<_> = ws.settings.pipelines.values().collect();
            pipelines.sort_by(|a, b| a.name.cmp(&b.name));
            pipelines
                .into_iter()
                .flat_map(|p| {
                    p.stages
                        .iter()
                        .map(move |s| (s.id.to_string(), format!("{} — {}", p.name, s.name)))
                })
                .collect()
        })
        .unwrap_or_default()
    })
}

/// A select of `(value, label)` choices with "choose…" first, saving the choice.
#[component]
fn Pick(
    testid: &'static str,
    #[prop(into)] label: Signal<String>,
    choices: Memo<Vec<(String, String)>>,
    chosen: Memo<String>,
    #[prop(into)] disabled: Signal<bool>,
    save: Callback<String>,
    /// Nothing chosen means everyone (rather than "choose…").
    #[prop(optional)]
    everyone: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label>
            {move || label.get()}
            <select data-testid=testid disabled=move || disabled.get() prop:value=move || chosen.get()
                on:change=move |e| save.run(event_target_value(&e))>
                <option value="">
                    {move || if everyone { t_string!(i18n, automations.everyone) } else { t_string!(i18n, automations.choose) }}
                </option>
                {move || choices.get().into_iter().map(|(value, label)| {
                    let here = value.clone();
                    view! { <option value=value selected=move || chosen.get() == here>{label}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// A whole number typed and saved when left; a text that is not one puts the stored value back and
/// says so.
#[component]
fn Number(
    testid: &'static str,
    #[prop(into)] label: Signal<String>,
    stored: Memo<i64>,
    min: i64,
    max: i64,
    #[prop(into)] disabled: Signal<bool>,
    save: Callback<i64>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let set = move |e: leptos::ev::Event| {
        let field = event_target::<web_sys::HtmlInputElement>(&e);
        let typed = field.value();
        match typed.trim().parse::<i64>() {
            Ok(n) => {
                let n = n.clamp(min, max);
                field.set_value(&n.to_string());
                error.set(None);
                save.run(n);
            }
            Err(_) => {
                field.set_value(&stored.get_untracked().to_string());
                let why = t_string!(i18n, automations.number_invalid, text = typed.clone());
                error.set(Some(why.to_string()));
            }
        }
    };
    view! {
        <label class="inline">
            {move || label.get()}
            <input type="number" min=min max=max step="1" data-testid=testid
                disabled=move || disabled.get() prop:value=move || stored.get().to_string() on:change=set />
        </label>
    }
}

/// What sets it off, and whom it is for. Locked while it is on (see the module's notes).
#[component]
fn When(id: AutomationId, row: Memo<Option<AutomationRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let on = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.on_since.is_some())));
    let locked = Signal::derive(move || on.get() || !account.can_edit());
    let trigger = Memo::new(move |_| row.with(|r| r.as_ref().and_then(|r| r.trigger)));
    let text = move |read: fn(&AutomationRow) -> String| {
        Memo::new(move |_| row.with(|r| r.as_ref().map(read)).unwrap_or_default())
    };
    let field = text(|r| r.field.clone());
    let value = text(|r| r.value.clone());
    let stage = text(|r| r.stage.map(|s| s.to_string()).unwrap_or_default());
    let segment = text(|r| r.segment.map(|s| s.to_string()).unwrap_or_default());
    let days = Memo::new(move |_| row.with(|r| r.as_ref().map_or(0, |r| r.days)));
    let points = Memo::new(move |_| row.with(|r| r.as_ref().map_or(0, |r| r.points)));
    let save = move |change: fn(&mut Automation, String)| {
        Callback::new(move |typed: String| {
            write(ctx, id, Box::new(move |a| change(a, typed.trim().to_owned())), error)
        })
    };
    let fields = party_fields(ctx, None);
    let date_fields = Memo::new(move |_| {
        let mut dates: Vec<(String, String)> = party_fields(ctx, Some(FieldKind::Date)).get();
        dates.push((
            "expected_close".into(),
            t_string!(i18n, automations.expected_close).to_owned(),
        ));
        dates
    });
    let stages = all_stages(ctx);
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
    let trigger_key = move || trigger.get().map_or("", Trigger::key);
    view! {
        <section class="panel record-form" data-testid="automation-when" data-trigger=trigger_key>
            <h2>{t!(i18n, automations.when)}</h2>
            <Show when=move || on.get()>
                <p class="hint" data-testid="automation-locked">{t!(i18n, automations.locked_hint)}</p>
            </Show>
            <label>
                {t!(i18n, automations.trigger)}
                <select data-testid="automation-trigger" disabled=move || locked.get() prop:value=trigger_key
                    on:change=move |e| {
                        let chosen = event_target_value(&e);
                        write(ctx, id, Box::new(move |a| a.trigger = chosen), error);
                    }>
                    <option value="" selected=move || trigger.get().is_none()>{t!(i18n, automations.choose)}</option>
                    {Trigger::ALL.into_iter().map(|k| view! { <option value=k.key() selected=move || trigger.get() == Some(k)>{move || trigger_name(k)}</option> }).collect_view()}
                </select>
            </label>
            {move || match trigger.get() {
                Some(Trigger::Field) => view! {
                    <div class="field-row wrapping">
                        <Pick testid="automation-field" label=Signal::derive(move || t_string!(i18n, automations.field).to_owned()) choices=fields chosen=field disabled=locked
                            save=save(|a, v| a.field = v) />
                        <widgets::SavedText stored=value save=save(|a, v| a.value = v) locked testid="automation-value" label=move || t_string!(i18n, automations.becomes) />
                    </div>
                }.into_any(),
                Some(Trigger::Tag) => view! {
                    <widgets::SavedText stored=value save=save(|a, v| a.value = v) locked testid="automation-value" label=move || t_string!(i18n, automations.tag) />
                }.into_any(),
                Some(Trigger::Stage) => view! {
                    <Pick testid="automation-stage" label=Signal::derive(move || t_string!(i18n, automations.stage).to_owned()) choices=stages chosen=stage disabled=locked
                        save=save(|a, v| a.stage = v) />
                }.into_any(),
                Some(Trigger::Date) => view! {
                    <div class="field-row wrapping">
                        <Pick testid="automation-field" label=Signal::derive(move || t_string!(i18n, automations.date).to_owned()) choices=date_fields chosen=field disabled=locked
                            save=save(|a, v| a.field = v) />
                        <Number testid="automation-days" label=Signal::derive(move || t_string!(i18n, automations.days_after).to_owned()) stored=days
                            min=-automation::MOST_DAYS max=automation::MOST_DAYS disabled=locked error
                            save=Callback::new(move |n| write(ctx, id, Box::new(move |a| a.days = n), error)) />
                    </div>
                    <p class="hint">{t!(i18n, automations.date_hint)}</p>
                }.into_any(),
                Some(Trigger::Score) => view! {
                    <Number testid="automation-points" label=Signal::derive(move || t_string!(i18n, automations.points).to_owned()) stored=points
                        min=-1_000_000 max=1_000_000 disabled=locked error
                        save=Callback::new(move |n| write(ctx, id, Box::new(move |a| a.points = n), error)) />
                }.into_any(),
                Some(Trigger::Created) => view! { <p class="hint">{t!(i18n, automations.created_hint)}</p> }.into_any(),
                Some(Trigger::Manual) => view! { <p class="hint">{t!(i18n, automations.manual_hint)}</p> }.into_any(),
                None => view! { <p class="hint">{t!(i18n, automations.trigger_hint)}</p> }.into_any(),
            }}
            <Pick testid="automation-segment" everyone=true label=Signal::derive(move || t_string!(i18n, automations.only_for).to_owned()) choices=segments chosen=segment
                disabled=Signal::derive(move || !account.can_edit())
                save=Callback::new(move |v: String| write(ctx, id, Box::new(move |a| a.segment = (!v.is_empty()).then_some(v)), error)) />
            <p class="hint">{t!(i18n, automations.only_for_hint)}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// The actions in order, each edited in place; and a new one at the end.
#[component]
fn Actions(id: AutomationId, row: Memo<Option<AutomationRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let order = Memo::new(move |_| {
        row.with(|r| r.as_ref().map(|r| r.actions.iter().map(|a| a.id.clone()).collect::<Vec<_>>()))
            .unwrap_or_default()
    });
    // What it does cannot change while it is on: an action half written would be done, for good.
    let locked = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.on_since.is_some())));
    let add = move |_| {
        let action_id = rapport_core::ids::RuleId::generate(&mut local::BrowserIds).to_string();
        write(
            ctx,
            id,
            Box::new(move |a| {
                let position = a.actions.values().map(|x| x.position + 1).max().unwrap_or(0);
                let action =
                    AutomationAction { position, kind: "task".into(), ..Default::default() };
                a.actions.insert(action_id, action);
            }),
            error,
        );
    };
    view! {
        <section class="panel" data-testid="automation-actions" data-count=move || order.with(Vec::len)>
            <h2>{t!(i18n, automations.then)}</h2>
            <Show when=move || order.with(Vec::is_empty)>
                <p class="hint" data-testid="automation-no-actions">{t!(i18n, automations.no_actions)}</p>
            </Show>
            <ol class="conditions sequence-steps">
                <For each=move || order.get() key=|id| id.clone() let:action>
                    <ActionEditor id action row order error locked />
                </For>
            </ol>
            <Show when=move || locked.get()>
                <p class="hint" data-testid="automation-actions-locked">{t!(i18n, automations.locked_hint)}</p>
            </Show>
            <Show when=move || account.can_edit() && !locked.get()>
                <button type="button" data-testid="add-action" on:click=add>{t!(i18n, automations.add_action)}</button>
            </Show>
            <p class="hint">
                {t!(i18n, mail.fields)} " "
                {rapport_core::template::PARTY_FIELDS.map(|f| format!("{{{{{f}}}}}")).join(" ")}
            </p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn ActionEditor(
    id: AutomationId,
    action: String,
    row: Memo<Option<AutomationRow>>,
    order: Memo<Vec<String>>,
    error: RwSignal<Option<String>>,
    locked: Memo<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let key = StoredValue::new(action);
    let index =
        Memo::new(move |_| key.with_value(|k| order.with(|o| o.iter().position(|a| a == k))));
    let stored = Memo::new(move |_| {
        row.with(|r| {
            let row = r.as_ref()?;
            key.with_value(|k| row.actions.iter().find(|a| &a.id == k).cloned())
        })
    });
    let kind = Memo::new(move |_| stored.with(|a| a.as_ref().and_then(|a| a.kind)));
    let change = move |change: Box<dyn FnOnce(&mut AutomationAction) + Send>| {
        let action = key.get_value();
        write(
            ctx,
            id,
            Box::new(move |a| {
                if let Some(action) = a.actions.get_mut(&action) {
                    change(action);
                }
            }),
            error,
        );
    };
    let text = move |read: fn(&automation::ActionRow) -> String| {
        Memo::new(move |_| stored.with(|a| a.as_ref().map(read)).unwrap_or_default())
    };
    let field = text(|a| a.field.clone());
    let value = text(|a| a.value.clone());
    let subject = text(|a| a.subject.clone());
    let body = text(|a| a.body.clone());
    let days = Memo::new(move |_| stored.with(|a| a.as_ref().map_or(0, |a| i64::from(a.days))));
    let saver = move |put: fn(&mut AutomationAction, String)| {
        Callback::new(move |typed: String| change(Box::new(move |a| put(a, typed))))
    };
    let members = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            let mut members: Vec<(MemberId, String)> = ws
                .settings
                .members
                .iter()
                .filter_map(|(id, m)| Some((id.parse().ok()?, m.display_name.clone())))
                .collect();
            members.sort_by(|a, b| a.1.cmp(&b.1));
            members
        })
        .unwrap_or_default()
    });
    let chosen = Memo::new(move |_| {
        stored.with(|a| a.as_ref().map(|a| a.members.clone())).unwrap_or_default()
    });
    let toggle_member = move |member: MemberId, on: bool| {
        change(Box::new(move |a| {
            if on {
                a.members.insert(member.to_string(), true);
            } else {
                a.members.remove(&member.to_string());
            }
        }))
    };
    let fields = party_fields(ctx, None);
    let stages = all_stages(ctx);
    let sequences = Memo::new(move |_| {
        ctx.read_of(Changed::MARKETING, |ws| {
            let mut all: Vec<(String, String)> = (ws.model.sequences.values())
                .filter(|s| !s.archived)
                .map(|s| (s.id.to_string(), s.name.clone()))
                .collect();
            all.sort_by_cached_key(|(_, name)| rapport_core::search::fold(name));
            all
        })
        .unwrap_or_default()
    });
    let shift = move |by: isize| {
        let ids = order.get_untracked();
        let Some(at) = index.get_untracked() else { return };
        let Some(other) = at.checked_add_signed(by).filter(|o| *o < ids.len()) else { return };
        let mut ids = ids;
        ids.swap(at, other);
        write(
            ctx,
            id,
            Box::new(move |a| {
                for (position, action) in ids.iter().enumerate() {
                    if let Some(action) = a.actions.get_mut(action) {
                        action.position = position as u32;
                    }
                }
            }),
            error,
        );
    };
    let remove = move |_| {
        let action = key.get_value();
        write(
            ctx,
            id,
            Box::new(move |a| {
                a.actions.remove(&action);
            }),
            error,
        );
    };
    let kind_key = move || kind.get().map_or("", ActionKind::key);
    let fixed = Signal::derive(move || locked.get() || !account.can_edit());
    let who = move |label: &'static str| {
        view! {
            <fieldset class="chips" data-testid="action-members">
                <legend>{label}</legend>
                {move || members.get().into_iter().map(|(member, name)| {
                    let checked = move || chosen.with(|c| c.contains(&member));
                    view! {
                        <label class="check">
                            <input type="checkbox" data-testid="action-member" prop:checked=checked disabled=move || fixed.get()
                                on:change=move |e| toggle_member(member, event_target_checked(&e)) />
                            {name}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        }
    };
    view! {
        <li class="condition sequence-step" data-testid="automation-action" data-kind=kind_key data-index=move || index.get().map(|i| i + 1)>
            <fieldset class="field-row wrapping" disabled=move || fixed.get()>
                <span class="step-number" aria-hidden="true">{move || index.get().map(|i| format!("{}.", i + 1))}</span>
                <select data-testid="action-kind" aria-label=move || t_string!(i18n, automations.action)
                    prop:value=kind_key
                    on:change=move |e| {
                        let chosen = event_target_value(&e);
                        change(Box::new(move |a| a.kind = chosen));
                    }>
                    {ActionKind::ALL.into_iter().map(|k| view! { <option value=k.key() selected=move || kind.get() == Some(k)>{move || action_name(k)}</option> }).collect_view()}
                </select>
                <span class="row-actions">
                    <button type="button" class="icon-button" data-testid="action-up" aria-label=move || t_string!(i18n, sequences.move_up)
                        disabled=move || index.get() == Some(0) on:click=move |_| shift(-1)>"↑"</button>
                    <button type="button" class="icon-button" data-testid="action-down" aria-label=move || t_string!(i18n, sequences.move_down)
                        disabled=move || index.get().map(|i| i + 1) == Some(order.with(Vec::len)) on:click=move |_| shift(1)>"↓"</button>
                    <button type="button" class="icon-button" data-testid="remove-action" aria-label=move || t_string!(i18n, automations.remove_action) on:click=remove>"×"</button>
                </span>
            </fieldset>
            <div class="record-form step-fields">
                {move || match kind.get() {
                    Some(ActionKind::Field) => view! {
                        <div class="field-row wrapping">
                            <Pick testid="action-field" label=Signal::derive(move || t_string!(i18n, automations.field).to_owned()) choices=fields chosen=field disabled=fixed
                                save=saver(|a, v| a.field = v) />
                            <widgets::SavedText locked=fixed stored=value save=saver(|a, v| a.value = v.trim().to_owned()) testid="action-value" label=move || t_string!(i18n, automations.to_value) />
                        </div>
                    }.into_any(),
                    Some(ActionKind::Tag) => view! {
                        <widgets::SavedText locked=fixed stored=value save=saver(|a, v| a.value = v.trim().to_owned()) testid="action-value" label=move || t_string!(i18n, automations.tag) />
                    }.into_any(),
                    Some(ActionKind::Task) => view! {
                        <widgets::SavedText locked=fixed stored=subject save=saver(|a, v| a.subject = v) testid="action-subject" label=move || t_string!(i18n, sequences.task_title) />
                        <Number testid="action-days" label=Signal::derive(move || t_string!(i18n, sequences.task_due).to_owned()) stored=days min=0 max=automation::MOST_DAYS
                            disabled=fixed error save=Callback::new(move |n: i64| change(Box::new(move |a| a.days = n as u32))) />
                        <p class="hint">{t!(i18n, automations.task_hint)}</p>
                    }.into_any(),
                    Some(ActionKind::Owner) => view! {
                        {who(t_string!(i18n, automations.owners_in_turn))}
                    }.into_any(),
                    Some(ActionKind::Stage) => view! {
                        <Pick testid="action-stage" label=Signal::derive(move || t_string!(i18n, automations.stage).to_owned()) choices=stages chosen=value disabled=fixed
                            save=saver(|a, v| a.value = v) />
                    }.into_any(),
                    Some(ActionKind::Email) => view! {
                        <widgets::SavedText locked=fixed stored=subject save=saver(|a, v| a.subject = v) testid="action-subject" label=move || t_string!(i18n, mail.subject) />
                        <widgets::SavedText locked=fixed stored=body save=saver(|a, v| a.body = v) testid="action-body" label=move || t_string!(i18n, mail.body) long=true />
                    }.into_any(),
                    Some(ActionKind::Notify) => view! {
                        <widgets::SavedText locked=fixed stored=subject save=saver(|a, v| a.subject = v) testid="action-subject" label=move || t_string!(i18n, automations.notify_text) />
                        {who(t_string!(i18n, automations.notify_whom))}
                    }.into_any(),
                    Some(ActionKind::Sequence) => view! {
                        <Pick testid="action-sequence" label=Signal::derive(move || t_string!(i18n, automations.sequence).to_owned()) choices=sequences chosen=value disabled=fixed
                            save=saver(|a, v| a.value = v) />
                    }.into_any(),
                    None => view! { <p class="hint">{t!(i18n, automations.unknown_action)}</p> }.into_any(),
                }}
            </div>
        </li>
    }
}

/// A test against a chosen record: whether the trigger holds for it now and it meets the condition,
/// and what each action would do — nothing is written. A rule that is on and set off by hand is run
/// on it from here too.
#[component]
fn TryIt(id: AutomationId, row: Memo<Option<AutomationRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let scores = use_context::<crate::lead_scores::LeadScores>();
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let person = RwSignal::new(None::<(PartyId, String)>);
    let preview = Memo::new(move |_| {
        let (party, _) = person.get()?;
        let rule = row.get()?;
        let scores = scores.and_then(|s| s.scores.get());
        let support = outbox.support_address.get();
        // Tracked: the record changing (tagged, say) tests it again.
        let (workspace, settings) =
            ctx.read_of(Changed::SETTINGS, |ws| (ws.workspace, ws.settings.clone()))?;
        with_audience(ctx, outbox, |audience, model| {
            let automations =
                Automations::new(workspace, model, &settings, audience, scores.as_deref());
            let how = Sending::of(&settings);
            automations.preview(&rule, Subject::Party(party), how, support.as_deref(), local::now())
        })
    });
    let manual = Memo::new(move |_| {
        row.with(|r| r.as_ref().is_some_and(|r| r.is_on() && r.trigger == Some(Trigger::Manual)))
    });
    let run_now = move |_| {
        let Some((party, name)) = person.get_untracked() else { return };
        let at = local::now();
        let by = ctx.read(|ws| ws.me).flatten();
        let key = format!("{}/{}", Subject::Party(party).key(), at.0);
        write(
            ctx,
            id,
            Box::new(move |a| {
                a.asked.entry(key).or_insert(Asked { at, by });
            }),
            error,
        );
        notice.set(Some(t_string!(i18n, automations.asked, name = name).to_string()));
    };
    let yes_no = move |yes: bool| {
        if yes { t_string!(i18n, automations.yes) } else { t_string!(i18n, automations.no) }
    };
    view! {
        <section class="panel record-form" data-testid="automation-try">
            <h2>{t!(i18n, automations.try_it)}</h2>
            <p class="hint">{t!(i18n, automations.try_hint)}</p>
            <widgets::PartyPicker chosen=person testid="try" label=move || t_string!(i18n, automations.try_on) />
            {move || preview.get().map(|p: Preview| view! {
                <dl class="facts" data-testid="automation-preview" data-triggered=p.triggered.to_string() data-condition=p.condition.to_string() data-already=p.already.to_string()>
                    <dt>{t!(i18n, automations.would_trigger)}</dt>
                    <dd data-testid="preview-trigger">{yes_no(p.triggered)}{p.already.then(|| format!(" · {}", t_string!(i18n, automations.already_ran)))}</dd>
                    <dt>{t!(i18n, automations.meets_condition)}</dt>
                    <dd data-testid="preview-condition">{yes_no(p.condition)}</dd>
                </dl>
                <ol class="rows" data-testid="preview-effects">
                    {p.effects.iter().map(|(kind, effect)| {
                        let entry = effect.log(*kind);
                        let detail = effect_detail(effect);
                        view! { <li class="row" data-testid="preview-effect" data-did=entry.clone()>
                            <span class="row-title">{did_text(&entry)}</span>
                            <span class="row-detail">{detail}</span>
                        </li> }
                    }).collect_view()}
                </ol>
            })}
            <Show when=move || manual.get() && account.can_edit()>
                <button type="button" data-testid="automation-run" disabled=move || person.with(Option::is_none) on:click=run_now>
                    {t!(i18n, automations.run_on)}
                </button>
            </Show>
            {move || notice.get().map(|n| view! { <p class="notice" role="status" data-testid="automation-notice">{n}</p> })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// What an effect would write, in the record's own words.
fn effect_detail(effect: &Effect) -> String {
    match effect {
        Effect::SetField { field, value, .. } => match value {
            Some(value) => format!("{field} = {}", value.as_input()),
            None => field.clone(),
        },
        Effect::AddTag { tag, .. } => tag.clone(),
        Effect::Task { record, .. } => record.title.clone(),
        Effect::Email { record, .. } => record.summary.clone(),
        Effect::Notify { work, .. } => match work.as_ref() {
            rapport_core::outbox::Work::Notify(n) => format!("{} — {}", n.title, n.body),
            _ => String::new(),
        },
        Effect::Owner { .. } | Effect::Stage { .. } | Effect::Enrol { .. } | Effect::Skip(_) => {
            String::new()
        }
    }
}

/// The latest runs: when, for which record, and what each action did.
#[component]
fn RunLog(row: Memo<Option<AutomationRow>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let runs = Memo::new(move |_| {
        let mut runs: Vec<(String, rapport_core::model::AutomationRun)> = row
            .with(|r| {
                r.as_ref().map(|r| r.runs.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            })
            .unwrap_or_default();
        runs.sort_by(|a, b| b.1.at.cmp(&a.1.at).then_with(|| a.0.cmp(&b.0)));
        let total = runs.len();
        runs.truncate(SHOWN);
        (total, runs)
    });
    let name_of = move |subject: &str| -> (String, String) {
        let Some(subject) = Subject::from_key(subject) else {
            return (String::new(), subject.to_owned());
        };
        let name = ctx
            .read(|ws| match subject {
                Subject::Party(id) => ws.model.parties.get(&id).map(|p| p.name.clone()),
                Subject::Deal(id) => ws.model.deals.get(&id).map(|d| d.title.clone()),
            })
            .flatten()
            .unwrap_or_else(|| t_string!(i18n, automations.gone).to_owned());
        (subject.path(), name)
    };
    view! {
        <section class="panel" data-testid="automation-runs" data-count=move || runs.with(|r| r.0)>
            <h2>{t!(i18n, automations.runs)}</h2>
            <Show when=move || runs.with(|r| r.0 == 0)>
                <p class="hint">{t!(i18n, automations.no_runs)}</p>
            </Show>
            <ul class="rows">
                {move || runs.get().1.into_iter().map(|(_, run)| {
                    let (path, name) = name_of(&run.subject);
                    let did = run.did.iter().map(|d| done_text(d)).collect::<Vec<_>>().join(" · ");
                    view! {
                        <li class="row" data-testid="automation-run-entry" data-name=name.clone()>
                            <a class="row-link" href=path>
                                <span class="row-title">{name.clone()}</span>
                                <span class="row-detail">{widgets::local_date_time(run.at)} " · " {did}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || runs.with(|r| r.0.checked_sub(SHOWN).filter(|n| *n > 0)).map(|more| view! {
                <p class="hint">{t_string!(i18n, automations.more, count = widgets::count(more)).to_string()}</p>
            })}
        </section>
    }
}
