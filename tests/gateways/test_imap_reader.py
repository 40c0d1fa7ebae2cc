"""The IMAP inbox reader against a real IMAP server (pymap) on loopback."""

from __future__ import annotations

import imaplib
from datetime import UTC, datetime

import pytest

from cam.core.ports import GatewayError
from cam.core.settings import Settings
from cam.gateways.factory import build_gateways
from cam.gateways.imap import MAX_HEAD_BYTES, MAX_MESSAGE_BYTES, ImapInboxReader
from cam.gateways.noop import NoopInboxReader
from tests.gateways.imap_server import PASSWORD, ImapServer


def _mail(n: int) -> bytes:
    head = f"From: lead{n}@x.example\r\nSubject: reply {n}\r\nMessage-ID: <m{n}@x>\r\n"
    return f"{head}\r\nhi {n}\r\n".encode()


@pytest.mark.parametrize("fixture", ["imap_server", "imaps_server"])
def test_reads_all_then_only_new_messages(fixture: str, request: pytest.FixtureRequest) -> None:
    server: ImapServer = request.getfixturevalue(fixture)
    server.append(_mail(1))
    server.append(_mail(2))
    reader = ImapInboxReader(server.settings())

    first = reader.fetch_since(0, 0)
    assert [m.raw for m in first.messages] == [_mail(1), _mail(2)]
    assert first.uidvalidity > 0

    server.append(_mail(3))
    last_uid = first.messages[-1].uid
    second = reader.fetch_since(first.uidvalidity, last_uid)
    assert [m.raw for m in second.messages] == [_mail(3)]
    assert second.messages[0].uid > last_uid

    # `n:*` names the newest message even when it is older than n: nothing new is nothing.
    third = reader.fetch_since(first.uidvalidity, second.messages[0].uid)
    assert third.messages == []


def test_reading_leaves_messages_unseen(imap_server: ImapServer) -> None:
    imap_server.append(_mail(1))
    ImapInboxReader(imap_server.settings()).fetch_since(0, 0)
    conn = imap_server.client()
    try:
        conn.select("INBOX", readonly=True)
        status, data = conn.uid("SEARCH", "UNSEEN")
        assert status == "OK" and data[0] != b""
    finally:
        conn.logout()


def test_a_new_uidvalidity_reads_everything_again(imap_server: ImapServer) -> None:
    imap_server.create("Sales Replies")
    imap_server.append(_mail(1), folder="Sales Replies")
    reader = ImapInboxReader(imap_server.settings(CAM_IMAP_FOLDER="Sales Replies"))
    before = reader.fetch_since(0, 0)

    imap_server.recreate("Sales Replies")
    imap_server.append(_mail(2), folder="Sales Replies")
    after = reader.fetch_since(before.uidvalidity, 10_000)

    assert after.uidvalidity != before.uidvalidity
    assert [m.raw for m in after.messages] == [_mail(2)]


def test_heads_are_the_ranking_fields_of_the_messages_a_fetch_would_read(
    imap_server: ImapServer,
) -> None:
    threaded = _mail(2).replace(
        b"Subject:", b"In-Reply-To: <ours@acme.example>\r\nAuto-Submitted: no\r\nSubject:"
    )
    crafted = _mail(3).replace(b"Subject:", b"References: " + b"<z@z> " * 10_000 + b"\r\nSubject:")
    imap_server.append_many([_mail(1), threaded, crafted, _mail(4)])
    imap_server.omitted.add(4)
    reader = ImapInboxReader(imap_server.settings())
    whole = reader.fetch_since(0, 0)

    heads = reader.fetch_heads(0, 0)

    assert [m.uid for m in heads.messages] == [m.uid for m in whole.messages] == [1, 2, 3]
    assert (
        (heads.missing, heads.uidvalidity)
        == (whole.missing, whole.uidvalidity)
        == ([4], 4294967295)
    )
    assert heads.messages[0].raw == b"From: lead1@x.example\r\n\r\n"
    assert heads.messages[1].raw == (
        b"From: lead2@x.example\r\nIn-Reply-To: <ours@acme.example>\r\nAuto-Submitted: no\r\n\r\n"
    )
    assert len(heads.messages[2].raw) == MAX_HEAD_BYTES
    # Limited and retried as a fetch is.
    later = reader.fetch_heads(heads.uidvalidity, 3, retry=[1], limit=1)
    assert ([m.uid for m in later.messages], later.missing, later.more) == ([1], [], True)


def test_huge_messages_are_read_only_up_to_the_cap(imap_server: ImapServer) -> None:
    big = _mail(1) + b"x" * (MAX_MESSAGE_BYTES + 50_000)
    imap_server.append(big)
    [message] = ImapInboxReader(imap_server.settings()).fetch_since(0, 0).messages
    assert message.raw == big[:MAX_MESSAGE_BYTES]


def test_a_wrong_password_is_a_gateway_error_without_the_password(
    imap_server: ImapServer,
) -> None:
    wrong = "Wr0ng-but-secret-passw0rd"
    reader = ImapInboxReader(imap_server.settings(CAM_IMAP_PASSWORD=wrong))
    with pytest.raises(GatewayError) as caught:
        reader.fetch_since(0, 0)
    assert "login" in str(caught.value)
    assert wrong not in str(caught.value) and PASSWORD not in str(caught.value)
    assert wrong not in repr(caught.value.__cause__) and caught.value.__suppress_context__


def test_an_untrusted_certificate_is_refused(imaps_server: ImapServer) -> None:
    reader = ImapInboxReader(imaps_server.settings(CAM_IMAP_CA_FILE=None))
    with pytest.raises(GatewayError, match="CERTIFICATE_VERIFY_FAILED"):
        reader.fetch_since(0, 0)


def test_a_missing_folder_and_a_closed_port_are_gateway_errors(imap_server: ImapServer) -> None:
    with pytest.raises(GatewayError, match="Nowhere"):
        ImapInboxReader(imap_server.settings(CAM_IMAP_FOLDER="Nowhere")).fetch_since(0, 0)
    with pytest.raises(GatewayError, match="connection"):
        ImapInboxReader(imap_server.settings(CAM_IMAP_PORT=1)).fetch_since(0, 0)


def test_plain_imap_without_tls(imap_server: ImapServer) -> None:
    imap_server.append(_mail(1))
    batch = ImapInboxReader(imap_server.settings(CAM_IMAP_SECURITY="none")).fetch_since(0, 0)
    assert len(batch.messages) == 1


def test_factory_picks_imap_only_when_a_host_is_set(imap_server: ImapServer) -> None:
    assert isinstance(build_gateways(imap_server.settings(), []).inbox, ImapInboxReader)
    bare = Settings(_env_file=None)
    assert isinstance(build_gateways(bare, []).inbox, NoopInboxReader)


def test_each_message_carries_when_the_server_received_it(imap_server: ImapServer) -> None:
    landed = datetime(2026, 10, 25, 1, 30, 5, tzinfo=UTC)  # the night the clocks go back
    conn = imap_server.client()
    try:
        status, data = conn.append('"INBOX"', "", imaplib.Time2Internaldate(landed), _mail(1))
        assert status == "OK", data
    finally:
        conn.logout()
    [message] = ImapInboxReader(imap_server.settings()).fetch_since(0, 0).messages
    assert message.received_at == landed
