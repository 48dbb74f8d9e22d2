"""A three-node cluster of real processes, every node both broker and controller (issue #4).

The nodes elect a controller over their CONTROLLER listeners, brokers register with it, and a
topic's six partitions spread over all three. Killing the active controller elects another and
metadata changes keep working; the killed node's broker is fenced once its session expires, its
partitions go offline while kcat and confluent-kafka keep producing to the others, and when it
returns its partitions come back under it with a larger leader epoch, their data intact.
"""

import re
import subprocess
import time

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import Broker, free_port, weir_binary
from kafka_util import CALL_TIMEOUT_S, Record, produce

SESSION_TIMEOUT_MS = 3000
WAIT_S = 30.0


def eventually(what, probe, timeout=WAIT_S, interval=0.2):
    """Polls `probe` until it returns a true value; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except Exception as error:  # a node going away mid-call is part of these tests
            last = error
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {timeout:.0f}s (last: {last!r})", pytrace=False)


@pytest.fixture
def cluster(tmp_path):
    binary = weir_binary()
    client_ports = {n: free_port() for n in (1, 2, 3)}
    controller_ports = {n: free_port() for n in (1, 2, 3)}
    voters = ",".join(f"{n}@127.0.0.1:{controller_ports[n]}" for n in (1, 2, 3))
    nodes = {}
    for n in (1, 2, 3):
        work = tmp_path / f"node{n}"
        work.mkdir()
        node = Broker(binary, work, {})
        node.port = client_ports[n]
        node.overrides = {
            "node.id": str(n),
            "listeners": f"PLAINTEXT://127.0.0.1:{client_ports[n]},"
            f"CONTROLLER://127.0.0.1:{controller_ports[n]}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{client_ports[n]}",
            "controller.listener.names": "CONTROLLER",
            "controller.quorum.voters": voters,
            "broker.session.timeout.ms": str(SESSION_TIMEOUT_MS),
            "broker.heartbeat.interval.ms": "500",
        }
        nodes[n] = node
    try:
        for node in nodes.values():
            node.launch()
        for node in nodes.values():
            node.wait_ready()
        yield nodes
    finally:
        for node in nodes.values():
            node.kill()


def describe(node):
    """`weir topics --describe` through `node`: partition -> (leader, leader epoch)."""
    out = subprocess.run(
        [str(weir_binary()), "topics", "--bootstrap-server", node.bootstrap, "--describe",
         "--topic", "six"],
        capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
    )
    assert out.returncode == 0, out.stderr
    rows = re.findall(r"Partition: (\d+)\tLeader: (\w+)\t.*LeaderEpoch: (\d+)", out.stdout)
    return {int(p): (-1 if leader == "none" else int(leader), int(epoch))
            for p, leader, epoch in rows}


def controller_id(node):
    admin = AdminClient({"bootstrap.servers": node.bootstrap})
    return admin.describe_cluster(request_timeout=10).result(timeout=CALL_TIMEOUT_S).controller.id


def kcat_produce(node, partition, values):
    out = subprocess.run(
        ["kcat", "-P", "-b", node.bootstrap, "-t", "six", "-p", str(partition)],
        input="\n".join(values) + "\n", capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
    )
    assert out.returncode == 0, out.stderr


def kcat_count(node, partition):
    out = subprocess.run(
        ["kcat", "-C", "-b", node.bootstrap, "-t", "six", "-p", str(partition), "-o",
         "beginning", "-e", "-q"],
        capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
    )
    assert out.returncode == 0, out.stderr
    return len(out.stdout.splitlines())


def test_three_combined_nodes_survive_losing_the_controller_and_a_broker(cluster):
    admin = AdminClient({"bootstrap.servers": cluster[1].bootstrap})
    admin.create_topics([NewTopic("six", 6, 1)])["six"].result(timeout=CALL_TIMEOUT_S)
    layout = eventually("six partitions with leaders", lambda: (
        lambda d: d if len(d) == 6 and all(l > 0 for l, _ in d.values()) else None
    )(describe(cluster[2])))
    assert set(l for l, _ in layout.values()) == {1, 2, 3}, f"not spread: {layout}"
    records = [Record(None, b"v%d" % i, partition=i % 6) for i in range(60)]
    delivered = produce(cluster[3].bootstrap, "six", records)
    assert {r.partition for r in delivered} == set(range(6))

    # Kill the active controller: another node takes over and metadata changes keep working.
    old = controller_id(cluster[1])
    victim = cluster[old]
    victim.kill()
    live = [n for n in (1, 2, 3) if n != old]
    new = eventually("a new controller", lambda: (
        lambda c: c if c in live else None)(controller_id(cluster[live[0]])))
    assert new != old
    later = AdminClient({"bootstrap.servers": cluster[live[1]].bootstrap})
    later.create_topics([NewTopic("after", 2, 1)])["after"].result(timeout=CALL_TIMEOUT_S)

    # The dead broker is fenced: its partitions go offline; the others keep taking writes.
    victims = [p for p, (leader, _) in layout.items() if leader == old]
    offline = eventually("the dead broker's partitions offline", lambda: (
        lambda d: d if all(d[p][0] == -1 for p in victims) else None)(describe(cluster[new])))
    survivors = [p for p in range(6) if p not in victims]
    before = {p: kcat_count(cluster[new], p) for p in survivors}
    for p in survivors:
        kcat_produce(cluster[new], p, [f"during-{p}-{i}" for i in range(5)])
        assert kcat_count(cluster[new], p) == before[p] + 5
    extra = [Record(None, b"m%d" % i, partition=survivors[i % len(survivors)]) for i in range(10)]
    more = produce(cluster[live[1]].bootstrap, "six", extra)
    assert {r.partition for r in more} == set(survivors)

    # It comes back: its partitions return to it with a larger leader epoch and their data.
    counts = {p: sum(1 for r in delivered if r.partition == p) for p in victims}
    victim.start()
    back = eventually("the returning broker leading again", lambda: (
        lambda d: d if all(d[p][0] == old for p in victims) else None)(describe(cluster[new])))
    for p in victims:
        assert back[p][1] > offline[p][1] > layout[p][1], (layout[p], offline[p], back[p])
        assert kcat_count(cluster[old], p) == counts[p]
