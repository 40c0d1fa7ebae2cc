"""Slack Web API calls per cycle for 100 and 10,000 leads: the count must not grow with leads.

    .venv/bin/python -m bench.slack_calls [--sizes 100 10000]

Each size gets a fresh SQLite database, a CSV import, one dry-run daily cycle, and the
notifier delivering what the cycle queued to the recording fake of Slack's Web API on
loopback. Prints the calls per size and whether they are equal (target: constant).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from bench.import_bench import write_csv
from bench.run_all import emit
from bot.notifier import Notifier, notifier_client
from bot.settings import BotSettings
from cam.bootstrap import ProcessConfig
from cam.core.db import make_engine, session_factory, unit_of_work, upgrade
from cam.core.report import CAMCycleReport
from cam.core.state import get_state
from cam.cycle import run_daily_cam_cycle
from cam.gateways.factory import build_gateways
from cam.leads.importer import import_leads
from tests.fakes.slack_api import FakeSlack


def calls_for(leads: int, workdir: Path) -> tuple[Counter[str], CAMCycleReport]:
    """Run one cycle over `leads` new leads; return the Slack calls by method and the report."""
    url = f"sqlite:///{workdir / f'cam-{leads}.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    csv_path = workdir / f"leads-{leads}.csv"
    write_csv(csv_path, leads)
    import_leads(sessions, csv_path)
    slack = FakeSlack().start()
    try:
        settings = BotSettings.model_validate(
            {
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_SIGNING_SECRET": "bench",
                "SLACK_API_URL": slack.url,
                "CAM_REPORT_CHANNEL": "C0REPORTS",
                "CAM_APPROVERS": "UAPPROVER1",
                "DATABASE_URL": url,
            }
        )
        with unit_of_work(sessions) as session:
            config = ProcessConfig.load(settings).cycle_config(get_state(session))
        report = run_daily_cam_cycle(
            config, session_factory=sessions, gateways=build_gateways(settings, [])
        )
        Notifier(notifier_client(settings), sessions, settings).deliver_pending()
        return Counter(call.method for call in slack.calls), report
    finally:
        slack.stop()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    args = parser.parse_args()
    totals: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        for leads in args.sizes:
            calls, report = calls_for(leads, Path(tmp))
            total = sum(calls.values())
            totals.append(total)
            detail = ", ".join(f"{method} {count}" for method, count in sorted(calls.items()))
            print(
                f"{leads:>7} leads: {total} Slack calls ({detail}); the cycle processed "
                f"{report.leads_processed}, scheduled {report.outreach_scheduled}, "
                f"simulated {report.simulated}, errors {len(report.errors)}"
            )
            emit(f"Slack calls per cycle, {leads} leads", total, "calls", "constant")
    constant = len(set(totals)) == 1
    emit("Slack calls constant across sizes", "yes" if constant else "no", "", "yes", constant)


if __name__ == "__main__":
    main()
