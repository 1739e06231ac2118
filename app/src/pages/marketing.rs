//! Marketing: the workspace's segments (saved rules, counted afresh as records change) and static
//! lists, each with how many people it holds now; its campaigns, drafts and sent; its drip
//! sequences with how many are in each; and a new one of each.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::campaigns::CampaignRow;
use rapport_core::ids::{AutomationId, CampaignId, SegmentId, SequenceId};
use rapport_core::model::{Automation, Campaign, NameSet, Segment, SegmentRule, Sequence};
use rapport_core::read_model::Changed;
use rapport_core::segments::{Audience, SegmentRow};

use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets::{BarChart, ChartRow};

/// What a segment's count depends on: a party's own fields, its deals, tickets and contacts, the
/// lists, the custom fields' kinds.
pub(crate) const AUDIENCE: Changed = Changed::PARTIES
    .union(Changed::DEALS)
    .union(Changed::TICKETS)
    .union(Changed::INTERACTIONS)
    .union(Changed::MARKETING)
    .union(Changed::SETTINGS);

/// The addresses the relay's consent log says unsubscribed, as this device last heard it.
pub(crate) fn opted_out(outbox: OutboxCtx) -> Vec<String> {
    outbox.outbox.with(|o| o.opt_outs().map(|event| event.address.clone()).collect())
}

/// Runs `read` over the audience facts of the open workspace, tracking what a count depends on.
pub(crate) fn with_audience<T>(
    ctx: WorkspaceCtx,
    outbox: OutboxCtx,
    read: impl FnOnce(&Audience, &rapport_core::read_model::ReadModel) -> T,
) -> Option<T> {
    let opted_out = opted_out(outbox);
    let scores = scores_if_asked(ctx);
    let health = health_if_asked(ctx);
    ctx.read_of(AUDIENCE, |ws| {
        let audience = audience_of(ws, outbox, opted_out, scores, health);
        read(&audience, &ws.model)
    })
}

/// Everyone's lead scores, when some segment selects on them (computed once per change for every
/// screen, [`crate::lead_scores::LeadScores`]), read before the workspace is.
fn scores_if_asked(ctx: WorkspaceCtx) -> Option<ScoresNow> {
    let asked = ctx.read_of(Changed::MARKETING, |ws| {
        ws.model.segments.values().any(|segment| segment.rule.reads_scores())
    });
    asked?.then(|| use_context::<crate::lead_scores::LeadScores>().and_then(|l| l.scores.get()))
}

/// Everyone's relationship health, when some segment selects on it (then computed once per change
/// for every screen, [`crate::health::EveryoneHealth`]); `None` while it is not computed yet, when
/// health conditions admit nobody.
fn health_if_asked(ctx: WorkspaceCtx) -> crate::health::Everyone {
    if !crate::health::segments_read_it(ctx) {
        return None;
    }
    use_context::<crate::health::EveryoneHealth>().and_then(|h| h.computed().get())
}

type ScoresNow = Option<std::sync::Arc<std::collections::HashMap<rapport_core::ids::PartyId, i64>>>;

/// The facts segments are evaluated against in `ws`: the records, the relay's opt-outs, and how far
/// each recipient went with each campaign (the relay's opens and clicks as heard).
pub(crate) fn audience_of(
    ws: &rapport_core::replica::Replica,
    outbox: OutboxCtx,
    opted_out: Vec<String>,
    scores: Option<ScoresNow>,
    health: crate::health::Everyone,
) -> Audience<'_> {
    let mut audience = Audience::new(&ws.model, &ws.settings, opted_out, local::now());
    if let Some(campaigns) = campaign_facts(ws, outbox) {
        audience = audience.with_campaigns(campaigns);
    }
    if let Some(scores) = scores {
        audience = audience.with_scores(scores.unwrap_or_default());
    }
    if let Some(health) = health {
        audience = audience.with_health(health);
    }
    audience
}

/// How far each recipient went with each campaign, as the relay's opens and clicks were heard — read
/// only when a segment selects on it: it looks at every copy of every campaign.
pub(crate) fn campaign_facts(
    ws: &rapport_core::replica::Replica,
    outbox: OutboxCtx,
) -> Option<rapport_core::segments::CampaignFacts> {
    let asked = ws.model.segments.values().any(|segment| segment.rule.reads_campaigns());
    asked.then(|| {
        outbox.outbox.with(|o| rapport_core::campaigns::activity(ws.workspace, &ws.model, o))
    })
}

