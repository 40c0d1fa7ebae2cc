"""The bot's WSGI server over real HTTP: routing, health, Slack's endpoint, unsubscribe links."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.routes import make_wsgi_app
from bot.worker import Worker
from cam.core.db import make_engine, session_factory, unit_of_work
from cam.core.models import (
    Campaign,
    Channel,
    Lead,
    LeadStatus,
    OutreachMessage,
    OutreachStatus,
    Suppression,
)
from cam.core.unsubscribe_tokens import make_token
from tests.e2e.slack_client import SignedSlack, serve_wsgi, settings_for

SECRET = "unsubscribe-secret"
EMAIL = "pat@example.com"


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]


def request(
    base: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Answer:
    split = urlsplit(base)
    conn = http.client.HTTPConnection(split.hostname or "", split.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Answer(response.status, response.read().decode(), dict(response.getheaders()))
    finally:
        conn.close()


def one_click(base: str, token: str, body: str = "List-Unsubscribe=One-Click", **kw) -> Answer:
    kind = kw.pop("content_type", "application/x-www-form-urlencoded")
    return request(base, "POST", f"/unsubscribe/{token}", body.encode(), {"Content-Type": kind})


@pytest.fixture
def server(fake_slack, sessions, db_url) -> Iterator[str]:
    settings = settings_for(fake_slack, db_url)
    worker = Worker()
    app = create_app(settings, sessions, worker=worker)
    try:
        with serve_wsgi(make_wsgi_app(app, settings, sessions)) as base:
            yield base
    finally:
        worker.shutdown()


@pytest.fixture
def lead(sessions) -> int:
    """A lead with one planned email step."""
    with unit_of_work(sessions) as session:
        campaign = Campaign(key="c", name="C")
        person = Lead(email=EMAIL, first_name="Pat", status=LeadStatus.scheduled)
        session.add_all([campaign, person])
        session.flush()
        session.add(
            OutreachMessage(
                lead_id=person.id,
                campaign_id=campaign.id,
                step=1,
                channel=Channel.email,
                scheduled_at=person.created_at,
            )
        )
        return person.id


def opted_out(sessions, lead_id: int) -> tuple[int, LeadStatus, OutreachStatus]:
    with sessions() as session:
        suppressed = session.scalar(select(func.count()).select_from(Suppression)) or 0
        person = session.get(Lead, lead_id)
        step = session.scalars(select(OutreachMessage)).one()
        assert person is not None
        return suppressed, person.status, step.status


def test_health_and_routing(server):
    ok = request(server, "GET", "/healthz")
    assert (ok.status, ok.body) == (200, "ok\n")
    assert request(server, "HEAD", "/healthz").status == 200
    refused = request(server, "POST", "/healthz")
    assert refused.status == 405 and refused.headers["Allow"] == "GET, HEAD"
    assert request(server, "GET", "/").status == 404
    assert request(server, "GET", "/slack/eventsX").status == 404
    assert request(server, "GET", "/admin/../healthz").status in (400, 404)
    get_events = request(server, "GET", "/slack/events")
    assert get_events.status == 405 and get_events.headers["Allow"] == "POST"
    assert request(server, "DELETE", "/unsubscribe/x").status == 405


def test_slack_requests_reach_the_app(server):
    slack = SignedSlack(f"{server}/slack/events")
    help_reply = slack.command("help")
    assert help_reply.status == 200
    assert "/cam" in json.loads(help_reply.body)["text"]
    assert slack.command("help", signature="v0=" + "0" * 64).status == 401
    assert slack.post("payload=%7Bnot-json").status == 400
    assert slack.post("\x00\xff garbage", content_type="application/json").status == 400
    assert slack.post("x" * 1_100_000).status == 413


def test_health_reports_a_database_that_is_down(fake_slack, tmp_path):
    # Nothing listens on port 1: every connection attempt is refused at once.
    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    sessions = session_factory(down)
    settings = settings_for(fake_slack, f"sqlite:///{tmp_path / 'unused.db'}")
    app = create_app(settings, sessions, worker=Worker())
    with serve_wsgi(make_wsgi_app(app, settings, sessions)) as base:
        answer = request(base, "GET", "/healthz")
        assert (answer.status, answer.body) == (503, "database unreachable\n")
        token = make_token(SECRET, EMAIL)
        # An opt-out that cannot be stored says so, and can be repeated.
        assert one_click(base, token).status == 503
    down.dispose()


def test_the_link_asks_first_and_the_post_unsubscribes(server, sessions, lead):
    token = make_token(SECRET, EMAIL)
    page = request(server, "GET", f"/unsubscribe/{token}")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert f'action="/unsubscribe/{token}"' in page.body
    assert 'name="List-Unsubscribe" value="One-Click"' in page.body
    # Following the link (as mail scanners do) changed nothing.
    assert opted_out(sessions, lead) == (0, LeadStatus.scheduled, OutreachStatus.planned)

    done = one_click(server, token)
    assert done.status == 200 and "unsubscribed" in done.body
    assert opted_out(sessions, lead) == (1, LeadStatus.unsubscribed, OutreachStatus.skipped)
    # A second click is fine and changes nothing more.
    assert one_click(server, token).status == 200
    assert opted_out(sessions, lead) == (1, LeadStatus.unsubscribed, OutreachStatus.skipped)


def test_one_click_as_multipart(server, sessions, lead):
    token = make_token(SECRET, EMAIL)
    body = (
        "--b1\r\n"
        'Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        "One-Click\r\n"
        "--b1--\r\n"
    )
    done = one_click(server, token, body, content_type="multipart/form-data; boundary=b1")
    assert done.status == 200
    assert opted_out(sessions, lead)[1] == LeadStatus.unsubscribed


def forged_tokens() -> list[str]:
    good = make_token(SECRET, EMAIL)
    payload, _, mac = good.partition(".")
    other = make_token("another-secret", EMAIL)
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    return [
        f"{payload}.{flipped}",
        other,
        payload,
        f"{make_token(SECRET, 'eve@example.com').split('.')[0]}.{mac}",
        "%00",
        "x" * 2000,
    ]


def test_bad_tokens_get_400_and_change_nothing(server, sessions, lead):
    for token in forged_tokens():
        assert request(server, "GET", f"/unsubscribe/{token}").status == 400, token
        assert one_click(server, token).status == 400, token
    assert opted_out(sessions, lead) == (0, LeadStatus.scheduled, OutreachStatus.planned)


FORM = "application/x-www-form-urlencoded"
MALFORMED = [
    ("", FORM),
    ("List-Unsubscribe=Yes", FORM),
    ("List-Unsubscribe=One-Click&List-Unsubscribe=One-Click", FORM),
    ("%%%", FORM),
    ("List-Unsubscribe=One-Click\xff", FORM),
    ('{"List-Unsubscribe": "One-Click"}', "application/json"),
    ("List-Unsubscribe=One-Click", "text/plain"),
    ("--b1\r\nbroken", "multipart/form-data; boundary=b1"),
    ("List-Unsubscribe=One-Click" + "&x=1" * 3000, FORM),
]


def test_malformed_posts_get_4xx_and_change_nothing(server, sessions, lead):
    token = make_token(SECRET, EMAIL)
    for body, kind in MALFORMED:
        answer = one_click(server, token, body, content_type=kind)
        assert answer.status in (400, 413), (body[:40], kind)
    assert opted_out(sessions, lead) == (0, LeadStatus.scheduled, OutreachStatus.planned)


def test_post_to_the_bare_prefix_is_a_bad_link(server):
    assert one_click(server, "").status == 400
    assert request(server, "GET", "/unsubscribe/" + urlencode({"a": "b"})).status == 400
