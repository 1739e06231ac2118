//! A record's files — a person's contract, a deal's proposal, photos from a phone's camera — as every
//! record page shows them. Each shows its thumbnail
//! (images) or its kind's icon, its size, who attached it and when, and — on the device that attached
//! it — whether the relay has it yet. Opening one saves it under its name; attaching reads, keeps and
//! names it (`crate::attachments`), checked against the relay's size limit first.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::attachments::{self, FileKind, UploadState};
use std::collections::BTreeMap;

use rapport_core::ids::{ContractId, DealId, PartyId, RoundId, TicketId};
use rapport_core::model::{Attachment, Contract, Deal, Party, Round, Ticket};
use wasm_bindgen::JsCast;

use crate::i18n::{t, t_string, use_i18n};
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;

/// A record that keeps files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileOwner {
    Party(PartyId),
    Deal(DealId),
    Ticket(TicketId),
    Contract(ContractId),
    /// A fundraising round's data room.
    Round(RoundId),
}

impl FileOwner {
    async fn attach(
        self,
        shared: &crate::local::Shared,
        outbox: OutboxCtx,
        file: web_sys::File,
    ) -> Result<(), crate::attachments::FileError> {
        use crate::attachments::attach;
        match self {
            FileOwner::Party(id) => attach::<Party>(shared, outbox, id, file).await,
            FileOwner::Deal(id) => attach::<Deal>(shared, outbox, id, file).await,
            FileOwner::Ticket(id) => attach::<Ticket>(shared, outbox, id, file).await,
            FileOwner::Contract(id) => attach::<Contract>(shared, outbox, id, file).await,
            FileOwner::Round(id) => attach::<Round>(shared, outbox, id, file).await,
        }
    }

    async fn remove(
        self,
        shared: &crate::local::Shared,
        hash: String,
    ) -> Result<(), crate::local::LocalError> {
        use rapport_core::model::WithFiles;
        let forget = move |record: &mut dyn WithFiles| {
            record.files_mut().remove(&hash);
        };
        match self {
            FileOwner::Party(id) => crate::local::update::<Party>(shared, id, |r| forget(r)).await,
            FileOwner::Deal(id) => crate::local::update::<Deal>(shared, id, |r| forget(r)).await,
            FileOwner::Ticket(id) => {
                crate::local::update::<Ticket>(shared, id, |r| forget(r)).await
            }
            FileOwner::Contract(id) => {
                crate::local::update::<Contract>(shared, id, |r| forget(r)).await
            }
            FileOwner::Round(id) => crate::local::update::<Round>(shared, id, |r| forget(r)).await,
        }
    }
}

/// The files of the record `owner` (as its page read it), to open, attach and remove.
#[component]
pub(crate) fn Files(
    owner: FileOwner,
    files: Signal<BTreeMap<String, Attachment>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let attaching = RwSignal::new(0_usize);
    // Newest first.
    let files = Memo::new(move |_| {
        let mut files: Vec<(String, Attachment)> = files.get().into_iter().collect();
        files.sort_by(|a, b| b.1.added_at.cmp(&a.1.added_at).then_with(|| a.0.cmp(&b.0)));
        files
    });
    let input = NodeRef::<leptos::html::Input>::new();
    let chosen = move |_| {
        let Some(element) = input.get() else { return };
        let Some(list) = element.files() else { return };
        let chosen: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        // The same file chosen again later must still fire `change`.
        element.set_value("");
        let Some(shared) = ctx.shared() else { return };
        error.set(None);
        attaching.update(|n| *n += chosen.len());
        spawn_local(async move {
            let mut refused = Vec::new();
            for file in chosen {
                if let Err(why) = owner.attach(&shared, outbox, file).await {
                    refused.push(why.0);
                }
                attaching.update(|n| *n = n.saturating_sub(1));
            }
            if !refused.is_empty() {
                error.set(Some(refused.join(" ")));
            }
        });
    };
    let most = move || crate::widgets::file_size(outbox.uploads.with(|u| u.most_file()));
    view! {
        <section class="panel files" aria-labelledby="files-title" data-testid="files">
            <h2 id="files-title">{t!(i18n, files.title)}</h2>
            <Show
                when=move || files.with(|f| !f.is_empty())
                fallback=move || view! { <p class="hint" data-testid="files-empty">{t!(i18n, files.empty)}</p> }
            >
                <ul class="rows file-list">
                    <For each=move || files.get() key=|(hash, file)| (hash.clone(), file.clone()) let:entry>
                        <FileRow hash=entry.0 file=entry.1 owner error />
                    </For>
                </ul>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="files-error">{e}</p> })}
            {move || (attaching.get() > 0).then(|| view! {
                <p class="hint" role="status" data-testid="files-attaching">{t!(i18n, files.attaching)}</p>
            })}
            <Show when=move || account.can_edit()>
                <label class="file-attach">
                    <LineIcon path=crate::attachments::CLIP_ICON />
                    {t!(i18n, files.attach)}
                    <input type="file" multiple data-testid="file-attach" node_ref=input on:change=chosen />
                </label>
                <p class="hint" data-testid="files-limit">{move || t_string!(i18n, files.limit, most = most()).to_string()}</p>
            </Show>
        </section>
    }
}

