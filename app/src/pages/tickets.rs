//! Tickets: the support queue. Views for what a support person works through — breaching soon,
//! mine, unassigned, each team's queue, everything open, done — with the nearest deadline first, a
//! search, and a new ticket in a few taps. Deadlines are derived on the device
//! (`rapport_core::service`), at the relay's time of each event once this device has heard it.

use leptos::prelude::*;
use leptos_i18n::td_string;
use rapport_core::ids::{MemberId, TeamId, TicketId, Timestamp};
use rapport_core::model::{Channel, TicketPriority, TicketViewDef};
use rapport_core::read_model::Changed;
use rapport_core::search::fold;
use rapport_core::service::{
    self, ClockCache, Desk, Listed, Statuses, TicketClocks, TicketFilter, TicketSort, TicketView,
};
use rapport_core::sla::{Clock, StatusCategory};

use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::outbox::OutboxCtx;
use crate::state::WorkspaceCtx;
use crate::widgets::{NewTicket, SavedChips, SavedKind, Windowed};

/// How often deadlines are looked at again while the page is open.
const TICK_MS: u32 = 30_000;

/// A status's name: a built-in one in the screens' language, one the workspace named as written.
pub(crate) fn status_name(statuses: &Statuses, key: &str) -> String {
    match statuses.get(key) {
        Some(status) if status.built_in => built_in_name(crate::locale::current(), key).to_owned(),
        Some(status) => status.name.clone(),
        None => key.to_owned(),
    }
}

fn built_in_name(locale: crate::i18n::Locale, key: &str) -> &'static str {
    match key {
        "open" => td_string!(locale, tickets.status_open),
        "waiting" => td_string!(locale, tickets.status_waiting),
        "resolved" => td_string!(locale, tickets.status_resolved),
        _ => td_string!(locale, tickets.status_closed),
    }
}

/// Whether `name` is what a built-in status other than `key`, not renamed, is called in any of the
/// screens' languages: a colleague reading Russian would otherwise see two statuses of one name.
pub(crate) fn names_a_built_in_status(statuses: &Statuses, key: &str, name: &str) -> bool {
    use leptos_i18n::Locale as _;
    let folded = rapport_core::search::fold(name.trim());
    statuses.choosable().filter(|status| status.built_in && status.key != key).any(|status| {
        crate::i18n::Locale::get_all()
            .iter()
            .any(|locale| rapport_core::search::fold(built_in_name(*locale, &status.key)) == folded)
    })
}

pub(crate) fn priority_name(priority: TicketPriority) -> &'static str {
    let locale = crate::locale::current();
    match priority {
        TicketPriority::Low => td_string!(locale, tickets.low),
        TicketPriority::Normal => td_string!(locale, tickets.normal),
        TicketPriority::High => td_string!(locale, tickets.high),
        TicketPriority::Urgent => td_string!(locale, tickets.urgent),
    }
}

pub(crate) fn channel_name(channel: Channel) -> &'static str {
    let locale = crate::locale::current();
    match channel {
        Channel::Email => td_string!(locale, tickets.channel_email),
        Channel::Phone => td_string!(locale, tickets.channel_phone),
        Channel::Visit => td_string!(locale, tickets.channel_visit),
        Channel::WebForm => td_string!(locale, tickets.channel_web_form),
    }
}

/// A span of time as people read a deadline: "2 h 5 min", "3 d 4 h", "25 min".
pub(crate) fn span(ms: i64) -> String {
    let locale = crate::locale::current();
    let minutes = (ms.max(0) + 59_999) / 60_000;
    let (days, hours, minutes) = (minutes / 1_440, minutes / 60 % 24, minutes % 60);
    if days > 0 {
        td_string!(locale, tickets.span_days, days = days, hours = hours).to_string()
    } else if hours > 0 {
        td_string!(locale, tickets.span_hours, hours = hours, minutes = minutes).to_string()
    } else {
        td_string!(locale, tickets.span_minutes, minutes = minutes).to_string()
    }
}

