//! The Kafka wire protocol: size-prefixed frames, request headers and response encoding, on
//! top of the `kafka-protocol` crate's generated message codecs. Pure: bytes in, bytes out, no
//! IO, so abuse cases (garbage, truncated frames, unknown keys) are unit-testable as bytes.
//!
//! Decoding keeps "need more bytes" (a frame still arriving) apart from "invalid bytes" (close
//! the connection), as mini-redis does.

pub mod frame;
pub mod guard;
pub mod legacy_produce;
pub mod quorum;
pub mod request;
pub mod response;
pub mod splice;

pub use frame::{split_frame, FrameError};
pub use request::{decode_request_header, peek_request_ids, RequestError, RequestIds};
pub use response::{encode_response, frame_encoded_body, EncodeError, ResponseFrame};
