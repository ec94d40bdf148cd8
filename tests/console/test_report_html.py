"""A report written as HTML is one file that refers to nothing outside itself, with
its text escaped and its plots as PNG images inside it; a browser opens it offline."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from console.reports.render import write_html
from tests.report_fixture import CHINESE, LONG_LINE, build_report

HOSTILE = 'Nightly <script>alert("x")</script> & <b>more</b>'


class Page(HTMLParser):
    """What a browser would fetch (src, href), the tags and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        for name in ("src", "href", "srcset", "poster", "data", "action"):
            if found.get(name):
                self.links.append(str(found[name]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="module")
def written(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    report = build_report()
    sections = (replace(report.sections[0], paragraphs=(*report.sections[0].paragraphs, HOSTILE)),)
    assert (
        write_html(replace(report, sections=sections + report.sections[1:]), path, lang="en")
        == path
    )
    return path


@pytest.fixture(scope="module")
def page(written: Path) -> Page:
    parsed = Page()
    parsed.feed(written.read_text(encoding="utf-8"))
    parsed.close()
    return parsed


def test_the_file_refers_to_nothing_outside_itself(written: Path, page: Page) -> None:
    source = written.read_text(encoding="utf-8")
    assert source.startswith("<!DOCTYPE html>")
    assert page.named("html") == [{"lang": "en"}]
    assert {"charset": "utf-8"} in page.named("meta")
    assert page.links, "the plots are images"
    for link in page.links:
        assert link.startswith("data:image/png;base64,"), link[:60]
    assert not page.named("link") and not page.named("script") and not page.named("iframe")
    assert "@import" not in source and "url(" not in source
    assert "@media print" in source and "page-break-inside: avoid" in source


def test_the_plots_are_png_images_with_something_drawn(page: Page) -> None:
    images = page.named("img")
    assert len(images) == 2
    for attrs in images:
        data = base64.b64decode(str(attrs["src"]).split(",", 1)[1], validate=True)
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        image = QImage.fromData(data)
        assert (image.width(), image.height()) == (1824, 608)  # twice the 912 × 304 shown
        assert (attrs["width"], attrs["height"]) == ("912", "304")
        drawn = sum(
            1
            for y in range(0, image.height(), 4)
            for x in range(0, image.width(), 4)
            if image.pixelColor(x, y).lightness() < 200
        )
        assert drawn > 100


def test_text_is_escaped_and_tables_have_their_header(written: Path, page: Page) -> None:
    source = written.read_text(encoding="utf-8")
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;more&lt;/b&gt;" in source
    )
    assert not page.named("b")
    text = "".join(page.text)
    assert HOSTILE in text
    assert CHINESE in text
    assert LONG_LINE in text
    assert "Not in this report:" in text and "Prometheus: no answer within 5 s" in text
    assert "2026-11-18 19:00:00 – 2026-11-18 20:00:00 (Asia/Shanghai (UTC+08:00))" in text
    assert len(page.named("table")) == len(page.named("thead")) == 2
    assert len(page.named("tr")) == 1 + 300 + 1 + 3
    assert "299,007" in text and "1 h 07 min" in text and "99.2 %" in text
    assert {"datetime": "2026-11-18T19:00:00+08:00"} in page.named("time")


def page_requests(net_log: Path) -> list[str]:
    """The URLs a page asked the network for, from Chromium's NetLog: its requests are
    the ones keyed to the page's own origin (file://), not the browser's own."""
    events = json.loads(net_log.read_text(encoding="utf-8"))["events"]
    return sorted(
        {
            str(event["params"]["url"])
            for event in events
            if "url" in event.get("params", {})
            and "file://" in str(event["params"].get("network_isolation_key", ""))
        }
    )


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_a_browser_opens_it_offline_and_asks_the_network_for_nothing(
    written: Path, tmp_path: Path
) -> None:
    net_log = tmp_path / "net-log.json"
    done = subprocess.run(
        [
            "chromium",
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--log-net-log={net_log}",
            "--dump-dom",
            written.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<h1>TaskDeck report</h1>" in done.stdout
    assert CHINESE in done.stdout
    assert net_log.stat().st_size > 0
    assert [url for url in page_requests(net_log) if not url.startswith(("data:", "file:"))] == []


# Measures, in the browser, the text column (a paragraph's width) and each plot's width.
PROBE = """<script>
const box = (e) => e.getBoundingClientRect().width;
document.body.dataset.probe = JSON.stringify({
  paragraph: box(document.querySelector("main section p")),
  heading: box(document.querySelector("main section h2")),
  plots: [...document.querySelectorAll("figure.plot img")].map(box),
});
</script>"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
@pytest.mark.parametrize("window_width", [1400, 700])
def test_the_plots_span_the_text_column(written: Path, tmp_path: Path, window_width: int) -> None:
    probe = tmp_path / "probe.html"
    probe.write_text(
        written.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    done = subprocess.run(
        ["chromium", "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={window_width},900",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'data-probe="([^"]*)"', done.stdout)
    assert found, done.stdout[-2000:]
    sizes = json.loads(html.unescape(found[1]))
    column = sizes["paragraph"]
    assert column > 300 and abs(sizes["heading"] - column) < 1, sizes
    assert len(sizes["plots"]) == 2
    for width in sizes["plots"]:
        assert abs(width - column) < 1, sizes  # as wide as the text, not narrower
