//! Settings → Email: how this workspace's email leaves (the team's server, as whom, or each person's
//! mail app), who unsubscribed — with when and how, from the relay's consent log — and recording an
//! unsubscribe or a consent a person gave by other means (a call, a form at a fair), and whether
//! campaigns are tracked and their links tagged (`rapport_core::tracking`).

use leptos::prelude::*;
use leptos::task::spawn_local;

use rapport_core::read_model::Changed;

use super::service_panel::edit;
use crate::i18n::{t, t_string, use_i18n};
use crate::outbox::OutboxCtx;
use crate::relay_api;
use crate::state::WorkspaceCtx;
use crate::widgets;

#[component]
pub(crate) fn MailPanel() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let linked = move || ctx.read(|ws| ws.linked).unwrap_or(false);
    let how = move || match (linked(), outbox.relay_mail.get(), outbox.mail_from.get()) {
        (true, Some(true), Some(from)) => {
            t_string!(i18n, mail.panel_relay, from = from.as_str()).to_string()
        }
        (true, Some(false), _) => t_string!(i18n, mail.panel_no_server).to_string(),
        (true, _, _) => t_string!(i18n, mail.panel_unknown).to_string(),
        (false, _, _) => t_string!(i18n, mail.panel_local).to_string(),
    };
    let opted_out = Memo::new(move |_| {
        outbox.outbox.with(|outbox| outbox.opt_outs().cloned().collect::<Vec<_>>())
    });
    let address = RwSignal::new(String::new());
    let source = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let record = move |opted_in: bool| {
        let Some(shared) = ctx.shared() else { return };
        let workspace = shared.borrow().replica.workspace;
        let (said_address, said_source) = (address.get_untracked(), source.get_untracked());
        if said_address.trim().is_empty() || said_source.trim().is_empty() {
            error.set(Some(t_string!(i18n, mail.record_needs).into()));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let recorded =
                relay_api::record_consent(workspace, &said_address, opted_in, &said_source).await;
            busy.set(false);
            match recorded {
                Ok(()) => {
                    error.set(None);
                    done.set(Some(t_string!(i18n, mail.recorded).into()));
                    address.set(String::new());
                    source.set(String::new());
                    outbox.refresh();
                }
                Err(failure) => {
                    done.set(None);
                    error.set(Some(failure.said()));
                }
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="mail-title" data-testid="mail-panel">
            <h2 id="mail-title">{t!(i18n, mail.panel_title)}</h2>
            <p class="hint" data-testid="mail-how">{how}</p>
            <Show when=linked>
                <Tracking />
                <h3>{t!(i18n, mail.opted_out_title)}</h3>
                {move || {
                    let list = opted_out.get();
                    if list.is_empty() {
                        return view! { <p class="hint" data-testid="nobody-opted-out">{t!(i18n, mail.none_opted_out)}</p> }.into_any();
                    }
                    view! {
                        <ul class="rows">
                            {list.into_iter().map(|event| {
                                let date = widgets::local_date(rapport_core::ids::Timestamp(event.at * 1000));
                                view! {
                                    <li class="row" data-testid="opted-out">
                                        <span class="row-title">{event.address}</span>
                                        <span class="row-detail">{format!("{date} · {}", event.source)}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <Show when=move || account.can_edit()>
                    <div class="record-form">
                        <label>
                            {t!(i18n, mail.record_address)}
                            <input type="email" data-testid="consent-address" prop:value=move || address.get()
                                on:input=move |e| address.set(event_target_value(&e)) />
                        </label>
                        <label>
                            {t!(i18n, mail.record_source)}
                            <input type="text" data-testid="consent-source" maxlength="200" prop:value=move || source.get()
                                on:input=move |e| source.set(event_target_value(&e)) />
                        </label>
                        <div class="task-actions">
                            <button type="button" data-testid="record-opt-out" disabled=move || busy.get()
                                on:click=move |_| record(false)>{t!(i18n, mail.record_out)}</button>
                            <button type="button" class="secondary" data-testid="record-opt-in" disabled=move || busy.get()
                                on:click=move |_| record(true)>{t!(i18n, mail.record_in)}</button>
                        </div>
                    </div>
                </Show>
                {move || done.get().map(|text| view! { <p class="done" role="status" data-testid="consent-recorded">{text}</p> })}
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="consent-error">{e}</p> })}
            </Show>
        </section>
    }
}

/// Whether campaigns count opens and clicks through the relay, and whether their links carry UTM
/// tags: both on unless switched off.
#[component]
fn Tracking() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let tracks = move || {
        ctx.read_of(Changed::SETTINGS, |ws| !ws.settings.no_campaign_tracking).unwrap_or(true)
    };
    let tags =
        move || ctx.read_of(Changed::SETTINGS, |ws| !ws.settings.no_utm_tags).unwrap_or(true);
    view! {
        <h3>{t!(i18n, mail.tracking_title)}</h3>
        <label class="check">
            <input type="checkbox" data-testid="campaign-tracking" prop:checked=tracks
                disabled=move || !account.can_edit()
                on:change=move |e| {
                    let on = event_target_checked(&e);
                    edit(ctx, error, move |settings| {
                        settings.no_campaign_tracking = !on;
                        Ok(())
                    });
                } />
            {t!(i18n, mail.track_on)}
        </label>
        <p class="hint">{t!(i18n, mail.track_hint)}</p>
        <label class="check">
            <input type="checkbox" data-testid="campaign-utm" prop:checked=tags
                disabled=move || !account.can_edit()
                on:change=move |e| {
                    let on = event_target_checked(&e);
                    edit(ctx, error, move |settings| {
                        settings.no_utm_tags = !on;
                        Ok(())
                    });
                } />
            {t!(i18n, mail.utm_on)}
        </label>
        <p class="hint">{t!(i18n, mail.utm_hint)}</p>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}
