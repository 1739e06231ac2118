use super::*;
use crate::demo::{self, DemoSizes};
use crate::ids::{DealId, PipelineId, StageId};
use crate::layout::Month;
use crate::model::SequenceStep;
use crate::read_model::{DealRow, InteractionRow};
use crate::tracking::EngagementEvent;

const NOW: Timestamp = Timestamp(1_790_000_000_000);
const DAY: i64 = DAY_MS;
const WS: WorkspaceId = WorkspaceId::from_bytes([1; 16]);
const SEQ: SequenceId = SequenceId::from_bytes([2; 16]);

fn step(position: u32, kind: &str) -> SequenceStep {
    SequenceStep { position, kind: kind.into(), ..Default::default() }
}

/// Intro mail; a branch that waits 3 days for a reply and goes to the call if there is one; a
/// follow-up mail; the end; the call (a task due in 2 days).
fn sequence() -> Sequence {
    let mut steps = BTreeMap::new();
    steps.insert(
        "intro".into(),
        SequenceStep {
            subject: "Hello {{first_name|there}}".into(),
            body: "We met at the fair.".into(),
            ..step(0, "email")
        },
    );
    steps.insert(
        "ask".into(),
        SequenceStep { days: 3, on: "replied".into(), then: "call".into(), ..step(1, "branch") },
    );
    steps.insert(
        "again".into(),
        SequenceStep {
            subject: "Following up".into(),
            body: "Any news?".into(),
            ..step(2, "email")
        },
    );
    steps.insert("stop".into(), step(3, "end"));
    steps
        .insert("call".into(), SequenceStep { subject: "Call".into(), days: 2, ..step(4, "task") });
    Sequence {
        name: "Fair follow-up".into(),
        steps,
        created_by: Some(MemberId::from_bytes([9; 16])),
        created_at: NOW,
        ..Sequence::default()
    }
}

struct Fixture {
    model: ReadModel,
    outbox: DeviceOutbox,
    /// Parties with an email address, the first without an owner.
    people: Vec<PartyId>,
}

fn fixture(sequence: Sequence) -> Fixture {
    let sizes = DemoSizes {
        parties: 30,
        interactions: 0,
        deals: 0,
        tasks: 0,
        tickets: 0,
        ..Default::default()
    };
    let demo = demo::generate(3, sizes, NOW);
    let mut model = ReadModel::default();
    for (key, mut doc) in demo.to_documents().unwrap() {
        model.replace_document(key, &mut doc);
    }
    let mut people: Vec<PartyId> = model
        .parties
        .values()
        .filter(|row| !row.archived && row.emails.iter().any(|e| plausible_address(e)))
        .map(|row| row.id)
        .collect();
    people.sort_by_key(|id| model.parties[id].owner.is_some());
    model.parties.get_mut(&people[0]).unwrap().owner = None;
    model.sequences.insert(SEQ, SequenceRow::of(SEQ, &sequence));
    Fixture { model, outbox: DeviceOutbox::default(), people }
}

fn enrol(sequence: &mut Sequence, party: PartyId, at: Timestamp) {
    sequence.enrolled.insert(party.to_string(), Enrolment { at, by: None });
}

fn ran(sequence: &mut Sequence, party: PartyId, step: &str, at: Timestamp, yes: bool) {
    sequence.runs.insert(run_key(party, step), StepRun { at, yes, skipped: false });
}

fn index(row: &SequenceRow, id: &str) -> usize {
    row.steps.iter().position(|step| step.id == id).unwrap()
}

fn replied_to(mail: &str) -> Facts {
    let mut facts = Facts::default();
    facts.mails.insert(mail.into(), Reacted { replied: true, ..Reacted::default() });
    facts
}

const FINISHED: Standing = Standing::Left { why: Leave::Finished };

