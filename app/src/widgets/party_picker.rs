use leptos::prelude::*;
use rapport_core::ids::PartyId;
use rapport_core::queries::{self, PartyFilter, PartySort};
use rapport_core::read_model::PartyKindRow;

use crate::i18n::{t, t_string, use_i18n};
use crate::state::WorkspaceCtx;

/// Choose a person or organisation by typing part of a name, email or phone. Test handles are
/// `<testid>-party-search`, `<testid>-party-match` and `<testid>-party` (the chosen one).
#[component]
pub(crate) fn PartyPicker(
    chosen: RwSignal<Option<(PartyId, String)>>,
    testid: &'static str,
    /// The visible label, in the screens' language.
    #[prop(into)]
    label: TextProp,
    /// Offer only organisations.
    #[prop(optional)]
    organisations: bool,
    /// Offer only the people the company employs.
    #[prop(optional)]
    employees: bool,
) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let matches = Memo::new(move |_| {
        let filter = PartyFilter {
            query: query.get(),
            kind: if organisations {
                Some(PartyKindRow::Organisation)
            } else {
                employees.then_some(PartyKindRow::Person)
            },
            role: employees.then_some(rapport_core::model::Role::Employee),
            ..PartyFilter::default()
        };
        if filter.query.trim().is_empty() {
            return Vec::new();
        }
        ctx.read(|ws| {
            let (_, rows) = queries::parties_page(&ws.model, &filter, PartySort::Name, 6);
            rows.into_iter().map(|row| (row.id, row.name.clone())).collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    view! {
        <label>
            {move || label.get()}
            {move || match chosen.get() {
                Some((_, name)) => view! {
                    <span class="chosen">
                        <span data-testid=format!("{testid}-party")>{name}</span>
                        <button type="button" on:click=move |_| chosen.set(None)>{t!(i18n, picker.change)}</button>
                    </span>
                }.into_any(),
                None => view! {
                    <input
                        type="search"
                        placeholder=move || t_string!(i18n, picker.search)
                        data-testid=format!("{testid}-party-search")
                        prop:value=move || query.get()
                        on:input=move |e| query.set(event_target_value(&e))
                    />
                }.into_any(),
            }}
        </label>
        <Show when=move || chosen.with(Option::is_none)>
            <ul class="choices">
                <For each=move || matches.get() key=|row| row.0 let:row>
                    <li>
                        <button
                            type="button"
                            data-testid=format!("{testid}-party-match")
                            on:click=move |_| {
                                // The next search starts afresh, also where the choice is taken
                                // at once (a list's "add") and the field shows again.
                                query.set(String::new());
                                chosen.set(Some(row.clone()));
                            }
                        >
                            {row.1.clone()}
                        </button>
                    </li>
                </For>
            </ul>
        </Show>
    }
}
