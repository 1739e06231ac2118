//! Customer service, derived from the records: the statuses a workspace uses, which service-level
//! policy a ticket follows, its clocks at the relay's time, and the views of the queue. Nothing here
//! is stored: every device computes the same answers from the same documents and the same stamps.
//!
//! **Whose clock.** A ticket's events carry the time of the device that wrote them, which may be
//! wrong or days old (a reply written offline). The clocks take instead the time the relay first
//! heard of each event: the device that writes an event hands the relay a
//! [`crate::outbox::Work::Stamp`] named by [`stamp_id`], and the relay's ledger keeps the time it first
//! took that id, which every device then hears. Until a device has heard the stamp, the event counts at
//! the device's time ([`TicketClocks::unstamped`] counts them); the device that wrote it says, while the
//! stamp waits on it, that the event counts from when it reaches the relay. This guards against wrong
//! and stale clocks, not against a hostile member: the relay stamps an id, not the change carrying the
//! event, so a member could ask for the stamp of an event before writing it.

use std::collections::HashMap;

use crate::ids::{MemberId, TeamId, TicketId, Timestamp, WorkspaceId};
use crate::model::{SlaPolicy, Ticket, TicketPriority, WorkspaceSettings, names};
use crate::outbox::{Causes, OutboxId};
use crate::read_model::{TicketEventKind, TicketRow};
use crate::service_report::Milestones;
use crate::sla::{self, Calendar, ClockEvent, ClockEventKind, Clocks, StatusCategory};

/// The statuses every workspace starts with: key, English name, category. A workspace may rename
/// them and add its own (`WorkspaceSettings::ticket_statuses`).
pub const BUILT_IN_STATUSES: [(&str, &str, StatusCategory); 4] = [
    ("open", "Open", StatusCategory::Open),
    ("waiting", "Waiting on customer", StatusCategory::Paused),
    ("resolved", "Resolved", StatusCategory::Resolved),
    ("closed", "Closed", StatusCategory::Closed),
];

/// The status a new ticket starts in.
pub const NEW_TICKET_STATUS: &str = "open";

/// How far ahead "breaching soon" looks: two hours.
pub const SOON: i64 = 2 * 60 * 60 * 1000;

/// One status as a workspace names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub key: String,
    pub name: String,
    pub category: StatusCategory,
    /// One of [`BUILT_IN_STATUSES`] (its name as written there unless the workspace renamed it):
    /// a screen shows it in its own language.
    pub built_in: bool,
    /// Removed, but still read for the tickets that went through it
    /// ([`TicketStatusDef::retired`]).
    pub retired: bool,
}

/// The workspace's ticket statuses, in the order they are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statuses(Vec<Status>);

impl Statuses {
    pub fn of(settings: &WorkspaceSettings) -> Statuses {
        let mut listed: Vec<(u32, Status)> = BUILT_IN_STATUSES
            .iter()
            .enumerate()
            .filter(|(_, (key, _, _))| !settings.ticket_statuses.contains_key(*key))
            .map(|(position, (key, name, category))| {
                let status = Status {
                    key: (*key).to_owned(),
                    name: (*name).to_owned(),
                    category: *category,
                    built_in: true,
                    retired: false,
                };
                (position as u32 * 10, status)
            })
            .collect();
        for (key, def) in &settings.ticket_statuses {
            let built_in =
                BUILT_IN_STATUSES.iter().any(|(built, name, _)| built == key && *name == def.name);
            let status = Status {
                key: key.clone(),
                name: def.name.clone(),
                category: def.category,
                built_in,
                retired: def.retired && !is_built_in(key),
            };
            listed.push((def.position, status));
        }
        listed.sort_by(|(a, x), (b, y)| (a, &x.key).cmp(&(b, &y.key)));
        Statuses(listed.into_iter().map(|(_, status)| status).collect())
    }

    /// Every status, retired ones too (what a ticket's past may name).
    pub fn all(&self) -> &[Status] {
        &self.0
    }

    /// The statuses a ticket can be moved to: not retired.
    pub fn choosable(&self) -> impl Iterator<Item = &Status> {
        self.0.iter().filter(|status| !status.retired)
    }

    pub fn get(&self, key: &str) -> Option<&Status> {
        self.0.iter().find(|status| status.key == key)
    }

    /// The category of status `key`; a status this device does not know (removed, or added by a
    /// newer app) counts as open, so no clock stops by mistake.
    pub fn category(&self, key: &str) -> StatusCategory {
        self.get(key).map_or(StatusCategory::Open, |status| status.category)
    }

    /// The first status of `category`, for a screen's one-tap "resolve" or "reopen".
    pub fn first_of(&self, category: StatusCategory) -> Option<&Status> {
        self.choosable().find(|status| status.category == category)
    }
}

/// Whether `key` names one of [`BUILT_IN_STATUSES`]: those can be renamed and moved, but keep their
/// category and cannot be removed (a one-tap resolve or reopen always has somewhere to go).
pub fn is_built_in(key: &str) -> bool {
    BUILT_IN_STATUSES.iter().any(|(built, _, _)| *built == key)
}

/// Why a change to the workspace's statuses was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusRefused {
    #[error("a status needs a name")]
    NoName,
    #[error("another status is already called {0:?}")]
    NameTaken(String),
    #[error("a built-in status keeps its category and cannot be removed")]
    BuiltIn,
    #[error("{0} tickets are in this status")]
    InUse(usize),
    #[error("tickets went through this status: its category stays, so their deadlines do not move")]
    HasPast,
    #[error("no such status")]
    Unknown,
}

/// Edits to the workspace's ticket statuses, each checked before anything is written. A built-in
/// status is written into the settings only once it is renamed or moved.
pub mod status_edits {
    use super::{BUILT_IN_STATUSES, StatusRefused, Statuses, is_built_in};
    use crate::model::{TicketStatusDef, WorkspaceSettings};
    use crate::sla::StatusCategory;

    /// The status's definition as it stands (a built-in one materialised at the place it is
    /// listed in).
    fn def_of(settings: &WorkspaceSettings, key: &str) -> Result<TicketStatusDef, StatusRefused> {
        if let Some(def) = settings.ticket_statuses.get(key) {
            return Ok(def.clone());
        }
        let (index, (_, name, category)) = BUILT_IN_STATUSES
            .iter()
            .enumerate()
            .find(|(_, (built, _, _))| *built == key)
            .ok_or(StatusRefused::Unknown)?;
        Ok(TicketStatusDef {
            name: (*name).to_owned(),
            category: *category,
            position: index as u32 * 10,
            retired: false,
        })
    }

