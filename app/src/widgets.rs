//! Small pieces several pages share: choosing a party or a member, a segmented choice, a long list that renders what
//! is on screen, tasks as rows, role names, and writing dates and money the way the user's
//! language does.

mod archive_panel;
mod bar_chart;
mod files;
mod mail_state;
mod member_choice;
mod new_ticket;
mod party_picker;
mod save;
mod saved_chips;
mod saved_text;
mod segmented;
mod task_list;
mod windowed;

pub(crate) use archive_panel::ArchivePanel;
pub(crate) use bar_chart::{
    BarChart, ChartRow, PageChartFiles, PageCharts, Pick, Shape, cards_in_page_files,
};
pub(crate) use files::{FileOwner, Files};
pub(crate) use mail_state::MailState;
pub(crate) use member_choice::MemberChoice;
pub(crate) use new_ticket::NewTicket;
pub(crate) use party_picker::PartyPicker;
pub(crate) use save::Save;
pub(crate) use saved_chips::{SavedChips, SavedKind};
pub(crate) use saved_text::SavedText;
pub(crate) use segmented::Segmented;
pub(crate) use task_list::{NewTask, TaskList, TaskRowById, next_steps};
pub(crate) use windowed::Windowed;

use leptos::prelude::*;
use rapport_core::ids::Timestamp;
use rapport_core::model::{InteractionKind, Role};
use wasm_bindgen::JsValue;

use crate::i18n::{t_string, use_i18n};
use leptos_i18n::td_string;

pub(crate) use crate::locale::language;

fn options(pairs: &[(&str, &str)]) -> js_sys::Object {
    let options = js_sys::Object::new();
    for (key, value) in pairs {
        let _ = js_sys::Reflect::set(&options, &(*key).into(), &(*value).into());
    }
    options
}

/// Keeps a form's `field` in step with the value it was filled from: when `stored` changes (a
/// colleague's edit arrives, a save completes) the field follows — unless this person has changed it,
/// which is kept. What a save writes is then only what differs from `stored`.
pub(crate) fn follow<T>(stored: Memo<T>, field: RwSignal<T>)
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    field.set(stored.get_untracked());
    Effect::new(move |before: Option<T>| {
        let now = stored.get();
        if let Some(before) = before
            && before != now
            && field.with_untracked(|typed| *typed == before)
        {
            field.set(now.clone());
        }
        now
    });
}

/// Offers `text` as a file named `name` to save; the error in the screens' language.
pub(crate) fn download_text(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |_| td_string!(crate::locale::current(), io.download_refused).to_owned();
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    save_as(name, &blob).map_err(fail)
}

/// Offers the SVG image `svg` (`width` × `height`) drawn as a PNG file named `name`, at twice the
/// size so that it stays sharp on a slide; the error in the screens' language.
pub(crate) async fn download_png(
    name: &str,
    svg: &str,
    width: u32,
    height: u32,
) -> Result<(), String> {
    let refused = || td_string!(crate::locale::current(), io.download_refused).to_owned();
    let png = png_of(svg, width, height).await.ok_or_else(refused)?;
    save_as(name, &png).map_err(|_| refused())
}

async fn png_of(svg: &str, width: u32, height: u32) -> Option<web_sys::Blob> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let parts = js_sys::Array::of1(&svg.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let document = web_sys::window()?.document()?;
    let image: web_sys::HtmlImageElement = document.create_element("img").ok()?.dyn_into().ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    image.set_src(&url);
    let decoded = JsFuture::from(image.decode()).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    decoded.ok()?;
    let canvas: web_sys::HtmlCanvasElement =
        document.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(width * 2);
    canvas.set_height(height * 2);
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let (w, h) = (f64::from(width * 2), f64::from(height * 2));
    context.draw_image_with_html_image_element_and_dw_and_dh(&image, 0.0, 0.0, w, h).ok()?;
    let made = js_sys::Promise::new(&mut |resolve, reject| {
        let done = wasm_bindgen::closure::Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        // Refused at once (a canvas the browser will not read): said, not waited for forever.
        if let Err(why) = canvas.to_blob_with_type(done.unchecked_ref(), "image/png") {
            let _ = reject.call1(&JsValue::NULL, &why);
        }
    });
    JsFuture::from(made).await.ok()?.dyn_into().ok()
}

/// A calendar day as the screens' language writes it ("27 Nov 2026").
pub(crate) fn day_text(day: time::Date) -> String {
    local_date(local_midnight(day))
}

/// A moment's UTC calendar day as the screens' language writes it ("27 Nov 2026").
pub(crate) fn utc_date(at: Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    let options = options(&[("dateStyle", "medium"), ("timeZone", "UTC")]);
    date.to_locale_date_string(&language(), &options).into()
}

