//! Who a party is: person or organisation, its relationship roles, and where a person works (or, for an
//! organisation, who works there); and merging a duplicate into it. Each control saves at once, like a
//! chip on a phone should.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use rapport_core::ids::{LinkId, MemberId, PartyId};
use rapport_core::model::{LinkKind, Party, PartyKind, PartyLink, Role};
use rapport_core::read_model::{PartyKindRow, RoleRow};

use crate::local::{self, BrowserIds};
use crate::state::WorkspaceCtx;
use crate::widgets::{MemberChoice, PartyPicker, role_label};

/// Saves `change` to party `id` and refreshes the screens, or says why not.
pub(super) fn save(ctx: WorkspaceCtx, id: PartyId, change: impl FnOnce(&mut Party) + 'static) {
    let Some(shared) = ctx.shared() else { return };
    spawn_local(async move {
        if let Err(error) = local::update::<Party>(&shared, id, change).await {
            ctx.report(&error);
        }
    });
}

#[component]
pub(super) fn Profile(
    id: PartyId,
    /// The person's job title at each organisation they work at (from the record).
    titles: Signal<std::collections::BTreeMap<PartyId, String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let row = Memo::new(move |_| ctx.read(|ws| ws.model.parties.get(&id).cloned()).flatten());
    let is_org =
        move || row.with(|r| r.as_ref().is_some_and(|r| r.kind == PartyKindRow::Organisation));
    let kind_choice = move |kind: PartyKind, label: &'static str, testid: &'static str| {
        let organisation = kind == PartyKind::Organisation;
        view! {
            <label class="segment">
                <input
                    type="radio"
                    name="party-kind"
                    data-testid=testid
                    disabled=move || !account.can_edit()
                    prop:checked=move || is_org() == organisation
                    on:change=move |_| save(ctx, id, move |party| party.kind = kind)
                />
                <span>{label}</span>
            </label>
        }
    };
    let role_chip = move |role: Role| {
        let has =
            move || row.with(|r| r.as_ref().is_some_and(|r| r.roles.contains(&RoleRow::of(role))));
        view! {
            <button
                type="button"
                class="chip"
                data-testid="party-role"
                data-role=role.key()
                aria-pressed=move || has().to_string()
                disabled=move || !account.can_edit()
                on:click=move |_| {
                    let present = !has();
                    save(ctx, id, move |party| party.set_role(role, present));
                }
            >
                {role_label(role).0}
            </button>
        }
    };
    view! {
        <section class="panel profile" aria-labelledby="profile-title">
            <h2 id="profile-title">{t!(i18n, profile.relationship)}</h2>
            <fieldset class="segmented" aria-label=move || t_string!(i18n, profile.kind)>
                {kind_choice(PartyKind::Person, t_string!(i18n, profile.person), "kind-person")}
                {kind_choice(PartyKind::Organisation, t_string!(i18n, profile.organisation), "kind-organisation")}
            </fieldset>
            <div class="chips" role="group" aria-label=move || t_string!(i18n, profile.roles)>
                {Role::ALL.into_iter().map(role_chip).collect_view()}
            </div>
            <OwnerChoice id row />
            <Show when=is_org fallback=move || view! { <WorksAt id titles /> }>
                <PeopleHere id />
            </Show>
            <Show when=move || account.can_edit() && row.with(|r| r.as_ref().is_some_and(|r| r.merged_into.is_none()))>
                <MergeDuplicate id />
            </Show>
        </section>
    }
}

/// Who in the team owns the record (the people list filters by it, Today's keep-in-touch reminders
/// go to them): any member, or nobody. Saves on choosing.
#[component]
fn OwnerChoice(
    id: PartyId,
    row: Memo<Option<rapport_core::read_model::PartyRow>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let current = Signal::derive(move || row.with(|r| r.as_ref().and_then(|r| r.owner)));
    let choose = Callback::new(move |to: Option<MemberId>| save(ctx, id, move |p| p.owner = to));
    view! {
        <label class="actions">
            {t!(i18n, profile.owner)}
            <MemberChoice
                testid="party-owner"
                current
                nobody=Signal::derive(move || t_string!(i18n, profile.nobody).to_owned())
                choose
                disabled=Signal::derive(move || !account.can_edit())
            />
        </label>
    }
}