    fn checked_name(
        settings: &WorkspaceSettings,
        key: &str,
        name: &str,
    ) -> Result<String, StatusRefused> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StatusRefused::NoName);
        }
        let folded = crate::search::fold(name);
        let taken = Statuses::of(settings)
            .choosable()
            .any(|other| other.key != key && crate::search::fold(&other.name) == folded);
        if taken {
            return Err(StatusRefused::NameTaken(name.to_owned()));
        }
        Ok(name.to_owned())
    }

    pub fn rename(
        settings: &mut WorkspaceSettings,
        key: &str,
        name: &str,
    ) -> Result<(), StatusRefused> {
        let mut def = def_of(settings, key)?;
        def.name = checked_name(settings, key, name)?;
        settings.ticket_statuses.insert(key.to_owned(), def);
        Ok(())
    }

    /// A new status `key` (a fresh id), listed last.
    pub fn add(
        settings: &mut WorkspaceSettings,
        key: &str,
        name: &str,
        category: StatusCategory,
    ) -> Result<(), StatusRefused> {
        let name = checked_name(settings, key, name)?;
        let position = Statuses::of(settings)
            .all()
            .iter()
            .filter_map(|status| def_of(settings, &status.key).ok())
            .map(|def| def.position + 10)
            .max()
            .unwrap_or(0);
        settings
            .ticket_statuses
            .insert(key.to_owned(), TicketStatusDef { name, category, position, retired: false });
        Ok(())
    }

    /// Changes the category of status `key`, which some ticket's past names or not (`in_past`):
    /// refused once a ticket went through it, since its past deadlines would move.
    pub fn set_category(
        settings: &mut WorkspaceSettings,
        key: &str,
        category: StatusCategory,
        in_past: bool,
    ) -> Result<(), StatusRefused> {
        if is_built_in(key) {
            return Err(StatusRefused::BuiltIn);
        }
        if in_past {
            return Err(StatusRefused::HasPast);
        }
        let mut def = def_of(settings, key)?;
        def.category = category;
        settings.ticket_statuses.insert(key.to_owned(), def);
        Ok(())
    }

    /// Moves status `key` `by` places among the choosable ones (negative: earlier).
    pub fn shift(
        settings: &mut WorkspaceSettings,
        key: &str,
        by: isize,
    ) -> Result<(), StatusRefused> {
        let mut order: Vec<String> =
            Statuses::of(settings).choosable().map(|s| s.key.clone()).collect();
        let from = order.iter().position(|k| k == key).ok_or(StatusRefused::Unknown)?;
        let to = from.saturating_add_signed(by).min(order.len() - 1);
        let moved = order.remove(from);
        order.insert(to, moved);
        // Every status written at its place: positions of the others may have been implicit.
        for (index, key) in order.iter().enumerate() {
            let mut def = def_of(settings, key)?;
            def.position = index as u32 * 10;
            settings.ticket_statuses.insert(key.clone(), def);
        }
        Ok(())
    }

    /// Removes status `key`, which `now` tickets are in on this device: refused while tickets are
    /// in it; otherwise retired — no longer offered, but kept, since a device not yet heard from may
    /// have moved a ticket into it, and the past of the tickets that went through it still reads its
    /// category.
    pub fn remove(
        settings: &mut WorkspaceSettings,
        key: &str,
        now: usize,
    ) -> Result<(), StatusRefused> {
        if is_built_in(key) {
            return Err(StatusRefused::BuiltIn);
        }
        if now > 0 {
            return Err(StatusRefused::InUse(now));
        }
        let mut def = def_of(settings, key)?;
        def.retired = true;
        settings.ticket_statuses.insert(key.to_owned(), def);
        Ok(())
    }

    /// Writes the built-in statuses into the settings as they stand, where they are not yet: done
    /// once, on its own, before anyone edits them — two devices that first wrote a built-in status in
    /// the same moment with different edits would each create its entry, and one entry would be kept
    /// whole. Entries written with the same values lose nothing. Whether anything was missing.
    pub fn settle_built_ins(settings: &mut WorkspaceSettings) -> bool {
        let missing: Vec<&str> = BUILT_IN_STATUSES
            .iter()
            .map(|(key, _, _)| *key)
            .filter(|key| !settings.ticket_statuses.contains_key(*key))
            .collect();
        for key in &missing {
            if let Ok(def) = def_of(settings, key) {
                settings.ticket_statuses.insert((*key).to_owned(), def);
            }
        }
        !missing.is_empty()
    }
}

/// The ledger id of the relay's stamp of event `event` (`opened`, or a message's or status change's
/// id) of ticket `ticket`.
pub fn stamp_id(workspace: WorkspaceId, ticket: TicketId, event: &str) -> OutboxId {
    OutboxId::from_cause(workspace, &["stamp", "ticket", &ticket.to_string(), event])
}

/// The relay's time of a stamp, once heard.
type StampLookup<'a> = dyn Fn(&OutboxId) -> Option<i64> + 'a;

/// A policy made ready: its calendar built once for all the tickets it covers.
#[derive(Debug)]
struct ReadyPolicy {
    id: String,
    policy: SlaPolicy,
    calendar: Calendar,
}

/// The workspace's service desk made ready to compute every ticket's clocks: statuses, policies in
/// order and each team's calendar, built once per settings.
#[derive(Debug)]
pub struct Desk {
    /// The ids of the relay's stamps of ticket events, the shared parts hashed once.
    stamps: Causes,
    /// A fingerprint of what the clocks are computed from besides a ticket's events (statuses, teams,
    /// policies, the workspace): [`ClockCache`] starts afresh when it changes.
    pub key: u64,
    pub statuses: Statuses,
    policies: Vec<ReadyPolicy>,
    teams: HashMap<TeamId, Calendar>,
    /// Working hours that could not be used, and why (shown in settings); their clocks run around
    /// the clock.
    pub unusable_hours: Vec<(String, String)>,
}

/// A ticket's clocks and what they were computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketClocks {
    /// The policy followed, by id; `None` when no policy applies.
    pub policy: Option<String>,
    pub clocks: Clocks,
    /// The category of the ticket's status now.
    pub category: StatusCategory,
    /// Events counted at their device's time because the relay's stamp has not been heard yet.
    pub unstamped: usize,
    /// When it was opened, first answered and resolved, at the same times as the clocks: what the
    /// reports count ([`crate::service_report`]).
    pub milestones: Milestones,
}

impl TicketClocks {
    /// The earliest deadline among the running clocks.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.clocks.next_due()
    }

    /// Whether a running clock is past its deadline at `now`, or a finished one was late.
    pub fn breached(&self, now: Timestamp) -> bool {
        [self.clocks.first_response, self.clocks.next_response, self.clocks.resolution]
            .into_iter()
            .flatten()
            .any(|clock| match clock {
                sla::Clock::Running { due } => due.is_some_and(|due| due <= now),
                sla::Clock::Paused { left, .. } => left < 0,
                sla::Clock::Done { late, .. } => late,
            })
    }
}

