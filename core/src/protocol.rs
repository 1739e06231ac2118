//! The automerge-repo websocket protocol, version 1: the messages the relay and every client exchange,
//! and their CBOR encoding (a map with text keys and a `type` field, as the JavaScript
//! `@automerge/automerge-repo-network-websocket` writes them).
//!
//! Decoding is strict about what matters and lenient about the rest: a frame larger than
//! [`MAX_FRAME_BYTES`], nested deeper than [`MAX_NESTING`], of an unknown `type`, missing a required field
//! or carrying a malformed document id is an error naming the problem; unknown extra fields are ignored, so
//! newer peers can add some. Nothing here panics on input (a property test feeds it arbitrary bytes).

use std::collections::BTreeMap;

use ciborium::value::{Integer, Value};

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
            Message::Ephemeral { sender_id, target_id, count, session_id, document_id, data } => {
                fields.push(("senderId", text(sender_id)));
                fields.push(("targetId", text(target_id)));
                fields.push(("count", Value::Integer((*count).into())));
                fields.push(("sessionId", text(session_id)));
                fields.push(("documentId", text(&document_id.to_string())));
                fields.push(("data", Value::Bytes(data.clone())));
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
        let mut reader = frame;
        let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_NESTING)
            .map_err(|error| ProtocolError::Cbor(error.to_string()))?;
        if !reader.is_empty() {
            return Err(ProtocolError::TrailingBytes(reader.len()));
        }
        let Value::Map(entries) = value else { return Err(ProtocolError::NotAMap) };
        let fields = Fields(entries);
        let kind = fields.text("type")?;
        let message = match kind.as_str() {
            "join" => Message::Join {
                sender_id: fields.text("senderId")?,
                supported_protocol_versions: fields.texts("supportedProtocolVersions")?,
                metadata: fields.metadata()?,
            },
            "peer" => Message::Peer {
                sender_id: fields.text("senderId")?,
                target_id: fields.text("targetId")?,
                selected_protocol_version: fields.text("selectedProtocolVersion")?,
                metadata: fields.metadata()?,
            },
            "leave" => Message::Leave { sender_id: fields.text("senderId")? },
            "request" => Message::Request {
                sender_id: fields.text("senderId")?,
                target_id: fields.text("targetId")?,
                document_id: fields.document_id()?,
                data: fields.bytes("data")?,
            },
            "sync" => Message::Sync {
                sender_id: fields.text("senderId")?,
                target_id: fields.text("targetId")?,
                document_id: fields.document_id()?,
                data: fields.bytes("data")?,
            },
            "doc-unavailable" => Message::DocUnavailable {
                sender_id: fields.text("senderId")?,
                target_id: fields.text("targetId")?,
                document_id: fields.document_id()?,
            },
            "ephemeral" => Message::Ephemeral {
                sender_id: fields.text("senderId")?,
                target_id: fields.text("targetId")?,
                count: fields.uint("count")?,
                session_id: fields.text("sessionId")?,
                document_id: fields.document_id()?,
                data: fields.bytes("data")?,
            },
            "error" => Message::Error { message: fields.text("message")? },
            "remote-subscription-change" => Message::RemoteSubscriptionChange {
                sender_id: fields.text("senderId")?,
                target_id: fields.text("targetId")?,
                add: fields.optional_texts("add")?,
                remove: fields.optional_texts("remove")?,
            },
            "remote-heads-changed" => Message::RemoteHeadsChanged {
                sender_id: fields.text("senderId")?,
                target_id: fields.text("targetId")?,
                document_id: fields.document_id()?,
                new_heads: fields.new_heads()?,
            },
            _ => return Err(ProtocolError::UnknownType(kind)),
        };
        Ok(message)
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

/// A decoded CBOR map, read by field name.
struct Fields(Vec<(Value, Value)>);

