"""Repeated sign-in failures slow the guesser down without telling who has an account."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from hub.clock import utcnow
from hub.identity import signin, throttle
from tests.api.test_portal_signin import PASSWORD, error_message, events, sign_in

_ADDRESSES = itertools.count(1)


@pytest.fixture
def browser(make_app):
    """A new browser at a client address of its own."""
    app = make_app(sign_in_rate_limit="1000 per minute")

    def make(ip: str | None = None):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = ip or f"203.0.113.{next(_ADDRESSES)}"
        return client

    return make


def at(monkeypatch, moment):
    monkeypatch.setattr(signin, "utcnow", lambda: moment)


def answer(response) -> tuple[int, str]:
    return response.status_code, error_message(response.get_data(as_text=True))


def test_every_failure_gets_the_same_answer_known_address_or_not(browser, make_user):
    user = make_user()
    known = [answer(sign_in(browser(), user.email, f"wrong {n}")) for n in range(8)]
    unknown = [answer(sign_in(browser(), "nobody@example.org", f"wrong {n}")) for n in range(8)]
    # Throttled or not, known or not: one answer, and it never speaks of a locked account.
    assert set(known) == set(unknown) and len(set(known)) == 1
    [(status, message)] = set(known)
    assert status == 200 and "locked" not in message.lower()


def test_after_five_failures_an_account_waits_even_with_the_right_password(
    browser, make_user, monkeypatch, db_session
):
    user = make_user()
    start = utcnow()
    at(monkeypatch, start)
    for n in range(5):
        sign_in(browser(), user.email, f"wrong {n}")
    refused = sign_in(browser(), user.email, PASSWORD)
    assert refused.status_code == 200
    at(monkeypatch, start + throttle.FIRST_DELAY + timedelta(seconds=1))
    assert sign_in(browser(), user.email, PASSWORD).status_code == 302
    reasons = [e.details["reason"] for e in events(db_session, "user.sign_in_failed")]
    assert reasons == ["wrong-password"] * 5 + ["throttled"]
    [slowed] = events(db_session, "user.sign_in_throttled")
    assert slowed.object_id == str(user.id)
    assert slowed.details == {"by": "account", "failures": 5, "wait_s": 30}


def test_the_wait_grows_with_each_failure_and_is_capped():
    assert [throttle.delay(n) for n in range(5)] == [timedelta(0)] * 5
    assert throttle.delay(5) == timedelta(seconds=30)
    assert throttle.delay(6) == timedelta(seconds=60)
    assert throttle.delay(7) == timedelta(seconds=120)
    assert throttle.delay(10) == throttle.delay(10_000) == timedelta(minutes=15)


def test_attempts_while_waiting_do_not_push_the_wait_out(browser, make_user, monkeypatch):
    user = make_user()
    start = utcnow()
    at(monkeypatch, start)
    for n in range(5):
        sign_in(browser(), user.email, f"wrong {n}")
    # A guesser keeps trying during the wait: refused, but the owner's wait does not grow.
    for n in range(20):
        at(monkeypatch, start + timedelta(seconds=n))
        sign_in(browser(), user.email, f"guess {n}")
    at(monkeypatch, start + throttle.FIRST_DELAY + timedelta(seconds=1))
    assert sign_in(browser(), user.email, PASSWORD).status_code == 302


def test_one_client_address_guessing_many_accounts_is_slowed_down(browser, make_user):
    user = make_user()
    guesser = "198.51.100.7"
    for n in range(5):
        sign_in(browser(guesser), f"someone-{n}@example.org", "password123")
    assert sign_in(browser(guesser), user.email, PASSWORD).status_code == 200
    # The account itself has no failures: from anywhere else its owner signs in.
    assert sign_in(browser(), user.email, PASSWORD).status_code == 302


def test_failures_are_forgotten_after_an_hour_of_quiet(browser, make_user, monkeypatch):
    user = make_user()
    start = utcnow()
    at(monkeypatch, start)
    for n in range(4):
        sign_in(browser(), user.email, f"wrong {n}")
    at(monkeypatch, start + throttle.FORGET_AFTER)
    for n in range(4):
        sign_in(browser(), user.email, f"wrong again {n}")
    # Eight failures, but never five within the hour: no wait.
    assert sign_in(browser(), user.email, PASSWORD).status_code == 302


def test_a_success_clears_the_accounts_failures(browser, make_user, monkeypatch):
    user = make_user()
    for n in range(4):
        sign_in(browser(), user.email, f"wrong {n}")
    assert sign_in(browser(), user.email, PASSWORD).status_code == 302
    for n in range(4):
        sign_in(browser(), user.email, f"wrong {n}")
    assert sign_in(browser(), user.email, PASSWORD).status_code == 302
