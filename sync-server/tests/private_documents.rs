//! Private documents at the relay (issue 25: a 1:1's private notes): every other document of a
//! workspace is every member's, so a member's private notes live in a document only their own account
//! syncs. Tried over real websockets on loopback by everyone who may not read it: a colleague, the
//! workspace's owner, a removed member, another workspace's owner — reading and writing alike.

mod common;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use common::socket::*;
use rapport_core::layout::DocumentId;
use reqwest::Method;
use serde_json::Value;

/// `who`'s private document in `workspace`: its id, or the refusal's status.
async fn private_document(
    address: &str,
    who: Option<&str>,
    workspace: &str,
) -> Result<DocumentId, u16> {
    let path = format!("/api/workspaces/{workspace}/private-document");
    let (status, _, body) = http(address, Method::POST, &path, who, Value::Null).await;
    match status {
        200 => Ok(body["document"].as_str().unwrap().parse().unwrap()),
        other => Err(other),
    }
}

fn note(text: &str) -> AutoCommit {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", text).unwrap();
    doc
}

#[tokio::test]
async fn a_private_document_is_synced_with_its_owner_s_account_only() {
    let data = tempfile::tempdir().unwrap();
    let (address, _server) = start(data.path()).await;
    let (olga, max, vera) = workspace_with_member(&address).await;
    let eve = outsider_with_workspace(&address).await;

    // Each member has one, made on first asking; others' workspaces and strangers get none.
    let olgas = private_document(&address, Some(&olga), WS).await.unwrap();
    assert_eq!(private_document(&address, Some(&olga), WS).await, Ok(olgas), "the same one");
    let maxs = private_document(&address, Some(&max), WS).await.unwrap();
    let veras = private_document(&address, Some(&vera), WS).await.unwrap();
    assert!(olgas != maxs && maxs != veras && olgas != veras);
    assert_eq!(private_document(&address, Some(&eve), WS).await, Err(404));
    assert_eq!(private_document(&address, None, WS).await, Err(401));
    let eves = private_document(&address, Some(&eve), OTHER_WS).await.unwrap();

    // Olga writes her notes; Max can neither read them nor write into them.
    let mut socket = connect(&address, &ticket(&address, &olga, WS).await, "olga").await.unwrap();
    let mut doc = note("Olga's notes on Max");
    assert_eq!(sync_afresh(&mut socket, "olga", olgas, &mut doc, false).await, Outcome::Synced);
    let mut socket = connect(&address, &ticket(&address, &max, WS).await, "max").await.unwrap();
    let mut read = AutoCommit::new();
    assert_eq!(sync_afresh(&mut socket, "max", olgas, &mut read, true).await, Outcome::Unavailable);
    let mut forged = note("Max was here");
    assert_eq!(
        sync_afresh(&mut socket, "max", olgas, &mut forged, false).await,
        Outcome::Unavailable
    );
    assert_eq!(name(&read), None, "nothing of it reached Max");
    // His own he writes and reads back.
    let mut his = note("Max's notes on Olga");
    assert_eq!(sync_afresh(&mut socket, "max", maxs, &mut his, false).await, Outcome::Synced);

    // A viewer writes into her own (and no other document); the owner cannot read it.
    let mut socket = connect(&address, &ticket(&address, &vera, WS).await, "vera").await.unwrap();
    let mut hers = note("Vera's notes");
    assert_eq!(sync_afresh(&mut socket, "vera", veras, &mut hers, false).await, Outcome::Synced);
    let mut socket = connect(&address, &ticket(&address, &olga, WS).await, "olga-2").await.unwrap();
    let mut read = AutoCommit::new();
    assert_eq!(
        sync_afresh(&mut socket, "olga-2", veras, &mut read, true).await,
        Outcome::Unavailable
    );
    assert_eq!(
        sync_afresh(&mut socket, "olga-2", maxs, &mut read, true).await,
        Outcome::Unavailable
    );
    // A viewer writing into somebody else's private document: refused (or, once she sends
    // changes, closed, as for any document a viewer changes).
    let mut socket = connect(&address, &ticket(&address, &vera, WS).await, "vera-2").await.unwrap();
    let mut forged = note("Vera was here");
    let outcome = sync_afresh(&mut socket, "vera-2", olgas, &mut forged, false).await;
    assert!(matches!(outcome, Outcome::Unavailable | Outcome::Closed(_)), "{outcome:?}");
    let mut socket = connect(&address, &ticket(&address, &olga, WS).await, "olga-2").await.unwrap();
    // Olga's other device has hers, untouched by Max's and Vera's attempts.
    let mut again = AutoCommit::new();
    assert_eq!(sync_afresh(&mut socket, "olga-2", olgas, &mut again, true).await, Outcome::Synced);
    assert_eq!(name(&again).as_deref(), Some("Olga's notes on Max"));

    // Another workspace's owner, with the id in hand, reads nothing through her own workspace.
    let mut socket =
        connect(&address, &ticket(&address, &eve, OTHER_WS).await, "eve").await.unwrap();
    let mut read = AutoCommit::new();
    assert_eq!(sync_afresh(&mut socket, "eve", olgas, &mut read, true).await, Outcome::Unavailable);
    let mut forged = note("Eve was here");
    assert_eq!(
        sync_afresh(&mut socket, "eve", olgas, &mut forged, false).await,
        Outcome::Synced,
        "a document of her own workspace, not Olga's"
    );
    assert_ne!(eves, olgas);

    // Max removed: no socket any more; his notes stay his, not the workspace's.
    remove_member(&address, &olga, "max").await;
    let path = format!("/api/workspaces/{WS}/tickets");
    assert_eq!(http(&address, Method::POST, &path, Some(&max), Value::Null).await.0, 404);
    let mut socket = connect(&address, &ticket(&address, &olga, WS).await, "olga-3").await.unwrap();
    let mut read = AutoCommit::new();
    assert_eq!(
        sync_afresh(&mut socket, "olga-3", maxs, &mut read, true).await,
        Outcome::Unavailable
    );
    let mut socket = connect(&address, &ticket(&address, &olga, WS).await, "olga-4").await.unwrap();
    let mut again = AutoCommit::new();
    assert_eq!(sync_afresh(&mut socket, "olga-4", olgas, &mut again, true).await, Outcome::Synced);
    assert_eq!(
        name(&again).as_deref(),
        Some("Olga's notes on Max"),
        "Eve's forgery went elsewhere"
    );
}
