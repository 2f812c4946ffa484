"""Password hashing with argon2id, off the event loop."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# One hash or verification takes tens of milliseconds of CPU and 64 MiB: on the event
# loop it would stop every other request of the process for that long. argon2 releases
# the GIL; two threads per process let sign-ins overlap without a flood of them taking
# the process's memory.
_ARGON2 = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


@cache
def _dummy_hash() -> str:
    """Verified when the account does not exist, so a miss costs as long as a hit and the
    timing does not tell whether an email is registered. Made on first need, not at
    import: a hash takes argon2's 64 MiB for a moment, which set the process's peak
    memory (156 MB against 103 MB after start-up) when every process made one."""
    return _hasher.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_ARGON2, _hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends one argon2 verification."""
    return await asyncio.get_running_loop().run_in_executor(
        _ARGON2, _verify, password_hash, password
    )


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        verified: bool = _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return verified and password_hash is not None


async def upgraded_hash(password_hash: str, password: str) -> str | None:
    """A new hash of `password` when `password_hash` (just verified with it) was made with
    other argon2 parameters than the current ones, else None: hashes are brought up to
    date as their owners sign in, the only time the password is known."""
    if not _hasher.check_needs_rehash(password_hash):
        return None
    return await hash_password(password)
