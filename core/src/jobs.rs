//! The relay jobs a workspace's records call for, derived the same way on every device: a reminder for
//! each open task with a due time and for each party whose keep-in-touch date is coming, pushed by the
//! relay when due although every device is asleep or offline.
//!
//! Each job's id derives from its record ("reminder", "task", task id), so every device registers the
//! same job and re-registering after an edit (a new due time, a snooze, a renamed task) replaces it at
//! the relay; a task done or a cadence removed cancels it. A device only decides about records it
//! knows: a job whose record it has not received yet is left alone, never cancelled.
//!
//! A reminder carries the record's own words only (the task's title, the party's name), never text
//! in the registering device's language: colleagues whose screens speak different languages derive
//! the same job, byte for byte, instead of replacing each other's. The service worker that shows it
//! adds a word in its device's language.

use std::collections::HashMap;

use crate::contract::{self, DateKind as ContractDate, utc_day as day_of};
use crate::ids::{ContractId, MemberId, PartyId, TaskId, TicketId, Timestamp, WorkspaceId};
use crate::model::{WorkspaceSettings, names};
use crate::outbox::{DUE_SPAN, MOST_NOTIFIED, MOST_TITLE_CHARS, Notify, OutboxId, Work};
use crate::queries;
use crate::read_model::ReadModel;
use crate::service::Desk;
use crate::sla::{Clock, StatusCategory};

/// A time already past by more than this is not registered: the device that sees it announces it
/// itself, and a job registered late would only repeat that (10 minutes).
pub const GRACE_MS: i64 = 10 * 60 * 1000;

/// What one record asks of the relay.
// A handful exist at a time, each handed straight to the outbox: boxing the work would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Register (or replace) this job.
    Schedule(OutboxId, Work),
    /// Cancel this job if the relay holds it.
    Cancel(OutboxId),
}

pub fn task_reminder_id(workspace: WorkspaceId, task: TaskId) -> OutboxId {
    OutboxId::from_cause(workspace, &["reminder", "task", &task.to_string()])
}

pub fn keep_in_touch_id(workspace: WorkspaceId, party: PartyId) -> OutboxId {
    OutboxId::from_cause(workspace, &["reminder", "keep-in-touch", &party.to_string()])
}

/// Every reminder job the read model calls for at `now`.
pub fn reminder_jobs(model: &ReadModel, workspace: WorkspaceId, now: Timestamp) -> Vec<Job> {
    let mut jobs = Vec::new();
    for task in model.tasks.values() {
        let id = task_reminder_id(workspace, task.id);
        match task.effective_due() {
            _ if task.done_at.is_some() => jobs.push(Job::Cancel(id)),
            None => jobs.push(Job::Cancel(id)),
            Some(due) if due.0 < now.0 - GRACE_MS => {}
            // A time the relay cannot hold (a typo'd year 3000): the device announces it itself.
            Some(due) if !DUE_SPAN.contains(&due.0.div_euclid(1000)) => {}
            Some(due) => {
                let open = match task.parties.first() {
                    Some(party) => format!("/parties/{party}"),
                    None => "/tasks".to_owned(),
                };
                let notify = Notify {
                    due_at: due.0.div_euclid(1000),
                    to: task.assignee.into_iter().collect(),
                    title: title(&task.title),
                    body: String::new(),
                    open,
                };
                jobs.push(Job::Schedule(id, Work::Notify(notify)));
            }
        }
    }
    let dates: HashMap<PartyId, Timestamp> = queries::keep_in_touch_dates(model)
        .into_iter()
        .map(|date| (date.party, date.due))
        .collect();
    for party in model.parties.values() {
        let id = keep_in_touch_id(workspace, party.id);
        let Some(&due) = dates.get(&party.id) else {
            // No cadence, or archived (and not while interactions load: then no dates at all).
            if !model.interactions_pending {
                jobs.push(Job::Cancel(id));
            }
            continue;
        };
        if due.0 < now.0 - GRACE_MS || !DUE_SPAN.contains(&due.0.div_euclid(1000)) {
            continue;
        }
        let notify = Notify {
            due_at: due.0.div_euclid(1000),
            to: party.owner.into_iter().collect(),
            title: title(&party.name),
            body: String::new(),
            open: format!("/parties/{}", party.id),
        };
        jobs.push(Job::Schedule(id, Work::Notify(notify)));
    }
    jobs
}

pub fn contract_reminder_id(
    workspace: WorkspaceId,
    contract: ContractId,
    kind: ContractDate,
) -> OutboxId {
    OutboxId::from_cause(workspace, &["reminder", "contract", &contract.to_string(), kind.code()])
}

/// How far apart devices' clocks may be for a contract reminder to be pushed once (an hour).
pub const CLOCK_SKEW_MS: i64 = 60 * 60 * 1000;

