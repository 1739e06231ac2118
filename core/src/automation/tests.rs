use super::*;
use crate::ids::PipelineId;
use crate::model::{
    AutomationAction, CustomFieldDef, FieldKind, Member, NameSet, Pipeline, PipelineKind, Segment,
};
use crate::read_model::PartyKindRow;

const NOW: Timestamp = Timestamp(1_790_000_000_000);
const HOUR: i64 = 60 * 60 * 1000;
const WS: WorkspaceId = WorkspaceId::from_bytes([1; 16]);
const RULE: AutomationId = AutomationId::from_bytes([2; 16]);
const ANN: MemberId = MemberId::from_bytes([7; 16]);
const BOB: MemberId = MemberId::from_bytes([8; 16]);
const PIPELINE: PipelineId = PipelineId::from_bytes([3; 16]);
const LEAD: StageId = StageId::from_bytes([4; 16]);
const WON_OVER: StageId = StageId::from_bytes([5; 16]);

fn party(n: u8, name: &str, created: Timestamp) -> PartyRow {
    PartyRow {
        emails: vec![format!("{}@example.test", name.to_lowercase())],
        created_at: created,
        owner: Some(ANN),
        ..PartyRow::named(PartyId::from_bytes([n; 16]), name)
    }
}

fn deal(n: u8, party: PartyId, stage: StageId, since: Timestamp) -> DealRow {
    DealRow {
        id: DealId::from_bytes([n; 16]),
        title: format!("Deal {n}"),
        pipeline: PIPELINE,
        stage,
        amount_minor: 10_000,
        currency: "EUR".into(),
        expected_close: None,
        owner: Some(BOB),
        parties: vec![party],
        status: DealStatusRow::Open,
        created_at: since,
        stage_since: since,
        stages: Vec::new(),
        closed_at: None,
        closings: Vec::new(),
        terms: Vec::new(),
        lost_reason: String::new(),
        round: None,
        soft_circled: None,
        committed: None,
    }
}

fn settings() -> WorkspaceSettings {
    let mut settings = WorkspaceSettings::default();
    for (member, name) in [(ANN, "Ann"), (BOB, "Bob")] {
        let member_row = Member { display_name: name.into(), colour: "#336699".into() };
        settings.members.insert(member.to_string(), member_row);
    }
    let field = |label: &str, kind, choices: &[&str]| CustomFieldDef {
        label: label.into(),
        kind,
        applies_to: RecordKind::Party,
        choices: choices.iter().map(|c| c.to_string()).collect(),
    };
    settings
        .custom_fields
        .insert("status".into(), field("Status", FieldKind::Choice, &["cold", "hot"]));
    settings.custom_fields.insert("renewal".into(), field("Renewal", FieldKind::Date, &[]));
    settings.custom_fields.insert("budget".into(), field("Budget", FieldKind::Number, &[]));
    let mut pipeline = Pipeline::starting("Sales", PipelineKind::Sales, []);
    pipeline.add_stage(LEAD, "Lead", 10);
    pipeline.add_stage(WON_OVER, "Won over", 90);
    settings.pipelines.insert(PIPELINE.to_string(), pipeline);
    settings
}

/// Ann (created before the rule was on), Bob and Cleo (after).
fn model() -> ReadModel {
    let mut model = ReadModel::default();
    for row in [
        party(11, "Ann", Timestamp(NOW.0 - 2 * HOUR)),
        party(12, "Bob", Timestamp(NOW.0 + HOUR)),
        party(13, "Cleo", Timestamp(NOW.0 + 2 * HOUR)),
    ] {
        model.parties.insert(row.id, row);
    }
    model
}

fn id(n: u8) -> PartyId {
    PartyId::from_bytes([n; 16])
}

fn set(names: &[String]) -> NameSet {
    names.iter().map(|name| (name.clone(), true)).collect()
}

fn action(position: u32, kind: &str) -> AutomationAction {
    AutomationAction { position, kind: kind.into(), ..AutomationAction::default() }
}