/// A moment's local calendar day as the screens' language writes it ("27 Nov 2026").
pub(crate) fn local_date(at: Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    date.to_locale_date_string(&language(), &options(&[("dateStyle", "medium")])).into()
}

/// Up to two letters naming a person on a small avatar: "Anna Berg" → "AB".
pub(crate) fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The screens' language's number formatter with `settings`: one per language and settings, kept,
/// since a formatter costs far more to make than to use.
fn number_format(settings: &[(&str, &str)]) -> js_sys::Intl::NumberFormat {
    type Formats = std::collections::HashMap<(String, String), js_sys::Intl::NumberFormat>;
    thread_local! {
        static FORMATS: std::cell::RefCell<Formats> = Default::default();
    }
    let key: String = settings.iter().map(|(name, value)| format!("{name}={value};")).collect();
    FORMATS.with_borrow_mut(|formats| {
        formats
            .entry((language(), key))
            .or_insert_with(|| {
                let locales = js_sys::Array::of1(&language().into());
                js_sys::Intl::NumberFormat::new(&locales, &options(settings))
            })
            .clone()
    })
}

fn formatted(format: &js_sys::Intl::NumberFormat, n: f64) -> Option<String> {
    format.format().call1(&JsValue::NULL, &JsValue::from_f64(n)).ok()?.as_string()
}

/// Hands `blob` to the browser as a download named `name`.
pub(crate) fn save_as(name: &str, blob: &web_sys::Blob) -> Result<(), JsValue> {
    use wasm_bindgen::JsCast;
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or(JsValue::NULL)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Freed once the browser has surely read it (revoking at once can cancel the download).
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(60_000).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}

/// A count as the screens' language groups its digits ("10,000", "10 000").
pub(crate) fn count(n: usize) -> String {
    formatted(&number_format(&[]), n as f64).unwrap_or_else(|| n.to_string())
}

/// A number with one decimal as the screens' language writes it ("4.3", "4,3").
pub(crate) fn tenths(tenths: u32) -> String {
    let format = number_format(&[("minimumFractionDigits", "1"), ("maximumFractionDigits", "1")]);
    let value = f64::from(tenths) / 10.0;
    formatted(&format, value).unwrap_or_else(|| format!("{value:.1}"))
}

/// A file's size as the screens' language writes it ("820 kB", "2.4 MB", "2,4 МБ").
pub(crate) fn file_size(bytes: u64) -> String {
    let (unit, scale) = match bytes {
        0..1_000 => ("byte", 1.0),
        1_000..1_000_000 => ("kilobyte", 1e3),
        1_000_000..1_000_000_000 => ("megabyte", 1e6),
        _ => ("gigabyte", 1e9),
    };
    let format =
        number_format(&[("style", "unit"), ("unit", unit), ("maximumFractionDigits", "1")]);
    formatted(&format, bytes as f64 / scale).unwrap_or_else(|| format!("{bytes} B"))
}

/// A time of day as the screens' language writes it ("14:05", "2:05 PM").
pub(crate) fn local_time(at: Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    date.to_locale_time_string_with_options(&language(), &options(&[("timeStyle", "short")])).into()
}

/// An amount in minor units as the screens' language writes money ("€1,200.50", "1 200,50 ₽").
pub(crate) fn money(minor: i64, currency: &str) -> String {
    let digits = rapport_core::model::minor_digits(currency);
    let major = minor as f64 / 10_f64.powi(digits as i32);
    let format = number_format(&[("style", "currency"), ("currency", currency)]);
    formatted(&format, major)
        // An unknown currency code: the number and the code.
        .unwrap_or_else(|| format!("{major:.2} {currency}"))
}

/// The local midnight starting the day an `<input type="date">` holds (`YYYY-MM-DD`); `None` if empty.
pub(crate) fn parse_date_input(value: &str) -> Option<Timestamp> {
    let mut parts = value.trim().splitn(3, '-').map(str::parse::<u32>);
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(day))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let date = js_sys::Date::new_with_year_month_day(year, month as i32 - 1, day as i32);
    let time = date.get_time();
    (!time.is_nan()).then_some(Timestamp(time as i64))
}

/// The `YYYY-MM-DD` an `<input type="date">` shows for `at`, in local time.
pub(crate) fn date_input_value(at: Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    format!("{:04}-{:02}-{:02}", date.get_full_year(), date.get_month() + 1, date.get_date())
}

/// A day and a time of it as the screens' language writes them ("6 Dec 2026, 14:05").
pub(crate) fn local_date_time(at: Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    let options = options(&[("dateStyle", "medium"), ("timeStyle", "short")]);
    date.to_locale_string(&language(), &options).into()
}

