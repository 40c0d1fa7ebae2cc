"""Leads from a CSV shared in the report channel: imported as the CLI imports them, answered in
the file's thread; oversized, binary and foreign files refused with nothing imported."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from bot.event_payloads import LeadsImportRefused
from bot.shared_files import may_receive_token
from cam.cli import app as cli
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Event, Lead
from cam.leads.event_payloads import LeadsImported
from tests.e2e.slack_client import (
    APPROVER,
    OUTSIDER,
    REPORT_CHANNEL,
    RunningBot,
    blocks_of,
    shown,
)
from tests.fakes.slack_api import Call

NAME = "Q3 <!here> prospects.csv"
ROWS = [
    "Email;First Name;Company;Title;Timezone",
    "ada@acme.example;Ada;Acme;CTO;Europe/London",
    "grace@navy.example;Grace;Navy;VP Engineering;",
    "<!channel>@bad;Mallory;Evil;CEO;",
    "ADA@ACME.EXAMPLE;Ada;Acme;CTO;",
    "linus@kernel.example;Linus;Kernel;Founder;Mars/Olympus",
    "ken@bell.example;Ken;Bell;Researcher;America/New_York",
]
CSV = ("\r\n".join(ROWS) + "\r\n").encode("utf-8")
LEAD_FIELDS = [
    c.key for c in Lead.__table__.columns if c.key not in ("id", "created_at", "updated_at")
]


def file_shared(file: dict[str, Any], user: str) -> dict[str, Any]:
    """The `file_shared` event Slack sends when `user` shares `file` in its channel."""
    return {
        "type": "file_shared",
        "channel_id": file["channels"][0],
        "file_id": file["id"],
        "user_id": user,
        "file": {"id": file["id"]},
        "event_ts": "1700000000.000100",
    }


def share(
    bot: RunningBot, content: bytes = CSV, *, name: str = NAME, **options: Any
) -> dict[str, Any]:
    """Share a file in the report channel as OUTSIDER and deliver its event; wait for the work."""
    user = options.pop("user", OUTSIDER)
    channel = options.pop("channel", REPORT_CHANNEL)
    file = bot.fake_slack.share_file(name, content, user=user, channel=channel, **options)
    reply = bot.slack.event(file_shared(file, user))
    assert reply.status == 200
    bot.settle()
    return file


def lead_rows(sessions: SessionFactory) -> list[tuple[Any, ...]]:
    with unit_of_work(sessions) as session:
        leads = session.scalars(select(Lead).order_by(Lead.email)).all()
        return [tuple(getattr(lead, name) for name in LEAD_FIELDS) for lead in leads]


def thread_posts(bot: RunningBot, file: dict[str, Any]) -> list[Call]:
    ts = file["shares"]["public"][REPORT_CHANNEL][0]["ts"]
    return [c for c in bot.fake_slack.of("chat.postMessage") if c.params.get("thread_ts") == ts]


def recorded(sessions: SessionFactory, name: str) -> list[dict[str, Any]]:
    with unit_of_work(sessions) as session:
        found = session.scalars(select(Event).where(Event.name == name).order_by(Event.id))
        return [dict(event.details) for event in found]


def test_a_shared_csv_is_imported_as_the_cli_imports_it(
    bot: RunningBot, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = share(bot)

    [answer] = thread_posts(bot, file)
    text = shown(blocks_of(answer))
    assert f"<@{OUTSIDER}> imported *Q3 &lt;!here&gt; prospects.csv*" in text
    assert "6 rows: *3 new leads*, 0 already known, 1 duplicates in the file, 2 invalid" in text
    assert "Line 4: invalid email '&lt;!channel&gt;@bad'" in text
    assert "Line 5: duplicate of line 2 (ada@acme.example)" in text
    assert "Line 6: unknown time zone 'Mars/Olympus'" in text
    assert "<!here>" not in shown(answer.params) and "<!channel>" not in shown(answer.params)
    assert "Separator: semicolon" in text
    [upload] = bot.fake_slack.of("files.completeUploadExternal")
    assert upload.params["thread_ts"] == file["shares"]["public"][REPORT_CHANNEL][0]["ts"]
    assert upload.params["channel_id"] == REPORT_CHANNEL
    [download] = bot.fake_slack.of("download")
    assert (
        download.headers["Authorization"]
        == f"Bearer {bot.settings.slack_bot_token.get_secret_value()}"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(file["url_private_download"], timeout=5)
    assert refused.value.code == 401, "the file is served to the bot's token only"
    [event] = recorded(bot.sessions, LeadsImported.name)
    assert event["by"] == OUTSIDER and event["file"] == NAME and event["imported"] == 3
    from_slack = lead_rows(bot.sessions)
    assert len(from_slack) == 3
    [uploaded] = bot.fake_slack.uploads.values()

    # The same file through `cam leads import`, into the same database emptied of its leads.
    with unit_of_work(bot.sessions) as session:
        session.execute(delete(Lead))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / NAME
    path.write_bytes(CSV)
    run = CliRunner().invoke(cli, ["leads", "import", str(path)], env={"DATABASE_URL": db_url})
    assert run.exit_code == 0, run.output
    assert lead_rows(bot.sessions) == from_slack
    assert (tmp_path / "Q3 <!here> prospects-errors.csv").read_bytes() == uploaded


def test_a_second_upload_of_the_same_file_adds_nothing(bot: RunningBot) -> None:
    share(bot)
    before = lead_rows(bot.sessions)
    again = share(bot, user=APPROVER)
    [answer] = thread_posts(bot, again)
    assert "*0 new leads*, 3 already known" in shown(blocks_of(answer))
    assert lead_rows(bot.sessions) == before
    assert [e["by"] for e in recorded(bot.sessions, LeadsImported.name)] == [OUTSIDER, APPROVER]


@pytest.mark.parametrize(
    ("content", "options", "why"),
    [
        (CSV, {"size": 60 * 1024 * 1024}, "it is 60.0 MB; the limit is 50.0 MB"),
        (b"email\n\x00\x01\x02\x03binary", {}, "it is binary data (NUL bytes), not text"),
        (b"PK\x03\x04" + bytes(200), {}, "it is a zip archive (an Excel .xlsx workbook is one)"),
        (
            CSV,
            {"name": "leads.xlsx", "mimetype": "application/vnd.ms-excel", "filetype": "xlsx"},
            "it is a spreadsheet workbook, not a CSV",
        ),
        (CSV, {"mimetype": "image/png"}, "Slack reads it as image/png, not as text"),
    ],
)
def test_an_oversized_binary_or_foreign_file_is_refused_and_nothing_imported(
    bot: RunningBot, content: bytes, options: dict[str, Any], why: str
) -> None:
    file = share(bot, content, **options)
    [answer] = thread_posts(bot, file)
    assert why in shown(blocks_of(answer))
    assert "Nothing was imported." in shown(blocks_of(answer))
    assert lead_rows(bot.sessions) == []
    assert recorded(bot.sessions, LeadsImported.name) == []
    [refused] = recorded(bot.sessions, LeadsImportRefused.name)
    assert refused["by"] == OUTSIDER and why in refused["reason"]
    assert not bot.fake_slack.of("files.completeUploadExternal")
    if "size" in options or "mimetype" in options:
        assert not bot.fake_slack.of("download"), "refused before downloading"


def test_the_event_is_acked_before_slack_is_asked_about_the_file(bot: RunningBot) -> None:
    # Slack's files.info answers only once the test lets it (or after a minute): an ack that
    # waited for it would outlast the client's 30 s timeout.
    gate = threading.Event()
    bot.fake_slack.fail("files.info", 200, hold=gate)
    file = bot.fake_slack.share_file(NAME, CSV, user=OUTSIDER, channel=REPORT_CHANNEL)
    try:
        reply = bot.slack.event(file_shared(file, OUTSIDER))
        assert reply.status == 200
        assert not bot.fake_slack.of("download")
    finally:
        gate.set()
    bot.settle()
    assert len(lead_rows(bot.sessions)) == 3


def test_files_elsewhere_pictures_and_the_bots_own_uploads_are_let_be(bot: RunningBot) -> None:
    share(bot, channel="C0GENERAL")
    share(bot, b"\x89PNG\r\n", name="screenshot.png", mimetype="image/png", filetype="png")
    share(bot, user="UBOT")
    assert not bot.fake_slack.of("chat.postMessage")
    assert not bot.fake_slack.of("download")
    assert lead_rows(bot.sessions) == []


def test_cam_import_explains_and_imports_again_the_callers_latest_csv(bot: RunningBot) -> None:
    elsewhere = bot.slack.command("import", user=OUTSIDER)
    assert elsewhere.json["response_type"] == "ephemeral"
    assert f"works in <#{REPORT_CHANNEL}> only" in elsewhere.json["text"]
    assert "upload a CSV file into" in elsewhere.json["text"]
    assert not bot.fake_slack.of("files.list")

    url = bot.fake_slack.response_url("import")
    nothing = bot.slack.command("import", user=OUTSIDER, channel=REPORT_CHANNEL, response_url=url)
    assert "Importing again the last CSV you shared here" in nothing.json["text"]
    bot.settle()
    [told] = bot.fake_slack.of("response_url")
    assert "You have not shared a CSV" in told.params["text"]

    # Shared while the bot was away: no event came, so nothing was imported yet.
    file = bot.fake_slack.share_file(NAME, CSV, user=OUTSIDER, channel=REPORT_CHANNEL)
    bot.fake_slack.share_file("other.csv", CSV, user=APPROVER, channel=REPORT_CHANNEL)
    bot.slack.command("import", user=OUTSIDER, channel=REPORT_CHANNEL, response_url=url)
    bot.settle()
    [answer] = thread_posts(bot, file)
    assert "*3 new leads*" in shown(blocks_of(answer))
    told = bot.fake_slack.of("response_url")[-1].params["text"]
    assert "the answer is in the thread of Q3 &lt;!here&gt; prospects.csv" in told
    assert len(lead_rows(bot.sessions)) == 3


def test_the_token_goes_to_slack_only() -> None:
    api = "https://slack.com/api/"
    assert may_receive_token("https://files.slack.com/files-pri/T1-F1/download/a.csv", api)
    assert not may_receive_token("http://files.slack.com/files-pri/T1-F1/download/a.csv", api)
    assert not may_receive_token("https://files.slack.com.evil.example/a.csv", api)
    assert not may_receive_token("https://evil.example/?x=.slack.com", api)
    assert may_receive_token("http://127.0.0.1:8080/files-pri/x", "http://127.0.0.1:8080/api/")
    assert not may_receive_token("http://127.0.0.1:9999/files-pri/x", "http://127.0.0.1:8080/api/")


def test_the_answer_escapes_every_shown_name(bot: RunningBot) -> None:
    file = share(bot, b"name\nno email column\n", name="<@U123> & <https://x.example|y>.csv")
    [answer] = thread_posts(bot, file)
    payload = json.dumps(answer.params)
    assert "&lt;@U123&gt; &amp; &lt;https://x.example|y&gt;.csv" in payload
    assert "<@U123>" not in payload and "<https://x.example" not in payload
    assert "no email column" in shown(blocks_of(answer))


def test_a_redelivered_file_shared_event_downloads_and_answers_once(bot: RunningBot) -> None:
    file = bot.fake_slack.share_file(NAME, CSV, user=OUTSIDER, channel=REPORT_CHANNEL)
    event = file_shared(file, OUTSIDER)
    stamp = int(time.time())
    assert bot.slack.event(event, event_id="Ev0REDELIVERED", timestamp=stamp).status == 200
    # Slack's retry: signed afresh (a later timestamp), same event_id; any instance may get it.
    retry = bot.slack.event(
        event, event_id="Ev0REDELIVERED", timestamp=stamp + 1, headers={"X-Slack-Retry-Num": "1"}
    )
    assert retry.status == 200
    bot.settle()

    assert len(bot.fake_slack.of("download")) == 1
    assert len(thread_posts(bot, file)) == 1
    assert len(recorded(bot.sessions, LeadsImported.name)) == 1
    # Another event for the same file (a new share) is a new delivery: answered again.
    share(bot)
    assert len(bot.fake_slack.of("download")) == 2


def test_cam_import_map_imports_the_latest_csv_again_with_a_column_named(bot: RunningBot) -> None:
    german = "Kontakt;Vorname;Firma;Mitarbeiter\r\nanna@weiss.example;Anna;Weiß;1.200\r\n"
    file = share(bot, german.encode("cp1252"), name="kontakte.csv")
    [refused] = thread_posts(bot, file)
    assert "no email column" in shown(blocks_of(refused))
    assert "--map" in shown(blocks_of(refused))

    url = bot.fake_slack.response_url("import")
    bad = bot.slack.command("import map Kontakt", user=OUTSIDER, channel=REPORT_CHANNEL)
    assert "expected Column=field" in bad.json["text"]
    bot.slack.command(
        "import map Kontakt=email", user=OUTSIDER, channel=REPORT_CHANNEL, response_url=url
    )
    bot.settle()
    [_, answer] = thread_posts(bot, file)
    text = shown(blocks_of(answer))
    assert "*1 new leads*" in text
    assert "Kontakt -&gt; email, Vorname -&gt; first_name, Firma -&gt; company" in text
    with unit_of_work(bot.sessions) as session:
        anna = session.scalars(select(Lead)).one()
        assert (anna.email, anna.company, anna.custom_fields) == (
            "anna@weiss.example",
            "Weiß",
            {"employees": "1200"},
        )