/// On since `NOW`: a task "Call" due in 2 days, and an email.
fn rule(trigger: &str) -> Automation {
    let mut actions = BTreeMap::new();
    actions.insert(
        "call".into(),
        AutomationAction { subject: "Call".into(), days: 2, ..action(0, "task") },
    );
    actions.insert(
        "hello".into(),
        AutomationAction {
            subject: "Welcome, {{first_name|there}}".into(),
            body: "Glad to have you.".into(),
            ..action(1, "email")
        },
    );
    Automation {
        name: "Welcome".into(),
        on_since: Some(NOW),
        trigger: trigger.into(),
        actions,
        created_by: Some(BOB),
        created_at: NOW,
        ..Automation::default()
    }
}

fn with_rule(mut model: ReadModel, rule: &Automation) -> ReadModel {
    model.automations.insert(RULE, AutomationRow::of(RULE, rule));
    model
}

const HOW: Sending = Sending { track: true, utm: false };

/// The occurrences due at `now`, by subject, with the same settings.
fn due_at(
    model: &ReadModel,
    now: Timestamp,
    scores: Option<&HashMap<PartyId, i64>>,
) -> Vec<Firing> {
    let settings = settings();
    let audience = Audience::new(model, &settings, Vec::new(), now);
    Automations::new(WS, model, &settings, &audience, scores).due(now)
}

fn subjects(due: &[Firing]) -> Vec<Subject> {
    due.iter().map(|f| f.subject).collect()
}

fn ran(rule: &mut Automation, firing: &Firing) {
    rule.runs.insert(firing.cause.clone(), run(firing, None, vec!["task".into()], firing.at));
}

#[test]
fn only_records_created_once_the_rule_is_on_set_it_off_and_each_once() {
    let mut rule = rule("created");
    let later = Timestamp(NOW.0 + 3 * HOUR);
    let model = with_rule(model(), &rule);
    let due = due_at(&model, later, None);
    assert_eq!(subjects(&due), [Subject::Party(id(12)), Subject::Party(id(13))], "not Ann, older");
    assert_eq!(due[0].cause, format!("{}/created", id(12)));
    assert_eq!(due[0].key(WS), due_at(&model, later, None)[0].key(WS), "the same key every time");
    // Run for Bob: only Cleo is left.
    ran(&mut rule, &due[0]);
    let model = with_rule(model, &rule);
    assert_eq!(subjects(&due_at(&model, later, None)), [Subject::Party(id(13))]);
    // Off, or archived: nothing.
    let mut off = rule.clone();
    off.on_since = None;
    let model = with_rule(model, &off);
    assert!(due_at(&model, later, None).is_empty());
    let mut archived = rule.clone();
    archived.archived = true;
    let model = with_rule(model, &archived);
    assert!(due_at(&model, later, None).is_empty());
    // A trigger from a newer version sets nothing off.
    let mut newer = rule;
    newer.trigger = "webhook".into();
    assert!(due_at(&with_rule(model, &newer), later, None).is_empty());
}

#[test]
fn who_met_a_tag_field_or_score_when_the_rule_was_switched_on_never_sets_it_off() {
    let settings = settings();
    let mut model = model();
    model.parties.get_mut(&id(11)).unwrap().tags = vec!["VIP".into()];
    // A tag: Ann had it when the rule was switched on.
    let mut tag = rule("tag");
    tag.value = "vip".into();
    let row = AutomationRow::of(RULE, &tag);
    let audience = Audience::new(&model, &settings, Vec::new(), NOW);
    let baseline = Automations::new(WS, &model, &settings, &audience, None).baseline(&row, NOW);
    assert_eq!(baseline, [Subject::Party(id(11)).key()]);
    tag.baseline = baseline.into_iter().map(|key| (key, NOW)).collect();
    let mut model = with_rule(model, &tag);
    assert!(due_at(&model, NOW, None).is_empty());
    // Bob is tagged (in another case): he sets it off, once, named by the tag.
    model.parties.get_mut(&id(12)).unwrap().tags = vec!["Vip".into()];
    let due = due_at(&model, NOW, None);
    assert_eq!(subjects(&due), [Subject::Party(id(12))]);
    assert_eq!(due[0].cause, format!("{}/tag/vip", id(12)));

    // A field: set to "hot", the value compared whole ("ho" typed on the way sets nothing off).
    let mut field = rule("field");
    (field.field, field.value) = ("status".into(), "hot".into());
    let mut model = with_rule(model, &field);
    let set = |model: &mut ReadModel, n: u8, value: &str| {
        model.parties.get_mut(&id(n)).unwrap().custom =
            vec![("status".into(), CustomCell::Choice(value.into()))];
    };
    set(&mut model, 13, "ho");
    assert!(due_at(&model, NOW, None).is_empty());
    set(&mut model, 13, "hot");
    let due = due_at(&model, NOW, None);
    assert_eq!(subjects(&due), [Subject::Party(id(13))]);
    assert_eq!(due[0].cause, format!("{}/field/status=hot", id(13)));
    // A value that does not fit the field (not a choice) waits for nothing.
    let mut lukewarm = field.clone();
    lukewarm.value = "lukewarm".into();
    let model = with_rule(model, &lukewarm);
    assert!(due_at(&model, NOW, None).is_empty());

    // A score: Cleo crosses 50; scores unknown (not computed yet) set nothing off.
    let mut score = rule("score");
    score.points = 50;
    let model = with_rule(model, &score);
    let scores: HashMap<PartyId, i64> = [(id(11), 20), (id(13), 55)].into();
    assert!(due_at(&model, NOW, None).is_empty());
    assert_eq!(subjects(&due_at(&model, NOW, Some(&scores))), [Subject::Party(id(13))]);
}

