"""``taskdeck``: start the console (or ``python -m console``)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import logging.handlers
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import redis

from console import desktop, smoke
from console.controllers.reports_controller import wait_for_writer
from console.domain.endpoints import Endpoints, EndpointsError
from console.domain.places import log_dir
from console.domain.profiles import (
    URL_FIELDS,
    LoadResult,
    Profile,
    ProfileStore,
    split_broker_password,
    url_problems,
)
from console.domain.profiles.model import quoted
from console.domain.translation import QT_TRANSLATE_NOOP, Message
from console.services.secrets import KeyringSecrets, SecretStore, SessionFallbackSecrets
from taskdeck_core.redis_clients import is_sentinel_url

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QWidget

    from console.app import Console

log = logging.getLogger("taskdeck.console")
SCREEN_SIZES = ((1366, 768), (1920, 1080))
PALETTES = ("light", "dark")
SHOWN_PROBLEMS = 10  # problems of the profiles file shown at start; the log has them all


def setup_logging() -> Path:
    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "console.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="taskdeck", description="TaskDeck console")
    parser.add_argument(
        "--sandbox-dir",
        type=Path,
        default=None,
        help="connect to the sandbox in this run directory (without it and without URLs: the "
        "active profile, else the local sandbox)",
    )
    parser.add_argument("--broker-url", help="Redis broker, e.g. redis://user:password@host:6379/0")
    parser.add_argument(
        "--backend-url",
        help="TaskDeck backend, e.g. https://taskdeck.example:8400 (token from TASKDECK_TOKEN)",
    )
    parser.add_argument(
        "--backend-ca-file",
        help="with --backend-url https://...: the PEM file of the CA (or the self-signed "
        "certificate) that signs the backend's certificate, when this computer does not trust it",
    )
    parser.add_argument("--prometheus-url", help="Prometheus, e.g. http://prometheus:9090")
    parser.add_argument("--alertmanager-url", help="Alertmanager, e.g. http://alertmanager:9093")
    parser.add_argument(
        "--snapshot", type=Path,
        help="open this saved snapshot (.tdsnap) read-only instead of connecting anywhere",
    )  # fmt: skip
    parser.add_argument(
        "--screenshots", type=Path, help="save a screenshot of each page here, then quit"
    )
    parser.add_argument(
        "--run-for", type=float, default=30.0, help="with --screenshots: seconds at most"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="check this installation: offscreen, open --snapshot FILE (or the URLs or sandbox "
        "given; at most --run-for seconds), show every page and save a picture of each in "
        "--screenshots DIR (else a new temporary folder); exit 0, or 1 saying what failed",
    )
    parser.add_argument(
        "--forget-secrets",
        action="store_true",
        help="delete every profile's password and token from the system keyring, then quit",
    )
    parser.add_argument(
        "--palette",
        choices=("system", "light", "dark"),
        default="system",
        help="colours: the system's scheme (default), or light or dark whatever it is "
        "(--screenshots takes each page in both)",
    )
    parser.add_argument(
        "--language",
        choices=("system", "en", "zh_CN"),
        default=None,
        help="the console's language: the system's, English or Simplified Chinese (default: "
        "TASKDECK_LANGUAGE, else the Language menu's choice, else the system's)",
    )
    args = parser.parse_args(argv)
    if args.snapshot is not None and (args.sandbox_dir or args.broker_url):
        parser.error("--snapshot opens a saved file: give it without a sandbox or URLs")
    urls = (args.broker_url, args.backend_url, args.prometheus_url, args.alertmanager_url)
    if any(urls) and not all(urls):
        parser.error(
            "give all four of --broker-url, --backend-url, --prometheus-url, --alertmanager-url"
        )
    return args


@dataclass
class Choice:
    endpoints: Endpoints
    name: str
    colour: str = "#3b82f6"
    production: bool = False


def command_line_problems(args: argparse.Namespace) -> list[str]:
    """What is wrong with the four URLs given on the command line, each naming its option,
    by the rules a profile's URLs follow (empty when they can be used)."""
    problems: list[str] = []
    for field in URL_FIELDS:
        url = getattr(args, field)
        option = "--" + field.replace("_", "-")
        shown = quoted(split_broker_password(url)[0])  # never the password
        problems += [f"{option} “{shown}”: {problem}" for problem in url_problems(field, url)]
    if not problems and not is_sentinel_url(args.broker_url):
        try:  # what the rules leave to the Redis client: its options in the query
            redis.connection.parse_url(args.broker_url)
        except ValueError as exc:
            shown = quoted(split_broker_password(args.broker_url)[0])
            problems.append(f"--broker-url “{shown}”: {exc}")
    return problems


