"""A remembered staff session answers each request with the principal for that request's
client address, built once per address."""

from __future__ import annotations

from custgraph.auth.principal import Principal, PrincipalKind
from custgraph.auth.staff_sessions import ADDRESSES_KEPT, RememberedSession


def _session() -> RememberedSession:
    principal = Principal(PrincipalKind.STAFF, id=7, label="ada@shop.example.com")
    return RememberedSession(principal, token_version=1, state="(t,1,OWNER)")


def test_each_request_gets_its_own_client_address() -> None:
    session = _session()
    first = session.principal_at("10.0.0.1")
    other = session.principal_at("10.0.0.2")
    assert (first.client_address, other.client_address) == ("10.0.0.1", "10.0.0.2")
    assert first.id == other.id == 7
    assert session.principal.client_address is None


def test_the_principal_for_an_address_is_built_once() -> None:
    session = _session()
    assert session.principal_at("10.0.0.1") is session.principal_at("10.0.0.1")


def test_many_addresses_do_not_grow_the_session_without_bound() -> None:
    session = _session()
    for n in range(ADDRESSES_KEPT * 5):
        assert session.principal_at(f"10.0.1.{n}").client_address == f"10.0.1.{n}"
    assert len(session._at_address) <= ADDRESSES_KEPT
