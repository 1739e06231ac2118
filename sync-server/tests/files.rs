//! Attachments on the real relay binary: uploaded under their SHA-256, stored once, served back byte for
//! byte to the workspace's members only, limits and quotas refused with their reason, nothing stored from
//! an upload that was refused or cut.

mod common;

use std::time::Duration;

use common::socket::{
    OTHER_WS, WS, http, outsider_with_workspace, remove_member, start_process_with,
    workspace_with_member,
};
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

struct Relay {
    _child: common::socket::Process,
    address: String,
    data: tempfile::TempDir,
}

impl Relay {
    fn start(flags: &[&str]) -> Relay {
        let data = tempfile::tempdir().unwrap();
        let (child, address) =
            start_process_with(&data.path().join("no-dist"), data.path(), flags, &[]);
        Relay { _child: common::socket::Process(child), address, data }
    }

    fn url(&self, workspace: &str, hash: &str) -> String {
        format!("http://{}/api/workspaces/{workspace}/files/{hash}", self.address)
    }

    /// Files kept on disk for `workspace`, finished or not (uploads in progress included).
    fn files_on_disk(&self) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 })
                    .sum()
            })
        }
        count(&self.data.path().join("files"))
    }
}

fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes that look like nothing in particular, `n` of them.
fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

async fn put(url: &str, cookie: Option<&str>, kind: &str, body: Vec<u8>) -> (u16, Value) {
    let mut request = reqwest::Client::new().put(url).header("content-type", kind).body(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(url: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).header("cookie", cookie).send().await.unwrap()
}

#[tokio::test]
async fn a_file_is_stored_once_under_its_hash_and_served_back_to_members_only() {
    let relay = Relay::start(&[]);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let outsider = outsider_with_workspace(&relay.address).await;
    let photo = bytes(3 * 1024 * 1024 + 17, 7);
    let name = hash(&photo);
    let url = relay.url(WS, &name);

    let (status, stored) = put(&url, Some(&member), "image/jpeg", photo.clone()).await;
    assert_eq!((status, &stored["size"]), (201, &Value::from(photo.len())), "{stored}");
    // The same photo from another device: nothing read, nothing changed.
    let (status, _) = put(&url, Some(&owner), "image/jpeg", photo.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(relay.files_on_disk(), 1);

    // A viewer reads it, byte for byte, shown inline as the image it is, sandboxed.
    let served = get(&url, &viewer).await;
    assert_eq!(served.status(), 200);
    let headers = served.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(headers["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    assert!(headers["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(served.bytes().await.unwrap().as_ref(), photo.as_slice());
    // A range, as a viewer of a large PDF asks for.
    let part = reqwest::Client::new()
        .get(&url)
        .header("cookie", &viewer)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &photo[100..200]);

    // The workspace's usage, for the screens.
    let path = format!("/api/workspaces/{WS}/files");
    let (_, _, usage) = http(&relay.address, Method::GET, &path, Some(&viewer), Value::Null).await;
    assert_eq!(usage["used"], Value::from(photo.len()), "{usage}");

    // Another workspace's member: as if there were nothing, reading or writing, under either id.
    assert_eq!(get(&url, &outsider).await.status(), 404);
    let (status, _) = put(&url, Some(&outsider), "image/jpeg", photo.clone()).await;
    assert_eq!(status, 404);
    let theirs = relay.url(OTHER_WS, &name);
    assert_eq!(get(&theirs, &outsider).await.status(), 404, "not in her workspace either");
    assert_eq!(get(&theirs, &member).await.status(), 404);
    // Nobody signed in.
    let anonymous = reqwest::Client::new().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // A viewer uploads nothing; a removed member reads nothing.
    let note = b"minutes of the meeting".to_vec();
    let (status, answer) =
        put(&relay.url(WS, &hash(&note)), Some(&viewer), "text/plain", note).await;
    assert_eq!((status, &answer["code"]), (403, &Value::from("read_only")));
    remove_member(&relay.address, &owner, "max").await;
    assert_eq!(get(&url, &member).await.status(), 404);
}

#[tokio::test]
async fn what_could_act_as_a_page_is_served_as_a_download() {
    let relay = Relay::start(&[]);
    let (owner, _, _) = workspace_with_member(&relay.address).await;
    let page = b"<html><script>fetch('/api/me')</script></html>".to_vec();
    let url = relay.url(WS, &hash(&page));
    assert_eq!(put(&url, Some(&owner), "text/html", page).await.0, 201);
    let served = get(&url, &owner).await;
    let headers = served.headers();
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(headers["content-disposition"], "attachment");
    assert!(headers["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn refused_uploads_say_why_and_leave_nothing_behind() {
    let relay = Relay::start(&["--max-file-mb", "1", "--max-files-mb-per-workspace", "2"]);
    let (owner, _, _) = workspace_with_member(&relay.address).await;
    let mb = 1024 * 1024;

    // Not named by its bytes.
    let contract = bytes(200_000, 1);
    let wrong = hash(b"something else");
    let (status, answer) =
        put(&relay.url(WS, &wrong), Some(&owner), "application/pdf", contract.clone()).await;
    assert_eq!((status, &answer["code"]), (400, &Value::from("hash_mismatch")));
    // Not a hash at all: a path climbing out (the client folds it into another path, which takes no
    // upload), or an id of the wrong form.
    let (status, answer) =
        put(&relay.url(WS, "..%2F..%2Fetc%2Fpasswd"), Some(&owner), "text/plain", b"x".to_vec())
            .await;
    assert_eq!((status, &answer["code"]), (400, &Value::from("bad_hash")));
    let (status, _) =
        put(&relay.url(WS, "../../etc/passwd"), Some(&owner), "text/plain", b"x".to_vec()).await;
    assert_eq!(status, 405);
    let (status, answer) =
        put(&relay.url(WS, &"A".repeat(64)), Some(&owner), "text/plain", b"x".to_vec()).await;
    assert_eq!((status, &answer["code"]), (400, &Value::from("bad_hash")));

    // Over the size limit, as declared: refused before it is read.
    let big = bytes(mb + 1, 2);
    let (status, answer) =
        put(&relay.url(WS, &hash(&big)), Some(&owner), "image/png", big.clone()).await;
    assert_eq!((status, &answer["code"]), (413, &Value::from("file_too_large")));
    // Over the limit without saying so (chunked, no length): refused once it passes it.
    let head = format!(
        "PUT /api/workspaces/{WS}/files/{} HTTP/1.1\r\nHost: {}\r\nCookie: {owner}\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n",
        hash(&big),
        relay.address
    );
    let answer = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(&relay.address).await.unwrap();
        socket.write_all(head.as_bytes()).await.unwrap();
        for chunk in big.chunks(64 * 1024) {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
            // The relay may answer and stop reading before the end.
            if socket.write_all(&framed).await.is_err() {
                break;
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
        let mut answer = vec![0u8; 12];
        let _ = socket.read_exact(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    };
    assert_eq!(answer, "HTTP/1.1 413", "refused once past the limit");
    assert_eq!(relay.files_on_disk(), 0, "nothing kept from refused uploads");

    // The quota: two files of 0.9 MB fit in 2 MB, a third does not.
    for seed in [3, 4] {
        let file = bytes(900 * 1024, seed);
        assert_eq!(put(&relay.url(WS, &hash(&file)), Some(&owner), "image/png", file).await.0, 201);
    }
    let third = bytes(900 * 1024, 5);
    let (status, answer) =
        put(&relay.url(WS, &hash(&third)), Some(&owner), "image/png", third).await;
    assert_eq!((status, &answer["code"]), (413, &Value::from("files_quota")));
    assert_eq!(relay.files_on_disk(), 2);

    // An upload cut off half way: nothing stored, and the same file uploads whole afterwards.
    let file = bytes(150 * 1024, 6);
    let name = hash(&file);
    let address = relay.address.clone();
    let head = format!(
        "PUT /api/workspaces/{WS}/files/{name} HTTP/1.1\r\nHost: {address}\r\nCookie: {owner}\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        file.len()
    );
    {
        use tokio::io::AsyncWriteExt;
        let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(&file[..75 * 1024]).await.unwrap();
        socket.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _, _) = http(
        &relay.address,
        Method::GET,
        &format!("/api/workspaces/{WS}/files"),
        Some(&owner),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    // The relay notices the closed connection and removes the partial file.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while relay.files_on_disk() > 2 {
        assert!(std::time::Instant::now() < deadline, "the cut upload was left on disk");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(get(&relay.url(WS, &name), &owner).await.status(), 404);
}

async fn delete(url: &str, cookie: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().delete(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_erased_file_is_gone_for_good_and_only_an_owner_or_admin_erases_one() {
    let relay = Relay::start(&[]);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let outsider = outsider_with_workspace(&relay.address).await;
    let passport = bytes(40_000, 3);
    let name = hash(&passport);
    let url = relay.url(WS, &name);
    assert_eq!(put(&url, Some(&member), "application/pdf", passport.clone()).await.0, 201);

    // Nobody signed in, a viewer, a member who is no admin, another workspace's owner (under this
    // workspace's id, and under her own, where there is no such file): the file stays.
    assert_eq!(delete(&url, None).await.0, 401);
    let (status, answer) = delete(&url, Some(&viewer)).await;
    assert_eq!((status, &answer["code"]), (403, &Value::from("only_managers")));
    let (status, answer) = delete(&url, Some(&member)).await;
    assert_eq!((status, &answer["code"]), (403, &Value::from("only_managers")));
    assert_eq!(delete(&url, Some(&outsider)).await.0, 404);
    assert_eq!(delete(&relay.url(OTHER_WS, &name), Some(&outsider)).await.0, 204);
    // Not a hash: refused with the reason, and no path is ever made of it.
    let (status, answer) = delete(&relay.url(WS, "..%2F..%2Fsecret"), Some(&owner)).await;
    assert_eq!((status, &answer["code"]), (400, &Value::from("bad_hash")), "{answer}");
    assert_eq!(get(&url, &viewer).await.status(), 200, "still there after every refusal");
    assert_eq!(relay.files_on_disk(), 1);

    // The owner erases it: not served, not on the disk, not counted; again changes nothing.
    assert_eq!(delete(&url, Some(&owner)).await.0, 204);
    assert_eq!(get(&url, &owner).await.status(), 404);
    assert_eq!(relay.files_on_disk(), 0);
    let path = format!("/api/workspaces/{WS}/files");
    let (_, _, usage) = http(&relay.address, Method::GET, &path, Some(&owner), Value::Null).await;
    assert_eq!(usage["used"], 0, "{usage}");
    assert_eq!(delete(&url, Some(&owner)).await.0, 204);

    // Uploaded again later, it is stored again (the count went with the bytes).
    assert_eq!(put(&url, Some(&member), "application/pdf", passport.clone()).await.0, 201);
    assert_eq!(get(&url, &viewer).await.bytes().await.unwrap().as_ref(), passport.as_slice());
    // An erasure racing an upload of the same file can leave it counted without its bytes: the
    // next upload receives it again instead of believing it there.
    let on_disk = relay.data.path().join("files").join(WS).join(&name[..2]).join(&name);
    std::fs::remove_file(&on_disk).unwrap();
    assert_eq!(put(&url, Some(&member), "application/pdf", passport.clone()).await.0, 200);
    assert_eq!(get(&url, &viewer).await.bytes().await.unwrap().as_ref(), passport.as_slice());
    // A member removed from the workspace erases nothing.
    remove_member(&relay.address, &owner, "max").await;
    assert_eq!(delete(&url, Some(&member)).await.0, 404);
    assert_eq!(relay.files_on_disk(), 1);
}
