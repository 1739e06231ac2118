//! Employees, decided: who someone is at work as the lists show it, the 1:1's agenda (what carries
//! over, what a closed meeting keeps), the ids that make two devices agree, and the reminders a
//! training's expiry calls for.
//!
//! **1:1s.** Both sides add talking points to one shared record. A point stays on the agenda until
//! it is marked done *and* a meeting is closed: closing files the done points under that meeting
//! (keyed by its day, so two devices closing the same meeting record one) and leaves the rest for
//! the next — "carried over", and the agenda says how many meetings each has waited. An action item
//! is a point that became a task, whose id derives from the point ([`action_task`]), so making it
//! twice, or on two devices, makes one task. Private notes are not here: each person's live in
//! their private document ([`crate::model::PrivateNotes`]), which only their own devices receive.

use serde::{Deserialize, Serialize};

use crate::contract::{parse_day, utc_midnight, write_day};
use std::collections::BTreeMap;

use crate::ids::{KudosId, MemberId, OneOnOneId, PartyId, TaskId, Timestamp, WorkspaceId};
use crate::jobs::{CLOCK_SKEW_MS, Job};
use crate::model::{Employment, Kudos, OneOnOne, TalkingPoint};
use crate::outbox::{DUE_SPAN, Notify, OutboxId, Work};
use crate::read_model::ReadModel;

/// What a party's record says of them as an employee, for lists and the team page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeRow {
    pub title: String,
    pub team: String,
    pub manager: Option<PartyId>,
    pub member: Option<MemberId>,
    pub start_date: String,
    /// (skill, level), by skill.
    pub skills: Vec<(String, u8)>,
    pub trainings: Vec<TrainingRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingRow {
    /// The training id as text.
    pub key: String,
    pub name: String,
    pub completed: String,
    /// Its last valid day (Julian); `None` when it does not expire.
    pub expires: Option<i32>,
    /// Removed: listed nowhere, its reminder cancelled.
    pub archived: bool,
}

impl EmployeeRow {
    /// `None` for a record with nothing of an employee on it.
    pub fn of(employment: &Employment) -> Option<EmployeeRow> {
        if *employment == Employment::default() {
            return None;
        }
        let mut trainings: Vec<TrainingRow> = employment
            .trainings
            .iter()
            .map(|(key, training)| TrainingRow {
                key: key.clone(),
                name: training.name.clone(),
                completed: training.completed.clone(),
                expires: parse_day(&training.expires).map(time::Date::to_julian_day),
                archived: training.archived,
            })
            .collect();
        trainings.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key)));
        Some(EmployeeRow {
            title: employment.title.clone(),
            team: employment.team.clone(),
            manager: employment.manager,
            member: employment.member,
            start_date: employment.start_date.clone(),
            skills: employment.skills.iter().map(|(name, level)| (name.clone(), *level)).collect(),
            trainings,
        })
    }
}

/// A 1:1 as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneOnOneRow {
    pub id: OneOnOneId,
    pub manager: MemberId,
    pub report: MemberId,
    pub every_weeks: u8,
    /// The next meeting's day, `YYYY-MM-DD`, or empty.
    pub next: String,
    /// Points on the next agenda.
    pub open_points: u32,
    /// The day of the last meeting held, or empty.
    pub last_met: String,
    pub created_at: Timestamp,
    pub archived: bool,
}

impl OneOnOneRow {
    pub fn of(id: OneOnOneId, one: &OneOnOne) -> OneOnOneRow {
        OneOnOneRow {
            id,
            manager: one.manager,
            report: one.report,
            every_weeks: one.every_weeks,
            next: one.next.clone(),
            open_points: agenda(one).len() as u32,
            last_met: one.meetings.values().map(|m| m.day.clone()).max().unwrap_or_default(),
            created_at: one.created_at,
            archived: one.archived,
        }
    }

    /// Whether `member` is one of its two sides.
    pub fn involves(&self, member: MemberId) -> bool {
        self.manager == member || self.report == member
    }
}

/// A point on the next agenda, with how many meetings it has already waited through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaPoint<'a> {
    pub key: &'a str,
    pub point: &'a TalkingPoint,
    pub carried: u32,
}

