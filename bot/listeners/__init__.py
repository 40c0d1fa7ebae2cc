"""Every route of the Slack app, registered in one place."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, files, home, restore, triage


def register(app: App) -> None:
    commands.register(app)
    actions.register(app)
    home.register(app)
    files.register(app)
    triage.register(app)
    restore.register(app)
