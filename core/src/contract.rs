//! Contract dates, derived: a contract keeps what was agreed — when it starts, when its first term
//! ends, the notice period, how long a tacit (automatic) renewal runs, and whether notice was given —
//! and everything else is computed from that on every device, never stored: the term running on a
//! day, the last day to give notice, the renewal date. A stored notice date goes stale at the first
//! tacit renewal (what GLPI users hit, glpi#23084); a derived one cannot.
//!
//! Terms are counted from the first renewal's start (the day after the first term's end), never
//! from the previous term's end, so month ends do not drift: a contract renewed monthly from 31 January
//! ends its terms on 28/29 February, 31 March, 30 April.

use time::{Date, Duration, Month};

/// A length of time as contracts state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Period {
    Days(u16),
    Months(u16),
}

impl Period {
    /// `date` moved forward by this period (a month-end clamped: 31 January + 1 month = 28/29
    /// February); `None` past the calendar's range.
    pub fn after(self, date: Date) -> Option<Date> {
        match self {
            Period::Days(days) => date.checked_add(Duration::days(i64::from(days))),
            Period::Months(months) => shift_months(date, i32::from(months)),
        }
    }

    /// `date` moved back by this period.
    pub fn before(self, date: Date) -> Option<Date> {
        match self {
            Period::Days(days) => date.checked_sub(Duration::days(i64::from(days))),
            Period::Months(months) => shift_months(date, -i32::from(months)),
        }
    }

    fn times(self, n: u32) -> Option<Period> {
        match self {
            Period::Days(days) => u16::try_from(u32::from(days) * n).ok().map(Period::Days),
            Period::Months(months) => u16::try_from(u32::from(months) * n).ok().map(Period::Months),
        }
    }
}

/// `date` moved by `months` (back when negative), its day clamped to the month's length.
fn shift_months(date: Date, months: i32) -> Option<Date> {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months;
    let month = Month::try_from(index.rem_euclid(12) as u8 + 1).ok()?;
    let year = index.div_euclid(12);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last)).ok()
}

/// What a contract says of its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub start: Date,
    /// The last day of the first term; `None`: open-ended (it runs until notice ends it).
    pub end: Option<Date>,
    /// How long before a term's end notice must be given.
    pub notice: Period,
    /// How long each tacit renewal runs; `None`: it ends with its first term.
    pub renewal: Option<Period>,
    /// The day notice was given, if it was: the contract ends with the first term whose notice date
    /// that day meets.
    pub notice_given: Option<Date>,
}

/// Where a contract stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The term running that day (or the last one, once ended): its first and last day.
    pub term_start: Date,
    pub term_end: Option<Date>,
    /// Tacit renewals before this term.
    pub renewals: u32,
    /// The last day notice can be given to end the contract with this term; `None` when it is
    /// open-ended, or ends with this term anyway (no renewal, or notice given).
    pub notice_by: Option<Date>,
    /// The day the next term would start, if it renews.
    pub renews_on: Option<Date>,
    /// It has ended (the day is past its last term).
    pub ended: bool,
}

/// The most renewals counted: a daily renewal over a century. Past it, dates are not computed.
const MOST_RENEWALS: u32 = 40_000;

impl Terms {
    /// The last day of term `n` (0: the first), counted from the first renewal's start.
    fn term_end(&self, n: u32) -> Option<Date> {
        let end = self.end?;
        if n == 0 {
            return Some(end);
        }
        let anchor = end.next_day()?;
        let next_anchor = self.renewal?.times(n)?.after(anchor)?;
        next_anchor.previous_day()
    }

    /// Where the contract stands on `day`; `None` before it starts, or when its dates leave the
    /// calendar.
    pub fn standing(&self, day: Date) -> Option<Standing> {
        if day < self.start {
            return None;
        }
        let Some(first_end) = self.end else {
            return Some(Standing {
                term_start: self.start,
                term_end: None,
                renewals: 0,
                notice_by: None,
                renews_on: None,
                ended: false,
            });
        };
        let mut n = 0;
        let mut term_start = self.start;
        let mut term_end = first_end;
        loop {
            let notice_by = self.notice.before(term_end)?;
            let given_in_time = self.notice_given.is_some_and(|given| given <= notice_by);
            let renews = self.renewal.is_some() && !given_in_time;
            if day <= term_end || !renews {
                let ended = day > term_end;
                return Some(Standing {
                    term_start,
                    term_end: Some(term_end),
                    renewals: n,
                    notice_by: renews.then_some(notice_by),
                    renews_on: if renews { term_end.next_day() } else { None },
                    ended,
                });
            }
            n += 1;
            if n > MOST_RENEWALS {
                return None;
            }
            term_start = term_end.next_day()?;
            term_end = self.term_end(n)?;
        }
    }

