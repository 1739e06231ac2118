//! A supplier's side of its record: where it stands and why, its scorecard month by month, what it
//! supplies and on what terms, its certifications and their expiry, a standing set by hand, a rating
//! form, and the orders placed with it. Scores are derived (`rapport_core::scorecard`); what is
//! written here is the record, the ratings (feedback records of their own, so two people rating at
//! once both count) and the hold.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::contract::parse_day;
use rapport_core::ids::{CertificationId, FeedbackId, PartyId};
use rapport_core::model::{
    Certification, Feedback, FeedbackKind, Hold, Party, ScorecardCriterion, Standing,
};
use rapport_core::purchase::State;
use rapport_core::read_model::Changed;
use rapport_core::scorecard::{Criteria, MonthScore};

use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::pages::purchasing::{OrderLine, StandingTag, criterion_name, reason_text, scorecard_of};
use crate::state::WorkspaceCtx;

/// Days before expiry a certification is flagged.
const EXPIRES_SOON_DAYS: i32 = 30;

#[component]
pub(super) fn SupplierPanel(id: PartyId, party: Signal<Option<Party>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let card = Memo::new(move |_| scorecard_of(ctx, id));
    let criteria = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| Criteria::of(&ws.settings)).map(|c| c.list)
    });
    let today = crate::widgets::local_day(local::now());
    let orders = Memo::new(move |_| {
        ctx.read_of(Changed::PURCHASES, |ws| {
            let mut rows: Vec<_> = ws
                .model
                .purchases
                .values()
                .filter(|row| row.supplier == id && !row.archived && row.state == State::Ordered)
                .cloned()
                .collect();
            rows.sort_by_key(|row| std::cmp::Reverse(row.ordered_on));
            rows.truncate(10);
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel supplier-panel" data-testid="supplier-panel">
            <h2>
                {t!(i18n, purchase.as_supplier)}" "
                {move || card.get().map(|card| view! { <StandingTag card /> })}
            </h2>
            <ul class="reasons" data-testid="standing-reasons">
                {move || card.get().map(|card| card.reasons.iter().map(|r| view! { <li>{reason_text(r)}</li> }).collect_view())}
            </ul>
            {move || {
                let (card, criteria) = (card.get()?, criteria.get()?);
                Some(view! { <ScoreMonths months=card.months criteria /> })
            }}
            <ProfileForm id party />
            <Certifications id party today />
            <HoldForm id party />
            {move || criteria.get().map(|criteria| view! { <RateForm id criteria /> })}
            <h3>{t!(i18n, purchase.orders)}</h3>
            <ul class="rows" data-testid="supplier-orders">
                {move || {
                    let name = party.with(|p| p.as_ref().map(|p| p.name.clone())).unwrap_or_default();
                    orders.get().into_iter().map(|row| view! { <li><OrderLine row supplier=name.clone() today /></li> }).collect_view()
                }}
            </ul>
            <a class="action" href="/purchasing" data-testid="purchasing-link">{t!(i18n, purchase.title)}</a>
        </section>
    }
}

/// The scored months, newest first, each a bar; the criteria of each on its line.
#[component]
fn ScoreMonths(
    months: Vec<MonthScore>,
    criteria: Vec<(String, ScorecardCriterion)>,
) -> impl IntoView {
    let i18n = use_i18n();
    if months.is_empty() {
        return view! { <p class="hint" data-testid="scorecard-empty">{t!(i18n, purchase.not_scored)}</p> }.into_any();
    }
    let names: Vec<String> = criteria.iter().map(|(key, c)| criterion_name(key, c)).collect();
    let count = months.len();
    view! {
        <ol class="score-months" data-testid="scorecard" data-months=count>
            {months.into_iter().rev().map(|month| {
                let detail: Vec<String> = names
                    .iter()
                    .zip(&month.criteria)
                    .filter_map(|(name, score)| score.map(|s| format!("{name} {s}")))
                    .collect();
                view! {
                    <li class="score-month" data-testid="score-month" data-month=month.month.to_string() data-score=month.score>
                        <span class="score-label">{month.month.to_string()}</span>
                        <span class="score-bar" aria-hidden="true"><span style=format!("width:{}%", month.score)></span></span>
                        <strong class="score-value">{month.score}</strong>
                        <small class="score-detail">{detail.join(" · ")}</small>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// What it supplies and its payment terms.
#[component]
fn ProfileForm(id: PartyId, party: Signal<Option<Party>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let stored_supplies = Memo::new(move |_| {
        party
            .with(|p| {
                p.as_ref()
                    .map(|p| rapport_core::model::names(&p.supplies).collect::<Vec<_>>().join(", "))
            })
            .unwrap_or_default()
    });
    let stored_terms = Memo::new(move |_| {
        party.with(|p| p.as_ref().map(|p| p.payment_terms.clone())).unwrap_or_default()
    });
    let supplies = RwSignal::new(String::new());
    let terms = RwSignal::new(String::new());
    crate::widgets::follow(stored_supplies, supplies);
    crate::widgets::follow(stored_terms, terms);
    let dirty = Signal::derive(move || {
        supplies.with(|s| s.trim() != stored_supplies.get())
            || terms.with(|t| t.trim() != stored_terms.get())
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        // Only what this person changed: a colleague's change to the other field stays.
        let typed = supplies.get_untracked();
        let wanted = (typed.trim() != stored_supplies.get_untracked()).then(|| {
            let mut wanted = crate::widgets::parse_tags(&typed);
            wanted.sort();
            wanted.dedup();
            // Shown as stored, in order, so the form is not left looking unsaved.
            supplies.set(wanted.join(", "));
            wanted
        });
        let typed_terms = terms.get_untracked().trim().to_owned();
        let new_terms = (typed_terms != stored_terms.get_untracked()).then_some(typed_terms);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<Party>(&shared, id, move |party| {
                if let Some(wanted) = wanted {
                    for (name, present) in party.supplies.iter_mut() {
                        *present = wanted.contains(name);
                    }
                    for name in wanted {
                        party.supplies.insert(name, true);
                    }
                }
                if let Some(terms) = new_terms {
                    party.payment_terms = terms;
                }
            })
            .await;
            if let Err(failure) = result {
                ctx.report(&failure);
            }
        });
    };
    view! {
        <form class="record-form" on:submit=save data-testid="supplier-profile">
            <label>
                {t!(i18n, purchase.supplies)}
                <input type="text" data-testid="supplier-supplies" readonly=move || !account.can_edit()
                    placeholder=move || t_string!(i18n, purchase.supplies_hint)
                    prop:value=move || supplies.get() on:input=move |e| supplies.set(event_target_value(&e)) />
            </label>
            <label>
                {t!(i18n, purchase.payment_terms)}
                <input type="text" maxlength="200" data-testid="supplier-terms" readonly=move || !account.can_edit()
                    prop:value=move || terms.get() on:input=move |e| terms.set(event_target_value(&e)) />
            </label>
            <Show when=move || account.can_edit()>
                <button type="submit" data-testid="supplier-profile-save">{t!(i18n, purchase.save)}</button>
            </Show>
        </form>
    }
}

/// Certifications with their last valid day: expired ones put the supplier on watch.
#[component]
fn Certifications(id: PartyId, party: Signal<Option<Party>>, today: time::Date) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let list = move || {
        party
            .with(|p| p.as_ref().map(|p| p.certifications.clone()))
            .unwrap_or_default()
            .into_iter()
            .collect::<Vec<_>>()
    };
    let name = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let change = move |change: Box<dyn FnOnce(&mut Party) + Send>,
                       then: Option<Box<dyn FnOnce()>>| {
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            match local::update::<Party>(&shared, id, change).await {
                Ok(()) => then.into_iter().for_each(|then| then()),
                Err(failure) => ctx.report(&failure),
            }
        });
    };
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = name.get_untracked().trim().to_owned();
        let day = expires.get_untracked().trim().to_owned();
        if named.is_empty() {
            return error.set(Some(t_string!(i18n, purchase.certification_needed).to_owned()));
        }
        if !day.is_empty() && parse_day(&day).is_none() {
            return error.set(Some(t_string!(i18n, purchase.date_invalid).to_owned()));
        }
        error.set(None);
        let key = CertificationId::generate(&mut local::BrowserIds).to_string();
        let added = Box::new(move || {
            name.set(String::new());
            expires.set(String::new());
        });
        change(
            Box::new(move |party: &mut Party| {
                party
                    .certifications
                    .insert(key, Certification { name: named, expires: day, file: None });
            }),
            Some(added),
        );
    };
    view! {
        <h3>{t!(i18n, purchase.certifications)}</h3>
        <ul class="rows" data-testid="certifications">
            {move || list().into_iter().map(|(key, certification)| {
                let last = parse_day(&certification.expires);
                let state = match last {
                    Some(last) if last < today => "overdue",
                    Some(last) if (last.to_julian_day() - today.to_julian_day()) <= EXPIRES_SOON_DAYS => "soon",
                    Some(_) => "met",
                    None => "paused",
                };
                let when = match last {
                    Some(last) => t_string!(i18n, purchase.valid_until, date = crate::widgets::day_text(last)).to_string(),
                    None => t_string!(i18n, purchase.no_expiry).to_owned(),
                };
                let remove = key.clone();
                view! {
                    <li class="row certification-row" data-testid="certification" data-state=state>
                        <span class="row-title grow">{certification.name.clone()}</span>
                        <span class="tag due" data-state=state>{when}</span>
                        <Show when=move || account.can_edit()>
                            {
                                let remove = remove.clone();
                                let named = certification.name.clone();
                                view! {
                                    <crate::widgets::RemoveButton
                                        label=Signal::derive(move || t_string!(i18n, purchase.remove_named, name = named.clone()).to_string())
                                        on_remove=Callback::new(move |()| {
                                            let remove = remove.clone();
                                            change(Box::new(move |party: &mut Party| { party.certifications.remove(&remove); }), None);
                                        }) />
                                }
                            }
                        </Show>
                    </li>
                }
            }).collect_view()}
        </ul>
        <Show when=move || account.can_edit()>
            <form class="field-row wrapping" on:submit=add data-testid="certification-add">
                <label class="grow">
                    {t!(i18n, purchase.certification)}
                    <input type="text" maxlength="200" data-testid="certification-name"
                        prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, purchase.expires)}
                    <input type="date" data-testid="certification-expires"
                        prop:value=move || expires.get() on:input=move |e| expires.set(event_target_value(&e)) />
                </label>
                <button type="submit" data-testid="certification-save">{t!(i18n, purchase.add)}</button>
            </form>
        </Show>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// A standing set by hand, with why; cleared to let the scores decide again.
#[component]
fn HoldForm(id: PartyId, party: Signal<Option<Party>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let stored = Memo::new(move |_| {
        party.with(|p| {
            p.as_ref().and_then(|p| p.hold.clone()).filter(|hold| hold.standing != Standing::Ok)
        })
    });
    let stored_standing = Memo::new(move |_| {
        stored.with(|hold| hold.as_ref().map_or("ok", |h| h.standing.code()).to_owned())
    });
    let stored_reason = Memo::new(move |_| {
        stored.with(|hold| hold.as_ref().map(|h| h.reason.clone()).unwrap_or_default())
    });
    let standing = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    // A colleague's hold shows, unless this person is writing one.
    crate::widgets::follow(stored_standing, standing);
    crate::widgets::follow(stored_reason, reason);
    let error = RwSignal::new(None::<String>);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let chosen = match standing.get_untracked().as_str() {
            "watch" => Standing::Watch,
            "blocked" => Standing::Blocked,
            _ => Standing::Ok,
        };
        let why = reason.get_untracked().trim().to_owned();
        if chosen != Standing::Ok && why.is_empty() {
            return error.set(Some(t_string!(i18n, purchase.hold_reason_needed).to_owned()));
        }
        error.set(None);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let me = ctx.read(|ws| ws.me).flatten();
            let result = local::update::<Party>(&shared, id, move |party| {
                party.hold = (chosen != Standing::Ok).then(|| Hold {
                    standing: chosen,
                    reason: why,
                    by: me,
                    at: local::now(),
                });
            })
            .await;
            if let Err(failure) = result {
                ctx.report(&failure);
            }
        });
    };
    view! {
        <Show when=move || account.can_edit()>
            <form class="record-form" on:submit=save data-testid="hold-form">
                <h3>{t!(i18n, purchase.hold)}</h3>
                <div class="field-row">
                    <label>
                        {t!(i18n, purchase.standing)}
                        <select data-testid="hold-standing" prop:value=move || standing.get() on:change=move |e| standing.set(event_target_value(&e))>
                            <option value="ok" selected=move || standing.get() == "ok">{t!(i18n, purchase.hold_none)}</option>
                            <option value="watch" selected=move || standing.get() == "watch">{t!(i18n, purchase.standing_watch)}</option>
                            <option value="blocked" selected=move || standing.get() == "blocked">{t!(i18n, purchase.standing_blocked)}</option>
                        </select>
                    </label>
                    <label class="grow">
                        {t!(i18n, purchase.hold_reason)}
                        <input type="text" maxlength="300" data-testid="hold-reason"
                            prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e)) />
                    </label>
                </div>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <button type="submit" data-testid="hold-save">{t!(i18n, purchase.save)}</button>
            </form>
        </Show>
    }
}

