//! The language the screens speak: English or Russian (`locales/*.json`, compiled by build.rs),
//! chosen from the browser's languages unless the user picked one in Settings, which this device
//! remembers. Dates, numbers and plural forms come from the browser's `Intl` for that language, so
//! the wasm carries no locale data of its own.

use leptos::prelude::*;

use leptos_i18n::Locale as _;
use leptos_i18n::td_string;

use crate::i18n::{Locale, use_i18n};

/// Where this device remembers a language the user chose (absent: follow the browser).
const CHOSEN_KEY: &str = "rapport.locale";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Applies the language remembered on this device, if the user chose one. In an effect: the i18n
/// context's own first effect sets the browser's language, and this one, created after it, runs after
/// it, right after the first render.
pub(crate) fn restore_choice() {
    let i18n = use_i18n();
    Effect::new(move |_| {
        let chosen = local_storage().and_then(|s| s.get_item(CHOSEN_KEY).ok().flatten());
        if let Some(locale) = chosen.and_then(|tag| tag.parse::<Locale>().ok()) {
            i18n.set_locale(locale);
        }
    });
}

/// Switches the screens to `locale` and remembers it on this device.
pub(crate) fn choose(locale: Locale) {
    use_i18n().set_locale(locale);
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(CHOSEN_KEY, locale.as_str());
    }
}

/// The BCP 47 tag `Intl` formats with: the browser's own (with its region, "en-GB") when it speaks
/// the chosen language, else the chosen language alone. Tracks the locale when read in a reactive
/// scope, so dates and money re-render on a switch.
pub(crate) fn language() -> String {
    let chosen = use_context::<leptos_i18n::I18nContext<Locale>>()
        .map(|i18n| i18n.get_locale())
        .or_else(current_from_document);
    let browser = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    match chosen {
        Some(locale) if !browser.starts_with(locale.as_str()) => locale.as_str().to_owned(),
        _ if browser.is_empty() => "en".to_owned(),
        _ => browser,
    }
}

/// Outside the component tree (a task resumed after an await) the `<html lang>` the i18n
/// context keeps up to date still says which language the screens speak.
fn current_from_document() -> Option<Locale> {
    let html = web_sys::window()?.document()?.document_element()?;
    html.get_attribute("lang")?.parse().ok()
}

/// CLDR plural category of `n` in the screens' language: English has one/other, Russian
/// one/few/many/other ("1 задача", "2 задачи", "5 задач").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plural {
    One,
    Few,
    Many,
    Other,
}

pub(crate) fn plural(n: f64) -> Plural {
    let locales = js_sys::Array::of1(&language().into());
    let rules = js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new());
    match rules.select(n).as_string().as_deref() {
        Some("one") => Plural::One,
        Some("few") => Plural::Few,
        Some("many") => Plural::Many,
        _ => Plural::Other,
    }
}

/// `t_string!` for a key with plural forms (`key.one`, `key.few`, `key.many`, `key.other`, each
/// with `{{ count }}`), picked by [`plural`]. Further interpolations follow the count.
macro_rules! t_plural {
    ($i18n:expr, $($key:ident).+, $count:expr $(, $arg:ident = $value:expr)* $(,)?) => {{
        let count = $count;
        match $crate::locale::plural(count as f64) {
            $crate::locale::Plural::One => $crate::i18n::t_string!($i18n, $($key).+.one, count = count $(, $arg = $value)*).to_string(),
            $crate::locale::Plural::Few => $crate::i18n::t_string!($i18n, $($key).+.few, count = count $(, $arg = $value)*).to_string(),
            $crate::locale::Plural::Many => $crate::i18n::t_string!($i18n, $($key).+.many, count = count $(, $arg = $value)*).to_string(),
            $crate::locale::Plural::Other => $crate::i18n::t_string!($i18n, $($key).+.other, count = count $(, $arg = $value)*).to_string(),
        }
    }};
}
pub(crate) use t_plural;

/// The language switch (Settings): each language named in itself.
#[component]
pub(crate) fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let options = [(Locale::en, "English"), (Locale::ru, "Русский")];
    view! {
        <label class="field">
            <span>{crate::i18n::t!(i18n, settings.language)}</span>
            <select data-testid="language" on:change=move |ev| {
                if let Ok(locale) = event_target_value(&ev).parse::<Locale>() {
                    choose(locale);
                }
            }>
                {options
                    .into_iter()
                    .map(|(locale, name)| {
                        view! {
                            <option value=locale.as_str() selected=move || i18n.get_locale() == locale>
                                {name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// The screens' language where no reactive context is at hand (a task resumed after an await, a
/// browser callback): for `td_string!(current(), key)` in notices written from there.
pub(crate) fn current() -> Locale {
    use_context::<leptos_i18n::I18nContext<Locale>>()
        .map(|i18n| i18n.get_locale_untracked())
        .or_else(current_from_document)
        .unwrap_or_default()
}

/// The screens' words for the names Rapport writes itself in English (the default pipelines and
/// their stages, the first workspace); `None` for a name it does not know or in English.
pub(crate) fn default_name(name: &str) -> Option<String> {
    let locale = current();
    if locale == Locale::en {
        return None;
    }
    let word = match name {
        "My workspace" => td_string!(locale, defaults.workspace),
        "Sales" => td_string!(locale, defaults.sales),
        "Lead" => td_string!(locale, defaults.lead),
        "Qualified" => td_string!(locale, defaults.qualified),
        "Proposal" => td_string!(locale, defaults.proposal),
        "Negotiation" => td_string!(locale, defaults.negotiation),
        "Fundraising" => td_string!(locale, defaults.fundraising),
        "Intro" => td_string!(locale, defaults.intro),
        "Pitch" => td_string!(locale, defaults.pitch),
        "Due diligence" => td_string!(locale, defaults.due_diligence),
        "Term sheet" => td_string!(locale, defaults.term_sheet),
        "Request" => td_string!(locale, defaults.request),
        "Quotes" => td_string!(locale, defaults.quotes),
        "Evaluation" => td_string!(locale, defaults.evaluation),
        "Contract" => td_string!(locale, defaults.contract),
        "Applied" => td_string!(locale, defaults.applied),
        "Screening" => td_string!(locale, defaults.screening),
        "Interview" => td_string!(locale, defaults.interview),
        "Offer" => td_string!(locale, defaults.offer),
        _ => return None,
    };
    Some(word.to_owned())
}
