use super::*;
use crate::contract::parse_day;
use crate::employee::EmployeeRow;
use crate::ids::PartyId;
use crate::read_model::PartyRow;

fn day(text: &str) -> Timestamp {
    crate::contract::utc_midnight(parse_day(text).unwrap())
}

fn member(n: u8) -> MemberId {
    MemberId::from_bytes([n; 16])
}

fn party(n: u8) -> PartyId {
    PartyId::from_bytes([n; 16])
}

/// People employed: (party and member byte, manager's party byte, start day).
fn staff(people: &[(u8, Option<u8>, &str)]) -> ReadModel {
    let mut model = ReadModel::default();
    for (n, manager, start) in people {
        let mut row = PartyRow::named(party(*n), "Someone");
        row.employee = Some(Box::new(EmployeeRow {
            title: String::new(),
            team: String::new(),
            manager: manager.map(party),
            member: Some(member(*n)),
            start_date: (*start).to_owned(),
            skills: Vec::new(),
            trainings: Vec::new(),
        }));
        model.parties.insert(party(*n), row);
    }
    model
}

/// Anna (1) runs the company; Boris (2) reports to her and manages Cara, Dan and Eve (3–5); Fay (6)
/// started lately under Boris too, with no account for her manager to be (she has one).
fn company() -> ReadModel {
    staff(&[
        (1, None, "2020-01-01"),
        (2, Some(1), "2021-01-01"),
        (3, Some(2), "2022-01-01"),
        (4, Some(2), "2022-01-01"),
        (5, Some(2), "2026-10-01"),
    ])
}

fn cycle(model: &ReadModel, template: Template, now: Timestamp) -> ReviewCycle {
    let words = |asked: Asked| (format!("{asked:?}"), vec!["a".into(), "b".into(), "c".into()]);
    ReviewCycle {
        title: "Q1".into(),
        template: template.name().into(),
        kinds: template.kinds().iter().map(|k| k.name().to_owned()).collect(),
        questions: Template::questions(template.asks(), words),
        upward_questions: Template::questions(&Template::UPWARD, words),
        participants: participants(model, template, now),
        peers: BTreeMap::new(),
        k: 3,
        closes: Timestamp(now.0 + 14 * DAY_MS),
        closed_at: None,
        created_by: member(1),
        created_at: now,
    }
}

fn id() -> ReviewCycleId {
    ReviewCycleId::from_bytes([7; 16])
}

#[test]
fn a_cycle_reviews_everyone_employed_with_their_manager_at_launch() {
    let now = day("2026-12-01");
    let model = company();
    let launched = cycle(&model, Template::Quarterly, now);
    assert_eq!(refused(&launched), None);
    let row = ReviewRow::of(id(), &launched);
    assert_eq!(row.manager_of(member(1)), None);
    assert_eq!(row.manager_of(member(3)), Some(member(2)));
    assert_eq!(row.reports_of(member(2)), vec![member(3), member(4), member(5)]);
    assert_eq!(row.reader_of(member(1)), member(1), "no manager: whoever ran it reads");
    // A probation reviews only those who started in the last six months.
    let probation = participants(&model, Template::Probation, now);
    assert_eq!(probation.keys().cloned().collect::<Vec<_>>(), vec![member(5).to_string()]);
    assert_eq!(probation[&member(5).to_string()], member(2).to_string());
    // Someone moved under another manager later is still reviewed as they were.
    let mut moved = company();
    moved.parties.get_mut(&party(3)).unwrap().employee.as_mut().unwrap().manager = Some(party(1));
    assert_eq!(ReviewRow::of(id(), &launched).manager_of(member(3)), Some(member(2)));
    assert_eq!(
        participants(&moved, Template::Quarterly, now)[&member(3).to_string()],
        member(1).to_string()
    );

    let mut bad = launched.clone();
    bad.k = 2;
    assert_eq!(refused(&bad), Some(CycleRefused::KTooSmall));
    bad = launched.clone();
    bad.closes = now;
    assert_eq!(refused(&bad), Some(CycleRefused::ClosesTooSoon));
    bad = launched.clone();
    bad.kinds = vec!["360".into()];
    assert_eq!(refused(&bad), Some(CycleRefused::NoKinds));
    bad = launched;
    bad.participants.clear();
    assert_eq!(refused(&bad), Some(CycleRefused::NobodyToReview));
}

#[test]
fn each_review_goes_to_its_reader_alone() {
    let now = day("2026-12-01");
    let model = company();
    let mut launched = cycle(&model, Template::Quarterly, now);
    launched.peers.insert(peer_key(member(3), member(4)), true);
    launched.peers.insert(peer_key(member(3), member(1)), true);
    // Taken back: no longer asked.
    launched.peers.insert(peer_key(member(4), member(3)), false);
    let row = ReviewRow::of(id(), &launched);
    let of = |me: u8| {
        assignments(&row, member(me))
            .into_iter()
            .map(|a| (a.kind, a.about, a.to))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of(3),
        vec![(ReviewKind::Own, member(3), vec![member(2)])],
        "Cara writes her own to Boris; asked of nobody else"
    );
    assert_eq!(
        of(4),
        vec![
            (ReviewKind::Own, member(4), vec![member(2)]),
            (ReviewKind::Peer, member(3), vec![member(2)]),
        ],
        "Dan's peer review of Cara goes to her manager, not to her"
    );
    assert_eq!(
        of(2),
        vec![
            (ReviewKind::Own, member(2), vec![member(1)]),
            (ReviewKind::Manager, member(3), vec![member(3)]),
            (ReviewKind::Manager, member(4), vec![member(4)]),
            (ReviewKind::Manager, member(5), vec![member(5)]),
        ]
    );
    assert_eq!(of(1)[0], (ReviewKind::Own, member(1), vec![member(1)]));
    assert!(of(1).iter().any(|a| a.0 == ReviewKind::Peer && a.1 == member(3)));

    // A probation asks for no peer reviews, whoever is named.
    let mut probation = cycle(&model, Template::Probation, now);
    probation.peers.insert(peer_key(member(5), member(4)), true);
    assert!(assignments(&ReviewRow::of(id(), &probation), member(4)).is_empty());
}

