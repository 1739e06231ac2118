use leptos::prelude::*;

/// A text field that follows the stored text (a colleague's change shows unless this person is
/// typing) and hands what was typed to `save` when left, if it differs. `differs` hears, as the person
/// types, whether the field holds text not saved yet (a page that must not act on the stored text
/// meanwhile, a campaign's send).
#[component]
pub(crate) fn SavedText(
    stored: Memo<String>,
    save: Callback<String>,
    testid: &'static str,
    #[prop(into)] label: TextProp,
    /// A text area rather than a line.
    #[prop(optional)]
    long: bool,
    #[prop(optional)] differs: Option<Callback<bool>>,
    /// Not to be changed now (beside a viewer's, who changes nothing).
    #[prop(optional, into)]
    locked: Signal<bool>,
    /// What the field offers as it is typed in (a line only, once on its page: its list is named
    /// after `testid`).
    #[prop(optional, into)]
    suggestions: Option<Signal<Vec<String>>>,
) -> impl IntoView {
    let account = crate::account::AccountCtx::use_ctx();
    let disabled = move || locked.get() || !account.can_edit();
    let text = RwSignal::new(String::new());
    super::follow(stored, text);
    if let Some(differs) = differs {
        Effect::new(move || differs.run(text.with(|t| stored.with(|s| t != s))));
        on_cleanup(move || differs.run(false));
    }
    let saved = move || {
        let typed = text.get_untracked();
        if typed != stored.get_untracked() {
            save.run(typed);
        }
    };
    let input = move |e: leptos::ev::Event| text.set(event_target_value(&e));
    view! {
        <label>
            {move || label.get()}
            {if long {
                view! {
                    <textarea data-testid=testid rows="8" prop:value=move || text.get() disabled=disabled
                        on:input=input on:change=move |_| saved()></textarea>
                }.into_any()
            } else {
                let choices = suggestions.map(|offered| (format!("{testid}-choices"), offered));
                view! {
                    <input data-testid=testid prop:value=move || text.get() disabled=disabled
                        list=choices.as_ref().map(|(id, _)| id.clone())
                        on:input=input on:change=move |_| saved() />
                    {choices.map(|(id, offered)| view! {
                        <datalist id=id>
                            {move || offered.get().into_iter().map(|s| view! { <option value=s /> }).collect_view()}
                        </datalist>
                    })}
                }.into_any()
            }}
        </label>
    }
}
