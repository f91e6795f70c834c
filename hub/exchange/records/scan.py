"""Reading narratives with the hub's two engines, one way for intake and for the rescan job.

Intake (``enrich.build_rows``) and the ``rescan`` job both call these functions, so a stored
record re-read later gets exactly what a new one would: the redacted copy made with the
registry's place names kept, and the safeguarding assessment from the partner's flags and the
classifier's reading, its reasons quoted with the redaction's identifiers hidden.

``engines_version()`` names the engines: a digest of every file of the ``hub.privacy`` and
``hub.safeguarding`` packages (code, word lists, the trained model). Each record stores the one
it was read with (``scanned_with``); a record read with other engines is due a rescan.

The engines themselves are imported when first used, not when this module is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from hub.registry.keep_list import registry_keep_list
from hub.safeguarding.findings import masked
from hub.safeguarding.rules import Assessment, with_reasons

if TYPE_CHECKING:
    from hub.privacy.keep import KeepList
    from hub.privacy.redaction import RedactionResult
    from hub.safeguarding.classifier import Classification

ENGINE_PACKAGES = ("hub.privacy", "hub.safeguarding")
_ENGINE_SUFFIXES = (".py", ".json", ".txt")


def _files(root: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in root.iterdir():
        name = f"{prefix}/{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                found.extend(_files(entry, name))
        elif entry.name.endswith(_ENGINE_SUFFIXES):
            found.append((name, entry))
    return found


@cache
def engines_version() -> str:
    """A digest of both engines' files (paths and contents); it changes when either engine does."""
    digest = hashlib.sha256()
    for package in ENGINE_PACKAGES:
        for name, entry in sorted(_files(resources.files(package), package)):
            content = entry.read_bytes()
            digest.update(f"{name}\0{len(content)}\0".encode())
            digest.update(content)
    return digest.hexdigest()


def redact_narratives(session: Session, narratives: Sequence[str]) -> list[RedactionResult]:
    """The redacted copies of ``narratives``, the registry's location names kept."""
    # The registry's location names are kept ("Meadowbank Nursing Home" is no person).
    return redact_keeping(narratives, registry_keep_list(session))


def redact_keeping(narratives: Sequence[str], keep: KeepList) -> list[RedactionResult]:
    """The redacted copies of ``narratives`` with ``keep`` kept; no database needed, so work
    done ahead of a transaction (a CSV chunk's) can call it with no transaction open."""
    # Deliberate lazy import: the redaction stack loads only when a narrative is read.
    from hub.privacy.redaction import redact_many

    return redact_many(narratives, keep=keep)


def classify_many(narratives: Sequence[str]) -> dict[str, Classification]:
    """The classifier's reading of each narrative, worked out with no database (see
    :func:`redact_keeping`)."""
    # Deliberate lazy import: the classifier's model loads only when a narrative is read.
    from hub.safeguarding.classifier import classify

    return {text: classify(text) for text in dict.fromkeys(narratives)}


def assessment_of(
    narrative: str,
    redaction: RedactionResult,
    *,
    concern: bool,
    immediate_risk: bool,
    categories: Sequence[str],
    classifications: Mapping[str, Classification] | None = None,
) -> Assessment | None:
    """Whether a narrative with the partner's flags needs the regulator, how soon and why.

    The reasons are stored and shown with the alert: their words are quoted again with every
    identifier of ``redaction`` (the narrative's) hidden, as in the redacted account.
    """
    # Deliberate lazy import: the classifier's model loads only when a narrative is read.
    from hub.safeguarding.classifier import classify, screen

    ready = classifications or {}
    assessment = screen(
        narrative,
        concern=concern,
        immediate_risk=immediate_risk,
        categories=categories,
        classify_text=lambda text: ready.get(text) or classify(text),
    )
    if assessment is None:
        return None
    return with_reasons(assessment, masked(narrative, assessment.reasons, redaction.hidden))
