//! Working time: which instants a team works, in its own time zone, and adding or counting working
//! time between instants. Everything is in milliseconds since the Unix epoch (`Timestamp`'s unit).
//!
//! A working span is a range of wall-clock times on a weekday. An instant is working time when the
//! team's clock shows a time inside a span of that day's weekday and the day is no holiday — so on
//! the day clocks go forward, the skipped hour is not worked, and on the day they go back, the
//! repeated hour is worked twice, as the people on shift do.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};

use super::{LocalDay, WorkingHours, zone};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// How far `add` looks for working time before it says there is none: a little over ten years.
pub(super) const LOOK_AHEAD_DAYS: i64 = 3_700;
/// The instants a calendar computes with: 1900-01-01 to 9000-01-01 (UTC). Times outside are taken
/// at the nearest end, so a hostile timestamp in a synced document cannot overflow anything.
pub(super) const EARLIEST: i64 = -2_208_988_800_000;
pub(super) const LATEST: i64 = 221_845_392_000_000;
/// The largest offset from UTC a rule may have. Real zones lie within −12 and +14 hours; a day's
/// wall-clock times are looked for within this much of its midnight.
const MOST_OFFSET: i64 = 15 * HOUR;

/// Why working hours cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the time zone rule {0:?} cannot be read")]
    Rule(String),
    #[error(
        "a working span on weekday {weekday} runs from minute {from} to {to}: it must end after it starts and by 24:00"
    )]
    Span { weekday: u8, from: u16, to: u16 },
}

/// Working hours made ready to compute with. Not `Sync`: it remembers the time zone's transitions
/// per year as it meets them.
#[derive(Debug)]
pub struct Calendar {
    shape: Shape,
}

#[derive(Debug)]
enum Shape {
    /// Every instant is working time (no working hours set: the clock runs around the clock).
    Always,
    Hours(Box<Hours>),
}

#[derive(Debug)]
struct Hours {
    zone: Zone,
    /// Per weekday (Monday first), the working spans in milliseconds from local midnight, sorted and
    /// merged.
    week: [Vec<(i64, i64)>; 7],
    /// Days since the epoch, local.
    holidays: BTreeSet<i64>,
}

impl Calendar {
    /// Every instant counts.
    pub fn always() -> Calendar {
        Calendar { shape: Shape::Always }
    }

    pub fn new(hours: &WorkingHours) -> Result<Calendar, CalendarError> {
        let zone =
            Zone::from_rule(&hours.rule).ok_or_else(|| CalendarError::Rule(hours.rule.clone()))?;
        let mut week: [Vec<(i64, i64)>; 7] = Default::default();
        for span in &hours.spans {
            if span.weekday > 6 || span.from >= span.to || span.to > 1440 {
                return Err(CalendarError::Span {
                    weekday: span.weekday,
                    from: span.from,
                    to: span.to,
                });
            }
            week[usize::from(span.weekday)]
                .push((i64::from(span.from) * MINUTE, i64::from(span.to) * MINUTE));
        }
        for day in &mut week {
            day.sort_unstable();
            let mut merged: Vec<(i64, i64)> = Vec::with_capacity(day.len());
            for &(from, to) in day.iter() {
                match merged.last_mut() {
                    Some(last) if from <= last.1 => last.1 = last.1.max(to),
                    _ => merged.push((from, to)),
                }
            }
            *day = merged;
        }
        // A date that does not exist is no day off: left out rather than refusing every deadline.
        let holidays = hours.holidays.iter().filter_map(|day| day.days_since_epoch()).collect();
        Ok(Calendar { shape: Shape::Hours(Box::new(Hours { zone, week, holidays })) })
    }

