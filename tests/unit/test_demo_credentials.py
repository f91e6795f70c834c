"""The demo's printed credentials tell whoever tries the demo which users must set up two-factor
sign-in before they can see anything, and how."""

from __future__ import annotations

from hub.demo import describe

CREDENTIALS = {
    "organisations": [
        {
            "name": "Care Regulator (demo)",
            "kind": "regulator",
            "client_id": "hub_1",
            "client_secret": "s1",
            "scopes": ["regulator:read"],
            "users": [
                {"email": "engagement@regulator.demo", "password": "p1", "role": "engagement"}
            ],
        },
        {
            "name": "Healthwatch Exampleshire (demo)",
            "kind": "healthwatch",
            "client_id": "hub_2",
            "client_secret": "s2",
            "scopes": ["experiences:write"],
            "users": [
                {"email": "volunteer@healthwatch.demo", "password": "p2", "role": "uploader"}
            ],
        },
    ]
}


def test_users_who_must_set_up_two_factor_are_marked_and_told_how() -> None:
    printed = describe(CREDENTIALS, "regulator,auditor")

    assert "engagement@regulator.demo / p1 (engagement) *" in printed
    assert "volunteer@healthwatch.demo / p2 (uploader)\n" in printed
    assert "authenticator app" in printed
    assert "HUB_TWO_FACTOR_REQUIRED_KINDS" in printed


def test_without_two_factor_required_nothing_is_marked() -> None:
    printed = describe(CREDENTIALS, "")

    assert "*" not in printed
    assert "authenticator" not in printed
