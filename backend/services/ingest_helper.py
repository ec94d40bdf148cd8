"""Ingest helpers: processes that apply a share of the lifecycle stream to the ledger.

One Python process drains the stream at about one core's worth of work: decoding,
merging and writing a task's records hold its interpreter lock most of the time,
and threads would only take turns. A helper is a process of its own (started by
the backend, ended with it), so the records of a burst are applied on two cores.

Tasks are shared out by a hash of their id, so each task's records are always
applied by the same process, in stream order. The backend still reads every
entry and acknowledges a batch only after every process committed its share:
what a helper held when it died is read again from the pending list, as after a
crash of the backend itself. A helper writes only over the row version it read
(see ``Ledger.apply``), so a backend's own writes (a move, a loss) are never
undone by it, nor its by them.

Frames on the helper's stdin and stdout: a 4-byte big-endian length, then a
pickle (from the backend only: the pipe is the helper's own).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

from taskdeck_core import lifecycle as lc

log = logging.getLogger("taskdeck.ingest")

READY_TIMEOUT_S = 60.0  # a helper's start: imports and opening the ledger
BATCH_TIMEOUT_S = 120.0  # one share of one batch; past it the helper is taken as hung
_LENGTH = struct.Struct(">I")

Fields = tuple[bytes, ...]  # an entry's values of ``lc.ENTRY_FIELDS``, as the ingest reads them


class HelperError(RuntimeError):
    """A helper failed to apply its share (the batch stays pending and is read again)."""


# A helper takes twice the backend's share: the backend also reads the stream (twice: the
# quota slots' reader too), shares it out, and answers requests.
HELPER_WEIGHT = 2


# What a share holds: stream entries (values of ``lc.ENTRY_FIELDS``), or records already
# decoded (type, task id, time, data; from Celery events).
ENTRIES = "entries"
RECORDS_AHEAD = 3  # shares of records per helper on their way at most
RECORDS = "records"


def share_of(fields: Fields, helpers: int) -> int:
    """Which process applies this entry's task: 0 is the backend itself, n the n-th helper."""
    return share_of_id(fields[1] if len(fields) > 1 else b"", helpers)


def share_of_id(task_id: bytes, helpers: int) -> int:
    """Which process applies the records of the task ``task_id`` (its id's bytes)."""
    if not task_id or not helpers:
        return 0
    slot = zlib.crc32(task_id) % (1 + HELPER_WEIGHT * helpers)
    return 0 if slot == 0 else 1 + (slot - 1) // HELPER_WEIGHT


def _send(out: IO[bytes], message: object) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    data = memoryview(_LENGTH.pack(len(body)) + body)
    while data:  # an unbuffered pipe may take part of it (a signal in the middle)
        sent = out.write(data)
        data = data[sent or 0 :]
    out.flush()


def _read_exact(source: IO[bytes], size: int) -> bytes:
    parts, left = [], size
    while left:
        part = source.read(left)
        if not part:
            raise EOFError("the other end closed the pipe")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _receive(source: IO[bytes]) -> Any:
    (size,) = _LENGTH.unpack(_read_exact(source, _LENGTH.size))
    return pickle.loads(_read_exact(source, size))


