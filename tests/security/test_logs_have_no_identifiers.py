"""The logs never hold what people told the hub: identifiers planted in a realistic workload
(records, a CSV upload, refused records, failed sign-ins, bad tokens) are searched for in every
log line the hub wrote, with every logger at DEBUG.

In process, all loggers (the root logger, werkzeug, SQLAlchemy, the hub's own) are captured;
then a real ``hub serve`` runs the same workload at ``HUB_LOG_LEVEL=DEBUG`` and its own output
(gunicorn's access and error logs included) is searched too.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, csv_line
from tests.factories import experience_record
from tests.fixtures.live_server import serve_hub

# Identifiers a person might write in their account, each unlikely to occur by chance.
NHS_NUMBER = "943 476 5919"
NHS_DIGITS = "9434765919"
EMAIL = "zebedee.quillfeather@example.com"
PHONE = "07700 900461"
POSTCODE = "NE30 4XZ"
NAME = "Zebedee Quillfeather"
DATE_OF_BIRTH = "17/04/1938"
PLANTED = [NHS_NUMBER, NHS_DIGITS, EMAIL, PHONE, POSTCODE, NAME, "Quillfeather", DATE_OF_BIRTH]

NARRATIVE = (
    f"My father {NAME} (NHS number {NHS_NUMBER}, born {DATE_OF_BIRTH}) was left without water. "
    f"Please call me on {PHONE} or write to {EMAIL}; we live at {POSTCODE}."
)
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Http:
    """The few calls the workload needs, over the Flask test client or real HTTP."""

    post: Callable[..., Any]
    get: Callable[..., Any]


def planted_csv() -> bytes:
    good = dict(EXAMPLE_ROWS[0], partner_record_id=f"logs-{uuid.uuid4().hex[:8]}")
    good["narrative"] = NARRATIVE
    bad = dict(good, partner_record_id=f"logs-{uuid.uuid4().hex[:8]}", experience_date=EMAIL)
    rows = [good, bad]
    text = csv_line(COLUMNS) + "".join(csv_line(r.get(c, "") for c in COLUMNS) for r in rows)
    return text.encode()


def workload(http: Http, client_id: str, secret: str, reg_id: str, reg_secret: str) -> list[str]:
    """Send what a busy day brings; returns the secrets and tokens that must not be logged."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    reg_basic = base64.b64encode(f"{reg_id}:{reg_secret}".encode()).decode()
    reg_token = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {reg_basic}"},
    ).json()["access_token"]

    record = experience_record(narrative=NARRATIVE)
    record["service"] = {"name": f"Ward of {NAME}", "postcode": POSTCODE}
    created = http.post("/api/v1/experiences", json=record, headers=auth)
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    refused = [
        experience_record(narrative=NARRATIVE, experience_date=EMAIL),
        experience_record(narrative=NARRATIVE, overall_experience=PHONE),
        experience_record(narrative=NARRATIVE, consent={"scopes": [NHS_NUMBER]}),
        experience_record(narrative=NARRATIVE, location_id=NHS_DIGITS, themes=[POSTCODE]),
    ]
    for body in refused:
        assert http.post("/api/v1/experiences", json=body, headers=auth).status_code == 422
    # A partner that puts a person's name in its own record id, and then sends it again changed.
    odd = experience_record(narrative=NARRATIVE, partner_record_id=f"{NAME} {PHONE}")
    http.post("/api/v1/experiences", json=odd, headers=auth)
    odd["narrative"] = f"{NARRATIVE} Again."
    assert http.post("/api/v1/experiences", json=odd, headers=auth).status_code == 409
    batch = http.post("/api/v1/experiences/batch", json={"records": refused}, headers=auth)
    assert batch.status_code == 200
    broken = http.post(
        "/api/v1/experiences",
        data=f'{{"narrative": "{NARRATIVE}"',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    upload = http.post(
        "/api/v1/submissions/csv",
        files={"file": ("people.csv", io.BytesIO(planted_csv()), "text/csv")},
        headers=auth,
    )
    assert upload.status_code == 202, upload.text
    http.get(f"/api/v1/submissions/{upload.json()['submission_id']}", headers=auth)
    regulator = {"Authorization": f"Bearer {reg_token}"}
    assert http.get(f"/api/v1/experiences/{record_id}", headers=regulator).status_code == 200
    http.post(f"/api/v1/experiences/{record_id}/withdrawal", headers=auth)

    # Someone else's token, a guessed token, a wrong secret, a scope that is not the client's.
    fake = f"{NHS_DIGITS}{EMAIL}"
    assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {fake}"}).status_code == 401
    wrong = base64.b64encode(f"{client_id}:{EMAIL}".encode()).decode()
    http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {wrong}"},
    )
    http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": NAME},
        headers={"Authorization": f"Basic {basic}"},
    )
    http.post(
        "/oauth/introspect", data={"token": fake}, headers={"Authorization": f"Basic {basic}"}
    )

    # Portal sign-in failures: an unknown e-mail, then a wrong password, then no CSRF token.
    page = http.get("/portal/sign-in")
    csrf = CSRF_INPUT.search(page.text)
    assert csrf
    for password in (f"{NAME} {PHONE}", NHS_NUMBER):
        http.post(
            "/portal/sign-in",
            data={"email": EMAIL, "password": password, "csrf_token": csrf.group(1)},
        )
    http.post("/portal/sign-in", data={"email": EMAIL, "password": NHS_NUMBER})
    http.get(f"/portal/sign-in?next=/portal/{EMAIL}&email={EMAIL}")
    http.get(f"/api/v1/locations?q={POSTCODE}&postcode={POSTCODE}", headers=auth)
    return [token, reg_token, secret, reg_secret]


