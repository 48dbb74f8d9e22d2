//! The broker's network server: the connection loop and one handler per Kafka API.
