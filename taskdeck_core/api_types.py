"""The values the backend's HTTP API answers with: one definition for both sides.

The backend declares these as its routes' response models, so /openapi.json
documents every answer; the console's backend client parses replies into the
same classes. Pydantic only: no FastAPI, no Qt. Replies are read leniently
(unknown fields are ignored), so a newer backend does not break an older console.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from taskdeck_core.transport import Transport
from taskdeck_core.workers import WorkerStatus

Role = Literal["viewer", "support", "admin"]
TaskState = Literal[
    "PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"
]


class ApiModel(BaseModel):
    """A value in an answer of the API: immutable, extra fields ignored."""

    model_config = ConfigDict(frozen=True)


# -- errors --------------------------------------------------------------------


class ErrorBody(ApiModel):
    """Every error: a stable machine-readable code and a sentence for people."""

    error: str = Field(description="machine-readable code, e.g. unknown_task, bad_cursor")
    detail: str = Field(description="what was wrong and what to do about it")


class TooManyRequestsBody(ErrorBody):
    """A 429: a rate limit (key, tier, endpoint) or a user's quota (user, used) was reached."""

    key: str | None = None
    tier: str | None = None
    endpoint: str | None = None
    limit: int | None = None
    retry_after_s: float | None = None
    user: str | None = None
    used: int | None = None


# -- who -----------------------------------------------------------------------


class Me(ApiModel):
    user: str
    role: Role


# -- tasks ---------------------------------------------------------------------


class TaskSummary(ApiModel):
    """A task as listed: envelope, state and outcome, without the heavy fields."""

    task_id: str
    name: str | None = None
    state: TaskState
    queue: str | None = None
    priority: int | None = Field(default=None, description="1 lowest ... 10 highest")
    user: str | None = None
    hostname: str | None = Field(default=None, description="the worker that ran it")
    created_at: float = Field(description="epoch seconds the ledger first saw the task")
    started_at: float | None = None
    finished_at: float | None = None
    runtime: float | None = None
    retries: int = 0
    exc_type: str | None = None
    exc_message: str | None = None
    retry_of: str | None = Field(default=None, description="the task this one re-sends")
    lost_at: float | None = Field(
        default=None,
        description="set when the broker lost the task: its state stays PENDING (published, "
        "never received) but its message was found nowhere in the broker after a restart; "
        "or RECEIVED/STARTED while the worker process that held it died and its message is "
        "gone (acknowledged when it started: no acks_late); epoch seconds TaskDeck found "
        "out. A later record of the task clears it",
    )
    lost_reason: str | None = Field(default=None, description="why the task counts as lost")
    redelivery_at: float | None = Field(
        default=None,
        description="set while the task awaits redelivery: the worker process that held it "
        "(RECEIVED or STARTED) is gone and the broker still holds its message "
        "unacknowledged; epoch seconds when the broker delivers it again (when the worker "
        "took it plus the visibility timeout). Its state stays; its next record clears it",
    )
    redelivery_reason: str | None = Field(
        default=None, description="which worker process is gone, and how TaskDeck knows"
    )
    result_stored: bool | None = Field(
        default=None,
        description="for a task that succeeded: whether Celery's result backend took its "
        "result. false: the work succeeded but storing the result failed (result_error); "
        "a retry would run the work a second time, so it is refused",
    )
    result_error: str | None = Field(
        default=None, description="why the result was not stored, as the worker saw it"
    )


class TaskEvent(ApiModel):
    event: str
    at: float


class RetriedAs(ApiModel):
    task_id: str
    state: TaskState
    created_at: float


class TaskDetail(TaskSummary):
    """One task with everything the ledger keeps about it."""

    tier: str | None = None
    args: Any = None
    kwargs: Any = None
    options: dict[str, Any] = Field(default_factory=dict)
    published_at: float | None = None
    received_at: float | None = None
    traceback: str | None = None
    result: Any = None
    signature: str | None = None
    history: list[TaskEvent] = Field(default_factory=list)
    retried_as: list[RetriedAs] = Field(default_factory=list)
    worker_pid: int | None = Field(
        default=None, description="the main process of the worker that took it (hostname)"
    )