#[test]
fn steps_come_in_order_and_a_branch_waits_for_its_answer_then_goes_on_without_it() {
    let party = PartyId::from_bytes([5; 16]);
    let mut seq = sequence();
    enrol(&mut seq, party, NOW);
    let row = SequenceRow::of(SEQ, &seq);
    let ids: Vec<&str> = row.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["intro", "ask", "again", "stop", "call"]);
    let quiet = Facts::default();
    let at = |row: &SequenceRow, now| standing(row, party, NOW, &quiet, now);
    assert_eq!(at(&row, NOW), Standing::Due { step: 0, since: NOW });
    // The intro went an hour later (the device was offline): the branch's days count from then.
    let sent = Timestamp(NOW.0 + DAY / 24);
    ran(&mut seq, party, "intro", sent, false);
    let row = SequenceRow::of(SEQ, &seq);
    let until = Timestamp(sent.0 + 3 * DAY);
    assert_eq!(at(&row, NOW), Standing::Waiting { step: 1, until });
    assert_eq!(at(&row, Timestamp(until.0 - 1)), Standing::Waiting { step: 1, until });
    assert_eq!(at(&row, until), Standing::Due { step: 1, since: sent });
    // A reply makes it due at once, days before its end.
    let mut keeps = row.clone();
    keeps.stay_on_reply = true;
    let replied = replied_to("intro");
    assert_eq!(
        standing(&keeps, party, NOW, &replied, sent),
        Standing::Due { step: 1, since: sent }
    );
    // No: the follow-up, then the end, never the call.
    let mut no = seq.clone();
    ran(&mut no, party, "ask", until, false);
    let no_row = SequenceRow::of(SEQ, &no);
    assert_eq!(at(&no_row, until), Standing::Due { step: 2, since: until });
    ran(&mut no, party, "again", until, false);
    assert_eq!(at(&SequenceRow::of(SEQ, &no), until), FINISHED);
    // Yes: straight to the call, then through.
    let mut yes = seq.clone();
    ran(&mut yes, party, "ask", sent, true);
    let yes_row = SequenceRow::of(SEQ, &yes);
    assert_eq!(at(&yes_row, sent), Standing::Due { step: index(&yes_row, "call"), since: sent });
    ran(&mut yes, party, "call", sent, false);
    assert_eq!(at(&SequenceRow::of(SEQ, &yes), sent), FINISHED);
}

#[test]
fn a_wait_counts_from_when_the_step_before_was_done_so_a_pause_sends_nothing_twice() {
    let party = PartyId::from_bytes([5; 16]);
    let mut seq = Sequence { name: "Drip".into(), created_at: NOW, ..Sequence::default() };
    for (position, (id, kind)) in
        [("one", "task"), ("wait", "wait"), ("two", "task")].into_iter().enumerate()
    {
        let mut step = step(position as u32, kind);
        step.days = 2;
        seq.steps.insert(id.into(), step);
    }
    enrol(&mut seq, party, NOW);
    seq.paused = true;
    let quiet = Facts::default();
    let row = SequenceRow::of(SEQ, &seq);
    assert_eq!(standing(&row, party, NOW, &quiet, NOW), Standing::Paused { step: 0 });
    // Resumed ten days later: the first step is done then, and the second two days after it.
    let resumed = Timestamp(NOW.0 + 10 * DAY);
    seq.paused = false;
    ran(&mut seq, party, "one", resumed, false);
    let row = SequenceRow::of(SEQ, &seq);
    let until = Timestamp(resumed.0 + 2 * DAY);
    assert_eq!(standing(&row, party, NOW, &quiet, resumed), Standing::Waiting { step: 1, until });
    assert_eq!(standing(&row, party, NOW, &quiet, until), Standing::Due { step: 2, since: until });
    // Paused again once the wait is over: nothing is due until it is resumed.
    seq.paused = true;
    let row = SequenceRow::of(SEQ, &seq);
    assert_eq!(standing(&row, party, NOW, &quiet, until), Standing::Paused { step: 2 });
}