    /// The instant at which `work` milliseconds of working time from `start` have passed: the
    /// earliest such instant, so a deadline falling at the end of a span is that end. `None` when the
    /// calendar holds that much working time in no less than ten years.
    pub fn add(&self, start: i64, work: i64) -> Option<i64> {
        let start = start.clamp(EARLIEST, LATEST);
        let Shape::Hours(_) = &self.shape else {
            return Some(start.saturating_add(work.max(0)));
        };
        if work <= 0 {
            return Some(start);
        }
        let mut left = work;
        let mut days = Days::new(self);
        let first = start.div_euclid(DAY);
        for day in first..first + LOOK_AHEAD_DAYS {
            for (from, to) in days.utc(day) {
                let from = from.max(start);
                if to <= from {
                    continue;
                }
                if to - from >= left {
                    return Some(from + left);
                }
                left -= to - from;
            }
        }
        None
    }

    /// Working time between two instants, in milliseconds (zero when `to` is not after `from`).
    pub fn between(&self, from: i64, to: i64) -> i64 {
        let (from, to) = (from.clamp(EARLIEST, LATEST), to.clamp(EARLIEST, LATEST));
        if to <= from {
            return 0;
        }
        let Shape::Hours(_) = &self.shape else {
            return to - from;
        };
        let mut days = Days::new(self);
        let mut total = 0;
        for day in from.div_euclid(DAY)..=(to - 1).div_euclid(DAY) {
            for (start, end) in days.utc(day) {
                let (start, end) = (start.max(from), end.min(to));
                if end > start {
                    total += end - start;
                }
            }
        }
        total
    }

    /// The instants of local day `day` that are working time, in order: for each span, the
    /// instants whose wall-clock time falls inside it, found piece by piece where the offset holds.
    fn working(&self, day: i64) -> Vec<(i64, i64)> {
        let Shape::Hours(hours) = &self.shape else {
            return vec![(day * DAY, (day + 1) * DAY)];
        };
        let Hours { zone, week, holidays } = &**hours;
        let spans = &week[weekday(day)];
        if spans.is_empty() || holidays.contains(&day) {
            return Vec::new();
        }
        let midnight = day * DAY;
        // Offsets lie within ±15 hours (`Zone::from_rule`), so the day's wall-clock times fall in this
        // window.
        let pieces = zone.pieces(midnight - MOST_OFFSET, midnight + DAY + MOST_OFFSET);
        let mut found = Vec::new();
        for &(from, to) in spans {
            for &(start, end, offset) in &pieces {
                let (lo, hi) =
                    ((midnight + from - offset).max(start), (midnight + to - offset).min(end));
                if hi > lo {
                    found.push((lo, hi));
                }
            }
        }
        found.sort_unstable();
        found
    }
}

/// The working time of UTC days, walked in order. A UTC day is walked rather than a local one because
/// local days are not in order in UTC when clocks go back across midnight: the instants of a UTC day
/// come from the local days either side of it too, each worked out once.
struct Days<'a> {
    calendar: &'a Calendar,
    /// The last few local days worked out.
    local: VecDeque<(i64, Vec<(i64, i64)>)>,
}

impl<'a> Days<'a> {
    fn new(calendar: &'a Calendar) -> Days<'a> {
        Days { calendar, local: VecDeque::with_capacity(4) }
    }

    /// The working instants of UTC day `day` (days since the epoch), in order.
    fn utc(&mut self, day: i64) -> Vec<(i64, i64)> {
        let (lo, hi) = (day * DAY, (day + 1) * DAY);
        let mut found = Vec::new();
        // With offsets within ±15 hours, a UTC day's wall-clock times fall on these local days.
        for local in day - 1..=day + 1 {
            for &(start, end) in self.local(local) {
                let (start, end) = (start.max(lo), end.min(hi));
                if end > start {
                    found.push((start, end));
                }
            }
        }
        found.sort_unstable();
        found
    }

    fn local(&mut self, day: i64) -> &[(i64, i64)] {
        let at = match self.local.iter().position(|(known, _)| *known == day) {
            Some(at) => at,
            None => {
                if self.local.len() == 4 {
                    self.local.pop_front();
                }
                self.local.push_back((day, self.calendar.working(day)));
                self.local.len() - 1
            }
        };
        &self.local[at].1
    }
}

/// Monday = 0. The epoch, 1970-01-01, was a Thursday.
fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// A time zone read from its POSIX TZ rule: its offsets from UTC, with the transitions of each year
/// found once.
pub struct Zone {
    zone: tz::TimeZone,
    /// Per UTC year: the instants in it (after its first millisecond, up to and including the next
    /// year's first) where the offset changes, with the offset from then on.
    transitions: RefCell<HashMap<i64, Vec<(i64, i64)>>>,
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zone").finish_non_exhaustive()
    }
}