#[test]
fn a_deal_sets_a_stage_rule_off_each_time_it_enters_the_stage_since_the_rule_is_on() {
    let mut rule = rule("stage");
    rule.stage = WON_OVER.to_string();
    let mut model = with_rule(model(), &rule);
    let before = deal(21, id(11), WON_OVER, Timestamp(NOW.0 - HOUR));
    let entered = deal(22, id(12), WON_OVER, Timestamp(NOW.0 + HOUR));
    let elsewhere = deal(23, id(13), LEAD, Timestamp(NOW.0 + HOUR));
    for deal in [before, entered.clone(), elsewhere] {
        model.deals.insert(deal.id, deal);
    }
    let due = due_at(&model, Timestamp(NOW.0 + 2 * HOUR), None);
    assert_eq!(subjects(&due), [Subject::Deal(entered.id)]);
    assert_eq!(due[0].party, Some(id(12)), "the deal's person, for the condition and the actions");
    // Moved back and in again: another entry, another occurrence.
    ran(&mut rule, &due[0]);
    let mut model = with_rule(model, &rule);
    assert!(due_at(&model, Timestamp(NOW.0 + 2 * HOUR), None).is_empty());
    model.deals.get_mut(&entered.id).unwrap().stage_since = Timestamp(NOW.0 + 3 * HOUR);
    let again = due_at(&model, Timestamp(NOW.0 + 4 * HOUR), None);
    assert_eq!(subjects(&again), [Subject::Deal(entered.id)]);
    assert_ne!(again[0].cause, due[0].cause);
    // Won meanwhile: a closed deal sets nothing off.
    model.deals.get_mut(&entered.id).unwrap().status = DealStatusRow::Won;
    assert!(due_at(&model, Timestamp(NOW.0 + 4 * HOUR), None).is_empty());
}

#[test]
fn a_date_sets_a_rule_off_at_nine_utc_days_around_it_never_for_dates_long_gone() {
    let mut rule = rule("date");
    (rule.field, rule.days) = ("renewal".into(), -3);
    let mut model = with_rule(model(), &rule);
    // NOW is 2026-09-21 14:13 UTC. Renewal on 30 September: remind on the 27th at 09:00 UTC.
    let renewal = |model: &mut ReadModel, n: u8, day: &str| {
        model.parties.get_mut(&id(n)).unwrap().custom =
            vec![("renewal".into(), CustomCell::Date(day.into()))];
    };
    renewal(&mut model, 12, "2026-09-30");
    // A date before the rule was on, and one of last year.
    renewal(&mut model, 11, "2026-09-20");
    renewal(&mut model, 13, "2025-01-01");
    let moment = crate::contract::utc_midnight(crate::contract::parse_day("2026-09-27").unwrap()).0
        + 9 * HOUR;
    assert!(due_at(&model, Timestamp(moment - 1), None).is_empty(), "not before its moment");
    let due = due_at(&model, Timestamp(moment), None);
    assert_eq!(subjects(&due), [Subject::Party(id(12))]);
    assert_eq!(due[0].at, Timestamp(moment));
    // The date moved: another occurrence.
    renewal(&mut model, 12, "2026-10-30");
    let later = crate::contract::utc_midnight(crate::contract::parse_day("2026-10-27").unwrap()).0
        + 9 * HOUR;
    let moved = due_at(&model, Timestamp(later), None);
    assert_eq!(subjects(&moved), [Subject::Party(id(12))]);
    assert_ne!(moved[0].cause, due[0].cause);
    // A device that comes back a month after the moment does not act on it.
    assert!(due_at(&model, Timestamp(later + 30 * 24 * HOUR), None).is_empty());
}