#[test]
fn a_reply_an_opt_out_a_won_deal_or_a_member_takes_a_party_out_before_the_next_step() {
    let party = PartyId::from_bytes([5; 16]);
    let mut seq = sequence();
    enrol(&mut seq, party, NOW);
    ran(&mut seq, party, "intro", NOW, false);
    let row = SequenceRow::of(SEQ, &seq);
    let later = Timestamp(NOW.0 + 5 * DAY);
    let left = |row: &SequenceRow, facts: Facts| standing(row, party, NOW, &facts, later);
    let gone = |why| Standing::Left { why };
    assert_eq!(left(&row, replied_to("intro")), gone(Leave::Replied));
    let both = Facts { unsubscribed: true, ..replied_to("intro") };
    assert_eq!(left(&row, both), gone(Leave::Unsubscribed));
    assert_eq!(left(&row, Facts { won: true, ..Facts::default() }), gone(Leave::DealWon));
    assert_eq!(left(&row, Facts { gone: true, ..Facts::default() }), gone(Leave::Gone));
    // A sequence that keeps those who reply lets its branch answer instead.
    let mut keeps = row.clone();
    keeps.stay_on_reply = true;
    assert_eq!(left(&keeps, replied_to("intro")), Standing::Due { step: 1, since: NOW });
    // Removed by hand, even while waiting.
    seq.removed.insert(party.to_string(), NOW);
    let row = SequenceRow::of(SEQ, &seq);
    assert_eq!(standing(&row, party, NOW, &Facts::default(), NOW), gone(Leave::Removed));
    // Through before they replied: they finished it.
    let mut done = sequence();
    enrol(&mut done, party, NOW);
    ran(&mut done, party, "intro", NOW, false);
    ran(&mut done, party, "ask", NOW, true);
    ran(&mut done, party, "call", NOW, false);
    let row = SequenceRow::of(SEQ, &done);
    assert_eq!(left(&row, replied_to("intro")), FINISHED);
}

#[test]
fn an_outcome_once_written_holds_whatever_comes_after() {
    let party = PartyId::from_bytes([5; 16]);
    let mut seq = sequence();
    enrol(&mut seq, party, NOW);
    ran(&mut seq, party, "intro", NOW, false);
    ran(&mut seq, party, "ask", NOW, false);
    ran(&mut seq, party, "again", NOW, false);
    seq.outcomes.insert(party.to_string(), outcome(Leave::Finished, NOW));
    // A step added at the end since does not take them back in.
    seq.steps.get_mut("stop").unwrap().kind = "wait".into();
    let row = SequenceRow::of(SEQ, &seq);
    assert_eq!(standing(&row, party, NOW, &Facts::default(), NOW), FINISHED);
    // Nor does consent given again after an opt-out.
    seq.outcomes.insert(party.to_string(), outcome(Leave::Unsubscribed, NOW));
    let row = SequenceRow::of(SEQ, &seq);
    let unsubscribed = Standing::Left { why: Leave::Unsubscribed };
    assert_eq!(standing(&row, party, NOW, &Facts::default(), NOW), unsubscribed);
    // An outcome this version does not know is no outcome.
    seq.outcomes.insert(party.to_string(), crate::model::Outcome { at: NOW, how: "moved".into() });
    assert!(SequenceRow::of(SEQ, &seq).outcomes.is_empty());
}

#[test]
fn a_step_not_written_yet_holds_those_who_reach_it() {
    let party = PartyId::from_bytes([5; 16]);
    let mut seq = sequence();
    enrol(&mut seq, party, NOW);
    for (subject, body) in [("", "Text"), ("Hello", ""), ("Hello {{first_name", "Text"), (" ", " ")]
    {
        let intro = seq.steps.get_mut("intro").unwrap();
        intro.subject = subject.into();
        intro.body = body.into();
        let row = SequenceRow::of(SEQ, &seq);
        let held = standing(&row, party, NOW, &Facts::default(), NOW);
        assert_eq!(held, Standing::Unwritten { step: 0 }, "{subject:?} {body:?}");
    }
    // Paused or not, a party who left is gone whatever step holds them.
    let row = SequenceRow::of(SEQ, &seq);
    let facts = Facts { unsubscribed: true, ..Facts::default() };
    assert_eq!(
        standing(&row, party, NOW, &facts, NOW),
        Standing::Left { why: Leave::Unsubscribed }
    );
}

