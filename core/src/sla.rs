//! Service-level clocks, derived. A ticket's deadlines are never stored: every device computes them
//! from the ticket's events (opened, status changes, messages — each at the relay's time once synced)
//! and the policy that applies, so every device shows the same deadline and a policy edit moves every
//! deadline at once.
//!
//! Three clocks, each counting working time against a target in minutes:
//! - **first response** from the ticket's opening to the team's first reply;
//! - **next response** from a customer's message (after the first reply) to the team's next reply,
//!   one round per message the team owes an answer to — the clock shows the latest round;
//! - **resolution** from the opening to the ticket resolved or closed, resumed with the time already
//!   spent if the ticket is reopened.
//!
//! Clocks count only while the ticket's status is in the *open* category: a *paused* status (waiting
//! on the customer, say) stops them and keeps the time left, and *resolved* or *closed* ends them.
//! Working time comes from the team's [`Calendar`] (working hours in its time zone, breaks, holidays).

mod calendar;
mod zones;

use autosurgeon::{Hydrate, Reconcile};

pub use calendar::{Calendar, CalendarError, Zone};

use crate::ids::Timestamp;

const MINUTE: i64 = 60_000;
/// How long after its opening a ticket's events are followed: ten years, within which `Calendar::add`
/// always finds the instant a target was reached.
const MOST_SPAN: i64 = 3_650 * 24 * 60 * MINUTE;

/// A working span on one weekday, in minutes from local midnight: `from` up to (not including) `to`,
/// at most 24:00. Breaks are the gaps between a day's spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub struct WorkingSpan {
    /// Monday = 0 … Sunday = 6.
    pub weekday: u8,
    pub from: u16,
    pub to: u16,
}

/// A calendar day in the team's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Reconcile, Hydrate)]
pub struct LocalDay {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl LocalDay {
    /// Days since 1970-01-01; `None` for a date that does not exist.
    pub fn days_since_epoch(self) -> Option<i64> {
        let month = time::Month::try_from(self.month).ok()?;
        let date = time::Date::from_calendar_date(self.year, month, self.day).ok()?;
        Some(i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
    }

    pub fn from_days_since_epoch(days: i64) -> Option<LocalDay> {
        let julian = i32::try_from(days + UNIX_EPOCH_JULIAN_DAY).ok()?;
        let date = time::Date::from_julian_day(julian).ok()?;
        Some(LocalDay { year: date.year(), month: u8::from(date.month()), day: date.day() })
    }
}

const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// A team's working hours: when its SLA clocks run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub struct WorkingHours {
    /// The team's IANA time zone, as chosen ("Europe/Moscow"), for people to read.
    pub zone: String,
    /// The POSIX TZ rule that zone follows ([`zone_rule`] when it was chosen): what clocks compute
    /// with. Kept beside the hours so that every device, whatever its version of the time zone
    /// table, computes the same deadlines.
    pub rule: String,
    pub spans: Vec<WorkingSpan>,
    pub holidays: Vec<LocalDay>,
}

/// A working week as people set it: the same hours on each working day, with at most one break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    /// Working weekdays, Monday = bit 0 … Sunday = bit 6.
    pub days: u8,
    /// Minutes from local midnight.
    pub from: u16,
    pub to: u16,
    /// A break within the day, if any.
    pub pause: Option<(u16, u16)>,
}

impl Week {
    /// Monday to Friday, nine to six, an hour's lunch at one.
    pub const OFFICE: Week =
        Week { days: 0b1_1111, from: 9 * 60, to: 18 * 60, pause: Some((13 * 60, 14 * 60)) };

    /// The spans this week gives; a break outside the day or an empty day gives what is left.
    pub fn spans(self) -> Vec<WorkingSpan> {
        let (from, to) = (self.from.min(24 * 60), self.to.min(24 * 60));
        let mut spans = Vec::new();
        for weekday in 0..7u8 {
            if self.days & (1 << weekday) == 0 || from >= to {
                continue;
            }
            match self.pause {
                Some((start, end)) if from < start && start < end && end < to => {
                    spans.push(WorkingSpan { weekday, from, to: start });
                    spans.push(WorkingSpan { weekday, from: end, to });
                }
                _ => spans.push(WorkingSpan { weekday, from, to }),
            }
        }
        spans
    }

