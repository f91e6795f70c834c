"""Vocabularies are data: seeded by the migration, extended by the regulator."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

from hub import create_app
from hub.actor import Actor, system
from hub.audit.models import AuditEvent
from hub.cli.vocab import vocab
from hub.errors import Conflict, Forbidden, ValidationFailed
from hub.vocab.services import add_term, list_terms, load_vocabularies
from hub.web import hub_context

# CONTRACT §4, as the migration must seed it.
CONTRACT = {
    "key_question": ["safe", "effective", "caring", "responsive", "well-led"],
    "respondent_role": [
        "patient",
        "carer",
        "relative-friend",
        "parent-guardian",
        "advocate",
        "staff",
    ],
    "sentiment": ["positive", "negative", "mixed", "neutral"],
    "safeguarding_category": [
        "physical",
        "domestic-abuse",
        "sexual",
        "psychological",
        "financial",
        "modern-slavery",
        "discriminatory",
        "organisational",
        "neglect",
        "self-neglect",
        "self-harm",
    ],
    "service_type": [
        "gp",
        "dentist",
        "hospital-inpatient",
        "hospital-outpatient",
        "urgent-emergency-care",
        "maternity",
        "mental-health-inpatient",
        "mental-health-community",
        "community-health",
        "care-home",
        "care-home-nursing",
        "homecare",
        "supported-living",
        "ambulance",
        "pharmacy",
        "hospice",
        "other",
    ],
    "collection_channel": ["online", "phone", "face-to-face", "outreach-event", "survey", "paper"],
    "theme": [
        "staff-attitude",
        "communication",
        "involvement",
        "access",
        "waiting-times",
        "medication",
        "coordination",
        "environment",
        "food-drink",
        "transport",
        "activities",
        "dignity",
        "discharge",
        "other",
    ],
    "condition_area": [
        "cancer",
        "mental-health",
        "dementia",
        "learning-disability-autism",
        "maternity",
        "cardiovascular",
        "stroke",
        "diabetes",
        "respiratory",
        "musculoskeletal",
        "sensory",
        "end-of-life",
        "children-young-people",
        "substance-use",
        "long-term-conditions",
        "other",
    ],
}


def test_the_contract_vocabularies_are_seeded_in_order(db_session):
    loaded = load_vocabularies(db_session)
    for kind, values in CONTRACT.items():
        assert list(loaded.values(kind)) == values


def test_the_regulator_extends_a_vocabulary_and_it_is_audited(db_session, make_org):
    regulator = make_org("regulator")
    actor = Actor(
        kind="client", id="reg", organisation_id=regulator.id, organisation_kind="regulator"
    )
    term = add_term(db_session, actor, "condition-areas", "Sickle-Cell", "Sickle cell disease")
    assert (term.kind, term.value, term.label) == (
        "condition_area",
        "sickle-cell",
        "Sickle cell disease",
    )
    assert load_vocabularies(db_session).values("condition_area")[-1] == "sickle-cell"
    db_session.commit()
    event = db_session.query(AuditEvent).filter_by(action="vocabulary.term_added").one()
    assert event.details == {"kind": "condition_area", "value": "sickle-cell"}


def test_partners_cannot_extend_vocabularies(db_session, make_org):
    charity = make_org("charity")
    actor = Actor(kind="client", id="c", organisation_id=charity.id, organisation_kind="charity")
    with pytest.raises(Forbidden):
        add_term(db_session, actor, "themes", "parking")


def test_duplicates_and_bad_input_are_refused(db_session):
    actor = system("tests")
    with pytest.raises(Conflict):
        add_term(db_session, actor, "themes", "communication")
    with pytest.raises(ValidationFailed):
        add_term(db_session, actor, "colours", "blue")
    with pytest.raises(ValidationFailed):
        add_term(db_session, actor, "themes", "Not A Slug!")


def test_list_terms_of_one_kind(db_session):
    assert [t.value for t in list_terms(db_session, "sentiment")] == CONTRACT["sentiment"]


def test_a_new_value_is_accepted_in_records_at_once(
    client, db_session, make_party, auth_headers, make_record
):
    headers = auth_headers(make_party("charity"))
    rec = make_record(themes=["parking"])
    assert client.post("/api/v1/experiences", json=rec, headers=headers).status_code == 422
    add_term(db_session, system("tests"), "theme", "parking", "Parking")
    db_session.commit()
    assert client.post("/api/v1/experiences", json=rec, headers=headers).status_code == 201


@pytest.fixture
def cli_env(fresh_database_url, tmp_path):
    return {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }


def _app():
    app = create_app()
    # Close the pool when the command ends, as `hub` itself does.
    click.get_current_context().find_root().call_on_close(hub_context(app).engine.dispose)
    return app


def test_vocab_add_command(cli_env):
    group = FlaskGroup(create_app=_app, add_default_commands=False)
    group.add_command(vocab)
    runner = CliRunner()
    added = runner.invoke(
        group,
        [
            "vocab",
            "add",
            "service-types",
            "prison-healthcare",
            "--label",
            "Prison healthcare",
            "--json",
        ],
        env=cli_env,
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output) == {
        "kind": "service_type",
        "value": "prison-healthcare",
        "label": "Prison healthcare",
    }
    again = runner.invoke(group, ["vocab", "add", "service_type", "prison-healthcare"], env=cli_env)
    assert again.exit_code == 1
    assert "already" in again.output
    listed = runner.invoke(group, ["vocab", "list", "service_type", "--json"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["service_type"][-1]["value"] == "prison-healthcare"


def test_a_transaction_reads_its_own_new_term_and_no_one_keeps_it_after_a_rollback(db_session):
    before = load_vocabularies(db_session).values("theme")  # now kept by the process
    add_term(db_session, system("tests"), "themes", "parking")
    assert load_vocabularies(db_session).values("theme")[-1] == "parking"
    db_session.rollback()
    assert load_vocabularies(db_session).values("theme") == before


def test_a_term_committed_here_is_read_at_once(db_session):
    assert not load_vocabularies(db_session).allows("theme", "parking")
    add_term(db_session, system("tests"), "themes", "parking")
    db_session.commit()
    assert load_vocabularies(db_session).allows("theme", "parking")
