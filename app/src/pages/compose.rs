//! Write an email to a record: merge fields filled in from the record (`{{first_name}}` …) and shown
//! in a preview before anything goes, unknown fields named. Sent through the relay's outbox when the
//! relay has a mail server — queued on this device while offline, sent once however many times it is
//! handed over — and logged on the timeline as an email with its state. Without a mail server, the
//! same screen hands the message to the device's mail app and logs it. The team's templates (saved in
//! the workspace's settings) fill the form with one tap.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use rapport_core::ids::{InteractionId, PartyId, TemplateId};
use rapport_core::model::{Interaction, InteractionKind, LinkKind, MailTemplate, Party};
use rapport_core::outbox::{Mail, OutboxId, Recipient, Work};
use rapport_core::template::{MergeFields, PARTY_FIELDS, Template, TemplateError};

use super::Page;
use crate::i18n::{t, t_string, use_i18n};
use crate::local::{self, BrowserIds};
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets;

/// How the message leaves this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Through the relay's outbox.
    Relay,
    /// Handed to the device's mail app (`mailto:`).
    MailApp,
}

/// The message as it will be sent: subject and text with the fields filled in.
#[derive(Debug, Clone, PartialEq)]
struct Rendered {
    subject: String,
    text: String,
}

fn render(subject: &str, text: &str, fields: &MergeFields) -> Result<Rendered, TemplateError> {
    let subject = Template::parse(subject)?.render(fields);
    let text = Template::parse(text)?.render(fields);
    // Every unknown field of both, named at once.
    match (subject, text) {
        (Ok(subject), Ok(text)) => Ok(Rendered { subject, text }),
        (Err(TemplateError::UnknownFields(mut a)), Err(TemplateError::UnknownFields(b))) => {
            a.extend(b.into_iter().filter(|f| !a.contains(f)).collect::<Vec<_>>());
            Err(TemplateError::UnknownFields(a))
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}

pub(crate) fn said(error: &TemplateError) -> String {
    let i18n = use_i18n();
    match error {
        TemplateError::Unclosed { at } => t_string!(i18n, mail.unclosed, at = *at).to_string(),
        TemplateError::UnknownFields(fields) => {
            t_string!(i18n, mail.unknown_fields, fields = fields.join(", ")).to_string()
        }
    }
}

#[component]
pub(crate) fn ComposeEmail() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let params = use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<PartyId>().ok())));
    let loaded = crate::state::watch_record::<Party>(id, t_string!(i18n, party.no_such));
    let party = Memo::new(move |_| loaded.get().and_then(Result::ok).map(|found| found.record));
    // The record's fields, with the organisation a person works at.
    let fields = Memo::new(move |_| {
        let party = party.get()?;
        let organisation = ctx
            .read(|ws| {
                party
                    .relations
                    .values()
                    .find(|link| link.kind == LinkKind::WorksAt)
                    .and_then(|link| ws.model.parties.get(&link.to).map(|row| row.name.clone()))
            })
            .flatten();
        Some(MergeFields::of_party(&party, organisation.as_deref()))
    });
    let to = RwSignal::new(String::new());
    Effect::new(move || {
        if to.get_untracked().is_empty()
            && let Some(first) = party.with(|p| p.as_ref().and_then(|p| p.emails.first().cloned()))
        {
            to.set(first.value);
        }
    });
    let subject = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let preview = Memo::new(move |_| {
        let fields = fields.get()?;
        Some(render(&subject.get(), &text.get(), &fields))
    });
    let linked = move || ctx.read(|ws| ws.linked).unwrap_or(false);
    let route = move || {
        if linked() && outbox.relay_mail.get() != Some(false) {
            Route::Relay
        } else {
            Route::MailApp
        }
    };
    // The address opted out (as this device last heard): the relay would not send, so nothing is queued.
    let opted_out = Memo::new(move |_| {
        let address = to.get();
        outbox.outbox.with(|outbox| outbox.opted_out(&address).cloned())
    });
    let blocked = move || route() == Route::Relay && opted_out.with(Option::is_some);
    let error = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();

    let saving = widgets::Save::new(
        move |(party_id, name, address, rendered, route): (
            PartyId,
            String,
            String,
            Rendered,
            Route,
        )| {
            let navigate = navigate.clone();
            async move {
                let Some(shared) = ctx.shared_once_open().await else { return };
                let interaction_id = InteractionId::generate(&mut BrowserIds);
                let interaction = Interaction {
                    kind: InteractionKind::Email,
                    at: local::now(),
                    parties: vec![party_id],
                    members: Vec::new(),
                    summary: rendered.subject.clone(),
                    notes: autosurgeon::Text::with_value(rendered.text.clone()),
                    outcome: String::new(),
                    location: None,
                    follow_up: None,
                    author: ctx.read(|ws| ws.me).flatten(),
                    archived: false,
                    answers: None,
                    automatic: false,
                };
                let logged = local::log_interaction(&shared, interaction_id, interaction).await;
                if !ctx.settle(logged.map(drop), error) {
                    return;
                }
                let confirmation = match route {
                    Route::Relay => {
                        let workspace = shared.borrow().replica.workspace;
                        let reply_to = account
                            .account
                            .get_untracked()
                            .map(|me| Recipient { address: me.email, name: me.name });
                        let work = Work::Mail(Mail {
                            to: vec![Recipient { address, name: name.clone() }],
                            subject: rendered.subject,
                            text: rendered.text,
                            reply_to,
                            bulk: false,
                            in_reply_to: None,
                            references: Vec::new(),
                            rating_for: None,
                            update_link: None,
                            markdown: false,
                            track: false,
                            utm: None,
                            send_at: None,
                        });
                        let id = OutboxId::of_mail(workspace, interaction_id);
                        if let Err(failed) = outbox.queue(&shared, id, work).await {
                            error.set(Some(failed.to_string()));
                            return;
                        }
                        t_string!(i18n, mail.queued, party = name.as_str()).to_string()
                    }
                    Route::MailApp => {
                        open_mail_app(&address, &rendered);
                        t_string!(i18n, mail.handed, party = name.as_str()).to_string()
                    }
                };
                ctx.logged.set(Some(confirmation));
                navigate(&format!("/parties/{party_id}"), Default::default());
            }
        },
    );

    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if account.view_only.get_untracked() {
            error.set(Some(t_string!(i18n, mail.view_only).into()));
            return;
        }
        let (Some(party_id), Some(party)) = (id.get_untracked(), party.get_untracked()) else {
            return;
        };
        let address = to.get_untracked();
        if blocked() {
            return;
        }
        if address.is_empty() {
            error.set(Some(t_string!(i18n, mail.no_address).into()));
            return;
        }
        if subject.get_untracked().trim().is_empty() {
            error.set(Some(t_string!(i18n, mail.subject_needed).into()));
            return;
        }
        match preview.get_untracked() {
            Some(Ok(rendered)) => {
                error.set(None);
                saving.submit((party_id, party.name, address, rendered, route()));
            }
            Some(Err(problem)) => error.set(Some(said(&problem))),
            None => {}
        }
    };
    let insert = move |field: &'static str| {
        text.update(|text| {
            if !text.is_empty() && !text.ends_with([' ', '\n']) {
                text.push(' ');
            }
            text.push_str(&format!("{{{{{field}}}}}"));
        });
    };

    view! {
        <Page key="compose" title=move || {
            party.with(|p| p.as_ref().map(|p| t_string!(i18n, mail.title, party = p.name.as_str()).to_string()))
                .unwrap_or_else(|| t_string!(i18n, mail.title_plain).to_owned())
        }>
            {move || loaded.get().and_then(Result::err).map(|e| view! { <p class="error">{e}</p> })}
            <Show when=move || party.with(Option::is_some)>
                {move || {
                    let addresses = party.with(|p| p.as_ref().map(|p| p.emails.clone())).unwrap_or_default();
                    if addresses.is_empty() {
                        return view! {
                            <p class="hint" data-testid="compose-no-address">{t!(i18n, mail.no_address)}</p>
                        }.into_any();
                    }
                    view! {
                        <form class="record-form compose-form" on:submit=send data-testid="compose-form">
                            <label>
                                {t!(i18n, mail.to)}
                                <select data-testid="compose-to" on:change=move |e| to.set(event_target_value(&e))>
                                    {addresses.into_iter().map(|point| {
                                        let value = point.value.clone();
                                        let label = if point.label.is_empty() { point.value.clone() } else { format!("{} ({})", point.value, point.label) };
                                        view! { <option value=value.clone() selected=move || to.get() == value>{label}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            {move || opted_out.get().map(|event| {
                                let date = widgets::local_date(rapport_core::ids::Timestamp(event.at * 1000));
                                let text = t_string!(i18n, mail.opted_out, address = event.address.as_str(), date = date.as_str(), source = event.source.as_str()).to_string();
                                view! { <p class="error" role="status" data-testid="compose-opted-out">{text}</p> }
                            })}
                            <TemplateChips subject text />
                            <label>
                                {t!(i18n, mail.subject)}
                                <input type="text" data-testid="compose-subject" maxlength="300"
                                    prop:value=move || subject.get()
                                    on:input=move |e| subject.set(event_target_value(&e)) />
                            </label>
                            <label>
                                {t!(i18n, mail.body)}
                                <textarea rows="8" data-testid="compose-body"
                                    prop:value=move || text.get()
                                    on:input=move |e| text.set(event_target_value(&e))></textarea>
                            </label>
                            <div class="compose-fields">
                            <p class="hint" id="compose-fields-hint">{t!(i18n, mail.fields)}</p>
                            <div class="chips" role="group" aria-labelledby="compose-fields-hint">
                                {PARTY_FIELDS.into_iter().map(|field| view! {
                                    <button type="button" class="chip" data-testid="compose-field" data-field=field
                                        on:click=move |_| insert(field)>{format!("{{{{{field}}}}}")}</button>
                                }).collect_view()}
                            </div>
                            </div>
                            // Once there is something to preview.
                            <section class="panel compose-preview" aria-labelledby="preview-title" data-testid="compose-preview"
                                hidden=move || subject.with(String::is_empty) && text.with(String::is_empty)>
                                <h2 id="preview-title">{t!(i18n, mail.preview)}</h2>
                                {move || match preview.get() {
                                    Some(Ok(rendered)) => view! {
                                        <p class="row-title" data-testid="preview-subject">{rendered.subject}</p>
                                        <p class="preview-text" data-testid="preview-body">{rendered.text}</p>
                                    }.into_any(),
                                    Some(Err(problem)) => view! {
                                        <p class="error" data-testid="preview-problem">{said(&problem)}</p>
                                    }.into_any(),
                                    None => ().into_any(),
                                }}
                            </section>
                            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="compose-error">{e}</p> })}
                            <p class="hint" data-testid="compose-route">
                                {move || match route() {
                                    Route::Relay => match outbox.relay_mail.get() {
                                        Some(true) => t_string!(i18n, mail.via_relay).to_string(),
                                        _ => t_string!(i18n, mail.via_relay_later).to_string(),
                                    },
                                    Route::MailApp => t_string!(i18n, mail.via_mail_app).to_string(),
                                }}
                            </p>
                            <button type="submit" data-testid="compose-send"
                                disabled=move || saving.pending() || blocked() || matches!(preview.get(), Some(Err(_)))>
                                {move || match route() {
                                    Route::Relay => t_string!(i18n, mail.send),
                                    Route::MailApp => t_string!(i18n, mail.open_mail_app),
                                }}
                            </button>
                        </form>
                    }.into_any()
                }}
            </Show>
        </Page>
    }
}

