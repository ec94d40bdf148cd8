"""The backend's SQL tables: the task ledger, the audit log and bulk jobs."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import TSVECTOR

metadata = MetaData()

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("name", String(200)),
    Column("state", String(16), nullable=False),
    Column("queue", String(100)),
    Column("priority", Integer),
    Column("user", String(150)),
    Column("tier", String(32)),
    Column("args", Text),  # JSON, whole
    Column("kwargs", Text),  # JSON, whole
    Column("options", Text),  # JSON: eta, expires, parent/root ids
    Column("retry_of", String(64)),  # the task this one re-sends (TaskDeck retry)
    Column("retries", Integer, nullable=False, default=0),  # Celery's own retries
    Column("created_at", Float, nullable=False),  # first time the ledger saw the task
    Column("published_at", Float),
    Column("received_at", Float),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("state_ts", Float, nullable=False),
    Column("runtime", Float),
    Column("hostname", String(200)),
    Column("exc_type", String(200)),
    Column("exc_message", Text),
    Column("traceback", Text),
    Column("result", Text),
    Column("signature", String(16)),
    Column("history", Text, nullable=False),  # JSON [[type, ts], ...]
    # Set when the broker lost the task's message (published, never received, and found
    # nowhere in the broker after it restarted): when TaskDeck found out, and why it says so.
    # The state stays what the records said (PENDING); a later record clears both.
    Column("lost_at", Float),
    Column("lost_reason", Text),
    # The main process of the worker that holds the task (from its received and started
    # records): a worker started again under the same name has another one.
    Column("worker_pid", Integer),
    # Set when the worker that held the task (RECEIVED or STARTED) is gone and the broker
    # still holds its message unacknowledged: when kombu delivers it again (the time the
    # worker took it plus the visibility timeout), and what TaskDeck saw. The state stays
    # what the records said; the next record of the task (received again) clears both.
    Column("redelivery_at", Float),
    Column("redelivery_reason", Text),
    # Whether Celery's result backend took the result of a task that succeeded: false when
    # the work succeeded and storing its result failed (result_error: the backend's error).
    Column("result_stored", Boolean),
    Column("result_error", Text),
)
Index("ix_tasks_created", tasks.c.created_at, tasks.c.task_id)
Index("ix_tasks_state", tasks.c.state, tasks.c.created_at, tasks.c.task_id)
Index("ix_tasks_name", tasks.c.name, tasks.c.created_at, tasks.c.task_id)
Index("ix_tasks_user", tasks.c.user, tasks.c.created_at, tasks.c.task_id)
Index("ix_tasks_queue", tasks.c.queue, tasks.c.created_at, tasks.c.task_id)
Index("ix_tasks_signature", tasks.c.signature, tasks.c.finished_at)
Index("ix_tasks_retry_of", tasks.c.retry_of)
Index("ix_tasks_finished", tasks.c.finished_at)
Index("ix_tasks_lost", tasks.c.lost_at)
Index("ix_tasks_redelivery", tasks.c.redelivery_at)
# Columns added after the first release, with their SQL type: a ledger made before them
# gets them when it is opened (``Ledger``), NULL in every existing row.
ADDED_COLUMNS = {
    "lost_at": "FLOAT",
    "lost_reason": "TEXT",
    "worker_pid": "INTEGER",
    "redelivery_at": "FLOAT",
    "redelivery_reason": "TEXT",
    "result_stored": "BOOLEAN",
    "result_error": "TEXT",
}

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),  # when the request arrived
    Column("user", String(150), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(40), nullable=False),
    Column("targets", Text, nullable=False),  # JSON: task ids, or the filter of a bulk job
    Column("target_count", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("request", Text, nullable=False),  # JSON: the request body
    Column("outcome", Text),  # JSON; NULL while the action is in progress
    Column("status", String(16), nullable=False),  # pending | ok | failed | partial | unknown
    Column("finished_at", Float),
)
# The audit page's filters, each newest first by id: by user, by action, by time, and the
# entries of single-task actions (their targets: one id, as JSON) by task id.
Index("ix_audit_user", audit.c.user, audit.c.id)
Index("ix_audit_action", audit.c.action, audit.c.id)
Index("ix_audit_at", audit.c.at)
Index(
    "ix_audit_one_target", audit.c.targets,
    sqlite_where=audit.c.target_count == 1, postgresql_where=audit.c.target_count == 1,
)  # fmt: skip

bulk_jobs = Table(
    "bulk_jobs",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("request_hash", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("params", Text, nullable=False),  # JSON: priority, reason
    Column("user", String(150), nullable=False),
    Column("audit_id", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # queued | running | done | failed
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_bulk_jobs_audit", bulk_jobs.c.audit_id)
Index("ix_bulk_jobs_created", bulk_jobs.c.created_at)
Index("ix_bulk_jobs_user", bulk_jobs.c.user, bulk_jobs.c.created_at)

bulk_items = Table(
    "bulk_items",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("task_id", String(64), nullable=False),
    Column("outcome", String(32)),  # NULL until acted on
    Column("error", Text),
    Column("new_task_id", String(64)),
)
# The jobs that hold a task (the audit page's task filter), and a job's items by outcome.
Index("ix_bulk_items_task", bulk_items.c.task_id)
Index("ix_bulk_items_outcome", bulk_items.c.job_id, bulk_items.c.outcome, bulk_items.c.seq)

# Who runs an unfinished bulk job, until when: the backend holding the lease renews it
# while it works; once it lapses (that backend died) any live backend may claim the job.
bulk_leases = Table(
    "bulk_leases",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("expires_at", Float, nullable=False),
)

# PostgreSQL only: the full-text search of failure messages and argument terms (what SQLite
# keeps in its FTS5 tables tasks_fts and tasks_args_fts), one row per task that has either,
# each a tsvector of words at their positions (``ledger_terms``) with a GIN index.
search_metadata = MetaData()
tasks_search = Table(
    "tasks_search",
    search_metadata,
    Column("task_id", String(64), primary_key=True),
    Column("created_at", Float, nullable=False),  # the task's: newest matches first
    Column("message", TSVECTOR),  # the words of exc_message
    Column("terms", TSVECTOR),  # argument terms (ledger_terms.argument_terms)
)
Index("ix_tasks_search_message", tasks_search.c.message, postgresql_using="gin")
Index("ix_tasks_search_terms", tasks_search.c.terms, postgresql_using="gin")
