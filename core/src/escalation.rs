//! Escalation rules: what happens to a ticket whose SLA clock runs past its deadline — raised a
//! priority, given to someone, moved to another queue, named members told.
//!
//! Every device of the team sees the same breach at the same moment, so each breach is named by what
//! caused it — (ticket, rule, clock, round) — and applied once: the device that means to apply it
//! first takes the breach's name in the relay's ledger (`/api/workspaces/{id}/once/{key}`), then
//! writes the change and an [`Escalated`] line on the ticket, queues the notification under an id
//! derived from the same name, and marks the name done. Devices that find it taken or done leave it,
//! and once the line has synced no device asks again.
//!
//! A breach is only escalated once every event of its ticket is at the relay's time: a device still
//! counting an event at its own clock might see a deadline the others do not.

use crate::ids::{MemberId, TeamId, TicketId, Timestamp, WorkspaceId};
use crate::model::{Escalated, EscalationRule, Ticket, TicketPriority, WorkspaceSettings, names};
use crate::outbox::{MOST_NOTIFIED, Notify, OutboxId, Work};
use crate::read_model::{ReadModel, TicketEventKind, TicketRow};
use crate::service::Desk;
use crate::sla::{Clock, StatusCategory};

/// The clocks a rule may watch, by the keys rules and tickets name them with.
pub const METRICS: [&str; 3] = ["first_response", "next_response", "resolution"];

/// A breach a rule calls to be escalated, not escalated yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The breach's name: the same on every device, the key of the relay's ledger.
    pub key: OutboxId,
    pub ticket: TicketId,
    /// The rule's id (as text).
    pub rule: String,
    pub metric: &'static str,
    /// The deadline run past.
    pub due: Timestamp,
}

/// The name of the breach of clock `metric` of `ticket` under `rule`: for the next-response clock,
/// one per customer message owed an answer (`round`, the message's event id); the others run once.
/// A deadline moved by the escalation itself (a priority raised) is the same breach, not a new one.
pub fn breach_key(
    workspace: WorkspaceId,
    ticket: TicketId,
    rule: &str,
    metric: &str,
    round: &str,
) -> OutboxId {
    OutboxId::from_cause(workspace, &["escalation", &ticket.to_string(), rule, metric, round])
}

/// The workspace's rules in the order they are listed, with their ids.
pub fn rules(settings: &WorkspaceSettings) -> Vec<(&str, &EscalationRule)> {
    let mut rules: Vec<(&str, &EscalationRule)> =
        settings.escalation_rules.iter().map(|(id, rule)| (id.as_str(), rule)).collect();
    rules.sort_by_key(|(id, rule)| (rule.position, *id));
    rules
}

/// Whether `rule` watches clock `metric` of tickets of `priority`. A rule watches only the clocks it
/// names, and does something (a rule just added, nothing chosen yet, changes no ticket).
fn watches(rule: &EscalationRule, metric: &str, priority: TicketPriority) -> bool {
    let acts = rule.raise_priority
        || rule.assign_to.is_some()
        || rule.team.is_some()
        || names(&rule.notify).next().is_some();
    let any_priority = names(&rule.priorities).next().is_none();
    acts && names(&rule.metrics).any(|m| m == metric)
        && (any_priority || names(&rule.priorities).any(|p| p == priority.as_str()))
}

/// The customer message the next-response clock of `ticket` counts from: the first since the team's
/// last reply (later ones while it waits do not restart the clock, nor make a new breach).
fn next_response_round(ticket: &TicketRow) -> &str {
    let mut round = "";
    for event in &ticket.events {
        match event.kind {
            TicketEventKind::Reply => round = "",
            TicketEventKind::Customer if round.is_empty() => round = event.id.as_str(),
            _ => {}
        }
    }
    round
}

/// What the rules call for at a moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaches {
    /// Every breach to escalate and not escalated yet, oldest deadline first.
    pub due: Vec<Due>,
    /// The next deadline a rule watches, still to come: when to look again. Every device looks at
    /// that moment, so each finds the breach at once — the relay's ledger decides which applies it.
    pub next: Option<Timestamp>,
}

