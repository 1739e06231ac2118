//! Settings → Sync: the account on this browser, putting this device's workspace on the relay, inviting
//! colleagues, and joining a colleague's workspace with an invitation code.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use rapport_core::ids::WorkspaceId;
use wasm_bindgen::JsCast;

use crate::local;
use crate::relay_api::{self, ApiError};
use crate::state::{Status, WorkspaceCtx};
use crate::sync::SyncCtx;

#[component]
pub(crate) fn SyncPanel() -> impl IntoView {
    let i18n = use_i18n();
    let sync = SyncCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    // The panel changes only when who is signed in changes, not on every status update.
    let signed_in = Memo::new(move |_| sync.account.get());
    view! {
        <section class="panel" id="sync" aria-labelledby="sync-title" data-testid="sync-panel">
            <h2 id="sync-title">{t!(i18n, account.title)}</h2>
            {move || match signed_in.get() {
                None => view! { <SignIn error /> }.into_any(),
                Some(account) => view! {
                    <p data-testid="signed-in-as">{t_string!(i18n, account.signed_in, name = &account.name, email = &account.email).to_string()}</p>
                    <LinkOrInvite error />
                    <MyWorkspaces error />
                    <Join error />
                    <Security error />
                    <button type="button" class="secondary" data-testid="sign-out" on:click=move |_| {
                        spawn_local(async move {
                            signed_out(relay_api::sign_out().await, sync, error);
                        });
                    }>{t!(i18n, account.sign_out)}</button>
                }.into_any(),
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="sync-error">{e}</p> })}
            {move || sync.detail.get().map(|d| view! { <p class="hint" data-testid="sync-detail">{t_string!(i18n, account.last_problem, detail = &d).to_string()}</p> })}
        </section>
    }
}

/// This browser is signed out once the relay confirms it (`ended`); otherwise the panel says why not.
fn signed_out(ended: Result<(), ApiError>, sync: SyncCtx, error: RwSignal<Option<String>>) {
    match ended {
        Ok(()) => {
            crate::sync::remember_signed_in(false);
            sync.account.set(None);
        }
        Err(failure) => error.set(Some(failure.said())),
    }
}

/// The account's password, and its sessions on every device.
#[component]
fn Security(error: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let sync = SyncCtx::use_ctx();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let done = RwSignal::new(false);
    let change = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (old_password, new_password) = (current.get_untracked(), new.get_untracked());
        spawn_local(async move {
            match relay_api::change_password(&old_password, &new_password).await {
                Ok(()) => {
                    error.set(None);
                    current.set(String::new());
                    new.set(String::new());
                    done.set(true);
                }
                Err(failure) => error.set(Some(failure.said())),
            }
        });
    };
    let everywhere = move |_| {
        spawn_local(async move {
            signed_out(relay_api::sign_out_everywhere().await, sync, error);
        });
    };
    view! {
        <details class="disclosure" data-testid="security">
            <summary>{t!(i18n, account.security)}</summary>
            <form class="account-form" on:submit=change>
                <label>{t!(i18n, account.current_password)}
                    <input type="password" autocomplete="current-password" data-testid="current-password"
                        prop:value=move || current.get() on:input=move |e| current.set(event_target_value(&e)) />
                </label>
                <label>{t!(i18n, account.new_password)}
                    <input type="password" autocomplete="new-password" minlength="10" data-testid="new-password"
                        prop:value=move || new.get() on:input=move |e| new.set(event_target_value(&e)) />
                </label>
                <button type="submit" data-testid="change-password">{t!(i18n, account.change_password)}</button>
            </form>
            <Show when=move || done.get()>
                <p class="hint" role="status" data-testid="password-changed">{t!(i18n, account.password_changed)}</p>
            </Show>
            <button type="button" class="secondary" data-testid="sign-out-everywhere" on:click=everywhere>
                {t!(i18n, account.sign_out_everywhere)}
            </button>
        </details>
    }
}

