use leptos::prelude::*;

use crate::account::AccountCtx;

/// The panel at the foot of a record's page that archives it: what archiving does, the button, and
/// why it failed. Shown to those who may edit. `on_archive` writes the record and leaves the page.
#[component]
pub(crate) fn ArchivePanel(
    #[prop(into)] title: TextProp,
    #[prop(into)] hint: TextProp,
    testid: &'static str,
    error: RwSignal<Option<String>>,
    on_archive: Callback<()>,
) -> impl IntoView {
    let account = AccountCtx::use_ctx();
    let button = title.clone();
    view! {
        <Show when=move || account.can_edit()>
            <section class="panel">
                <h2>{let title = title.clone(); move || title.get()}</h2>
                <p class="hint">{let hint = hint.clone(); move || hint.get()}</p>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="button" class="secondary" data-testid=testid on:click=move |_| on_archive.run(())>
                    {let button = button.clone(); move || button.get()}
                </button>
            </section>
        </Show>
    }
}
