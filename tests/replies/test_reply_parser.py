"""The reply parser on odd mail, and a fuzz test: parser and classifier never raise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cam.core.models import ReplyClass
from cam.core.settings import DATA_DIR
from cam.replies.mail_text import MAX_TEXT_CHARS
from cam.replies.parser import MAX_RAW_BYTES, parse_reply, synthetic_message_id
from cam.replies.rules import classify, load_rules
from tests.replies.reply_corpus import EXPECTED, TODAY, raw

RULES = load_rules(DATA_DIR / "replies.toml")
CORPUS_BYTES = [raw(e.file) for e in EXPECTED]


def test_headers_are_decoded_and_the_sender_lowercased() -> None:
    parsed = parse_reply(raw("latin1_interested.eml"))
    assert parsed.from_address == "jose.martinez@initrode.example"
    assert parsed.subject == "Re: Précision de préparation"
    assert "José Martínez" in parsed.text
    assert parsed.parse_note is None


def test_windows_1252_text_is_decoded() -> None:
    parsed = parse_reply(raw("cp1252_not_interested.eml"))
    assert "we\u2019re not interested" in parsed.text
    assert "€" in parsed.text


def test_an_unknown_charset_falls_back_and_says_so() -> None:
    parsed = parse_reply(raw("unknown_charset_question.eml"))
    assert "Zażółć gęślą jaźń" in parsed.text
    assert parsed.parse_note is not None and "unknown charset 'x-mac-klingon'" in parsed.parse_note


def test_a_lying_charset_does_not_break_decoding() -> None:
    message = (
        b"From: a@x.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nna\xefve caf\xe9\r\n"
    )
    parsed = parse_reply(message)
    assert parsed.text.strip() == "naïve café"
    assert parsed.parse_note is not None and "not valid utf-8" in parsed.parse_note


def test_broken_mime_is_read_as_text_with_a_note() -> None:
    parsed = parse_reply(raw("broken_mime_unsubscribe.eml"))
    assert "Please unsubscribe me" in parsed.text
    assert "boundary" not in parsed.text
    assert parsed.parse_note is not None and "MIME structure unreadable" in parsed.parse_note


def test_html_only_is_stripped_to_text() -> None:
    message = (
        b"From: a@x.example\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Let&#39;s talk</p>"
        b"<script>alert(1)</script><p>Tuesday&nbsp;works</p></body></html>"
    )
    parsed = parse_reply(message)
    assert parsed.text == "Let's talk\nTuesday works"
    assert classify(parsed, RULES, today=TODAY).kind is ReplyClass.interested


def test_missing_headers_give_a_stable_id_and_notes() -> None:
    message = b"\r\nhello"
    first, second = parse_reply(message), parse_reply(message)
    assert first.message_id == second.message_id == synthetic_message_id(message)
    assert first.parse_note is not None
    assert "no Message-ID" in first.parse_note and "no sender address" in first.parse_note


def test_huge_messages_are_capped() -> None:
    body = b"We are interested. Please call me. " + b"x" * (MAX_RAW_BYTES + 10_000)
    parsed = parse_reply(b"From: a@x.example\r\nSubject: hi\r\n\r\n" + body)
    assert len(parsed.text) <= MAX_TEXT_CHARS
    assert parsed.parse_note is not None and "truncated" in parsed.parse_note
    assert classify(parsed, RULES, today=TODAY).kind is ReplyClass.interested


def test_threading_headers() -> None:
    parsed = parse_reply(raw("not_interested.eml"))
    assert parsed.references == ("<cam.102.1@acme.example>", "<cam.102.2@acme.example>")
    # The latest reference is tried first.
    assert parsed.thread_ids[0] == "<cam.102.2@acme.example>"
    assert parsed.new_text.endswith("Li Wei")


def _check(message: bytes) -> None:
    parsed = parse_reply(message)
    assert parsed.message_id
    verdict = classify(parsed, RULES, today=TODAY)
    assert verdict.kind in ReplyClass
    assert verdict.matched_rule
    # The last-resort handlers catch bugs; reaching them is a failure of this test.
    assert "unparseable message" not in (parsed.parse_note or "")
    assert not verdict.matched_rule.startswith("classification failed")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_fuzz_arbitrary_bytes(message: bytes) -> None:
    _check(message)


_HEADER_NAMES = [
    "From", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
    "Content-Transfer-Encoding", "Auto-Submitted", "Date", "MIME-Version",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_HEADER_NAMES), st.binary(max_size=80)), max_size=8),
    st.binary(max_size=2000),
)
def test_fuzz_header_shaped_bytes(headers: list[tuple[str, bytes]], body: bytes) -> None:
    head = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
    _check(head + b"\r\n" + body)


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    message = bytearray(draw(st.sampled_from(CORPUS_BYTES)))
    for _ in range(draw(st.integers(1, 12))):
        if not message:
            break
        at = draw(st.integers(0, len(message) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if action == "flip":
            message[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del message[at : at + draw(st.integers(1, 200))]
        elif action == "insert":
            message[at:at] = draw(
                st.sampled_from(
                    [b"\r\n", b"--", b"=?utf-8?B?", b"\x00", b"\xff\xfe", b"; charset=x-bogus",
                     b"Content-Type: multipart/mixed; boundary=", b"=\r\n", b"<", b">"]
                )
            )  # fmt: skip
        else:
            del message[at:]
    return bytes(message)


@settings(max_examples=400, deadline=None)
@given(_mutated())
def test_fuzz_mutated_corpus(message: bytes) -> None:
    _check(message)


def _date_as_the_email_package_reads_it(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
    st.sampled_from(["{}", "Mon, {}"]),
    st.booleans(),
)
def test_a_date_reads_as_the_email_package_reads_it(
    when: datetime, minutes: int, shape: str, leap_second: bool
) -> None:
    zone = timezone(timedelta(minutes=minutes))
    written = format_datetime(when.replace(tzinfo=zone, microsecond=0))
    if leap_second:
        written = written[:23] + "60" + written[25:]
    for value in (written, written.split(", ", 1)[1], shape.format(written.split(", ", 1)[1])):
        message = f"Message-ID: <d@x>\r\nDate: {value}\r\n\r\nhello\r\n".encode()
        assert parse_reply(message).date == _date_as_the_email_package_reads_it(value), value


def test_an_unknown_zone_is_read_as_utc() -> None:
    message = b"Message-ID: <d@x>\r\nDate: Wed, 04 Nov 2026 09:30:00 -0000\r\n\r\nhello\r\n"
    assert parse_reply(message).date == datetime(2026, 11, 4, 9, 30, tzinfo=UTC)
