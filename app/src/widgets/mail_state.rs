//! Where a mail sent through the relay stands: the one badge the timeline and a ticket's
//! conversation show.

use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};

/// Where an email sent through the relay stands, as this device last heard — the same on every
/// device of the workspace. Nothing for an email that was only logged (or sent from a mail app).
#[component]
pub(crate) fn MailState(id: rapport_core::outbox::OutboxId) -> impl IntoView {
    use rapport_core::outbox::{State, Status};
    let i18n = use_i18n();
    let outbox = crate::outbox::OutboxCtx::use_ctx();
    move || {
        outbox.outbox.with(|outbox| {
            let (state, text) = match outbox.status(&id)? {
                // Stamps are not mail.
                Status::Stamped => return None,
                Status::Waiting => ("waiting", t_string!(i18n, mail.waiting).to_string()),
                Status::Refused(reason) => {
                    ("refused", t_string!(i18n, mail.state_refused, reason).to_string())
                }
                Status::Relay(entry) => {
                    let reason = entry.reason.clone().unwrap_or_default();
                    match entry.state {
                        State::Queued => ("queued", t_string!(i18n, mail.state_queued).to_string()),
                        State::Sending => {
                            ("sending", t_string!(i18n, mail.state_sending).to_string())
                        }
                        State::Sent => ("sent", t_string!(i18n, mail.state_sent).to_string()),
                        State::Failed => {
                            ("failed", t_string!(i18n, mail.state_failed, reason).to_string())
                        }
                        State::Suppressed => (
                            "suppressed",
                            t_string!(i18n, mail.state_suppressed, reason).to_string(),
                        ),
                        State::Cancelled => {
                            ("cancelled", t_string!(i18n, mail.state_cancelled).to_string())
                        }
                        State::Bounced => {
                            ("bounced", t_string!(i18n, mail.state_bounced, reason).to_string())
                        }
                        State::Recorded => return None,
                    }
                }
            };
            let bad =
                matches!(state, "failed" | "suppressed" | "refused" | "cancelled" | "bounced");
            Some(view! {
                <span class="tag mail-state" class:overdue=bad data-testid="mail-state" data-state=state>{text}</span>
            })
        })
    }
}
