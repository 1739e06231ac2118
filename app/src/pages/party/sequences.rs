//! The drip sequences a person or organisation is in, where they stand in each, and "add to
//! sequence" (a party enters a sequence once).

use leptos::prelude::*;
use rapport_core::ids::{PartyId, SequenceId};
use rapport_core::read_model::Changed;

use rapport_core::sequences::newcomers;

use crate::i18n::{t, t_string, use_i18n};
use crate::outbox::OutboxCtx;
use crate::pages::sequence::{enrol, standing_key, standing_text};
use crate::state::WorkspaceCtx;

#[component]
pub(super) fn PartySequences(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let now = crate::pages::tickets::ticking_now();
    // (the sequences it is in: id, name, where it stands, its key), (those it could enter).
    let sequences = Memo::new(move |_| {
        let now = now.get();
        ctx.read_of(
            Changed::MARKETING | Changed::INTERACTIONS | Changed::DEALS | Changed::PARTIES,
            |ws| {
                // No sequence, no pass over every interaction and deal on each record's page.
                if ws.model.sequences.values().all(|s| s.archived) {
                    return Default::default();
                }
                outbox.outbox.with(|o| {
                    let world = rapport_core::sequences::World::new(ws.workspace, &ws.model, o);
                    let (mut on, mut off) = (Vec::new(), Vec::new());
                    for row in ws.model.sequences.values().filter(|s| !s.archived) {
                        match world.standing(row, id, now) {
                            Some(standing) => on.push((
                                row.id,
                                row.name.clone(),
                                standing_text(row, standing),
                                standing_key(standing),
                            )),
                            // Offered only to one who may enter: never enrolled under any record
                            // of theirs (one merged into this one), and not archived.
                            None if !newcomers(row, &ws.model, [id]).is_empty() => {
                                off.push((row.id, row.name.clone()))
                            }
                            None => {}
                        }
                    }
                    on.sort_by_cached_key(|s| rapport_core::search::fold(&s.1));
                    off.sort_by_cached_key(|s| rapport_core::search::fold(&s.1));
                    (on, off)
                })
            },
        )
        .unwrap_or_default()
    });
    let shown = move || sequences.with(|(on, off)| !on.is_empty() || !off.is_empty());
    view! {
        <Show when=shown>
            <section class="panel" data-testid="party-sequences" aria-labelledby="party-sequences-title">
                <h2 id="party-sequences-title">{t!(i18n, sequences.sequences)}</h2>
                <ul class="rows">
                    {move || sequences.get().0.into_iter().map(|(sequence, name, said, key)| view! {
                        <li class="row" data-testid="party-sequence" data-name=name.clone() data-standing=key>
                            <a class="row-link" href=format!("/marketing/sequences/{sequence}")>
                                <span class="row-title">{name.clone()}</span>
                                <span class="row-detail">{said}</span>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
                <Show when=move || account.can_edit() && sequences.with(|s| !s.1.is_empty())>
                    <select data-testid="party-add-to-sequence" aria-label=move || t_string!(i18n, sequences.add_to) prop:value=""
                        on:change=move |e| {
                            let Ok(sequence) = event_target_value(&e).parse::<SequenceId>() else { return };
                            let fresh = ctx
                                .read(|ws| {
                                    let row = ws.model.sequences.get(&sequence)?;
                                    Some(newcomers(row, &ws.model, [id]))
                                })
                                .flatten()
                                .unwrap_or_default();
                            if !fresh.is_empty() {
                                enrol(ctx, sequence, fresh, error);
                            }
                        }>
                        <option value="">{t!(i18n, sequences.add_to)}</option>
                        {move || sequences.get().1.into_iter().map(|(sequence, name)| view! { <option value=sequence.to_string()>{name}</option> }).collect_view()}
                    </select>
                </Show>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </section>
        </Show>
    }
}