/// The moment an `<input type="datetime-local">` holds (`YYYY-MM-DDTHH:MM`, seconds optional), in
/// the device's time zone; `None` if empty or not a time.
pub(crate) fn parse_date_time_input(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    // The one form a datetime-local input gives, which every browser reads as local time.
    let plausible = value.len() >= 16 && value.as_bytes().get(10) == Some(&b'T');
    if !plausible {
        return None;
    }
    let time = js_sys::Date::new(&JsValue::from_str(value)).get_time();
    (!time.is_nan()).then_some(Timestamp(time as i64))
}

/// What an `<input type="datetime-local">` shows for `at`, in local time, to the second.
pub(crate) fn date_time_input_value(at: Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// Tags typed as "vip, moscow , vip": each once, trimmed, in the order typed.
pub(crate) fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// The calendar day `at` falls on in the device's time zone.
pub(crate) fn local_day(at: Timestamp) -> time::Date {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    let month = time::Month::try_from(date.get_month() as u8 + 1).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(date.get_full_year() as i32, month, date.get_date() as u8)
        .unwrap_or(time::Date::MIN)
}

/// When `day` begins in the device's time zone.
pub(crate) fn local_midnight(day: time::Date) -> Timestamp {
    let date = js_sys::Date::new_with_year_month_day(
        day.year() as u32,
        i32::from(u8::from(day.month())) - 1,
        i32::from(day.day()),
    );
    Timestamp(date.get_time() as i64)
}

/// Midnight of the local day `days` after today (0 = today, negative: before).
pub(crate) fn local_day_start(days: i32) -> Timestamp {
    let today = local_day(crate::local::now());
    local_midnight(today.saturating_add(time::Duration::days(i64::from(days))))
}

/// A relationship role as the screens name it, one and many ("Customer", "Customers"); reactive.
pub(crate) fn role_label(role: Role) -> (&'static str, &'static str) {
    let i18n = use_i18n();
    match role {
        Role::Customer => (t_string!(i18n, roles.customer), t_string!(i18n, roles.customers)),
        Role::Prospect => (t_string!(i18n, roles.prospect), t_string!(i18n, roles.prospects)),
        Role::Supplier => (t_string!(i18n, roles.supplier), t_string!(i18n, roles.suppliers)),
        Role::Investor => (t_string!(i18n, roles.investor), t_string!(i18n, roles.investors)),
        Role::Employee => (t_string!(i18n, roles.employee), t_string!(i18n, roles.employees)),
        Role::Partner => (t_string!(i18n, roles.partner), t_string!(i18n, roles.partners)),
        Role::Other => (t_string!(i18n, roles.other), t_string!(i18n, roles.others)),
    }
}

/// A relationship role's name in the screens' language, outside any component (e.g. in a task).
pub(crate) fn role_name(role: Role) -> &'static str {
    let locale = crate::locale::current();
    match role {
        Role::Customer => td_string!(locale, roles.customer),
        Role::Prospect => td_string!(locale, roles.prospect),
        Role::Supplier => td_string!(locale, roles.supplier),
        Role::Investor => td_string!(locale, roles.investor),
        Role::Employee => td_string!(locale, roles.employee),
        Role::Partner => td_string!(locale, roles.partner),
        Role::Other => td_string!(locale, roles.other),
    }
}

/// Why a typed amount was refused, in the screens' language.
pub(crate) fn amount_refused(why: &rapport_core::model::AmountError) -> String {
    use rapport_core::model::AmountError;
    let locale = crate::locale::current();
    match why {
        AmountError::Empty => td_string!(locale, amount.empty).to_owned(),
        AmountError::NotANumber(text) => td_string!(locale, amount.not_a_number, text).to_string(),
        AmountError::TooPrecise { currency, digits } => {
            td_string!(locale, amount.too_precise, currency, digits).to_string()
        }
        AmountError::TooLarge => td_string!(locale, amount.too_large).to_owned(),
    }
}

/// What people call each kind of interaction.
pub(crate) fn interaction_label(kind: InteractionKind) -> &'static str {
    let locale = crate::locale::current();
    match kind {
        InteractionKind::Call => td_string!(locale, log.call),
        InteractionKind::Meeting => td_string!(locale, log.meeting),
        InteractionKind::Visit => td_string!(locale, log.visit),
        InteractionKind::Email => td_string!(locale, log.email),
        InteractionKind::Message => td_string!(locale, log.message),
        InteractionKind::Note => td_string!(locale, log.note),
    }
}

/// "×" at the end of a row: removes what the row shows, named for a screen reader by `label`
/// ("Remove First aid").
#[component]
pub(crate) fn RemoveButton(
    #[prop(into)] label: Signal<String>,
    on_remove: Callback<()>,
) -> impl IntoView {
    view! {
        <button type="button" class="icon-button" aria-label=move || label.get() on:click=move |_| on_remove.run(())>"×"</button>
    }
}