#[test]
fn a_branch_asks_only_about_the_mails_since_the_branch_before_it() {
    let party = PartyId::from_bytes([5; 16]);
    let mut seq = Sequence { name: "Nurture".into(), created_at: NOW, ..Sequence::default() };
    let mail = |position, subject: &str| SequenceStep {
        subject: subject.into(),
        body: "Text".into(),
        ..step(position, "email")
    };
    seq.steps.insert("m1".into(), mail(0, "One"));
    seq.steps
        .insert("b1".into(), SequenceStep { days: 2, on: "opened".into(), ..step(1, "branch") });
    seq.steps.insert("m2".into(), mail(2, "Two"));
    seq.steps
        .insert("b2".into(), SequenceStep { days: 2, on: "opened".into(), ..step(3, "branch") });
    seq.steps.insert("m3".into(), mail(4, "Three"));
    enrol(&mut seq, party, NOW);
    ran(&mut seq, party, "m1", NOW, false);
    ran(&mut seq, party, "b1", Timestamp(NOW.0 + 2 * DAY), false);
    ran(&mut seq, party, "m2", Timestamp(NOW.0 + 2 * DAY), false);
    let row = SequenceRow::of(SEQ, &seq);
    // They opened the first mail late, after its branch went on without it: the second branch
    // waits for the second mail.
    let mut facts = Facts::default();
    facts.mails.insert("m1".into(), Reacted { opened: true, ..Reacted::default() });
    facts.mails.insert("m2".into(), Reacted::default());
    let now = Timestamp(NOW.0 + 3 * DAY);
    let until = Timestamp(NOW.0 + 4 * DAY);
    assert_eq!(standing(&row, party, NOW, &facts, now), Standing::Waiting { step: 3, until });
    // A click on the second is an open: due at once.
    facts.mails.insert("m2".into(), Reacted { clicked: true, ..Reacted::default() });
    assert_eq!(
        standing(&row, party, NOW, &facts, now),
        Standing::Due { step: 3, since: Timestamp(NOW.0 + 2 * DAY) }
    );
}

#[test]
fn a_branch_never_goes_back() {
    let party = PartyId::from_bytes([5; 16]);
    let mut seq = sequence();
    seq.steps.get_mut("ask").unwrap().then = "intro".into();
    enrol(&mut seq, party, NOW);
    ran(&mut seq, party, "intro", NOW, false);
    ran(&mut seq, party, "ask", NOW, true);
    let row = SequenceRow::of(SEQ, &seq);
    assert_eq!(standing(&row, party, NOW, &Facts::default(), NOW), FINISHED);
    // A branch to a step since removed also ends the sequence.
    seq.steps.get_mut("ask").unwrap().then = "gone".into();
    let row = SequenceRow::of(SEQ, &seq);
    assert_eq!(standing(&row, party, NOW, &Facts::default(), NOW), FINISHED);
}

