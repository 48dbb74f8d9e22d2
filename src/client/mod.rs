//! The native Kafka client: admin calls, producer and consumer, on the runtime seam.