/// The next meeting's agenda: the talking points not yet filed under a meeting (action items are
/// tasks and listed apart), in the order both sides gave them.
pub fn agenda(one: &OneOnOne) -> Vec<AgendaPoint<'_>> {
    let mut points: Vec<AgendaPoint<'_>> = one
        .points
        .iter()
        .filter(|(_, point)| point.meeting.is_none() && point.task.is_none())
        .map(|(key, point)| AgendaPoint {
            key,
            point,
            carried: one.meetings.values().filter(|meeting| meeting.at > point.at).count() as u32,
        })
        .collect();
    points.sort_by(|a, b| {
        (a.point.position, a.point.at, a.key).cmp(&(b.point.position, b.point.at, b.key))
    });
    points
}

/// The action items agreed, newest first: (point key, point, task id).
pub fn action_items(one: &OneOnOne) -> Vec<(&str, &TalkingPoint, TaskId)> {
    let mut items: Vec<(&str, &TalkingPoint, TaskId)> = one
        .points
        .iter()
        .filter_map(|(key, point)| Some((key.as_str(), point, point.task?)))
        .collect();
    items.sort_by(|a, b| (b.1.at, b.0).cmp(&(a.1.at, a.0)));
    items
}

/// The position that puts a new point last on the agenda.
pub fn next_position(one: &OneOnOne) -> i64 {
    agenda(one).iter().map(|p| p.point.position).max().map_or(0, |last| last + 1)
}

/// Moves point `key` one place up the agenda: it takes a position just before the point above it,
/// so only its own position is written and a colleague's reordering elsewhere at once is kept; when
/// no whole number fits between (equal or neighbouring positions), the agenda is numbered afresh
/// in its new order.
pub fn move_up(one: &mut OneOnOne, key: &str) {
    let order: Vec<(String, i64)> =
        agenda(one).iter().map(|p| (p.key.to_owned(), p.point.position)).collect();
    let Some(at) = order.iter().position(|(k, _)| k == key) else { return };
    if at == 0 {
        return;
    }
    let above = order[at - 1].1;
    let room = at < 2 || order[at - 2].1 < above - 1;
    if room {
        if let Some(point) = one.points.get_mut(key) {
            point.position = above - 1;
        }
        return;
    }
    let mut keys: Vec<String> = order.into_iter().map(|(k, _)| k).collect();
    keys.swap(at - 1, at);
    for (position, key) in keys.iter().enumerate() {
        if let Some(point) = one.points.get_mut(key)
            && point.position != position as i64 * 2
        {
            point.position = position as i64 * 2;
        }
    }
}

/// What closing the meeting held on `day` does to `one`: the meeting is recorded under its day, the
/// points marked done are filed under it, the rest carry over, and the next meeting is planned a
/// cadence after the one just held — counted from the planned day when it was held early, so
/// meeting a day ahead of plan keeps the rhythm. Closing the same day again (on another device, or
/// twice) files the points done since and changes nothing else: two devices closing at once write
/// the same values.
pub fn close_meeting(one: &mut OneOnOne, day: time::Date, by: MemberId, at: Timestamp) {
    let key = write_day(day);
    let first = !one.meetings.contains_key(&key);
    one.meetings.entry(key.clone()).or_insert(crate::model::Meeting { day: key.clone(), by, at });
    for point in one.points.values_mut() {
        if point.meeting.is_none() && point.done {
            point.meeting = Some(key.clone());
        }
    }
    if first {
        let held = parse_day(&one.next).map_or(day, |planned| planned.max(day));
        let weeks = i64::from(one.every_weeks.max(1));
        one.next = write_day(held.saturating_add(time::Duration::weeks(weeks)));
    }
}

/// The task an action item becomes: its id derives from the 1:1 and the point, so two devices (or
/// two taps) make one task.
pub fn action_task(workspace: WorkspaceId, one: OneOnOneId, point: &str) -> TaskId {
    TaskId::from_bytes(crate::outbox::derived_uuid(
        workspace,
        &["one-on-one-action", &one.to_string(), point],
    ))
}

/// Every 1:1 `member` is part of, the next to happen first (those with no date last).
pub fn one_on_ones_of(model: &ReadModel, member: MemberId) -> Vec<&OneOnOneRow> {
    let mut rows: Vec<&OneOnOneRow> =
        model.one_on_ones.values().filter(|row| !row.archived && row.involves(member)).collect();
    rows.sort_by(|a, b| {
        (a.next.is_empty(), &a.next, a.id).cmp(&(b.next.is_empty(), &b.next, b.id))
    });
    rows
}

