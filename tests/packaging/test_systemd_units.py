"""The systemd units in deploy/systemd/ pass systemd's own checks: `systemd-analyze verify`
with the project's virtual environment in place of /opt/taskdeck/.venv (so the commands
they start exist), and an exposure level of 2.0 or less in `systemd-analyze security`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
INSTALLED = "/opt/taskdeck/.venv"
MOST_EXPOSED = 2.0  # systemd's scale: 0 (locked down) … 10 (unprotected); 2 and below is "OK"

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is part of systemd"
)


def placed(tmp_path: Path, unit: str) -> Path:
    """The unit with this environment's venv as the installed one (an instance for a
    template)."""
    text = (UNITS / unit).read_text(encoding="utf-8")
    assert INSTALLED in text  # the unit names the documented install location
    target = tmp_path / unit.replace("@.", "@sync1.")
    target.write_text(text.replace(INSTALLED, sys.prefix), encoding="utf-8")
    return target


@pytest.mark.parametrize("unit", ["taskdeck-backend.service", "taskdeck-worker@.service"])
def test_a_unit_passes_systemds_checks_and_is_hardened(tmp_path: Path, unit: str) -> None:
    path = placed(tmp_path, unit)
    verify = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", security.stdout)
    assert found is not None, security.stdout + security.stderr
    assert float(found.group(1)) <= MOST_EXPOSED, security.stdout
