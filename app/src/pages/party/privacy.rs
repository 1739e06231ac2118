//! A person's consent and their rights over their data: each consent question answered with when,
//! by whom and how it was given; an unsubscribe the relay recorded; a copy of everything the
//! workspace holds about them (one JSON file); and erasure, which an owner or admin confirms after
//! reading what it changes and what it cannot reach (`rapport_core::privacy`).

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::PartyId;
use rapport_core::model::{Consent, ConsentNote, Party};
use rapport_core::privacy::{self, ErasurePlan};

use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets;

#[component]
pub(super) fn PrivacyPanel(id: PartyId, party: Signal<Option<Party>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let source = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // Their addresses the relay's consent log says unsubscribed, with when and how.
    let unsubscribed = Memo::new(move |_| {
        let addresses: Vec<String> = party.with(|p| {
            p.as_ref()
                .map(|p| p.emails.iter().map(|e| e.value.clone()).collect())
                .unwrap_or_default()
        });
        outbox.outbox.with(|o| {
            addresses.iter().filter_map(|address| o.opted_out(address).cloned()).collect::<Vec<_>>()
        })
    });
    let answer = move |question: &'static str, value: String| {
        let answer = match value.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        let by = ctx.read(|ws| ws.me).flatten();
        let note =
            ConsentNote { at: local::now(), by, source: source.get_untracked().trim().to_owned() };
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<Party>(&shared, id, move |p| {
                p.consent.record(question, answer, note)
            })
            .await;
            if ctx.settle(result, error) {
                source.set(String::new());
            }
        });
    };
    view! {
        <section class="panel privacy-panel" data-testid="privacy-panel" aria-labelledby="privacy-title">
            <h2 id="privacy-title">{t!(i18n, party.privacy)}</h2>
            <ul class="rows consent-list">
                {Consent::QUESTIONS.into_iter().map(|question| {
                    let current = move || party.with(|p| p.as_ref().map(|p| p.consent.clone()).unwrap_or_default());
                    let value = move || match current().answer(question) {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "",
                    };
                    let recorded = move || current().recorded.get(question).map(|note| note_text(ctx, note));
                    view! {
                        <li data-testid=format!("consent-{question}")>
                            <label class="consent-question">
                                <span>{question_label(question)}</span>
                                <select prop:value=value disabled=move || !account.can_edit()
                                    on:change=move |e| answer(question, event_target_value(&e))>
                                    <option value="" selected=move || value().is_empty()>{t!(i18n, party.consent_not_asked)}</option>
                                    <option value="yes" selected=move || value() == "yes">{t!(i18n, party.consent_yes)}</option>
                                    <option value="no" selected=move || value() == "no">{t!(i18n, party.consent_no)}</option>
                                </select>
                            </label>
                            {move || recorded().map(|text| view! { <small class="hint" data-testid="consent-recorded">{text}</small> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <label class="field">
                <span>{t!(i18n, party.consent_source)}</span>
                <input type="text" data-testid="consent-source" maxlength="200"
                    placeholder=move || t_string!(i18n, party.consent_source_hint)
                    prop:value=move || source.get() on:input=move |e| source.set(event_target_value(&e))
                    disabled=move || !account.can_edit() />
            </label>
            {move || unsubscribed.get().into_iter().map(|event| {
                let at = widgets::local_date(rapport_core::ids::Timestamp(event.at * 1000));
                let text = t_string!(i18n, party.consent_unsubscribed, address = event.address.clone(), at, source = event.source.clone()).to_string();
                view! { <p class="notice" role="status" data-testid="consent-unsubscribed">{text}</p> }
            }).collect_view()}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Rights id />
        </section>
    }
}

/// "Download their data" and, for an owner or admin, "Erase this person…" — on an erased record too,
/// to erase what reached it since (an edit made offline, a duplicate merged into it).
#[component]
pub(super) fn Rights(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let plan = RwSignal::new(None::<(ErasurePlan, BTreeSet<PartyId>)>);
    let records = move || ctx.read(|ws| privacy::records_of(&ws.model, id)).unwrap_or_default();
    let export = move |_| {
        let Some(shared) = ctx.shared() else { return };
        busy.set(true);
        let records = records();
        let by = ctx
            .read(|ws| {
                ws.me.and_then(|me| {
                    ws.settings.members.get(&me.to_string()).map(|m| m.display_name.clone())
                })
            })
            .flatten();
        let consent: Vec<_> =
            outbox.outbox.with_untracked(|o| o.consent_heard().cloned().collect());
        spawn_local(async move {
            match local::all_contents(&shared).await {
                Ok(documents) => {
                    let text =
                        privacy::export(id, &records, &documents, &consent, local::now(), by);
                    let day = widgets::date_input_value(local::now());
                    let name = format!("rapport-personal-data-{id}-{day}.json");
                    error.set(widgets::download_text(&name, "application/json", &text).err());
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
            busy.set(false);
        });
    };
    let prepare = move |_| {
        let Some(shared) = ctx.shared() else { return };
        busy.set(true);
        let records = records();
        spawn_local(async move {
            match local::all_contents(&shared).await {
                Ok(documents) => {
                    plan.set(Some((privacy::plan_erasure(&records, &documents), records)))
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
            busy.set(false);
        });
    };
    let erase = move |_| {
        let Some(shared) = ctx.shared() else { return };
        busy.set(true);
        let (workspace, linked) = {
            let ws = shared.borrow();
            (ws.replica.workspace, ws.replica.linked)
        };
        let records = records();
        spawn_local(async move {
            // Worked out again from the documents as they are now: what a colleague changed while
            // the plan was read (someone added to a call with them) is taken into account.
            let steps = match local::all_contents(&shared).await {
                Ok(documents) => privacy::plan_erasure(&records, &documents),
                Err(failure) => {
                    error.set(Some(failure.to_string()));
                    busy.set(false);
                    return;
                }
            };
            // Files first: they need the relay, and a person half erased (record gone, passport
            // still served) is worse than one not erased yet. A workspace that does not sync has
            // them on this device only.
            for hash in &steps.files {
                if linked && let Err(why) = crate::relay_api::erase_file(workspace, hash).await {
                    let why = why.said();
                    error.set(Some(t_string!(i18n, party.erase_files_failed, why).to_string()));
                    busy.set(false);
                    return;
                }
                crate::attachments::forget(outbox, &shared, workspace, hash).await;
            }
            let result = local::erase_person(&shared, &steps, &records).await;
            if ctx.settle(result, error) {
                plan.set(None);
            }
            busy.set(false);
        });
    };
    // Owners and admins erase; in a workspace that does not sync, the one person using it does.
    let may_erase = move || account.manages.get() || !ctx.read(|ws| ws.linked).unwrap_or(true);
    view! {
        <h3>{t!(i18n, party.rights)}</h3>
        <p class="hint">{t!(i18n, party.export_person_hint)}</p>
        <div class="actions-row">
            <button type="button" data-testid="export-person" disabled=move || busy.get() on:click=export>{t!(i18n, party.export_person)}</button>
            <Show when=may_erase>
                <button type="button" class="danger" data-testid="erase-person" disabled=move || busy.get() || plan.with(Option::is_some) on:click=prepare>{t!(i18n, party.erase_person)}</button>
            </Show>
        </div>
        {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="privacy-error">{e}</p> })}
        {move || plan.get().map(|(steps, _)| view! {
            <div class="confirm" role="alertdialog" aria-labelledby="erase-title" data-testid="erase-plan">
                <h3 id="erase-title">{t!(i18n, party.erase_will)}</h3>
                <ul>
                    {plan_lines(i18n, &steps).into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                </ul>
                <p class="hint" data-testid="erase-history">{t!(i18n, party.erase_history)}</p>
                <div class="actions-row">
                    <button type="button" class="danger" data-testid="erase-confirm" disabled=move || busy.get() on:click=erase>{t!(i18n, party.erase_confirm)}</button>
                    <button type="button" data-testid="erase-cancel" on:click=move |_| plan.set(None)>{t!(i18n, party.erase_cancel)}</button>
                </div>
            </div>
        })}
    }
}

/// What the erasure plan does, a line for each kind of change it makes.
fn plan_lines(
    i18n: leptos_i18n::I18nContext<crate::i18n::Locale>,
    plan: &ErasurePlan,
) -> Vec<String> {
    let mut lines =
        vec![t_string!(i18n, party.erase_records, count = plan.records.len()).to_string()];
    let counted = [
        (plan.interactions.len(), t_string!(i18n, party.erase_interactions).to_owned()),
        (plan.shared_interactions.len(), t_string!(i18n, party.erase_shared).to_owned()),
        (plan.lists.len(), t_string!(i18n, party.erase_lists).to_owned()),
        (plan.campaigns.len(), t_string!(i18n, party.erase_campaigns).to_owned()),
        (plan.sequences.len(), t_string!(i18n, party.erase_sequences).to_owned()),
        (plan.automations.len(), t_string!(i18n, party.erase_automations).to_owned()),
        (plan.private_notes.len(), t_string!(i18n, party.erase_notes).to_owned()),
        (plan.files.len(), t_string!(i18n, party.erase_files).to_owned()),
        (plan.kept.len(), t_string!(i18n, party.erase_kept).to_owned()),
    ];
    lines.extend(
        counted.into_iter().filter(|(n, _)| *n > 0).map(|(n, text)| format!("{text}: {n}")),
    );
    lines
}

fn question_label(question: &str) -> &'static str {
    let i18n = use_i18n();
    match question {
        "email_marketing" => t_string!(i18n, party.consent_email),
        "phone_calls" => t_string!(i18n, party.consent_calls),
        _ => t_string!(i18n, party.consent_data),
    }
}

/// "27 Nov 2026 · Anna · signed form at the fair".
fn note_text(ctx: WorkspaceCtx, note: &ConsentNote) -> String {
    let by = note.by.and_then(|m| {
        ctx.read(|ws| ws.settings.members.get(&m.to_string()).map(|m| m.display_name.clone()))
            .flatten()
    });
    [Some(widgets::local_date(note.at)), by, Some(note.source.clone()).filter(|s| !s.is_empty())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}