def found_in(text: str, secrets: list[str]) -> list[str]:
    lowered = text.lower()
    return [s for s in [*PLANTED, *secrets] if s.lower() in lowered]


def lines_with(text: str, secrets: list[str]) -> list[str]:
    """The first few log lines that hold something they must not (for the failure message)."""
    leaked = found_in(text, secrets)
    return [line for line in text.splitlines() if any(s in line for s in leaked)][:5]


class _Response:
    def __init__(self, response: Any) -> None:
        self._r = response
        self.status_code = response.status_code
        self.text = response.get_data(as_text=True)

    def json(self) -> Any:
        return self._r.get_json()


def test_in_process_logs_at_debug_hold_no_identifier(
    make_app, make_party, caplog: pytest.LogCaptureFixture
):
    # The hub's own set-up at DEBUG: every logger at DEBUG except the libraries it holds at a
    # floor (hub.logs.LIBRARY_FLOORS) because they log tokens or statement parameters.
    client = make_app(log_level="DEBUG").test_client()
    partner = make_party("charity")
    regulator = make_party("regulator")
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "hub", "flask", "flask_limiter", "flask_wtf"):
        caplog.set_level(logging.DEBUG, logger=name)

    def post(path: str, *, files: Any = None, **kwargs: Any) -> _Response:
        if files:
            name, stream, _type = files["file"]
            kwargs["data"] = {"file": (stream, name)}
            kwargs["content_type"] = "multipart/form-data"
        return _Response(client.post(path, **kwargs))

    def get(path: str, **kwargs: Any) -> _Response:
        return _Response(client.get(path, **kwargs))

    secrets = workload(
        Http(post=post, get=get),
        partner.client_id,
        partner.client_secret,
        regulator.client_id,
        regulator.client_secret,
    )
    logged = "\n".join(
        [
            caplog.text,
            *(r.getMessage() for r in caplog.records),
            *(str(r.args) for r in caplog.records),
        ]
    )
    assert caplog.records, "nothing was logged: the capture is not working"
    assert found_in(logged, secrets) == [], lines_with(logged, secrets)


def test_database_errors_do_not_carry_statement_parameters(tmp_path):
    import sqlalchemy as sa

    from hub.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'errors.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (narrative TEXT NOT NULL UNIQUE)"))
        conn.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": NARRATIVE})
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": NARRATIVE})
    engine.dispose()
    assert found_in(str(caught.value), []) == []


@pytest.mark.e2e
def test_a_real_server_at_debug_logs_no_identifier(database_url, tmp_path):
    from tests.fixtures.live_server import _new_database

    url, drop = _new_database(database_url, tmp_path)
    try:
        with serve_hub(url, tmp_path / "live", env={"HUB_LOG_LEVEL": "DEBUG"}) as hub:
            partner = hub.add_party("charity")
            regulator = hub.add_party("regulator")
            session = requests.Session()
            base = hub.url

            def post(path: str, **kwargs: Any) -> Any:
                return session.post(base + path, timeout=30, allow_redirects=False, **kwargs)

            def get(path: str, **kwargs: Any) -> Any:
                return session.get(base + path, timeout=30, allow_redirects=False, **kwargs)

            secrets = workload(
                Http(post=post, get=get),
                partner.client_id,
                partner.client_secret,
                regulator.client_id,
                regulator.client_secret,
            )
            session.close()
        logged = hub.log_path.read_text(errors="replace")
    finally:
        if drop:
            drop()
    assert '"POST /api/v1/experiences" 201' in logged, "the access log is missing"
    assert found_in(logged, secrets) == [], lines_with(logged, secrets)
