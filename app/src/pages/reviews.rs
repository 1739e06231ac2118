//! The Team page's review cycles: each cycle with what this member has still to write, and for
//! owners and admins a form that launches one from a template (`rapport_core::reviews` decides who
//! reviews whom). A cycle's page is `pages::review`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::ballot::MIN_K;
use rapport_core::ids::{ReviewCycleId, Timestamp};
use rapport_core::model::ReviewCycle;
use rapport_core::read_model::Changed;
use rapport_core::reviews::{self, Asked, CycleRefused, ReviewKind, ReviewRow, Template};

use crate::i18n::{t, t_string, use_i18n};
use crate::letters::LettersCtx;
use crate::local;
use crate::state::WorkspaceCtx;
use crate::widgets;

/// A kind of review as the screens name it.
pub(crate) fn kind_name(kind: ReviewKind) -> String {
    let locale = crate::locale::current();
    match kind {
        ReviewKind::Own => leptos_i18n::td_string!(locale, reviews.kind_self),
        ReviewKind::Manager => leptos_i18n::td_string!(locale, reviews.kind_manager),
        ReviewKind::Peer => leptos_i18n::td_string!(locale, reviews.kind_peer),
        ReviewKind::Upward => leptos_i18n::td_string!(locale, reviews.kind_upward),
    }
    .to_owned()
}

pub(crate) fn template_name(template: Option<Template>) -> String {
    let locale = crate::locale::current();
    match template {
        Some(Template::Quarterly) => leptos_i18n::td_string!(locale, reviews.quarterly),
        Some(Template::Annual) => leptos_i18n::td_string!(locale, reviews.annual),
        Some(Template::Probation) => leptos_i18n::td_string!(locale, reviews.probation),
        None => "",
    }
    .to_owned()
}

/// "Open until 15 Dec" or "Closed 3 Dec", as the lists and the cycle's page say it.
pub(crate) fn cycle_state(cycle: &ReviewRow) -> String {
    let locale = crate::locale::current();
    let ends = cycle.ends();
    if cycle.is_open(local::now()) {
        // It closes at the start of the day after its last.
        let last = widgets::day_text(widgets::local_day(Timestamp(ends.0 - 1)));
        leptos_i18n::td_string!(locale, reviews.open_until, day = last).to_string()
    } else {
        let day = widgets::day_text(widgets::local_day(ends));
        leptos_i18n::td_string!(locale, reviews.closed_on, day = day).to_string()
    }
}

