use leptos::prelude::*;

/// A choice of one among a few, as a row of joined buttons (radio inputs underneath, so keyboards and
/// screen readers know it). Each option: its value, its label and its test handle. Labels are signals,
/// like every other text on screen, so they follow a change of language while shown.
#[component]
pub(crate) fn Segmented<T>(
    value: RwSignal<T>,
    /// The radio group's name, unique on the page.
    name: &'static str,
    /// What the choice is about, for screen readers.
    label: Signal<&'static str>,
    options: Vec<(T, Signal<&'static str>, &'static str)>,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    view! {
        <fieldset class="segmented" aria-label=label>
            {options.into_iter().map(|(option, text, testid)| view! {
                <label class="segment">
                    <input
                        type="radio"
                        name=name
                        data-testid=testid
                        prop:checked=move || value.get() == option
                        on:change=move |_| value.set(option)
                    />
                    <span>{text}</span>
                </label>
            }).collect_view()}
        </fieldset>
    }
}
