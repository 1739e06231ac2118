//! The segments a person or organisation is in now (each rule evaluated against its record) and the
//! static lists it is on, taken off with ×; and "add to list".

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{PartyId, SegmentId};
use rapport_core::model::Segment;

use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::pages::marketing::with_audience;
use crate::state::WorkspaceCtx;
use crate::widgets;

/// Segments and lists: (id, name, a list).
type Memberships = (Vec<(SegmentId, String)>, Vec<(SegmentId, String)>, Vec<(SegmentId, String)>);

#[component]
pub(super) fn PartySegments(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    // The rules it meets, the lists it is on, and the lists it could be added to, by name.
    let memberships = Memo::new(move |_| -> Memberships {
        with_audience(ctx, outbox, |audience, model| {
            let Some(row) = model.parties.get(&id) else { return Default::default() };
            let (mut segments, mut on, mut off) = (Vec::new(), Vec::new(), Vec::new());
            for segment in model.segments.values().filter(|s| !s.archived) {
                let named = (segment.id, segment.name.clone());
                if segment.list {
                    // On it by its own id or one of a record since merged into it.
                    if segment.places_of(model, id).is_empty() {
                        off.push(named)
                    } else {
                        on.push(named)
                    }
                } else if audience.matches(&audience.compile(&segment.rule), row) {
                    segments.push(named);
                }
            }
            for names in [&mut segments, &mut on, &mut off] {
                names.sort_by_cached_key(|(_, name)| rapport_core::search::fold(name));
            }
            (segments, on, off)
        })
        .unwrap_or_default()
    });
    let change = move |list: SegmentId, add: bool| {
        let places = ctx
            .read(|ws| ws.model.segments.get(&list).map(|l| l.places_of(&ws.model, id)))
            .flatten()
            .unwrap_or_default();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<Segment>(&shared, list, move |s: &mut Segment| {
                if add {
                    s.members.insert(id.to_string(), true);
                } else {
                    for place in places {
                        s.members.remove(&place.to_string());
                    }
                }
            })
            .await;
            ctx.settle(result, error);
        });
    };
    let shown =
        move || memberships.with(|(s, on, off)| !s.is_empty() || !on.is_empty() || !off.is_empty());
    view! {
        <Show when=shown>
            <section class="panel" data-testid="party-segments" aria-labelledby="party-segments-title">
                <h2 id="party-segments-title">{t!(i18n, marketing.segments)}</h2>
                <p class="chips">
                    {move || memberships.get().0.into_iter().map(|(segment, name)| view! {
                        <a class="chip" href=format!("/marketing/segments/{segment}") data-testid="party-segment" data-name=name.clone()>{name.clone()}</a>
                    }).collect_view()}
                    {move || memberships.get().1.into_iter().map(|(list, name)| {
                        let label = Signal::derive({ let name = name.clone(); move || t_string!(i18n, marketing.remove_from, name = name.clone()).to_string() });
                        view! {
                            <span class="chip" data-testid="party-list" data-name=name.clone()>
                                <a href=format!("/marketing/segments/{list}")>{name.clone()}</a>
                                <Show when=move || account.can_edit()>
                                    <widgets::RemoveButton label on_remove=Callback::new(move |()| change(list, false)) />
                                </Show>
                            </span>
                        }
                    }).collect_view()}
                </p>
                <Show when=move || account.can_edit() && memberships.with(|m| !m.2.is_empty())>
                    <label>
                        {t!(i18n, marketing.add_to_list)}
                        <select data-testid="party-add-to-list" on:change=move |e| {
                            if let Ok(list) = event_target_value(&e).parse() { change(list, true) }
                        }>
                            <option value="" selected=true>{t!(i18n, marketing.choose_list)}</option>
                            {move || memberships.get().2.into_iter().map(|(list, name)| view! { <option value=list.to_string()>{name}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </section>
        </Show>
    }
}
