"""What the benchmarks run against: a fresh PostgreSQL database, a real ``hub serve``
(gunicorn) on loopback, and a bare Flask "hello" served with the same gunicorn settings.

The database is created here (``hub_bench_<random>``) and only that database is dropped.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REPO = Path(__file__).resolve().parents[1]
HUB = Path(sys.executable).with_name("hub")
STARTUP_TIMEOUT_S = 120.0
WORKERS = 2


class BenchError(RuntimeError):
    """A benchmark cannot run (no database, a server that does not start)."""


def libpq_url(url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql://…`` (what psycopg itself accepts)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name``."""
    head, _, tail = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{tail}" if tail else "")


@contextmanager
def bench_database(admin_url: str) -> Iterator[str]:
    """A new, migrated ``hub_bench_<hex>`` on the server of ``admin_url``; dropped after."""
    try:
        admin = psycopg.connect(libpq_url(admin_url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is not reachable at {admin_url} ({exc}). Start it, or set "
            "HUB_BENCH_DATABASE_URL to a server where this user may create databases."
        ) from exc
    name = f"hub_bench_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(admin_url, name)
        try:
            from hub.db import make_engine
            from hub.migrate import upgrade

            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def memory_kb(pid: int, field_name: str = "VmHWM") -> int:
    """A memory figure of a process from /proc/PID/status (VmHWM: peak resident set), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_memory(pid: int) -> bool:
    """Reset a process's VmHWM to its current RSS (Linux: 5 > /proc/PID/clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Server:
    """A running server process (gunicorn master) and its base URL."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"the server exited at start-up:\n{server.log_tail()}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise BenchError(f"the server did not answer /healthz in time:\n{server.log_tail()}")


@contextmanager
def _serve(
    command: Sequence[str], env: dict[str, str], folder: Path, name: str
) -> Iterator[Server]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=REPO,
            env={**os.environ, **env, "XDG_RUNTIME_DIR": str(folder)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_healthy(server)
        # Warm every worker (and its threads) before anything is timed.
        for _ in range(20):
            requests.get(f"{server.url}/healthz", timeout=10)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def hub_env(database_url: str, folder: Path) -> dict[str, str]:
    return {
        "HUB_DATABASE_URL": database_url,
        "HUB_INSTANCE_PATH": str(folder / "instance"),
        "HUB_STORAGE_URL": f"file://{folder / 'storage'}",
        "HUB_SECRET_KEY": "bench-" + secrets.token_hex(16),
        # Many tokens are asked for in a few seconds; the default limit suits the internet.
        "HUB_TOKEN_RATE_LIMIT": "100000 per minute",
        "HUB_LOG_LEVEL": "WARNING",
        # The task engine on the machine's Redis, on a queue of this run's own.
        "HUB_TASK_BROKER_URL": os.environ.get("HUB_BENCH_BROKER_URL", "redis://127.0.0.1:6379/0"),
        "HUB_TASK_QUEUE": "hub-bench-" + secrets.token_hex(4),
    }


@contextmanager
def hub_workers(
    env: dict[str, str], folder: Path, count: int, extra: dict[str, str] | None = None
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``hub worker --concurrency 1`` processes, each ready before this yields."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    try:
        for n in range(count):
            log_path = folder / f"hub-worker-{count}-{n}.log"
            with log_path.open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [str(HUB), "worker", "--concurrency", "1"],
                        cwd=REPO,
                        env={**os.environ, **env, **(extra or {}), "HUB_LOG_LEVEL": "INFO"},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            logs.append(log_path)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not all(" ready." in p.read_text(errors="replace") for p in logs):
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                tails = "\n".join(p.read_text(errors="replace")[-1500:] for p in logs)
                raise BenchError(f"a worker did not start:\n{tails}")
            time.sleep(0.25)
        yield processes
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def hub_server(env: dict[str, str], folder: Path, workers: int = WORKERS) -> Iterator[Server]:
    """``hub serve --workers N`` on a free loopback port."""
    command = [str(HUB), "serve", "--host", "127.0.0.1", "--workers", str(workers)]
    with _serve(command, env, folder, "hub-serve") as server:
        yield server


@contextmanager
def hello_server(folder: Path, workers: int = WORKERS) -> Iterator[Server]:
    """The bare Flask baseline under the same gunicorn settings."""
    command = [sys.executable, "-m", "bench.hello", "--workers", str(workers)]
    with _serve(command, {}, folder, "hello") as server:
        yield server


@dataclass
class Party:
    organisation_id: str
    kind: str
    client_id: str
    client_secret: str
    tokens: list[str] = field(default_factory=list)


class Operator:
    """Acts as the hub's operator: the ``hub`` command, run in this process through click."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def cli(self, *args: str, stdin: str | None = None) -> dict[str, Any]:
        from click.testing import CliRunner

        from hub.cli import main as hub_cli

        result = CliRunner().invoke(
            hub_cli, [*args, "--json"], env=self.env, input=stdin, catch_exceptions=False
        )
        if result.exit_code != 0:
            raise BenchError(f"hub {' '.join(args)} failed:\n{result.output}")
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        answer: dict[str, Any] = json.loads(lines[-1])
        return answer

    def party(self, kind: str, conditions: str = "mental-health") -> Party:
        from hub.identity.models import SCOPES_BY_KIND

        name = f"Bench {kind} {uuid.uuid4().hex[:6]}"
        org = self.cli(
            "orgs", "add", "--name", name, "--kind", kind, "--valid-from", "2020-01-01",
            "--conditions", conditions,
        )  # fmt: skip
        scopes = " ".join(sorted(SCOPES_BY_KIND[kind]))
        client = self.cli("clients", "add", "--org", org["id"], "--scopes", scopes)
        return Party(org["id"], kind, client["client_id"], client["client_secret"])

    def user(self, organisation_id: str, role: str) -> tuple[str, str]:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
        password = "bench-" + secrets.token_hex(12)
        self.cli(
            "users", "add", "--org", organisation_id, "--email", email, "--role", role,
            stdin=f"{password}\n",
        )  # fmt: skip
        return email, password


def token(url: str, party: Party) -> str:
    basic = base64.b64encode(f"{party.client_id}:{party.client_secret}".encode()).decode()
    response = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    )
    if response.status_code != 200:
        raise BenchError(f"no token: {response.status_code} {response.text[:300]}")
    value: str = response.json()["access_token"]
    return value


def portal_session(url: str, email: str, password: str) -> requests.Session:
    """A signed-in portal session (the sign-in form with its CSRF token)."""
    session = requests.Session()
    page = session.get(f"{url}/portal/sign-in", timeout=30).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if not match:
        raise BenchError("the sign-in page has no CSRF token")
    answer = session.post(
        f"{url}/portal/sign-in",
        data={"email": email, "password": password, "csrf_token": match.group(1)},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code not in (302, 303):
        raise BenchError(f"portal sign-in failed: {answer.status_code}")
    return session
