"""Clusters of real processes (issue #4): three nodes that are each broker and controller, and
three controller-only nodes with three broker-only nodes.

The controllers elect an active controller over their CONTROLLER listeners, brokers register
with it, and a topic's six partitions spread over the three brokers. Killing the active
controller elects another and metadata changes keep working; killing a broker fences it once
its session expires, its partitions go offline while kcat and confluent-kafka keep producing to
the others, and when it returns its partitions come back under it with a larger leader epoch,
their data intact. Along the way the operator tools see it: `weir cluster describe` lists the
dead broker as fenced, `weir elect-leaders` finds no one to elect for its partitions, and
`weir reassign` moves one of them at the metadata level (in progress, listed, then cancelled).
"""

import json
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


LAYOUTS = {
    # node id -> roles
    "combined": {1: "broker,controller", 2: "broker,controller", 3: "broker,controller"},
    "separate": {1: "controller", 2: "controller", 3: "controller",
                 4: "broker", 5: "broker", 6: "broker"},
}


@pytest.fixture(params=sorted(LAYOUTS))
def cluster(tmp_path, request):
    binary = weir_binary()
    roles = LAYOUTS[request.param]
    controllers = [n for n, r in roles.items() if "controller" in r]
    client_ports = {n: free_port() for n, r in roles.items() if "broker" in r}
    controller_ports = {n: free_port() for n in controllers}
    voters = ",".join(f"{n}@127.0.0.1:{controller_ports[n]}" for n in controllers)
    nodes = {}
    for n, role in roles.items():
        work = tmp_path / f"node{n}"
        work.mkdir()
        node = Broker(binary, work, {})
        listeners = []
        if n in client_ports:
            listeners.append(f"PLAINTEXT://127.0.0.1:{client_ports[n]}")
        if n in controller_ports:
            listeners.append(f"CONTROLLER://127.0.0.1:{controller_ports[n]}")
        # A controller-only node has no client port: it is ready once its CONTROLLER port is.
        node.port = client_ports.get(n, controller_ports.get(n))
        node.controller_port = controller_ports.get(n)
        node.overrides = {
            "node.id": str(n),
            "process.roles": role,
            "listeners": ",".join(listeners),
            "advertised.listeners": listeners[0] if n in client_ports else None,
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
        yield nodes, [n for n in roles if n in client_ports], controllers
    finally:
        for node in nodes.values():
            node.kill()


def active_controller(nodes, controllers, exclude=()):
    """The controller whose log last says it became the active controller."""
    latest = None
    for n in controllers:
        if n in exclude:
            continue
        text = nodes[n].log_path.read_text(errors="replace")
        for line in text.splitlines():
            if "this node leads the metadata quorum" in line:
                stamp = line.split()[0]
                if latest is None or stamp > latest[0]:
                    latest = (stamp, n)
    return latest[1] if latest else None


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


def cluster_describe(controller):
    """`weir cluster describe` against a controller: its `Key: value` status lines."""
    out = subprocess.run(
        [str(weir_binary()), "cluster", "describe", "--bootstrap-controller",
         f"127.0.0.1:{controller.controller_port}"],
        capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
    )
    assert out.returncode == 0, out.stderr
    return dict(line.split(":", 1)[0:1] + [line.split(":", 1)[1].strip()]
                for line in out.stdout.splitlines() if ": " in line)


def broker_status(node):
    """`weir cluster describe --bootstrap-server`: broker id -> Fenced / Unfenced."""
    out = subprocess.run(
        [str(weir_binary()), "cluster", "describe", "--bootstrap-server", node.bootstrap],
        capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
    )
    assert out.returncode == 0, out.stderr
    rows = re.findall(r"^(\d+)\t\S+\t(\w+)$", out.stdout, re.M)
    return {int(broker): status for broker, status in rows}


def elect_leaders(node, *args):
    """`weir elect-leaders` through `node`: (exit code, stdout + stderr)."""
    out = subprocess.run(
        [str(weir_binary()), "elect-leaders", "--bootstrap-server", node.bootstrap, *args],
        capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
    )
    return out.returncode, out.stdout + out.stderr


def reassign(node, *args):
    """`weir reassign` through `node`: (exit code, stdout + stderr)."""
    out = subprocess.run(
        [str(weir_binary()), "reassign", "--bootstrap-server", node.bootstrap, *args],
        capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
    )
    return out.returncode, out.stdout + out.stderr


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


def test_a_cluster_survives_losing_the_controller_and_a_broker(cluster, tmp_path):
    nodes, brokers, controllers = cluster
    first, second, third = (nodes[b] for b in brokers)
    # A bound client port accepts connections before its broker is unfenced (the listener is
    # bound first, served once unfenced): wait until the controller has unfenced every broker,
    # or the topic would be spread over fewer of them.
    eventually("every broker unfenced", lambda: (
        lambda status: status if sorted(status) == sorted(brokers)
        and set(status.values()) == {"Unfenced"} else None)(broker_status(first)))
    admin = AdminClient({"bootstrap.servers": first.bootstrap})
    admin.create_topics([NewTopic("six", 6, 1)])["six"].result(timeout=CALL_TIMEOUT_S)
    layout = eventually("six partitions with leaders", lambda: (
        lambda d: d if len(d) == 6 and all(l > 0 for l, _ in d.values()) else None
    )(describe(second)))
    assert set(l for l, _ in layout.values()) == set(brokers), f"not spread: {layout}"
    records = [Record(None, b"v%d" % i, partition=i % 6) for i in range(60)]
    delivered = produce(third.bootstrap, "six", records)
    assert {r.partition for r in delivered} == set(range(6))

    # Kill the active controller: another takes over and metadata changes keep working.
    old_controller = eventually("an active controller", lambda: active_controller(
        nodes, controllers))
    # A producer auto-creates a topic through a broker that is not the active controller: the
    # broker forwards the creation (Kafka's AutoTopicCreationManager).
    follower = next(b for b in brokers if b != old_controller)
    made = produce(nodes[follower].bootstrap, "auto-made", [Record(None, b"x")])
    assert made[0].offset == 0
    quorum = cluster_describe(nodes[controllers[0]])
    assert quorum["LeaderId"] == str(old_controller), quorum
    assert quorum["CurrentVoters"] == "[" + ",".join(map(str, controllers)) + "]", quorum
    # Broker-only nodes follow the quorum as observers, and the leader lists them.
    observers = sorted(b for b in brokers if b not in controllers)
    assert quorum["CurrentObservers"] == "[" + ",".join(map(str, observers)) + "]", quorum
    nodes[old_controller].kill()
    new_controller = eventually("a new active controller", lambda: active_controller(
        nodes, controllers, exclude=(old_controller,)))
    assert new_controller != old_controller
    live = [b for b in brokers if b != old_controller]
    later = AdminClient({"bootstrap.servers": nodes[live[-1]].bootstrap})
    eventually("a topic created after the failover", lambda: later.create_topics(
        [NewTopic("after", 2, 1)])["after"].result(timeout=CALL_TIMEOUT_S) is None)

    # Kill a broker (in the combined layout, the one that went with the controller): it is
    # fenced, its partitions go offline, and the others keep taking writes.
    victim = old_controller if old_controller in brokers else brokers[0]
    if victim != old_controller:
        nodes[victim].kill()
    survivor = nodes[next(b for b in brokers if b != victim)]
    victims = [p for p, (leader, _) in layout.items() if leader == victim]
    offline = eventually("the dead broker's partitions offline", lambda: (
        lambda d: d if all(d[p][0] == -1 for p in victims) else None)(describe(survivor)))
    survivors = [p for p in range(6) if p not in victims]
    before = {p: kcat_count(survivor, p) for p in survivors}
    for p in survivors:
        kcat_produce(survivor, p, [f"during-{p}-{i}" for i in range(5)])
        assert kcat_count(survivor, p) == before[p] + 5
    status = broker_status(survivor)
    assert status[victim] == "Fenced", status
    assert all(status[b] == "Unfenced" for b in brokers if b != victim), status
    # An offline partition whose only replica is dead has no one to elect, even uncleanly; the
    # live ones need no election.
    code, out = elect_leaders(survivor, "--election-type", "unclean", "--topic", "six",
                              "--partition", str(victims[0]))
    assert code != 0 and "could not be elected" in out, out
    code, out = elect_leaders(survivor, "--election-type", "preferred", "--topic", "six",
                              "--partition", str(survivors[0]))
    assert code == 0 and "Valid replica already elected for partitions six-" in out, out
    extra = [Record(None, b"m%d" % i, partition=survivors[i % len(survivors)]) for i in range(10)]
    more = produce(survivor.bootstrap, "six", extra)
    assert {r.partition for r in more} == set(survivors)

    # It comes back: its partitions return to it with a larger leader epoch and their data.
    counts = {p: sum(1 for r in delivered if r.partition == p) for p in victims}
    if old_controller != victim:
        nodes[old_controller].launch()
    nodes[victim].start()
    back = eventually("the returning broker leading again", lambda: (
        lambda d: d if all(d[p][0] == victim for p in victims) else None)(describe(survivor)))
    assert broker_status(survivor)[victim] == "Unfenced"
    for p in victims:
        assert back[p][1] > offline[p][1] > layout[p][1], (layout[p], offline[p], back[p])
        assert kcat_count(nodes[victim], p) == counts[p]

    # Reassign one of its partitions onto another broker: the new replica fetches the data from
    # the leader, joins the ISR, and the move completes with the new broker leading it and
    # holding every record.
    p, target = victims[0], next(b for b in brokers if b != victim)
    plan = tmp_path / "move.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": "six", "partition": p, "replicas": [target]}]}))
    code, out = reassign(survivor, "--execute", "--reassignment-json-file", str(plan))
    assert code == 0 and f"Successfully started partition reassignment(s) for six-{p}" in out, out
    assert f'"replicas":[{victim}]' in out, out
    verified = eventually("the reassignment complete", lambda: (
        lambda result: result[1] if result[0] == 0 else None)(
            reassign(survivor, "--verify", "--reassignment-json-file", str(plan))))
    assert f"Reassignment of partition six-{p} is complete." in verified, verified
    code, out = reassign(survivor, "--list")
    assert "No partition reassignments found." in out, out
    moved = eventually("the moved partition led by its new replica", lambda: (
        lambda d: d if d[p][0] == target else None)(describe(survivor)))
    assert moved[p][1] > back[p][1], (back[p], moved[p])
    assert kcat_count(nodes[target], p) == counts[p]

