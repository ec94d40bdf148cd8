"""taskdeck-report: an offline report of one environment, made without a window, for cron
or the Windows Task Scheduler.

It reads the environment as the console does (a profile, its token from the keyring or
``TASKDECK_TOKEN``), collects the report with the console's own services and writes it
as PDF, HTML or one CSV file per table. A source that cannot be read stops it with one
line on stderr and nothing written, unless ``--partial`` asks for the report anyway,
with what is missing said on its first page. ``--format snapshot`` saves a snapshot
instead (what the console's pages show, for opening later); ``--snapshot FILE`` makes the
report from a saved snapshot, its window ending when the snapshot was taken.

Exit codes: 0 written; 2 bad command line or profile; 3 a source could not be read (no
``--partial``); 4 the report could not be written.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from console.domain import clock
from console.domain.endpoints import Endpoints, EndpointsError
from console.domain.profiles.store import ProfileStore
from console.reports.collect import SECTIONS as SECTION_KEYS
from console.reports.collect import ReportSources, collect_report
from console.reports.model import Report
from console.snapshot.file import Snapshot, SnapshotError, read_snapshot, write_snapshot

WINDOWS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}
FORMATS = ("pdf", "pdf-letter", "html", "csv", "snapshot")
TOKEN_ENV = "TASKDECK_TOKEN"
EXIT_USAGE, EXIT_SOURCE, EXIT_WRITE = 2, 3, 4


class UsageError(Exception):
    """The command line or the profile cannot be used; the message says why."""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="taskdeck-report",
        description="Write an offline report (PDF, HTML or CSV) of one environment.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--profile", help="the console profile to report on (by name)")
    where.add_argument("--sandbox-dir", type=Path, help="the sandbox in this run directory")
    where.add_argument("--snapshot", type=Path,
                       help="a saved snapshot (.tdsnap) to make the report from, offline")  # fmt: skip
    parser.add_argument("--window", choices=sorted(WINDOWS, key=WINDOWS.__getitem__),
                        help="the last 1h, 24h, 7d or 30d (default 24h)")  # fmt: skip
    parser.add_argument("--from", dest="since", help="window start, ISO 8601 (with --to)")
    parser.add_argument("--to", dest="until", help="window end, ISO 8601 (with --from)")
    parser.add_argument("--format", choices=FORMATS, default="pdf",
                        help="pdf (A4), pdf-letter, html, csv (a folder of tables), or snapshot "
                             "(what the console's pages show, to open later)")  # fmt: skip
    parser.add_argument("--out", type=Path, required=True,
                        help="the file to write (for csv: the folder)")  # fmt: skip
    parser.add_argument("--sections",
                        help=f"comma-separated, of: {', '.join(SECTION_KEYS)} (default: all)")  # fmt: skip
    parser.add_argument("--language", choices=("system", "en", "zh_CN"), default=None,
                        help="the report's language (default: TASKDECK_LANGUAGE, else the "
                        "console's Language setting, else the system's)")  # fmt: skip
    parser.add_argument("--partial", action="store_true",
                        help="write the report even if a source cannot be read, saying so")  # fmt: skip
    return parser.parse_args(list(argv))


def _moment(text: str, option: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date and time; write it as "
                         "2026-11-24T08:00 (ISO 8601), optionally with a zone") from None  # fmt: skip
    return (moment if moment.tzinfo else moment.astimezone()).timestamp()


def window_of(args: argparse.Namespace, now: float) -> tuple[float, float]:
    """The window asked for, as (start, end) epoch seconds."""
    if args.since or args.until:
        if args.window:
            raise UsageError("give either --window or --from and --to, not both")
        if not (args.since and args.until):
            raise UsageError("give both --from and --to")
        start, end = _moment(args.since, "--from"), _moment(args.until, "--to")
        if end <= start:
            raise UsageError("--to must be later than --from")
        return start, end
    return now - WINDOWS[args.window or "24h"], now


def sections_of(args: argparse.Namespace) -> set[str] | None:
    if not args.sections:
        return None
    chosen = {s.strip() for s in args.sections.split(",") if s.strip()}
    unknown = sorted(chosen - set(SECTION_KEYS))
    if unknown or not chosen:
        raise UsageError(f"--sections: unknown {', '.join(unknown) or '(none given)'}; "
                         f"choose among {', '.join(SECTION_KEYS)}")  # fmt: skip
    return chosen


def endpoints_of(args: argparse.Namespace) -> tuple[Endpoints, str]:
    """The environment's endpoints and name, its token from TASKDECK_TOKEN or the keyring."""
    token = os.environ.get(TOKEN_ENV) or None
    if args.sandbox_dir is not None:
        try:
            found = Endpoints.from_sandbox(args.sandbox_dir)
        except EndpointsError as exc:
            raise UsageError(str(exc)) from None
        if token:
            found = Endpoints(found.broker_url, found.backend_url, found.prometheus_url,
                              found.alertmanager_url, backend_token=token,
                              transport=found.transport)  # fmt: skip
        return found, "sandbox"
    store = ProfileStore.default()
    loaded = store.load()
    profile = next((p for p in loaded.profiles if p.name == args.profile), None)
    if profile is None:
        names = ", ".join(p.name for p in loaded.profiles) or "none"
        raise UsageError(f"no profile named {args.profile!r} in {store.path} (profiles: "
                         f"{names}); the console's Connection > Profiles makes one")  # fmt: skip
    if token is None:
        from console.services.secrets import KeyringSecrets, SecretsUnavailable

        try:
            token = KeyringSecrets().get(profile.name, "backend_token")
        except SecretsUnavailable as exc:
            print(f"taskdeck-report: the keyring cannot be read ({exc}); set {TOKEN_ENV}",
                  file=sys.stderr)  # fmt: skip
    return profile.endpoints(None, token), profile.name


