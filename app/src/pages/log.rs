//! Log a call, meeting or visit in a few taps (the home-screen shortcut "Log a visit" opens it): who, what
//! happened, and — for a visit, when the user allows — where. Works offline like every edit.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos_i18n::td_string;
use leptos_router::hooks::{use_params_map, use_query_map};
use rapport_core::ids::{InteractionId, PartyId};
use rapport_core::model::{GeoPoint, Interaction, InteractionKind};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use super::Page;
use crate::local::{self, BrowserIds};
use crate::state::WorkspaceCtx;
use crate::widgets::{self, PartyPicker};

/// The kinds the quick log offers, with their URL segment and label.
const KINDS: [(InteractionKind, &str); 3] = [
    (InteractionKind::Visit, "visit"),
    (InteractionKind::Call, "call"),
    (InteractionKind::Meeting, "meeting"),
];

/// Where the location of a visit stands.
#[derive(Debug, Clone, PartialEq)]
enum Place {
    NotAsked,
    Locating,
    Found(GeoPoint),
    Unavailable(String),
}

#[component]
pub(crate) fn LogInteraction() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let params = use_params_map();
    let from_url = params.with_untracked(|p| {
        let segment = p.get("kind").unwrap_or_default();
        KINDS.iter().find(|(_, s)| *s == segment).map_or(InteractionKind::Visit, |k| k.0)
    });
    let kind = RwSignal::new(from_url);
    // Opened from a record ("Log a visit" on its page): that party is chosen already.
    let preset = use_query_map()
        .with_untracked(|q| q.get("party"))
        .and_then(|id| id.parse::<PartyId>().ok());
    let party = RwSignal::new(None::<(PartyId, String)>);
    Effect::new(move || {
        let Some(id) = preset else { return };
        let name = ctx.read(|ws| ws.model.parties.get(&id).map(|row| row.name.clone())).flatten();
        if let Some(name) = name
            && party.get_untracked().is_none()
        {
            party.set(Some((id, name)));
        }
    });
    let navigate = leptos_router::hooks::use_navigate();
    let summary = RwSignal::new(String::new());
    let place = RwSignal::new(Place::NotAsked);
    let error = RwSignal::new(None::<String>);
    let logged = RwSignal::new(None::<String>);

    let saving = widgets::Save::new(
        move |(interaction, party_id, party_name, kind_now): (
            Interaction,
            PartyId,
            String,
            InteractionKind,
        )| {
            let navigate = navigate.clone();
            async move {
                let Some(shared) = ctx.shared() else { return };
                let id = InteractionId::generate(&mut BrowserIds);
                let result = local::log_interaction(&shared, id, interaction).await;
                let stored_in = result.as_ref().ok().copied();
                if ctx.settle(result.map(|_| ()), error)
                    && let Some(key) = stored_in
                {
                    // Read back what was stored, so the confirmation shows exactly that.
                    let stored = local::read_interaction(&shared, key, id).await;
                    let confirmation = match stored {
                        Ok(Some(stored)) => confirmation(&stored, &party_name),
                        _ => t_string!(
                            i18n,
                            log.logged,
                            kind = widgets::interaction_label(kind_now),
                            party = &party_name,
                            place = ""
                        )
                        .to_string(),
                    };
                    // Opened from a record: back on it, where the entry now tops the timeline.
                    if preset == Some(party_id) {
                        ctx.logged.set(Some(confirmation));
                        navigate(&format!("/parties/{party_id}"), Default::default());
                    } else {
                        logged.set(Some(confirmation));
                        summary.set(String::new());
                        place.set(Place::NotAsked);
                        party.set(None);
                    }
                }
            }
        },
    );
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if ctx.shared().is_none() {
            return;
        }
        if account.view_only.get_untracked() {
            error.set(Some(t_string!(i18n, log.view_only).into()));
            return;
        }
        let Some((party_id, party_name)) = party.get_untracked() else {
            error.set(Some(t_string!(i18n, log.choose_party).into()));
            return;
        };
        let location = match place.get_untracked() {
            Place::Found(point) => Some(point),
            _ => None,
        };
        let kind_now = kind.get_untracked();
        let interaction = Interaction {
            kind: kind_now,
            at: local::now(),
            parties: vec![party_id],
            summary: summary.get_untracked().trim().to_owned(),
            members: Vec::new(),
            notes: Default::default(),
            outcome: String::new(),
            location,
            follow_up: None,
            author: ctx.read(|ws| ws.me).flatten(),
            archived: false,
            answers: None,
            automatic: false,
        };
        saving.submit((interaction, party_id, party_name, kind_now));
    };

    view! {
        <Page key="log" title=move || t_string!(i18n, log.title)>
            <form class="record-form log-form" on:submit=save data-testid="log-form">
                <fieldset class="segmented">
                    <legend>{t!(i18n, log.what)}</legend>
                    {KINDS.iter().map(|&(value, segment)| view! {
                        <label class="segment">
                            <input
                                type="radio"
                                name="kind"
                                value=segment
                                data-testid=format!("log-kind-{segment}")
                                prop:checked=move || kind.get() == value
                                on:change=move |_| kind.set(value)
                            />
                            <span>{widgets::interaction_label(value)}</span>
                        </label>
                    }).collect_view()}
                </fieldset>
                <PartyPicker chosen=party testid="log" label=move || t_string!(i18n, log.with) />
                <label>
                    {t!(i18n, log.what_happened)}
                    <textarea
                        rows="3"
                        data-testid="log-summary"
                        prop:value=move || summary.get()
                        on:input=move |e| summary.set(event_target_value(&e))
                    ></textarea>
                </label>
                <Show when=move || kind.get() == InteractionKind::Visit>
                    <div class="place" data-testid="log-place">
                        <button
                            type="button"
                            data-testid="log-locate"
                            disabled=move || place.get() == Place::Locating
                            on:click=move |_| locate(place)
                        >
                            {t!(i18n, log.locate)}
                        </button>
                        <span data-testid="log-place-status">
                            {move || match place.get() {
                                Place::NotAsked => String::new(),
                                Place::Locating => t_string!(i18n, log.locating).into(),
                                Place::Found(point) => describe(&point),
                                Place::Unavailable(why) => why,
                            }}
                        </span>
                    </div>
                </Show>
                {move || error.get().map(|e| view! { <p class="error" data-testid="log-error">{e}</p> })}
                <button type="submit" data-testid="save-log" disabled=move || saving.pending()>
                    {move || match kind.get() {
                        InteractionKind::Call => t_string!(i18n, log.save_call),
                        InteractionKind::Meeting => t_string!(i18n, log.save_meeting),
                        _ => t_string!(i18n, log.save_visit),
                    }}
                </button>
            </form>
            {move || logged.get().map(|text| view! {
                <p class="done" role="status" data-testid="log-done">{text}</p>
            })}
        </Page>
    }
}

