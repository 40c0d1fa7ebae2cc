"""The team's decisions on cards teach the classifier, and are compared with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from sqlalchemy import select

from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Reply, ReplyClass, TriageChoice
from cam.core.settings import DATA_DIR
from cam.gateways.imap import ImapInboxReader
from cam.replies import accuracy, triage
from cam.replies.learning import classifier_for
from cam.replies.watcher import ReplyWatcher
from tests.gateways.imap_server import ImapServer
from tests.replies.prospects import add_prospect, reply

NOW = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
# "Register on our purchasing portal": a polite no that the corpus model does not read as one.
PORTAL = (
    "Toutes nos demandes fournisseurs passent par notre portail achats, merci de vous y inscrire."
)
SIMILAR = (
    "Merci de vous inscrire d'abord sur notre portail fournisseurs, il gère toutes les demandes."
)


def _read(sessions: SessionFactory, server: ImapServer) -> ReplyClass:
    """Read the mailbox once as the watcher does; return the class of the reply it stored."""
    reader = ImapInboxReader(server.settings())
    watcher = ReplyWatcher(
        session_factory=sessions,
        reader=reader,
        idle=None,
        classifier=classifier_for(sessions, DATA_DIR / "replies.toml", ZONE),
        zone=ZONE,
        instance="test",
        clock=lambda: NOW,
    )
    read = watcher.read()
    assert read.outcome.stored == 1
    [(kind, _n)] = read.outcome.by_class.items()
    return ReplyClass(kind)


def test_a_corrected_class_is_predicted_for_a_similar_reply_afterwards(
    sessions: SessionFactory, imap_server: ImapServer
) -> None:
    with unit_of_work(sessions) as session:
        for email in ("ana@litware.example", "ben@litware.example"):
            add_prospect(session, email, company="Litware")
    imap_server.append(reply("ana@litware.example", PORTAL))
    mistake = _read(sessions, imap_server)
    assert mistake is not ReplyClass.not_interested

    decided = triage.decide(
        sessions,
        reply_id=_first_reply_id(sessions),
        choice=TriageChoice.not_interested,
        by="UAPPROVER1",
        now=NOW,
        zone=ZONE,
        # An approver's correction teaches at once; anyone else's waits for a second person.
        approvers={"UAPPROVER1"},
    )
    assert decided.changed

    imap_server.append(reply("ben@litware.example", SIMILAR, n=2))
    assert _read(sessions, imap_server) is ReplyClass.not_interested

    with sessions() as session:
        matrix = accuracy.confusion(session, NOW - timedelta(days=7))
    assert matrix.counts == {(mistake, ReplyClass.not_interested): 1}
    assert (matrix.total, matrix.agreed) == (1, 0)
    console = Console(width=100, record=True)
    console.print(accuracy.confusion_table(matrix, 7))
    printed = console.export_text()
    assert "0 of 1 agreed (0%)" in printed and "not_interested" in printed


def _first_reply_id(sessions: SessionFactory) -> int:
    with sessions() as session:
        return session.scalars(select(Reply.id).order_by(Reply.id)).first() or 0