async def collect_from_snapshot(snapshot: Snapshot, start: float, end: float,
                                sections: set[str] | None) -> Report:  # fmt: skip
    from console.snapshot.replay import SnapshotAlertmanager, SnapshotBackend, SnapshotMetrics

    sources = ReportSources(snapshot.environment, SnapshotBackend(snapshot),
                            SnapshotMetrics(snapshot), SnapshotAlertmanager(snapshot))  # fmt: skip
    return await collect_report(sources, start, end, sections)


async def take(endpoints: Endpoints, name: str, window_s: float) -> Snapshot:
    from console.services.alertmanager_client import AlertmanagerClient
    from console.services.backend_client import BackendClient
    from console.services.broker_reader import BrokerReader
    from console.services.prometheus_reader import PrometheusReader
    from console.snapshot.record import take_snapshot

    backend = BackendClient(
        endpoints.backend_url, endpoints.backend_token, ca_file=endpoints.backend_ca_file
    )
    prometheus = PrometheusReader(endpoints.prometheus_url)
    alertmanager = AlertmanagerClient(endpoints.alertmanager_url)
    broker = BrokerReader(endpoints.broker_url, endpoints.transport)
    try:
        sources = ReportSources(name, backend, prometheus, alertmanager)
        return await take_snapshot(sources, broker, window_s)
    finally:
        await asyncio.gather(backend.aclose(), alertmanager.aclose(), broker.aclose(),
                             return_exceptions=True)  # fmt: skip
        prometheus.close()


async def collect(endpoints: Endpoints, name: str, start: float, end: float,
                  sections: set[str] | None) -> Report:  # fmt: skip
    from console.services.alertmanager_client import AlertmanagerClient
    from console.services.backend_client import BackendClient
    from console.services.prometheus_reader import PrometheusReader

    backend = BackendClient(
        endpoints.backend_url, endpoints.backend_token, ca_file=endpoints.backend_ca_file
    )
    prometheus = PrometheusReader(endpoints.prometheus_url)
    alertmanager = AlertmanagerClient(endpoints.alertmanager_url)
    try:
        sources = ReportSources(name, backend, prometheus, alertmanager)
        return await collect_report(sources, start, end, sections)
    finally:
        await asyncio.gather(backend.aclose(), alertmanager.aclose(), return_exceptions=True)
        prometheus.close()


