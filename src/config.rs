//! Broker configuration, with Kafka's key names.
