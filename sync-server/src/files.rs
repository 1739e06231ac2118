//! Attachments: files on records (a contract's PDF, a photo from a phone's camera), named by the
//! SHA-256 of their bytes and referenced from documents by that hash. The relay keeps each workspace's
//! files on disk under the data folder (`files/<workspace>/<first two hex digits>/<hash>`), a row per
//! file in the database for the workspace's quota, and serves them with the workspace's authorisation,
//! deny by default like everything else: other workspaces get 404, viewers read but do not upload.
//!
//! Streamed both ways: an upload is hashed and written to a temporary file as it arrives (never whole in
//! memory), refused as soon as it passes the size limit — before reading anything when the declared
//! length already does —, checked against its name (the hash), made durable (`fsync`) and only then
//! moved into place and counted. Uploading what is already there changes nothing, so a device may retry
//! freely. Downloads are served by `tower-http`'s `ServeFile` (ranges included).
//!
//! A file is bytes the relay never interprets: no thumbnailing or parsing here (devices make image
//! thumbnails and upload them as files of their own). Served from the relay's origin, a file could
//! otherwise act as a page of the app: only images and PDFs are shown inline, everything else is a
//! download, and every file answer carries `Content-Security-Policy: sandbox`.

use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;

use crate::AppState;
use crate::accounts::{Refusal, Why, bad_request, unix_seconds};
use crate::store::StoreError;
use crate::store::files::{self as catalogue, NewFile};
use crate::workspaces::member_of;

/// Where a relay keeps attachments, and how large they may be.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
    /// The largest file, in bytes.
    pub most_file_bytes: u64,
    /// What all of one workspace's files may take, in bytes.
    pub most_workspace_bytes: u64,
}

impl FileStore {
    /// Files under `root` (created when first needed).
    pub fn new(root: PathBuf, most_file_bytes: u64, most_workspace_bytes: u64) -> FileStore {
        FileStore { root, most_file_bytes, most_workspace_bytes }
    }

    fn path(&self, workspace: &str, hash: &str) -> PathBuf {
        self.root.join(workspace).join(&hash[..2]).join(hash)
    }

    /// A fresh name for an upload in progress (in the same file system as its final place, so moving
    /// it there is atomic).
    fn incoming(&self) -> PathBuf {
        self.root.join("incoming").join(crate::accounts::random_token())
    }
}

/// Content types shown inline; anything else is served as a download of bytes.
const INLINE_TYPES: [&str; 6] =
    ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif", "application/pdf"];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces/{id}/files", get(usage))
        .route("/api/workspaces/{id}/files/{hash}", put(upload).get(download).delete(erase))
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `type/subtype` as the device said it, if it is one (parameters dropped); bytes otherwise.
fn content_type(headers: &axum::http::HeaderMap) -> String {
    let said = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    media_type(said)
}

/// `type/subtype` of a `Content-Type` value, if it names one (parameters dropped); bytes otherwise.
pub(crate) fn media_type(said: &str) -> String {
    let essence = said.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token = |part: &str| {
        !part.is_empty()
            && part.len() <= 60
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, subtype)) if token(kind) && token(subtype) => essence,
        _ => "application/octet-stream".into(),
    }
}

fn refused(status: StatusCode, why: Why) -> Refusal {
    Refusal(status, why, None)
}

/// Where this relay keeps files, or why it keeps none.
fn file_store(state: &AppState) -> Result<FileStore, Refusal> {
    state.files.clone().ok_or_else(|| refused(StatusCode::SERVICE_UNAVAILABLE, Why::NoFiles))
}

#[derive(Debug, Serialize)]
struct Stored {
    hash: String,
    size: u64,
    content_type: String,
}

#[derive(Debug, Serialize)]
struct Usage {
    used: u64,
    quota: u64,
    most_file: u64,
}

