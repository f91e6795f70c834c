"""The ``hub`` command as an operator uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.cli import main
from hub.db import make_engine


@pytest.fixture
def env(fresh_database_url, tmp_path):
    return {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }


def run(env, *args, input=None):
    return CliRunner().invoke(main, list(args), env=env, input=input)


def test_orgs_clients_users_with_json(env):
    org = run(
        env,
        "orgs",
        "add",
        "--name",
        "Example Charity",
        "--kind",
        "charity",
        "--conditions",
        "cancer,mental-health",
        "--json",
    )
    assert org.exit_code == 0, org.output
    org_id = json.loads(org.output)["id"]

    client = run(
        env,
        "clients",
        "add",
        "--org",
        org_id,
        "--scopes",
        "experiences:write experiences:read",
        "--json",
    )
    assert client.exit_code == 0, client.output
    payload = json.loads(client.output)
    assert payload["client_id"].startswith("hub_")
    assert len(payload["client_secret"]) >= 32

    user = run(
        env,
        "users",
        "add",
        "--org",
        org_id,
        "--email",
        "Volunteer@Example.org",
        "--role",
        "uploader",
        "--json",
        input="a-long-enough-password\n",
    )
    assert user.exit_code == 0, user.output
    assert json.loads(user.output)["email"] == "volunteer@example.org"

    engine = make_engine(env["HUB_DATABASE_URL"])
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT client_secret_hash FROM oauth_clients")).scalar_one()
        pw = conn.execute(sa.text("SELECT password_hash FROM portal_users")).scalar_one()
    engine.dispose()
    assert stored.startswith("$argon2") and payload["client_secret"] not in stored
    assert pw.startswith("$argon2")


def test_bad_input_is_a_clear_error_not_a_traceback(env):
    org = run(env, "orgs", "add", "--name", "Audit Office", "--kind", "auditor", "--json")
    org_id = json.loads(org.output)["id"]
    bad = run(env, "clients", "add", "--org", org_id, "--scopes", "experiences:write")
    assert bad.exit_code == 1
    assert "auditor organisation cannot hold: experiences:write" in bad.output
    assert "Traceback" not in bad.output
    short = run(
        env,
        "users",
        "add",
        "--org",
        org_id,
        "--email",
        "a@b.org",
        "--role",
        "auditor",
        input="short\n",
    )
    assert short.exit_code == 1
    assert "12 characters" in short.output


def test_duplicate_org_name_is_refused(env):
    assert run(env, "orgs", "add", "--name", "Twice", "--kind", "charity").exit_code == 0
    again = run(env, "orgs", "add", "--name", "Twice", "--kind", "charity")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_demo_loads_once_and_prints_working_credentials(env):
    first = run(env, "demo", "--json")
    assert first.exit_code == 0, first.output
    creds = json.loads(first.output)
    kinds = {o["kind"] for o in creds["organisations"]}
    assert kinds == {"regulator", "auditor", "charity", "healthwatch", "community_group"}
    again = run(env, "demo", "--json")
    assert again.exit_code == 0
    assert json.loads(again.output) == creds
    engine = make_engine(env["HUB_DATABASE_URL"])
    with engine.connect() as conn:
        locations = conn.execute(sa.text("SELECT count(*) FROM locations")).scalar_one()
        # Something on every portal page: outcomes for the partners, notes on each release.
        outcomes = conn.execute(sa.text("SELECT count(*) FROM outcomes")).scalar_one()
        noted = conn.execute(
            sa.text("SELECT count(*) FROM dataset_releases WHERE notes <> ''")
        ).scalar_one()
    engine.dispose()
    assert locations >= 200
    assert outcomes == 4
    assert noted >= 1
    assert run(env, "audit", "verify").exit_code == 0


def test_anonymise_on_demo_data_publishes_only_suppressed_or_rounded_counts(env, tmp_path):
    assert run(env, "demo").exit_code == 0
    result = run(env, "jobs", "run", "anonymise", "--json")
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "storage" / "datasets").glob("experience-*/v*/*.csv"))
    counts = [
        line.rsplit(",", 1)[1]
        for f in files
        if not f.parent.parent.name.startswith("experience-quotes")
        for line in f.read_text().splitlines()[1:]
    ]
    assert counts, "the demo should give the pooled datasets something to count"
    numbers = [int(c) for c in counts if c != "*"]
    assert numbers, "some cells should be large enough to show"
    assert all(n >= 10 and n % 5 == 0 for n in numbers)
    assert run(env, "jobs", "run", "audit-seal").exit_code == 0
    assert run(env, "audit", "verify").exit_code == 0


def test_the_command_line_starts_without_the_redaction_stack(tmp_path):
    """``hub --help`` (which builds the app to list extensions' commands) loads neither spaCy,
    Presidio nor scikit-learn: commands import what they need when they run (issue 14, item 7).
    """
    code = (
        "import sys\n"
        "from hub.cli import main\n"
        "try:\n"
        "    main(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('spacy', 'presidio_analyzer', 'presidio_anonymizer', 'sklearn')\n"
        "print(','.join(m for m in heavy if m in sys.modules) or 'none')\n"
    )
    env = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(tmp_path),
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "HUB_STORAGE_URL": f"file://{tmp_path / 'storage'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert "Commands:" in lines  # the help was printed, so the app was built
    assert lines[-1] == "none"


def test_help_lists_the_hubs_own_commands_before_those_of_extensions(tmp_path):
    env = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(tmp_path),
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "HUB_STORAGE_URL": f"file://{tmp_path / 'storage'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    listed = done.stdout.split("Commands:", 1)[1].split()
    names = [word for word in listed if word in {"audit", "vocab", "limiter", "openapi"}]
    assert names.index("vocab") < names.index("limiter")
    assert names.index("audit") < names.index("openapi")
    assert "Pool recreating" not in done.stderr
