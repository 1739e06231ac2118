//! What the device loops that keep something for the signed-in member share (pulse answers,
//! letters): the state lives in this browser as JSON in the workspace database's `meta`, under the
//! member's id — never in a document — and is read again when another account signs in; the loop
//! sleeps until it is woken or a while has passed.

use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use leptos::prelude::*;
use rapport_core::ids::MemberId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::local::{self, Shared};
use crate::storage::StorageError;

/// A way to wake a loop from anywhere on the page.
#[derive(Clone, Copy)]
pub(crate) struct Wake(StoredValue<Option<UnboundedSender<()>>, LocalStorage>);

impl Wake {
    /// The handle, and the inbox the loop waits on ([`woken`]).
    pub fn new() -> (Wake, UnboundedReceiver<()>) {
        let (sender, inbox) = unbounded::<()>();
        (Wake(StoredValue::new_local(Some(sender))), inbox)
    }

    pub fn wake(&self) {
        self.0.with_value(|sender| {
            if let Some(sender) = sender {
                let _ = sender.unbounded_send(());
            }
        });
    }
}

/// Returns once the loop is woken or `idle_ms` have passed; wakes that came meanwhile count as one.
pub(crate) async fn woken(inbox: &mut UnboundedReceiver<()>, idle_ms: u32) {
    futures_util::future::select(inbox.next(), gloo_timers::future::TimeoutFuture::new(idle_ms))
        .await;
    while inbox.try_recv().is_ok() {}
}

/// State kept for one member.
pub(crate) trait MemberKept:
    Default + Serialize + DeserializeOwned + Clone + 'static
{
    /// Where it is kept for `member`.
    fn key(member: MemberId) -> String;
    /// Whose it is (not kept: the key says).
    fn member(&self) -> Option<MemberId>;
    fn set_member(&mut self, member: Option<MemberId>);
}

/// Reads the signed-in member's state into `state` when the member changed (another account signed
/// in, or the member became known).
pub(crate) async fn load<T: MemberKept + Send + Sync>(shared: &Shared, state: RwSignal<T>) {
    let me = shared.borrow().replica.me;
    if state.with_untracked(MemberKept::member) == me {
        return;
    }
    let mut kept: T = match me {
        Some(me) => local::kept_json(shared, &T::key(me)).await,
        None => T::default(),
    };
    kept.set_member(me);
    state.set(kept);
}

/// What another tab of this browser stored for the member `state` is for, if any is known.
pub(crate) async fn stored<T: MemberKept + Send + Sync>(
    shared: &Shared,
    state: RwSignal<T>,
) -> Option<T> {
    let member = state.with_untracked(MemberKept::member)?;
    Some(local::kept_json(shared, &T::key(member)).await)
}

/// Keeps `state` for its member.
pub(crate) async fn keep<T: MemberKept + Send + Sync>(
    shared: &Shared,
    state: RwSignal<T>,
) -> Result<(), StorageError> {
    let kept = state.get_untracked();
    let Some(member) = kept.member() else { return Ok(()) };
    local::keep_json(shared, &T::key(member), &kept).await
}
