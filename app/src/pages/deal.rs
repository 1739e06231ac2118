//! One deal: its title, amount and expected close; where it stands (move it, win it, lose it with a
//! reason); who it is with; and every stage it went through, when and by whom.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use rapport_core::ids::{DealId, MemberId};
use rapport_core::model::{Deal, DealStatus, Destination, Money};

use super::Page;
use crate::edits::move_deal;
use crate::local;
use crate::state::{RecordRoute, WorkspaceCtx};
use crate::widgets::{self, MemberChoice};

#[component]
pub(crate) fn DealPage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, deal.bad_link).to_owned();
    let route = RecordRoute::<Deal>::new(t_string!(i18n, deal.no_such), bad_link);
    let RecordRoute { id, record: deal, failure, .. } = route;
    view! {
        // The deal's title is the page's title, as a record's name is on its page.
        <Page key="deal" title=move || deal.with(|d| d.as_ref().map(|d: &Deal| d.title.clone())).unwrap_or_else(|| t_string!(i18n, deals.deal).to_owned())>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="deal-error">{error}</p> })}
            <Show
                when=move || deal.with(Option::is_some)
                fallback=move || failure.get().is_none().then(|| view! { <p class="hint">{t!(i18n, deal.opening)}</p> })
            >
                {move || id.get_untracked().map(|id| view! {
                    <DealForm id deal />
                    <DealStanding id deal />
                    <widgets::Files owner=widgets::FileOwner::Deal(id) files=Signal::derive(move || deal.with(|d| d.as_ref().map(|d| d.files.clone()).unwrap_or_default())) />
                    <StageHistory deal />
                })}
            </Show>
        </Page>
    }
}

/// Title, amount and expected close, saved together.
#[component]
fn DealForm(id: DealId, deal: Memo<Option<Deal>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let values = move |deal: &Deal| {
        (
            deal.title.clone(),
            deal.amount.to_plain(),
            deal.expected_close.map(widgets::date_input_value).unwrap_or_default(),
        )
    };
    let initial = deal.with_untracked(|d| d.as_ref().map(values)).unwrap_or_default();
    let title = RwSignal::new(initial.0);
    let amount = RwSignal::new(initial.1);
    let close = RwSignal::new(initial.2);
    let currency =
        move || deal.with(|d| d.as_ref().map(|d| d.amount.currency.clone()).unwrap_or_default());
    // A colleague's change shows at once, except in a field this user has changed.
    Effect::new(move |before: Option<(String, String, String)>| {
        let now = deal.with(|d| d.as_ref().map(values)).unwrap_or_default();
        if let Some(before) = before {
            for (field, old, new) in [
                (title, &before.0, &now.0),
                (amount, &before.1, &now.1),
                (close, &before.2, &now.2),
            ] {
                if field.get_untracked() == *old && old != new {
                    field.set(new.clone());
                }
            }
        }
        now
    });
    let dirty = Signal::derive(move || {
        deal.with(|d| d.as_ref().map(values)).is_some_and(|s| {
            title.with(|t| t.trim() != s.0)
                || amount.with(|a| a.trim() != s.1)
                || close.with(|c| *c != s.2)
        })
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let saving =
        widgets::Save::new(move |(new_title, money, expected_close): (String, Money, _)| {
            async move {
                let Some(shared) = ctx.shared() else { return };
                let plain = money.to_plain();
                let now = local::now();
                let result = local::update::<Deal>(&shared, id, move |deal| {
                    deal.title = new_title;
                    // Kept with what they were: the forecast as it stood reads them.
                    deal.set_terms(money, expected_close, now);
                })
                .await;
                if ctx.settle(result, error) {
                    // The amount as stored ("15 000" becomes "15000.00").
                    amount.set(plain);
                }
            }
        });
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let new_title = title.get_untracked().trim().to_owned();
        if new_title.is_empty() {
            error.set(Some(t_string!(i18n, deal.title_needed).into()));
            return;
        }
        let money = match Money::parse(&amount.get_untracked(), &currency()) {
            Ok(money) => money,
            Err(why) => {
                error.set(Some(crate::widgets::amount_refused(&why)));
                return;
            }
        };
        let expected_close = widgets::parse_date_input(&close.get_untracked());
        saving.submit((new_title, money, expected_close));
    };
    let read_only = move || !account.can_edit();
    view! {
        <form class="record-form" on:submit=save data-testid="deal-form">
            <label>
                {t!(i18n, deal.title)}
                <input type="text" data-testid="deal-title" readonly=read_only prop:value=move || title.get()
                    on:input=move |e| title.set(event_target_value(&e)) />
            </label>
            <label>
                {move || t_string!(i18n, deal.amount, currency = currency()).to_string()}
                <input type="text" inputmode="decimal" data-testid="deal-amount-field" readonly=read_only
                    prop:value=move || amount.get() on:input=move |e| amount.set(event_target_value(&e)) />
            </label>
            <label>
                {t!(i18n, deal.expected_close)}
                <input type="date" data-testid="deal-close" readonly=read_only prop:value=move || close.get()
                    on:input=move |e| close.set(event_target_value(&e)) />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="deal-form-error">{e}</p> })}
            <Show when=move || !read_only()>
                <button type="submit" data-testid="save-deal" disabled=move || saving.pending()>
                    {move || if saving.pending() { t_string!(i18n, deal.saving) } else { t_string!(i18n, deal.save) }}
                </button>
            </Show>
        </form>
    }
}

