//! The Kafka wire protocol: framing, request and response headers, and the ApiVersions table.
