//! The ballot box at the relay, end to end over HTTP on loopback with the real relay binary: an owner
//! registers a pulse survey for six colleagues in two teams; each takes one token and answers with
//! it alone; nothing shows below five answers, a team shows apart only with five of its own, and the
//! relay's database itself holds no link from an answer to a token or an account. Every way in is
//! tried by someone who may not: a member who does not manage, a viewer, a removed member, another
//! workspace's owner, someone not invited, a token used twice or made up, oversized and malformed
//! input, a survey that could single someone out.

mod common;

use common::socket::{
    OTHER_WS, WS, account, http, outsider_with_workspace, remove_member, start_process,
    workspace_with_member,
};
use rapport_core::workspace::member_of_account;
use reqwest::Method;
use serde_json::{Value, json};

const SURVEY: &str = "0190f5a0-0000-7000-8000-0000000050a1";

/// Invites `name` into the workspace as a member; their session cookie.
async fn colleague(address: &str, owner: &str, name: &str) -> String {
    let cookie = account(address, name).await;
    let path = format!("/api/workspaces/{WS}/invites");
    let (_, _, invite) =
        http(address, Method::POST, &path, Some(owner), json!({ "role": "member" })).await;
    let accept = format!("/api/invites/{}", invite["code"].as_str().unwrap());
    assert_eq!(http(address, Method::POST, &accept, Some(&cookie), json!({})).await.0, 200);
    cookie
}

fn member(name: &str) -> String {
    member_of_account(&format!("{name}@example.test")).to_string()
}

/// The token `who` is given for the survey, or the refusal's status.
async fn token(address: &str, who: &str) -> Result<String, u16> {
    let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}/token");
    let (status, _, body) = http(address, Method::POST, &path, Some(who), Value::Null).await;
    match status {
        201 => Ok(body["token"].as_str().unwrap().to_owned()),
        other => Err(other),
    }
}

/// Answers with `token` alone (no cookie); the status.
async fn answer(address: &str, token: &str, answer: &str) -> u16 {
    let body = json!({ "token": token, "answer": answer });
    http(address, Method::POST, "/api/ballots/answer", None, body).await.0
}

