//! The shapes in `guard/messages/` are transcribed from `kafka-protocol`'s decoders; here every
//! message of every API, in every version `kafka-protocol` decodes, is built with every field
//! filled in (two elements in every array, every nullable field set, every known tagged field
//! and an unknown one) and also left at its defaults, encoded by `kafka-protocol`, and the
//! walk must accept exactly those bytes and no strict prefix of them.

use super::fill::UNKNOWN_TAG;
use super::*;
use crate::client::connection::CLIENT_VERSIONS;
use crate::server::handlers::SUPPORTED_APIS;

fn context(api: &Api, direction: Direction, version: i16) -> String {
    format!("{:?} {direction:?} v{version}", api.key)
}

/// The count at `at` (`width` bytes): `int32`, or a compact varint (count + 1).
fn count_at(body: &[u8], at: usize, width: usize, flexible: bool) -> i64 {
    if !flexible {
        return i64::from(i32::from_be_bytes(body[at..at + 4].try_into().unwrap()));
    }
    let mut value = 0i64;
    for (i, byte) in body[at..at + width].iter().enumerate() {
        value |= i64::from(byte & 0x7f) << (7 * i);
    }
    value - 1
}

fn accepts(api: &Api, direction: Direction, version: i16, encoding: Encoding, body: &Bytes) {
    let at = context(api, direction, version);
    let shape = api.shape(direction);
    let seen: Seen =
        shape::seen(&shape.body, encoding, body).unwrap_or_else(|e| panic!("{at}: {e}"));
    assert_eq!(api.guard(direction, version, body), Ok(()), "{at}");
    let decode = api.codec(direction).decode;
    assert_eq!(
        decode(body.clone(), version),
        Some(0),
        "{at}: kafka-protocol disagrees"
    );
    for (tag, known) in &seen.tags {
        assert_eq!(*known, *tag != UNKNOWN_TAG as u32, "{at}: tag {tag}");
    }
    for len in 0..body.len() {
        assert!(
            api.guard(direction, version, &body[..len]).is_err(),
            "{at}: prefix of {len} bytes accepted"
        );
    }
}

/// The filled message really is filled: every array holds two elements, every known tag valid
/// at this version and the unknown tag were written.
fn filled_completely(api: &Api, direction: Direction, version: i16, body: &Bytes) {
    let at = context(api, direction, version);
    let shape = api.shape(direction);
    let encoding = shape.encoding(version).unwrap();
    let seen = shape::seen(&shape.body, encoding, body).unwrap();
    assert!(
        !seen.counts.is_empty() || body.len() < 64,
        "{at}: no arrays?"
    );
    for &(offset, width) in &seen.counts {
        let count = count_at(body, offset, width, encoding.flexible);
        assert_eq!(count, 2, "{at}: array at byte {offset}");
    }
    if encoding.flexible {
        let tags: Vec<u32> = seen.tags.iter().map(|(tag, _)| *tag).collect();
        assert!(tags.contains(&(UNKNOWN_TAG as u32)), "{at}");
        for (tag, field) in shape.body.tagged {
            let valid = match field {
                shape::Shape::Versions(min, max, _) => (*min..=*max).contains(&version),
                _ => true,
            };
            assert!(!valid || tags.contains(tag), "{at}: tag {tag} not written");
        }
    }
}

fn every_version(key: ApiKey) {
    let api = api(key);
    for (direction, version, encoding) in api.versions() {
        let codec = api.codec(direction);
        let filled = (codec.filled)(version);
        filled_completely(&api, direction, version, &filled);
        accepts(&api, direction, version, encoding, &filled);
        accepts(
            &api,
            direction,
            version,
            encoding,
            &(codec.default)(version),
        );
    }
}

macro_rules! shape_tests {
    ($($name:ident: $key:expr,)*) => {
        $(
            #[test]
            fn $name() {
                every_version($key);
            }
        )*
    };
}

shape_tests! {
    produce_shapes: ApiKey::Produce,
    fetch_shapes: ApiKey::Fetch,
    list_offsets_shapes: ApiKey::ListOffsets,
    metadata_shapes: ApiKey::Metadata,
    api_versions_shapes: ApiKey::ApiVersions,
    create_topics_shapes: ApiKey::CreateTopics,
    delete_topics_shapes: ApiKey::DeleteTopics,
    describe_configs_shapes: ApiKey::DescribeConfigs,
    create_partitions_shapes: ApiKey::CreatePartitions,
    incremental_alter_configs_shapes: ApiKey::IncrementalAlterConfigs,
    describe_cluster_shapes: ApiKey::DescribeCluster,
    broker_registration_shapes: ApiKey::BrokerRegistration,
    broker_heartbeat_shapes: ApiKey::BrokerHeartbeat,
    describe_quorum_shapes: ApiKey::DescribeQuorum,
    elect_leaders_shapes: ApiKey::ElectLeaders,
    alter_partition_reassignments_shapes: ApiKey::AlterPartitionReassignments,
    list_partition_reassignments_shapes: ApiKey::ListPartitionReassignments,
    describe_topic_partitions_shapes: ApiKey::DescribeTopicPartitions,
    describe_log_dirs_shapes: ApiKey::DescribeLogDirs,
    alter_partition_shapes: ApiKey::AlterPartition,
    offset_for_leader_epoch_shapes: ApiKey::OffsetForLeaderEpoch,
}

#[test]
fn every_version_served_or_asked_for_has_a_shape() {
    for served in SUPPORTED_APIS {
        let (request, _) = shapes(served.key).expect("a served API has a shape");
        // Produce v0..v2 are checked and decoded as v3 (protocol/legacy_produce.rs); the
        // guard has no layout of its own for them.
        let min = if served.key == ApiKey::Produce {
            3
        } else {
            served.min_version
        };
        assert!(request.version_min <= min, "{:?}", served.key);
        assert!(
            served.max_version <= request.version_max,
            "{:?}",
            served.key
        );
    }
    for &(key, min, max) in CLIENT_VERSIONS {
        let (_, response) = shapes(key).expect("an API the client speaks has a shape");
        assert!(
            response.version_min <= min && max <= response.version_max,
            "{key:?}"
        );
    }
    assert!(matches!(
        check_request(ApiKey::Produce, 2, &[]),
        Err(GuardError::UnknownMessage { .. })
    ));
    assert!(matches!(
        check_request(ApiKey::JoinGroup, 9, &[]),
        Err(GuardError::UnknownMessage { .. })
    ));
}
