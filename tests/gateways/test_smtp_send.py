"""Sending through a real SMTP server on loopback: TLS, AUTH and what arrives, byte for byte."""

from __future__ import annotations

import socket
from email.utils import parsedate_to_datetime

import pytest

from cam.core.ports import DeliveryUnknownError, GatewayError, SendOutcome
from cam.core.settings import Settings
from cam.core.unsubscribe_tokens import read_token
from cam.gateways.factory import build_gateways
from cam.gateways.mail import new_message_id
from cam.gateways.noop import NoopEmailSender
from cam.gateways.smtp import SmtpEmailSender
from tests.gateways.smtp_server import (
    MAIL_FROM,
    POSTAL_ADDRESS,
    PUBLIC_URL,
    REPLY_TO,
    SECRET_KEY,
    SmtpServer,
    connect_once,
    free_port,
    outgoing,
)


def test_starttls_and_auth_deliver_a_well_formed_message(smtp_server: SmtpServer) -> None:
    sender = SmtpEmailSender(smtp_server.settings())
    email = outgoing("Joe@Example.com")
    with sender.connect() as conn:
        result = conn.send(email)
    assert result.outcome is SendOutcome.accepted

    [mail] = smtp_server.handler.messages
    assert smtp_server.handler.logins, "the client logged in"
    assert mail.mail_from == "ana@acme.example"
    assert mail.rcpt_tos == ("Joe@Example.com",)
    msg = mail.message
    assert msg["Message-ID"] == email.message_id
    assert email.message_id.endswith("@acme.example>")
    assert msg["From"] == MAIL_FROM
    assert msg["To"] == "Joe@Example.com"
    assert msg["Reply-To"] == REPLY_TO
    assert msg["Subject"] == "Quick question about your widgets"
    assert parsedate_to_datetime(msg["Date"]).utcoffset() is not None
    assert msg["In-Reply-To"] is None
    assert msg["References"] is None
    link = f"{PUBLIC_URL}/unsubscribe/{email.unsubscribe_token}"
    assert msg["List-Unsubscribe"] == f"<{link}>, <mailto:{REPLY_TO}?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = link.rsplit("/", 1)[1]
    assert read_token(SECRET_KEY, token) == "joe@example.com"
    assert msg.get_content_type() == "text/plain"
    body = msg.get_content()
    assert body.startswith("Hi Joe,\n\nWould a 15-minute call next week help?\n\nAna\n\n-- \n")
    assert POSTAL_ADDRESS in body
    assert link in body
    # Lines end in CRLF on the wire, as RFC 5322 asks.
    assert b"\r\n" in mail.data and b"\n" not in mail.data.replace(b"\r\n", b"")


def test_one_connection_carries_a_whole_batch(smtp_server: SmtpServer) -> None:
    sender = SmtpEmailSender(smtp_server.settings())
    with sender.connect() as conn:
        results = [conn.send(outgoing(f"lead{i}@example.com")) for i in range(5)]
    assert {r.outcome for r in results} == {SendOutcome.accepted}
    assert len(smtp_server.handler.messages) == 5
    assert len(smtp_server.handler.logins) == 1


def test_follow_up_threads_under_the_first_message(smtp_server: SmtpServer) -> None:
    first = new_message_id(MAIL_FROM)
    second = new_message_id(MAIL_FROM)
    email = outgoing(
        "joe@example.com",
        step=3,
        subject="Quick question about your widgets",
        in_reply_to=second,
        references=(first, second),
    )
    with SmtpEmailSender(smtp_server.settings()).connect() as conn:
        assert conn.send(email).outcome is SendOutcome.accepted
    msg = smtp_server.handler.messages[0].message
    assert msg["In-Reply-To"] == second
    assert msg["References"] == f"{first} {second}"
    assert msg["Subject"] == "Re: Quick question about your widgets"


def test_first_contact_notice_only_on_step_one(smtp_server: SmtpServer) -> None:
    notice = "We found your address on acme-widgets.example; reply NO and we will not write again."
    settings = smtp_server.settings(first_contact_notice=notice)
    first = outgoing("joe@example.com", step=1)
    later = outgoing("joe@example.com", step=2, in_reply_to=first.message_id)
    with SmtpEmailSender(settings).connect() as conn:
        conn.send(first)
        conn.send(later)
    bodies = [m.message.get_content() for m in smtp_server.handler.messages]
    assert notice in bodies[0]
    assert notice not in bodies[1]
    assert POSTAL_ADDRESS in bodies[1]