class TaskPage(ApiModel):
    items: list[TaskSummary]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


class Submitted(ApiModel):
    task_id: str


class ActionResult(ApiModel):
    """The answer to a cancel, retry or priority change of one task."""

    task_id: str
    outcome: str = Field(description="e.g. removed, revoked, terminated, moved, retried")
    detail: str | None = None
    new_task_id: str | None = Field(default=None, description="the retry's task id")
    audit_id: int


# -- bulk jobs -----------------------------------------------------------------


class BulkAccepted(ApiModel):
    job_id: str
    total: int


class BulkDryRun(ApiModel):
    """What the job would do if it ran now: each item's outcome, decided as the job decides."""

    dry_run: Literal[True] = True
    total: int
    sample_ids: list[str]
    outcomes: dict[str, int] = Field(
        default_factory=dict, description="outcome -> items that would come to it"
    )
    samples: dict[str, list[str]] = Field(
        default_factory=dict, description="outcome -> the first 20 task ids that would"
    )


class BulkItemError(ApiModel):
    task_id: str
    outcome: str | None = None
    detail: str | None = None


class BulkJob(ApiModel):
    job_id: str
    action: str
    state: str = Field(description="queued | running | done | failed")
    total: int
    done: int
    failed: int
    outcomes: dict[str, int]
    errors: list[BulkItemError]
    created_at: float
    updated_at: float
    user: str | None = Field(default=None, description="who started the job")
    reason: str | None = None
    audit_id: int | None = Field(default=None, description="the job's audit entry")
    priority: int | None = Field(default=None, description="the new priority, where one")


class BulkItemInfo(ApiModel):
    """One task of a bulk job and what acting on it came to (null outcome: not yet)."""

    task_id: str
    outcome: str | None = None
    detail: str | None = None
    new_task_id: str | None = Field(default=None, description="the retry's task id")


class BulkItemPage(ApiModel):
    items: list[BulkItemInfo]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null at the end")


# -- failures, audit -----------------------------------------------------------


class FailureGroup(ApiModel):
    signature: str
    name: str | None = None
    exc_type: str | None = None
    message: str
    top_frame: str
    count: int
    first_seen: float | None = None
    last_seen: float | None = None
    affected_users: int
    users: list[str]
    sample_ids: list[str]
    sample_message: str | None = None
    series: list[int] = Field(
        default_factory=list,
        description="failures per equal slice of the window, oldest first (with buckets=N)",
    )


class AuditEntry(ApiModel):
    id: int
    at: float
    user: str
    role: str
    action: str
    targets: Any = Field(description="task ids, or the filter of a bulk job")
    target_count: int
    reason: str
    request: Any
    status: str = Field(description="pending | ok | failed | partial | unknown (sent, no answer)")
    outcome: Any = None
    finished_at: float | None = None
    job_id: str | None = Field(default=None, description="the bulk job of a bulk action")


class AuditPage(ApiModel):
    items: list[AuditEntry]
    next_cursor: str | None


# -- queues and workers --------------------------------------------------------


class QueueSummary(ApiModel):
    name: str
    depth: int
    depth_by_priority: dict[str, int] = Field(description="user priority '10' ... '1' -> waiting")
    oldest_age_s: float | None = None


class WaitingMessage(ApiModel):
    """A message waiting in the broker; position 0 runs next."""

    position: int
    task_id: str
    name: str
    priority: int = Field(description="1 lowest ... 10 highest")
    user: str | None = None
    args: str = ""
    eta: str | None = None
    enqueued_at: float | None = Field(default=None, description="when it was published")
    step: int | None = Field(
        default=None, description="the transport's priority step whose list it waits in"
    )


