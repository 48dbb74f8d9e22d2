"""kcat (Debian's: librdkafka 2.0.2, picky about ApiVersions) against a real broker."""

import json
import shutil
import subprocess

import pytest

from kafka_util import create_topic

KCAT_TIMEOUT_S = 60
PARTITIONS = 3
LINES = 1000
# Codecs as kcat's -z names them; None is no -z at all.
KCAT_CODECS = [None, "gzip", "snappy", "lz4", "zstd"]


def kcat(*args, stdin: str = "") -> subprocess.CompletedProcess:
    binary = shutil.which("kcat")
    assert binary, "kcat not installed (scripts/test.sh installs it: apt-get install kcat)"
    result = subprocess.run(
        [binary, *args],
        input=stdin.encode(),
        capture_output=True,
        timeout=KCAT_TIMEOUT_S,
    )
    assert result.returncode == 0, (
        f"kcat {' '.join(args)} exited {result.returncode}:\n"
        f"{result.stderr.decode(errors='replace')[-3000:]}"
    )
    return result


def produce_keyed_lines(bootstrap, topic, codec, lines, *flags):
    """kcat -P of `key:value` lines, with a codec (-z) if given; no delivery may fail."""
    args = [*flags, "-b", bootstrap, "-P", "-t", topic, "-K:", "-m", "10"]
    if codec:
        args += ["-z", codec]
    result = kcat(*args, stdin="\n".join(lines) + "\n")
    assert b"failed" not in result.stderr.lower(), result.stderr.decode(errors="replace")


def test_metadata_listing(broker):
    create_topic(broker.bootstrap, "listed", PARTITIONS)
    out = kcat("-b", broker.bootstrap, "-L", "-m", "10").stdout.decode()
    assert f"broker 1 at {broker.bootstrap}" in out, out
    assert 'topic "listed" with 3 partitions' in out, out

    meta = json.loads(kcat("-b", broker.bootstrap, "-L", "-J", "-m", "10").stdout)
    assert [(b["id"], b["name"]) for b in meta["brokers"]] == [(1, broker.bootstrap)]
    [topic] = [t for t in meta["topics"] if t["topic"] == "listed"]
    assert sorted(p["partition"] for p in topic["partitions"]) == [0, 1, 2]
    assert all(p["leader"] == 1 for p in topic["partitions"])


@pytest.mark.parametrize("codec", KCAT_CODECS, ids=lambda c: c or "none")
def test_produce_and_consume_keyed(broker, codec):
    topic = f"kcat-{codec or 'none'}"
    create_topic(broker.bootstrap, topic, PARTITIONS)
    lines = [f"key-{i}:value-{i}-" + "x" * (i % 50) for i in range(LINES)]
    produce_keyed_lines(broker.bootstrap, topic, codec, lines)

    consume_args = ["-b", broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q"]
    out = kcat(*consume_args, "-f", "%k:%s\n").stdout.decode()
    assert sorted(out.splitlines()) == sorted(lines)

    # Within a partition, records come back in the order kcat sent them.
    out = kcat(*consume_args, "-f", "%p %o %k\n").stdout.decode()
    by_partition = {}
    for row in out.splitlines():
        partition, offset, key = row.split(" ")
        by_partition.setdefault(int(partition), []).append((int(offset), int(key[4:])))
    assert sum(len(rows) for rows in by_partition.values()) == LINES
    for partition, rows in by_partition.items():
        assert [o for o, _ in rows] == list(range(len(rows))), f"offsets of {partition}"
        sent_order = [i for _, i in rows]
        assert sent_order == sorted(sent_order), f"partition {partition} reordered"


def test_explicit_api_version_request(broker):
    """librdkafka 2.0.2 with ApiVersions forced on: metadata, produce, consume all work."""
    flags = ["-X", "api.version.request=true", "-b", broker.bootstrap]
    out = kcat(*flags, "-L", "-m", "10").stdout.decode()
    assert f"broker 1 at {broker.bootstrap}" in out, out

    create_topic(broker.bootstrap, "apiver", 1)
    lines = [f"k{i}:v{i}" for i in range(100)]
    kcat(*flags, "-P", "-t", "apiver", "-K:", "-z", "zstd", stdin="\n".join(lines) + "\n")
    out = kcat(*flags, "-C", "-t", "apiver", "-o", "beginning", "-e", "-q", "-f", "%k:%s\n")
    assert out.stdout.decode().splitlines() == lines


# librdkafka without ApiVersions falls back to a fixed table per broker.version.fallback:
# 0.9.0 sends Produce v1 with magic 0 messages, 0.10.0 Produce v2 with magic 1. The broker
# converts both to v2 batches; a modern kcat reads them back. (The fallback clients' Fetch
# v0-v2 is not served, so they only produce here.)
LEGACY_FALLBACKS = ["0.9.0", "0.10.0"]
LEGACY_CODECS = [None, "gzip", "snappy", "lz4"]


@pytest.mark.parametrize("codec", LEGACY_CODECS, ids=lambda c: c or "none")
@pytest.mark.parametrize("fallback", LEGACY_FALLBACKS)
def test_legacy_produce_versions(broker, fallback, codec):
    topic = f"legacy-{fallback.replace('.', '_')}-{codec or 'none'}"
    create_topic(broker.bootstrap, topic, PARTITIONS)
    lines = [f"key-{i}:value-{i}-" + "y" * (i % 40) for i in range(LINES)]
    fallback_flags = [
        "-X", "api.version.request=false", "-X", f"broker.version.fallback={fallback}",
    ]
    produce_keyed_lines(broker.bootstrap, topic, codec, lines, *fallback_flags)

    consume_args = ["-b", broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q"]
    out = kcat(*consume_args, "-f", "%p %o %T %k:%s\n").stdout.decode()
    rows = [row.split(" ", 3) for row in out.splitlines()]
    assert sorted(row[3] for row in rows) == sorted(lines)
    by_partition = {}
    for partition, offset, timestamp, record in rows:
        by_partition.setdefault(partition, []).append(int(offset))
        # Magic 0 messages carry no timestamp (-1); magic 1 messages carry the send time.
        assert (int(timestamp) == -1) == (fallback == "0.9.0"), (fallback, timestamp)
    for partition, offsets in by_partition.items():
        assert offsets == list(range(len(offsets))), f"offsets of partition {partition}"
