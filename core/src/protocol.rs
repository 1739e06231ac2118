//! The automerge-repo websocket protocol, version 1: the messages the relay and every client exchange,
//! and their CBOR encoding (a map with text keys and a `type` field, as the JavaScript
//! `@automerge/automerge-repo-network-websocket` writes them).
//!
//! Decoding is strict about what matters and lenient about the rest: a frame larger than
//! [`MAX_FRAME_BYTES`], nested deeper than [`MAX_NESTING`], of an unknown `type`, missing a required field
//! or carrying a malformed document id is an error naming the problem; unknown extra fields are ignored, so
//! newer peers can add some. Nothing here panics on input (a property test feeds it arbitrary bytes).
//!
//! A frame is decoded straight into the fields a message has, never into a tree of CBOR values first:
//! a tree costs tens of bytes per item, so a 16 MB frame of tiny items would have cost the relay
//! hundreds of megabytes before it could refuse it. Unknown fields are skipped without being kept,
//! every text is at most [`MAX_TEXT_BYTES`] and every list at most [`MAX_LIST_ITEMS`] long.

use std::collections::BTreeMap;

use ciborium::value::Value;

use crate::layout::DocumentId;

/// The only protocol version this code speaks.
pub const PROTOCOL_VERSION: &str = "1";

/// The largest frame accepted. A sync message carrying a whole 10,000-party shard is about 40 KB and a
/// first sync of a large interaction month under 1 MB; 16 MB leaves room without letting one peer make the
/// relay buffer arbitrary amounts.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// How deeply CBOR values may nest. Protocol messages nest three levels (`newHeads`); this bounds the
/// decoder's recursion on hostile input.
pub const MAX_NESTING: usize = 16;

/// The longest text field accepted (peer, session and storage ids, versions, error messages).
pub const MAX_TEXT_BYTES: usize = 1024;

/// The most items of a list or map field (protocol versions, subscriptions, gossiped heads).
pub const MAX_LIST_ITEMS: usize = 1024;

/// A peer's id: opaque text chosen by the peer (automerge-repo uses random base64).
pub type PeerId = String;

/// What a peer says about itself when connecting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    /// The peer's storage id, if it keeps data across connections.
    pub storage_id: Option<String>,
    /// Whether the peer expects to come back with the same storage id.
    pub is_ephemeral: bool,
}

/// The heads some storage has of a document, as gossiped in `remote-heads-changed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHeads {
    /// Change hashes as automerge-repo 2 writes them: base58check ([`encode_heads`]).
    pub heads: Vec<String>,
    /// Milliseconds since the Unix epoch on the peer that first sent them.
    pub timestamp: u64,
}

/// Who sent an ephemeral message, as the relay knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderAccount {
    pub id: i64,
    pub name: String,
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A connecting peer introduces itself (first message of a connection).
    Join {
        sender_id: PeerId,
        supported_protocol_versions: Vec<String>,
        metadata: Option<PeerMetadata>,
    },
    /// The accepting peer answers a join.
    Peer {
        sender_id: PeerId,
        target_id: PeerId,
        selected_protocol_version: String,
        metadata: Option<PeerMetadata>,
    },
    /// The sender is about to disconnect.
    Leave { sender_id: PeerId },
    /// Begin syncing a document; answered by `doc-unavailable` if the target has no such document.
    Request { sender_id: PeerId, target_id: PeerId, document_id: DocumentId, data: Vec<u8> },
    /// An Automerge sync message about a document.
    Sync { sender_id: PeerId, target_id: PeerId, document_id: DocumentId, data: Vec<u8> },
    /// The sender does not have the document (or may not tell whether it exists).
    DocUnavailable { sender_id: PeerId, target_id: PeerId, document_id: DocumentId },
    /// Data that is not stored: presence, cursors.
    Ephemeral {
        sender_id: PeerId,
        target_id: PeerId,
        count: u64,
        session_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
        /// The account that sent it, stamped by the relay (`rapportAccount` on the wire): receivers
        /// trust this, never a name inside `data`. Absent from peers' own messages.
        sender_account: Option<SenderAccount>,
    },
    /// A protocol error; the connection closes after it.
    Error { message: String },
    /// Change the set of storage ids whose heads the sender wants to hear about.
    RemoteSubscriptionChange {
        sender_id: PeerId,
        target_id: PeerId,
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// Heads of a document at some storage changed.
    RemoteHeadsChanged {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: DocumentId,
        new_heads: BTreeMap<String, RemoteHeads>,
    },
}

/// Why bytes are not a protocol message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("frame of {0} bytes is larger than the {MAX_FRAME_BYTES} allowed")]
    TooLarge(usize),
    #[error("not valid CBOR: {0}")]
    Cbor(String),
    #[error("a message must be a CBOR map")]
    NotAMap,
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("message field {0:?} is missing or of the wrong type")]
    Field(&'static str),
    #[error("not a document id: {0:?}")]
    DocumentId(String),
    #[error("{0} bytes left after the message")]
    TrailingBytes(usize),
}

