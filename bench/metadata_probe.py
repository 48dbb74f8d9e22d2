#!/usr/bin/env python3
"""Start-up time of a broker, as a client sees it: from START_NS (the nanosecond Unix time the
broker process was launched, `date +%s%N`) until the first answered Metadata request that lists
at least one broker. Dials 127.0.0.1:PORT every 5 ms; prints the milliseconds, or exits 1 after
TIMEOUT_S. Plain sockets, so it costs the broker nothing but the requests themselves.

usage: metadata_probe.py PORT START_NS [TIMEOUT_S]
"""

import socket
import struct
import sys
import time

API_METADATA = 3
VERSION = 1  # every broker since 0.10 answers it; no topics asked for


def metadata_request(correlation_id: int) -> bytes:
    client_id = b"metadata-probe"
    header = struct.pack(">hhih", API_METADATA, VERSION, correlation_id, len(client_id))
    body = struct.pack(">i", 0)  # an empty topic list: brokers and controller only
    payload = header + client_id + body
    return struct.pack(">i", len(payload)) + payload


def read_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def answered(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(metadata_request(1))
            (size,) = struct.unpack(">i", read_exact(sock, 4))
            response = read_exact(sock, size)
            (correlation_id, brokers) = struct.unpack(">ii", response[:8])
            return correlation_id == 1 and brokers > 0
    except (OSError, ConnectionError, struct.error):
        return False


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    port, start_ns = int(sys.argv[1]), int(sys.argv[2])
    timeout_s = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if answered(port):
            print(f"{(time.time_ns() - start_ns) / 1e6:.0f}")
            return 0
        time.sleep(0.005)
    print(f"no Metadata answer on port {port} within {timeout_s:.0f}s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
