//! Pulse surveys, decided: when each round of a survey takes answers, whom it asks (and in which
//! team their answer counts), what an answer may say, and what the answers the relay shows add up to
//! — per round, and over time for the engagement dashboard.
//!
//! Answers never enter a document: each round is a ballot at the relay's ballot box
//! ([`crate::ballot`]), registered by the devices of those who manage the workspace, with an id
//! derived from the survey and the round ([`round_ballot`]) so every device registers and answers the
//! same one. An invited person's device takes a single-use token and sends the answer with it alone;
//! the relay shows answers only in groups of `k` or more. Everything here works from what the relay
//! shows, so nothing computed here can single anyone out either.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ballot::{Ballot, Invitee, MIN_K, MOST_ANSWER_BYTES, Results};
use crate::ids::{MemberId, SurveyId, Timestamp, WorkspaceId};
use crate::model::{Survey, SurveyQuestion};
use crate::read_model::ReadModel;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The most rounds a survey holds (five years of weekly pulses; the relay keeps 1,000 surveys).
pub const MOST_ROUNDS: u32 = 260;
/// The most questions in a survey.
pub const MOST_QUESTIONS: usize = 20;
/// The longest written answer, in characters.
pub const MOST_COMMENT_CHARS: usize = 1_000;
/// The longest question or option, in characters.
pub const MOST_QUESTION_CHARS: usize = 300;
/// The most options a choice offers.
pub const MOST_OPTIONS: usize = 20;

/// What a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuestionKind {
    /// Agreement from 1 (not at all) to 5 (completely).
    Scale,
    /// How likely they would recommend working here, 0 to 10 (employee net promoter score).
    Enps,
    /// One of the question's options.
    Choice,
    /// A few words.
    Text,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 4] =
        [QuestionKind::Scale, QuestionKind::Enps, QuestionKind::Choice, QuestionKind::Text];

    pub fn of(question: &SurveyQuestion) -> Option<QuestionKind> {
        QuestionKind::parse(&question.kind)
    }

    pub fn parse(name: &str) -> Option<QuestionKind> {
        QuestionKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// As stored in `SurveyQuestion::kind`.
    pub fn name(self) -> &'static str {
        match self {
            QuestionKind::Scale => "scale",
            QuestionKind::Enps => "enps",
            QuestionKind::Choice => "choice",
            QuestionKind::Text => "text",
        }
    }

    /// How many buckets its answers are counted in (`0` for written answers), given the options.
    fn buckets(self, options: usize) -> usize {
        match self {
            QuestionKind::Scale => 5,
            QuestionKind::Enps => 11,
            QuestionKind::Choice => options,
            QuestionKind::Text => 0,
        }
    }
}

/// Why a survey cannot be saved as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyRefused {
    #[error("a survey needs a title")]
    NoTitle,
    #[error("a survey asks between one and {MOST_QUESTIONS} questions")]
    Questions,
    #[error("a question needs its text, and a choice two options or more")]
    BadQuestion,
    #[error("no group smaller than {MIN_K} is ever shown")]
    KTooSmall,
    #[error("answers are shown at least k at a time")]
    BatchTooSmall,
    #[error("a round takes answers for a day at least, and ends before the next one opens")]
    BadWindow,
}

/// What is wrong with `survey`, if anything.
pub fn refused(survey: &Survey) -> Option<SurveyRefused> {
    if survey.title.trim().is_empty() {
        return Some(SurveyRefused::NoTitle);
    }
    if survey.questions.is_empty() || survey.questions.len() > MOST_QUESTIONS {
        return Some(SurveyRefused::Questions);
    }
    let keys: BTreeSet<&str> = survey.questions.iter().map(|q| q.key.as_str()).collect();
    let well_formed = |q: &SurveyQuestion| {
        let fits =
            |text: &str| !text.trim().is_empty() && text.chars().count() <= MOST_QUESTION_CHARS;
        match QuestionKind::of(q) {
            None => false,
            Some(QuestionKind::Choice) => {
                fits(&q.text)
                    && (2..=MOST_OPTIONS).contains(&q.options.len())
                    && q.options.iter().all(|o| fits(o))
            }
            Some(_) => fits(&q.text),
        }
    };
    if keys.len() != survey.questions.len() || !survey.questions.iter().all(well_formed) {
        return Some(SurveyRefused::BadQuestion);
    }
    if survey.k < MIN_K {
        return Some(SurveyRefused::KTooSmall);
    }
    if survey.batch != 0 && survey.batch < survey.k {
        return Some(SurveyRefused::BatchTooSmall);
    }
    let longest = match survey.every_weeks {
        0 => 28,
        weeks => u32::from(weeks) * 7,
    };
    if survey.open_days == 0 || u32::from(survey.open_days) > longest {
        return Some(SurveyRefused::BadWindow);
    }
    None
}

