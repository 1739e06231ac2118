use super::*;
use crate::ids::{InteractionId, MemberId, TaskId, TicketId};
use crate::layout::Month;
use crate::read_model::{InteractionRow, PartyKindRow, TaskRow, TicketRow};

const NOW: Timestamp = Timestamp(1_795_003_200_000);

fn day(days: i64) -> Timestamp {
    Timestamp(NOW.0 + days * DAY_MS)
}

fn party(n: u8, cadence: Option<u32>) -> PartyRow {
    PartyRow {
        kind: PartyKindRow::Organisation,
        keep_in_touch_days: cadence,
        created_at: day(-500),
        ..PartyRow::named(PartyId::from_bytes([n; 16]), &format!("Party {n}"))
    }
}

fn log(
    model: &mut ReadModel,
    n: u32,
    party: PartyId,
    at: Timestamp,
    kind: InteractionKind,
    ours: bool,
    answers: bool,
) {
    let mut id = [0; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    let row = InteractionRow {
        id: InteractionId::from_bytes(id),
        kind: InteractionKind::ALL.iter().position(|k| *k == kind).unwrap() as u8,
        at,
        parties: vec![party],
        summary: String::new(),
        author: ours.then(|| MemberId::from_bytes([7; 16])),
        answers: answers.then(|| InteractionId::from_bytes([1; 16])),
        automatic: false,
    };
    model.interactions.entry(Month::of(at)).or_default().insert(row.id, row);
    let last = model.last_contact.entry(party).or_insert(at);
    *last = (*last).max(at);
}

#[test]
fn a_kept_relationship_scores_full_and_each_lapse_costs_points_with_its_reason() {
    let settings = WorkspaceSettings::default();
    let mut model = ReadModel::default();
    // Kept: called twice lately and answered our mail.
    let kept = party(1, Some(30));
    log(&mut model, 1, kept.id, day(-3), InteractionKind::Call, true, false);
    log(&mut model, 2, kept.id, day(-20), InteractionKind::Email, true, false);
    log(&mut model, 3, kept.id, day(-19), InteractionKind::Email, false, true);
    // Lapsed: one call 45 days ago on a 30-day cadence; two mails to them since were never answered.
    let lapsed = party(2, Some(30));
    log(&mut model, 4, lapsed.id, day(-45), InteractionKind::Email, true, false);
    log(&mut model, 5, lapsed.id, day(-60), InteractionKind::Email, true, false);
    // Never contacted, with an overdue task about them.
    let stranger = party(3, None);
    // Wrote in two days ago; the ticket is still open.
    let writer = party(4, None);
    let mut ticket = TicketRow {
        id: TicketId::from_bytes([1; 16]),
        subject: "Broken".into(),
        party: Some(writer.id),
        channel: crate::model::Channel::Email,
        priority: crate::model::TicketPriority::Normal,
        status: "open".into(),
        team: None,
        assignee: None,
        tags: Vec::new(),
        created_at: day(-2),
        events: Vec::new(),
        mail_ids: Vec::new(),
        rating: None,
        escalated: Vec::new(),
    };
    model.tickets.insert(ticket.id, ticket.clone());
    let task = TaskRow {
        id: TaskId::from_bytes([1; 16]),
        title: "Call back".into(),
        due: Some(day(-1)),
        assignee: None,
        parties: vec![stranger.id],
        deals: Vec::new(),
        done_at: None,
        snoozed_until: None,
        created_at: day(-5),
        repeats: None,
    };
    model.tasks.insert(task.id, task);
    for p in [&kept, &lapsed, &stranger, &writer] {
        model.parties.insert(p.id, p.clone());
    }

    let signals = signals(&model, &settings, NOW);
    let of = |p: &PartyRow| {
        health(p, signals.get(&p.id).copied().as_ref().unwrap_or(&Signals::default()), NOW)
    };
    assert_eq!(of(&kept), Health { score: 100, reasons: vec![] });
    // 45 days on a 30-day cadence: 10 + 30 × 15/30 = 25; unanswered mail 15.
    assert_eq!(
        of(&lapsed),
        Health {
            score: 60,
            reasons: vec![
                Reason::Overdue { days: 45, cadence: 30 },
                Reason::Unanswered { sent: 2 }
            ]
        }
    );
    assert_eq!(
        of(&stranger),
        Health { score: 55, reasons: vec![Reason::NeverContacted, Reason::OverdueSteps(1)] }
    );
    assert_eq!(
        of(&writer),
        Health { score: 95, reasons: vec![Reason::OpenTickets(1)] },
        "writing in is contact"
    );
    let cold: Vec<(PartyId, u8)> =
        going_cold(&model, &settings, NOW).iter().map(|(p, h)| (p.id, h.score)).collect();
    assert_eq!(cold, [(stranger.id, 55)]);
    assert_eq!(
        signals_of(&model, &settings, lapsed.id, NOW),
        signals[&lapsed.id],
        "one party's alone"
    );

    // The ticket resolved and the task done: only the silence remains.
    ticket.status = "resolved".into();
    model.tickets.insert(ticket.id, ticket);
    model.tasks.values_mut().for_each(|t| t.done_at = Some(day(0)));
    let signals = self::signals(&model, &settings, NOW);
    let nothing = Signals::default();
    let of_stranger = signals.get(&stranger.id).unwrap_or(&nothing);
    assert_eq!(health(&stranger, of_stranger, NOW).reasons, [Reason::NeverContacted]);
    assert_eq!(health(&writer, &signals[&writer.id], NOW).score, 100);
}

#[test]
fn what_was_recorded_against_a_merged_record_counts_for_the_one_it_was_merged_into() {
    let settings = WorkspaceSettings::default();
    let mut model = ReadModel::default();
    let survivor = party(1, Some(30));
    let mut duplicate = party(2, Some(30));
    duplicate.merged_into = Some(survivor.id);
    duplicate.archived = true;
    log(&mut model, 1, duplicate.id, day(-3), InteractionKind::Call, true, false);
    log(&mut model, 2, duplicate.id, day(-10), InteractionKind::Meeting, true, false);
    for p in [&survivor, &duplicate] {
        model.parties.insert(p.id, p.clone());
    }
    let signals = signals_of(&model, &settings, survivor.id, NOW);
    assert_eq!((signals.last_contact, signals.recent), (Some(day(-3)), 2));
    assert_eq!(health(&survivor, &signals, NOW).score, 100);
    assert!(going_cold(&model, &settings, NOW).is_empty(), "the merged record is archived");
}

#[test]
fn a_new_record_is_not_late_for_its_first_contact_and_a_quarterly_one_needs_one_call() {
    let mut fresh = party(1, Some(30));
    fresh.created_at = day(-10);
    assert_eq!(health(&fresh, &Signals::default(), NOW).score, 100);
    let quarterly = party(2, Some(90));
    let once = Signals { last_contact: Some(day(-20)), recent: 1, ..Signals::default() };
    assert_eq!(health(&quarterly, &once, NOW).score, 100);
    let monthly = party(3, Some(30));
    assert_eq!(health(&monthly, &once, NOW).reasons, [Reason::Quiet { interactions: 1 }]);
}

#[test]
fn a_long_silence_costs_at_most_forty_points_and_never_less_than_ten() {
    let overdue = |days| Reason::Overdue { days, cadence: 30 }.penalty();
    assert_eq!((overdue(31), overdue(45), overdue(60), overdue(600)), (11, 25, 40, 40));
    assert_eq!(Reason::Overdue { days: 5, cadence: 0 }.penalty(), 40, "a zero cadence is a day");
    assert_eq!(Reason::OpenTickets(9).penalty(), 15);
}

#[test]
fn the_coldest_few_are_the_head_of_the_whole_cold_list_and_the_count_is_of_all() {
    let mut model = ReadModel::default();
    let mut everyone = HashMap::new();
    for n in 0..40u8 {
        let mut row = party(n, None);
        // Names out of id order, and scores with ties.
        row.name = format!("Party {}", 39 - n);
        row.sort_name = row.name.to_lowercase();
        row.archived = n == 3;
        row.owner = (n % 2 == 0).then(|| MemberId::from_bytes([1; 16]));
        everyone.insert(row.id, Health { score: 20 + n % 7 * 10, reasons: Vec::new() });
        model.parties.insert(row.id, row);
    }
    let (count, all) = coldest(&model, &everyone, |_| true, usize::MAX);
    assert!(all.iter().all(|(p, h)| h.going_cold() && !p.archived));
    assert!(
        all.windows(2)
            .all(|w| (w[0].1.score, &w[0].0.sort_name) <= (w[1].1.score, &w[1].0.sort_name))
    );
    assert_eq!(count, all.len());
    let (few_count, few) = coldest(&model, &everyone, |_| true, 5);
    assert_eq!((few_count, few.as_slice()), (count, &all[..5]));
    let theirs = |p: &PartyRow| p.owner.is_some();
    let (mine_count, mine) = coldest(&model, &everyone, theirs, 3);
    let expected: Vec<_> = all.iter().filter(|(p, _)| theirs(p)).copied().collect();
    assert_eq!((mine_count, mine.as_slice()), (expected.len(), &expected[..3]));
}