    /// The week `spans` describe, when they are one (the same hours on every working day, at most
    /// one break); `None` for hours set otherwise, which a simple form cannot show.
    pub fn of(spans: &[WorkingSpan]) -> Option<Week> {
        let mut days = 0u8;
        let mut day: Option<Vec<(u16, u16)>> = None;
        for weekday in 0..7u8 {
            let mut today: Vec<(u16, u16)> = spans
                .iter()
                .filter(|span| span.weekday == weekday)
                .map(|span| (span.from, span.to))
                .collect();
            if today.is_empty() {
                continue;
            }
            today.sort_unstable();
            days |= 1 << weekday;
            match &day {
                None => day = Some(today),
                Some(first) if *first == today => {}
                Some(_) => return None,
            }
        }
        let week = match day?.as_slice() {
            [(from, to)] => Week { days, from: *from, to: *to, pause: None },
            [(from, start), (end, to)] => {
                Week { days, from: *from, to: *to, pause: Some((*start, *end)) }
            }
            _ => return None,
        };
        (week.spans() == spans_sorted(spans)).then_some(week)
    }
}

fn spans_sorted(spans: &[WorkingSpan]) -> Vec<WorkingSpan> {
    let mut sorted = spans.to_vec();
    sorted.sort_by_key(|span| (span.weekday, span.from, span.to));
    sorted
}

/// The POSIX TZ rule an IANA time zone follows today (links such as "Europe/Kiev" included), from
/// the table `scripts/zones` writes out of tzdata.
pub fn zone_rule(name: &str) -> Option<&'static str> {
    let found = zones::ZONES.binary_search_by(|(zone, _)| zone.cmp(&name)).ok()?;
    Some(zones::ZONES[found].1)
}

/// Every time zone name a team can choose, in order.
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    zones::ZONES.iter().map(|(name, _)| *name)
}

mod zone {
    /// A time zone from a POSIX TZ rule, RFC 8536's extensions included (hours past 24 or negative,
    /// as Israel's and Greenland's rules use), read as the footer of a version 3 TZif file with no
    /// transitions: tz-rs reads extensions only there.
    pub(super) fn from_rule(rule: &str) -> Option<tz::TimeZone> {
        if rule.is_empty() || rule.len() > 128 || !rule.is_ascii() || rule.contains('\n') {
            return None;
        }
        let mut tzif = Vec::with_capacity(128 + rule.len());
        for _version_block in 0..2 {
            tzif.extend_from_slice(b"TZif3");
            tzif.extend_from_slice(&[0; 15]);
            // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt: one local time type, one
            // designation byte.
            for count in [0u32, 0, 0, 0, 1, 1] {
                tzif.extend_from_slice(&count.to_be_bytes());
            }
            // The type the rule's own standard time replaces: UTC, never used (no transitions).
            tzif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            tzif.push(0);
        }
        tzif.push(b'\n');
        tzif.extend_from_slice(rule.as_bytes());
        tzif.push(b'\n');
        tz::TimeZone::from_tz_data(&tzif).ok()
    }
}

/// Targets in minutes of working time; `None` for a clock the policy does not keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub struct Targets {
    pub first_response: Option<u32>,
    pub next_response: Option<u32>,
    pub resolution: Option<u32>,
}

/// The category a ticket status belongs to; a workspace names its statuses, the clocks read only
/// the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub enum StatusCategory {
    Open,
    Paused,
    Resolved,
    Closed,
}

/// What happened to a ticket, when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockEvent {
    pub at: Timestamp,
    pub kind: ClockEventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockEventKind {
    /// The ticket was opened: the clocks start, the status is in the open category. An `Opened`
    /// after the first (a ticket opened again) counts as a change to an open status.
    Opened,
    /// The status changed to one of this category.
    Status(StatusCategory),
    /// The customer wrote (a mail received, a message logged).
    CustomerWrote,
    /// The team answered the customer publicly (internal notes are not answers).
    TeamReplied,
}

