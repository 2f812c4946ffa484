"""Fuzzing the whole API over HTTP: every query and mutation with random and hostile input.

Whatever arrives, the answer is a JSON body with no 5xx, no stack, no SQL or driver text,
and every error carries a contract code other than INTERNAL (which means an exception that
nothing expected: a bug to report with its query and server log).

Documents are drawn by hypothesis-graphql in a synchronous `@given` that only collects
them; the async test then sends them to the writable world and checks each answer.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries
from sqlalchemy import func, select

from custgraph.db.models import Customer
from custgraph.global_id import decode_global_id
from tests.conftest import SeededWorld
from tests.support.truth import fetch

# The suite draws a fixed set of documents (derandomized: the same on every run, so a
# failure reproduces). CUSTGRAPH_FUZZ=1 draws new random ones, five times as many:
#   CUSTGRAPH_FUZZ=1 .venv/bin/pytest tests/api/test_fuzz.py
EXPLORE = bool(os.environ.get("CUSTGRAPH_FUZZ"))
SCALE = 5 if EXPLORE else 1

SCHEMA = (Path(__file__).parents[2] / "schema.graphql").read_text()

ALLOWED_CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_REQUEST",
    "QUERY_TOO_DEEP",
    "QUERY_TOO_COMPLEX",
    "RATE_LIMITED",
}
LEAKS_EXACT = ("Traceback", 'File "', "SELECT ", "INSERT ", "UPDATE ")
LEAKS_ANY_CASE = ("sqlalchemy", "asyncpg", "sqlite3", "psycopg")

NODE_TYPES = (
    "Address",
    "ApiKey",
    "CreditEntry",
    "Customer",
    "CustomerEvent",
    "GiftCard",
    "Membership",
    "Note",
    "Notification",
    "Order",
    "PointsEntry",
    "StaffUser",
)
# Text that no generated string may be trusted to avoid; hostile strings are built from it.
HOSTILE_TEXT = (
    "'; DROP TABLE customers; --",
    "%' OR 1=1 --",
    '" OR ""="',
    "\\x00",
    "\x00",
    "__proto__",
    "😀" * 10,
    "a" * 5000,
    "",
    " ",
    "%",
    "_",
    "\\",
)


# --- scalar strategies ---------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _string(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return strategy.map(lambda s: graphql.StringValueNode(value=s))


def id_values(db_ids: st.SearchStrategy[int]) -> st.SearchStrategy[graphql.ValueNode]:
    """Random strings, and well-formed (or almost) base64 global ids of every node type."""
    type_names = st.sampled_from(NODE_TYPES) | st.text(max_size=12)
    global_ids = st.builds(lambda t, i: _b64(f"{t}:{i}"), type_names, db_ids)
    odd_ids = st.sampled_from(
        [
            _b64("Customer:0"),
            _b64("Customer:-1"),
            _b64("Customer:01"),
            _b64("Customer:1e3"),
            _b64("Customer:" + "9" * 40),
            _b64(":1"),
            _b64("Customer:"),
            "Q3VzdG9tZXI6MQ",  # unpadded
            base64.urlsafe_b64encode(b"Customer:1").decode(),
            _b64("Customer:1") + "\n",
            "=" * 8,
            base64.b64encode(b"\xff\xfe:1").decode(),
        ]
    )
    return _string(global_ids | odd_ids | st.text(max_size=40) | st.sampled_from(HOSTILE_TEXT))


DECIMAL_TEXT = st.sampled_from(
    [
        *("0", "-0", "1.5", "-12.345", "1e400", "-1e400", "NaN", "Infinity", "-Infinity"),
        *("1e-400", "9" * 60, "0." + "1" * 60, "1,5", "١٢٣", " 3 ", "0x10", "1_000"),
    ]
)
DECIMAL = (
    _string(DECIMAL_TEXT | st.decimals(allow_nan=False).map(str) | st.text(max_size=20))
    | st.integers(min_value=-(10**30), max_value=10**30).map(
        lambda i: graphql.IntValueNode(value=str(i))
    )
    | st.floats(allow_nan=False, allow_infinity=False).map(
        lambda f: graphql.FloatValueNode(value=repr(f))
    )
)
DATE = _string(
    st.dates().map(str)
    | st.sampled_from(["2024-02-30", "0000-01-01", "9999-12-31", "2024-13-01", "24-1-1"])
    | st.text(max_size=20)
)
DATETIME = _string(
    st.datetimes().map(lambda d: d.isoformat())
    | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    | st.sampled_from(["2024-01-01T25:00:00Z", "2024-01-01T00:00:00+99:00", "now", "0"])
    | st.text(max_size=30)
)


def scalars(db_ids: st.SearchStrategy[int]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    return {"ID": id_values(db_ids), "Decimal": DECIMAL, "Date": DATE, "DateTime": DATETIME}


# --- drawing documents -----------------------------------------------------------------------


def draw_documents(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """Up to `count` documents of `strategy`, drawn by a throwaway synchronous @given."""
    drawn: list[str] = []

    @settings(
        max_examples=count,
        derandomize=not EXPLORE,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(document: str) -> None:
        drawn.append(document)

    collect()
    return drawn


def documents(
    build: Any, count: int, db_ids: st.SearchStrategy[int], negative_share: float = 0.3
) -> list[str]:
    custom = scalars(db_ids)
    negative = int(count * negative_share)
    return draw_documents(build(SCHEMA, custom_scalars=custom), count - negative) + (
        draw_documents(build(SCHEMA, custom_scalars=custom, mode=Mode.NEGATIVE), negative)
    )


# --- checking answers --------------------------------------------------------------------------


class Checker:
    """Sends requests and collects every broken property instead of stopping at the first."""

    def __init__(self, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
        self.http = http
        self.caplog = caplog
        self.failures: list[str] = []

    async def post(
        self,
        label: str,
        *,
        token: str | None,
        json_body: Any = None,
        content: bytes | None = None,
        content_type: str = "application/json",
        accept: str = "application/graphql-response+json",
    ) -> httpx.Response:
        headers = {"Accept": accept, "Content-Type": content_type}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content is None:
            content = json.dumps(json_body).encode()
        self.caplog.clear()
        response = await self.http.post("/graphql", content=content, headers=headers)
        self.check(label, response)
        return response

    def check(self, label: str, response: httpx.Response) -> None:
        problems: list[str] = []
        text = response.text
        if response.status_code >= 500:
            problems.append(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
            problems.append("no JSON body")
        problems += [f"leaks {word!r}" for word in LEAKS_EXACT if word in text]
        problems += [f"leaks {word!r}" for word in LEAKS_ANY_CASE if word in text.lower()]
        if isinstance(body, dict):
            for error in body.get("errors") or []:
                code = (error.get("extensions") or {}).get("code")
                if code == "INTERNAL":
                    problems.append("INTERNAL error (an unexpected exception on the server)")
                elif code not in ALLOWED_CODES:
                    problems.append(f"error code {code!r} outside the contract")
        elif body is not None:
            problems.append("JSON body is not an object")
        if problems:
            logs = "\n".join(
                f"    {r.name} {r.levelname}: {r.getMessage()}"
                + (f"\n      {r.exc_info[1]!r}" if r.exc_info and r.exc_info[1] else "")
                for r in self.caplog.records
                if r.levelno >= logging.WARNING
            )
            self.failures.append(
                f"{label}: {', '.join(sorted(set(problems)))}\n"
                f"  request: {label}\n"
                f"  response {response.status_code}: {text[:1500]}\n"
                f"  server log:\n{logs or '    (nothing at WARNING or above)'}"
            )

    async def documents(self, kind: str, docs: list[str], token: str | None, who: str) -> None:
        for document in docs:
            await self.post(
                f"{kind} as {who}: {document}", token=token, json_body={"query": document}
            )

    def assert_clean(self) -> None:
        if self.failures:
            pytest.fail(
                f"{len(self.failures)} broken answer(s):\n\n" + "\n\n".join(self.failures),
                pytrace=False,
            )


@pytest.fixture
def checker(writable_http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> Checker:
    caplog.set_level(logging.WARNING)
    return Checker(writable_http, caplog)


async def _own_customers(checker: Checker, token: str, count: int) -> list[int]:
    """Customers this test makes for fuzzed mutations to write to, so that others' stay intact."""
    ids = []
    for i in range(count):
        response = await checker.post(
            f"create fuzz target {i}",
            token=token,
            json_body={
                "query": "mutation($input: CustomerCreateInput!) { customerCreate(input: $input)"
                " { customer { id } userErrors { code } } }",
                "variables": {"input": {"firstName": "Fuzz", "lastName": f"Target{i}"}},
            },
        )
        customer = response.json()["data"]["customerCreate"]["customer"]
        ids.append(decode_global_id(customer["id"])[1])
    return ids


