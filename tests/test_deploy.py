"""The classroom deployment (deploy/run.sh): two replicas behind HAProxy with sticky sessions.

Agent clients that send no cookie stick to a replica by their `X-Student` header, browsers by the
cookie HAProxy inserts. A request that reached the wrong replica would fail: an agent session
exists only in the replica that created it. Without HAProxy the tests are skipped, except under
CI (CI=true), where they fail: CI must never pass without having run them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_SH = ROOT / "deploy" / "run.sh"
STARTUP_TIMEOUT_S = 90.0
REQUEST_TIMEOUT_S = 30.0
COOKIE = "bp_replica"
# The environment variables deploy/run.sh reads: none may leak in from the caller's environment.
RUN_SH_SETTINGS = (
    "REPLICAS",
    "PORT",
    "BIND",
    "REPLICA_PORT",
    "REPLICA_ADDRESS",
    "REMOTES",
    "STATS_PORT",
    "RUN_DIR",
    "PID_FILE",
    "WAIT_SECONDS",
)
# How many times each student presses Step: all different, so a mixed-up session shows.
PRESSES = {"ana": 1, "ben": 2, "cai": 3, "dee": 4}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{reason} (CI is set, so the deployment tests must run, not be skipped)")
    pytest.skip(reason)


def find_haproxy() -> str | None:
    """HAPROXY if set, else `haproxy` on the PATH or where Debian puts it (/usr/sbin)."""
    explicit = os.environ.get("HAPROXY")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    found = shutil.which("haproxy")
    if found:
        return found
    debian = ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
    return next((path for path in debian if Path(path).is_file()), None)


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, taken: set[int]) -> int:
    """The first of `count` consecutive free local ports, none of them in `taken`."""
    for _ in range(200):
        first = random.randint(20_000, 60_000)
        ports = range(first, first + count)
        if not taken.intersection(ports) and all(port_free(p) for p in ports):
            taken.update(ports)
            return first
    raise RuntimeError("no free ports")


@dataclass
class Balancer:
    url: str
    run_dir: Path

    def admin(self, command: str) -> str:
        """An answer from HAProxy's admin socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.run_dir / "haproxy.sock"))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def log(self) -> str:
        return (self.run_dir / "haproxy.log").read_text(encoding="utf-8", errors="replace")


