"""The chart reads at a glance in every state a team goes through: nothing yet, the demo,
two weeks live from three mailboxes, two weeks in a dry run.

Each is drawn from a real database and checked as drawn: counts on integer ticks, both axes
titled, the legend naming what is shown (would-sends as such), and no text past the canvas.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from cam.cli import app
from cam.core.config import CAMCycleConfig
from cam.core.db import SessionFactory, make_engine, session_factory, unit_of_work
from cam.core.models import CycleRun
from cam.digest import chart
from cam.digest.build import build_digest
from cam.digest.model import Digest
from tests.digest import fortnight

# Slack's preview shows the image 360 px wide at the least: the smallest type stays legible.
PREVIEW_PX = 360
SMALLEST_PREVIEW_TEXT_PX = 6


def digest_of(sessions: SessionFactory, config: CAMCycleConfig, now: datetime) -> Digest:
    with unit_of_work(sessions) as session:
        return build_digest(session, config=config, now=now)


def texts(figure: Figure) -> list[Text]:
    """Every text drawn: titles, axis titles, tick labels in view, legends, notes."""
    hidden = set()
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                if not low <= tick.get_loc() <= high:  # matplotlib leaves these undrawn
                    hidden |= {id(tick.label1), id(tick.label2)}
    return [
        t
        for t in figure.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in hidden
    ]


def legend_labels(figure: Figure) -> list[list[str]]:
    labels = []
    for axes in figure.axes:
        legend = axes.get_legend()
        labels.append([t.get_text() for t in legend.get_texts()] if legend is not None else [])
    return labels


def check_readable(digest: Digest) -> Figure:
    """Assert what every chart must be; return the figure drawn."""
    figure = chart.draw_chart(digest)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    sends, replies = figure.axes[:2]
    assert (sends.get_ylabel(), replies.get_ylabel()) == ("Emails", "Replies")
    assert replies.get_xlabel() == f"Team day ({digest.timezone})"
    for axes in (sends, replies):
        low, high = axes.get_ylim()
        ticks = [tick for tick in axes.get_yticks() if low <= tick <= high]
        assert len(ticks) >= 2 and all(float(tick).is_integer() for tick in ticks), ticks
        shown = [label.get_text() for label in axes.get_yticklabels() if label.get_text()]
        assert all(label.isdigit() for label in shown), shown
    canvas = figure.bbox
    tight = figure.get_tightbbox(renderer)
    assert tight is not None
    assert tight.x0 >= 0 and tight.x1 <= figure.get_figwidth()
    assert tight.y0 >= 0 and tight.y1 <= figure.get_figheight()
    scale = PREVIEW_PX / chart.WIDTH_PX
    for text in texts(figure):
        box = text.get_window_extent(renderer)
        inside = (
            canvas.x0 <= box.x0 and box.x1 <= canvas.x1 and canvas.y0 <= box.y0 <= box.y1
        ) and box.y1 <= canvas.y1
        assert inside, (text.get_text(), box, canvas)
        assert box.height * scale >= SMALLEST_PREVIEW_TEXT_PX, text.get_text()
    png = chart.render_chart(digest)
    assert Image.open(io.BytesIO(png)).size == (chart.WIDTH_PX, chart.chart_height(digest))
    return figure


def test_with_nothing_yet_it_says_so(sqlite_sessions):
    config = fortnight.config(0, dry_run=True)
    figure = check_readable(digest_of(sqlite_sessions, config, fortnight.NOW))
    shown = [t.get_text() for t in texts(figure)]
    assert chart.NO_SENDS in shown and chart.NO_REPLIES in shown
    assert legend_labels(figure) == [[chart.DAY_OFF], []]
    assert "dry run" in figure.get_suptitle()


def test_two_live_weeks_from_three_mailboxes(sqlite_sessions):
    fortnight.seed(sqlite_sessions, dry_run=False)
    digest = digest_of(sqlite_sessions, fortnight.config(), fortnight.NOW)
    figure = check_readable(digest)
    sends, replies, *mailboxes = legend_labels(figure)
    assert sends == [chart.SENT, chart.BOUNCED, chart.DAY_OFF]
    assert mailboxes == [[], [], []]
    # A row of small charts, one per mailbox, on one scale.
    assert [axes.get_title(loc="left") for axes in figure.axes[2:]] == [
        f"{rep.mailbox} · {sum(rep.daily_sent)} emails" for rep in digest.reps
    ]
    assert chart.chart_height(digest) == chart.REPS_HEIGHT_PX
    assert replies == ["Interested", "Question", "Not interested", "Opt-out"]
    shown = [t.get_text() for t in texts(figure)]
    assert chart.NO_SENDS not in shown and chart.WOULD_SEND not in shown
    # The weekends are shaded, the weekdays not.
    assert [p.off for p in digest.series] == [p.day.weekday() >= 5 for p in digest.series]
    assert sum(p.sent for p in digest.series) > 0


def test_a_dry_fortnight_is_drawn_as_would_send(sqlite_sessions):
    fortnight.seed(sqlite_sessions, dry_run=True)
    digest = digest_of(sqlite_sessions, fortnight.config(dry_run=True), fortnight.NOW)
    figure = check_readable(digest)
    sends, replies, *mailboxes = legend_labels(figure)
    assert sends == [chart.WOULD_SEND, chart.DAY_OFF]
    assert replies == []
    assert len(mailboxes) == 3
    hatched = [patch for patch in figure.axes[0].patches if patch.get_hatch()]
    assert len(hatched) == sum(1 for p in digest.series if p.simulated) == 10
    assert chart.NO_SENDS not in [t.get_text() for t in texts(figure)]


def test_the_demo_leads_to_its_digest_with_a_chart_of_its_day(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"DATABASE_URL": None, "CAM_TIMEZONE": None}
    done = runner.invoke(
        app, ["demo", "--days", "1", "--emails", "0", "--today", "2026-12-07"], env=env
    )
    assert done.exit_code == 0, done.output
    flat = " ".join(done.output.split())
    assert "Read the demo again: cam digest --demo (its last day" in flat

    shown = runner.invoke(app, ["digest", "--demo", "--csv", "days.csv"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "CAM digest · Fri 04 Dec 2026" in shown.output
    with (tmp_path / "days.csv").open(newline="", encoding="utf-8") as file:
        days = list(csv.DictReader(file))
    assert len(days) == 14 and days[-1]["day"] == "2026-12-04"
    assert int(days[-1]["would_send_dry_run"]) > 0 and days[-1]["sent"] == "0"
    assert [d["sending_day"] for d in days[-7:]] == ["no", "no", "yes", "yes", "yes", "yes", "yes"]

    sessions = session_factory(make_engine(f"sqlite:///{tmp_path / 'cam-demo.db'}"))
    with unit_of_work(sessions) as session:
        started = session.scalars(select(CycleRun.started_at)).one()
    digest = digest_of(sessions, CAMCycleConfig(dry_run=True), started)
    assert digest.last_day == date(2026, 12, 4)
    figure = check_readable(digest)
    assert legend_labels(figure) == [[chart.WOULD_SEND, chart.DAY_OFF], []]
