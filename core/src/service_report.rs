//! The support team's numbers over a period: tickets opened and resolved per day, the share resolved
//! within their service levels, how long first responses and resolutions took (median and 90th
//! percentile), and what customers answered the surveys — for the whole desk, each team and each
//! assignee. A pure function of the tickets' events (at the relay's time once heard, like the clocks)
//! so every device shows the same report.
//!
//! What each figure counts, so that a ticket lands in the period its fact happened in:
//! - *opened*: tickets opened in the period;
//! - *resolved*, *SLA met*, *resolution time* and *CSAT*: tickets resolved or closed now whose last
//!   resolution fell in the period (a ticket reopened and resolved again counts once, at the end);
//! - *first response time*: tickets whose first public reply fell in the period.
//!
//! Times are elapsed (calendar) time from the opening: what the customer waited, whatever the
//! team's working hours — the deadlines already measure working time.

use std::collections::BTreeMap;

use crate::ids::{MemberId, TeamId, Timestamp};
use crate::read_model::TicketRow;
use crate::satisfaction::Summary;
use crate::service::TicketClocks;
use crate::sla::{ClockEvent, ClockEventKind, StatusCategory};

/// When the moments a report counts happened to one ticket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Milestones {
    /// Its (first) opening.
    pub opened: Option<Timestamp>,
    /// The team's first public reply after the opening.
    pub first_reply: Option<Timestamp>,
    /// The last time it moved to a resolved or closed status, if that is where it is now.
    pub resolved: Option<Timestamp>,
}

impl Milestones {
    /// From a ticket's events (any order; at equal times an opening first, as the clocks take them).
    pub fn of(events: &[ClockEvent]) -> Milestones {
        let mut events = events.to_vec();
        events.sort_by_key(|event| (event.at, event.kind != ClockEventKind::Opened));
        let finished =
            |category| matches!(category, StatusCategory::Resolved | StatusCategory::Closed);
        let mut milestones = Milestones::default();
        let mut category = StatusCategory::Open;
        for event in &events {
            match event.kind {
                ClockEventKind::Opened if milestones.opened.is_none() => {
                    milestones.opened = Some(event.at);
                }
                ClockEventKind::Opened => {
                    category = StatusCategory::Open;
                    milestones.resolved = None;
                }
                _ if milestones.opened.is_none() => {}
                ClockEventKind::TeamReplied => {
                    milestones.first_reply.get_or_insert(event.at);
                }
                ClockEventKind::CustomerWrote => {}
                ClockEventKind::Status(next) => {
                    if finished(next) && !finished(category) {
                        milestones.resolved = Some(event.at);
                    } else if !finished(next) {
                        milestones.resolved = None;
                    }
                    category = next;
                }
            }
        }
        milestones
    }
}

/// The days `[from, to)` a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Period {
    fn holds(self, at: Option<Timestamp>) -> bool {
        at.is_some_and(|at| self.from <= at && at < self.to)
    }
}

/// How long something took, over the tickets counted: in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spread {
    took: Vec<i64>,
}

impl Spread {
    pub fn count(&self) -> usize {
        self.took.len()
    }

    /// The middle value (the lower of the two middle ones for an even count); none when empty.
    pub fn median(&self) -> Option<i64> {
        self.percentile(50)
    }

    /// The time 90 % of the tickets took at most (nearest rank); none when empty.
    pub fn p90(&self) -> Option<i64> {
        self.percentile(90)
    }

    fn percentile(&self, percent: usize) -> Option<i64> {
        let rank = (self.took.len() * percent).div_ceil(100).max(1);
        self.took.get(rank - 1).copied()
    }

    fn add(&mut self, took: i64) {
        // Kept sorted: reports are small (a period's tickets), and reading is what they are for.
        let at = self.took.partition_point(|&t| t <= took);
        self.took.insert(at, took.max(0));
    }
}

/// One row of the report: a team, an assignee, or the whole desk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub opened: usize,
    pub resolved: usize,
    /// Resolved tickets under a service level that met every target, and that missed one.
    pub sla_met: usize,
    pub sla_missed: usize,
    pub first_response: Spread,
    pub resolution: Spread,
    pub satisfaction: Summary,
}

impl Figures {
    /// The share of resolved tickets under a service level that met every target, rounded; none
    /// when no such ticket was resolved.
    pub fn sla_met_percent(&self) -> Option<u32> {
        let counted = self.sla_met + self.sla_missed;
        (counted > 0).then(|| ((self.sla_met * 200 + counted) / (counted * 2)) as u32)
    }

