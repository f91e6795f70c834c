"""Cutting the newest events is found at once, not at the next seal (issue: about 25,000 events
were unsealed and could be deleted without trace).

Every request that gives a partner a receipt leaves a signed checkpoint of the chain up to that
receipt in object storage; ``hub audit verify`` checks each checkpoint newer than the latest
seal like a seal.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.audit.checkpoints import CHECKPOINT_PREFIX, checkpoint_key
from hub.audit.checks import verify_all
from hub.audit.models import AuditEvent, AuditHead
from hub.jobs.runner import run_job


def _submit(client, headers, make_record):
    answer = client.post(
        "/api/v1/experiences/batch", json={"records": [make_record()]}, headers=headers
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["receipt"]


def _truncate_to(db_session, keep_seq: int) -> None:
    """What someone with only the database can do: delete the newest events, move the head."""
    head_hash = db_session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.seq == keep_seq))
    db_session.execute(sa.delete(AuditEvent).where(AuditEvent.seq > keep_seq))
    db_session.execute(sa.update(AuditHead).values(seq=keep_seq, hash=head_hash))
    db_session.flush()


def test_a_receipt_leaves_a_signed_checkpoint_that_a_cut_chain_contradicts(
    app, client, make_party, auth_headers, make_record, db_session
):
    ctx = app.extensions["hub"]
    headers = auth_headers(make_party("charity"))
    first = _submit(client, headers, make_record)
    second = _submit(client, headers, make_record)
    assert ctx.storage.exists(checkpoint_key(second["audit_seq"]))
    chain, seals = verify_all(ctx)
    assert chain.ok and seals.ok, seals.problems

    _truncate_to(db_session, second["audit_seq"] - 1)

    chain, seals = verify_all(ctx)
    assert chain.ok, "the cut chain is consistent: the chain alone cannot tell"
    assert not seals.ok
    assert [p.upto_seq for p in seals.problems] == [second["audit_seq"]]
    assert "gone" in seals.problems[0].reason
    assert first["audit_seq"] < second["audit_seq"]


def test_a_dataset_downloads_receipt_header_leaves_a_checkpoint(
    app, client, make_party, auth_headers, db_session
):
    import io

    ctx = app.extensions["hub"]
    regulator = auth_headers(make_party("regulator"))
    charity = auth_headers(make_party("charity", conditions=["cancer"]))
    published = client.post(
        "/api/v1/datasets/waits/releases",
        data={
            "file": (io.BytesIO(b"trust,month\nRXQ,2026-01\n"), "w.csv"),
            "title": "Waits",
            "condition_area": "cancer",
        },
        headers=regulator,
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()
    download = client.get("/api/v1/datasets/waits/releases/1/file", headers=charity)
    assert download.status_code == 200
    seq = int(download.headers["Hub-Receipt"].split(",")[0].removeprefix("seq="))
    assert ctx.storage.exists(checkpoint_key(seq))


def test_a_seal_replaces_the_checkpoints_it_covers(
    app, client, make_party, auth_headers, make_record
):
    ctx = app.extensions["hub"]
    headers = auth_headers(make_party("charity"))
    _submit(client, headers, make_record)
    assert list(ctx.storage.list(CHECKPOINT_PREFIX))
    run = run_job(ctx, "audit-seal")
    assert run.stats["checkpoints_removed"] >= 1
    assert list(ctx.storage.list(CHECKPOINT_PREFIX)) == []
    chain, seals = verify_all(ctx)
    assert chain.ok and seals.ok