/// Runs `read` over the audience facts as they are now and the open workspace: what a send decides
/// from, the same facts the counts on screen read ([`with_audience`]).
pub(crate) fn audience_now<T>(
    ctx: WorkspaceCtx,
    outbox: OutboxCtx,
    read: impl FnOnce(&Audience, &rapport_core::replica::Replica) -> T,
) -> Option<T> {
    let opted_out = opted_out(outbox);
    let scores = untrack(|| scores_if_asked(ctx));
    let health = untrack(|| health_if_asked(ctx));
    ctx.read(|ws| {
        let audience = audience_of(ws, outbox, opted_out, scores, health);
        read(&audience, ws)
    })
}

#[component]
pub(crate) fn Marketing() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let segments = Memo::new(move |_| {
        with_audience(ctx, outbox, |audience, model| {
            let mut rows: Vec<(SegmentRow, usize)> = model
                .segments
                .values()
                .filter(|s| !s.archived)
                .map(|s| (s.clone(), audience.of_segment(s).len()))
                .collect();
            rows.sort_by_cached_key(|(s, _)| rapport_core::search::fold(&s.name));
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <Page key="marketing" title=move || t_string!(i18n, marketing.title)>
            <p class="hint">{t!(i18n, marketing.intro)}</p>
            <section class="panel" data-testid="segments" data-count=move || segments.with(Vec::len)>
                <h2>{t!(i18n, marketing.segments)}</h2>
                <Show
                    when=move || segments.with(|s| !s.is_empty())
                    fallback=move || view! { <EmptyState title=move || t_string!(i18n, marketing.none) hint=move || t_string!(i18n, marketing.none_hint) /> }
                >
                    <ul class="rows">
                        <For each=move || segments.get() key=|(s, n)| format!("{}{}{n}", s.id, s.name) let:item>
                            <SegmentLine row=item.0 count=item.1 />
                        </For>
                    </ul>
                </Show>
                <Show when=move || account.can_edit()>
                    <NewSegment />
                </Show>
            </section>
            <Campaigns />
            <Sequences />
            <AutomationList />
        </Page>
    }
}

#[component]
fn SegmentLine(row: SegmentRow, count: usize) -> impl IntoView {
    let i18n = use_i18n();
    let kind = move || {
        if row.list {
            t_string!(i18n, marketing.static_list)
        } else {
            t_string!(i18n, marketing.rule_segment)
        }
    };
    view! {
        <li class="row" data-testid="segment-row" data-name=row.name.clone() data-count=count>
            <a class="row-link" href=format!("/marketing/segments/{}", row.id)>
                <span class="row-title">{row.name.clone()}</span>
                <span class="row-detail">
                    {kind} " · "
                    {move || t_string!(i18n, marketing.people, count = crate::widgets::count(count)).to_string()}
                </span>
            </a>
        </li>
    }
}

/// The campaigns, newest first: drafts, and those sent with how many they went to.
#[component]
fn Campaigns() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let campaigns = Memo::new(move |_| {
        ctx.read_of(Changed::MARKETING, |ws| {
            let mut rows: Vec<CampaignRow> =
                ws.model.campaigns.values().filter(|c| !c.archived).cloned().collect();
            rows.sort_by_key(|c| std::cmp::Reverse(c.sent_at.unwrap_or(c.created_at)));
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel" data-testid="campaigns" data-count=move || campaigns.with(Vec::len)>
            <h2>{t!(i18n, campaigns.campaigns)}</h2>
            <Show
                when=move || campaigns.with(|c| !c.is_empty())
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, campaigns.none) hint=move || t_string!(i18n, campaigns.none_hint) /> }
            >
                <ul class="rows">
                    <For each=move || campaigns.get() key=|c| format!("{}{}{:?}{:?}{}", c.id, c.name, c.sent_at, c.scheduled_for, c.recipients.len()) let:row>
                        <li class="row" data-testid="campaign-row" data-name=row.name.clone() data-sent=row.sent_at.is_some().to_string()>
                            <a class="row-link" href=format!("/marketing/campaigns/{}", row.id)>
                                <span class="row-title">{row.name.clone()}</span>
                                <span class="row-detail">
                                    {
                                        let (sent, count) = (row.sent_at, row.recipients.len());
                                        let scheduled = row.scheduled(crate::local::now());
                                        move || match (sent, scheduled) {
                                            (Some(_), Some(at)) => t_string!(
                                                i18n,
                                                campaigns.scheduled_for,
                                                at = crate::widgets::local_date_time(at)
                                            )
                                            .to_string(),
                                            (Some(at), None) => format!(
                                                "{} · {}",
                                                t_string!(i18n, campaigns.sent_to, count = crate::widgets::count(count)),
                                                crate::widgets::local_time(at)
                                            ),
                                            (None, _) => t_string!(i18n, campaigns.draft).to_owned(),
                                        }
                                    }
                                </span>
                            </a>
                        </li>
                    </For>
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <NewCampaign />
            </Show>
        </section>
    }
}

/// The drip sequences, by name, with how many steps each has and how many people were enrolled.
#[component]
fn Sequences() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let sequences = Memo::new(move |_| {
        ctx.read_of(Changed::MARKETING, |ws| {
            let mut rows: Vec<(SequenceId, String, usize, usize, bool)> = ws
                .model
                .sequences
                .values()
                .filter(|s| !s.archived)
                .map(|s| (s.id, s.name.clone(), s.steps.len(), s.enrolled.len(), s.paused))
                .collect();
            rows.sort_by_cached_key(|row| rapport_core::search::fold(&row.1));
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel" data-testid="sequences" data-count=move || sequences.with(Vec::len)>
            <h2>{t!(i18n, sequences.sequences)}</h2>
            <Show
                when=move || sequences.with(|s| !s.is_empty())
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, sequences.none) hint=move || t_string!(i18n, sequences.none_hint) /> }
            >
                <ul class="rows">
                    <For each=move || sequences.get() key=|row| row.clone() let:row>
                        <li class="row" data-testid="sequence-row" data-name=row.1.clone()>
                            <a class="row-link" href=format!("/marketing/sequences/{}", row.0)>
                                <span class="row-title">{row.1.clone()}</span>
                                <span class="row-detail">
                                    {
                                        let (steps, people, paused) = (row.2, row.3, row.4);
                                        move || {
                                            let said = t_string!(
                                                i18n,
                                                sequences.summary,
                                                steps = crate::widgets::count(steps),
                                                people = crate::widgets::count(people)
                                            )
                                            .to_string();
                                            if paused {
                                                format!("{said} · {}", t_string!(i18n, sequences.paused))
                                            } else {
                                                said
                                            }
                                        }
                                    }
                                </span>
                            </a>
                        </li>
                    </For>
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <NewSequence />
            </Show>
        </section>
    }
}

/// The automation rules, by name, each on or off with how many times it ran.
#[component]
fn AutomationList() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let rules = Memo::new(move |_| {
        ctx.read_of(Changed::MARKETING, |ws| {
            let mut rows: Vec<(AutomationId, String, bool, usize)> = ws
                .model
                .automations
                .values()
                .filter(|a| !a.archived)
                .map(|a| (a.id, a.name.clone(), a.on_since.is_some(), a.runs.len()))
                .collect();
            rows.sort_by_cached_key(|row| rapport_core::search::fold(&row.1));
            rows
        })
        .unwrap_or_default()
    });
    view! {
        <section class="panel" data-testid="automations" data-count=move || rules.with(Vec::len)>
            <h2>{t!(i18n, automations.title)}</h2>
            <Show
                when=move || rules.with(|r| !r.is_empty())
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, automations.none) hint=move || t_string!(i18n, automations.none_hint) /> }
            >
                <ul class="rows">
                    <For each=move || rules.get() key=|row| row.clone() let:row>
                        <li class="row" data-testid="automation-row" data-name=row.1.clone() data-on=row.2.to_string()>
                            <a class="row-link" href=format!("/marketing/automations/{}", row.0)>
                                <span class="row-title">{row.1.clone()}</span>
                                <span class="row-detail">
                                    {
                                        let (on, runs) = (row.2, row.3);
                                        move || {
                                            let state = if on { t_string!(i18n, automations.is_on_short) } else { t_string!(i18n, automations.is_off_short) };
                                            let ran = t_string!(i18n, automations.ran, count = crate::widgets::count(runs)).to_string();
                                            format!("{state} · {ran}")
                                        }
                                    }
                                </span>
                            </a>
                        </li>
                    </For>
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <NewAutomation />
            </Show>
        </section>
    }
}