/// The hour (UTC) contract reminders are pushed at: contracts name days, not moments, and every
/// device must derive the same moment whatever its time zone.
const CONTRACT_REMINDER_HOUR: i64 = 9;

/// Reminders of each contract's next notice date (the last day to give notice before it renews)
/// and of the end of one that will not renew, pushed to its owner (everyone, when it has none)
/// `remind_days` before that day at 09:00 UTC.
///
/// A job is named by (contract, kind) and carries the moment, which derives from the contract alone
/// — never from the time a device looks — so every device asks for the same job whenever it runs:
/// the relay pushes a job once per moment, so a reminder goes out once per (contract, term, kind).
/// A moment already past (a contract written within its reminder days) is still asked for until the
/// date itself has passed: the relay pushes it at once, and once. After a tacit renewal the next
/// term's date replaces it; an edit that moves the date (another end, notice given) replaces or
/// cancels it, and so does deleting the contract. Notice given late leaves one more term to run: its
/// end is the date to remind of from the moment the notice is recorded.
///
/// The switch to the next term happens at midnight UTC after a notice date. Devices' clocks differ
/// a little: one a few minutes behind would ask for the old term's (past, already pushed) moment
/// after one on time asked for the new term's, and the relay would push the old one again. So in
/// the last hour of a date's day ([`CLOCK_SKEW_MS`]) nobody asks anything about that job — so a
/// contract written in that very hour, on its own notice date, is not reminded of it.
pub fn contract_jobs(model: &ReadModel, workspace: WorkspaceId, now: Timestamp) -> Vec<Job> {
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let today = day_of(now);
    let midnight = |day: time::Date| contract::utc_midnight(day).0;
    let moment = |day: time::Date| midnight(day) + CONTRACT_REMINDER_HOUR * 60 * 60 * 1000;
    let mut jobs = Vec::new();
    for contract in model.contracts.values() {
        let next = contract
            .terms()
            .filter(|_| !contract.archived)
            .and_then(|terms| terms.next_reminder(today.max(terms.start)));
        for kind in [ContractDate::NoticeBy, ContractDate::Ends] {
            let day = next.filter(|(next, _)| *next == kind).map(|(_, day)| day);
            let id = contract_reminder_id(workspace, contract.id, kind);
            let Some(day) = day else {
                jobs.push(Job::Cancel(id));
                continue;
            };
            if now.0 >= midnight(day) + DAY_MS - CLOCK_SKEW_MS {
                continue;
            }
            let early = day
                .checked_sub(time::Duration::days(i64::from(contract.remind_days)))
                .unwrap_or(day);
            let due = moment(early);
            if !DUE_SPAN.contains(&due.div_euclid(1000)) {
                continue;
            }
            let notify = Notify {
                due_at: due.div_euclid(1000),
                to: contract.owner.into_iter().collect(),
                title: title(&contract.title),
                // The date in the contract's own form: the service worker words it in its language.
                body: format!("{}:{}", kind.code(), contract::write_day(day)),
                open: format!("/contracts/{}", contract.id),
            };
            jobs.push(Job::Schedule(id, Work::Notify(notify)));
        }
    }
    jobs
}

pub fn breach_alert_id(workspace: WorkspaceId, ticket: TicketId, metric: &str) -> OutboxId {
    OutboxId::from_cause(workspace, &["breach", "ticket", &ticket.to_string(), metric])
}

