"""Prometheus metrics of one server process.

Each process keeps its own registry: with several uvicorn workers, each scrape
reaches one worker and sees that worker's counts only (prometheus-client's
multiprocess mode would merge them; not set up yet).
"""

from __future__ import annotations

import math
import re
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from custgraph.observability.request_record import RequestRecord

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Operation names come from clients; past this many distinct names, new ones are
# counted as "other" so that a client cannot grow the metrics without bound.
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "custgraph_graphql_requests",
            "GraphQL requests by operation name and outcome "
            "(ok, user_error, or the first error's code).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "custgraph_graphql_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            ["operation"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.statements = Histogram(
            "custgraph_graphql_sql_statements",
            "SQL statements run on a request's read connection.",
            buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
            registry=self.registry,
        )
        self.compiled = Counter(
            "custgraph_graphql_compiled_requests",
            "Requests answered by the compiled read path (the rest took graphql-core's).",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "custgraph_rate_limit_refusals",
            "Requests refused by the rate limit, by kind of caller "
            "(staff, api_key, customer, anon).",
            ["caller"],
            registry=self.registry,
        )
        self.budget_waits = Histogram(
            "custgraph_execution_budget_wait_seconds",
            "How long requests waited for their turn in the process's execution budget "
            "(CUSTGRAPH_EXECUTION_BUDGET); its count is how many requests waited.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "custgraph_outbox_pending_messages",
            "Outbox messages waiting to be sent, counted at scrape time "
            "(NaN when the database did not answer).",
            registry=self.registry,
        )
        self.cheap_at_once = Gauge(
            "custgraph_execution_cheap_at_once",
            "How many cheap operations (a customer's detail) the process executes at once "
            "now, as adapted to their in-flight time (CUSTGRAPH_EXECUTION_CHEAP_AT_MOST); "
            "NaN when it is not adapted.",
            registry=self.registry,
        )
        self._operations: set[str] = set()
        self._series: dict[tuple[str, str], tuple[Any, Any]] = {}

    def observe(self, record: RequestRecord, outcome: str, seconds: float) -> None:
        operation = self._operation_label(record.operation)
        series = self._series.get((operation, outcome))
        if series is None:
            # Looked up once: `labels()` validates and locks on every call. The labels
            # are bounded (MAX_OPERATION_NAMES, the outcome codes), and so is this.
            series = self._series[(operation, outcome)] = (
                self.requests.labels(operation=operation, outcome=outcome),
                self.duration.labels(operation=operation),
            )
        series[0].inc()
        series[1].observe(seconds)
        self.statements.observe(record.statements)
        if record.compiled:
            self.compiled.inc()
        if record.budget_wait_seconds is not None:
            self.budget_waits.observe(record.budget_wait_seconds)
        if outcome == "RATE_LIMITED":
            # The kind only: one series per caller would grow without bound.
            caller = (record.principal_key or "anon:").split(":", 1)[0]
            self.rate_limited.labels(caller=caller).inc()

    def render(self, outbox_pending: int | None, cheap_at_once: int | None = None) -> bytes:
        self.outbox_pending.set(math.nan if outbox_pending is None else outbox_pending)
        self.cheap_at_once.set(math.nan if cheap_at_once is None else cheap_at_once)
        return generate_latest(self.registry)

    def _operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _NAME.match(name):
            return "invalid"
        if name not in self._operations:
            if len(self._operations) >= MAX_OPERATION_NAMES:
                return "other"
            self._operations.add(name)
        return name
