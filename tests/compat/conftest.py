"""Fixtures for the real-client compatibility tests: a real `weir broker` process per test.

Each broker gets a free loopback port and a fresh temporary `log.dirs`, is waited for until its
port accepts (bounded), and is always stopped at teardown (SIGTERM, then SIGKILL), so no test
leaks a process. When a test fails, the tail of the broker's log is printed with it.

The binary is `target/release/weir` (scripts/test.sh builds it); `WEIR_BIN` overrides that.
"""

import atexit
import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BROKER_READY_TIMEOUT_S = 20.0
BROKER_STOP_TIMEOUT_S = 15.0
LOG_TAIL_LINES = 60

_live_processes: set = set()


def _kill_leftovers() -> None:
    """Last line of defence: never leave a broker behind, even if a fixture was skipped."""
    for proc in list(_live_processes):
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


atexit.register(_kill_leftovers)


def weir_binary() -> Path:
    binary = Path(os.environ.get("WEIR_BIN", REPO_ROOT / "target" / "release" / "weir"))
    if not binary.is_file():
        pytest.fail(
            f"{binary} not found: build it first with `cargo build --release` "
            "(scripts/test.sh does), or point WEIR_BIN at a weir binary",
            pytrace=False,
        )
    return binary


def _ephemeral_low() -> int:
    """The first port the kernel hands out as a connection's source port."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
            return int(ranges.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback port nothing listens on, chosen below the ephemeral range.

    A port the kernel picks for a bind to port 0 comes from the same range as the source ports
    of outgoing connections: between this check and the broker's own bind, a client or a
    broker dialling a peer can take it, and the broker fails to start with "Address already in
    use". Ports below that range are never taken that way.
    """
    low = min(_ephemeral_low(), 32768)
    for _ in range(200):
        port = random.randrange(10000, low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in 10000..{low}")


class Broker:
    """One `weir broker` process on a fixed port and log dir; can be stopped and restarted."""

    def __init__(self, binary: Path, work_dir: Path, overrides: dict, properties=None):
        self.binary = binary
        self.properties = properties
        self.port = free_port()
        self.log_dir = work_dir / "data"
        self.log_path = work_dir / "broker.log"
        self.overrides = dict(overrides)
        self.proc = None
        self.starts = 0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list:
        settings = {
            "node.id": "1",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": str(self.log_dir),
            # At least two runtime workers, whatever the machine: requests run in parallel.
            "num.io.threads": "2",
        }
        settings.update(self.overrides)
        cmd = [str(self.binary), "broker"]
        if self.properties is not None:
            cmd.append(str(self.properties))
        for key, value in settings.items():
            if value is not None:  # None: leave the key unset
                # "{port}" in a value is this broker's client port (chosen in __init__).
                value = str(value).replace("{port}", str(self.port))
                cmd += ["--override", f"{key}={value}"]
        return cmd

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Starts the process without waiting for it to serve (a cluster node serves only once
        a quorum of its peers runs too)."""
        assert self.proc is None or self.proc.poll() is not None, "broker already running"
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
        log.flush()
        env = dict(os.environ, RUST_BACKTRACE="1")
        env.setdefault("RUST_LOG", "info")
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        _live_processes.add(self.proc)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + BROKER_READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"broker exited with {self.proc.returncode} before accepting "
                    f"connections:\n{self.log_tail()}",
                    pytrace=False,
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        pytest.fail(
            f"broker did not accept connections on {self.bootstrap} within "
            f"{BROKER_READY_TIMEOUT_S:.0f}s:\n{self.log_tail()}",
            pytrace=False,
        )

    def stop(self, timeout: float = BROKER_STOP_TIMEOUT_S):
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code (None if never run)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                _live_processes.discard(self.proc)
                raise AssertionError(
                    f"broker ignored SIGTERM for {timeout:.0f}s and was killed:\n"
                    f"{self.log_tail()}"
                )
        _live_processes.discard(self.proc)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: a crash, no chance to flush or checkpoint."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc is not None:
            _live_processes.discard(self.proc)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no broker log)"
        return "\n".join(text.splitlines()[-lines:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def broker_factory(tmp_path, request):
    """`start({"key": "value"})` starts a broker with extra `--override`s (and a properties
    file, if given); all stop at teardown."""
    brokers = []
    binary = weir_binary()

    def start(overrides=None, properties=None) -> Broker:
        work_dir = tmp_path / f"broker{len(brokers)}"
        work_dir.mkdir()
        broker = Broker(binary, work_dir, overrides or {}, properties)
        brokers.append(broker)
        broker.start()
        return broker

    yield start

    failed = any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    for broker in brokers:
        try:
            broker.stop()
        finally:
            broker.kill()
        if failed:
            print(f"\n----- broker log ({broker.log_path}), last {LOG_TAIL_LINES} lines -----")
            print(broker.log_tail())


@pytest.fixture
def broker(broker_factory) -> Broker:
    """A broker with default settings."""
    return broker_factory()
