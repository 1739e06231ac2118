use super::*;
use crate::contract::parse_day;
use crate::employee::EmployeeRow;
use crate::ids::PartyId;
use crate::read_model::PartyRow;

fn day(text: &str) -> Timestamp {
    crate::contract::utc_midnight(parse_day(text).unwrap())
}

fn survey(every_weeks: u8, open_days: u8) -> Survey {
    Survey {
        title: "Pulse".into(),
        questions: {
            let mut questions = starter_questions("Happy?", "Recommend?", "More?");
            questions.push(SurveyQuestion {
                key: "q4".into(),
                text: "Lunch?".into(),
                kind: "choice".into(),
                options: vec!["Pizza".into(), "Soup".into()],
            });
            questions
        },
        teams: Vec::new(),
        k: 5,
        batch: 5,
        starts: day("2027-01-04"),
        every_weeks,
        open_days,
        created_by: MemberId::from_bytes([9; 16]),
        created_at: Timestamp(0),
        stopped_at: None,
    }
}

fn row(survey: &Survey) -> SurveyRow {
    SurveyRow::of(SurveyId::from_bytes([7; 16]), survey)
}

/// People employed: (member byte or none, team).
fn staff(people: &[(Option<u8>, &str)]) -> ReadModel {
    let mut model = ReadModel::default();
    for (i, (member, team)) in people.iter().enumerate() {
        let id = PartyId::from_bytes([i as u8 + 1; 16]);
        let mut party = PartyRow::named(id, "Someone");
        party.employee = Some(Box::new(EmployeeRow {
            title: String::new(),
            team: (*team).to_owned(),
            manager: None,
            member: member.map(|m| MemberId::from_bytes([m; 16])),
            start_date: String::new(),
            skills: Vec::new(),
            trainings: Vec::new(),
        }));
        model.parties.insert(id, party);
    }
    model
}

#[test]
fn a_weekly_pulse_opens_a_round_each_week_for_its_days_and_registers_the_next_ahead() {
    let weekly = row(&survey(1, 3));
    assert_eq!(weekly.rounds_opened(day("2027-01-03")), 0);
    assert_eq!(weekly.open_round(day("2027-01-03")), None);
    assert_eq!(weekly.rounds_to_register(day("2027-01-03")), vec![0], "the first, ahead");
    assert_eq!(weekly.open_round(day("2027-01-04")), Some(0));
    assert_eq!(weekly.rounds_to_register(day("2027-01-05")), vec![0, 1]);
    // Closed after three days: only the next is registered.
    assert_eq!(weekly.open_round(day("2027-01-07")), None);
    assert_eq!(weekly.rounds_to_register(day("2027-01-07")), vec![1]);
    assert_eq!(weekly.open_round(day("2027-01-12")), Some(1));
    assert_eq!(weekly.window(1), (day("2027-01-11"), day("2027-01-14")));

    let once = row(&survey(0, 7));
    assert_eq!(once.rounds_to_register(day("2027-01-05")), vec![0]);
    assert_eq!(once.rounds_to_register(day("2027-02-01")), Vec::<u32>::new());
    assert_eq!(once.rounds_opened(day("2028-01-01")), 1);

    // Stopped during round 1: it runs to its close, no round opens after it.
    let mut stopped = survey(1, 3);
    stopped.stopped_at = Some(Timestamp(day("2027-01-12").0 + 3_600_000));
    let stopped = row(&stopped);
    assert_eq!(stopped.rounds_to_register(day("2027-01-13")), vec![1], "no next one");
    assert_eq!(stopped.open_round(day("2027-01-13")), Some(1));
    assert_eq!(stopped.open_round(day("2027-01-19")), None);
    assert_eq!(stopped.rounds_opened(day("2027-03-01")), 2);
    assert!(stopped.rounds_to_register(day("2027-03-01")).is_empty());
    // Years on, rounds stop at the most a survey holds.
    assert_eq!(weekly.rounds_opened(day("2040-01-01")), MOST_ROUNDS);
}