/// A survey as the lists and the dashboard read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyRow {
    pub id: SurveyId,
    pub title: String,
    pub questions: Vec<QuestionRow>,
    pub teams: Vec<String>,
    pub k: u32,
    pub batch: u32,
    /// The first round's opening.
    pub starts: Timestamp,
    pub every_weeks: u8,
    pub open_days: u8,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    pub stopped_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionRow {
    pub key: String,
    pub text: String,
    /// `None` for a kind this version does not know (left out of answers and results).
    pub kind: Option<QuestionKind>,
    pub options: Vec<String>,
}

impl SurveyRow {
    pub fn of(id: SurveyId, survey: &Survey) -> SurveyRow {
        SurveyRow {
            id,
            title: survey.title.clone(),
            questions: survey
                .questions
                .iter()
                .map(|q| QuestionRow {
                    key: q.key.clone(),
                    text: q.text.clone(),
                    kind: QuestionKind::of(q),
                    options: q.options.clone(),
                })
                .collect(),
            teams: survey.teams.clone(),
            k: survey.k.max(MIN_K),
            batch: survey.batch,
            starts: survey.starts,
            every_weeks: survey.every_weeks,
            open_days: survey.open_days.max(1),
            created_by: survey.created_by,
            created_at: survey.created_at,
            stopped_at: survey.stopped_at,
        }
    }

    pub fn stopped(&self) -> bool {
        self.stopped_at.is_some()
    }

    /// Round `n`'s opening and close.
    pub fn window(&self, n: u32) -> (Timestamp, Timestamp) {
        let opens = self.starts.0 + i64::from(n) * i64::from(self.every_weeks) * 7 * DAY_MS;
        (Timestamp(opens), Timestamp(opens + i64::from(self.open_days) * DAY_MS))
    }

    /// How many rounds have opened by `now` — of a stopped survey, by the time it was stopped.
    pub fn rounds_opened(&self, now: Timestamp) -> u32 {
        let now = self.stopped_at.map_or(now, |stopped| stopped.min(now));
        let starts = self.starts;
        if now < starts {
            return 0;
        }
        match self.every_weeks {
            0 => 1,
            weeks => {
                let period = i64::from(weeks) * 7 * DAY_MS;
                u32::try_from((now.0 - starts.0) / period + 1).unwrap_or(u32::MAX).min(MOST_ROUNDS)
            }
        }
    }

    /// The round taking answers at `now`, if one is (the one open when a survey was stopped runs to
    /// its close).
    pub fn open_round(&self, now: Timestamp) -> Option<u32> {
        let last = self.rounds_opened(now).checked_sub(1)?;
        let (_, closes) = self.window(last);
        (now < closes).then_some(last)
    }

    /// The rounds whose ballots are registered at `now`: the one taking answers, and the next one a
    /// little ahead, so that a round opens at the relay even if no manager's device is online that
    /// day. A stopped survey registers no next one.
    pub fn rounds_to_register(&self, now: Timestamp) -> Vec<u32> {
        let opened = self.rounds_opened(now);
        let mut rounds: Vec<u32> = self.open_round(now).into_iter().collect();
        let has_next = !self.stopped() && (self.every_weeks != 0 || opened == 0);
        if has_next && opened < MOST_ROUNDS {
            rounds.push(opened);
        }
        rounds
    }
}