/// The breaches at `now` that rules call to escalate; `stamp` gives the relay's time of a ticket
/// event this device has heard of.
pub fn due(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    workspace: WorkspaceId,
    stamp: impl Fn(&OutboxId) -> Option<i64>,
    now: Timestamp,
) -> Breaches {
    let rules = rules(settings);
    if rules.is_empty() {
        return Breaches::default();
    }
    let desk = Desk::new(workspace, settings);
    let mut due = Vec::new();
    let mut next: Option<Timestamp> = None;
    for ticket in model.tickets.values() {
        if matches!(
            desk.statuses.category(&ticket.status),
            StatusCategory::Resolved | StatusCategory::Closed
        ) {
            continue;
        }
        let roles: Vec<&str> = ticket
            .party
            .and_then(|party| model.parties.get(&party))
            .map(|party| party.roles.iter().map(|role| role.role().key()).collect())
            .unwrap_or_default();
        let clocks = desk.clocks(ticket, &roles, &stamp);
        if clocks.unstamped > 0 {
            continue;
        }
        let clocks = clocks.clocks;
        for (metric, clock) in METRICS.into_iter().zip([
            clocks.first_response,
            clocks.next_response,
            clocks.resolution,
        ]) {
            let Some(deadline) = clock.and_then(Clock::due) else { continue };
            let round = if metric == "next_response" { next_response_round(ticket) } else { "" };
            for (rule_id, rule) in &rules {
                if !watches(rule, metric, ticket.priority) {
                    continue;
                }
                let key = breach_key(workspace, ticket.id, rule_id, metric, round);
                if ticket.escalated.iter().any(|done| done == key.as_str()) {
                    continue;
                }
                if deadline > now {
                    next = Some(next.map_or(deadline, |next| next.min(deadline)));
                    continue;
                }
                due.push(Due {
                    key,
                    ticket: ticket.id,
                    rule: (*rule_id).to_owned(),
                    metric,
                    due: deadline,
                });
            }
        }
    }
    due.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
    Breaches { due, next }
}

fn raised(priority: TicketPriority) -> TicketPriority {
    match priority {
        TicketPriority::Low => TicketPriority::Normal,
        TicketPriority::Normal => TicketPriority::High,
        TicketPriority::High | TicketPriority::Urgent => TicketPriority::Urgent,
    }
}

impl Due {
    /// Applies `rule` to `ticket` as event `event` (a fresh event id) at `at` by `by`; nothing when
    /// the ticket already shows this breach escalated. Returns whether it changed the ticket.
    pub fn apply(
        &self,
        rule: &EscalationRule,
        ticket: &mut Ticket,
        event: String,
        at: Timestamp,
        by: Option<MemberId>,
    ) -> bool {
        if ticket.escalations.values().any(|done| done.key == self.key.as_str()) {
            return false;
        }
        if rule.raise_priority {
            ticket.priority = raised(ticket.priority);
        }
        if let Some(team) = rule.team.as_deref().and_then(|team| team.parse::<TeamId>().ok()) {
            ticket.team = Some(team);
        }
        if let Some(member) = rule.assign_to.as_deref().and_then(|m| m.parse::<MemberId>().ok()) {
            ticket.assignee = Some(member);
        }
        ticket.escalations.insert(
            event,
            Escalated {
                key: self.key.to_string(),
                rule: self.rule.clone(),
                rule_name: rule.name.clone(),
                metric: self.metric.to_owned(),
                due: self.due,
                at,
                by,
            },
        );
        true
    }