def choose(
    args: argparse.Namespace, loaded: LoadResult
) -> tuple[Choice | Profile | None, str | None]:
    """What to connect to at start: URLs given, a sandbox named, the active profile (whose
    secrets the window reads from the keyring once it runs), or the local sandbox; with a
    message when there is nothing to connect to (URLs given that cannot be used connect to
    nothing: the window opens and says what was wrong)."""
    if args.snapshot is not None:
        return None, None  # the window opens the file
    if args.broker_url:
        problems = command_line_problems(args)
        if problems:
            return None, Message(
                "Console",
                QT_TRANSLATE_NOOP(
                    "Console", "The URLs on the command line cannot be used, so TaskDeck is not "
                    "connected:\n{problems}\nStart TaskDeck again with corrected URLs."),
                problems="\n".join(problems),
            )  # fmt: skip
        endpoints = Endpoints(
            args.broker_url, args.backend_url, args.prometheus_url, args.alertmanager_url,
            backend_token=os.environ.get("TASKDECK_TOKEN") or None,
            backend_ca_file=args.backend_ca_file or "",
        )  # fmt: skip
        return Choice(endpoints, "custom"), None
    if args.sandbox_dir is None and loaded.active:
        profile = next((p for p in loaded.profiles if p.name == loaded.active), None)
        if profile is not None:
            return profile, None
    from taskdeck_core.sandbox_paths import default_run_dir

    try:
        return Choice(
            Endpoints.from_sandbox(args.sandbox_dir or default_run_dir()), "sandbox", "#10b981"
        ), None
    except EndpointsError as exc:
        if args.sandbox_dir is not None:
            raise
        return None, exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)


def install_excepthook() -> None:
    shown: list[object] = []

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        log.error("unexpected error:\n%s", text)
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is not None:
            box = QMessageBox(
                QMessageBox.Icon.Critical,
                "TaskDeck",
                QApplication.translate("Console", "Something went wrong: {error}").format(
                    error=value
                ),
            )
            box.setDetailedText(text)
            shown.append(box)  # kept until closed
            box.finished.connect(lambda _result: shown.remove(box))
            box.show()  # not exec(): no nested event loop inside the running tasks

    sys.excepthook = hook


async def take_screenshots(console: Console, out_dir: Path, run_for: float) -> None:
    """Wait for live data (or the deadline), then save each page at each screen size in
    the light and the dark palette (``overview-dark-1366x768.png``)."""
    from PySide6.QtWidgets import QApplication

    from console import demo_scenes
    from console.demo_scenes import showing_live_data
    from console.views.palette import apply_palette

    started = time.monotonic()
    while time.monotonic() < started + run_for * 0.5 and not showing_live_data(console):
        await asyncio.sleep(0.2)
    # Let the trends gather a few scrapes and the live edge move before the pictures.
    while time.monotonic() < started + run_for * 0.75:
        await asyncio.sleep(0.2)
    out_dir.mkdir(parents=True, exist_ok=True)
    window = console.window
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    for scheme in PALETTES:
        apply_palette(app, scheme)
        for width, height in SCREEN_SIZES:
            window.resize(width, height)
            for key in window.page_keys():
                window.show_page(key)
                await _grab(window, out_dir / f"{key}-{scheme}-{width}x{height}.png")
    # Then the pages in use: each scene arranged once, taken at every size and palette.
    async for scene in demo_scenes.scenes(console):
        for scheme in PALETTES:
            apply_palette(app, scheme)
            for width, height in SCREEN_SIZES:
                window.resize(width, height)
                await _grab(window, out_dir / f"{scene}-{scheme}-{width}x{height}.png")


async def _grab(window: QWidget, path: Path) -> None:
    # Not processEvents(): inside a task it would run other tasks' steps re-entrantly.
    await asyncio.sleep(0.2)  # the loop lays out and paints the page meanwhile
    window.grab().save(str(path))
    print(f"screenshot: {path}", flush=True)


