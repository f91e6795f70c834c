"""Auditors' portal pages: the log and its filters, its export, the chain's status and seals, each
partner's exchanges month by month, and the job runs."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hub.actor import Actor
from hub.audit.chain import CHAINED_FIELDS, event_hash
from hub.audit.models import AuditEvent, AuditHead
from hub.audit.services import record
from hub.exchange.datasets.models import Delivery
from hub.exchange.records.models import ExperienceRecord, Submission
from hub.jobs.runner import run_job
from hub.web import hub_context
from tests.api.test_portal_upload import signed_in

OCTOBER = datetime(2026, 10, 15, 10, tzinfo=UTC)
ROW = re.compile(r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>')


@pytest.fixture
def auditor(app, make_user):
    return signed_in(app, make_user("auditor", "auditor"))


def _seqs(page: str) -> list[int]:
    """The seq column of the log's table, in page order."""
    if 'id="events"' not in page:
        return []
    body = page.split('id="events"', 1)[1].split("</tbody>", 1)[0]
    return [int(n) for n in ROW.findall(body)]


@pytest.fixture
def logged(db_session, make_org):
    """Known events: two organisations, two actions, October and November."""
    orgs = [make_org("charity", name="Riverside Mind"), make_org("healthwatch")]
    actor = Actor(kind="client", id="hub_probe")
    rows = [
        ("dataset.downloaded", 0, "rel-1", datetime(2026, 10, 3, 9, tzinfo=UTC)),
        ("experience.created", 0, "rec-1", datetime(2026, 10, 20, 9, tzinfo=UTC)),
        ("experience.created", 1, "rec-2", datetime(2026, 10, 31, 23, tzinfo=UTC)),
        ("experience.created", 0, "rec-3", datetime(2026, 11, 1, 0, 30, tzinfo=UTC)),
    ]
    events = [
        record(db_session, actor, action, object_id=obj, organisation_id=orgs[i].id, now=at)
        for action, i, obj, at in rows
    ]
    db_session.commit()
    return orgs, [ev.seq for ev in events]


def test_filters_narrow_the_log(auditor, logged):
    orgs, seqs = logged
    everything = auditor.get("/portal/audit").get_data(as_text=True)
    assert set(seqs) <= set(_seqs(everything))
    assert _seqs(everything) == sorted(_seqs(everything), reverse=True)

    october = auditor.get(
        "/portal/audit", query_string={"from": "2026-10-01", "to": "2026-10-31"}
    ).get_data(as_text=True)
    assert _seqs(october) == [seqs[2], seqs[1], seqs[0]]
    one_org = auditor.get(
        "/portal/audit",
        query_string={"organisation_id": str(orgs[0].id), "action": "experience.*"},
    ).get_data(as_text=True)
    assert _seqs(one_org) == [seqs[3], seqs[1]]
    assert "Riverside Mind" in one_org
    by_object = auditor.get("/portal/audit", query_string={"object_id": "rec-2"})
    assert _seqs(by_object.get_data(as_text=True)) == [seqs[2]]
    by_actor = auditor.get("/portal/audit", query_string={"actor": "client:hub_probe"})
    assert _seqs(by_actor.get_data(as_text=True)) == seqs[::-1]