impl Desk {
    pub fn new(workspace: WorkspaceId, settings: &WorkspaceSettings) -> Desk {
        let mut unusable_hours = Vec::new();
        let mut calendar_of = |owner: &str, hours: Option<&sla::WorkingHours>| match hours {
            None => Calendar::always(),
            Some(hours) => Calendar::new(hours).unwrap_or_else(|error| {
                unusable_hours.push((owner.to_owned(), error.to_string()));
                Calendar::always()
            }),
        };
        let mut policies: Vec<ReadyPolicy> = settings
            .sla_policies
            .iter()
            .map(|(id, policy)| ReadyPolicy {
                id: id.clone(),
                calendar: calendar_of(&policy.name, policy.hours.as_ref()),
                policy: policy.clone(),
            })
            .collect();
        policies.sort_by(|a, b| (a.policy.position, &a.id).cmp(&(b.policy.position, &b.id)));
        let teams = settings
            .teams
            .iter()
            .filter_map(|(id, team)| {
                let hours = team.hours.as_ref()?;
                Some((id.parse().ok()?, calendar_of(&team.name, Some(hours))))
            })
            .collect();
        let key = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            (workspace, &settings.ticket_statuses, &settings.teams, &settings.sla_policies)
                .hash(&mut hasher);
            hasher.finish()
        };
        Desk {
            stamps: Causes::new(workspace, &["stamp", "ticket"]),
            key,
            statuses: Statuses::of(settings),
            policies,
            teams,
            unusable_hours,
        }
    }

    /// [`stamp_id`] of event `event` of ticket `ticket`, at a fraction of its cost.
    pub fn stamp_id(&self, ticket: TicketId, event: &str) -> OutboxId {
        self.stamps.id(&[&ticket.to_string(), event])
    }

    /// The first policy, in order, whose conditions `ticket` meets; `roles` are its party's role
    /// keys.
    pub fn policy_for(&self, ticket: &TicketRow, roles: &[&str]) -> Option<(&str, &SlaPolicy)> {
        self.policies
            .iter()
            .find(|ready| applies(&ready.policy, ticket, roles))
            .map(|ready| (ready.id.as_str(), &ready.policy))
    }

    /// Where `ticket`'s clocks stand; `roles` are its party's role keys, `stamp` the relay's time of
    /// a stamp (Unix milliseconds) once heard.
    pub fn clocks(
        &self,
        ticket: &TicketRow,
        roles: &[&str],
        stamp: impl Fn(&OutboxId) -> Option<i64>,
    ) -> TicketClocks {
        self.clocks_with(ticket, roles, Some(&stamp))
    }

    /// [`Desk::clocks`] when no stamp is known at all (a workspace of this device alone): every event
    /// at its device's time, and no stamp ids computed.
    pub fn clocks_unstamped(&self, ticket: &TicketRow, roles: &[&str]) -> TicketClocks {
        self.clocks_with(ticket, roles, None)
    }

    fn clocks_with(
        &self,
        ticket: &TicketRow,
        roles: &[&str],
        stamp: Option<&StampLookup<'_>>,
    ) -> TicketClocks {
        let category = self.statuses.category(&ticket.status);
        let mut unstamped = 0;
        let events: Vec<ClockEvent> = ticket
            .events
            .iter()
            .filter_map(|event| {
                let kind = match &event.kind {
                    TicketEventKind::Opened => ClockEventKind::Opened,
                    TicketEventKind::Status(status) => {
                        ClockEventKind::Status(self.statuses.category(status))
                    }
                    TicketEventKind::Customer => ClockEventKind::CustomerWrote,
                    TicketEventKind::Reply => ClockEventKind::TeamReplied,
                    TicketEventKind::Internal => return None,
                };
                let heard = if event.relay_time {
                    Some(event.at.0)
                } else {
                    stamp.as_ref().and_then(|stamp| stamp(&self.stamp_id(ticket.id, &event.id)))
                };
                let at = match heard {
                    Some(at) => Timestamp(at),
                    None => {
                        unstamped += 1;
                        event.at
                    }
                };
                Some(ClockEvent { at, kind })
            })
            .collect();
        let milestones = Milestones::of(&events);
        let Some(ready) = self.policies.iter().find(|ready| applies(&ready.policy, ticket, roles))
        else {
            // No deadline waits for a stamp.
            return TicketClocks {
                policy: None,
                clocks: Clocks::default(),
                category,
                unstamped: 0,
                milestones,
            };
        };
        let targets =
            ready.policy.targets.get(ticket.priority.as_str()).copied().unwrap_or_default();
        let calendar =
            ticket.team.and_then(|team| self.teams.get(&team)).unwrap_or(&ready.calendar);
        TicketClocks {
            policy: Some(ready.id.clone()),
            clocks: sla::clocks(&targets, calendar, &events),
            category,
            unstamped,
            milestones,
        }
    }
}

fn applies(policy: &SlaPolicy, ticket: &TicketRow, roles: &[&str]) -> bool {
    fn any_of(set: &crate::model::NameSet, has: impl FnMut(&str) -> bool) -> bool {
        let mut wanted = names(set).peekable();
        wanted.peek().is_none() || wanted.any(has)
    }
    any_of(&policy.priorities, |key| key == ticket.priority.as_str())
        && any_of(&policy.tags, |tag| ticket.tags.iter().any(|t| t == tag))
        && any_of(&policy.roles, |role| roles.contains(&role))
}

/// A view of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketView {
    /// Not resolved or closed, assigned to this member.
    Mine(MemberId),
    /// Not resolved or closed, assigned to nobody.
    Unassigned,
    /// Not resolved or closed, in this team's queue.
    Team(TeamId),
    /// Not resolved or closed, a deadline within [`SOON`] or already past: the most urgent first.
    BreachingSoon,
    /// Not resolved or closed.
    Open,
    /// Resolved or closed, the latest first.
    Done,
}

/// A ticket in a view, with its clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<'a> {
    pub row: &'a TicketRow,
    pub clocks: TicketClocks,
}

/// How a view of the queue is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TicketSort {
    /// The order a person works them: the nearest deadline first (breached ones on top), then the
    /// highest priority, then the oldest — for done tickets, the latest activity first.
    #[default]
    Deadline,
    /// The highest priority first, then the nearest deadline.
    Priority,
    /// The latest opened first.
    Newest,
    /// The earliest opened first.
    Oldest,
    /// What something last happened on first.
    Activity,
}

impl TicketSort {
    pub const ALL: [TicketSort; 5] = [
        TicketSort::Deadline,
        TicketSort::Priority,
        TicketSort::Newest,
        TicketSort::Oldest,
        TicketSort::Activity,
    ];

    pub fn key(self) -> &'static str {
        match self {
            TicketSort::Deadline => "deadline",
            TicketSort::Priority => "priority",
            TicketSort::Newest => "newest",
            TicketSort::Oldest => "oldest",
            TicketSort::Activity => "activity",
        }
    }

    /// The sort named `key`; the default for a key this version does not know.
    pub fn from_key(key: &str) -> TicketSort {
        TicketSort::ALL.into_iter().find(|sort| sort.key() == key).unwrap_or_default()
    }
}

