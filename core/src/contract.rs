//! Contract dates, derived: a contract keeps what was agreed — when it starts, when its first term
//! ends, the notice period, how long a tacit (automatic) renewal runs, and whether notice was given —
//! and everything else is computed from that on every device, never stored: the term running on a
//! day, the last day to give notice, the renewal date. A stored notice date goes stale at the first
//! tacit renewal (what GLPI users hit, glpi#23084); a derived one cannot.
//!
//! Terms are counted from the first renewal's start (the day after the first term's end), never
//! from the previous term's end, so month ends do not drift: a contract renewed monthly from 31 January
//! ends its terms on 28/29 February, 31 March, 30 April.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

use crate::ids::{ContractId, MemberId, PartyId, Timestamp};
use crate::model::{Contract, Span, SpanUnit};

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
            Period::Months(months) => shift_months(date, i32::from(months)).map(|(date, _)| date),
        }
    }

    fn is_empty(self) -> bool {
        matches!(self, Period::Days(0) | Period::Months(0))
    }

    /// The last day of a span of `n` of these periods starting on `first`: the day before the
    /// same date `n` periods later — or, when that month is too short to have the date, its last
    /// day (a month from 31 January runs to 28/29 February).
    fn last_day_from(self, first: Date, n: u32) -> Option<Date> {
        match self {
            Period::Days(days) => {
                first.checked_add(Duration::days(i64::from(days) * i64::from(n)))?.previous_day()
            }
            Period::Months(months) => {
                let (date, clamped) =
                    shift_months(first, i32::try_from(u32::from(months) * n).ok()?)?;
                if clamped { Some(date) } else { date.previous_day() }
            }
        }
    }

    /// The first day of the span of this period that ends on `last`: the inverse of
    /// [`Period::last_day_from`] — the last day to give notice for a term ending on `last` is the
    /// day before it.
    fn first_day_to(self, last: Date) -> Option<Date> {
        match self {
            Period::Days(days) => last.checked_sub(Duration::days(i64::from(days)))?.next_day(),
            Period::Months(months) => {
                let (date, _) = shift_months(last.next_day()?, -i32::from(months))?;
                Some(date)
            }
        }
    }
}

