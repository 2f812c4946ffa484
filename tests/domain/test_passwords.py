"""Password hashing (auth/passwords.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from custgraph.auth import passwords


async def test_a_missing_account_is_verified_against_a_real_hash_of_the_same_parameters() -> None:
    stored = await passwords.hash_password("correct horse battery staple")
    assert await passwords.verify_password(stored, "correct horse battery staple")
    assert not await passwords.verify_password(stored, "wrong")
    assert not await passwords.verify_password(None, "correct horse battery staple")
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


async def test_hashing_and_verifying_leave_the_event_loop_free() -> None:
    """argon2 takes tens of milliseconds of CPU: run on the event loop, a sign-in would
    stop every other request of the process for that long."""
    loop = asyncio.get_running_loop()
    for work in (
        lambda: passwords.hash_password("correct horse battery staple"),
        lambda: passwords.verify_password(None, "correct horse battery staple"),
    ):
        others: list[str] = []
        loop.call_soon(others.append, "served")
        result = work()
        if asyncio.iscoroutine(result):
            await result
        assert others == ["served"], "the event loop waited for argon2"