impl Message {
    /// The message's `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Leave { .. } => "leave",
            Message::Request { .. } => "request",
            Message::Sync { .. } => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
            Message::Error { .. } => "error",
            Message::RemoteSubscriptionChange { .. } => "remote-subscription-change",
            Message::RemoteHeadsChanged { .. } => "remote-heads-changed",
        }
    }

    /// The document the message is about, if any: what authorisation checks.
    pub fn document_id(&self) -> Option<DocumentId> {
        match self {
            Message::Request { document_id, .. }
            | Message::Sync { document_id, .. }
            | Message::DocUnavailable { document_id, .. }
            | Message::Ephemeral { document_id, .. }
            | Message::RemoteHeadsChanged { document_id, .. } => Some(*document_id),
            _ => None,
        }
    }

    /// The CBOR bytes of this message.
    pub fn encode(&self) -> Vec<u8> {
        let mut fields = vec![("type", text(self.kind()))];
        match self {
            Message::Join { sender_id, supported_protocol_versions, metadata } => {
                fields.push(("senderId", text(sender_id)));
                fields.push(("supportedProtocolVersions", texts(supported_protocol_versions)));
                if let Some(metadata) = metadata {
                    fields.push(("peerMetadata", encode_metadata(metadata)));
                }
            }
            Message::Peer { sender_id, target_id, selected_protocol_version, metadata } => {
                fields.push(("senderId", text(sender_id)));
                fields.push(("targetId", text(target_id)));
                fields.push(("selectedProtocolVersion", text(selected_protocol_version)));
                if let Some(metadata) = metadata {
                    fields.push(("peerMetadata", encode_metadata(metadata)));
                }
            }
            Message::Leave { sender_id } => fields.push(("senderId", text(sender_id))),
            Message::Request { sender_id, target_id, document_id, data }
            | Message::Sync { sender_id, target_id, document_id, data } => {
                fields.push(("senderId", text(sender_id)));
                fields.push(("targetId", text(target_id)));
                fields.push(("documentId", text(&document_id.to_string())));
                fields.push(("data", Value::Bytes(data.clone())));
            }
            Message::DocUnavailable { sender_id, target_id, document_id } => {
                fields.push(("senderId", text(sender_id)));
                fields.push(("targetId", text(target_id)));
                fields.push(("documentId", text(&document_id.to_string())));
            }
            Message::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data,
                sender_account,
            } => {
                fields.push(("senderId", text(sender_id)));
                fields.push(("targetId", text(target_id)));
                fields.push(("count", Value::Integer((*count).into())));
                fields.push(("sessionId", text(session_id)));
                fields.push(("documentId", text(&document_id.to_string())));
                fields.push(("data", Value::Bytes(data.clone())));
                if let Some(account) = sender_account {
                    let account = Value::Map(vec![
                        (text("id"), Value::Integer(account.id.into())),
                        (text("name"), text(&account.name)),
                    ]);
                    fields.push(("rapportAccount", account));
                }
            }
            Message::Error { message } => fields.push(("message", text(message))),
            Message::RemoteSubscriptionChange { sender_id, target_id, add, remove } => {
                fields.push(("senderId", text(sender_id)));
                fields.push(("targetId", text(target_id)));
                fields.push(("add", texts(add)));
                fields.push(("remove", texts(remove)));
            }
            Message::RemoteHeadsChanged { sender_id, target_id, document_id, new_heads } => {
                fields.push(("senderId", text(sender_id)));
                fields.push(("targetId", text(target_id)));
                fields.push(("documentId", text(&document_id.to_string())));
                let heads = new_heads
                    .iter()
                    .map(|(storage, heads)| {
                        let entry = Value::Map(vec![
                            (text("heads"), texts(&heads.heads)),
                            (text("timestamp"), Value::Integer(heads.timestamp.into())),
                        ]);
                        (text(storage), entry)
                    })
                    .collect();
                fields.push(("newHeads", Value::Map(heads)));
            }
        }
        let map = Value::Map(fields.into_iter().map(|(key, value)| (text(key), value)).collect());
        let mut bytes = Vec::new();
        // Writing into a Vec cannot fail, and every value above is encodable.
        ciborium::ser::into_writer(&map, &mut bytes).expect("CBOR encoding into memory");
        bytes
    }

    /// Reads one message from a whole frame.
    pub fn decode(frame: &[u8]) -> Result<Message, ProtocolError> {
        if frame.len() > MAX_FRAME_BYTES {
            return Err(ProtocolError::TooLarge(frame.len()));
        }
        // CBOR major type 5 is a map; a number, text, bytes, array or tag is not a message (checked
        // first so that it is named as such rather than as a type error deep in the decoder). Major
        // type 7 (simple values, floats, and bytes that start nothing) is left to the decoder.
        if frame.first().is_some_and(|first| matches!(first >> 5, 0..=4 | 6)) {
            return Err(ProtocolError::NotAMap);
        }
        let mut reader = frame;
        let wire: wire::Fields =
            ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_NESTING)
                .map_err(|error| ProtocolError::Cbor(error.to_string()))?;
        if !reader.is_empty() {
            return Err(ProtocolError::TrailingBytes(reader.len()));
        }
        wire.into_message()
    }
}