#[component]
fn SignIn(error: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let sync = SyncCtx::use_ctx();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let submit = move |create: bool| {
        let (email, name, password) =
            (email.get_untracked(), name.get_untracked(), password.get_untracked());
        busy.set(true);
        spawn_local(async move {
            let result = if create {
                relay_api::sign_up(email.trim(), name.trim(), &password).await
            } else {
                relay_api::sign_in(email.trim(), &password).await
            };
            match result {
                Ok(account) => {
                    error.set(None);
                    crate::sync::remember_signed_in(true);
                    sync.account.set(Some(account));
                    sync.retry();
                }
                Err(failure) => error.set(Some(failure.said())),
            }
            busy.set(false);
        });
    };
    view! {
        <p class="hint">{t!(i18n, account.sign_in_hint)}</p>
        <form class="account-form" on:submit=move |e| { e.prevent_default(); submit(false) }>
            <label>{t!(i18n, account.email)}<input type="email" autocomplete="email" required data-testid="account-email"
                prop:value=move || email.get() on:input=move |e| email.set(event_target_value(&e)) /></label>
            <label>{t!(i18n, account.name)}<input type="text" autocomplete="name" data-testid="account-name"
                prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) /></label>
            <label>{t!(i18n, account.password)}<input type="password" autocomplete="current-password" required data-testid="account-password"
                prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e)) /></label>
            <div class="actions">
                <button type="submit" data-testid="sign-in" disabled=move || busy.get()>{t!(i18n, account.sign_in)}</button>
                <button type="button" class="secondary" data-testid="sign-up" disabled=move || busy.get()
                    on:click=move |_| submit(true)>{t!(i18n, account.sign_up)}</button>
            </div>
        </form>
    }
}

/// Puts a local-only workspace on the relay, or invites colleagues to a linked one.
#[component]
fn LinkOrInvite(error: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let workspace = WorkspaceCtx::use_ctx();
    let sync = SyncCtx::use_ctx();
    let linked = move || workspace.read(|ws| ws.linked).unwrap_or(false);
    let code = RwSignal::new(None::<String>);
    let role = RwSignal::new("member".to_owned());
    let uses = RwSignal::new(1u32);
    // Bumped when an invitation is made or revoked: the pending list reloads.
    let invitations = RwSignal::new(0u32);
    let link = move |_| {
        let Some(shared) = workspace.shared() else { return };
        let (id, name) = {
            let ws = shared.borrow();
            let name = if ws.settings.name.trim().is_empty() {
                t_string!(i18n, defaults.workspace).to_owned()
            } else {
                ws.settings.name.clone()
            };
            (ws.workspace, name)
        };
        spawn_local(async move {
            let created = relay_api::create_workspace(id, &name).await;
            let linked = match created {
                Ok(_) => local::set_linked(&shared, true).await.map_err(|e| e.to_string()),
                Err(failure) => Err(failure.said()),
            };
            match linked {
                Ok(()) => {
                    error.set(None);
                    workspace.changed_all();
                    sync.retry();
                }
                Err(failure) => error.set(Some(failure)),
            }
        });
    };
    let invite = move |_| {
        let Some(shared) = workspace.shared() else { return };
        let id = shared.borrow().workspace;
        let role = role.get_untracked();
        let uses = uses.get_untracked();
        spawn_local(async move {
            match relay_api::invite(id, &role, uses).await {
                Ok(invite) => {
                    code.set(Some(invite.code));
                    invitations.update(|n| *n += 1);
                }
                Err(failure) => error.set(Some(failure.said())),
            }
        });
    };
    view! {
        <Show
            when=linked
            fallback=move || view! {
                <p class="hint">{t!(i18n, account.local_only)}</p>
                <button type="button" data-testid="link-workspace" on:click=link
                    disabled=move || workspace.status.get() != Status::Ready>{t!(i18n, account.link)}</button>
            }
        >
            <p class="hint">{t!(i18n, account.linked)}</p>
            <div class="actions">
                <label>{t!(i18n, account.invite_as)}
                    <select data-testid="invite-role" on:change=move |e| role.set(event_target_value(&e))>
                        <option value="member" selected>{t!(i18n, account.member)}</option>
                        <option value="admin">{t!(i18n, account.admin)}</option>
                        <option value="viewer">{t!(i18n, account.viewer)}</option>
                    </select>
                </label>
                <label>{t!(i18n, account.invite_uses)}
                    <input type="number" min="1" max="100" inputmode="numeric" data-testid="invite-uses"
                        prop:value=move || uses.get().to_string()
                        on:change=move |e| uses.set(event_target_value(&e).parse().unwrap_or(1).clamp(1, 100)) />
                </label>
                <button type="button" data-testid="create-invite" on:click=invite>{t!(i18n, account.invite)}</button>
            </div>
            {move || code.get().map(|code| view! { <InvitationLink code /> })}
            <PendingInvites error invitations />
        </Show>
    }
}

