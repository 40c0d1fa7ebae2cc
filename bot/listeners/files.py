"""Files shared in the report channel: every CSV there is imported as leads, after the ack.

`file_shared` (scope `files:read`) names the file and who shared it; the bot's own uploads (the
errors CSV, the digest chart) are dropped by Bolt before they get here, as its own events. A
redelivered event (Slack's retry) is dropped by its `event_id` in the worker, so a file is
downloaded and answered once.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import event_dedupe, lead_import
from bot.deps import Deps
from bot.errors import user_message


def register(app: App) -> None:
    app.event("file_shared")(file_shared)


def file_shared(ack: Ack, body: dict[str, Any], event: dict[str, Any], deps: Deps) -> None:
    ack()
    channel = deps.settings.report_channel
    file_id, user = str(event.get("file_id") or ""), str(event.get("user_id") or "")
    if event.get("channel_id") != channel or not file_id or not user:
        return
    event_id = str(body.get("event_id") or "")

    def work() -> None:
        if event_dedupe.first_delivery(deps.session_factory, event_id, deps.clock()):
            lead_import.import_shared_file(deps, file_id=file_id, by=user)

    deps.worker.submit(
        "import",
        work,
        on_error=lambda error: deps.client.chat_postEphemeral(
            channel=channel, user=user, text=user_message(error)
        ),
    )