    fn count(&mut self, ticket: &Counted) {
        self.opened += usize::from(ticket.opened);
        if let Some(took) = ticket.first_response {
            self.first_response.add(took);
        }
        if let Some(resolved) = &ticket.resolved {
            self.resolved += 1;
            self.resolution.add(resolved.took);
            match resolved.sla_met {
                Some(true) => self.sla_met += 1,
                Some(false) => self.sla_missed += 1,
                None => {}
            }
            if let Some(score) = resolved.rating.filter(|score| (1..=5).contains(score)) {
                self.satisfaction.by_score[usize::from(score - 1)] += 1;
            }
        }
    }
}

/// Tickets opened and resolved on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: time::Date,
    pub opened: usize,
    pub resolved: usize,
}

/// The support team's numbers over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub total: Figures,
    /// Every day of the period, the latest first.
    pub days: Vec<Day>,
    /// Each team with tickets in the period (`None`: no team).
    pub by_team: BTreeMap<Option<TeamId>, Figures>,
    /// Each assignee with tickets in the period (`None`: unassigned).
    pub by_assignee: BTreeMap<Option<MemberId>, Figures>,
}

/// What one ticket adds to a report.
struct Counted {
    opened: bool,
    first_response: Option<i64>,
    resolved: Option<Resolved>,
}

struct Resolved {
    took: i64,
    /// Whether it met every target of its service level; none without one.
    sla_met: Option<bool>,
    rating: Option<u8>,
}

fn under_targets(clocks: &TicketClocks) -> bool {
    let all = &clocks.clocks;
    clocks.policy.is_some()
        && [all.first_response, all.next_response, all.resolution].iter().any(Option::is_some)
}