/// Where a ticket's service level stands at a moment, for its badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Badge {
    /// No policy, or no clock.
    None,
    /// Past its deadline by so many ms.
    Overdue(i64),
    /// Due in so many ms: within [`service::SOON`] (`soon`) or not.
    Due(i64),
    /// Stopped by a paused status with so much working time left (negative: overdue).
    Paused(i64),
    /// Every clock finished; whether one was late.
    Done { late: bool },
}

impl Badge {
    pub(crate) fn of(clocks: &TicketClocks, now: Timestamp) -> Badge {
        let all =
            [clocks.clocks.first_response, clocks.clocks.next_response, clocks.clocks.resolution];
        if let Some(due) = clocks.next_due() {
            return if due <= now {
                Badge::Overdue(now.0 - due.0)
            } else {
                Badge::Due(due.0 - now.0)
            };
        }
        if let Some(left) = all.iter().flatten().find_map(|clock| match clock {
            Clock::Paused { left, .. } => Some(*left),
            _ => None,
        }) {
            return Badge::Paused(left);
        }
        let mut done = all.iter().flatten().filter_map(|clock| match clock {
            Clock::Done { late, .. } => Some(*late),
            _ => None,
        });
        match done.next() {
            None => Badge::None,
            Some(first) => Badge::Done { late: first || done.any(|late| late) },
        }
    }

    /// Its state for styles and tests (`overdue`, `soon`, `due`, `paused`, `met`, `missed`, or
    /// empty) and its words.
    pub(crate) fn words(self) -> (&'static str, String) {
        let locale = crate::locale::current();
        match self {
            Badge::None => ("", String::new()),
            Badge::Overdue(by) => {
                ("overdue", td_string!(locale, tickets.overdue_by, span = span(by)).to_string())
            }
            Badge::Due(left) => {
                let state = if left <= service::SOON { "soon" } else { "due" };
                (state, td_string!(locale, tickets.due_in, span = span(left)).to_string())
            }
            Badge::Paused(left) if left < 0 => (
                "overdue",
                td_string!(locale, tickets.paused_overdue, span = span(-left)).to_string(),
            ),
            Badge::Paused(left) => {
                ("paused", td_string!(locale, tickets.paused_left, span = span(left)).to_string())
            }
            Badge::Done { late: true } => {
                ("missed", td_string!(locale, tickets.sla_missed).to_owned())
            }
            Badge::Done { late: false } => ("met", td_string!(locale, tickets.sla_met).to_owned()),
        }
    }
}

/// One ticket as the list shows it: what tells it apart, the names read by its row only when it is on
/// screen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Line {
    id: TicketId,
    subject: String,
    party: Option<rapport_core::ids::PartyId>,
    status: String,
    assignee: Option<MemberId>,
    priority: TicketPriority,
    badge: Badge,
}

/// A view of the queue, as the chips name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    BreachingSoon,
    Mine,
    Unassigned,
    Team(TeamId),
    Open,
    Done,
}

impl Queue {
    fn view(self, me: Option<MemberId>) -> TicketView {
        match self {
            Queue::BreachingSoon => TicketView::BreachingSoon,
            Queue::Mine => me.map_or(TicketView::Open, TicketView::Mine),
            Queue::Unassigned => TicketView::Unassigned,
            Queue::Team(team) => TicketView::Team(team),
            Queue::Open => TicketView::Open,
            Queue::Done => TicketView::Done,
        }
    }

    fn key(self) -> String {
        match self {
            Queue::BreachingSoon => "breaching".into(),
            Queue::Mine => "mine".into(),
            Queue::Unassigned => "unassigned".into(),
            Queue::Team(team) => format!("team-{team}"),
            Queue::Open => "open".into(),
            Queue::Done => "done".into(),
        }
    }