/// The member account of `member`'s manager, as their employee records say (the record whose
/// account is `member`, its manager's record and that record's account).
pub fn manager_of(model: &ReadModel, member: MemberId) -> Option<MemberId> {
    let employment = |party: &crate::read_model::PartyRow| {
        party.employee.as_deref().filter(|_| !party.archived).cloned()
    };
    let mine = model.parties.values().filter_map(employment).find(|e| e.member == Some(member))?;
    let manager = model.parties.get(&mine.manager?).and_then(employment)?;
    manager.member.filter(|m| *m != member)
}

/// The member accounts of those whose records name `member`'s record as their manager.
pub fn reports_of(model: &ReadModel, member: MemberId) -> Vec<MemberId> {
    let Some(me) = model.parties.values().find(|party| {
        !party.archived && party.employee.as_deref().is_some_and(|e| e.member == Some(member))
    }) else {
        return Vec::new();
    };
    let mut reports: Vec<MemberId> = model
        .parties
        .values()
        .filter(|party| !party.archived)
        .filter_map(|party| party.employee.as_deref())
        .filter(|e| e.manager == Some(me.id))
        .filter_map(|e| e.member)
        .filter(|m| *m != member)
        .collect();
    reports.sort();
    reports.dedup();
    reports
}

/// Writes `text` as this member's private note on `record` (its id as text) in their private
/// document, changing only what differs so notes typed on two of their devices merge.
pub fn write_private_note(
    doc: &mut automerge::AutoCommit,
    record: &str,
    text: &str,
) -> Result<(), crate::document::DocumentError> {
    let mut note: autosurgeon::Text = crate::document::get(&*doc, record)?.unwrap_or_default();
    if note.as_str() == text {
        return Ok(());
    }
    note.update(text);
    crate::document::put(doc, record, &note)
}

/// Kudos as the feed shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KudosRow {
    pub id: KudosId,
    pub from: MemberId,
    pub to: Vec<PartyId>,
    pub value: String,
    pub message: String,
    pub at: Timestamp,
    pub archived: bool,
}

impl KudosRow {
    pub fn of(id: KudosId, kudos: &Kudos) -> KudosRow {
        KudosRow {
            id,
            from: kudos.from,
            to: kudos.to.clone(),
            value: kudos.value.clone(),
            message: kudos.message.clone(),
            at: kudos.at,
            archived: kudos.archived,
        }
    }
}

/// How often someone was recognised, and for which values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognised {
    pub party: PartyId,
    pub count: u32,
    /// Value → how many kudos named it (none: "" ).
    pub values: BTreeMap<String, u32>,
}

/// Kudos since `since`, counted per person (most recognised first, then by id) and per value.
/// Kudos naming someone twice count once for them.
pub fn recognition<'a>(
    kudos: impl IntoIterator<Item = &'a KudosRow>,
    since: Timestamp,
) -> (Vec<Recognised>, BTreeMap<String, u32>) {
    let mut people: BTreeMap<PartyId, Recognised> = BTreeMap::new();
    let mut values: BTreeMap<String, u32> = BTreeMap::new();
    for row in kudos.into_iter().filter(|row| !row.archived && row.at >= since) {
        *values.entry(row.value.clone()).or_default() += 1;
        let mut to = row.to.clone();
        to.sort();
        to.dedup();
        for party in to {
            let entry = people.entry(party).or_insert_with(|| Recognised {
                party,
                count: 0,
                values: BTreeMap::new(),
            });
            entry.count += 1;
            *entry.values.entry(row.value.clone()).or_default() += 1;
        }
    }
    let mut people: Vec<Recognised> = people.into_values().collect();
    people.sort_by(|a, b| b.count.cmp(&a.count).then(a.party.cmp(&b.party)));
    (people, values)
}

/// How long before a training expires its holder and their manager are reminded (30 days).
pub const TRAINING_REMIND_DAYS: i64 = 30;

/// The hour (UTC) training reminders are pushed at, as contract reminders are.
const REMINDER_HOUR: i64 = 9;

