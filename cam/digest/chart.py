"""The digest's chart: 14 days of sends, replies, interested and bounces, as a PNG.

Drawn on matplotlib's Agg canvas through the object API (no pyplot): no display, no global
figure state, safe in the bot's threads. Colours are Okabe and Ito's, told apart by people with
any colour vision, and every line also has its own marker and dash. Sizes and fonts are set for
Slack's preview, which shows an image 360 to 500 px wide.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cam.digest.model import Digest

WIDTH_PX, HEIGHT_PX, DPI = 800, 480, 100
# Okabe & Ito (2008), "Color Universal Design".
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
LINES = (
    ("replies", "Replies", ORANGE, "o", "-"),
    ("interested", "Interested", GREEN, "s", "--"),
    ("bounces", "Bounces", VERMILLION, "^", ":"),
)


def render_chart(digest: Digest) -> bytes:
    """Return the PNG of the digest's series (dates are the team's days)."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    # Fixed margins: a layout engine would take a third of the drawing time.
    figure.subplots_adjust(left=0.07, right=0.99, top=0.83, bottom=0.12, hspace=0.4)
    FigureCanvasAgg(figure)
    sent_axes, reply_axes = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1))
    positions = list(range(len(digest.series)))
    labels = [f"{point.day:%a}\n{point.day.day}" for point in digest.series]
    sent_label = "Emails sent" if not digest.dry_run else "Emails sent (dry run: none)"
    sent_axes.bar(positions, [p.sent for p in digest.series], color=BLUE, label=sent_label)
    for name, label, colour, marker, dash in LINES:
        values = [getattr(point, name) for point in digest.series]
        reply_axes.plot(
            positions,
            values,
            color=colour,
            marker=marker,
            linestyle=dash,
            linewidth=2.5,
            markersize=7,
            label=label,
        )
    for axes in (sent_axes, reply_axes):
        axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(labelsize=12)
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1), fontsize=12, frameon=False, ncols=3)
    reply_axes.set_xticks(positions, labels)
    first, last = digest.series[0].day, digest.series[-1].day
    figure.suptitle(
        f"CAM · {first:%d %b} to {last:%d %b} ({digest.timezone})", fontsize=15, weight="bold"
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
