"""The digest's chart: 14 team days of emails (sent, or would send in a dry run) and replies.

Read in two seconds: counts on integer ticks, both axes titled, the team's days off shaded,
dry-run days hatched as "would send" so they never pass for real mail, replies stacked by
class so quality shows beside volume, and "No sends yet" instead of empty axes. Drawn on
matplotlib's Agg canvas through the object API (no pyplot): no display, no global figure
state, safe in the bot's threads. Constrained layout keeps every label inside the canvas.
Colours are Okabe and Ito's, told apart by people with any colour vision, and every series
also has its own hatch or marker. Sizes are set for Slack's preview, 360 to 500 px wide.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.gridspec import SubplotSpec
from matplotlib.ticker import MaxNLocator

from cam.digest.model import DayPoint, Digest, RepRow

WIDTH_PX, HEIGHT_PX, DPI = 800, 480, 100
# With a row of small charts, one per mailbox, for a team of 2 to 8 mailboxes.
REPS_HEIGHT_PX = 600
REPS_SHOWN = range(2, 9)
FONT = 11
# Okabe & Ito (2008), "Color Universal Design".
BLUE, ORANGE, SKY, GREEN = "#0072B2", "#E69F00", "#56B4E9", "#009E73"
VERMILLION, PURPLE, GREY = "#D55E00", "#CC79A7", "#E8E8E8"
SENT = "Sent"
WOULD_SEND = "Would send (dry run)"
BOUNCED = "Bounced"
DAY_OFF = "No sending (days off)"
# Reply classes stacked from the bottom: (field, legend, colour, hatch).
REPLY_CLASSES = (
    ("interested", "Interested", GREEN, ""),
    ("question", "Question", SKY, ".."),
    ("not_interested", "Not interested", ORANGE, "\\\\"),
    ("opt_out", "Opt-out", PURPLE, "xx"),
)
# The legend's order: the series first, the shading of the days off last.
LEGEND_ORDER = (SENT, WOULD_SEND, BOUNCED, *(label for _n, label, _c, _h in REPLY_CLASSES), DAY_OFF)
NO_SENDS = "No sends yet"
NO_REPLIES = "No replies yet"


def chart_height(digest: Digest) -> int:
    """The chart's height in pixels: taller with a row per mailbox."""
    return REPS_HEIGHT_PX if _reps_row(digest) else HEIGHT_PX


def draw_chart(digest: Digest) -> Figure:
    """Draw the digest's series on a new figure (dates are the team's days)."""
    height = chart_height(digest)
    figure = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    reps = _reps_row(digest)
    grid = figure.add_gridspec(3 if reps else 2, 1, height_ratios=(3, 3, 1.4)[: 3 if reps else 2])
    sends = figure.add_subplot(grid[0])
    replies = figure.add_subplot(grid[1], sharex=sends)
    sends.tick_params(labelbottom=False)
    series = digest.series
    positions = list(range(len(series)))
    _shade_days_off(sends, series, label=DAY_OFF)
    _shade_days_off(replies, series, label=None)
    _sends(sends, series, positions)
    _replies(replies, series, positions)
    replies.set_xticks(positions, [f"{point.day:%a}\n{point.day.day}" for point in series])
    replies.set_xlim(-0.5, len(series) - 0.5)
    replies.set_xlabel(f"Team day ({digest.timezone})", fontsize=FONT)
    if reps:
        _small_multiples(figure, grid[2], reps)
    first, last = series[0].day, series[-1].day
    mode = "dry run" if digest.dry_run else "live"
    figure.suptitle(
        f"CAM · {first:%d %b} to {last:%d %b} · {mode}", fontsize=FONT + 3, weight="bold"
    )
    return figure


def render_chart(digest: Digest) -> bytes:
    """Return the PNG of the digest's chart."""
    buffer = io.BytesIO()
    draw_chart(digest).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _reps_row(digest: Digest) -> list[RepRow]:
    """The mailboxes drawn one by one: a team of 2 to 8 once something was sent."""
    shown = len(digest.reps) in REPS_SHOWN and any(any(_daily(rep)) for rep in digest.reps)
    return digest.reps if shown else []


