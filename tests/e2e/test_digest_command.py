"""`/cam digest` over HTTP, as Slack sends it: anyone may ask; asked in the report channel the
digest lands there with its chart in the thread, once however many ask at once; asked
elsewhere it is shown to whoever asked and the channel gets nothing."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from cam.core.models import DigestRun
from cam.digest.chart import HEIGHT_PX, WIDTH_PX
from tests.e2e.slack_client import OUTSIDER, REPORT_CHANNEL, RunningBot, shown
from tests.fakes.slack_api import Call


def test_anyone_gets_the_digest_posted_with_its_chart(bot):
    reply = bot.slack.command(
        "digest", user=OUTSIDER, channel=REPORT_CHANNEL, response_url=bot.fake_slack.response_url()
    )
    assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    assert "the digest will be posted" in reply.json["text"]
    bot.settle()

    (post,) = [c for c in bot.fake_slack.of("chat.postMessage") if "CAM digest" in shown(c.params)]
    assert post.params["channel"] == REPORT_CHANNEL
    assert "Nothing waits for people" in shown(post.params)
    (complete,) = bot.fake_slack.of("files.completeUploadExternal")
    assert complete.params["channel_id"] == REPORT_CHANNEL and complete.params["thread_ts"]
    (png,) = bot.fake_slack.uploads.values()
    assert Image.open(io.BytesIO(png)).size == (WIDTH_PX, HEIGHT_PX)
    with bot.sessions() as session:
        (run,) = session.scalars(select(DigestRun)).all()
    assert (run.slot, run.trigger, run.kind) == (None, f"slack:{OUTSIDER}", "daily")
    assert bot.fake_slack.violations == []


def test_the_week_in_review_on_demand_and_a_wrong_word(bot):
    assert "takes `week` or nothing" in bot.slack.command("digest monthly").json["text"]
    bot.slack.command(
        "digest week", channel=REPORT_CHANNEL, response_url=bot.fake_slack.response_url()
    )
    bot.settle()
    texts = [shown(c.params) for c in bot.fake_slack.of("chat.postMessage")]
    assert any("CAM week in review" in text for text in texts)


def _channel_posts(bot: RunningBot) -> list[Call]:
    return [
        *bot.fake_slack.of("chat.postMessage"),
        *bot.fake_slack.of("files.completeUploadExternal"),
    ]


def test_a_digest_asked_elsewhere_is_shown_to_the_asker_only(bot: RunningBot) -> None:
    for n in range(25):
        url = bot.fake_slack.response_url(f"r{n}")
        reply = bot.slack.command("digest week", user=OUTSIDER, response_url=url)
        assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    bot.settle()
    assert _channel_posts(bot) == []
    answers = bot.fake_slack.of("response_url")
    assert len(answers) == 25
    assert all(a.params["response_type"] == "ephemeral" for a in answers)
    assert all("CAM week in review" in shown(a.params) for a in answers)
    with bot.sessions() as session:
        assert session.scalars(select(DigestRun)).all() == []


def test_a_flood_in_the_report_channel_posts_one_digest_with_a_link_for_the_rest(
    bot: RunningBot,
) -> None:
    replies = [
        bot.slack.command(
            "digest week",
            user=OUTSIDER,
            channel=REPORT_CHANNEL,
            response_url=bot.fake_slack.response_url(f"r{n}"),
        )
        for n in range(25)
    ]
    bot.settle()
    assert all(r.status == 200 and r.json["response_type"] == "ephemeral" for r in replies)
    posts = [c for c in bot.fake_slack.of("chat.postMessage") if "CAM week" in shown(c.params)]
    assert len(posts) == 1 and posts[0].params["channel"] == REPORT_CHANNEL
    assert len(bot.fake_slack.of("files.completeUploadExternal")) == 1
    just_posted = [
        r for r in replies if "posted in" in r.json["text"] and "a moment ago" in r.json["text"]
    ]
    assert len(just_posted) == 24
    with bot.sessions() as session:
        assert len(session.scalars(select(DigestRun)).all()) == 1
    # Asked once it is there, the answer links to it.
    bot.slack.command(
        "digest week", channel=REPORT_CHANNEL, response_url=bot.fake_slack.response_url("late")
    )
    bot.settle()
    linked = bot.fake_slack.of("response_url")[-1]
    assert "latest digest" in linked.params["text"]
    assert f"https://acme.slack.com/archives/{REPORT_CHANNEL}/p" in linked.params["text"]
    assert len(bot.fake_slack.of("files.completeUploadExternal")) == 1, "nothing posted again"