    /// The queue a saved view names; all open tickets for one this device cannot read.
    fn from_key(key: &str) -> Queue {
        match key {
            "breaching" => Queue::BreachingSoon,
            "mine" => Queue::Mine,
            "unassigned" => Queue::Unassigned,
            "done" => Queue::Done,
            _ => key
                .strip_prefix("team-")
                .and_then(|team| team.parse().ok())
                .map_or(Queue::Open, Queue::Team),
        }
    }
}

/// What the list shows: a queue, searched, filtered and ordered — what a saved view keeps.
#[derive(Debug, Clone, Copy)]
struct ListState {
    queue: RwSignal<Queue>,
    query: RwSignal<String>,
    priority: RwSignal<Option<TicketPriority>>,
    tag: RwSignal<Option<String>>,
    sort: RwSignal<TicketSort>,
}

impl ListState {
    fn new() -> ListState {
        ListState {
            queue: RwSignal::new(Queue::Open),
            query: RwSignal::new(String::new()),
            priority: RwSignal::new(None),
            tag: RwSignal::new(None),
            sort: RwSignal::new(TicketSort::Deadline),
        }
    }

    fn filter(self) -> TicketFilter {
        TicketFilter { priority: self.priority.get(), tag: self.tag.get() }
    }

    fn apply(self, view: &TicketViewDef) {
        self.queue.set(Queue::from_key(&view.queue));
        self.query.set(view.query.clone());
        self.priority.set(view.priority.as_deref().and_then(TicketPriority::parse));
        self.tag.set(view.tag.clone());
        self.sort.set(TicketSort::from_key(&view.sort));
    }

    /// Saved under `name`; "mine" is saved as such, so whoever opens the view sees their own.
    fn to_view(self, name: &str) -> TicketViewDef {
        TicketViewDef {
            name: name.to_owned(),
            queue: self.queue.get_untracked().key(),
            query: self.query.get_untracked(),
            priority: self.priority.get_untracked().map(|p| p.as_str().to_owned()),
            tag: self.tag.get_untracked(),
            sort: self.sort.get_untracked().key().to_owned(),
        }
    }
}

/// The workspace's support teams by name: `(id, name)`.
pub(crate) fn teams(ctx: WorkspaceCtx) -> Vec<(TeamId, String)> {
    ctx.read_of(Changed::SETTINGS, |ws| {
        let mut teams: Vec<(TeamId, String)> = ws
            .settings
            .teams
            .iter()
            .filter_map(|(id, team)| Some((id.parse().ok()?, team.name.clone())))
            .collect();
        teams.sort_by(|a, b| a.1.cmp(&b.1));
        teams
    })
    .unwrap_or_default()
}

/// The time now, moved on every [`TICK_MS`] while the page is open.
pub(crate) fn ticking_now() -> ReadSignal<Timestamp> {
    let (now, set_now) = signal(crate::local::now());
    let handle = set_interval_with_handle(
        move || set_now.set(crate::local::now()),
        std::time::Duration::from_millis(u64::from(TICK_MS)),
    );
    if let Ok(handle) = handle {
        on_cleanup(move || handle.clear());
    }
    now
}

