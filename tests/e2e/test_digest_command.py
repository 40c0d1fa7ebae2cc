"""`/cam digest` over HTTP, as Slack sends it: anyone may ask, and the digest lands in the
report channel with its chart in the thread."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from cam.core.models import DigestRun
from cam.digest.chart import HEIGHT_PX, WIDTH_PX
from tests.e2e.slack_client import OUTSIDER, REPORT_CHANNEL, shown


def test_anyone_gets_the_digest_posted_with_its_chart(bot):
    reply = bot.slack.command("digest", user=OUTSIDER, response_url=bot.fake_slack.response_url())
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
    bot.slack.command("digest week", response_url=bot.fake_slack.response_url())
    bot.settle()
    texts = [shown(c.params) for c in bot.fake_slack.of("chat.postMessage")]
    assert any("CAM week in review" in text for text in texts)