def start_window(
    args: argparse.Namespace,
    store: ProfileStore,
    loaded: LoadResult,
    secrets: SecretStore,
    choice: Choice | Profile | None,
    missing: str | None,
    log_path: Path,
    settings: QSettings | None = None,
) -> Console:
    """The window, shown and connected to ``choice``, with what went wrong at start (the
    profiles file's problems, the first ``SHOWN_PROBLEMS`` of them, and ``missing``) in a
    box beside it, or on stderr when taking screenshots."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from console.app import Console
    from console.models.format import translated

    console = Console(
        settings, store=store, secrets=secrets, profiles=loaded.profiles, active=loaded.active
    )
    if isinstance(choice, Profile):
        console.use_profile(choice)  # its secrets are read off the window's thread
    elif choice is not None:
        console.connect_to(choice.endpoints, choice.name, choice.colour, choice.production)
    if args.snapshot is not None:
        console.open_snapshot(args.snapshot)  # read off the window's thread
    console.window.resize(*SCREEN_SIZES[0])
    if args.screenshots is None:
        console.window.restore_state()
    console.window.show()
    if loaded.problems:
        log.warning("profiles file %s:\n%s", store.path, "\n".join(loaded.problems))
    notes = [translated(p) for p in loaded.problems[:SHOWN_PROBLEMS]]
    if len(loaded.problems) > SHOWN_PROBLEMS:
        notes.append(
            QApplication.translate(
                "Console", "…and {count} more problems with the profiles file; the log lists "
                "them all: {path}",
            ).format(count=len(loaded.problems) - SHOWN_PROBLEMS, path=log_path)
        )  # fmt: skip
    if missing:
        log.warning("%s", missing)
        notes.append(
            translated(missing)
            + " "
            + QApplication.translate("Console", "Or add a profile: Connection > Profiles…")
        )
    if notes and args.screenshots is None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, "TaskDeck", "\n\n".join(notes), parent=console.window
        )
        box.setModal(False)
        box.show()
    elif notes:
        print("taskdeck: " + " / ".join(notes), file=sys.stderr)
    # What start built (Qt's wrappers, the modules, the window) lives as long as the
    # process: kept out of the collector's full passes, which then take milliseconds,
    # not a visible pause, while the user scrolls.
    gc.freeze()
    return console


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.smoke:
        smoke.prepare(args)
    log_path = setup_logging()
    store = ProfileStore.default()
    loaded = store.load()  # never raises: problems are shown once the window is up
    secrets = SessionFallbackSecrets(KeyringSecrets())
    if args.forget_secrets:
        return desktop.forget_secrets(store, KeyringSecrets())
    try:
        choice, missing = choose(args, loaded)
    except EndpointsError as exc:
        print(f"taskdeck: error: {exc}", file=sys.stderr)
        return 2

    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from console import language
    from console.views.palette import apply_system_palette

    app = QApplication(sys.argv[:1])
    app.setApplicationName("TaskDeck")
    app.setOrganizationName("TaskDeck")
    desktop.set_identity(app)
    apply_system_palette(app, args.palette)
    install_excepthook()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(
        lambda _loop, ctx: log.error(
            "event loop: %s", ctx.get("message"), exc_info=ctx.get("exception")
        )
    )
    log.info("console starting; log file %s", log_path)
    # Screenshots leave the user's settings alone (their window, filters, groups read):
    # what the pictures' scenes choose is kept beside the pictures.
    settings = (
        QSettings(str(args.screenshots / "console-settings.ini"), QSettings.Format.IniFormat)
        if args.screenshots is not None
        else QSettings()
    )
    shown_in = language.resolve(args.language, settings)
    language.install(shown_in, app)
    log.info("console language %s", shown_in)
    console = start_window(args, store, loaded, secrets, choice, missing, log_path, settings)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)

    passed: list[bool] = []  # --smoke's verdict

    async def run() -> None:
        try:
            if args.smoke:
                from_snapshot = args.snapshot is not None
                passed.append(
                    await smoke.run(console, args.screenshots, from_snapshot, args.run_for)
                )
            elif args.screenshots is not None:
                await asyncio.wait_for(
                    take_screenshots(console, args.screenshots, args.run_for),
                    timeout=args.run_for + 60,  # the scenes run after the pages
                )
            else:
                await closed.wait()
        finally:
            await console.aclose()
            # A report cancelled by the close stops at its next page: let it, while the
            # loop it posts its end to still runs (off the GUI thread).
            await asyncio.to_thread(wait_for_writer, 10)

    with loop:
        try:
            loop.run_until_complete(run())
        except TimeoutError:
            print("taskdeck: screenshots not finished in time", file=sys.stderr)
            return 1
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
