//! Work a device hands to other threads: a document arriving whole from the relay, as on a new device
//! pulling its workspace ([`Job::Merge`]), and the rows of a saved document a device is given whole, as
//! when it adopts the demo ([`Job::Rows`]). Loading a document, deriving its rows and answering the relay
//! cost tens to hundreds of milliseconds per document in wasm; the browser runs [`Worker::run`] in Web
//! Workers (one per core) so its page never waits on it, and only stores and shows the outcome. One
//! more worker keeps a read model of its own for work over the whole workspace ([`Job::Mirror`],
//! [`Job::Scores`]; `crate::mirror`).
//!
//! Sans IO: a job and its outcome are bytes (postcard), so each crosses `postMessage` as one
//! `Uint8Array`. The sync state travels whole (every field of Automerge's `sync::State`), so the
//! conversation with the relay goes on afterwards exactly as if the page had applied the message itself
//! — `tests` below check that against the main-thread path.

use std::collections::BTreeSet;

use automerge::ChangeHash;
use automerge::sync::{self as am_sync, BloomFilter, Capability, Have, SyncDoc};
use serde::{Deserialize, Serialize};

use crate::document;
use crate::layout::DocKey;
use crate::read_model::{DocRows, ReadModel};

/// A document that arrived whole: the relay's sync message for a document this device holds nothing
/// of, and the device's sync state for it before the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WholeDocument {
    /// The document, as text (`DocKey`'s `Display`): the worker derives its rows by it.
    pub key: String,
    pub state: SyncState,
    /// The sync message as the relay sent it (Automerge's encoding).
    pub message: Vec<u8>,
}

/// A saved document (a snapshot, changes, or both) whose rows a device needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedDocument {
    /// The document, as text (`DocKey`'s `Display`).
    pub key: String,
    pub bytes: Vec<u8>,
}

/// Work for a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Job {
    Merge(WholeDocument),
    Rows(SavedDocument),
    /// An article's Markdown to render as HTML ([`crate::knowledge::render`]): the parser lives in the
    /// worker so that the page's first download does not carry it.
    Render(String),
    /// A mail's Markdown to render as its HTML part shows it ([`crate::tracking::mail_parts`]: line
    /// breaks kept, bare addresses linked).
    RenderMail(String),
    /// Rows the page stored, for the worker's own read model ([`crate::mirror`]); always sent to the
    /// same worker, which keeps them between jobs.
    Mirror(crate::mirror::Update),
    /// Everyone's lead scores over the worker's read model.
    Scores(crate::mirror::ScoreJob),
    /// The sales dashboard over the worker's read model.
    Sales(crate::mirror::SalesJob),
    /// Everyone's relationship health over the worker's read model.
    Health(crate::mirror::HealthJob),
    /// A report's answer over the worker's read model.
    Report(crate::mirror::ReportJob),
    /// A chart of the marketing board's leads over the worker's read model.
    Leads(crate::mirror::LeadsJob),
}

/// What a worker made of a [`Job`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Merged(Box<Merged>),
    Rows(DocRows),
    Rendered(String),
    Mirrored(crate::mirror::Taken),
    Scores(Vec<(crate::ids::PartyId, i64)>),
    Sales(Box<crate::analytics::SalesDashboard>),
    Health(Box<crate::relationship::Everyone>),
    Report(Box<crate::report::Answer>),
    Leads(Box<crate::leads::Leads>),
    /// The job reads lead scores the mirror has not computed (since it started again): the page
    /// answers it over its own.
    Unscored,
}

/// What the worker made of a [`WholeDocument`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merged {
    /// The document's heads after the message.
    pub heads: Vec<[u8; 32]>,
    /// The whole document, saved compactly: store it as the document's snapshot.
    pub snapshot: Vec<u8>,
    /// The document's rows, to store beside it and show.
    pub rows: DocRows,
    /// The sync state after the message and the reply.
    pub state: SyncState,
    /// The sync message to send the relay in reply (Automerge's encoding), if any.
    pub reply: Option<Vec<u8>>,
}

