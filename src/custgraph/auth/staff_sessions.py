"""Staff sessions remembered between requests and confirmed inside the request's own read.

A staff request needs its user's row (active? the token's version current? what does the
role allow?) before anything is answered, and looking it up is a round trip of its own:
about a fifth of a detail read. So a process remembers what the last look-up of a session
found: the principal, and the row as PostgreSQL writes it as text. A later request of
that session is planned for the remembered principal, and the first statement it runs
on the driver also answers whether the row still reads the same (`Reader.carry`). The
answer is released only when it does. When it does not (the token revoked, the user
deactivated, the role changed, a name edited), or when no statement carried the check,
the session is looked up as before and the request answered for what that finds.

This is as strict as the look-up: the check is the same row, compared whole, read in
the same snapshot as the data it comes with. Only PostgreSQL reads on the driver (see
db/direct.py); elsewhere every request looks its session up.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

from custgraph.auth.principal import Principal

# Everything a staff principal is made of, as one text; equal texts, equal principals.
STATE_SQL = (
    "row(staff_users.is_active, staff_users.token_version, staff_users.role, "
    "staff_users.email, staff_users.first_name, staff_users.last_name, roles.permissions)::text"
)

# Carried by a request's first statement: {0} the staff id, {1} the state remembered.
CHECK_SQL = (
    f"coalesce((SELECT {STATE_SQL} FROM staff_users JOIN roles ON roles.name = staff_users.role"
    " WHERE staff_users.id = {0}) = {1}, false)"
)


# A session is used from few addresses (one browser, a proxy or two); past this many,
# the principals built for it are built again.
ADDRESSES_KEPT = 8


@dataclass(frozen=True)
class RememberedSession:
    principal: Principal  # without the client address, which is the request's
    token_version: int
    state: str
    _at_address: dict[str | None, Principal] = field(
        default_factory=dict, compare=False, repr=False
    )

    def principal_at(self, client_address: str | None) -> Principal:
        """The principal for a request from `client_address`: built once per address, as
        copying the principal for every request cost a tenth of a remembered read."""
        principal = self._at_address.get(client_address)
        if principal is None:
            if len(self._at_address) >= ADDRESSES_KEPT:
                self._at_address.clear()
            principal = replace(self.principal, client_address=client_address)
            self._at_address[client_address] = principal
        return principal

    @property
    def key(self) -> tuple[int, int]:
        assert self.principal.id is not None
        return (self.principal.id, self.token_version)

    @property
    def check(self) -> tuple[str, tuple[int, str]]:
        """The condition a statement carries to confirm this session, and its arguments."""
        return CHECK_SQL, (self.key[0], self.state)


class StaffSessions:
    """The sessions a process has looked up lately, by (staff id, token version)."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._sessions: OrderedDict[tuple[int, int], RememberedSession] = OrderedDict()

    def get(self, staff_id: int, token_version: int) -> RememberedSession | None:
        return self._sessions.get((staff_id, token_version))

    def remember(self, session: RememberedSession) -> None:
        self._sessions[session.key] = session
        self._sessions.move_to_end(session.key)
        if len(self._sessions) > self._size:
            self._sessions.popitem(last=False)

    def forget(self, session: RememberedSession) -> None:
        self._sessions.pop(session.key, None)