#[test]
fn each_round_has_one_ballot_id_on_every_device_and_rounds_differ() {
    let workspace = WorkspaceId::from_bytes([1; 16]);
    let survey = SurveyId::from_bytes([2; 16]);
    let first = round_ballot(workspace, survey, 0);
    assert_eq!(first, round_ballot(workspace, survey, 0));
    assert_ne!(first, round_ballot(workspace, survey, 1));
    assert_ne!(first, round_ballot(WorkspaceId::from_bytes([3; 16]), survey, 0));
    assert_eq!(first.len(), 36);
}

#[test]
fn invitees_are_the_employed_with_accounts_and_a_small_team_counts_only_in_the_whole() {
    let mut people: Vec<(Option<u8>, &str)> = (1..=5).map(|m| (Some(m), "Sales")).collect();
    people.extend([(Some(6), "Legal"), (Some(7), "Legal"), (None, "Sales"), (Some(1), "Ops")]);
    let model = staff(&people);
    let pulse = row(&survey(1, 3));
    let invited = invitees(&model, &pulse);
    assert_eq!(invited.len(), 7, "one per account; none without one");
    let team_of = |m: u8| {
        let member = MemberId::from_bytes([m; 16]).to_string();
        invited.iter().find(|i| i.member == member).map(|i| i.team.clone())
    };
    assert_eq!(team_of(3).as_deref(), Some("Sales"));
    assert_eq!(team_of(6).as_deref(), Some(""), "two in Legal: counted in the whole only");
    let ballot = ballot(&model, &pulse, 0);
    assert_eq!(ballot.refused(), None, "the relay takes it");
    assert_eq!(ballot.closes_at, day("2027-01-07").0 / 1000);

    let mut legal = survey(1, 3);
    legal.teams = vec!["Legal".into()];
    let invited = invitees(&model, &row(&legal));
    assert_eq!(invited.len(), 2);
    assert!(invited.iter().all(|i| i.team.is_empty()));
}