impl Merged {
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.heads.iter().map(|bytes| ChangeHash(*bytes)).collect()
    }
}

/// Why a job could not be done. The page then applies the message itself, as it would without a worker.
#[derive(Debug, thiserror::Error)]
pub enum OffloadError {
    #[error("the job is not readable: {0}")]
    Job(String),
    #[error("the document key {0:?} is not one this app knows")]
    Key(String),
    #[error("the sync message is not valid: {0}")]
    Message(String),
    #[error("the sync state is not valid: {0}")]
    State(String),
    #[error("the document is not readable: {0}")]
    Document(String),
    #[error("applying the sync message failed: {0}")]
    Apply(#[from] automerge::AutomergeError),
}

/// Applies `job` to an empty document and answers the relay: what a Web Worker runs.
pub fn merge_whole(job: &WholeDocument) -> Result<Merged, OffloadError> {
    let key: DocKey = job.key.parse().map_err(|_| OffloadError::Key(job.key.clone()))?;
    let message = crate::protocol::decode_sync_message(&job.message)
        .map_err(|error| OffloadError::Message(error.to_string()))?;
    let mut state = job.state.to_state()?;
    let mut doc = document::new_document();
    doc.sync().receive_sync_message(&mut state, message)?;
    let rows = ReadModel::default().replace_document(key, &mut doc);
    let reply = doc.sync().generate_sync_message(&mut state).map(|reply| reply.encode());
    Ok(Merged {
        heads: doc.get_heads().iter().map(|hash| hash.0).collect(),
        snapshot: doc.save(),
        rows,
        state: SyncState::of(&state),
        reply,
    })
}

/// The rows of a saved document: what the page would get from loading it and
/// [`ReadModel::replace_document`].
pub fn rows_of_saved(job: &SavedDocument) -> Result<DocRows, OffloadError> {
    let key: DocKey = job.key.parse().map_err(|_| OffloadError::Key(job.key.clone()))?;
    let mut doc = document::load_document(&job.bytes)
        .map_err(|error| OffloadError::Document(error.to_string()))?;
    Ok(ReadModel::default().replace_document(key, &mut doc))
}

/// A Web Worker: what it keeps between jobs (a read model of its own, for the worker the page sends
/// its rows to) and how it does each.
#[derive(Debug, Default)]
pub struct Worker {
    mirror: crate::mirror::Mirror,
}

impl Worker {
    /// A whole job, bytes to bytes: a postcard [`Job`] in, a postcard `Result<Outcome, String>` out
    /// (the error said in English; the page falls back on it and does not show it).
    pub fn run(&mut self, job: &[u8]) -> Vec<u8> {
        let outcome: Result<Outcome, String> = postcard::from_bytes::<Job>(job)
            .map_err(|error| OffloadError::Job(error.to_string()).to_string())
            .and_then(|job| self.answer(job));
        encode_outcome(&outcome)
    }

