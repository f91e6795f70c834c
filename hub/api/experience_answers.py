"""The shapes of the answers to record submissions: intake's results as the API words them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from hub.exchange.records.intake import OneAnswer
from hub.exchange.records.items import CREATED, REJECTED, REPLAYED, ItemResult


def one_body(answer: OneAnswer) -> dict[str, Any]:
    """One record's answer: the stored record with its outcome, or a dry run's verdict."""
    result = answer.result
    if answer.record is None:
        return {
            "dry_run": True,
            "outcome": result.status,
            "id": str(result.id) if result.id else None,
            "partner_record_id": result.partner_record_id,
            "status": result.record_status,
            "equality_dropped": result.equality_dropped,
        }
    return {
        **answer.record,
        "outcome": result.status,
        "dry_run": False,
        "equality_dropped": result.equality_dropped,
    }


def batch_body(
    submission_id: uuid.UUID | None, results: Sequence[ItemResult], *, dry: bool = False
) -> dict[str, Any]:
    """The batch answer: counts and one result per record, error paths from ``records[i]``."""
    created = sum(r.status == CREATED for r in results)
    replayed = sum(r.status == REPLAYED for r in results)
    return {
        "submission_id": str(submission_id) if submission_id else None,
        "dry_run": dry,
        "accepted": created + replayed,
        "created": created,
        "replayed": replayed,
        "rejected": len(results) - created - replayed,
        "results": [_item(r) for r in results],
    }


def _item(result: ItemResult) -> dict[str, Any]:
    item: dict[str, Any] = {
        "index": result.index,
        "partner_record_id": result.partner_record_id,
        "status": result.status,
    }
    if result.id is not None and result.status != REJECTED:
        item["id"] = str(result.id)
    if result.status == REJECTED:
        item["code"] = result.code
        item["errors"] = {
            f"records[{result.index}].{path}"
            if path != "_schema"
            else f"records[{result.index}]": msgs
            for path, msgs in (result.errors or {}).items()
        }
    else:
        item["record_status"] = result.record_status
        item["equality_dropped"] = result.equality_dropped
        item["safeguarding_alert"] = result.alert_id is not None
        item["safeguarding"] = (
            {"alert_id": str(result.alert_id), **result.alert}
            if result.alert_id is not None and result.alert is not None
            else None
        )
    return item