class MessagePage(ApiModel):
    queue: str
    total: int = Field(description="messages waiting in the queue")
    offset: int
    items: list[WaitingMessage]
    matched: int | None = Field(
        default=None, description="with q: how many messages match (items is a page of them)"
    )


SepSource = Literal["configured", "detected", "assumed"]
StepsSource = Literal["configured", "assumed", "unknown"]


class TransportInfo(ApiModel):
    """How the watched system names its lists, and where TaskDeck learned it."""

    sep: str = Field(description="the separator of list names and binding entries")
    sep_source: SepSource
    steps: list[int] = Field(description="the priority steps whose lists the workers read")
    steps_source: StepsSource
    steps_seen: list[int] = Field(description="steps whose lists hold messages now")
    queues: list[str] = Field(description="queues bound in the broker, and configured ones")
    foreign_bindings: list[str] = Field(
        description="binding entries the system's separator cannot parse (its clients fail "
        "on them), up to 20"
    )
    foreign_binding_count: int = 0

    @property
    def writable(self) -> bool:
        """Whether TaskDeck knows the steps well enough to write a message where it is read."""
        return self.steps_source != "unknown"

    def transport(self) -> Transport:
        return Transport(self.sep, tuple(self.steps))


class Capability(ApiModel):
    """One feature, whether this system supports it, and why or why not."""

    name: Literal["durable_cancel", "retry_whole_arguments", "lifecycle_stream", "move"]
    available: bool
    detail: str


class Redelivery(ApiModel):
    """When the broker delivers again a message a worker took and never acknowledged (a
    task whose worker died): the visibility timeout after it was taken."""

    visibility_timeout_s: float
    source: Literal["workers", "configured", "assumed"] = Field(
        description="workers: the shortest a live worker reported; configured: "
        "TASKDECK_VISIBILITY_TIMEOUT_S; assumed: kombu's default"
    )
    detail: str


class Environment(ApiModel):
    """What TaskDeck learned of the watched system, and what it can do there."""

    transport: TransportInfo
    capabilities: list[Capability]
    redelivery: Redelivery | None = None


class WorkerFacts(ApiModel):
    """What a worker's heartbeats (and its one answer about its pool) say about it."""

    active: int = 0
    processed: int = 0
    loadavg: tuple[float, ...] = ()
    sw_ver: str | None = None
    pool: str | None = None
    concurrency: int | None = None
    pid: int | None = Field(
        default=None,
        description="the worker's main process, from its events: a worker started again "
        "under the same name has another one",
    )
    started_at: float | None = Field(
        default=None,
        description="when this process (pid) was first heard from: its start, or the first "
        "event heard after the backend started (epoch seconds, the worker's clock)",
    )
    visibility_timeout_s: float | None = Field(
        default=None,
        description="seconds its broker keeps a message it took unacknowledged before "
        "delivering it again, as the worker reported it (kombu's default: 3600)",
    )
    awaiting_redelivery: int = Field(
        default=0,
        description="tasks a process of this worker held when it died (or went offline) "
        "whose messages the broker will deliver again (the backend's ledger)",
    )
    redelivery_at: float | None = Field(
        default=None, description="when the first of those is delivered again (epoch seconds)"
    )


class WorkerInfo(WorkerFacts):
    """A Celery worker as its heartbeats show it (taskdeck_core.workers.Liveness)."""

    hostname: str
    status: WorkerStatus
    online: bool = Field(description="not offline (a stale worker still counts as online)")
    last_heartbeat: float
    last_heartbeat_age_s: float


DETAIL_CAP = 200  # items of each list in a WorkerDetail, at most


class WorkerTask(ApiModel):
    """A task a worker holds: running (active), prefetched (reserved) or waiting for its
    eta/countdown (scheduled), as the worker itself reported it."""

    task_id: str
    name: str | None = None
    args: str = Field(default="", description="a short repr of its positional arguments")
    eta: str | None = Field(default=None, description="when it is due (scheduled tasks; ISO 8601)")
    priority: int | None = None
    worker_pid: int | None = Field(default=None, description="the pool process running it")