#[test]
fn a_step_or_question_of_a_newer_version_holds_those_who_reach_it_and_no_steps_hold_everyone() {
    let mut seq = sequence();
    let mut fx = fixture(seq.clone());
    let (ann, bob) = (fx.people[0], fx.people[1]);
    enrol(&mut seq, ann, NOW);
    enrol(&mut seq, bob, NOW);
    // A step this version does not know, after the intro: held there, never through.
    seq.steps.get_mut("ask").unwrap().kind = "fax".into();
    ran(&mut seq, ann, "intro", NOW, false);
    let row = SequenceRow::of(SEQ, &seq);
    let quiet = Facts::default();
    assert_eq!(standing(&row, ann, NOW, &quiet, NOW), Standing::Unwritten { step: 1 });
    // A branch asking what this version does not know: the same.
    seq.steps.get_mut("ask").unwrap().kind = "branch".into();
    seq.steps.get_mut("ask").unwrap().on = "smoke_signal".into();
    let row = SequenceRow::of(SEQ, &seq);
    assert_eq!(standing(&row, ann, NOW, &quiet, NOW), Standing::Unwritten { step: 1 });
    fx.model.sequences.insert(SEQ, row);
    let world = World::new(WS, &fx.model, &fx.outbox);
    let due = world.due(NOW);
    assert!(due.steps.iter().all(|d| d.party != ann), "nothing due for Ann: {due:?}");
    assert!(due.settled.is_empty());
    // No steps yet: nobody is through, nothing is written down.
    let mut empty = seq.clone();
    empty.steps.clear();
    let row = SequenceRow::of(SEQ, &empty);
    assert_eq!(standing(&row, bob, NOW, &quiet, NOW), Standing::NoSteps);
    fx.model.sequences.insert(SEQ, row);
    assert_eq!(World::new(WS, &fx.model, &fx.outbox).due(NOW), Due::default());
    // Through a paused sequence: not written down until it is resumed (steps may be added).
    let mut short = Sequence { name: "Short".into(), created_at: NOW, ..Sequence::default() };
    short.steps.insert("one".into(), step(0, "task"));
    enrol(&mut short, bob, NOW);
    ran(&mut short, bob, "one", NOW, false);
    short.paused = true;
    fx.model.sequences.insert(SEQ, SequenceRow::of(SEQ, &short));
    assert!(World::new(WS, &fx.model, &fx.outbox).due(NOW).settled.is_empty());
    short.paused = false;
    fx.model.sequences.insert(SEQ, SequenceRow::of(SEQ, &short));
    let settled = World::new(WS, &fx.model, &fx.outbox).due(NOW).settled;
    assert_eq!(settled, vec![(SEQ, bob, Leave::Finished)]);
}

