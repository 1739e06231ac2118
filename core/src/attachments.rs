//! Attachments on a device, sans IO. A file is named by the SHA-256 of its bytes: the record keeps that
//! name ([`crate::model::Attachment`]), the relay stores and serves the bytes under it, and the device
//! keeps the bytes it has (added here, or opened once) under the same address the relay serves them at,
//! so a page shows a file the same way online, offline and before the relay has it.
//!
//! [`Uploads`] is what a device still owes the relay: every file attached here, until the relay says it
//! holds it. It decides what each of the relay's answers means; the browser's driver stores the list
//! and does the fetching.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::WorkspaceId;
use crate::outbox::Handover;

/// A file the relay has not said how large may be (its default, `--max-file-mb 25`).
pub const DEFAULT_MOST_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// The longest side of an image's thumbnail, in pixels: sharp at twice the record page's 120 px tiles.
pub const THUMBNAIL_PX: u32 = 240;

/// The hex SHA-256 of `bytes`: a file's name everywhere.
pub fn file_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `text` can name a file (64 lowercase hex digits, as the relay accepts).
pub fn is_file_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where the relay serves file `hash` of `workspace` — and where a device keeps its copy.
pub fn file_path(workspace: WorkspaceId, hash: &str) -> String {
    format!("/api/workspaces/{workspace}/files/{hash}")
}

/// A thumbnail's size for an image of `width` × `height`: the longest side [`THUMBNAIL_PX`], the
/// proportions kept, never larger than the image, never zero.
pub fn thumbnail_size(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height).max(1);
    if longest <= THUMBNAIL_PX {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(THUMBNAIL_PX) + u64::from(longest) / 2)
            / u64::from(longest);
        (scaled as u32).max(1)
    };
    (scale(width), scale(height))
}

/// Images a browser draws, so a thumbnail can be made of them.
pub fn has_thumbnail(content_type: &str) -> bool {
    matches!(content_type, "image/jpeg" | "image/png" | "image/webp" | "image/gif" | "image/avif")
}

/// The file a record page shows as `file`'s preview: its thumbnail, or — for an image that has none
/// (one a mail brought: no device made one) and is small enough to fetch whole — the image itself.
pub fn preview(hash: &str, file: &crate::model::Attachment) -> Option<String> {
    const MOST_PREVIEWED_WHOLE: u64 = 1024 * 1024;
    match &file.thumbnail {
        Some(thumbnail) => Some(thumbnail.clone()),
        None => (has_thumbnail(&file.content_type) && file.size <= MOST_PREVIEWED_WHOLE)
            .then(|| hash.to_owned()),
    }
    .filter(|preview| is_file_hash(preview))
}

/// What kind of file it is, for its icon and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Image,
    Pdf,
    Document,
    Spreadsheet,
    Presentation,
    Archive,
    Other,
}

impl FileKind {
    /// By its media type, else by its name's extension (a phone may say nothing of a file's type).
    pub fn of(content_type: &str, name: &str) -> FileKind {
        let extension =
            name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        if content_type.starts_with("image/") {
            return FileKind::Image;
        }
        match (content_type, extension.as_str()) {
            ("application/pdf", _) | (_, "pdf") => FileKind::Pdf,
            (_, "jpg" | "jpeg" | "png" | "gif" | "webp" | "heic" | "avif") => FileKind::Image,
            (_, "doc" | "docx" | "odt" | "rtf" | "txt" | "md") => FileKind::Document,
            (_, "xls" | "xlsx" | "ods" | "csv") => FileKind::Spreadsheet,
            (_, "ppt" | "pptx" | "odp" | "key") => FileKind::Presentation,
            (_, "zip" | "7z" | "rar" | "gz" | "tar") => FileKind::Archive,
            _ => FileKind::Other,
        }
    }
}

/// A file attached on this device that the relay does not hold yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub hash: String,
    pub content_type: String,
    pub size: u64,
}

/// Why the relay will not take a file, as it said it: its stable code (said in the screens' language)
/// and its own sentence (for a code this app does not know).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    pub code: Option<String>,
    pub text: String,
}

/// Where one of this device's files stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState<'a> {
    /// On this device only, to go to the relay when it can.
    Waiting,
    /// The relay refused it for good (too large, over the quota, a viewer): it stays on this device.
    Refused(&'a Refused),
}