/// The one text column of every row `sql` selects.
fn strings(db: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut statement = db.prepare(sql).unwrap();
    let rows = statement.query_map([], |row| row.get(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

async fn results(address: &str, who: &str) -> (u16, Value) {
    let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}");
    let (status, _, body) = http(address, Method::GET, &path, Some(who), Value::Null).await;
    (status, body)
}

#[tokio::test]
async fn answers_are_kept_without_their_authors_and_shown_only_in_groups_of_k() {
    let data = tempfile::tempdir().unwrap();
    let (child, address) = start_process(&data.path().join("no-dist"), data.path());
    let _relay = common::socket::Process(child);
    let (owner, max, viewer) = workspace_with_member(&address).await;
    let eve = outsider_with_workspace(&address).await;
    let mut people = vec![("max", max.clone()), ("vera", viewer.clone())];
    for name in ["ann", "bob", "cid", "dan"] {
        people.push((name, colleague(&address, &owner, name).await));
    }
    // Sales: max, vera, ann, bob, cid; Dan in no team (and Olga, who is not invited).
    let team = |name: &str| if name == "dan" { "" } else { "Sales" };
    let invitees: Vec<Value> = people
        .iter()
        .map(|(name, _)| json!({ "member": member(name), "team": team(name) }))
        .collect();
    let closes_at = common::socket::unix_now() + 3_600;
    let ballot = json!({ "k": 5, "batch": 0, "closes_at": closes_at, "invitees": invitees });
    let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}");

    // Only owners and admins register; other workspaces see nothing; a survey that could single
    // somebody out is refused.
    assert_eq!(http(&address, Method::PUT, &path, Some(&max), ballot.clone()).await.0, 403);
    assert_eq!(http(&address, Method::PUT, &path, Some(&viewer), ballot.clone()).await.0, 403);
    assert_eq!(http(&address, Method::PUT, &path, Some(&eve), ballot.clone()).await.0, 404);
    let eves = path.replace(WS, OTHER_WS);
    assert_eq!(http(&address, Method::PUT, &eves, Some(&eve), ballot.clone()).await.0, 201);
    for (bad, why) in [
        (json!({ "k": 2, "closes_at": closes_at, "invitees": invitees }), "k below 3"),
        (json!({ "k": 5, "batch": 2, "closes_at": closes_at, "invitees": invitees }), "batch < k"),
        (json!({ "k": 5, "closes_at": closes_at, "invitees": [] }), "nobody invited"),
        (
            json!({ "k": 5, "closes_at": closes_at, "invitees": [invitees[0], invitees[0]] }),
            "twice",
        ),
        (json!({ "k": 5, "closes_at": closes_at, "invitees": [{ "member": "max" }] }), "not an id"),
        (
            json!({ "k": 5, "closes_at": closes_at, "invitees": [{ "member": member("dan"), "team": "Legal" }] }),
            "a team of one",
        ),
        (json!({ "k": 5 }), "no close"),
        (json!("survey"), "not a survey"),
    ] {
        let (status, _, body) = http(&address, Method::PUT, &path, Some(&owner), bad).await;
        assert_eq!(status, 400, "{why}: {body}");
    }
    let bad_id = format!("/api/workspaces/{WS}/ballots/not%20an%20id");
    assert_eq!(http(&address, Method::PUT, &bad_id, Some(&owner), ballot.clone()).await.0, 400);
    let (status, _, body) = http(&address, Method::PUT, &path, Some(&owner), ballot.clone()).await;
    assert_eq!(status, 201, "{body}");

    // Each invitee takes one token, once; the owner, not invited, and other workspaces get none.
    assert_eq!(token(&address, &owner).await, Err(404));
    assert_eq!(
        http(
            &address,
            Method::POST,
            &format!("/api/workspaces/{WS}/ballots/{SURVEY}/token"),
            Some(&eve),
            Value::Null
        )
        .await
        .0,
        404
    );
    let mut tokens = Vec::new();
    for (name, cookie) in &people {
        let given = token(&address, cookie).await.unwrap_or_else(|s| panic!("{name}: {s}"));
        assert_eq!(token(&address, cookie).await, Err(409), "{name}: once");
        tokens.push(given);
    }
    // Its k is fixed once a token is out: no narrowing the group afterwards.
    let narrower = json!({ "k": 3, "closes_at": closes_at, "invitees": invitees });
    let (status, _, body) = http(&address, Method::PUT, &path, Some(&owner), narrower).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("ballot_locked")));
    // Invitees are only added once a token is out: left out, Dan is still counted (were he not,
    // the count would tell whether he took one).
    let without_dan = json!({ "k": 5, "closes_at": closes_at, "invitees": invitees[..5] });
    assert_eq!(http(&address, Method::PUT, &path, Some(&owner), without_dan).await.0, 204);
    assert_eq!(results(&address, &owner).await.1["invited"], 6);

    // Four answers: counted, not shown. A token answers once; made-up and malformed ones nothing.
    for (n, token) in tokens.iter().take(4).enumerate() {
        assert_eq!(answer(&address, token, &format!("{{\"enps\":{}}}", 6 + n)).await, 201);
    }
    assert_eq!(answer(&address, &tokens[0], "{\"enps\":0}").await, 404, "used");
    assert_eq!(answer(&address, &"ab".repeat(32), "{}").await, 404, "never given");
    assert_eq!(answer(&address, "not a token", "{}").await, 404);
    let long = "x".repeat(rapport_core::ballot::MOST_ANSWER_BYTES + 1);
    assert_eq!(answer(&address, &tokens[4], &long).await, 413);
    let (status, _, _) =
        http(&address, Method::POST, "/api/ballots/answer", None, json!({ "token": 5 })).await;
    assert_eq!(status, 400);
    let (status, shown) = results(&address, &owner).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!((shown["invited"].as_u64(), shown["answered"].as_u64()), (Some(6), Some(4)));
    assert_eq!(shown["tokens_taken"], 6);
    assert_eq!(shown["answers"], json!([]), "four is fewer than five");
    // Only owners and admins read; other workspaces do not see it exists.
    assert_eq!(results(&address, &max).await.0, 403);
    assert_eq!(results(&address, &viewer).await.0, 403);
    assert_eq!(results(&address, &eve).await.0, 404);

    // The fifth, Dan's (in no team): five, but a survey without batches shows nothing while open.
    assert_eq!(answer(&address, &tokens[5], "{\"enps\":10}").await, 201);
    assert_eq!(results(&address, &owner).await.1["answers"], json!([]), "open, no batches");
    // Its close may move (here: to now); then no more answers, and the five show.
    let now = common::socket::unix_now();
    let closing = json!({ "k": 5, "batch": 0, "closes_at": now - 1, "invitees": invitees });
    assert_eq!(http(&address, Method::PUT, &path, Some(&owner), closing).await.0, 204);
    assert_eq!(answer(&address, &tokens[4], "{\"enps\":3}").await, 410, "closed");
    // Closed for good: reopened, its answers could be read again a few answers later.
    let reopen = json!({ "k": 5, "batch": 0, "closes_at": now + 3_600, "invitees": invitees });
    let (status, _, body) = http(&address, Method::PUT, &path, Some(&owner), reopen).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("ballot_locked")));
    let (_, shown) = results(&address, &owner).await;
    assert_eq!(shown["closed"], true);
    let mut answers: Vec<String> = serde_json::from_value(shown["answers"].clone()).unwrap();
    answers.sort();
    assert_eq!(
        answers,
        ["{\"enps\":10}", "{\"enps\":6}", "{\"enps\":7}", "{\"enps\":8}", "{\"enps\":9}"]
    );
    // Sales has four: not shown apart.
    assert_eq!(shown["teams"], json!({}), "{shown}");

    // A removed member takes no token for a new survey.
    remove_member(&address, &owner, "max").await;
    let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}/token");
    assert_eq!(http(&address, Method::POST, &path, Some(&max), Value::Null).await.0, 404);

    // In the database itself: the answers have no account, no token and no time, and the tokens
    // used are gone.
    let db = rusqlite::Connection::open(data.path().join("rapport.sqlite3")).unwrap();
    let columns = strings(&db, "SELECT name FROM pragma_table_info('ballot_answers')");
    assert_eq!(columns, ["id", "workspace_id", "survey", "team", "batch", "answer"]);
    let without_rowid: bool = db
        .query_row(
            "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = 'ballot_answers'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(without_rowid, "no row ids that follow the order of answering");
    let left: i64 = db
        .query_row("SELECT count(*) FROM ballot_tokens WHERE workspace_id = ?1", [WS], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(left, 1, "only the token never used");
    // Nor anywhere in the relay's files: a used token's hash is gone from the database's pages and
    // from its write-ahead log, so nothing joins it to the answer given with it.
    let mut bytes = std::fs::read(data.path().join("rapport.sqlite3")).unwrap();
    bytes.extend(std::fs::read(data.path().join("rapport.sqlite3-wal")).unwrap_or_default());
    let files = String::from_utf8_lossy(&bytes);
    for (n, token) in tokens.iter().enumerate().filter(|(n, _)| *n != 4) {
        let hash = rapport_core::attachments::file_hash(token.as_bytes());
        assert!(!files.contains(&hash), "the hash of used token {n} is still on disk");
    }
    let unused = rapport_core::attachments::file_hash(tokens[4].as_bytes());
    assert!(files.contains(&unused), "the check would find a hash that is there");
    let accounts = strings(&db, "SELECT email FROM accounts");
    let stored = strings(&db, "SELECT id || team || answer FROM ballot_answers");
    for row in &stored {
        for email in &accounts {
            assert!(!row.contains(email.as_str()), "{row}");
            assert!(!row.contains(&member_of_account(email).to_string()), "{row}");
        }
        for token in &tokens {
            let hash = rapport_core::attachments::file_hash(token.as_bytes());
            assert!(!row.contains(token.as_str()) && !row.contains(&hash), "{row}");
        }
    }
}

#[tokio::test]
async fn answers_in_batches_show_a_whole_batch_at_a_time_and_teams_only_at_the_close() {
    let data = tempfile::tempdir().unwrap();
    let (child, address) = start_process(&data.path().join("no-dist"), data.path());
    let _relay = common::socket::Process(child);
    let (owner, max, viewer) = workspace_with_member(&address).await;
    let mut people = vec![("max", max), ("vera", viewer)];
    for name in ["ann", "bob", "cid"] {
        people.push((name, colleague(&address, &owner, name).await));
    }
    // Sales answers first (max, vera, ann), then two in no team (bob, cid).
    let team = |name: &str| if matches!(name, "bob" | "cid") { "" } else { "Sales" };
    let invitees: Vec<Value> = people
        .iter()
        .map(|(name, _)| json!({ "member": member(name), "team": team(name) }))
        .collect();
    let closes_at = common::socket::unix_now() + 3_600;
    let ballot = json!({ "k": 3, "batch": 3, "closes_at": closes_at, "invitees": invitees });
    let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}");
    assert_eq!(http(&address, Method::PUT, &path, Some(&owner), ballot).await.0, 201);
    // Max answers at once: only he of Sales holds a token, so his answer is kept without its team
    // (a team's name on an answer would point at him).
    let first = token(&address, &people[0].1).await.unwrap();
    assert_eq!(answer(&address, &first, "{\"score\":0}").await, 201);
    let mut tokens = vec![first];
    for (_, cookie) in &people[1..] {
        tokens.push(token(&address, cookie).await.unwrap());
    }
    let mut shown = vec![0];
    for (n, token) in tokens.iter().enumerate().skip(1) {
        assert_eq!(answer(&address, token, &format!("{{\"score\":{n}}}")).await, 201);
        let (_, results) = results(&address, &owner).await;
        assert_eq!(results["teams"], json!({}), "no team apart while open");
        shown.push(results["answers"].as_array().unwrap().len());
    }
    assert_eq!(shown, [0, 0, 3, 3, 3], "a whole batch of three at a time");
    // Once a token is out, nobody moves to another team — a list that moves someone keeps them
    // where they were —, and no team is left with fewer than k by what is added: checked against
    // what is stored, not only the list sent.
    let moved: Vec<Value> = people
        .iter()
        .map(|(name, _)| json!({ "member": member(name), "team": if *name == "bob" { "Sales" } else { team(name) } }))
        .collect();
    let moving = json!({ "k": 3, "batch": 3, "closes_at": closes_at, "invitees": moved });
    assert_eq!(http(&address, Method::PUT, &path, Some(&owner), moving).await.0, 204);
    let db = rusqlite::Connection::open(data.path().join("rapport.sqlite3")).unwrap();
    let bobs = format!("SELECT team FROM ballot_invitees WHERE member = '{}'", member("bob"));
    assert_eq!(strings(&db, &bobs), [""], "Bob stays in no team");
    drop(db);
    let joining = json!({ "member": member("olga"), "team": "Legal" });
    let mut grown = invitees.clone();
    grown.push(joining);
    let growing = json!({ "k": 3, "batch": 3, "closes_at": closes_at, "invitees": grown });
    assert_eq!(
        http(&address, Method::PUT, &path, Some(&owner), growing).await.0,
        400,
        "a team of one"
    );
    // Closed with a last batch of two: those two stay hidden (they would be the difference).
    let now = common::socket::unix_now();
    let closing = json!({ "k": 3, "batch": 3, "closes_at": now - 1, "invitees": invitees });
    assert_eq!(http(&address, Method::PUT, &path, Some(&owner), closing).await.0, 204);
    let (_, results) = results(&address, &owner).await;
    assert_eq!(results["answered"], 5);
    assert_eq!(results["answers"].as_array().unwrap().len(), 3);
    // Shown at the close: the first batch (Max's, Vera's and Ann's); Sales has only Vera's and Ann's
    // under its name, fewer than three, so no team is shown apart.
    assert_eq!(results["teams"], json!({}), "{results}");
}