/// The report over `period` of `tickets`, each with its clocks ([`crate::service::Desk::clocks`]
/// or a [`crate::service::ClockCache`]); `day_of` says which calendar day an instant falls on (the
/// reader's time zone).
pub fn report<'a>(
    period: Period,
    tickets: impl IntoIterator<Item = (&'a TicketRow, TicketClocks)>,
    day_of: impl Fn(Timestamp) -> time::Date,
) -> Report {
    let first_day = day_of(period.from);
    let last_day = day_of(Timestamp(period.to.0.saturating_sub(1)).max(period.from));
    let mut days: BTreeMap<time::Date, Day> = BTreeMap::new();
    let mut day = first_day;
    while day <= last_day {
        days.insert(day, Day { date: day, opened: 0, resolved: 0 });
        let Some(next) = day.next_day() else { break };
        day = next;
    }
    let mut report = Report {
        total: Figures::default(),
        days: Vec::new(),
        by_team: BTreeMap::new(),
        by_assignee: BTreeMap::new(),
    };
    for (row, clocks) in tickets {
        let milestones = clocks.milestones;
        let Some(opened) = milestones.opened else { continue };
        let counted = Counted {
            opened: period.holds(Some(opened)),
            first_response: milestones
                .first_reply
                .filter(|&at| period.holds(Some(at)))
                .map(|at| at.0 - opened.0),
            resolved: milestones.resolved.filter(|&at| period.holds(Some(at))).map(|at| Resolved {
                took: at.0 - opened.0,
                // Under a policy with a target for it: a policy silent on its priority promised nothing.
                sla_met: under_targets(&clocks).then(|| !clocks.breached(at)),
                rating: row.rating,
            }),
        };
        if !counted.opened && counted.first_response.is_none() && counted.resolved.is_none() {
            continue;
        }
        if counted.opened
            && let Some(day) = days.get_mut(&day_of(opened))
        {
            day.opened += 1;
        }
        if let Some(at) = milestones.resolved.filter(|_| counted.resolved.is_some())
            && let Some(day) = days.get_mut(&day_of(at))
        {
            day.resolved += 1;
        }
        report.total.count(&counted);
        report.by_team.entry(row.team).or_default().count(&counted);
        report.by_assignee.entry(row.assignee).or_default().count(&counted);
    }
    report.days = days.into_values().rev().collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::Clock;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    /// Monday 2027-03-01 00:00 UTC.
    const MONDAY: i64 = 1_803_859_200_000;

    fn event(at: i64, kind: ClockEventKind) -> ClockEvent {
        ClockEvent { at: Timestamp(at), kind }
    }

    fn utc_day(at: Timestamp) -> time::Date {
        time::OffsetDateTime::from_unix_timestamp(at.0.div_euclid(1000)).unwrap().date()
    }

    fn row(n: u8, team: Option<u8>, assignee: Option<u8>, rating: Option<u8>) -> TicketRow {
        let id = |n: u8| format!("0190f5a0-0000-7000-8000-0000000000{n:02x}");
        TicketRow {
            id: id(n).parse().unwrap(),
            subject: format!("Ticket {n}"),
            party: None,
            channel: crate::model::Channel::Email,
            priority: crate::model::TicketPriority::Normal,
            status: "open".into(),
            team: team.map(|t| id(0x80 + t).parse().unwrap()),
            assignee: assignee.map(|m| id(0xc0 + m).parse().unwrap()),
            tags: Vec::new(),
            created_at: Timestamp(MONDAY),
            events: Vec::new(),
            mail_ids: Vec::new(),
            rating,
            escalated: Vec::new(),
        }
    }

    /// Clocks of a ticket with `events`, under a policy whose resolution target was `late` or not.
    fn clocks(events: &[ClockEvent], late: Option<bool>) -> TicketClocks {
        let milestones = Milestones::of(events);
        TicketClocks {
            policy: late.map(|_| "standard".to_owned()),
            clocks: crate::sla::Clocks {
                resolution: late
                    .zip(milestones.resolved)
                    .map(|(late, at)| Clock::Done { at, late }),
                ..Default::default()
            },
            category: StatusCategory::Open,
            unstamped: 0,
            milestones,
        }
    }

    #[test]
    fn milestones_are_the_opening_the_first_reply_and_the_last_resolution_that_stuck() {
        use ClockEventKind::*;
        let events = [
            event(MONDAY + 5 * HOUR, Status(StatusCategory::Resolved)),
            event(MONDAY + HOUR, TeamReplied),
            event(MONDAY, Opened),
            event(MONDAY + 3 * HOUR, TeamReplied),
            // Reopened by the customer, then closed: the closing is the resolution.
            event(MONDAY + 6 * HOUR, Status(StatusCategory::Open)),
            event(MONDAY + 8 * HOUR, Status(StatusCategory::Closed)),
            // Closed after resolved is no new resolution.
            event(MONDAY + 9 * HOUR, Status(StatusCategory::Resolved)),
        ];
        let milestones = Milestones::of(&events);
        assert_eq!(milestones.opened, Some(Timestamp(MONDAY)));
        assert_eq!(milestones.first_reply, Some(Timestamp(MONDAY + HOUR)));
        assert_eq!(milestones.resolved, Some(Timestamp(MONDAY + 8 * HOUR)));
        // Open again now: not resolved.
        let reopened = [
            event(MONDAY, Opened),
            event(MONDAY + HOUR, Status(StatusCategory::Resolved)),
            event(MONDAY + 2 * HOUR, Opened),
        ];
        assert_eq!(Milestones::of(&reopened).resolved, None);
        // Nothing counts before the opening; a paused ticket is not resolved.
        let early = [
            event(MONDAY - HOUR, TeamReplied),
            event(MONDAY, Opened),
            event(MONDAY + HOUR, Status(StatusCategory::Paused)),
        ];
        assert_eq!(
            Milestones::of(&early),
            Milestones { opened: Some(Timestamp(MONDAY)), first_reply: None, resolved: None }
        );
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let mut spread = Spread::default();
        assert_eq!((spread.median(), spread.p90()), (None, None));
        for took in [50, 10, 40, 20, 30, 60, 70, 80, 90, 100] {
            spread.add(took);
        }
        assert_eq!((spread.median(), spread.p90(), spread.count()), (Some(50), Some(90), 10));
        spread.add(110);
        assert_eq!((spread.median(), spread.p90()), (Some(60), Some(100)));
        let mut one = Spread::default();
        one.add(7);
        assert_eq!((one.median(), one.p90()), (Some(7), Some(7)));
    }

    #[test]
    fn each_figure_counts_the_tickets_whose_fact_fell_in_the_period() {
        use ClockEventKind::*;
        let period = Period { from: Timestamp(MONDAY), to: Timestamp(MONDAY + 7 * DAY) };
        let tickets = [
            // Opened Monday, answered after 2 h, resolved Tuesday in time, rated 5: team 1, member 1.
            (
                row(1, Some(1), Some(1), Some(5)),
                clocks(
                    &[
                        event(MONDAY + 9 * HOUR, Opened),
                        event(MONDAY + 11 * HOUR, TeamReplied),
                        event(MONDAY + DAY + 9 * HOUR, Status(StatusCategory::Resolved)),
                    ],
                    Some(false),
                ),
            ),
            // Opened Monday, resolved Wednesday late, rated 2: team 1, unassigned.
            (
                row(2, Some(1), None, Some(2)),
                clocks(
                    &[
                        event(MONDAY + 10 * HOUR, Opened),
                        event(MONDAY + 2 * DAY + 10 * HOUR, Status(StatusCategory::Closed)),
                    ],
                    Some(true),
                ),
            ),
            // Opened the week before, first answered and resolved this week, no policy: no team.
            (
                row(3, None, Some(1), None),
                clocks(
                    &[
                        event(MONDAY - 2 * DAY, Opened),
                        event(MONDAY + HOUR, TeamReplied),
                        event(MONDAY + 4 * DAY, Status(StatusCategory::Resolved)),
                    ],
                    None,
                ),
            ),
            // Opened this week, still open.
            (
                row(4, None, None, None),
                clocks(&[event(MONDAY + 6 * DAY + 23 * HOUR, Opened)], Some(false)),
            ),
            // Everything after the period: not in the report at all.
            (
                row(5, Some(2), Some(2), Some(1)),
                clocks(
                    &[event(MONDAY + 7 * DAY, Opened), event(MONDAY + 7 * DAY + HOUR, TeamReplied)],
                    None,
                ),
            ),
        ];
        let report =
            report(period, tickets.iter().map(|(row, clocks)| (row, clocks.clone())), utc_day);
        let total = &report.total;
        assert_eq!((total.opened, total.resolved), (3, 3));
        assert_eq!((total.sla_met, total.sla_missed, total.sla_met_percent()), (1, 1, Some(50)));
        assert_eq!(total.first_response.count(), 2);
        assert_eq!(total.first_response.median(), Some(2 * HOUR));
        assert_eq!(total.first_response.p90(), Some(2 * DAY + HOUR));
        assert_eq!(total.resolution.median(), Some(2 * DAY));
        assert_eq!(total.resolution.p90(), Some(6 * DAY));
        assert_eq!(
            (total.satisfaction.answers(), total.satisfaction.average_tenths()),
            (2, Some(35))
        );
        // Seven days, Sunday first.
        let days: Vec<(u8, usize, usize)> =
            report.days.iter().map(|d| (d.date.day(), d.opened, d.resolved)).collect();
        assert_eq!(
            days,
            [(7, 1, 0), (6, 0, 0), (5, 0, 1), (4, 0, 0), (3, 0, 1), (2, 0, 1), (1, 2, 0)]
        );
        // By team: team 1 has tickets 1 and 2; no team has 3 and 4; team 2 does not appear.
        assert_eq!(report.by_team.len(), 2);
        let team_one = report.by_team.iter().find(|(team, _)| team.is_some()).unwrap().1;
        assert_eq!(
            (team_one.opened, team_one.resolved, team_one.sla_met_percent()),
            (2, 2, Some(50))
        );
        let no_team = &report.by_team[&None];
        assert_eq!((no_team.opened, no_team.resolved, no_team.sla_met_percent()), (1, 1, None));
        // By assignee: member 1 answered tickets 1 and 3.
        let member_one = report.by_assignee.iter().find(|(member, _)| member.is_some()).unwrap().1;
        assert_eq!(
            (member_one.opened, member_one.resolved, member_one.first_response.count()),
            (1, 2, 2)
        );
        assert_eq!(report.by_assignee[&None].opened, 2);
    }

    #[test]
    fn a_policy_with_no_target_for_the_ticket_s_priority_is_neither_met_nor_missed() {
        use ClockEventKind::*;
        let period = Period { from: Timestamp(MONDAY), to: Timestamp(MONDAY + DAY) };
        let events = [
            event(MONDAY + HOUR, Opened),
            event(MONDAY + 2 * HOUR, Status(StatusCategory::Resolved)),
        ];
        let silent = TicketClocks { policy: Some("standard".into()), ..clocks(&events, None) };
        let row = row(1, None, None, None);
        let report = report(period, [(&row, silent)], utc_day);
        assert_eq!(report.total.resolved, 1);
        assert_eq!((report.total.sla_met, report.total.sla_missed), (0, 0));
        assert_eq!(report.total.sla_met_percent(), None);
    }

    #[test]
    fn a_period_of_one_instant_has_one_day_and_an_empty_desk_reports_zeros() {
        let at = Timestamp(MONDAY + HOUR);
        let report = report(Period { from: at, to: at }, std::iter::empty(), utc_day);
        assert_eq!(report.days.len(), 1);
        assert_eq!(report.total, Figures::default());
        assert_eq!(report.total.sla_met_percent(), None);
        assert!(report.by_team.is_empty() && report.by_assignee.is_empty());
    }
}
