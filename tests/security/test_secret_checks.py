"""Every endpoint that checks a client secret is rate-limited, and an unknown client id costs
the same argon2 work as a wrong secret (issue: /oauth/introspect and /oauth/revoke had no
limit, and an unknown id answered ten times faster)."""

from __future__ import annotations

from typing import Literal

import pytest
from argon2 import PasswordHasher

from hub.identity import passwords

SECRET_CHECKS = ("/oauth/token", "/oauth/introspect", "/oauth/revoke")


def _post(client, path, client_id, secret):
    data = {"grant_type": "client_credentials", "token": "some-token"}
    return client.post(path, data=data, auth=(client_id, secret))


@pytest.mark.parametrize("path", SECRET_CHECKS)
def test_each_secret_check_is_rate_limited_with_a_problem(make_app, make_party, path):
    client = make_app(token_rate_limit="3 per minute").test_client()
    party = make_party("charity")
    statuses = [_post(client, path, party.client_id, "wrong").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    last = _post(client, path, party.client_id, party.client_secret)
    assert last.status_code == 429
    assert last.content_type == "application/problem+json"
    assert last.get_json()["code"] == "rate-limited"
    assert last.headers["Retry-After"]


def test_the_three_share_one_count(make_app, make_party):
    client = make_app(token_rate_limit="3 per minute").test_client()
    party = make_party("charity")
    statuses = [_post(client, p, party.client_id, "wrong").status_code for p in SECRET_CHECKS]
    assert statuses == [401, 401, 401]
    assert _post(client, "/oauth/token", party.client_id, "wrong").status_code == 429


@pytest.mark.parametrize("path", SECRET_CHECKS)
def test_an_unknown_client_costs_one_argon2_verify_like_a_wrong_secret(
    client, make_party, monkeypatch, path
):
    verified: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    party = make_party("charity")

    assert _post(client, path, party.client_id, "wrong").status_code == 401
    known = len(verified)
    verified.clear()
    assert _post(client, path, "hub_no_such_client", "wrong").status_code == 401
    assert known == 1
    assert len(verified) == 1, "an unknown client id must cost the same work"
