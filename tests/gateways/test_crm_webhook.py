"""The CRM webhook against a receiver on loopback: body, signature, idempotency, retries."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import replace
from typing import Any

import pytest
from pydantic import SecretStr

from cam.core.ports import CrmLead, CrmRefs, GatewayError
from cam.core.settings import Settings
from cam.gateways.factory import build_gateways
from cam.gateways.http_client import RetryPolicy
from cam.gateways.hubspot import HubSpotCrm
from cam.gateways.linkedin_tasks import LinkedInTaskPoster
from cam.gateways.noop import NoopCrmSyncer, NoopSocialPoster
from cam.gateways.webhook import WebhookCrm
from tests.gateways.crm_server import running_fake_crm

SECRET = "whsec-test-6b0e"
FAST = RetryPolicy(attempts=3, backoff=0.01, max_wait=5.0)


LEAD = CrmLead(
    email="grace@navy.example",
    first_name="Grace",
    last_name="Hopper",
    company="Navy",
    title="CTO",
    score=75,
    score_reasons=("title: cto",),
    reply_subject="Re: compilers",
    reply_text="Let's talk next week.",
)


def lead(email: str = "grace@navy.example", **overrides: Any) -> CrmLead:
    return replace(LEAD, email=email, **overrides)


@pytest.fixture
def crm_server():
    yield from running_fake_crm()


def webhook(url: str, **kwargs) -> WebhookCrm:
    return WebhookCrm(url=url, secret=SecretStr(SECRET), retry=FAST, **kwargs)


def test_posts_lead_and_reply_signed_with_hmac(crm_server):
    refs = webhook(crm_server.webhook_url).sync(lead())

    (request,) = crm_server.requests
    assert (request.method, request.path) == ("POST", "/webhook")
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {
        "event": "lead.escalated",
        "lead": {
            "email": "grace@navy.example",
            "first_name": "Grace",
            "last_name": "Hopper",
            "company": "Navy",
            "title": "CTO",
            "score": 75,
            "score_reasons": ["title: cto"],
            "contact_id": None,
            "deal_id": None,
        },
        "reply": {"subject": "Re: compilers", "text": "Let's talk next week."},
    }
    timestamp = request.headers["X-CAM-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 5
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.raw, hashlib.sha256)
    assert request.headers["X-CAM-Signature"] == f"sha256={expected.hexdigest()}"
    forged = hmac.new(b"wrong", f"{timestamp}.".encode() + request.raw, hashlib.sha256)
    assert request.headers["X-CAM-Signature"] != f"sha256={forged.hexdigest()}"
    assert refs == CrmRefs(contact_id=None, deal_id=None)


def test_idempotency_key_is_stable_per_lead(crm_server):
    gateway = webhook(crm_server.webhook_url)
    gateway.sync(lead())
    gateway.sync(lead(email="GRACE@navy.example"))
    gateway.sync(lead(email="ada@analytical.example"))

    keys = [r.headers["Idempotency-Key"] for r in crm_server.requests]
    assert keys[0] == keys[1] != keys[2]
    assert keys[0].startswith("cam-escalation-")


def test_receiver_ids_are_returned(crm_server):
    crm_server.webhook_answer = {"contact_id": "c-9", "deal_id": 41}

    assert webhook(crm_server.webhook_url).sync(lead()) == CrmRefs("c-9", "41")


def test_500_retried_then_error_without_the_url_secret(crm_server):
    waits: list[float] = []
    url = f"{crm_server.webhook_url}?key=url-secret-77"
    crm_server.fail("POST /webhook", 500, times=5)

    with pytest.raises(GatewayError) as raised:
        webhook(url, sleep=waits.append).sync(lead())

    assert len(crm_server.requests) == 3
    assert waits == [0.01, 0.02]
    assert "500" in str(raised.value)
    assert "url-secret-77" not in str(raised.value)
    # Every retry carries the same body and signature.
    assert len({(r.raw, r.headers["X-CAM-Signature"]) for r in crm_server.requests}) == 1


def test_429_waits_for_retry_after_then_delivers(crm_server):
    waits: list[float] = []
    crm_server.fail("POST /webhook", 429, retry_after="2")

    webhook(crm_server.webhook_url, sleep=waits.append).sync(lead())

    assert waits == [2.0]
    assert len(crm_server.requests) == 2


def test_4xx_is_not_retried(crm_server):
    crm_server.fail("POST /webhook", 400, times=5)

    with pytest.raises(GatewayError):
        webhook(crm_server.webhook_url).sync(lead())

    assert len(crm_server.requests) == 1


def test_factory_picks_hubspot_then_webhook_then_nothing():
    def settings(**env: Any) -> Settings:
        return Settings(_env_file=None, **env)

    both = build_gateways(
        settings(CAM_HUBSPOT_TOKEN="t", CAM_CRM_WEBHOOK_URL="https://crm.example/hook"), []
    )
    assert isinstance(both.crm, HubSpotCrm)
    hook = build_gateways(settings(CAM_CRM_WEBHOOK_URL="https://crm.example/hook"), [])
    assert isinstance(hook.crm, WebhookCrm)
    none = build_gateways(settings(CAM_LINKEDIN_TASKS=False), [])
    assert isinstance(none.crm, NoopCrmSyncer)
    assert isinstance(none.social, NoopSocialPoster)
    assert "crm" in none.not_configured()
    assert isinstance(
        build_gateways(settings(CAM_LINKEDIN_TASKS=True), []).social, LinkedInTaskPoster
    )
