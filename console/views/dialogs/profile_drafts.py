"""The profiles as the dialog edits them ("drafts"), and what saving them writes. No Qt.

The keyring changes are decided from the drafts on the window's thread and
carried out on a worker thread (see the dialog's OK).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from console.domain.profiles import Profile, name_key
from console.services.secrets import BACKEND_TOKEN, BROKER_PASSWORD, SecretStore, SecretsUnavailable

log = logging.getLogger(__name__)


@dataclass
class Draft:
    """A profile being edited, with its secrets as typed (read from the store on first show)."""

    profile: Profile
    original: str | None  # its name in the store; None for a profile made in this dialog
    password: str = ""
    token: str = ""
    loaded_password: str = ""
    loaded_token: str = ""
    secrets_loaded: bool = False
    reading: bool = False  # its secrets are being read from the keyring


def unique_name(base: str, drafts: Sequence[Draft]) -> str:
    """``base``, or ``base 2``, ``base 3`` …: the first not taken (without regard to case)."""
    taken = {name_key(d.profile.name) for d in drafts}
    name, number = base, 2
    while name_key(name) in taken:
        name = f"{base} {number}"
        number += 1
    return name


def secret_writes(drafts: Sequence[Draft], store: SecretStore) -> list[Callable[[], None]]:
    """The keyring changes that saving ``drafts`` makes, in order."""
    writes: list[Callable[[], None]] = []
    for draft in drafts:
        if not draft.secrets_loaded:
            continue  # never shown, so neither renamed nor edited
        name, original = draft.profile.name, draft.original
        renamed = original is not None and original != name
        if renamed and original is not None and name_key(original) == name_key(name):
            for kind in (BROKER_PASSWORD, BACKEND_TOKEN):  # only the case changed
                writes.append(partial(store.delete, original, kind))
        for kind, value, loaded in (
            (BROKER_PASSWORD, draft.password, draft.loaded_password),
            (BACKEND_TOKEN, draft.token, draft.loaded_token),
        ):
            if original is not None and value == loaded and not renamed:
                continue  # unchanged
            if value:
                writes.append(partial(store.set, name, kind, value))
            else:  # nothing left behind under this name
                writes.append(partial(store.delete, name, kind))
    return writes


def stale_names(original_names: Sequence[str], drafts: Sequence[Draft]) -> list[str]:
    """Profiles deleted or renamed in the dialog, whose secrets go once the file is saved."""
    kept = {name_key(d.profile.name) for d in drafts}
    return [name for name in original_names if name_key(name) not in kept]


def delete_secrets(store: SecretStore, names: Sequence[str]) -> None:
    """Forget the secrets of ``names`` (a keyring that refuses keeps them, and it is logged)."""
    for name in names:
        for kind in (BROKER_PASSWORD, BACKEND_TOKEN):
            try:
                store.delete(name, kind)
            except SecretsUnavailable as exc:
                log.warning("secret %s of deleted profile %r kept: %s", kind, name, exc)