/// The relay's id for round `n` of `survey`: the same on every device.
pub fn round_ballot(workspace: WorkspaceId, survey: SurveyId, n: u32) -> String {
    let bytes =
        crate::outbox::derived_uuid(workspace, &["pulse", &survey.to_string(), &n.to_string()]);
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// Who round answers come from: everyone employed with an account in this workspace (in the survey's
/// teams, when it names some), each once. A person's team goes with their answer only when `k` or
/// more of the invited share it — a smaller team could never be shown and would only point at its
/// few — so theirs count in the whole alone.
pub fn invitees(model: &ReadModel, survey: &SurveyRow) -> Vec<Invitee> {
    let mut teams: BTreeMap<MemberId, String> = BTreeMap::new();
    for row in model.parties.values() {
        if row.archived || row.merged_into.is_some() {
            continue;
        }
        let Some(employee) = row.employee.as_deref() else { continue };
        let Some(member) = employee.member else { continue };
        let team = employee.team.trim();
        if !survey.teams.is_empty() && !survey.teams.iter().any(|t| t.trim() == team) {
            continue;
        }
        teams.entry(member).or_insert_with(|| team.to_owned());
    }
    let mut sizes: BTreeMap<&str, u32> = BTreeMap::new();
    for team in teams.values() {
        *sizes.entry(team.as_str()).or_default() += 1;
    }
    teams
        .iter()
        .map(|(member, team)| {
            let counted =
                !team.is_empty() && sizes.get(team.as_str()).copied().unwrap_or(0) >= survey.k;
            Invitee {
                member: member.to_string(),
                team: if counted { team.clone() } else { String::new() },
            }
        })
        .collect()
}

/// Round `n`'s ballot as the relay registers it.
pub fn ballot(model: &ReadModel, survey: &SurveyRow, n: u32) -> Ballot {
    let (_, closes) = survey.window(n);
    Ballot {
        k: survey.k,
        batch: survey.batch,
        closes_at: closes.0.div_euclid(1000),
        invitees: invitees(model, survey),
        readers: Vec::new(),
    }
}

/// One question's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    /// A scale or eNPS score, or a choice's position among the options.
    Number(u8),
    Text(String),
}

/// Why an answer cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRefused {
    #[error("nothing is answered")]
    Empty,
    #[error("an answer does not fit its question")]
    Unfit,
    #[error(
        "a written answer is at most {MOST_COMMENT_CHARS} characters, all of them together at most {MOST_ANSWER_BYTES} bytes"
    )]
    TooLong,
}

/// The text the relay keeps for `answers` to `survey` (question key → answer): blank written answers
/// left out, every other checked against its question.
pub fn answer_text(
    survey: &SurveyRow,
    answers: &BTreeMap<String, AnswerValue>,
) -> Result<String, AnswerRefused> {
    answers_text(&survey.questions, answers)
}

/// The text of `answers` to `questions` (question key → answer): blank written answers left out,
/// every other checked against its question — a survey's answer, or a review's.
pub fn answers_text(
    questions: &[QuestionRow],
    answers: &BTreeMap<String, AnswerValue>,
) -> Result<String, AnswerRefused> {
    let mut kept: BTreeMap<&str, AnswerValue> = BTreeMap::new();
    for (key, value) in answers {
        let question = questions.iter().find(|q| &q.key == key);
        let Some(kind) = question.and_then(|q| q.kind) else { return Err(AnswerRefused::Unfit) };
        let options = question.map_or(0, |q| q.options.len());
        let value = match (kind, value) {
            (QuestionKind::Text, AnswerValue::Text(text)) if text.trim().is_empty() => continue,
            (QuestionKind::Text, AnswerValue::Text(text)) => {
                if text.chars().count() > MOST_COMMENT_CHARS {
                    return Err(AnswerRefused::TooLong);
                }
                AnswerValue::Text(text.trim().to_owned())
            }
            (QuestionKind::Scale, AnswerValue::Number(n @ 1..=5)) => AnswerValue::Number(*n),
            (QuestionKind::Enps, AnswerValue::Number(n @ 0..=10)) => AnswerValue::Number(*n),
            (QuestionKind::Choice, AnswerValue::Number(n)) if usize::from(*n) < options => {
                AnswerValue::Number(*n)
            }
            _ => return Err(AnswerRefused::Unfit),
        };
        kept.insert(key, value);
    }
    if kept.is_empty() {
        return Err(AnswerRefused::Empty);
    }
    let text = serde_json::to_string(&kept).unwrap_or_default();
    // The relay keeps no more than this of one answer; refused here, it is not lost there.
    if text.len() > MOST_ANSWER_BYTES {
        return Err(AnswerRefused::TooLong);
    }
    Ok(text)
}

/// How one question was answered in a round: counts per score or option, and what was written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    pub key: String,
    pub kind: Option<QuestionKind>,
    /// Scale: answers per score 1–5; eNPS: per score 0–10; choice: per option.
    pub counts: Vec<u64>,
    /// Written answers, in the relay's order (which does not follow time).
    pub comments: Vec<String>,
}

impl Tally {
    pub fn answered(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.comments.len() as u64
    }

    /// The average of a scale question's scores (1–5).
    pub fn mean(&self) -> Option<f64> {
        let answered: u64 = self.counts.iter().sum();
        let sum: u64 = self.counts.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
        (answered > 0 && self.kind == Some(QuestionKind::Scale))
            .then(|| sum as f64 / answered as f64)
    }