#[test]
fn what_a_party_did_is_read_from_the_timeline_the_outbox_and_won_deals() {
    let mut seq = sequence();
    let mut fx = fixture(seq.clone());
    let (ann, bob) = (fx.people[0], fx.people[1]);
    enrol(&mut seq, ann, NOW);
    enrol(&mut seq, bob, NOW);
    ran(&mut seq, ann, "intro", NOW, false);
    ran(&mut seq, bob, "intro", NOW, false);
    fx.model.sequences.insert(SEQ, SequenceRow::of(SEQ, &seq));
    let sent_to_ann = mail_interaction(WS, SEQ, ann, "intro");
    // Ann's out-of-office answered the intro first, then Ann herself; Bob clicked a link in his.
    let answer = |id: u8, automatic: bool| InteractionRow {
        id: InteractionId::from_bytes([id; 16]),
        kind: 3,
        at: Timestamp(NOW.0 + DAY),
        parties: vec![ann],
        summary: "Re: Hello".into(),
        author: None,
        answers: Some(sent_to_ann),
        automatic,
    };
    let put = |model: &mut ReadModel, row: InteractionRow| {
        model.interactions.entry(Month::of(row.at)).or_default().insert(row.id, row);
    };
    put(&mut fx.model, answer(6, true));
    let bob_copy = OutboxId::of_mail(WS, mail_interaction(WS, SEQ, bob, "intro"));
    let click =
        EngagementEvent { seq: 1, item: bob_copy, link: Some("https://x.example".into()), at: 1 };
    fx.outbox.apply_engagement(vec![click], 1);
    let row = fx.model.sequences[&SEQ].clone();
    let world = World::new(WS, &fx.model, &fx.outbox);
    assert!(!world.facts(&row, ann, NOW).replied(), "an out-of-office answer is no reply");
    put(&mut fx.model, answer(7, false));
    let world = World::new(WS, &fx.model, &fx.outbox);
    let ann_facts = world.facts(&row, ann, NOW);
    assert!(ann_facts.replied() && !ann_facts.mails["intro"].opened);
    let bob_facts = world.facts(&row, bob, NOW);
    let bob_intro = bob_facts.mails["intro"];
    assert!(bob_intro.clicked && bob_intro.as_asked(Reaction::Opened) && !bob_facts.replied());
    assert_eq!(bob_facts.mails.len(), 1, "only mails that went are read");
    assert_eq!(world.standing(&row, ann, NOW), Some(Standing::Left { why: Leave::Replied }));
    assert_eq!(world.standing(&row, fx.people[2], NOW), None, "never enrolled");
    // A deal won since the enrolment takes Bob out; one won before does not.
    let deal = |id: u8, since: i64| DealRow {
        id: DealId::from_bytes([id; 16]),
        title: "Order".into(),
        pipeline: PipelineId::from_bytes([1; 16]),
        stage: StageId::from_bytes([1; 16]),
        amount_minor: 100,
        currency: "EUR".into(),
        expected_close: None,
        owner: None,
        parties: vec![bob],
        status: DealStatusRow::Won,
        created_at: Timestamp(since),
        stage_since: Timestamp(since),
        stages: Vec::new(),
        closed_at: None,
        closings: Vec::new(),
        terms: Vec::new(),
        lost_reason: String::new(),
        round: None,
        soft_circled: None,
        committed: None,
    };
    fx.model.deals.insert(DealId::from_bytes([1; 16]), deal(1, NOW.0 - DAY));
    let world = World::new(WS, &fx.model, &fx.outbox);
    assert!(!world.facts(&row, bob, NOW).won);
    fx.model.deals.insert(DealId::from_bytes([2; 16]), deal(2, NOW.0 + DAY));
    let world = World::new(WS, &fx.model, &fx.outbox);
    assert!(world.facts(&row, bob, NOW).won);
    // An opt-out heard from the relay takes them out.
    let address = fx.model.parties[&ann].emails[0].clone();
    let event = crate::outbox::ConsentEvent {
        seq: 1,
        address,
        opted_in: false,
        source: "one-click unsubscribe".into(),
        at: 1,
    };
    fx.outbox.apply_consent(vec![event]);
    let world = World::new(WS, &fx.model, &fx.outbox);
    assert!(world.facts(&row, ann, NOW).unsubscribed);
}

