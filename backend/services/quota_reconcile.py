"""Quota slots against the ledger: usage with drift, repaired in both directions.

A slot is taken when a task is submitted and freed when its final state is
recorded. Slots can drift from the truth: a final record is lost, or a broker
restart rolls the slots back (Redis without AOF, or the last second of writes
with it). The ledger says which tasks are really open; a task the broker lost is
not, nor one whose worker process is gone while the broker holds its message for
redelivery (``RedeliveryWatch``: its slot is freed then, and taken again when a
worker receives it again).
"""

from __future__ import annotations

from backend.services.ledger import Ledger
from backend.services.quotas import Quotas
from taskdeck_core.api_types import QuotaRow


class QuotaReconciler:
    def __init__(self, ledger: Ledger, quotas: Quotas) -> None:
        self.ledger = ledger
        self.quotas = quotas

    def rows(self) -> list[QuotaRow]:
        """Every user with a slot or a limit of their own: used, limit, and drift from the ledger."""
        real = self.real_open()
        users = sorted(set(self.quotas.users()) | set(real))
        return [
            QuotaRow(user=user, used=used, limit=limit, drift=used - len(real.get(user, ())))
            for user, used, limit in self.quotas.usage(users)
        ]

    def row(self, user: str) -> QuotaRow | None:
        return next((r for r in self.rows() if r.user == user), None)

    def real_open(self, user: str | None = None) -> dict[str, set[str]]:
        """Open tasks per user from the ledger (neither lost nor awaiting redelivery)."""
        real: dict[str, set[str]] = {}
        for task_id, owner, _state, _hostname in self.ledger.open_tasks(user):
            if owner:
                real.setdefault(owner, set()).add(task_id)
        return real

    def reconcile_user(self, user: str) -> dict[str, int]:
        """Make ``user``'s slots exactly their open tasks; returns released and added counts."""
        return self.quotas.reconcile(user, self.real_open(user).get(user, set()))

    def reconcile_all(self, add: bool = False) -> dict[str, int]:
        """Periodic: free slots of tasks the ledger knows finished, or lost; slots of tasks the ledger does not know yet (just
        submitted) are left alone.

        With ``add`` (after a broker restart, once the ledger has caught up with the
        stream): also re-take the slots of open tasks the ledger knows whose slot is gone,
        because the restart rolled the counters back; each is looked at again just before,
        so a task that finished meanwhile gets none. Not on every round: a slot freed from
        the stream before the ledger has the task's end would otherwise come back."""
        real = self.real_open()
        released = 0
        missing: list[tuple[str, str]] = []
        for user in sorted(set(self.quotas.users()) | set(real)):
            taken = self.quotas.open_ids(user)
            known = self.ledger.known(taken)
            mine = real.get(user, set())
            released += self.quotas.release([t for t in taken if t in known and t not in mine])
            missing.extend((user, t) for t in sorted(mine - taken))
        if not add or not missing:
            return {"released": released, "added": 0}
        still = {t.task_id for t in self.ledger.open_tasks()}
        added = [(user, t) for user, t in missing if t in still]
        self.quotas.force_take_many(added)
        return {"released": released, "added": len(added)}