/// The wire form of a message: every field any message has, each optional, decoded with bounds.
mod wire {
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

    use super::{
        MAX_LIST_ITEMS, MAX_TEXT_BYTES, Message, PeerMetadata, ProtocolError, RemoteHeads,
        SenderAccount,
    };
    use crate::layout::DocumentId;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub(super) struct Fields {
        #[serde(rename = "type")]
        kind: Option<Text>,
        #[serde(rename = "senderId")]
        sender_id: Option<Text>,
        #[serde(rename = "targetId")]
        target_id: Option<Text>,
        #[serde(rename = "documentId")]
        document_id: Option<Text>,
        data: Option<Bytes>,
        count: Option<u64>,
        #[serde(rename = "sessionId")]
        session_id: Option<Text>,
        message: Option<Text>,
        #[serde(rename = "supportedProtocolVersions")]
        supported_protocol_versions: Option<Texts>,
        #[serde(rename = "selectedProtocolVersion")]
        selected_protocol_version: Option<Text>,
        /// As the JavaScript adapter sends it; the protocol's text calls it `metadata`.
        #[serde(rename = "peerMetadata")]
        peer_metadata: Option<Metadata>,
        metadata: Option<Metadata>,
        add: Option<Texts>,
        remove: Option<Texts>,
        #[serde(rename = "newHeads")]
        new_heads: Option<Heads>,
        #[serde(rename = "rapportAccount")]
        rapport_account: Option<Account>,
    }

    impl Fields {
        pub(super) fn into_message(self) -> Result<Message, ProtocolError> {
            let kind = self.kind.clone().ok_or(ProtocolError::Field("type"))?.0;
            let message = match kind.as_str() {
                "join" => Message::Join {
                    sender_id: self.sender_id()?,
                    supported_protocol_versions: self
                        .supported_protocol_versions
                        .ok_or(ProtocolError::Field("supportedProtocolVersions"))?
                        .0,
                    metadata: self.peer_metadata.or(self.metadata).map(Metadata::into_metadata),
                },
                "peer" => Message::Peer {
                    sender_id: self.sender_id()?,
                    target_id: self.target_id()?,
                    selected_protocol_version: self
                        .selected_protocol_version
                        .ok_or(ProtocolError::Field("selectedProtocolVersion"))?
                        .0,
                    metadata: self.peer_metadata.or(self.metadata).map(Metadata::into_metadata),
                },
                "leave" => Message::Leave { sender_id: self.sender_id()? },
                "request" => Message::Request {
                    sender_id: self.sender_id()?,
                    target_id: self.target_id()?,
                    document_id: self.document_id()?,
                    data: self.data.ok_or(ProtocolError::Field("data"))?.0,
                },
                "sync" => Message::Sync {
                    sender_id: self.sender_id()?,
                    target_id: self.target_id()?,
                    document_id: self.document_id()?,
                    data: self.data.ok_or(ProtocolError::Field("data"))?.0,
                },
                "doc-unavailable" => Message::DocUnavailable {
                    sender_id: self.sender_id()?,
                    target_id: self.target_id()?,
                    document_id: self.document_id()?,
                },
                "ephemeral" => Message::Ephemeral {
                    sender_id: self.sender_id()?,
                    target_id: self.target_id()?,
                    count: self.count.ok_or(ProtocolError::Field("count"))?,
                    session_id: self.session_id.clone().ok_or(ProtocolError::Field("sessionId"))?.0,
                    document_id: self.document_id()?,
                    sender_account: self
                        .rapport_account
                        .clone()
                        .map(|a| SenderAccount { id: a.id, name: a.name.0 }),
                    data: self.data.ok_or(ProtocolError::Field("data"))?.0,
                },
                "error" => Message::Error {
                    message: self.message.ok_or(ProtocolError::Field("message"))?.0,
                },
                "remote-subscription-change" => Message::RemoteSubscriptionChange {
                    sender_id: self.sender_id()?,
                    target_id: self.target_id()?,
                    add: self.add.unwrap_or_default().0,
                    remove: self.remove.unwrap_or_default().0,
                },
                "remote-heads-changed" => Message::RemoteHeadsChanged {
                    sender_id: self.sender_id()?,
                    target_id: self.target_id()?,
                    document_id: self.document_id()?,
                    new_heads: self.new_heads.ok_or(ProtocolError::Field("newHeads"))?.0,
                },
                _ => return Err(ProtocolError::UnknownType(kind)),
            };
            Ok(message)
        }

        fn sender_id(&self) -> Result<String, ProtocolError> {
            Ok(self.sender_id.clone().ok_or(ProtocolError::Field("senderId"))?.0)
        }

