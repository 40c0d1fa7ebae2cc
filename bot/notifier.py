"""Deliver the engine's notifications to Slack, in order, retried until Slack takes them.

The engine only writes `Notification` rows; this posts them oldest first. Each row is claimed by
a conditional UPDATE (attempts bumped, next attempt pushed past the claim time) in its own
committed transaction before the post, so two instances never post the same row, and no
database lock is held while Slack is called. A post that fails for a passing reason (429, 5xx,
timeout, channel not reachable yet) leaves the row pending with a backoff and stops the pass, so
later rows wait and order is kept; nothing is lost while Slack is down. A message Slack rejects
as malformed is marked failed and the pass goes on, so one bad row cannot block the rest.

A digest's chart is a row of its own, queued once the digest is posted and uploaded into its
thread. When Slack refuses the upload (no `files:write` yet, a failed transfer), a note that the
chart is missing goes into the thread instead, so a chart never holds up later rows.

Every post carries the row's id in its message metadata. A post whose answer is lost (a
timeout after Slack accepted it, a crash before our commit) is looked for by that key in the
channel's history (or the thread's) before the row is posted again: a slow Slack gives one
message, not one per retry. If even the look fails, the row waits: never re-posted blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot import earlier_posts
from bot.blocks.common import SlackPost
from bot.blocks.digest import chart_missing_post
from bot.listeners import card_messages
from bot.live_config import LiveConfig
from bot.render import render_notification
from bot.settings import BotSettings
from bot.signing import signer_of
from bot.slack_outcome import MALFORMED, PostOutcome, error_code, retry_after, upload_error
from cam.core.backoff import Backoff
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import Notification, NotificationStatus, NotificationTopic, utcnow
from cam.core.notices import (
    DigestPayload,
    ReplyCardPayload,
    ScheduledAnswerPayload,
    ThreadReplyPayload,
    notice,
    payload_of,
)
from cam.core.report import describe
from cam.digest import runs as digest_runs
from cam.digest.model import Digest
from cam.replies import speed

log = logging.getLogger(__name__)


MAX_RENDER_ATTEMPTS = 5
_THREAD_ONLY = (NotificationTopic.thread_reply, NotificationTopic.scheduled_answer)


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    post: SlackPost | None
    thread_ts: str | None
    created_at: datetime | None = None
    render_error: str | None = None
    chart: Digest | None = None
    answer_id: int | None = None


def notifier_client(settings: BotSettings, timeout: int = 10) -> WebClient:
    """Return a Web API client without built-in retries: the notifier's backoff is the only one,
    so a post never outlives its claim by sleeping through Retry-After inside the client."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[],
    )


