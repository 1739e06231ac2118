//! How every form saves: one Leptos action per form, its pending state disabling the form's button and
//! a second submit while a save runs ignored — written once here instead of a `saving` flag per form.

use std::future::Future;

use leptos::prelude::*;

/// A form's save of an `I` (what the form's fields said when it was submitted).
pub(crate) struct Save<I: 'static> {
    action: Action<I, ()>,
    pending: Memo<bool>,
}

impl<I: 'static> Clone for Save<I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static> Copy for Save<I> {}

impl<I: Clone + 'static> Save<I> {
    /// `save` writes the input and settles the form (`WorkspaceCtx::settle`): it runs on this thread,
    /// as the workspace lives here.
    pub(crate) fn new<Fu>(save: impl Fn(I) -> Fu + 'static) -> Save<I>
    where
        Fu: Future<Output = ()> + 'static,
    {
        let action = Action::new_local(move |input: &I| save(input.clone()));
        Save { action, pending: action.pending() }
    }

    /// Saves `input`, unless a save of this form still runs (a double tap saves once).
    pub(crate) fn submit(&self, input: I) {
        if !self.pending.get_untracked() {
            self.action.dispatch_local(input);
        }
    }

    /// Whether a save runs (tracked: the form's button reads it).
    pub(crate) fn pending(&self) -> bool {
        self.pending.get()
    }

    /// Whether a save runs, without subscribing.
    pub(crate) fn pending_untracked(&self) -> bool {
        self.pending.get_untracked()
    }
}
