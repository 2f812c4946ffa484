"""Running bulk actions and exports in the background, resumably, on any server process."""

from custgraph.jobs.worker import run_job_loop, run_jobs_until_idle, stop_job_loop

__all__ = ["run_job_loop", "run_jobs_until_idle", "stop_job_loop"]