/// Where one clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Counting: due at this instant — already past when breached. `None` when the working hours
    /// hold the time left in no less than ten years (a week with no spans, say).
    Running { due: Option<Timestamp> },
    /// Stopped by a paused status: working time left, in milliseconds; negative once overdue, and
    /// then `due` is when it fell due.
    Paused { left: i64, due: Option<Timestamp> },
    /// Stopped for good (answered, or the ticket resolved), in time or late.
    Done { at: Timestamp, late: bool },
}

impl Clock {
    /// The deadline a running clock counts towards.
    pub fn due(self) -> Option<Timestamp> {
        match self {
            Clock::Running { due } => due,
            _ => None,
        }
    }
}

/// A ticket's clocks; `None` for a clock with no target, or a next-response clock no message has
/// started yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clocks {
    pub first_response: Option<Clock>,
    pub next_response: Option<Clock>,
    pub resolution: Option<Clock>,
}

impl Clocks {
    /// The earliest deadline among the running clocks: what "breaching soon" sorts by.
    pub fn next_due(&self) -> Option<Timestamp> {
        [self.first_response, self.next_response, self.resolution]
            .into_iter()
            .flatten()
            .filter_map(Clock::due)
            .min()
    }

    /// When the first of the clocks a paused status stopped past their target fell due: such a
    /// ticket has breached already, though no clock runs.
    pub fn overdue_while_paused(&self) -> Option<Timestamp> {
        [self.first_response, self.next_response, self.resolution]
            .into_iter()
            .flatten()
            .filter_map(|clock| match clock {
                Clock::Paused { due, .. } => due,
                _ => None,
            })
            .min()
    }

    /// What "breaching soon" looks at and the queue sorts by: the earliest running deadline, or the
    /// time a clock paused past its target fell due.
    pub fn urgency(&self) -> Option<Timestamp> {
        match (self.next_due(), self.overdue_while_paused()) {
            (Some(due), Some(overdue)) => Some(due.min(overdue)),
            (due, overdue) => due.or(overdue),
        }
    }
}

/// One clock's count while the events are walked.
#[derive(Debug, Clone, Copy)]
struct Count {
    target: i64,
    elapsed: i64,
    /// When the elapsed working time reached the target.
    reached: Option<i64>,
    done: Option<(i64, bool)>,
}

impl Count {
    fn new(target_minutes: u32, started: i64) -> Count {
        let target = i64::from(target_minutes) * MINUTE;
        let reached = (target == 0).then_some(started);
        Count { target, elapsed: 0, reached, done: None }
    }

    fn run(&mut self, calendar: &Calendar, from: i64, to: i64) {
        if self.done.is_some() {
            return;
        }
        let worked = calendar.between(from, to);
        if self.elapsed < self.target && self.elapsed + worked >= self.target {
            self.reached = calendar.add(from, self.target - self.elapsed);
        }
        self.elapsed += worked;
    }

    fn finish(&mut self, at: i64) {
        if self.done.is_none() {
            self.done = Some((at, self.elapsed > self.target));
        }
    }

    fn clock(&self, calendar: &Calendar, open: bool, last: i64) -> Clock {
        if let Some((at, late)) = self.done {
            return Clock::Done { at: Timestamp(at), late };
        }
        if !open {
            let left = self.target - self.elapsed;
            let due = self.reached.filter(|_| left < 0).map(Timestamp);
            return Clock::Paused { left, due };
        }
        let due = match self.reached {
            Some(reached) => Some(reached),
            None => calendar.add(last, self.target - self.elapsed),
        };
        Clock::Running { due: due.map(Timestamp) }
    }
}