/// `date` moved by `months` (back when negative), its day clamped to the month's length; whether it
/// had to be.
fn shift_months(date: Date, months: i32) -> Option<(Date, bool)> {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months;
    let month = Month::try_from(index.rem_euclid(12) as u8 + 1).ok()?;
    let year = index.div_euclid(12);
    let last = time::util::days_in_month(month, year);
    let clamped = date.day() > last;
    Some((Date::from_calendar_date(year, month, date.day().min(last)).ok()?, clamped))
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
    /// The last day of term `n` (0: the first); renewal terms are counted from the first renewal's
    /// start.
    fn term_end(&self, n: u32) -> Option<Date> {
        let end = self.end?;
        if n == 0 {
            return Some(end);
        }
        self.renewal?.last_day_from(end.next_day()?, n)
    }

    /// The last day notice can be given for a term ending on `term_end`: the day before the notice
    /// period that ends with the term begins (3 months before a term ending 30 June: 31 March).
    pub fn notice_by(&self, term_end: Date) -> Option<Date> {
        self.notice.first_day_to(term_end)?.previous_day()
    }

    /// Dates that make sense: a first term that ends after it starts, a renewal that lasts.
    fn usable(&self) -> bool {
        self.end.is_none_or(|end| end >= self.start) && !self.renewal.is_some_and(Period::is_empty)
    }

    /// Where the contract stands on `day`; `None` before it starts, when its terms make no sense
    /// (an end before the start, a renewal of no length), or when its dates leave the calendar.
    pub fn standing(&self, day: Date) -> Option<Standing> {
        if day < self.start || !self.usable() {
            return None;
        }
        let Some(first_end) = self.end else {
            // Open-ended: it runs until a notice period after notice was given.
            // The last day of a notice period that starts the day after notice was given: the
            // same convention as a term's (`notice_by` of that day is the day notice was given).
            let end = match self.notice_given {
                Some(given) => {
                    Some(self.notice.last_day_from(given.max(self.start).next_day()?, 1)?)
                }
                None => None,
            };
            return Some(Standing {
                term_start: self.start,
                term_end: end,
                renewals: 0,
                notice_by: None,
                renews_on: None,
                ended: end.is_some_and(|end| day > end),
            });
        };
        let mut n = 0;
        let mut term_start = self.start;
        let mut term_end = first_end;
        loop {
            let notice_by = self.notice_by(term_end)?;
            let given_in_time = self.notice_given.is_some_and(|given| given <= notice_by);
            let renews = self.renewal.is_some() && !given_in_time;
            if day <= term_end || !renews {
                return Some(Standing {
                    term_start,
                    term_end: Some(term_end),
                    renewals: n,
                    notice_by: renews.then_some(notice_by),
                    renews_on: if renews { term_end.next_day() } else { None },
                    ended: day > term_end,
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

    /// The next notice date on or after `day` with the term end it would end the contract on —
    /// what reminders are set for: this term's, or a later one's once it passed (a notice period
    /// longer than a term passes more than one).
    pub fn next_notice(&self, day: Date) -> Option<(Date, Date)> {
        let mut next = None;
        self.dates_between(day, Date::MAX, |date, kind, term_end, _| {
            if kind == DateKind::NoticeBy {
                next = Some((date, term_end));
            }
            next.is_none()
        });
        next
    }
}

impl Terms {
    /// The next date to remind of on or after `day`: the last day to give notice, or the end of a
    /// contract that will not renew — whichever comes first. With notice given late the term running
    /// still renews, and the end after it is the date from the moment the notice is recorded.
    pub fn next_reminder(&self, day: Date) -> Option<(DateKind, Date)> {
        let mut next = None;
        self.dates_between(day, Date::MAX, |date, kind, _, _| {
            if kind != DateKind::Renews {
                next = Some((kind, date));
            }
            next.is_none()
        });
        next
    }
}

/// What falls due on a day of the renewals calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateKind {
    /// The last day to give notice before the term's end renews the contract.
    NoticeBy,
    /// The first day of a tacit renewal.
    Renews,
    /// The last day of a contract that does not renew.
    Ends,
}

impl DateKind {
    /// Its name in ids, reminders' bodies and calendar files: `notice`, `renews`, `ends`.
    pub fn code(self) -> &'static str {
        match self {
            DateKind::NoticeBy => "notice",
            DateKind::Renews => "renews",
            DateKind::Ends => "ends",
        }
    }
}

/// The Julian day number of 1970-01-01.
pub(crate) const UNIX_EPOCH_JULIAN: i32 = 2_440_588;

/// The calendar day (UTC) of `at`: the day every device agrees on, whatever its time zone.
pub fn utc_day(at: Timestamp) -> Date {
    let days = at.0.div_euclid(24 * 60 * 60 * 1000);
    i32::try_from(days)
        .ok()
        .and_then(|days| Date::from_julian_day(days + UNIX_EPOCH_JULIAN).ok())
        .unwrap_or(Date::MIN)
}

/// The moment day `day` begins in UTC: the inverse of [`utc_day`].
pub fn utc_midnight(day: Date) -> Timestamp {
    Timestamp(i64::from(day.to_julian_day() - UNIX_EPOCH_JULIAN) * 24 * 60 * 60 * 1000)
}

/// A day in the renewals calendar: which contract, what, and the term it concerns (the key a
/// reminder of it is sent once for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarDate<Id> {
    pub date: Date,
    pub kind: DateKind,
    pub contract: Id,
    pub term_end: Date,
    /// Which term (0: the first): what stays the same when the contract's dates are edited.
    pub term: u32,
}

/// Every notice date, renewal and end of `contracts` from `from` to `to` (both included), by date
/// then kind — the renewals calendar, and what reminders are derived from.
pub fn calendar<'a, Id: Copy + 'a>(
    contracts: impl IntoIterator<Item = (Id, &'a Terms)>,
    from: Date,
    to: Date,
) -> Vec<CalendarDate<Id>> {
    let mut dates = Vec::new();
    for (contract, terms) in contracts {
        terms.dates_between(from, to, |date, kind, term_end, term| {
            dates.push(CalendarDate { date, kind, contract, term_end, term });
            true
        });
    }
    dates.sort_by_key(|entry| (entry.date, entry.kind));
    dates
}

impl Terms {
    /// Calls `found` for each notice date, renewal and end from `from` to `to`, term by term (each
    /// term after the first found in constant time), until it returns `false`.
    fn dates_between(
        &self,
        from: Date,
        to: Date,
        mut found: impl FnMut(Date, DateKind, Date, u32) -> bool,
    ) {
        let Some(standing) = self.standing(from.max(self.start)) else { return };
        let within = |date: Date| from <= date && date <= to;
        if self.end.is_none() {
            // Open-ended: only its end, once notice was given.
            if let Some(end) = standing.term_end.filter(|end| within(*end)) {
                found(end, DateKind::Ends, end, 0);
            }
            return;
        }
        // From the term before the one running on `from`: its renewal may be that very day.
        let mut n = standing.renewals.saturating_sub(1);
        let Some(mut term_end) = self.term_end(n) else { return };
        loop {
            let Some(notice_by) = self.notice_by(term_end) else { return };
            let given_in_time = self.notice_given.is_some_and(|given| given <= notice_by);
            let renews = self.renewal.is_some() && !given_in_time;
            if !renews {
                if within(term_end) {
                    found(term_end, DateKind::Ends, term_end, n);
                }
                return;
            }
            if within(notice_by) && !found(notice_by, DateKind::NoticeBy, term_end, n) {
                return;
            }
            let Some(renews_on) = term_end.next_day() else { return };
            if within(renews_on) && !found(renews_on, DateKind::Renews, term_end, n) {
                return;
            }
            // Past the window: later terms' dates come later still (their notice dates too, as the
            // notice period is the same for every term).
            if notice_by > to || n >= MOST_RENEWALS {
                return;
            }
            n += 1;
            let Some(next) = self.term_end(n) else { return };
            term_end = next;
        }
    }
}

/// The date that matters next about a contract, as lists say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outlook {
    /// No start date yet.
    Draft,
    /// Its dates make no sense (its first term ends before it starts).
    Invalid,
    Starts(Date),
    /// It renews unless notice is given by this day.
    NoticeBy(Date),
    /// The notice date of this term has passed: it renews on this day.
    Renews(Date),
    /// It ends on this day (it does not renew, or notice was given).
    Ends(Date),
    Ended(Date),
    /// It runs until notice is given.
    OpenEnded,
}

impl Outlook {
    pub fn of(terms: Option<&Terms>, day: Date) -> Outlook {
        let Some(terms) = terms else { return Outlook::Draft };
        if !terms.usable() {
            return Outlook::Invalid;
        }
        if day < terms.start {
            return Outlook::Starts(terms.start);
        }
        let Some(standing) = terms.standing(day) else { return Outlook::Invalid };
        match (standing.term_end, standing.notice_by, standing.renews_on) {
            (Some(end), _, _) if standing.ended => Outlook::Ended(end),
            (_, Some(by), _) if by >= day => Outlook::NoticeBy(by),
            (_, _, Some(renews)) => Outlook::Renews(renews),
            (Some(end), _, None) => Outlook::Ends(end),
            (None, _, _) => Outlook::OpenEnded,
        }
    }
}

/// The notice dates and ends that a member should see on Today: the next of each kind of the
/// contracts they own (or nobody owns) falling from `today` to `remind_days` ahead — the window their
/// reminder opens —, by date.
pub fn due_soon<'a>(
    rows: impl IntoIterator<Item = &'a ContractRow>,
    me: Option<MemberId>,
    today: Date,
) -> Vec<CalendarDate<ContractId>> {
    let mut dates = Vec::new();
    let mine = |row: &&ContractRow| !row.archived && (row.owner.is_none() || row.owner == me);
    for row in rows.into_iter().filter(mine) {
        let Some(terms) = row.terms() else { continue };
        let to = today.saturating_add(Duration::days(i64::from(row.remind_days)));
        // The first of each kind only, as one reminder is pushed for it: a monthly contract with
        // more reminder days than a month has two notice dates in the window.
        let (mut notice, mut end) = (false, false);
        terms.dates_between(today, to, |date, kind, term_end, term| {
            let seen = match kind {
                DateKind::NoticeBy => std::mem::replace(&mut notice, true),
                DateKind::Ends => std::mem::replace(&mut end, true),
                DateKind::Renews => true,
            };
            if !seen {
                dates.push(CalendarDate { date, kind, contract: row.id, term_end, term });
            }
            !(notice && end)
        });
    }
    dates.sort_by_key(|entry| (entry.date, entry.kind));
    dates
}

/// A day written `YYYY-MM-DD`, as contracts store their dates; `None` for anything else.
pub fn parse_day(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
    let month: u8 = parts.next().filter(|m| m.len() == 2)?.parse().ok()?;
    let day: u8 = parts.next().filter(|d| d.len() == 2)?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// `date` as contracts store it, `YYYY-MM-DD`.
pub fn write_day(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

impl From<Span> for Period {
    fn from(span: Span) -> Period {
        let count = u16::try_from(span.count).unwrap_or(u16::MAX);
        match span.unit {
            SpanUnit::Days => Period::Days(count),
            SpanUnit::Months => Period::Months(count),
        }
    }
}

/// A contract as lists, the calendar and reminders use it: what it is, and its dates as days
/// (Julian day numbers, so that rows need no date format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractRow {
    pub id: ContractId,
    pub party: PartyId,
    pub title: String,
    /// [`crate::model::ContractKind::code`].
    pub kind: String,
    pub value_minor: i64,
    pub currency: String,
    /// [`crate::model::Billing::code`].
    pub billing: String,
    pub owner: Option<MemberId>,
    pub remind_days: u32,
    start: Option<i32>,
    end: Option<i32>,
    notice: Option<Period>,
    renewal: Option<Period>,
    notice_given: Option<i32>,
    pub signed: bool,
    pub created_at: Timestamp,
    /// Deleted: kept as a row so that its reminders are cancelled; listed nowhere.
    pub archived: bool,
}

impl ContractRow {
    pub fn of(id: ContractId, contract: &Contract) -> ContractRow {
        let julian = |text: &str| parse_day(text).map(Date::to_julian_day);
        ContractRow {
            id,
            party: contract.party,
            title: contract.title.clone(),
            kind: contract.kind.code().to_owned(),
            value_minor: contract.value.minor,
            currency: contract.value.currency.clone(),
            billing: contract.billing.code().to_owned(),
            owner: contract.owner,
            remind_days: contract.remind_days,
            start: julian(&contract.starts),
            end: julian(&contract.ends),
            notice: contract.notice.map(Period::from),
            renewal: contract.renewal.map(Period::from),
            notice_given: julian(&contract.notice_given),
            signed: parse_day(&contract.signed).is_some(),
            created_at: contract.created_at,
            archived: contract.archived,
        }
    }

    /// Its dates as [`Terms`]; `None` without a start (a contract being drafted has no dates yet).
    pub fn terms(&self) -> Option<Terms> {
        let day = |julian: Option<i32>| julian.and_then(|j| Date::from_julian_day(j).ok());
        Some(Terms {
            start: day(self.start)?,
            end: day(self.end),
            // No notice period: notice can be given until the term's last day.
            notice: self.notice.unwrap_or(Period::Days(0)),
            renewal: self.renewal,
            notice_given: day(self.notice_given),
        })
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
    fn today_lists_the_notice_dates_and_ends_whose_reminder_window_is_open_for_their_owner() {
        use crate::model::{Billing, Contract, ContractKind, Money, Span, SpanUnit};
        let anna = MemberId::from_bytes([1; 16]);
        let boris = MemberId::from_bytes([2; 16]);
        let contract = |n: u8, owner, ends: &str, given: &str, every: u32, remind: u32| {
            let contract = Contract {
                party: PartyId::from_bytes([9; 16]),
                title: format!("Contract {n}"),
                kind: ContractKind::Customer,
                value: Money::default(),
                billing: Billing::Once,
                starts: "2027-01-01".into(),
                ends: ends.into(),
                notice: Some(Span { count: 1, unit: SpanUnit::Months }),
                renewal: Some(Span { count: every, unit: SpanUnit::Months }),
                notice_given: given.into(),
                signed: String::new(),
                owner,
                remind_days: remind,
                obligations: Default::default(),
                notes: Default::default(),
                files: Default::default(),
                created_at: Timestamp(0),
                archived: false,
            };
            ContractRow::of(ContractId::from_bytes([n; 16]), &contract)
        };
        let rows = [
            // Notice by 31 May: in Anna's window from 17 May.
            contract(1, Some(anna), "2027-06-30", "", 12, 14),
            // Boris's: not on Anna's Today.
            contract(2, Some(boris), "2027-06-30", "", 12, 14),
            // Nobody's, notice given: its end on 10 June is within 14 days of 27 May.
            contract(3, None, "2027-06-10", "2027-03-01", 12, 14),
            // Notice by 30 June: not yet.
            contract(4, None, "2027-07-31", "", 12, 14),
            // Renewed monthly, reminded 45 days ahead: notice by 31 May, 30 June, 31 July… — only
            // the first is listed, as only its reminder is pushed.
            contract(5, Some(anna), "2027-06-30", "", 1, 45),
        ];
        let ids = |day| -> Vec<(u8, DateKind)> {
            due_soon(&rows, Some(anna), day)
                .into_iter()
                .map(|date| (date.contract.as_bytes()[0], date.kind))
                .collect()
        };
        let (notice, ends) = (DateKind::NoticeBy, DateKind::Ends);
        assert_eq!(ids(d(2027, 4, 15)), []);
        assert_eq!(ids(d(2027, 4, 16)), [(5, notice)]);
        assert_eq!(ids(d(2027, 5, 17)), [(1, notice), (5, notice)]);
        assert_eq!(ids(d(2027, 5, 27)), [(1, notice), (5, notice), (3, ends)]);
        // Past its day, a date leaves the list; the monthly one's next notice date takes its place.
        let june = due_soon(&rows, Some(anna), d(2027, 6, 1));
        let june: Vec<_> =
            june.iter().map(|date| (date.contract.as_bytes()[0], date.kind, date.date)).collect();
        assert_eq!(june, [(3, ends, d(2027, 6, 10)), (5, notice, d(2027, 6, 30))]);
    }

    #[test]
    fn the_outlook_names_the_next_date_that_matters() {
        let yearly = Some(Period::Months(12));
        let t = terms(d(2027, 1, 1), d(2027, 12, 31), Period::Months(3), yearly);
        assert_eq!(Outlook::of(None, d(2027, 5, 1)), Outlook::Draft);
        assert_eq!(Outlook::of(Some(&t), d(2026, 12, 1)), Outlook::Starts(d(2027, 1, 1)));
        assert_eq!(Outlook::of(Some(&t), d(2027, 5, 1)), Outlook::NoticeBy(d(2027, 9, 30)));
        assert_eq!(Outlook::of(Some(&t), d(2027, 9, 30)), Outlook::NoticeBy(d(2027, 9, 30)));
        assert_eq!(Outlook::of(Some(&t), d(2027, 10, 1)), Outlook::Renews(d(2028, 1, 1)));
        let given = Terms { notice_given: Some(d(2027, 6, 1)), ..t };
        assert_eq!(Outlook::of(Some(&given), d(2027, 7, 1)), Outlook::Ends(d(2027, 12, 31)));
        assert_eq!(Outlook::of(Some(&given), d(2028, 1, 1)), Outlook::Ended(d(2027, 12, 31)));
        let backwards = terms(d(2027, 1, 1), d(2026, 12, 31), Period::Days(0), None);
        assert_eq!(Outlook::of(Some(&backwards), d(2027, 5, 1)), Outlook::Invalid);
        let open = Terms { end: None, renewal: None, ..t };
        assert_eq!(Outlook::of(Some(&open), d(2027, 5, 1)), Outlook::OpenEnded);
    }

    #[test]
    fn a_monthly_renewal_from_a_month_end_keeps_to_month_ends() {
        let monthly = Some(Period::Months(1));
        let t = terms(d(2027, 1, 1), d(2027, 1, 31), Period::Days(10), monthly);
        let ends: Vec<Date> = [d(2027, 2, 10), d(2027, 3, 10), d(2027, 4, 10)]
            .iter()
            .map(|day| t.standing(*day).unwrap().term_end.unwrap())
            .collect();
        assert_eq!(ends, [d(2027, 2, 28), d(2027, 3, 31), d(2027, 4, 30)]);
        let feb = t.standing(d(2027, 2, 10)).unwrap();
        assert_eq!((feb.term_start, feb.renewals), (d(2027, 2, 1), 1));
        assert_eq!(feb.notice_by, Some(d(2027, 2, 18)));
        assert_eq!(feb.renews_on, Some(d(2027, 3, 1)));
        // In a leap year February has 29 days.
        let t = terms(d(2028, 1, 1), d(2028, 1, 31), Period::Days(10), monthly);
        assert_eq!(t.standing(d(2028, 2, 29)).unwrap().term_end, Some(d(2028, 2, 29)));
        // Terms from the 31st: a month runs to the last day of a shorter month, not the day before.
        let t = terms(d(2027, 1, 1), d(2027, 1, 30), Period::Days(0), monthly);
        let feb = t.standing(d(2027, 2, 10)).unwrap();
        assert_eq!((feb.term_start, feb.term_end), (d(2027, 1, 31), Some(d(2027, 2, 28))));
        assert_eq!(t.standing(d(2027, 3, 10)).unwrap().term_end, Some(d(2027, 3, 30)));
    }

    #[test]
    fn the_last_day_for_notice_is_the_day_before_the_notice_period_that_ends_the_term() {
        let quarter = Period::Months(3);
        let t = terms(d(2027, 1, 1), d(2027, 6, 30), quarter, Some(Period::Months(12)));
        assert_eq!(t.notice_by(d(2027, 6, 30)), Some(d(2027, 3, 31)));
        assert_eq!(t.notice_by(d(2027, 2, 28)), Some(d(2026, 11, 30)));
        assert_eq!(t.notice_by(d(2027, 12, 31)), Some(d(2027, 9, 30)));
        let t = Terms { notice: Period::Days(30), ..t };
        assert_eq!(t.notice_by(d(2027, 6, 30)), Some(d(2027, 5, 31)));
    }

    #[test]
    fn notice_given_in_time_ends_it_with_that_term_and_late_notice_with_the_next() {
        let yearly = Some(Period::Months(12));
        let mut t = terms(d(2027, 1, 1), d(2027, 12, 31), Period::Months(3), yearly);
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
            "a day late: a year"
        );
    }

    #[test]
    fn a_notice_period_longer_than_a_term_points_at_a_later_term() {
        // Renewed monthly, three months' notice: on 10 March, ending with March is too late, and
        // so are April and May; the first term notice still ends is June's (by 31 March).
        let t = terms(d(2027, 1, 1), d(2027, 1, 31), Period::Months(3), Some(Period::Months(1)));
        assert_eq!(t.next_notice(d(2027, 3, 10)), Some((d(2027, 3, 31), d(2027, 6, 30))));
        let (notice_by, _) = t.next_notice(d(2027, 1, 5)).unwrap();
        assert!(notice_by >= d(2027, 1, 5), "never a day already past: {notice_by}");
    }

    #[test]
    fn without_renewal_or_end_there_is_no_notice_date_and_nonsense_has_no_dates() {
        let fixed = terms(d(2027, 1, 1), d(2027, 6, 30), Period::Days(30), None);
        let standing = fixed.standing(d(2027, 3, 1)).unwrap();
        assert_eq!((standing.notice_by, standing.renews_on, standing.ended), (None, None, false));
        assert!(fixed.standing(d(2027, 7, 1)).unwrap().ended);
        assert_eq!(fixed.standing(d(2026, 12, 31)), None, "not started");
        // Open-ended: it runs until a notice period after notice was given.
        let mut open = Terms { end: None, ..fixed };
        assert_eq!(open.standing(d(2030, 1, 1)).unwrap().term_end, None);
        assert_eq!(open.next_notice(d(2030, 1, 1)), None);
        open.notice_given = Some(d(2030, 1, 1));
        assert_eq!(open.standing(d(2030, 1, 15)).unwrap().term_end, Some(d(2030, 1, 31)));
        assert!(open.standing(d(2030, 2, 1)).unwrap().ended);
        // A month's notice given on 28 February ends it on 31 March (notice by 28 February is in
        // time for a term ending then); the calendar says the same, and lists nothing else.
        let open_monthly = Terms {
            start: d(2027, 1, 1),
            end: None,
            notice: Period::Months(1),
            renewal: Some(Period::Months(1)),
            notice_given: Some(d(2027, 2, 28)),
        };
        assert_eq!(open_monthly.standing(d(2027, 3, 1)).unwrap().term_end, Some(d(2027, 3, 31)));
        assert_eq!(open_monthly.notice_by(d(2027, 3, 31)), Some(d(2027, 2, 28)));
        let dates: Vec<(Date, DateKind)> =
            calendar([(0, &open_monthly)], d(2027, 1, 1), d(2027, 12, 31))
                .iter()
                .map(|entry| (entry.date, entry.kind))
                .collect();
        assert_eq!(dates, [(d(2027, 3, 31), DateKind::Ends)]);
        // An end before the start, or a renewal of no length: no dates rather than a wrong one.
        let backwards = terms(d(2027, 6, 1), d(2027, 5, 31), Period::Days(1), None);
        assert_eq!(backwards.standing(d(2027, 7, 1)), None);
        let endless = terms(d(2027, 1, 1), d(2027, 1, 31), Period::Days(1), Some(Period::Days(0)));
        assert_eq!(endless.standing(d(2027, 2, 2)), None);
    }

    /// Independent of `time`'s arithmetic: a month added by hand, year and month as integers, and
    /// whether the month was too short for the day.
    fn plus_months(date: Date, months: i64) -> (i32, u32, u32, bool) {
        let (year, month, day) = ymd(date);
        let index = i64::from(year) * 12 + i64::from(month) - 1 + months;
        let (y, m) = (index.div_euclid(12) as i32, index.rem_euclid(12) as u32 + 1);
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let last = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (y, m, day.min(last), day > last)
    }

    fn ymd(date: Date) -> (i32, u32, u32) {
        (date.year(), u32::from(u8::from(date.month())), u32::from(date.day()))
    }

    fn date_of((y, m, day, _): (i32, u32, u32, bool)) -> Date {
        d(y, m as u8, day as u8)
    }

    #[test]
    fn the_calendar_lists_notice_dates_renewals_and_ends_in_a_window_by_date() {
        let yearly =
            terms(d(2027, 1, 1), d(2027, 12, 31), Period::Months(3), Some(Period::Months(12)));
        let fixed = terms(d(2027, 1, 1), d(2028, 2, 29), Period::Days(30), None);
        let monthly =
            terms(d(2027, 1, 1), d(2027, 1, 31), Period::Days(10), Some(Period::Months(1)));
        let contracts = [("yearly", &yearly), ("fixed", &fixed), ("monthly", &monthly)];
        let dates = calendar(contracts, d(2027, 9, 1), d(2028, 2, 29));
        let yearly_dates: Vec<(Date, DateKind)> = dates
            .iter()
            .filter(|entry| entry.contract == "yearly")
            .map(|entry| (entry.date, entry.kind))
            .collect();
        assert_eq!(
            yearly_dates,
            [(d(2027, 9, 30), DateKind::NoticeBy), (d(2028, 1, 1), DateKind::Renews)]
        );
        let ends: Vec<&str> =
            dates.iter().filter(|e| e.kind == DateKind::Ends).map(|e| e.contract).collect();
        assert_eq!(ends, ["fixed"]);
        // Monthly: six notice dates (the 20th or 18th/19th) and six renewals in the window.
        let monthly_count = dates.iter().filter(|e| e.contract == "monthly").count();
        assert_eq!(monthly_count, 12);
        assert!(dates.windows(2).all(|pair| pair[0].date <= pair[1].date), "by date");
        // Every date is the one `standing` gives for its term.
        for entry in &dates {
            let terms = contracts.iter().find(|(id, _)| *id == entry.contract).unwrap().1;
            let standing = terms.standing(entry.term_end).unwrap();
            match entry.kind {
                DateKind::NoticeBy => assert_eq!(standing.notice_by, Some(entry.date)),
                DateKind::Renews => assert_eq!(standing.renews_on, Some(entry.date)),
                DateKind::Ends => assert_eq!(standing.term_end, Some(entry.date)),
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// On 1,000 generated contracts (starts over eight years, month ends, leap years, tacit
        /// renewals): every term end is where counting months by hand from the first renewal's start
        /// lands — the day before, or the short month's last day —; the term contains the day; and
        /// the last day for notice is the day before the notice period, counted back by hand from the
        /// day after the term.
        #[test]
        fn term_and_notice_dates_match_months_counted_by_hand(
            start_offset in 0i64..3_000,
            first_months in 1i64..36,
            renewal_months in 1u16..24,
            notice_months in 0u16..6,
            later in 0i64..4_000,
        ) {
            let start = d(2020, 1, 1) + Duration::days(start_offset);
            let end = date_of(plus_months(start, first_months)).previous_day().unwrap();
            let renewal = Some(Period::Months(renewal_months));
            let t = terms(start, end, Period::Months(notice_months), renewal);
            let day = start + Duration::days(later);
            let standing = t.standing(day).unwrap();
            let term_end = standing.term_end.unwrap();
            proptest::prop_assert!(standing.term_start <= day && day <= term_end);
            if standing.renewals > 0 {
                let anchor = end.next_day().unwrap();
                let months = i64::from(renewal_months) * i64::from(standing.renewals);
                let landed = plus_months(anchor, months);
                let expected = if landed.3 { date_of(landed) } else { date_of(landed).previous_day().unwrap() };
                proptest::prop_assert_eq!(term_end, expected);
            } else {
                proptest::prop_assert_eq!(term_end, end);
            }
            let back = plus_months(term_end.next_day().unwrap(), -i64::from(notice_months));
            let expected_notice = date_of(back).previous_day().unwrap();
            proptest::prop_assert_eq!(standing.notice_by, Some(expected_notice));
            let (next_notice, _) = t.next_notice(day).unwrap();
            proptest::prop_assert!(next_notice >= day);
        }
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        /// The calendar's renewals and ends are exactly the days `standing`, asked day by day, says
        /// a renewal starts or the contract's last term ends — no date missed or listed twice at a
        /// window's edges.
        #[test]
        fn the_calendar_agrees_with_standing_day_by_day(
            start_offset in 0i64..2_000,
            first_days in 1i64..800,
            renewal in proptest::prop_oneof![
                proptest::strategy::Just(None),
                (1u16..13).prop_map(|m| Some(Period::Months(m))),
                (1u16..90).prop_map(|n| Some(Period::Days(n))),
            ],
            notice_days in 0u16..60,
            given_offset in proptest::option::of(0i64..1_500),
            window_offset in -100i64..1_500,
        ) {
            let start = d(2020, 1, 1) + Duration::days(start_offset);
            let end = start + Duration::days(first_days);
            let notice_given = given_offset.map(|days| start + Duration::days(days));
            let t = Terms { start, end: Some(end), notice: Period::Days(notice_days), renewal, notice_given };
            let from = start + Duration::days(window_offset);
            let to = from + Duration::days(200);
            let listed = calendar([(0, &t)], from, to);
            let mut renewals = Vec::new();
            let mut ends = Vec::new();
            let mut day = from;
            while day <= to {
                if let Some(standing) = t.standing(day) {
                    if standing.term_start == day && standing.renewals > 0 {
                        renewals.push(day);
                    }
                    if standing.term_end == Some(day) && standing.renews_on.is_none() {
                        ends.push(day);
                    }
                }
                day = day.next_day().unwrap();
            }
            let of = |kind: DateKind| -> Vec<Date> {
                listed.iter().filter(|entry| entry.kind == kind).map(|entry| entry.date).collect()
            };
            proptest::prop_assert_eq!(of(DateKind::Renews), renewals);
            proptest::prop_assert_eq!(of(DateKind::Ends), ends);
            for entry in listed.iter().filter(|entry| entry.kind == DateKind::NoticeBy) {
                proptest::prop_assert_eq!(t.standing(entry.term_end).unwrap().notice_by, Some(entry.date));
            }
        }
    }
}
