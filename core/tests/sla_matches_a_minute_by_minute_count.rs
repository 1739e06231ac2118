//! The SLA clocks against a reference written independently here: it walks a ticket's life minute by
//! minute, asks the machine's tzdata (the zone's TZif file, not the rule table the app ships) what the
//! team's wall clock shows, and counts a minute when that time falls in a working span of a day that
//! is no holiday and the ticket's status is open. 10,000 random cases: working hours with breaks,
//! holidays, pauses, reopenings, next-response rounds, and time zones with daylight-saving changes
//! (a third of the cases open in the weeks around one), half-hour offsets and rules past 24:00;
//! zero targets, tickets opened again, events before the opening or at its very time, and events
//! handed over out of order.

use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rapport_core::ids::Timestamp;
use rapport_core::sla::{
    self, Calendar, Clock, ClockEvent, ClockEventKind, Clocks, LocalDay, StatusCategory, Targets,
    WorkingHours, WorkingSpan,
};

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

const ZONES: &[&str] = &[
    "Europe/Berlin",
    "Europe/London",
    "Europe/Moscow",
    "America/New_York",
    "America/Santiago",
    "America/Nuuk",
    "Asia/Jerusalem",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Africa/Cairo",
    "UTC",
];

#[test]
fn sla_clocks_match_a_minute_by_minute_count_in_10000_random_cases() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x51a);
    let zones: Vec<(&str, tz::TimeZone)> =
        ZONES.iter().map(|name| (*name, system_zone(name))).collect();
    for case in 0..10_000 {
        let (name, zone) = zones.choose(&mut rng).unwrap();
        let hours = random_hours(&mut rng, name);
        let targets = random_targets(&mut rng);
        let events = random_events(&mut rng);
        let calendar = Calendar::new(&hours).expect("the generated hours are valid");
        // The order events are handed over in does not matter (only at equal times).
        let mut given = events.clone();
        let mut times: Vec<_> = events.iter().map(|event| event.at).collect();
        times.dedup();
        if times.len() == events.len() {
            use rand::seq::SliceRandom;
            given.shuffle(&mut rng);
        }
        let computed = sla::clocks(&targets, &calendar, &given);
        let expected = Reference { hours: &hours, zone }.clocks(&targets, &events);
        assert_eq!(
            computed, expected,
            "case {case} in {name}\nhours: {hours:?}\ntargets: {targets:?}\nevents: {events:?}"
        );
    }
}

#[test]
fn every_zone_in_the_table_follows_its_tzdata_file_over_the_next_years() {
    let mut checked = 0;
    for name in sla::zone_names() {
        let rule = sla::zone_rule(name).unwrap();
        let ours = Calendar::new(&WorkingHours {
            zone: name.into(),
            rule: rule.into(),
            spans: (0..7).map(|weekday| WorkingSpan { weekday, from: 0, to: 1440 }).collect(),
            holidays: Vec::new(),
        });
        assert!(ours.is_ok(), "{name}: its rule {rule:?} cannot be read");
        let Ok(file) = std::fs::read(format!("/usr/share/zoneinfo/{name}")) else { continue };
        let theirs = tz::TimeZone::from_tz_data(&file).unwrap();
        let rule_zone = sla::Zone::from_rule(rule).unwrap();
        // Morocco's rule leaves out its Ramadan changes, which tzdata lists one by one.
        if name.starts_with("Africa/Casablanca") || name.starts_with("Africa/El_Aaiun") {
            continue;
        }
        for hour in (0..4 * 365 * 24).step_by(7) {
            let at = 1_798_761_600 + hour * 3600; // 2027-01-01 onwards
            assert_eq!(
                rule_zone.offset_at(at * 1000),
                i64::from(theirs.find_local_time_type(at).unwrap().ut_offset()) * 1000,
                "{name} at {at}"
            );
        }
        checked += 1;
    }
    assert!(checked > 300, "only {checked} zones had a tzdata file to compare with");
}