def test_html_goes_as_an_alternative_with_the_footer(smtp_server: SmtpServer) -> None:
    email = outgoing(
        "joe@example.com",
        text="Hi Jörg, grüße aus Berlin",
        html="<html><body><p>Hi J&ouml;rg</p></body></html>",
    )
    with SmtpEmailSender(smtp_server.settings()).connect() as conn:
        conn.send(email)
    msg = smtp_server.handler.messages[0].message
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    assert plain is not None and rich is not None
    assert "Hi Jörg, grüße aus Berlin" in plain.get_content()
    page = rich.get_content()
    assert page.index("Unsubscribe</a>") < page.index("</body>")
    assert f'href="{PUBLIC_URL}/unsubscribe/{email.unsubscribe_token}"' in page
    assert "ACME Widgets Ltd" in page
    # Non-ASCII bodies are 7-bit safe on the wire.
    assert all(byte < 128 for byte in smtp_server.handler.messages[0].data)


def test_header_injection_is_impossible(smtp_server: SmtpServer) -> None:
    email = outgoing("joe@example.com", subject="Hello\r\nBcc: victim@example.org\r\n\r\nspam")
    with SmtpEmailSender(smtp_server.settings()).connect() as conn:
        assert conn.send(email).outcome is SendOutcome.accepted
        bad_recipient = conn.send(outgoing("joe@example.com\r\nBcc: victim@example.org"))
    assert bad_recipient.outcome is SendOutcome.rejected
    [mail] = smtp_server.handler.messages
    assert mail.rcpt_tos == ("joe@example.com",)
    msg = mail.message
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Hello Bcc: victim@example.org spam"


def test_injection_in_the_sender_setting_is_refused(smtp_server: SmtpServer) -> None:
    settings = smtp_server.settings(mail_from="Ana <ana@acme.example>\nBcc: x@example.org")
    with pytest.raises(GatewayError, match="CAM_FROM"):
        connect_once(settings)


