//! Rapport's domain crate.
//!
//! Everything here is plain data and pure functions: no `web_sys`, no `tokio`, no Leptos, no axum.
//! The browser app and the relay are thin shells around it, and it is tested natively.
//!
//! - [`ids`]: stable, time-ordered record ids.
//! - [`model`]: parties, interactions, tasks, pipelines and deals, and the records later screens use.
//! - [`layout`]: which Automerge document holds what, and document ids.
//! - [`document`]: reading and writing records in documents; surfacing concurrent values.
//! - [`workspace`]: the root document, schema version and migrations.
//! - [`chunks`]: how documents are stored as chunks on a device, and when to compact.
//! - [`search`]: case- and diacritic-insensitive prefix search over parties.
//! - [`read_model`]: flat rows derived from documents, refreshed from Automerge patches.
//! - [`replica`]: the workspace on a device, sans IO — what each edit, merge and compaction stores.
//! - [`queries`]: lists, timeline, due tasks and reminders, pipeline forecast.
//! - [`history`]: who changed which field when; the workspace as of a past time.
//! - [`backup`]: the whole workspace as one JSON file, and reading it back.
//! - [`demo`]: the seeded demo workspace generator.
//! - [`health`]: the relay's health report (wire type).
//! - [`presence`]: who is online and what they look at (ephemeral, never stored).
//! - [`protocol`]: the automerge-repo websocket protocol and its CBOR codec.
//! - [`inflate`]: what Automerge chunks take once inflated, bounded before Automerge inflates them.
//! - [`sync_client`]: a device's side of that protocol, sans IO.
//! - [`device_sync`]: a device's sync session over its replica, which every driver runs.
//! - [`outbox`]: work a device hands to the relay (mail), its ledger id derived from the cause, and
//!   the ledger's wire types.
//! - [`sla`]: service-level clocks (first response, next response, resolution) derived from a
//!   ticket's events, in working time of a team's hours and time zone.
//! - [`ballot`]: anonymous survey answers kept by the relay's ballot box, and what of them may be shown.
//! - [`contract`]: a contract's terms, notice dates and tacit renewals, derived from what was agreed.
//! - [`template`]: merge fields (`{{first_name}}`) filled in from a record, unknown ones named.

pub mod analytics;
pub mod arrange;
pub mod attachments;
pub mod automation;
pub mod backup;
pub mod ballot;
pub mod campaigns;
pub mod chart;
pub mod chunks;
pub mod connection;
pub mod contract;
pub mod demo;
pub mod device_sync;
pub mod document;
pub mod employee;
pub mod escalation;
pub mod goals;
pub mod health;
pub mod history;
pub mod ids;
pub mod inbound;
pub mod inflate;
pub mod interchange;
pub mod investor;
pub mod jobs;
pub mod knowledge;
pub mod layout;
pub mod leads;
pub mod letters;
pub mod mirror;
pub mod model;
pub mod offload;
pub mod outbox;
pub mod presence;
pub mod privacy;
pub mod protocol;
pub mod pulse;
pub mod purchase;
pub mod queries;
pub mod read_model;
pub mod relationship;
pub mod replica;
pub mod report;
pub mod reviews;
pub mod satisfaction;
pub mod scorecard;
pub mod scoring;
pub mod search;
pub mod segments;
pub mod sequences;
pub mod service;
pub mod service_report;
pub mod sla;
pub mod sync_client;
pub mod template;
pub mod tracking;
pub mod workspace;

/// The product name as shown to people.
pub const PRODUCT_NAME: &str = "Rapport";

/// The version of the running build, the same for the app and the relay built from one commit.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
