"""From a rep's Send in the answer modal to the answer accepted by the mail server.

    .venv/bin/python -m bench.answer_latency [--answers 40]

Serves cam-bot over HTTP (as `cam-bot` does: signed requests, the request guard, the worker) on
SQLite, with the fake Slack and a real SMTP server (aiosmtpd, plain) on loopback, live. For each
answer a reply card is posted, its owner opens the modal (Reply), and the clock runs from the
signed `view_submission` leaving the client until the SMTP server has accepted the message:
the claim, the ack, the worker's SMTP conversation. Prints p50/p95/max.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.run_all import emit
from bot.app import create_app
from bot.live_config import LiveConfig
from bot.routes import make_wsgi_app
from bot.settings import BotSettings
from bot.worker import Worker
from cam.core.db import SessionFactory, make_engine, session_factory, upgrade
from tests.e2e.answering import MAYA, mailboxes_file, open_modal, post_reply_card, set_dry_run
from tests.e2e.answering import submit as submit_view
from tests.e2e.slack_client import SignedSlack, serve_wsgi, settings_for
from tests.fakes.slack_api import FakeSlack
from tests.gateways.smtp_server import POSTAL_ADDRESS, PUBLIC_URL, running_smtp_server

TARGET_P95 = 2.0


@dataclass
class BenchBot:
    slack: SignedSlack
    fake_slack: FakeSlack
    settings: BotSettings
    config: LiveConfig
    sessions: SessionFactory


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latencies(answers: int) -> list[float]:
    """Seconds from submit to the SMTP server's acceptance, for each answer in turn."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        sessions = session_factory(engine)
        slack = FakeSlack().start()
        stack.callback(slack.stop)
        smtp = stack.enter_context(running_smtp_server(None, None, security="none", auth=False))
        settings = settings_for(
            slack,
            url,
            CAM_MAILBOXES_FILE=str(
                mailboxes_file(Path(tmp) / "mailboxes.toml", smtp, hourly_cap=10_000)
            ),
            CAM_POSTAL_ADDRESS=POSTAL_ADDRESS,
            CAM_PUBLIC_URL=PUBLIC_URL,
        )
        worker = Worker()
        stack.callback(worker.shutdown)
        config = LiveConfig(settings)
        app = create_app(settings, sessions, config=config, worker=worker)
        base = stack.enter_context(serve_wsgi(make_wsgi_app(app, settings, sessions)))
        bot = BenchBot(SignedSlack(f"{base}/slack/events"), slack, settings, config, sessions)
        set_dry_run(bot, False)
        seconds = []
        for n in range(answers):
            card = post_reply_card(bot, email=f"p{n}@prospect{n}.example")
            view = open_modal(bot, card, MAYA)
            assert view is not None
            before = len(smtp.handler.messages)
            started = time.perf_counter()
            ack = submit_view(bot.slack, view, user=MAYA, view_id=f"V{n:08d}")
            if ack:
                raise RuntimeError(f"answer {n} refused: {ack}")
            deadline = started + 30
            while len(smtp.handler.messages) == before:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"answer {n} did not arrive within 30 s")
                time.sleep(0.001)
            seconds.append(time.perf_counter() - started)
            worker.wait_idle(30)
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=40)
    args = parser.parse_args()
    values = latencies(args.answers)
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    print(
        f"submit -> accepted by SMTP: p50 {p50:.3f} s, p95 {p95:.3f} s, "
        f"max {max(values):.3f} s over {len(values)}"
    )
    emit("answer_latency_p50", round(p50, 3), "s")
    emit("answer_latency_p95", round(p95, 3), "s", f"< {TARGET_P95:g} s", p95 < TARGET_P95)


if __name__ == "__main__":
    main()
