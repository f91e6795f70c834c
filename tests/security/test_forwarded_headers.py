"""``hub serve`` (gunicorn) honours forwarded headers only when ``HUB_TRUST_PROXY`` says so
(issue: gunicorn trusted ``X-Forwarded-Proto`` from 127.0.0.1 with the setting off, so the
cookie turned ``Secure`` and HSTS was sent)."""

from __future__ import annotations

import pytest

from hub.serve import gunicorn_options
from tests.fixtures.live_server import serve_hub

pytestmark = pytest.mark.e2e

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def _seen_as_tls(hub) -> tuple[bool, bool]:
    """Whether the hub answered as if over TLS: HSTS sent, the session cookie ``Secure``."""
    page = hub.http.get(f"{hub.url}/portal/sign-in", headers=FORWARDED, timeout=30)
    assert page.status_code == 200
    cookie = page.headers.get("Set-Cookie", "")
    return "Strict-Transport-Security" in page.headers, "secure" in cookie.lower()


def test_gunicorn_itself_trusts_no_forwarded_header():
    options = gunicorn_options(host="127.0.0.1", port=8000, workers=1)
    assert options["forwarded_allow_ips"] == ""
    assert options["secure_scheme_headers"] == {}


def test_a_forwarded_https_from_loopback_is_ignored_without_the_setting(
    fresh_database_url, tmp_path
):
    with serve_hub(fresh_database_url, tmp_path / "plain", workers=1) as hub:
        assert _seen_as_tls(hub) == (False, False)


def test_behind_a_trusted_proxy_the_forwarded_https_counts(fresh_database_url, tmp_path):
    env = {"HUB_TRUST_PROXY": "true"}
    with serve_hub(fresh_database_url, tmp_path / "proxied", workers=1, env=env) as hub:
        assert _seen_as_tls(hub) == (True, True)