    /// The next notice date on or after `day` (this term's, or the next one's once it passed) with
    /// the term end it would end the contract on — what reminders are set for.
    pub fn next_notice(&self, day: Date) -> Option<(Date, Date)> {
        let standing = self.standing(day.max(self.start))?;
        if standing.ended {
            return None;
        }
        match standing.notice_by {
            Some(notice_by) if notice_by >= day => Some((notice_by, standing.term_end?)),
            Some(_) => {
                let next = self.standing(standing.renews_on?)?;
                Some((next.notice_by?, next.term_end?))
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u8, day: u8) -> Date {
        Date::from_calendar_date(year, Month::try_from(month).unwrap(), day).unwrap()
    }

    fn terms(start: Date, end: Date, notice: Period, renewal: Option<Period>) -> Terms {
        Terms { start, end: Some(end), notice, renewal, notice_given: None }
    }

    #[test]
    fn a_monthly_renewal_from_a_month_end_keeps_to_month_ends() {
        let t = terms(d(2027, 1, 1), d(2027, 1, 31), Period::Days(10), Some(Period::Months(1)));
        let ends: Vec<Date> = [d(2027, 2, 10), d(2027, 3, 10), d(2027, 4, 10)]
            .iter()
            .map(|day| t.standing(*day).unwrap().term_end.unwrap())
            .collect();
        assert_eq!(ends, [d(2027, 2, 28), d(2027, 3, 31), d(2027, 4, 30)]);
        let feb = t.standing(d(2027, 2, 10)).unwrap();
        assert_eq!(feb.term_start, d(2027, 2, 1));
        assert_eq!(feb.renewals, 1);
        assert_eq!(feb.notice_by, Some(d(2027, 2, 18)));
        assert_eq!(feb.renews_on, Some(d(2027, 3, 1)));
        // In a leap year February has 29 days.
        let t = terms(d(2028, 1, 1), d(2028, 1, 31), Period::Days(10), Some(Period::Months(1)));
        assert_eq!(t.standing(d(2028, 2, 29)).unwrap().term_end, Some(d(2028, 2, 29)));
    }

    #[test]
    fn notice_given_in_time_ends_it_with_that_term_and_late_notice_with_the_next() {
        let mut t =
            terms(d(2027, 1, 1), d(2027, 12, 31), Period::Months(3), Some(Period::Months(12)));
        assert_eq!(t.next_notice(d(2027, 5, 1)), Some((d(2027, 9, 30), d(2027, 12, 31))));
        // The notice date passed: the next term's.
        assert_eq!(t.next_notice(d(2027, 10, 1)), Some((d(2028, 9, 30), d(2028, 12, 31))));
        t.notice_given = Some(d(2027, 9, 30));
        let last = t.standing(d(2028, 3, 1)).unwrap();
        assert!(last.ended && last.term_end == Some(d(2027, 12, 31)) && last.notice_by.is_none());
        assert_eq!(t.next_notice(d(2027, 5, 1)), None, "nothing left to remind of");
        t.notice_given = Some(d(2027, 10, 1));
        let last = t.standing(d(2029, 3, 1)).unwrap();
        assert_eq!(
            (last.ended, last.term_end),
            (true, Some(d(2028, 12, 31))),
            "a day late: a year more"
        );
    }

    #[test]
    fn without_renewal_or_end_there_is_no_notice_date() {
        let fixed = terms(d(2027, 1, 1), d(2027, 6, 30), Period::Days(30), None);
        let standing = fixed.standing(d(2027, 3, 1)).unwrap();
        assert_eq!((standing.notice_by, standing.renews_on, standing.ended), (None, None, false));
        assert!(fixed.standing(d(2027, 7, 1)).unwrap().ended);
        let open = Terms { end: None, ..fixed };
        assert_eq!(open.standing(d(2030, 1, 1)).unwrap().term_end, None);
        assert_eq!(open.next_notice(d(2030, 1, 1)), None);
        assert_eq!(fixed.standing(d(2026, 12, 31)), None, "not started");
    }

    /// Independent of `time`'s arithmetic: a month added by hand, year and month as integers.
    fn plus_months(year: i32, month: u32, day: u32, months: u32) -> (i32, u32, u32) {
        let index = year as i64 * 12 + i64::from(month) - 1 + i64::from(months);
        let (y, m) = ((index / 12) as i32, (index % 12) as u32 + 1);
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let last = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (y, m, day.min(last))
    }

    fn ymd(date: Date) -> (i32, u32, u32) {
        (date.year(), u32::from(u8::from(date.month())), u32::from(date.day()))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// Every term end the function gives is where counting months by hand from the first renewal's
        /// start lands, the day before; the term contains the day; the notice date is the notice
        /// period before the term's end.
        #[test]
        fn term_ends_match_months_counted_by_hand(
            start_offset in 0i64..3_000,
            first_months in 1u32..36,
            renewal_months in 1u16..24,
            notice_months in 0u16..6,
            later in 0i64..4_000,
        ) {
            let start = d(2020, 1, 1) + Duration::days(start_offset);
            let (y, m, d) = plus_months(start.year(), u32::from(u8::from(start.month())), u32::from(start.day()), first_months);
            let first_anchor = Date::from_calendar_date(y, Month::try_from(m as u8).unwrap(), d as u8).unwrap();
            let end = first_anchor.previous_day().unwrap();
            let t = terms(start, end, Period::Months(notice_months), Some(Period::Months(renewal_months)));
            let day = start + Duration::days(later);
            let standing = t.standing(day).unwrap();
            let term_end = standing.term_end.unwrap();
            proptest::prop_assert!(standing.term_start <= day && day <= term_end);
            if standing.renewals > 0 {
                let anchor = end.next_day().unwrap();
                let months = u32::from(renewal_months) * standing.renewals;
                let (y, m, d) = plus_months(anchor.year(), u32::from(u8::from(anchor.month())), u32::from(anchor.day()), months);
                let next_anchor = Date::from_calendar_date(y, Month::try_from(m as u8).unwrap(), d as u8).unwrap();
                proptest::prop_assert_eq!(ymd(term_end), ymd(next_anchor.previous_day().unwrap()));
            } else {
                proptest::prop_assert_eq!(term_end, end);
            }
            let notice_by = standing.notice_by.unwrap();
            let back = plus_months(notice_by.year(), u32::from(u8::from(notice_by.month())), u32::from(notice_by.day()), u32::from(notice_months));
            // Going forward again from the notice date reaches the term's end, unless clamping at a
            // month's end took days off (30 → 28 February and back to the 28th).
            proptest::prop_assert!(back <= ymd(term_end));
            proptest::prop_assert!(notice_by <= term_end);
        }
    }
}