/// Takes a token `who` chose (its hash sent); the status and the body.
async fn chosen_token(address: &str, who: &str, body: Value) -> (u16, Value) {
    let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}/token");
    let (status, _, body) = http(address, Method::POST, &path, Some(who), body).await;
    (status, body)
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_token_the_device_chose_survives_an_answer_lost_on_the_way_and_is_still_used_once() {
    let data = tempfile::tempdir().unwrap();
    let (child, address) = start_process(&data.path().join("no-dist"), data.path());
    let _relay = common::socket::Process(child);
    let (owner, max, viewer) = workspace_with_member(&address).await;
    let mut people = vec![("max", max.clone()), ("vera", viewer.clone())];
    for name in ["ann"] {
        people.push((name, colleague(&address, &owner, name).await));
    }
    let invitees: Vec<Value> =
        people.iter().map(|(name, _)| json!({ "member": member(name) })).collect();
    let closes_at = common::socket::unix_now() + 3_600;
    let ballot = json!({ "k": 3, "closes_at": closes_at, "invitees": invitees });
    let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}");
    assert_eq!(http(&address, Method::PUT, &path, Some(&owner), ballot).await.0, 201);

    // Max's device keeps its token, then asks with its hash: nothing comes back but the status and
    // the survey's terms.
    let maxs_token = "9f".repeat(32);
    let chosen = json!({ "token_hash": sha256_hex(&maxs_token) });
    let (status, body) = chosen_token(&address, &max, chosen.clone()).await;
    assert_eq!(
        (status, body),
        (201, json!({ "k": 3, "readers": [] })),
        "the relay never sends the token"
    );
    // The answer was lost on the way: asked again with the same token, the relay says yes …
    assert_eq!(chosen_token(&address, &max, chosen.clone()).await.0, 201);
    // … but to another token, or one it makes, no.
    let other = json!({ "token_hash": sha256_hex(&"0a".repeat(32)) });
    assert_eq!(chosen_token(&address, &max, other).await.0, 409);
    assert_eq!(token(&address, &max).await, Err(409));
    // Someone else who learnt the hash gets nothing by it, and still takes their own.
    assert_eq!(chosen_token(&address, &people[2].1, chosen.clone()).await.0, 409);
    let anns = json!({ "token_hash": sha256_hex(&"3e".repeat(32)) });
    assert_eq!(chosen_token(&address, &people[2].1, anns).await.0, 201);
    // Used once: then neither asking again nor answering again works.
    assert_eq!(answer(&address, &maxs_token, "{\"q1\":4}").await, 201);
    assert_eq!(answer(&address, &maxs_token, "{\"q1\":4}").await, 404);
    assert_eq!(chosen_token(&address, &max, chosen.clone()).await.0, 409);

    // Malformed, oversized, from someone who may not: refused, nothing taken.
    for (bad, why) in [
        (json!({ "token_hash": "9F".repeat(32) }), "upper case"),
        (json!({ "token_hash": "9f".repeat(31) }), "short"),
        (json!({ "token_hash": sha256_hex("x"), "member": member("max") }), "unknown field"),
        (json!({ "hash": sha256_hex("x") }), "no hash"),
        (json!(["not", "a", "form"]), "not a form"),
    ] {
        assert_eq!(chosen_token(&address, &viewer, bad).await.0, 400, "{why}");
    }
    let huge = json!({ "token_hash": "a".repeat(4096) });
    assert_eq!(chosen_token(&address, &viewer, huge).await.0, 413);
    let eve = outsider_with_workspace(&address).await;
    assert_eq!(chosen_token(&address, &eve, chosen.clone()).await.0, 404);
    let (status, _, _) = http(
        &address,
        Method::POST,
        &format!("/api/workspaces/{WS}/ballots/{SURVEY}/token"),
        None,
        chosen.clone(),
    )
    .await;
    assert_eq!(status, 401);
    // The viewer's token is still theirs to take.
    let viewers = json!({ "token_hash": sha256_hex(&"5c".repeat(32)) });
    assert_eq!(chosen_token(&address, &viewer, viewers).await.0, 201);
}

