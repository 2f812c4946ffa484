"""Check that custgraph, PostGraphile (and the floor, if it runs) answer the three shapes alike.

    .venv/bin/python bench/check_same_data.py --token TOKEN \
        [--custgraph URL] [--postgraphile URL] [--floor URL]

Sends each shape once to each server, brings the answers to one form (connections and
`{nodes}` wrappers unwrapped, money as Decimal, timestamps as datetime, ids and cursors
dropped), then prints per shape: customers per answer, the per-customer counts
(addresses, orders shown / totalCount, points entries, gift cards, notes) and whether
every compared value is equal. Values are compared on the fields both answers have.
Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
# The peer harness sits beside the checkout; SHARED_BENCH overrides where.
SHARED = Path(os.environ.get("SHARED_BENCH", HERE.parent.parent / "shared" / "bench")) / "queries"
SHAPES = ("page", "detail", "flat")
MONEY = {"creditBalance", "totalRevenue", "grandTotal", "balance", "initialBalance"}
TIMES = {"placedAt", "createdAt", "registeredAt"}
DROPPED = {"id", "cursor", "pageInfo"}
RENAMED = {"pointsHistory": "pointsEntries"}
RELATIONS = ("addresses", "orders", "pointsEntries", "giftCards", "notes")


def post(url: str, body: bytes, token: str | None) -> Any:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise SystemExit(f"{url} answered with errors: {answer['errors'][:2]}")
    return answer["data"]


def canon(value: Any, key: str = "") -> Any:
    """One comparable form for the three servers' answers."""
    if isinstance(value, dict):
        if set(value) == {"nodes"}:  # PostGraphile and the floor wrap plain lists
            return canon(value["nodes"], key)
        if key in MONEY and "amount" in value:  # custgraph's Money object
            return Decimal(str(value["amount"]))
        return {
            RENAMED.get(k, k): canon(v, RENAMED.get(k, k))
            for k, v in value.items()
            if k not in DROPPED
        }
    if isinstance(value, list):
        return [canon(v, key) for v in value]
    if value is not None and key in MONEY:
        return Decimal(str(value))
    if value is not None and key in TIMES:
        return datetime.fromisoformat(value)
    return value


def customers_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "customer" in data:
        return [canon(data["customer"])]
    return [canon(edge["node"]) for edge in data["customers"]["edges"]]


def counts(customer: dict[str, Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for relation in RELATIONS:
        value = customer.get(relation)
        if value is None:
            out.append(None)
        elif relation == "orders":
            out.append(f"{len(value['nodes'])}/{value.get('totalCount')}")
        else:
            out.append(len(value))
    return tuple(out)


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where a and b differ, on the keys both have."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for k in sorted(set(a) & set(b)):
            found += differences(a[k], b[k], f"{path}.{k}")
        return found
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        found = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found += differences(x, y, f"{path}[{i}]")
        return found
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def fields(customers: list[dict[str, Any]]) -> int:
    def walk(v: Any) -> int:
        if isinstance(v, dict):
            return len(v) + sum(walk(x) for x in v.values())
        if isinstance(v, list):
            return sum(walk(x) for x in v)
        return 0

    return walk(customers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--token", required=True, help="custgraph bearer token (OWNER)")
    parser.add_argument("--custgraph", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--postgraphile", default="http://127.0.0.1:5678/graphql")
    parser.add_argument("--floor", default="http://127.0.0.1:5681/graphql")
    parser.add_argument("--verbose", action="store_true", help="print every customer's counts")
    args = parser.parse_args()

    failed = False
    for shape in SHAPES:
        answers: dict[str, list[dict[str, Any]]] = {
            "custgraph": customers_of(
                post(
                    args.custgraph, (HERE / "queries" / f"cg_{shape}.json").read_bytes(), args.token
                )
            ),
            "postgraphile": customers_of(
                post(args.postgraphile, (HERE / "queries" / f"pgl_{shape}.json").read_bytes(), None)
            ),
        }
        try:
            answers["floor"] = customers_of(
                post(args.floor, (SHARED / f"floor_{shape}.json").read_bytes(), None)
            )
        except OSError as error:
            print(f"  (floor not compared: {error})")
        base = answers["custgraph"]
        print(f"{shape}: " + ", ".join(f"{n} {len(c)} customers" for n, c in answers.items()))
        print(f"  custgraph answer: {fields(base)} fields after normalising")
        per_customer = [counts(c) for c in base]
        if any(any(x is not None for x in row) for row in per_customer):
            header = "  reference     " + "".join(f"{r:>14}" for r in RELATIONS)
            shown = per_customer if args.verbose else per_customer[:5]
            print(header)
            for c, row in zip(base, shown, strict=False):
                print(f"  {c['reference']:<14}" + "".join(f"{x!s:>14}" for x in row))
            if len(per_customer) > len(shown):
                print(f"  … {len(per_customer) - len(shown)} more (--verbose shows all)")
        for name, other in answers.items():
            if name == "custgraph":
                continue
            same_counts = [counts(c) for c in other] == per_customer
            found = differences(base, other)
            # The floor leaves out some fields (no Relay totals on points, fewer card fields):
            # counts are compared only where the floor has the relation.
            if name == "floor":
                same_counts = all(
                    all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))
                    for a, b in zip(per_customer, [counts(c) for c in other], strict=True)
                )
            verdict = "same" if same_counts and not found else "DIFFERENT"
            failed |= verdict != "same"
            print(
                f"  vs {name:<13} counts per customer {'equal' if same_counts else 'DIFFER'};"
                f" values {'equal' if not found else f'{len(found)} differ'} -> {verdict}"
            )
            for line in found[:10]:
                print(f"      {line}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