# --- generated documents ---------------------------------------------------------------------


async def test_fuzzed_queries_answer_within_the_contract(
    checker: Checker, writable: SeededWorld
) -> None:
    db_ids = st.integers(1, 40) | st.integers(-(2**63), 2**63) | st.just(10**9)
    for role, count in (("OWNER", 60), ("VIEWER", 15), (None, 10)):
        token = writable.tokens[role] if role else None
        docs = documents(queries, count * SCALE, db_ids)
        await checker.documents("query", docs, token, role or "anonymous")
    checker.assert_clean()


async def test_fuzzed_mutations_answer_within_the_contract(
    checker: Checker, writable: SeededWorld
) -> None:
    # Real ids only of customers made here; every other id names nothing (staff users above
    # all: a fuzzed staffUserUpdate must not deactivate the world's signed-in staff).
    own = await _own_customers(checker, writable.tokens["OWNER"], 4)
    db_ids = st.sampled_from(own) | st.integers(10**6, 2**63) | st.integers(-5, 0)
    for role, count in (("OWNER", 60), ("VIEWER", 15), (None, 10)):
        token = writable.tokens[role] if role else None
        docs = documents(mutations, count * SCALE, db_ids)
        await checker.documents("mutation", docs, token, role or "anonymous")
    checker.assert_clean()


