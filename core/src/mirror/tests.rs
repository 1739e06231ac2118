use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::AutoCommit;

use super::*;
use crate::demo::{self, DemoSizes};
use crate::document;
use crate::ids::MemberId;
use crate::model::{CampaignActivity, Interaction, Party};
use crate::offload::{Job, Outcome, Worker, decode_outcome, encode_job};
use crate::segments::AudienceFacts;

const NOW: Timestamp = Timestamp(1_780_000_000_000);
const DAY: i64 = 86_400_000;

/// The page's side: its documents and its model, and what it stores after each change.
struct Page {
    workspace: WorkspaceId,
    docs: BTreeMap<DocKey, AutoCommit>,
    model: ReadModel,
    settings: WorkspaceSettings,
    engagement: Vec<Engagement>,
}

impl Page {
    /// A demo workspace of 120 parties, 900 interactions and 30 deals, with the demo's rules (fit
    /// segments, interactions, campaign engagement), one record merged into another, and every unit
    /// as it would be stored.
    fn open() -> (Page, Update) {
        let sizes = DemoSizes {
            parties: 120,
            interactions: 900,
            deals: 30,
            tasks: 0,
            tickets: 10,
            ..Default::default()
        };
        let mut demo = demo::generate(11, sizes, NOW);
        let ids: Vec<PartyId> = demo.parties.iter().map(|(id, _)| *id).collect();
        demo.parties[4].1.merged_into = Some(ids[5]);
        demo.parties[4].1.archived = true;
        let mut docs = demo.to_documents().unwrap();
        let mut model = ReadModel::default();
        let mut units = BTreeMap::new();
        for (key, doc) in &mut docs {
            units
                .insert(key.to_string(), ByteBuf::from(model.replace_document(*key, doc).encode()));
        }
        let engagement = ids
            .iter()
            .enumerate()
            .step_by(3)
            .map(|(n, id)| (*id, CampaignActivity::Opened, Timestamp(NOW.0 - n as i64 * DAY)))
            .collect();
        let update = Update {
            workspace: demo.workspace,
            fresh: true,
            units,
            settings: Some(encode_settings(&demo.settings)),
        };
        let page =
            Page { workspace: demo.workspace, docs, model, settings: demo.settings, engagement };
        (page, update)
    }

    /// Changes record `record` of document `key` as an edit on the page does, and returns what the
    /// page stores: the document's rows.
    fn edit<R: document::Record>(
        &mut self,
        key: DocKey,
        record: &str,
        change: impl FnOnce(&mut R),
    ) -> Update {
        let doc = self.docs.get_mut(&key).unwrap();
        let mut value: R = document::get(&*doc, record).unwrap().unwrap();
        change(&mut value);
        document::put(doc, record, &value).unwrap();
        crate::history::commit(doc, Some(MemberId::from_bytes([1; 16])), NOW);
        let rows = self.model.refresh(key, doc, &BTreeSet::from([record.to_owned()]));
        self.stored([(key, rows.encode())])
    }

    /// Adds an interaction with `party` as a new record of document `key`.
    fn log(&mut self, key: DocKey, like: &str, party: PartyId, id: &str) -> Update {
        let doc = self.docs.get_mut(&key).unwrap();
        let mut interaction: Interaction = document::get(&*doc, like).unwrap().unwrap();
        interaction.parties = vec![party];
        document::put(doc, id, &interaction).unwrap();
        crate::history::commit(doc, None, NOW);
        let rows = self.model.refresh(key, doc, &BTreeSet::from([id.to_owned()]));
        self.stored([(key, rows.encode())])
    }

    fn stored(&self, units: impl IntoIterator<Item = (DocKey, Vec<u8>)>) -> Update {
        Update {
            workspace: self.workspace,
            fresh: false,
            units: (units.into_iter())
                .map(|(key, bytes)| (key.to_string(), ByteBuf::from(bytes)))
                .collect(),
            settings: None,
        }
    }

    fn job(&self) -> ScoreJob {
        ScoreJob {
            workspace: self.workspace,
            engagement: self.engagement.clone(),
            opted_out: Vec::new(),
            campaigns: None,
            now: NOW,
        }
    }

