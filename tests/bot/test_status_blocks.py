"""The reply-reading lines of `/cam status` stay within Slack's limits with many mailboxes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks.common import MAX_BLOCKS, MAX_SECTION, to_dicts
from bot.blocks.status import MAX_MAILBOXES_SHOWN, Status, status_blocks
from cam.core.models import MailboxWatch, WatchMode

AT = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)


def test_many_mailboxes_get_a_line_each_escaped_within_the_limits() -> None:
    watches = [
        MailboxWatch(
            mailbox=f"imap://{n:02d}<!channel>&" + "<" * 200,
            mode=WatchMode.polling,
            holder="cam@host:1",
            last_read_at=AT,
            last_error="<!here> " + "&" * 1000,
        )
        for n in range(MAX_MAILBOXES_SHOWN + 5)
    ]
    status = Status(dry_run=False, paused=False, next_run=None, last_run=None, replies=watches)
    blocks = to_dicts(status_blocks(status))
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    lines = [line for text in texts for line in text.split("\n") if line.startswith("• imap://")]
    assert [line[9:11] for line in lines] == [f"{n:02d}" for n in range(MAX_MAILBOXES_SHOWN)]
    assert all(line.endswith("…") and ":warning: &lt;!here&gt; &amp;" in line for line in lines)
    assert any(text.endswith("_and 5 more_") for text in texts)
    assert all(len(text) <= MAX_SECTION for text in texts) and len(blocks) <= MAX_BLOCKS
    shown = json.dumps(blocks)
    assert "<!channel>" not in shown and "<!here>" not in shown
    assert "*Replies*\\n15 mailboxes, each below" in shown