/// Where a ticket's clocks stand after its events (taken in time order; at equal times an opening
/// first, then the rest in the order given), under `targets` and `calendar`. Events before the
/// first opening are not counted; events more than ten years after it are taken at ten years (so a
/// hostile timestamp costs no more than a decade's walk), and times outside 1900–9000 at the
/// nearest end.
pub fn clocks(targets: &Targets, calendar: &Calendar, events: &[ClockEvent]) -> Clocks {
    let mut events = events.to_vec();
    events.sort_by_key(|event| (event.at, event.kind != ClockEventKind::Opened));
    let Some(opened) = events.iter().position(|event| event.kind == ClockEventKind::Opened) else {
        return Clocks::default();
    };
    let opened_at = events[opened].at.0.clamp(calendar::EARLIEST, calendar::LATEST);
    let latest = opened_at.saturating_add(MOST_SPAN).min(calendar::LATEST);
    let mut first = targets.first_response.map(|target| Count::new(target, opened_at));
    let mut resolution = targets.resolution.map(|target| Count::new(target, opened_at));
    let mut next: Option<Count> = None;
    // Until the team first answers (or the ticket is resolved), a customer's message is part of
    // what the first response answers, not a new round.
    let mut awaiting_first = true;
    let mut status = StatusCategory::Open;
    let mut last = opened_at;
    for event in &events[opened + 1..] {
        let at = event.at.0.clamp(opened_at, latest);
        if status == StatusCategory::Open {
            for count in [&mut first, &mut next, &mut resolution].into_iter().flatten() {
                count.run(calendar, last, at);
            }
        }
        last = at;
        let kind = match event.kind {
            ClockEventKind::Opened => ClockEventKind::Status(StatusCategory::Open),
            other => other,
        };
        match kind {
            ClockEventKind::Opened => {}
            ClockEventKind::Status(category) => {
                status = category;
                match category {
                    StatusCategory::Resolved | StatusCategory::Closed => {
                        awaiting_first = false;
                        for count in [&mut first, &mut next, &mut resolution].into_iter().flatten()
                        {
                            count.finish(at);
                        }
                    }
                    StatusCategory::Open => {
                        // Reopened: the resolution clock goes on with the time already spent.
                        if let Some(count) = &mut resolution {
                            count.done = None;
                        }
                    }
                    StatusCategory::Paused => {}
                }
            }
            ClockEventKind::TeamReplied => {
                awaiting_first = false;
                for count in [&mut first, &mut next].into_iter().flatten() {
                    count.finish(at);
                }
            }
            ClockEventKind::CustomerWrote => {
                let round_over = next.is_none_or(|count| count.done.is_some());
                if !awaiting_first && round_over {
                    next = targets.next_response.map(|target| Count::new(target, at));
                }
            }
        }
    }
    let open = status == StatusCategory::Open;
    Clocks {
        first_response: first.map(|count| count.clock(calendar, open, last)),
        next_response: next.map(|count| count.clock(calendar, open, last)),
        resolution: resolution.map(|count| count.clock(calendar, open, last)),
    }
}

#[cfg(test)]
mod week_tests {
    use super::*;

    #[test]
    fn a_week_as_people_set_it_becomes_spans_and_back() {
        let spans = Week::OFFICE.spans();
        assert_eq!(spans.len(), 10);
        assert_eq!(spans[0], WorkingSpan { weekday: 0, from: 540, to: 780 });
        assert_eq!(spans[1], WorkingSpan { weekday: 0, from: 840, to: 1080 });
        assert_eq!(Week::of(&spans), Some(Week::OFFICE));
        let weekend = Week { days: 0b110_0000, from: 600, to: 960, pause: None };
        assert_eq!(Week::of(&weekend.spans()), Some(weekend));
        // A break outside the day is no break; an empty day is no day.
        let odd = Week { days: 1, from: 600, to: 700, pause: Some((800, 900)) };
        assert_eq!(odd.spans(), [WorkingSpan { weekday: 0, from: 600, to: 700 }]);
        assert!(Week { days: 1, from: 700, to: 600, pause: None }.spans().is_empty());
        // Hours a simple week cannot show.
        let mut uneven = Week::OFFICE.spans();
        uneven[0].to = 790;
        assert_eq!(Week::of(&uneven), None);
        assert_eq!(Week::of(&[]), None);
    }
}
