//! Choosing who in the team a record belongs to: any member of the workspace, or nobody.

use leptos::prelude::*;
use rapport_core::ids::MemberId;
use rapport_core::replica::Replica;

use crate::state::WorkspaceCtx;

/// A menu of the workspace's members and "nobody" (`nobody`'s words), showing `current`; choosing one
/// calls `choose` at once (a menu outside a form saves as it changes).
#[component]
pub(crate) fn MemberChoice(
    testid: &'static str,
    current: Signal<Option<MemberId>>,
    nobody: Signal<String>,
    choose: Callback<Option<MemberId>>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let members = move || ctx.read(Replica::members).unwrap_or_default();
    view! {
        <select
            data-testid=testid
            disabled=move || disabled.get()
            on:change=move |e| choose.run(event_target_value(&e).parse::<MemberId>().ok())
        >
            <option value="" selected=move || current.get().is_none()>{move || nobody.get()}</option>
            {move || members().into_iter().map(|(member, name)| view! {
                <option value=member.to_string() selected=move || current.get() == Some(member)>{name}</option>
            }).collect_view()}
        </select>
    }
}