/// A new automation rule, named and off: its page opens to set it up.
#[component]
fn NewAutomation() -> impl IntoView {
    let i18n = use_i18n();
    let make = |ctx: WorkspaceCtx, name: String| -> NewRecord {
        let rule = Automation {
            name,
            created_by: ctx.read(|ws| ws.me).flatten(),
            created_at: local::now(),
            ..Automation::default()
        };
        let id = AutomationId::generate(&mut local::BrowserIds);
        let store = move |shared: local::Shared| {
            Box::pin(async move { local::create(&shared, id, rule).await }) as _
        };
        (format!("/marketing/automations/{id}"), Box::new(store))
    };
    view! {
        <NewNamed testid="new-automation" make
            title=move || t_string!(i18n, automations.new_rule)
            needed=move || t_string!(i18n, automations.name_needed) />
    }
}

/// A record named in a form: `make` makes it from the name typed (one is needed, `needed` says so)
/// and says the page to open once it is stored. Test handles are `<testid>`, `<testid>-name`,
/// `<testid>-error` and `<testid>-create`.
#[component]
fn NewNamed(
    testid: &'static str,
    #[prop(into)] title: TextProp,
    #[prop(into)] needed: TextProp,
    make: fn(WorkspaceCtx, String) -> NewRecord,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let needed_text = needed.clone();
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = name.get_untracked().trim().to_owned();
        if typed.is_empty() {
            return error.set(Some(needed_text.get().to_string()));
        }
        error.set(None);
        let (page, store) = make(ctx, typed);
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            if ctx.settle(store(shared).await, error) {
                navigate(&page, Default::default());
            }
        });
    };
    view! {
        <form class="record-form" on:submit=create data-testid=testid>
            <h3>{move || title.get()}</h3>
            <label>
                {t!(i18n, marketing.name)}
                <input data-testid=format!("{testid}-name") prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid=format!("{testid}-error")>{e}</p> })}
            <button type="submit" data-testid=format!("{testid}-create")>{t!(i18n, campaigns.create)}</button>
        </form>
    }
}

