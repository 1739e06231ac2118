//! A lead's score and why: each rule that gave it points, with the events it counted — derived here
//! from the workspace's rules, the records and the campaign opens and clicks the relay counted
//! (`rapport_core::scoring`), so it follows every change and cools as the lead goes quiet.

use leptos::prelude::*;
use rapport_core::ids::PartyId;
use rapport_core::model::CampaignActivity;
use rapport_core::scoring::{Reason, Signal as Earns};

use crate::i18n::{t, t_string, use_i18n};
use crate::outbox::OutboxCtx;
use crate::pages::marketing::{AUDIENCE, opted_out};
use crate::state::WorkspaceCtx;
use crate::widgets;

/// A reason as shown: what (in words) and the points it gave.
#[derive(Clone, PartialEq)]
struct Line {
    what: String,
    points: String,
}

/// Points with their sign, a tenth shown only where a decayed figure has one.
fn signed(points: f64) -> String {
    let tenths = (points * 10.0).round() / 10.0;
    if tenths == 0.0 {
        "0".to_owned()
    } else if tenths.fract() == 0.0 {
        format!("{tenths:+.0}")
    } else {
        format!("{tenths:+.1}")
    }
}

fn line(reason: &Reason, segment_name: impl Fn(rapport_core::ids::SegmentId) -> String) -> Line {
    let i18n = use_i18n();
    let count = widgets::count(reason.events as usize);
    let what = match reason.signal {
        Earns::Segment(segment) => {
            t_string!(i18n, marketing.reason_segment, name = segment_name(segment)).to_string()
        }
        Earns::Interaction(_) | Earns::Campaign(_) => {
            let what = match reason.signal {
                Earns::Interaction(Some(kind)) => widgets::interaction_label(kind),
                Earns::Campaign(CampaignActivity::Clicked) => {
                    t_string!(i18n, marketing.signal_clicked)
                }
                Earns::Campaign(_) => t_string!(i18n, marketing.signal_opened),
                _ => t_string!(i18n, marketing.interactions),
            };
            t_string!(i18n, marketing.reason_events, what, count).to_string()
        }
    };
    Line { what, points: signed(reason.points) }
}

#[component]
pub(super) fn LeadScore(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    // None while the workspace scores nothing, or the device is still reading its interactions.
    let score = Memo::new(move |_| {
        let opted_out = opted_out(outbox);
        ctx.read_of(AUDIENCE, |ws| {
            if ws.settings.scoring_rules.is_empty() || ws.model.interactions_pending {
                return None;
            }
            let score = crate::lead_scores::with_scorer(ws, outbox, opted_out, |s| s.score(id));
            let name = |segment| {
                ws.model.segments.get(&segment).map(|s| s.name.clone()).unwrap_or_default()
            };
            let lines: Vec<Line> = score.reasons.iter().map(|r| line(r, name)).collect();
            let hot = ws.settings.lead_threshold.is_some_and(|at| score.points >= at);
            Some((score.points, lines, hot))
        })
        .flatten()
    });
    view! {
        {move || score.get().map(|(points, lines, hot)| view! {
            <section class="panel" data-testid="lead-score" data-points=points aria-labelledby="lead-score-title">
                <h2 id="lead-score-title">
                    {t!(i18n, marketing.lead_score)}" "
                    <span class="tag lead-score" data-hot=hot.to_string() data-testid="lead-score-points">{points}</span>
                </h2>
                {if lines.is_empty() {
                    view! { <p class="hint">{t!(i18n, marketing.no_points_yet)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows compact">
                            {lines.into_iter().map(|l| view! {
                                <li class="row" data-testid="score-reason">
                                    <span class="row-title">{l.what}</span>
                                    <span class="row-detail">{l.points}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <a href="/settings#lead-scoring" class="hint">{t!(i18n, marketing.scoring_rules_link)}</a>
            </section>
        })}
    }
}