        fn target_id(&self) -> Result<String, ProtocolError> {
            Ok(self.target_id.clone().ok_or(ProtocolError::Field("targetId"))?.0)
        }

        fn document_id(&self) -> Result<DocumentId, ProtocolError> {
            let text = self.document_id.clone().ok_or(ProtocolError::Field("documentId"))?.0;
            text.parse().map_err(|_| ProtocolError::DocumentId(text))
        }
    }

    #[derive(Debug, Clone, Deserialize)]
    struct Metadata {
        #[serde(rename = "storageId", default)]
        storage_id: Option<Text>,
        #[serde(rename = "isEphemeral", default)]
        is_ephemeral: Option<bool>,
    }

    impl Metadata {
        fn into_metadata(self) -> PeerMetadata {
            PeerMetadata {
                storage_id: self.storage_id.map(|id| id.0),
                is_ephemeral: self.is_ephemeral.unwrap_or(false),
            }
        }
    }

    #[derive(Debug, Clone, Deserialize)]
    struct Account {
        id: i64,
        name: Text,
    }

    #[derive(Debug, Clone, Deserialize)]
    struct HeadsEntry {
        heads: Texts,
        timestamp: u64,
    }

    /// Text of at most [`MAX_TEXT_BYTES`].
    #[derive(Debug, Clone, Default)]
    struct Text(String);

    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
            struct Bounded;
            impl Visitor<'_> for Bounded {
                type Value = Text;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    write!(f, "a text of at most {MAX_TEXT_BYTES} bytes")
                }
                fn visit_str<E: de::Error>(self, text: &str) -> Result<Text, E> {
                    if text.len() > MAX_TEXT_BYTES {
                        return Err(E::invalid_length(text.len(), &self));
                    }
                    Ok(Text(text.to_owned()))
                }
            }
            deserializer.deserialize_str(Bounded)
        }
    }

    /// A byte string (CBOR major type 2).
    #[derive(Debug, Default)]
    struct Bytes(Vec<u8>);

    impl<'de> Deserialize<'de> for Bytes {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
            struct Binary;
            impl Visitor<'_> for Binary {
                type Value = Bytes;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a byte string")
                }
                fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Bytes, E> {
                    Ok(Bytes(bytes.to_vec()))
                }
                fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Bytes, E> {
                    Ok(Bytes(bytes))
                }
            }
            deserializer.deserialize_byte_buf(Binary)
        }
    }

    /// A list of at most [`MAX_LIST_ITEMS`] texts; `null` reads as none.
    #[derive(Debug, Clone, Default)]
    struct Texts(Vec<String>);

    impl<'de> Deserialize<'de> for Texts {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Texts, D::Error> {
            struct List;
            impl<'de> Visitor<'de> for List {
                type Value = Texts;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    write!(f, "a list of at most {MAX_LIST_ITEMS} texts")
                }
                fn visit_unit<E: de::Error>(self) -> Result<Texts, E> {
                    Ok(Texts::default())
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Texts, A::Error> {
                    let mut items = Vec::new();
                    while let Some(Text(item)) = seq.next_element()? {
                        if items.len() == MAX_LIST_ITEMS {
                            return Err(de::Error::invalid_length(items.len() + 1, &self));
                        }
                        items.push(item);
                    }
                    Ok(Texts(items))
                }
            }
            deserializer.deserialize_any(List)
        }
    }

    /// `newHeads`: storage id → heads, at most [`MAX_LIST_ITEMS`] storages.
    #[derive(Debug, Default)]
    struct Heads(BTreeMap<String, RemoteHeads>);

    impl<'de> Deserialize<'de> for Heads {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Heads, D::Error> {
            struct Storages;
            impl<'de> Visitor<'de> for Storages {
                type Value = Heads;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    write!(f, "a map of at most {MAX_LIST_ITEMS} storage ids to heads")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Heads, A::Error> {
                    let mut heads = BTreeMap::new();
                    while let Some((Text(storage), entry)) = map.next_entry::<Text, HeadsEntry>()? {
                        if heads.len() == MAX_LIST_ITEMS {
                            return Err(de::Error::invalid_length(heads.len() + 1, &self));
                        }
                        let entry =
                            RemoteHeads { heads: entry.heads.0, timestamp: entry.timestamp };
                        heads.insert(storage, entry);
                    }
                    Ok(Heads(heads))
                }
            }
            deserializer.deserialize_map(Storages)
        }
    }
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn texts(values: &[String]) -> Value {
    Value::Array(values.iter().map(|v| text(v)).collect())
}

fn encode_metadata(metadata: &PeerMetadata) -> Value {
    let mut entries = Vec::new();
    if let Some(storage_id) = &metadata.storage_id {
        entries.push((text("storageId"), text(storage_id)));
    }
    entries.push((text("isEphemeral"), Value::Bool(metadata.is_ephemeral)));
    Value::Map(entries)
}

