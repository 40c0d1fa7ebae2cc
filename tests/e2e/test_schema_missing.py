"""A table missing under a running bot is named as such, not as an unreachable database."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.slack_client import OUTSIDER


def test_status_with_a_missing_table_says_to_upgrade(start_bot, engine):
    bot = start_bot()
    with engine.begin() as conn:
        conn.execute(
            text(
                "DROP TABLE cycle_runs CASCADE"
                if conn.dialect.name == "postgresql"
                else "DROP TABLE cycle_runs"
            )
        )
    reply = bot.slack.command("status", user=OUTSIDER)
    assert reply.status == 200
    assert reply.json["text"] == (
        "Not done: CAM's database has no tables for this version yet. An admin runs "
        "`cam db upgrade`."
    )