/// Upward reviews: three reports answer about their manager Max, who alone reads the results —
/// not the owner, nor anyone else — once the survey closes, and only while he is a member.
#[tokio::test]
async fn a_survey_that_names_its_readers_shows_its_results_to_them_alone() {
    let data = tempfile::tempdir().unwrap();
    let (child, address) = start_process(&data.path().join("no-dist"), data.path());
    let _relay = common::socket::Process(child);
    let (owner, max, viewer) = workspace_with_member(&address).await;
    let eve = outsider_with_workspace(&address).await;
    let mut reports = Vec::new();
    for name in ["ann", "bob", "cid"] {
        reports.push((name, colleague(&address, &owner, name).await));
    }
    let invitees: Vec<Value> =
        reports.iter().map(|(name, _)| json!({ "member": member(name) })).collect();
    let closes_at = common::socket::unix_now() + 3_600;
    let ballot = |readers: Value, closes_at: i64| json!({ "k": 3, "closes_at": closes_at, "invitees": invitees, "readers": readers });
    let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}");
    let put = |who: String, body: Value| {
        let (address, path) = (address.clone(), path.clone());
        async move { http(&address, Method::PUT, &path, Some(&who), body).await.0 }
    };

    let too_many: Vec<String> = (0..21).map(|n| member(&format!("reader{n}"))).collect();
    for (readers, why) in [
        (json!([member("ann")]), "a reader who answers"),
        (json!([member("max"), member("max")]), "named twice"),
        (json!(["max"]), "not a member id"),
        (json!(too_many), "21 readers"),
        (json!(member("max")), "not a list"),
    ] {
        assert_eq!(put(owner.clone(), ballot(readers, closes_at)).await, 400, "{why}");
    }
    // Only owners and admins register, whoever reads — and never one who reads it: they could
    // invite those whose answers they know and leave one unknown.
    assert_eq!(put(max.clone(), ballot(json!([member("max")]), closes_at)).await, 403);
    let (status, _, body) = http(
        &address,
        Method::PUT,
        &path,
        Some(&owner),
        ballot(json!([member("olga")]), closes_at),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("own_results")), "{body}");
    assert_eq!(put(owner.clone(), ballot(json!([member("max")]), closes_at)).await, 201);

    // Before anyone answered: Max reads the counts, nobody else anything.
    let (status, body) = results(&address, &max).await;
    assert_eq!((status, body["invited"].as_u64()), (200, Some(3)), "{body}");
    let (status, body) = results(&address, &owner).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_a_reader")), "{body}");
    assert_eq!(results(&address, &viewer).await.0, 403);
    assert_eq!(results(&address, &reports[0].1).await.0, 403, "an invitee");
    assert_eq!(results(&address, &eve).await.0, 404, "another workspace");
    let eves = format!("/api/workspaces/{OTHER_WS}/ballots/{SURVEY}");
    assert_eq!(http(&address, Method::GET, &eves, Some(&eve), Value::Null).await.0, 404);

    for (i, (_, cookie)) in reports.iter().enumerate() {
        // The device is told the terms it answers under: the smallest group shown, who reads.
        let path = format!("/api/workspaces/{WS}/ballots/{SURVEY}/token");
        let (status, _, body) =
            http(&address, Method::POST, &path, Some(cookie), Value::Null).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["k"], json!(3));
        assert_eq!(body["readers"], json!([member("max")]));
        let token = body["token"].as_str().unwrap().to_owned();
        assert_eq!(answer(&address, &token, &format!("{{\"q1\":{}}}", i + 3)).await, 201);
        if i == 0 {
            // Once a token is out, nobody is added to the readers, nor are they changed.
            let both = json!([member("max"), member("vera")]);
            assert_eq!(put(owner.clone(), ballot(both, closes_at)).await, 409);
            assert_eq!(put(owner.clone(), ballot(json!([]), closes_at)).await, 409);
            // Nor is anyone invited after it: one the readers know the answer of, say.
            let mut more = ballot(json!([member("max")]), closes_at);
            more["invitees"].as_array_mut().unwrap().push(json!({ "member": member("vera") }));
            assert_eq!(put(owner.clone(), more).await, 409);
            assert_eq!(put(owner.clone(), ballot(json!([member("max")]), closes_at)).await, 204);
        }
    }
    let (_, body) = results(&address, &max).await;
    assert_eq!(body["answers"].as_array().map(Vec::len), Some(0), "nothing before the close");

    // Closed early (the cycle closed by hand): its reader is shown the three.
    let closed = common::socket::unix_now() - 1;
    assert_eq!(put(owner.clone(), ballot(json!([member("max")]), closed)).await, 204);
    let (status, body) = results(&address, &max).await;
    assert_eq!(status, 200);
    let mut answers: Vec<&str> =
        body["answers"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    answers.sort();
    assert_eq!(answers, vec!["{\"q1\":3}", "{\"q1\":4}", "{\"q1\":5}"]);
    assert_eq!(results(&address, &owner).await.0, 403, "the owner still does not");

    // Removed from the workspace, Max reads no more.
    remove_member(&address, &owner, "max").await;
    assert_eq!(results(&address, &max).await.0, 404);
}
