"""Pure rules of webhooks: URLs, signatures, backoff and the sealed secret."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest

from hub.exchange.notify.rules import (
    EVENTS,
    RETRY,
    SecretBox,
    events_for,
    sign,
    url_problem,
    verify_signature,
)


@pytest.mark.parametrize(
    "url",
    ["https://partner.example/hooks", "http://127.0.0.1:8080/x?y=1", "https://[::1]:9000/"],
)
def test_acceptable_urls(url):
    # Loopback only where private targets are allowed (tests/security/test_webhook_targets.py).
    assert url_problem(url, allow_private=True) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://partner.example/hooks",
        "javascript:alert(1)",
        "https://user:pass@partner.example/hooks",
        "https://token@partner.example/hooks",
        "https:///nohost",
        "https://partner.example/hooks#frag",
        "https://partner.example/a b",
        "https://partner.example:99999/",
        "partner.example/hooks",
        "https://partner.example/" + "x" * 2000,
    ],
)
def test_unacceptable_urls(url):
    assert url_problem(url) is not None


def test_only_the_regulator_gets_regulator_events():
    assert set(events_for("regulator")) == set(EVENTS)
    assert "safeguarding.alert" not in events_for("charity")
    assert "consent.withdrawn" not in events_for("healthwatch")
    assert "dataset.released" in events_for("community_group")


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"event":"dataset.released"}'
    header = sign("whsec_abc", 1767225600, body)
    expected = hmac.new(b"whsec_abc", b"1767225600." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1767225600,v1={expected}"


def test_signature_verification():
    body = b'{"id":"1"}'
    header = sign("s3cret", 1000, body)
    assert verify_signature("s3cret", header, body, now=1100)
    assert not verify_signature("other", header, body, now=1100)
    assert not verify_signature("s3cret", header, body + b" ", now=1100)
    assert not verify_signature("s3cret", header, body, now=1000 + 301)
    assert not verify_signature("s3cret", "t=abc,v1=00", body, now=1000)
    assert not verify_signature("s3cret", "", body, now=1000)


def test_backoff_doubles_up_to_six_hours_and_gives_up_after_twelve_attempts():
    backoff = RETRY.backoff
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(9) == timedelta(minutes=256)
    assert backoff(10) == timedelta(hours=6)
    assert backoff(500) == timedelta(hours=6)
    assert RETRY.max_attempts == 12


def test_secret_box_round_trip_and_key_separation():
    box = SecretBox("hub secret one")
    sealed = box.seal("whsec_xyz")
    assert "whsec_xyz" not in sealed
    assert box.open(sealed) == "whsec_xyz"
    assert SecretBox("hub secret two").open(sealed) is None
    with pytest.raises(ValueError):
        SecretBox("")