/// A person's rating of the supplier this month: 1–5 on any criteria, with a note.
#[component]
fn RateForm(id: PartyId, criteria: Vec<(String, ScorecardCriterion)>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let scores: Vec<(String, String, RwSignal<String>)> = criteria
        .iter()
        .map(|(key, criterion)| {
            (key.clone(), criterion_name(key, criterion), RwSignal::new(String::new()))
        })
        .collect();
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let given = scores.clone();
    let rate = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let chosen: std::collections::BTreeMap<String, u8> = given
            .iter()
            .filter_map(|(key, _, score)| {
                let score: u8 = score.get_untracked().parse().ok()?;
                (1..=5).contains(&score).then(|| (key.clone(), score))
            })
            .collect();
        if chosen.is_empty() {
            return error.set(Some(t_string!(i18n, purchase.rating_needed).to_owned()));
        }
        error.set(None);
        done.set(false);
        let text = note.get_untracked().trim().to_owned();
        let fields: Vec<RwSignal<String>> = given.iter().map(|(_, _, score)| *score).collect();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let author = ctx.read(|ws| ws.me).flatten();
            let feedback = Feedback {
                party: id,
                at: local::now(),
                kind: FeedbackKind::Scorecard { scores: chosen },
                notes: autosurgeon::Text::with_value(text),
                author,
            };
            let feedback_id = FeedbackId::generate(&mut local::BrowserIds);
            match local::create(&shared, feedback_id, feedback).await {
                Ok(()) => {
                    // Emptied once it is kept, so a failed save loses nothing typed.
                    for field in fields {
                        field.set(String::new());
                    }
                    note.set(String::new());
                    ctx.changed();
                    done.set(true);
                }
                Err(failure) => ctx.report(&failure),
            }
        });
    };
    view! {
        <Show when=move || account.can_edit()>
            <form class="record-form" on:submit=rate.clone() data-testid="rate-form">
                <h3>{t!(i18n, purchase.rate)}</h3>
                <div class="rate-grid">
                    {scores.clone().into_iter().map(|(key, name, score)| view! {
                        <label>
                            {name}
                            <select data-testid=format!("rate-{key}") prop:value=move || score.get() on:change=move |e| score.set(event_target_value(&e))>
                                <option value="">"–"</option>
                                {(1..=5).map(|n| view! { <option value=n.to_string()>{n}</option> }).collect_view()}
                            </select>
                        </label>
                    }).collect_view()}
                </div>
                <label>
                    {t!(i18n, purchase.rating_note)}
                    <input type="text" maxlength="500" data-testid="rate-note"
                        prop:value=move || note.get() on:input=move |e| note.set(event_target_value(&e)) />
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                {move || done.get().then(|| view! { <p class="hint" role="status" data-testid="rated">{t!(i18n, purchase.rated)}</p> })}
                <button type="submit" data-testid="rate-save">{t!(i18n, purchase.rate_save)}</button>
            </form>
        </Show>
    }
}
