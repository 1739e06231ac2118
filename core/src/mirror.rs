//! A read model of its own in a Web Worker, kept in step with the page's, so that work reading the
//! whole workspace runs off the page: everyone's lead scores ([`ScoreJob`]), the sales dashboard
//! ([`SalesJob`]) and everyone's relationship health ([`HealthJob`]).
//!
//! This is the device's analytics index: built from the rows the device stores in IndexedDB (so it is
//! rebuilt from them on every new session or device, never synced), kept up to date a document at a
//! time as the page stores each change, and read only in the worker.
//!
//! The page never ships its model. It ships what it stores: each document's rows, encoded as they go
//! to the device's storage beside the document (`read_model::DocRows`) — all of them read back from
//! storage when the mirror starts, then each document's again whenever the page stores it. The mirror
//! installs them as the page's model does at opening, so both hold the same rows; the settings, which
//! live outside the rows, travel as a small Automerge document when they change. A member's private
//! notes are never mirrored: nothing a worker computes reads them.
//!
//! Sans IO: [`Update`] and the jobs cross `postMessage` inside `offload::Job`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
pub use serde_bytes::ByteBuf;

use crate::analytics::{SalesDashboard, SalesFilter};
use crate::ids::{MemberId, PartyId, Timestamp, WorkspaceId};
use crate::layout::DocKey;
use crate::model::WorkspaceSettings;
use crate::read_model::{DocRows, ReadModel};
use crate::relationship::Everyone;
use crate::scoring::{Engagement, Scorer};
use crate::segments::{AudienceFacts, CampaignFacts};

/// Where the settings sit in the document they travel in.
const SETTINGS: &str = "settings";

/// What the page stored since its last update, for the mirror to take in before its next job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    /// The workspace these rows are of; rows of another replace everything the mirror held.
    pub workspace: WorkspaceId,
    /// Everything the mirror holds is dropped first (the page read every unit from storage again).
    pub fresh: bool,
    /// Document key (as text, `DocKey`'s `Display`) → its encoded rows as stored, latest only.
    pub units: BTreeMap<String, ByteBuf>,
    /// The settings, when they changed ([`encode_settings`]).
    pub settings: Option<ByteBuf>,
}

impl Update {
    /// Whether this update carries nothing to take in.
    pub fn is_empty(&self) -> bool {
        !self.fresh && self.units.is_empty() && self.settings.is_none()
    }
}

/// What the mirror took in: the documents it holds, and units it could not read (a format this build
/// does not write: the page derives those again and stores them, which sends them once more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taken {
    pub documents: usize,
    pub unreadable: Vec<String>,
}

/// Everyone's lead scores, as `scoring::Scorer::scores` gives them over the mirror's rows and what the
/// page alone knows: the relay's opens and clicks and opt-outs, and the page's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreJob {
    pub workspace: WorkspaceId,
    pub engagement: Vec<Engagement>,
    pub opted_out: Vec<String>,
    pub campaigns: Option<CampaignFacts>,
    pub now: Timestamp,
}

/// The sales dashboard of `filter` at `now` (`analytics::sales`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalesJob {
    pub workspace: WorkspaceId,
    pub filter: SalesFilter,
    pub now: Timestamp,
    /// The figures whose records the page lists (the others' are left out,
    /// [`SalesDashboard::keep_records_of`]); every figure's when `None`.
    pub picks: Option<Vec<crate::analytics::SalesPick>>,
}

/// A report builder's question at `now` (`report::run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportJob {
    pub workspace: WorkspaceId,
    pub def: crate::report::ReportDef,
    pub now: Timestamp,
    /// What its segments read that only the page has, when it reads any
    /// ([`crate::report::ReportDef::segments_read`]).
    pub audience: Option<AudienceFacts>,
}

/// A chart of the marketing board's leads (`leads::conversion`, `leads::by_score` over the scores the
/// mirror last computed), with the records of the bar picked only (`leads::Leads::keep_records_of`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadsJob {
    pub workspace: WorkspaceId,
    pub chart: crate::leads::LeadsChart,
    pub owner: Option<MemberId>,
    /// The bar whose records the page lists: its key and series.
    pub pick: Option<(String, usize)>,
}

/// Everyone's relationship health at `now` (`relationship::everyone`: those at 100 left out).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthJob {
    pub workspace: WorkspaceId,
    pub now: Timestamp,
}