/// A stroke-drawn icon in the text's colour, as the timeline draws its own.
#[component]
fn LineIcon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="file-icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round">
            <path d=path />
        </svg>
    }
}

#[component]
fn FileRow(
    hash: String,
    file: Attachment,
    owner: FileOwner,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let workspace = ctx.read(|ws| ws.workspace);
    let kind = FileKind::of(&file.content_type, &file.name);
    // A thumbnail not on this device and out of reach (offline, not uploaded yet) shows the icon.
    let thumbnail_failed = RwSignal::new(false);
    let thumbnail = attachments::preview(&hash, &file)
        .zip(workspace)
        .map(|(t, ws)| attachments::file_path(ws, &t));
    let who = ctx
        .read(|ws| {
            file.added_by
                .and_then(|m| ws.settings.members.get(&m.to_string()))
                .map(|m| m.display_name.clone())
        })
        .flatten();
    let mut facts =
        vec![crate::widgets::file_size(file.size), crate::widgets::local_date(file.added_at)];
    facts.extend(who);
    let facts = facts.join(" · ");
    let state = {
        let hash = hash.clone();
        move || {
            outbox.uploads.with(|uploads| match uploads.state(&hash) {
                Some(UploadState::Waiting) => {
                    Some((false, t_string!(i18n, files.waiting).to_string()))
                }
                Some(UploadState::Refused(why)) => {
                    let reason = crate::relay_api::said_code(why.code.as_deref(), &why.text);
                    Some((true, t_string!(i18n, files.refused, reason = reason).to_string()))
                }
                None => None,
            })
        }
    };
    let open = {
        let (hash, name) = (hash.clone(), file.name.clone());
        move |_| {
            let Some(workspace) = workspace else { return };
            let (hash, name) = (hash.clone(), name.clone());
            error.set(None);
            spawn_local(async move {
                if let Err(why) = crate::attachments::open(workspace, &hash, &name).await {
                    error.set(Some(why.0));
                }
            });
        }
    };
    let remove = {
        let hash = hash.clone();
        move |_| {
            let hash = hash.clone();
            let Some(shared) = ctx.shared() else { return };
            spawn_local(async move {
                if let Err(error) = owner.remove(&shared, hash).await {
                    ctx.report(&error);
                }
            });
        }
    };
    let name = file.name.clone();
    let remove_label = t_string!(i18n, files.remove_named, name = &name).to_string();
    view! {
        <li class="row file-row" data-testid="file" data-hash=hash.clone()>
            <button type="button" class="row-link file-open" data-testid="file-open" on:click=open>
                <span class="file-preview" aria-hidden="true">
                    {match thumbnail {
                        Some(src) => view! {
                            <Show when=move || !thumbnail_failed.get() fallback=move || view! { <LineIcon path=crate::attachments::icon(kind) /> }>
                                <img
                                    src=src.clone()
                                    alt=""
                                    loading="lazy"
                                    data-testid="file-thumbnail"
                                    on:error=move |_| thumbnail_failed.set(true)
                                    on:load=move |e| {
                                        // An answer that is not an image (a refusal) counts as missing.
                                        let broken = e.target()
                                            .and_then(|t| t.dyn_into::<web_sys::HtmlImageElement>().ok())
                                            .is_some_and(|img| img.natural_width() == 0);
                                        if broken { thumbnail_failed.set(true) }
                                    }
                                />
                            </Show>
                        }.into_any(),
                        None => view! { <LineIcon path=crate::attachments::icon(kind) /> }.into_any(),
                    }}
                </span>
                <span class="file-text">
                    <span class="row-title" data-testid="file-name">{name}</span>
                    <span class="row-detail">{facts}</span>
                    {move || state().map(|(bad, text)| view! {
                        <span class="row-detail file-state" class:error=bad data-testid="file-state">{text}</span>
                    })}
                </span>
            </button>
            <Show when=move || account.can_edit()>
                <button
                    type="button"
                    class="subtle remove"
                    data-testid="file-remove"
                    aria-label=remove_label.clone()
                    title=remove_label.clone()
                    on:click=remove.clone()
                >
                    "×"
                </button>
            </Show>
        </li>
    }
}