/// Heads as automerge-repo 2 writes them in `remote-heads-changed` (its `encodeHeads`): each change hash
/// in base58check.
pub fn encode_heads(heads: &[automerge::ChangeHash]) -> Vec<String> {
    heads.iter().map(|hash| bs58::encode(hash.0).with_check().into_string()).collect()
}

/// The most bytes of Automerge sync data one frame carries; the envelope (type, ids) takes far less
/// than the rest of [`MAX_FRAME_BYTES`].
pub const MAX_SYNC_DATA_BYTES: usize = MAX_FRAME_BYTES - 64 * 1024;

/// `message` encoded as one sync message, or as several of at most `most` bytes each when it is larger
/// (a peer catching up on a large document by single changes): each part carries the same heads, needs
/// and haves and a share of the changes, in order, so applying the parts one after another is applying
/// the whole. A single change chunk larger than `most` travels alone (the relay keeps documents small
/// enough that a whole one fits a frame, `Limits::document_bytes`).
pub fn encode_sync_message_in_parts(
    message: automerge::sync::Message,
    most: usize,
) -> Vec<Vec<u8>> {
    let whole = message.clone().encode();
    if whole.len() <= most || message.changes.len() < 2 {
        return vec![whole];
    }
    let empty = automerge::sync::Message {
        changes: automerge::sync::ChunkList::empty(),
        ..message.clone()
    };
    let overhead = empty.encode().len();
    let mut parts = Vec::new();
    let mut part: Vec<Vec<u8>> = Vec::new();
    let mut size = overhead;
    for change in message.changes.iter() {
        // A length prefix of at most 10 bytes per change, and the count's.
        let adds = change.len() + 10;
        if !part.is_empty() && size + adds > most {
            parts.push(std::mem::take(&mut part));
            size = overhead;
        }
        size += adds;
        part.push(change.to_vec());
    }
    parts.push(part);
    parts
        .into_iter()
        .map(|changes| {
            automerge::sync::Message { changes: changes.into(), ..message.clone() }.encode()
        })
        .collect()
}