#[test]
fn a_deadline_skips_the_hour_clocks_go_forward_and_counts_the_hour_they_repeat_twice() {
    let night = |weekday| WorkingSpan { weekday, from: 60, to: 4 * 60 };
    let hours = WorkingHours {
        zone: "Europe/Berlin".into(),
        rule: sla::zone_rule("Europe/Berlin").unwrap().into(),
        spans: (0..7).map(night).collect(),
        holidays: Vec::new(),
    };
    let calendar = Calendar::new(&hours).unwrap();
    // 2027-03-28: clocks go from 02:00 to 03:00, so the night from 01:00 (00:00 UTC) to 04:00 holds
    // two hours. Three hours of work from then end an hour into the next night, which starts at
    // 01:00 CEST, 23:00 UTC.
    let spring = 1_806_192_000_000; // 2027-03-28T00:00:00Z
    assert_eq!(calendar.between(spring, spring + 22 * 60 * MINUTE), 2 * 60 * MINUTE);
    assert_eq!(calendar.add(spring, 3 * 60 * MINUTE), Some(spring + 24 * 60 * MINUTE));
    // 2027-10-31: clocks go from 03:00 back to 02:00, so the night from 01:00 to 04:00 holds four
    // hours (01:00 local is 23:00 UTC on the 30th).
    let autumn = 1_824_937_200_000; // 2027-10-30T23:00:00Z
    assert_eq!(calendar.between(autumn, autumn + DAY), 4 * 60 * MINUTE);
}

#[test]
fn a_week_without_working_hours_never_falls_due_and_bad_hours_are_refused() {
    let hours = |spans| WorkingHours {
        zone: "UTC".into(),
        rule: "UTC0".into(),
        spans,
        holidays: Vec::new(),
    };
    let idle = Calendar::new(&hours(Vec::new())).unwrap();
    let targets = Targets { first_response: Some(60), next_response: None, resolution: None };
    let opened = [ClockEvent { at: Timestamp(0), kind: ClockEventKind::Opened }];
    assert_eq!(
        sla::clocks(&targets, &idle, &opened).first_response,
        Some(Clock::Running { due: None })
    );
    assert!(Calendar::new(&hours(vec![WorkingSpan { weekday: 7, from: 0, to: 60 }])).is_err());
    assert!(Calendar::new(&hours(vec![WorkingSpan { weekday: 0, from: 600, to: 600 }])).is_err());
    assert!(Calendar::new(&hours(vec![WorkingSpan { weekday: 0, from: 0, to: 1441 }])).is_err());
    let bad_rule = WorkingHours { rule: "Not a rule".into(), ..hours(Vec::new()) };
    assert!(Calendar::new(&bad_rule).is_err());
    for rule in ["<+20>-20", "<-16>16", "A0B,J100/1,J100/3"] {
        let odd = WorkingHours { rule: rule.into(), ..hours(Vec::new()) };
        assert!(Calendar::new(&odd).is_err(), "{rule} is no place's rule");
    }
    // A date that does not exist is no holiday: the rest of the hours still count.
    let every_day = (0..7).map(|weekday| WorkingSpan { weekday, from: 0, to: 1440 }).collect();
    let no_date = WorkingHours {
        holidays: vec![
            LocalDay { year: 2027, month: 2, day: 30 },
            LocalDay { year: 2027, month: 1, day: 1 },
        ],
        ..hours(every_day)
    };
    let calendar = Calendar::new(&no_date).unwrap();
    let new_year = 1_798_761_600_000;
    assert_eq!(calendar.between(new_year - DAY, new_year + 2 * DAY), 2 * DAY);
}

#[test]
fn hostile_times_neither_overflow_nor_keep_a_device_busy() {
    let weekdays = (0..5).map(|weekday| WorkingSpan { weekday, from: 540, to: 1020 }).collect();
    let hours = WorkingHours {
        zone: "UTC".into(),
        rule: "UTC0".into(),
        spans: weekdays,
        holidays: Vec::new(),
    };
    let calendar = Calendar::new(&hours).unwrap();
    let targets =
        Targets { first_response: Some(60), next_response: Some(60), resolution: Some(600) };
    let event = |at, kind| ClockEvent { at: Timestamp(at), kind };
    for events in [
        vec![event(i64::MIN, ClockEventKind::Opened), event(i64::MAX, ClockEventKind::TeamReplied)],
        vec![event(0, ClockEventKind::Opened), event(i64::MAX, ClockEventKind::CustomerWrote)],
        vec![event(i64::MAX, ClockEventKind::Opened)],
    ] {
        let clocks = sla::clocks(&targets, &calendar, &events);
        assert!(clocks.resolution.is_some());
    }
    assert_eq!(Calendar::always().add(i64::MAX, i64::MAX).map(|at| at > 0), Some(true));
    // Times past the year 9000 are taken as its first instant.
    assert_eq!(calendar.add(i64::MAX, 60 * MINUTE), calendar.add(221_845_392_000_000, 60 * MINUTE));
}

fn system_zone(name: &str) -> tz::TimeZone {
    let file = std::fs::read(format!("/usr/share/zoneinfo/{name}"))
        .unwrap_or_else(|e| panic!("tzdata has no {name} ({e}): install Debian's tzdata"));
    tz::TimeZone::from_tz_data(&file).unwrap()
}