class IngestHelper:
    """One helper process, seen from the backend: started when first needed, started
    again after it died. Batches are sent to it while it applies the earlier ones (its
    stdin is read by a thread of its own), and its answers come back in order."""

    def __init__(self, ledger_url: str, name: str) -> None:
        self.ledger_url = ledger_url
        self.name = name
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._lock = threading.Lock()  # starting it

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend.services.ingest_helper"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,  # unbuffered: ``select`` then sees every byte not yet read
            env={**os.environ, "TASKDECK_INGEST_HELPER": self.name},
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            # The ledger's URL on the pipe, not the command line: it may hold a password.
            _send(proc.stdin, {"ledger_url": self.ledger_url})
            ready = self.receive(proc, READY_TIMEOUT_S)
        except BaseException:
            self._end(proc)
            raise
        if ready[0] != "ready":
            self._end(proc)
            raise HelperError(f"ingest helper {self.name} could not start: {ready[1]}")
        self.starts += 1
        log.info("ingest helper %s started (pid %d)", self.name, proc.pid)
        return proc

    def running(self) -> subprocess.Popen[bytes]:
        """The helper process, started (again) if it is not running."""
        with self._lock:
            if self.proc is None or self.proc.poll() is not None:
                if self.proc is not None:
                    log.warning("ingest helper %s had ended (exit status %s); starting it again",
                                self.name, self.proc.returncode)  # fmt: skip
                self.proc = None
                self.proc = self._start()
            return self.proc

    def send(self, share: tuple[str, list[Any]]) -> subprocess.Popen[bytes]:
        """Send a share to apply (``ENTRIES`` or ``RECORDS``, and them); returns the process
        that will answer it."""
        proc = self.running()
        assert proc.stdin is not None
        try:
            _send(proc.stdin, share)
        except (OSError, ValueError) as exc:
            raise HelperError(f"ingest helper {self.name}: {exc}") from None
        return proc

    def receive(self, proc: subprocess.Popen[bytes], timeout_s: float = BATCH_TIMEOUT_S) -> Any:
        """The next answer of ``proc``. Raises HelperError if it ended or hangs."""
        assert proc.stdout is not None
        try:
            ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
        except (OSError, ValueError):  # ended by ``stop`` meanwhile
            raise HelperError(f"ingest helper {self.name} was stopped") from None
        if not ready:
            self._end(proc)
            raise HelperError(f"ingest helper {self.name} gave no answer in {timeout_s:.0f} s")
        try:
            return _receive(proc.stdout)
        except (EOFError, OSError, ValueError):
            code = proc.wait(timeout=5)
            raise HelperError(f"ingest helper {self.name} ended (exit status {code})") from None

    def _end(self, proc: subprocess.Popen[bytes]) -> None:
        """End a helper this backend started: EOF on its stdin first (it ends once its
        batches are committed), then a kill."""
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            with contextlib.suppress(OSError):
                proc.stdout.close()

    def warm(self) -> None:
        """Start the helper now (blocking), so the first batch does not wait for it."""
        self.running()

    def stop(self) -> None:
        """End the helper, even in the middle of an exchange (which then fails)."""
        with self._lock:
            proc, self.proc = self.proc, None
        if proc is not None:
            self._end(proc)


class _Pipeline:
    """One helper's shares in flight: sent in order by one thread, their answers read in
    order by another. After one fails, the later ones fail without being sent: they come
    again, in order, with the failed one (the batches stay pending)."""

    def __init__(self, helper: IngestHelper) -> None:
        self.helper = helper
        self.sender = ThreadPoolExecutor(1, thread_name_prefix=f"ingest-send-{helper.name}")
        self.receiver = ThreadPoolExecutor(1, thread_name_prefix=f"ingest-answer-{helper.name}")
        self.broken: BaseException | None = None

    def _check(self) -> None:
        if self.broken is not None:
            raise self.broken

    def _fail(self, exc: BaseException) -> None:
        if self.broken is None:
            self.broken = exc


class SharedIngest:
    """The share of each batch the helpers apply, and what the backend does for it
    itself: ``before`` with each share of stream entries (the source chooser notes the
    workers' records), ``after`` with each helper's metrics tally."""

    def __init__(
        self,
        helpers: list[IngestHelper],
        before: Callable[[list[Fields]], object],
        after: Callable[[Any], object],
    ) -> None:
        self.helpers = helpers
        self.before = before
        self.after = after
        self._pipes = [_Pipeline(h) for h in helpers]
        self._ahead: collections.deque[Future[tuple[int, int]]] = collections.deque()

    def split(self, entries: list[Fields]) -> tuple[list[Fields], list[list[Fields]]]:
        """The backend's own entries, and each helper's."""
        own: list[Fields] = []
        theirs: list[list[Fields]] = [[] for _ in self.helpers]
        n = len(self.helpers)
        for fields in entries:
            k = share_of(fields, n)
            if k:
                theirs[k - 1].append(fields)
            else:
                own.append(fields)
        return own, theirs

    def submit(self, n: int, entries: list[Fields]) -> Future[tuple[int, int]]:
        """Have helper ``n`` apply these stream entries, after the shares sent to it
        before; the future gives (records applied, entries refused)."""
        return self._submit(n, ENTRIES, entries)

    def apply_records(self, records: list[lc.LifecycleRecord]) -> None:
        """Have the helpers apply records (of Celery events), each task's by the same helper,
        in order. The backend applies none itself: receiving and decoding the events is what
        limits it in a burst (with a third of them applied by itself too, a burst of 100,000
        tasks drained about 12 % slower). This returns once at most ``RECORDS_AHEAD``
        shares per helper are still on their way; a share that failed is logged (Celery
        events are not read again)."""
        theirs: list[list[lc.LifecycleRecord]] = [[] for _ in self.helpers]
        n = len(self.helpers)
        for rec in records:
            theirs[zlib.crc32(rec.task_id.encode()) % n].append(rec)
        futures = [
            self._submit(k, RECORDS, [(r.type, r.task_id, r.ts, r.data) for r in share])
            for k, share in enumerate(theirs)
            if share
        ]
        self._ahead.extend(futures)
        while len(self._ahead) > RECORDS_AHEAD * len(self.helpers) or (
            self._ahead and self._ahead[0].done()
        ):
            failed = self._ahead.popleft().exception()
            if failed is not None:
                log.warning("ledger from events: %s", failed)
                self.reset()  # the next share goes to the helper (started again) at once

    def _submit(self, n: int, kind: str, items: list[Any]) -> Future[tuple[int, int]]:
        pipe = self._pipes[n]

        def send() -> subprocess.Popen[bytes]:
            pipe._check()
            try:
                if kind == ENTRIES:
                    self.before(items)
                return pipe.helper.send((kind, items))
            except BaseException as exc:
                pipe._fail(exc)
                raise

        sent = pipe.sender.submit(send)

        def answer() -> tuple[int, int]:
            proc = sent.result()  # raises what sending raised
            pipe._check()
            try:
                reply = pipe.helper.receive(proc)
                if reply[0] != "ok":
                    raise HelperError(f"ingest helper {pipe.helper.name}: {reply[1]}")
                self.after(reply[3])
                return reply[1], reply[2]
            except BaseException as exc:
                pipe._fail(exc)
                if not isinstance(exc, HelperError) or "ended" not in str(exc):
                    # Answers of shares sent after this one may still come: start afresh.
                    pipe.helper.stop()
                raise

        return pipe.receiver.submit(answer)

    def reset(self) -> None:
        """After every share in flight settled: take shares again."""
        for pipe in self._pipes:
            pipe.broken = None

    def stop(self) -> None:
        for helper in self.helpers:
            helper.stop()


