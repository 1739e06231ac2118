//! The workspace root document: schema version, settings, and the table of every other document.
//!
//! A device opening a workspace reads the root first. A root written by a newer Rapport (a higher schema
//! version) is refused for writing — the app must update first — so an old app never rewrites data in a
//! shape it does not understand.

use std::collections::BTreeMap;

use automerge::AutoCommit;

use crate::document::{self, DocumentError};
use crate::ids::{MemberId, PipelineId, StageId, WorkspaceId};
use crate::layout::{DocKey, SCHEMA_VERSION};
use crate::model::{Member, Pipeline, PipelineKind, Stage, WorkspaceSettings};

/// Keys at the top of the root document.
const SCHEMA_VERSION_KEY: &str = "schema_version";
const SETTINGS_KEY: &str = "settings";
const DOCUMENTS_KEY: &str = "documents";

/// Why a root document cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    #[error(
        "this workspace was written by a newer Rapport (schema {found}, this app knows {supported}); \
         update the app to open it"
    )]
    NewerSchema { found: u64, supported: u64 },
    #[error("the workspace root is damaged: {0}")]
    Document(#[from] DocumentError),
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migration {
    UpToDate,
    Migrated { from: u64, to: u64 },
}

/// Creates a workspace: its root document (settings, document table) and one document per shard, each
/// stamped with its key so it has content to sync.
pub fn create(
    workspace: WorkspaceId,
    settings: &WorkspaceSettings,
) -> Result<Vec<(DocKey, AutoCommit)>, DocumentError> {
    let mut root = document::new_document();
    document::put(&mut root, SCHEMA_VERSION_KEY, &SCHEMA_VERSION)?;
    document::put(&mut root, SETTINGS_KEY, settings)?;
    document::put(&mut root, DOCUMENTS_KEY, &document_table(workspace))?;
    let mut documents = vec![(DocKey::Root, root)];
    for key in DocKey::initial().filter(|key| *key != DocKey::Root) {
        documents.push((key, stamped(&key)?));
    }
    Ok(documents)
}

/// A new document for `key`, carrying its key (the same value on every device, so concurrent
/// creations agree).
pub fn stamped(key: &DocKey) -> Result<AutoCommit, DocumentError> {
    let mut doc = document::new_document();
    document::put(&mut doc, "rapport", &key.to_string())?;
    Ok(doc)
}

/// The document table: key text → automerge-repo document id text.
fn document_table(workspace: WorkspaceId) -> BTreeMap<String, String> {
    DocKey::initial().map(|key| (key.to_string(), key.document_id(workspace).to_string())).collect()
}

/// Adds document `key` to the root's table, so other devices discover it (interaction months are
/// created as they are needed). Returns whether the root changed.
pub fn register(
    root: &mut AutoCommit,
    workspace: WorkspaceId,
    key: DocKey,
) -> Result<bool, DocumentError> {
    let (name, id) = (key.to_string(), key.document_id(workspace).to_string());
    let added = document::update::<_, BTreeMap<String, String>, _>(root, DOCUMENTS_KEY, |table| {
        if table.contains_key(&name) {
            return false;
        }
        table.insert(name.clone(), id.clone());
        true
    })?;
    match added {
        Some(added) => Ok(added),
        None => {
            let mut table = document_table(workspace);
            table.insert(name, id);
            document::put(root, DOCUMENTS_KEY, &table)?;
            Ok(true)
        }
    }
}

/// Makes a copy of a workspace its own: the root's table names each document by its id in `workspace`
/// (ids derive from the workspace). Used when a device adopts the demo, so every device's demo is a
/// workspace of its own that can be uploaded without taking another's id. Entries this app cannot parse
/// are kept as they are.
pub fn rehome(root: &mut AutoCommit, workspace: WorkspaceId) -> Result<(), DocumentError> {
    let table: BTreeMap<String, String> = document::get(root, DOCUMENTS_KEY)?.unwrap_or_default();
    let table: BTreeMap<String, String> = table
        .into_iter()
        .map(|(name, id)| match name.parse::<DocKey>() {
            Ok(key) => (name, key.document_id(workspace).to_string()),
            Err(_) => (name, id),
        })
        .collect();
    document::put(root, DOCUMENTS_KEY, &table)
}

/// Every document the root's table names. Entries this app cannot parse (a newer app's documents) are
/// skipped, not an error: they are still synced by the devices that know them.
pub fn document_keys(root: &AutoCommit) -> Result<Vec<DocKey>, DocumentError> {
    let table: BTreeMap<String, String> = document::get(root, DOCUMENTS_KEY)?.unwrap_or_default();
    Ok(table.keys().filter_map(|name| name.parse().ok()).collect())
}

/// The schema version stored in a root; a root without one predates versioning (version 0).
pub fn schema_version(root: &AutoCommit) -> Result<u64, RootError> {
    Ok(document::get::<_, u64>(root, SCHEMA_VERSION_KEY)?.unwrap_or(0))
}

/// The workspace settings, after checking the schema is one this app understands.
pub fn settings(root: &AutoCommit) -> Result<WorkspaceSettings, RootError> {
    check_readable(root)?;
    Ok(document::get(root, SETTINGS_KEY)?.unwrap_or_default())
}

/// Changes the workspace settings; only what `change` altered is written (autosurgeon reconciles), so
/// concurrent changes to different settings merge.
pub fn update_settings(
    root: &mut AutoCommit,
    change: impl FnOnce(&mut WorkspaceSettings),
) -> Result<WorkspaceSettings, RootError> {
    let mut settings = settings(root)?;
    change(&mut settings);
    document::put(root, SETTINGS_KEY, &settings)?;
    Ok(settings)
}

/// The member an account is in every workspace: derived from its email (trimmed, lower case), so every
/// device of one person writes as the same member without asking anyone.
pub fn member_of_account(email: &str) -> MemberId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("rapport-member:{}", email.trim().to_lowercase()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    MemberId::from_bytes(bytes)
}

/// Records `member` in the workspace settings under `name` (with a colour of its own), if it is not
/// there already under that name. Returns whether the settings changed.
pub fn register_member(settings: &mut WorkspaceSettings, member: MemberId, name: &str) -> bool {
    const COLOURS: [&str; 8] =
        ["#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#c2410c", "#0f766e", "#be185d", "#4d7c0f"];
    let key = member.to_string();
    if settings.members.get(&key).is_some_and(|m| m.display_name == name) {
        return false;
    }
    let colour = COLOURS[usize::from(member.as_bytes()[0]) % COLOURS.len()].to_owned();
    settings.members.insert(key, Member { display_name: name.to_owned(), colour });
    true
}

/// The sales pipeline every workspace starts with. Its ids derive from the workspace id, so devices that
/// set it up concurrently write the same pipeline and the merge holds one.
pub fn default_sales_pipeline(workspace: WorkspaceId) -> (PipelineId, Pipeline) {
    let derived = |tag: u8| {
        let mut bytes = *workspace.as_bytes();
        bytes[15] ^= tag;
        // Still a valid UUID v7: variant and version bits are untouched by the last byte.
        bytes
    };
    let stages = [("Lead", 10), ("Qualified", 25), ("Proposal", 50), ("Negotiation", 75)]
        .into_iter()
        .enumerate()
        .map(|(n, (name, probability))| Stage {
            id: StageId::from_bytes(derived(n as u8 + 2)),
            name: name.into(),
            probability,
        })
        .collect();
    let pipeline = Pipeline { name: "Sales".into(), kind: PipelineKind::Sales, stages };
    (PipelineId::from_bytes(derived(1)), pipeline)
}

/// The fundraising pipeline a workspace's first round sets up, with ids derived from the workspace
/// (like [`default_sales_pipeline`]'s, from other bytes): two devices setting it up while apart make
/// one pipeline.
pub fn default_fundraising_pipeline(workspace: WorkspaceId) -> (PipelineId, Pipeline) {
    let derived = |tag: u8| {
        let mut bytes = *workspace.as_bytes();
        bytes[15] ^= tag;
        bytes
    };
    let stages = (0..4).map(|n| StageId::from_bytes(derived(0x12 + n)));
    let pipeline = Pipeline::starting("Fundraising", PipelineKind::Fundraising, stages);
    (PipelineId::from_bytes(derived(0x11)), pipeline)
}

/// Brings a root up to [`SCHEMA_VERSION`], or refuses one from a newer app. Idempotent.
pub fn migrate(root: &mut AutoCommit, workspace: WorkspaceId) -> Result<Migration, RootError> {
    let from = check_readable(root)?;
    if from == SCHEMA_VERSION {
        return Ok(Migration::UpToDate);
    }
    // 0 → 1: version-less roots had settings but no document table.
    if from == 0 {
        document::put(root, DOCUMENTS_KEY, &document_table(workspace))?;
    }
    document::put(root, SCHEMA_VERSION_KEY, &SCHEMA_VERSION)?;
    Ok(Migration::Migrated { from, to: SCHEMA_VERSION })
}

fn check_readable(root: &AutoCommit) -> Result<u64, RootError> {
    let found = schema_version(root)?;
    if found > SCHEMA_VERSION {
        return Err(RootError::NewerSchema { found, supported: SCHEMA_VERSION });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Member;

    #[test]
    fn an_account_is_the_same_member_everywhere_and_registers_once() {
        let member = member_of_account(" Olga@Example.test ");
        assert_eq!(member, member_of_account("olga@example.test"));
        assert_ne!(member, member_of_account("boris@example.test"));
        let mut settings = WorkspaceSettings::default();
        assert!(register_member(&mut settings, member, "Olga"));
        assert!(!register_member(&mut settings, member, "Olga"), "already there");
        assert!(register_member(&mut settings, member, "Olga K."), "renamed");
        assert_eq!(settings.members[&member.to_string()].display_name, "Olga K.");
        assert!(settings.members[&member.to_string()].colour.starts_with('#'));
    }

    #[test]
    fn a_rehomed_root_names_its_documents_by_the_new_workspace() {
        let old = WorkspaceId::from_bytes([7; 16]);
        let new = WorkspaceId::from_bytes([9; 16]);
        let mut root = create(old, &WorkspaceSettings::default()).unwrap().remove(0).1;
        let month = DocKey::Interactions(crate::layout::Month { year: 2026, month: 11 });
        register(&mut root, old, month).unwrap();
        rehome(&mut root, new).unwrap();
        let table: BTreeMap<String, String> = document::get(&root, DOCUMENTS_KEY).unwrap().unwrap();
        assert_eq!(table.len(), DocKey::initial().count() + 1);
        for (name, id) in &table {
            let key: DocKey = name.parse().unwrap();
            assert_eq!(*id, key.document_id(new).to_string(), "{name}");
            assert_ne!(*id, key.document_id(old).to_string(), "{name}");
        }
        assert!(document_keys(&root).unwrap().contains(&month));
    }

    #[test]
    fn a_registered_month_is_listed_once_and_merges_with_a_concurrent_registration() {
        let workspace = WorkspaceId::from_bytes([7; 16]);
        let mut root = create(workspace, &WorkspaceSettings::default()).unwrap().remove(0).1;
        let month = DocKey::Interactions(crate::layout::Month { year: 2026, month: 11 });
        let other = DocKey::Interactions(crate::layout::Month { year: 2026, month: 10 });
        let mut fork = root.fork();
        assert!(register(&mut root, workspace, month).unwrap());
        assert!(!register(&mut root, workspace, month).unwrap(), "already there");
        assert!(register(&mut fork, workspace, other).unwrap());
        root.merge(&mut fork).unwrap();
        let keys = document_keys(&root).unwrap();
        assert!(keys.contains(&month) && keys.contains(&other) && keys.contains(&DocKey::Root));
        assert_eq!(keys.len(), DocKey::initial().count() + 2);
    }

    #[test]
    fn two_devices_setting_up_the_sales_pipeline_at_once_end_with_one() {
        let workspace = WorkspaceId::from_bytes([9; 16]);
        let mut root = create(workspace, &WorkspaceSettings::default()).unwrap().remove(0).1;
        let mut fork = root.fork();
        let add = |settings: &mut WorkspaceSettings| {
            let (id, pipeline) = default_sales_pipeline(workspace);
            settings.pipelines.insert(id.to_string(), pipeline);
        };
        update_settings(&mut root, add).unwrap();
        update_settings(&mut fork, add).unwrap();
        root.merge(&mut fork).unwrap();
        let merged = settings(&root).unwrap();
        assert_eq!(merged.pipelines.len(), 1);
        let pipeline = merged.pipelines.values().next().unwrap();
        assert_eq!(pipeline.stages.len(), 4);
        let stage_ids: std::collections::BTreeSet<_> =
            pipeline.stages.iter().map(|s| s.id).collect();
        assert_eq!(stage_ids.len(), 4, "stage ids are distinct");
        assert_ne!(
            default_sales_pipeline(workspace).0,
            default_sales_pipeline(WorkspaceId::from_bytes([8; 16])).0,
            "another workspace's pipeline has other ids"
        );
    }

    #[test]
    fn the_fundraising_pipeline_has_its_own_ids_and_the_same_on_every_device() {
        let workspace = WorkspaceId::from_bytes([7; 16]);
        let (id, pipeline) = default_fundraising_pipeline(workspace);
        assert_eq!(default_fundraising_pipeline(workspace), (id, pipeline.clone()));
        assert_eq!(pipeline.kind, PipelineKind::Fundraising);
        let (sales, sales_pipeline) = default_sales_pipeline(workspace);
        let mut ids: std::collections::BTreeSet<[u8; 16]> =
            pipeline.stages.iter().map(|s| *s.id.as_bytes()).collect();
        ids.extend(sales_pipeline.stages.iter().map(|s| *s.id.as_bytes()));
        ids.extend([*id.as_bytes(), *sales.as_bytes()]);
        assert_eq!(ids.len(), 10, "no id shared with the sales pipeline or within");
    }

    fn settings_with_a_member() -> WorkspaceSettings {
        let mut settings = WorkspaceSettings { name: "Field team".into(), ..Default::default() };
        settings.currencies = vec!["EUR".into(), "RUB".into()];
        settings.members.insert(
            "0190c4e2-7d1c-7000-8000-00000000000a".into(),
            Member { display_name: "Анна".into(), colour: "#1d4ed8".into() },
        );
        settings
    }

    #[test]
    fn a_new_workspace_has_a_versioned_root_and_every_shard() {
        let workspace = WorkspaceId::from_bytes([9; 16]);
        let documents = create(workspace, &settings_with_a_member()).unwrap();
        assert_eq!(documents.len(), DocKey::initial().count());
        let root = &documents[0].1;
        assert_eq!(schema_version(root).unwrap(), SCHEMA_VERSION);
        assert_eq!(settings(root).unwrap(), settings_with_a_member());
        let table: BTreeMap<String, String> = document::get(root, DOCUMENTS_KEY).unwrap().unwrap();
        assert_eq!(
            table["parties/0"],
            DocKey::Shard { collection: crate::layout::Collection::Parties, shard: 0 }
                .document_id(workspace)
                .to_string()
        );
    }

    #[test]
    fn two_devices_creating_the_same_shard_agree() {
        let key = DocKey::Shard { collection: crate::layout::Collection::Deals, shard: 2 };
        let mut a = stamped(&key).unwrap();
        let mut b = stamped(&key).unwrap();
        a.merge(&mut b).unwrap();
        assert_eq!(document::get::<_, String>(&a, "rapport").unwrap().unwrap(), "deals/2");
    }

    #[test]
    fn a_version_less_root_migrates_to_the_current_schema_once() {
        let workspace = WorkspaceId::from_bytes([3; 16]);
        let mut root = document::new_document();
        document::put(&mut root, SETTINGS_KEY, &settings_with_a_member()).unwrap();

        assert_eq!(
            migrate(&mut root, workspace).unwrap(),
            Migration::Migrated { from: 0, to: SCHEMA_VERSION }
        );
        assert_eq!(schema_version(&root).unwrap(), SCHEMA_VERSION);
        let table: Option<BTreeMap<String, String>> = document::get(&root, DOCUMENTS_KEY).unwrap();
        assert_eq!(table.unwrap().len(), DocKey::initial().count());
        assert_eq!(settings(&root).unwrap(), settings_with_a_member(), "settings survive");
        assert_eq!(migrate(&mut root, workspace).unwrap(), Migration::UpToDate);
    }

    #[test]
    fn a_root_from_a_newer_app_is_refused_and_left_untouched() {
        let workspace = WorkspaceId::from_bytes([4; 16]);
        let mut root = document::new_document();
        document::put(&mut root, SCHEMA_VERSION_KEY, &(SCHEMA_VERSION + 1)).unwrap();
        let heads = root.get_heads();
        let error = migrate(&mut root, workspace).unwrap_err();
        assert!(matches!(error, RootError::NewerSchema { .. }), "{error}");
        assert!(error.to_string().contains("update the app"));
        assert!(settings(&root).is_err());
        assert_eq!(root.get_heads(), heads, "nothing written");
    }
}
