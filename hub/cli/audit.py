"""``hub audit``: verifying the audit log against its seals."""

from __future__ import annotations

import sys

import click

from hub.cli.common import emit, hub_context, json_option


@click.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@json_option
def audit_verify(as_json: bool) -> None:
    """Verify the audit chain and check it against every signed seal; exit 1 on any problem."""
    from hub.audit.checks import verify_all

    result, seals = verify_all(hub_context())
    payload = {**result.to_dict(), "ok": result.ok and seals.ok, "seals": seals.to_dict()}
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
    emit(
        as_json,
        payload,
        f"OK: {result.events} events, head seq {result.head_seq} hash {result.head_hash}; "
        f"{seals.checked} seals agree",
    )
