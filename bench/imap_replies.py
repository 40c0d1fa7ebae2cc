"""Reading replies: IMAP fetch in chunks against one FETCH per message, and phase 4's pace.

    .venv/bin/python -m bench.imap_replies [--messages 500]

Prints messages a second read from a real IMAP server (pymap, STARTTLS) on loopback with the
reader's chunked `UID FETCH` beside one `UID FETCH` per message over the same connection, and
their ratio (a floor: each round trip saved weighs more against a remote server). Then the
parse-and-classify pace over the corpus, and phase 4 end to end (fetch, parse, classify,
store, update leads) on SQLite, in replies a second.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import trustme

from bench.run_all import emit
from cam.core.config import CAMCycleConfig
from cam.core.context import CycleContext
from cam.core.db import make_engine, session_factory, upgrade
from cam.core.ports import Gateways
from cam.core.report import CAMCycleReport
from cam.core.settings import DATA_DIR
from cam.gateways.imap import ImapInboxReader
from cam.gateways.noop import NoopCrmSyncer, NoopEmailSender, NoopSocialPoster
from cam.replies.parser import parse_reply
from cam.replies.reading import detect_replies
from cam.replies.rules import classify, load_rules
from tests.gateways.imap_server import ImapServer, running_imap_server
from tests.replies.reply_corpus import EXPECTED, NOW, TODAY, raw, seed


def corpus_copies(n: int) -> list[bytes]:
    """Return `n` corpus messages, each with a Message-ID of its own."""
    messages = []
    for i in range(n):
        message = raw(EXPECTED[i % len(EXPECTED)].file)
        messages.append(b"Message-ID: <bench." + str(i).encode() + b"@bench>\r\n" + message)
    return messages


def one_fetch_per_message(server: ImapServer) -> tuple[float, int]:
    """Read every message with a UID FETCH of its own; return seconds and bytes."""
    conn = server.client()
    try:
        started = time.perf_counter()
        conn.select("INBOX", readonly=True)
        _status, data = conn.uid("SEARCH", "ALL")
        size = 0
        for uid in data[0].split():
            _status, parts = conn.uid("FETCH", uid.decode(), "(UID BODY.PEEK[])")
            size += sum(len(p[1]) for p in parts if isinstance(p, tuple))
        return time.perf_counter() - started, size
    finally:
        conn.logout()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    args, _ = parser.parse_known_args()
    n = args.messages
    messages = corpus_copies(n)
    rules = load_rules(DATA_DIR / "replies.toml")

    with tempfile.TemporaryDirectory() as tmp:
        ca = trustme.CA()
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        with running_imap_server(ca, ca_file, implicit_tls=False) as server:
            server.append_many(messages)
            reader = ImapInboxReader(server.settings())
            reader.fetch_since(0, 0)  # warm up
            started = time.perf_counter()
            batch = reader.fetch_since(0, 0)
            chunked = time.perf_counter() - started
            assert len(batch.messages) == n
            single, size = one_fetch_per_message(server)
            assert size == sum(len(m.raw) for m in batch.messages)

            started = time.perf_counter()
            for message in batch.messages:
                classify(parse_reply(message.raw), rules, today=TODAY)
            parsing = time.perf_counter() - started

            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url)
            engine = make_engine(url)
            sessions = session_factory(engine)
            with sessions.begin() as session:
                seed(session)
            ctx = CycleContext(
                config=CAMCycleConfig(),
                session_factory=sessions,
                gateways=Gateways(
                    email=NoopEmailSender(),
                    inbox=reader,
                    social=NoopSocialPoster(),
                    crm=NoopCrmSyncer(),
                ),
                clock=lambda: NOW,
                rng=random.Random(1),
                report=CAMCycleReport(start=NOW),
            )
            started = time.perf_counter()
            detect_replies(ctx)
            phase = time.perf_counter() - started
            engine.dispose()
            assert ctx.report.errors == [] and ctx.report.replies_detected == n

    emit("IMAP chunked fetch", round(n / chunked, 1), "msg/s")
    emit("IMAP fetch per message", round(n / single, 1), "msg/s")
    emit("chunked fetch speed-up on loopback", round(single / chunked, 2), "x")
    emit("parse + classify", round(n / parsing, 1), "msg/s")
    emit("phase 4 end to end (SQLite)", round(n / phase, 1), "replies/s", ">= 50", n / phase >= 50)


if __name__ == "__main__":
    main()
