//! Letters at the relay, end to end over HTTP on loopback with the real relay binary: Max writes to
//! Vera; the letter lists to the two of them and to nobody else — not the owner, not another
//! workspace, not someone removed —; a retry is the same letter, a different letter under its id is
//! refused; its sender alone withdraws it, and the listing then carries it without its body. Every
//! way in is tried by someone who may not, with oversized and malformed input.

mod common;

use common::socket::{
    OTHER_WS, WS, http, outsider_with_workspace, remove_member, start_process,
    workspace_with_member,
};
use rapport_core::letters::MOST_BODY_BYTES;
use rapport_core::workspace::member_of_account;
use reqwest::Method;
use serde_json::{Value, json};

const LETTER: &str = "0190f5a0-0000-7000-8000-0000000000a1";

fn member(name: &str) -> String {
    member_of_account(&format!("{name}@example.test")).to_string()
}

async fn send(address: &str, who: Option<&str>, id: &str, body: Value) -> (u16, Value) {
    let path = format!("/api/workspaces/{WS}/letters/{id}");
    let (status, _, answer) = http(address, Method::PUT, &path, who, body).await;
    (status, answer)
}

/// The ids and bodies `who` is listed after `after`, or the refusal's status.
async fn list(
    address: &str,
    who: Option<&str>,
    workspace: &str,
) -> Result<Vec<(String, Value)>, u16> {
    let path = format!("/api/workspaces/{workspace}/letters?after=0");
    let (status, _, page) = http(address, Method::GET, &path, who, Value::Null).await;
    if status != 200 {
        return Err(status);
    }
    let letters = page["letters"].as_array().unwrap();
    Ok(letters.iter().map(|l| (l["id"].as_str().unwrap().to_owned(), l["body"].clone())).collect())
}

