"""The registry's location names survive redaction; a place named like a person does not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hub.privacy.keep import place_names
from hub.privacy.redaction import redact_many
from hub.registry import keep_list
from hub.registry.keep_list import forget_registry_keep_list, registry_keep_list

NARRATIVE = "Chidozie Meadows was spotless and the staff were kind."


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    forget_registry_keep_list()
    yield
    forget_registry_keep_list()


def redacted(text: str, session: Session) -> str:
    return redact_many([text], keep=registry_keep_list(session))[0].text


def test_a_registered_location_named_in_a_narrative_is_kept(
    db_session: Session, make_location: Callable[..., Any]
) -> None:
    assert redact_many([NARRATIVE])[0].text.startswith("[NAME]")
    make_location("1-200000001", name="Chidozie Meadows")
    assert redacted(NARRATIVE, db_session) == NARRATIVE


def test_a_location_named_like_a_person_protects_nobody(
    db_session: Session, make_location: Callable[..., Any]
) -> None:
    make_location("1-200000002", name="Dr Amara Okafor")
    make_location("1-200000003", name="Amara Okafor")
    assert redacted("Amara Okafor was kind to mum.", db_session) == "[NAME] was kind to mum."


def test_an_import_in_this_process_is_seen_at_once(
    db_session: Session, make_location: Callable[..., Any]
) -> None:
    assert redacted(NARRATIVE, db_session) != NARRATIVE
    make_location("1-200000004", name="Chidozie Meadows")
    assert redacted(NARRATIVE, db_session) != NARRATIVE  # cached until told or rechecked
    forget_registry_keep_list()
    assert redacted(NARRATIVE, db_session) == NARRATIVE


def test_another_process_import_is_seen_at_the_next_check(
    db_session: Session, make_location: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert redacted(NARRATIVE, db_session) != NARRATIVE
    make_location("1-200000005", name="Chidozie Meadows")
    monkeypatch.setattr(keep_list, "RECHECK_SECONDS", 0.0)
    assert redacted(NARRATIVE, db_session) == NARRATIVE


def test_place_names_leave_out_what_looks_like_a_person() -> None:
    names = ["Meadowbank Nursing Home", "Dr A Patel", "Jane Smith", "Oakfield", "Mrs Smith's Home"]
    assert place_names(names) == ["Meadowbank Nursing Home", "Oakfield"]
