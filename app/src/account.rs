//! Who is signed in on this browser and whether they may change the workspace: a small context the
//! screens that offer edits read, so that none of them needs the sync engine to know it. The sync engine
//! fills it (the account from the relay, the role read on each connection and remembered per workspace
//! for offline use).

use leptos::prelude::*;

use crate::relay_api::Account;

#[derive(Debug, Clone, Copy)]
pub struct AccountCtx {
    /// Who is signed in on this browser; `None` when nobody is (or not known yet).
    pub account: RwSignal<Option<Account>>,
    /// This person is a viewer of the workspace: the relay refuses their changes, so the screens offer
    /// none.
    pub view_only: RwSignal<bool>,
    /// This person owns or administers the workspace, as the relay said on this page's last
    /// connection: the relay shows survey results to them alone.
    pub manages: RwSignal<bool>,
}

impl AccountCtx {
    /// Creates the handle and puts it in context.
    pub fn provide() -> AccountCtx {
        let ctx = AccountCtx {
            account: RwSignal::new(None),
            view_only: RwSignal::new(false),
            manages: RwSignal::new(false),
        };
        provide_context(ctx);
        ctx
    }

    pub fn use_ctx() -> AccountCtx {
        expect_context::<AccountCtx>()
    }

    /// Whether the screens may change the workspace (everyone but a viewer).
    pub fn can_edit(&self) -> bool {
        !self.view_only.get()
    }
}
