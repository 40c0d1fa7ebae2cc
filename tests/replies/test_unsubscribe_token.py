"""Unsubscribe tokens: they name the address, and nothing else passes for one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cam.core.unsubscribe_tokens import make_token, read_token, unsubscribe_url

SECRET = "s3cret-for-tests"


def test_token_round_trip_normalizes_the_address() -> None:
    token = make_token(SECRET, "  Joe.Bloggs@Example.COM ")
    assert read_token(SECRET, token) == "joe.bloggs@example.com"
    assert make_token(SECRET, "joe.bloggs@example.com") == token


def test_token_is_url_safe() -> None:
    token = make_token(SECRET, "anne+sales@example.org")
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert unsubscribe_url("https://cam.example.com/", token) == (
        f"https://cam.example.com/unsubscribe/{token}"
    )


def test_another_secret_does_not_accept_the_token() -> None:
    token = make_token(SECRET, "joe@example.com")
    assert read_token("another-secret", token) is None
    assert read_token("", token) is None


def test_tokens_differ_per_address_and_per_secret() -> None:
    assert make_token(SECRET, "a@example.com") != make_token(SECRET, "b@example.com")
    assert make_token(SECRET, "a@example.com") != make_token("other", "a@example.com")


def test_swapping_the_address_breaks_the_token() -> None:
    mine = make_token(SECRET, "me@example.com")
    theirs = make_token(SECRET, "victim@example.com")
    forged = theirs.split(".")[0] + "." + mine.split(".")[1]
    assert read_token(SECRET, forged) is None


@pytest.mark.parametrize("position", [0, 5, -1, -5])
def test_any_changed_character_breaks_the_token(position: int) -> None:
    token = make_token(SECRET, "joe@example.com")
    chars = list(token)
    chars[position] = "A" if chars[position] != "A" else "B"
    assert read_token(SECRET, "".join(chars)) is None


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "abc", "abc.", ".abc", "a.b.c", "!!!.???", "%%%", "x" * 5000, "\x00.\x00", "é.é"],
)
def test_garbage_is_refused(garbage: str) -> None:
    assert read_token(SECRET, garbage) is None


def test_an_uppercase_payload_is_refused() -> None:
    # Only the normalized form is ever issued; anything else is a forgery attempt.
    import base64

    payload = base64.urlsafe_b64encode(b"JOE@example.com").rstrip(b"=").decode()
    signature = make_token(SECRET, "joe@example.com").split(".")[1]
    assert read_token(SECRET, f"{payload}.{signature}") is None


def test_making_a_token_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="CAM_SECRET_KEY"):
        make_token("", "joe@example.com")


@given(st.text(max_size=300))
def test_read_token_never_raises(text: str) -> None:
    assert read_token(SECRET, text) is None
