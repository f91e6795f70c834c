"""``hub audit``: verifying the audit log against its seals."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from hub.cli.common import emit, hub_context, json_option

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from hub.context import HubContext
    from hub.exchange.records.integrity import ContentProblem


@click.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@json_option
def audit_verify(as_json: bool) -> None:
    """Verify the audit chain and check it against every signed seal; exit 1 on any problem."""
    from functools import partial

    from hub.audit.checks import check_all
    from hub.exchange.records.config import IntakeConfig

    ctx = hub_context()
    key = IntakeConfig.from_settings(ctx.settings, ctx.secret_key).digest_key
    # The stored content is checked span by span in the chain's own pass and snapshot.
    checked = check_all(ctx, span_check=partial(content_problems_in, key))
    result, seals = checked.chain, checked.seals
    content: list[ContentProblem] = checked.found[:MAX_CONTENT_PROBLEMS]
    payload = {
        **result.to_dict(),
        "ok": result.ok and seals.ok and not content,
        "seals": seals.to_dict(),
        "content": {"ok": not content, "problems": [p.to_dict() for p in content]},
    }
    if not result.ok:
        emit(
            as_json,
            payload,
            f"BROKEN at seq {result.first_bad_seq}: {result.reason} "
            f"({result.events} events verified before it)",
        )
        sys.exit(1)
    if not seals.ok:
        emit(
            as_json,
            payload,
            "SEALS DISAGREE with the chain:"
            + "".join(f"\n  upto_seq {p.upto_seq}: {p.reason}" for p in seals.problems),
        )
        sys.exit(1)
    if content:
        emit(
            as_json,
            payload,
            "STORED CONTENT DISAGREES with its audit events:"
            + "".join(f"\n  seq {p.seq}, record {p.experience_id}: {p.reason}" for p in content),
        )
        sys.exit(1)
    emit(
        as_json,
        payload,
        f"OK: {result.events} events, head seq {result.head_seq} hash {result.head_hash}; "
        f"{seals.checked} seals agree; every record's stored content matches its event",
    )


MAX_CONTENT_PROBLEMS = 100


def stored_content_problems(ctx: HubContext) -> list[ContentProblem]:
    """Records whose stored content or consent differs from what their audit event pinned."""
    from itertools import islice

    from hub.db import transaction
    from hub.exchange.records.config import IntakeConfig
    from hub.exchange.records.integrity import check_stored_content

    key = IntakeConfig.from_settings(ctx.settings, ctx.secret_key).digest_key
    with transaction(ctx.session_factory) as session:
        return list(islice(check_stored_content(session, key), MAX_CONTENT_PROBLEMS))


def content_problems_in(
    key: bytes, connection: Connection, after: int, upto: int
) -> list[ContentProblem]:
    """The first records whose content differs from their event, of the events with
    ``after < seq <= upto`` (``hub audit verify``'s check on each span of the chain)."""
    from itertools import islice

    from hub.exchange.records.integrity import check_stored_content

    found = check_stored_content(connection, key, after=after, upto=upto)
    return list(islice(found, MAX_CONTENT_PROBLEMS))