impl Zone {
    /// `None` for a rule that cannot be read, or that no place keeps: an offset beyond ±15 hours, or
    /// summer time too short to be found (under a day, and holding neither a UTC midnight nor a whole
    /// UTC hour) — transitions are found by sampling the year.
    pub fn from_rule(rule: &str) -> Option<Zone> {
        let zone = Zone { zone: zone::from_rule(rule)?, transitions: RefCell::default() };
        let offsets = match zone.zone.as_ref().extra_rule() {
            Some(tz::timezone::TransitionRule::Fixed(kind)) => vec![kind.ut_offset()],
            Some(tz::timezone::TransitionRule::Alternate(both)) => {
                vec![both.std().ut_offset(), both.dst().ut_offset()]
            }
            None => return None,
        };
        if offsets.iter().any(|offset| i64::from(offset.abs()) * 1000 > MOST_OFFSET) {
            return None;
        }
        let year = 2030;
        let hourly = (0..365 * 24)
            .map(|hour| zone.offset_at(year_start(year) + hour * HOUR))
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|pair| pair[0] != pair[1])
            .count();
        let mut daily = 0;
        zone.with_transitions(year, |found| {
            daily = found
                .iter()
                .filter(|(at, _)| *at <= year_start(year) + (365 * 24 - 1) * HOUR)
                .count();
        });
        (hourly == daily).then_some(zone)
    }

    /// Milliseconds to add to UTC (`at`, milliseconds since the epoch) for the wall-clock time.
    pub fn offset_at(&self, at: i64) -> i64 {
        let seconds = at.div_euclid(1000);
        self.zone.find_local_time_type(seconds).map_or(0, |kind| i64::from(kind.ut_offset()) * 1000)
    }

    /// `[from, to)` cut where the offset changes: each piece with its offset.
    fn pieces(&self, from: i64, to: i64) -> Vec<(i64, i64, i64)> {
        let mut pieces = Vec::with_capacity(2);
        let (mut start, mut offset) = (from, self.offset_at(from));
        for year in year_of(from)..=year_of(to) {
            self.with_transitions(year, |transitions| {
                for &(at, next) in transitions {
                    if at > start && at < to {
                        pieces.push((start, at, offset));
                        (start, offset) = (at, next);
                    }
                }
            });
        }
        pieces.push((start, to, offset));
        pieces
    }

    fn with_transitions(&self, year: i64, f: impl FnOnce(&[(i64, i64)])) {
        if let Some(known) = self.transitions.borrow().get(&year) {
            return f(known);
        }
        let found = self.find_transitions(year);
        f(&found);
        self.transitions.borrow_mut().insert(year, found);
    }

    /// Samples the year day by day (no rule changes its offset twice within a day) and finds each
    /// change to the second by bisection.
    fn find_transitions(&self, year: i64) -> Vec<(i64, i64)> {
        let (start, end) = (year_start(year), year_start(year + 1));
        let mut found = Vec::new();
        let mut at = start;
        let mut offset = self.offset_at(at);
        while at < end {
            let next = (at + DAY).min(end);
            let next_offset = self.offset_at(next);
            if next_offset != offset {
                // The first second in (at, next] with the new offset.
                let (mut lo, mut hi) = (at / 1000, next / 1000);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if self.offset_at(mid * 1000) == next_offset {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                found.push((hi * 1000, next_offset));
            }
            (at, offset) = (next, next_offset);
        }
        found
    }
}

fn year_start(year: i64) -> i64 {
    let days = LocalDay { year: year as i32, month: 1, day: 1 }.days_since_epoch().unwrap_or(0);
    days * DAY
}

fn year_of(at: i64) -> i64 {
    LocalDay::from_days_since_epoch(at.div_euclid(DAY)).map_or(1970, |day| i64::from(day.year))
}
