"""Password hashing (auth/passwords.py)."""

from __future__ import annotations

import subprocess
import sys

from custgraph.auth import passwords


def test_a_missing_account_is_verified_against_a_real_hash_of_the_same_parameters() -> None:
    stored = passwords.hash_password("correct horse battery staple")
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "wrong")
    assert not passwords.verify_password(None, "correct horse battery staple")
    dummy = passwords._dummy_hash()
    # Same algorithm, version and cost: a miss costs as long as a hit.
    assert dummy.split("$")[:4] == stored.split("$")[:4]


def test_starting_the_app_makes_no_hash() -> None:
    """A hash takes argon2's 64 MiB for a moment; made at import by every process, it
    set the server's peak memory."""
    code = (
        "import custgraph.app; from custgraph.auth import passwords; "
        "print(passwords._dummy_hash.cache_info().currsize)"
    )
    made = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert made.stdout.strip() == "0"
