//! Attachments, driven. A file attached on this device is read once: hashed (its name everywhere),
//! kept in the browser's Cache Storage under the address the relay serves it at, owed to the relay in
//! the device's `Uploads` (IndexedDB), and only then named on the record — so a record never names a
//! file this device could not show, and a closed tab loses nothing. The outbox's rounds send what is
//! owed whenever the workspace is connected (`upload_owed`). A file attached elsewhere is fetched
//! when opened and kept from then on; the service worker answers `<img>` thumbnails from the same
//! cache, so what was seen once shows offline. The decisions (names, what the relay's answers mean,
//! thumbnail sizes) are `rapport_core::attachments`'.

use leptos::prelude::*;
use leptos_i18n::td_string;
use rapport_core::attachments::{self, FileKind, Upload, Uploads};
use rapport_core::document::Record;
use rapport_core::ids::WorkspaceId;
use rapport_core::model::{Attachment, WithFiles};
use rapport_core::outbox::Handover;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::local::{self, Shared};
use crate::outbox::OutboxCtx;

/// The cache holding files' bytes: apart from the app shell's caches, which each new version drops.
const CACHE: &str = "rapport-files";

/// Why a file could not be attached or opened, in the screens' language.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

fn said(text: &str) -> FileError {
    FileError(text.to_owned())
}

/// Reads `file`, keeps it on this device, owes it (and an image's thumbnail) to the relay, and names
/// it on record `id`.
pub async fn attach<R: Record + WithFiles>(
    shared: &Shared,
    outbox: OutboxCtx,
    id: R::Id,
    file: web_sys::File,
) -> Result<(), FileError> {
    let locale = crate::locale::current();
    let name = file.name();
    let size = file.size() as u64;
    let most = outbox.uploads.with_untracked(Uploads::most_file);
    if size > most {
        let (size, most) = (crate::widgets::file_size(size), crate::widgets::file_size(most));
        return Err(FileError(
            td_string!(locale, files.too_large, name = &name, size = &size, most = &most)
                .to_string(),
        ));
    }
    let cant_read = || FileError(td_string!(locale, files.unreadable, name = &name).to_string());
    let bytes = blob_bytes(&file).await.ok_or_else(cant_read)?;
    let hash = attachments::file_hash(&bytes);
    drop(bytes);
    let content_type = file.type_();
    let workspace = shared.borrow().replica.workspace;
    keep(workspace, &hash, &file, &content_type).await?;
    let mut owed = vec![Upload { hash: hash.clone(), content_type: content_type.clone(), size }];
    let thumbnail =
        if attachments::has_thumbnail(&content_type) { thumbnail_of(&file).await } else { None };
    let thumbnail = match thumbnail {
        Some((small, small_bytes)) => {
            let small_hash = attachments::file_hash(&small_bytes);
            keep(workspace, &small_hash, &small, "image/jpeg").await?;
            owed.push(Upload {
                hash: small_hash.clone(),
                content_type: "image/jpeg".into(),
                size: small_bytes.len() as u64,
            });
            Some(small_hash)
        }
        None => None,
    };
    let owing = change_uploads(outbox, shared, move |uploads| {
        for upload in owed {
            uploads.add(upload);
        }
    });
    owing.await.map_err(|e| FileError(e.to_string()))?;
    let attachment = Attachment {
        name,
        content_type,
        size,
        added_at: local::now(),
        added_by: shared.borrow().me,
        thumbnail,
    };
    local::update::<R>(shared, id, move |record| {
        record.files_mut().entry(hash).or_insert(attachment);
    })
    .await
    .map_err(|e| FileError(e.to_string()))?;
    outbox.refresh();
    Ok(())
}

/// Sends the relay what this device owes it, oldest first, each answer kept before the next; stops at
/// the first "not now" (the rest would meet the same).
pub async fn upload_owed(outbox: OutboxCtx, shared: &Shared, workspace: WorkspaceId) {
    let owed = outbox.uploads.with_untracked(|uploads| uploads.waiting().to_vec());
    for upload in owed {
        let path = attachments::file_path(workspace, &upload.hash);
        let hash = upload.hash.clone();
        let answered = match cached(&path).await {
            Some(blob) => {
                let (status, body) =
                    crate::relay_api::upload_file(&path, &blob, &upload.content_type).await;
                let judged = change_uploads(outbox, shared, move |uploads| {
                    uploads.uploaded(&hash, status, &body)
                });
                judged.await
            }
            // The browser cleared the device's storage: nothing left to send.
            None => {
                change_uploads(outbox, shared, move |uploads| {
                    uploads.lost(&hash);
                    Handover::Stored
                })
                .await
            }
        };
        if matches!(answered, Ok(Handover::Later)) {
            return;
        }
    }
}

/// Changes the device's uploads and keeps them. The change is made on the signal at once — the page
/// runs one task at a time, so an attachment made while an upload round awaits the relay is never
/// overwritten by the round's older copy — and the copy kept is the one the change left.
pub(crate) async fn change_uploads<T>(
    outbox: OutboxCtx,
    shared: &Shared,
    change: impl FnOnce(&mut Uploads) -> T,
) -> Result<T, crate::storage::StorageError> {
    let gone = || crate::storage::StorageError::Browser("the page is closing".into());
    let result = outbox.uploads.try_update(change).ok_or_else(gone)?;
    let kept = outbox.uploads.get_untracked();
    local::keep_uploads(shared, &kept).await?;
    Ok(result)
}

/// Forgets file `hash` on this device — its bytes and any upload still owed — once it was erased, so
/// it is neither shown nor sent to the relay again.
pub async fn forget(outbox: OutboxCtx, shared: &Shared, workspace: WorkspaceId, hash: &str) {
    let owed = hash.to_owned();
    let _ = change_uploads(outbox, shared, move |uploads| uploads.forget(&owed)).await;
    if let Some(cache) = files_cache().await {
        let path = attachments::file_path(workspace, hash);
        let _ = JsFuture::from(cache.delete_with_str(&path)).await;
    }
}