/// What narrows a view beyond its queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    pub priority: Option<TicketPriority>,
    pub tag: Option<String>,
}

impl TicketFilter {
    fn admits(&self, row: &TicketRow) -> bool {
        self.priority.is_none_or(|priority| row.priority == priority)
            && self.tag.as_ref().is_none_or(|tag| row.tags.iter().any(|t| t == tag))
    }
}

/// The tickets of `view` at `now` that `filter` admits, in `sort`'s order. `clocks_of` gives a
/// ticket's clocks ([`Desk::clocks`], or a [`ClockCache`]).
pub fn view<'a>(
    statuses: &Statuses,
    tickets: impl IntoIterator<Item = &'a TicketRow>,
    (view, filter, sort): (TicketView, &TicketFilter, TicketSort),
    now: Timestamp,
    mut clocks_of: impl FnMut(&TicketRow) -> TicketClocks,
) -> Vec<Listed<'a>> {
    let mut listed: Vec<Listed<'a>> = tickets
        .into_iter()
        .filter(|row| filter.admits(row))
        .filter(|row| {
            let done = matches!(
                statuses.category(&row.status),
                StatusCategory::Resolved | StatusCategory::Closed
            );
            match view {
                TicketView::Mine(member) => !done && row.assignee == Some(member),
                TicketView::Unassigned => !done && row.assignee.is_none(),
                TicketView::Team(team) => !done && row.team == Some(team),
                TicketView::BreachingSoon | TicketView::Open => !done,
                TicketView::Done => done,
            }
        })
        .map(|row| Listed { row, clocks: clocks_of(row) })
        .filter(|listed| {
            view != TicketView::BreachingSoon
                || listed
                    .clocks
                    .clocks
                    .urgency()
                    .is_some_and(|due| due.0 <= now.0.saturating_add(SOON))
        })
        .collect();
    let due = |l: &Listed<'_>| l.clocks.clocks.urgency().map_or(i64::MAX, |due| due.0);
    match sort {
        TicketSort::Deadline if view == TicketView::Done => {
            listed.sort_by_key(|l| (std::cmp::Reverse(l.row.last_activity()), l.row.id));
        }
        TicketSort::Deadline => listed.sort_by_key(|l| {
            (due(l), std::cmp::Reverse(l.row.priority), l.row.created_at, l.row.id)
        }),
        TicketSort::Priority => listed.sort_by_key(|l| {
            (std::cmp::Reverse(l.row.priority), due(l), l.row.created_at, l.row.id)
        }),
        TicketSort::Newest => {
            listed.sort_by_key(|l| (std::cmp::Reverse(l.row.created_at), l.row.id));
        }
        TicketSort::Oldest => listed.sort_by_key(|l| (l.row.created_at, l.row.id)),
        TicketSort::Activity => {
            listed.sort_by_key(|l| (std::cmp::Reverse(l.row.last_activity()), l.row.id));
        }
    }
    listed
}

/// Tickets' clocks kept between computations: a ticket's are computed again only when its row, its
/// party's roles, the desk ([`Desk::key`]) or the stamps heard changed — not when a screen switches
/// views or the minute turns, since clocks do not depend on the time now.
#[derive(Debug, Default)]
pub struct ClockCache {
    key: (u64, usize),
    entries: HashMap<TicketId, (TicketRow, Vec<&'static str>, TicketClocks)>,
}

impl ClockCache {
    /// `ticket`'s clocks (see [`Desk::clocks`]); `stamps_heard` is how many stamps the device has
    /// heard (`DeviceOutbox::stamps_heard`): a new one may move any ticket's clocks.
    pub fn clocks(
        &mut self,
        desk: &Desk,
        ticket: &TicketRow,
        roles: &[&'static str],
        stamps_heard: usize,
        stamp: impl Fn(&OutboxId) -> Option<i64>,
    ) -> TicketClocks {
        if self.key != (desk.key, stamps_heard) {
            self.entries.clear();
            self.key = (desk.key, stamps_heard);
        }
        if let Some((row, cached_roles, clocks)) = self.entries.get(&ticket.id)
            && row == ticket
            && cached_roles == roles
        {
            return clocks.clone();
        }
        // No stamp heard at all (a workspace of this device alone): no ids to look up.
        let clocks = if stamps_heard == 0 {
            desk.clocks_unstamped(ticket, roles)
        } else {
            desk.clocks(ticket, roles, stamp)
        };
        self.entries.insert(ticket.id, (ticket.clone(), roles.to_vec(), clocks.clone()));
        clocks
    }

    /// Whether no ticket's clocks are kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets tickets that are gone.
    pub fn retain(&mut self, keep: impl Fn(&TicketId) -> bool) {
        self.entries.retain(|id, _| keep(id));
    }
}

/// Who a ticket put in `team`'s queue with nobody on it goes to, by the team's rule: round-robin
/// (the member after whoever took the team's latest ticket opened by `now` — a ticket dated in the
/// future by a device's wrong clock does not hold the turn) or least-loaded (the fewest open tickets;
/// the first by id among equals). `None` for manual assignment or an empty team.
pub fn assignee_for(
    settings: &WorkspaceSettings,
    statuses: &Statuses,
    team: TeamId,
    tickets: &[&TicketRow],
    now: Timestamp,
) -> Option<MemberId> {
    let found = settings.teams.get(&team.to_string())?;
    let members: Vec<MemberId> = names(&found.members).filter_map(|m| m.parse().ok()).collect();
    if members.is_empty() {
        return None;
    }
    match found.assignment {
        crate::model::Assignment::Manual => None,
        crate::model::Assignment::RoundRobin => {
            let latest = tickets
                .iter()
                .filter(|row| row.team == Some(team) && row.assignee.is_some())
                .filter(|row| row.created_at <= now)
                .max_by_key(|row| (row.created_at, row.id))
                .and_then(|row| row.assignee);
            let next = match latest.and_then(|m| members.iter().position(|x| *x == m)) {
                Some(index) => (index + 1) % members.len(),
                None => 0,
            };
            Some(members[next])
        }
        crate::model::Assignment::LeastLoaded => {
            let load = |member: MemberId| {
                tickets
                    .iter()
                    .filter(|row| row.assignee == Some(member))
                    .filter(|row| {
                        !matches!(
                            statuses.category(&row.status),
                            StatusCategory::Resolved | StatusCategory::Closed
                        )
                    })
                    .count()
            };
            members.iter().copied().min_by_key(|member| (load(*member), *member))
        }
    }
}

/// The queue a new ticket goes to when nobody chooses one — a mail to the support address, or the New
/// ticket form left as it opens: the first team by name (then by id).
pub fn default_team(settings: &WorkspaceSettings) -> Option<TeamId> {
    settings
        .teams
        .iter()
        .filter_map(|(id, team)| Some((team.name.as_str(), id.parse::<TeamId>().ok()?)))
        .min()
        .map(|(_, id)| id)
}

/// Puts a new ticket with no queue in the [`default_team`], and one with nobody on it to whoever the
/// team's rule ([`assignee_for`]) names among `tickets`.
pub fn queue_new(
    settings: &WorkspaceSettings,
    ticket: &mut Ticket,
    tickets: &[&TicketRow],
    now: Timestamp,
) {
    if ticket.team.is_none() {
        ticket.team = default_team(settings);
    }
    if let (Some(team), None) = (ticket.team, ticket.assignee) {
        ticket.assignee = assignee_for(settings, &Statuses::of(settings), team, tickets, now);
    }
}

/// A policy for every ticket, with targets in working hours a support team commonly promises:
/// urgent 1 h to answer / 2 h to answer again / 1 day to resolve, high 4 h / 4 h / 3 days,
/// normal 8 h / 8 h / 5 days, low 16 h / 16 h / 10 days (a day being eight working hours).
pub fn standard_policy(name: &str) -> SlaPolicy {
    let targets = [
        (TicketPriority::Urgent, 60, 120, 8 * 60),
        (TicketPriority::High, 4 * 60, 4 * 60, 3 * 8 * 60),
        (TicketPriority::Normal, 8 * 60, 8 * 60, 5 * 8 * 60),
        (TicketPriority::Low, 16 * 60, 16 * 60, 10 * 8 * 60),
    ]
    .into_iter()
    .map(|(priority, first, next, resolution)| {
        let targets = sla::Targets {
            first_response: Some(first),
            next_response: Some(next),
            resolution: Some(resolution),
        };
        (priority.as_str().to_owned(), targets)
    })
    .collect();
    SlaPolicy {
        name: name.to_owned(),
        position: 0,
        priorities: Default::default(),
        tags: Default::default(),
        roles: Default::default(),
        targets,
        hours: None,
    }
}

/// Priorities from the most urgent, as lists and forms offer them.
pub fn priorities_urgent_first() -> impl Iterator<Item = TicketPriority> {
    TicketPriority::ALL.into_iter().rev()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Assignment, Team, TicketStatusDef};
    use crate::read_model::TicketEvent;
    use crate::sla::{Clock, Targets, WorkingHours, WorkingSpan};
    use crate::workspace::member_of_account;

