"""Password hashing: the test suite's cheap switch never changes what a deployment gets."""

from __future__ import annotations

import os
import subprocess
import sys

from argon2 import PasswordHasher, extract_parameters

from hub.identity import passwords

_PROBE = (
    "from hub.identity.passwords import hash_secret; "
    "from argon2 import extract_parameters; "
    "p = extract_parameters(hash_secret('s')); print(p.time_cost, p.memory_cost, p.parallelism)"
)


def _parameters_in_a_process(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_without_the_test_switch_hashes_use_the_default_work_factor():
    env = {k: v for k, v in os.environ.items() if k != passwords.CHEAP_HASHING_ENV}
    default = PasswordHasher()
    expected = f"{default.time_cost} {default.memory_cost} {default.parallelism}"
    assert _parameters_in_a_process(env) == expected
    assert _parameters_in_a_process({**env, passwords.CHEAP_HASHING_ENV: "0"}) == expected


def test_a_hash_made_with_the_defaults_verifies_under_the_test_switch():
    stored = PasswordHasher().hash("correct horse")
    assert extract_parameters(stored).memory_cost == PasswordHasher().memory_cost
    assert passwords.verify_secret(stored, "correct horse")
    assert not passwords.verify_secret(stored, "wrong horse")
