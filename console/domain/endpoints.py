"""Where the console's four services are, and how a sandbox run directory names them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from console.domain.translation import QT_TRANSLATE_NOOP, Message
from taskdeck_core.sandbox_paths import STATE_FILE
from taskdeck_core.transport import KOMBU_DEFAULT_SEP, QUEUES, SANDBOX_STEPS


class EndpointsError(ValueError):
    """The endpoints could not be read; the message says what to do."""


@dataclass(frozen=True)
class TransportSettings:
    """What the owners configured of the watched system's transport; empty parts are
    learned from the broker (``taskdeck_core.discovery``)."""

    sep: str = ""  # the separator itself (kombu's default is "\x06\x16"), not as typed
    steps: tuple[int, ...] = ()
    queues: tuple[str, ...] = ()  # watched besides those bound in the broker


LEARNED = TransportSettings()  # nothing configured: everything learned from the broker
# The sandbox's data-sync system: kombu's separator, ten priority steps and its own queues.
SANDBOX_SETTINGS = TransportSettings(KOMBU_DEFAULT_SEP, SANDBOX_STEPS, QUEUES)


@dataclass(frozen=True)
class Endpoints:
    broker_url: str
    backend_url: str
    prometheus_url: str
    alertmanager_url: str
    backend_token: str | None = None  # from the keyring, or the sandbox's own admin token
    transport: TransportSettings = LEARNED
    # PEM file of the certificates that sign the backend's HTTPS certificate (a proxy's own
    # CA, a self-signed certificate); empty: the system's usual trusted authorities.
    backend_ca_file: str = ""

    @classmethod
    def from_sandbox(cls, run_dir: Path) -> Endpoints:
        path = run_dir / STATE_FILE
        try:
            state = json.loads(path.read_text())
            urls = state["urls"]
            return cls(
                broker_url=str(urls["broker"]),
                backend_url=str(urls["backend"]),
                prometheus_url=str(urls["prometheus"]),
                alertmanager_url=str(urls["alertmanager"]),
                backend_token=state.get("tokens", {}).get("admin"),
                transport=SANDBOX_SETTINGS,
            )
        except FileNotFoundError:
            raise EndpointsError(
                Message(
                    "Endpoints",
                    QT_TRANSLATE_NOOP(
                        "Endpoints",
                        "no sandbox is running in {run_dir}; start one with 'taskdeck-sandbox up'",
                    ),
                    run_dir=str(run_dir),
                )
            ) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise EndpointsError(
                Message(
                    "Endpoints",
                    QT_TRANSLATE_NOOP(
                        "Endpoints", "{path} cannot be read ({error}); restart the sandbox"
                    ),
                    path=str(path),
                    error=str(exc),
                )
            ) from None
