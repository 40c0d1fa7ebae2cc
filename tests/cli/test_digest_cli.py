"""`cam digest` in the terminal: the seeded days' numbers, the week, and the chart file."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image
from typer.testing import CliRunner

from cam.cli import app
from cam.digest.chart import HEIGHT_PX, WIDTH_PX
from tests.digest.seed import LAST_DAY, TEAM_ZONE, seed


def test_cam_digest_prints_the_week_and_writes_the_chart(sessions, db_url, tmp_path):
    seeded = seed(sessions)
    png = tmp_path / "chart.png"
    env = {"DATABASE_URL": db_url, "CAM_TIMEZONE": TEAM_ZONE, "COLUMNS": "120"}
    result = CliRunner().invoke(
        app, ["digest", "--day", LAST_DAY.isoformat(), "--week", "--png", str(png)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "CAM week in review · Tue 27 Oct to Mon 02 Nov 2026" in result.output
    assert "vs the 7 days before" in result.output
    week = [seeded.expected(LAST_DAY - timedelta(days=n)) for n in range(7)]
    assert re.search(rf"Emails sent\s+{sum(f.sent for f in week)}\s", result.output)
    assert re.search(rf"Unsubscribed\s+{sum(f.unsubscribed for f in week)}\s", result.output)
    assert "Bounce rate" in result.output and "Slow down" in result.output
    assert Image.open(io.BytesIO(png.read_bytes())).size == (WIDTH_PX, HEIGHT_PX)


def test_a_bad_day_is_named(db_url):
    result = CliRunner().invoke(
        app, ["digest", "--day", "2026-13-01"], env={"DATABASE_URL": db_url}
    )
    assert result.exit_code == 1
    assert "--day takes YYYY-MM-DD" in result.output