class Notifier:
    """Post pending notifications to the report channel; see the module docstring."""

    def __init__(
        self,
        client: WebClient,
        session_factory: SessionFactory,
        settings: BotSettings,
        *,
        config: LiveConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        base_delay: timedelta = timedelta(seconds=5),
        max_delay: timedelta = timedelta(minutes=15),
        claim_ttl: timedelta = timedelta(minutes=2),
    ) -> None:
        self.client = client
        self.session_factory = session_factory
        self.channel = settings.report_channel
        # The key a post carries: this deployment's name and the row's id.
        self.deployment = settings.instance_name
        self.clock = clock
        self.backoff = Backoff(first=base_delay.total_seconds(), cap=max_delay.total_seconds())
        # Longer than any single post can take (the client's timeout), so a live claim holds.
        self.claim_ttl = claim_ttl
        # The workspace's address (from auth.test) for links to messages; "" when unknown.
        self._workspace_url: str | None = None
        # What the files say (whom a lead's cards mention: its mailbox's owner); else read here.
        self.config = config if config is not None else LiveConfig(settings)
        self.signer = signer_of(settings)

    def deliver_pending(self) -> int:
        """Post due notifications in id order until none is left or one cannot go; return the
        number posted."""
        delivered = 0
        while True:
            claimed = self._claim_next()
            if claimed is None:
                return delivered
            if claimed.render_error is not None:
                # Perhaps the database blinked; after a few tries it is this row, so let it go.
                permanent = claimed.attempts >= MAX_RENDER_ATTEMPTS
                self._finish(claimed, PostOutcome(error=claimed.render_error, permanent=permanent))
                if permanent:
                    continue
                return delivered
            if claimed.chart is not None and claimed.thread_ts is not None:
                outcome = self._upload_chart(claimed.chart, claimed.thread_ts)
                self._finish(claimed, outcome)
                if outcome.retry:
                    return delivered
                delivered += outcome.error is None
                continue
            if claimed.post is None:
                self._finish(claimed, PostOutcome())
                continue
            earlier = self._earlier_post(claimed) if claimed.attempts > 1 else None
            outcome = earlier or self._post(claimed.id, claimed.post, claimed.thread_ts)
            self._finish(claimed, outcome)
            if outcome.retry:
                return delivered
            if outcome.error is None:
                delivered += 1
                if claimed.answer_id is not None:
                    # Once the news of an answer is in its card's thread, the card shows it too.
                    card_messages.show_answer(
                        self.client,
                        self.session_factory,
                        self.signer,
                        self.config.owners,
                        claimed.answer_id,
                    )

    def _claim_next(self) -> _Claimed | None:
        """Claim the oldest pending row if it is due; None when there is none or it must wait."""
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            row = session.scalars(
                select(Notification)
                .where(Notification.status == NotificationStatus.pending)
                .order_by(Notification.id)
                .limit(1)
            ).first()
            if row is None or (row.next_attempt_at is not None and row.next_attempt_at > now):
                return None
            won = session.execute(
                update(Notification)
                .where(
                    Notification.id == row.id,
                    Notification.status == NotificationStatus.pending,
                    Notification.attempts == row.attempts,
                    or_(
                        Notification.next_attempt_at.is_(None),
                        Notification.next_attempt_at <= now,
                    ),
                )
                .values(attempts=row.attempts + 1, next_attempt_at=now + self.claim_ttl)
                .returning(Notification.id)
                .execution_options(synchronize_session=False)
            ).first()
            if won is None:
                return None  # another instance claimed it first
            try:
                with session.begin_nested():
                    # The chart of a posted digest, uploaded into its thread.
                    if row.topic == NotificationTopic.digest_chart:
                        chart, thread_ts = self._chart_of(session, row)
                        return _Claimed(row.id, row.attempts + 1, None, thread_ts, chart=chart)
                    post, thread_ts = self._render(session, row)
            except Exception as exc:
                log.exception("notification %s cannot be rendered", row.id)
                problem = f"cannot render: {describe(exc)}"
                return _Claimed(row.id, row.attempts + 1, None, None, render_error=problem)
            news = row.topic == NotificationTopic.scheduled_answer and post is not None
            answer = payload_of(row, ScheduledAnswerPayload).answer_id if news else None
            return _Claimed(
                row.id, row.attempts + 1, post, thread_ts, row.created_at, answer_id=answer
            )

    def _render(self, session: Session, row: Notification) -> tuple[SlackPost | None, str | None]:
        if row.topic == NotificationTopic.digest:
            post = render_notification(
                session, row, signer=self.signer, workspace_url=self._workspace()
            )
            return post, None
        # Later replies and answers' news go in the card's thread; `_THREAD_ONLY` nowhere else.
        parent = session.get(Notification, row.parent_id) if row.parent_id else None
        thread_ts = parent.external_id if parent is not None else None
        if row.topic in _THREAD_ONLY and thread_ts is None:
            return None, None
        if row.topic == NotificationTopic.thread_reply:
            payload = payload_of(row, ThreadReplyPayload)
            return SlackPost(text=payload.text, blocks=payload.blocks), thread_ts
        owners = self.config.owners
        return render_notification(session, row, signer=self.signer, owners=owners), thread_ts

    def _earlier_post(self, claimed: _Claimed) -> PostOutcome | None:
        """The message an earlier attempt posted though its answer was lost (see the module
        docstring); None if there is none."""
        return earlier_posts.find(
            self.client,
            self.channel,
            deployment=self.deployment,
            row_id=claimed.id,
            thread_ts=claimed.thread_ts,
            created=claimed.created_at or self.clock(),
        )

    def _post(self, row_id: int, post: SlackPost, thread_ts: str | None) -> PostOutcome:
        try:
            response = self.client.chat_postMessage(
                channel=self.channel,
                text=post.text,
                blocks=post.blocks,
                thread_ts=thread_ts,
                metadata=earlier_posts.metadata(self.deployment, row_id),
            )
        except SlackApiError as exc:
            status, error = exc.response.status_code, error_code(exc)
            if status == 200 and error in MALFORMED:
                return PostOutcome(error=f"Slack refused the message: {error}", permanent=True)
            wait = retry_after(exc.response.headers) if status == 429 else None
            return PostOutcome(error=f"HTTP {status} {error}".strip(), retry_in=wait)
        except Exception as exc:  # timeouts, refused connections, unreadable answers
            return PostOutcome(error=describe(exc))
        return PostOutcome(channel=str(response["channel"]), ts=str(response["ts"]))

    def _chart_of(self, session: Session, row: Notification) -> tuple[Digest | None, str | None]:
        """The digest to chart and the thread it goes in; nothing when the digest is gone."""
        parent = session.get(Notification, row.parent_id) if row.parent_id else None
        digest_id = payload_of(row, DigestPayload).digest_id
        if parent is None or parent.external_id is None:
            return None, None
        return digest_runs.load_digest(session, digest_id), parent.external_id

    def _workspace(self) -> str | None:
        """Ask Slack once for the workspace's address (links need it); None when unknown."""
        if self._workspace_url is None:
            try:
                url = str(self.client.auth_test().get("url") or "")
            except Exception as exc:
                log.warning("auth.test failed; the digest goes without links: %s", describe(exc))
                return None
            self._workspace_url = url if url.startswith("https://") and url.endswith("/") else ""
        return self._workspace_url or None

    def _upload_chart(self, digest: Digest, thread_ts: str) -> PostOutcome:
        """Upload the chart into the digest's thread, or say there that it is missing; only
        a note that cannot be posted either is retried (with the upload)."""
        # Matplotlib takes most of the bot's start-up to import, and is needed once a day.
        from cam.digest.chart import render_chart

        try:
            response = self.client.files_upload_v2(
                channel=self.channel,
                thread_ts=thread_ts,
                content=render_chart(digest),
                filename=f"cam-{digest.last_day.isoformat()}.png",
                title=f"CAM, the 14 days to {digest.last_day.isoformat()}",
                alt_txt="Emails sent, replies, interested and bounces per day, last 14 days",
            )
        except Exception as exc:
            log.warning("the digest's chart was not uploaded: %s", describe(exc))
            note = chart_missing_post(upload_error(exc))
            try:
                self.client.chat_postMessage(
                    channel=self.channel, text=note.text, blocks=note.blocks, thread_ts=thread_ts
                )
            except Exception as note_exc:
                return PostOutcome(error=f"chart and note not posted: {describe(note_exc)}")
            return PostOutcome(
                channel=self.channel, error=f"chart missing: {upload_error(exc)}", permanent=True
            )
        file = response.get("file") or {}
        return PostOutcome(channel=self.channel, ts=str(file.get("id") or "") or None)

    def _finish(self, claimed: _Claimed, outcome: PostOutcome) -> None:
        now = self.clock()
        with unit_of_work(self.session_factory) as session:
            row = session.get(Notification, claimed.id, with_for_update=True)
            if row is None or row.attempts != claimed.attempts:
                # Our claim ran out and another instance took the row: its outcome stands.
                log.warning("notification %s: claim lapsed before the outcome", claimed.id)
                return
            if outcome.error is None:
                row.status = NotificationStatus.sent
                row.sent_at = now
                row.channel = outcome.channel
                row.external_id = outcome.ts
                row.next_attempt_at = None
                row.last_error = None
                if row.topic == NotificationTopic.reply_card:
                    reply_id = payload_of(row, ReplyCardPayload).reply_id
                    speed.card_posted(session, reply_id, now)
                if claimed.post is not None:
                    self._queue_thread(session, row, claimed.post)
                return
            row.last_error = outcome.error
            if outcome.permanent:
                row.status = NotificationStatus.failed
                row.next_attempt_at = None
                log.error("notification %s not deliverable: %s", row.id, outcome.error)
                return
            delay = outcome.retry_in or self.backoff.delta(claimed.attempts)
            row.next_attempt_at = now + delay
            log.warning(
                "notification %s not delivered (attempt %s): %s; next try in %ss",
                row.id,
                claimed.attempts,
                outcome.error,
                int(delay.total_seconds()),
            )

    def _queue_thread(self, session: Session, row: Notification, post: SlackPost) -> None:
        """Keep each thread reply as its own row, so a failed reply never reposts the parent."""
        if row.topic == NotificationTopic.digest:
            chart = payload_of(row, DigestPayload)
            session.add(notice(NotificationTopic.digest_chart, chart, parent_id=row.id))
        for reply in post.thread:
            thread = ThreadReplyPayload(text=reply.text, blocks=reply.blocks)
            session.add(notice(NotificationTopic.thread_reply, thread, parent_id=row.id))