/// The uploads a device owes the relay for one workspace, and the relay's limit as last heard.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Uploads {
    waiting: Vec<Upload>,
    #[serde(default)]
    refused: BTreeMap<String, Refused>,
    /// The largest file the relay takes, once it said.
    #[serde(default)]
    most_file: Option<u64>,
}

impl Uploads {
    /// Adds `upload` unless it is already owed; a file the relay refused before is tried again (the
    /// limit may have changed). Returns whether anything changed.
    pub fn add(&mut self, upload: Upload) -> bool {
        self.refused.remove(&upload.hash);
        if self.waiting.iter().any(|w| w.hash == upload.hash) {
            return false;
        }
        self.waiting.push(upload);
        true
    }

    /// Files to send, oldest first.
    pub fn waiting(&self) -> &[Upload] {
        &self.waiting
    }

    pub fn state(&self, hash: &str) -> Option<UploadState<'_>> {
        if let Some(refused) = self.refused.get(hash) {
            return Some(UploadState::Refused(refused));
        }
        self.waiting.iter().any(|w| w.hash == hash).then_some(UploadState::Waiting)
    }

    /// The largest file to attach: the relay's limit when it said one, else its default.
    pub fn most_file(&self) -> u64 {
        self.most_file.unwrap_or(DEFAULT_MOST_FILE_BYTES)
    }

    /// The relay said how large a file may be; returns whether that is news.
    pub fn set_most_file(&mut self, bytes: u64) -> bool {
        let news = self.most_file != Some(bytes);
        self.most_file = Some(bytes);
        news
    }

    /// The relay answered `status` with `body` to the upload of `hash`.
    pub fn uploaded(&mut self, hash: &str, status: u16, body: &str) -> Handover {
        let handover = match status {
            200 | 201 => {
                let held = serde_json::from_str::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| v.get("hash")?.as_str().map(|h| h == hash))
                    .unwrap_or(false);
                if held { Handover::Stored } else { Handover::Later }
            }
            // Too large, over the quota, a viewer, bytes that are not what the name says: the same
            // bytes sent again meet the same answer.
            400 | 403 | 413 => {
                let said = serde_json::from_str::<serde_json::Value>(body).ok();
                let field = |name: &str| {
                    said.as_ref().and_then(|v| v.get(name)?.as_str().map(str::to_owned))
                };
                let refused = Refused {
                    code: field("code"),
                    text: field("error").unwrap_or_else(|| format!("refused ({status})")),
                };
                let text = refused.text.clone();
                self.refused.insert(hash.to_owned(), refused);
                Handover::Refused(text)
            }
            _ => Handover::Later,
        };
        if handover != Handover::Later {
            self.waiting.retain(|w| w.hash != hash);
        }
        handover
    }

    /// File `hash` was erased: nothing to send, nothing refused to remember.
    pub fn forget(&mut self, hash: &str) -> bool {
        let before = (self.waiting.len(), self.refused.len());
        self.waiting.retain(|w| w.hash != hash);
        self.refused.remove(hash);
        before != (self.waiting.len(), self.refused.len())
    }

    /// The device no longer has the bytes of `hash` (its storage was cleared): nothing to send.
    pub fn lost(&mut self, hash: &str) {
        self.waiting.retain(|w| w.hash != hash);
        let text = "the file is no longer on this device".to_owned();
        self.refused.insert(hash.to_owned(), Refused { code: Some("file_lost".into()), text });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(hash: &str) -> Upload {
        Upload { hash: hash.into(), content_type: "application/pdf".into(), size: 10 }
    }

    #[test]
    fn a_file_is_named_by_the_sha256_of_its_bytes() {
        let hash = file_hash(b"abc");
        assert_eq!(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(is_file_hash(&hash));
        assert!(!is_file_hash(&hash.to_uppercase()));
        assert!(!is_file_hash(&hash[1..]));
        assert!(!is_file_hash("../etc/passwd"));
    }

    #[test]
    fn a_thumbnail_keeps_the_proportions_and_never_grows() {
        assert_eq!(thumbnail_size(4000, 3000), (240, 180));
        assert_eq!(thumbnail_size(3000, 4000), (180, 240));
        assert_eq!(thumbnail_size(100, 50), (100, 50));
        assert_eq!(thumbnail_size(10_000, 1), (240, 1));
        assert_eq!(thumbnail_size(0, 0), (1, 1));
    }

    #[test]
    fn a_kind_is_read_from_the_type_or_else_the_name() {
        assert_eq!(FileKind::of("image/heic", "IMG_1.HEIC"), FileKind::Image);
        assert_eq!(FileKind::of("", "Contract.PDF"), FileKind::Pdf);
        assert_eq!(FileKind::of("application/octet-stream", "budget.xlsx"), FileKind::Spreadsheet);
        assert_eq!(FileKind::of("", "README"), FileKind::Other);
    }

    #[test]
    fn a_file_is_owed_once_and_forgotten_when_the_relay_holds_it() {
        let mut uploads = Uploads::default();
        assert!(uploads.add(upload("a")));
        assert!(!uploads.add(upload("a")), "attached twice, sent once");
        assert!(uploads.add(upload("b")));
        assert_eq!(uploads.state("a"), Some(UploadState::Waiting));
        // Offline, a relay error, a signed-out device: later.
        assert_eq!(uploads.uploaded("a", 0, ""), Handover::Later);
        assert_eq!(
            uploads.uploaded("a", 503, r#"{"error":"x","code":"database"}"#),
            Handover::Later
        );
        assert_eq!(uploads.uploaded("a", 401, ""), Handover::Later);
        // An answer about another file does not settle this one.
        assert_eq!(uploads.uploaded("a", 201, r#"{"hash":"b"}"#), Handover::Later);
        assert_eq!(uploads.uploaded("a", 201, r#"{"hash":"a","size":10}"#), Handover::Stored);
        assert_eq!(uploads.state("a"), None);
        assert_eq!(uploads.uploaded("b", 200, r#"{"hash":"b"}"#), Handover::Stored);
        assert!(uploads.waiting().is_empty());
    }

    #[test]
    fn a_refused_file_stays_refused_with_the_relays_reason_until_attached_again() {
        let mut uploads = Uploads::default();
        uploads.add(upload("a"));
        let body = r#"{"error":"this workspace's files are over its quota","code":"files_quota"}"#;
        let handover = uploads.uploaded("a", 413, body);
        assert_eq!(handover, Handover::Refused("this workspace's files are over its quota".into()));
        let Some(UploadState::Refused(refused)) = uploads.state("a") else { panic!() };
        assert_eq!(refused.code.as_deref(), Some("files_quota"));
        assert!(uploads.waiting().is_empty());
        assert!(uploads.add(upload("a")), "attached again, tried again");
        assert_eq!(uploads.state("a"), Some(UploadState::Waiting));
        uploads.lost("a");
        assert!(matches!(uploads.state("a"), Some(UploadState::Refused(_))));
        assert!(uploads.waiting().is_empty());
    }

    #[test]
    fn the_largest_file_is_the_relays_once_it_said() {
        let mut uploads = Uploads::default();
        assert_eq!(uploads.most_file(), DEFAULT_MOST_FILE_BYTES);
        assert!(uploads.set_most_file(1_000));
        assert!(!uploads.set_most_file(1_000));
        assert_eq!(uploads.most_file(), 1_000);
        let kept: Uploads =
            serde_json::from_str(&serde_json::to_string(&uploads).unwrap()).unwrap();
        assert_eq!(kept, uploads);
    }

    #[test]
    fn an_image_without_a_thumbnail_is_its_own_preview_while_small() {
        let (hash, thumbnail) = ("a".repeat(64), "b".repeat(64));
        let mut file = crate::model::Attachment {
            name: "jam.png".into(),
            content_type: "image/png".into(),
            size: 5_000,
            ..Default::default()
        };
        assert_eq!(preview(&hash, &file), Some(hash.clone()));
        file.thumbnail = Some(thumbnail.clone());
        assert_eq!(preview(&hash, &file), Some(thumbnail));
        file.thumbnail = None;
        file.size = 5_000_000;
        assert_eq!(preview(&hash, &file), None, "too large to fetch for a tile");
        file.size = 5_000;
        file.content_type = "application/pdf".into();
        assert_eq!(preview(&hash, &file), None);
        file.thumbnail = Some("../../etc".into());
        assert_eq!(preview(&hash, &file), None, "only a file's name is fetched");
    }
}
