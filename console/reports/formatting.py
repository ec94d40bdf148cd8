"""How a report's values read on paper and in HTML: times in the report's zone,
durations in hours and minutes, percents, numbers with thousands separators.

CSV does not use these: it keeps the values (see ``csv_export.cell``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication

from console.reports.model import ColumnKind, Report, Value

UNKNOWN = "—"

_OFFSET = re.compile(r"(?:UTC|GMT)\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?")


def zone_of(name: str) -> tzinfo:
    """The zone a report's ``time_zone`` names ("Asia/Shanghai (UTC+08:00)", "UTC+02:00",
    "UTC"); the computer's own zone when the name says nothing usable."""
    first = name.strip().split(" ")[0] if name.strip() else ""
    if first:
        try:
            return ZoneInfo(first)
        except (ValueError, KeyError, OSError):
            pass
    found = _OFFSET.search(name)
    if found:
        sign = -1 if found.group(1) in "-−" else 1
        minutes = int(found.group(2)) * 60 + int(found.group(3) or 0)
        return timezone(sign * timedelta(minutes=minutes))
    if first.upper() in ("UTC", "GMT", "Z"):
        return UTC
    local = datetime.now().astimezone().tzinfo
    return local if local is not None else UTC


def report_zone(report: Report) -> tzinfo:
    return zone_of(report.time_zone)


def local_time(epoch: float, zone: tzinfo) -> datetime:
    return datetime.fromtimestamp(epoch, zone)


def moment(epoch: float, zone: tzinfo) -> datetime | None:
    """``epoch`` in ``zone``; None when it is no moment a calendar holds (NaN, 1e300)."""
    try:
        return datetime.fromtimestamp(epoch, zone)
    except (OverflowError, OSError, ValueError):
        return None


def format_time(epoch: float, zone: tzinfo) -> str:
    """``2026-11-24 15:04:05`` in ``zone``."""
    found = moment(epoch, zone)
    return found.strftime("%Y-%m-%d %H:%M:%S") if found is not None else UNKNOWN


def format_duration(seconds: float) -> str:
    """``1 h 02 min``, ``3 min 05 s``, ``12.5 s``, ``450 ms``, ``2 d 03 h`` (the units in the
    user's language, as the console's tables write them)."""
    if not math.isfinite(seconds):
        return UNKNOWN
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 1:
        return sign + QCoreApplication.translate("Format", "{milliseconds} ms").format(
            milliseconds=f"{s * 1000:.0f}"
        )
    if s < 60:
        text = f"{s:.1f}".rstrip("0").rstrip(".")
        return sign + QCoreApplication.translate("Format", "{seconds} s").format(seconds=text)
    whole = int(round(s))
    if whole < 3600:
        return sign + QCoreApplication.translate("Format", "{minutes} min {seconds} s").format(
            minutes=whole // 60, seconds=f"{whole % 60:02d}"
        )
    if whole < 86400:
        return sign + QCoreApplication.translate("Format", "{hours} h {minutes} min").format(
            hours=whole // 3600, minutes=f"{whole % 3600 // 60:02d}"
        )
    return sign + QCoreApplication.translate("Format", "{days} d {hours} h").format(
        days=whole // 86400, hours=f"{whole % 86400 // 3600:02d}"
    )


def format_int(value: float) -> str:
    """``1,234,567``."""
    return f"{int(round(value)):,}"


def format_float(value: float) -> str:
    """Two decimals at most, thousands separated: ``1,234.5``, ``0.25``, ``0.000123``."""
    if not math.isfinite(value):
        return UNKNOWN
    if value != 0 and abs(value) < 0.01:
        return f"{value:.3g}"
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_percent(value: float) -> str:
    """``12.5 %`` (50.0 means 50 %)."""
    if not math.isfinite(value):
        return UNKNOWN
    return f"{value:.1f} %"


def format_value(value: Value, kind: ColumnKind, zone: tzinfo) -> str:
    """A table cell as shown in PDF and HTML; text as it is, unknown as a dash."""
    if value is None:
        return UNKNOWN
    if isinstance(value, str) or isinstance(value, bool):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return UNKNOWN
    if kind == "int":
        return format_int(number)
    if kind == "float":
        return format_float(number)
    if kind == "percent":
        return format_percent(number)
    if kind == "time":
        return format_time(number, zone)
    if kind == "duration":
        return format_duration(number)
    return format_int(number) if isinstance(value, int) else format_float(number)


def is_numeric(kind: ColumnKind) -> bool:
    """Whether a column's cells line up on the right."""
    return kind in ("int", "float", "percent", "duration")


def format_window(report: Report) -> str:
    """``2026-11-24 08:00:00 – 2026-11-24 09:00:00 (Asia/Shanghai (UTC+08:00))``."""
    zone = report_zone(report)
    start = format_time(report.window_start, zone)
    end = format_time(report.window_end, zone)
    return f"{start} – {end} ({report.time_zone})" if report.time_zone else f"{start} – {end}"


def format_number_with_unit(value: float, unit: str) -> str:
    """A plot's tick: ``40 /s``, ``12.5 %``, ``3 s``, ``1,200``."""
    text = format_float(value)
    if not unit:
        return text
    return f"{text} {unit}"