    const HOUR: i64 = 3_600_000;
    /// 2027-03-02 00:00 UTC — a Tuesday, despite the name: the tests need only a working day.
    const MONDAY: i64 = 1_803_945_600_000;

    fn workspace() -> WorkspaceId {
        "0190f5a0-0000-7000-8000-0000000000aa".parse().unwrap()
    }

    fn ticket(n: u8, priority: TicketPriority, events: &[(i64, TicketEventKind)]) -> TicketRow {
        let id: TicketId = format!("0190f5a0-0000-7000-8000-0000000000{n:02x}").parse().unwrap();
        let mut all = vec![TicketEvent {
            id: "opened".into(),
            at: Timestamp(MONDAY),
            kind: TicketEventKind::Opened,
            relay_time: false,
        }];
        for (i, (at, kind)) in events.iter().enumerate() {
            let (id, at, kind) = (format!("e{i}"), Timestamp(*at), kind.clone());
            all.push(TicketEvent { id, at, kind, relay_time: false });
        }
        TicketRow {
            id,
            subject: format!("Ticket {n}"),
            party: None,
            channel: crate::model::Channel::Email,
            priority,
            status: "open".into(),
            team: None,
            assignee: None,
            tags: Vec::new(),
            created_at: Timestamp(MONDAY),
            events: all,
            mail_ids: Vec::new(),
            rating: None,
            escalated: Vec::new(),
        }
    }

    fn set(names: &[&str]) -> crate::model::NameSet {
        names.iter().map(|name| ((*name).to_owned(), true)).collect()
    }

    fn policy(name: &str, position: u32, priorities: &[&str], tags: &[&str]) -> SlaPolicy {
        let targets = TicketPriority::ALL
            .iter()
            .map(|p| {
                let minutes = 60 * (4 - *p as u32);
                let targets = Targets {
                    first_response: Some(minutes),
                    next_response: Some(minutes),
                    resolution: Some(minutes * 8),
                };
                (p.as_str().to_owned(), targets)
            })
            .collect();
        SlaPolicy {
            name: name.into(),
            position,
            priorities: set(priorities),
            tags: set(tags),
            roles: set(&[]),
            targets,
            hours: None,
        }
    }

    fn settings() -> WorkspaceSettings {
        let mut settings = WorkspaceSettings::default();
        settings.sla_policies.insert("b-default".into(), policy("Default", 10, &[], &[]));
        settings.sla_policies.insert("a-vip".into(), policy("VIP", 0, &[], &["vip"]));
        settings
    }

    #[test]
    fn statuses_are_the_built_in_ones_renamed_or_extended_by_the_workspace() {
        let mut settings = WorkspaceSettings::default();
        let built_in: Vec<String> =
            Statuses::of(&settings).all().iter().map(|s| s.key.clone()).collect();
        assert_eq!(built_in, ["open", "waiting", "resolved", "closed"]);
        settings.ticket_statuses.insert(
            "waiting".into(),
            TicketStatusDef {
                name: "On hold".into(),
                category: StatusCategory::Paused,
                position: 25,
                retired: false,
            },
        );
        settings.ticket_statuses.insert(
            "vendor".into(),
            TicketStatusDef {
                name: "Waiting on vendor".into(),
                category: StatusCategory::Paused,
                position: 5,
                retired: false,
            },
        );
        let statuses = Statuses::of(&settings);
        let listed: Vec<(&str, &str, bool)> =
            statuses.all().iter().map(|s| (s.key.as_str(), s.name.as_str(), s.built_in)).collect();
        assert_eq!(
            listed,
            [
                ("open", "Open", true),
                ("vendor", "Waiting on vendor", false),
                ("resolved", "Resolved", true),
                ("waiting", "On hold", false),
                ("closed", "Closed", true),
            ]
        );
        assert_eq!(statuses.category("vendor"), StatusCategory::Paused);
        assert_eq!(statuses.category("from-a-newer-app"), StatusCategory::Open);
        assert_eq!(statuses.first_of(StatusCategory::Resolved).unwrap().key, "resolved");
    }