async fn usage(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Usage>, Refusal> {
    let (_, membership) = member_of(&state, &headers, id).await?;
    let files = file_store(&state)?;
    let used = state.store.run(move |db| catalogue::used(db, &membership.workspace)).await?;
    Ok(Json(Usage { used, quota: files.most_workspace_bytes, most_file: files.most_file_bytes }))
}

async fn upload(
    State(state): State<AppState>,
    UrlPath((workspace, hash)): UrlPath<(String, String)>,
    request: Request,
) -> Result<Response, Refusal> {
    let (account, membership) = member_of(&state, request.headers(), workspace).await?;
    if !membership.role.writes() {
        return Err(refused(StatusCode::FORBIDDEN, Why::ReadOnly));
    }
    let files = file_store(&state)?;
    if !is_hash(&hash) {
        return Err(bad_request(Why::BadHash));
    }
    let content_type = content_type(request.headers());
    let workspace = membership.workspace.clone();
    let (ws, h) = (workspace.clone(), hash.clone());
    let (known, used) = state
        .store
        .run(move |db| Ok((catalogue::find(db, &ws, &h)?, catalogue::used(db, &ws)?)))
        .await?;
    // Already here: nothing to read, nothing to change (a retry, another device, the same photo).
    // Counted without its bytes — an erasure that removed them just after this same file was
    // uploaded again — it is received again, so such a file never stays unservable.
    if let Some(known) = known
        && tokio::fs::try_exists(files.path(&workspace, &hash)).await.unwrap_or(false)
    {
        let stored = Stored { hash, size: known.size, content_type: known.content_type };
        return Ok((StatusCode::OK, Json(stored)).into_response());
    }
    // Refused before a byte is read when the declared length already says so.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared {
        if declared > files.most_file_bytes {
            return Err(refused(StatusCode::PAYLOAD_TOO_LARGE, Why::FileTooLarge));
        }
        if used.saturating_add(declared) > files.most_workspace_bytes {
            return Err(refused(StatusCode::PAYLOAD_TOO_LARGE, Why::FilesQuota));
        }
    }
    let mut incoming = Incoming { path: files.incoming(), moved: false };
    let (size, digest) = receive(request, &incoming.path, files.most_file_bytes).await?;
    if digest != hash {
        return Err(bad_request(Why::HashMismatch));
    }
    let file = NewFile {
        workspace: &workspace,
        hash: &hash,
        size,
        content_type: &content_type,
        uploaded_by: Some(account),
        now: unix_seconds(),
        quota: files.most_workspace_bytes,
    };
    let created = place(&state, &files, &mut incoming, file).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(Stored { hash, size, content_type })).into_response())
}

/// Moves a received file into place and counts it: `true` when it is new, `false` when another
/// upload of the same bytes finished first (the same bytes are in place either way).
async fn place(
    state: &AppState,
    files: &FileStore,
    incoming: &mut Incoming,
    file: NewFile<'_>,
) -> Result<bool, Refusal> {
    // In place first, then counted: a crash between the two leaves a file nobody counts (uploaded
    // again, it is moved over itself), never a count without its file.
    let destination = files.path(file.workspace, file.hash);
    let moved = async {
        if let Some(folder) = destination.parent() {
            tokio::fs::create_dir_all(folder).await?;
        }
        tokio::fs::rename(&incoming.path, &destination).await
    };
    if let Err(error) = moved.await {
        tracing::error!(%error, "moving an upload into place failed");
        return Err(refused(StatusCode::INTERNAL_SERVER_ERROR, Why::StorageFailed));
    }
    incoming.moved = true;
    let (ws, h, kind) =
        (file.workspace.to_owned(), file.hash.to_owned(), file.content_type.to_owned());
    let (size, uploaded_by, now, quota) = (file.size, file.uploaded_by, file.now, file.quota);
    let counted = state
        .store
        .run(move |db| {
            let file = NewFile {
                workspace: &ws,
                hash: &h,
                size,
                content_type: &kind,
                uploaded_by,
                now,
                quota,
            };
            catalogue::add(db, file)
        })
        .await;
    match counted {
        Ok(created) => Ok(created),
        Err(StoreError::FilesQuota) => {
            let _ = tokio::fs::remove_file(&destination).await;
            Err(refused(StatusCode::PAYLOAD_TOO_LARGE, Why::FilesQuota))
        }
        Err(error) => Err(error.into()),
    }
}

/// What share of a workspace's quota files received by mail may take (one in this many bytes).
const MAIL_SHARE: u64 = 4;

/// Keeps `bytes`, which the relay received itself (a mail's attachment), as a file of `workspace`
/// with the same checks and in the same order as an upload. Its hash, or `None` when the relay keeps
/// no files or the file is too large or past the workspace's quota; an error only when storing failed.
pub(crate) async fn keep_received(
    state: &AppState,
    workspace: &str,
    bytes: &[u8],
    content_type: &str,
) -> Result<Option<String>, Refusal> {
    let Some(files) = state.files.clone() else { return Ok(None) };
    let size = bytes.len() as u64;
    if size > files.most_file_bytes {
        return Ok(None);
    }
    let hash = rapport_core::attachments::file_hash(bytes);
    let (ws, h) = (workspace.to_owned(), hash.clone());
    let (known, used, received) = state
        .store
        .run(move |db| {
            let known = catalogue::find(db, &ws, &h)?;
            Ok((known, catalogue::used(db, &ws)?, catalogue::received(db, &ws)?))
        })
        .await?;
    if known.is_some() {
        return Ok(Some(hash));
    }
    // Anyone can send mail: what mail brings may take a quarter of the quota at most, so a flood
    // of attachments never leaves the members no room for their own files.
    let room_for_mail = files.most_workspace_bytes / MAIL_SHARE;
    if used.saturating_add(size) > files.most_workspace_bytes
        || received.saturating_add(size) > room_for_mail
    {
        return Ok(None);
    }
    let mut incoming = Incoming { path: files.incoming(), moved: false };
    let failed = |error: std::io::Error| {
        tracing::error!(%error, "writing a received file failed");
        refused(StatusCode::INTERNAL_SERVER_ERROR, Why::StorageFailed)
    };
    if let Some(folder) = incoming.path.parent() {
        tokio::fs::create_dir_all(folder).await.map_err(failed)?;
    }
    let mut file = tokio::fs::File::create(&incoming.path).await.map_err(failed)?;
    file.write_all(bytes).await.map_err(failed)?;
    file.sync_all().await.map_err(failed)?;
    drop(file);
    let file = NewFile {
        workspace,
        hash: &hash,
        size,
        content_type,
        uploaded_by: None,
        now: unix_seconds(),
        quota: files.most_workspace_bytes,
    };
    match place(state, &files, &mut incoming, file).await {
        Ok(_) => Ok(Some(hash)),
        Err(Refusal(_, Why::FilesQuota, _)) => Ok(None),
        Err(refusal) => Err(refusal),
    }
}