#[test]
fn the_condition_is_a_segment_or_a_list_and_a_deal_s_is_its_person_s() {
    let mut rule = rule("created");
    let list = SegmentId::from_bytes([6; 16]);
    rule.segment = Some(list.to_string());
    let mut model = with_rule(model(), &rule);
    let segment = Segment {
        name: "Fair".into(),
        list: true,
        members: set(&[id(13).to_string()]),
        created_at: NOW,
        rule: crate::model::SegmentRule::default(),
        created_by: None,
        archived: false,
    };
    model.segments.insert(list, crate::segments::SegmentRow::of(list, &segment));
    let later = Timestamp(NOW.0 + 3 * HOUR);
    assert_eq!(subjects(&due_at(&model, later, None)), [Subject::Party(id(13))]);
    // The segment gone: nobody.
    model.segments.clear();
    assert!(due_at(&model, later, None).is_empty());
}

#[test]
fn every_device_plans_the_same_task_email_and_notification_under_ids_from_the_cause() {
    let mut rule = rule("created");
    rule.actions.insert(
        "tell".into(),
        AutomationAction {
            subject: "New sign-up".into(),
            members: set(&[ANN.to_string()]),
            ..action(2, "notify")
        },
    );
    rule.actions.insert("tag".into(), AutomationAction { value: "new".into(), ..action(3, "tag") });
    rule.actions.insert(
        "hot".into(),
        AutomationAction { field: "status".into(), value: "hot".into(), ..action(4, "field") },
    );
    let model = with_rule(model(), &rule);
    let settings = settings();
    let later = Timestamp(NOW.0 + 3 * HOUR);
    let audience = Audience::new(&model, &settings, Vec::new(), later);
    let automations = Automations::new(WS, &model, &settings, &audience, None);
    let row = &model.automations[&RULE];
    let firing = &automations.due(later)[0];
    let plan = automations.plan(row, firing, HOW, Some("help@example.test"), later);
    // Another device, a minute later: the same records under the same ids.
    let again =
        automations.plan(row, firing, HOW, Some("help@example.test"), Timestamp(later.0 + 60_000));
    let ids = |plan: &[(Option<ActionKind>, Effect)]| -> Vec<String> {
        plan.iter()
            .map(|(_, effect)| match effect {
                Effect::Task { id, .. } => id.to_string(),
                Effect::Email { interaction, .. } => interaction.to_string(),
                Effect::Notify { id, .. } => id.to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(ids(&plan), ids(&again));
    let [
        (_, Effect::Task { id: task, record }),
        (_, Effect::Email { interaction, mail, .. }),
        (_, Effect::Notify { work, .. }),
        (_, Effect::AddTag { tag, .. }),
        (_, Effect::SetField { value, .. }),
    ] = plan.as_slice()
    else {
        panic!("{plan:?}")
    };
    assert_eq!(*task, action_task(WS, RULE, &firing.cause, "call"));
    assert_eq!(record.title, "Call — Bob");
    assert_eq!(record.assignee, Some(ANN), "the record's owner");
    assert_eq!(record.due, Some(Timestamp(later.0 + 2 * 24 * HOUR)));
    assert_eq!(*interaction, action_mail(WS, RULE, &firing.cause, "hello"));
    let Work::Mail(mail) = mail.as_ref() else { panic!() };
    assert_eq!(mail.subject, "Welcome, Bob");
    assert_eq!(mail.reply_to.as_ref().map(|r| r.address.as_str()), Some("help@example.test"));
    let Work::Notify(notify) = work.as_ref() else { panic!() };
    assert_eq!((notify.to.as_slice(), notify.body.as_str()), ([ANN].as_slice(), "New sign-up"));
    assert_eq!(notify.open, format!("/parties/{}", id(12)));
    assert_eq!(tag, "new");
    assert_eq!(*value, Some(CustomValue::Choice("hot".into())));
    // Another rule's or another occurrence's ids differ.
    let other = Firing { cause: format!("{}/created", id(13)), ..firing.clone() };
    assert_ne!(action_task(WS, RULE, &other.cause, "call"), *task);
}

#[test]
fn an_action_that_cannot_be_done_says_why_and_the_others_go_on() {
    let mut rule = rule("stage");
    rule.stage = WON_OVER.to_string();
    rule.actions
        .insert("move".into(), AutomationAction { value: LEAD.to_string(), ..action(2, "stage") });
    rule.actions.insert(
        "budget".into(),
        AutomationAction { field: "budget".into(), value: "lots".into(), ..action(3, "field") },
    );
    rule.actions.insert(
        "owners".into(),
        AutomationAction {
            members: set(&[ANN.to_string(), BOB.to_string()]),
            ..action(4, "owner")
        },
    );
    rule.actions.insert("later".into(), action(5, "webhook"));
    let mut model = with_rule(model(), &rule);
    let entered = deal(22, id(12), WON_OVER, Timestamp(NOW.0 + HOUR));
    model.deals.insert(entered.id, entered.clone());
    // Bob has no address and said no to marketing email.
    let bob = model.parties.get_mut(&id(12)).unwrap();
    bob.emails.clear();
    let settings = settings();
    let later = Timestamp(NOW.0 + 2 * HOUR);
    let audience = Audience::new(&model, &settings, Vec::new(), later);
    let automations = Automations::new(WS, &model, &settings, &audience, None);
    let row = &model.automations[&RULE];
    let firing = automations.due(later).remove(0);
    let plan = automations.plan(row, &firing, HOW, None, later);
    let log: Vec<String> = plan.iter().map(|(kind, effect)| effect.log(*kind)).collect();
    assert_eq!(
        log,
        [
            "task",
            "skip:no_address",
            "stage",
            "skip:bad_value:Budget: “lots” is not a number",
            "owner",
            "skip:unknown"
        ]
    );
    assert!(
        matches!(plan[2].1, Effect::Stage { deal, stage } if deal == entered.id && stage == LEAD)
    );
    // Owners spread by the occurrence: the same one on every device and at every look, and both
    // of them over a few occurrences.
    let owner = |plan: &Plan| match plan[4].1 {
        Effect::Owner { member, .. } => member,
        ref other => panic!("{other:?}"),
    };
    let again = automations.plan(row, &firing, HOW, None, Timestamp(later.0 + 60_000));
    assert_eq!(owner(&plan), owner(&again));
    let owners: std::collections::BTreeSet<MemberId> = (0..8)
        .map(|n| {
            let other = Firing { cause: format!("{}/{n}", firing.cause), ..firing.clone() };
            owner(&automations.plan(row, &other, HOW, None, later))
        })
        .collect();
    assert_eq!(owners.len(), 2, "both owners get some");
    ran(&mut rule, &firing);
    let model = with_rule(model, &rule);
    // Refused consent: the email is skipped for that.
    let mut refused = model;
    let bob = refused.parties.get_mut(&id(12)).unwrap();
    bob.emails = vec!["bob@example.test".into()];
    bob.email_consent = Some(false);
    let audience = Audience::new(&refused, &settings, Vec::new(), later);
    let automations = Automations::new(WS, &refused, &settings, &audience, None);
    let plan = automations.plan(&refused.automations[&RULE], &firing, HOW, None, later);
    assert_eq!(plan[1].1, Effect::Skip(Skip::NoConsent));
}

#[test]
fn a_run_asked_for_by_hand_is_done_once_per_asking() {
    let mut rule = rule("manual");
    let ask = |rule: &mut Automation, n: u8, at: i64| {
        let key = format!("{}/{at}", Subject::Party(id(n)).key());
        rule.asked.insert(key, crate::model::Asked { at: Timestamp(at), by: Some(ANN) });
    };
    ask(&mut rule, 11, NOW.0 + HOUR);
    let model = with_rule(model(), &rule);
    let due = due_at(&model, Timestamp(NOW.0 + HOUR), None);
    assert_eq!(subjects(&due), [Subject::Party(id(11))], "any record, however old");
    ran(&mut rule, &due[0]);
    let model = with_rule(model, &rule);
    assert!(due_at(&model, Timestamp(NOW.0 + HOUR), None).is_empty());
    ask(&mut rule, 11, NOW.0 + 2 * HOUR);
    assert_eq!(due_at(&with_rule(model, &rule), Timestamp(NOW.0 + 2 * HOUR), None).len(), 1);
}

#[test]
fn a_rule_tested_against_a_record_says_whether_it_would_fire_and_what_it_would_do() {
    let mut rule = rule("tag");
    rule.value = "vip".into();
    rule.on_since = None;
    let mut model = with_rule(model(), &rule);
    model.parties.get_mut(&id(11)).unwrap().tags = vec!["vip".into()];
    let settings = settings();
    let audience = Audience::new(&model, &settings, Vec::new(), NOW);
    let automations = Automations::new(WS, &model, &settings, &audience, None);
    let row = &model.automations[&RULE];
    let ann = automations.preview(row, Subject::Party(id(11)), HOW, None, NOW);
    assert!(ann.triggered && ann.condition && !ann.already);
    assert!(
        matches!(&ann.effects[0].1, Effect::Task { record, .. } if record.title == "Call — Ann")
    );
    let bob = automations.preview(row, Subject::Party(id(12)), HOW, None, NOW);
    assert!(!bob.triggered, "no tag");
    assert_eq!(bob.effects.len(), 2, "what it would do all the same");
    // Nothing is due while it is off.
    assert!(automations.due(NOW).is_empty());
    let _ = PartyKindRow::Person;
}

#[test]
fn a_record_merged_into_another_brings_its_runs_and_its_place_in_the_baseline() {
    // Ann's duplicate was tagged when the rule was switched on; Bob's duplicate had its welcome.
    let mut rule = rule("tag");
    rule.value = "vip".into();
    let mut model = model();
    for (n, name) in [(21, "Ann (old)"), (22, "Bob (old)")] {
        model.parties.insert(id(n), party(n, name, Timestamp(NOW.0 + HOUR)));
    }
    for n in [11, 12, 21, 22] {
        model.parties.get_mut(&id(n)).unwrap().tags = vec!["vip".into()];
    }
    rule.baseline.insert(id(21).to_string(), NOW);
    rule.runs.insert(
        format!("{}/tag/vip", id(22)),
        run(
            &Firing {
                rule: RULE,
                cause: format!("{}/tag/vip", id(22)),
                subject: Subject::Party(id(22)),
                party: Some(id(22)),
                at: NOW,
            },
            None,
            Vec::new(),
            NOW,
        ),
    );
    let mut model = with_rule(model, &rule);
    // Before the merges, Ann and Bob themselves are new to it.
    assert_eq!(
        subjects(&due_at(&model, NOW, None)),
        [Subject::Party(id(11)), Subject::Party(id(12))]
    );
    model.parties.get_mut(&id(21)).unwrap().merged_into = Some(id(11));
    model.parties.get_mut(&id(22)).unwrap().merged_into = Some(id(12));
    assert!(due_at(&model, NOW, None).is_empty(), "neither is new to it once merged");
}

#[test]
fn an_archived_record_is_in_the_baseline_and_an_old_occurrence_is_left_alone() {
    let settings = settings();
    let mut model = model();
    model.parties.get_mut(&id(11)).unwrap().tags = vec!["vip".into()];
    model.parties.get_mut(&id(11)).unwrap().archived = true;
    let mut tag = rule("tag");
    tag.value = "vip".into();
    let row = AutomationRow::of(RULE, &tag);
    let audience = Audience::new(&model, &settings, Vec::new(), NOW);
    let baseline = Automations::new(WS, &model, &settings, &audience, None).baseline(&row, NOW);
    assert_eq!(
        baseline,
        [id(11).to_string()],
        "archived, and tagged: restored, it sets nothing off"
    );
    // A person added an hour after the rule was on, looked at eight days later: left alone.
    let created = with_rule(model, &rule("created"));
    let week = 7 * 24 * HOUR;
    assert_eq!(due_at(&created, Timestamp(NOW.0 + HOUR + week), None).len(), 2);
    let late = due_at(&created, Timestamp(NOW.0 + HOUR + week + 1), None);
    assert_eq!(subjects(&late), [Subject::Party(id(13))], "only Cleo's is within the week");
}
