//! Tasks and reminders.

use autosurgeon::{Hydrate, Reconcile};
use time::Date;

use super::sparse::reconcile_sparse;
use crate::ids::{ContractId, DealId, MemberId, PartyId, TicketId, Timestamp};

#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct Task {
    pub title: String,
    #[autosurgeon(missing = "Default::default")]
    pub due: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub assignee: Option<MemberId>,
    /// The records this task is about.
    #[autosurgeon(missing = "Default::default")]
    pub links: Vec<RecordRef>,
    /// When it was completed; `None` while open.
    #[autosurgeon(missing = "Default::default")]
    pub done_at: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub recurrence: Option<Recurrence>,
    /// Snoozed tasks stay hidden from "due" lists until then.
    #[autosurgeon(missing = "Default::default")]
    pub snoozed_until: Option<Timestamp>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

reconcile_sparse!(Task {
    always: [title, created_at],
    sparse: [due, assignee, links, done_at, recurrence, snoozed_until, archived],
});

/// A reference to a record of another collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum RecordRef {
    Party(PartyId),
    Deal(DealId),
    Ticket(TicketId),
    Contract(ContractId),
}

/// Repeat every `every` units after completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Recurrence {
    pub every: u32,
    pub unit: RecurrenceUnit,
    /// For monthly series, the day of the month it falls on (1–31; the last day of shorter months):
    /// kept so that a series due on the 31st comes back on the 31st after February. Unset until the
    /// first occurrence is done (its due day is taken then).
    #[autosurgeon(missing = "Default::default")]
    pub day: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum RecurrenceUnit {
    Day,
    Week,
    Month,
}

impl Recurrence {
    /// The due day of the occurrence after one due on `due` (or undated), done on `today`: the first
    /// day of the series after both, counting calendar months (31 January, 28/29 February, 31 March)
    /// and whole days or weeks. A task done late skips the occurrences already past rather than coming
    /// back overdue.
    pub fn next_due(&self, due: Option<Date>, today: Date) -> Date {
        let start = due.unwrap_or(today);
        let every = self.every.max(1);
        let mut step = 1u32;
        loop {
            let next = match self.unit {
                RecurrenceUnit::Day => add_days(start, every * step),
                RecurrenceUnit::Week => add_days(start, 7 * every * step),
                RecurrenceUnit::Month => {
                    let day = self.day.unwrap_or(start.day());
                    add_months(start, every * step, day)
                }
            };
            // `next` grows with `step`; the series is bounded by the calendar's end.
            if next > start && next > today || next == Date::MAX {
                return next;
            }
            step += 1;
        }
    }
}

impl Task {
    /// What completing a repeating task brings: its next occurrence, due on the day
    /// [`Recurrence::next_due`] gives (`midnight` turns a day into the device's local start of it),
    /// created `now`. `local_day` is the day a time falls on where the device is. `None` for a task
    /// that does not repeat.
    pub fn next_occurrence(
        &self,
        now: Timestamp,
        local_day: impl Fn(Timestamp) -> Date,
        midnight: impl Fn(Date) -> Timestamp,
    ) -> Option<Task> {
        let mut recurrence = self.recurrence?;
        let due = self.due.map(&local_day);
        if recurrence.unit == RecurrenceUnit::Month && recurrence.day.is_none() {
            recurrence.day = Some(due.unwrap_or_else(|| local_day(now)).day());
        }
        let next = recurrence.next_due(due, local_day(now));
        Some(Task {
            due: Some(midnight(next)),
            recurrence: Some(recurrence),
            done_at: None,
            snoozed_until: None,
            created_at: now,
            ..self.clone()
        })
    }
}

fn add_days(date: Date, days: u32) -> Date {
    date.checked_add(time::Duration::days(i64::from(days))).unwrap_or(Date::MAX)
}

/// `date` moved `months` calendar months on, on `day` of that month or its last day if shorter.
fn add_months(date: Date, months: u32, day: u8) -> Date {
    let index =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month()) - 1) + i64::from(months);
    let Ok(year) = i32::try_from(index.div_euclid(12)) else { return Date::MAX };
    let Ok(month) = time::Month::try_from((index.rem_euclid(12) + 1) as u8) else {
        return Date::MAX;
    };
    let day = day.clamp(1, month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month::*;

    fn date(year: i32, month: time::Month, day: u8) -> Date {
        Date::from_calendar_date(year, month, day).unwrap()
    }

    fn monthly(day: Option<u8>) -> Recurrence {
        Recurrence { every: 1, unit: RecurrenceUnit::Month, day }
    }

    #[test]
    fn a_monthly_task_due_on_the_31st_comes_back_at_each_months_end_then_on_the_31st() {
        let series = monthly(Some(31));
        let february = series.next_due(Some(date(2028, January, 31)), date(2028, January, 31));
        assert_eq!(february, date(2028, February, 29));
        let march = series.next_due(Some(february), february);
        assert_eq!(march, date(2028, March, 31));
        let april = series.next_due(Some(march), march);
        assert_eq!(april, date(2028, April, 30));
        assert_eq!(
            series.next_due(Some(date(2027, January, 31)), date(2027, January, 20)),
            date(2027, February, 28)
        );
    }

    #[test]
    fn days_and_weeks_count_from_the_due_day_and_skip_what_is_already_past() {
        let weekly = Recurrence { every: 2, unit: RecurrenceUnit::Week, day: None };
        let due = date(2026, December, 1);
        assert_eq!(weekly.next_due(Some(due), date(2026, November, 28)), date(2026, December, 15));
        // Done a month late: the next one after today, not one already overdue.
        assert_eq!(weekly.next_due(Some(due), date(2027, January, 2)), date(2027, January, 12));
        let daily = Recurrence { every: 1, unit: RecurrenceUnit::Day, day: None };
        assert_eq!(daily.next_due(None, date(2026, December, 31)), date(2027, January, 1));
        let yearly = Recurrence { every: 12, unit: RecurrenceUnit::Month, day: None };
        assert_eq!(
            yearly.next_due(Some(date(2028, February, 29)), date(2028, February, 29)),
            date(2029, February, 28)
        );
    }

    #[test]
    fn completing_a_repeating_task_brings_the_next_one_keeping_its_day_of_the_month() {
        const DAY: i64 = 86_400_000;
        // Days as UTC midnights, as a device at UTC+0 would have them.
        let local_day = |at: Timestamp| {
            Date::from_julian_day((at.0.div_euclid(DAY) + 2_440_588) as i32).unwrap()
        };
        let midnight = |day: Date| Timestamp((i64::from(day.to_julian_day()) - 2_440_588) * DAY);
        let due = midnight(date(2027, January, 31));
        let task = Task {
            title: "Send the invoice".into(),
            due: Some(due),
            assignee: None,
            links: Vec::new(),
            done_at: Some(due),
            recurrence: Some(monthly(None)),
            snoozed_until: Some(due),
            created_at: Timestamp(0),
            archived: false,
        };
        let next = task.next_occurrence(due, local_day, midnight).unwrap();
        assert_eq!(next.due, Some(midnight(date(2027, February, 28))));
        assert_eq!(next.recurrence, Some(monthly(Some(31))));
        assert_eq!((next.done_at, next.snoozed_until, next.created_at), (None, None, due));
        let after = next.next_occurrence(next.due.unwrap(), local_day, midnight).unwrap();
        assert_eq!(after.due, Some(midnight(date(2027, March, 31))));
        let once = Task { recurrence: None, ..task };
        assert_eq!(once.next_occurrence(due, local_day, midnight), None);
    }
}
