"""Sending speed through a real STARTTLS + AUTH server on loopback.

    .venv/bin/python -m bench.smtp_send [--messages 200]

Prints messages a second with one connection per batch (what the sender does) beside one
connection per message (TLS handshake and login every time) and their ratio. Loopback has no
network latency, so the ratio is a floor: each round trip saved weighs more on a real relay.
Also prints what DKIM signing adds to each message: dkimpy signs in pure Python (about 20 ms
for RSA-2048), small beside the minutes between two sends (target <= 50 ms).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.run_all import emit
from cam.core.ports import SendOutcome
from cam.core.settings import Settings
from cam.gateways.smtp import SmtpEmailSender
from tests.gateways.smtp_server import outgoing, running_smtp_server


def batch(settings: Settings, n: int) -> float:
    """Send `n` messages over one connection; return the seconds."""
    started = time.perf_counter()
    with SmtpEmailSender(settings).connect() as conn:
        for i in range(n):
            assert conn.send(outgoing(f"lead{i}@example.com")).outcome is SendOutcome.accepted
    return time.perf_counter() - started


def one_by_one(settings: Settings, n: int) -> float:
    """Send `n` messages, each over a connection of its own; return the seconds."""
    started = time.perf_counter()
    for i in range(n):
        with SmtpEmailSender(settings).connect() as conn:
            assert conn.send(outgoing(f"lead{i}@example.com")).outcome is SendOutcome.accepted
    return time.perf_counter() - started


def write_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    args, _ = parser.parse_known_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as tmp:
        ca = trustme.CA()
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        key_file = Path(tmp) / "dkim.pem"
        write_key(key_file)
        with running_smtp_server(ca, ca_file, security="starttls", auth=True) as server:
            settings = server.settings()
            signed = server.settings(dkim_selector="bench", dkim_private_key_file=key_file)
            batch(settings, 5)  # warm up
            pooled = batch(settings, n)
            single = one_by_one(settings, n)
            with_dkim = batch(signed, n)
            assert len(server.handler.messages) == 5 + 3 * n

    emit("batch connection", round(n / pooled, 1), "msg/s")
    emit("connection per message", round(n / single, 1), "msg/s")
    ratio = single / pooled
    emit("batch speed-up on loopback", round(ratio, 2), "x")
    per_message = (with_dkim - pooled) / n * 1000
    emit("DKIM signing per message", round(per_message, 1), "ms", "<= 50", per_message <= 50)


if __name__ == "__main__":
    main()