def test_a_bad_date_is_explained_not_an_error(auditor, logged):
    response = auditor.get("/portal/audit", query_string={"from": "31/10/2026", "to": "soon"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    # Each wrong date is named, so the two messages tell which is which.
    assert "The first day must be a date as year-month-day, like 2026-10-31" in page
    assert "The last day must be a date as year-month-day, like 2026-10-31" in page
    assert _seqs(page) == []


def test_a_nul_byte_in_a_filter_is_explained_beside_that_filter(auditor, logged):
    response = auditor.get(
        "/portal/audit", query_string={"actor": "\x00", "object_id": "rec\x00", "from": "\x00"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    summary = page.split("govuk-error-summary__list")[1].split("</ul>")[0]
    assert re.findall(r'<a href="([^"]+)">', summary) == ["#object_id", "#actor", "#from"]
    assert "Enter an actor as the log writes it, like user:… or client:hub_…" in summary
    assert "Enter an object id as the log writes it" in summary
    assert 'id="actor-error"' in page and 'aria-describedby="actor-hint actor-error"' in page
    # What was typed comes back, the character no event can hold shown as such.
    assert 'value="rec\ufffd"' in page and "\x00" not in page
    assert _seqs(page) == []
    # The export the page links to refuses it as before.
    assert auditor.get("/portal/audit/export.csv?actor=%00").status_code == 400


def test_pages_follow_older_events_without_repeats(app, auditor, logged, db_session):
    actor = Actor(kind="client", id="hub_pager")
    for i in range(60):
        record(db_session, actor, "probe.paged", object_id=f"p-{i}", organisation_id=None)
    db_session.commit()
    seen: list[int] = []
    url = "/portal/audit?action=probe.paged"
    while url:
        page = auditor.get(url).get_data(as_text=True)
        seen.extend(_seqs(page))
        match = re.search(r'href="([^"]+)" rel="next"', page)
        url = match.group(1).replace("&amp;", "&") if match else ""
    assert len(seen) == 60
    assert seen == sorted(set(seen), reverse=True)


def test_rows_show_hash_and_seal_and_the_status_panel_the_seals(app, auditor, logged, db_session):
    _, seqs = logged
    before = auditor.get("/portal/audit/chain").get_data(as_text=True)
    assert "The audit chain verifies" in before
    assert "No seal has been made yet" in before
    assert "has not checked the chain yet" in auditor.get("/portal/audit").get_data(as_text=True)

    run = run_job(hub_context(app), "audit-seal")
    assert run.status == "succeeded", run.error
    sealed = run.stats["sealed_upto_seq"]
    page = auditor.get("/portal/audit", query_string={"object_id": "rec-1"}).get_data(as_text=True)
    assert _seqs(page) == [seqs[1]]
    digest = db_session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.seq == seqs[1]))
    assert f'<code class="hub-code">{digest[:12]}</code>' in page
    assert f"Seal {sealed}" in page
    assert re.search(rf"checked every\s+event \({run.stats['events']}\)", page)
    chain = auditor.get("/portal/audit/chain").get_data(as_text=True)
    assert "Latest seals" in chain
    assert "Verified" in chain
    # Sealing is itself an event, after the seal: it waits for the next one.
    assert "are not yet sealed" in chain


def test_the_log_shows_a_failed_check_of_the_seal_job(app, auditor, logged, db_session):
    _, seqs = logged
    db_session.execute(
        sa.update(AuditEvent).where(AuditEvent.seq == seqs[1]).values(object_id="edited")
    )
    db_session.commit()
    assert run_job(hub_context(app), "audit-seal").status == "failed"
    page = auditor.get("/portal/audit").get_data(as_text=True)
    assert "Failed" in page
    assert f"broken at seq {seqs[1]}" in page


def test_a_tampered_row_shows_the_first_bad_seq(app, auditor, logged, db_session):
    _, seqs = logged
    run_job(hub_context(app), "audit-seal")
    db_session.execute(
        sa.update(AuditEvent).where(AuditEvent.seq == seqs[1]).values(object_id="edited")
    )
    db_session.commit()
    page = auditor.get("/portal/audit/chain").get_data(as_text=True)
    assert "The audit chain does not verify" in page
    assert f"First bad event: seq {seqs[1]}" in page


def test_a_rewrite_that_recomputes_every_hash_fails_its_seal(app, auditor, logged, db_session):
    _, seqs = logged
    sealed = run_job(hub_context(app), "audit-seal").stats["sealed_upto_seq"]
    events = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.seq >= seqs[1]).order_by(AuditEvent.seq)
    ).all()
    prev = events[0].prev_hash
    for ev in events:
        if ev.seq == seqs[1]:
            ev.object_id = "edited"
        ev.prev_hash = prev
        ev.hash = event_hash(prev, {name: getattr(ev, name) for name in CHAINED_FIELDS})
        prev = ev.hash
    db_session.execute(sa.update(AuditHead).values(hash=prev))
    db_session.commit()
    page = auditor.get("/portal/audit/chain").get_data(as_text=True)
    assert "The audit chain does not verify" in page
    assert "First bad event" not in page  # the chain itself hangs together
    assert f"Seal up to seq {sealed}: the event&#39;s hash is not the sealed hash" in page
    assert "Failed" in page


