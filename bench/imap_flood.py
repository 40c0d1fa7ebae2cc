"""A flood of large crafted replies ahead of a genuine one: how long the genuine one waits.

    .venv/bin/python -m bench.imap_flood [--flood 500] [--kb 120] [--notices]

Delivers `--flood` crafted replies of `--kb` KB each (text from strangers; with `--notices`
signed as a mail system, MAILER-DAEMON, which a read ranks above strangers' mail) into a real
IMAP server (pymap, STARTTLS) on loopback, then one genuine reply from a lead we wrote to, and
reads the mailbox once with phase 4's `read_mailbox` on SQLite. Prints the seconds from the
start of the read until the genuine reply is stored (seen from another connection, as the bot
sees it) and until its card is queued, and the whole read's length.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import trustme
from sqlalchemy import select

from bench.run_all import emit
from cam.core.db import SessionFactory, make_engine, session_factory, unit_of_work, upgrade
from cam.core.models import Notification, NotificationTopic, Reply
from cam.core.settings import DATA_DIR
from cam.gateways.imap import ImapInboxReader
from cam.replies.learning import classifier_for
from cam.replies.reading import read_mailbox
from tests.gateways.imap_server import running_imap_server
from tests.replies.prospects import add_prospect, reply

NOW = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
GENUINE = "dana@northwind.example"
WORDS = [
    "price",
    "offer",
    "meeting",
    "call",
    "demo",
    "budget",
    "team",
    "quarter",
    "plan",
    "please",
    "thanks",
    "regards",
]


def crafted(n: int, size: int, rng: random.Random, sender: str) -> bytes:
    """A reply from `sender` of about `size` bytes of plain words."""
    lines, total = [], 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(12))
        lines.append(line)
        total += len(line) + 2
    head = (
        f"From: {sender}\r\nTo: ana@acme.example\r\nSubject: Re: offer {n}\r\n"
        f"Message-ID: <flood.{n}@spam.example>\r\nDate: Mon, 30 Nov 2026 08:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return (head + "\r\n".join(lines) + "\r\n").encode()


def _stored(sessions: SessionFactory) -> tuple[bool, bool]:
    with sessions() as session:
        reply_id = session.scalar(select(Reply.id).where(Reply.from_address == GENUINE))
        carded = reply_id is not None and any(
            n.payload.get("reply_id") == reply_id
            for n in session.scalars(
                select(Notification).where(Notification.topic == NotificationTopic.reply_card)
            )
        )
    return reply_id is not None, carded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=500)
    parser.add_argument("--kb", type=int, default=120)
    parser.add_argument("--notices", action="store_true")
    args, _ = parser.parse_known_args()
    rng = random.Random(7)
    senders = [
        f"MAILER-DAEMON@spam{n}.example" if args.notices else f"flood{n}@spam.example"
        for n in range(args.flood)
    ]
    flood = [crafted(n, args.kb * 1024, rng, sender) for n, sender in enumerate(senders)]
    genuine = reply(GENUINE, "Yes, I'd like a demo. Does Tuesday at 10 work for you?")

    with tempfile.TemporaryDirectory() as tmp:
        ca = trustme.CA()
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        with unit_of_work(sessions) as session:
            add_prospect(session, GENUINE)
        classify = classifier_for(sessions, DATA_DIR / "replies.toml", ZONE)(NOW)
        with running_imap_server(ca, ca_file, implicit_tls=False) as server:
            server.append_many([*flood, genuine])
            reader = ImapInboxReader(server.settings())
            seen: dict[str, float] = {}
            done = threading.Event()

            def watch() -> None:
                while not done.is_set() and "card" not in seen:
                    stored, carded = _stored(sessions)
                    if stored:
                        seen.setdefault("stored", time.perf_counter())
                    if carded:
                        seen.setdefault("card", time.perf_counter())
                    time.sleep(0.05)

            watcher = threading.Thread(target=watch)
            started = time.perf_counter()
            watcher.start()
            read_mailbox(sessions, reader, classify, now=NOW, zone=ZONE)
            whole = time.perf_counter() - started
            watcher.join(timeout=5)
            done.set()
        engine.dispose()
    assert "card" in seen, "the genuine reply got no card"
    kind = " notices" if args.notices else ""
    emit(
        f"genuine reply stored, behind {args.flood} x {args.kb} KB{kind}",
        round(seen["stored"] - started, 2),
        "s",
        "<= 5",
        seen["stored"] - started <= 5,
    )
    emit("its card queued", round(seen["card"] - started, 2), "s")
    emit("whole read of the flood", round(whole, 2), "s")


if __name__ == "__main__":
    main()