/// Opens the device's mail app with the message written out.
fn open_mail_app(address: &str, rendered: &Rendered) {
    let encode = |text: &str| String::from(js_sys::encode_uri_component(text));
    let link = format!(
        "mailto:{}?subject={}&body={}",
        encode(address),
        encode(&rendered.subject),
        encode(&rendered.text)
    );
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(&link);
    }
}

/// The team's saved emails: one tap writes a template's subject and text into the form (merge fields
/// and all, previewed with this record); "Save as template" keeps what the form holds.
#[component]
fn TemplateChips(subject: RwSignal<String>, text: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let kind = widgets::SavedKind {
        testid: "template",
        list: |settings| {
            settings.mail_templates.iter().map(|(id, t)| (id.clone(), t.name.clone())).collect()
        },
        remove: |settings, id| {
            settings.mail_templates.remove(id);
        },
        keep: std::sync::Arc::new(move |settings, id, name| {
            let (subject, text) = (subject.get_untracked(), text.get_untracked());
            settings.mail_templates.insert(id, MailTemplate { name, subject, text });
        }),
        new_id: || TemplateId::generate(&mut BrowserIds).to_string(),
        group_label: Signal::derive(move || t_string!(i18n, mail.templates).to_owned()),
        save_label: Signal::derive(move || t_string!(i18n, mail.save_template).to_owned()),
        name_label: Signal::derive(move || t_string!(i18n, mail.template_name).to_owned()),
        name_needed: Signal::derive(move || t_string!(i18n, mail.template_name_needed).to_owned()),
        remove_label: std::sync::Arc::new(move |label| {
            t_string!(i18n, mail.remove_template, label = label).to_string()
        }),
    };
    let pick = Callback::new(move |id: String| {
        let template = ctx.read(|ws| ws.settings.mail_templates.get(&id).cloned()).flatten();
        if let Some(template) = template {
            subject.set(template.subject);
            text.set(template.text);
        }
    });
    view! {
        <div class="compose-templates">
            <p class="hint">{t!(i18n, mail.templates)}</p>
            <widgets::SavedChips kind pick />
        </div>
    }
}
