//! Tasks as an iCalendar file (RFC 5545 `VTODO`s) that calendar and to-do apps import. Only writing is
//! needed, which is a few lines of escaping and folding; the `icalendar` crate would add chrono and a
//! parser to the wasm bundle for it.

use std::fmt::Write;

use time::OffsetDateTime;

use crate::ids::{TaskId, Timestamp};
use crate::model::Task;

/// The tasks (archived ones left out) as one `.ics` calendar; `now` stamps it (`DTSTAMP`). A task is
/// due on a day (the app stores the local midnight starting it): `whole_day` names that day in the
/// exporting device's time zone, and it is written as a date (`DUE;VALUE=DATE`), which a calendar
/// shows on that day wherever it is; a due moment that is not a whole day (`None`) is written in UTC.
pub fn tasks_ics(
    tasks: &[(TaskId, Task)],
    now: Timestamp,
    whole_day: &dyn Fn(Timestamp) -> Option<time::Date>,
) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Rapport//Rapport//EN");
    for (id, task) in tasks.iter().filter(|(_, task)| !task.archived) {
        line(&mut out, "BEGIN:VTODO");
        line(&mut out, &format!("UID:{id}@rapport"));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("CREATED:{}", utc(task.created_at)));
        line(&mut out, &format!("SUMMARY:{}", escape(&task.title)));
        match task.due.map(|due| (due, whole_day(due))) {
            Some((_, Some(day))) => line(
                &mut out,
                &format!(
                    "DUE;VALUE=DATE:{:04}{:02}{:02}",
                    day.year(),
                    u8::from(day.month()),
                    day.day()
                ),
            ),
            Some((due, None)) => line(&mut out, &format!("DUE:{}", utc(due))),
            None => {}
        }
        match task.done_at {
            Some(done) => {
                line(&mut out, "STATUS:COMPLETED");
                line(&mut out, &format!("COMPLETED:{}", utc(done)));
            }
            None => line(&mut out, "STATUS:NEEDS-ACTION"),
        }
        line(&mut out, "END:VTODO");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// One day of the renewals calendar as an event: what falls due, for which contract, and how many
/// days ahead a calendar app should remind of it (none: 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedEvent {
    /// Stable across exports, so that importing again updates the event instead of doubling it.
    pub uid: String,
    pub day: time::Date,
    pub summary: String,
    pub description: String,
    pub remind_days: u32,
}

/// Dates as a `.ics` calendar of whole-day events (`DTSTART;VALUE=DATE`), each with an alarm at
/// 09:00 `remind_days` before it (none for 0).
pub fn dated_events_ics(events: &[DatedEvent], now: Timestamp) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Rapport//Rapport//EN");
    for event in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape(&event.uid)));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("DTSTART;VALUE=DATE:{}", date(event.day)));
        if let Some(next) = event.day.next_day() {
            line(&mut out, &format!("DTEND;VALUE=DATE:{}", date(next)));
        }
        line(&mut out, &format!("SUMMARY:{}", escape(&event.summary)));
        if !event.description.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", escape(&event.description)));
        }
        line(&mut out, "TRANSP:TRANSPARENT");
        if event.remind_days > 0 {
            line(&mut out, "BEGIN:VALARM");
            line(&mut out, "ACTION:DISPLAY");
            line(&mut out, &format!("DESCRIPTION:{}", escape(&event.summary)));
            // From the event's start, midnight: at 09:00 `remind_days` before.
            line(&mut out, &format!("TRIGGER:-P{}DT15H", event.remind_days - 1));
            line(&mut out, "END:VALARM");
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// `20261127`.
fn date(day: time::Date) -> String {
    format!("{:04}{:02}{:02}", day.year(), u8::from(day.month()), day.day())
}

/// `20261127T093000Z`.
fn utc(at: Timestamp) -> String {
    let moment = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second()
    )
}