#[component]
pub(crate) fn Tickets() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let outbox = OutboxCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let me = Memo::new(move |_| ctx.read(|ws| ws.me).flatten());
    let state = ListState::new();
    let (queue, query) = (state.queue, state.query);
    let now = ticking_now();
    let teams = Memo::new(move |_| teams(ctx));
    // Each ticket's clocks, kept while its row, the policies and the stamps heard stay the same.
    let cache = StoredValue::new_local(ClockCache::default());
    // Every view's tickets with their clocks; the page lists one.
    let lines = Memo::new(move |_| {
        // Measured apart when no clock is kept yet (the page just opened): every ticket's computed.
        let cold = cache.with_value(ClockCache::is_empty)
            && ctx.status.get() == crate::state::Status::Ready;
        let span = crate::timing::Span::start(if cold {
            "rapport:tickets-cold"
        } else {
            "rapport:tickets"
        });
        let kinds = Changed::TICKETS | Changed::SETTINGS | Changed::PARTIES;
        let filter = state.filter();
        let view = (queue.get().view(me.get()), &filter, state.sort.get());
        let words: Vec<String> = fold(&query.get()).split_whitespace().map(str::to_owned).collect();
        let now = now.get();
        let lines = outbox.outbox.with(|stamps| {
            ctx.read_of(kinds, |ws| {
                let desk = Desk::new(ws.workspace, &ws.settings);
                let roles_of = |party| {
                    ws.model.parties.get(&party).map_or_else(Vec::new, |row| {
                        row.roles.iter().map(|role| role.role().key()).collect::<Vec<_>>()
                    })
                };
                let party_name = |row: &rapport_core::read_model::TicketRow| {
                    row.party
                        .and_then(|p| ws.model.parties.get(&p))
                        .map(|p| p.name.clone())
                        .unwrap_or_default()
                };
                let heard = stamps.stamps_heard();
                cache.try_update_value(|cache| {
                    cache.retain(|id| ws.model.tickets.contains_key(id));
                    let listed: Vec<Listed<'_>> = service::view(
                        &desk.statuses,
                        ws.model.tickets.values().filter(|row| {
                            words.is_empty() || {
                                let text = fold(&format!("{} {}", row.subject, party_name(row)));
                                words.iter().all(|word| text.contains(word.as_str()))
                            }
                        }),
                        view,
                        now,
                        |row| {
                            let roles = row.party.map(roles_of).unwrap_or_default();
                            cache.clocks(&desk, row, &roles, heard, |id| stamps.stamp(id))
                        },
                    );
                    listed
                        .into_iter()
                        .map(|listed| Line {
                            id: listed.row.id,
                            subject: listed.row.subject.clone(),
                            party: listed.row.party,
                            status: listed.row.status.clone(),
                            assignee: listed.row.assignee,
                            priority: listed.row.priority,
                            badge: Badge::of(&listed.clocks, now),
                        })
                        .collect::<Vec<_>>()
                })
            })
        });
        span.end();
        lines.flatten().unwrap_or_default()
    });
    Effect::new(move || {
        if lines.with(|lines| !lines.is_empty()) {
            crate::timing::mark("rapport:tickets-rendered");
        }
    });
    let chip = move |value: Queue, label: Signal<String>| {
        view! {
            <button type="button" class="chip" data-testid="ticket-queue" data-queue=value.key()
                aria-pressed=move || (queue.get() == value).to_string()
                on:click=move |_| queue.set(value)>
                {move || label.get()}
            </button>
        }
    };
    // "New ticket" on a customer's page comes here with the customer named.
    let query_map = leptos_router::hooks::use_query_map();
    let about = Memo::new(move |_| {
        query_map
            .with(|q| q.get("party").and_then(|id| id.parse::<rapport_core::ids::PartyId>().ok()))
    });
    let creating = RwSignal::new(about.get_untracked().is_some());
    // What customers answered the satisfaction surveys, over the workspace's tickets.
    let satisfaction = Memo::new(move |_| {
        ctx.read_of(Changed::TICKETS, |ws| {
            rapport_core::satisfaction::Summary::of(
                ws.model.tickets.values().filter_map(|row| row.rating),
            )
        })
        .unwrap_or_default()
    });
    view! {
        <Page key="tickets" title=move || t_string!(i18n, nav.tickets)>
            <Show when=move || account.can_edit()>
                <Show
                    when=move || creating.get()
                    fallback=move || view! {
                        <button type="button" class="primary-action" data-testid="new-ticket-open" on:click=move |_| creating.set(true)>
                            {t!(i18n, tickets.new_ticket)}
                        </button>
                    }
                >
                    {move || view! { <NewTicket about=about.get() done=Callback::new(move |_| creating.set(false)) /> }}
                </Show>
            </Show>
            <div class="chips" role="group" aria-label=move || t_string!(i18n, tickets.views)>
                {chip(Queue::BreachingSoon, Signal::derive(move || t_string!(i18n, tickets.breaching).to_owned()))}
                <Show when=move || me.get().is_some()>
                    {chip(Queue::Mine, Signal::derive(move || t_string!(i18n, tickets.mine).to_owned()))}
                </Show>
                {chip(Queue::Unassigned, Signal::derive(move || t_string!(i18n, tickets.unassigned).to_owned()))}
                <For each=move || teams.get() key=|team| team.clone() let:team>
                    {chip(Queue::Team(team.0), Signal::derive(move || team.1.clone()))}
                </For>
                {chip(Queue::Open, Signal::derive(move || t_string!(i18n, tickets.all_open).to_owned()))}
                {chip(Queue::Done, Signal::derive(move || t_string!(i18n, tickets.done).to_owned()))}
            </div>
            <input
                type="search"
                class="search"
                data-testid="ticket-search"
                placeholder=move || t_string!(i18n, tickets.search)
                aria-label=move || t_string!(i18n, tickets.search)
                prop:value=move || query.get()
                on:input=move |e| query.set(event_target_value(&e))
            />
            <div class="list-toolbar">
                <TicketControls state />
                <TicketViews state />
            </div>
            <p class="count" data-testid="ticket-count">
                {move || t_string!(i18n, tickets.count, count = crate::widgets::count(lines.with(Vec::len))).to_string()}
            </p>
            <p class="actions-row">
                <a class="action" href="/tickets/reports" data-testid="service-reports-link">{t!(i18n, reports.open_reports)}</a>
                <a class="action" href="/knowledge" data-testid="knowledge-link">{t!(i18n, knowledge.open_knowledge)}</a>
            </p>
            {move || {
                let summary = satisfaction.get();
                let percent = summary.satisfied_percent()?;
                let average = crate::widgets::tenths(summary.average_tenths()?);
                let answers = crate::widgets::count(summary.answers());
                Some(view! {
                    <p class="hint" data-testid="ticket-satisfaction">
                        {t_string!(i18n, tickets.satisfaction, percent, average, answers).to_string()}
                    </p>
                })
            }}
            <Show
                when=move || lines.with(|lines| !lines.is_empty())
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, tickets.empty) hint=move || t_string!(i18n, tickets.empty_hint) /> }
            >
                <Windowed
                    items=lines
                    // The whole line: a row whose status, priority or deadline changed is drawn again.
                    key=|line: &Line| line.clone()
                    row=|line| view! { <TicketLine line /> }
                    class="tickets"
                    testid="ticket-list"
                    row_px=68
                />
            </Show>
        </Page>
    }
}