/// Folds a duplicate into this record: its details join this one's (`Party::absorb`), and it is marked
/// as merged here, which takes it off the lists and brings its interactions, tasks and deals onto this
/// record's timeline. Asks first.
#[component]
fn MergeDuplicate(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let chosen = RwSignal::new(None::<(PartyId, String)>);
    let merging = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let merge = move |_| {
        let Some((other, _)) = chosen.get_untracked() else { return };
        if other == id {
            error.set(Some(t_string!(i18n, profile.merge_self).into()));
            return;
        }
        let Some(shared) = ctx.shared() else { return };
        merging.set(true);
        spawn_local(async move {
            let result = merge_into(&shared, id, other).await;
            if ctx.settle(result, error) {
                chosen.set(None);
            }
            merging.set(false);
        });
    };
    view! {
        <details class="merge" data-testid="merge">
            <summary>{t!(i18n, profile.merge)}</summary>
            <PartyPicker chosen testid="merge" label=move || t_string!(i18n, profile.duplicate) />
            {move || chosen.get().map(|(_, name)| view! {
                <p class="hint" data-testid="merge-explained">
                    {t_string!(i18n, profile.merge_explain, name = &name).to_string()}
                </p>
                <button type="button" class="primary" data-testid="confirm-merge" disabled=move || merging.get() on:click=merge>
                    {t!(i18n, profile.merge_button)}
                </button>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </details>
    }
}

/// Writes the merge: first this record gains the duplicate's details (if the second step fails, the
/// details are in both records — nothing is lost), then the duplicate is marked merged into it.
async fn merge_into(
    shared: &local::Shared,
    survivor: PartyId,
    duplicate: PartyId,
) -> Result<(), local::LocalError> {
    let other = local::read_record::<Party>(shared, duplicate)
        .await?
        .ok_or(local::LocalError::NotFound)?
        .record;
    local::update::<Party>(shared, survivor, move |party| party.absorb(&other, duplicate)).await?;
    local::update::<Party>(shared, duplicate, move |party| party.merged_into = Some(survivor)).await
}

/// The organisations a person works at, each with their job title there and a way to unlink it, and a
/// picker to add one.
#[component]
fn WorksAt(
    id: PartyId,
    titles: Signal<std::collections::BTreeMap<PartyId, String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let organisations = Memo::new(move |_| {
        ctx.read(|ws| {
            let row = ws.model.parties.get(&id)?;
            Some(
                row.organisations
                    .iter()
                    .filter_map(|org| ws.model.parties.get(org).map(|o| (*org, o.name.clone())))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .unwrap_or_default()
    });
    let chosen = RwSignal::new(None::<(PartyId, String)>);
    // Choosing an organisation links it at once.
    Effect::new(move || {
        let Some((org, _)) = chosen.get() else { return };
        chosen.set(None);
        if org == id {
            return;
        }
        let link_id = LinkId::generate(&mut BrowserIds);
        save(ctx, id, move |party| {
            party.link(
                link_id,
                PartyLink { to: org, kind: LinkKind::WorksAt, title: String::new() },
            );
        });
    });
    let retitle = move |org: PartyId, title: String| {
        let title = title.trim().to_owned();
        save(ctx, id, move |party| {
            for link in party.relations.values_mut() {
                if link.kind == LinkKind::WorksAt && link.to == org && link.title != title {
                    link.title = title.clone();
                }
            }
        });
    };
    let unlink = move |org: PartyId| {
        save(ctx, id, move |party| {
            party.relations.retain(|_, link| !(link.kind == LinkKind::WorksAt && link.to == org));
        });
    };
    view! {
        <div class="works-at">
            <h3>{t!(i18n, profile.works_at)}</h3>
            <ul class="rows">
                <For each=move || organisations.get() key=|entry| entry.0 let:entry>
                    <li class="row" data-testid="works-at">
                        <a class="row-link" href=format!("/parties/{}", entry.0)>
                            <span class="row-title">{entry.1.clone()}</span>
                        </a>
                        <input
                            type="text"
                            class="job-title"
                            data-testid="job-title"
                            placeholder=move || t_string!(i18n, profile.job_title)
                            aria-label=t_string!(i18n, profile.job_title_at, name = &entry.1).to_string()
                            readonly=move || !account.can_edit()
                            prop:value=move || titles.with(|t| t.get(&entry.0).cloned().unwrap_or_default())
                            on:change=move |e| retitle(entry.0, event_target_value(&e))
                        />
                        <Show when=move || account.can_edit()>
                            <button
                                type="button"
                                class="subtle"
                                data-testid="unlink-organisation"
                                aria-label=t_string!(i18n, profile.no_longer, name = &entry.1).to_string()
                                on:click=move |_| unlink(entry.0)
                            >
                                {t!(i18n, profile.remove)}
                            </button>
                        </Show>
                    </li>
                </For>
            </ul>
            <Show when=move || account.can_edit()>
                <PartyPicker chosen testid="works-at" label=move || t_string!(i18n, profile.add_org) organisations=true />
            </Show>
        </div>
    }
}

/// The people linked to an organisation.
#[component]
fn PeopleHere(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let people = Memo::new(move |_| {
        ctx.read(|ws| {
            let mut people: Vec<(PartyId, String)> =
                ws.model.people_at(id).map(|row| (row.id, row.name.clone())).collect();
            people.sort_by(|a, b| a.1.cmp(&b.1));
            people
        })
        .unwrap_or_default()
    });
    view! {
        <div class="people-here">
            <h3>{t!(i18n, profile.people_here)}</h3>
            <Show when=move || people.with(|p| !p.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, profile.nobody_here)}</p> }>
                <ul class="rows">
                    <For each=move || people.get() key=|entry| entry.0 let:entry>
                        <li class="row" data-testid="person-here">
                            <a class="row-link" href=format!("/parties/{}", entry.0)>
                                <span class="row-title">{entry.1.clone()}</span>
                            </a>
                        </li>
                    </For>
                </ul>
            </Show>
        </div>
    }
}
