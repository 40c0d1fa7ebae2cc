"""The whole loop on loopback: import, a live cycle mails through SMTP, the reply lands in
IMAP, the next cycle finds it and asks for approval, and the approval syncs HubSpot once."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select

from cam.bootstrap import ProcessConfig, Runtime
from cam.core.db import unit_of_work
from cam.core.models import Approval, ApprovalStatus, Lead, LeadStatus, Reply, ReplyClass
from cam.core.state import get_state, set_dry_run
from cam.cycle import run_daily_cam_cycle, run_send_pass
from cam.escalation.decisions import decide
from cam.escalation.outcomes import ApprovalChoice, Outcome
from cam.leads.importer import import_leads
from tests.gateways.crm_server import TOKEN, running_fake_crm
from tests.gateways.imap_server import HOST as IMAP_HOST
from tests.gateways.imap_server import ImapServer
from tests.gateways.smtp_server import REPLY_TO, SmtpServer

# Wednesday 25 November 2026, near the end of the send window (09:00-17:00 UTC).
WEDNESDAY_LATE = datetime(2026, 11, 25, 16, 50, tzinfo=UTC)
APPROVERS = frozenset({"U_ANA"})
CSV = (
    "Email Address,First Name,Last Name,Company,Job Title\n"
    "ada@analytical.example,Ada,Lovelace,Analytical Engines,VP Sales\n"
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def reply_to(original: EmailMessage, when: datetime) -> bytes:
    reply = EmailMessage()
    reply["From"] = "Ada Lovelace <ada@analytical.example>"
    reply["To"] = REPLY_TO
    reply["Subject"] = f"Re: {original['Subject']}"
    reply["Date"] = format_datetime(when)
    reply["Message-ID"] = make_msgid(domain="analytical.example")
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = original["Message-ID"]
    reply.set_content("Sounds interesting - let's set up a call next Tuesday.\n\nAda\n")
    return bytes(reply)


def test_import_send_reply_escalate_and_sync_once(
    db_url, tmp_path, smtp_server: SmtpServer, imap_server: ImapServer
):
    leads_csv = tmp_path / "leads.csv"
    leads_csv.write_text(CSV)
    clock = Clock(WEDNESDAY_LATE)
    with contextmanager(running_fake_crm)() as crm:
        settings = smtp_server.settings(
            database_url=db_url,
            imap_host=IMAP_HOST,
            imap_port=imap_server.port,
            imap_username=imap_server.username,
            imap_password=imap_server.password,
            imap_security=imap_server.security,
            imap_ca_file=imap_server.ca_file,
            hubspot_token=TOKEN,
            hubspot_base_url=crm.url,
        )
        with Runtime(ProcessConfig.load(settings)) as runtime:
            sessions = runtime.session_factory
            assert runtime.gateways.not_configured() == []
            assert import_leads(sessions, leads_csv).imported == 1
            with unit_of_work(sessions) as session:
                set_dry_run(session, dry_run=False, by="U_ANA", now=clock())
                config = runtime.config.cycle_config(get_state(session))

            first = run_daily_cam_cycle(
                config, session_factory=sessions, gateways=runtime.gateways, clock=clock
            )
            clock.now = WEDNESDAY_LATE + timedelta(minutes=9, seconds=59)
            passed = run_send_pass(
                config, session_factory=sessions, gateways=runtime.gateways, clock=clock
            )

            assert first.errors == [] and passed.errors == []
            assert first.outreach_sent + passed.outreach_sent == 1
            (mail,) = smtp_server.handler.messages
            assert mail.rcpt_tos == ("ada@analytical.example",)
            sent = mail.message

            clock.now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
            imap_server.append(reply_to(sent, clock.now - timedelta(hours=1)))
            second = run_daily_cam_cycle(
                config, session_factory=sessions, gateways=runtime.gateways, clock=clock
            )

            assert second.errors == []
            assert second.replies_detected == 1
            assert second.approvals_requested == 1
            with unit_of_work(sessions) as session:
                approval = session.scalars(select(Approval)).one()
                reply = session.get_one(Reply, approval.reply_id)
                assert reply.classification is ReplyClass.interested
                assert session.get_one(Lead, approval.lead_id).status is LeadStatus.hot
            assert crm.requests == []  # nothing reaches the CRM before the decision

            decisions = [
                decide(
                    sessions,
                    approval_id=approval.id,
                    decided_by="U_ANA",
                    choice=ApprovalChoice.approve,
                    approvers=APPROVERS,
                    crm=runtime.gateways.crm,
                    now=clock(),
                )
                for _ in range(2)
            ]

            assert [d.outcome for d in decisions] == [
                Outcome.approved_and_synced,
                Outcome.already_decided,
            ]
            assert decisions[0].crm_error is None
            assert len(crm.contacts) == 1 and len(crm.deals) == 1 and len(crm.notes) == 1
            (contact,) = crm.contacts.values()
            assert contact["email"] == "ada@analytical.example"
            (note,) = crm.notes.values()
            assert "set up a call next Tuesday" in note["properties"]["hs_note_body"]
            with unit_of_work(sessions) as session:
                lead = session.get_one(Lead, approval.lead_id)
                assert lead.status is LeadStatus.escalated
                assert (lead.crm_deal_id, lead.crm_contact_id) in crm.associations
                assert session.get_one(Approval, approval.id).status is ApprovalStatus.approved

            third = run_daily_cam_cycle(
                config, session_factory=sessions, gateways=runtime.gateways, clock=clock
            )
            assert third.approvals_requested == 0