/// Why the mirror could not do a job: the page then does it itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MirrorError {
    #[error("the mirror holds no rows of workspace {0}")]
    OtherWorkspace(WorkspaceId),
    #[error("the settings are not readable: {0}")]
    Settings(String),
}

/// The worker's copy of the page's rows and settings.
#[derive(Debug, Default)]
pub struct Mirror {
    workspace: Option<WorkspaceId>,
    model: ReadModel,
    settings: WorkspaceSettings,
    /// Everyone's scores as last computed ([`Mirror::scores`]): the page asks for leads by score
    /// only once it has them too, so these are at least as recent as the scores it shows.
    scored: Option<Arc<HashMap<PartyId, i64>>>,
}

impl Mirror {
    /// Takes in what the page stored. A fresh update (or one of another workspace) is installed as a
    /// device opening installs its stored units; later ones replace their documents' rows.
    pub fn take(&mut self, update: Update) -> Result<Taken, MirrorError> {
        let settings = match &update.settings {
            Some(bytes) => Some(decode_settings(bytes)?),
            None => None,
        };
        let mut unreadable = Vec::new();
        let mut units = Vec::with_capacity(update.units.len());
        for (key, bytes) in &update.units {
            match key.parse::<DocKey>().ok().zip(DocRows::decode(bytes).ok()) {
                Some((DocKey::Private(_), _)) => {}
                Some(unit) => units.push(unit),
                None => unreadable.push(key.clone()),
            }
        }
        if update.fresh || self.workspace != Some(update.workspace) {
            // No search index: nothing here searches.
            self.model = ReadModel::from_units_deferring_search(units);
            self.settings = WorkspaceSettings::default();
            self.workspace = Some(update.workspace);
            self.scored = None;
        } else {
            for (key, rows) in units {
                self.model.replace_rows(key, rows);
            }
        }
        if let Some(settings) = settings {
            self.settings = settings;
        }
        // Scores of rules since removed are nobody's: the page has none any more either.
        if self.settings.scoring_rules.is_empty() {
            self.scored = None;
        }
        // Nobody is told here: what changed matters to screens, and the mirror has none.
        self.model.take_changed();
        self.model.take_changed_records();
        Ok(Taken { documents: self.model.heads.len(), unreadable })
    }

    /// Everyone's scores (those with none left out), in no particular order.
    pub fn scores(&mut self, job: ScoreJob) -> Result<Vec<(PartyId, i64)>, MirrorError> {
        self.holds(job.workspace)?;
        let scorer = Scorer::new(&self.model, &self.settings, &job.engagement, job.now)
            .with_audience_facts(job.opted_out, job.campaigns);
        let scores = scorer.scores();
        let answer = scores.iter().map(|(id, score)| (*id, *score)).collect();
        self.scored = Some(Arc::new(scores));
        Ok(answer)
    }

    /// A chart of the marketing board's leads, with its picked bar's records only; `None` by score
    /// while the mirror has computed no scores (since it started again): the page answers it.
    pub fn leads(&self, job: &LeadsJob) -> Result<Option<crate::leads::Leads>, MirrorError> {
        self.holds(job.workspace)?;
        if job.chart == crate::leads::LeadsChart::ByScore && self.scored.is_none() {
            return Ok(None);
        }
        let mut leads = crate::leads::answer(
            &self.model,
            &self.settings,
            self.scored.as_deref(),
            job.chart,
            job.owner,
        );
        leads.keep_records_of(job.pick.as_ref());
        Ok(Some(leads))
    }

    /// The sales dashboard over the mirror's rows.
    pub fn sales(&self, job: &SalesJob) -> Result<SalesDashboard, MirrorError> {
        self.holds(job.workspace)?;
        let mut board = crate::analytics::sales(&self.model, &self.settings, &job.filter, job.now);
        if let Some(picks) = &job.picks {
            board.keep_records_of(picks);
        }
        Ok(board)
    }

