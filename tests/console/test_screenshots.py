"""The headless console's screenshots: every page, both palettes, both screen sizes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from console.__main__ import PALETTES, SCREEN_SIZES

PAGES = ("overview", "queues", "workers", "connections")


def mean_lightness(path: Path) -> float:
    image = QImage(str(path))
    assert not image.isNull(), path
    samples = [
        QColor(image.pixel(x, y)).lightnessF()
        for x in range(0, image.width(), 17)
        for y in range(0, image.height(), 17)
    ]
    return sum(samples) / len(samples)


def test_screenshots_show_each_page_in_the_light_and_the_dark_palette(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKDECK_")}
    for name in ("home", "config", "state"):
        (tmp_path / name).mkdir()
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_STATE_HOME=str(tmp_path / "state"), QT_QPA_PLATFORM="offscreen",
               TASKDECK_SANDBOX_DIR=str(tmp_path / "no-sandbox"))  # fmt: skip
    shots = tmp_path / "shots"
    out = subprocess.run(
        [sys.executable, "-m", "console", "--screenshots", str(shots), "--run-for", "2"],
        env=env, cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    for width, height in SCREEN_SIZES:
        for page in PAGES:
            light, dark = (shots / f"{page}-{scheme}-{width}x{height}.png" for scheme in PALETTES)
            assert light.is_file() and dark.is_file(), sorted(p.name for p in shots.iterdir())
            assert mean_lightness(dark) < 0.35 < 0.6 < mean_lightness(light), page