def write(report: Report, fmt: str, out: Path) -> list[Path]:
    from console.reports.render import write_csv, write_html, write_pdf

    if fmt == "csv":
        return list(write_csv(report, out))
    if fmt == "html":
        write_html(report, out)
    else:
        write_pdf(report, out, "Letter" if fmt == "pdf-letter" else "A4")
    return [out]


def _missing_line(report: Report) -> str:
    first, more = report.missing[0], len(report.missing) - 1
    also = f" (and {more} more)" if more else ""
    return (f"taskdeck-report: {first}{also}; nothing written. Add --partial to write the "
            "report with what could be read")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    snapshot: Snapshot | None = None
    endpoints: Endpoints | None = None
    name = ""
    try:
        if args.snapshot is not None:
            if args.format == "snapshot":
                raise UsageError("--snapshot reads a snapshot; write it as pdf, html or csv")
            try:
                snapshot = read_snapshot(args.snapshot)
            except SnapshotError as exc:
                raise UsageError(str(exc)) from None
            clock.freeze(snapshot.taken_at)  # its "last 24 h" ends when it was taken
        start, end = window_of(args, clock.now())
        sections = sections_of(args)
        if snapshot is None:
            endpoints, name = endpoints_of(args)
    except UsageError as exc:
        print(f"taskdeck-report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # cron has no display
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["taskdeck-report"])
    from PySide6.QtCore import QSettings

    from console import language

    # The console's own settings, whoever runs this: its Language menu's choice.
    language.install(language.resolve(args.language, QSettings("TaskDeck", "TaskDeck")), app)
    try:
        return _report(args, app, snapshot, start, end, sections, endpoints, name)
    finally:
        language.uninstall(app)


def _report(
    args: argparse.Namespace, app: object, snapshot: Snapshot | None, start: float,
    end: float, sections: set[str] | None, endpoints: Endpoints | None, name: str,
) -> int:  # fmt: skip
    from console.reports.atomic import ReportWriteError

    if args.format == "snapshot":
        assert endpoints is not None  # a snapshot is written from a live environment
        return _write_snapshot(asyncio.run(take(endpoints, name, end - start)), args)
    if snapshot is not None:
        report = asyncio.run(collect_from_snapshot(snapshot, start, end, sections))
    else:
        assert endpoints is not None
        report = asyncio.run(collect(endpoints, name, start, end, sections))
    if report.missing and not args.partial:
        print(_missing_line(report), file=sys.stderr)
        return EXIT_SOURCE
    try:
        written = write(report, args.format, args.out)
    except ReportWriteError as exc:
        print(f"taskdeck-report: {exc}", file=sys.stderr)
        return EXIT_WRITE
    for path in written:
        print(path)
    if report.empty:
        print("taskdeck-report: the window holds no data (no task, sample, failure, alert or "
              "audit entry falls in it); the report says so", file=sys.stderr)  # fmt: skip
    if report.missing:
        print(f"taskdeck-report: written without {len(report.missing)} part(s) that could "
              "not be read; its first page says which", file=sys.stderr)  # fmt: skip
    del app
    return 0


def _write_snapshot(snapshot: Snapshot, args: argparse.Namespace) -> int:
    from console.reports.atomic import ReportWriteError

    if snapshot.missing and not args.partial:
        first, more = snapshot.missing[0], len(snapshot.missing) - 1
        also = f" (and {more} more)" if more else ""
        print(f"taskdeck-report: {first}{also}; nothing written. Add --partial to save the "
              "snapshot with what could be read", file=sys.stderr)  # fmt: skip
        return EXIT_SOURCE
    try:
        write_snapshot(snapshot, args.out)
    except ReportWriteError as exc:
        print(f"taskdeck-report: {exc}", file=sys.stderr)
        return EXIT_WRITE
    print(args.out)
    if snapshot.missing:
        print(f"taskdeck-report: saved without {len(snapshot.missing)} part(s) that could not "
              "be read", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