pub fn training_reminder_id(workspace: WorkspaceId, party: PartyId, training: &str) -> OutboxId {
    OutboxId::from_cause(workspace, &["reminder", "training", &party.to_string(), training])
}

/// Reminders that a training expires, pushed [`TRAINING_REMIND_DAYS`] before its last valid day at
/// 09:00 UTC to its holder (when they have an account here) and their manager. The moment derives
/// from the record alone, so every device asks for the same job; one removed, archived or renewed
/// past its date is cancelled or replaced. As for contracts, nothing is asked in the last hour of
/// the expiry day, when devices' clocks may disagree on whether it has passed.
pub fn training_jobs(model: &ReadModel, workspace: WorkspaceId, now: Timestamp) -> Vec<Job> {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let mut jobs = Vec::new();
    for party in model.parties.values() {
        let Some(employee) = party.employee.as_deref() else { continue };
        let mut to: Vec<MemberId> = employee.member.into_iter().collect();
        let manager = employee.manager.and_then(|manager| model.parties.get(&manager));
        to.extend(manager.and_then(|manager| manager.employee.as_deref()?.member));
        to.sort();
        to.dedup();
        for training in &employee.trainings {
            let id = training_reminder_id(workspace, party.id, &training.key);
            let expires = training.expires.and_then(|day| time::Date::from_julian_day(day).ok());
            let live = !party.archived && !training.archived && !to.is_empty();
            let Some(expires) = expires.filter(|_| live) else {
                jobs.push(Job::Cancel(id));
                continue;
            };
            let midnight = utc_midnight(expires).0;
            if now.0 >= midnight + DAY_MS - CLOCK_SKEW_MS {
                continue;
            }
            let early = expires.saturating_sub(time::Duration::days(TRAINING_REMIND_DAYS));
            let due = utc_midnight(early).0 + REMINDER_HOUR * 60 * 60 * 1000;
            if !DUE_SPAN.contains(&due.div_euclid(1000)) {
                continue;
            }
            let notify = Notify {
                due_at: due.div_euclid(1000),
                to: to.clone(),
                title: crate::jobs::title(&format!("{} · {}", training.name, party.name)),
                // The day in the record's own form: the service worker words it in its language.
                body: format!("expires:{}", write_day(expires)),
                open: format!("/parties/{}", party.id),
            };
            jobs.push(Job::Schedule(id, Work::Notify(notify)));
        }
    }
    jobs
}

pub fn one_on_one_reminder_id(workspace: WorkspaceId, one: OneOnOneId) -> OutboxId {
    OutboxId::from_cause(workspace, &["reminder", "one-on-one", &one.to_string()])
}