fn describe(point: &GeoPoint) -> String {
    format!("{:.5}, {:.5} (±{:.0} m)", point.latitude, point.longitude, point.accuracy_m)
}

fn confirmation(stored: &Interaction, party: &str) -> String {
    let locale = crate::locale::current();
    let place = stored
        .location
        .as_ref()
        .map(|p| td_string!(locale, log.at, place = describe(p)).to_string())
        .unwrap_or_default();
    td_string!(locale, log.logged, kind = widgets::interaction_label(stored.kind), party, place)
        .to_string()
}

/// Asks the browser where the device is. The browser asks the user the first time; a refusal or a
/// timeout leaves the visit without a place, and says why.
fn locate(place: RwSignal<Place>) {
    let geolocation = web_sys::window().and_then(|w| w.navigator().geolocation().ok());
    let Some(geolocation) = geolocation else {
        place.set(Place::Unavailable(td_string!(crate::locale::current(), log.no_geo).into()));
        return;
    };
    place.set(Place::Locating);
    let found = Closure::once_into_js(move |position: web_sys::Position| {
        let coords = position.coords();
        place.set(Place::Found(GeoPoint {
            latitude: coords.latitude(),
            longitude: coords.longitude(),
            accuracy_m: coords.accuracy(),
        }));
    });
    let failed = Closure::once_into_js(move |error: web_sys::PositionError| {
        let why = match error.code() {
            web_sys::PositionError::PERMISSION_DENIED => {
                td_string!(crate::locale::current(), log.geo_denied)
            }
            _ => td_string!(crate::locale::current(), log.geo_unavailable),
        };
        place.set(Place::Unavailable(why.into()));
    });
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_timeout(15_000);
    let _ = geolocation.get_current_position_with_error_callback_and_options(
        found.unchecked_ref(),
        Some(failed.unchecked_ref()),
        &options,
    );
}
