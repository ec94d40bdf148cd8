"""Learn a watched Celery system's transport from what its Redis broker shows.

kombu records every queue binding as a member ``routing_key<sep>pattern<sep>queue``
of the set ``_kombu.binding.<exchange>``, joined with the system's separator. So
the bindings show the queues and the separator; the priority steps show only
where a list of a step holds messages. What the owners configured (TaskDeck's
settings, the console's profile) always wins over what is seen; what is
neither configured nor seen is assumed to be kombu's default and says so.

Writes need the steps: a message pushed to a list outside them is never read.
Steps that are neither configured nor consistent with kombu's default are
``unknown``, and TaskDeck then refuses to write rather than guess.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis

from taskdeck_core.api_types import SepSource, StepsSource, TransportInfo
from taskdeck_core.events import NotReady
from taskdeck_core.transport import KOMBU_DEFAULT_SEP, KOMBU_DEFAULT_STEPS, Transport

BINDING_PREFIX = "_kombu.binding."
# Exchanges of Celery's own machinery (events, remote control, its replies): not task queues.
CONTROL_EXCHANGES = frozenset({"celeryev", "celery.pidbox", "reply.celery.pidbox"})
MAX_SEP_LEN = 8
SHOWN_FOREIGN = 20


def _fits(member: str, sep: str) -> bool:
    return len(member.split(sep)) == 3


def candidate_seps(members: Iterable[str]) -> list[str]:
    """Separators a member's shape suggests: a direct binding with no pattern reads
    ``routing_key<sep><sep>queue``, so a doubled piece that splits it in three."""
    found: dict[str, None] = {}
    for member in members:
        for length in range(1, MAX_SEP_LEN + 1):
            for i in range(len(member) - 2 * length + 1):
                piece = member[i : i + length]
                if member[i + length : i + 2 * length] == piece and _fits(member, piece):
                    found.setdefault(piece)
    return list(found)


def choose_sep(
    tables: Mapping[str, Sequence[str]], configured: str | None
) -> tuple[str, SepSource]:
    """The separator and where it comes from: configured, detected from the bindings
    (the candidate that parses most of them; kombu's default first on a tie), or
    assumed (kombu's default) when the broker holds no binding yet."""
    if configured:
        return configured, "configured"
    members = [m for ms in tables.values() for m in ms]
    if not members:
        return KOMBU_DEFAULT_SEP, "assumed"
    candidates = [KOMBU_DEFAULT_SEP, *candidate_seps(members), ":"]
    scores = {sep: sum(_fits(m, sep) for m in members) for sep in dict.fromkeys(candidates)}
    best = max(scores, key=lambda sep: scores[sep])  # first of the best: candidate order
    return (best, "detected") if scores[best] else (KOMBU_DEFAULT_SEP, "assumed")


def foreign_members(tables: Mapping[str, Sequence[str]], sep: str) -> list[str]:
    """Binding entries ``sep`` cannot parse: kombu clients of the system fail on them."""
    return [f"{BINDING_PREFIX}{exchange}: {member!r}"
            for exchange, members in sorted(tables.items())
            for member in sorted(members) if not _fits(member, sep)]  # fmt: skip


def bound_queues(tables: Mapping[str, Sequence[str]], sep: str) -> list[str]:
    """The task queues bound to the system's exchanges (not Celery's control and events)."""
    names: set[str] = set()
    for exchange, members in tables.items():
        if exchange in CONTROL_EXCHANGES or exchange.endswith(".pidbox"):
            continue
        for member in members:
            parts = member.split(sep)
            if len(parts) == 3 and parts[2] and not parts[2].endswith(".pidbox"):
                names.add(parts[2])
    return sorted(names)


def choose_steps(
    configured: Sequence[int] | None, seen: Iterable[int]
) -> tuple[tuple[int, ...], StepsSource]:
    """The priority steps and where they come from: configured; assumed to be kombu's
    default while every list holding messages is one of its steps; else unknown (the
    steps returned then are only those seen)."""
    if configured:
        return tuple(configured), "configured"
    seen_steps = set(seen)
    if seen_steps <= set(KOMBU_DEFAULT_STEPS):
        return KOMBU_DEFAULT_STEPS, "assumed"
    return tuple(sorted(seen_steps | {0})), "unknown"


def known_for_binding(info: TransportInfo) -> TransportInfo:
    """``info``, if a binding may be written with its separator: configured or seen in the
    broker. Before any binding exists the separator is only assumed, and a binding written
    with a wrong one breaks the system's own clients; raises ``NotReady`` then."""
    if info.sep_source == "assumed":
        raise NotReady(
            "waiting for the system's first queue binding to learn its separator (or set "
            "it in the settings); nothing is written to the broker until then"
        )
    return info


def binding_keys(client: redis.Redis) -> list[str]:
    """The names of every ``_kombu.binding.*`` set: one SCAN over the whole keyspace
    (about 0.4 s and 0.36 s of Redis time at 1,000,000 keys: bench/RESULTS.md)."""
    found: Any = client.scan_iter(f"{BINDING_PREFIX}*", count=1000)
    return sorted({k.decode(errors="replace") if isinstance(k, bytes) else str(k) for k in found})


def read_tables(client: redis.Redis, keys: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Exchange -> members of its binding set, for ``keys`` (default: all, by SCAN)."""
    names = binding_keys(client) if keys is None else list(keys)
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.smembers(name)
    tables: dict[str, list[str]] = {}
    for name, members in zip(names, pipe.execute(raise_on_error=False), strict=True):
        if isinstance(members, set) and members:  # a key of another type is not a binding
            tables[name.removeprefix(BINDING_PREFIX)] = [
                m.decode(errors="replace") if isinstance(m, bytes) else str(m) for m in members
            ]
    return tables


def discover(
    client: redis.Redis,
    sep: str | None = None,
    steps: Sequence[int] | None = None,
    queues: Sequence[str] = (),
    keys: Sequence[str] | None = None,
) -> TransportInfo:
    """What the broker behind ``client`` shows, completed by what is configured; reads
    only the binding sets ``keys`` when given (see ``binding_keys``), else finds them."""
    tables = read_tables(client, keys)
    chosen_sep, sep_source = choose_sep(tables, sep)
    names = sorted(set(bound_queues(tables, chosen_sep)) | set(queues))
    reading = Transport(chosen_sep, tuple(steps) if steps else KOMBU_DEFAULT_STEPS)
    seen: set[int] = set()
    if names:
        pipe = client.pipeline(transaction=False)
        for key in reading.all_list_names(names):
            pipe.llen(key)
        for by_step in reading.depths(names, pipe.execute()).values():
            seen.update(step for step, n in by_step.items() if n and step)
    chosen_steps, steps_source = choose_steps(steps, seen)
    foreign = foreign_members(tables, chosen_sep)
    return TransportInfo(
        sep=chosen_sep,
        sep_source=sep_source,
        steps=list(chosen_steps),
        steps_source=steps_source,
        steps_seen=sorted(seen),
        queues=names,
        foreign_bindings=foreign[:SHOWN_FOREIGN],
        foreign_binding_count=len(foreign),
    )


class Learner:
    """``discover`` for a client that looks again and again: the keyspace is scanned for
    binding sets at most every ``scan_every_s`` (and on every look while no task queue's
    binding is known, and the separator not yet seen); in between only the known sets
    are read (bench/RESULTS.md: 0.5 ms instead of
    0.46 s at 1,000,000 keys). Blocking: call it on a worker thread."""

    def __init__(
        self,
        client: redis.Redis,
        sep: str | None = None,
        steps: Sequence[int] | None = None,
        queues: Sequence[str] = (),
        scan_every_s: float = 60.0,
    ) -> None:
        self.client = client
        self.sep, self.steps, self.queues = sep, steps, tuple(queues)
        self.scan_every_s = scan_every_s
        self._keys: list[str] | None = None
        self._scanned_at = 0.0
        self._settled = False  # the separator seen and a task queue bound
        self._scanning = threading.Lock()
        # Every step whose list has held a message since this learner began: the steps it
        # chooses never shrink when a list empties. They used to, and each flip changed the
        # transport options under the producers that were sending (the backend's pools were
        # reset under them: "Acquire on closed pool", answered 500, under load).
        self._steps_ever: set[int] = set()

    def _binding_keys(self) -> list[str]:
        """The binding sets, from a SCAN when one is due. One thread scans at a time: once
        settled, a look while a scan is under way goes on with the sets known (at 1,000,000
        keys on a busy broker a scan took seconds, and every look in that time started
        another, each slowing the others: ~100 scans a minute, bench/RESULTS.md)."""
        keys = self._keys
        stale = time.monotonic() - self._scanned_at > self.scan_every_s
        if keys is not None and self._settled and not stale:
            return keys
        if keys is not None and self._settled:
            if not self._scanning.acquire(blocking=False):
                return keys
        else:
            self._scanning.acquire()
        try:
            if self._keys is not keys and self._settled:  # scanned meanwhile by another look
                return self._keys or []
            keys = binding_keys(self.client)
            self._keys, self._scanned_at = keys, time.monotonic()
            return keys
        finally:
            self._scanning.release()

    def __call__(self) -> TransportInfo:
        keys = self._binding_keys()
        info = discover(self.client, self.sep, self.steps, self.queues, keys)
        if not self.steps:
            self._steps_ever |= set(info.steps_seen)
            steps, source = choose_steps(None, self._steps_ever)
            if list(steps) != list(info.steps) or source != info.steps_source:
                info = info.model_copy(update={"steps": list(steps), "steps_source": source})
        exchanges = (k.removeprefix(BINDING_PREFIX) for k in keys)
        bound = any(e not in CONTROL_EXCHANGES and not e.endswith(".pidbox") for e in exchanges)
        self._settled = bound and info.sep_source != "assumed"
        return info