    /// A report's answer over the mirror's rows.
    /// Its segments read over the mirror's scores (everyone's health computed when one reads it);
    /// `None` when one selects on scores and the mirror has computed none (since it started
    /// again): the page answers it.
    pub fn report(&self, job: &ReportJob) -> Result<Option<crate::report::Answer>, MirrorError> {
        self.holds(job.workspace)?;
        if self.scored.is_none() && job.def.segments_read().read_scores(&self.model) {
            return Ok(None);
        }
        let facts = job.audience.clone().unwrap_or_default();
        let read = crate::report::Reading { facts, scores: self.scored.clone(), health: None };
        Ok(Some(crate::report::run_reading(&self.model, &self.settings, &job.def, job.now, read)))
    }

    /// Everyone's health.
    pub fn health(&self, job: HealthJob) -> Result<Everyone, MirrorError> {
        self.holds(job.workspace)?;
        Ok(crate::relationship::everyone(&self.model, &self.settings, job.now))
    }

    fn holds(&self, workspace: WorkspaceId) -> Result<(), MirrorError> {
        if self.workspace == Some(workspace) {
            Ok(())
        } else {
            Err(MirrorError::OtherWorkspace(workspace))
        }
    }

    /// The mirror's rows, to compare with the page's.
    pub fn model(&self) -> &ReadModel {
        &self.model
    }
}

/// The settings as a small Automerge document (they are not serde types: autosurgeon writes them).
pub fn encode_settings(settings: &WorkspaceSettings) -> ByteBuf {
    let mut doc = automerge::AutoCommit::new();
    // Reconciling plain data into an empty document cannot fail.
    let _ = autosurgeon::reconcile_prop(&mut doc, automerge::ROOT, SETTINGS, settings);
    ByteBuf::from(doc.save())
}

/// Reads what [`encode_settings`] wrote.
pub fn decode_settings(bytes: &[u8]) -> Result<WorkspaceSettings, MirrorError> {
    let doc = automerge::AutoCommit::load(bytes)
        .map_err(|error| MirrorError::Settings(error.to_string()))?;
    autosurgeon::hydrate_prop(&doc, automerge::ROOT, SETTINGS)
        .map_err(|error| MirrorError::Settings(error.to_string()))
}

/// What the benchmarks give a mirror (natively and in wasm) over a demo workspace.
#[derive(Debug)]
pub struct Workload {
    /// The update that starts it: every stored unit and the settings.
    pub opening: Update,
    /// Everyone's scores, with the demo's campaign engagement.
    pub job: ScoreJob,
    /// The default sales dashboard (`analytics::demo_filter`).
    pub sales: SalesJob,
    pub health: HealthJob,
    /// The latest month of interactions stored again (an interaction logged).
    pub one_month: Update,
    /// One document of deals stored again (a deal moved).
    pub one_deals: Update,
}

/// The lead-score benchmarks' [`Workload`] at `now`, over the 100,000-party demo.
pub fn demo_workload(now: Timestamp) -> Workload {
    demo_workload_of(crate::demo::DemoSizes::hundred_thousand(), now)
}

/// The [`Workload`] of a demo of `sizes` at `now`.
pub fn demo_workload_of(sizes: crate::demo::DemoSizes, now: Timestamp) -> Workload {
    let workspace = crate::demo::generate(5, sizes, now);
    let model = ReadModel::of_demo(&workspace);
    let units: BTreeMap<String, ByteBuf> =
        model.stored_units().into_iter().map(|(key, bytes)| (key, ByteBuf::from(bytes))).collect();
    let again = |prefix: &str| {
        let key = units.keys().rev().find(|key| key.starts_with(prefix)).cloned();
        Update {
            workspace: workspace.workspace,
            fresh: false,
            units: key
                .and_then(|key| Some((key.clone(), units.get(&key)?.clone())))
                .into_iter()
                .collect(),
            settings: None,
        }
    };
    let (one_month, one_deals) = (again("interactions/"), again("deals/"));
    let sales = SalesJob {
        workspace: workspace.workspace,
        filter: crate::analytics::demo_filter(&model, &workspace.settings, now),
        now,
        picks: None,
    };
    let health = HealthJob { workspace: workspace.workspace, now };
    let job = ScoreJob {
        workspace: workspace.workspace,
        engagement: crate::demo::engagement(&model, now),
        opted_out: Vec::new(),
        campaigns: None,
        now,
    };
    let opening = Update {
        workspace: workspace.workspace,
        fresh: true,
        units,
        settings: Some(encode_settings(&workspace.settings)),
    };
    Workload { opening, job, sales, health, one_month, one_deals }
}

#[cfg(test)]
mod tests;
