"""Prospect text stays text in Slack: no ping, no disguised link, in blocks, fallback or dialog."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cam.core.db import SessionFactory
from cam.leads.importer import import_leads
from tests.cli.helpers import lead_emails, write_csv
from tests.e2e.seed import hot_lead_approval, linkedin_task
from tests.e2e.slack_client import RunningBot

ATTACK = "https://evil.example/p|Open the LinkedIn profile> <!channel> <https://evil.example/q"
HOSTILE_NAME = "<!here> Ada <https://evil.example/r|click> &"
# Slack's markup: a mention, a special ping, a date or a link, each `<...>` in mrkdwn.
MARKUP = re.compile(r"<([^<>]*)>")


def mrkdwn_texts(value: Any) -> list[str]:
    """Every string Slack reads as mrkdwn in a message: fallback, mrkdwn objects, dialogs."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for item in value.values():
            found += mrkdwn_texts(item)
    elif isinstance(value, list):
        for item in value:
            found += mrkdwn_texts(item)
    return found


def posted(bot: RunningBot) -> list[str]:
    """The fallback text and every mrkdwn text of each message posted so far."""
    texts: list[str] = []
    for call in bot.fake_slack.of("chat.postMessage"):
        blocks = call.params.get("blocks") or []
        texts.append(str(call.params["text"]))
        texts += mrkdwn_texts(json.loads(blocks) if isinstance(blocks, str) else blocks)
    return texts


def assert_no_foreign_markup(texts: list[str]) -> None:
    for text in texts:
        for inner in MARKUP.findall(text):
            assert not inner.startswith(("!channel", "!here", "!everyone")), text
            if inner.startswith(("http", "javascript")) or "|" in inner:
                host = urlsplit(inner.split("|")[0]).hostname or ""
                assert host == "linkedin.com" or host.endswith(".linkedin.com"), text


def test_a_crafted_linkedin_value_is_neither_a_ping_nor_a_link(bot: RunningBot) -> None:
    linkedin_task(bot, linkedin_url=ATTACK, first_name=HOSTILE_NAME)
    texts = posted(bot)
    assert texts and not any("evil.example" in t and "<http" in t for t in texts)
    assert_no_foreign_markup(texts)
    shown = "\n".join(texts)
    assert "not a LinkedIn link" in shown and "&lt;!here&gt; Ada" in shown
    assert bot.fake_slack.violations == []


def test_a_valid_profile_is_still_linked(bot: RunningBot) -> None:
    linkedin_task(bot, linkedin_url="https://de.linkedin.com/in/grace?trk=a&b=1")
    shown = "\n".join(posted(bot))
    assert "<https://de.linkedin.com/in/grace?trk=a&amp;b=1|Open the LinkedIn profile>" in shown


def test_lead_names_are_escaped_in_the_fallback_and_the_confirm_dialog(bot: RunningBot) -> None:
    hot_lead_approval(bot, first_name=HOSTILE_NAME, company="<!channel> Corp")
    [call] = bot.fake_slack.of("chat.postMessage")
    assert "&lt;!here&gt; Ada" in call.params["text"]
    texts = posted(bot)
    assert_no_foreign_markup(texts)
    dialogs = [t for t in texts if t.startswith("Escalate ")]
    assert dialogs and "&lt;!channel&gt; Corp" in dialogs[0]


def test_import_rejects_links_that_are_not_https_linkedin(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    rows = [
        ["Email", "LinkedIn"],
        ["a@acme.example", ATTACK],
        ["b@acme.example", "javascript:alert(1)//linkedin.com"],
        ["c@acme.example", "http://www.linkedin.com/in/c"],
        ["d@acme.example", "https://linkedin.com.evil.example/in/d"],
        ["e@acme.example", "www.linkedin.com/in/e"],
        ["f@acme.example", "https://fr.linkedin.com/in/f"],
    ]
    result = import_leads(sessions, write_csv(tmp_path / "leads.csv", rows))
    reasons = {error.line: error.reason for error in result.errors}
    assert (result.imported, result.invalid) == (2, 4)
    assert "characters a link cannot have" in reasons[2]
    assert "must be an https link, not javascript:" in reasons[3]
    assert "must be an https link, not http:" in reasons[4]
    assert "must point to linkedin.com, not linkedin.com.evil.example" in reasons[5]
    assert lead_emails(sessions) == ["e@acme.example", "f@acme.example"]