#[test]
fn an_answer_is_checked_against_its_questions_and_blank_comments_are_left_out() {
    let pulse = row(&survey(1, 3));
    let answers = |pairs: &[(&str, AnswerValue)]| {
        let map: BTreeMap<String, AnswerValue> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        answer_text(&pulse, &map)
    };
    use AnswerValue::{Number, Text};
    assert_eq!(
        answers(&[("q1", Number(4)), ("q2", Number(10)), ("q3", Text("  ".into()))]).unwrap(),
        r#"{"q1":4,"q2":10}"#
    );
    assert_eq!(answers(&[("q3", Text(" ok ".into()))]).unwrap(), r#"{"q3":"ok"}"#);
    assert_eq!(answers(&[]), Err(AnswerRefused::Empty));
    assert_eq!(answers(&[("q3", Text(" ".into()))]), Err(AnswerRefused::Empty));
    assert_eq!(answers(&[("q1", Number(6))]), Err(AnswerRefused::Unfit));
    assert_eq!(answers(&[("q1", Number(0))]), Err(AnswerRefused::Unfit));
    assert_eq!(answers(&[("q2", Number(11))]), Err(AnswerRefused::Unfit));
    assert_eq!(answers(&[("q4", Number(2))]), Err(AnswerRefused::Unfit));
    assert_eq!(answers(&[("q4", Number(1))]).unwrap(), r#"{"q4":1}"#);
    assert_eq!(answers(&[("q1", Text("5".into()))]), Err(AnswerRefused::Unfit));
    assert_eq!(answers(&[("q9", Number(1))]), Err(AnswerRefused::Unfit));
    let long = "x".repeat(MOST_COMMENT_CHARS + 1);
    assert_eq!(answers(&[("q3", Text(long))]), Err(AnswerRefused::TooLong));
}

#[test]
fn a_survey_is_refused_with_the_reason() {
    assert_eq!(refused(&survey(1, 3)), None);
    let with = |change: fn(&mut Survey)| {
        let mut s = survey(1, 3);
        change(&mut s);
        refused(&s)
    };
    assert_eq!(with(|s| s.title = " ".into()), Some(SurveyRefused::NoTitle));
    assert_eq!(with(|s| s.questions.clear()), Some(SurveyRefused::Questions));
    assert_eq!(
        with(|s| s.questions[3].options.pop().map(drop).unwrap()),
        Some(SurveyRefused::BadQuestion)
    );
    assert_eq!(with(|s| s.questions[1].key = "q1".into()), Some(SurveyRefused::BadQuestion));
    assert_eq!(with(|s| s.questions[0].kind = "stars".into()), Some(SurveyRefused::BadQuestion));
    assert_eq!(with(|s| s.k = 2), Some(SurveyRefused::KTooSmall));
    assert_eq!(with(|s| s.batch = 4), Some(SurveyRefused::BatchTooSmall));
    assert_eq!(with(|s| s.open_days = 8), Some(SurveyRefused::BadWindow));
    assert_eq!(with(|s| s.open_days = 0), Some(SurveyRefused::BadWindow));
}

fn results(answers: &[&str], teams: &[(&str, &[&str])], closed: bool) -> Results {
    Results {
        k: 5,
        batch: 5,
        closes_at: 0,
        closed,
        invited: 10,
        tokens_taken: 8,
        answered: 7,
        answers: answers.iter().map(|a| (*a).to_owned()).collect(),
        teams: teams
            .iter()
            .map(|(t, a)| ((*t).to_owned(), a.iter().map(|a| (*a).to_owned()).collect()))
            .collect(),
    }
}

#[test]
fn a_round_is_tallied_from_what_the_relay_shows_passing_over_what_does_not_fit() {
    let pulse = row(&survey(1, 3));
    let shown = [
        r#"{"q1":5,"q2":10,"q3":"Great team"}"#,
        r#"{"q1":4,"q2":9,"q4":1}"#,
        r#"{"q1":2,"q2":3}"#,
        r#"{"q1":9,"q2":42,"q4":7}"#,
        "not json",
    ];
    let summary = summarise(&pulse, 2, &results(&shown, &[("Sales", &shown[..3])], true));
    assert_eq!(summary.round, 2);
    assert_eq!((summary.invited, summary.answered, summary.shown), (10, 7, 5));
    assert_eq!(summary.participation(), Some(70));
    assert_eq!(summary.questions[0].counts, vec![0, 1, 0, 1, 1]);
    assert_eq!(summary.questions[0].mean(), Some(11.0 / 3.0));
    // Two promoters, one detractor, of three.
    assert_eq!(summary.enps(), Some(33));
    assert_eq!(summary.questions[2].comments, vec!["Great team".to_owned()]);
    assert_eq!(summary.questions[3].counts, vec![0, 1]);
    let sales = &summary.teams["Sales"];
    assert_eq!(sales.shown, 3);
    assert_eq!(sales.enps, Some(33));
}

#[test]
fn the_dashboard_follows_the_rounds_and_compares_the_latest_shown_with_the_one_before() {
    let pulse = row(&survey(1, 3));
    let first = summarise(&pulse, 0, &results(&[r#"{"q1":3,"q2":5}"#; 5], &[], true));
    let second =
        summarise(&pulse, 1, &results(&[r#"{"q1":4,"q2":10,"q3":"Better"}"#; 5], &[], true));
    // Open, fewer than k so far: nothing shown.
    let third = summarise(&pulse, 2, &results(&[], &[], false));
    let dashboard = engagement(&pulse, &[third, first, second]);
    assert_eq!(dashboard.rounds.iter().map(|r| r.round).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(dashboard.rounds[0].opens, day("2027-01-04"));
    assert_eq!(dashboard.latest, Some(1));
    assert_eq!(dashboard.score, Some(4.0));
    assert_eq!(dashboard.score_change, Some(1.0));
    assert_eq!(dashboard.enps, Some(100));
    assert_eq!(dashboard.enps_change, Some(200));
    assert_eq!(dashboard.participation, Some(70), "the latest closed round");
    assert_eq!(dashboard.comments.len(), 5);
    assert_eq!(dashboard.rounds[2].score, None);
}

#[test]
fn the_surveys_open_to_someone_are_those_whose_round_invites_them() {
    let mut people: Vec<(Option<u8>, &str)> = (1..=5).map(|m| (Some(m), "Sales")).collect();
    people.push((Some(6), " Legal "));
    let mut model = staff(&people);
    let mut legal = survey(1, 3);
    legal.teams = vec!["Legal".into()];
    model.surveys.insert(
        SurveyId::from_bytes([1; 16]),
        SurveyRow::of(SurveyId::from_bytes([1; 16]), &survey(1, 3)),
    );
    model.surveys.insert(
        SurveyId::from_bytes([2; 16]),
        SurveyRow::of(SurveyId::from_bytes([2; 16]), &legal),
    );
    let me = MemberId::from_bytes([3; 16]);
    let open = open_for(&model, me, day("2027-01-05"));
    assert_eq!(
        open.iter().map(|(s, r)| (s.id, *r)).collect::<Vec<_>>(),
        vec![(SurveyId::from_bytes([1; 16]), 0)]
    );
    assert!(open_for(&model, me, day("2027-01-08")).is_empty(), "between rounds");
    assert!(open_for(&model, MemberId::from_bytes([8; 16]), day("2027-01-05")).is_empty());
    // Whoever the ballot invites, and nobody else.
    for m in 1..=8 {
        let member = MemberId::from_bytes([m; 16]);
        for survey in model.surveys.values() {
            let invited = invitees(&model, survey).iter().any(|i| i.member == member.to_string());
            let open =
                open_for(&model, member, day("2027-01-05")).iter().any(|(s, _)| s.id == survey.id);
            assert_eq!(open, invited, "member {m}");
        }
    }
}

#[test]
fn a_choice_counts_in_neither_the_score_nor_the_enps_however_many_options_it_has() {
    let mut pulse = survey(1, 3);
    let options = |n: usize| (0..n).map(|i| format!("Option {i}")).collect::<Vec<_>>();
    // A choice of five before the scale, and one of eleven before the eNPS.
    pulse.questions.insert(
        0,
        SurveyQuestion {
            key: "c5".into(),
            text: "Five?".into(),
            kind: "choice".into(),
            options: options(5),
        },
    );
    pulse.questions.insert(
        2,
        SurveyQuestion {
            key: "c11".into(),
            text: "Eleven?".into(),
            kind: "choice".into(),
            options: options(11),
        },
    );
    let pulse = row(&pulse);
    let shown = [r#"{"c5":0,"q1":5,"c11":10,"q2":0}"#; 5];
    let summary = summarise(&pulse, 0, &results(&shown, &[], true));
    assert_eq!(summary.score(), Some(5.0), "the choice's first option is not a score of 1");
    assert_eq!(summary.enps(), Some(-100), "the eNPS question's, not the choice's");
    assert_eq!(summary.questions[0].counts, vec![5, 0, 0, 0, 0]);
}

#[test]
fn an_answer_the_relay_would_not_keep_is_refused_before_it_is_sent() {
    let mut long = survey(1, 3);
    long.questions = (1..=MOST_QUESTIONS)
        .map(|i| SurveyQuestion {
            key: format!("t{i}"),
            text: "Say".into(),
            kind: "text".into(),
            options: Vec::new(),
        })
        .collect();
    let long = row(&long);
    let each = "ж".repeat(MOST_COMMENT_CHARS);
    let answers = |n: usize| -> BTreeMap<String, AnswerValue> {
        (1..=n).map(|i| (format!("t{i}"), AnswerValue::Text(each.clone()))).collect()
    };
    assert!(answer_text(&long, &answers(8)).is_ok(), "8 × 2 KB fits");
    assert_eq!(answer_text(&long, &answers(9)), Err(AnswerRefused::TooLong), "9 × 2 KB does not");
}

#[test]
fn a_token_s_hash_is_the_one_the_relay_keeps() {
    assert_eq!(
        token_hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
