"""No token or password ever shows: not in logs, reports, events, the CLI, start-up errors,
nor anything Slack receives.

Every secret gets a recognisable value, the gateways they open fail for real (a wrong password
on the SMTP and IMAP servers, a wrong token at the CRM, nothing listening at all), and every
piece of output is searched for each value and for a fragment of it.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.app import create_app
from bot.live_config import LiveConfig
from bot.routes import make_wsgi_app
from bot.worker import Worker
from cam.core.db import SessionFactory, make_engine, unit_of_work
from cam.core.models import Approval, Base
from cam.core.settings import Settings
from cam.core.state import set_dry_run
from cam.cycle import run_daily_cam_cycle
from cam.escalation import decisions
from cam.escalation.outcomes import ApprovalChoice
from cam.gateways.factory import build_gateways
from tests.e2e.slack_client import (
    APPROVER,
    OUTSIDER,
    RunningBot,
    SignedSlack,
    serve_wsgi,
    settings_for,
)
from tests.escalation.helpers import add_lead
from tests.fakes.slack_api import FakeSlack
from tests.faults.outbox import BASE, Caps, live_config, seed_outbox
from tests.gateways.crm_server import FakeCrm, running_fake_crm
from tests.gateways.imap_server import ImapServer
from tests.gateways.smtp_server import SmtpServer, free_port

# Each value carries a fragment (the middle word) that is searched for on its own too.
SECRETS = {
    "CAM_SMTP_PASSWORD": "smtp-pw-Kx7Q3z-never-shown",
    "CAM_IMAP_PASSWORD": "imap-pw-Hd24Lx-never-shown",
    "CAM_HUBSPOT_TOKEN": "pat-na1-Jk82Mn-never-shown",
    "SLACK_BOT_TOKEN": "xoxb-4242-Vb79Tq-never-shown",
    "SLACK_SIGNING_SECRET": "signing-Rw85Yp-never-shown",
    "SLACK_APP_TOKEN": "xapp-1-Gf63Ue-never-shown",
    "CAM_SECRET_KEY": "cam-key-Pz31Wc-never-shown",
    "CAM_CRM_WEBHOOK_SECRET": "hook-Tb47Ns-never-shown",
}
DB_PASSWORD = "db-pw-Mn52Gh-never-shown"
# pymap and aiosmtpd play the mail servers here: they see the password by design.
TEST_SERVER_LOGGERS = ("pymap", "mail.log")
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def needles() -> dict[str, str]:
    found = {name: value for name, value in SECRETS.items()}
    found |= {f"{name} (fragment)": value.split("-")[-3] for name, value in SECRETS.items()}
    return found | {"database password": DB_PASSWORD, "database password (fragment)": "Mn52Gh"}


def assert_no_secret(text: str, where: str) -> None:
    """Fail naming each secret found in `text`, also when a line break split it."""
    squeezed = "".join(text.split())
    leaked = [name for name, value in needles().items() if value in text or value in squeezed]
    assert leaked == [], f"{where} shows {leaked}"


def our_log(caplog: pytest.LogCaptureFixture) -> str:
    """The captured log, less what the test servers log of what they received."""
    return "\n".join(
        caplog.handler.format(record)
        for record in caplog.records
        if not record.name.startswith(TEST_SERVER_LOGGERS)
    )


def snapshot_text(engine: Engine) -> str:
    """Every stored row as text: reports, events, reasons, errors, notifications."""
    with engine.connect() as conn:
        return "\n".join(
            repr(row)
            for table in Base.metadata.sorted_tables
            for row in conn.execute(select(table))
        )


@pytest.fixture
def crm() -> Iterator[FakeCrm]:
    """HubSpot's stand-in, expecting another token than ours."""
    yield from running_fake_crm()


def environment(
    smtp: SmtpServer, imap: ImapServer | None, crm_url: str, database_url: str
) -> dict[str, str]:
    """The variables a deployment sets, with our secrets and servers that refuse them."""
    return {
        "DATABASE_URL": database_url,
        "CAM_SMTP_HOST": smtp.host,
        "CAM_SMTP_PORT": str(smtp.port),
        "CAM_SMTP_SECURITY": smtp.security,
        "CAM_SMTP_USERNAME": smtp.username,
        "CAM_SMTP_CA_FILE": str(smtp.ca_file),
        "CAM_SMTP_TIMEOUT": "5",
        "CAM_FROM": "Ana Sales <ana@acme.example>",
        "CAM_POSTAL_ADDRESS": "ACME Widgets Ltd, 1 Harbour Street, Springfield",
        "CAM_IMAP_HOST": "127.0.0.1",
        "CAM_IMAP_PORT": str(imap.port if imap else free_port()),
        "CAM_IMAP_SECURITY": "ssl",
        "CAM_IMAP_USERNAME": imap.username if imap else "replies@acme.example",
        "CAM_IMAP_CA_FILE": str(imap.ca_file if imap else smtp.ca_file),
        "CAM_HUBSPOT_BASE_URL": crm_url,
        **SECRETS,
    }


