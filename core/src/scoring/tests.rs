use std::collections::HashMap;

use super::*;
use crate::demo::{self, DemoSizes, DemoWorkspace};
use crate::ids::CampaignId;
use crate::model::{Segment, SegmentRule};
use crate::read_model::RoleRow;
use crate::segments::SegmentRow;

const NOW: Timestamp = Timestamp(1_790_000_000_000);
const DAY: i64 = 24 * 60 * 60 * 1000;
const WS: WorkspaceId = WorkspaceId::from_bytes([1; 16]);

#[test]
fn an_event_is_worth_half_as_much_each_half_life_and_a_future_one_all_of_it() {
    assert_eq!(weight(0, 30), 1.0);
    assert!((weight(30 * DAY, 30) - 0.5).abs() < 1e-12);
    assert!((weight(60 * DAY, 30) - 0.25).abs() < 1e-12);
    assert_eq!(weight(3650 * DAY, 0), 1.0, "no half-life: never loses value");
    assert_eq!(weight(-5 * DAY, 30), 1.0, "a meeting booked ahead");
}

fn rule(position: u32, signal: &str, points: i64, half_life_days: u32) -> ScoringRule {
    ScoringRule { position, signal: signal.into(), points, half_life_days, ..Default::default() }
}

struct Fixture {
    demo: DemoWorkspace,
    model: ReadModel,
    settings: WorkspaceSettings,
    engagement: Vec<Engagement>,
    list: SegmentId,
    listed: Vec<PartyId>,
}

/// A demo workspace of 80 parties and 600 interactions, one record merged into another, a static
/// list, campaign engagement, and five rules: the list, calls (decaying), any interaction, opens
/// and clicks (taking points away).
fn fixture() -> Fixture {
    let sizes = DemoSizes {
        parties: 80,
        interactions: 600,
        deals: 0,
        tasks: 0,
        tickets: 0,
        ..Default::default()
    };
    let mut demo = demo::generate(5, sizes, NOW);
    let ids: Vec<PartyId> = demo.parties.iter().map(|(id, _)| *id).collect();
    demo.parties[10].1.merged_into = Some(ids[11]);
    demo.parties[10].1.archived = true;
    let mut model = ReadModel::default();
    for (key, mut doc) in demo.to_documents().unwrap() {
        model.replace_document(key, &mut doc);
    }
    let list = SegmentId::from_bytes([7; 16]);
    let listed: Vec<PartyId> = ids.iter().step_by(4).copied().collect();
    let segment = Segment {
        name: "Fair".into(),
        list: true,
        rule: SegmentRule::default(),
        members: listed.iter().map(|id| (id.to_string(), true)).collect(),
        created_by: None,
        created_at: NOW,
        archived: false,
    };
    model.segments.insert(list, SegmentRow::of(list, &segment));
    let mut settings = demo.settings.clone();
    let mut in_list = rule(0, "segment", 20, 0);
    in_list.segment = Some(list.to_string());
    let mut calls = rule(1, "interaction", 5, 30);
    calls.interaction_kind = Some("call".into());
    settings.scoring_rules = [
        ("a".to_owned(), in_list),
        ("b".to_owned(), calls),
        ("c".to_owned(), rule(2, "interaction", 1, 0)),
        ("d".to_owned(), rule(3, "opened", 3, 60)),
        ("e".to_owned(), rule(4, "clicked", -2, 0)),
        // Earns nothing: an unknown signal, and no points.
        ("f".to_owned(), rule(5, "webinar", 50, 0)),
        ("g".to_owned(), rule(6, "interaction", 0, 0)),
    ]
    .into();
    let engagement = ids
        .iter()
        .enumerate()
        .step_by(3)
        .flat_map(|(n, id)| {
            let at = Timestamp(NOW.0 - n as i64 * DAY);
            let mut found = vec![(*id, CampaignActivity::Opened, at)];
            if n % 2 == 0 {
                found.push((*id, CampaignActivity::Clicked, at));
            }
            found
        })
        .collect();
    Fixture { demo, model, settings, engagement, list, listed }
}