/// Why an Automerge sync message from a peer is refused.
#[derive(Debug, thiserror::Error)]
pub enum BadSyncMessage {
    #[error("not an Automerge sync message: {0}")]
    Decode(String),
    #[error("a bloom filter in the sync message is malformed")]
    Bloom,
    #[error("the sync message is malformed: {0}")]
    Shape(&'static str),
}

/// The most probes and bits per entry a bloom filter may declare. Automerge writes 7 and 10; the limits
/// only keep a peer from making the reader allocate or loop for nothing.
const MAX_BLOOM_PARAMETER: u64 = 64;

/// Decodes an Automerge sync message from a peer, refusing what Automerge 0.12 decodes but cannot use
/// safely: a bloom filter that declares entries but carries no bits (reading it takes a remainder by
/// zero, a panic — which in a release build, `panic = "abort"`, would end the whole relay), or absurd
/// probe and bit counts (an allocation per probe). Every peer's message goes through here, on the relay
/// and on devices.
pub fn decode_sync_message(data: &[u8]) -> Result<automerge::sync::Message, BadSyncMessage> {
    check_sync_message_shape(data)?;
    let message = automerge::sync::Message::decode(data)
        .map_err(|error| BadSyncMessage::Decode(error.to_string()))?;
    if message.have.iter().all(|have| bloom_is_usable(&have.bloom)) {
        Ok(message)
    } else {
        Err(BadSyncMessage::Bloom)
    }
}

/// The most "have" summaries a sync message may carry (Automerge sends one).
const MAX_HAVES: u64 = 64;
/// The smallest Automerge chunk: magic (4), checksum (4), type (1) and a length (1).
const MIN_CHUNK_BYTES: u64 = 10;

/// Walks a sync message's layout before Automerge decodes it: Automerge allocates for every "have"
/// and every change entry it reads, so a frame of millions of empty entries (one byte each) would
/// cost it tens of bytes of memory per byte received. Each change entry must be able to hold a
/// chunk, and a message carries at most [`MAX_HAVES`] haves. (Layout: version, heads, need, haves —
/// each hashes and a bloom filter —, changes, flags; counts and lengths are LEB128.)
fn check_sync_message_shape(data: &[u8]) -> Result<(), BadSyncMessage> {
    let short = || BadSyncMessage::Decode("the sync message ends early".into());
    let mut rest = data.get(1..).ok_or_else(short)?;
    let skip = |rest: &mut &[u8], bytes: u64| -> Result<(), BadSyncMessage> {
        let bytes = usize::try_from(bytes).map_err(|_| short())?;
        *rest = rest.get(bytes..).ok_or_else(short)?;
        Ok(())
    };
    let hashes = |rest: &mut &[u8]| -> Result<(), BadSyncMessage> {
        let count = read_leb128(rest).ok_or_else(short)?;
        skip(rest, count.saturating_mul(32))
    };
    hashes(&mut rest)?; // heads
    hashes(&mut rest)?; // need
    let haves = read_leb128(&mut rest).ok_or_else(short)?;
    if haves > MAX_HAVES {
        return Err(BadSyncMessage::Shape("too many haves"));
    }
    for _ in 0..haves {
        hashes(&mut rest)?;
        let bloom = read_leb128(&mut rest).ok_or_else(short)?;
        skip(&mut rest, bloom)?;
    }
    let changes = read_leb128(&mut rest).ok_or_else(short)?;
    for _ in 0..changes {
        let length = read_leb128(&mut rest).ok_or_else(short)?;
        if length < MIN_CHUNK_BYTES {
            return Err(BadSyncMessage::Shape("a change entry too small to hold a change"));
        }
        skip(&mut rest, length)?;
    }
    Ok(())
}

/// Whether Automerge can read `bloom` safely (see [`decode_sync_message`]).
pub fn bloom_is_usable(bloom: &automerge::sync::BloomFilter) -> bool {
    // `to_bytes` is the filter's wire form: nothing for an empty filter, else three LEB128 numbers
    // (entries, bits per entry, probes) and the bits.
    let bytes = bloom.to_bytes();
    if bytes.is_empty() {
        return true;
    }
    let mut rest = bytes.as_slice();
    let mut numbers = [0u64; 3];
    for number in &mut numbers {
        let Some(value) = read_leb128(&mut rest) else { return false };
        *number = value;
    }
    let [_entries, bits_per_entry, probes] = numbers;
    !rest.is_empty()
        && (1..=MAX_BLOOM_PARAMETER).contains(&probes)
        && bits_per_entry <= MAX_BLOOM_PARAMETER
}

pub(crate) fn read_leb128(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sync_message_with_a_bloom_filter_automerge_cannot_read_is_refused() {
        use automerge::sync::{self as am_sync, BloomFilter, Have};
        let with = |bloom: &[u8]| {
            am_sync::Message {
                heads: vec![],
                need: vec![],
                have: vec![Have {
                    last_sync: vec![],
                    bloom: BloomFilter::try_from(bloom).unwrap(),
                }],
                changes: am_sync::ChunkList::empty(),
                flags: None,
                version: am_sync::MessageVersion::V1,
            }
            .encode()
        };
        // Entries and no bits; absurd probe counts.
        assert!(matches!(decode_sync_message(&with(&[1, 0, 1])), Err(BadSyncMessage::Bloom)));
        assert!(matches!(
            decode_sync_message(&with(&[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0])),
            Err(BadSyncMessage::Bloom)
        ));
        // What Automerge itself writes passes: empty, and a real filter.
        assert!(decode_sync_message(&with(&[])).is_ok());
        let real = BloomFilter::from_hashes([automerge::ChangeHash([7; 32])].iter());
        assert!(decode_sync_message(&with(&real.to_bytes())).is_ok());
        assert!(matches!(decode_sync_message(b"nonsense"), Err(BadSyncMessage::Decode(_))));
    }

    #[test]
    fn a_sync_message_of_empty_entries_is_refused_before_automerge_allocates_for_them() {
        use automerge::sync::{self as am_sync, SyncDoc};
        use automerge::transaction::Transactable;
        // A real message passes.
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).unwrap();
        let real = doc.sync().generate_sync_message(&mut am_sync::State::new()).unwrap();
        let real = real.encode();
        assert!(decode_sync_message(&real).is_ok());
        // A million empty change entries: a megabyte that Automerge would make 24 MB of.
        let mut empties = vec![0x42, 0, 0, 0];
        let mut count = 1_000_000u64;
        loop {
            let byte = (count & 0x7f) as u8;
            count >>= 7;
            if count == 0 {
                empties.push(byte);
                break;
            }
            empties.push(byte | 0x80);
        }
        empties.extend(std::iter::repeat_n(0u8, 1_000_000));
        assert!(matches!(decode_sync_message(&empties), Err(BadSyncMessage::Shape(_))));
        // Thousands of haves, each with an empty bloom filter.
        let mut haves = vec![0x42, 0, 0, 0xd0, 0x0f];
        haves.extend(std::iter::repeat_n([0u8, 0u8], 2000).flatten());
        haves.push(0);
        assert!(matches!(decode_sync_message(&haves), Err(BadSyncMessage::Shape(_))));
        // Cut short anywhere: refused, never read past the end.
        for end in 0..real.len() {
            let _ = decode_sync_message(&real[..end]);
        }
    }

