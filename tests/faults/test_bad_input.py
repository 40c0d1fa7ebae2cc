"""Hostile or broken input: templates probing the sandbox, fuzzed `/cam` texts, forged and
malformed Slack requests. Each is refused with a reason (a 4xx over HTTP), and nothing
already stored changes: every table is compared, row by row, before and after.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.ids import ActionId
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import (
    Base,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    RequestNonce,
    SendQuota,
)
from cam.core.state import get_state
from cam.cycle import run_send_pass
from cam.gateways.factory import build_gateways
from tests.e2e.seed import hot_lead_approval
from tests.e2e.slack_client import APPROVER, RunningBot
from tests.faults.outbox import BASE, Caps, deliveries, live_config, seed_outbox
from tests.gateways.smtp_server import SmtpServer

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def bot(bot: RunningBot) -> RunningBot:
    """The bot, with the runtime state row a first `/cam status` would otherwise create."""
    with unit_of_work(bot.sessions) as session:
        get_state(session)
    return bot


# The replay guard records the signature of every genuine signed request, answered or refused
# afterwards: bookkeeping of what arrived, not a decision, so `snapshot` leaves it out.
# Forged requests never reach the guard, and `nonces` checks they store none either.
BOOKKEEPING = {RequestNonce.__tablename__}


def snapshot(sessions: SessionFactory) -> Snapshot:
    """Every row of every table but the replay guard's nonces, in primary-key order."""
    with sessions() as session:
        return {
            table.name: [
                tuple(row)
                for row in session.execute(select(table).order_by(*table.primary_key.columns)).all()
            ]
            for table in Base.metadata.sorted_tables
            if table.name not in BOOKKEEPING
        }


def nonces(sessions: SessionFactory) -> list[str]:
    """The signatures the replay guard has recorded."""
    with sessions() as session:
        return list(session.scalars(select(RequestNonce.nonce).order_by(RequestNonce.nonce)))


# --- templates ---------------------------------------------------------------------------

SANDBOX_ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].environ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ first_name.__class__.__base__.__subclasses__() }}",
    "{{ self._TemplateReference__context }}",
    "{{ '{0.__class__.__mro__}'.format(first_name) }}",
    "{{ first_name.format_map({}) }}{{ 'a'.__getattribute__('__class__') }}",
    "{% set x = custom.__class__ %}{{ x }}",
    "{{ 'x' * 100000000 }}",
    "{{ 9 ** 99999999 }}",
    "{% for i in range(10**9) %}{{ i }}{% endfor %}",
    "{{ config }}{{ request }}{{ settings.SECRET_KEY }}",
]
LEAKS = ("<class", "<function", "<module", "<built-in", "environ", "posix", "uid=")


@pytest.mark.parametrize("payload", SANDBOX_ESCAPES)
def test_template_reaching_for_python_internals_fails_only_its_message(
    payload: str, engine: Engine, sessions: SessionFactory, plain_smtp_server: SmtpServer
) -> None:
    [evil] = seed_outbox(engine, {"evil.example": 1}, key="evil", body=f"Hi {payload}")
    good = seed_outbox(engine, {"good.example": 2}, key="good")
    settings = plain_smtp_server.settings()

    report = run_send_pass(
        live_config(Caps(daily=10, per_domain=10), settings),
        session_factory=sessions,
        gateways=build_gateways(settings, []),
        clock=lambda: BASE,
    )

    assert report.outreach_sent == 2
    assert deliveries(plain_smtp_server.handler.messages) == {email: 1 for email in good}
    [error] = report.errors
    assert error.item is not None and error.item.startswith(evil)
    with sessions() as session:
        row, lead = session.execute(
            select(OutreachMessage, Lead).join(Lead).where(Lead.email == evil)
        ).one()
        assert row.status is OutreachStatus.failed
        assert row.reason is not None and row.reason.startswith("template")
        assert row.message_id is None and row.sent_at is None
        # The lead and the caps are as they were; only the message failed.
        assert lead.status is LeadStatus.scheduled
        assert session.scalars(
            select(SendQuota.used).where(SendQuota.scope == "live:domain:evil.example")
        ).all() in ([], [0])
        shown = f"{row.reason} {error.message}"
    assert not [leak for leak in LEAKS if leak in shown], shown


# --- /cam texts --------------------------------------------------------------------------

# Verbs that change state when well formed; the fuzz keeps to texts that must not.
MUTATING = {"run", "live", "dry", "pause", "resume"}


def _harmless(text: str) -> bool:
    words = text.split()
    return not words or words[0].lower() not in MUTATING


@pytest.mark.long
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=400).filter(_harmless))
@example(text="")
@example(text="\x00\x01\x02")
@example(text="x" * 5000)
@example(text="<!channel> <@U123|admin> <#C123>")
@example(text="limits; DROP TABLE leads;--")
@example(text="status {{ 7 * 7 }} ${jndi:ldap://x}")
@example(text="\u202eevil\u202c help")
@example(text="help " * 300)
def test_fuzzed_cam_texts_get_an_answer_and_change_nothing(bot: RunningBot, text: str) -> None:
    before, recorded = snapshot(bot.sessions), nonces(bot.sessions)
    reply = bot.slack.command(text, user=APPROVER)
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert reply.json["text"]
    assert snapshot(bot.sessions) == before
    # This request's signature, and nothing else, was recorded (older ones may have expired):
    # a read-only command's nonce is written just after its ack.
    assert len(_new_nonces(bot, recorded)) == 1


