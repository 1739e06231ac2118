//! What a team saves by name in the workspace's settings and applies with one tap — the People list's
//! views, the composer's email templates: a chip per saved item (tap to apply, × to remove), and "Save
//! as…", which asks for a name and keeps what is on screen under it. The page says what is saved and
//! what applying it means; this widget is the one way such a list looks and behaves.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::model::WorkspaceSettings;
use rapport_core::read_model::Changed;

use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;

/// Keeps what is on screen in the settings as item `id` named `name`.
pub(crate) type Keep = Arc<dyn Fn(&mut WorkspaceSettings, String, String) + Send + Sync>;

/// A kind of saved item: where it lives in the settings and the page's words for it.
#[derive(Clone)]
pub(crate) struct SavedKind {
    /// Test ids: `saved-{testid}`, `remove-{testid}`, `new-{testid}`, `{testid}-name`, `save-{testid}`.
    pub testid: &'static str,
    /// The saved items, `(id, name)`.
    pub list: fn(&WorkspaceSettings) -> Vec<(String, String)>,
    /// Forgets item `id`.
    pub remove: fn(&mut WorkspaceSettings, &str),
    /// Keeps what is on screen as a new item `id` named `name`.
    pub keep: Keep,
    /// A fresh item id.
    pub new_id: fn() -> String,
    pub group_label: Signal<String>,
    pub save_label: Signal<String>,
    pub name_label: Signal<String>,
    pub name_needed: Signal<String>,
    /// "Remove …" for item `name`.
    pub remove_label: Arc<dyn Fn(&str) -> String + Send + Sync>,
}

impl SavedKind {
    /// Saved views of a list (people, tickets): named, removed and saved in the lists' own words.
    pub(crate) fn views(
        testid: &'static str,
        list: fn(&WorkspaceSettings) -> Vec<(String, String)>,
        remove: fn(&mut WorkspaceSettings, &str),
        keep: Keep,
    ) -> SavedKind {
        let i18n = use_i18n();
        SavedKind {
            testid,
            list,
            remove,
            keep,
            new_id: || {
                rapport_core::ids::ViewId::generate(&mut crate::local::BrowserIds).to_string()
            },
            group_label: Signal::derive(move || t_string!(i18n, parties.saved_views).to_owned()),
            save_label: Signal::derive(move || t_string!(i18n, parties.save_view).to_owned()),
            name_label: Signal::derive(move || t_string!(i18n, parties.view_name).to_owned()),
            name_needed: Signal::derive(move || {
                t_string!(i18n, parties.view_name_needed).to_owned()
            }),
            remove_label: Arc::new(move |label| {
                t_string!(i18n, parties.remove_view, label = label).to_string()
            }),
        }
    }
}

#[component]
pub(crate) fn SavedChips(
    kind: SavedKind,
    /// Applies item `id`.
    pick: Callback<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let list = kind.list;
    let saved = Memo::new(move |_| {
        let mut saved = ctx.read_of(Changed::SETTINGS, |ws| list(&ws.settings)).unwrap_or_default();
        saved.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        saved
    });
    let naming = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let save = {
        let (keep, new_id, needed) = (kind.keep.clone(), kind.new_id, kind.name_needed);
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            let text = name.get_untracked().trim().to_owned();
            if text.is_empty() {
                error.set(Some(needed.get_untracked()));
                return;
            }
            let keep = keep.clone();
            spawn_local(async move {
                let Some(shared) = ctx.shared_once_open().await else { return };
                let id = new_id();
                let result =
                    local::update_settings(&shared, move |settings| keep(settings, id, text)).await;
                if ctx.settle(result, error) {
                    name.set(String::new());
                    naming.set(false);
                }
            });
        }
    };
    // Copied into every render of the form.
    let save = StoredValue::new(save);
    let remove_item = kind.remove;
    let remove = move |id: String| {
        spawn_local(async move {
            let Some(shared) = ctx.shared() else { return };
            let result =
                local::update_settings(&shared, move |settings| remove_item(settings, &id)).await;
            ctx.settle(result, error);
        });
    };
    let testid = kind.testid;
    let remove_label = kind.remove_label.clone();
    let (save_label, name_label) = (kind.save_label, kind.name_label);
    view! {
        <div class="saved-views" role="group" aria-label=move || kind.group_label.get()>
            <For each=move || saved.get() key=|entry| entry.clone() let:entry>
                {
                    let (id, label) = entry;
                    let remove_label = remove_label(&label);
                    let picked = id.clone();
                    view! {
                        <span class="chip saved-view">
                            <button type="button" class="chip-main" data-testid=format!("saved-{testid}") on:click=move |_| pick.run(picked.clone())>
                                {label.clone()}
                            </button>
                            <Show when=move || account.can_edit()>
                                <button
                                    type="button"
                                    class="chip-remove"
                                    data-testid=format!("remove-{testid}")
                                    aria-label=remove_label.clone()
                                    on:click={
                                        let id = id.clone();
                                        move |_| remove(id.clone())
                                    }
                                >
                                    "×"
                                </button>
                            </Show>
                        </span>
                    }
                }
            </For>
            <Show when=move || account.can_edit()>
                <Show
                    when=move || naming.get()
                    fallback=move || view! {
                        <button type="button" class="chip subtle" data-testid=format!("new-{testid}") on:click=move |_| naming.set(true)>
                            {move || save_label.get()}
                        </button>
                    }
                >
                    <form class="save-view" on:submit=move |e| save.with_value(|save| save(e))>
                        <input
                            type="text"
                            placeholder=move || name_label.get()
                            aria-label=move || name_label.get()
                            data-testid=format!("{testid}-name")
                            prop:value=move || name.get()
                            on:input=move |e| name.set(event_target_value(&e))
                        />
                        <button type="submit" data-testid=format!("save-{testid}")>{t!(i18n, parties.save)}</button>
                        <button type="button" class="subtle" on:click=move |_| naming.set(false)>{t!(i18n, parties.cancel)}</button>
                    </form>
                </Show>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}