#[component]
pub(crate) fn ReviewsPanel() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let letters = LettersCtx::use_ctx();
    let pulse = crate::pulse::PulseCtx::use_ctx();
    // Open ones first, newest first; with how many of this member's reviews are still to write.
    let cycles = Memo::new(move |_| {
        let shown = letters.state.with(|s| s.shown());
        ctx.read_of(Changed::EMPLOYEES | Changed::PARTIES, |ws| {
            let now = local::now();
            let mut rows: Vec<(ReviewRow, usize)> = ws
                .model
                .reviews
                .values()
                .map(|cycle| {
                    let to_write = match ws.me {
                        Some(me) if cycle.is_open(now) => {
                            let written = reviews::reviews_in(cycle, &shown);
                            // The upward review of their manager, not sent from here yet.
                            let upward = reviews::upward_open_for(&ws.model, me, now)
                                .iter()
                                .filter(|(c, manager)| {
                                    let ballot =
                                        reviews::upward_ballot(ws.workspace, c.id, *manager);
                                    c.id == cycle.id
                                        && super::surveys::my_answer(pulse, &ballot).is_none()
                                })
                                .count();
                            upward
                                + reviews::assignments(cycle, me)
                                    .iter()
                                    .filter(|a| {
                                        !written.iter().any(|r| {
                                            r.from == me && r.kind == a.kind && r.about == a.about
                                        })
                                    })
                                    .count()
                        }
                        _ => 0,
                    };
                    (cycle.clone(), to_write)
                })
                .collect();
            rows.sort_by_key(|(cycle, _)| {
                (!cycle.is_open(now), std::cmp::Reverse(cycle.created_at))
            });
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel" data-testid="review-cycles" data-count=move || cycles.with(Vec::len)>
            <h2>{t!(i18n, reviews.title)}</h2>
            <p class="hint">{t!(i18n, reviews.panel_hint)}</p>
            <super::surveys::BallotBoxFull />
            <Show when=move || cycles.with(|c| !c.is_empty()) fallback=move || view! { <p class="hint" data-testid="no-review-cycles">{t!(i18n, reviews.none)}</p> }>
                <ul class="rows">
                    <For each=move || cycles.get() key=|row| format!("{row:?}") let:row>
                        {
                            let (cycle, to_write) = row;
                            let state = cycle_state(&cycle);
                            let template = template_name(cycle.template);
                            view! {
                                <li class="row" data-testid="review-cycle-row" data-title=cycle.title.clone()>
                                    <a class="row-link" href=format!("/team/reviews/{}", cycle.id)>
                                        <span class="row-title">{cycle.title.clone()}</span>
                                        <span class="row-detail">{template} " · " {state}</span>
                                    </a>
                                    <Show when=move || { to_write > 0 }>
                                        <span class="tag due" data-state="soon" data-testid="reviews-to-write" data-count=to_write>
                                            {t_string!(i18n, reviews.to_write, count = widgets::count(to_write)).to_string()}
                                        </span>
                                    </Show>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </Show>
            <Show when=move || account.manages.get() && ctx.read(|ws| ws.me.is_some()).unwrap_or(false)>
                <NewCycle />
            </Show>
        </section>
    }
}

fn refused_text(why: CycleRefused) -> String {
    let locale = crate::locale::current();
    match why {
        CycleRefused::NoTitle => leptos_i18n::td_string!(locale, reviews.needs_title),
        CycleRefused::NoKinds => leptos_i18n::td_string!(locale, reviews.needs_kind),
        CycleRefused::NobodyToReview => leptos_i18n::td_string!(locale, reviews.nobody),
        CycleRefused::KTooSmall => leptos_i18n::td_string!(locale, reviews.k_too_small),
        CycleRefused::ClosesTooSoon => leptos_i18n::td_string!(locale, reviews.closes_too_soon),
    }
    .to_owned()
}

/// A template's question in the screens' language: its text and, for a choice, its options.
fn words(asked: Asked) -> (String, Vec<String>) {
    let locale = crate::locale::current();
    let text = match asked {
        Asked::Overall => leptos_i18n::td_string!(locale, reviews.q_overall),
        Asked::Values => leptos_i18n::td_string!(locale, reviews.q_values),
        Asked::WentWell => leptos_i18n::td_string!(locale, reviews.q_went_well),
        Asked::Better => leptos_i18n::td_string!(locale, reviews.q_better),
        Asked::NextFocus => leptos_i18n::td_string!(locale, reviews.q_next_focus),
        Asked::Recommendation => leptos_i18n::td_string!(locale, reviews.q_recommendation),
        Asked::ClearGoals => leptos_i18n::td_string!(locale, reviews.q_clear_goals),
        Asked::UsefulFeedback => leptos_i18n::td_string!(locale, reviews.q_useful_feedback),
        Asked::KeepOrChange => leptos_i18n::td_string!(locale, reviews.q_keep_or_change),
    };
    let options = match asked {
        Asked::Recommendation => vec![
            leptos_i18n::td_string!(locale, reviews.confirm).to_owned(),
            leptos_i18n::td_string!(locale, reviews.extend).to_owned(),
            leptos_i18n::td_string!(locale, reviews.end).to_owned(),
        ],
        _ => Vec::new(),
    };
    (text.to_owned(), options)
}

/// Launches a cycle from a template: the kinds of review it asks for, its close and its `k`; who
/// is reviewed, and by whom, is fixed as the records stand now.
#[component]
fn NewCycle() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let template = RwSignal::new(Template::Quarterly);
    let title = RwSignal::new(String::new());
    let kinds = RwSignal::new(Template::Quarterly.kinds());
    let closes = RwSignal::new(rapport_core::contract::write_day(widgets::local_day(
        widgets::local_day_start(Template::Quarterly.days_open() as i32),
    )));
    let k = RwSignal::new(MIN_K);
    let error = RwSignal::new(None::<String>);
    let choose_template = move |chosen: Template| {
        template.set(chosen);
        kinds.set(chosen.kinds());
        closes.set(rapport_core::contract::write_day(widgets::local_day(
            widgets::local_day_start(chosen.days_open() as i32),
        )));
    };
    // Who it would review as the records stand, and how many managers would be reviewed upward.
    let reach = Memo::new(move |_| {
        let template = template.get();
        let k = k.get();
        let upward = kinds.with(|k| k.contains(&ReviewKind::Upward));
        ctx.read_of(Changed::PARTIES, |ws| {
            let participants = reviews::participants(&ws.model, template, local::now());
            let mut per_manager: std::collections::BTreeMap<&str, u32> = Default::default();
            for manager in participants.values().filter(|m| !m.is_empty()) {
                *per_manager.entry(manager.as_str()).or_default() += 1;
            }
            let upward = if upward { per_manager.values().filter(|n| **n >= k).count() } else { 0 };
            (participants.len(), upward)
        })
        .unwrap_or_default()
    });
    let launch = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(me) = ctx.read(|ws| ws.me).flatten() else {
            return error.set(Some(t_string!(i18n, employee.who_unknown).to_owned()));
        };
        let now = local::now();
        let chosen = template.get_untracked();
        let Some(last_day) = rapport_core::contract::parse_day(&closes.get_untracked()) else {
            return error.set(Some(refused_text(CycleRefused::ClosesTooSoon)));
        };
        let Some(participants) = ctx.read(|ws| reviews::participants(&ws.model, chosen, now))
        else {
            return;
        };
        let kinds = kinds.get_untracked();
        let upward = kinds.contains(&ReviewKind::Upward);
        let typed = title.get_untracked().trim().to_owned();
        let cycle = ReviewCycle {
            title: if typed.is_empty() { template_name(Some(chosen)) } else { typed },
            template: chosen.name().to_owned(),
            kinds: ReviewKind::ALL
                .into_iter()
                .filter(|kind| kinds.contains(kind))
                .map(|kind| kind.name().to_owned())
                .collect(),
            questions: Template::questions(chosen.asks(), words),
            upward_questions: if upward {
                Template::questions(&Template::UPWARD, words)
            } else {
                Vec::new()
            },
            participants,
            peers: Default::default(),
            k: k.get_untracked(),
            // Open to the end of its last day.
            closes: widgets::local_midnight(last_day.next_day().unwrap_or(last_day)),
            closed_at: None,
            created_by: me,
            created_at: now,
        };
        if let Some(why) = reviews::refused(&cycle) {
            return error.set(Some(refused_text(why)));
        }
        error.set(None);
        let id = ReviewCycleId::generate(&mut local::BrowserIds);
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            if ctx.settle(local::create(&shared, id, cycle).await, error) {
                navigate(&format!("/team/reviews/{id}"), Default::default());
            }
        });
    };
    view! {
        <form class="record-form" on:submit=launch data-testid="new-review-cycle">
            <h3>{t!(i18n, reviews.new_cycle)}</h3>
            <label>
                {t!(i18n, reviews.template)}
                <select data-testid="review-template" on:change=move |e| {
                    if let Some(chosen) = Template::parse(&event_target_value(&e)) { choose_template(chosen) }
                }>
                    {Template::ALL.into_iter().map(|t| view! {
                        <option value=t.name() selected=move || template.get() == t>{move || template_name(Some(t))}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, reviews.cycle_title)}
                <input data-testid="review-title" placeholder=move || template_name(Some(template.get()))
                    prop:value=move || title.get() on:input=move |e| title.set(event_target_value(&e)) />
            </label>
            <fieldset class="group" data-testid="review-kinds">
                <legend>{t!(i18n, reviews.kinds)}</legend>
                <div class="checks">
                    {ReviewKind::ALL.into_iter().map(|kind| view! {
                        <label class="check">
                            <input type="checkbox" data-kind=kind.name()
                                prop:checked=move || kinds.with(|k| k.contains(&kind))
                                on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    kinds.update(|k| { k.retain(|x| *x != kind); if on { k.push(kind); } });
                                } />
                            {move || kind_name(kind)}
                        </label>
                    }).collect_view()}
                </div>
            </fieldset>
            <div class="form-row">
                <label>
                    {t!(i18n, reviews.last_day)}
                    <input type="date" data-testid="review-last-day" prop:value=move || closes.get()
                        on:input=move |e| closes.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, reviews.k)}
                    <input type="number" min=MIN_K max="50" inputmode="numeric" data-testid="review-k"
                        prop:value=move || k.get().to_string()
                        on:input=move |e| k.set(event_target_value(&e).parse().unwrap_or(0)) />
                </label>
            </div>
            <p class="hint" data-testid="review-reach">
                {move || {
                    let (people, upward) = reach.get();
                    t_string!(i18n, reviews.reach, people = widgets::count(people), managers = widgets::count(upward)).to_string()
                }}
            </p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="review-error">{e}</p> })}
            <button type="submit" data-testid="launch-review-cycle">{t!(i18n, reviews.launch)}</button>
        </form>
    }
}