    fn answer(&mut self, job: Job) -> Result<Outcome, String> {
        let said = |error: &dyn std::fmt::Display| error.to_string();
        match job {
            Job::Merge(job) => merge_whole(&job)
                .map(|merged| Outcome::Merged(Box::new(merged)))
                .map_err(|e| said(&e)),
            Job::Rows(job) => rows_of_saved(&job).map(Outcome::Rows).map_err(|e| said(&e)),
            Job::Render(markdown) => Ok(Outcome::Rendered(crate::knowledge::render(&markdown))),
            Job::RenderMail(markdown) => {
                Ok(Outcome::Rendered(crate::tracking::mail_parts(&markdown, |_| None).html))
            }
            Job::Mirror(update) => {
                self.mirror.take(update).map(Outcome::Mirrored).map_err(|e| said(&e))
            }
            Job::Scores(job) => self.mirror.scores(job).map(Outcome::Scores).map_err(|e| said(&e)),
            Job::Sales(job) => self
                .mirror
                .sales(&job)
                .map(|board| Outcome::Sales(Box::new(board)))
                .map_err(|e| said(&e)),
            Job::Health(job) => self
                .mirror
                .health(job)
                .map(|everyone| Outcome::Health(Box::new(everyone)))
                .map_err(|e| said(&e)),
            Job::Report(job) => self
                .mirror
                .report(&job)
                .map(|answer| answer.map_or(Outcome::Unscored, |a| Outcome::Report(Box::new(a))))
                .map_err(|e| said(&e)),
            Job::Leads(job) => self
                .mirror
                .leads(&job)
                .map(|leads| leads.map_or(Outcome::Unscored, |l| Outcome::Leads(Box::new(l))))
                .map_err(|e| said(&e)),
        }
    }
}

/// Encodes a job for [`Worker::run`].
pub fn encode_job(job: &Job) -> Vec<u8> {
    postcard::to_allocvec(job).unwrap_or_default()
}

/// Encodes what [`Worker::run`] answers.
pub fn encode_outcome(outcome: &Result<Outcome, String>) -> Vec<u8> {
    // Serialising plain data to a Vec cannot fail.
    postcard::to_allocvec(outcome).unwrap_or_default()
}

/// Reads what [`Worker::run`] answered.
pub fn decode_outcome(bytes: &[u8]) -> Result<Outcome, String> {
    postcard::from_bytes::<Result<Outcome, String>>(bytes)
        .unwrap_or_else(|error| Err(format!("the worker's answer is not readable: {error}")))
}

/// A `sync::Have`: its last-sync heads and its bloom filter's bytes.
type HaveBytes = (Vec<[u8; 32]>, Vec<u8>);

/// Automerge's `sync::State`, every field of it. (`State::encode` keeps only the shared heads, which is
/// right across connections but not within one.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    shared_heads: Vec<[u8; 32]>,
    last_sent_heads: Vec<[u8; 32]>,
    their_heads: Option<Vec<[u8; 32]>>,
    their_need: Option<Vec<[u8; 32]>>,
    their_have: Option<Vec<HaveBytes>>,
    sent_hashes: Vec<[u8; 32]>,
    in_flight: bool,
    have_responded: bool,
    /// 1 = message v1, 2 = message v2, 3 = sync reset.
    their_capabilities: Option<Vec<u8>>,
    read_only: bool,
    peer_read_only: bool,
    needs_reset: bool,
}

impl SyncState {
    pub fn of(state: &am_sync::State) -> SyncState {
        let hashes = |hashes: &[ChangeHash]| hashes.iter().map(|hash| hash.0).collect::<Vec<_>>();
        SyncState {
            shared_heads: hashes(&state.shared_heads),
            last_sent_heads: hashes(&state.last_sent_heads),
            their_heads: state.their_heads.as_deref().map(hashes),
            their_need: state.their_need.as_deref().map(hashes),
            their_have: state.their_have.as_ref().map(|haves| {
                haves.iter().map(|have| (hashes(&have.last_sync), have.bloom.to_bytes())).collect()
            }),
            sent_hashes: state.sent_hashes.iter().map(|hash| hash.0).collect(),
            in_flight: state.in_flight,
            have_responded: state.have_responded,
            their_capabilities: state.their_capabilities.as_ref().map(|capabilities| {
                capabilities
                    .iter()
                    .map(|capability| match capability {
                        Capability::MessageV1 => 1,
                        Capability::MessageV2 => 2,
                        Capability::SyncReset => 3,
                    })
                    .collect()
            }),
            read_only: state.read_only,
            peer_read_only: state.peer_read_only,
            needs_reset: state.needs_reset,
        }
    }