    /// Everyone's scores as the page computes them over its own model.
    fn scores(&self) -> HashMap<PartyId, i64> {
        Scorer::new(&self.model, &self.settings, &self.engagement, NOW).scores()
    }

    fn first_record(&self, wanted: impl Fn(&DocKey) -> bool) -> (DocKey, String) {
        let (key, doc) = self.docs.iter().find(|(key, _)| wanted(key)).unwrap();
        (*key, document::keys(doc).into_iter().next().unwrap())
    }
}

fn mirrored(mirror: &mut Mirror, job: ScoreJob) -> HashMap<PartyId, i64> {
    mirror.scores(job).unwrap().into_iter().collect()
}

#[test]
fn a_mirror_fed_what_the_page_stores_scores_every_change_as_the_page_does() {
    let (mut page, opening) = Page::open();
    let mut mirror = Mirror::default();
    let taken = mirror.take(opening).unwrap();
    assert_eq!(taken.documents, page.model.heads.len());
    assert!(taken.unreadable.is_empty());
    let scores = page.scores();
    assert!(scores.len() > 50, "the demo's rules score most people: {}", scores.len());
    assert_eq!(mirrored(&mut mirror, page.job()), scores);

    let parties: Vec<PartyId> = page.model.parties.keys().copied().collect();
    let (month, like) = page.first_record(|key| matches!(key, DocKey::Interactions(_)));
    for (n, party) in parties.iter().take(6).enumerate() {
        let update = page.log(month, &like, *party, &format!("{:032x}", 900 + n));
        mirror.take(update).unwrap();
        assert_eq!(mirrored(&mut mirror, page.job()), page.scores(), "after interaction {n}");
    }
    // Archived, then merged into another: the scores move to the survivor on both sides.
    let (archived, merged) = (parties[7], parties[8]);
    let key = <Party as document::Record>::doc_key(&archived);
    mirror.take(page.edit::<Party>(key, &archived.to_string(), |p| p.archived = true)).unwrap();
    assert_eq!(mirrored(&mut mirror, page.job()), page.scores());
    let key = <Party as document::Record>::doc_key(&merged);
    let update = page.edit::<Party>(key, &merged.to_string(), |p| {
        p.merged_into = Some(parties[9]);
        p.archived = true;
    });
    mirror.take(update).unwrap();
    assert_eq!(mirrored(&mut mirror, page.job()), page.scores());
    assert_eq!(mirror.model().parties, page.model.parties);
    assert_eq!(mirror.model().last_contact, page.model.last_contact);
}

#[test]
fn a_rule_changed_on_the_page_reaches_the_mirror_with_the_settings() {
    let (mut page, opening) = Page::open();
    let mut mirror = Mirror::default();
    mirror.take(opening).unwrap();
    let before = page.scores();
    for rule in page.settings.scoring_rules.values_mut() {
        rule.points *= 3;
    }
    let after = page.scores();
    assert_ne!(before, after);
    // Rows alone do not carry the rules.
    mirror.take(page.stored([])).unwrap();
    assert_eq!(mirrored(&mut mirror, page.job()), before);
    let update = Update { settings: Some(encode_settings(&page.settings)), ..page.stored([]) };
    mirror.take(update).unwrap();
    assert_eq!(mirrored(&mut mirror, page.job()), after);
    assert_eq!(decode_settings(&encode_settings(&page.settings)).unwrap(), page.settings);
}

#[test]
fn another_workspace_replaces_everything_and_scores_are_refused_for_one_not_held() {
    let (page, opening) = Page::open();
    let mut mirror = Mirror::default();
    assert_eq!(mirror.scores(page.job()), Err(MirrorError::OtherWorkspace(page.workspace)));
    mirror.take(opening.clone()).unwrap();
    let other = WorkspaceId::from_bytes([9; 16]);
    let taken = mirror.take(Update { workspace: other, ..page.stored([]) }).unwrap();
    assert_eq!(taken.documents, 0, "nothing of the first workspace is kept");
    assert_eq!(mirror.scores(page.job()), Err(MirrorError::OtherWorkspace(page.workspace)));
    // Opening again (fresh) after a stale partial state installs everything anew.
    mirror.take(opening.clone()).unwrap();
    assert_eq!(mirrored(&mut mirror, page.job()), page.scores());
    // A fresh update drops what the mirror held, even of the same workspace.
    let mut roots_only = opening;
    roots_only.units.retain(|key, _| !key.starts_with("interactions/"));
    let taken = mirror.take(roots_only.clone()).unwrap();
    assert_eq!(taken.documents, roots_only.units.len());
    assert!(mirror.model().interactions.is_empty());
}

