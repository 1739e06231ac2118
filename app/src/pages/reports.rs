//! The report builder: which records (deals, people and companies, interactions, tickets, tasks), over
//! which months of which of their dates, whose, grouped by what and measured how — drawn as bars or a
//! table, every bar opening the records it counts, saved by name for the team and, when pinned, shown
//! on the analytics page. Answered by `rapport_core::report` in the worker's read model, so a report
//! over half a million interactions never holds up the page.

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use rapport_core::arrange::{self, Placed};
use rapport_core::ids::MemberId;
use rapport_core::layout::Month;
use rapport_core::mirror::ReportJob;
use rapport_core::model::{
    Channel, InteractionKind, Role, SavedReport, TicketPriority, WorkspaceSettings,
};
use rapport_core::offload::{Job, Outcome};
use rapport_core::read_model::{Changed, ReadModel};
use rapport_core::replica::Replica;
use rapport_core::report::{
    self, Answer, Board, Builtin, Chart, Condition, DateField, Dimension, Item, Key, Measure,
    Number, ReportDef, SegmentsRead, Source,
};
use rapport_core::segments::AudienceFacts;

use super::Page;
use crate::health::EveryoneHealth;
use crate::i18n::{t, t_string, use_i18n};
use crate::latest::Latest;
use crate::lead_scores::LeadScores;
use crate::mirror::{Unanswered, User};
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets::{
    self, BarChart, ChartRow, MemberChoice, SavedChips, SavedKind, Segmented, Shape,
};
use leptos_i18n::td_string;

/// What any report may read: what the worker's stored rows are watched for.
const READS: Changed = Changed::DEALS
    .union(Changed::PARTIES)
    .union(Changed::INTERACTIONS)
    .union(Changed::TICKETS)
    .union(Changed::TASKS)
    .union(Changed::MARKETING)
    .union(Changed::SETTINGS);

/// What `def` reads: a change to these asks it again. Segments read what an audience does.
fn reads_of(def: &ReportDef) -> Changed {
    let segments = match def.segments_read() {
        SegmentsRead::None => Changed::SETTINGS,
        _ => super::marketing::AUDIENCE,
    };
    segments.union(match def.source {
        Source::Deals => Changed::DEALS,
        Source::Parties => Changed::PARTIES,
        Source::Interactions => Changed::INTERACTIONS,
        Source::Tickets => Changed::TICKETS,
        Source::Tasks => Changed::TASKS,
    })
}

/// What a report's segments read that the page has from the relay (none when it reads no segment):
/// who opted out, and campaigns' opens and clicks when a segment selects on them. Tracked.
fn audience_facts(
    ws: &Replica,
    outbox: Option<OutboxCtx>,
    def: &ReportDef,
) -> Option<AudienceFacts> {
    if def.segments_read() == SegmentsRead::None {
        return None;
    }
    let Some(outbox) = outbox else { return Some(AudienceFacts::default()) };
    let campaigns = super::marketing::campaign_facts(ws, outbox);
    Some(AudienceFacts { opted_out: super::marketing::opted_out(outbox), campaigns })
}

/// Reports and the question each answers (a screen shows an answer only under its question).
type Answered = Option<Vec<(ReportDef, Arc<Answer>)>>;

/// The answers to `asked`, in order: from the worker's read model, or computed on the page when no
/// worker can.
async fn answers(
    ctx: WorkspaceCtx,
    user: User,
    (use_scores, use_health): (Option<LeadScores>, Option<EveryoneHealth>),
    asked: Rc<Vec<ReportJob>>,
) -> Answered {
    let shared = ctx.shared()?;
    let settings = shared.borrow().replica.settings.clone();
    let mut answered = Vec::with_capacity(asked.len());
    for job in asked.iter() {
        let def = job.def.clone();
        let answer = match crate::mirror::ask(
            &shared,
            user,
            job.workspace,
            &settings,
            Job::Report(job.clone()),
        )
        .await
        {
            Ok(Outcome::Report(answer)) => {
                // Browser tests read this to know the answer on screen came from the worker.
                crate::timing::mark("rapport:report-from-worker");
                *answer
            }
            Err(Unanswered::Released) => return None,
            Ok(_) | Err(Unanswered::OnThePage) => {
                // Segments over the scores and health every screen shares (health computed here
                // when it is not yet).
                let read = report::Reading {
                    facts: job.audience.clone().unwrap_or_default(),
                    scores: use_scores.and_then(|s| s.scores.get_untracked()),
                    health: use_health.and_then(|h| h.computed().get_untracked()),
                };
                let borrowed = shared.borrow();
                let ws = &borrowed.replica;
                report::run_reading(&ws.model, &ws.settings, &def, job.now, read)
            }
        };
        answered.push((def, Arc::new(answer)));
    }
    Some(answered)
}

/// Answers `defs` while they are asked, again on every change they read and when the worker took in
/// one; the answer of each (None until it is in, or while interactions are still being read).
fn answering(user: User, defs: Memo<Vec<ReportDef>>) -> Memo<Vec<Option<Arc<Answer>>>> {
    let ctx = WorkspaceCtx::use_ctx();
    // How a report is drawn is not part of its question: another chart is not asked again.
    let defs = Memo::new(move |_| {
        defs.get().into_iter().map(|def| ReportDef { chart: Chart::Bar, ..def }).collect::<Vec<_>>()
    });
    let now = super::tickets::ticking_now();
    let today = Memo::new(move |_| widgets::local_day(now.get()));
    let (scores, health) = (use_context::<LeadScores>(), use_context::<EveryoneHealth>());
    let outbox = use_context::<OutboxCtx>();
    let computing = Latest::new(move |asked| answers(ctx, user, (scores, health), asked));
    let asking = computing.clone();
    Effect::new(move || {
        // Read, not only tracked: a memo nobody reads is never computed, so never said to change.
        let _ = today.get();
        let defs = defs.get();
        let segments = defs.iter().any(|d| d.segments_read() != SegmentsRead::None);
        if segments {
            // Segments select on scores too, computed apart from the page (the worker reads those
            // it last computed): asked again when they are. Health follows the records read.
            if let Some(scores) = scores {
                scores.scores.track();
            }
        }
        // Interactions are read after the first screen: a report of them (or of segments, which
        // read the latest contact) waits for all of them (counted from half, it would lie); other
        // reports need not.
        let waits = segments || defs.iter().any(|d| d.source == Source::Interactions);
        let reads = defs.iter().fold(Changed::SETTINGS, |reads, d| reads.union(reads_of(d)));
        let asked = ctx
            .read_of(reads, |ws| {
                let still_reading = waits && ws.model.interactions_pending;
                let ready = !defs.is_empty() && !still_reading;
                ready.then(|| {
                    let now = now.get_untracked();
                    defs.into_iter()
                        .map(|def| {
                            let audience = audience_facts(ws, outbox, &def);
                            ReportJob { workspace: ws.workspace, def, now, audience }
                        })
                        .collect()
                })
            })
            .flatten();
        match asked {
            Some(_) => crate::mirror::hold(user),
            None => crate::mirror::release(user),
        }
        asking.ask(asked);
    });
    let answer = computing.answer();
    crate::mirror::on_stored(user, READS, move || computing.again());
    on_cleanup(move || crate::mirror::forget(user));
    Memo::new(move |_| {
        let defs = defs.get();
        answer.with(|answered| {
            defs.iter()
                .map(|def| {
                    let answered = answered.as_ref()?;
                    answered.iter().find(|(of, _)| of == def).map(|(_, answer)| answer.clone())
                })
                .collect()
        })
    })
}

