"""Deciding an escalation: approvers only, one CRM call, ids stored, failures retried."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from cam.core.db import unit_of_work
from cam.core.event_payloads import ApprovalDecided, Failure
from cam.core.models import Approval, ApprovalStatus, Event, Lead, LeadStatus
from cam.escalation.crm_sync import retry_crm_sync, retry_sync
from cam.escalation.decisions import decide
from cam.escalation.escalations import escalate_hot_leads
from cam.escalation.event_payloads import ApprovalRefused, CrmSynced
from cam.escalation.outcomes import REFUSALS, ApprovalChoice, Outcome, UnknownApproval
from cam.gateways.http_client import RetryPolicy
from cam.gateways.hubspot import HubSpotCrm
from cam.gateways.noop import NoopCrmSyncer
from cam.gateways.webhook import WebhookCrm
from tests.escalation.helpers import APPROVERS, NOW, RecordingCrm, add_lead, cycle_context
from tests.gateways.crm_server import TOKEN, running_fake_crm

running_fake_crm_server = contextmanager(running_fake_crm)


def escalation(sessions) -> tuple[int, int]:
    """Return (approval id, lead id) of a fresh pending escalation."""
    with unit_of_work(sessions) as session:
        lead_id = add_lead(session, "ada@analytical.example").id
    escalate_hot_leads(cycle_context(sessions))
    with unit_of_work(sessions) as session:
        return session.scalars(select(Approval.id)).one(), lead_id


def event_details(sessions, name: str) -> list[dict[str, Any]]:
    with unit_of_work(sessions) as session:
        return [e.details for e in session.scalars(select(Event).where(Event.name == name))]


def test_approver_approves_crm_called_once_and_lead_escalated(sessions):
    approval_id, lead_id = escalation(sessions)
    crm = RecordingCrm()

    decision = decide(
        sessions,
        approval_id=approval_id,
        decided_by="U_ANA",
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=crm,
        now=NOW,
    )

    assert decision.outcome is Outcome.approved_and_synced
    assert (decision.status, decision.decided_by, decision.decided_at) == (
        ApprovalStatus.approved,
        "U_ANA",
        NOW,
    )
    assert decision.crm_error is None
    assert len(crm.calls) == 1
    sent = crm.calls[0]
    assert (sent.email, sent.first_name, sent.score) == ("ada@analytical.example", "Ada", 70)
    assert sent.reply_text == "interested reply from ada@analytical.example"
    assert (sent.contact_id, sent.deal_id) == (None, None)
    with unit_of_work(sessions) as session:
        lead = session.get_one(Lead, lead_id)
        assert lead.status is LeadStatus.escalated
        assert lead.crm_contact_id == "contact-ada@analytical.example"
        assert lead.crm_deal_id == "deal-ada@analytical.example"
        approval = session.get_one(Approval, approval_id)
        assert approval.crm_synced_at == NOW
        assert approval.crm_sync_started_at is None
    decided = event_details(sessions, ApprovalDecided.name)
    assert decided == [
        {
            "approval_id": approval_id,
            "kind": "escalate_lead",
            "status": "approved",
            "by": "U_ANA",
            "lead_id": lead_id,
        }
    ]
    assert len(event_details(sessions, CrmSynced.name)) == 1

    # A double click, or the other approver a moment later: nothing new happens.
    for who in ("U_ANA", "U_BOB"):
        again = decide(
            sessions,
            approval_id=approval_id,
            decided_by=who,
            choice=ApprovalChoice.approve,
            approvers=APPROVERS,
            crm=crm,
            now=NOW,
        )
        assert again.outcome is Outcome.already_decided and again.decided_by == "U_ANA"
    assert len(crm.calls) == 1
    assert len(event_details(sessions, ApprovalDecided.name)) == 1


def test_reject_calls_no_crm_and_keeps_the_lead_out_of_it(sessions):
    approval_id, lead_id = escalation(sessions)
    crm = RecordingCrm()

    decision = decide(
        sessions,
        approval_id=approval_id,
        decided_by="U_BOB",
        choice=ApprovalChoice.reject,
        approvers=APPROVERS,
        crm=crm,
        now=NOW,
    )
    late_approve = decide(
        sessions,
        approval_id=approval_id,
        decided_by="U_ANA",
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=crm,
        now=NOW,
    )

    assert decision.outcome is Outcome.rejected and decision.status is ApprovalStatus.rejected
    assert late_approve.outcome is Outcome.already_decided
    assert late_approve.status is ApprovalStatus.rejected
    assert crm.calls == []
    with unit_of_work(sessions) as session:
        lead = session.get_one(Lead, lead_id)
        assert lead.status is LeadStatus.hot
        assert lead.crm_contact_id is None
        assert lead.status_reason == "escalation rejected by U_BOB"


def test_non_approver_is_refused_and_the_attempt_logged(sessions):
    approval_id, lead_id = escalation(sessions)
    crm = RecordingCrm()

    decision = decide(
        sessions,
        approval_id=approval_id,
        decided_by="U_MALLORY",
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=crm,
        now=NOW,
    )

    assert decision.outcome is Outcome.not_an_approver
    assert REFUSALS[decision.outcome] == "only approvers may decide"
    assert decision.status is ApprovalStatus.pending and decision.decided_by is None
    assert crm.calls == []
    with unit_of_work(sessions) as session:
        assert session.get_one(Approval, approval_id).status is ApprovalStatus.pending
        assert session.get_one(Lead, lead_id).status is LeadStatus.hot
    assert event_details(sessions, ApprovalRefused.name) == [
        {"approval_id": approval_id, "by": "U_MALLORY", "reason": "only approvers may decide"}
    ]
    assert event_details(sessions, ApprovalDecided.name) == []


def test_crm_failure_keeps_the_approval_then_a_retry_reuses_the_ids(sessions):
    approval_id, lead_id = escalation(sessions)
    crm = RecordingCrm(failures=1)

    failed = decide(
        sessions,
        approval_id=approval_id,
        decided_by="U_ANA",
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=crm,
        now=NOW,
    )

    assert failed.outcome is Outcome.approved_sync_failed
    assert failed.status is ApprovalStatus.approved
    assert failed.crm_error == "CRM answered 500 to POST /deals"
    with unit_of_work(sessions) as session:
        approval = session.get_one(Approval, approval_id)
        assert approval.crm_synced_at is None and approval.crm_sync_started_at is None
        assert approval.crm_error == "CRM answered 500 to POST /deals"
        lead = session.get_one(Lead, lead_id)
        # The contact the CRM made before failing is kept, so the retry reuses it.
        assert lead.crm_contact_id == "contact-ada@analytical.example"
        assert lead.crm_deal_id is None
    assert [e["phase"] for e in event_details(sessions, Failure.name)] == ["crm"]

    retried = retry_crm_sync(sessions, crm=crm, now=NOW)

    assert [(d.approval_id, d.outcome, d.crm_error) for d in retried] == [
        (approval_id, Outcome.approved_and_synced, None)
    ]
    assert len(crm.calls) == 2
    assert crm.calls[1].contact_id == "contact-ada@analytical.example"
    with unit_of_work(sessions) as session:
        lead = session.get_one(Lead, lead_id)
        assert lead.crm_deal_id == "deal-ada@analytical.example"
        assert session.get_one(Approval, approval_id).crm_error is None

    # Synced now: neither a retry nor another approve calls the CRM again.
    assert retry_crm_sync(sessions, crm=crm, now=NOW) == []
    decide(
        sessions,
        approval_id=approval_id,
        decided_by="U_BOB",
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=crm,
        now=NOW,
    )
    assert len(crm.calls) == 2


def test_the_retry_button_finishes_a_failed_sync_and_approve_again_does_not(sessions):
    approval_id, _ = escalation(sessions)
    crm = RecordingCrm(failures=1)
    kwargs: dict[str, Any] = dict(
        approval_id=approval_id,
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=crm,
        now=NOW,
    )

    first = decide(sessions, decided_by="U_ANA", **kwargs)
    again = decide(sessions, decided_by="U_BOB", **kwargs)
    retried = retry_sync(
        sessions, approval_id=approval_id, by="U_BOB", approvers=APPROVERS, crm=crm, now=NOW
    )

    assert first.outcome is Outcome.approved_sync_failed and first.crm_error is not None
    assert again.outcome is Outcome.already_decided and again.decided_by == "U_ANA"
    assert retried.outcome is Outcome.approved_and_synced and retried.decided_by == "U_ANA"
    assert retried.crm_error is None
    assert len(crm.calls) == 2


def test_a_non_approver_cannot_trigger_a_retry(sessions):
    approval_id, _ = escalation(sessions)
    crm = RecordingCrm(failures=1)
    decide(
        sessions,
        approval_id=approval_id,
        decided_by="U_ANA",
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=crm,
        now=NOW,
    )

    refused = retry_sync(
        sessions, approval_id=approval_id, by="U_EVE", approvers=APPROVERS, crm=crm, now=NOW
    )

    assert refused.outcome is Outcome.not_an_approver
    assert len(crm.calls) == 1
    refusals = event_details(sessions, ApprovalRefused.name)
    assert [(e["by"], e["reason"]) for e in refusals] == [("U_EVE", "only approvers may decide")]


def test_unknown_approval(sessions):
    with pytest.raises(UnknownApproval):
        decide(
            sessions,
            approval_id=404,
            decided_by="U_ANA",
            choice=ApprovalChoice.approve,
            approvers=APPROVERS,
            crm=RecordingCrm(),
            now=NOW,
        )


def test_with_hubspot_a_failed_note_is_retried_without_a_second_contact_or_deal(sessions):
    approval_id, lead_id = escalation(sessions)
    with running_fake_crm_server() as server:
        hubspot = HubSpotCrm(
            token=SecretStr(TOKEN),
            base_url=server.url,
            retry=RetryPolicy(attempts=2, backoff=0.01),
        )
        server.fail("POST /crm/v3/objects/notes", 500, times=2)

        failed = decide(
            sessions,
            approval_id=approval_id,
            decided_by="U_ANA",
            choice=ApprovalChoice.approve,
            approvers=APPROVERS,
            crm=hubspot,
            now=NOW,
        )
        retried = retry_crm_sync(sessions, crm=hubspot, now=NOW)

        assert failed.outcome is Outcome.approved_sync_failed
        assert "500" in (failed.crm_error or "") and TOKEN not in (failed.crm_error or "")
        assert [d.outcome for d in retried] == [Outcome.approved_and_synced]
        assert len(server.contacts) == 1
        assert len(server.deals) == 1
        assert len(server.notes) == 1
        assert len(server.of("POST", "/crm/v3/objects/deals")) == 1
        with unit_of_work(sessions) as session:
            lead = session.get_one(Lead, lead_id)
            assert lead.crm_contact_id in server.contacts
            assert lead.crm_deal_id in server.deals
            assert (lead.crm_deal_id, lead.crm_contact_id) in server.associations


def test_without_a_crm_the_approval_stands_and_the_backlog_waits(sessions):
    approval_id, _ = escalation(sessions)

    decision = decide(
        sessions,
        approval_id=approval_id,
        decided_by="U_ANA",
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=NoopCrmSyncer(),
        now=NOW,
    )

    assert decision.outcome is Outcome.approved_sync_failed
    assert decision.status is ApprovalStatus.approved
    assert decision.crm_error is not None and "no CRM is configured" in decision.crm_error
    assert retry_crm_sync(sessions, crm=NoopCrmSyncer(), now=NOW) == []
    crm = RecordingCrm()
    retried = retry_crm_sync(sessions, crm=crm, now=NOW)
    assert [d.outcome for d in retried] == [Outcome.approved_and_synced]
    assert len(crm.calls) == 1


def test_crm_secrets_never_reach_logs_events_or_decisions(sessions, caplog):
    approval_id, _ = escalation(sessions)
    token, secret = "pat-na1-SECRET-TOKEN-9f3e", "whsec-SECRET-VALUE-71aa"
    caplog.set_level(logging.DEBUG)
    with running_fake_crm_server() as server:
        server.fail("POST /crm/v3/objects/deals", 429, retry_after="0")
        server.fail("POST /crm/v3/objects/deals", 503, times=5)
        hubspot = HubSpotCrm(
            token=SecretStr(token), base_url=server.url, retry=RetryPolicy(backoff=0.01)
        )
        server.token = token
        webhook = WebhookCrm(
            url=f"{server.url}/webhook?key={secret}",
            secret=SecretStr(secret),
            retry=RetryPolicy(attempts=2, backoff=0.01),
        )
        server.fail("POST /webhook", 500, times=2)

        failed = decide(
            sessions,
            approval_id=approval_id,
            decided_by="U_ANA",
            choice=ApprovalChoice.approve,
            approvers=APPROVERS,
            crm=hubspot,
            now=NOW,
        )
        (webhook_failed,) = retry_crm_sync(sessions, crm=webhook, now=NOW)

    assert failed.crm_error is not None and webhook_failed.crm_error is not None
    with unit_of_work(sessions) as session:
        stored = [repr(e.details) for e in session.scalars(select(Event))]
        stored.append(repr(session.get_one(Approval, approval_id).crm_error))
    seen = "\n".join(
        [caplog.text, failed.model_dump_json(), webhook_failed.model_dump_json(), *stored]
    )
    assert "503" in seen and "500" in seen
    assert token not in seen
    assert secret not in seen
