"""DKIM: what arrives at the server verifies against the published key, and covers RFC 8058."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cam.core.ports import GatewayError, SendOutcome
from cam.gateways.mail import new_message_id
from cam.gateways.smtp import SmtpEmailSender
from tests.gateways.smtp_server import MAIL_FROM, SmtpServer, connect_once, outgoing

SELECTOR = "cam2026"


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """An RSA key in a file for CAM_DKIM_PRIVATE_KEY_FILE, and its DNS TXT record."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("dkim") / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def dns_with(record: bytes, asked: list[bytes]):
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        asked.append(name)
        return record if name == f"{SELECTOR}._domainkey.acme.example.".encode() else b""

    return dnsfunc


def signed_headers(data: bytes) -> set[str]:
    header = data.split(b"\r\n\r\n", 1)[0].decode()
    unfolded = re.sub(r"\r\n[ \t]+", " ", header)
    signature = next(line for line in unfolded.split("\r\n") if line.startswith("DKIM-Signature"))
    tags = dict(
        part.strip().split("=", 1) for part in signature.split(":", 1)[1].split(";") if "=" in part
    )
    return {name.strip().lower() for name in tags["h"].split(":")}


def test_signature_verifies_and_covers_the_unsubscribe_headers(
    smtp_server: SmtpServer, dkim_key: tuple[Path, bytes]
) -> None:
    path, record = dkim_key
    settings = smtp_server.settings(dkim_selector=SELECTOR, dkim_private_key_file=path)
    first = new_message_id(MAIL_FROM)
    email = outgoing(
        "joe@example.com",
        step=2,
        html="<p>Hi Joe</p>",
        in_reply_to=first,
        references=(first,),
    )
    with SmtpEmailSender(settings).connect() as conn:
        assert conn.send(email).outcome is SendOutcome.accepted
    data = smtp_server.handler.messages[0].data
    asked: list[bytes] = []
    assert dkim.verify(data, dnsfunc=dns_with(record, asked))
    assert asked == [f"{SELECTOR}._domainkey.acme.example.".encode()]
    covered = signed_headers(data)
    assert {
        "from",
        "subject",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "date",
        "to",
        "message-id",
        "reply-to",
        "in-reply-to",
        "references",
    } <= covered
    assert smtp_server.handler.messages[0].message["DKIM-Signature"] is not None


def test_altered_unsubscribe_header_breaks_the_signature(
    smtp_server: SmtpServer, dkim_key: tuple[Path, bytes]
) -> None:
    path, record = dkim_key
    settings = smtp_server.settings(dkim_selector=SELECTOR, dkim_private_key_file=path)
    with SmtpEmailSender(settings).connect() as conn:
        conn.send(outgoing("joe@example.com"))
    data = smtp_server.handler.messages[0].data
    assert dkim.verify(data, dnsfunc=dns_with(record, []))
    tampered = data.replace(b"List-Unsubscribe=One-Click", b"List-Unsubscribe=Two-Click")
    assert tampered != data
    assert not dkim.verify(tampered, dnsfunc=dns_with(record, []))
    body_changed = data.replace(b"Would a 15-minute call", b"Would a 30-minute call")
    assert body_changed != data
    assert not dkim.verify(body_changed, dnsfunc=dns_with(record, []))


def test_without_dkim_settings_nothing_is_signed(smtp_server: SmtpServer) -> None:
    with SmtpEmailSender(smtp_server.settings()).connect() as conn:
        conn.send(outgoing("joe@example.com"))
    assert b"DKIM-Signature" not in smtp_server.handler.messages[0].data


def test_half_configured_dkim_is_an_error(
    smtp_server: SmtpServer, dkim_key: tuple[Path, bytes], tmp_path: Path
) -> None:
    with pytest.raises(GatewayError, match="CAM_DKIM_SELECTOR"):
        connect_once(smtp_server.settings(dkim_private_key_file=dkim_key[0]))
    with pytest.raises(GatewayError, match="cannot read the DKIM key file"):
        connect_once(
            smtp_server.settings(
                dkim_selector=SELECTOR, dkim_private_key_file=tmp_path / "missing.pem"
            )
        )
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("hello\n")
    with pytest.raises(GatewayError, match="no PEM RSA private key"):
        connect_once(smtp_server.settings(dkim_selector=SELECTOR, dkim_private_key_file=not_a_key))
    assert not smtp_server.handler.logins, "a bad configuration fails before connecting"