/// Where the deal stands and the control to move it; who it is with.
#[component]
fn DealStanding(id: DealId, deal: Memo<Option<Deal>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let stages = move || {
        let pipeline = deal.with(|d| d.as_ref().map(|d| d.pipeline))?;
        ctx.read(|ws| {
            ws.settings
                .pipelines
                .get(&pipeline.to_string())
                .map(|p| p.stages.iter().map(|s| (s.id, s.name.clone())).collect::<Vec<_>>())
        })
        .flatten()
    };
    let standing = move || {
        let (status, stage) = deal.with(|d| d.as_ref().map(|d| (d.status, d.stage)))?;
        let stage_name = stages()
            .and_then(|stages| stages.into_iter().find(|(s, _)| *s == stage).map(|(_, name)| name))
            .unwrap_or_else(|| t_string!(i18n, deal.gone_stage).into());
        Some(match status {
            DealStatus::Open => t_string!(i18n, deal.open, stage = stage_name).to_string(),
            DealStatus::Won => t_string!(i18n, deal.won).to_owned(),
            DealStatus::Lost => t_string!(i18n, deal.lost).to_owned(),
        })
    };
    let parties = move || {
        let ids = deal.with(|d| d.as_ref().map(|d| d.parties.clone())).unwrap_or_default();
        ctx.read(|ws| {
            ids.iter()
                .filter_map(|id| ws.model.parties.get(id).map(|p| (*id, p.name.clone())))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    let owner = Signal::derive(move || deal.with(|d| d.as_ref().and_then(|d| d.owner)));
    // Whose deal it is: the forecast by owner counts it for them.
    let reassign = Callback::new(move |to: Option<MemberId>| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            if let Err(error) =
                local::update::<Deal>(&shared, id, move |deal| deal.owner = to).await
            {
                ctx.report(&error);
            }
        });
    });
    let choose = move |e: leptos::ev::Event| {
        let Some(to) = Destination::from_key(&event_target_value(&e)) else { return };
        let me = ctx.read(|ws| ws.me).flatten();
        spawn_local(async move {
            if let Err(error) = move_deal(ctx, id, to, me).await {
                ctx.report(&error);
            }
        });
    };
    let current = move || deal.with(|d| d.as_ref().map(Deal::destination));
    let lost = move || deal.with(|d| d.as_ref().is_some_and(|d| d.status == DealStatus::Lost));
    let reason = Memo::new(move |_| {
        deal.with(|d| d.as_ref().map(|d| d.lost_reason.clone())).unwrap_or_default()
    });
    let give_reason = Callback::new(move |text: String| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let reason = text.trim().to_owned();
            if let Err(error) =
                local::update::<Deal>(&shared, id, move |deal| deal.lost_reason = reason).await
            {
                ctx.report(&error);
            }
        });
    });
    // The reasons the workspace already gave, then the usual ones: the dashboard groups by the text.
    let reasons = Signal::derive(move || {
        let mut given: Vec<String> = ctx
            .read_of(rapport_core::read_model::Changed::DEALS, |ws| {
                ws.model
                    .deals
                    .values()
                    .map(|d| d.lost_reason.clone())
                    .filter(|r| !r.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        given.sort();
        given.dedup();
        for usual in [
            t_string!(i18n, deal.reason_price),
            t_string!(i18n, deal.reason_timing),
            t_string!(i18n, deal.reason_competitor),
            t_string!(i18n, deal.reason_no_decision),
        ] {
            if !given.iter().any(|g| g == usual) {
                given.push(usual.to_owned());
            }
        }
        given
    });
    view! {
        <section class="panel" data-testid="deal-standing">
            <h2>{t!(i18n, deal.standing)}</h2>
            <p data-testid="deal-status">{standing}</p>
            <Show when=lost>
                <widgets::SavedText stored=reason save=give_reason testid="lost-reason" label=move || t_string!(i18n, deal.lost_reason) suggestions=reasons />
            </Show>
            <Show when=move || account.can_edit()>
                <label class="actions">
                    {t!(i18n, deal.move_to)}
                    <select data-testid="deal-page-move" on:change=choose>
                        {move || {
                            let current = current();
                            stages().unwrap_or_default().into_iter().map(|(stage, name)| destination_option(Destination::Stage(stage), name, current))
                                .chain([destination_option(Destination::Won, t_string!(i18n, deal.won).into(), current), destination_option(Destination::Lost, t_string!(i18n, deal.lost).into(), current)])
                                .collect_view()
                        }}
                    </select>
                </label>
                <label class="actions">
                    {t!(i18n, deal.owner)}
                    <MemberChoice
                        testid="deal-owner"
                        current=owner
                        nobody=Signal::derive(move || t_string!(i18n, deal.nobody).to_owned())
                        choose=reassign
                    />
                </label>
            </Show>
            <p>
                {move || parties().into_iter().map(|(party, name)| view! {
                    <a class="action" href=format!("/parties/{party}") data-testid="deal-party">{name}</a>" "
                }).collect_view()}
            </p>
        </section>
    }
}

fn destination_option(
    to: Destination,
    label: String,
    current: Option<Destination>,
) -> impl IntoView {
    view! { <option value=to.key() selected=current == Some(to)>{label}</option> }
}

/// Every stage the deal went through, newest first.
#[component]
fn StageHistory(deal: Memo<Option<Deal>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let rows = move || {
        let Some(deal) = deal.get() else { return Vec::new() };
        ctx.read(|ws| {
            let pipeline = ws.settings.pipelines.get(&deal.pipeline.to_string());
            deal.stage_history
                .iter()
                .rev()
                .map(|change| {
                    let stage = pipeline
                        .and_then(|p| p.stages.iter().find(|s| s.id == change.stage))
                        .map_or_else(
                            || t_string!(i18n, deal.removed_stage).to_owned(),
                            |s| s.name.clone(),
                        );
                    let by = change
                        .by
                        .and_then(|m| ws.settings.members.get(&m.to_string()))
                        .map(|m| format!(" · {}", m.display_name))
                        .unwrap_or_default();
                    (stage, format!("{}{by}", super::local_date_time(change.at)))
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    view! {
        <section class="panel" data-testid="stage-history">
            <h2>{t!(i18n, deal.history)}</h2>
            <ul class="rows">
                {move || rows().into_iter().map(|(stage, when)| view! {
                    <li class="row" data-testid="stage-change">
                        <span class="row-title">{stage}</span>
                        <span class="row-detail">{when}</span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}