def stop_group(proc: subprocess.Popen) -> None:
    """Stop run.sh and everything it started (its own process group): TERM, then KILL."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            # run.sh has stopped; make sure nothing it started outlived it.
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def balancer(tmp_path_factory) -> Iterator[Balancer]:
    haproxy = find_haproxy()
    if haproxy is None:
        _unavailable(
            "HAProxy is not installed (Debian/Ubuntu: apt-get install haproxy), "
            "or HAPROXY does not name it."
        )
    run_dir = tmp_path_factory.mktemp("deploy")
    taken: set[int] = set()
    port, stats_port, replica_port = (free_ports(n, taken) for n in (1, 1, 2))
    env = {k: v for k, v in os.environ.items() if k not in RUN_SH_SETTINGS}
    env["HAPROXY"] = haproxy
    output = run_dir / "run.out"
    with output.open("w") as out:
        proc = subprocess.Popen(
            [
                "bash",
                str(RUN_SH),
                "--replicas=2",
                f"--port={port}",
                f"--replica-port={replica_port}",
                f"--stats-port={stats_port}",
                f"--run-dir={run_dir}",
                "--server.enableAgentApi=true",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while "Ready: " not in output.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"deploy/run.sh did not come up:\n{output.read_text()}")
            time.sleep(0.2)
        yield Balancer(f"http://127.0.0.1:{port}", run_dir)
    finally:
        stop_group(proc)


def interact(balancer: Balancer, student: str, body: dict) -> dict:
    """One agent API call, as a client that keeps no cookies and names its student."""
    request = urllib.request.Request(
        f"{balancer.url}/_stcore/agent/interact",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Student": student},
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
        return json.loads(response.read())


def step_metric(snapshot: dict) -> str:
    def nodes(tree: dict) -> Iterator[dict]:
        yield tree
        for child in tree.get("children", []):
            yield from nodes(child)

    (value,) = [
        n["props"].get("value")
        for n in nodes(snapshot["tree"])
        if n.get("type") == "metric" and n["props"].get("label") == "Step"
    ]
    return value


def logged_servers(balancer: Balancer, requests: int) -> dict[str, set[str]]:
    """Which replicas served each student's agent requests, from HAProxy's log (a line per
    request, written as the request ends: wait for all of them)."""
    line = re.compile(r" replicas/(\S+) .* \{([^}]*)\} \"POST /_stcore/agent/interact ")
    deadline = time.monotonic() + 5
    while True:
        found = [m.groups() for m in map(line.search, balancer.log().splitlines()) if m]
        if len(found) >= requests or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    servers: dict[str, set[str]] = {}
    for server, student in found:
        servers.setdefault(student, set()).add(server)
    return servers


def test_each_agent_session_stays_on_its_replica_and_both_replicas_get_sessions(balancer):
    sessions = {student: interact(balancer, student, {})["session_id"] for student in PRESSES}
    assert len(set(sessions.values())) == len(PRESSES)
    last: dict[str, dict] = {}
    # Interleaved, so consecutive requests come from different students (and replicas).
    for round_ in range(max(PRESSES.values())):
        for student, presses in PRESSES.items():
            if round_ < presses:
                body = {"session_id": sessions[student], "trigger": {"key": "btn_step"}}
                last[student] = interact(balancer, student, body)
    # An unknown session would have raised (404 unknown_session); the counts must be exact too.
    assert {s: step_metric(last[s]) for s in PRESSES} == {s: str(n) for s, n in PRESSES.items()}

    # HAProxy remembers each student with one replica, and the students use both.
    table = balancer.admin("show table replicas")
    stuck = dict(re.findall(r"key=(\S+) .*server_key=(\S+)", table))
    assert set(stuck) == set(PRESSES), table
    assert len(set(stuck.values())) == 2, table
    # Every request of a student went to the replica the table names.
    served = logged_servers(balancer, requests=len(PRESSES) + sum(PRESSES.values()))
    assert served == {student: {server} for student, server in stuck.items()}, balancer.log()


def test_a_browser_gets_the_sticky_cookie_and_keeps_its_replica(balancer):
    with urllib.request.urlopen(f"{balancer.url}/", timeout=REQUEST_TIMEOUT_S) as response:
        assert response.status == 200
        cookies = response.headers.get_all("Set-Cookie") or []
    (sticky,) = [c for c in cookies if c.startswith(f"{COOKIE}=")]
    assert "httponly" in sticky.lower()
    replica = sticky.split(";")[0].split("=", 1)[1]
    assert replica in ("r1", "r2")

    # With the cookie, later requests go to that replica and no new cookie is set.
    for path in ("/", "/_stcore/health"):
        request = urllib.request.Request(
            f"{balancer.url}{path}", headers={"Cookie": f"{COOKIE}={replica}"}
        )
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            assert response.status == 200
            assert not [c for c in response.headers.get_all("Set-Cookie") or [] if COOKIE in c]


def test_the_websocket_upgrade_passes_the_balancer(balancer):
    """The page's /_stcore/stream websocket is switched through to the cookie's replica."""
    host, port = balancer.url.removeprefix("http://").split(":")
    key = base64.b64encode(os.urandom(16)).decode()
    handshake = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: streamlit\r\n"
        f"Cookie: {COOKIE}=r2\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT_S) as s:
        s.sendall(handshake.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head[:300]
    # HAProxy logs a tunnel when it closes: the upgrade went to the cookie's replica.
    deadline = time.monotonic() + 5
    while "replicas/r2 " not in _stream_lines(balancer) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "replicas/r2 " in _stream_lines(balancer), balancer.log()


def _stream_lines(balancer: Balancer) -> str:
    return "\n".join(line for line in balancer.log().splitlines() if "/_stcore/stream" in line)