fn random_hours(rng: &mut ChaCha8Rng, zone: &str) -> WorkingHours {
    loop {
        let mut spans = Vec::new();
        for weekday in 0..7u8 {
            if rng.random_bool(0.25) {
                continue;
            }
            match rng.random_range(0..6) {
                0 => spans.push(WorkingSpan { weekday, from: 0, to: 1440 }),
                // The small hours, where clocks change.
                1 => spans.push(WorkingSpan {
                    weekday,
                    from: rng.random_range(0..120),
                    to: rng.random_range(150..300),
                }),
                _ => {
                    let mut at = rng.random_range(0..720u16);
                    for _ in 0..rng.random_range(1..4) {
                        let end = (at + rng.random_range(1..400)).min(1440);
                        spans.push(WorkingSpan { weekday, from: at, to: end });
                        // A break, or a span overlapping the last (merged).
                        at = (end + rng.random_range(0..120))
                            .saturating_sub(rng.random_range(0..3) * 10);
                        if at >= 1439 {
                            break;
                        }
                    }
                }
            }
        }
        let weekly: u32 = spans.iter().map(|span| u32::from(span.to - span.from)).sum();
        if weekly < 8 * 60 {
            continue;
        }
        let holidays = (0..rng.random_range(0..6))
            .map(|_| {
                civil_from_days(
                    rng.random_range(days_from_civil(2026, 1, 1)..days_from_civil(2030, 1, 1)),
                )
            })
            .collect();
        return WorkingHours {
            zone: zone.into(),
            rule: sla::zone_rule(zone).unwrap().into(),
            spans,
            holidays,
        };
    }
}

fn random_targets(rng: &mut ChaCha8Rng) -> Targets {
    let target = |rng: &mut ChaCha8Rng| {
        rng.random_bool(0.85)
            .then(|| if rng.random_bool(0.03) { 0 } else { rng.random_range(1..1500) })
    };
    Targets { first_response: target(rng), next_response: target(rng), resolution: target(rng) }
}

fn random_events(rng: &mut ChaCha8Rng) -> Vec<ClockEvent> {
    let year = rng.random_range(2026..2030);
    // A third of the tickets open in the weeks around a daylight-saving change somewhere.
    let start_day = match rng.random_range(0..6) {
        0 => days_from_civil(year, 3, 18) + rng.random_range(0..25),
        1 => days_from_civil(year, 10, 18) + rng.random_range(0..25),
        2 => days_from_civil(year, 9, 1) + rng.random_range(0..12),
        _ => days_from_civil(year, 1, 1) + rng.random_range(0..365),
    };
    let mut at = start_day * DAY + rng.random_range(0..1440) * MINUTE;
    let mut events = vec![ClockEvent { at: Timestamp(at), kind: ClockEventKind::Opened }];
    match rng.random_range(0..10) {
        // Something logged before the ticket was opened, which no clock counts.
        0 => events.insert(
            0,
            ClockEvent {
                at: Timestamp(at - rng.random_range(0..600) * MINUTE),
                kind: ClockEventKind::TeamReplied,
            },
        ),
        // Something at the opening's very time, handed over before it.
        1 => {
            events.insert(0, ClockEvent { at: Timestamp(at), kind: ClockEventKind::CustomerWrote })
        }
        _ => {}
    }
    for _ in 0..rng.random_range(0..9) {
        at += match rng.random_range(0..4) {
            0 => 0,
            1 => rng.random_range(1..120) * MINUTE,
            _ => rng.random_range(1..3 * 1440) * MINUTE,
        };
        let kind = match rng.random_range(0..9) {
            8 => ClockEventKind::Opened,
            0 | 1 => ClockEventKind::TeamReplied,
            2 | 3 => ClockEventKind::CustomerWrote,
            4 => ClockEventKind::Status(StatusCategory::Paused),
            5 => ClockEventKind::Status(StatusCategory::Open),
            6 => ClockEventKind::Status(StatusCategory::Resolved),
            _ => ClockEventKind::Status(StatusCategory::Closed),
        };
        events.push(ClockEvent { at: Timestamp(at), kind });
    }
    events
}

/// Howard Hinnant's days-from-civil, written out here so the reference shares no date code with
/// the app.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> LocalDay {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    LocalDay { year: year as i32, month: month as u8, day: day as u8 }
}

struct Reference<'a> {
    hours: &'a WorkingHours,
    zone: &'a tz::TimeZone,
}

/// One clock in the reference's walk: minutes counted, the minute the target was reached, and how
/// it ended.
#[derive(Clone, Copy)]
struct Tally {
    target: i64,
    counted: i64,
    reached: Option<i64>,
    ended: Option<(i64, bool)>,
}