# --- hand-written hostile requests -----------------------------------------------------------

SEARCH = "query($s: String) { customers(search: $s, first: 5) { totalCount nodes { id } } }"
FIRST = "query($n: Int) { customers(first: $n) { totalCount } }"


def _nested(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"mergedInto {{ {inner} }}"
    return f'{{ customer(id: "{_b64("Customer:1")}") {{ {inner} }} }}'


def hostile_requests() -> list[tuple[str, dict[str, Any]]]:
    """(label, keyword arguments of Checker.post without the token)."""
    cases: list[tuple[str, dict[str, Any]]] = []

    def q(label: str, query: Any, variables: Any = None, **extra: Any) -> None:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        body.update(extra)
        cases.append((label, {"json_body": body}))

    def raw(label: str, content: bytes, content_type: str = "application/json") -> None:
        cases.append((label, {"content": content, "content_type": content_type}))

    q("nesting 20 deep", _nested(20))
    q("nesting 300 deep", _nested(300))
    q("5000 open braces", "{" * 5000)
    q("2000 nested list literals", "{ nodes(ids: " + "[" * 2000 + "]" * 2000 + ") { id } }")
    q(
        "2000 nested input objects",
        "{ customers(filter: " + "{a: " * 2000 + "1" + "}" * 2000 + ") { totalCount } }",
    )
    q("10,000 aliases", "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(10_000)) + " }")
    q("10,000 repeated fields", "{ " + "viewer { kind } " * 10_000 + "}")
    q(
        "1,000 fragments spread",
        "{ viewer { ...F } }\n"
        + "\n".join(f"fragment F{i} on Viewer {{ kind }}" for i in range(1000))
        + "\nfragment F on Viewer { kind }",
    )
    q(
        "fragment cycle",
        "{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }",
    )
    q("500 KB search string", SEARCH, {"s": "x" * 500_000})
    q("500 KB query comment", "#" + "x" * 500_000 + "\n{ viewer { kind } }")
    q(
        "500 KB note body",
        "mutation($i: CustomerNoteAddInput!) { customerNoteAdd(input: $i)"
        " { userErrors { code } } }",
        {"i": {"customerId": _b64("Customer:999999999"), "body": "y" * 500_000}},
    )
    q(
        "500 KB first name",
        "mutation($i: CustomerCreateInput!) { customerCreate(input: $i) { userErrors { code } } }",
        {"i": {"firstName": "z" * 500_000, "lastName": "x", "email": "not-an-email"}},
    )
    q("NUL in search", SEARCH, {"s": "ab\x00cd"})
    q("only NUL search", SEARCH, {"s": "\x00"})
    q("NUL in query text", "{ viewer { kind } }\x00")
    q("NUL in id", "query($id: ID!) { customer(id: $id) { id } }", {"id": "Q3\x00VzdG9tZXI6MQ=="})
    q(
        "NUL in global id",
        "query($id: ID!) { customer(id: $id) { id } }",
        {"id": _b64("Customer:\x001")},
    )
    q("lone surrogate in search", SEARCH, {"s": "\ud800"})
    # A NUL written as a GraphQL escape: the request text holds none, the value does.
    for where in ("email", "password"):
        q(
            f"escaped NUL in a login's {where}",
            'mutation { customerLogin(input: {email: "a@b.example", password: "pw"})'
            " { userErrors { code } } }".replace(f'{where}: "', f'{where}: "\\u0000'),
        )
    q("escaped NUL in a search literal", '{ customers(search: "ab\\u0000") { totalCount } }')
    for text in (
        "'; DROP TABLE customers; --",
        "%' OR 1=1 --",
        "' OR '1'='1",
        "%",
        "_",
        "\\",
        "%%'",
    ):
        q(f"SQL-looking search {text!r}", SEARCH, {"s": text})
    q(
        "SQL-looking id",
        "query($id: ID!) { customer(id: $id) { id } }",
        {"id": "1; DROP TABLE customers"},
    )
    q(
        "SQL-looking global id",
        "query($id: ID!) { customer(id: $id) { id } }",
        {"id": _b64("Customer:1 OR 1=1")},
    )
    q(
        "SQL-looking sort/filter",
        '{ customers(filter: {tags: ["\'; DROP TABLE customers; --"]}) { totalCount } }',
    )
    for n in (-1, -(2**31), 0, 2**31 - 1, 2**31, 10**20):
        q(f"first = {n}", FIRST, {"n": n})
    q("last = -5", "{ customers(last: -5) { totalCount } }")
    q("first and last", "{ customers(first: 3, last: 3) { totalCount } }")
    q("first as float literal", "{ customers(first: 1e400) { totalCount } }")
    q("first as huge literal", "{ customers(first: 99999999999999999999999) { totalCount } }")
    raw(
        "first = 1e400 in raw JSON",
        b'{"query": "' + FIRST.encode() + b'", "variables": {"n": 1e400}}',
    )
    raw(
        "first = NaN in raw JSON",
        b'{"query": "' + FIRST.encode() + b'", "variables": {"n": NaN}}',
    )
    raw("first = -1e400", b'{"query": "' + FIRST.encode() + b'", "variables": {"n": -1e400}}')
    raw("invalid UTF-8 body", b'{"query": "{ viewer { kind } }\xff\xfe\xc3\x28"}')
    raw("invalid UTF-8 only", b"\xff\xfe\xfd\x80\x81")
    raw("UTF-16 body", '{"query": "{ viewer { kind } }"}'.encode("utf-16"))
    raw("empty body", b"")
    raw("not JSON", b"{ viewer { kind } }")
    raw("truncated JSON", b'{"query": "{ viewer')
    raw("JSON array (batch)", b'[{"query": "{ viewer { kind } }"}]')
    raw("JSON string", b'"{ viewer { kind } }"')
    raw("JSON null", b"null")
    raw("10,000 nested JSON arrays", b"[" * 10_000 + b"]" * 10_000)
    raw("10,000 nested JSON objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
    raw("duplicate query keys", b'{"query": "{ viewer { kind } }", "query": 5}')
    raw("graphql body with bad UTF-8", b"{ viewer { kind } }\xff", "application/graphql")
    raw("form body", b"query=%7Bviewer%7Bkind%7D%7D", "application/x-www-form-urlencoded")
    raw("text body", b"{ viewer { kind } }", "text/plain")
    q("query is a number", 5)
    q("query is a list", ["{ viewer { kind } }"])
    q("query is null", None)
    q("query is empty", "")
    q("variables is a string", SEARCH, "{}")
    q("variables is a list", SEARCH, [1, 2])
    q("__proto__ variables", SEARCH, {"__proto__": {"admin": True}, "s": "x"})
    q("constructor variables", SEARCH, {"constructor": {"prototype": {"x": 1}}, "s": "x"})
    q(
        "__proto__ in input object",
        "mutation($i: CustomerCreateInput!) { customerCreate(input: $i) { userErrors { code } } }",
        {"i": {"__proto__": {"role": "OWNER"}, "firstName": "P", "lastName": "Q", "email": "x"}},
    )
    q("__proto__ extensions", "{ viewer { kind } }", extensions={"__proto__": {"a": 1}})
    q("operationName unknown", "query A { viewer { kind } }", operationName="B")
    q("operationName is a number", "query A { viewer { kind } }", operationName=5)
    q("two anonymous operations", "{ viewer { kind } } { viewer { name } }")
    q("unknown field", "{ nope }")
    q("introspection", "{ __schema { types { name fields { name } } } }")
    q("typename only", "{ __typename }")
    q("subscription", "subscription { viewer { kind } }")
    q("directive abuse", "{ viewer @skip(if: true) @include(if: true) @skip(if: false) { kind } }")
    q("unknown directive", "{ viewer @nope { kind } }")
    q(
        "nodes of 10,000 ids",
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": ["x"] * 10_000},
    )
    q(
        "nodes of huge ids",
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": ["9" * 10_000]},
    )
    q("after cursor junk", '{ customers(after: "\\u0000\'; --") { totalCount } }')
    q("after cursor base64 junk", '{ customers(after: "' + _b64("{'x':1}") + '") { totalCount } }')
    q("before cursor huge", '{ customers(before: "' + _b64("9" * 400) + '") { totalCount } }')
    q(
        "variables of wrong types",
        "query($n: Int, $s: String) { customers(first: $n, search: $s) { totalCount } }",
        {"n": "5", "s": 5},
    )
    q("float for Int", FIRST, {"n": 1.5})
    q("bool for Int", FIRST, {"n": True})
    q("object for Int", FIRST, {"n": {"a": 1}})
    return cases


async def test_hostile_requests_answer_within_the_contract(
    checker: Checker, writable: SeededWorld
) -> None:
    engine = writable.app.state.engine
    count = select(func.count()).select_from(Customer)
    before = (await fetch(engine, count))[0][0]
    cases = hostile_requests()
    for token_name in ("OWNER", "VIEWER", None):
        token = writable.tokens[token_name] if token_name else None
        for label, request in cases:
            await checker.post(f"{label} as {token_name or 'anonymous'}", token=token, **request)
    for label, request in cases[:10]:
        await checker.post(
            f"{label} (application/json)", token=None, accept="application/json", **request
        )
    after = (await fetch(engine, count))[0][0]
    checker.assert_clean()
    assert after == before, "the customers table changed under hostile requests"