fn letter(id: &str, from: u8, at: Option<i64>, kind: ReviewKind, about: u8) -> Read {
    Read {
        id: id.into(),
        from: member(from),
        to: vec![member(2)],
        at,
        note: Note::Review {
            cycle: super::tests::id().to_string(),
            review: kind.name().into(),
            about: member(about).to_string(),
            answers: format!("{{\"q1\":{}}}", id.len()),
        },
    }
}

#[test]
fn progress_and_what_the_subject_sees_come_from_the_letters() {
    let now = day("2026-12-01");
    let mut launched = cycle(&company(), Template::Quarterly, now);
    launched.peers.insert(peer_key(member(3), member(4)), true);
    launched.peers.insert(peer_key(member(3), member(5)), true);
    let row = ReviewRow::of(id(), &launched);
    let other_cycle = Read {
        note: Note::Review {
            cycle: ReviewCycleId::from_bytes([8; 16]).to_string(),
            review: "self".into(),
            about: member(4).to_string(),
            answers: "{}".into(),
        },
        ..letter("x", 4, Some(1), ReviewKind::Own, 4)
    };
    let letters = vec![
        // Eve claims to be Cara's manager, and Dan writes Eve's self review: passed over.
        letter("e", 5, Some(12), ReviewKind::Manager, 3),
        letter("f", 4, Some(13), ReviewKind::Own, 5),
        letter("g", 5, Some(14), ReviewKind::Peer, 4),
        letter("a", 3, Some(10), ReviewKind::Own, 3),
        letter("bb", 3, Some(20), ReviewKind::Own, 3),
        letter("c", 4, Some(11), ReviewKind::Peer, 3),
        letter("d", 2, None, ReviewKind::Manager, 3),
        other_cycle,
    ];
    let reviews = reviews_in(&row, &letters);
    assert_eq!(reviews.len(), 3, "the latest of Cara's two, Dan's peer review, Boris's");
    assert!(reviews.iter().any(|r| r.letter == "bb"));
    let progress = progress(&row, &reviews, member(2));
    assert_eq!(progress.len(), 3);
    assert_eq!(
        progress[0],
        Progress {
            subject: member(3),
            own_written: true,
            manager_written: true,
            peers_asked: vec![member(4), member(5)],
            peers_written: [member(4)].into_iter().collect(),
        }
    );
    assert!(!progress[1].own_written, "Dan's own is in another cycle");
    let annas = super::progress(&row, &reviews, member(1));
    assert_eq!(annas.iter().map(|p| p.subject).collect::<Vec<_>>(), vec![member(2)]);

    let boris = reviews.iter().find(|r| r.kind == ReviewKind::Manager).unwrap();
    assert!(!shown_to(&row, boris, member(3), now), "not before the close");
    assert!(shown_to(&row, boris, member(2), now), "its writer");
    assert!(shown_to(&row, boris, member(3), row.closes));
    let mut closed = row.clone();
    closed.closed_at = Some(Timestamp(now.0 + 1));
    assert!(shown_to(&closed, boris, member(3), Timestamp(now.0 + 1)), "closed by hand");
}

#[test]
fn upward_reviews_go_to_the_ballot_box_for_the_manager_alone_from_k_reports() {
    let now = day("2026-12-01");
    let workspace = WorkspaceId::from_bytes([1; 16]);
    let mut model = company();
    let launched = cycle(&model, Template::Quarterly, now);
    model.reviews.insert(id(), ReviewRow::of(id(), &launched));
    let ballots = upward_ballots(&model, workspace, now);
    assert_eq!(ballots.len(), 1, "Boris has three reports; Anna one");
    let (ballot_id, ballot) = &ballots[0];
    assert_eq!(*ballot_id, upward_ballot(workspace, id(), member(2)));
    assert_ne!(*ballot_id, upward_ballot(workspace, id(), member(1)));
    assert_eq!(ballot.refused(), None);
    assert_eq!(ballot.readers, vec![member(2).to_string()]);
    assert_eq!(ballot.batch, 0, "nothing before the close");
    assert_eq!(ballot.invitees.len(), 3);
    assert!(ballot.invitees.iter().all(|i| i.team.is_empty()));

    assert_eq!(upward_open_for(&model, member(3), now).len(), 1);
    assert!(upward_open_for(&model, member(2), now).is_empty(), "Anna is not reviewed upward");
    assert!(upward_open_for(&model, member(3), launched.closes).is_empty(), "closed");

    // Closed by hand: the ballot closes then too, and is still told so for a day.
    let mut closed = launched.clone();
    closed.closed_at = Some(Timestamp(now.0 + DAY_MS));
    model.reviews.insert(id(), ReviewRow::of(id(), &closed));
    let ballots = upward_ballots(&model, workspace, Timestamp(now.0 + 2 * DAY_MS));
    assert_eq!(ballots[0].1.closes_at, (now.0 + DAY_MS) / 1000);
    assert!(upward_ballots(&model, workspace, Timestamp(launched.closes.0 + DAY_MS)).is_empty());

    // k of four: Boris's three are too few to be shown, so none of them is asked.
    let mut four = launched;
    four.k = 4;
    model.reviews.insert(id(), ReviewRow::of(id(), &four));
    assert!(upward_ballots(&model, workspace, now).is_empty());
    assert!(upward_open_for(&model, member(3), now).is_empty());
}
