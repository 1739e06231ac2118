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

use crate::ids::{MemberId, PartyId, TaskId, TicketId, Timestamp, WorkspaceId};
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

pub fn breach_alert_id(workspace: WorkspaceId, ticket: TicketId, metric: &str) -> OutboxId {
    OutboxId::from_cause(workspace, &["breach", "ticket", &ticket.to_string(), metric])
}

/// A breach alert for each running SLA clock of each ticket, pushed at its deadline to the assignee
/// and the ticket's team (everyone, when it has neither). The job is named by (ticket, metric) and
/// carries the deadline: a deadline that moves (a new priority, a policy edited, the relay's stamp
/// heard) replaces the job, and the relay pushes a job once per deadline — so an alert goes out once
/// per (ticket, metric, deadline). A clock that stops (answered, paused, resolved) cancels it.
pub fn breach_jobs(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    workspace: WorkspaceId,
    stamp: impl Fn(&OutboxId) -> Option<i64>,
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
    use crate::read_model::{PartyKindRow, PartyRow, TaskRow};

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
            id: PartyId::from_bytes([n; 16]),
            kind: PartyKindRow::Person,
            name: format!("Person {n}"),
            sort_name: format!("person {n}"),
            roles: Vec::new(),
            tags: Vec::new(),
            owner: Some(MemberId::from_bytes([9; 16])),
            emails: Vec::new(),
            phones: Vec::new(),
            organisations: Vec::new(),
            keep_in_touch_days: cadence,
            created_at: Timestamp(NOW - 24 * HOUR),
            archived: false,
            merged_into: None,
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
        let jobs = breach_jobs(&model, &settings, workspace(), |_| None, Timestamp(NOW));
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
        assert_eq!(jobs, breach_jobs(&model, &settings, workspace(), |_| None, Timestamp(NOW)));

        // Answered: the first-response alert is cancelled, resolution still due.
        let mut answered = ticket.clone();
        answered.events.push(TicketEvent {
            id: "r".into(),
            at: Timestamp(NOW + HOUR / 2),
            kind: TicketEventKind::Reply,
            relay_time: false,
        });
        model.tickets.insert(ticket.id, answered);
        let jobs = breach_jobs(&model, &settings, workspace(), |_| None, Timestamp(NOW));
        assert!(jobs.contains(&Job::Cancel(first.clone())), "{jobs:?}");
        // A deadline long past is the devices' to show, not the relay's to push.
        model.tickets.insert(ticket.id, ticket.clone());
        let late =
            breach_jobs(&model, &settings, workspace(), |_| None, Timestamp(NOW + 30 * 24 * HOUR));
        assert!(late.iter().all(|job| matches!(job, Job::Cancel(_))), "{late:?}");
        // Resolved: every alert of the ticket cancelled, no clock computed.
        let mut resolved = ticket.clone();
        resolved.status = "resolved".into();
        model.tickets.insert(ticket.id, resolved);
        let done = breach_jobs(&model, &settings, workspace(), |_| None, Timestamp(NOW));
        assert_eq!(done.len(), 3);
        assert!(done.contains(&Job::Cancel(first.clone())), "{done:?}");
        assert!(done.iter().all(|job| matches!(job, Job::Cancel(_))), "{done:?}");
        model.tickets.insert(ticket.id, ticket.clone());
        // The relay's stamp moves the deadline, and with it the job (same id, new time).
        let stamped =
            breach_jobs(&model, &settings, workspace(), |_| Some(NOW + HOUR), Timestamp(NOW));
        let Some(Job::Schedule(id, Work::Notify(notify))) = stamped.first() else { panic!() };
        assert_eq!((id, notify.due_at), (&first, (NOW + 2 * HOUR) / 1000));
    }
}
