"""The backend's app factory and its command line (``taskdeck-backend``)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from fastapi import FastAPI

from backend import __version__
from backend.api.routes import health, metrics
from backend.config import Settings, SettingsError, load_settings
from backend.domain.urls import redact_url
from backend.metrics import Metrics
from backend.procs import port_is_free
from backend.services.health import check_redis


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="TaskDeck backend", version=__version__)
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app


def _fail(message: str) -> None:
    print(f"taskdeck-backend: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="taskdeck-backend",
        description="Run the TaskDeck backend. Settings come from TASKDECK_* environment variables.",
    )
    parser.add_argument("--host", help="address to listen on (TASKDECK_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (TASKDECK_PORT, default 8400)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail(f"{exc}. Fix the environment variable and start again.")
        return
    if args.host:
        settings.host = args.host
    if args.port is not None:
        if not 0 < args.port < 65536:
            _fail(f"--port {args.port} is not a port number; use 1-65535")
        settings.port = args.port
    if not port_is_free(settings.port, settings.host):
        _fail(
            f"port {settings.port} on {settings.host} is already in use; choose another with "
            "--port (or TASKDECK_PORT), or stop the program that holds it"
        )
    broker = asyncio.run(check_redis("broker", settings.broker_url, settings.health_timeout_s))
    if not broker.up:
        print(
            f"taskdeck-backend: warning: the broker at {redact_url(settings.broker_url)} is "
            f"unreachable ({broker.error}); serving anyway and reporting it in /health. "
            "Start Redis or point TASKDECK_BROKER_URL at a reachable broker.",
            file=sys.stderr,
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    import uvicorn

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    cli()