/// The score read straight off the demo's records, rule by rule, none of the scorer's shortcuts.
fn naive(f: &Fixture, party: PartyId) -> f64 {
    let merged_here: Vec<PartyId> = f
        .demo
        .parties
        .iter()
        .filter(|(_, p)| p.merged_into == Some(party))
        .map(|(id, _)| *id)
        .chain([party])
        .collect();
    let mut sum = 0.0;
    if f.listed.iter().any(|id| merged_here.contains(id)) {
        sum += 20.0;
    }
    for (_, interaction) in &f.demo.interactions {
        if !interaction.parties.iter().any(|p| merged_here.contains(p)) {
            continue;
        }
        let age = NOW.0 - interaction.at.0;
        if interaction.kind == InteractionKind::Call {
            sum += 5.0 * 0.5_f64.powf(age as f64 / (30 * DAY) as f64).min(1.0);
        }
        sum += 1.0;
    }
    for (p, activity, at) in &f.engagement {
        if merged_here.contains(p) {
            match activity {
                CampaignActivity::Opened => {
                    sum += 3.0 * 0.5_f64.powf((NOW.0 - at.0) as f64 / (60 * DAY) as f64)
                }
                CampaignActivity::Clicked => sum -= 2.0,
                CampaignActivity::Sent => {}
            }
        }
    }
    sum
}

#[test]
fn every_party_s_score_is_the_sum_of_its_rules_read_off_the_records() {
    let f = fixture();
    let scorer = Scorer::new(&f.model, &f.settings, &f.engagement, NOW);
    let scores = scorer.scores();
    let mut scored = 0;
    for (id, party) in &f.demo.parties {
        let expected = if party.archived { 0 } else { naive(&f, *id).round() as i64 };
        assert_eq!(scores.get(id).copied().unwrap_or(0), expected, "{}", party.name);
        if !party.archived {
            let one = scorer.score(*id);
            assert_eq!(one.points, expected, "the record's own reckoning, {}", party.name);
            let reasons: f64 = one.reasons.iter().map(|r| r.points).sum();
            assert_eq!(reasons.round() as i64, expected, "{}: the reasons add up", party.name);
            scored += usize::from(expected != 0);
        }
    }
    assert!(scored > 40, "most parties score something: {scored}");
    assert!(!scores.contains_key(&f.demo.parties[10].0), "a merged record has no score of its own");
}

#[test]
fn the_reasons_name_each_rule_that_gave_points_in_the_rules_order_with_its_events() {
    let f = fixture();
    let scorer = Scorer::new(&f.model, &f.settings, &f.engagement, NOW);
    // Listed, sent a campaign 0 days ago that it opened and clicked, and some interactions.
    let first = f.demo.parties[0].0;
    let score = scorer.score(first);
    let rules: Vec<&str> = score.reasons.iter().map(|r| r.rule.as_str()).collect();
    let calls = f
        .demo
        .interactions
        .iter()
        .filter(|(_, i)| i.parties.contains(&first) && i.kind == InteractionKind::Call);
    let all = f.demo.interactions.iter().filter(|(_, i)| i.parties.contains(&first)).count();
    let mut expected = vec!["a"];
    if calls.count() > 0 {
        expected.push("b");
    }
    if all > 0 {
        expected.push("c");
    }
    expected.extend(["d", "e"]);
    assert_eq!(rules, expected);
    let list = &score.reasons[0];
    assert_eq!((list.signal, list.points, list.events), (Signal::Segment(f.list), 20.0, 1));
    let opened = score.reasons.iter().find(|r| r.rule == "d").unwrap();
    assert_eq!((opened.points, opened.events), (3.0, 1), "opened today: all 3 points");
    let everything = score.reasons.iter().find(|r| r.rule == "c").map_or(0, |r| r.events);
    assert_eq!(everything as usize, all);
}

#[test]
fn a_lead_cools_as_time_passes_without_anything_recomputed_or_stored() {
    let f = fixture();
    let first = f.demo.parties[0].0;
    let now = Scorer::new(&f.model, &f.settings, &f.engagement, NOW).score(first);
    let later = Timestamp(NOW.0 + 60 * DAY);
    let then = Scorer::new(&f.model, &f.settings, &f.engagement, later).score(first);
    let opened = |s: &Score| s.reasons.iter().find(|r| r.rule == "d").unwrap().points;
    assert!((opened(&then) - opened(&now) / 2.0).abs() < 1e-9, "one half-life later: half");
    assert!(then.points < now.points);
}

#[test]
fn a_segment_rule_on_scores_does_not_feed_scores_back() {
    let mut f = fixture();
    let hot = SegmentId::from_bytes([8; 16]);
    let mut rule_on_scores = SegmentRule::default();
    let first = crate::model::RuleCondition {
        id: "c".into(),
        test: crate::model::Condition::Score { at_least: true, points: -100 },
    };
    rule_on_scores.apply(&crate::model::RuleEdit::AddGroup { group: "g".into(), first });
    let segment = Segment {
        name: "Scored".into(),
        list: false,
        rule: rule_on_scores,
        members: Default::default(),
        created_by: None,
        created_at: NOW,
        archived: false,
    };
    f.model.segments.insert(hot, SegmentRow::of(hot, &segment));
    let mut feeds = rule(9, "segment", 1000, 0);
    feeds.segment = Some(hot.to_string());
    f.settings.scoring_rules.insert("h".into(), feeds);
    let scores = Scorer::new(&f.model, &f.settings, &f.engagement, NOW).scores();
    assert!(scores.values().all(|points| *points < 1000), "nobody is in a segment on scores here");
}