#[test]
fn private_notes_are_never_mirrored_and_unreadable_units_are_named() {
    let (page, mut opening) = Page::open();
    let private = DocKey::Private(crate::layout::DocumentId([3; 16]));
    let notes = DocRows {
        format: crate::read_model::ROWS_FORMAT,
        heads: Vec::new(),
        rows: crate::read_model::Rows::Private(vec![("x".into(), "a note".into())]),
        damaged: Vec::new(),
    };
    opening.units.insert(private.to_string(), ByteBuf::from(notes.encode()));
    opening.units.insert("interactions/1999-01".into(), ByteBuf::from(b"not rows".to_vec()));
    opening.units.insert("no such document".into(), ByteBuf::new());
    let mut mirror = Mirror::default();
    let taken = mirror.take(opening).unwrap();
    assert_eq!(taken.unreadable, ["interactions/1999-01", "no such document"]);
    assert!(mirror.model().private_notes.is_empty());
    assert!(!mirror.model().heads.contains_key(&private));
    assert_eq!(mirrored(&mut mirror, page.job()), page.scores());
    let garbled =
        Update { settings: Some(ByteBuf::from(b"not a document".to_vec())), ..page.stored([]) };
    assert!(matches!(mirror.take(garbled), Err(MirrorError::Settings(_))));
}

#[test]
fn a_worker_keeps_its_mirror_between_jobs() {
    let (page, opening) = Page::open();
    let mut worker = Worker::default();
    let Outcome::Mirrored(taken) =
        decode_outcome(&worker.run(&encode_job(&Job::Mirror(opening)))).unwrap()
    else {
        panic!("not an answer to an update")
    };
    assert_eq!(taken.documents, page.model.heads.len());
    let Outcome::Scores(scores) =
        decode_outcome(&worker.run(&encode_job(&Job::Scores(page.job())))).unwrap()
    else {
        panic!("not scores")
    };
    assert_eq!(scores.into_iter().collect::<HashMap<_, _>>(), page.scores());
    // A worker started afresh (it broke and was replaced) holds nothing: the page is told.
    let answer = Worker::default().run(&encode_job(&Job::Scores(page.job())));
    assert!(decode_outcome(&answer).unwrap_err().contains("holds no rows"));
}

fn sales_job(page: &Page) -> SalesJob {
    SalesJob {
        workspace: page.workspace,
        filter: crate::analytics::demo_filter(&page.model, &page.settings, NOW),
        now: NOW,
        picks: None,
    }
}

/// Three reports: every deal by status (open, won, lost), the amount of the deals created in the
/// last year by stage, and interactions by author
/// and month.
fn report_jobs(page: &Page) -> [ReportJob; 3] {
    use crate::report::{Dimension, Measure, Number, ReportDef, Source};
    let def = |source, group, measure| ReportDef::grouped(source, 12, group, measure);
    [
        ReportDef { months: 0, ..def(Source::Deals, Dimension::Status, Measure::Count) },
        def(Source::Deals, Dimension::Stage, Measure::Sum(Number::Amount)),
        def(Source::Interactions, Dimension::Owner, Measure::Count),
    ]
    .map(|def| ReportJob { workspace: page.workspace, def, now: NOW, audience: None })
}

type Analytics = (SalesDashboard, Everyone, Vec<crate::report::Answer>);

