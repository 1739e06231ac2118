//! Workspaces and their members through the relay's router: deny by default, roles, invitations by code,
//! removal that ends access at once, and single-use tickets for the sync socket.

mod common;

use axum::http::StatusCode;
use common::{call, relay, sign_up};
use serde_json::json;

const WS: &str = "0192f3a4-5b6c-7d8e-9f00-112233445566";

#[tokio::test]
async fn an_owner_invites_members_with_roles_and_removes_them() {
    let data = tempfile::tempdir().unwrap();
    let relay = relay(data.path());
    let (owner, member, viewer, outsider) = (
        sign_up(&relay, "olga").await,
        sign_up(&relay, "max").await,
        sign_up(&relay, "vera").await,
        sign_up(&relay, "eve").await,
    );
    let created = call(
        &relay,
        "POST",
        "/api/workspaces",
        Some(&owner),
        Some(json!({ "id": WS, "name": "Acme" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["role"], "owner");
    // The same device connecting again is fine; someone else claiming the id is not.
    let again = call(
        &relay,
        "POST",
        "/api/workspaces",
        Some(&owner),
        Some(json!({ "id": WS, "name": "Acme" })),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    let taken = call(
        &relay,
        "POST",
        "/api/workspaces",
        Some(&outsider),
        Some(json!({ "id": WS, "name": "Mine" })),
    )
    .await;
    // Another account's workspace is answered like one that does not exist: ids cannot be probed.
    assert_eq!(taken.status, StatusCode::NOT_FOUND);
    assert_eq!(taken.body["code"], "no_such_workspace");
    let bad = call(
        &relay,
        "POST",
        "/api/workspaces",
        Some(&owner),
        Some(json!({ "id": "../etc", "name": "x" })),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let invite = |role: &str| Some(json!({ "role": role }));
    let path = format!("/api/workspaces/{WS}/invites");
    let member_code = call(&relay, "POST", &path, Some(&owner), invite("member")).await;
    assert_eq!(member_code.status, StatusCode::CREATED);
    let viewer_code = call(&relay, "POST", &path, Some(&owner), invite("viewer")).await;
    let no_owner = call(&relay, "POST", &path, Some(&owner), invite("owner")).await;
    assert_eq!(no_owner.status, StatusCode::BAD_REQUEST, "ownership is not handed out by link");
    let joined = call(
        &relay,
        "POST",
        &format!("/api/invites/{}", member_code.body["code"].as_str().unwrap()),
        Some(&member),
        None,
    )
    .await;
    assert_eq!((joined.status, joined.body["role"].as_str()), (StatusCode::OK, Some("member")));
    let joined = call(
        &relay,
        "POST",
        &format!("/api/invites/{}", viewer_code.body["code"].as_str().unwrap()),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(joined.body["role"], "viewer");
    let unknown = call(&relay, "POST", "/api/invites/0000", Some(&outsider), None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Members see the team; a member may not invite; an outsider sees nothing, as if it did not exist.
    let members =
        call(&relay, "GET", &format!("/api/workspaces/{WS}/members"), Some(&member), None).await;
    assert_eq!(members.body.as_array().unwrap().len(), 3, "{}", members.body);
    let by_member = call(&relay, "POST", &path, Some(&member), invite("viewer")).await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let probe =
        call(&relay, "GET", &format!("/api/workspaces/{WS}/members"), Some(&outsider), None).await;
    let nothing = call(
        &relay,
        "GET",
        "/api/workspaces/0192f3a4-0000-7000-8000-000000000000/members",
        Some(&outsider),
        None,
    )
    .await;
    assert_eq!((probe.status, &probe.body), (nothing.status, &nothing.body));
    assert_eq!(probe.status, StatusCode::NOT_FOUND);
    let mine = call(&relay, "GET", "/api/workspaces", Some(&viewer), None).await;
    assert_eq!(mine.body, json!([{ "id": WS, "name": "Acme", "role": "viewer" }]));

    // Tickets: members and viewers get one; outsiders get the 404.
    let tickets = format!("/api/workspaces/{WS}/tickets");
    let ticket = call(&relay, "POST", &tickets, Some(&viewer), None).await;
    assert_eq!(ticket.status, StatusCode::CREATED);
    assert_eq!(ticket.body["ticket"].as_str().unwrap().len(), 64);
    assert_eq!(
        call(&relay, "POST", &tickets, Some(&outsider), None).await.status,
        StatusCode::NOT_FOUND
    );

    // Removal ends access at once; the last owner stays.
    let max_id =
        members.body.as_array().unwrap().iter().find(|m| m["name"] == "max").unwrap()["account"]
            .clone();
    let olga_id =
        members.body.as_array().unwrap().iter().find(|m| m["name"] == "olga").unwrap()["account"]
            .clone();
    let by_viewer = call(
        &relay,
        "DELETE",
        &format!("/api/workspaces/{WS}/members/{max_id}"),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let removed = call(
        &relay,
        "DELETE",
        &format!("/api/workspaces/{WS}/members/{max_id}"),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(&relay, "POST", &tickets, Some(&member), None).await.status,
        StatusCode::NOT_FOUND
    );
    let last = call(
        &relay,
        "DELETE",
        &format!("/api/workspaces/{WS}/members/{olga_id}"),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    let anonymous = call(&relay, "GET", "/api/workspaces", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

/// The account id of `name` among the workspace's members.
async fn member_id(relay: &axum::Router, cookie: &str, name: &str) -> serde_json::Value {
    let members =
        call(relay, "GET", &format!("/api/workspaces/{WS}/members"), Some(cookie), None).await;
    members.body.as_array().unwrap().iter().find(|m| m["name"] == name).unwrap()["account"].clone()
}

async fn join(relay: &axum::Router, cookie: &str, code: &str) -> StatusCode {
    call(relay, "POST", &format!("/api/invites/{code}"), Some(cookie), None).await.status
}

/// Invitation codes are used once per account and as many times as the inviter said; a removed
/// member cannot come back with the code they used, nor an admin with codes they made; owners and
/// admins list and revoke what is pending; an admin manages below the owner and never above.
#[tokio::test]
async fn invitations_are_counted_revocable_and_die_with_the_member_who_could_reuse_them() {
    let data = tempfile::tempdir().unwrap();
    let relay = relay(data.path());
    let owner = sign_up(&relay, "olga").await;
    let [ann, bob, cat, dan] = [
        sign_up(&relay, "ann").await,
        sign_up(&relay, "bob").await,
        sign_up(&relay, "cat").await,
        sign_up(&relay, "dan").await,
    ];
    let create = Some(json!({ "id": WS, "name": "Acme" }));
    assert_eq!(
        call(&relay, "POST", "/api/workspaces", Some(&owner), create).await.status,
        StatusCode::CREATED
    );
    let invites = format!("/api/workspaces/{WS}/invites");
    let invite = |who: &str, body: serde_json::Value| {
        let (relay, invites, who) = (relay.clone(), invites.clone(), who.to_owned());
        async move { call(&relay, "POST", &invites, Some(&who), Some(body)).await }
    };

    // Single use unless said otherwise.
    let admin_code = invite(&owner, json!({ "role": "admin" })).await;
    assert_eq!(admin_code.body["uses"], 1);
    let admin_code = admin_code.body["code"].as_str().unwrap().to_owned();
    assert_eq!(join(&relay, &ann, &admin_code).await, StatusCode::OK);
    assert_eq!(join(&relay, &bob, &admin_code).await, StatusCode::NOT_FOUND, "used up");

    // The admin invites members (two uses) and may not invite an owner.
    let no_owner = invite(&ann, json!({ "role": "owner" })).await;
    assert_eq!(no_owner.status, StatusCode::BAD_REQUEST);
    let too_many = invite(&ann, json!({ "role": "member", "uses": 1000 })).await;
    assert_eq!(
        (too_many.status, too_many.body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("bad_uses"))
    );
    let pair = invite(&ann, json!({ "role": "member", "uses": 2 })).await;
    let pair = pair.body["code"].as_str().unwrap().to_owned();
    assert_eq!(join(&relay, &bob, &pair).await, StatusCode::OK);

    // Pending invitations: listed for managers only (never their codes), with uses left.
    let listed = call(&relay, "GET", &invites, Some(&owner), None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let pending = listed.body.as_array().unwrap();
    assert_eq!(pending.len(), 1, "{}", listed.body);
    assert_eq!(
        (pending[0]["uses_left"].clone(), pending[0]["created_by"].clone()),
        (json!(1), json!("ann"))
    );
    assert!(!listed.body.to_string().contains(&pair), "codes are never listed");
    assert_eq!(call(&relay, "GET", &invites, Some(&bob), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&relay, "GET", &invites, Some(&dan), None).await.status, StatusCode::NOT_FOUND);

    // Removed, Bob cannot rejoin with the code he used, though it has a use left for someone else.
    let bob_id = member_id(&relay, &owner, "bob").await;
    let remove_bob = format!("/api/workspaces/{WS}/members/{bob_id}");
    assert_eq!(
        call(&relay, "DELETE", &remove_bob, Some(&ann), None).await.status,
        StatusCode::NO_CONTENT,
        "an admin removes a member"
    );
    assert_eq!(join(&relay, &bob, &pair).await, StatusCode::NOT_FOUND);

    // An admin may not remove the owner; removed, she cannot use the codes she made.
    let olga_id = member_id(&relay, &owner, "olga").await;
    let remove_olga = format!("/api/workspaces/{WS}/members/{olga_id}");
    assert_eq!(
        call(&relay, "DELETE", &remove_olga, Some(&ann), None).await.status,
        StatusCode::FORBIDDEN
    );
    let spare = invite(&ann, json!({ "role": "admin", "uses": 5 })).await;
    let spare = spare.body["code"].as_str().unwrap().to_owned();
    let ann_id = member_id(&relay, &owner, "ann").await;
    let remove_ann = format!("/api/workspaces/{WS}/members/{ann_id}");
    assert_eq!(
        call(&relay, "DELETE", &remove_ann, Some(&owner), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        join(&relay, &ann, &spare).await,
        StatusCode::NOT_FOUND,
        "her own codes died with her membership"
    );
    assert_eq!(join(&relay, &ann, &pair).await, StatusCode::NOT_FOUND, "and those she made before");
    assert!(
        call(&relay, "GET", &invites, Some(&owner), None).await.body.as_array().unwrap().is_empty()
    );

    // Revoking: the owner takes back a code before anyone uses it.
    let later = invite(&owner, json!({ "role": "viewer" })).await;
    let later = later.body["code"].as_str().unwrap().to_owned();
    let listed = call(&relay, "GET", &invites, Some(&owner), None).await;
    let id = listed.body[0]["id"].as_str().unwrap().to_owned();
    let revoke = format!("{invites}/{id}");
    assert_eq!(
        call(&relay, "DELETE", &revoke, Some(&dan), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&relay, "DELETE", &revoke, Some(&owner), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&relay, "DELETE", &revoke, Some(&owner), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(join(&relay, &cat, &later).await, StatusCode::NOT_FOUND, "revoked");

    // A stale revoke never takes back an invitation made after the one it named.
    let newer = invite(&owner, json!({ "role": "viewer" })).await;
    let newer = newer.body["code"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&relay, "DELETE", &revoke, Some(&owner), None).await.status,
        StatusCode::NOT_FOUND
    );
    for malformed in ["1", "not-an-id", "%27%20OR%201%3D1", &"f".repeat(64)] {
        let path = format!("{invites}/{malformed}");
        let status = call(&relay, "DELETE", &path, Some(&owner), None).await.status;
        assert_eq!(status, StatusCode::NOT_FOUND, "{malformed}");
    }
    assert_eq!(
        call(&relay, "GET", &invites, Some(&owner), None).await.body.as_array().unwrap().len(),
        1
    );

    // A member who accepts a code of their own workspace uses it up for themselves: removed later,
    // they cannot come back with it.
    assert_eq!(join(&relay, &cat, &newer).await, StatusCode::OK);
    let shared = invite(&owner, json!({ "role": "member", "uses": 3 })).await;
    let shared = shared.body["code"].as_str().unwrap().to_owned();
    assert_eq!(
        join(&relay, &cat, &shared).await,
        StatusCode::OK,
        "already a member: nothing changes"
    );
    let cat_id = member_id(&relay, &owner, "cat").await;
    let remove_cat = format!("/api/workspaces/{WS}/members/{cat_id}");
    assert_eq!(
        call(&relay, "DELETE", &remove_cat, Some(&owner), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(join(&relay, &cat, &shared).await, StatusCode::NOT_FOUND);
    assert_eq!(join(&relay, &dan, &shared).await, StatusCode::OK, "the code still serves others");
}