impl Tally {
    fn new(target: Option<u32>, from: i64) -> Option<Tally> {
        target.map(|target| Tally {
            target: i64::from(target),
            counted: 0,
            reached: (target == 0).then_some(from),
            ended: None,
        })
    }

    fn end(&mut self, at: i64) {
        if self.ended.is_none() {
            self.ended = Some((at, self.counted > self.target));
        }
    }

    fn waiting(&self) -> bool {
        self.ended.is_none() && self.reached.is_none()
    }

    fn clock(&self, open: bool) -> Clock {
        match (self.ended, open) {
            (Some((at, late)), _) => Clock::Done { at: Timestamp(at), late },
            (None, false) => {
                let left = (self.target - self.counted) * MINUTE;
                Clock::Paused { left, due: self.reached.filter(|_| left < 0).map(Timestamp) }
            }
            (None, true) => Clock::Running { due: self.reached.map(Timestamp) },
        }
    }
}

impl Reference<'_> {
    fn working(&self, minute: i64) -> bool {
        let seconds = minute / 1000;
        let local =
            seconds + i64::from(self.zone.find_local_time_type(seconds).unwrap().ut_offset());
        let day = local.div_euclid(86_400);
        let minute_of_day = local.rem_euclid(86_400) / 60;
        let weekday = (day + 3).rem_euclid(7) as u8; // 1970-01-01 was a Thursday
        if self.hours.holidays.contains(&civil_from_days(day)) {
            return false;
        }
        self.hours.spans.iter().any(|span| {
            span.weekday == weekday
                && i64::from(span.from) <= minute_of_day
                && minute_of_day < i64::from(span.to)
        })
    }

    fn clocks(&self, targets: &Targets, events: &[ClockEvent]) -> Clocks {
        // In time order, an opening first among equal times; nothing before the first opening counts.
        let mut events = events.to_vec();
        events.sort_by_key(|event| (event.at, event.kind != ClockEventKind::Opened));
        let start = events.iter().position(|event| event.kind == ClockEventKind::Opened).unwrap();
        let events = &events[start..];
        let opened = events[0].at.0;
        let last_event = events.last().unwrap().at.0;
        let mut first = Tally::new(targets.first_response, opened);
        let mut resolution = Tally::new(targets.resolution, opened);
        let mut round: Option<Tally> = None;
        let mut open = true;
        let mut answered = false;
        let mut next_event = 1;
        let mut minute = opened;
        loop {
            while next_event < events.len() && events[next_event].at.0 == minute {
                let kind = match events[next_event].kind {
                    // Opened again: an open status.
                    ClockEventKind::Opened => ClockEventKind::Status(StatusCategory::Open),
                    other => other,
                };
                match kind {
                    ClockEventKind::Opened => {}
                    ClockEventKind::TeamReplied => {
                        answered = true;
                        first
                            .iter_mut()
                            .chain(round.iter_mut())
                            .for_each(|tally| tally.end(minute));
                    }
                    ClockEventKind::CustomerWrote => {
                        if answered && round.is_none_or(|tally| tally.ended.is_some()) {
                            round = Tally::new(targets.next_response, minute);
                        }
                    }
                    ClockEventKind::Status(category) => {
                        open = category == StatusCategory::Open;
                        if matches!(category, StatusCategory::Resolved | StatusCategory::Closed) {
                            answered = true;
                            for tally in first
                                .iter_mut()
                                .chain(round.iter_mut())
                                .chain(resolution.iter_mut())
                            {
                                tally.end(minute);
                            }
                        }
                        if category == StatusCategory::Open {
                            resolution.iter_mut().for_each(|tally| tally.ended = None);
                        }
                    }
                }
                next_event += 1;
            }
            let still_counting = [first, round, resolution].iter().flatten().any(Tally::waiting);
            if minute >= last_event && (!open || !still_counting) {
                break;
            }
            assert!(minute < opened + 400 * DAY, "the reference found no deadline in 400 days");
            if open && self.working(minute) {
                for tally in first.iter_mut().chain(round.iter_mut()).chain(resolution.iter_mut()) {
                    if tally.ended.is_none() {
                        tally.counted += 1;
                        if tally.counted == tally.target {
                            tally.reached = Some(minute + MINUTE);
                        }
                    }
                }
            }
            minute += MINUTE;
        }
        Clocks {
            first_response: first.map(|tally| tally.clock(open)),
            next_response: round.map(|tally| tally.clock(open)),
            resolution: resolution.map(|tally| tally.clock(open)),
        }
    }
}
