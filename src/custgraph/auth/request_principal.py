"""Who is calling: the principal of one request, from its Authorization header.

A staff token whose session was looked up before is taken as remembered, and the session
is confirmed by the request's first statement (auth/staff_sessions.py). When that does not
confirm it, `confirmed` looks the caller up after all. An AuthenticationFailed is for the
endpoint to answer with 401.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.auth.authenticate import authenticate, remembered_staff
from custgraph.auth.principal import Principal
from custgraph.auth.staff_sessions import RememberedSession, StaffSessions
from custgraph.db.reader import Reader


@dataclass(frozen=True)
class Credentials:
    authorization: str | None
    client_address: str | None


class RequestPrincipals:
    def __init__(self, engine: AsyncEngine, secret: str, sessions: StaffSessions) -> None:
        self._engine = engine
        self._secret = secret
        self._sessions = sessions

    async def look_up(self, reader: Reader, credentials: Credentials) -> Principal:
        return await authenticate(
            reader,
            self._engine,
            self._secret,
            credentials.authorization,
            credentials.client_address,
            self._sessions,
        )

    def remembered(
        self, reader: Reader, credentials: Credentials
    ) -> tuple[Principal, RememberedSession] | None:
        """The remembered staff session and its principal, the session's check carried by
        the reader's first statement; None to `look_up` the caller."""
        if not reader.can_carry:
            return None
        found = remembered_staff(
            self._secret, credentials.authorization, credentials.client_address, self._sessions
        )
        if found is not None:
            reader.carry(*found[1].check)
        return found

    async def confirmed(
        self,
        reader: Reader,
        credentials: Credentials,
        session: RememberedSession,
        principal: Principal,
    ) -> Principal:
        """Who the caller of a remembered session is, once the request's statement ran:
        `principal` when it confirmed the session, else as looked up now."""
        reader.stop_carrying()
        if reader.carried_answer is True:
            return principal
        # Changed, or not confirmed: the look-up remembers it again if it holds.
        self._sessions.forget(session)
        return await self.look_up(reader, credentials)