#[test]
fn a_lead_reaching_the_threshold_is_handed_over_once_with_one_task_id_everywhere() {
    let mut f = fixture();
    let owner = f.demo.settings.members.keys().next().unwrap().clone();
    f.settings.lead_threshold = Some(25);
    f.settings.lead_owner = Some(owner.clone());
    let scores = Scorer::new(&f.model, &f.settings, &f.engagement, NOW).scores();
    let lead = |id: &PartyId| {
        let roles = &f.model.parties[id].roles;
        ![RoleRow::Employee, RoleRow::Supplier, RoleRow::Investor].iter().any(|r| roles.contains(r))
    };
    let hot: Vec<PartyId> = {
        let mut hot: Vec<PartyId> =
            scores.iter().filter(|(id, p)| **p >= 25 && lead(id)).map(|(id, _)| *id).collect();
        hot.sort();
        hot
    };
    assert!(scores.iter().any(|(id, p)| *p >= 25 && !lead(id)), "a colleague or supplier scores");
    assert!(!hot.is_empty());
    let due = handoffs(WS, &f.model, &f.settings, &scores, |_| false);
    assert_eq!(due.iter().map(|h| h.party).collect::<Vec<_>>(), hot);
    for handoff in &due {
        let row = &f.model.parties[&handoff.party];
        let chosen: MemberId = owner.parse().unwrap();
        assert_eq!(handoff.owner, Some(row.owner.unwrap_or(chosen)), "its owner, else the chosen");
        assert_eq!(handoff.task, handoff_task(WS, handoff.party), "the same on every device");
    }
    // A device holding one of the tasks leaves that lead alone.
    let taken = due[0].task;
    let again = handoffs(WS, &f.model, &f.settings, &scores, |task| task == taken);
    assert_eq!(again.len(), due.len() - 1);
    // Another workspace, another party: other tasks.
    assert_ne!(handoff_task(WorkspaceId::from_bytes([2; 16]), due[0].party), taken);
    assert_ne!(handoff_task(WS, f.demo.parties[1].0), handoff_task(WS, f.demo.parties[2].0));
    // A lead handed over before it was merged into another was handed over.
    let (merged, survivor) = (f.demo.parties[10].0, f.demo.parties[11].0);
    f.settings.lead_threshold = Some(1);
    let survivor_due = |has: &dyn Fn(TaskId) -> bool| {
        handoffs(WS, &f.model, &f.settings, &scores, has).iter().any(|h| h.party == survivor)
    };
    assert!(survivor_due(&|_| false), "the survivor scores and is a lead");
    assert!(!survivor_due(&|task| task == handoff_task(WS, merged)));
    // No threshold: nobody is handed over.
    f.settings.lead_threshold = None;
    assert!(handoffs(WS, &f.model, &f.settings, &scores, |_| false).is_empty());
}

#[test]
fn signals_are_read_from_their_keys_and_unknown_ones_earn_nothing() {
    let mut segment = rule(0, "segment", 1, 0);
    assert_eq!(Signal::of(&segment), None, "no segment chosen yet");
    let id = SegmentId::from_bytes([3; 16]);
    segment.segment = Some(id.to_string());
    assert_eq!(Signal::of(&segment), Some(Signal::Segment(id)));
    let mut meetings = rule(0, "interaction", 1, 0);
    meetings.interaction_kind = Some("meeting".into());
    assert_eq!(Signal::of(&meetings), Some(Signal::Interaction(Some(InteractionKind::Meeting))));
    meetings.interaction_kind = Some("carrier pigeon".into());
    assert_eq!(Signal::of(&meetings), None);
    assert_eq!(
        Signal::of(&rule(0, "clicked", 1, 0)),
        Some(Signal::Campaign(CampaignActivity::Clicked))
    );
    for kind in InteractionKind::ALL {
        assert_eq!(interaction_kind(interaction_key(kind)), Some(kind));
    }
    let _ = CampaignId::from_bytes([0; 16]);
    let _: HashMap<PartyId, i64> = HashMap::new();
}