/// How many months back a report counts; 0 for all time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span(u8);

#[component]
pub(crate) fn Reports() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let source = RwSignal::new(Source::Deals);
    let date = RwSignal::new(DateField::Created);
    let span = RwSignal::new(Span(6));
    let group = RwSignal::new(Some(Dimension::Month));
    let split = RwSignal::new(None::<Dimension>);
    let measure = RwSignal::new(Measure::Count);
    let currency = RwSignal::new(None::<String>);
    let owner = RwSignal::new(None::<MemberId>);
    // "Only where …": a dimension, then one of the values the records have.
    let only_by = RwSignal::new(None::<Dimension>);
    let only = RwSignal::new(None::<String>);
    let chart = RwSignal::new(Chart::Bar);
    let pinned = RwSignal::new(false);
    // On this member's own dashboard (their private document), as well or instead.
    let mine = RwSignal::new(false);
    // The saved report last applied: its pin follows the checkbox.
    let applied = RwSignal::new(None::<String>);
    let unreadable = RwSignal::new(None::<String>);
    // What is asked, each part kept to what the chosen records have.
    let def = Memo::new(move |_| {
        let source = source.get();
        let applies = |d: &Dimension| source.dimensions().contains(d);
        ReportDef {
            source,
            date: Some(date.get())
                .filter(|d| source.dates().contains(d))
                .unwrap_or(DateField::Created),
            months: span.get().0,
            group: group.get().filter(applies),
            split: split
                .get()
                .filter(applies)
                .filter(|s| group.get().filter(applies).is_some_and(|g| g != *s)),
            measure: Some(measure.get())
                .filter(|m| m.number().is_none_or(|n| source.numbers().contains(&n)))
                .unwrap_or(Measure::Count),
            conditions: owner
                .get()
                .map(|o| Condition { dimension: Dimension::Owner, value: o.to_string() })
                .into_iter()
                .chain(
                    only_by
                        .get()
                        .filter(applies)
                        .zip(only.get())
                        .map(|(dimension, value)| Condition { dimension, value }),
                )
                .collect(),
            currency: currency.get(),
            chart: chart.get(),
        }
    });
    // The values "only where" offers: the records the report measures (in its currency, with its
    // number), grouped by that dimension, under the rest of the question.
    let values_def = Memo::new(move |_| {
        let by = only_by.get()?;
        let mut values = def.get();
        values.conditions.retain(|c| c.dimension != by);
        values.group = Some(by);
        values.split = None;
        values.source.dimensions().contains(&by).then_some(values)
    });
    let defs = Memo::new(move |_| std::iter::once(def.get()).chain(values_def.get()).collect());
    let answers = answering("report builder", defs);
    let answer = Signal::derive(move || answers.with(|a| a.first().cloned().flatten()));
    let values = Memo::new(move |_| {
        let def = values_def.get()?;
        let answer = answers.with(|a| a.get(1).cloned().flatten())?;
        ctx.read_of(Changed::SETTINGS | Changed::MARKETING, |ws| {
            let members = ws.members();
            answer
                .rows
                .iter()
                .filter_map(|row| {
                    let value = condition_value(&row.key)?;
                    let label = key_label(&def, &row.key, ws, &members);
                    Some((value, format!("{label} ({})", widgets::count(row.records.len()))))
                })
                .collect::<Vec<_>>()
        })
    });
    // The value chosen is offered even when no record has it any more (or the values are still
    // being counted), so the select never shows "any value" while a condition applies.
    let offered = Memo::new(move |_| {
        let mut offered = values.get().unwrap_or_default();
        if let Some(chosen) = only.get()
            && !offered.iter().any(|(value, _)| *value == chosen)
        {
            let label = match (values_def.get(), chosen.is_empty()) {
                (_, true) => t_string!(i18n, report_builder.no_value).to_owned(),
                (Some(def), false) => {
                    let key = match (def.group, chosen.parse()) {
                        (Some(Dimension::Month | Dimension::Week), Ok(at)) => {
                            Key::Period(rapport_core::ids::Timestamp(at))
                        }
                        _ => Key::Value(chosen.clone()),
                    };
                    ctx.read_of(Changed::SETTINGS | Changed::MARKETING, |ws| {
                        key_label(&def, &key, ws, &ws.members())
                    })
                    .unwrap_or_else(|| chosen.clone())
                }
                (None, false) => chosen.clone(),
            };
            offered.insert(0, (chosen, label));
        }
        offered
    });
    Effect::new(move || {
        if answer.with(Option::is_some) {
            crate::timing::mark("rapport:report-rendered");
        }
    });
    let currencies = Memo::new(move |_| {
        ctx.read_of(Changed::DEALS | Changed::SETTINGS, |ws| {
            let mut all: Vec<String> =
                ws.model.deals.values().map(|d| d.currency.clone()).collect();
            all.extend(ws.settings.currencies.iter().cloned());
            all.sort();
            all.dedup();
            all
        })
        .unwrap_or_default()
    });

    let apply = Callback::new(move |id: String| {
        let saved = ctx.read(|ws| ws.settings.reports.get(&id).cloned()).flatten();
        let Some(saved) = saved else { return };
        match ReportDef::from_saved(&saved) {
            Ok(def) => {
                unreadable.set(None);
                source.set(def.source);
                date.set(def.date);
                span.set(Span(def.months));
                group.set(def.group);
                split.set(def.split);
                measure.set(def.measure);
                currency.set(def.currency.clone());
                owner.set(
                    def.conditions
                        .iter()
                        .find(|c| c.dimension == Dimension::Owner)
                        .and_then(|c| c.value.parse().ok()),
                );
                let other = def.conditions.iter().find(|c| c.dimension != Dimension::Owner);
                only_by.set(other.map(|c| c.dimension));
                only.set(other.map(|c| c.value.clone()));
                chart.set(def.chart);
                pinned.set(saved.pinned);
                mine.set(my_pins(ctx).contains(&id));
                applied.set(Some(id));
            }
            Err(why) => unreadable.set(Some(unreadable_text(&why))),
        }
    });
    // Ticking the box pins (or unpins) the report applied, as well as what is saved next.
    let pin = move |on: bool| {
        pinned.set(on);
        let Some(id) = applied.get_untracked() else { return };
        leptos::task::spawn_local(async move {
            let Some(shared) = ctx.shared() else { return };
            let result = crate::local::update_settings(&shared, move |settings| {
                if let Some(report) = settings.reports.get_mut(&id) {
                    report.pinned = on;
                }
            })
            .await;
            ctx.settle(result, unreadable);
        });
    };
    let pin_mine = move |on: bool| {
        mine.set(on);
        let Some(id) = applied.get_untracked() else { return };
        leptos::task::spawn_local(async move {
            ctx.settle(pin_for_me(ctx, id, on).await, unreadable);
        });
    };
    let saved_kind = SavedKind {
        testid: "report",
        list: |settings: &WorkspaceSettings| {
            settings.reports.iter().map(|(id, r)| (id.clone(), r.name.clone())).collect()
        },
        remove: |settings: &mut WorkspaceSettings, id: &str| {
            settings.reports.remove(id);
        },
        keep: Arc::new(move |settings: &mut WorkspaceSettings, id: String, name: String| {
            let saved = def.get_untracked().saved(&name, pinned.get_untracked());
            if mine.get_untracked() {
                let id = id.clone();
                leptos::task::spawn_local(async move {
                    ctx.settle(pin_for_me(ctx, id, true).await, unreadable);
                });
            }
            settings.reports.insert(id, saved);
        }),
        new_id: || rapport_core::ids::ViewId::generate(&mut crate::local::BrowserIds).to_string(),
        group_label: Signal::derive(move || t_string!(i18n, report_builder.saved).to_owned()),
        save_label: Signal::derive(move || t_string!(i18n, report_builder.save).to_owned()),
        name_label: Signal::derive(move || t_string!(i18n, report_builder.name).to_owned()),
        name_needed: Signal::derive(move || t_string!(i18n, report_builder.name_needed).to_owned()),
        remove_label: Arc::new(move |name| {
            t_string!(i18n, report_builder.remove, name = name).to_string()
        }),
    };
    let title = Signal::derive(move || def.with(report_title));
    view! {
        <Page key="reports" title=move || t_string!(i18n, report_builder.title)>
            <SavedChips kind=saved_kind pick=apply />
            {move || unreadable.get().map(|why| view! { <p class="error" role="alert" data-testid="report-unreadable">{why}</p> })}
            <div class="toolbar dashboard-filters report-builder" data-testid="report-builder">
                <label class="inline-field">
                    <span>{t!(i18n, report_builder.records)}</span>
                    <select data-testid="report-source" on:change=move |e| {
                        if let Some(picked) = Source::from_key(&event_target_value(&e)) {
                            // Another kind of record: a condition on the last one's values goes.
                            only_by.set(None);
                            only.set(None);
                            source.set(picked);
                        }
                    }>
                        {Source::ALL.into_iter().map(|s| view! {
                            <option value=s.key() selected=move || source.get() == s>{move || source_name(s)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || { source.get().dates().len() > 1 }>
                    <label class="inline-field">
                        <span>{t!(i18n, report_builder.date)}</span>
                        <select data-testid="report-date" on:change=move |e| {
                            if let Some(picked) = DateField::from_key(&event_target_value(&e)) { date.set(picked) }
                        }>
                            {move || source.get().dates().iter().map(|d| {
                                let d = *d;
                                view! { <option value=d.key() selected=move || def.with(|def| def.date == d)>{date_name(d)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <Segmented value=span name="report-period" label=Signal::derive(move || t_string!(i18n, analytics.period)) options=vec![
                    (Span(3), Signal::derive(move || t_string!(i18n, analytics.months_3)), "report-3"),
                    (Span(6), Signal::derive(move || t_string!(i18n, analytics.months_6)), "report-6"),
                    (Span(12), Signal::derive(move || t_string!(i18n, analytics.months_12)), "report-12"),
                    (Span(0), Signal::derive(move || t_string!(i18n, report_builder.all_time)), "report-all"),
                ] />
                <label class="inline-field">
                    <span>{t!(i18n, report_builder.group_by)}</span>
                    <select data-testid="report-group" on:change=move |e| group.set(Dimension::from_key(&event_target_value(&e)))>
                        <option value="" selected=move || def.with(|d| d.group.is_none())>{t!(i18n, report_builder.no_grouping)}</option>
                        {move || source.get().dimensions().iter().map(|d| {
                            let d = *d;
                            view! { <option value=d.key() selected=move || def.with(|def| def.group == Some(d))>{dimension_name(d)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || def.with(|d| d.group.is_some())>
                    <label class="inline-field">
                        <span>{t!(i18n, report_builder.split_by)}</span>
                        <select data-testid="report-split" on:change=move |e| split.set(Dimension::from_key(&event_target_value(&e)))>
                            <option value="" selected=move || def.with(|d| d.split.is_none())>{t!(i18n, report_builder.no_split)}</option>
                            {move || source.get().dimensions().iter().filter(|d| def.with(|def| def.group != Some(**d))).map(|d| {
                                let d = *d;
                                view! { <option value=d.key() selected=move || def.with(|def| def.split == Some(d))>{dimension_name(d)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <label class="inline-field">
                    <span>{t!(i18n, report_builder.measure)}</span>
                    <select data-testid="report-measure" on:change=move |e| {
                        if let Some(picked) = measure_from_key(&event_target_value(&e)) { measure.set(picked) }
                    }>
                        {move || measures(source.get()).into_iter().map(|m| view! {
                            <option value=measure_key(m) selected=move || def.with(|def| def.measure == m)>{measure_name(m)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || def.with(|d| d.measure.number() == Some(Number::Amount))>
                    <select
                        aria-label=move || t_string!(i18n, analytics.currency)
                        data-testid="report-currency"
                        on:change=move |e| currency.set(Some(event_target_value(&e)))
                    >
                        {move || {
                            let shown = answer.with(|a| a.as_ref().and_then(|a| a.currency.clone()));
                            currencies.get().into_iter().map(|code| {
                                let selected = shown.as_deref() == Some(code.as_str());
                                view! { <option value=code.clone() selected=selected>{code.clone()}</option> }
                            }).collect_view()
                        }}
                    </select>
                </Show>
                <label class="inline-field">
                    <span>{t!(i18n, analytics.owner)}</span>
                    <MemberChoice
                        testid="report-owner"
                        current=owner.into()
                        nobody=Signal::derive(move || t_string!(i18n, analytics.everyone).to_owned())
                        choose=Callback::new(move |member| owner.set(member))
                    />
                </label>
                <label class="inline-field">
                    <span>{t!(i18n, report_builder.only_where)}</span>
                    <select data-testid="report-where" on:change=move |e| {
                        only_by.set(Dimension::from_key(&event_target_value(&e)));
                        only.set(None);
                    }>
                        <option value="" selected=move || only_by.get().is_none()>{t!(i18n, report_builder.anything)}</option>
                        {move || source.get().dimensions().iter().filter(|d| **d != Dimension::Owner).map(|d| {
                            let d = *d;
                            view! { <option value=d.key() selected=move || only_by.get() == Some(d)>{dimension_name(d)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || values_def.with(Option::is_some)>
                    <select
                        data-testid="report-where-value"
                        aria-label=move || t_string!(i18n, report_builder.value)
                        on:change=move |e| {
                            let value = event_target_value(&e);
                            only.set(value.strip_prefix("v:").map(str::to_owned));
                        }
                    >
                        <option value="any" selected=move || only.get().is_none()>{t!(i18n, report_builder.any_value)}</option>
                        {move || offered.get().into_iter().map(|(value, label)| {
                            let chosen = value.clone();
                            view! { <option value=format!("v:{value}") selected=move || only.get().as_deref() == Some(chosen.as_str())>{label}</option> }
                        }).collect_view()}
                    </select>
                </Show>
                <Segmented value=chart name="report-chart" label=Signal::derive(move || t_string!(i18n, report_builder.chart)) options=vec![
                    (Chart::Bar, Signal::derive(move || t_string!(i18n, report_builder.bars)), "report-bars"),
                    (Chart::Stacked, Signal::derive(move || t_string!(i18n, report_builder.stacked)), "report-stacked"),
                    (Chart::Line, Signal::derive(move || t_string!(i18n, report_builder.line)), "report-line"),
                    (Chart::Donut, Signal::derive(move || t_string!(i18n, report_builder.donut)), "report-donut"),
                    (Chart::Table, Signal::derive(move || t_string!(i18n, report_builder.table)), "report-table"),
                ] />
                <label class="check">
                    <input type="checkbox" data-testid="report-pinned" prop:checked=move || pinned.get() on:change=move |e| pin(event_target_checked(&e)) />
                    {t!(i18n, report_builder.pinned)}
                </label>
                // Nowhere private to write yet (a synced device before the relay named its private
                // document): not offered rather than lost.
                <Show when=move || ctx.private_writable()>
                    <label class="check">
                        <input type="checkbox" data-testid="report-mine" prop:checked=move || mine.get() on:change=move |e| pin_mine(event_target_checked(&e)) />
                        {t!(i18n, report_builder.mine)}
                    </label>
                </Show>
            </div>
            <ReportChart testid="report" title def=def.into() answer />
            <p class="hint">{t!(i18n, report_builder.how_counted)}</p>
        </Page>
    }
}

/// The keys of the saved reports on this member's own dashboard.
fn my_pins(ctx: WorkspaceCtx) -> std::collections::BTreeSet<String> {
    ctx.read_of(Changed::PRIVATE, |ws| {
        report::my_dashboard(&ws.model.private_notes).into_iter().map(str::to_owned).collect()
    })
    .unwrap_or_default()
}

/// Puts saved report `id` on this member's own dashboard, or takes it off: its note in their
/// private document, which only their devices receive.
async fn pin_for_me(
    ctx: WorkspaceCtx,
    id: String,
    on: bool,
) -> Result<(), crate::local::LocalError> {
    // Already there: where the member put it stays.
    if on && my_pins(ctx).contains(&id) {
        return Ok(());
    }
    let Some(shared) = ctx.shared_once_open().await else { return Ok(()) };
    let (note, text) = (report::my_dashboard_note(&id), report::my_dashboard_text(on));
    crate::local::write_private_note(&shared, note, text.to_owned()).await
}

/// Pinned reports, each a chart, in the order the team (or the member) arranged them — by name until
/// someone moves one —: the team's (pinned in the workspace's settings), or this member's own (on
/// their dashboard, and not the team's already) under a heading of their own. A grid of widgets,
/// each moved by its handle on a desktop or by its "earlier" and "later" buttons on any screen; a
/// move writes the moved widget's place only (`core::arrange`). The dashboard's filters apply on top
/// of each report's own ([`ReportDef::under`]).
#[component]
pub(crate) fn PinnedReports(
    /// This member's own rather than the team's.
    #[prop(optional)]
    mine: bool,
    /// The dashboard's period over each report with a period; 0 leaves each its own.
    #[prop(into)]
    months: Signal<u8>,
    /// Only this member's records, when the dashboard names one.
    #[prop(into)]
    owner: Signal<Option<MemberId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let pinned = Memo::new(move |_| {
        let my_places: std::collections::BTreeMap<String, String> = if mine {
            ctx.read_of(Changed::PRIVATE, |ws| {
                report::my_places(&ws.model.private_notes)
                    .into_iter()
                    .map(|(id, place)| (id.to_owned(), place.to_owned()))
                    .collect()
            })
            .unwrap_or_default()
        } else {
            Default::default()
        };
        ctx.read_of(Changed::SETTINGS, |ws| {
            let shown = ws.settings.reports.iter().filter(|(id, r)| match mine {
                true => !r.pinned && my_places.contains_key(*id),
                false => r.pinned,
            });
            let placed = shown
                .map(|(id, r)| Placed {
                    id: id.clone(),
                    place: if mine { my_places[id].clone() } else { r.place.clone() },
                    name: r.name.clone(),
                })
                .collect();
            arrange::in_order(placed)
                .into_iter()
                .map(|p| {
                    let saved = ws.settings.reports[&p.id].clone();
                    (p, saved)
                })
                .collect::<Vec<(Placed, SavedReport)>>()
        })
        .unwrap_or_default()
    });
    // Those this app can read (the others say so), in id order: a move asks nothing again.
    let defs = Memo::new(move |_| {
        let (months, owner) = (months.get(), owner.get());
        pinned.with(|p| {
            let mut readable: Vec<(&str, ReportDef)> = p
                .iter()
                .filter_map(|(w, r)| {
                    Some((w.id.as_str(), ReportDef::from_saved(r).ok()?.under(months, owner)))
                })
                .collect();
            readable.sort_by(|a, b| a.0.cmp(b.0));
            readable.into_iter().map(|(_, def)| def).collect::<Vec<_>>()
        })
    });
    let answers = answering(if mine { "my reports" } else { "pinned reports" }, defs);
    let refused = RwSignal::new(None::<String>);
    // Moves the widget at `from` to `to`: its place in the settings, or in the member's notes.
    let move_widget = move |from: usize, to: usize| {
        let order: Vec<Placed> =
            pinned.with_untracked(|p| p.iter().map(|(w, _)| w.clone()).collect());
        let writes = arrange::move_to(&order, from, to);
        if writes.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = if mine {
                let mut result = Ok(());
                for (id, place) in writes {
                    result = crate::local::write_private_note(
                        &shared,
                        report::my_dashboard_note(&id),
                        place,
                    )
                    .await;
                    if result.is_err() {
                        break;
                    }
                }
                result
            } else {
                crate::local::update_settings(&shared, move |settings| {
                    for (id, place) in writes {
                        if let Some(report) = settings.reports.get_mut(&id) {
                            report.place = place;
                        }
                    }
                })
                .await
            };
            ctx.settle(result, refused);
        });
    };
    // A widget moved by its button keeps the focus there: the list moves its element, which blurs it.
    let refocus = RwSignal::new(None::<(String, &'static str)>);
    Effect::new(move || {
        // Read, not only tracked: see `answering`.
        pinned.with(|_| ());
        let Some((id, button)) = refocus.get_untracked() else { return };
        refocus.set(None);
        request_animation_frame(move || {
            let document = document();
            // The other button when this one can go no further.
            for button in [button, "move-earlier", "move-later"] {
                let selector = format!(
                    "[data-testid=pinned-widget][data-id=\"{id}\"] [data-testid={button}]:enabled"
                );
                if let Some(found) = document.query_selector(&selector).ok().flatten()
                    && let Ok(found) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(found)
                {
                    let _ = found.focus();
                    return;
                }
            }
        });
    });
    // Dragged by its handle: the widget being dragged, and the one it is over.
    let dragged = RwSignal::new(None::<usize>);
    let over = RwSignal::new(None::<usize>);
    // A member's own page is theirs to arrange; the team's, everyone's but a viewer's.
    let arranges = move || mine || account.can_edit();
    view! {
        <Show when=move || mine && pinned.with(|p| !p.is_empty())>
            <h2 class="board-heading" data-testid="my-reports">{t!(i18n, report_builder.my_reports)}</h2>
        </Show>
        {move || refused.get().map(|why| view! { <p class="error" role="alert">{why}</p> })}
        <div class="dashboard-grid" data-testid=if mine { "my-widgets" } else { "pinned-widgets" }>
            // Keyed without the place: a move reorders the widgets, it does not draw them again.
            <For
                each=move || pinned.get().into_iter().enumerate()
                key=|(_, (placed, saved))| (placed.id.clone(), SavedReport { place: String::new(), ..saved.clone() })
                let:entry
            >
                {
                    let (_, (placed, saved)) = entry;
                    let id = placed.id.clone();
                    let moved = StoredValue::new(id.clone());
                    let name = saved.name.clone();
                    // Where it is now, as the order changes under it.
                    let at = {
                        let id = id.clone();
                        Memo::new(move |_| pinned.with(|p| p.iter().position(|(w, _)| w.id == id)).unwrap_or(0))
                    };
                    let count = Memo::new(move |_| pinned.with(Vec::len));
                    let widget = match ReportDef::from_saved(&saved) {
                        Ok(def) => {
                            let def = Signal::derive(move || def.clone().under(months.get(), owner.get()));
                            let answer = Signal::derive(move || {
                                let asked = def.get();
                                defs.with(|defs| defs.iter().position(|d| *d == asked))
                                    .and_then(|at| answers.with(|a| a.get(at).cloned().flatten()))
                            });
                            view! { <ReportChart testid="pinned-report" title=Signal::stored(name.clone()) def answer /> }.into_any()
                        }
                        Err(why) => view! {
                            <section class="panel" data-testid="pinned-report">
                                <h2>{name.clone()}</h2>
                                <p class="error">{unreadable_text(&why)}</p>
                            </section>
                        }.into_any(),
                    };
                    let name = StoredValue::new(name);
                    view! {
                        <div
                            class="widget"
                            class:drop-target=move || over.get() == Some(at.get()) && dragged.get() != Some(at.get())
                            data-testid="pinned-widget"
                            data-id=id.clone()
                            on:dragover=move |e: leptos::ev::DragEvent| {
                                if dragged.get_untracked().is_some() {
                                    // A drop here is welcome.
                                    e.prevent_default();
                                    over.set(Some(at.get_untracked()));
                                }
                            }
                            on:drop=move |e: leptos::ev::DragEvent| {
                                e.prevent_default();
                                if let Some(from) = dragged.get_untracked() {
                                    move_widget(from, at.get_untracked());
                                }
                                dragged.set(None);
                                over.set(None);
                            }
                        >
                            <Show when=arranges>
                                <div class="widget-move">
                                    <span
                                        class="widget-handle"
                                        aria-hidden="true"
                                        data-testid="widget-handle"
                                        draggable="true"
                                        title=move || t_string!(i18n, report_builder.drag_to_move)
                                        on:dragstart=move |e: leptos::ev::DragEvent| {
                                            if let Some(transfer) = e.data_transfer() {
                                                transfer.set_effect_allowed("move");
                                                // Firefox starts a drag only with something in it.
                                                let _ = transfer.set_data("text/plain", "");
                                            }
                                            dragged.set(Some(at.get_untracked()));
                                        }
                                        on:dragend=move |_| {
                                            dragged.set(None);
                                            over.set(None);
                                        }
                                    >"⠿"</span>
                                    <button
                                        type="button"
                                        class="icon-button"
                                        data-testid="move-earlier"
                                        disabled=move || at.get() == 0
                                        aria-label=move || name.with_value(|name| t_string!(i18n, report_builder.move_earlier, name = name.as_str()).to_string())
                                        on:click=move |_| {
                                                refocus.set(Some((moved.get_value(), "move-earlier")));
                                                move_widget(at.get_untracked(), at.get_untracked().saturating_sub(1));
                                            }
                                    >"↑"</button>
                                    <button
                                        type="button"
                                        class="icon-button"
                                        data-testid="move-later"
                                        disabled=move || { at.get() + 1 >= count.get() }
                                        aria-label=move || name.with_value(|name| t_string!(i18n, report_builder.move_later, name = name.as_str()).to_string())
                                        on:click=move |_| {
                                                refocus.set(Some((moved.get_value(), "move-later")));
                                                move_widget(at.get_untracked(), at.get_untracked() + 1);
                                            }
                                    >"↓"</button>
                                </div>
                            </Show>
                            {widget}
                        </div>
                    }
                }
            </For>
        </div>
    }
}

/// A dashboard the app ships (service, marketing, relationships): its reports, each a chart titled in
/// the screens' language, answered like any report.
#[component]
pub(crate) fn DefaultBoard(
    board: Board,
    /// The board's filters, over each of its reports ([`ReportDef::under`]).
    #[prop(into)]
    months: Signal<u8>,
    #[prop(into)] owner: Signal<Option<MemberId>>,
    /// Widgets of the board's own, first in its grid.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let defs = Memo::new(move |_| {
        let (months, owner) = (months.get(), owner.get());
        board.reports().into_iter().map(|(_, def)| def.under(months, owner)).collect::<Vec<_>>()
    });
    // A user of the mirror each: one board's cleanup never lets go of the next one's.
    let user = match board {
        Board::Service => "service dashboard",
        Board::Marketing => "marketing dashboard",
        Board::Relationships => "relationships dashboard",
    };
    let answers = answering(user, defs);
    view! {
        <div class="dashboard-grid" data-testid=format!("board-{}", board.key())>
            {children.map(|children| children())}
            {board.reports().into_iter().enumerate().map(|(n, (builtin, def))| {
                let answer = Signal::derive(move || answers.with(|a| a.get(n).cloned().flatten()));
                let title = Signal::derive(move || builtin_title(builtin).to_owned());
                let def = Signal::derive(move || defs.with(|defs| defs.get(n).cloned()).unwrap_or_else(|| def.clone()));
                view! { <ReportChart testid=builtin.key() title def answer /> }
            }).collect_view()}
        </div>
    }
}

/// A default report's title in the screens' language.
fn builtin_title(builtin: Builtin) -> &'static str {
    let locale = crate::locale::current();
    match builtin {
        Builtin::TicketsByMonth => td_string!(locale, report_builder.tickets_by_month),
        Builtin::TicketsByStatus => td_string!(locale, report_builder.tickets_by_status),
        Builtin::RatingByMonth => td_string!(locale, report_builder.rating_by_month),
        Builtin::TicketsByChannel => td_string!(locale, report_builder.tickets_by_channel),
        Builtin::TicketsByPriority => td_string!(locale, report_builder.tickets_by_priority),
        Builtin::NewContactsByMonth => td_string!(locale, report_builder.new_contacts_by_month),
        Builtin::NewProspectsByMonth => td_string!(locale, report_builder.new_prospects_by_month),
        Builtin::WonByMonth => td_string!(locale, report_builder.won_by_month),
        Builtin::InteractionsByKind => td_string!(locale, report_builder.interactions_by_kind),
        Builtin::RelationshipsByRole => td_string!(locale, report_builder.relationships_by_role),
        Builtin::SuppliersByCountry => td_string!(locale, report_builder.suppliers_by_country),
        Builtin::InvestorsByTag => td_string!(locale, report_builder.investors_by_tag),
        Builtin::EmployeesByCity => td_string!(locale, report_builder.employees_by_city),
    }
}

/// A report's answer as bars (or only their table), a bar opening the records it counts.
#[component]
fn ReportChart(
    testid: &'static str,
    title: Signal<String>,
    def: Signal<ReportDef>,
    answer: Signal<Option<Arc<Answer>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let picked = RwSignal::new(None);
    // Another question, other bars: what was picked is closed (not when only the chart changes).
    let question = Memo::new(move |_| ReportDef { chart: Chart::Bar, ..def.get() });
    // A pick names a part by its place among the series: when they change, it would name another.
    let parts = Memo::new(move |_| {
        answer.with(|a| a.as_ref().map(|a| a.series.clone()).unwrap_or_default())
    });
    Effect::new(move |first: Option<()>| {
        // Read, not only tracked: see `answering`.
        let _ = (question.get(), parts.get());
        if first.is_some() {
            picked.set(None);
        }
    });
    // Split bars: a series per value of the split, then the whole group's — not in a donut, the
    // shares of one whole.
    let split = Memo::new(move |_| {
        def.with(|d| d.chart != Chart::Donut)
            && answer.with(|a| a.as_ref().is_some_and(|a| !a.series.is_empty()))
    });
    let rows = Signal::derive(move || {
        let def = def.get();
        let Some(answer) = answer.get() else { return Vec::new() };
        let split = split.get();
        ctx.read_of(Changed::SETTINGS | Changed::MARKETING, |ws| {
            let members = ws.members();
            // Bars are drawn from whole numbers: averages and medians in hundredths, so 3.6 and
            // 4.4 are not one length.
            let scale = match def.measure {
                Measure::Average(_) | Measure::Median(_) => 100.0,
                Measure::Count | Measure::Sum(_) => 1.0,
            };
            answer
                .rows
                .iter()
                .map(|row| {
                    let parts = row.parts.iter().map(|p| p.value).filter(|_| split);
                    let values: Vec<Option<f64>> = parts.chain([row.value]).collect();
                    let texts: Vec<(String, String)> = values
                        .iter()
                        .map(|v| value_text(&def, answer.currency.as_deref(), *v))
                        .collect();
                    ChartRow {
                        key: key_text(&row.key),
                        label: key_label(&def, &row.key, ws, &members),
                        values: values
                            .iter()
                            .map(|v| (v.unwrap_or(0.0) * scale).round() as i64)
                            .collect(),
                        shown: texts.iter().map(|(shown, _)| shown.clone()).collect(),
                        plain: texts.into_iter().map(|(_, plain)| plain).collect(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
    });
    // A part's records, or the whole bar's (its last series, or its only one).
    let records = Memo::new(move |_| {
        let Some((key, series)) = picked.get() else { return Vec::new() };
        let split = split.get();
        answer.with(|a| {
            a.as_ref()
                .and_then(|a| a.rows.iter().find(|r| key_text(&r.key) == key))
                .map(|r| match r.parts.get(series).filter(|_: &&report::Part| split) {
                    Some(part) => part.records.clone(),
                    None => r.records.clone(),
                })
                .unwrap_or_default()
        })
    });
    let series = Signal::derive(move || {
        let whole = def.with(|d| measure_name(d.measure));
        if !split.get() {
            return vec![whole];
        }
        let parts = def.with(|def| {
            // The split's values are named as a grouping by it would name them.
            let by_split = ReportDef { group: def.split, ..def.clone() };
            answer.with(|a| {
                ctx.read_of(Changed::SETTINGS | Changed::MARKETING, |ws| {
                    let members = ws.members();
                    a.as_ref()
                        .map(|a| {
                            a.series
                                .iter()
                                .map(|key| key_label(&by_split, key, ws, &members))
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default()
                })
                .unwrap_or_default()
            })
        });
        parts.into_iter().chain([t_string!(i18n, report_builder.whole).to_owned()]).collect()
    });
    let additive = move || matches!(def.with(|d| d.measure), Measure::Count | Measure::Sum(_));
    let shape = Signal::derive(move || match def.with(|d| d.chart) {
        Chart::Bar => Shape::Bars,
        // Parts add up to their bar for counts and sums of a split with one value a record only:
        // side by side otherwise.
        Chart::Stacked
            if split.get()
                && additive()
                && def.with(|d| d.split.is_some_and(Dimension::one_per_record)) =>
        {
            Shape::Stacked
        }
        Chart::Stacked => Shape::Bars,
        Chart::Line => Shape::Line,
        // Shares of a whole: of counts and sums only (averages do not add up to anything).
        Chart::Donut if additive() => Shape::Donut,
        Chart::Donut => Shape::Bars,
        Chart::Table => Shape::Table,
    });
    let chart = move || {
        view! {
            <BarChart
                shape
                testid
                title
                series
                rows
                empty=Signal::derive(move || match answer.with(Option::is_some) {
                    true => t_string!(i18n, report_builder.nothing).to_owned(),
                    // Still being counted.
                    false => t_string!(i18n, report_builder.counting).to_owned(),
                })
                picked
            >
                <ItemRecords items=records />
            </BarChart>
        }
    };
    // Not grouped: one number, a card that lists what it counts.
    let number = move || {
        let shown =
            move || rows.with(|r| r.first().map(|r| r.shown[0].clone())).unwrap_or_default();
        let note = Signal::derive(move || {
            def.with(|def| answer.with(|a| a.as_deref().and_then(|a| change_note(i18n, def, a))))
                .unwrap_or_default()
        });
        // The card in the page's files, as it reads.
        let section = NodeRef::new();
        let card = Signal::derive(move || {
            rows.with(|r| {
                r.first()
                    .map(|row| ChartRow {
                        key: row.key.clone(),
                        label: series.get().concat(),
                        values: row.values.clone(),
                        shown: vec![row.shown[0].clone(), note.get()],
                        plain: vec![row.plain[0].clone(), note.get()],
                    })
                    .into_iter()
                    .collect()
            })
        });
        widgets::cards_in_page_files(title, card, section);
        view! {
            <section class="panel chart" data-testid=testid node_ref=section>
                <h2>{move || title.get()}</h2>
                <button
                    type="button"
                    class="kpi"
                    data-testid="report-number"
                    aria-pressed=move || picked.with(Option::is_some).to_string()
                    on:click=move |_| picked.update(|p| *p = if p.is_some() { None } else { Some(("all".to_owned(), 0)) })
                >
                    <span class="kpi-label">{move || series.get().concat()}</span>
                    <span class="kpi-value" data-testid="kpi-value">{shown}</span>
                    <span class="kpi-note" data-testid="kpi-note">{note}</span>
                </button>
                {move || picked.with(Option::is_some).then(|| view! { <ItemRecords items=records /> })}
            </section>
        }
    };
    view! {
        <div class="report-chart" data-testid=format!("{testid}-chart")>
            <Show when=move || def.with(|d| d.group.is_some()) fallback=number>
                {chart()}
            </Show>
        </div>
    }
}

/// At most this many records are listed under a bar; the count says how many it has.
const SHOWN: usize = 100;

/// The records behind a bar, each linked to its page.
#[component]
pub(crate) fn ItemRecords(#[prop(into)] items: Signal<Vec<Item>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let rows = move || {
        items.with(|items| {
            ctx.read(|ws| {
                items
                    .iter()
                    .take(SHOWN)
                    .filter_map(|item| item_link(&ws.model, *item))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
        })
    };
    view! {
        <div class="records-behind" data-testid="records-behind">
            <p class="count" data-testid="records-count">
                {move || t_string!(i18n, report_builder.records_count, count = widgets::count(items.with(Vec::len))).to_string()}
                {move || (items.with(Vec::len) > SHOWN).then(|| t_string!(i18n, analytics.first_shown, count = SHOWN).to_string())}
            </p>
            <ul class="rows compact">
                {move || rows().into_iter().map(|(title, href)| (title.clone(), title, href)).map(|(key, title, href)| view! {
                    <li class="row" data-testid="record-row" data-title=key>
                        <a class="row-title" href=href>{title}</a>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

/// A record's name and where it opens.
fn item_link(model: &ReadModel, item: Item) -> Option<(String, String)> {
    Some(match item {
        Item::Deal(id) => (model.deals.get(&id)?.title.clone(), format!("/deals/{id}")),
        Item::Party(id) => (model.parties.get(&id)?.name.clone(), format!("/parties/{id}")),
        Item::Ticket(id) => (model.tickets.get(&id)?.subject.clone(), format!("/tickets/{id}")),
        Item::Task(id) => (model.tasks.get(&id)?.title.clone(), "/tasks".to_owned()),
        Item::Interaction(id) => {
            let row = model.interactions.values().find_map(|month| month.get(&id))?;
            let what = if row.summary.trim().is_empty() {
                widgets::interaction_label(row.kind()).to_owned()
            } else {
                row.summary.clone()
            };
            let href =
                row.parties.first().map_or_else(|| "/".to_owned(), |p| format!("/parties/{p}"));
            (format!("{} · {what}", widgets::local_date(row.at)), href)
        }
    })
}

/// A key as tests and picks know it.
/// Prefixed, so that no value typed (a tag "others") can pass for another key.
fn key_text(key: &Key) -> String {
    match key {
        Key::Period(at) => format!("p:{}", at.0),
        Key::Value(value) => format!("v:{value}"),
        Key::Missing => "missing".to_owned(),
        Key::Others => "others".to_owned(),
        Key::All => "all".to_owned(),
    }
}

/// What a condition keeping a group's records says (`Condition::value`); none for "others".
fn condition_value(key: &Key) -> Option<String> {
    match key {
        Key::Period(at) => Some(at.0.to_string()),
        Key::Value(value) => Some(value.clone()),
        Key::Missing => Some(String::new()),
        Key::Others | Key::All => None,
    }
}

/// Why a saved report cannot be opened, in the screens' language.
fn unreadable_text(why: &report::ReportError) -> String {
    let report::ReportError::Unknown { key, .. } = why;
    td_string!(crate::locale::current(), report_builder.unreadable, key = key.as_str()).to_string()
}

/// A group's name in the screens' language.
fn key_label(def: &ReportDef, key: &Key, ws: &Replica, members: &[(MemberId, String)]) -> String {
    let settings = &ws.settings;
    let locale = crate::locale::current();
    let value = match key {
        Key::Period(at) => {
            return match def.group {
                Some(Dimension::Week) => {
                    // The week's Monday as a UTC day: west of Greenwich its local time is Sunday.
                    td_string!(locale, report_builder.week_of, day = widgets::utc_date(*at))
                        .to_string()
                }
                _ => super::deals::month_name(Month::of(*at)),
            };
        }
        Key::Missing => return td_string!(locale, report_builder.no_value).to_owned(),
        Key::Others => return td_string!(locale, report_builder.others).to_owned(),
        Key::All => return td_string!(locale, report_builder.all_records).to_owned(),
        Key::Value(value) => value.as_str(),
    };
    let named = match def.group {
        Some(Dimension::Owner) => members
            .iter()
            .find(|(id, _)| id.to_string() == value)
            .map(|(_, name)| name.clone())
            .or_else(|| Some(td_string!(locale, analytics.former_member).to_owned())),
        Some(Dimension::Pipeline) => settings.pipelines.get(value).map(|p| p.name.clone()),
        Some(Dimension::Segment) => {
            let segment = value.parse().ok().and_then(|id| ws.model.segments.get(&id));
            segment.map(|s| s.name.clone())
        }
        Some(Dimension::Stage) => settings
            .pipelines
            .values()
            .flat_map(|p| p.stages.iter())
            .find(|s| s.id.to_string() == value)
            .map(|s| crate::locale::default_name(&s.name).unwrap_or(s.name.clone())),
        Some(Dimension::Status) => match (def.source, value) {
            (Source::Tickets, _) => Some(super::tickets::status_name(
                &rapport_core::service::Statuses::of(settings),
                value,
            )),
            (_, "won") => Some(td_string!(locale, report_builder.won).to_owned()),
            (_, "lost") => Some(td_string!(locale, report_builder.lost).to_owned()),
            (_, "done") => Some(td_string!(locale, report_builder.done).to_owned()),
            _ => Some(td_string!(locale, report_builder.open).to_owned()),
        },
        Some(Dimension::Kind) => match (def.source, value) {
            (Source::Parties, "organisation") => {
                Some(td_string!(locale, report_builder.organisations).to_owned())
            }
            (Source::Parties, _) => Some(td_string!(locale, report_builder.people).to_owned()),
            _ => rapport_core::scoring::INTERACTION_KEYS
                .iter()
                .position(|key| *key == value)
                .map(|at| widgets::interaction_label(InteractionKind::ALL[at]).to_owned()),
        },
        Some(Dimension::Role) => Role::from_key(value).map(|r| widgets::role_name(r).to_owned()),
        Some(Dimension::Priority) => TicketPriority::ALL
            .into_iter()
            .find(|p| p.as_str() == value)
            .map(|p| super::tickets::priority_name(p).to_owned()),
        Some(Dimension::Channel) => Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == value)
            .map(|c| super::tickets::channel_name(c).to_owned()),
        Some(Dimension::Team) => settings.teams.get(value).map(|t| t.name.clone()),
        Some(Dimension::Rating) => Some(format!("{value} ★")),
        _ => None,
    };
    named.unwrap_or_else(|| value.to_owned())
}

/// A value as people read it and as a spreadsheet does.
fn value_text(def: &ReportDef, currency: Option<&str>, value: Option<f64>) -> (String, String) {
    let Some(value) = value else { return ("—".to_owned(), String::new()) };
    match def.measure.number() {
        None => (widgets::count(value.max(0.0) as usize), format!("{value}")),
        Some(Number::Amount) => {
            let minor = value.round() as i64;
            let currency = currency.unwrap_or_default().to_owned();
            (
                widgets::money(minor, &currency),
                rapport_core::model::Money { minor, currency }.to_plain(),
            )
        }
        Some(Number::Rating | Number::CycleDays) => {
            (widgets::tenths((value.max(0.0) * 10.0).round() as u32), format!("{value:.1}"))
        }
    }
}

/// "▲ €400 on the period before": an ungrouped report's number against the one before it, when
/// both are known.
fn change_note(
    i18n: leptos_i18n::I18nContext<crate::i18n::Locale>,
    def: &ReportDef,
    answer: &Answer,
) -> Option<String> {
    let now = answer.rows.first()?.value?;
    let before = answer.before.as_ref()?.value?;
    // Compared as they are shown (a difference that rounds to nothing is none): tenths of a rating
    // or of a day, whole counts and minor units of money.
    let scale = match def.measure.number() {
        Some(Number::Rating | Number::CycleDays) => 10.0,
        Some(Number::Amount) | None => 1.0,
    };
    let shown = |value: f64| (value * scale).round() as i64;
    let figure = rapport_core::analytics::Compared { now: shown(now), before: shown(before) };
    Some(super::analytics::change_text(i18n, figure, |difference| {
        value_text(def, answer.currency.as_deref(), Some(difference as f64 / scale)).0
    }))
}

/// "Deals: amount by stage, last 6 months": what a report counts, as its chart's title.
fn report_title(def: &ReportDef) -> String {
    let locale = crate::locale::current();
    let what = format!("{}: {}", source_name(def.source), measure_name(def.measure));
    match (def.group.map(dimension_name), def.split.map(dimension_name)) {
        (Some(by), Some(split)) => {
            td_string!(locale, report_builder.by_split, what = what, by = by, split = split)
                .to_string()
        }
        (Some(by), None) => td_string!(locale, report_builder.by, what = what, by = by).to_string(),
        (None, _) => what,
    }
}

/// The measures a kind of record offers: a count, and a sum, average and median of each number.
fn measures(source: Source) -> Vec<Measure> {
    std::iter::once(Measure::Count)
        .chain(
            source
                .numbers()
                .iter()
                .flat_map(|n| [Measure::Sum(*n), Measure::Average(*n), Measure::Median(*n)]),
        )
        .collect()
}

fn measure_key(measure: Measure) -> String {
    match measure {
        Measure::Count => "count".to_owned(),
        Measure::Sum(n) => format!("sum:{}", n.key()),
        Measure::Average(n) => format!("average:{}", n.key()),
        Measure::Median(n) => format!("median:{}", n.key()),
    }
}

fn measure_from_key(key: &str) -> Option<Measure> {
    let (how, number) = key.split_once(':').unwrap_or((key, ""));
    let number = Number::from_key(number);
    match (how, number) {
        ("count", _) => Some(Measure::Count),
        ("sum", Some(n)) => Some(Measure::Sum(n)),
        ("average", Some(n)) => Some(Measure::Average(n)),
        ("median", Some(n)) => Some(Measure::Median(n)),
        _ => None,
    }
}

fn source_name(source: Source) -> &'static str {
    let locale = crate::locale::current();
    match source {
        Source::Deals => td_string!(locale, nav.deals),
        Source::Parties => td_string!(locale, report_builder.parties),
        Source::Interactions => td_string!(locale, analytics.interactions),
        Source::Tickets => td_string!(locale, report_builder.tickets),
        Source::Tasks => td_string!(locale, report_builder.tasks),
    }
}

fn date_name(date: DateField) -> &'static str {
    let locale = crate::locale::current();
    match date {
        DateField::Created => td_string!(locale, report_builder.created),
        DateField::Closed => td_string!(locale, report_builder.closed),
        DateField::ExpectedClose => td_string!(locale, report_builder.expected_close),
        DateField::Due => td_string!(locale, report_builder.due),
        DateField::Done => td_string!(locale, report_builder.done_on),
    }
}

fn dimension_name(dimension: Dimension) -> &'static str {
    let locale = crate::locale::current();
    match dimension {
        Dimension::Month => td_string!(locale, report_builder.month),
        Dimension::Week => td_string!(locale, report_builder.week),
        Dimension::Owner => td_string!(locale, report_builder.owner),
        Dimension::Pipeline => td_string!(locale, report_builder.pipeline),
        Dimension::Stage => td_string!(locale, deals.stage),
        Dimension::Status => td_string!(locale, report_builder.status),
        Dimension::Currency => td_string!(locale, analytics.currency),
        Dimension::LostReason => td_string!(locale, report_builder.lost_reason),
        Dimension::Kind => td_string!(locale, analytics.kind),
        Dimension::Role => td_string!(locale, report_builder.role),
        Dimension::Tag => td_string!(locale, report_builder.tag),
        Dimension::Country => td_string!(locale, report_builder.country),
        Dimension::City => td_string!(locale, report_builder.city),
        Dimension::Priority => td_string!(locale, report_builder.priority),
        Dimension::Channel => td_string!(locale, report_builder.channel),
        Dimension::Team => td_string!(locale, report_builder.team),
        Dimension::Rating => td_string!(locale, report_builder.rating),
        Dimension::Segment => td_string!(locale, report_builder.segment),
    }
}

fn measure_name(measure: Measure) -> String {
    let locale = crate::locale::current();
    use {Measure as M, Number as N};
    match measure {
        M::Count => td_string!(locale, report_builder.count),
        M::Sum(N::Amount) => td_string!(locale, report_builder.total_amount),
        M::Average(N::Amount) => td_string!(locale, report_builder.avg_amount),
        M::Median(N::Amount) => td_string!(locale, report_builder.median_amount),
        M::Sum(N::Rating) => td_string!(locale, report_builder.total_rating),
        M::Average(N::Rating) => td_string!(locale, report_builder.avg_rating),
        M::Median(N::Rating) => td_string!(locale, report_builder.median_rating),
        M::Sum(N::CycleDays) => td_string!(locale, report_builder.total_days),
        M::Average(N::CycleDays) => td_string!(locale, report_builder.avg_days),
        M::Median(N::CycleDays) => td_string!(locale, report_builder.median_days),
    }
    .to_owned()
}
