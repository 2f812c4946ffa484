"""Configuration from `CUSTGRAPH_*` environment variables and an optional `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A fixed development default keeps `make run` a one-command start; `serve` warns
# when it is used on anything but a loopback address.
DEV_SECRET_KEY = "development-only-secret-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTGRAPH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///custgraph.db",
        description="SQLAlchemy URL; sqlite+aiosqlite:///file.db or postgresql+asyncpg://…",
    )
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    smtp_url: str | None = None
    mail_from: str | None = None  # From of emails; overrides the SMTP URL's `from` parameter
    # Each server process delivers the outbox in the background; turn it off where a
    # separate `custgraph deliver` runs instead.
    delivery_worker: bool = True
    delivery_interval_seconds: float = Field(default=2.0, gt=0)
    # Webhooks (custgraph/webhooks/): each server process delivers them in the background
    # too; turn it off where `custgraph deliver` runs instead.
    webhook_worker: bool = True
    webhook_interval_seconds: float = Field(default=2.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)  # one attempt, whole
    webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    # Retries wait a random time up to a ceiling doubling from the first to the most.
    webhook_first_retry_seconds: float = Field(default=10.0, ge=0)
    webhook_max_retry_seconds: float = Field(default=3600.0, ge=0)
    # Failed attempts in a row across a subscription's deliveries that disable it (0: never).
    webhook_disable_after_failures: int = Field(default=20, ge=0)
    webhook_concurrency: int = Field(default=8, ge=1, le=100)  # attempts in flight per process
    # Targets on loopback, private and link-local addresses (an intranet ERP) are refused
    # unless this allows them (domain/webhook_targets.py).
    webhook_allow_private_targets: bool = False
    # The change feed is also published to this broker (events/config.py): NATS JetStream
    # (nats://host:4222?stream=…&subject=…) or RabbitMQ (amqp://user:pass@host/vhost?
    # exchange=…). Unset, nothing is published.
    events_url: str | None = None
    # How often the relay looks for changes it has not published yet, when it is idle.
    events_interval_seconds: float = Field(default=1.0, gt=0)
    # Changes published per pass, each acknowledged by the broker before the next.
    events_batch_size: int = Field(default=200, ge=1, le=10_000)
    # Bulk actions and exports (custgraph/jobs/). Each server process runs queued jobs in
    # the background; a job whose process died is taken up again once its lease lapses.
    job_worker: bool = True
    job_interval_seconds: float = Field(default=1.0, gt=0)
    job_lease_seconds: float = Field(default=60.0, ge=1)
    # Selections of at most this many customers are acted on inside the request, which
    # answers each customer's outcome; larger ones run as a background job.
    bulk_inline_max: int = Field(default=50, ge=0, le=1000)
    bulk_max_ids: int = Field(default=10_000, ge=1)
    bulk_max_selection: int = Field(default=100_000, ge=1)
    # An export's download link is valid this long after it is read from `bulkJob`; the
    # file itself is removed this long after it was finished.
    export_link_seconds: int = Field(default=900, ge=10)
    export_retention_seconds: int = Field(default=86_400, ge=60)
    public_url: str = "http://127.0.0.1:8000"
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    graphiql_enabled: bool = True
    graphiql_assets_dir: Path | None = None
    # Read connections kept open per process (PostgreSQL); writes have their own pool.
    db_pool_size: int = Field(default=16, ge=1)
    db_write_pool_size: int = Field(default=10, ge=1)
    db_echo: bool = False
    log_level: str = "INFO"
    # Emails on the intranet's special-use domains (`.local`, `.test`) are refused unless
    # this allows them (domain/validation.py); `localhost`, `.invalid` and the like never.
    email_allow_special_use_domains: bool = False
    # Customers in these discount groups have contract addresses that only the ERP
    # changes; the API refuses address changes for them.
    address_locked_discount_groups: list[str] = ["CONTRACT"]
    # Query limits, checked before anything reaches the database. The cost counts 1 per
    # object field, multiplied by each connection's page size (see schema/cost.py); the
    # admin console's list page of 100 customers costs about 6,500.
    max_query_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=5000, ge=1)
    max_query_cost: int = Field(default=10000, ge=1)
    # Floods refused before validation (schema/repetition.py): directives in a document,
    # and one field selected again and again in a selection set.
    max_directives: int = Field(default=50, ge=0)
    max_field_repeats: int = Field(default=5, ge=1)
    # No answer carries more errors than this (the rest are counted in
    # `extensions.errorsOmitted`): a page of 100 with one forbidden field has 100.
    max_errors: int = Field(default=100, ge=1)
    # Cost points of the queries one process executes at once (admission.py); a
    # query finds the budget spent waits its turn. 0: no budget.
    execution_budget: int = Field(default=8000, ge=0)
    # And at most this many of ordinary cost at once (0: no such limit); one under a
    # quarter of a share takes four times its cost instead (admission.py).
    execution_at_once: int = Field(default=6, ge=0)
    # How many cheap operations (a customer's detail) execute at once follows their
    # measured in-flight time, between 2 and this many (admission.CheapQueryLimit);
    # 0: a fixed four times their cost.
    execution_cheap_at_most: int = Field(default=20, ge=0)
    # The least it goes down to; equal to the most, a fixed limit.
    execution_cheap_at_least: int = Field(default=2, ge=1)
    # Serve customer reads through compiled plans (src/custgraph/fastpath/); off sends
    # every query through graphql-core's per-field execution.
    compiled_reads: bool = True
    # A leaky bucket of cost points per caller, kept in the database for all processes.
    rate_limit_enabled: bool = True
    rate_limit_capacity: float = Field(default=20000, gt=0)
    rate_limit_leak_per_second: float = Field(default=500, gt=0)
    # Buckets live in Redis when this is set (redis://…), else in the database.
    redis_url: str | None = None
    rate_limit_redis_prefix: str = "custgraph:ratelimit:"
    # Transport and operations.
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)  # larger bodies get 413 unread
    cors_origins: list[str] = []  # origins allowed by CORS; empty sends no CORS headers
    introspection_for: Literal["staff", "all", "none"] = "staff"  # and "Did you mean"
    metrics_enabled: bool = True  # serves /metrics (Prometheus text format)
    log_format: Literal["text", "json"] = "text"
    # The access log's lines are written together this long after the first of them
    # (observability/access_log.py); 0 writes each as its request ends.
    access_log_flush_seconds: float = Field(default=0.05, ge=0, le=60)
    # Traces go to this OTLP/HTTP collector (http://host:4318); unset, nothing is traced.
    otlp_endpoint: str | None = None
    otel_service_name: str = "custgraph"  # how a tracing backend names this service
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    ready_timeout_seconds: float = Field(default=2.0, gt=0)
    # Longest wait for one statement's answer (PostgreSQL). A network that goes silent
    # sends no reset, and without a bound a request would wait for it forever.
    db_statement_timeout_seconds: float = Field(default=5.0, gt=0)
    # After SIGTERM, requests in flight get this long to finish (under the 10 s that
    # `docker stop` and Kubernetes give before SIGKILL).
    shutdown_grace_seconds: int = Field(default=8, ge=1)

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        # HS256 wants a key of at least 32 bytes; a short one is guessable offline.
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("CUSTGRAPH_SECRET_KEY must be at least 32 bytes long")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
