//! Writes several screens make, so that no page imports another for them. The rules themselves are
//! `rapport_core`'s (a deal's move with its stage history: `Deal::move_to`); this only applies them to
//! the workspace and tells the screens.

use rapport_core::ids::{DealId, MemberId};
use rapport_core::model::{Deal, Destination};

use crate::local;
use crate::state::WorkspaceCtx;

/// Moves a deal to another stage (recorded in its stage history), or closes it as won or lost.
pub(crate) async fn move_deal(
    ctx: WorkspaceCtx,
    id: DealId,
    to: Destination,
    by: Option<MemberId>,
) -> Result<(), local::LocalError> {
    let Some(shared) = ctx.shared() else { return Ok(()) };
    let at = local::now();
    // The write tells the screens itself.
    local::update::<Deal>(&shared, id, |deal| deal.move_to(to, at, by)).await
}
