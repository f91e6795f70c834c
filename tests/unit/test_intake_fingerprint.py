"""Keyed fingerprints find the same account sent by two partners, and nothing else."""

from __future__ import annotations

from hub.exchange.records.fingerprint import (
    content_digest,
    derive_key,
    fingerprint,
    location_key,
    normalise_narrative,
)

KEY = derive_key("server-secret", "fingerprint")
TEXT = "The nurses ignored my dad's call bell for two hours on Ward 7."


def test_normalisation_ignores_case_punctuation_accents_and_spacing():
    assert normalise_narrative("  Café, CAFE!  cafe\n") == "cafe cafe cafe"


def test_same_account_from_a_copy_with_other_typography_matches():
    copy = "the nurses ignored my dad\u2019s call-bell for two hours on ward 7"
    place = location_key("1-000000001", None, None)
    assert fingerprint(KEY, TEXT, place, "2026-10") == fingerprint(KEY, copy, place, "2026-10")


def test_another_place_or_month_or_secret_gives_another_fingerprint():
    place = location_key("1-000000001", None, None)
    base = fingerprint(KEY, TEXT, place, "2026-10")
    assert base != fingerprint(KEY, TEXT, location_key("1-000000002", None, None), "2026-10")
    assert base != fingerprint(KEY, TEXT, place, "2026-11")
    assert base != fingerprint(derive_key("other-secret", "fingerprint"), TEXT, place, "2026-10")


def test_service_without_registry_id_is_keyed_by_name_and_postcode():
    assert location_key(None, "St Elsewhere's Ward", "sw1a 1aa") == location_key(
        None, "st elsewhere s ward", "SW1A1AA"
    )


def test_empty_narrative_has_no_fingerprint():
    assert fingerprint(KEY, " .. ", "id:1-000000001", "2026-10") is None


def test_content_digest_ignores_key_order_and_depends_on_the_key():
    a = content_digest(KEY, {"a": 1, "b": [1, 2]})
    assert a == content_digest(KEY, {"b": [1, 2], "a": 1})
    assert a != content_digest(derive_key("x", "fingerprint"), {"a": 1, "b": [1, 2]})
    assert derive_key("s", "fingerprint") != derive_key("s", "content-digest")