def _new_nonces(bot: RunningBot, recorded: list[str], within: float = 10.0) -> set[str]:
    """The nonces recorded since `recorded`, waited for (bounded) until there is one."""
    deadline = time.monotonic() + within
    while not (new := set(nonces(bot.sessions)) - set(recorded)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return new


@pytest.mark.parametrize("text", ["run now", "run dry please", "run live dry", "run --force"])
def test_run_with_arguments_it_does_not_take_changes_nothing(bot: RunningBot, text: str) -> None:
    before = snapshot(bot.sessions)
    reply = bot.slack.command(text, user=APPROVER)
    assert reply.status == 200
    assert "takes `dry` or nothing" in reply.json["text"]
    bot.settle()
    assert snapshot(bot.sessions) == before


# --- Slack requests ----------------------------------------------------------------------


def _pause_form() -> str:
    return urlencode(
        {
            "command": "/cam",
            "text": "pause",
            "user_id": APPROVER,
            "team_id": "T0TEAM",
            "channel_id": "C0GENERAL",
            "response_url": "",
            "trigger_id": "1.2.3",
        }
    )


def _signed(bot: RunningBot, body: str, stamp: str) -> str:
    return bot.slack.verifier.generate_signature(timestamp=stamp, body=body) or ""


def test_forged_requests_get_401_and_change_nothing(bot: RunningBot) -> None:
    body = _pause_form()
    now = str(int(time.time()))
    old = str(int(time.time()) - 301)
    ahead = str(int(time.time()) + 360)
    forged: dict[str, dict[str, str]] = {
        "no signature": {"X-Slack-Request-Timestamp": now},
        "no timestamp": {"X-Slack-Signature": _signed(bot, body, now)},
        "signed for another body": {
            "X-Slack-Request-Timestamp": now,
            "X-Slack-Signature": _signed(bot, body.replace("pause", "help"), now),
        },
        "signed for another time": {
            "X-Slack-Request-Timestamp": now,
            "X-Slack-Signature": _signed(bot, body, old),
        },
        "replayed after five minutes": {
            "X-Slack-Request-Timestamp": old,
            "X-Slack-Signature": _signed(bot, body, old),
        },
        "from the future": {
            "X-Slack-Request-Timestamp": ahead,
            "X-Slack-Signature": _signed(bot, body, ahead),
        },
        "older scheme": {
            "X-Slack-Request-Timestamp": now,
            "X-Slack-Signature": _signed(bot, body, now).replace("v0=", "v1="),
        },
    }
    before, recorded = snapshot(bot.sessions), nonces(bot.sessions)
    for name, headers in forged.items():
        reply = _raw_post(bot, body, headers)
        assert reply == 401, name
    assert snapshot(bot.sessions) == before
    assert nonces(bot.sessions) == recorded


@pytest.mark.parametrize("stamp", ["abc", "", "1.5e9"])
def test_a_timestamp_that_is_not_a_number_gets_401(bot: RunningBot, stamp: str) -> None:
    body = _pause_form()
    before, recorded = snapshot(bot.sessions), nonces(bot.sessions)
    reply = _raw_post(
        bot, body, {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + "0" * 64}
    )
    assert reply == 401
    assert snapshot(bot.sessions) == before
    assert nonces(bot.sessions) == recorded


def _raw_post(bot: RunningBot, body: str, headers: dict[str, str]) -> int:
    """Post with exactly these Slack headers (none added), and return the status."""
    import http.client
    from urllib.parse import urlsplit

    split = urlsplit(bot.url)
    conn = http.client.HTTPConnection(split.hostname or "", split.port or 80, timeout=30)
    try:
        conn.request(
            "POST",
            split.path,
            body=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        return conn.getresponse().status
    finally:
        conn.close()


def _action_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "acme"},
        "user": {"id": APPROVER, "username": "approver", "team_id": "T0TEAM"},
        "api_app_id": "A0CAM",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0REPORTS"},
        "channel": {"id": "C0REPORTS", "name": "cam-reports"},
        "message": {"ts": "1.2", "text": "", "blocks": []},
        "response_url": "",
        "actions": [
            {"action_id": str(ActionId.approve), "block_id": "b1", "type": "button", "value": ""}
        ],
    }
    payload.update(changes)
    return payload


def test_signed_payloads_of_the_wrong_shape_get_4xx_and_decide_nothing(bot: RunningBot) -> None:
    approval_id = hot_lead_approval(bot)
    value = json.dumps({"approval_id": approval_id})
    button = {"action_id": str(ActionId.approve), "block_id": "b1", "type": "button"}
    shapes: dict[str, dict[str, Any]] = {
        "user is a string": _action_payload(user=APPROVER),
        "user id is a number": _action_payload(user={"id": 42}),
        "actions is a string": _action_payload(actions="approve"),
        "actions is empty": _action_payload(actions=[]),
        "action is a list": _action_payload(actions=[[button | {"value": value}]]),
        "value is a number": _action_payload(actions=[button | {"value": approval_id}]),
        "value is an object": _action_payload(actions=[button | {"value": {"approval_id": 1}}]),
        "action id missing": _action_payload(actions=[{"type": "button", "value": value}]),
        "type missing": {k: v for k, v in _action_payload().items() if k != "type"},
        "type unknown": _action_payload(type="view_submission_of_doom"),
    }
    before = snapshot(bot.sessions)
    answers = {
        name: bot.slack.post(urlencode({"payload": json.dumps(payload)})).status
        for name, payload in shapes.items()
    }
    assert {name: status for name, status in answers.items() if not 400 <= status < 500} == {}
    bot.settle()
    assert bot.crm.requests == []
    assert snapshot(bot.sessions) == before