/// The workspace's invitations nobody has used up yet, for owners and admins, each revocable. Others
/// (the relay refuses them the list) see nothing.
#[component]
fn PendingInvites(error: RwSignal<Option<String>>, invitations: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let workspace = WorkspaceCtx::use_ctx();
    // The workspace, not its every change: the list is asked for again only when it is another one.
    let id = Memo::new(move |_| workspace.read(|ws| ws.workspace));
    let id = move || id.get();
    let pending = LocalResource::new(move || {
        invitations.track();
        let id = id();
        async move {
            let id = id?;
            // Only owners and admins may see the list; nobody else asks for it.
            let mine = relay_api::my_workspaces().await.ok()?;
            let role = mine.into_iter().find(|w| w.id == id.to_string())?.role;
            if !matches!(role.as_str(), "owner" | "admin") {
                return None;
            }
            relay_api::pending_invites(id).await.ok()
        }
    });
    let revoke = move |invite: String| {
        let Some(id) = id() else { return };
        spawn_local(async move {
            match relay_api::revoke_invite(id, invite).await {
                Ok(()) => invitations.update(|n| *n += 1),
                Err(failure) => error.set(Some(failure.said())),
            }
        });
    };
    let role_name = move |role: &str| match role {
        "admin" => t_string!(i18n, account.admin).to_owned(),
        "viewer" => t_string!(i18n, account.viewer).to_owned(),
        _ => t_string!(i18n, account.member).to_owned(),
    };
    view! {
        {move || pending.get().flatten().map(|list| view! {
            <h3>{t!(i18n, account.pending_invites)}</h3>
            <Show when={
                let empty = list.is_empty();
                move || !empty
            } fallback=move || view! { <p class="hint">{t!(i18n, account.no_pending_invites)}</p> }>
                <ul class="rows" data-testid="pending-invites">
                    {list.clone().into_iter().map(|invite| {
                        let date = crate::widgets::local_date(rapport_core::ids::Timestamp(invite.expires_at * 1000));
                        let who = invite.created_by.clone().unwrap_or_default();
                        let line = t_string!(i18n, account.invite_row,
                            role = role_name(&invite.role), uses = invite.uses_left, date = date, who = who).to_string();
                        let id = invite.id.clone();
                        view! {
                            <li class="row" data-testid="pending-invite">
                                <span class="row-title">{line}</span>
                                <button type="button" class="secondary" data-testid="revoke-invite"
                                    on:click=move |_| revoke(id.clone())>{t!(i18n, account.revoke)}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        })}
    }
}

/// My workspaces on the relay: on a new device, pick one to hold here.
#[component]
fn MyWorkspaces(error: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let workspace = WorkspaceCtx::use_ctx();
    let sync = SyncCtx::use_ctx();
    let mine = LocalResource::new(move || {
        sync.account.track();
        relay_api::my_workspaces()
    });
    let current = move || workspace.read(|ws| ws.workspace.to_string()).unwrap_or_default();
    let open = move |id: String| {
        let Some(shared) = workspace.shared() else { return };
        let Ok(id) = id.parse::<WorkspaceId>() else { return };
        spawn_local(async move {
            if let Err(failure) = hold_here(&shared, id).await {
                error.set(Some(failure));
            }
        });
    };
    view! {
        {move || mine.get().and_then(Result::ok).filter(|list| list.iter().any(|w| w.id != current())).map(|list| view! {
            <h3>{t!(i18n, account.workspaces)}</h3>
            <ul class="rows" data-testid="my-workspaces">
                {list.into_iter().map(|remote| {
                    let here = remote.id == current();
                    let id = remote.id.clone();
                    view! {
                        <li class="row" data-testid="my-workspace">
                            <span class="row-title">{format!("{} ({})", remote.name, remote.role)}</span>
                            {if here {
                                view! { <span class="row-detail">{t!(i18n, account.here)}</span> }.into_any()
                            } else {
                                view! { <button type="button" data-testid="open-workspace" on:click=move |_| open(id.clone())
                                    disabled=move || workspace.status.get() != Status::Ready>{t!(i18n, account.use_here)}</button> }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
    }
}

/// A new invitation as the inviter passes it on: a link that opens the join form filled in, with a
/// copy button, and the code itself for reading out.
#[component]
fn InvitationLink(code: String) -> impl IntoView {
    let i18n = use_i18n();
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let link = format!("{origin}/settings?invite={code}#sync");
    let copied = RwSignal::new(false);
    let copy = {
        let link = link.clone();
        move |_| {
            let link = link.clone();
            spawn_local(async move {
                copied.set(copy_to_clipboard(&link).await);
            });
        }
    };
    view! {
        <p>{t!(i18n, account.link_hint)}</p>
        <div class="invite-link">
            <output class="code" data-testid="invite-link">{link}</output>
            <button type="button" class="secondary" data-testid="copy-invite" on:click=copy>
                {move || if copied.get() { t_string!(i18n, account.copied) } else { t_string!(i18n, account.copy) }}
            </button>
        </div>
        <p class="hint">{t!(i18n, account.code_hint)} <output class="code" data-testid="invite-code">{code}</output></p>
    }
}

/// Writes `text` to the clipboard (`navigator.clipboard.writeText`); whether it was written.
async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let navigator = window.navigator();
    let Ok(clipboard) = js_sys::Reflect::get(&navigator, &"clipboard".into()) else { return false };
    let write = js_sys::Reflect::get(&clipboard, &"writeText".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(write) = write else { return false };
    let Ok(promise) = write.call1(&clipboard, &text.into()) else { return false };
    let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else { return false };
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// The invitation code in what was pasted: the code itself, or a whole invitation link.
fn invitation_code(pasted: &str) -> String {
    let pasted = pasted.trim();
    let code = match pasted.split_once("invite=") {
        Some((_, rest)) => rest.split(['&', '#']).next().unwrap_or_default(),
        None => pasted,
    };
    code.trim().to_owned()
}

/// Joins a colleague's workspace: this device then holds that workspace (fetched from the relay). An
/// invitation link opens Settings with the code filled in.
#[component]
fn Join(error: RwSignal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let workspace = WorkspaceCtx::use_ctx();
    let invited = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("invite"));
    let code = RwSignal::new(invited.unwrap_or_default());
    let join = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(shared) = workspace.shared() else { return };
        let text = invitation_code(&code.get_untracked());
        spawn_local(async move {
            let joined = match relay_api::accept(&text).await {
                Ok(remote) => remote
                    .id
                    .parse::<WorkspaceId>()
                    .map_err(|_| ApiError::Refused(t_string!(i18n, account.malformed_id).into())),
                Err(failure) => Err(failure),
            };
            let held = match joined {
                Ok(id) => hold_here(&shared, id).await,
                Err(failure) => Err(failure.said()),
            };
            if let Err(failure) = held {
                error.set(Some(failure));
            }
        });
    };
    view! {
        <form class="join-form" on:submit=join>
            <label>{t!(i18n, account.join_label)}
                <input type="text" autocomplete="off" data-testid="invite-input"
                    prop:value=move || code.get() on:input=move |e| code.set(event_target_value(&e)) />
            </label>
            <button type="submit" data-testid="join-workspace"
                disabled=move || workspace.status.get() != Status::Ready>{t!(i18n, account.join)}</button>
        </form>
    }
}

/// Makes this device hold workspace `id` and reloads the page, so every screen opens it from scratch.
async fn hold_here(shared: &local::Shared, id: WorkspaceId) -> Result<(), String> {
    local::switch_workspace(shared, id).await.map_err(|e| e.to_string())?;
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
    Ok(())
}
