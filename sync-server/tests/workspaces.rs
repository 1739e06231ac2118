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
    assert_eq!(taken.status, StatusCode::CONFLICT);
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
