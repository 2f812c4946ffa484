"""What every resolver of one request can reach."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from custgraph.admission import ExecutionBudget
from custgraph.auth.principal import Principal
from custgraph.db.reader import Reader
from custgraph.fastpath.plan_store import PlanStore
from custgraph.loaders.registry import Loaders
from custgraph.ratelimit.bucket import BucketState
from custgraph.settings import Settings


@dataclass
class Context:
    request_id: str
    principal: Principal
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    reader: Reader
    # The app's compiled plans (fastpath/plan_store.py).
    plan_store: PlanStore
    loaders: Loaders = field(init=False)
    # Customers this caller may read as their owner within this request only: the
    # record a registration or sign-in just created or proved.
    granted_customer_ids: set[int] = field(default_factory=set)
    # Whether the compiled read path answered this request (metrics, tests).
    compiled: bool = False
    # Objects in the answer, when the compiled path counted them as it built it.
    returned_objects: int | None = None
    # The process's budget of cost points executing at once (admission.py).
    execution_budget: ExecutionBudget | None = None
    budget_wait_seconds: float | None = None  # how long it waited there, if it did
    # The rate-limit bucket a planned answer took (fastpath/planned.py): whatever answers
    # the request after it uses this one, so that the request is not counted twice.
    prepaid_bucket: BucketState | None = None
    # Loaders of areas outside the customer graph (webhooks), by area, made on first use.
    area_loaders: dict[str, Any] = field(default_factory=dict)
    # Set to have this process's job worker look for new jobs at once (jobs/worker.py).
    job_wakeup: asyncio.Event | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.reader)
