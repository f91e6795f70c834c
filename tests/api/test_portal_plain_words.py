"""'Your records' and the audit log show names and plain words, not ids and slugs, and come in
pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from hub.portal import audit as audit_page
from hub.portal import records as records_page
from tests.api.test_portal_upload import signed_in

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SLUGS = ("regulator_use", "publish_anonymised", "equality_monitoring", "experience.created")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def world(client, make_location, make_party, make_user, auth_headers, make_record):
    make_location("1-000000001", name="Riverside Ward")
    party = make_party("charity", name="Riverside Mind")
    headers = auth_headers(party)
    for n in range(3):
        answer = client.post(
            "/api/v1/experiences",
            json=make_record(partner_record_id=f"rec-{n}", experience_date="2026-09-14"),
            headers=headers,
        )
        assert answer.status_code == 201
    return party, make_user("uploader", org=party.org)


def test_your_records_shows_the_place_the_date_and_the_consent_in_words(app, world, monkeypatch):
    _, user = world
    monkeypatch.setattr(records_page, "PAGE_SIZE", 2)
    portal = signed_in(app, user)

    html = portal.get("/portal/records").get_data(as_text=True)
    text = visible(html)

    assert "Riverside Ward (1-000000001)" in text
    assert "14 September 2026" in text
    assert "Shared with the regulator" in text
    assert "Wants to hear what came of it" in text
    assert "Poor" in text  # overall_experience 4 on the Friends and Family Test scale
    assert not UUID.search(text), UUID.search(text)
    for slug in SLUGS:
        assert slug not in text
    older = re.search(r'href="([^"]*cursor=[^"]*)"[^>]*rel="next"', html)
    assert older
    second = portal.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "rec-0" in second and "rec-2" not in second
    assert "Newest records" in second


def test_the_audit_log_names_who_did_what_to_what(app, world, make_user, monkeypatch):
    party, user = world
    signed_in(app, user)  # a portal sign-in: a user's event
    monkeypatch.setattr(audit_page, "PAGE_SIZE", 5)
    auditor = signed_in(app, make_user("auditor", "auditor"))

    html = auditor.get("/portal/audit").get_data(as_text=True)
    text = visible(html)
    events = visible(html[html.index('<table class="govuk-table') :])

    assert user.email in text
    assert "Signed in to the portal" in text
    assert not UUID.search(text), UUID.search(text)
    assert "user:" not in events and "client:hub_" not in events
    everything = visible(
        auditor.get("/portal/audit", query_string={"organisation_id": str(party.org.id)}).get_data(
            as_text=True
        )
    )
    assert "Experience created" in everything
    assert "Riverside Mind" in everything
    assert "experience.created" not in everything
    assert "Older events" in text