class TaskLimits(ApiModel):
    """A task type's limits as a worker holds them now (None: none set on the type)."""

    rate_limit: str | None = None
    soft_time_limit: float | None = Field(default=None, description="seconds")
    time_limit: float | None = Field(default=None, description="hard, seconds")


class WorkerDetail(ApiModel):
    """What one worker said of itself when asked (Celery's inspect, that worker only)."""

    hostname: str
    status: WorkerStatus
    replied: bool = Field(
        description="the worker answered within the timeout; false for an offline worker, "
        "which is not asked"
    )
    detail: str | None = Field(default=None, description="why there is no answer, if not")
    timeout_s: float = Field(description="how long the worker was given to answer each question")
    active: list[WorkerTask] = Field(default=[], description=f"at most {DETAIL_CAP}")
    reserved: list[WorkerTask] = Field(
        default=[], description=f"prefetched, not yet running; at most {DETAIL_CAP}"
    )
    scheduled: list[WorkerTask] = Field(
        default=[], description=f"held until their eta/countdown; at most {DETAIL_CAP}"
    )
    registered: list[str] = Field(
        default=[], description=f"task names it can run; at most {DETAIL_CAP}"
    )
    totals: dict[str, int] = Field(
        default={},
        description="how many items each list (active, reserved, scheduled, registered) had "
        f"before it was cut to {DETAIL_CAP}",
    )
    pool: str | None = None
    concurrency: int | None = None
    processes: list[int] = Field(default=[], description="its pool's process ids")
    prefetch_count: int | None = None
    queues: list[str] = Field(default=[], description="the queues it consumes from")
    limits: dict[str, TaskLimits] = Field(
        default={}, description="the registered task types that have a rate or time limit"
    )
    autoscaler: bool | None = Field(
        default=None, description="it was started with --autoscale (None: not known)"
    )
    sw_ver: str | None = None
    pid: int | None = None
    down_since: float | None = Field(
        default=None, description="an offline worker's last heartbeat (epoch seconds)"
    )


class WorkerControlReply(ApiModel):
    """One worker's answer to a control command."""

    hostname: str
    ok: bool = Field(description="the worker did it; false: it refused, with its message")
    message: str = Field(description="what the worker said")


class WorkerControlResult(ApiModel):
    """What a control command sent to some workers came to."""

    command: str
    arguments: dict[str, Any] = Field(description="the command's arguments, as sent")
    timeout_s: float = Field(description="how long the workers were given to reply")
    sent: list[str] = Field(default=[], description="the workers the command was sent to")
    replies: list[WorkerControlReply] = Field(default=[], description="the workers that replied")
    no_reply: list[str] = Field(
        default=[], description="workers that did not reply within the timeout"
    )
    note: str | None = Field(
        default=None,
        description="what the answer cannot show: a shutdown is not replied to, so the "
        "workers' heartbeats stopping (offline in GET /workers) confirms it",
    )
    audit_id: int


# -- task counts ---------------------------------------------------------------


class FinishedBucket(ApiModel):
    """Tasks that finished in one second of the window, by outcome."""

    start: float = Field(description="epoch second the bucket starts at")
    succeeded: int
    failed: int


class TaskStats(ApiModel):
    """Tasks that finished in the last ``window_s`` seconds, from the ledger."""

    as_of: float = Field(description="epoch seconds the counts were taken at (the window's end)")
    window_s: float
    succeeded: int
    failed: int
    buckets: list[FinishedBucket] = Field(
        description="one entry per second that had a finished task, oldest first"
    )


# -- quotas --------------------------------------------------------------------


class QuotaRow(ApiModel):
    user: str
    used: int = Field(description="tasks queued or running that hold a slot")
    limit: int
    drift: int = Field(description="slots held minus open tasks the ledger knows")


class QuotaLimitChanged(ApiModel):
    user: str
    limit: int
    previous_limit: int
    audit_id: int


class QuotaReconciled(ApiModel):
    user: str
    released: int
    added: int
    used: int
    drift: int
    audit_id: int


