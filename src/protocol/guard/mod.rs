//! The guard in front of `kafka-protocol`'s decoders for everything that comes off the network:
//! requests to the broker and responses to the native client. `kafka-protocol` 0.18 reads an
//! array's count and calls `Vec::with_capacity(count)` before decoding any element, so a request
//! of ten bytes claiming 2^31 topics makes the allocator fail, and an allocation failure aborts
//! the process (unlike a panic, it cannot be caught). Upstream fixes are not released.
//!
//! So before any body reaches `kafka-protocol`, [`check_request`] or [`check_response`] walks it
//! by the layout `kafka-protocol` decodes at that API and version (`messages/`, transcribed from
//! its generated decoders) and refuses any count larger than the bytes left, any length past
//! the end and any leftover bytes (`shape`, shared with the quorum codec). A body that passes
//! has every count it claims backed by elements actually present. A refusal is an ordinary
//! decode error for the caller: the broker closes that one connection, the client's request
//! fails with `ClientError::Decode`.
//!
//! Request and response headers need no walk: they hold no array, and their strings and tagged
//! fields are taken with bounds-checked slicing (`guard/tests/header.rs` pins this).
//!
//! Record batches inside Produce and Fetch bodies are opaque bytes here; the broker walks them
//! itself (`storage/records.rs`, which never allocates from `records_count`).

mod messages;
pub mod shape;

#[cfg(test)]
mod tests;

use std::fmt;

use kafka_protocol::messages::ApiKey;

pub use messages::shapes;
use shape::{MessageShape, ShapeError};

/// Why a body was refused before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardError {
    /// No layout is known for this API and version, so its counts cannot be checked.
    UnknownMessage { api_key: ApiKey, api_version: i16 },
    /// The body's layout is impossible or its counts dishonest.
    Shape {
        api_key: ApiKey,
        api_version: i16,
        error: ShapeError,
    },
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuardError::UnknownMessage {
                api_key,
                api_version,
            } => write!(f, "{api_key:?} v{api_version}: no known layout"),
            GuardError::Shape {
                api_key,
                api_version,
                error,
            } => write!(f, "{api_key:?} v{api_version}: {error}"),
        }
    }
}

impl std::error::Error for GuardError {}

/// Checks a request body (after its header) before `kafka-protocol` decodes it.
pub fn check_request(api_key: ApiKey, api_version: i16, body: &[u8]) -> Result<(), GuardError> {
    check(
        api_key,
        api_version,
        shapes(api_key).map(|(request, _)| request),
        body,
    )
}

/// Checks a response body (after its header) before `kafka-protocol` decodes it.
pub fn check_response(api_key: ApiKey, api_version: i16, body: &[u8]) -> Result<(), GuardError> {
    check(
        api_key,
        api_version,
        shapes(api_key).map(|(_, response)| response),
        body,
    )
}

fn check(
    api_key: ApiKey,
    api_version: i16,
    message: Option<&MessageShape>,
    body: &[u8],
) -> Result<(), GuardError> {
    let unknown = GuardError::UnknownMessage {
        api_key,
        api_version,
    };
    let message = message.ok_or(unknown)?;
    let encoding = message.encoding(api_version).ok_or(unknown)?;
    shape::check(&message.body, encoding, body).map_err(|error| GuardError::Shape {
        api_key,
        api_version,
        error,
    })
}