/// The worker's dashboard, everyone's health and two reports, through the worker's bytes as the page
/// reads them.
fn analytics_of(worker: &mut Worker, page: &Page) -> Analytics {
    let Outcome::Sales(board) =
        decode_outcome(&worker.run(&encode_job(&Job::Sales(sales_job(page))))).unwrap()
    else {
        panic!("not a dashboard")
    };
    let job = HealthJob { workspace: page.workspace, now: NOW };
    let Outcome::Health(health) =
        decode_outcome(&worker.run(&encode_job(&Job::Health(job)))).unwrap()
    else {
        panic!("not health")
    };
    let reports = report_jobs(page).map(|job| {
        let Outcome::Report(answer) =
            decode_outcome(&worker.run(&encode_job(&Job::Report(job)))).unwrap()
        else {
            panic!("not a report")
        };
        *answer
    });
    (*board, *health, reports.into())
}

/// The dashboard and everyone's health as the page computes them over its own model.
fn analytics_on_page(page: &Page) -> Analytics {
    let board = crate::analytics::sales(&page.model, &page.settings, &sales_job(page).filter, NOW);
    let reports =
        report_jobs(page).map(|job| crate::report::run(&page.model, &page.settings, &job.def, NOW));
    (board, crate::relationship::everyone(&page.model, &page.settings, NOW), reports.into())
}

#[test]
fn the_worker_s_dashboard_and_health_follow_each_change_the_page_stores() {
    let (mut page, opening) = Page::open();
    let mut worker = Worker::default();
    worker.run(&encode_job(&Job::Mirror(opening)));
    let (board, health, reports) = analytics_of(&mut worker, &page);
    assert_eq!((board.clone(), health.clone(), reports.clone()), analytics_on_page(&page));
    assert!(board.open().count() > 0, "the demo has open deals");
    assert!(reports.iter().all(|answer| !answer.rows.is_empty()), "the demo has deals and calls");
    assert!(!health.coldest.is_empty(), "the demo has relationships to keep");

    // A deal won: the open pipeline, what was won and the win rate move on both sides.
    let open = board.open().next().unwrap();
    let key = <crate::model::Deal as document::Record>::doc_key(&open);
    let update = page.edit::<crate::model::Deal>(key, &open.to_string(), |deal| {
        deal.move_to(crate::model::Destination::Won, NOW, None);
    });
    worker.run(&encode_job(&Job::Mirror(update)));
    let (after, health, after_reports) = analytics_of(&mut worker, &page);
    assert_ne!(after, board, "the won deal moved the dashboard");
    assert!(after.won.now.records.contains(&open));
    assert_ne!(after_reports[0], reports[0], "the won deal moved from open to won");
    assert_eq!((after, health, after_reports), analytics_on_page(&page));

    // A call logged with someone who was going cold: their health moves on both sides.
    let everyone = crate::relationship::everyone(&page.model, &page.settings, NOW);
    let cold = everyone.coldest[0];
    let before = everyone.health[&cold].clone();
    let month = DocKey::Interactions(crate::layout::Month::of(NOW));
    let (month, call) = page.first_record(|key| *key == month);
    let doc = page.docs.get_mut(&month).unwrap();
    let mut moved: Interaction = document::get(&*doc, &call).unwrap().unwrap();
    (moved.parties, moved.at) = (vec![cold], NOW);
    document::put(doc, &call, &moved).unwrap();
    crate::history::commit(doc, None, NOW);
    let rows = page.model.refresh(month, doc, &BTreeSet::from([call.clone()]));
    let update = page.stored([(month, rows.encode())]);
    worker.run(&encode_job(&Job::Mirror(update)));
    let (board, health, after_reports) = analytics_of(&mut worker, &page);
    assert_eq!((board, health.clone(), after_reports), analytics_on_page(&page));
    assert_ne!(health.health.get(&cold), Some(&before), "their health changed");
}

/// A leads chart through the worker's bytes, as the page reads it; `None` when the page is to
/// answer it.
fn leads_of(worker: &mut Worker, job: LeadsJob) -> Option<crate::leads::Leads> {
    match decode_outcome(&worker.run(&encode_job(&Job::Leads(job)))).unwrap() {
        Outcome::Leads(leads) => Some(*leads),
        Outcome::Unscored => None,
        other => panic!("not leads: {other:?}"),
    }
}