class QuotaDefault(ApiModel):
    """The limit of every user without a limit of their own."""

    limit: int
    setting: int = Field(description="the backend's setting TASKDECK_QUOTA_DEFAULT")
    changed: bool = Field(description="true when an admin set the default in place of the setting")


class QuotaDefaultChanged(ApiModel):
    limit: int
    previous_limit: int
    audit_id: int


# -- rate limits ---------------------------------------------------------------


class RateLimitConfig(ApiModel):
    window_s: float
    tiers: dict[str, dict[str, int]]
    endpoint_classes: list[str]
    user_tiers: dict[str, str]


class EndpointStats(ApiModel):
    requests: int
    rejected: int
    share: float


class RejectedKey(ApiModel):
    key: str
    rejected: int


class RateLimitStats(ApiModel):
    window_buckets: int
    bucket_s: float
    endpoints: dict[str, EndpointStats]
    rejections_by_tier: dict[str, int]
    top_rejected_keys: list[RejectedKey]


class Rejection(ApiModel):
    key: str
    tier: str
    endpoint: str
    ip: str
    ts: float


class Anomaly(ApiModel):
    kind: str
    subject: str
    score: float
    evidence: dict[str, Any] = Field(default_factory=dict)
    first_seen: float = 0.0
    last_seen: float = 0.0


# -- health --------------------------------------------------------------------


class DependencyHealth(ApiModel):
    up: bool
    latency_ms: float | None = None
    target: str | None = None
    error: str | None = None


class LedgerHealth(ApiModel):
    source: str = Field(description="stream or events: what feeds the ledger")
    lag: int | None = Field(description="stream entries not yet in the ledger")
    ingesting: bool
    records: int
    last_batch_at: float | None = None
    error: str | None = None
    writable: bool | None = Field(
        default=None,
        description="whether the ledger's database took a committed test write in the last "
        "few seconds (a full or read-only disk answers reads but not writes)",
    )
    stalled_s: float | None = Field(
        default=None,
        description="seconds that stream entries have waited while no batch reached the "
        "ledger (none: nothing waits, or batches arrive)",
    )
    events_received: int = Field(
        default=0, description="Celery task events the events fallback received"
    )
    events_dropped: int = Field(
        default=0,
        description="of those, dropped because its buffer was full: the ledger misses them",
    )
    helpers: int = Field(
        default=0,
        description="ingest helper processes applying a share of the records "
        "(TASKDECK_INGEST_HELPERS)",
    )
    helper_restarts: int = Field(
        default=0, description="times an ingest helper was started again after it ended"
    )


class WorkersMonitorHealth(ApiModel):
    connected: bool
    error: str | None = None


class LostTasksHealth(ApiModel):
    """Broker restarts as the backend saw them, and the accepted tasks they lost."""

    lost: int = Field(description="tasks in the ledger marked lost (GET /api/v1/tasks?lost=true)")
    last_lost_at: float | None = Field(default=None, description="when the last was found")
    broker_aof: bool | None = Field(
        default=None,
        description="whether the broker writes every change to its append-only file; without, "
        "a crash loses everything since its last snapshot (null: not seen yet)",
    )
    broker_restarts: int = Field(description="broker restarts seen since the backend started")
    last_restart_at: float | None = None
    last_check_at: float | None = Field(
        default=None, description="when the waiting tasks were last checked against the broker"
    )
    checking: int = Field(
        default=0, description="tasks found missing once, to be looked for again before marked"
    )


class Health(ApiModel):
    status: Literal["ok", "degraded"]
    version: str
    dependencies: dict[str, DependencyHealth]
    ledger: LedgerHealth
    workers_monitor: WorkersMonitorHealth
    problems: list[str] = Field(
        default_factory=list,
        description="why the status is degraded, one sentence each: what fails, what it "
        "keeps from working, what to do (empty when ok)",
    )
    lost_tasks: LostTasksHealth | None = None