    /// The notification `rule` asks for, pushed by the relay at once to the members it names (none:
    /// nobody is told): titled with the ticket's subject, the rule's name as its text — the team's
    /// own words, so that every device would ask for the same one. Its id derives from the breach.
    pub fn notification(
        &self,
        rule: &EscalationRule,
        workspace: WorkspaceId,
        subject: &str,
        now: Timestamp,
    ) -> Option<(OutboxId, Work)> {
        let mut to: Vec<MemberId> =
            names(&rule.notify).filter_map(|member| member.parse().ok()).collect();
        to.sort();
        to.dedup();
        to.truncate(MOST_NOTIFIED);
        if to.is_empty() {
            return None;
        }
        let notify = Notify {
            due_at: now.0.div_euclid(1000),
            to,
            title: crate::jobs::title(subject),
            body: crate::jobs::title(&rule.name),
            open: format!("/tickets/{}", self.ticket),
        };
        let id = OutboxId::from_cause(workspace, &["escalation", "notify", self.key.as_str()]);
        Some((id, Work::Notify(notify)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, NameSet, SlaPolicy};
    use crate::read_model::TicketEvent;
    use crate::sla::Targets;

    const NOW: i64 = 1_790_000_000_000;
    const MINUTE: i64 = 60_000;

    fn workspace() -> WorkspaceId {
        "0190f5a0-0000-7000-8000-000000000001".parse().unwrap()
    }

    fn member(n: u8) -> MemberId {
        MemberId::from_bytes([n; 16])
    }

    fn set(keys: &[&str]) -> NameSet {
        keys.iter().map(|key| ((*key).to_owned(), true)).collect()
    }

    /// A workspace answering every ticket within `first` minutes, around the clock, with `rules`.
    fn settings(first: u32, rules: &[(&str, EscalationRule)]) -> WorkspaceSettings {
        let mut settings = WorkspaceSettings::default();
        let targets =
            Targets { first_response: Some(first), next_response: None, resolution: None };
        let policy = SlaPolicy {
            name: "Standard".into(),
            position: 0,
            priorities: NameSet::new(),
            tags: NameSet::new(),
            roles: NameSet::new(),
            targets: TicketPriority::ALL
                .into_iter()
                .map(|priority| (priority.as_str().to_owned(), targets))
                .collect(),
            hours: None,
        };
        settings.sla_policies.insert("0190f5a0-0000-7000-8000-00000000000a".into(), policy);
        for (id, rule) in rules {
            settings.escalation_rules.insert((*id).to_owned(), rule.clone());
        }
        settings
    }

    fn late_answers() -> EscalationRule {
        EscalationRule {
            name: "Late first answers".into(),
            position: 0,
            metrics: set(&["first_response"]),
            priorities: NameSet::new(),
            raise_priority: true,
            assign_to: Some(member(2).to_string()),
            team: None,
            notify: set(&[&member(3).to_string()]),
        }
    }

    /// A ticket opened `minutes_ago`, at the relay's time, with nothing said since.
    fn ticket(minutes_ago: i64) -> (Ticket, TicketRow) {
        let id = TicketId::from_bytes([7; 16]);
        let opened = Timestamp(NOW - minutes_ago * MINUTE);
        let doc = Ticket::open(
            "Printer jams".into(),
            None,
            Channel::Phone,
            TicketPriority::Normal,
            "open",
            opened,
            Some(member(1)),
        );
        let row = TicketRow {
            id,
            subject: doc.subject.clone(),
            party: None,
            channel: doc.channel,
            priority: doc.priority,
            status: "open".into(),
            team: None,
            assignee: None,
            tags: Vec::new(),
            created_at: opened,
            events: vec![TicketEvent {
                id: "opened".into(),
                at: opened,
                kind: TicketEventKind::Opened,
                relay_time: true,
            }],
            mail_ids: Vec::new(),
            rating: None,
            escalated: Vec::new(),
        };
        (doc, row)
    }

    fn model(row: TicketRow) -> ReadModel {
        let mut model = ReadModel::default();
        model.tickets.insert(row.id, row);
        model
    }

    #[test]
    fn a_breach_is_due_once_its_deadline_passes_and_gone_once_escalated() {
        let rule_id = "0190f5a0-0000-7000-8000-0000000000e1";
        let settings = settings(30, &[(rule_id, late_answers())]);
        let (_, in_time) = ticket(29);
        let waiting = due(&model(in_time), &settings, workspace(), |_| None, Timestamp(NOW));
        assert!(waiting.due.is_empty());
        assert_eq!(waiting.next, Some(Timestamp(NOW + MINUTE)), "looked at again when due");
        let (mut doc, row) = ticket(31);
        let found = due(&model(row.clone()), &settings, workspace(), |_| None, Timestamp(NOW)).due;
        assert_eq!(found.len(), 1, "{found:?}");
        let breach = &found[0];
        assert_eq!(breach.metric, "first_response");
        assert_eq!(breach.due, Timestamp(NOW - MINUTE));
        assert_eq!(breach.key, breach_key(workspace(), row.id, rule_id, "first_response", ""));
        // Every device names it alike.
        assert_eq!(
            found,
            due(&model(row.clone()), &settings, workspace(), |_| None, Timestamp(NOW)).due
        );

        let rule = &settings.escalation_rules[rule_id];
        assert!(breach.apply(rule, &mut doc, "e1".into(), Timestamp(NOW), Some(member(1))));
        assert_eq!(doc.priority, TicketPriority::High);
        assert_eq!(doc.assignee, Some(member(2)));
        assert_eq!(doc.escalations["e1"].rule_name, "Late first answers");
        // Applied again (a second device that had not heard): nothing changes.
        assert!(!breach.apply(rule, &mut doc, "e2".into(), Timestamp(NOW), Some(member(4))));
        assert_eq!((doc.priority, doc.escalations.len()), (TicketPriority::High, 1));

        // Escalated — although the raised priority's deadline is another — it is due no more.
        let mut escalated = row;
        escalated.priority = doc.priority;
        escalated.escalated = vec![breach.key.to_string()];
        let later = Timestamp(NOW + 60 * MINUTE);
        assert_eq!(
            due(&model(escalated), &settings, workspace(), |_| None, later),
            Breaches::default()
        );
    }

    #[test]
    fn rules_watch_their_clocks_and_priorities_and_wait_for_the_relay_s_times() {
        let mut other_clock = late_answers();
        other_clock.metrics = set(&["resolution"]);
        let mut urgent_only = late_answers();
        urgent_only.priorities = set(&["urgent"]);
        let mut every_clock = late_answers();
        every_clock.metrics = set(&METRICS);
        let mut idle = late_answers();
        (idle.raise_priority, idle.assign_to, idle.notify) = (false, None, NameSet::new());
        let mut none = late_answers();
        none.metrics = NameSet::new();
        let settings = settings(
            30,
            &[
                ("0190f5a0-0000-7000-8000-0000000000e1", other_clock),
                ("0190f5a0-0000-7000-8000-0000000000e2", urgent_only),
                ("0190f5a0-0000-7000-8000-0000000000e3", every_clock),
                ("0190f5a0-0000-7000-8000-0000000000e4", idle),
                ("0190f5a0-0000-7000-8000-0000000000e5", none),
            ],
        );
        let (_, row) = ticket(31);
        let found = due(&model(row.clone()), &settings, workspace(), |_| None, Timestamp(NOW)).due;
        let rules: Vec<&str> = found.iter().map(|breach| breach.rule.as_str()).collect();
        assert_eq!(rules, ["0190f5a0-0000-7000-8000-0000000000e3"]);
        // Opened on this device's clock, the relay's time not heard yet: not for this device to say.
        let mut unstamped = row;
        unstamped.events[0].relay_time = false;
        let found =
            due(&model(unstamped.clone()), &settings, workspace(), |_| None, Timestamp(NOW));
        assert_eq!(found, Breaches::default(), "nor looked at again: the stamp will wake it");
        // Resolved: no clock runs.
        unstamped.status = "resolved".into();
        let resolved = due(&model(unstamped), &settings, workspace(), |_| None, Timestamp(NOW));
        assert_eq!(resolved, Breaches::default());
    }

    #[test]
    fn a_customer_s_follow_up_is_the_same_next_response_breach() {
        let (_, mut row) = ticket(0);
        let event = |id: &str, kind| TicketEvent {
            id: id.to_owned(),
            at: Timestamp(NOW),
            kind,
            relay_time: true,
        };
        row.events.push(event("r1", TicketEventKind::Reply));
        row.events.push(event("c1", TicketEventKind::Customer));
        row.events.push(event("c2", TicketEventKind::Customer));
        assert_eq!(next_response_round(&row), "c1", "still owed an answer since c1");
        row.events.push(event("r2", TicketEventKind::Reply));
        assert_eq!(next_response_round(&row), "");
        row.events.push(event("c3", TicketEventKind::Customer));
        assert_eq!(next_response_round(&row), "c3");
    }

    #[test]
    fn the_notification_goes_to_the_named_members_under_an_id_derived_from_the_breach() {
        let rule_id = "0190f5a0-0000-7000-8000-0000000000e1";
        let settings = settings(30, &[(rule_id, late_answers())]);
        let (_, row) = ticket(31);
        let found = due(&model(row), &settings, workspace(), |_| None, Timestamp(NOW)).due;
        let rule = &settings.escalation_rules[rule_id];
        let (id, work) =
            found[0].notification(rule, workspace(), "Printer\njams", Timestamp(NOW)).unwrap();
        let Work::Notify(notify) = &work else { panic!("{work:?}") };
        assert_eq!(notify.to, [member(3)]);
        assert_eq!(
            (notify.title.as_str(), notify.body.as_str()),
            ("Printer jams", "Late first answers")
        );
        assert_eq!(work.check(), Ok(()));
        let again = found[0].notification(rule, workspace(), "Printer jams", Timestamp(NOW + 1));
        assert_eq!(again.map(|(id, _)| id), Some(id));
        let mut silent = rule.clone();
        silent.notify = NameSet::new();
        assert_eq!(found[0].notification(&silent, workspace(), "x", Timestamp(NOW)), None);
    }
}