/// Opens file `hash` of the workspace under `name`: from this device when it has it, else from the
/// relay (and kept for the next time, offline included).
pub async fn open(workspace: WorkspaceId, hash: &str, name: &str) -> Result<(), FileError> {
    let locale = crate::locale::current();
    let path = attachments::file_path(workspace, hash);
    let blob = match cached(&path).await {
        Some(blob) => blob,
        None => {
            let offline = || said(td_string!(locale, files.offline));
            let window = web_sys::window().ok_or_else(offline)?;
            let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&path))
                .await
                .map_err(|_| offline())?
                .dyn_into()
                .map_err(|_| offline())?;
            match response.status() {
                200 => {}
                404 => return Err(said(td_string!(locale, files.not_on_relay))),
                _ => return Err(offline()),
            }
            let kind = response.headers().get("content-type").ok().flatten().unwrap_or_default();
            let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(|_| offline())?)
                .await
                .map_err(|_| offline())?
                .dyn_into()
                .map_err(|_| offline())?;
            // Kept, not required: the file opens even when the device is full.
            let _ = keep(workspace, hash, &blob, &kind).await;
            blob
        }
    };
    crate::widgets::save_as(name, &blob).map_err(|_| said(td_string!(locale, io.download_refused)))
}

/// A paper clip, drawn like the timeline's icons (24 × 24, stroked).
pub const CLIP_ICON: &str =
    "M16 7l-7.5 7.5a2 2 0 0 0 3 3L19 10a4 4 0 0 0-6-6l-7.5 7.5a6 6 0 0 0 8.5 8.5L20 14";

/// The line icon of a kind of file, drawn like the timeline's (24 × 24, stroked).
pub fn icon(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Image => {
            "M3 5h18v14H3zM3 17l5-5 4 4 3-3 6 6M16 10.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3"
        }
        FileKind::Pdf => "M6 3h9l4 4v14H6zM15 3v4h4M9 12h7M9 16h7",
        FileKind::Document => "M6 3h9l4 4v14H6zM15 3v4h4M9 11h7M9 14h7M9 17h4",
        FileKind::Spreadsheet => "M6 3h9l4 4v14H6zM15 3v4h4M9 11h7v7H9zM9 14.5h7M12.5 11v7",
        FileKind::Presentation => "M3 4h18v12H3zM12 16v4M8 20h8",
        FileKind::Archive => "M4 4h16v4H4zM5 8h14v12H5zM10 12h4",
        FileKind::Other => CLIP_ICON,
    }
}

async fn files_cache() -> Option<web_sys::Cache> {
    let caches = web_sys::window()?.caches().ok()?;
    JsFuture::from(caches.open(CACHE)).await.ok()?.dyn_into().ok()
}

/// Keeps `blob` on this device as file `hash`, as the relay would answer for it.
async fn keep(
    workspace: WorkspaceId,
    hash: &str,
    blob: &web_sys::Blob,
    content_type: &str,
) -> Result<(), FileError> {
    let locale = crate::locale::current();
    let full = || said(td_string!(locale, files.device_full));
    let cache = files_cache().await.ok_or_else(full)?;
    let headers = web_sys::Headers::new().map_err(|_| full())?;
    let kind = if content_type.is_empty() { "application/octet-stream" } else { content_type };
    headers.set("content-type", kind).map_err(|_| full())?;
    let init = web_sys::ResponseInit::new();
    init.set_status(200);
    init.set_headers(&headers);
    let response =
        web_sys::Response::new_with_opt_blob_and_init(Some(blob), &init).map_err(|_| full())?;
    let path = attachments::file_path(workspace, hash);
    JsFuture::from(cache.put_with_str(&path, &response)).await.map_err(|_| full())?;
    Ok(())
}

/// File `path`'s bytes if this device keeps them.
async fn cached(path: &str) -> Option<web_sys::Blob> {
    let cache = files_cache().await?;
    let found = JsFuture::from(cache.match_with_str(path)).await.ok()?;
    let response: web_sys::Response = found.dyn_into().ok()?;
    JsFuture::from(response.blob().ok()?).await.ok()?.dyn_into().ok()
}

async fn blob_bytes(blob: &web_sys::Blob) -> Option<Vec<u8>> {
    let buffer = JsFuture::from(blob.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A small JPEG of image `file` and its bytes; `None` when the browser cannot draw it (HEIC, a
/// damaged file).
async fn thumbnail_of(file: &web_sys::File) -> Option<(web_sys::Blob, Vec<u8>)> {
    let window = web_sys::window()?;
    let bitmap: web_sys::ImageBitmap =
        JsFuture::from(window.create_image_bitmap_with_blob(file).ok()?)
            .await
            .ok()?
            .dyn_into()
            .ok()?;
    let (width, height) = attachments::thumbnail_size(bitmap.width(), bitmap.height());
    let canvas: web_sys::HtmlCanvasElement =
        window.document()?.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(width);
    canvas.set_height(height);
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(
            &bitmap,
            0.0,
            0.0,
            f64::from(width),
            f64::from(height),
        )
        .ok()?;
    bitmap.close();
    let made = js_sys::Promise::new(&mut |resolve, _reject| {
        let done = wasm_bindgen::closure::Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        let _ = canvas.to_blob_with_type_and_encoder_options(
            done.unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(0.8),
        );
    });
    let blob: web_sys::Blob = JsFuture::from(made).await.ok()?.dyn_into().ok()?;
    let bytes = blob_bytes(&blob).await?;
    Some((blob, bytes))
}