/// A breach alert for each running SLA clock of each ticket, pushed at its deadline to the assignee
/// and the ticket's team (everyone, when it has neither). The job is named by (ticket, metric) and
/// carries the deadline: a deadline that moves (a new priority, a policy edited, the relay's stamp
/// heard) replaces the job, and the relay pushes a job once per deadline — so an alert goes out once
/// per (ticket, metric, deadline). A clock that stops (answered, paused, resolved) cancels it.
///
/// `stamp` gives the relay's time of a ticket event's stamp once heard; `awaited` says whether this
/// device has asked for one and not heard it yet. A ticket with a stamp on its way asks nothing of the
/// relay until it is heard, a round trip later: its deadline at the device's time would be replaced by
/// the relay's a moment after — and were the device closed in between, the first would be pushed,
/// and then, once the device came back, the moved one again.
pub fn breach_jobs(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    workspace: WorkspaceId,
    stamp: impl Fn(&OutboxId) -> Option<i64>,
    awaited: impl Fn(&OutboxId) -> bool,
    now: Timestamp,
) -> Vec<Job> {
    let desk = Desk::new(workspace, settings);
    let mut jobs = Vec::new();
    for ticket in model.tickets.values() {
        let metrics = ["first_response", "next_response", "resolution"];
        // A ticket resolved or closed has no running clock: cancelled without computing its clocks (a
        // workspace holds years of them, and this runs on every round with the relay).
        if matches!(
            desk.statuses.category(&ticket.status),
            StatusCategory::Resolved | StatusCategory::Closed
        ) {
            jobs.extend(
                metrics.map(|metric| Job::Cancel(breach_alert_id(workspace, ticket.id, metric))),
            );
            continue;
        }
        let stamping = ticket.events.iter().any(|event| {
            let id = desk.stamp_id(ticket.id, &event.id);
            !event.relay_time && stamp(&id).is_none() && awaited(&id)
        });
        if stamping {
            continue;
        }
        let roles: Vec<&str> = ticket
            .party
            .and_then(|party| model.parties.get(&party))
            .map(|party| party.roles.iter().map(|role| role.role().key()).collect())
            .unwrap_or_default();
        let clocks = desk.clocks(ticket, &roles, &stamp).clocks;
        for (metric, clock) in [
            ("first_response", clocks.first_response),
            ("next_response", clocks.next_response),
            ("resolution", clocks.resolution),
        ] {
            let id = breach_alert_id(workspace, ticket.id, metric);
            let Some(due) = clock.and_then(Clock::due) else {
                jobs.push(Job::Cancel(id));
                continue;
            };
            if due.0 < now.0 - GRACE_MS || !DUE_SPAN.contains(&due.0.div_euclid(1000)) {
                continue;
            }
            let mut to: Vec<MemberId> = ticket.assignee.into_iter().collect();
            if let Some(team) = ticket.team.and_then(|team| settings.teams.get(&team.to_string())) {
                to.extend(
                    names(&team.members).filter_map(|member| member.parse::<MemberId>().ok()),
                );
            }
            to.sort();
            to.dedup();
            // A team larger than a job may name: its assignee, or else everyone.
            if to.len() > MOST_NOTIFIED {
                to = ticket.assignee.into_iter().collect();
            }
            let notify = Notify {
                due_at: due.0.div_euclid(1000),
                to,
                title: title(&ticket.subject),
                body: metric.to_owned(),
                open: format!("/tickets/{}", ticket.id),
            };
            jobs.push(Job::Schedule(id, Work::Notify(notify)));
        }
    }
    jobs
}