/// Reminders of each 1:1's next meeting, pushed the day before at 09:00 UTC to both its manager and
/// its report, so each comes with their points added. One job per 1:1: the next day moved (a meeting
/// closed, the day changed) replaces it, a 1:1 ended or without a next day cancels it. Derived from
/// the record alone, so every device asks for the same; nothing is asked once the reminder's time
/// is within the devices' clock skew.
pub fn one_on_one_jobs(model: &ReadModel, workspace: WorkspaceId, now: Timestamp) -> Vec<Job> {
    let mut jobs = Vec::new();
    for one in model.one_on_ones.values() {
        let id = one_on_one_reminder_id(workspace, one.id);
        let next = parse_day(&one.next).filter(|_| !one.archived);
        let Some(next) = next else {
            jobs.push(Job::Cancel(id));
            continue;
        };
        let eve = next.saturating_sub(time::Duration::days(1));
        let due = utc_midnight(eve).0 + REMINDER_HOUR * 60 * 60 * 1000;
        // Its time well past (the next day moved to tomorrow or today): a reminder still queued for
        // the day before is cancelled rather than pushed with the old day. Around its time, where
        // devices' clocks may disagree on whether it has come, nothing is asked.
        if now.0 >= due + CLOCK_SKEW_MS {
            jobs.push(Job::Cancel(id));
            continue;
        }
        if now.0 >= due - CLOCK_SKEW_MS || !DUE_SPAN.contains(&due.div_euclid(1000)) {
            continue;
        }
        let mut to = vec![one.manager, one.report];
        to.sort();
        to.dedup();
        let notify = Notify {
            due_at: due.div_euclid(1000),
            to,
            title: "1:1".to_owned(),
            // The day in the record's own form: the service worker words it in its language.
            body: format!("meets:{}", write_day(next)),
            open: format!("/team/one-on-ones/{}", one.id),
        };
        jobs.push(Job::Schedule(id, Work::Notify(notify)));
    }
    jobs
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::Meeting;

    const ME: MemberId = MemberId::from_bytes([1; 16]);
    const YOU: MemberId = MemberId::from_bytes([2; 16]);

    fn day(text: &str) -> time::Date {
        parse_day(text).unwrap()
    }

    fn point(text: &str, at: i64, position: i64) -> TalkingPoint {
        TalkingPoint {
            text: text.into(),
            by: ME,
            at: Timestamp(at),
            done: false,
            meeting: None,
            task: None,
            position,
        }
    }

    fn one_on_one(points: &[(&str, TalkingPoint)]) -> OneOnOne {
        OneOnOne {
            manager: ME,
            report: YOU,
            every_weeks: 2,
            next: "2026-12-07".into(),
            points: points.iter().map(|(k, p)| ((*k).to_owned(), p.clone())).collect(),
            meetings: BTreeMap::new(),
            created_at: Timestamp(0),
            archived: false,
        }
    }

    #[test]
    fn closing_a_meeting_files_what_was_done_and_carries_the_rest_over() {
        let mut one =
            one_on_one(&[("a", point("Promotion", 10, 0)), ("b", point("Hiring", 20, 1))]);
        one.points.get_mut("a").unwrap().done = true;
        close_meeting(&mut one, day("2026-12-07"), YOU, Timestamp(100));

        assert_eq!(one.points["a"].meeting.as_deref(), Some("2026-12-07"));
        let left = agenda(&one);
        assert_eq!(left.len(), 1);
        assert_eq!((left[0].key, left[0].carried), ("b", 1));
        assert_eq!(one.next, "2026-12-21", "two weeks on");
        assert_eq!(
            one.meetings["2026-12-07"],
            Meeting { day: "2026-12-07".into(), by: YOU, at: Timestamp(100) }
        );
    }

    #[test]
    fn closing_the_same_meeting_twice_records_it_once_and_moves_the_date_once() {
        let mut one = one_on_one(&[("a", point("Promotion", 10, 0))]);
        close_meeting(&mut one, day("2026-12-07"), YOU, Timestamp(100));
        one.points.get_mut("a").unwrap().done = true;
        close_meeting(&mut one, day("2026-12-07"), ME, Timestamp(200));

        assert_eq!(one.meetings.len(), 1);
        assert_eq!(one.meetings["2026-12-07"].by, YOU, "the first closing stands");
        assert_eq!(one.next, "2026-12-21");
        assert!(agenda(&one).is_empty(), "the point done since is filed too");
    }

    #[test]
    fn a_point_added_after_a_meeting_has_not_been_carried() {
        let mut one = one_on_one(&[("a", point("Old", 10, 0))]);
        close_meeting(&mut one, day("2026-12-07"), YOU, Timestamp(100));
        one.points.insert("b".into(), point("New", 150, 1));
        close_meeting(&mut one, day("2026-12-21"), YOU, Timestamp(300));
        let carried: Vec<(&str, u32)> = agenda(&one).iter().map(|p| (p.key, p.carried)).collect();
        assert_eq!(carried, vec![("a", 2), ("b", 1)]);
    }

    #[test]
    fn the_agenda_follows_positions_and_leaves_action_items_apart() {
        let mut action = point("Write the plan", 5, 0);
        action.task = Some(TaskId::from_bytes([9; 16]));
        let one = one_on_one(&[
            ("a", point("Second", 10, 1)),
            ("b", point("First", 20, 0)),
            ("c", action),
        ]);
        let keys: Vec<&str> = agenda(&one).iter().map(|p| p.key).collect();
        assert_eq!(keys, vec!["b", "a"]);
        assert_eq!(action_items(&one).len(), 1);
        assert_eq!(next_position(&one), 2);
    }

    #[test]
    fn a_meeting_held_early_keeps_the_rhythm_of_the_planned_day() {
        let mut one = one_on_one(&[]);
        close_meeting(&mut one, day("2026-12-04"), YOU, Timestamp(100));
        assert!(one.meetings.contains_key("2026-12-04"), "recorded on the day it was held");
        assert_eq!(one.next, "2026-12-21", "two weeks after the planned 7 December");
    }

    #[test]
    fn a_meeting_held_late_plans_the_next_from_the_day_it_was_held() {
        let mut one = one_on_one(&[]);
        close_meeting(&mut one, day("2026-12-09"), YOU, Timestamp(100));
        assert_eq!(one.next, "2026-12-23");
    }

    fn employee(member: MemberId, manager: Option<PartyId>, expires: Option<&str>) -> EmployeeRow {
        EmployeeRow {
            title: String::new(),
            team: String::new(),
            manager,
            member: Some(member),
            start_date: String::new(),
            skills: Vec::new(),
            trainings: expires
                .map(|expires| TrainingRow {
                    key: "t".into(),
                    name: "First aid".into(),
                    completed: String::new(),
                    expires: Some(day(expires).to_julian_day()),
                    archived: false,
                })
                .into_iter()
                .collect(),
        }
    }

    fn team(expires: Option<&str>) -> ReadModel {
        let (boss, anna) = (PartyId::from_bytes([1; 16]), PartyId::from_bytes([2; 16]));
        let mut model = ReadModel::default();
        let mut row = crate::read_model::PartyRow::named(boss, "Boss");
        row.employee = Some(Box::new(employee(ME, None, None)));
        model.parties.insert(boss, row);
        let mut row = crate::read_model::PartyRow::named(anna, "Anna");
        row.employee = Some(Box::new(employee(YOU, Some(boss), expires)));
        model.parties.insert(anna, row);
        model
    }

    #[test]
    fn a_training_is_reminded_a_month_before_it_expires_to_its_holder_and_their_manager() {
        let workspace = WorkspaceId::from_bytes([3; 16]);
        let now = utc_midnight(day("2027-01-01"));
        let jobs = training_jobs(&team(Some("2027-03-31")), workspace, now);
        let anna = PartyId::from_bytes([2; 16]);
        let id = training_reminder_id(workspace, anna, "t");
        let due = utc_midnight(day("2027-03-01")).0 / 1000 + 9 * 3600;
        let expected = Notify {
            due_at: due,
            to: vec![ME, YOU],
            title: "First aid · Anna".into(),
            body: "expires:2027-03-31".into(),
            open: format!("/parties/{anna}"),
        };
        assert_eq!(jobs, vec![Job::Schedule(id.clone(), Work::Notify(expected))]);

        // Removed, the reminder is cancelled; long expired, nothing more is asked.
        let mut removed = team(Some("2027-03-31"));
        let anna_row = removed.parties.get_mut(&anna).unwrap();
        anna_row.employee.as_mut().unwrap().trainings[0].archived = true;
        assert_eq!(training_jobs(&removed, workspace, now), vec![Job::Cancel(id.clone())]);
        let past = training_jobs(&team(Some("2026-06-30")), workspace, now);
        assert!(past.is_empty(), "{past:?}");
    }

    #[test]
    fn a_point_moved_up_takes_the_place_above_it() {
        let order = |one: &OneOnOne| -> Vec<String> {
            agenda(one).iter().map(|p| p.point.text.clone()).collect()
        };
        let mut one = one_on_one(&[
            ("a", point("Promotion", 10, 0)),
            ("b", point("Hiring", 20, 2)),
            ("c", point("Holidays", 30, 4)),
        ]);
        move_up(&mut one, "c");
        assert_eq!(order(&one), ["Promotion", "Holidays", "Hiring"]);
        assert_eq!(one.points["c"].position, 1, "only its own position written");
        assert_eq!((one.points["a"].position, one.points["b"].position), (0, 2));
        move_up(&mut one, "c");
        assert_eq!(order(&one), ["Holidays", "Promotion", "Hiring"]);
        move_up(&mut one, "c");
        assert_eq!(order(&one), ["Holidays", "Promotion", "Hiring"], "the first stays first");
        // No whole number between 0 and 1: numbered afresh in the new order.
        let mut packed = one_on_one(&[
            ("a", point("Promotion", 10, 0)),
            ("b", point("Hiring", 20, 1)),
            ("c", point("Holidays", 30, 2)),
        ]);
        move_up(&mut packed, "c");
        assert_eq!(order(&packed), ["Promotion", "Holidays", "Hiring"]);
        // Points of equal position (added at once on two devices) move too.
        let mut tied = one_on_one(&[("a", point("One", 10, 5)), ("b", point("Two", 20, 5))]);
        move_up(&mut tied, "b");
        assert_eq!(order(&tied), ["Two", "One"]);
        move_up(&mut tied, "zz");
        assert_eq!(order(&tied), ["Two", "One"], "an unknown point moves nothing");
    }

    #[test]
    fn a_one_on_one_is_reminded_the_day_before_its_next_meeting_to_both() {
        let workspace = WorkspaceId::from_bytes([3; 16]);
        let id = OneOnOneId::from_bytes([4; 16]);
        let mut model = ReadModel::default();
        let mut one = one_on_one(&[]);
        model.one_on_ones.insert(id, OneOnOneRow::of(id, &one));
        let now = utc_midnight(day("2026-12-01"));
        let due = utc_midnight(day("2026-12-06")).0 / 1000 + 9 * 3600;
        let expected = Notify {
            due_at: due,
            to: vec![ME, YOU],
            title: "1:1".into(),
            body: "meets:2026-12-07".into(),
            open: format!("/team/one-on-ones/{id}"),
        };
        let reminder = one_on_one_reminder_id(workspace, id);
        assert_eq!(
            one_on_one_jobs(&model, workspace, now),
            vec![Job::Schedule(reminder.clone(), Work::Notify(expected))]
        );
        // Its time come (or nearly, on some device's clock): nothing more is asked; well past (the
        // day moved nearer), one still queued for the old day is cancelled.
        let late = Timestamp(due * 1000 - CLOCK_SKEW_MS);
        assert!(one_on_one_jobs(&model, workspace, late).is_empty());
        let past = Timestamp(due * 1000 + CLOCK_SKEW_MS);
        assert_eq!(one_on_one_jobs(&model, workspace, past), vec![Job::Cancel(reminder.clone())]);
        // Without a next day, or ended: cancelled.
        one.next = String::new();
        model.one_on_ones.insert(id, OneOnOneRow::of(id, &one));
        assert_eq!(one_on_one_jobs(&model, workspace, now), vec![Job::Cancel(reminder.clone())]);
        one.next = "2026-12-21".into();
        one.archived = true;
        model.one_on_ones.insert(id, OneOnOneRow::of(id, &one));
        assert_eq!(one_on_one_jobs(&model, workspace, now), vec![Job::Cancel(reminder)]);
    }

    #[test]
    fn recognition_counts_each_person_once_per_kudos_and_leaves_out_old_and_removed_ones() {
        let (anna, boris) = (PartyId::from_bytes([1; 16]), PartyId::from_bytes([2; 16]));
        let row = |n: u8, to: Vec<PartyId>, value: &str, at: i64, archived: bool| KudosRow {
            id: KudosId::from_bytes([n; 16]),
            from: ME,
            to,
            value: value.into(),
            message: "Thanks".into(),
            at: Timestamp(at),
            archived,
        };
        let rows = [
            row(1, vec![anna, boris, anna], "Own it", 100, false),
            row(2, vec![boris], "Customer first", 200, false),
            row(3, vec![boris], "Customer first", 300, true),
            row(4, vec![anna], "Own it", 10, false),
        ];
        let (people, values) = recognition(&rows, Timestamp(50));
        assert_eq!(
            people.iter().map(|p| (p.party, p.count)).collect::<Vec<_>>(),
            vec![(boris, 2), (anna, 1)]
        );
        assert_eq!(people[0].values, [("Customer first".into(), 1), ("Own it".into(), 1)].into());
        assert_eq!(values, [("Customer first".into(), 1), ("Own it".into(), 1)].into());
    }

    #[test]
    fn an_action_item_makes_the_same_task_everywhere_and_another_for_another_point() {
        let workspace = WorkspaceId::from_bytes([3; 16]);
        let one = OneOnOneId::from_bytes([4; 16]);
        assert_eq!(action_task(workspace, one, "a"), action_task(workspace, one, "a"));
        assert_ne!(action_task(workspace, one, "a"), action_task(workspace, one, "b"));
        assert_ne!(
            action_task(workspace, one, "a"),
            action_task(WorkspaceId::from_bytes([5; 16]), one, "a")
        );
    }
}