# -- the helper process ----------------------------------------------------------------


def serve(source: IO[bytes], out: IO[bytes]) -> None:
    """The helper's loop: open the ledger, then apply each batch it is sent, answering
    ("ok", applied, refused, tally) or ("error", why); ends at EOF (its backend ended)."""
    import gc

    from backend.metrics import tally
    from backend.services.ledger import Ledger
    from backend.services.ledger_rows import TaskLabels

    config = _receive(source)
    try:
        ledger = Ledger(config["ledger_url"])
    except Exception as exc:  # noqa: BLE001 - said to the backend, which logs it
        _send(out, ("error", f"{type(exc).__name__}: {exc}"))
        return
    gc.freeze()  # what the imports made: out of the collector's way (as in the backend)
    # The next batches are read (and unpickled) while one is applied; a few at most.
    inbox: queue.Queue[Any] = queue.Queue(maxsize=4)

    def read() -> None:
        try:
            while True:
                inbox.put(_receive(source))
        except (EOFError, OSError, ValueError):
            inbox.put(None)

    threading.Thread(target=read, name="ingest-helper-inbox", daemon=True).start()
    _send(out, ("ready", os.getpid()))
    while True:
        share = inbox.get()
        if share is None:
            break
        kind, items = share
        records, refused = [], 0
        if kind == RECORDS:  # made from Celery events by the backend: checked already
            records = [lc.LifecycleRecord(*values) for values in items]
        for fields in items if kind == ENTRIES else ():
            try:
                records.append(lc.LifecycleRecord.from_values(fields))
            except ValueError as exc:
                refused += 1
                log.warning("ledger: skipping a stream entry: %s", exc)
        try:
            labels: dict[str, TaskLabels] = {}
            ledger.apply(records, labels)
            counted = tally(records, labels)
        except Exception as exc:  # noqa: BLE001 - the batch stays pending; said to the backend
            _send(out, ("error", f"{type(exc).__name__}: {exc}"))
            continue
        _send(out, ("ok", len(records), refused, counted))
    ledger.close()


def main() -> None:
    name = os.environ.get("TASKDECK_INGEST_HELPER", "helper")
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s %(levelname)s %(name)s[{name}]: %(message)s"
    )
    # Its backend ends it (EOF on stdin, once the batch in hand is committed), also when
    # both are told to stop (a terminal's Ctrl-C, a service manager's SIGTERM to the group).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The frames go on the real stdout; anything printed goes to stderr, with the logs.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    try:
        serve(sys.stdin.buffer, out)
    except BrokenPipeError:
        pass  # the backend ended while an answer was on its way


if __name__ == "__main__":
    main()