/// A record's name as a notification title: one line, within the limit, never empty.
pub(crate) fn title(name: &str) -> String {
    let line: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let line = line.trim();
    let line = if line.is_empty() { "Rapport" } else { line };
    line.chars().take(MOST_TITLE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MemberId;
    use crate::read_model::{PartyRow, TaskRow};

    const NOW: i64 = 1_790_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn workspace() -> WorkspaceId {
        "0190f5a0-0000-7000-8000-000000000001".parse().unwrap()
    }

    fn task(n: u8, due: Option<i64>) -> TaskRow {
        TaskRow {
            id: TaskId::from_bytes([n; 16]),
            title: format!("Call back {n}"),
            due: due.map(Timestamp),
            assignee: None,
            parties: Vec::new(),
            deals: Vec::new(),
            done_at: None,
            snoozed_until: None,
            created_at: Timestamp(NOW - 100 * HOUR),
            repeats: None,
        }
    }

    fn party(n: u8, cadence: Option<u32>) -> PartyRow {
        PartyRow {
            owner: Some(MemberId::from_bytes([9; 16])),
            keep_in_touch_days: cadence,
            created_at: Timestamp(NOW - 24 * HOUR),
            ..PartyRow::named(PartyId::from_bytes([n; 16]), &format!("Person {n}"))
        }
    }

    fn model(tasks: Vec<TaskRow>, parties: Vec<PartyRow>) -> ReadModel {
        let mut model = ReadModel::default();
        model.tasks = tasks.into_iter().map(|t| (t.id, t)).collect();
        model.parties = parties.into_iter().map(|p| (p.id, p)).collect();
        model
    }

    fn scheduled(jobs: &[Job], id: &OutboxId) -> Option<Notify> {
        jobs.iter().find_map(|job| match job {
            Job::Schedule(job_id, Work::Notify(notify)) if job_id == id => Some(notify.clone()),
            _ => None,
        })
    }

    #[test]
    fn an_open_task_with_a_due_time_asks_for_one_reminder_for_its_assignee_opening_its_party() {
        let mut due = task(1, Some(NOW + 2 * HOUR));
        due.assignee = Some(MemberId::from_bytes([7; 16]));
        due.parties = vec![PartyId::from_bytes([3; 16])];
        due.title = "Call\nback".into();
        let jobs = reminder_jobs(&model(vec![due.clone()], vec![]), workspace(), Timestamp(NOW));
        let notify = scheduled(&jobs, &task_reminder_id(workspace(), due.id)).unwrap();
        assert_eq!(notify.due_at, (NOW + 2 * HOUR) / 1000);
        assert_eq!(notify.to, vec![MemberId::from_bytes([7; 16])]);
        assert_eq!(notify.title, "Call back", "one line");
        assert_eq!(notify.body, "", "no words in the registering device's language");
        assert_eq!(notify.open, format!("/parties/{}", PartyId::from_bytes([3; 16])));
        assert_eq!(Work::Notify(notify).check(), Ok(()));
    }

    #[test]
    fn a_snooze_moves_the_reminder_and_done_or_undated_tasks_cancel_theirs() {
        let mut snoozed = task(1, Some(NOW - HOUR));
        snoozed.snoozed_until = Some(Timestamp(NOW + HOUR));
        let mut done = task(2, Some(NOW + HOUR));
        done.done_at = Some(Timestamp(NOW));
        let undated = task(3, None);
        let long_past = task(4, Some(NOW - GRACE_MS - 1));
        let just_past = task(5, Some(NOW - GRACE_MS + 1000));
        let tasks = vec![
            snoozed.clone(),
            done.clone(),
            undated.clone(),
            long_past.clone(),
            just_past.clone(),
        ];
        let jobs = reminder_jobs(&model(tasks, vec![]), workspace(), Timestamp(NOW));
        let id = |t: &TaskRow| task_reminder_id(workspace(), t.id);
        assert_eq!(scheduled(&jobs, &id(&snoozed)).unwrap().due_at, (NOW + HOUR) / 1000);
        assert!(jobs.contains(&Job::Cancel(id(&done))));
        assert!(jobs.contains(&Job::Cancel(id(&undated))));
        assert!(
            !jobs.iter().any(
                |job| matches!(job, Job::Schedule(i, _) | Job::Cancel(i) if *i == id(&long_past))
            ),
            "a time long past is the device's to announce, and not cancelled either"
        );
        assert!(scheduled(&jobs, &id(&just_past)).is_some());
        // Every device derives the same jobs.
        let again = reminder_jobs(
            &model(vec![snoozed, done, undated, long_past, just_past], vec![]),
            workspace(),
            Timestamp(NOW),
        );
        assert_eq!(jobs.len(), again.len());
        assert!(jobs.iter().all(|job| again.contains(job)));
    }

    #[test]
    fn a_keep_in_touch_cadence_asks_for_a_reminder_to_the_owner_and_archiving_cancels_it() {
        let weekly = party(1, Some(7));
        let mut archived = party(2, Some(7));
        archived.archived = true;
        let none = party(3, None);
        let parties = vec![weekly.clone(), archived.clone(), none.clone()];
        let jobs = reminder_jobs(&model(vec![], parties), workspace(), Timestamp(NOW));
        let notify = scheduled(&jobs, &keep_in_touch_id(workspace(), weekly.id)).unwrap();
        assert_eq!(notify.due_at, (NOW - 24 * HOUR + 7 * 24 * HOUR) / 1000);
        assert_eq!(notify.to, vec![MemberId::from_bytes([9; 16])]);
        assert!(jobs.contains(&Job::Cancel(keep_in_touch_id(workspace(), archived.id))));
        assert!(jobs.contains(&Job::Cancel(keep_in_touch_id(workspace(), none.id))));

        // While interactions load the last contact is unknown: nothing is decided about cadences.
        let mut loading = model(vec![], vec![weekly, archived, none]);
        loading.interactions_pending = true;
        assert_eq!(reminder_jobs(&loading, workspace(), Timestamp(NOW)), vec![]);
    }

    /// Milliseconds at `hour`:00 UTC of a day.
    fn utc(year: i32, month: u8, day: u8, hour: i64) -> Timestamp {
        let date = time::Date::from_calendar_date(year, month.try_into().unwrap(), day).unwrap();
        Timestamp(contract::utc_midnight(date).0 + hour * HOUR)
    }

    fn contract(notice_given: &str) -> crate::model::Contract {
        use crate::model::{Billing, Contract, ContractKind, Money, Span, SpanUnit};
        Contract {
            party: PartyId::from_bytes([1; 16]),
            title: "Cleaning, Main St".into(),
            kind: ContractKind::Supplier,
            value: Money { minor: 120_000, currency: "EUR".into() },
            billing: Billing::Monthly,
            starts: "2026-01-01".into(),
            ends: "2026-12-31".into(),
            notice: Some(Span { count: 3, unit: SpanUnit::Months }),
            renewal: Some(Span { count: 12, unit: SpanUnit::Months }),
            notice_given: notice_given.into(),
            signed: "2025-12-20".into(),
            owner: Some(MemberId::from_bytes([9; 16])),
            remind_days: 14,
            obligations: Default::default(),
            notes: Default::default(),
            files: Default::default(),
            created_at: Timestamp(0),
            archived: false,
        }
    }

    fn contract_model(contract: &crate::model::Contract) -> (ReadModel, ContractId) {
        let id = ContractId::from_bytes([4; 16]);
        let mut model = ReadModel::default();
        model.contracts.insert(id, contract::ContractRow::of(id, contract));
        (model, id)
    }

    #[test]
    fn a_contract_reminds_its_owner_before_each_term_s_notice_date_once_per_term() {
        let (model, id) = contract_model(&contract(""));
        let notice = contract_reminder_id(workspace(), id, ContractDate::NoticeBy);
        let ends = contract_reminder_id(workspace(), id, ContractDate::Ends);
        let jobs = contract_jobs(&model, workspace(), utc(2026, 9, 1, 12));
        let reminder = scheduled(&jobs, &notice).expect("a notice reminder");
        // Notice by 30 September for a term ending 31 December, 14 days ahead, at 09:00 UTC.
        assert_eq!(reminder.due_at * 1000, utc(2026, 9, 16, 9).0);
        assert_eq!(reminder.body, "notice:2026-09-30");
        assert_eq!(reminder.open, format!("/contracts/{id}"));
        assert_eq!(reminder.to, vec![MemberId::from_bytes([9; 16])]);
        assert!(jobs.contains(&Job::Cancel(ends)), "it renews: no end to announce");
        // Derived later in the same term, it is the same job: the relay pushes it once.
        let later = contract_jobs(&model, workspace(), utc(2026, 9, 10, 7));
        assert_eq!(scheduled(&later, &notice), Some(reminder));
        // Its reminder moment passed (the contract written late): still asked for, at the same moment,
        // which the relay pushes at once — the same job whenever a device looks, so never twice.
        let late = contract_jobs(&model, workspace(), utc(2026, 9, 20, 12));
        assert_eq!(scheduled(&late, &notice), scheduled(&jobs, &notice));
        // Once the notice date has passed, the renewed term's.
        let renewed = contract_jobs(&model, workspace(), utc(2026, 10, 5, 12));
        let next = scheduled(&renewed, &notice).expect("the next term's reminder");
        assert_eq!(next.due_at * 1000, utc(2027, 9, 16, 9).0);
        assert_eq!(next.body, "notice:2027-09-30");
    }

    /// What the relay does with a device's jobs (`store::outbox::queue` and `cancel`): a job asked for
    /// again unchanged stays as it is; one already pushed and asked for at the same moment is not
    /// pushed again; another moment, or a cancelled job asked for again, waits anew.
    #[derive(Default)]
    struct Relay {
        entries: HashMap<OutboxId, (Notify, &'static str)>,
        pushed: Vec<(OutboxId, String)>,
    }

    impl Relay {
        fn take(&mut self, job: Job) {
            match job {
                Job::Schedule(id, Work::Notify(notify)) => match self.entries.get_mut(&id) {
                    None => {
                        self.entries.insert(id, (notify, "queued"));
                    }
                    Some((held, state)) => {
                        if *held == notify && *state != "cancelled" {
                            return;
                        }
                        if *state != "sent" || held.due_at != notify.due_at {
                            *state = "queued";
                        }
                        *held = notify;
                    }
                },
                Job::Cancel(id) => {
                    if let Some((_, state)) = self.entries.get_mut(&id)
                        && *state == "queued"
                    {
                        *state = "cancelled";
                    }
                }
                Job::Schedule(..) => {}
            }
        }

        fn push_due(&mut self, now: Timestamp) {
            for (id, (notify, state)) in &mut self.entries {
                if *state == "queued" && notify.due_at * 1000 <= now.0 {
                    *state = "sent";
                    self.pushed.push((id.clone(), notify.body.clone()));
                }
            }
        }
    }

    /// A year of three devices, each online at random moments (their clocks apart by up to 45
    /// minutes) and deriving every contract's jobs then, while some contracts are given notice:
    /// every notice date and end is pushed once — never twice, never missed.
    #[test]
    fn over_a_year_three_devices_make_one_reminder_per_contract_term_and_kind() {
        use crate::model::{Billing, Contract, ContractKind, Money, Span, SpanUnit};
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(24);
        let day = |date: time::Date| contract::write_day(date);
        let jan = time::Date::from_calendar_date(2027, time::Month::January, 1).unwrap();
        let mut contracts: Vec<(ContractId, Contract)> = (0..60u8)
            .map(|n| {
                let start = jan - time::Duration::days(rng.random_range(0..700));
                let months = rng.random_range(1..25);
                let end = contract::Period::Months(months).after(start).unwrap().previous_day();
                let span = |rng: &mut rand::rngs::ChaCha8Rng| match rng.random_range(0..4) {
                    0 => Span { count: rng.random_range(1..60), unit: SpanUnit::Days },
                    _ => Span { count: rng.random_range(1..13), unit: SpanUnit::Months },
                };
                let notice = rng.random_bool(0.8).then(|| span(&mut rng));
                let renewal = rng.random_bool(0.7).then(|| span(&mut rng));
                let contract = Contract {
                    party: PartyId::from_bytes([1; 16]),
                    title: format!("Contract {n}"),
                    kind: ContractKind::Supplier,
                    value: Money::default(),
                    billing: Billing::Monthly,
                    starts: day(start),
                    ends: if rng.random_bool(0.9) { day(end.unwrap()) } else { String::new() },
                    notice,
                    renewal,
                    notice_given: String::new(),
                    signed: String::new(),
                    owner: None,
                    remind_days: rng.random_range(0..45),
                    obligations: Default::default(),
                    notes: Default::default(),
                    files: Default::default(),
                    created_at: Timestamp(0),
                    archived: false,
                };
                (ContractId::from_bytes([n; 16]), contract)
            })
            .collect();
        let model_of = |contracts: &[(ContractId, Contract)]| {
            let mut model = ReadModel::default();
            for (id, contract) in contracts {
                model.contracts.insert(*id, contract::ContractRow::of(*id, contract));
            }
            model
        };
        // The reminders owed: each notice date and end in the year, of the contracts as they stand
        // when it comes (ten are given notice in April).
        let given_on = jan + time::Duration::days(100);
        let mut relay = Relay::default();
        let mut model = model_of(&contracts);
        let mut owed = std::collections::BTreeSet::new();
        let start = utc(2027, 1, 1, 0);
        for hour in 0..365 * 24 {
            let now = Timestamp(start.0 + hour * HOUR);
            let today = day_of(now);
            if today == given_on && hour % 24 == 0 {
                for (_, contract) in contracts.iter_mut().take(10) {
                    contract.notice_given = day(given_on);
                }
                model = model_of(&contracts);
            }
            if hour % 24 == 0 {
                // What falls due today, as the contracts now stand.
                for row in model.contracts.values() {
                    let Some(terms) = row.terms() else { continue };
                    for date in contract::calendar([(row.id, &terms)], today, today) {
                        let body = match date.kind {
                            ContractDate::NoticeBy => format!("notice:{}", day(date.date)),
                            ContractDate::Ends => format!("ends:{}", day(date.date)),
                            ContractDate::Renews => continue,
                        };
                        owed.insert((row.id, body));
                    }
                }
            }
            // Three devices at random moments of the hour, one clock 25 minutes behind, one 20 ahead.
            for skew in [0, -25, 20] {
                if rng.random_bool(0.3) {
                    let minute = rng.random_range(0..60);
                    let seen = Timestamp(now.0 + (minute + skew) * 60_000);
                    for job in contract_jobs(&model, workspace(), seen) {
                        relay.take(job);
                    }
                }
            }
            relay.push_due(Timestamp(now.0 + HOUR));
        }
        let by_contract: std::collections::BTreeSet<(ContractId, String)> = relay
            .pushed
            .iter()
            .filter_map(|(id, body)| {
                let contract = contracts.iter().find(|(c, _)| {
                    [ContractDate::NoticeBy, ContractDate::Ends]
                        .iter()
                        .any(|kind| contract_reminder_id(workspace(), *c, *kind) == *id)
                })?;
                Some((contract.0, body.clone()))
            })
            .collect();
        assert_eq!(by_contract.len(), relay.pushed.len(), "a reminder pushed twice");
        let missing: Vec<_> = owed.difference(&by_contract).collect();
        assert!(missing.is_empty(), "never pushed: {missing:?}");
        assert!(owed.len() > 60, "the year holds many dates: {}", owed.len());
        // Pushed beyond what was owed: reminders ahead of dates early in the next year, and of the
        // notice dates that notice given in April made moot after their reminder went out.
        let given: Vec<ContractId> = contracts.iter().take(10).map(|(id, _)| *id).collect();
        for (id, body) in by_contract.difference(&owed) {
            let moot =
                given.contains(id) && body.starts_with("notice:") && body[7..] > *day(given_on);
            assert!(body.contains(":2028-") || moot, "{body}");
        }
    }

    #[test]
    fn notice_given_cancels_the_notice_reminder_and_announces_the_end() {
        let (model, id) = contract_model(&contract("2026-08-01"));
        let jobs = contract_jobs(&model, workspace(), utc(2026, 9, 1, 12));
        let notice = contract_reminder_id(workspace(), id, ContractDate::NoticeBy);
        assert!(jobs.contains(&Job::Cancel(notice.clone())));
        let ends = contract_reminder_id(workspace(), id, ContractDate::Ends);
        let reminder = scheduled(&jobs, &ends).expect("an end reminder");
        assert_eq!(reminder.due_at * 1000, utc(2026, 12, 17, 9).0);
        assert_eq!(reminder.body, "ends:2026-12-31");
        // Ended: nothing more to announce.
        let after = contract_jobs(&model, workspace(), utc(2027, 1, 2, 12));
        assert!(after.contains(&Job::Cancel(ends.clone())), "{after:?}");
        // Notice given late (after 30 September): the term running renews once more and then ends —
        // that end is reminded of from the day the notice is recorded, not only once its term starts.
        let (model, _) = contract_model(&contract("2026-10-05"));
        let jobs = contract_jobs(&model, workspace(), utc(2026, 10, 10, 12));
        assert!(jobs.contains(&Job::Cancel(notice.clone())), "{jobs:?}");
        let reminder = scheduled(&jobs, &ends).expect("the last term's end");
        assert_eq!(reminder.due_at * 1000, utc(2027, 12, 17, 9).0);
        assert_eq!(reminder.body, "ends:2027-12-31");
        // A draft without dates, and a deleted contract, ask for nothing and cancel what they asked.
        for gone in [
            crate::model::Contract { starts: String::new(), ..contract("") },
            crate::model::Contract { archived: true, ..contract("") },
        ] {
            let (model, _) = contract_model(&gone);
            let jobs = contract_jobs(&model, workspace(), utc(2026, 9, 1, 12));
            assert!(jobs.iter().all(|job| matches!(job, Job::Cancel(_))), "{jobs:?}");
            assert_eq!(jobs.len(), 2);
        }
        // In the last hour of the notice date nothing is asked about it: a device whose clock is
        // behind would ask for a moment already pushed after another asked for the next term's.
        let (model, id) = contract_model(&contract(""));
        let notice = contract_reminder_id(workspace(), id, ContractDate::NoticeBy);
        let late = contract_jobs(&model, workspace(), utc(2026, 9, 30, 23));
        assert!(
            late.iter()
                .all(|job| !matches!(job, Job::Schedule(i, _) | Job::Cancel(i) if *i == notice))
        );
        let before = contract_jobs(&model, workspace(), Timestamp(utc(2026, 9, 30, 23).0 - 1));
        assert!(scheduled(&before, &notice).is_some());
    }

    #[test]
    fn a_breach_alert_is_due_at_each_running_deadline_and_cancelled_when_the_clock_stops() {
        use crate::model::{Assignment, Team, TicketPriority};
        use crate::read_model::{TicketEvent, TicketEventKind, TicketRow};
        use crate::service::standard_policy;

        let team = crate::ids::TeamId::from_bytes([7; 16]);
        let (ann, bob) = (MemberId::from_bytes([1; 16]), MemberId::from_bytes([2; 16]));
        let mut settings = WorkspaceSettings::default();
        settings.sla_policies.insert("p".into(), standard_policy("Standard"));
        settings.teams.insert(
            team.to_string(),
            Team {
                name: "Support".into(),
                members: [(bob.to_string(), true), (ann.to_string(), true)].into(),
                hours: None,
                assignment: Assignment::Manual,
            },
        );
        let opened = TicketEvent {
            id: "opened".into(),
            at: Timestamp(NOW),
            kind: TicketEventKind::Opened,
            relay_time: false,
        };
        let ticket = TicketRow {
            id: TicketId::from_bytes([9; 16]),
            subject: "Printer\njams".into(),
            party: None,
            channel: crate::model::Channel::Phone,
            priority: TicketPriority::Urgent,
            status: "open".into(),
            team: Some(team),
            assignee: Some(ann),
            tags: Vec::new(),
            created_at: Timestamp(NOW),
            events: vec![opened.clone()],
            mail_ids: Vec::new(),
            rating: None,
            escalated: Vec::new(),
        };
        let mut model = ReadModel::default();
        model.tickets.insert(ticket.id, ticket.clone());
        let jobs = breach_jobs(&model, &settings, workspace(), |_| None, |_| false, Timestamp(NOW));
        let first = breach_alert_id(workspace(), ticket.id, "first_response");
        let Some(Job::Schedule(id, Work::Notify(notify))) = jobs.first() else {
            panic!("{jobs:?}")
        };
        assert_eq!(id, &first);
        // Urgent: an hour to answer, around the clock (the team keeps no hours).
        assert_eq!(notify.due_at, (NOW + HOUR) / 1000);
        assert_eq!(notify.to, [ann.min(bob), ann.max(bob)], "the assignee and the team, once each");
        assert_eq!(
            (notify.title.as_str(), notify.body.as_str()),
            ("Printer jams", "first_response")
        );
        assert_eq!(notify.open, format!("/tickets/{}", ticket.id));
        let scheduled = jobs.iter().filter(|job| matches!(job, Job::Schedule(..))).count();
        assert_eq!(scheduled, 2, "first response and resolution; no next response yet: {jobs:?}");
        assert_eq!(
            jobs,
            breach_jobs(&model, &settings, workspace(), |_| None, |_| false, Timestamp(NOW))
        );

        // Answered: the first-response alert is cancelled, resolution still due.
        let mut answered = ticket.clone();
        answered.events.push(TicketEvent {
            id: "r".into(),
            at: Timestamp(NOW + HOUR / 2),
            kind: TicketEventKind::Reply,
            relay_time: false,
        });
        model.tickets.insert(ticket.id, answered);
        let jobs = breach_jobs(&model, &settings, workspace(), |_| None, |_| false, Timestamp(NOW));
        assert!(jobs.contains(&Job::Cancel(first.clone())), "{jobs:?}");
        // A deadline long past is the devices' to show, not the relay's to push.
        model.tickets.insert(ticket.id, ticket.clone());
        let late = breach_jobs(
            &model,
            &settings,
            workspace(),
            |_| None,
            |_| false,
            Timestamp(NOW + 30 * 24 * HOUR),
        );
        assert!(late.iter().all(|job| matches!(job, Job::Cancel(_))), "{late:?}");
        // Resolved: every alert of the ticket cancelled, no clock computed.
        let mut resolved = ticket.clone();
        resolved.status = "resolved".into();
        model.tickets.insert(ticket.id, resolved);
        let done = breach_jobs(&model, &settings, workspace(), |_| None, |_| false, Timestamp(NOW));
        assert_eq!(done.len(), 3);
        assert!(done.contains(&Job::Cancel(first.clone())), "{done:?}");
        assert!(done.iter().all(|job| matches!(job, Job::Cancel(_))), "{done:?}");
        model.tickets.insert(ticket.id, ticket.clone());
        // The relay's stamp moves the deadline, and with it the job (same id, new time).
        let stamped = breach_jobs(
            &model,
            &settings,
            workspace(),
            |_| Some(NOW + HOUR),
            |_| false,
            Timestamp(NOW),
        );
        let Some(Job::Schedule(id, Work::Notify(notify))) = stamped.first() else { panic!() };
        assert_eq!((id, notify.due_at), (&first, (NOW + 2 * HOUR) / 1000));
    }

    /// The device that opened a ticket asks the relay to stamp it; until that stamp is heard, its
    /// deadline at the device's time is not registered — the relay would push it, and then the one the
    /// stamp moves a second later, should the device close in between and come back after both.
    #[test]
    fn a_breach_alert_waits_for_the_stamp_on_its_way() {
        use crate::model::TicketPriority;
        use crate::read_model::{TicketEvent, TicketEventKind, TicketRow};
        let mut settings = WorkspaceSettings::default();
        settings.sla_policies.insert("p".into(), crate::service::standard_policy("Standard"));
        // Opened at 900 ms past a second by the device's clock; an hour to answer, around the clock.
        let ticket = TicketRow {
            id: TicketId::from_bytes([9; 16]),
            subject: "Printer jams".into(),
            party: None,
            channel: crate::model::Channel::Phone,
            priority: TicketPriority::Urgent,
            status: "open".into(),
            team: None,
            assignee: None,
            tags: Vec::new(),
            created_at: Timestamp(NOW + 900),
            events: vec![TicketEvent {
                id: "opened".into(),
                at: Timestamp(NOW + 900),
                kind: TicketEventKind::Opened,
                relay_time: false,
            }],
            mail_ids: Vec::new(),
            rating: None,
            escalated: Vec::new(),
        };
        let mut model = ReadModel::default();
        model.tickets.insert(ticket.id, ticket.clone());
        let stamp_id = crate::service::stamp_id(workspace(), ticket.id, "opened");
        let asked = |id: &OutboxId| id == &stamp_id;
        let on_its_way =
            breach_jobs(&model, &settings, workspace(), |_| None, asked, Timestamp(NOW));
        assert_eq!(on_its_way, [], "nothing asked of the relay, nothing cancelled either");
        // Heard: the deadline at the relay's time (the next second, here).
        let heard = |id: &OutboxId| (id == &stamp_id).then_some(NOW + 1_000);
        let stamped = breach_jobs(&model, &settings, workspace(), heard, asked, Timestamp(NOW));
        let first = breach_alert_id(workspace(), ticket.id, "first_response");
        let Some(Job::Schedule(id, Work::Notify(notify))) = stamped.first() else {
            panic!("{stamped:?}")
        };
        assert_eq!((id, notify.due_at), (&first, (NOW + 1_000 + HOUR) / 1000));
        // A stamp never asked for (an event older than a day, or refused): the device's time stands.
        let never =
            breach_jobs(&model, &settings, workspace(), |_| None, |_| false, Timestamp(NOW));
        let Some(Job::Schedule(_, Work::Notify(notify))) = never.first() else {
            panic!("{never:?}")
        };
        assert_eq!(notify.due_at, (NOW + 900 + HOUR) / 1000);
    }
}