/// What [`NewNamed`] makes: the page to open, and the write that stores the record.
type NewRecord = (
    String,
    Box<
        dyn FnOnce(
            local::Shared,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<(), local::LocalError>>>,
        >,
    >,
);

/// A new sequence, named: its page opens to write its steps.
#[component]
fn NewSequence() -> impl IntoView {
    let i18n = use_i18n();
    let make = |ctx: WorkspaceCtx, name: String| -> NewRecord {
        let sequence = Sequence {
            name,
            created_by: ctx.read(|ws| ws.me).flatten(),
            created_at: local::now(),
            ..Sequence::default()
        };
        let id = SequenceId::generate(&mut local::BrowserIds);
        let store = move |shared: local::Shared| {
            Box::pin(async move { local::create(&shared, id, sequence).await }) as _
        };
        (format!("/marketing/sequences/{id}"), Box::new(store))
    };
    view! {
        <NewNamed testid="new-sequence" make
            title=move || t_string!(i18n, sequences.new_sequence)
            needed=move || t_string!(i18n, sequences.name_needed) />
    }
}

/// A new campaign, named: its page opens to write it.
#[component]
fn NewCampaign() -> impl IntoView {
    let i18n = use_i18n();
    let make = |ctx: WorkspaceCtx, name: String| -> NewRecord {
        let campaign = Campaign {
            name,
            // Safe by default: only those who agreed, until someone decides otherwise.
            consented_only: true,
            created_by: ctx.read(|ws| ws.me).flatten(),
            created_at: local::now(),
            ..Campaign::default()
        };
        let id = CampaignId::generate(&mut local::BrowserIds);
        let store = move |shared: local::Shared| {
            Box::pin(async move { local::create(&shared, id, campaign).await }) as _
        };
        (format!("/marketing/campaigns/{id}"), Box::new(store))
    };
    view! {
        <NewNamed testid="new-campaign" make
            title=move || t_string!(i18n, campaigns.new_campaign)
            needed=move || t_string!(i18n, campaigns.name_needed) />
    }
}

/// A new segment (a rule, everyone until conditions are added) or a static list, named.
#[component]
fn NewSegment() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let list = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let title = name.get_untracked().trim().to_owned();
        if title.is_empty() {
            return error.set(Some(t_string!(i18n, marketing.name_needed).to_owned()));
        }
        error.set(None);
        create_and_open(
            ctx,
            title,
            list.get_untracked(),
            Default::default(),
            error,
            navigate.clone(),
        );
    };
    view! {
        <form class="record-form" on:submit=create data-testid="new-segment">
            <h3>{t!(i18n, marketing.new_segment)}</h3>
            <div class="field-row wrapping">
                <label>
                    {t!(i18n, marketing.name)}
                    <input data-testid="new-segment-name" prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e)) />
                </label>
                <label>
                    {t!(i18n, marketing.kind)}
                    <select data-testid="new-segment-kind" on:change=move |e| list.set(event_target_value(&e) == "list")>
                        <option value="rule" selected=move || !list.get()>{t!(i18n, marketing.rule_segment)}</option>
                        <option value="list" selected=move || list.get()>{t!(i18n, marketing.static_list)}</option>
                    </select>
                </label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="new-segment-error">{e}</p> })}
            <button type="submit" data-testid="new-segment-create">{t!(i18n, marketing.create)}</button>
        </form>
    }
}

