//! One investor update. A draft is written here — its figures (carried over from the previous
//! update), highlights and asks, and whom it goes to — and sent: one mail per recipient through the
//! relay, each with the recipient's own read-only link (`rapport_core::investor`). Once sent, the
//! page shows the update as it went out and, for each recipient, whether they opened it and how
//! they reacted; a link can be revoked one by one, or the whole update withdrawn.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{MetricId, PartyId, RoundId, UpdateId};
use rapport_core::investor::{self, Reaction, Reader, UpdateWords};
use rapport_core::model::{Audience, InvestorUpdate, Metric};
use rapport_core::outbox::{Recipient, Work};
use rapport_core::read_model::Changed;

use super::Page;
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::publishing::PublishedCtx;
use crate::state::{RecordRoute, WorkspaceCtx};

#[component]
pub(crate) fn InvestorUpdatePage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, investor.bad_link).to_owned();
    let route =
        RecordRoute::<InvestorUpdate>::new(t_string!(i18n, investor.no_such_update), bad_link);
    let RecordRoute { id, record: update, failure, .. } = route;
    let sent = Memo::new(move |_| update.with(|u| u.as_ref().map(|u| u.sent_at.is_some())));
    view! {
        <Page key="investor-update" title=move || update.with(|u| u.as_ref().map(|u| u.title.clone())).unwrap_or_else(|| t_string!(i18n, investor.update).to_owned())>
            <p class="hint"><a href="/investors" data-testid="back-to-investors">{t!(i18n, investor.title)}</a></p>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="update-error">{error}</p> })}
            {move || match (id.get(), sent.get()) {
                (Some(id), Some(false)) => view! { <UpdateDraft id update /> }.into_any(),
                (Some(id), Some(true)) => view! { <UpdateSent id update /> }.into_any(),
                _ => failure.get().is_none().then(|| view! { <p class="hint">{t!(i18n, investor.opening)}</p> }).into_any(),
            }}
        </Page>
    }
}

/// A figure as the form edits it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DraftMetric {
    key: String,
    name: String,
    value: String,
    previous: String,
    note: String,
}

fn metrics_of(update: &InvestorUpdate) -> Vec<DraftMetric> {
    investor::metrics_in_order(update)
        .into_iter()
        .map(|(key, metric)| DraftMetric {
            key: key.clone(),
            name: metric.name.clone(),
            value: metric.value.clone(),
            previous: metric.previous.clone(),
            note: metric.note.clone(),
        })
        .collect()
}

/// The figures worth keeping: those with a name, trimmed.
fn named(metrics: &[DraftMetric]) -> Vec<DraftMetric> {
    metrics
        .iter()
        .filter(|m| !m.name.trim().is_empty())
        .map(|m| DraftMetric {
            key: m.key.clone(),
            name: m.name.trim().to_owned(),
            value: m.value.trim().to_owned(),
            previous: m.previous.trim().to_owned(),
            note: m.note.trim().to_owned(),
        })
        .collect()
}

fn audience_code(audience: &Audience) -> String {
    match audience {
        Audience::Investors => "investors".to_owned(),
        Audience::Round(round) => format!("round:{round}"),
        Audience::Tag(tag) => format!("tag:{tag}"),
    }
}

fn audience_of(code: &str) -> Audience {
    if let Some(round) = code.strip_prefix("round:").and_then(|r| r.parse::<RoundId>().ok()) {
        Audience::Round(round)
    } else if let Some(tag) = code.strip_prefix("tag:") {
        Audience::Tag(tag.to_owned())
    } else {
        Audience::Investors
    }
}

/// Who the audience names now, on this device.
fn readers(ctx: WorkspaceCtx, audience: &Audience) -> Vec<Reader> {
    ctx.read(|ws| investor::audience(audience, ws.model.parties.values(), ws.model.deals.values()))
        .unwrap_or_default()
}

/// What the draft's fields say, with what each was filled from: a save writes only the fields this
/// person changed, so a colleague's edit to another field stays.
#[derive(Clone)]
struct Typed {
    title: (String, String),
    metrics: (Vec<DraftMetric>, Vec<DraftMetric>),
    highlights: (String, String),
    asks: (String, String),
    audience: (String, String),
}