    #[test]
    fn statuses_are_renamed_added_moved_and_removed_without_moving_any_ticket_s_past() {
        use status_edits::*;
        let keys = |settings: &WorkspaceSettings| -> Vec<String> {
            Statuses::of(settings).choosable().map(|s| format!("{}:{}", s.key, s.name)).collect()
        };
        let mut settings = WorkspaceSettings::default();
        add(&mut settings, "vendor", " Waiting on vendor ", StatusCategory::Paused).unwrap();
        assert_eq!(
            keys(&settings),
            [
                "open:Open",
                "waiting:Waiting on customer",
                "resolved:Resolved",
                "closed:Closed",
                "vendor:Waiting on vendor"
            ]
        );
        // Renaming a built-in keeps its place and category; it is then shown as named.
        shift(&mut settings, "vendor", -3).unwrap();
        rename(&mut settings, "resolved", "Done").unwrap();
        assert_eq!(
            keys(&settings),
            [
                "open:Open",
                "vendor:Waiting on vendor",
                "waiting:Waiting on customer",
                "resolved:Done",
                "closed:Closed"
            ]
        );
        let statuses = Statuses::of(&settings);
        let done = statuses.get("resolved").unwrap();
        assert_eq!((done.category, done.built_in), (StatusCategory::Resolved, false));
        // Names are needed and unique, whatever their case; refused changes change nothing.
        let before = settings.clone();
        assert_eq!(rename(&mut settings, "vendor", "  "), Err(StatusRefused::NoName));
        assert_eq!(
            rename(&mut settings, "vendor", "OPEN"),
            Err(StatusRefused::NameTaken("OPEN".into()))
        );
        assert_eq!(
            add(&mut settings, "x", "done", StatusCategory::Open),
            Err(StatusRefused::NameTaken("done".into()))
        );
        assert_eq!(
            set_category(&mut settings, "open", StatusCategory::Closed, false),
            Err(StatusRefused::BuiltIn)
        );
        assert_eq!(
            set_category(&mut settings, "vendor", StatusCategory::Open, true),
            Err(StatusRefused::HasPast),
            "a ticket's past would move"
        );
        assert_eq!(remove(&mut settings, "waiting", 0), Err(StatusRefused::BuiltIn));
        assert_eq!(remove(&mut settings, "vendor", 2), Err(StatusRefused::InUse(2)));
        assert_eq!(rename(&mut settings, "gone", "Gone"), Err(StatusRefused::Unknown));
        assert_eq!(settings, before);
        // Moving past either end stops there.
        shift(&mut settings, "closed", 5).unwrap();
        shift(&mut settings, "open", -5).unwrap();
        assert_eq!(keys(&settings).last().unwrap(), "closed:Closed");
        set_category(&mut settings, "vendor", StatusCategory::Resolved, false).unwrap();
        assert_eq!(
            Statuses::of(&settings).first_of(StatusCategory::Resolved).unwrap().key,
            "vendor"
        );
        // A removed status is retired: no longer offered, its category still read.
        remove(&mut settings, "vendor", 0).unwrap();
        let statuses = Statuses::of(&settings);
        assert!(statuses.choosable().all(|s| s.key != "vendor"));
        assert_eq!(statuses.category("vendor"), StatusCategory::Resolved);
        assert_eq!(statuses.first_of(StatusCategory::Resolved).unwrap().key, "resolved");
        // Its name is free again.
        add(&mut settings, "vendor-2", "Waiting on vendor", StatusCategory::Paused).unwrap();
    }

    #[test]
    fn built_in_statuses_are_written_down_once_as_they_stand() {
        let mut settings = WorkspaceSettings::default();
        let before = Statuses::of(&settings);
        assert!(status_edits::settle_built_ins(&mut settings));
        assert_eq!(settings.ticket_statuses.len(), 4);
        assert_eq!(Statuses::of(&settings), before, "nothing a screen shows changes");
        assert!(!status_edits::settle_built_ins(&mut settings), "once");
        // A renamed one is left as renamed.
        let mut renamed = WorkspaceSettings::default();
        status_edits::rename(&mut renamed, "closed", "Archived").unwrap();
        status_edits::settle_built_ins(&mut renamed);
        assert_eq!(Statuses::of(&renamed).get("closed").unwrap().name, "Archived");
    }

    #[test]
    fn a_ticket_follows_the_first_policy_whose_conditions_it_meets() {
        let desk = Desk::new(workspace(), &settings());
        let mut row = ticket(1, TicketPriority::High, &[]);
        assert_eq!(desk.policy_for(&row, &[]).unwrap().0, "b-default");
        row.tags.push("vip".into());
        assert_eq!(desk.policy_for(&row, &[]).unwrap().0, "a-vip");

        let mut settings = settings();
        settings.sla_policies.remove("b-default");
        let mut only_customers = policy("Customers", 20, &["urgent"], &[]);
        only_customers.roles = set(&["customer"]);
        settings.sla_policies.insert("c".into(), only_customers);
        let desk = Desk::new(workspace(), &settings);
        let urgent = ticket(2, TicketPriority::Urgent, &[]);
        assert_eq!(desk.policy_for(&urgent, &["supplier"]), None);
        assert_eq!(desk.policy_for(&urgent, &["supplier", "customer"]).unwrap().0, "c");
        assert_eq!(desk.policy_for(&ticket(3, TicketPriority::Low, &[]), &["customer"]), None);
        let clocks = desk.clocks(&urgent, &[], |_| None);
        assert_eq!((clocks.policy, clocks.clocks), (None, Clocks::default()));
    }

    #[test]
    fn clocks_count_from_the_relays_stamps_and_say_which_events_have_none_yet() {
        let desk = Desk::new(workspace(), &settings());
        // Normal priority: three hours to answer. The device's clock says the reply came after an
        // hour; the relay heard of it only after four hours (written offline).
        let row = ticket(
            1,
            TicketPriority::Normal,
            &[
                (MONDAY + HOUR / 2, TicketEventKind::Internal),
                (MONDAY + HOUR, TicketEventKind::Reply),
            ],
        );
        let by_device = desk.clocks(&row, &[], |_| None);
        assert_eq!(by_device.unstamped, 2, "the opening and the reply; notes do not count");
        assert_eq!(
            by_device.clocks.first_response,
            Some(Clock::Done { at: Timestamp(MONDAY + HOUR), late: false })
        );
        let opened = stamp_id(workspace(), row.id, "opened");
        let reply = stamp_id(workspace(), row.id, "e1");
        let stamps: HashMap<OutboxId, i64> =
            [(opened, MONDAY), (reply, MONDAY + 4 * HOUR)].into_iter().collect();
        let by_relay = desk.clocks(&row, &[], |id| stamps.get(id).copied());
        assert_eq!(by_relay.unstamped, 0);
        assert_eq!(
            by_relay.clocks.first_response,
            Some(Clock::Done { at: Timestamp(MONDAY + 4 * HOUR), late: true })
        );
        assert!(by_relay.breached(Timestamp(MONDAY + 4 * HOUR)));
        // Without a reply, the clock runs to the opening plus three hours.
        let waiting = ticket(2, TicketPriority::Normal, &[]);
        let clocks = desk.clocks(&waiting, &[], |_| None);
        assert_eq!(clocks.next_due(), Some(Timestamp(MONDAY + 3 * HOUR)));
        assert!(!clocks.breached(Timestamp(MONDAY + 2 * HOUR)));
        assert!(clocks.breached(Timestamp(MONDAY + 3 * HOUR)));
    }