#[component]
fn TicketLine(line: Line) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let priority_class = format!("tag priority priority-{}", line.priority.as_str());
    let title = line.subject.clone();
    let (due_state, due) = line.badge.words();
    // The customer, the status and the assignee by name, read for the rows on screen only.
    let detail = {
        let (party, status, assignee) = (line.party, line.status.clone(), line.assignee);
        move || {
            ctx.read_of(Changed::PARTIES | Changed::SETTINGS, |ws| {
                let statuses = Statuses::of(&ws.settings);
                let mut detail: Vec<String> = Vec::with_capacity(3);
                detail.extend(party.and_then(|p| ws.model.parties.get(&p)).map(|p| p.name.clone()));
                detail.push(status_name(&statuses, &status));
                detail.extend(
                    assignee
                        .and_then(|m| ws.settings.members.get(&m.to_string()))
                        .map(|m| m.display_name.clone()),
                );
                detail.join(" · ")
            })
            .unwrap_or_default()
        }
    };
    view! {
        <div class="row ticket" data-testid="ticket-row" data-due=due_state data-title=title>
            <a class="row-link" href=format!("/tickets/{}", line.id)>
                <span class="row-title">{line.subject}</span>
                <span class="row-detail">{detail}</span>
            </a>
            <span class="ticket-badges">
                <span class=priority_class>{priority_name(line.priority)}</span>
                {(!due.is_empty()).then(|| view! {
                    <span class="tag due" data-state=due_state data-testid="ticket-due">{due}</span>
                })}
            </span>
        </div>
    }
}