    /// An eNPS question's score: promoters (9–10) minus detractors (0–6), in percent of answers.
    pub fn enps(&self) -> Option<i32> {
        let answered: u64 = self.counts.iter().sum();
        if answered == 0 || self.kind != Some(QuestionKind::Enps) {
            return None;
        }
        let promoters: u64 = self.counts[9..].iter().sum();
        let detractors: u64 = self.counts[..7].iter().sum();
        let score = (promoters as f64 - detractors as f64) * 100.0 / answered as f64;
        Some(score.round() as i32)
    }
}

/// A round's results: its counts, and the tallies of the answers the relay shows (none below `k`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RoundSummary {
    pub round: u32,
    pub closed: bool,
    pub invited: u64,
    pub answered: u64,
    /// Answers shown and tallied.
    pub shown: u64,
    /// Per question, in the survey's order.
    pub questions: Vec<Tally>,
    /// The teams shown apart: how many answers each, its average scale score and eNPS.
    pub teams: BTreeMap<String, TeamScore>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TeamScore {
    pub shown: u64,
    pub score: Option<f64>,
    pub enps: Option<i32>,
}

impl RoundSummary {
    /// Answered, in percent of those invited.
    pub fn participation(&self) -> Option<u32> {
        (self.invited > 0).then(|| ((self.answered * 100 + self.invited / 2) / self.invited) as u32)
    }

    /// The average of every scale question's scores.
    pub fn score(&self) -> Option<f64> {
        average_score(&self.questions)
    }

    /// The first eNPS question's score.
    pub fn enps(&self) -> Option<i32> {
        first_enps(&self.questions)
    }
}

fn first_enps(tallies: &[Tally]) -> Option<i32> {
    tallies.iter().find(|t| t.kind == Some(QuestionKind::Enps)).and_then(Tally::enps)
}

fn average_score(tallies: &[Tally]) -> Option<f64> {
    let scales = tallies.iter().filter(|t| t.kind == Some(QuestionKind::Scale));
    let (sum, count) = scales.fold((0u64, 0u64), |(sum, count), t| {
        let s: u64 = t.counts.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
        (sum + s, count + t.counts.iter().sum::<u64>())
    });
    (count > 0).then(|| sum as f64 / count as f64)
}

/// Tallies `answers` (as the app wrote them) against `survey`'s questions; an answer that does not
/// parse, or a value that does not fit, is passed over.
/// How each of `questions` was answered in `answers` (answer texts as [`answers_text`] makes them;
/// others are passed over).
pub fn tally(questions: &[QuestionRow], answers: &[String]) -> Vec<Tally> {
    let mut tallies: Vec<Tally> = questions
        .iter()
        .map(|q| Tally {
            key: q.key.clone(),
            kind: q.kind,
            counts: vec![0; q.kind.map_or(0, |kind| kind.buckets(q.options.len()))],
            comments: Vec::new(),
        })
        .collect();
    for answer in answers {
        let Ok(values) = serde_json::from_str::<BTreeMap<String, AnswerValue>>(answer) else {
            continue;
        };
        for (question, tally) in questions.iter().zip(tallies.iter_mut()) {
            match (question.kind, values.get(&question.key)) {
                (Some(QuestionKind::Text), Some(AnswerValue::Text(text))) => {
                    tally.comments.push(text.clone())
                }
                (Some(QuestionKind::Scale), Some(AnswerValue::Number(n @ 1..=5))) => {
                    tally.counts[usize::from(*n) - 1] += 1
                }
                (Some(QuestionKind::Enps | QuestionKind::Choice), Some(AnswerValue::Number(n))) => {
                    if let Some(count) = tally.counts.get_mut(usize::from(*n)) {
                        *count += 1;
                    }
                }
                _ => {}
            }
        }
    }
    tallies
}

/// Round `n`'s results as the relay gave them, summed up.
pub fn summarise(survey: &SurveyRow, n: u32, results: &Results) -> RoundSummary {
    let teams = results
        .teams
        .iter()
        .map(|(team, answers)| {
            let tallies = tally(&survey.questions, answers);
            let score = TeamScore {
                shown: answers.len() as u64,
                score: average_score(&tallies),
                enps: first_enps(&tallies),
            };
            (team.clone(), score)
        })
        .collect();
    RoundSummary {
        round: n,
        closed: results.closed,
        invited: results.invited,
        answered: results.answered,
        shown: results.answers.len() as u64,
        questions: tally(&survey.questions, &results.answers),
        teams,
    }
}