def test_4xx_means_retry_later(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_replies["busy@example.com"] = "451 4.7.1 Greylisted, try later"
    smtp_server.handler.data_replies["slow@example.com"] = "452 4.3.1 Insufficient storage"
    with SmtpEmailSender(smtp_server.settings()).connect() as conn:
        at_rcpt = conn.send(outgoing("busy@example.com"))
        at_data = conn.send(outgoing("slow@example.com"))
        after = conn.send(outgoing("fine@example.com"))
    assert at_rcpt.outcome is SendOutcome.retry_later
    assert "451" in at_rcpt.detail and "Greylisted" in at_rcpt.detail
    assert at_data.outcome is SendOutcome.retry_later
    assert "452" in at_data.detail
    # The connection stays usable after a refusal.
    assert after.outcome is SendOutcome.accepted
    assert [m.rcpt_tos for m in smtp_server.handler.messages] == [("fine@example.com",)]


def test_5xx_for_the_recipient_is_a_rejection(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"
    smtp_server.handler.data_replies["spam@example.com"] = "554 5.7.1 Message refused"
    with SmtpEmailSender(smtp_server.settings()).connect() as conn:
        gone = conn.send(outgoing("gone@example.com"))
        refused = conn.send(outgoing("spam@example.com"))
        after = conn.send(outgoing("fine@example.com"))
    assert gone.outcome is SendOutcome.rejected
    assert "550 5.1.1 No such user" in gone.detail
    assert refused.outcome is SendOutcome.rejected
    assert "554" in refused.detail
    assert after.outcome is SendOutcome.accepted


def test_link_lost_before_the_message_is_complete_is_a_gateway_error(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.handler.drop_at_rcpt.add("second@example.com")
    sent = []
    sender = SmtpEmailSender(smtp_server.settings())
    with pytest.raises(GatewayError, match="connection lost"), sender.connect() as conn:
        for to in ["first@example.com", "second@example.com", "third@example.com"]:
            sent.append(conn.send(outgoing(to)).outcome)
    assert sent == [SendOutcome.accepted]
    assert [m.rcpt_tos[0] for m in smtp_server.handler.messages] == ["first@example.com"]


def test_link_lost_awaiting_the_verdict_is_an_unknown_delivery(smtp_server: SmtpServer) -> None:
    smtp_server.handler.drop_after_data.add("second@example.com")
    sent = []
    sender = SmtpEmailSender(smtp_server.settings())
    with pytest.raises(DeliveryUnknownError) as caught, sender.connect() as conn:
        for to in ["first@example.com", "second@example.com", "third@example.com"]:
            sent.append(conn.send(outgoing(to)).outcome)
    assert not isinstance(caught.value, GatewayError), "must not be released and sent again"
    assert sent == [SendOutcome.accepted]
    # The server did take it: sending it again would deliver it twice.
    assert [m.rcpt_tos[0] for m in smtp_server.handler.messages] == [
        "first@example.com",
        "second@example.com",
    ]


def test_a_verdict_that_never_comes_is_an_unknown_delivery(smtp_server: SmtpServer) -> None:
    smtp_server.handler.delay = 2.0
    email = outgoing("slow@example.com")
    sender = SmtpEmailSender(smtp_server.settings(smtp_timeout=0.5))
    with pytest.raises(DeliveryUnknownError, match="timed out") as caught, sender.connect() as conn:
        conn.send(email)
    assert email.message_id in str(caught.value)


def test_lines_starting_with_a_dot_arrive_intact(smtp_server: SmtpServer) -> None:
    text = "Hi Joe,\n.\n..two dots\n.one dot\nbye"
    with SmtpEmailSender(smtp_server.settings()).connect() as conn:
        assert conn.send(outgoing("joe@example.com", text=text)).outcome is SendOutcome.accepted
    body = smtp_server.handler.messages[0].message.get_content()
    assert body.startswith(text + "\n\n-- \n")


def test_server_down_is_a_gateway_error(smtp_server: SmtpServer) -> None:
    settings = smtp_server.settings(smtp_port=free_port())
    with pytest.raises(GatewayError, match="cannot connect"):
        connect_once(settings)


def test_bad_password_never_shows_the_password(smtp_server: SmtpServer) -> None:
    wrong = "wrong-Pa55word-do-not-print"
    settings = smtp_server.settings(smtp_password=wrong)
    with pytest.raises(GatewayError) as caught:
        connect_once(settings)
    text = str(caught.value)
    assert "login" in text and "535" in text
    assert wrong not in text and smtp_server.password not in text
    assert caught.value.__cause__ is None and caught.value.__context__ is not None
    assert wrong not in repr(caught.value.__context__)
    assert not smtp_server.handler.messages


def test_an_untrusted_certificate_is_refused(smtp_server: SmtpServer) -> None:
    # Without the test CA, the system store does not trust the server: no fallback.
    settings = smtp_server.settings(smtp_ca_file=None)
    with pytest.raises(GatewayError, match="certificate"):
        connect_once(settings)
    assert not smtp_server.handler.logins


def test_plain_connection_to_a_starttls_only_server_is_refused(smtp_server: SmtpServer) -> None:
    settings = smtp_server.settings(smtp_security="none")
    with pytest.raises(GatewayError) as caught, SmtpEmailSender(settings).connect() as conn:
        conn.send(outgoing("joe@example.com"))
    assert smtp_server.password not in str(caught.value)
    assert not smtp_server.handler.messages


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(smtps_server: SmtpServer) -> None:
    with SmtpEmailSender(smtps_server.settings()).connect() as conn:
        assert conn.send(outgoing("joe@example.com")).outcome is SendOutcome.accepted
    assert smtps_server.handler.logins
    assert smtps_server.handler.messages[0].message["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )


def test_plain_relay_without_auth(plain_smtp_server: SmtpServer) -> None:
    with SmtpEmailSender(plain_smtp_server.settings()).connect() as conn:
        assert conn.send(outgoing("joe@example.com")).outcome is SendOutcome.accepted
    assert len(plain_smtp_server.handler.messages) == 1


def test_starttls_required_but_not_offered(plain_smtp_server: SmtpServer) -> None:
    settings = plain_smtp_server.settings(smtp_security="starttls")
    with pytest.raises(GatewayError, match="STARTTLS"):
        connect_once(settings)


def test_missing_postal_address_refuses_to_send(plain_smtp_server: SmtpServer) -> None:
    settings = plain_smtp_server.settings(postal_address="")
    with pytest.raises(GatewayError, match="CAM_POSTAL_ADDRESS"):
        connect_once(settings)


def test_configured_needs_host_and_sender() -> None:
    assert not SmtpEmailSender(Settings(smtp_host="", mail_from="a@b.example")).configured
    assert not SmtpEmailSender(Settings(smtp_host="mx.example", mail_from="")).configured
    on = Settings(smtp_host="mx.example", mail_from="a@b.example")
    assert SmtpEmailSender(on).configured
    assert isinstance(build_gateways(on, []).email, SmtpEmailSender)
    assert isinstance(build_gateways(Settings(smtp_host=""), []).email, NoopEmailSender)


def test_a_server_that_never_answers_times_out(smtp_server: SmtpServer) -> None:
    # A socket that accepts connections but never sends the greeting.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = smtp_server.settings(smtp_port=silent.getsockname()[1], smtp_timeout=0.5)
        # Without the timeout this would wait forever (until pytest-timeout fails it).
        with pytest.raises(GatewayError, match="timed out"):
            connect_once(settings)


def test_a_long_paragraph_arrives_as_one_line(smtp_server: SmtpServer) -> None:
    paragraph = " ".join(["More qualified meetings without adding headcount."] * 6)
    email = outgoing("joe@example.com", text=f"Hi Joe,\n\n{paragraph}\n\nAna")
    with SmtpEmailSender(smtp_server.settings()).connect() as conn:
        conn.send(email)
    [mail] = smtp_server.handler.messages
    plain = mail.message.get_body(("plain",))
    assert plain is not None
    assert paragraph in plain.get_content().splitlines()
