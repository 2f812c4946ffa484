"""Background jobs: bulk actions over many customers, and customer-list exports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from custgraph.db.models.base import Base, utcnow
from custgraph.db.types import BigIntId, Json, UTCDateTime

# QUEUED until a worker (or the request, for a small selection) claims it; RUNNING while
# claimed or waiting to be resumed; then one of the ends. EXPIRED: an export whose file
# was removed after its retention.
JOB_STATES = ("QUEUED", "RUNNING", "COMPLETED", "STOPPED", "CANCELLED", "FAILED", "EXPIRED")
OPEN_JOB_STATES = ("QUEUED", "RUNNING")
JOB_ITEM_STATES = ("PENDING", "SUCCEEDED", "FAILED")


class Job(Base):
    """One bulk action or export, with who asked for it and how far it got.

    The caller's identity is kept so that the job runs as them (their actor on every
    event, their idempotency scope) and stops when they lose the permissions it needs
    (`required_permissions`). `claimed_by`/`claimed_until` is a worker's lease: a job
    whose lease ran out (its process was killed) is taken up again by any process.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_claimed_until", "state", "claimed_until"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))
    arguments: Mapped[dict[str, object]] = mapped_column(Json, default=dict)
    # The selection in words ("status ACTIVE; search “anna”"), for people and PDF headers.
    selection: Mapped[str] = mapped_column(String(500))
    error_policy: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="QUEUED")
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    processed_count: Mapped[int] = mapped_column(Integer, default=0)
    succeeded_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    owner_label: Mapped[str] = mapped_column(String(200))
    principal_key: Mapped[str] = mapped_column(String(200))
    required_permissions: Mapped[list[str]] = mapped_column(Json, default=list)
    request_id: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Passes that ended in an unexpected error; too many fail the job.
    failed_passes: Mapped[int] = mapped_column(Integer, default=0)
    failure: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Exports: the stored file's size and chunks, and when it is removed.
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_chunks: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobItem(Base):
    """One customer of a bulk action's selection and what became of it.

    No foreign key to the customer: a bulk delete removes it, and its outcome stays.
    """

    __tablename__ = "job_items"
    __table_args__ = (Index("ix_job_items_job_id_state", "job_id", "state"),)

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="PENDING")
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_field: Mapped[list[str] | None] = mapped_column(Json)
    error_message: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExportChunk(Base):
    """A piece of an export's file, in the database so that any server process can
    serve the download (the servers keep nothing on their disks)."""

    __tablename__ = "export_chunks"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