/// Why the draft cannot be saved as it is, in the screens' language: the relay's limits, checked
/// here so that a sent update is never one the relay refuses.
fn refused(typed: &Typed) -> Option<String> {
    let i18n = use_i18n();
    let publication = investor::UpdatePublication {
        title: typed.title.0.trim().to_owned(),
        metrics: named(&typed.metrics.0)
            .into_iter()
            .map(|m| investor::PublishedMetric {
                name: m.name,
                value: m.value,
                previous: m.previous,
                note: m.note,
            })
            .collect(),
        highlights: typed.highlights.0.trim().to_owned(),
        asks: typed.asks.0.trim().to_owned(),
        readers: Vec::new(),
    };
    match publication.refused()? {
        investor::UpdateRefused::NoTitle => Some(t_string!(i18n, investor.title_needed).to_owned()),
        _ => Some(t_string!(i18n, investor.too_long).to_owned()),
    }
}

/// A draft: written, saved, and sent.
#[component]
fn UpdateDraft(id: UpdateId, update: Memo<Option<InvestorUpdate>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    // Each field follows the stored update while this person has not changed it.
    let part = |read: fn(&InvestorUpdate) -> String| {
        Memo::new(move |_| update.with(|u| u.as_ref().map(read)).unwrap_or_default())
    };
    let stored_title = part(|u| u.title.clone());
    let stored_highlights = part(|u| u.highlights.as_str().to_owned());
    let stored_asks = part(|u| u.asks.as_str().to_owned());
    let stored_audience = part(|u| audience_code(&u.audience));
    let stored_metrics =
        Memo::new(move |_| update.with(|u| u.as_ref().map(metrics_of)).unwrap_or_default());
    let (title, highlights, asks, audience_field) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let metrics = RwSignal::new(Vec::<DraftMetric>::new());
    crate::widgets::follow(stored_title, title);
    crate::widgets::follow(stored_highlights, highlights);
    crate::widgets::follow(stored_asks, asks);
    crate::widgets::follow(stored_audience, audience_field);
    crate::widgets::follow(stored_metrics, metrics);
    let typed = move || Typed {
        title: (title.get_untracked(), stored_title.get_untracked()),
        metrics: (metrics.get_untracked(), stored_metrics.get_untracked()),
        highlights: (highlights.get_untracked(), stored_highlights.get_untracked()),
        asks: (asks.get_untracked(), stored_asks.get_untracked()),
        audience: (audience_field.get_untracked(), stored_audience.get_untracked()),
    };
    let dirty = Signal::derive(move || {
        title.with(|t| t.trim() != stored_title.get())
            || metrics.with(|m| named(m) != named(&stored_metrics.get()))
            || highlights.with(|h| h.trim_end() != stored_highlights.get())
            || asks.with(|a| a.trim_end() != stored_asks.get())
            || audience_field.get() != stored_audience.get()
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let saving = crate::widgets::Save::new(move |typed: Typed| async move {
        let Some(shared) = ctx.shared() else { return };
        let result = local::update::<InvestorUpdate>(&shared, id, move |update| {
            let (text, was) = typed.title;
            if text.trim() != was {
                update.title = text.trim().to_owned();
            }
            let (list, was) = typed.metrics;
            if named(&list) != named(&was) {
                update.metrics = named(&list)
                    .into_iter()
                    .enumerate()
                    .map(|(position, m)| {
                        let metric = Metric {
                            name: m.name,
                            value: m.value,
                            previous: m.previous,
                            note: m.note,
                            position: position as u32,
                        };
                        (m.key, metric)
                    })
                    .collect();
            }
            let (text, was) = typed.highlights;
            if text.trim_end() != was {
                update.highlights.update(text.trim_end());
            }
            let (text, was) = typed.asks;
            if text.trim_end() != was {
                update.asks.update(text.trim_end());
            }
            let (code, was) = typed.audience;
            if code != was {
                update.audience = audience_of(&code);
            }
        })
        .await;
        ctx.settle(result, error);
    });
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = typed();
        if let Some(why) = refused(&typed) {
            return error.set(Some(why));
        }
        error.set(None);
        saving.submit(typed);
    };
    // Who it goes to now, with those who cannot be mailed.
    let audience = Memo::new(move |_| {
        let code = audience_field.get();
        ctx.read_of(Changed::PARTIES | Changed::DEALS, |_| ());
        readers(ctx, &audience_of(&code))
    });
    let choices = Memo::new(move |_| {
        ctx.read_of(Changed::INVESTORS | Changed::PARTIES, |ws| {
            let mut rounds: Vec<(String, String)> = ws
                .model
                .rounds
                .values()
                .filter(|r| !r.archived)
                .map(|r| (format!("round:{}", r.id), r.name.clone()))
                .collect();
            rounds.sort_by(|a, b| a.1.cmp(&b.1));
            let mut tags: Vec<String> =
                ws.model.parties.values().flat_map(|p| p.tags.iter().cloned()).collect();
            tags.sort();
            tags.dedup();
            (rounds, tags)
        })
        .unwrap_or_default()
    });
    // Every mail is checked before any is queued. Mails go first (each named by the update and the
    // recipient, so sending again never mails anyone twice), then the update is marked sent with its
    // recipients: an interrupted send leaves a draft that is sent again, not a sent update some were
    // never mailed.
    let sending = crate::widgets::Save::new(move |to: Vec<Reader>| async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let Some(stored) = update.get_untracked() else { return };
        let workspace = shared.borrow().replica.workspace;
        let reply_to = account
            .account
            .get_untracked()
            .map(|me| Recipient { address: me.email, name: me.name });
        let words = UpdateWords {
            metrics: t_string!(i18n, investor.metrics),
            was: t_string!(i18n, investor.was),
            highlights: t_string!(i18n, investor.highlights),
            asks: t_string!(i18n, investor.asks),
            read_online: t_string!(i18n, investor.read_online),
        };
        let mut mails = Vec::new();
        for reader in &to {
            let Some(address) = reader.address.clone() else { continue };
            let recipient = Recipient { address, name: reader.name.clone() };
            let mail = investor::update_mail(
                id,
                &stored,
                (reader.party, recipient),
                &words,
                reply_to.clone(),
            );
            if mail.check().is_err() {
                let name = reader.name.clone();
                error.set(Some(t_string!(i18n, investor.cannot_mail, name).to_string()));
                return;
            }
            mails.push((investor::update_mail_id(workspace, id, reader.party), mail));
        }
        for (mail_id, mail) in mails {
            if let Err(failed) = outbox.queue(&shared, mail_id, Work::Mail(mail)).await {
                error.set(Some(failed.to_string()));
                return;
            }
        }
        let me = ctx.read(|ws| ws.me).flatten();
        let result = local::update::<InvestorUpdate>(&shared, id, move |update| {
            for reader in &to {
                update.recipients.insert(reader.party.to_string(), true);
            }
            update.sent_at = Some(local::now());
            update.sent_by = me;
        })
        .await;
        if ctx.settle(result, error) {
            ctx.changed();
        }
    });
    let send = move |_| {
        if dirty.get_untracked() || saving.pending_untracked() {
            return error.set(Some(t_string!(i18n, investor.save_first).to_owned()));
        }
        if let Some(why) = refused(&typed()) {
            return error.set(Some(why));
        }
        let to: Vec<Reader> =
            audience.get_untracked().into_iter().filter(|r| r.address.is_some()).collect();
        if to.is_empty() {
            return error.set(Some(t_string!(i18n, investor.nobody_to_mail).to_owned()));
        }
        let linked = ctx.read(|ws| ws.linked).unwrap_or(false);
        if !linked || outbox.relay_mail.get_untracked() == Some(false) {
            return error.set(Some(t_string!(i18n, investor.no_mail).to_owned()));
        }
        let question =
            t_string!(i18n, investor.send_confirm, count = crate::widgets::count(to.len()))
                .to_string();
        let sure =
            web_sys::window().and_then(|w| w.confirm_with_message(&question).ok()).unwrap_or(false);
        if sure {
            error.set(None);
            sending.submit(to);
        }
    };
    let navigate = StoredValue::new(leptos_router::hooks::use_navigate());
    let delete = move |_| {
        let sure = web_sys::window()
            .and_then(|w| w.confirm_with_message(t_string!(i18n, investor.delete_confirm)).ok())
            .unwrap_or(false);
        if !sure {
            return;
        }
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<InvestorUpdate>(&shared, id, |u| u.archived = true).await;
            if ctx.settle(result, error) {
                ctx.changed();
                navigate.with_value(|navigate| navigate("/investors", Default::default()));
            }
        });
    };
    let read_only = move || !account.can_edit();
    let add_metric = move |_| {
        let key = MetricId::generate(&mut local::BrowserIds).to_string();
        metrics.update(|list| {
            list.push(DraftMetric {
                key,
                name: String::new(),
                value: String::new(),
                previous: String::new(),
                note: String::new(),
            })
        });
    };
    // The workspace's own figures, filled in where a figure of the same name is, added otherwise.
    let from_rapport = move |_| {
        let Some(figures) = ctx.read(|ws| {
            let currency = ws.settings.currencies.first().cloned().unwrap_or_else(|| "EUR".into());
            investor::figures(&ws.model, &ws.settings, &currency)
        }) else {
            return;
        };
        let money = |minor: i64| crate::widgets::money(minor, &figures.currency);
        let mut found = vec![
            (
                t_string!(i18n, investor.figure_customers).to_owned(),
                crate::widgets::count(figures.customers),
            ),
            (t_string!(i18n, investor.figure_pipeline).to_owned(), money(figures.open_pipeline)),
        ];
        for (name, committed, target) in &figures.rounds {
            let named = t_string!(i18n, investor.figure_round, name = name.clone()).to_string();
            let value = t_string!(
                i18n,
                investor.figure_round_value,
                committed = money(*committed),
                target = money(*target)
            )
            .to_string();
            found.push((named, value));
        }
        metrics.update(|list| {
            for (name, value) in found {
                match list.iter_mut().find(|m| m.name.trim() == name) {
                    Some(metric) => metric.value = value,
                    None => list.push(DraftMetric {
                        key: MetricId::generate(&mut local::BrowserIds).to_string(),
                        name,
                        value,
                        previous: String::new(),
                        note: String::new(),
                    }),
                }
            }
        });
    };
    view! {
        <form class="record-form panel" on:submit=save data-testid="update-form">
            <label>{t!(i18n, investor.update_title)}
                <input type="text" data-testid="update-title" readonly=read_only prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
            </label>
            <h2>{t!(i18n, investor.metrics)}</h2>
            <p class="hint">{t!(i18n, investor.metrics_hint)}</p>
            <div class="metric-rows" data-testid="update-metrics">
                <For each=move || metrics.with(|list| list.iter().map(|m| m.key.clone()).collect::<Vec<_>>()) key=|key| key.clone() let:key>
                    <MetricRow key metrics read_only=Signal::derive(read_only) />
                </For>
            </div>
            <Show when=move || account.can_edit()>
                <div class="actions-row">
                    <button type="button" data-testid="update-add-metric" on:click=add_metric>{t!(i18n, investor.add_metric)}</button>
                    <button type="button" data-testid="update-figures" on:click=from_rapport>{t!(i18n, investor.figures_from_rapport)}</button>
                </div>
            </Show>
            <label>{t!(i18n, investor.highlights)}
                <textarea rows="5" data-testid="update-highlights" readonly=read_only prop:value=move || highlights.get() on:input=move |e| highlights.set(event_target_value(&e))></textarea>
            </label>
            <label>{t!(i18n, investor.asks)}
                <textarea rows="3" data-testid="update-asks" readonly=read_only prop:value=move || asks.get() on:input=move |e| asks.set(event_target_value(&e))></textarea>
            </label>
            <p class="hint">{t!(i18n, investor.markdown_hint)}</p>
            <label>{t!(i18n, investor.audience)}
                <select data-testid="update-audience" disabled=read_only prop:value=move || audience_field.get() on:change=move |e| audience_field.set(event_target_value(&e))>
                    <option value="investors" selected=move || audience_field.get() == "investors">{t!(i18n, investor.audience_all)}</option>
                    {move || choices.get().0.into_iter().map(|(code, name)| {
                        let chosen = code.clone();
                        view! { <option value=code selected=move || audience_field.get() == chosen>{move || t_string!(i18n, investor.audience_round, name = name.clone()).to_string()}</option> }
                    }).collect_view()}
                    {move || choices.get().1.into_iter().map(|tag| {
                        let (code, chosen) = (format!("tag:{tag}"), format!("tag:{tag}"));
                        view! { <option value=code selected=move || audience_field.get() == chosen>{move || t_string!(i18n, investor.audience_tag, tag = tag.clone()).to_string()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <Recipients audience />
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="update-form-error">{e}</p> })}
            <Show when=move || account.can_edit()>
                <div class="actions-row">
                    <button type="submit" data-testid="update-save" disabled=move || saving.pending()>{t!(i18n, investor.save)}</button>
                    <button type="button" class="primary" data-testid="update-send" disabled=move || sending.pending() on:click=send>{t!(i18n, investor.send)}</button>
                    <button type="button" class="danger" data-testid="update-delete" on:click=delete>{t!(i18n, investor.delete)}</button>
                </div>
            </Show>
        </form>
    }
}

/// One figure of the draft: name, value, last period's, a note, and a button to drop it.
#[component]
fn MetricRow(
    key: String,
    metrics: RwSignal<Vec<DraftMetric>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (field_key, write_key, remove_key) = (key.clone(), key.clone(), key);
    let field = move |pick: fn(&DraftMetric) -> &String| {
        let key = field_key.clone();
        move || {
            metrics.with(|list| {
                list.iter().find(|m| m.key == key).map(|m| pick(m).clone()).unwrap_or_default()
            })
        }
    };
    let write = move |change: fn(&mut DraftMetric, String)| {
        let key = write_key.clone();
        move |e: leptos::ev::Event| {
            let value = event_target_value(&e);
            metrics.update(|list| {
                if let Some(metric) = list.iter_mut().find(|m| m.key == key) {
                    change(metric, value);
                }
            });
        }
    };
    let remove = move |_| metrics.update(|list| list.retain(|m| m.key != remove_key));
    view! {
        <div class="metric-row" data-testid="update-metric">
            <input type="text" data-testid="metric-name" aria-label=move || t_string!(i18n, investor.metric_name) placeholder=move || t_string!(i18n, investor.metric_name)
                readonly=read_only prop:value=field(|m| &m.name) on:input=write(|m, v| m.name = v) />
            <input type="text" data-testid="metric-value" aria-label=move || t_string!(i18n, investor.metric_value) placeholder=move || t_string!(i18n, investor.metric_value)
                readonly=read_only prop:value=field(|m| &m.value) on:input=write(|m, v| m.value = v) />
            <input type="text" data-testid="metric-previous" aria-label=move || t_string!(i18n, investor.metric_previous) placeholder=move || t_string!(i18n, investor.metric_previous)
                readonly=read_only prop:value=field(|m| &m.previous) on:input=write(|m, v| m.previous = v) />
            <input type="text" data-testid="metric-note" aria-label=move || t_string!(i18n, investor.metric_note) placeholder=move || t_string!(i18n, investor.metric_note)
                readonly=read_only prop:value=field(|m| &m.note) on:input=write(|m, v| m.note = v) />
            <button type="button" class="subtle" data-testid="metric-remove" disabled=read_only on:click=remove>{t!(i18n, investor.remove)}</button>
        </div>
    }
}

/// Who the draft would go to now; those without an email address are named apart.
#[component]
fn Recipients(audience: Memo<Vec<Reader>>) -> impl IntoView {
    let i18n = use_i18n();
    let mailed = move || audience.with(|a| a.iter().filter(|r| r.address.is_some()).count());
    let missing = move || {
        audience.with(|a| {
            a.iter().filter(|r| r.address.is_none()).map(|r| r.name.clone()).collect::<Vec<_>>()
        })
    };
    view! {
        <div class="recipients" data-testid="update-recipients" data-count=mailed>
            <p>{move || t_string!(i18n, investor.goes_to, count = crate::widgets::count(mailed())).to_string()}</p>
            <p class="row-detail">{move || audience.with(|a| a.iter().filter(|r| r.address.is_some()).map(|r| r.name.clone()).collect::<Vec<_>>().join(", "))}</p>
            {move || {
                let missing = missing();
                (!missing.is_empty()).then(|| view! {
                    <p class="notice" data-testid="update-no-address">{t_string!(i18n, investor.no_address, names = missing.join(", ")).to_string()}</p>
                })
            }}
        </div>
    }
}

/// A sent update: as it went out, and what each recipient did with it.
#[component]
fn UpdateSent(id: UpdateId, update: Memo<Option<InvestorUpdate>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let published = PublishedCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    // Once, when the workspace is open: what recipients did since the last round.
    Effect::new(move || published.refresh_updates(ctx));
    // The relay refused the update as it is now (it is not served until it changes).
    let refusal = move || {
        let revision = ctx
            .read_of(Changed::INVESTORS, |ws| ws.model.updates.get(&id).map(|r| r.revision.clone()))
            .flatten()?;
        published.refused.with(|refused| refused.get(&(id.to_string(), revision)).cloned())
    };
    let recipients = Memo::new(move |_| {
        let parties: Vec<PartyId> = update
            .with(|u| {
                u.as_ref().map(|u| {
                    rapport_core::model::names(&u.recipients)
                        .filter_map(|p| p.parse().ok())
                        .collect()
                })
            })
            .unwrap_or_default();
        let mut named: Vec<(PartyId, String)> = ctx
            .read_of(Changed::PARTIES, |ws| {
                parties
                    .iter()
                    .map(|p| {
                        (
                            *p,
                            ws.model.parties.get(p).map(|row| row.name.clone()).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        named.sort_by(|a, b| a.1.to_lowercase().cmp(&b.1.to_lowercase()).then(a.0.cmp(&b.0)));
        named
    });
    let withdrawn = move || update.with(|u| u.as_ref().is_some_and(|u| u.withdrawn));
    let toggle_withdrawn = move |_| {
        let now = !withdrawn();
        if now {
            let sure = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(t_string!(i18n, investor.withdraw_confirm)).ok()
                })
                .unwrap_or(false);
            if !sure {
                return;
            }
        }
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result =
                local::update::<InvestorUpdate>(&shared, id, move |u| u.withdrawn = now).await;
            if ctx.settle(result, error) {
                ctx.changed();
            }
        });
    };
    let sent_line = move || {
        update.with(|u| {
            let u = u.as_ref()?;
            let at = u.sent_at?;
            let by = ctx
                .read(|ws| {
                    u.sent_by
                        .and_then(|m| ws.settings.members.get(&m.to_string()))
                        .map(|m| m.display_name.clone())
                })
                .flatten()
                .unwrap_or_default();
            Some(
                t_string!(i18n, investor.sent_on, date = crate::widgets::local_time(at), by)
                    .to_string(),
            )
        })
    };
    view! {
        <section class="panel update-sheet" data-testid="update-sent">
            <p class="row-detail" data-testid="update-sent-line">{sent_line}</p>
            {move || withdrawn().then(|| view! { <p class="notice" role="status" data-testid="update-withdrawn">{t!(i18n, investor.withdrawn)}</p> })}
            {move || refusal().map(|why| view! { <p class="error" role="alert" data-testid="update-refused">{t_string!(i18n, investor.refused_by_relay, why).to_string()}</p> })}
            {move || update.get().map(|u| view! {
                <table class="data-table">
                    <tbody>
                        {investor::metrics_in_order(&u).into_iter().map(|(_, m)| {
                            let previous = (!m.previous.is_empty()).then(|| format!("{} {}", t_string!(i18n, investor.was), m.previous));
                            // Last period's and the note under the value: the table stays two columns on a phone.
                            let note = (!m.note.is_empty()).then(|| m.note.clone());
                            let detail = [previous, note].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                            view! {
                                <tr>
                                    <th scope="row">{m.name.clone()}</th>
                                    <td>{m.value.clone()}{(!detail.is_empty()).then(|| view! { <br /><span class="row-detail">{detail}</span> })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {(!u.highlights.as_str().is_empty()).then(|| view! { <h2>{t!(i18n, investor.highlights)}</h2><p class="prewrap">{u.highlights.as_str().to_owned()}</p> })}
                {(!u.asks.as_str().is_empty()).then(|| view! { <h2>{t!(i18n, investor.asks)}</h2><p class="prewrap">{u.asks.as_str().to_owned()}</p> })}
            })}
        </section>
        <section class="panel" data-testid="update-readers" data-count=move || recipients.with(Vec::len)>
            <h2>{t!(i18n, investor.recipients)}</h2>
            <p class="hint">{t!(i18n, investor.opens_hint)}</p>
            <ul class="rows">
                <For each=move || recipients.get() key=|r| r.clone() let:recipient>
                    <ReaderLine id update party=recipient.0 name=recipient.1 error />
                </For>
            </ul>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || account.can_edit()>
                <button type="button" data-testid="update-withdraw" on:click=toggle_withdrawn>
                    {move || if withdrawn() { t_string!(i18n, investor.share_again) } else { t_string!(i18n, investor.withdraw) }}
                </button>
            </Show>
        </section>
    }
}

/// One recipient: opened or not, their reaction and comment, and their link revoked or restored.
#[component]
fn ReaderLine(
    id: UpdateId,
    update: Memo<Option<InvestorUpdate>>,
    party: PartyId,
    name: String,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let published = PublishedCtx::use_ctx();
    let activity =
        move || published.updates.with(|l| l.as_ref().and_then(|l| l.activity(id, party)).cloned());
    let revoked = move || {
        update.with(|u| {
            u.as_ref().is_some_and(|u| u.revoked.get(&party.to_string()).copied().unwrap_or(false))
        })
    };
    let toggle = move |_| {
        let now = !revoked();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<InvestorUpdate>(&shared, id, move |u| {
                u.revoked.insert(party.to_string(), now);
            })
            .await;
            if ctx.settle(result, error) {
                ctx.changed();
            }
        });
    };
    let opened = move || match activity() {
        Some(a) if a.opens > 0 => {
            let when = a
                .first_opened
                .map(|ms| crate::widgets::local_time(rapport_core::ids::Timestamp(ms)))
                .unwrap_or_default();
            t_string!(i18n, investor.opened_times, count = a.opens.to_string(), date = when)
                .to_string()
        }
        _ => t_string!(i18n, investor.not_opened).to_owned(),
    };
    let reaction = move || {
        activity().and_then(|a| {
            let reaction = a.reaction?;
            let comment = if a.comment.is_empty() {
                String::new()
            } else {
                format!(" — “{}”", a.comment)
            };
            Some(format!("{}{comment}", reaction_name(reaction)))
        })
    };
    view! {
        <li class="row reader-line" data-testid="update-reader" data-name=name.clone()
            data-opens=move || activity().map_or(0, |a| a.opens) data-reaction=move || activity().and_then(|a| a.reaction).map(|r| r.code()).unwrap_or_default()>
            <a class="row-link" href=format!("/parties/{party}")>
                <span class="row-title">{name.clone()}</span>
                <span class="row-detail" data-testid="reader-opened">{opened}</span>
                {move || reaction().map(|text| view! { <span class="row-detail" data-testid="reader-reaction">{text}</span> })}
            </a>
            <Show when=move || account.can_edit()>
                <button type="button" class="subtle" data-testid="reader-revoke" on:click=toggle>
                    {move || if revoked() { t_string!(i18n, investor.restore_link) } else { t_string!(i18n, investor.revoke_link) }}
                </button>
            </Show>
            {move || revoked().then(|| view! { <span class="tag" data-testid="reader-revoked">{t!(i18n, investor.link_revoked)}</span> })}
        </li>
    }
}

pub(crate) fn reaction_name(reaction: Reaction) -> &'static str {
    let i18n = use_i18n();
    match reaction {
        Reaction::Like => t_string!(i18n, investor.reaction_like),
        Reaction::Celebrate => t_string!(i18n, investor.reaction_celebrate),
        Reaction::Help => t_string!(i18n, investor.reaction_help),
        Reaction::Question => t_string!(i18n, investor.reaction_question),
    }
}