#[test]
fn the_worker_s_leads_charts_are_the_page_s_with_the_picked_bar_s_records_only() {
    use crate::leads::{self, Leads, LeadsChart};
    let (page, opening) = Page::open();
    let mut worker = Worker::default();
    worker.run(&encode_job(&Job::Mirror(opening)));
    let months = crate::analytics::Months::ending_at(NOW, 12);
    let job = |chart, pick: Option<(&str, usize)>| LeadsJob {
        workspace: page.workspace,
        chart,
        owner: None,
        pick: pick.map(|(key, series)| (key.to_owned(), series)),
    };
    // Nobody scored yet in the worker: the page bands the leads over its own scores.
    assert_eq!(leads_of(&mut worker, job(LeadsChart::ByScore, None)), None);

    // Leads by month: the counts of every cohort, the records of the one picked only.
    let cohorts = leads::conversion(&page.model, months, None);
    let picked = cohorts.iter().max_by_key(|c| c.leads.value).unwrap();
    assert!(picked.leads.value > 0, "the demo has leads in the last year");
    let key = picked.month.to_string();
    let Some(Leads::Conversion(answer)) =
        leads_of(&mut worker, job(LeadsChart::Conversion(months), Some((&key, 0))))
    else {
        panic!("not a conversion")
    };
    assert_eq!(answer.len(), cohorts.len());
    for (worker, page) in answer.iter().zip(&cohorts) {
        assert_eq!(
            (worker.month, worker.leads.value, worker.won.value),
            (page.month, page.leads.value, page.won.value)
        );
        assert!(worker.won.records.is_empty(), "only the leads of {key} are listed");
        let listed = if worker.month == picked.month { &page.leads.records[..] } else { &[] };
        assert_eq!(worker.leads.records, listed);
    }

    // Once the mirror has scored everyone: the bands over its scores, as the page bands its own.
    worker.run(&encode_job(&Job::Scores(page.job())));
    let bands = leads::by_score(&page.model, &page.scores(), page.settings.lead_threshold, None);
    let widest = bands.iter().max_by_key(|bar| bar.value).unwrap();
    let Some(Leads::ByScore(answer)) =
        leads_of(&mut worker, job(LeadsChart::ByScore, Some((&widest.key.key(), 0))))
    else {
        panic!("not bands")
    };
    assert_eq!(answer.len(), bands.len());
    for (worker, page) in answer.iter().zip(&bands) {
        assert_eq!((worker.key, worker.value), (page.key, page.value));
        let listed = if worker.key == widest.key { &page.records[..] } else { &[] };
        assert_eq!(worker.records, listed);
    }
    assert!(widest.value > 0, "the demo has leads");
    // Nothing picked: counts only.
    let Some(Leads::ByScore(answer)) = leads_of(&mut worker, job(LeadsChart::ByScore, None)) else {
        panic!("not bands")
    };
    assert!(answer.iter().all(|bar| bar.records.is_empty()));
    // The workspace stops scoring: the worker forgets the scores it had, as the page does.
    let mut settings = page.settings.clone();
    settings.scoring_rules.clear();
    let none: [(DocKey, Vec<u8>); 0] = [];
    let update = Update { settings: Some(encode_settings(&settings)), ..page.stored(none) };
    worker.run(&encode_job(&Job::Mirror(update)));
    assert_eq!(leads_of(&mut worker, job(LeadsChart::ByScore, None)), None);
}