    #[test]
    fn a_team_with_working_hours_counts_only_those() {
        let mut settings = settings();
        let team: TeamId = "0190f5a0-0000-7000-8000-0000000000bb".parse().unwrap();
        let hours = WorkingHours {
            zone: "UTC".into(),
            rule: "UTC0".into(),
            spans: (0..5)
                .map(|weekday| WorkingSpan { weekday, from: 9 * 60, to: 17 * 60 })
                .collect(),
            holidays: Vec::new(),
        };
        settings.teams.insert(
            team.to_string(),
            Team {
                name: "Support".into(),
                members: set(&[]),
                hours: Some(hours),
                assignment: Assignment::Manual,
            },
        );
        let desk = Desk::new(workspace(), &settings);
        let mut row = ticket(1, TicketPriority::Normal, &[]);
        row.team = Some(team);
        // Opened at midnight on Monday: the three hours run from nine.
        assert_eq!(
            desk.clocks(&row, &[], |_| None).next_due(),
            Some(Timestamp(MONDAY + 12 * HOUR))
        );
        let mut broken = settings.clone();
        broken.teams.get_mut(&team.to_string()).unwrap().hours.as_mut().unwrap().rule =
            "not a rule".into();
        let desk = Desk::new(workspace(), &broken);
        assert_eq!(desk.unusable_hours.len(), 1, "{:?}", desk.unusable_hours);
        assert_eq!(desk.clocks(&row, &[], |_| None).next_due(), Some(Timestamp(MONDAY + 3 * HOUR)));
    }

    #[test]
    fn views_list_the_queue_by_nearest_deadline_and_breaching_soon_only_the_urgent_ones() {
        let desk = Desk::new(workspace(), &settings());
        let me = member_of_account("ann@example.test");
        let low = ticket(1, TicketPriority::Low, &[]); // due in 4 h
        let mut urgent = ticket(2, TicketPriority::Urgent, &[]); // due in 1 h
        urgent.assignee = Some(me);
        let mut answered = ticket(3, TicketPriority::High, &[(MONDAY, TicketEventKind::Reply)]);
        answered.assignee = Some(me); // resolution due in 16 h
        let mut done = ticket(4, TicketPriority::Urgent, &[]);
        done.status = "resolved".into();
        let rows = [low.clone(), urgent.clone(), answered.clone(), done.clone()];
        let listed = |view: TicketView, filter: &TicketFilter, sort, now: i64| -> Vec<TicketId> {
            super::view(&desk.statuses, &rows, (view, filter, sort), Timestamp(now), |row| {
                desk.clocks(row, &[], |_| None)
            })
            .into_iter()
            .map(|listed| listed.row.id)
            .collect()
        };
        let ids = |view: TicketView, now: i64| {
            listed(view, &TicketFilter::default(), TicketSort::Deadline, now)
        };
        assert_eq!(ids(TicketView::Open, MONDAY), [urgent.id, low.id, answered.id]);
        assert_eq!(ids(TicketView::Mine(me), MONDAY), [urgent.id, answered.id]);
        assert_eq!(ids(TicketView::Unassigned, MONDAY), [low.id]);
        assert_eq!(ids(TicketView::Done, MONDAY), [done.id]);
        assert_eq!(ids(TicketView::BreachingSoon, MONDAY), [urgent.id]);
        assert_eq!(ids(TicketView::BreachingSoon, MONDAY + 3 * HOUR), [urgent.id, low.id]);

        // Put on hold an hour after it breached: still breached, listed first among the late; put
        // on hold before its deadline: not at risk while it waits.
        let held_at = |n: u8, at: i64| {
            let mut held = ticket(n, TicketPriority::Urgent, &[(at, waiting())]);
            held.status = "waiting".into();
            held
        };
        let (late, calm) = (held_at(5, MONDAY + 2 * HOUR), held_at(6, MONDAY + HOUR / 2));
        let rows = [low.clone(), late.clone(), calm];
        let breaching = super::view(
            &desk.statuses,
            &rows,
            (TicketView::BreachingSoon, &TicketFilter::default(), TicketSort::Deadline),
            Timestamp(MONDAY + 3 * HOUR),
            |row| desk.clocks(row, &[], |_| None),
        );
        let listed: Vec<TicketId> = breaching.iter().map(|listed| listed.row.id).collect();
        assert_eq!(listed, [late.id, low.id]);
        assert_eq!(
            breaching[0].clocks.clocks.overdue_while_paused(),
            Some(Timestamp(MONDAY + HOUR)),
            "due an hour after it was opened"
        );
    }

    fn waiting() -> TicketEventKind {
        TicketEventKind::Status("waiting".into())
    }

    #[test]
    fn a_view_is_narrowed_by_priority_and_tag_and_ordered_as_chosen() {
        let desk = Desk::new(workspace(), &settings());
        let mut low = ticket(1, TicketPriority::Low, &[]);
        low.tags = vec!["billing".into()];
        low.created_at = Timestamp(MONDAY - HOUR);
        let urgent = ticket(2, TicketPriority::Urgent, &[]);
        let mut high =
            ticket(3, TicketPriority::High, &[(MONDAY + HOUR, TicketEventKind::Customer)]);
        high.created_at = Timestamp(MONDAY - 2 * HOUR);
        let rows = [low.clone(), urgent.clone(), high.clone()];
        let listed = |filter: TicketFilter, sort: TicketSort| -> Vec<TicketId> {
            super::view(
                &desk.statuses,
                &rows,
                (TicketView::Open, &filter, sort),
                Timestamp(MONDAY),
                |row| desk.clocks(row, &[], |_| None),
            )
            .into_iter()
            .map(|listed| listed.row.id)
            .collect()
        };
        let all = TicketFilter::default;
        assert_eq!(listed(all(), TicketSort::Priority), [urgent.id, high.id, low.id]);
        assert_eq!(listed(all(), TicketSort::Newest), [urgent.id, low.id, high.id]);
        assert_eq!(listed(all(), TicketSort::Oldest), [high.id, low.id, urgent.id]);
        assert_eq!(listed(all(), TicketSort::Activity)[0], high.id, "the customer wrote last");
        let urgent_only = TicketFilter { priority: Some(TicketPriority::Urgent), tag: None };
        assert_eq!(listed(urgent_only, TicketSort::Deadline), [urgent.id]);
        let billing = TicketFilter { priority: None, tag: Some("billing".into()) };
        assert_eq!(listed(billing, TicketSort::Deadline), [low.id]);
        let nothing = TicketFilter { priority: Some(TicketPriority::Low), tag: Some("vip".into()) };
        assert!(listed(nothing, TicketSort::Deadline).is_empty());
        // A sort this version does not know is the working order.
        assert_eq!(TicketSort::from_key("by-moon-phase"), TicketSort::Deadline);
        assert!(TicketSort::ALL.iter().all(|sort| TicketSort::from_key(sort.key()) == *sort));
    }