    #[test]
    fn a_sync_message_larger_than_a_frame_travels_in_parts_that_converge() {
        use automerge::sync::{self as am_sync, SyncDoc};
        use automerge::transaction::Transactable;
        use automerge::{AutoCommit, ROOT};
        let mut relay = AutoCommit::new();
        for n in 0..300 {
            relay.put(ROOT, format!("k{n}"), format!("value {n} ").repeat(30)).unwrap();
            relay.commit();
        }
        let mut device = AutoCommit::new();
        let (mut relay_state, mut device_state) = (am_sync::State::new(), am_sync::State::new());
        let most = 8 * 1024;
        let mut largest_parts = 0;
        for _round in 0..20 {
            let mut quiet = true;
            if let Some(message) = device.sync().generate_sync_message(&mut device_state) {
                quiet = false;
                // The device speaks protocol V1 (no flags): the relay sends changes one by one, not
                // its whole document in one chunk.
                let mut bytes = message.encode();
                let message = am_sync::Message::decode(&bytes).unwrap();
                let stripped =
                    am_sync::Message { flags: None, version: message.version, ..message };
                bytes = stripped.encode();
                relay
                    .sync()
                    .receive_sync_message(&mut relay_state, decode_sync_message(&bytes).unwrap())
                    .unwrap();
            }
            if let Some(message) = relay.sync().generate_sync_message(&mut relay_state) {
                quiet = false;
                let parts = encode_sync_message_in_parts(message, most);
                largest_parts = largest_parts.max(parts.len());
                for part in parts {
                    assert!(part.len() <= most, "a part of {} bytes", part.len());
                    let part = decode_sync_message(&part).unwrap();
                    device.sync().receive_sync_message(&mut device_state, part).unwrap();
                }
            }
            if quiet {
                break;
            }
        }
        assert!(largest_parts > 2, "the message was split ({largest_parts} parts)");
        assert_eq!(device.get_heads(), relay.get_heads());
        // A message that fits is one part, byte for byte the message.
        let mut small = AutoCommit::new();
        small.put(ROOT, "a", 1).unwrap();
        let message = small.sync().generate_sync_message(&mut am_sync::State::new()).unwrap();
        assert_eq!(encode_sync_message_in_parts(message.clone(), most), vec![message.encode()]);
    }

    use super::*;

    fn doc(n: u8) -> DocumentId {
        DocumentId([n; 16])
    }

    fn examples() -> Vec<Message> {
        let metadata = PeerMetadata { storage_id: Some("storage-1".into()), is_ephemeral: false };
        let mut new_heads = BTreeMap::new();
        new_heads.insert(
            "storage-1".into(),
            RemoteHeads { heads: vec!["ab".repeat(32)], timestamp: 1_790_000_000_000 },
        );
        vec![
            Message::Join {
                sender_id: "browser-a".into(),
                supported_protocol_versions: vec!["1".into()],
                metadata: Some(metadata.clone()),
            },
            Message::Join {
                sender_id: "anonymous".into(),
                supported_protocol_versions: vec!["1".into(), "2".into()],
                metadata: None,
            },
            Message::Peer {
                sender_id: "relay".into(),
                target_id: "browser-a".into(),
                selected_protocol_version: "1".into(),
                metadata: Some(PeerMetadata { storage_id: None, is_ephemeral: true }),
            },
            Message::Leave { sender_id: "browser-a".into() },
            Message::Request {
                sender_id: "a".into(),
                target_id: "relay".into(),
                document_id: doc(1),
                data: vec![0x42, 0, 1, 2],
            },
            Message::Sync {
                sender_id: "relay".into(),
                target_id: "a".into(),
                document_id: doc(2),
                data: vec![],
            },
            Message::DocUnavailable {
                sender_id: "relay".into(),
                target_id: "a".into(),
                document_id: doc(3),
            },
            Message::Ephemeral {
                sender_id: "a".into(),
                target_id: "b".into(),
                count: 7,
                session_id: "session".into(),
                document_id: doc(4),
                data: vec![0xa0],
                sender_account: None,
            },
            Message::Ephemeral {
                sender_id: "a".into(),
                target_id: "b".into(),
                count: 8,
                session_id: "session".into(),
                document_id: doc(4),
                data: vec![0xa0],
                sender_account: Some(SenderAccount { id: 12, name: "Olga".into() }),
            },
            Message::Error { message: "frame too large".into() },
            Message::RemoteSubscriptionChange {
                sender_id: "a".into(),
                target_id: "relay".into(),
                add: vec!["storage-1".into()],
                remove: vec![],
            },
            Message::RemoteHeadsChanged {
                sender_id: "relay".into(),
                target_id: "a".into(),
                document_id: doc(5),
                new_heads,
            },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for message in examples() {
            let bytes = message.encode();
            assert_eq!(Message::decode(&bytes), Ok(message.clone()), "{}", message.kind());
        }
    }

    /// A join as the JavaScript adapter writes it: its field order, `peerMetadata`, and an extra field
    /// this code does not know.
    #[test]
    fn a_javascript_join_with_unknown_fields_decodes() {
        let map = Value::Map(vec![
            (text("senderId"), text("peer-xyz")),
            (text("type"), text("join")),
            (text("peerMetadata"), Value::Map(vec![(text("isEphemeral"), Value::Bool(true))])),
            (text("supportedProtocolVersions"), Value::Array(vec![text("1")])),
            (text("futureField"), Value::Integer(3.into())),
        ]);
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&map, &mut bytes).unwrap();
        assert_eq!(
            Message::decode(&bytes),
            Ok(Message::Join {
                sender_id: "peer-xyz".into(),
                supported_protocol_versions: vec!["1".into()],
                metadata: Some(PeerMetadata { storage_id: None, is_ephemeral: true }),
            })
        );
    }