/// The engagement dashboard of a survey: its rounds over time and where the latest shown stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Engagement {
    /// Oldest first.
    pub rounds: Vec<EngagementPoint>,
    /// The latest round with answers shown.
    pub latest: Option<u32>,
    pub score: Option<f64>,
    /// Against the round shown before the latest.
    pub score_change: Option<f64>,
    pub enps: Option<i32>,
    pub enps_change: Option<i32>,
    /// The latest closed round's participation (the open one's is still growing), or the open one's
    /// before any closed.
    pub participation: Option<u32>,
    /// The latest shown round's written answers.
    pub comments: Vec<String>,
    /// Each team shown apart in the latest round, with its score.
    pub teams: Vec<(String, TeamScore)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EngagementPoint {
    pub round: u32,
    pub opens: Timestamp,
    pub participation: Option<u32>,
    pub shown: u64,
    pub score: Option<f64>,
    pub enps: Option<i32>,
}

/// The dashboard over `summaries` (one per round, any order).
pub fn engagement(survey: &SurveyRow, summaries: &[RoundSummary]) -> Engagement {
    let mut ordered: Vec<&RoundSummary> = summaries.iter().collect();
    ordered.sort_by_key(|s| s.round);
    let rounds: Vec<EngagementPoint> = ordered
        .iter()
        .map(|s| EngagementPoint {
            round: s.round,
            opens: survey.window(s.round).0,
            participation: s.participation(),
            shown: s.shown,
            score: s.score(),
            enps: s.enps(),
        })
        .collect();
    let shown: Vec<&&RoundSummary> = ordered.iter().filter(|s| s.shown > 0).collect();
    let latest = shown.last();
    let before = shown.len().checked_sub(2).and_then(|i| shown.get(i));
    let score = latest.and_then(|s| s.score());
    let enps = latest.and_then(|s| s.enps());
    Engagement {
        latest: latest.map(|s| s.round),
        score,
        score_change: score.zip(before.and_then(|s| s.score())).map(|(now, then)| now - then),
        enps,
        enps_change: enps.zip(before.and_then(|s| s.enps())).map(|(now, then)| now - then),
        participation: ordered
            .iter()
            .rev()
            .find(|s| s.closed)
            .or(ordered.last())
            .and_then(|s| s.participation()),
        comments: latest
            .map(|s| s.questions.iter().flat_map(|t| t.comments.iter().cloned()).collect())
            .unwrap_or_default(),
        teams: latest
            .map(|s| s.teams.iter().map(|(team, score)| (team.clone(), score.clone())).collect())
            .unwrap_or_default(),
        rounds,
    }
}

/// The surveys `member` is asked in now, with the round taking answers: those whose round's ballot
/// invites them.
pub fn open_for(model: &ReadModel, member: MemberId, now: Timestamp) -> Vec<(&SurveyRow, u32)> {
    // The member's teams, found once: [`invitees`] asks whoever is employed with an account in a
    // survey's teams (or anyone's, for a survey of all teams).
    let teams: Vec<&str> = model
        .parties
        .values()
        .filter(|row| !row.archived && row.merged_into.is_none())
        .filter_map(|row| row.employee.as_deref())
        .filter(|employee| employee.member == Some(member))
        .map(|employee| employee.team.trim())
        .collect();
    if teams.is_empty() {
        return Vec::new();
    }
    let invites = |survey: &SurveyRow| {
        survey.teams.is_empty() || survey.teams.iter().any(|t| teams.contains(&t.trim()))
    };
    model
        .surveys
        .values()
        .filter(|survey| invites(survey))
        .filter_map(|survey| survey.open_round(now).map(|round| (survey, round)))
        .collect()
}

/// The hash the relay keeps of a token (SHA-256, lower-case hex): what a device that chose its own
/// token sends when it takes it, so the token itself travels only with the answer.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The questions a new survey starts with: an engagement pulse (how they feel, whether they would
/// recommend working here, and room to say more), in the words given.
pub fn starter_questions(feel: &str, recommend: &str, more: &str) -> Vec<SurveyQuestion> {
    [(feel, QuestionKind::Scale), (recommend, QuestionKind::Enps), (more, QuestionKind::Text)]
        .into_iter()
        .enumerate()
        .map(|(i, (text, kind))| SurveyQuestion {
            key: format!("q{}", i + 1),
            text: text.to_owned(),
            kind: kind.name().to_owned(),
            options: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