#[tokio::test]
async fn a_letter_lists_to_its_sender_and_recipients_alone_and_its_sender_withdraws_it() {
    let data = tempfile::tempdir().unwrap();
    let (child, address) = start_process(&data.path().join("no-dist"), data.path());
    let _relay = common::socket::Process(child);
    let (owner, max, vera) = workspace_with_member(&address).await;
    let eve = outsider_with_workspace(&address).await;
    let letter =
        json!({ "to": [member("vera")], "body": "{\"kind\":\"feedback\",\"text\":\"Thanks\"}" });

    // Max writes to Vera; sending it again (a reply lost on the way) is the same letter.
    assert_eq!(send(&address, Some(&max), LETTER, letter.clone()).await.0, 201);
    assert_eq!(send(&address, Some(&max), LETTER, letter.clone()).await.0, 200);
    let body = json!("{\"kind\":\"feedback\",\"text\":\"Thanks\"}");
    let expected = vec![(LETTER.to_owned(), body.clone())];
    assert_eq!(list(&address, Some(&max), WS).await, Ok(expected.clone()));
    assert_eq!(list(&address, Some(&vera), WS).await, Ok(expected.clone()));
    let path = format!("/api/workspaces/{WS}/letters?after=0");
    let (_, _, page) = http(&address, Method::GET, &path, Some(&vera), Value::Null).await;
    assert_eq!(
        page["letters"][0]["from"],
        json!(member("max")),
        "the sender is the account, never claimed"
    );
    assert_eq!(page["letters"][0]["to"], json!([member("vera")]));
    // Nobody else is listed it, not even the owner; another workspace's owner is told nothing.
    assert_eq!(list(&address, Some(&owner), WS).await, Ok(vec![]));
    assert_eq!(list(&address, Some(&eve), WS).await, Err(404));
    assert_eq!(list(&address, None, WS).await, Err(401));
    assert_eq!(list(&address, Some(&eve), OTHER_WS).await, Ok(vec![]));

    // A different letter under the same id, or the same from someone else, is refused.
    let other = json!({ "to": [member("vera")], "body": "changed" });
    assert_eq!(send(&address, Some(&max), LETTER, other).await.0, 409);
    assert_eq!(send(&address, Some(&owner), LETTER, letter.clone()).await.0, 409);
    // A letter goes only to members, from members, within a size.
    let to_eve = json!({ "to": [member("eve")], "body": "hi" });
    assert_eq!(send(&address, Some(&max), "letter-2", to_eve).await.0, 422);
    assert_eq!(send(&address, Some(&eve), "letter-3", letter.clone()).await.0, 404);
    assert_eq!(send(&address, None, "letter-3", letter.clone()).await.0, 401);
    for bad in [
        json!({ "to": [], "body": "hi" }),
        json!({ "to": ["vera"], "body": "hi" }),
        json!({ "to": [member("vera"), member("vera")], "body": "hi" }),
        json!({ "to": [member("vera")], "body": "x".repeat(MOST_BODY_BYTES + 1) }),
        json!({ "to": [member("vera")] }),
        json!({ "to": [member("vera")], "body": "hi", "from": member("olga") }),
        json!("not a letter"),
    ] {
        let (status, answer) = send(&address, Some(&max), "letter-4", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    let huge = json!({ "to": [member("vera")], "body": "\u{1}".repeat(MOST_BODY_BYTES * 8) });
    assert_eq!(send(&address, Some(&max), "letter-5", huge).await.0, 413);
    for id in ["", "a b", &"x".repeat(65), "ü"] {
        let status = send(&address, Some(&max), &urlencoding(id), letter.clone()).await.0;
        assert!(matches!(status, 400 | 404 | 405), "{id:?}: {status}");
    }
    // A viewer writes letters too, the owner included as a recipient.
    let to_owner = json!({ "to": [member("olga"), member("max")], "body": "from vera" });
    assert_eq!(send(&address, Some(&vera), "letter-6", to_owner).await.0, 201);
    assert_eq!(list(&address, Some(&owner), WS).await.unwrap().len(), 1);
    assert_eq!(list(&address, Some(&max), WS).await.unwrap().len(), 2);

    // Only its sender withdraws a letter; then it lists without its body, after the others.
    let path = format!("/api/workspaces/{WS}/letters/{LETTER}");
    for who in [&vera, &owner, &eve] {
        let status = http(&address, Method::DELETE, &path, Some(who), Value::Null).await.0;
        assert_eq!(status, 404);
    }
    assert_eq!(http(&address, Method::DELETE, &path, Some(&max), Value::Null).await.0, 204);
    assert_eq!(http(&address, Method::DELETE, &path, Some(&max), Value::Null).await.0, 204);
    let listed = list(&address, Some(&vera), WS).await.unwrap();
    assert_eq!(listed.last().unwrap(), &(LETTER.to_owned(), Value::Null));
    let later = format!("/api/workspaces/{WS}/letters?after=1");
    let (_, _, page) = http(&address, Method::GET, &later, Some(&vera), Value::Null).await;
    assert_eq!(page["letters"].as_array().unwrap().len(), 2, "the withdrawal moved it on: {page}");
    // The body is gone from the relay's database itself.
    let db = rusqlite::Connection::open(data.path().join("rapport.sqlite3")).unwrap();
    let body: Option<String> = db
        .query_row("SELECT body FROM letters WHERE letter = ?1", [LETTER], |row| row.get(0))
        .unwrap();
    assert_eq!(body, None);

    // Someone removed is listed nothing, nor may write.
    remove_member(&address, &owner, "vera").await;
    assert_eq!(list(&address, Some(&vera), WS).await, Err(404));
    assert_eq!(
        send(&address, Some(&vera), "letter-7", json!({ "to": [member("max")], "body": "x" }))
            .await
            .0,
        404
    );
    // And is no recipient any more.
    let to_vera = json!({ "to": [member("vera")], "body": "still there?" });
    assert_eq!(send(&address, Some(&max), "letter-8", to_vera).await.0, 422);
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
