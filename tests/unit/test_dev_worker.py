"""``hub serve --dev`` starts its worker quiet: the terminal of ``make run`` keeps the server's
address and the demo's credentials in view instead of the task engine's start-up chatter."""

from __future__ import annotations

from typing import Any

import pytest

from hub.tasks import worker


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def popen(command: list[str], **kwargs: Any) -> None:
        calls.append({"command": command, **kwargs})

    monkeypatch.setattr(worker.subprocess, "Popen", popen)
    return calls


@pytest.mark.parametrize(
    ("configured", "worker_level"),
    [("DEBUG", "WARNING"), ("INFO", "WARNING"), ("WARNING", "WARNING"), ("ERROR", "ERROR")],
)
def test_the_development_worker_says_warnings_and_errors_only_without_a_banner(
    started, configured, worker_level
):
    worker.spawn_worker(concurrency=1, log_level=configured)
    [call] = started
    assert call["command"][-5:] == ["hub.cli", "worker", "--concurrency", "1", "--quiet"]
    assert call["env"]["HUB_LOG_LEVEL"] == worker_level


def test_a_quiet_worker_prints_nothing_before_its_warnings(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from hub.cli import main

    ran: dict[str, Any] = {}

    def run_worker(_ctx: Any, **options: Any) -> int:
        ran.update(options)
        return 0

    monkeypatch.setattr(worker, "run_worker", run_worker)
    env = {
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_LOG_LEVEL": "WARNING",
    }
    result = CliRunner().invoke(main, ["worker", "--concurrency", "1", "--quiet"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert ran == {"concurrency": 1, "loglevel": "WARNING", "quiet": True}