    #[test]
    fn a_team_queue_hands_tickets_round_by_round_or_to_the_least_loaded() {
        let team: TeamId = "0190f5a0-0000-7000-8000-0000000000bb".parse().unwrap();
        let (ann, bob) =
            (member_of_account("ann@example.test"), member_of_account("bob@example.test"));
        let (first, second) = if ann < bob { (ann, bob) } else { (bob, ann) };
        let mut settings = WorkspaceSettings::default();
        settings.teams.insert(
            team.to_string(),
            Team {
                name: "Support".into(),
                members: set(&[&ann.to_string(), &bob.to_string()]),
                hours: None,
                assignment: Assignment::RoundRobin,
            },
        );
        let statuses = Statuses::of(&settings);
        assert_eq!(assignee_for(&settings, &statuses, team, &[], Timestamp(MONDAY)), Some(first));
        let mut taken = ticket(1, TicketPriority::Normal, &[]);
        taken.team = Some(team);
        taken.assignee = Some(first);
        assert_eq!(
            assignee_for(&settings, &statuses, team, &[&taken], Timestamp(MONDAY)),
            Some(second)
        );
        // A ticket dated ahead by a device's wrong clock does not hold the turn.
        let mut ahead = ticket(5, TicketPriority::Normal, &[]);
        ahead.team = Some(team);
        ahead.assignee = Some(second);
        ahead.created_at = Timestamp(MONDAY + 10 * HOUR);
        assert_eq!(
            assignee_for(&settings, &statuses, team, &[&taken, &ahead], Timestamp(MONDAY)),
            Some(second)
        );

        settings.teams.get_mut(&team.to_string()).unwrap().assignment = Assignment::LeastLoaded;
        let mut busy = ticket(2, TicketPriority::Normal, &[]);
        busy.assignee = Some(second);
        let mut also_busy = ticket(3, TicketPriority::Normal, &[]);
        also_busy.assignee = Some(second);
        assert_eq!(
            assignee_for(&settings, &statuses, team, &[&busy, &also_busy], Timestamp(MONDAY)),
            Some(first)
        );
        let mut closed = taken.clone();
        closed.status = "closed".into();
        let mut open = taken.clone();
        open.id = ticket(4, TicketPriority::Normal, &[]).id;
        assert_eq!(
            assignee_for(
                &settings,
                &statuses,
                team,
                &[&busy, &open, &open.clone(), &closed],
                Timestamp(MONDAY)
            ),
            Some(second),
            "two open tickets against one; closed ones weigh nothing"
        );
        settings.teams.get_mut(&team.to_string()).unwrap().assignment = Assignment::Manual;
        assert_eq!(assignee_for(&settings, &statuses, team, &[], Timestamp(MONDAY)), None);
    }

    #[test]
    fn a_ticket_nobody_queued_goes_to_the_first_team_by_name_and_its_rule_s_assignee() {
        let mut settings = WorkspaceSettings::default();
        let mut mail = Ticket::open(
            "Printer jammed".into(),
            None,
            crate::model::Channel::Email,
            TicketPriority::Normal,
            NEW_TICKET_STATUS,
            Timestamp(MONDAY),
            None,
        );
        // No team: the ticket stays unqueued and unassigned.
        let mut lone = mail.clone();
        queue_new(&settings, &mut lone, &[], Timestamp(MONDAY));
        assert_eq!((default_team(&settings), lone.team, lone.assignee), (None, None, None));

        let ann = member_of_account("ann@example.test");
        let (billing, support): (TeamId, TeamId) = (
            "0190f5a0-0000-7000-8000-0000000000aa".parse().unwrap(),
            "0190f5a0-0000-7000-8000-000000000001".parse().unwrap(),
        );
        for (id, name, members) in [(billing, "Billing", vec![]), (support, "Support", vec![ann])] {
            let members: Vec<String> = members.iter().map(ToString::to_string).collect();
            let members: Vec<&str> = members.iter().map(String::as_str).collect();
            settings.teams.insert(
                id.to_string(),
                Team {
                    name: name.into(),
                    members: set(&members),
                    hours: None,
                    assignment: Assignment::RoundRobin,
                },
            );
        }
        // "Billing" comes first by name although its id sorts last; it has nobody to assign.
        assert_eq!(default_team(&settings), Some(billing));
        let mut first = mail.clone();
        queue_new(&settings, &mut first, &[], Timestamp(MONDAY));
        assert_eq!((first.team, first.assignee), (Some(billing), None));
        // A ticket already queued keeps its team and gets that team's assignee.
        mail.team = Some(support);
        queue_new(&settings, &mut mail, &[], Timestamp(MONDAY));
        assert_eq!((mail.team, mail.assignee), (Some(support), Some(ann)));
        // Someone already on it stays.
        let bob = member_of_account("bob@example.test");
        let mut taken = mail.clone();
        taken.assignee = Some(bob);
        queue_new(&settings, &mut taken, &[], Timestamp(MONDAY));
        assert_eq!(taken.assignee, Some(bob));
    }

    #[test]
    fn cached_clocks_are_the_clocks_and_follow_the_row_the_desk_and_the_stamps() {
        let desk = Desk::new(workspace(), &settings());
        let mut cache = ClockCache::default();
        let mut row = ticket(1, TicketPriority::Normal, &[]);
        let fresh = desk.clocks(&row, &[], |_| None);
        assert_eq!(cache.clocks(&desk, &row, &[], 0, |_| None), fresh);
        // The same inputs: the cached value, whatever the stamp lookup would say now.
        assert_eq!(cache.clocks(&desk, &row, &[], 0, |_| Some(MONDAY + HOUR)), fresh);
        // A stamp heard: computed again.
        let stamped = cache.clocks(&desk, &row, &[], 1, |_| Some(MONDAY + HOUR));
        assert_eq!(stamped.next_due(), Some(Timestamp(MONDAY + 4 * HOUR)));
        // The row changed (a reply): computed again.
        row.events.push(TicketEvent {
            id: "r".into(),
            at: Timestamp(MONDAY + HOUR),
            kind: TicketEventKind::Reply,
            relay_time: false,
        });
        let answered = cache.clocks(&desk, &row, &[], 1, |_| None);
        assert_eq!(answered, desk.clocks(&row, &[], |_| None));
        // Another policy: computed again.
        let mut faster = settings();
        faster.sla_policies.get_mut("b-default").unwrap().targets.clear();
        let other = Desk::new(workspace(), &faster);
        assert_ne!(other.key, desk.key);
        let none = cache.clocks(&other, &row, &[], 1, |_| None);
        assert_eq!(none.clocks, Clocks::default());
        assert_eq!(
            desk.stamp_id(row.id, "opened"),
            stamp_id(workspace(), row.id, "opened"),
            "the desk's ids are the ledger's"
        );
    }
}