/// Whether a status category means the ticket is finished.
pub(crate) fn finished(category: StatusCategory) -> bool {
    matches!(category, StatusCategory::Resolved | StatusCategory::Closed)
}

/// The order and the filters of the list.
#[component]
fn TicketControls(state: ListState) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    // Tags on tickets, for the filter (sorted, each once).
    let tags = Memo::new(move |_| {
        ctx.read_of(Changed::TICKETS, |ws| {
            let mut tags: Vec<String> =
                ws.model.tickets.values().flat_map(|row| row.tags.iter().cloned()).collect();
            tags.sort_unstable();
            tags.dedup();
            tags
        })
        .unwrap_or_default()
    });
    // The tag filtered by is offered even when no ticket on this device has it (a saved view's),
    // so the filter never hides behind "Any tag".
    let tags_offered = move || {
        let mut offered = tags.get();
        if let Some(active) = state.tag.get()
            && !offered.contains(&active)
        {
            offered.push(active);
            offered.sort_unstable();
        }
        offered
    };
    let sort_label = move |sort: TicketSort| match sort {
        TicketSort::Deadline => t_string!(i18n, tickets.sort_deadline),
        TicketSort::Priority => t_string!(i18n, tickets.sort_priority),
        TicketSort::Newest => t_string!(i18n, tickets.sort_newest),
        TicketSort::Oldest => t_string!(i18n, tickets.sort_oldest),
        TicketSort::Activity => t_string!(i18n, tickets.sort_activity),
    };
    view! {
        <div class="list-controls">
            <label>
                <span class="control-label">{t!(i18n, tickets.sort)}</span>
                <select data-testid="ticket-sort"
                    on:change=move |e| state.sort.set(TicketSort::from_key(&event_target_value(&e)))
                    prop:value=move || state.sort.get().key()>
                    {TicketSort::ALL.into_iter().map(|sort| view! {
                        <option value=sort.key()>{sort_label(sort)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span class="control-label">{t!(i18n, tickets.priority)}</span>
                <select data-testid="ticket-priority-filter"
                    on:change=move |e| state.priority.set(TicketPriority::parse(&event_target_value(&e)))
                    prop:value=move || state.priority.get().map(|p| p.as_str()).unwrap_or_default()>
                    <option value="">{t!(i18n, tickets.any_priority)}</option>
                    {service::priorities_urgent_first().map(|priority| view! {
                        <option value=priority.as_str()>{priority_name(priority)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span class="control-label">{t!(i18n, parties.tag)}</span>
                <select data-testid="ticket-tag"
                    on:change=move |e| {
                        let tag = event_target_value(&e);
                        state.tag.set((!tag.is_empty()).then_some(tag));
                    }
                    prop:value=move || state.tag.get().unwrap_or_default()>
                    <option value="">{t!(i18n, parties.any_tag)}</option>
                    <For each=tags_offered key=|tag| tag.clone() let:tag>
                        <option value=tag.clone()>{tag.clone()}</option>
                    </For>
                </select>
            </label>
        </div>
    }
}

/// The team's saved views of the queue: a tap applies one; the queue, search, filters and order on
/// screen can be saved under a name.
#[component]
fn TicketViews(state: ListState) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let kind = SavedKind::views(
        "ticket-view",
        |settings| {
            settings.ticket_views.iter().map(|(id, v)| (id.clone(), v.name.clone())).collect()
        },
        |settings, id| {
            settings.ticket_views.remove(id);
        },
        std::sync::Arc::new(move |settings, id, name| {
            settings.ticket_views.insert(id, state.to_view(&name));
        }),
    );
    let pick = Callback::new(move |id: String| {
        let view = ctx.read(|ws| ws.settings.ticket_views.get(&id).cloned()).flatten();
        if let Some(view) = view {
            state.apply(&view);
        }
    });
    view! { <SavedChips kind pick /> }
}