/// Creates a segment — or, with `list`, a static list holding `members` — by this member, now, and
/// opens its page once it is stored; what went wrong shows in `error`.
pub(crate) fn create_and_open(
    ctx: WorkspaceCtx,
    name: String,
    list: bool,
    members: NameSet,
    error: RwSignal<Option<String>>,
    navigate: impl Fn(&str, leptos_router::NavigateOptions) + 'static,
) {
    let segment = Segment {
        name,
        list,
        rule: SegmentRule::default(),
        members,
        created_by: ctx.read(|ws| ws.me).flatten(),
        created_at: local::now(),
        archived: false,
    };
    let id = SegmentId::generate(&mut local::BrowserIds);
    spawn_local(async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        if ctx.settle(local::create(&shared, id, segment).await, error) {
            navigate(&format!("/marketing/segments/{id}"), Default::default());
        }
    });
}

/// How many of the latest sent campaigns the marketing dashboard draws.
const CAMPAIGNS_DRAWN: usize = 8;

/// The latest sent campaigns, each as three bars — copies sent, opened and clicked, as this device
/// heard them from the relay — a bar opening its campaign: the marketing dashboard's first chart.
#[component]
pub(crate) fn CampaignsChart() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let picked = RwSignal::new(None);
    let rows = Memo::new(move |_| {
        outbox
            .outbox
            .with(|outbox| {
                ctx.read_of(Changed::MARKETING, |ws| {
                    let mut sent: Vec<&CampaignRow> = ws
                        .model
                        .campaigns
                        .values()
                        .filter(|c| !c.archived && c.sent_at.is_some())
                        .collect();
                    // The latest first, the same order on every device.
                    sent.sort_by_key(|c| (std::cmp::Reverse(c.sent_at), c.id));
                    sent.truncate(CAMPAIGNS_DRAWN);
                    sent.into_iter()
                        .map(|campaign| {
                            let counted =
                                rapport_core::campaigns::engagement(ws.workspace, campaign, outbox);
                            let values = [counted.sent, counted.opened, counted.clicked];
                            ChartRow {
                                key: campaign.id.to_string(),
                                label: campaign.name.clone(),
                                values: values.iter().map(|v| *v as i64).collect(),
                                shown: values.iter().map(|v| crate::widgets::count(*v)).collect(),
                                plain: values.iter().map(usize::to_string).collect(),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default()
    });
    let series = Signal::derive(move || {
        vec![
            t_string!(i18n, report_builder.sent).to_owned(),
            t_string!(i18n, report_builder.opened).to_owned(),
            t_string!(i18n, report_builder.clicked).to_owned(),
        ]
    });
    let opened = move || {
        picked.get().map(|(key, _): (String, usize)| {
            let name = rows.with(|rows| rows.iter().find(|r| r.key == key).map(|r| r.label.clone()));
            view! {
                <p><a class="action" data-testid="open-campaign" href=format!("/marketing/campaigns/{key}")>
                    {t_string!(i18n, report_builder.open_campaign, name = name.unwrap_or_default()).to_string()}
                </a></p>
            }
        })
    };
    view! {
        <BarChart
            testid="campaign-engagement"
            title=Signal::derive(move || t_string!(i18n, report_builder.campaign_engagement).to_owned())
            series
            rows
            empty=Signal::derive(move || t_string!(i18n, report_builder.no_campaigns).to_owned())
            picked
        >
            {opened}
        </BarChart>
    }
}
