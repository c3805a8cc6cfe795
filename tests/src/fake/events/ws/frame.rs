//! The long connection's protobuf (proto2) frame, the fake's own copy written from the
//! official SDKs' `pbbp2.proto` description, independent of the SDK's.

use prost::Message as _;

/// Frame method of control frames (ping, pong).
pub const METHOD_CONTROL: i32 = 0;
/// Frame method of data frames (events, card callbacks, their acks).
pub const METHOD_DATA: i32 = 1;

/// One header of a [`Frame`].
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct FrameHeader {
    /// Header name (`type`, `message_id`, `sum`, `seq`, `trace_id`, `biz_rt`, ...).
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// Header value.
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// One WebSocket binary message of the long connection.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Frame {
    /// Sequence id.
    #[prost(uint64, required, tag = "1")]
    pub seq_id: u64,
    /// Log id.
    #[prost(uint64, required, tag = "2")]
    pub log_id: u64,
    /// The `service_id` of the connection URL.
    #[prost(int32, required, tag = "3")]
    pub service: i32,
    /// [`METHOD_CONTROL`] or [`METHOD_DATA`].
    #[prost(int32, required, tag = "4")]
    pub method: i32,
    /// Headers, in order.
    #[prost(message, repeated, tag = "5")]
    pub headers: Vec<FrameHeader>,
    /// Payload encoding (unused by the platform's SDKs).
    #[prost(string, optional, tag = "6")]
    pub payload_encoding: Option<String>,
    /// Payload type (unused by the platform's SDKs).
    #[prost(string, optional, tag = "7")]
    pub payload_type: Option<String>,
    /// The payload: a JSON body for data frames, a ClientConfig JSON in a pong.
    #[prost(bytes = "vec", optional, tag = "8")]
    pub payload: Option<Vec<u8>>,
    /// String log id.
    #[prost(string, optional, tag = "9")]
    pub log_id_new: Option<String>,
}

impl Frame {
    /// A whole (unfragmented) data frame of `frame_type` (`event`, `card`) carrying
    /// `payload`, as the platform sends one: headers `type`, `message_id`, `sum` 1, `seq` 0.
    pub fn data(message_id: &str, frame_type: &str, payload: Vec<u8>) -> Frame {
        let mut frame = Frame {
            service: 1,
            method: METHOD_DATA,
            payload: Some(payload),
            ..Frame::default()
        };
        frame.push_header("type", frame_type);
        frame.push_header("message_id", message_id);
        frame.push_header("sum", "1");
        frame.push_header("seq", "0");
        frame
    }

    /// The value of the first header named `key`.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.key == key)
            .map(|h| h.value.as_str())
    }

    /// Appends a header.
    pub fn push_header(&mut self, key: &str, value: impl Into<String>) {
        self.headers.push(FrameHeader {
            key: key.to_owned(),
            value: value.into(),
        });
    }

    /// The encoded bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode_to_vec()
    }

    /// Decodes a frame; `None` if the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Frame> {
        Frame::decode(bytes).ok()
    }
}
