"""What the app holds for its whole life: settings, engine, schema."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.responses import Response

from custgraph.admission import ExecutionBudget
from custgraph.auth.staff_sessions import StaffSessions
from custgraph.fastpath.plan_store import PlanStore
from custgraph.observability.access_log import AccessLog
from custgraph.schema.build import Schema
from custgraph.settings import Settings


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    schema: Schema
    graphiql_page: Callable[[str], Response]
    access_log: AccessLog
    # None when the settings set no budget.
    execution_budget: ExecutionBudget | None = None
    staff_sessions: StaffSessions = field(default_factory=StaffSessions)
    # Wakes the job worker when a request queues a job (jobs/worker.py).
    job_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # The compiled plans of this app's schema, and the documents they answered.
    plan_store: PlanStore = field(default_factory=PlanStore)
