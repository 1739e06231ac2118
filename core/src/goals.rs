//! Goals, decided: where each key result stands (the value its latest check-in gave, else where it
//! started), how far along a goal is, how confident its people are, and the goals as a tree from
//! the company's down through teams to people. Nothing here is stored: every device derives the
//! same from the goal's key results and check-ins.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::contract::parse_day;
use crate::ids::{GoalId, MemberId, PartyId, Timestamp};
use crate::model::{CheckIn, Goal};
use crate::read_model::ReadModel;

/// The most key results a goal has.
pub const MOST_KEY_RESULTS: usize = 10;
/// How confident is "on track" (from 7) and "off track" (up to 3), on the scale of 1 to 10.
pub const ON_TRACK_FROM: u8 = 7;
pub const OFF_TRACK_UP_TO: u8 = 3;

/// Whose a goal is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Whose {
    Company,
    Team(String),
    Person(PartyId),
}

/// How a goal is going, by the confidence of its latest check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Track {
    OnTrack,
    AtRisk,
    OffTrack,
}

impl Track {
    pub fn of(confidence: u8) -> Track {
        match confidence {
            c if c >= ON_TRACK_FROM => Track::OnTrack,
            c if c <= OFF_TRACK_UP_TO => Track::OffTrack,
            _ => Track::AtRisk,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Track::OnTrack => "on-track",
            Track::AtRisk => "at-risk",
            Track::OffTrack => "off-track",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResultRow {
    pub key: String,
    pub title: String,
    pub start: f64,
    pub target: f64,
    pub unit: String,
    /// The value its latest check-in gave, else its start.
    pub current: f64,
    /// From 0 to 1: how much of the way from start to target `current` is.
    pub progress: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckInRow {
    pub key: String,
    pub at: Timestamp,
    pub by: MemberId,
    pub confidence: u8,
    pub note: String,
    /// (key result's title, value), in the key results' order.
    pub values: Vec<(String, f64)>,
}

/// A goal as lists and its page read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalRow {
    pub id: GoalId,
    pub title: String,
    pub whose: Whose,
    pub parent: Option<GoalId>,
    /// Its due day (Julian), if any.
    pub due: Option<i32>,
    /// In their order, archived ones left out.
    pub key_results: Vec<KeyResultRow>,
    /// The average of its key results' progress; 0 without any.
    pub progress: f64,
    /// The latest check-in's confidence.
    pub confidence: Option<u8>,
    /// Newest first.
    pub check_ins: Vec<CheckInRow>,
    pub created_at: Timestamp,
    pub archived: bool,
}

impl GoalRow {
    pub fn of(id: GoalId, goal: &Goal) -> GoalRow {
        let mut check_ins: Vec<(&String, &CheckIn)> = goal.check_ins.iter().collect();
        // Newest first; two at the same moment in a fixed order, the same on every device.
        check_ins.sort_by(|a, b| (b.1.at, b.0).cmp(&(a.1.at, a.0)));
        let mut key_results: Vec<(&String, &crate::model::KeyResult)> =
            goal.key_results.iter().filter(|(_, kr)| !kr.archived).collect();
        key_results.sort_by(|a, b| (a.1.position, a.0).cmp(&(b.1.position, b.0)));
        let key_results: Vec<KeyResultRow> = key_results
            .into_iter()
            .map(|(key, kr)| {
                let current = check_ins
                    .iter()
                    .find_map(|(_, check_in)| {
                        check_in.values.get(key).copied().filter(|value| value.is_finite())
                    })
                    .unwrap_or(kr.start);
                KeyResultRow {
                    key: key.clone(),
                    title: kr.title.clone(),
                    start: kr.start,
                    target: kr.target,
                    unit: kr.unit.clone(),
                    current,
                    progress: progress(kr.start, kr.target, current),
                }
            })
            .collect();
        let progress = match key_results.len() {
            0 => 0.0,
            n => key_results.iter().map(|kr| kr.progress).sum::<f64>() / n as f64,
        };
        let whose = match (goal.owner, goal.team.trim()) {
            (Some(owner), _) => Whose::Person(owner),
            (None, "") => Whose::Company,
            (None, team) => Whose::Team(team.to_owned()),
        };
        let titles: BTreeMap<&str, &str> =
            key_results.iter().map(|kr| (kr.key.as_str(), kr.title.as_str())).collect();
        GoalRow {
            id,
            title: goal.title.clone(),
            whose,
            parent: goal.parent,
            due: parse_day(&goal.due).map(time::Date::to_julian_day),
            progress,
            confidence: check_ins.first().map(|(_, c)| c.confidence),
            check_ins: check_ins
                .iter()
                .map(|(key, c)| CheckInRow {
                    key: (*key).clone(),
                    at: c.at,
                    by: c.by,
                    confidence: c.confidence,
                    note: c.note.clone(),
                    values: key_results
                        .iter()
                        .filter_map(|kr| {
                            Some((titles[kr.key.as_str()].to_owned(), *c.values.get(&kr.key)?))
                        })
                        .collect(),
                })
                .collect(),
            key_results,
            created_at: goal.created_at,
            archived: goal.archived,
        }
    }

    pub fn track(&self) -> Option<Track> {
        self.confidence.map(Track::of)
    }

    /// When a check-in made `now` is dated: after every check-in already made, so that a device
    /// whose clock ran ahead does not keep the latest word after the others speak.
    pub fn next_check_in_at(&self, now: Timestamp) -> Timestamp {
        let newest = self.check_ins.first().map_or(i64::MIN, |c| c.at.0);
        Timestamp(now.0.max(newest.saturating_add(1)))
    }
}

/// A number as a person types it: `1.5`, `1,5`, `1 000`, `-3`. A lone comma before exactly three
/// digits (`1,000`) reads as a thousands separator in English and a decimal one in Russian: refused
/// rather than guessed.
pub fn parse_number(text: &str) -> Option<f64> {
    let text: String = text.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    let separators = text.chars().filter(|c| matches!(c, ',' | '.')).count();
    if separators > 1 {
        return None;
    }
    if let Some((_, after)) = text.split_once(',')
        && after.len() == 3
    {
        return None;
    }
    text.replace(',', ".").parse::<f64>().ok().filter(|n| n.is_finite())
}

/// How much of the way from `start` to `target` `current` is, from 0 to 1 (either direction: a
/// result may aim down, as churn does).
pub fn progress(start: f64, target: f64, current: f64) -> f64 {
    if !(start.is_finite() && target.is_finite() && current.is_finite()) {
        return 0.0;
    }
    if target == start {
        return if current == target { 1.0 } else { 0.0 };
    }
    ((current - start) / (target - start)).clamp(0.0, 1.0)
}

/// The goals as a tree, each with its depth: the company's first, then teams' (by team), then
/// people's, each followed by the goals that serve it. A goal whose parent is gone (or archived, or
/// that would make a loop) stands at the top.
pub fn tree(model: &ReadModel) -> Vec<(usize, &GoalRow)> {
    let live: BTreeMap<GoalId, &GoalRow> =
        model.goals.iter().filter(|(_, g)| !g.archived).map(|(id, g)| (*id, g)).collect();
    let order = |g: &&GoalRow| (g.whose.clone(), g.title.to_lowercase(), g.id);
    let mut children: BTreeMap<GoalId, Vec<&GoalRow>> = BTreeMap::new();
    let mut roots: Vec<&GoalRow> = Vec::new();
    for goal in live.values() {
        match goal.parent.filter(|p| live.contains_key(p) && !leads_back(&live, goal.id)) {
            Some(parent) => children.entry(parent).or_default().push(goal),
            None => roots.push(goal),
        }
    }
    roots.sort_by_key(order);
    for list in children.values_mut() {
        list.sort_by_key(order);
    }
    let mut out = Vec::with_capacity(live.len());
    let mut stack: Vec<(usize, &GoalRow)> = roots.into_iter().rev().map(|g| (0, g)).collect();
    while let Some((depth, goal)) = stack.pop() {
        out.push((depth, goal));
        if let Some(list) = children.get(&goal.id) {
            stack.extend(list.iter().rev().map(|child| (depth + 1, *child)));
        }
    }
    out
}

/// Whether following `id`'s parents comes back to it.
fn leads_back(live: &BTreeMap<GoalId, &GoalRow>, id: GoalId) -> bool {
    let mut seen = BTreeSet::new();
    let mut at = live.get(&id).and_then(|g| g.parent);
    while let Some(parent) = at {
        if parent == id {
            return true;
        }
        if !seen.insert(parent) {
            return false;
        }
        at = live.get(&parent).and_then(|g| g.parent);
    }
    false
}

/// The goals `goal` may serve, as [`tree`] orders them with their depths: every live goal but itself
/// and those that serve it, directly or through others — so choosing one never makes a loop.
pub fn could_serve(model: &ReadModel, goal: GoalId) -> Vec<(usize, &GoalRow)> {
    let serves_goal = |mut at: Option<GoalId>| {
        // Bounded by the number of goals: a loop already there ends the walk.
        for _ in 0..=model.goals.len() {
            match at {
                Some(id) if id == goal => return true,
                Some(id) => at = model.goals.get(&id).and_then(|g| g.parent),
                None => return false,
            }
        }
        false
    };
    tree(model).into_iter().filter(|(_, g)| !serves_goal(Some(g.id))).collect()
}

/// The goals of `party` (theirs, or their team's), for their record and the Team page.
pub fn goals_of(model: &ReadModel, party: PartyId) -> Vec<&GoalRow> {
    let team = model
        .parties
        .get(&party)
        .and_then(|p| p.employee.as_deref())
        .map(|e| e.team.trim().to_owned())
        .unwrap_or_default();
    model
        .goals
        .values()
        .filter(|g| !g.archived)
        .filter(|g| match &g.whose {
            Whose::Person(owner) => *owner == party,
            Whose::Team(name) => !team.is_empty() && *name == team,
            Whose::Company => false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KeyResult;

    const ME: MemberId = MemberId::from_bytes([1; 16]);

    fn goal(parent: Option<GoalId>, team: &str) -> Goal {
        Goal {
            title: "Grow".into(),
            team: team.into(),
            owner: None,
            parent,
            due: "2027-03-31".into(),
            key_results: [
                (
                    "a".to_owned(),
                    KeyResult {
                        title: "ARR".into(),
                        start: 1.0,
                        target: 2.0,
                        unit: "M€".into(),
                        position: 0,
                        archived: false,
                    },
                ),
                (
                    "b".to_owned(),
                    KeyResult {
                        title: "Churn".into(),
                        start: 10.0,
                        target: 5.0,
                        unit: "%".into(),
                        position: 1,
                        archived: false,
                    },
                ),
            ]
            .into_iter()
            .collect(),
            check_ins: BTreeMap::new(),
            created_by: ME,
            created_at: Timestamp(0),
            archived: false,
        }
    }

    fn check_in(at: i64, confidence: u8, values: &[(&str, f64)]) -> CheckIn {
        CheckIn {
            at: Timestamp(at),
            by: ME,
            values: values.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            confidence,
            note: String::new(),
        }
    }

    #[test]
    fn progress_comes_from_the_latest_value_of_each_key_result_either_way() {
        let mut grow = goal(None, "");
        let id = GoalId::from_bytes([1; 16]);
        assert_eq!(GoalRow::of(id, &grow).progress, 0.0, "nothing checked in: at the start");
        grow.check_ins.insert("1".into(), check_in(1, 8, &[("a", 1.5), ("b", 9.0)]));
        // A later check-in that says nothing of churn keeps its last value.
        grow.check_ins.insert("2".into(), check_in(2, 3, &[("a", 1.8)]));
        let row = GoalRow::of(id, &grow);
        assert_eq!(row.key_results[0].current, 1.8);
        assert!((row.key_results[0].progress - 0.8).abs() < 1e-9);
        assert_eq!(row.key_results[1].current, 9.0, "churn aims down: 10 → 9 of 10 → 5");
        assert!((row.key_results[1].progress - 0.2).abs() < 1e-9);
        assert!((row.progress - 0.5).abs() < 1e-9);
        assert_eq!(row.confidence, Some(3));
        assert_eq!(row.track(), Some(Track::OffTrack));
        assert_eq!(row.check_ins[0].values, vec![("ARR".to_owned(), 1.8)]);
        assert_eq!(row.whose, Whose::Company);
        // A check-in dated after the newest whatever the clock says.
        assert_eq!(row.next_check_in_at(Timestamp(1)), Timestamp(3));
        assert_eq!(row.next_check_in_at(Timestamp(10)), Timestamp(10));
        // A damaged value counts as none: the one before stands.
        grow.check_ins.insert("3".into(), check_in(3, 8, &[("a", f64::NAN)]));
        assert_eq!(GoalRow::of(id, &grow).key_results[0].current, 1.8);
        assert_eq!(progress(f64::NAN, 2.0, 1.0), 0.0);
        // Past the target counts as done, not more.
        assert_eq!(progress(1.0, 2.0, 3.0), 1.0);
        assert_eq!(progress(5.0, 5.0, 5.0), 1.0);
        assert_eq!(Track::of(7), Track::OnTrack);
        assert_eq!(Track::of(5), Track::AtRisk);
    }

    #[test]
    fn numbers_are_read_as_typed_and_an_ambiguous_comma_is_refused() {
        assert_eq!(parse_number("1.5"), Some(1.5));
        assert_eq!(parse_number(" 1,5 "), Some(1.5));
        assert_eq!(parse_number("1 000"), Some(1000.0));
        assert_eq!(parse_number("1\u{a0}000,25"), Some(1000.25));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("1,000"), None, "a thousand, or one?");
        assert_eq!(parse_number("1,000.5"), None);
        assert_eq!(parse_number("1.2.3"), None);
        assert_eq!(parse_number("lots"), None);
        assert_eq!(parse_number("inf"), None);
    }

    #[test]
    fn the_tree_goes_company_then_teams_then_people_each_followed_by_what_serves_it() {
        let company = GoalId::from_bytes([1; 16]);
        let sales = GoalId::from_bytes([2; 16]);
        let anna = GoalId::from_bytes([3; 16]);
        let orphan = GoalId::from_bytes([4; 16]);
        let (loop_a, loop_b) = (GoalId::from_bytes([5; 16]), GoalId::from_bytes([6; 16]));
        let mut model = ReadModel::default();
        let mut person = goal(Some(sales), "");
        person.owner = Some(PartyId::from_bytes([9; 16]));
        for (id, g) in [
            (anna, person),
            (sales, goal(Some(company), "Sales")),
            (company, goal(None, "")),
            (orphan, goal(Some(GoalId::from_bytes([7; 16])), "Ops")),
            (loop_a, goal(Some(loop_b), "Legal")),
            (loop_b, goal(Some(loop_a), "Legal")),
        ] {
            model.goals.insert(id, GoalRow::of(id, &g));
        }
        let tree: Vec<(usize, GoalId)> = tree(&model).into_iter().map(|(d, g)| (d, g.id)).collect();
        assert_eq!(
            tree,
            vec![(0, company), (1, sales), (2, anna), (0, loop_a), (0, loop_b), (0, orphan)]
        );
        let employed = PartyId::from_bytes([9; 16]);
        assert_eq!(goals_of(&model, employed).iter().map(|g| g.id).collect::<Vec<_>>(), vec![anna]);

        // Sales' goal may serve anything but itself and Anna's goal, which serves it.
        let choices: Vec<GoalId> =
            could_serve(&model, sales).into_iter().map(|(_, g)| g.id).collect();
        assert_eq!(choices, vec![company, loop_a, loop_b, orphan]);
        let choices: Vec<GoalId> =
            could_serve(&model, company).into_iter().map(|(_, g)| g.id).collect();
        assert_eq!(
            choices,
            vec![loop_a, loop_b, orphan],
            "all that serves the company's goal is out"
        );
        assert_eq!(could_serve(&model, loop_a).len(), 4, "a loop already there ends the walk");
    }
}