#[test]
fn every_device_derives_the_same_work_for_a_due_step() {
    let mut seq = sequence();
    let mut fx = fixture(seq.clone());
    let (ann, bob) = (fx.people[0], fx.people[1]);
    let nobody = fx.people[2];
    fx.model.parties.get_mut(&nobody).unwrap().emails.clear();
    let through = fx.people[3];
    for party in [ann, bob, nobody, through] {
        enrol(&mut seq, party, NOW);
    }
    ran(&mut seq, bob, "intro", NOW, false);
    for step in ["intro", "ask", "call"] {
        ran(&mut seq, through, step, NOW, true);
    }
    fx.model.sequences.insert(SEQ, SequenceRow::of(SEQ, &seq));
    // Another sequence, archived: nothing of it is due.
    let mut archived = seq.clone();
    archived.archived = true;
    let other = SequenceId::from_bytes([3; 16]);
    fx.model.sequences.insert(other, SequenceRow::of(other, &archived));
    let world = World::new(WS, &fx.model, &fx.outbox);
    let due = world.due(NOW);
    let mut who: Vec<(PartyId, &str)> =
        due.steps.iter().map(|d| (d.party, d.step.id.as_str())).collect();
    who.sort();
    let mut expected = vec![(ann, "intro"), (nobody, "intro")];
    expected.sort();
    assert_eq!(who, expected);
    assert_eq!(due.next, Some(Timestamp(NOW.0 + 3 * DAY)), "Bob's branch gives up then");
    assert_eq!(due.settled, vec![(SEQ, through, Leave::Finished)], "to be written down");
    let how = Sending { track: true, utm: false };
    let for_ann = due.steps.iter().find(|d| d.party == ann).unwrap();
    let Action::Email { interaction, record, mail } =
        world.act(for_ann, how, Some("support-x@in.example"), NOW)
    else {
        panic!("an email")
    };
    assert_eq!(interaction, mail_interaction(WS, SEQ, ann, "intro"));
    assert_eq!(record.parties, vec![ann]);
    assert_eq!(record.kind, InteractionKind::Email);
    let Work::Mail(mail) = *mail else { panic!() };
    assert_eq!(mail.reply_to.as_ref().map(|r| r.address.as_str()), Some("support-x@in.example"));
    assert!(mail.bulk && mail.track, "marketing mail: unsubscribe headers, tracked");
    let first = fx.model.parties[&ann].name.split_whitespace().next().unwrap().to_owned();
    assert_eq!(mail.subject, format!("Hello {first}"));
    assert_eq!(record.summary, mail.subject);
    assert_eq!(for_ann.key(WS), step_key(WS, SEQ, ann, "intro"));
    assert_ne!(for_ann.key(WS), step_key(WS, SEQ, bob, "intro"));
    // No address: done without effect, so the sequence goes on.
    let for_nobody = due.steps.iter().find(|d| d.party == nobody).unwrap();
    let skipped = world.act(for_nobody, how, None, NOW);
    assert_eq!(skipped, Action::Skip(Skip::NoAddress));
    assert!(skipped.run(NOW).unwrap().skipped);
    // The call: a task for the party's owner, or the sequence's author when they have none.
    let call =
        DueStep { sequence: SEQ, party: ann, step: fx.model.sequences[&SEQ].steps[4].clone() };
    let Action::Task { id, record } = world.act(&call, how, None, NOW) else { panic!() };
    assert_eq!(id, step_task(WS, SEQ, ann, "call"));
    assert_eq!(record.assignee, Some(MemberId::from_bytes([9; 16])));
    assert_eq!(record.due, Some(Timestamp(NOW.0 + 2 * DAY)));
    assert_eq!(record.links, vec![RecordRef::Party(ann)]);
    let owned = DueStep { party: bob, ..call.clone() };
    let Action::Task { record, .. } = world.act(&owned, how, None, NOW) else { panic!() };
    assert_eq!(record.assignee, fx.model.parties[&bob].owner);
    assert!(record.assignee.is_some());
    // A branch answers from what is known now.
    let ask =
        DueStep { sequence: SEQ, party: bob, step: fx.model.sequences[&SEQ].steps[1].clone() };
    assert_eq!(world.act(&ask, how, None, NOW), Action::Branch { yes: false });
    assert!(Action::Branch { yes: true }.run(NOW).unwrap().yes);
    // A step removed (or emptied) since it was found due: nothing, and no run.
    let mut emptied = seq.clone();
    emptied.steps.get_mut("intro").unwrap().subject.clear();
    fx.model.sequences.insert(SEQ, SequenceRow::of(SEQ, &emptied));
    let world = World::new(WS, &fx.model, &fx.outbox);
    let unwritten = world.act(for_ann, how, None, NOW);
    assert_eq!(unwritten, Action::Nothing);
    assert_eq!(unwritten.run(NOW), None);
}

#[test]
fn a_party_enters_a_sequence_once_whatever_record_they_are_under() {
    let mut seq = sequence();
    let mut fx = fixture(seq.clone());
    let (ann, bob, carl, dora) = (fx.people[0], fx.people[1], fx.people[2], fx.people[3]);
    enrol(&mut seq, ann, NOW);
    seq.removed.insert(ann.to_string(), NOW);
    enrol(&mut seq, carl, NOW);
    // Carl was merged into Dora since he was enrolled: Dora is the same person.
    let merged = fx.model.parties.get_mut(&carl).unwrap();
    merged.merged_into = Some(dora);
    merged.archived = true;
    let row = SequenceRow::of(SEQ, &seq);
    let gone = PartyId::from_bytes([0xee; 16]);
    assert_eq!(newcomers(&row, &fx.model, [ann, bob, bob, gone, dora]), vec![bob]);
}
