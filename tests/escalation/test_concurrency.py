"""The same approval decided at the same moment by many: exactly one decision, one CRM call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cam.core.db import unit_of_work
from cam.core.event_payloads import ApprovalDecided
from cam.core.models import Approval, ApprovalStatus, Event, Lead, LeadStatus, Notification
from cam.escalation.crm_sync import retry_crm_sync
from cam.escalation.decisions import decide
from cam.escalation.escalations import escalate_hot_leads
from cam.escalation.go_live import request_go_live
from cam.escalation.outcomes import ApprovalChoice, Decision, Outcome
from tests.escalation.helpers import APPROVERS, NOW, RecordingCrm, add_lead, cycle_context
from tests.gateways.crm_server import running_fake_crm

THREADS = 8
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def crm_server():
    yield from running_fake_crm()


def escalation(sessions) -> int:
    with unit_of_work(sessions) as session:
        add_lead(session, "ada@analytical.example")
    escalate_hot_leads(cycle_context(sessions))
    with unit_of_work(sessions) as session:
        return session.scalars(select(Approval.id)).one()


def all_at_once(calls: list[Any]) -> list[Any]:
    """Run the callables in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def decided_events(sessions) -> int:
    with unit_of_work(sessions) as session:
        return session.scalars(select(func.count()).where(Event.name == ApprovalDecided.name)).one()


def test_threads_deciding_at_once_make_one_decision_and_one_crm_call(sessions):
    approval_id = escalation(sessions)
    crm = RecordingCrm(delay=0.05)
    approvers = sorted(APPROVERS)

    def click(n: int):
        return lambda: decide(
            sessions,
            approval_id=approval_id,
            decided_by=approvers[n % 2],
            choice=ApprovalChoice.approve,
            approvers=APPROVERS,
            crm=crm,
            now=NOW,
        )

    results = all_at_once([click(n) for n in range(THREADS)])

    assert all(isinstance(r, Decision) for r in results), results
    winners = [r for r in results if r.outcome is not Outcome.already_decided]
    assert [r.outcome for r in winners] == [Outcome.approved_and_synced]
    assert {r.decided_by for r in results} == {winners[0].decided_by}
    assert len(crm.calls) == 1
    assert decided_events(sessions) == 1
    with unit_of_work(sessions) as session:
        approval = session.get_one(Approval, approval_id)
        assert approval.status is ApprovalStatus.approved
        assert approval.crm_synced_at is not None


def test_approve_and_reject_racing_give_one_outcome(sessions):
    approval_id = escalation(sessions)
    crm = RecordingCrm()

    def click(n: int):
        return lambda: decide(
            sessions,
            approval_id=approval_id,
            decided_by="U_ANA" if n % 2 else "U_BOB",
            choice=ApprovalChoice.approve if n % 2 else ApprovalChoice.reject,
            approvers=APPROVERS,
            crm=crm,
            now=NOW,
        )

    results = all_at_once([click(n) for n in range(THREADS)])

    winners = [r for r in results if r.outcome is not Outcome.already_decided]
    assert [r.outcome for r in winners] in (
        [Outcome.approved_and_synced],
        [Outcome.rejected],
    )
    assert {r.status for r in results} == {winners[0].status}
    approved = winners[0].status is ApprovalStatus.approved
    assert len(crm.calls) == (1 if approved else 0)
    with unit_of_work(sessions) as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.status is (LeadStatus.escalated if approved else LeadStatus.hot)


def test_concurrent_retries_call_the_crm_once(sessions):
    approval_id = escalation(sessions)
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
    crm.delay = 0.05

    results = all_at_once(
        [lambda: retry_crm_sync(sessions, crm=crm, now=NOW) for _ in range(THREADS)]
    )

    assert all(isinstance(r, list) for r in results), results
    assert len(crm.calls) == 2  # the failed first call, and exactly one retry
    assert crm.calls[1].contact_id == "contact-ada@analytical.example"
    outcomes = [d.outcome for batch in results for d in batch]
    assert outcomes.count(Outcome.approved_and_synced) == 1
    assert set(outcomes) <= {Outcome.approved_and_synced, Outcome.already_decided}


def test_two_processes_deciding_at_once_sync_the_crm_once(sessions, db_url, crm_server, tmp_path):
    approval_id = escalation(sessions)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.escalation.decide_worker",
                db_url,
                str(approval_id),
                user,
                crm_server.url,
                str(go),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for user in ("U_ANA", "U_BOB")
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stderr is not None
        if worker.stdout.readline() != "ready\n":
            raise AssertionError(worker.stderr.read())
    go.touch()  # both are connected and waiting: release them together
    outputs = [worker.communicate(timeout=60) for worker in workers]

    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    decisions = [Decision.model_validate(json.loads(out)) for out, _ in outputs]
    assert sorted(d.outcome for d in decisions) == [
        Outcome.already_decided,
        Outcome.approved_and_synced,
    ]
    assert len(crm_server.of("POST", "/crm/v3/objects/contacts")) == 1
    assert len(crm_server.contacts) == 1
    assert len(crm_server.deals) == 1
    assert len(crm_server.notes) == 1
    with unit_of_work(sessions) as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.crm_contact_id == next(iter(crm_server.contacts))
        assert lead.crm_deal_id == next(iter(crm_server.deals))
    assert decided_events(sessions) == 1


def test_go_live_asked_by_many_at_once_is_one_request(sessions):
    def ask(user: str):
        def run() -> int:
            with unit_of_work(sessions) as session:
                return request_go_live(session, requested_by=user, now=NOW).id

        return run

    results = all_at_once([ask(f"U_{n}") for n in range(THREADS)])

    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    with unit_of_work(sessions) as session:
        assert session.scalars(select(func.count()).select_from(Approval)).one() == 1
        assert session.scalars(select(func.count()).select_from(Notification)).one() == 1