impl Fields {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(key, _)| key.as_text() == Some(name)).map(|(_, value)| value)
    }

    fn text(&self, name: &'static str) -> Result<String, ProtocolError> {
        self.get(name).and_then(Value::as_text).map(str::to_owned).ok_or(ProtocolError::Field(name))
    }

    fn bytes(&self, name: &'static str) -> Result<Vec<u8>, ProtocolError> {
        self.get(name).and_then(Value::as_bytes).cloned().ok_or(ProtocolError::Field(name))
    }

    fn uint(&self, name: &'static str) -> Result<u64, ProtocolError> {
        self.get(name)
            .and_then(Value::as_integer)
            .and_then(|i: Integer| u64::try_from(i).ok())
            .ok_or(ProtocolError::Field(name))
    }

    fn texts(&self, name: &'static str) -> Result<Vec<String>, ProtocolError> {
        text_list(self.get(name)).ok_or(ProtocolError::Field(name))
    }

    fn optional_texts(&self, name: &'static str) -> Result<Vec<String>, ProtocolError> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            value => text_list(value).ok_or(ProtocolError::Field(name)),
        }
    }

    fn document_id(&self) -> Result<DocumentId, ProtocolError> {
        let text = self.text("documentId")?;
        text.parse().map_err(|_| ProtocolError::DocumentId(text))
    }

    /// `peerMetadata` as the JavaScript adapter sends it (the protocol's text calls it `metadata`).
    fn metadata(&self) -> Result<Option<PeerMetadata>, ProtocolError> {
        let value = match self.get("peerMetadata").or_else(|| self.get("metadata")) {
            None | Some(Value::Null) => return Ok(None),
            Some(value) => value,
        };
        let Value::Map(entries) = value else { return Err(ProtocolError::Field("peerMetadata")) };
        let fields = Fields(entries.clone());
        let storage_id = match fields.get("storageId") {
            None | Some(Value::Null) => None,
            Some(Value::Text(id)) => Some(id.clone()),
            Some(_) => return Err(ProtocolError::Field("storageId")),
        };
        let is_ephemeral = match fields.get("isEphemeral") {
            None => false,
            Some(value) => value.as_bool().ok_or(ProtocolError::Field("isEphemeral"))?,
        };
        Ok(Some(PeerMetadata { storage_id, is_ephemeral }))
    }

    fn new_heads(&self) -> Result<BTreeMap<String, RemoteHeads>, ProtocolError> {
        let Some(Value::Map(entries)) = self.get("newHeads") else {
            return Err(ProtocolError::Field("newHeads"));
        };
        let mut heads = BTreeMap::new();
        for (storage, entry) in entries {
            let storage = storage.as_text().ok_or(ProtocolError::Field("newHeads"))?;
            let Value::Map(inner) = entry else { return Err(ProtocolError::Field("newHeads")) };
            let inner = Fields(inner.clone());
            let entry =
                RemoteHeads { heads: inner.texts("heads")?, timestamp: inner.uint("timestamp")? };
            heads.insert(storage.to_owned(), entry);
        }
        Ok(heads)
    }
}

fn text_list(value: Option<&Value>) -> Option<Vec<String>> {
    value?.as_array()?.iter().map(|item| item.as_text().map(str::to_owned)).collect()
}

/// Heads as automerge-repo 2 writes them in `remote-heads-changed` (its `encodeHeads`): each change hash
/// in base58check.
pub fn encode_heads(heads: &[automerge::ChangeHash]) -> Vec<String> {
    heads.iter().map(|hash| bs58::encode(hash.0).with_check().into_string()).collect()
}

/// Why an Automerge sync message from a peer is refused.
#[derive(Debug, thiserror::Error)]
pub enum BadSyncMessage {
    #[error("not an Automerge sync message: {0}")]
    Decode(String),
    #[error("a bloom filter in the sync message is malformed")]
    Bloom,
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
    let message = automerge::sync::Message::decode(data)
        .map_err(|error| BadSyncMessage::Decode(error.to_string()))?;
    if message.have.iter().all(|have| bloom_is_usable(&have.bloom)) {
        Ok(message)
    } else {
        Err(BadSyncMessage::Bloom)
    }
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

fn read_leb128(bytes: &mut &[u8]) -> Option<u64> {
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
        let mut lying_array = vec![0x9b];
        lying_array.extend([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(Message::decode(&lying_array), Err(ProtocolError::Cbor(_))));
        // Deep nesting is refused rather than recursed into.
        let mut deep = vec![0x81; 10_000];
        deep.push(0x00);
        assert!(matches!(Message::decode(&deep), Err(ProtocolError::Cbor(_))));
    }
}
