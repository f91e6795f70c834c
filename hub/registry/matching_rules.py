"""Scoring a registry location against a submitted service name and postcode (pure rules).

The score is 0.7 * name similarity + 0.3 * postcode closeness, each in [0, 1]:

- name similarity is the better of difflib's ratio over the normalised names and the Dice
  overlap of their words (twice the shared words over all words), so word order does not matter:
  "Riverside Ward, St Mary's Hospital" and "St Marys Hospital Riverside Ward" score 1;
- postcode closeness is 1 for the same postcode, 0.9 for the same sector (``SW1A 1``), 0.75 for
  the same district (``SW1A``), else 0.

A record is linked automatically only when the best candidate scores at least
``LINK_THRESHOLD`` (0.85: a near-identical name in the same sector, or the same name in the same
district at worst) and beats the runner-up by ``LINK_MARGIN``; otherwise it waits for a person,
with the candidates scoring at least ``CANDIDATE_THRESHOLD`` listed best first.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

NAME_WEIGHT = 0.7
POSTCODE_WEIGHT = 0.3
LINK_THRESHOLD = 0.85
LINK_MARGIN = 0.05
CANDIDATE_THRESHOLD = 0.5
MAX_CANDIDATES = 5

_STOP_WORDS = frozenset({"the", "and", "of", "at", "ltd", "limited"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A registry location as the matcher sees it."""

    location_id: str
    name: str
    postcode: str | None


@dataclass(frozen=True, slots=True)
class Scored:
    location_id: str
    score: float


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """The location to link (or None) and the candidates a person should look at."""

    location_id: str | None
    candidates: tuple[Scored, ...]


def normalise_name(value: str) -> str:
    """Lower-case, accent- and punctuation-free words, possessives dropped."""
    folded = unicodedata.normalize("NFKD", value)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    folded = re.sub(r"['\u2019`]s\b", "", folded)
    folded = re.sub(r"['\u2019`]", "", folded)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", folded).split())


def _words(value: str) -> set[str]:
    # A trailing s is dropped so "St Marys" meets "St Mary's" and "Homes" meets "Home".
    words = (w for w in normalise_name(value).split() if w not in _STOP_WORDS)
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


def name_similarity(a: str, b: str) -> float:
    """How alike two service names are, from 0 to 1."""
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0.0
    ratio = difflib.SequenceMatcher(None, na, nb).ratio()
    wa, wb = _words(a), _words(b)
    overlap = 2 * len(wa & wb) / (len(wa) + len(wb)) if wa and wb else 0.0
    return max(ratio, overlap)


def _compact(postcode: str | None) -> str:
    return "".join((postcode or "").upper().split())


def postcode_closeness(a: str | None, b: str | None) -> float:
    """1 for the same postcode, 0.9 same sector, 0.75 same district, else 0."""
    ca, cb = _compact(a), _compact(b)
    if len(ca) < 5 or len(cb) < 5:
        return 0.0
    if ca == cb:
        return 1.0
    # The inward code is always three characters: its first is the sector.
    outward_a, outward_b = ca[:-3], cb[:-3]
    if outward_a != outward_b:
        return 0.0
    return 0.9 if ca[-3] == cb[-3] else 0.75


def score(candidate: Candidate, name: str | None, postcode: str | None) -> float:
    """How well a location fits the submitted name and postcode, from 0 to 1."""
    return round(
        NAME_WEIGHT * name_similarity(name or "", candidate.name)
        + POSTCODE_WEIGHT * postcode_closeness(postcode, candidate.postcode),
        4,
    )


def decide(
    candidates: Iterable[Candidate], name: str | None, postcode: str | None
) -> MatchDecision:
    """Pick the location to link, if one clearly fits, and the candidates worth a look."""
    scored = sorted(
        (Scored(c.location_id, score(c, name, postcode)) for c in candidates),
        key=lambda s: (-s.score, s.location_id),
    )
    listed = tuple(s for s in scored if s.score >= CANDIDATE_THRESHOLD)[:MAX_CANDIDATES]
    if not listed or listed[0].score < LINK_THRESHOLD:
        return MatchDecision(None, listed)
    runner_up = scored[1].score if len(scored) > 1 else 0.0
    if listed[0].score - runner_up < LINK_MARGIN:
        return MatchDecision(None, listed)
    return MatchDecision(listed[0].location_id, listed)