/// TEXT values escape backslash, semicolon, comma and line breaks (RFC 5545 3.3.11).
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// Writes a content line, folded so no line exceeds 75 octets (never inside a UTF-8 character).
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_events_are_whole_days_with_stable_ids_and_alarms() {
        let day = time::Date::from_calendar_date(2027, time::Month::March, 31).unwrap();
        let events = [
            DatedEvent {
                uid: "c1-notice-2027-06-30@rapport".into(),
                day,
                summary: "Last day to give notice: Cleaning, Main St; 2027".into(),
                description: "Term ends 2027-06-30".into(),
                remind_days: 30,
            },
            DatedEvent {
                uid: "c2-ends-2027-12-31@rapport".into(),
                day: time::Date::from_calendar_date(2027, time::Month::December, 31).unwrap(),
                summary: "Ends: Lease".into(),
                description: String::new(),
                remind_days: 0,
            },
        ];
        let ics = dated_events_ics(&events, Timestamp(1_795_200_000_000));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
        assert!(ics.contains("UID:c1-notice-2027-06-30@rapport\r\nDTSTAMP:"), "{ics}");
        assert!(ics.contains("DTSTART;VALUE=DATE:20270331\r\nDTEND;VALUE=DATE:20270401\r\n"));
        // The last day of the year ends on the first of the next.
        assert!(ics.contains("DTSTART;VALUE=DATE:20271231\r\nDTEND;VALUE=DATE:20280101\r\n"));
        assert!(ics.contains("SUMMARY:Last day to give notice: Cleaning\\, Main St\\; 2027\r\n"));
        assert_eq!(ics.matches("BEGIN:VALARM").count(), 1, "no alarm without reminder days");
        assert!(ics.contains("TRIGGER:-P29DT15H\r\n"), "09:00, 30 days ahead: {ics}");
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn tasks_become_todos_with_escaped_and_folded_text() {
        let long =
            "Позвонить в ООО «Ромашка», обсудить поставку; уточнить цены на 2027 год и сроки";
        let open = Task {
            title: long.into(),
            due: Some(Timestamp(1_795_776_600_000)),
            assignee: None,
            links: Vec::new(),
            done_at: None,
            recurrence: None,
            snoozed_until: None,
            created_at: Timestamp(1_795_000_000_000),
            archived: false,
        };
        let done = Task {
            title: "Send offer".into(),
            due: None,
            done_at: Some(Timestamp(1_795_100_000_000)),
            ..open.clone()
        };
        let gone = Task { archived: true, ..open.clone() };
        let ics = tasks_ics(
            &[
                (TaskId::from_bytes([1; 16]), open),
                (TaskId::from_bytes([2; 16]), done),
                (TaskId::from_bytes([3; 16]), gone),
            ],
            Timestamp(1_795_200_000_000),
            &|_| None,
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert_eq!(ics.matches("BEGIN:VTODO").count(), 2, "archived left out");
        assert!(ics.contains("DUE:20261127T105000Z\r\n"), "{ics}");
        assert!(ics.contains("STATUS:COMPLETED\r\nCOMPLETED:"), "{ics}");
        assert!(ics.lines().all(|l| l.len() <= 75), "folded: {ics}");
        // Unfolded, the summary is the title with its separators escaped.
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded.contains(&format!("SUMMARY:{}", long.replace(',', "\\,").replace(';', "\\;"))),
            "{unfolded}"
        );
    }

    /// A task due 10 December, set in Berlin (its local midnight is 9 December 23:00 UTC), is due on
    /// 10 December in any calendar: a date, not a moment that falls on the 9th in the Americas.
    #[test]
    fn a_task_due_on_a_day_is_due_on_that_day_everywhere() {
        let midnight_in_berlin = Timestamp(1_796_857_200_000); // 2026-12-09T23:00:00Z
        let task = Task {
            title: "Call Anna".into(),
            due: Some(midnight_in_berlin),
            assignee: None,
            links: Vec::new(),
            done_at: None,
            recurrence: None,
            snoozed_until: None,
            created_at: Timestamp(0),
            archived: false,
        };
        let berlin = time::UtcOffset::from_hms(1, 0, 0).unwrap();
        let whole_day = |at: Timestamp| {
            let local = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000)
                .ok()?
                .to_offset(berlin);
            (local.time() == time::Time::MIDNIGHT).then(|| local.date())
        };
        let ics = tasks_ics(&[(TaskId::from_bytes([1; 16]), task)], Timestamp(0), &whole_day);
        assert!(ics.contains("DUE;VALUE=DATE:20261210\r\n"), "{ics}");
    }
}