#[test]
fn a_report_of_a_segment_s_records_is_the_page_s_whoever_answers_it() {
    use crate::report::{Condition, Dimension, Measure, Reading, ReportDef, Source};
    let (page, opening) = Page::open();
    let mut worker = Worker::default();
    worker.run(&encode_job(&Job::Mirror(opening)));
    worker.run(&encode_job(&Job::Scores(page.job())));
    let opted_out = vec!["someone@example.com".to_owned()];
    let facts = AudienceFacts { opted_out: opted_out.clone(), campaigns: None };
    let mut answer = |def: &ReportDef| {
        let job = ReportJob {
            workspace: page.workspace,
            def: def.clone(),
            now: NOW,
            audience: Some(facts.clone()),
        };
        match decode_outcome(&worker.run(&encode_job(&Job::Report(job)))).unwrap() {
            Outcome::Report(answer) => *answer,
            other => panic!("not a report: {other:?}"),
        }
    };
    let on_page = |def: &ReportDef| {
        let scores = Some(std::sync::Arc::new(page.scores()));
        let read = Reading { facts: facts.clone(), scores, health: None };
        crate::report::run_reading(&page.model, &page.settings, def, NOW, read)
    };
    // Every interaction by the segments of whom it was with, and those with people in none.
    let by_segment =
        ReportDef::grouped(Source::Interactions, 0, Dimension::Segment, Measure::Count);
    let grouped = answer(&by_segment);
    assert_eq!(grouped, on_page(&by_segment));
    assert!(grouped.rows.len() >= 2, "the demo's segments hold people: {grouped:?}");
    // Each segment alone, and none.
    for row in &grouped.rows {
        let value = match &row.key {
            crate::report::Key::Value(id) => id.clone(),
            _ => String::new(),
        };
        let only = ReportDef {
            conditions: vec![Condition { dimension: Dimension::Segment, value }],
            ..ReportDef::grouped(Source::Interactions, 0, Dimension::Month, Measure::Count)
        };
        let kept = answer(&only);
        assert_eq!(kept, on_page(&only));
        let count: f64 = kept.rows.iter().filter_map(|r| r.value).sum();
        assert_eq!(Some(count), row.value, "{:?} keeps what its bar counts", row.key);
    }
}

#[test]
fn the_worker_s_dashboard_sends_the_records_of_the_figures_picked_only() {
    use crate::analytics::SalesPick;
    let (page, opening) = Page::open();
    let mut worker = Worker::default();
    worker.run(&encode_job(&Job::Mirror(opening)));
    let whole = crate::analytics::sales(&page.model, &page.settings, &sales_job(&page).filter, NOW);
    let stage = whole.by_stage.iter().find(|bar| !bar.records.is_empty()).expect("open deals");
    let author = whole.activity.first().expect("calls logged").key;
    let picks = vec![SalesPick::Stage(stage.key), SalesPick::Activity(author)];
    let job = SalesJob { picks: Some(picks.clone()), ..sales_job(&page) };
    let Outcome::Sales(board) = decode_outcome(&worker.run(&encode_job(&Job::Sales(job)))).unwrap()
    else {
        panic!("not a dashboard")
    };
    // Every figure's value as the page computes it; records only under the two picked.
    let mut expected = whole.clone();
    expected.keep_records_of(&picks);
    assert_eq!(*board, expected);
    assert_eq!(board.open_deals, whole.open().count(), "the open deals are counted still");
    let listed = |board: &SalesDashboard| {
        let stages = board.by_stage.iter().map(|bar| bar.records.len()).sum::<usize>();
        let months: usize =
            board.by_month.iter().map(|m| m.forecast.records.len() + m.won.records.len()).sum();
        let reasons: usize = board.lost_reasons.iter().map(|bar| bar.records.len()).sum();
        let activity: usize = board.activity.iter().map(|bar| bar.records.len()).sum();
        (stages, board.won.now.records.len(), months, reasons, activity)
    };
    assert_eq!(listed(&board), (stage.records.len(), 0, 0, 0, whole.activity[0].records.len()));
    assert!(listed(&whole).2 > 0 && listed(&whole).3 > 0, "the demo forecasts and loses deals");
    // The open card lists every stage's deals; the won card what was won.
    let mut open = whole.clone();
    open.keep_records_of(&[SalesPick::Open, SalesPick::Won]);
    assert_eq!(open.open().collect::<Vec<_>>(), whole.open().collect::<Vec<_>>());
    assert_eq!(open.won.now.records, whole.won.now.records);
    // A month's forecast, not what was won in it.
    let month = (whole.by_month.iter().rev())
        .find(|m| !m.forecast.records.is_empty())
        .expect("a month forecast");
    let mut forecast = whole.clone();
    forecast.keep_records_of(&[SalesPick::Month(month.month, 0)]);
    let kept = forecast.by_month.iter().find(|m| m.month == month.month).unwrap();
    assert_eq!((&kept.forecast.records, kept.won.records.len()), (&month.forecast.records, 0));
    let others = forecast.by_month.iter().filter(|m| m.month != month.month);
    assert!(others.into_iter().all(|m| m.forecast.records.is_empty()));
}