    pub fn to_state(&self) -> Result<am_sync::State, OffloadError> {
        let hashes = |hashes: &[[u8; 32]]| hashes.iter().map(|bytes| ChangeHash(*bytes)).collect();
        let their_have = match &self.their_have {
            None => None,
            Some(haves) => Some(
                haves
                    .iter()
                    .map(|(last_sync, bloom)| {
                        let bloom = BloomFilter::try_from(bloom.as_slice())
                            .map_err(|error| OffloadError::State(error.to_string()))?;
                        if !crate::protocol::bloom_is_usable(&bloom) {
                            return Err(OffloadError::State("a malformed bloom filter".into()));
                        }
                        Ok(Have { last_sync: hashes(last_sync), bloom })
                    })
                    .collect::<Result<Vec<_>, OffloadError>>()?,
            ),
        };
        let their_capabilities = match &self.their_capabilities {
            None => None,
            Some(codes) => Some(
                codes
                    .iter()
                    .map(|code| match code {
                        1 => Ok(Capability::MessageV1),
                        2 => Ok(Capability::MessageV2),
                        3 => Ok(Capability::SyncReset),
                        other => Err(OffloadError::State(format!("unknown capability {other}"))),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        Ok(am_sync::State {
            shared_heads: hashes(&self.shared_heads),
            last_sent_heads: hashes(&self.last_sent_heads),
            their_heads: self.their_heads.as_deref().map(hashes),
            their_need: self.their_need.as_deref().map(hashes),
            their_have,
            sent_hashes: self
                .sent_hashes
                .iter()
                .map(|bytes| ChangeHash(*bytes))
                .collect::<BTreeSet<_>>(),
            in_flight: self.in_flight,
            have_responded: self.have_responded,
            their_capabilities,
            read_only: self.read_only,
            peer_read_only: self.peer_read_only,
            needs_reset: self.needs_reset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::ids::Timestamp;
    use crate::layout::Collection;
    use crate::read_model::Rows;
    use automerge::AutoCommit;

    /// The relay's side: a document full of the demo's parties, and the first message it sends a
    /// device that has nothing.
    fn relay_offer() -> (DocKey, AutoCommit, am_sync::State, am_sync::Message) {
        let sizes = demo::DemoSizes {
            parties: 300,
            interactions: 0,
            deals: 0,
            tasks: 0,
            tickets: 0,
            contracts: 0,
            suppliers: 0,
        };
        let documents =
            demo::generate(42, sizes, Timestamp(1_795_000_000_000)).to_documents().unwrap();
        let (key, mut relay) = documents
            .into_iter()
            .find(|(key, _)| matches!(key, DocKey::Shard { collection: Collection::Parties, .. }))
            .expect("the demo has party documents");
        let mut relay_state = am_sync::State::new();
        // The device asks first (it has nothing); the relay answers with everything.
        let mut device = document::new_document();
        let mut device_state = am_sync::State::new();
        let ask = device.sync().generate_sync_message(&mut device_state).unwrap();
        relay.sync().receive_sync_message(&mut relay_state, ask).unwrap();
        let offer = relay.sync().generate_sync_message(&mut relay_state).unwrap();
        (key, relay, relay_state, offer)
    }

    #[test]
    fn the_worker_ends_where_the_page_would_have() {
        let (key, mut relay, mut relay_state, offer) = relay_offer();
        // The page's own path: apply on the main thread.
        let mut page = document::new_document();
        let mut page_state = am_sync::State::new();
        page.sync().generate_sync_message(&mut page_state).unwrap();
        page.sync().receive_sync_message(&mut page_state, offer.clone()).unwrap();
        let page_rows = ReadModel::default().replace_document(key, &mut page);
        let page_reply = page.sync().generate_sync_message(&mut page_state).map(|m| m.encode());

        // The worker's path, from the same state the page had before the message.
        let mut before = am_sync::State::new();
        let _ = document::new_document().sync().generate_sync_message(&mut before);
        let job = WholeDocument {
            key: key.to_string(),
            state: SyncState::of(&before),
            message: offer.encode(),
        };
        let Outcome::Merged(merged) =
            decode_outcome(&Worker::default().run(&encode_job(&Job::Merge(job)))).unwrap()
        else {
            panic!("a merge answers with what it merged")
        };

        assert_eq!(merged.heads(), page.get_heads());
        assert_eq!(merged.rows, page_rows);
        assert!(matches!(&merged.rows.rows, Rows::Parties(rows) if !rows.is_empty()));
        assert_eq!(merged.reply, page_reply);
        assert_eq!(merged.state.to_state().unwrap(), page_state);
        let mut stored = document::load_document(&merged.snapshot).unwrap();
        assert_eq!(stored.get_heads(), relay.get_heads());

        // The relay hears the worker's reply and has nothing more to say: the device is in step.
        let reply = am_sync::Message::decode(&merged.reply.unwrap()).unwrap();
        relay.sync().receive_sync_message(&mut relay_state, reply).unwrap();
        assert!(relay.sync().generate_sync_message(&mut relay_state).is_none());
    }

    #[test]
    fn every_field_of_a_sync_state_survives_the_trip() {
        let (_, _, relay_state, _) = relay_offer();
        let mut state = relay_state;
        state.their_capabilities = Some(vec![Capability::MessageV2, Capability::SyncReset]);
        state.in_flight = true;
        state.needs_reset = true;
        let bytes = postcard::to_allocvec(&SyncState::of(&state)).unwrap();
        let back: SyncState = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_state().unwrap(), state);
    }

    #[test]
    fn a_mail_is_rendered_in_the_worker_as_the_relay_sends_it() {
        let markdown = "Dear **Ann**,\nsee https://acme.test";
        let rendered =
            decode_outcome(&Worker::default().run(&encode_job(&Job::RenderMail(markdown.into()))));
        let Ok(Outcome::Rendered(html)) = rendered else { panic!("{rendered:?}") };
        assert_eq!(html, crate::tracking::mail_parts(markdown, |_| None).html);
        assert!(
            html.contains("<br />") && html.contains("<a href=\"https://acme.test\">"),
            "{html}"
        );
    }

    #[test]
    fn an_article_is_rendered_in_the_worker_as_the_help_pages_render_it() {
        let markdown = "**Hi** <script>x</script>";
        let job = encode_job(&Job::Render(markdown.into()));
        assert_eq!(
            decode_outcome(&Worker::default().run(&job)),
            Ok(Outcome::Rendered(crate::knowledge::render(markdown)))
        );
    }

    #[test]
    fn a_bad_job_is_an_error_the_page_can_fall_back_on() {
        assert!(decode_outcome(&Worker::default().run(b"not a job")).is_err());
        let job = WholeDocument {
            key: "nonsense".into(),
            state: SyncState::default(),
            message: Vec::new(),
        };
        let merge = |job: &WholeDocument| {
            decode_outcome(&Worker::default().run(&encode_job(&Job::Merge(job.clone()))))
        };
        assert!(merge(&job).unwrap_err().contains("nonsense"));
        let job = WholeDocument { key: DocKey::Root.to_string(), ..job };
        assert!(merge(&job).unwrap_err().contains("sync message"));
        assert!(decode_outcome(b"\xff\xff").is_err());
        let rows = |key: &str, bytes: &[u8]| {
            let job = Job::Rows(SavedDocument { key: key.into(), bytes: bytes.to_vec() });
            decode_outcome(&Worker::default().run(&encode_job(&job)))
        };
        assert!(rows("nonsense", b"").unwrap_err().contains("nonsense"));
        assert!(rows("parties/3", b"not automerge").unwrap_err().contains("not readable"));
    }

    #[test]
    fn the_rows_of_a_saved_document_are_those_the_page_would_derive() {
        let (key, mut relay, _, _) = relay_offer();
        let job = Job::Rows(SavedDocument { key: key.to_string(), bytes: relay.save() });
        let Outcome::Rows(rows) =
            decode_outcome(&Worker::default().run(&encode_job(&job))).unwrap()
        else {
            panic!("rows asked, rows answered")
        };
        assert_eq!(rows, ReadModel::default().replace_document(key, &mut relay));
        assert!(matches!(&rows.rows, Rows::Parties(parties) if parties.len() > 5));
    }
}