/// An upload's temporary file: removed unless it was moved into place — also when the request is
/// dropped half way (the client went away, the transfer took too long), not only when it is refused.
struct Incoming {
    path: PathBuf,
    moved: bool,
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.moved {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `request`'s body to `path` as it arrives, hashing it; refuses it once it passes `most`
/// bytes. Returns its size and SHA-256 (hex), the file durable.
async fn receive(request: Request, path: &Path, most: u64) -> Result<(u64, String), Refusal> {
    let failed = |error: std::io::Error| {
        tracing::error!(%error, "writing an upload failed");
        refused(StatusCode::INTERNAL_SERVER_ERROR, Why::StorageFailed)
    };
    if let Some(folder) = path.parent() {
        tokio::fs::create_dir_all(folder).await.map_err(failed)?;
    }
    let mut file = tokio::fs::File::create(path).await.map_err(failed)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut body = request.into_body().into_data_stream();
    while let Some(chunk) = body.next().await {
        // The client stopped sending, or sent too slowly (the body timeout between frames).
        let chunk = chunk.map_err(|_| bad_request(Why::UploadCut))?;
        size += chunk.len() as u64;
        if size > most {
            return Err(refused(StatusCode::PAYLOAD_TOO_LARGE, Why::FileTooLarge));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.sync_all().await.map_err(failed)?;
    let digest = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((size, digest))
}

/// Deletes a file for good: a person's erasure at their request (`rapport_core::privacy`), so only
/// the workspace's owner and admins may. Uncounted first, then removed from the disk: a crash between
/// the two leaves bytes nobody counts (an upload of them moves over them). An upload of the same
/// file between the two can leave it counted without its bytes; the next upload receives it again
/// (see `upload`). Deleting what is not there answers the same 204, so a retry or a second admin's
/// device is harmless.
async fn erase(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    UrlPath((workspace, hash)): UrlPath<(String, String)>,
) -> Result<StatusCode, Refusal> {
    let (account, membership) = member_of(&state, &headers, workspace).await?;
    if !membership.role.manages() {
        return Err(refused(StatusCode::FORBIDDEN, Why::OnlyManagers));
    }
    let files = file_store(&state)?;
    if !is_hash(&hash) {
        return Err(bad_request(Why::BadHash));
    }
    let (ws, h) = (membership.workspace.clone(), hash.clone());
    state.store.run(move |db| catalogue::remove(db, &ws, &h)).await?;
    match tokio::fs::remove_file(files.path(&membership.workspace, &hash)).await {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::error!(%error, "removing an erased file from the disk failed");
            return Err(refused(StatusCode::INTERNAL_SERVER_ERROR, Why::StorageFailed));
        }
    }
    tracing::info!(workspace = %membership.workspace, %hash, account, "file erased");
    Ok(StatusCode::NO_CONTENT)
}

async fn download(
    State(state): State<AppState>,
    UrlPath((workspace, hash)): UrlPath<(String, String)>,
    request: Request,
) -> Result<Response, Refusal> {
    let (_, membership) = member_of(&state, request.headers(), workspace).await?;
    let files = file_store(&state)?;
    if !is_hash(&hash) {
        return Err(bad_request(Why::BadHash));
    }
    let (ws, h) = (membership.workspace.clone(), hash.clone());
    let found = state.store.run(move |db| catalogue::find(db, &ws, &h)).await?;
    let Some(found) = found else { return Err(refused(StatusCode::NOT_FOUND, Why::NoSuchFile)) };
    let path = files.path(&membership.workspace, &hash);
    let served = tower_http::services::ServeFile::new(&path).oneshot(request).await;
    let Ok(served) = served;
    let (mut parts, body) = served.into_parts();
    if parts.status == StatusCode::NOT_FOUND {
        tracing::error!(path = %path.display(), "a counted file is missing from the disk");
        return Err(refused(StatusCode::INTERNAL_SERVER_ERROR, Why::StorageFailed));
    }
    let inline = INLINE_TYPES.contains(&found.content_type.as_str());
    let headers = &mut parts.headers;
    let kind = if inline { found.content_type.as_str() } else { "application/octet-stream" };
    if let Ok(kind) = HeaderValue::from_str(kind) {
        headers.insert(header::CONTENT_TYPE, kind);
    }
    if !inline {
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    // Named by their content: a file never changes, but it is private to the workspace.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    headers.remove(header::LAST_MODIFIED);
    Ok(Response::from_parts(parts, axum::body::Body::new(body)))
}
