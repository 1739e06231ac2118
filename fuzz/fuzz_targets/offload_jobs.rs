//! A Web Worker job carries the relay's sync message for a document, or a saved document to derive rows
//! from (`rapport_core::offload`): whatever the bytes — a damaged job, or a well-formed job around any
//! message or document, rows for its read model, a scoring, dashboard, health, report or leads job — the worker answers with an error or a
//! result, and never panics (a panic would take the worker down for the page). Each input gets a
//! fresh worker, so a crash replays from its input alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_core::analytics::{Months, SalesFilter};
use rapport_core::ids::{PipelineId, Timestamp, WorkspaceId};
use rapport_core::leads::LeadsChart;
use rapport_core::mirror::{ByteBuf, HealthJob, LeadsJob, ReportJob, SalesJob, ScoreJob, Update};
use rapport_core::offload::{self, Job, SavedDocument, SyncState, WholeDocument, Worker};
use rapport_core::report::{Chart, Measure, ReportDef, Source};
use rapport_core::segments::AudienceFacts;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut worker = Worker::default();
    let answer = match mode % 4 {
        0 => worker.run(rest),
        1 => {
            let job = WholeDocument {
                key: "parties/0".into(),
                state: SyncState::default(),
                message: rest.to_vec(),
            };
            worker.run(&offload::encode_job(&Job::Merge(job)))
        }
        2 => {
            let job = SavedDocument { key: "parties/0".into(), bytes: rest.to_vec() };
            worker.run(&offload::encode_job(&Job::Rows(job)))
        }
        _ => {
            // Rows for the worker's read model, as a fresh start and again as a change, then
            // everyone's scores over them.
            let workspace = WorkspaceId::from_bytes([1; 16]);
            let key =
                ["parties/0", "interactions/2026-01", "deals/0", "segments/0"][rest.len() % 4];
            let units = [(key.to_owned(), ByteBuf::from(rest.to_vec()))].into();
            for fresh in [true, false] {
                let update =
                    Update { workspace, fresh, units: Clone::clone(&units), settings: None };
                let _ = offload::decode_outcome(
                    &worker.run(&offload::encode_job(&Job::Mirror(update))),
                );
            }
            let job = ScoreJob {
                workspace,
                engagement: Vec::new(),
                opted_out: Vec::new(),
                campaigns: None,
                now: Timestamp(1_780_000_000_000),
            };
            let _ = offload::decode_outcome(&worker.run(&offload::encode_job(&Job::Scores(job))));
            // The sales dashboard and everyone's health over the same rows.
            let now = Timestamp(1_780_000_000_000);
            let filter = SalesFilter {
                months: Months::ending_at(now, 12),
                pipeline: PipelineId::from_bytes([2; 16]),
                currency: "EUR".into(),
                owner: None,
            };
            // The records of every figure, or of none picked.
            let picks = rest.get(1).map(|_| Vec::new());
            let sales = SalesJob { workspace, filter, now, picks };
            let _ = offload::decode_outcome(&worker.run(&offload::encode_job(&Job::Sales(sales))));
            // A report of every kind of record, grouped and measured as the input picks.
            for source in Source::ALL {
                let pick = rest.first().copied().map_or(0, usize::from);
                let measure = match source.numbers().get(pick % 3) {
                    Some(number) => Measure::Median(*number),
                    None => Measure::Count,
                };
                let def = ReportDef {
                    source,
                    date: source.dates()[pick % source.dates().len()],
                    months: (pick % 13) as u8,
                    group: source.dimensions().get(pick % 20).copied(),
                    split: source.dimensions().get(pick / 20 % 10).copied(),
                    measure,
                    conditions: Vec::new(),
                    currency: None,
                    chart: Chart::Bar,
                };
                let audience = Some(AudienceFacts::default());
                let job = Job::Report(ReportJob { workspace, def, now, audience });
                let _ = offload::decode_outcome(&worker.run(&offload::encode_job(&job)));
            }
            // Both leads charts, a bar picked.
            for chart in [LeadsChart::Conversion(Months::ending_at(now, 12)), LeadsChart::ByScore] {
                let pick = Some((String::from_utf8_lossy(rest).into_owned(), rest.len() % 2));
                let job = Job::Leads(LeadsJob { workspace, chart, owner: None, pick });
                let _ = offload::decode_outcome(&worker.run(&offload::encode_job(&job)));
            }
            worker.run(&offload::encode_job(&Job::Health(HealthJob { workspace, now })))
        }
    };
    let _ = offload::decode_outcome(&answer);
});
