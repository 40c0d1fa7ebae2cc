"""Every route of the Slack app, registered in one place."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import (
    actions,
    answer_later,
    commands,
    files,
    home,
    referrals,
    reply_answers,
    restore,
    triage,
)


def register(app: App) -> None:
    commands.register(app)
    actions.register(app)
    home.register(app)
    files.register(app)
    triage.register(app)
    reply_answers.register(app)
    answer_later.register(app)
    restore.register(app)
    referrals.register(app)
