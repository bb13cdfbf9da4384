"""The HTML report opened in headless Chromium: every image decodes and the page logs no error."""

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from docsynth.corpus import Corpus
from docsynth.report.html import render_html
from docsynth.report.stats import StatsConfig, collect_stats

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (the set-up installs it from Debian)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]  # fmt: skip
CHECK = re.compile(r'<p id="report-check" data-status="(\w+)" data-images="(\d+)" data-broken="(\d+)" data-errors="(\d+)">')


def chromium(tmp_path, page, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def report(corpus, tmp_path_factory):
    st = collect_stats(Corpus(corpus), StatsConfig(thumbnails=4))
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(st), encoding="utf-8")
    return path, st


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_every_image_loads_and_no_errors(report, tmp_path):
    path, st = report
    run = chromium(tmp_path, path, "--dump-dom")
    m = CHECK.search(run.stdout)
    assert m, "the report's check never ran: " + run.stdout[-300:]
    status, images, broken, errors = m.group(1), *map(int, m.groups()[1:])
    assert images == 7 + len(st.thumbs)  # seven plots and the thumbnails
    assert (status, broken, errors) == ("ok", 0, 0)
    assert console_lines(run.stderr) == []


def test_the_check_catches_a_broken_image(report, tmp_path):
    path, _ = report
    bad = tmp_path / "bad.html"
    bad.write_text(path.read_text().replace("<h2>Counts</h2>", "<h2>Counts</h2><img src='data:image/png;base64,AAAA'>"))
    m = CHECK.search(chromium(tmp_path, bad, "--dump-dom").stdout)
    assert m.group(1) == "failed" and int(m.group(3)) == 1


def test_screenshot_shows_a_rendered_report(report, tmp_path):
    path, _ = report
    shot = tmp_path / "report.png"
    chromium(tmp_path, path, f"--screenshot={shot}", "--window-size=1280,2400")
    im = np.asarray(Image.open(shot).convert("RGB"))
    assert im.shape[:2] == (2400, 1280)
    header = im[20:60, 200:1000]  # the dark header band behind the title
    assert header.mean() < 90
    assert len(np.unique(im.reshape(-1, 3)[::97], axis=0)) > 50  # plots, not a blank page