def _small_multiples(figure: Figure, cell: SubplotSpec, reps: list[RepRow]) -> None:
    """One small chart per mailbox on one scale: whose sends carry the team, at a glance."""
    inner = cell.subgridspec(1, len(reps))
    tallest = max(max(_daily(rep), default=0) for rep in reps)
    first: Axes | None = None
    for index, rep in enumerate(reps):
        axes = figure.add_subplot(inner[index], sharey=first)
        first = first or axes
        positions = list(range(len(_daily(rep))))
        if any(rep.daily_sent):
            axes.bar(positions, rep.daily_sent or [0] * len(positions), color=BLUE, width=0.8)
        if any(rep.daily_simulated):
            axes.bar(
                positions,
                rep.daily_simulated,
                bottom=rep.daily_sent or None,
                facecolor="white",
                edgecolor=BLUE,
                hatch="////",
                linewidth=0.6,
                width=0.8,
            )
        axes.set_ylim(0, max(tallest, 1) * 1.1)
        axes.set_xticks([])
        axes.set_yticks([])
        axes.spines[["top", "right", "left"]].set_visible(False)
        axes.set_title(f"{rep.mailbox} · {sum(_daily(rep))} emails", fontsize=FONT - 1, loc="left")


def _daily(rep: RepRow) -> list[int]:
    sent = rep.daily_sent or [0] * len(rep.daily_simulated)
    simulated = rep.daily_simulated or [0] * len(sent)
    return [a + b for a, b in zip(sent, simulated, strict=True)]


def _shade_days_off(axes: Axes, series: Sequence[DayPoint], *, label: str | None) -> None:
    """Shade the days the team does not send on; the first shade carries the legend's label."""
    for position, point in enumerate(series):
        if point.off:
            axes.axvspan(position - 0.5, position + 0.5, color=GREY, zorder=0, label=label)
            label = None


def _sends(axes: Axes, series: Sequence[DayPoint], positions: list[int]) -> None:
    sent = [point.sent for point in series]
    would = [point.simulated for point in series]
    bounced = [point.bounces for point in series]
    if any(sent):
        axes.bar(positions, sent, color=BLUE, label=SENT, zorder=2)
    if any(would):
        # Only the days with would-sends: an empty hatched bar draws a stray line at zero.
        dry = [i for i, n in enumerate(would) if n]
        axes.bar(
            [positions[i] for i in dry],
            [would[i] for i in dry],
            bottom=[sent[i] for i in dry],
            facecolor="white",
            edgecolor=BLUE,
            hatch="///",
            linewidth=1.2,
            label=WOULD_SEND,
            zorder=2,
        )
    if any(bounced):
        # Markers on the days with bounces only: a line along zero would be noise.
        days = [i for i, n in enumerate(bounced) if n]
        axes.plot(
            [positions[i] for i in days],
            [bounced[i] for i in days],
            color=VERMILLION,
            marker="^",
            linestyle="none",
            markersize=9,
            markeredgecolor="black",
            label=BOUNCED,
            zorder=3,
        )
    tallest = max((s + w for s, w in zip(sent, would, strict=True)), default=0)
    _count_axis(axes, "Emails", max(tallest, *bounced, 0), NO_SENDS)


def _replies(axes: Axes, series: Sequence[DayPoint], positions: list[int]) -> None:
    bottom = [0] * len(series)
    for name, label, colour, hatch in REPLY_CLASSES:
        values = [getattr(point, name) for point in series]
        if any(values):
            axes.bar(
                positions,
                values,
                bottom=bottom,
                color=colour,
                hatch=hatch,
                edgecolor="white",
                label=label,
                zorder=2,
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _count_axis(axes, "Replies", max(bottom, default=0), NO_REPLIES)


def _count_axis(axes: Axes, title: str, tallest: int, empty: str) -> None:
    """Integer ticks from 0, the axis title, a legend; or say there is nothing yet."""
    axes.set_ylim(0, max(tallest, 1) * 1.1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4, min_n_ticks=2))
    axes.set_ylabel(title, fontsize=FONT)
    axes.grid(axis="y", alpha=0.3, zorder=1)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=FONT - 1)
    if tallest == 0:
        axes.text(
            0.5,
            0.5,
            empty,
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=FONT + 4,
            color="#555555",
        )
    handles, labels = axes.get_legend_handles_labels()
    if labels:
        order = sorted(range(len(labels)), key=lambda i: LEGEND_ORDER.index(labels[i]))
        axes.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="lower left",
            bbox_to_anchor=(0, 1),
            fontsize=FONT - 1,
            frameon=False,
            ncols=5,
            borderaxespad=0.2,
            handlelength=1.5,
            columnspacing=1.0,
        )