def test_a_failing_cycle_and_decision_show_no_secret(
    engine: Engine,
    sessions: SessionFactory,
    db_url: str,
    smtp_server: SmtpServer,
    imaps_server: ImapServer,
    crm: FakeCrm,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    env = environment(smtp_server, imaps_server, crm.url, db_url)
    settings = Settings(_env_file=None, **env)  # type: ignore[arg-type]
    seed_outbox(engine, {"buyer.example": 2})
    with unit_of_work(sessions) as session:
        add_lead(session, "hot@buyer.example")
    gateways = build_gateways(settings, [])

    report = run_daily_cam_cycle(
        live_config(Caps(daily=5, per_domain=5), settings),
        session_factory=sessions,
        gateways=gateways,
        clock=lambda: BASE,
    )
    with sessions() as session:
        approval_id = session.scalars(select(Approval.id)).one()
    decision = decisions.decide(
        sessions,
        approval_id=approval_id,
        decided_by=APPROVER,
        choice=ApprovalChoice.approve,
        approvers=frozenset({APPROVER}),
        crm=gateways.crm,
        now=BASE,
    )

    # Every gateway really refused us, so there were errors to word.
    failed = {error.phase: error.message for error in report.errors}
    assert "535" in failed["send"]
    assert "replies" in failed
    assert crm.requests, "the CRM was never asked"
    with sessions() as session:
        crm_error = session.get_one(Approval, approval_id).crm_error
    assert crm_error is not None and "401" in crm_error

    assert_no_secret(our_log(caplog), "the log")
    assert_no_secret(report.model_dump_json(), "the report")
    assert_no_secret(decision.model_dump_json(), "the decision")
    assert_no_secret(snapshot_text(engine), "the database")
    out = capsys.readouterr()
    assert_no_secret(out.out + out.err, "stdout/stderr")


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAM_", "SLACK_"))}
    return subprocess.run(
        [str(BIN / "cam"), *args],
        env=clean | env | {"COLUMNS": "400", "NO_COLOR": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.long
def test_the_cli_shows_no_secret(
    tmp_path: Path, smtp_server: SmtpServer, migrated_sqlite: Callable[[Path], str]
) -> None:
    url = migrated_sqlite(tmp_path / "cam.db")
    engine = make_engine(url)
    seed_outbox(engine, {"buyer.example": 2})
    with unit_of_work(make_sessions(engine)) as session:
        set_dry_run(session, dry_run=False, by=APPROVER)
    engine.dispose()
    # IMAP and the CRM are not even there. A window of every hour of every day: the live run
    # meets the SMTP server whatever the wall clock says.
    env = environment(smtp_server, None, f"http://127.0.0.1:{free_port()}", url) | {
        "CAM_SEND_WINDOW": "00:00-24:00",
        "CAM_SEND_DAYS": "mon-sun",
    }

    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    for args in (("limits",), ("run",), ("report",), ("report", "--last", "3"), ("events",)):
        outputs[" ".join(args)] = run_cli(env, *args)
    unreachable_db = f"postgresql+psycopg://postgres:{DB_PASSWORD}@127.0.0.1:{free_port()}/cam"
    outputs["limits, database down"] = run_cli(env | {"DATABASE_URL": unreachable_db}, "limits")
    misplaced = env | {"CAM_SMTP_PORT": SECRETS["SLACK_BOT_TOKEN"]}
    outputs["run, bad setting"] = run_cli(misplaced, "run")

    # The live run met the wrong password and said so (exit 1), in words without it.
    assert outputs["run"].returncode == 1
    assert "535" in outputs["run"].stdout
    assert outputs["limits, database down"].returncode == 1
    assert outputs["run, bad setting"].returncode == 2
    for name, done in outputs.items():
        assert_no_secret(done.stdout + done.stderr, f"`cam {name}`")


def make_sessions(engine: Engine) -> SessionFactory:
    from cam.core.db import session_factory

    return session_factory(engine)


def start_cam_bot(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAM_", "SLACK_"))}
    return subprocess.run(
        [str(BIN / "cam-bot")],
        env=clean | env | {"PORT": str(free_port())},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cam_bot_start_up_failures_show_no_secret(
    tmp_path: Path,
    smtp_server: SmtpServer,
    fake_slack: FakeSlack,
    migrated_sqlite: Callable[[Path], str],
) -> None:
    url = migrated_sqlite(tmp_path / "cam.db")
    env = environment(smtp_server, None, f"http://127.0.0.1:{free_port()}", url) | {
        "SLACK_API_URL": fake_slack.url,
        "CAM_APPROVERS": APPROVER,
        "CAM_REPORT_CHANNEL": "C0REPORTS",
    }
    bad_settings = start_cam_bot(
        env
        | {
            "CAM_REPORT_CHANNEL": "#general",
            "CAM_SCHEDULE": SECRETS["SLACK_SIGNING_SECRET"],
            "CAM_TIMEZONE": "Mars/Olympus_Mons",
        }
    )
    assert bad_settings.returncode == 2
    assert "CAM_REPORT_CHANNEL" in bad_settings.stderr + bad_settings.stdout
    # Slack refuses the app token: Socket Mode cannot start.
    refused = start_cam_bot(env)
    assert refused.returncode == 1
    assert "Socket Mode" in refused.stderr + refused.stdout
    for name, done in (("bad settings", bad_settings), ("refused token", refused)):
        assert_no_secret(done.stdout + done.stderr, f"cam-bot with {name}")
    assert_no_secret(json.dumps([call.params for call in fake_slack.calls]), "the Slack calls")


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """Slack's stand-in, knowing our secret bot token."""
    fake = FakeSlack(token=SECRETS["SLACK_BOT_TOKEN"]).start()
    yield fake
    fake.stop()


@pytest.fixture
def served_bot(
    smtp_server: SmtpServer,
    imaps_server: ImapServer,
    crm: FakeCrm,
    fake_slack: FakeSlack,
    db_url: str,
) -> Iterator[RunningBot]:
    """The whole bot over HTTP, as `cam-bot` serves it, configured with our secrets."""
    env = environment(smtp_server, imaps_server, crm.url, db_url)
    env.pop("SLACK_APP_TOKEN")
    settings = settings_for(fake_slack, db_url, **env)
    engine = make_engine(db_url)
    sessions = make_sessions(engine)
    worker = Worker()
    config = LiveConfig(settings)
    app = create_app(settings, sessions, config=config, worker=worker)
    try:
        with serve_wsgi(make_wsgi_app(app, settings, sessions)) as base:
            url = f"{base}/slack/events"
            yield RunningBot(
                url=url,
                slack=SignedSlack(url, secret=SECRETS["SLACK_SIGNING_SECRET"]),
                fake_slack=fake_slack,
                crm=crm,
                settings=settings,
                config=config,
                sessions=sessions,
                worker=worker,
            )
            worker.wait_idle(30)
    finally:
        worker.shutdown()
        engine.dispose()


def test_the_bot_tells_slack_no_secret(
    served_bot: RunningBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot, slack = served_bot, served_bot.slack
    with unit_of_work(bot.sessions) as session:
        add_lead(session, "hot@buyer.example")

    answers = [
        slack.command("run dry", user=APPROVER, response_url=fake_slack.response_url("run")),
        slack.command("status", user=APPROVER),
        slack.command("limits", user=APPROVER),
        slack.command("pause", user=OUTSIDER),
        slack.command("live", user=APPROVER),
    ]
    bot.settle()
    with bot.sessions() as session:
        approval_id = session.scalars(
            select(Approval.id).where(Approval.lead_id.is_not(None))
        ).one()
    answers.append(
        slack.action("cam_approve", json.dumps({"approval_id": approval_id}), user=APPROVER)
    )
    bot.settle()

    assert all(answer.status == 200 for answer in answers)
    posted = fake_slack.of("chat.postMessage")
    assert posted, "no report reached Slack"
    with bot.sessions() as session:
        assert session.get_one(Approval, approval_id).crm_error is not None
    shown_to_slack = json.dumps([call.params for call in fake_slack.calls], ensure_ascii=False)
    assert "replies" in shown_to_slack  # the report's error thread names the failing phase
    assert_no_secret(shown_to_slack, "what Slack received")
    assert_no_secret("\n".join(answer.body for answer in answers), "the acks")
    assert_no_secret(our_log(caplog), "the bot's log")


def test_the_search_finds_a_secret_even_split_by_a_line_break() -> None:
    token = SECRETS["SLACK_BOT_TOKEN"]
    for shown in (token, f"Bearer {token[:12]}\n   {token[12:]}", "…Vb79Tq…"):
        with pytest.raises(AssertionError, match="SLACK_BOT_TOKEN"):
            assert_no_secret(shown, "a sample")