    #[test]
    fn texts_and_lists_over_their_caps_are_refused_and_unknown_bulk_is_skipped_unkept() {
        let encode = |value: Value| {
            let mut bytes = Vec::new();
            ciborium::ser::into_writer(&value, &mut bytes).unwrap();
            bytes
        };
        let leave = |sender: Value, extra: Vec<(Value, Value)>| {
            let mut fields = vec![(text("type"), text("leave")), (text("senderId"), sender)];
            fields.extend(extra);
            encode(Value::Map(fields))
        };
        let long = leave(text(&"x".repeat(MAX_TEXT_BYTES + 1)), vec![]);
        let Err(ProtocolError::Cbor(why)) = Message::decode(&long) else { panic!("accepted") };
        assert!(why.contains(&MAX_TEXT_BYTES.to_string()), "{why}");
        let longest = leave(text(&"x".repeat(MAX_TEXT_BYTES)), vec![]);
        assert!(Message::decode(&longest).is_ok());

        let many = (0..=MAX_LIST_ITEMS).map(|n| text(&n.to_string())).collect();
        let subscribe = encode(Value::Map(vec![
            (text("type"), text("remote-subscription-change")),
            (text("senderId"), text("a")),
            (text("targetId"), text("b")),
            (text("add"), Value::Array(many)),
        ]));
        let Err(ProtocolError::Cbor(why)) = Message::decode(&subscribe) else { panic!("accepted") };
        assert!(why.contains(&MAX_LIST_ITEMS.to_string()), "{why}");

        // A million tiny items in a field nobody knows: skipped as they are read, never kept (a value
        // tree of them would have cost the relay tens of megabytes for one frame).
        let bulk = Value::Array(vec![Value::Integer(0.into()); 1_000_000]);
        let padded = leave(text("a"), vec![(text("padding"), bulk)]);
        assert_eq!(Message::decode(&padded), Ok(Message::Leave { sender_id: "a".into() }));
    }

    #[test]
    fn bad_frames_are_named_errors() {
        let encode = |value: Value| {
            let mut bytes = Vec::new();
            ciborium::ser::into_writer(&value, &mut bytes).unwrap();
            bytes
        };
        assert!(matches!(Message::decode(&[0xff, 0x00]), Err(ProtocolError::Cbor(_))));
        assert_eq!(Message::decode(&encode(text("join"))), Err(ProtocolError::NotAMap));
        let unknown = encode(Value::Map(vec![(text("type"), text("teleport"))]));
        assert_eq!(Message::decode(&unknown), Err(ProtocolError::UnknownType("teleport".into())));
        let no_data = encode(Value::Map(vec![
            (text("type"), text("sync")),
            (text("senderId"), text("a")),
            (text("targetId"), text("b")),
            (text("documentId"), text(&doc(1).to_string())),
        ]));
        assert_eq!(Message::decode(&no_data), Err(ProtocolError::Field("data")));
        let bad_id = encode(Value::Map(vec![
            (text("type"), text("doc-unavailable")),
            (text("senderId"), text("a")),
            (text("targetId"), text("b")),
            (text("documentId"), text("not-base58check")),
        ]));
        assert_eq!(
            Message::decode(&bad_id),
            Err(ProtocolError::DocumentId("not-base58check".into()))
        );
        let mut trailing = Message::Leave { sender_id: "a".into() }.encode();
        trailing.push(0);
        assert_eq!(Message::decode(&trailing), Err(ProtocolError::TrailingBytes(1)));
        let huge = vec![0; MAX_FRAME_BYTES + 1];
        assert_eq!(Message::decode(&huge), Err(ProtocolError::TooLarge(MAX_FRAME_BYTES + 1)));
        // A declared length far beyond the frame allocates nothing: the frame simply ends too soon.
        let mut lying = vec![0xa1, 0x64, b't', b'y', b'p', b'e', 0x5b];
        lying.extend([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(Message::decode(&lying), Err(ProtocolError::Cbor(_))));
        // The same inside a field nobody knows, which is skipped as it is read.
        let mut lying_array = vec![0xa1, 0x61, b'x', 0x9b];
        lying_array.extend([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(Message::decode(&lying_array), Err(ProtocolError::Cbor(_))));
        assert_eq!(Message::decode(&[0x9b, 0x7f]), Err(ProtocolError::NotAMap));
        // Deep nesting is refused rather than recursed into.
        let mut deep = vec![0xa1, 0x61, b'x'];
        deep.extend([0x81; 10_000]);
        deep.push(0x00);
        assert!(matches!(Message::decode(&deep), Err(ProtocolError::Cbor(_))));
    }
}