def test_csv_export_is_formula_safe_filtered_and_audited(auditor, logged, db_session, make_org):
    org = make_org("charity")
    record(
        db_session,
        Actor(kind="client", id="hub_x"),
        "probe.exported",
        object_id="=HYPERLINK(1)",
        organisation_id=org.id,
    )
    db_session.commit()
    response = auditor.get("/portal/audit/export.csv", query_string={"action": "probe.exported"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["object_id"] for r in rows] == ["'=HYPERLINK(1)"]
    exported = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "audit.exported")
    ).all()
    assert len(exported) == 1
    assert exported[0].actor.startswith("user:")
    assert exported[0].details == {
        "filters": {"action": "probe.exported"},
        "rows": 1,
        "format": "csv",
    }
    page = auditor.get("/portal/audit", query_string={"action": "probe.exported"})
    assert "/portal/audit/export.csv?action=probe.exported" in page.get_data(as_text=True)


@pytest.fixture
def october(client, db_session, make_party, auth_headers, make_record):
    """A partner's October: four records sent (one rejected, one later withdrawn in October),
    one release downloaded; and its two October audit events."""
    charity = make_party("charity", name="Riverside Mind", conditions=["mental-health"])
    regulator = auth_headers(make_party("regulator"))
    headers = auth_headers(charity)
    records = [make_record() for _ in range(4)]
    records[1]["consent"]["scopes"] = ["feedback"]  # no regulator_use: rejected
    batch = client.post("/api/v1/experiences/batch", json={"records": records}, headers=headers)
    assert batch.status_code == 200, batch.get_json()
    ids = [r["id"] for r in batch.get_json()["results"] if r["status"] == "created"]
    assert len(ids) == 3
    withdrawn = client.post(f"/api/v1/experiences/{ids[0]}/withdrawal", headers=headers)
    assert withdrawn.status_code == 200
    published = client.post(
        "/api/v1/datasets/mh-survey/releases",
        data={
            "file": (io.BytesIO(b"org_code,score\nXA1,80\n"), "mh.csv"),
            "title": "Mental health survey",
            "condition_area": "mental-health",
        },
        headers=regulator,
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()
    assert client.get("/api/v1/datasets/mh-survey/releases/1/file", headers=headers).status_code
    org_id = charity.id
    # Move what happened into October (the audit chain keeps its own times).
    db_session.execute(
        sa.update(Submission).where(Submission.organisation_id == org_id).values(created_at=OCTOBER)
    )
    db_session.execute(
        sa.update(ExperienceRecord)
        .where(ExperienceRecord.organisation_id == org_id)
        .values(received_at=OCTOBER)
    )
    db_session.execute(
        sa.update(ExperienceRecord)
        .where(ExperienceRecord.id == uuid.UUID(ids[0]))
        .values(withdrawn_at=OCTOBER.replace(day=20))
    )
    db_session.execute(
        sa.update(Delivery).where(Delivery.organisation_id == org_id).values(delivered_at=OCTOBER)
    )
    actor = Actor(kind="client", id=charity.client_id, organisation_id=org_id)
    for obj in ("a", "b"):
        record(db_session, actor, "probe.october", object_id=obj, now=OCTOBER)
    db_session.commit()
    return charity


def test_the_partner_timeline_answers_what_was_sent_and_received_in_october(app, auditor, october):
    listing = auditor.get("/portal/audit/partners").get_data(as_text=True)
    url = f"/portal/audit/partners/{october.id}"
    assert f'href="{url}"' in listing
    assert "Riverside Mind" in listing

    run = run_job(hub_context(app), "audit-seal")
    assert run.status == "succeeded", run.error
    page = auditor.get(url, query_string={"from": "2026-10", "to": "2026-10"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "October 2026" in text
    assert "4 submitted: 3 accepted, 1 rejected; 1 withdrawn this month" in text
    assert "Batch: 1 submission, 4 records (3 accepted, 1 rejected)" in text
    assert "1 dataset release delivered (1 downloaded through the hub, 0 by a storage link)" in text
    assert "2 events" in text
    sealed = run.stats["sealed_upto_seq"]
    assert f"covered by seal {sealed}, which the last full check found intact" in text
    # The month links to the log filtered to the partner and the month.
    log_link = f"/portal/audit?organisation_id={october.id}&amp;from=2026-10-01&amp;to=2026-10-31"
    assert log_link in text
    log = auditor.get(log_link.replace("&amp;", "&")).get_data(as_text=True)
    assert log.count(">Probe october<") == 2  # each event's action, in words


def test_a_failed_check_is_shown_on_the_timeline(app, auditor, october, db_session):
    assert run_job(hub_context(app), "audit-seal").status == "succeeded"
    first = db_session.scalar(sa.select(sa.func.min(AuditEvent.seq)))
    db_session.execute(sa.update(AuditEvent).where(AuditEvent.seq == first).values(ip="10.9.9.9"))
    db_session.commit()
    assert run_job(hub_context(app), "audit-seal").status == "failed"
    text = auditor.get(
        f"/portal/audit/partners/{october.id}", query_string={"from": "2026-10", "to": "2026-10"}
    ).get_data(as_text=True)
    assert "the last full check found a problem" in text
    assert "found intact" not in text


def test_unsealed_october_says_so(auditor, october):
    text = auditor.get(
        f"/portal/audit/partners/{october.id}", query_string={"from": "2026-10", "to": "2026-10"}
    ).get_data(as_text=True)
    assert "not yet sealed" in text


def test_a_non_partner_or_unknown_organisation_has_no_timeline(auditor, make_org):
    assert auditor.get(f"/portal/audit/partners/{uuid.uuid4()}").status_code == 404
    regulator = make_org("regulator")
    assert auditor.get(f"/portal/audit/partners/{regulator.id}").status_code == 404


def test_a_bad_month_is_explained(auditor, october):
    response = auditor.get(
        f"/portal/audit/partners/{october.id}", query_string={"from": "Oct", "to": "Nov"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The first month must be a month as year-month, like 2026-10" in page
    assert "The last month must be a month as year-month, like 2026-10" in page


def test_job_runs_are_listed_with_status_and_figures(app, auditor, logged):
    run_job(hub_context(app), "audit-seal")
    page = auditor.get("/portal/audit/jobs").get_data(as_text=True)
    assert "audit-seal" in page
    assert "Succeeded" in page
    assert "sealed upto seq" in page
    filtered = auditor.get("/portal/audit/jobs", query_string={"job": "reconcile"})
    assert "No job has run under that name yet" in filtered.get_data(as_text=True)
    bad = auditor.get("/portal/audit/jobs", query_string={"cursor": "!!"})
    assert bad.status_code == 200
    assert "There is a problem" in bad.get_data(as_text=True)


def test_a_job_run_figure_that_is_a_list_reads_as_words(app, auditor, logged):
    run_job(hub_context(app), "reconcile")
    page = auditor.get("/portal/audit/jobs", query_string={"job": "reconcile"})
    row = page.get_data(as_text=True).split("<tbody", 1)[1]
    assert "ledger months closed: none" in row
    assert "[]" not in row and "['" not in row


@pytest.mark.parametrize(
    ("role", "kind"),
    [("uploader", "charity"), ("admin", "healthwatch"), ("inspector", "regulator")],
)
def test_only_auditors_reach_the_audit_pages(app, make_user, role, kind, logged):
    client = signed_in(app, make_user(role, kind))
    for path in (
        "/portal/audit",
        "/portal/audit/export.csv",
        "/portal/audit/partners",
        f"/portal/audit/partners/{logged[0][0].id}",
        "/portal/audit/jobs",
    ):
        assert client.get(path).status_code == 403, path
