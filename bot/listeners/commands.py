"""`/cam` and its subcommands: quick ones answer in the ack, slow ones after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltResponse, Respond
from sqlalchemy.orm import Session

from bot import channel_posts, cycle_requests, lead_import
from bot.blocks.common import escape
from bot.blocks.digest import digest_post
from bot.blocks.imports import how_to_import
from bot.blocks.preview import preview_post
from bot.blocks.report import SLACK_TRIGGER, mode_label, summary_line
from bot.cycle_requests import MANUAL_CYCLE_LEASE, MANUAL_CYCLE_TTL, RunRequest
from bot.deps import Deps
from bot.errors import Refused, refused, user_message
from bot.event_payloads import CommandRefused
from bot.listeners import reload, switches
from bot.listeners.invocation import EPHEMERAL, Invocation, Subcommand, show
from bot.request_session import in_request_session
from cam import cycle
from cam.core import leases, state
from cam.core.config import CAMCycleConfig
from cam.core.db import unit_of_work
from cam.core.models import NotificationTopic
from cam.digest import runs as digest_runs
from cam.digest.build import build_digest
from cam.digest.model import Digest, DigestKind
from cam.leads.headers import parse_mapping
from cam.outreach import preview as outreach_preview

HELP = """*CAM commands*
`/cam run dry`: run a dry-run cycle now and post its report
`/cam run`: run a live cycle (only once going live was approved)
`/cam limits`: how many emails and LinkedIn tasks CAM may still send today
`/cam status`: mode, next run, last run, what waits for approval
`/cam digest` / `/cam digest week`: post today's digest (or the week in review) now
`/cam import`: how to import leads (upload a CSV into the report channel)
`/cam import map Spalte=company`: import your latest CSV again, reading a column as a field
`/cam preview [email]`: the next message CAM would send (to that lead), shown only to you
`/cam check`: what sending for real needs, and what is still missing
`/cam live`: start sending for real, once `/cam check` passes and another approver agrees
`/cam dry`: switch back to dry run at once (approvers)
`/cam pause` / `/cam resume`: stop or restart all cycles and sends (approvers)
`/cam pause &lt;mailbox&gt;` / `/cam resume &lt;mailbox&gt;`: stop or restart one mailbox
`/cam restore &lt;email&gt; &lt;why&gt;`: lift a bounce or team suppression (approvers)
`/cam reload`: read the mailboxes and snippets files again (approvers)
`/cam help`: this list"""


# Answered at once from memory, changing nothing: a replay could only get the same answer
# again, so these requests do not wait for their replay nonce to be stored.
ANSWERED_FROM_MEMORY = frozenset({"help", "limits", "status"})


def register(app: App) -> None:
    app.command("/cam")(in_request_session(cam))


def changes_nothing(body: dict[str, Any]) -> bool:
    """Tell whether a request is a `/cam` that only reads (help, limits, status, unknown)."""
    if body.get("command") != "/cam":
        return False
    words = str(body.get("text") or "").split()
    verb = words[0].lower() if words else "help"
    return verb in ANSWERED_FROM_MEMORY or verb not in SUBCOMMANDS


def cam(
    ack: Ack, command: dict[str, str], respond: Respond | None, deps: Deps, db_session: Session
) -> None:
    """Route `/cam <verb> ...` to its subcommand; anything unknown gets the help."""
    words = (command.get("text") or "").split()
    verb = words[0].lower() if words else "help"
    invocation = Invocation(
        user=command.get("user_id", ""),
        channel=command.get("channel_id", ""),
        args=[word.lower() for word in words[1:]],
        respond=respond,
        text=" ".join(words[1:]),
    )
    subcommand = SUBCOMMANDS.get(verb)
    if subcommand is None:
        ack(
            text=f"I do not know `/cam {escape(' '.join(words)[:100])}`.\n\n{HELP}",
            response_type=EPHEMERAL,
        )
        return
    subcommand(invocation, ack, deps, db_session)


def show_help(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    ack(text=HELP, response_type=EPHEMERAL)


# The two quick answers come from memory (bot/command_cache.py): the request's session stays
# unused, so they open no transaction.
def show_limits(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    _ack_with_body(ack, deps.answers.limits.get())


def show_status(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    _ack_with_body(ack, deps.answers.status.get())


def _ack_with_body(ack: Ack, body: str) -> None:
    """Ack with a JSON body encoded beforehand: Bolt answers with `ack.response` as it is,
    where `ack(text=, blocks=)` would encode the same answer again in every request."""
    ack.response = BoltResponse(status=200, body=body)


def run(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    """Run a cycle after the ack: dry when asked, live only once going live was approved."""
    if invocation.args not in ([], ["dry"], ["live"]):
        ack(text=f"`/cam run` takes `dry` or nothing.\n\n{HELP}", response_type=EPHEMERAL)
        return
    dry = invocation.args == ["dry"]
    asked = cycle_requests.request_run(
        session, deps.settings, deps.config.process, by=invocation.user, dry=dry
    )
    channel = f"<#{deps.settings.report_channel}>"
    if asked.outcome is not RunRequest.started or asked.config is None:
        _not_run(invocation, asked.outcome, ack, session, channel)
        return
    session.commit()  # the cycle renews the lease just taken: it must find it
    config, holder = asked.config, asked.holder
    kind = "dry-run" if dry else "live"
    ack(
        text=f"Running a {kind} cycle… the report will be posted in {channel}.",
        response_type=EPHEMERAL,
    )
    deps.worker.submit(
        "cycle",
        lambda: _run_cycle(invocation, deps, config, holder),
        on_error=lambda error: invocation.answer_later(user_message(error)),
    )


def _not_run(
    invocation: Invocation, outcome: RunRequest, ack: Ack, session: Session, channel: str
) -> None:
    """Say why no cycle starts: a refusal, or the one from Slack already running."""
    if outcome is RunRequest.busy:
        ack(
            text=f"A cycle is running already; its report will be posted in {channel}. "
            "Ask again once it is there.",
            response_type=EPHEMERAL,
        )
        return
    if outcome is RunRequest.not_an_approver:
        event = CommandRefused(by=invocation.user, action="run a live cycle")
        raise refused(session, event, NOT_RUN[outcome])
    raise Refused(NOT_RUN[outcome])


NOT_RUN = {
    RunRequest.paused: "CAM is paused, so nothing runs. An approver can `/cam resume` it.",
    RunRequest.not_live: (
        "CAM is still in dry run: going live has not been approved. "
        "Use `/cam run dry` to try a cycle, or `/cam live` to ask an approver."
    ),
    RunRequest.not_an_approver: "Only approvers may run a live cycle.",
}


def _run_cycle(invocation: Invocation, deps: Deps, config: CAMCycleConfig, holder: str) -> None:
    with leases.renewed(deps.session_factory, MANUAL_CYCLE_LEASE, holder, MANUAL_CYCLE_TTL):
        report = cycle.run_daily_cam_cycle(
            config,
            session_factory=deps.session_factory,
            gateways=deps.gateways,
            clock=deps.clock,
            trigger=f"{SLACK_TRIGGER}{invocation.user}"[:40],
            instance=deps.settings.instance_name,
        )
    deps.deliver_notifications()
    invocation.answer_later(
        f"{mode_label(report.dry_run).capitalize()} cycle done: {summary_line(report)}. "
        f"Report in <#{deps.settings.report_channel}>."
    )


def post_digest(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    """Count the digest now; anyone may ask (read-only).

    Asked in the report channel, it is posted there, once a minute at most; asked anywhere
    else, it is shown only to whoever asked, and the channel gets nothing.
    """
    if invocation.args not in ([], ["week"]):
        ack(text=f"`/cam digest` takes `week` or nothing.\n\n{HELP}", response_type=EPHEMERAL)
        return
    kind = DigestKind.weekly if invocation.args == ["week"] else DigestKind.daily
    channel = deps.settings.report_channel
    if invocation.channel != channel:
        ack(text="Counting… the digest follows, shown only to you.", response_type=EPHEMERAL)
        deps.worker.submit(
            "digest",
            lambda: show(invocation, digest_post(_count_digest(deps, kind))),
            on_error=lambda error: invocation.answer_later(user_message(error)),
        )
        return
    asked_at = deps.clock()
    claimed = channel_posts.claim(
        session, what=f"digest:{kind}", channel=channel, by=invocation.user, now=asked_at
    )
    session.commit()  # the claim holds for other requests from now on, whatever follows
    if not claimed:
        ack(text=f"A digest was posted in <#{channel}> a moment ago.", response_type=EPHEMERAL)
        deps.worker.submit(
            "digest-link",
            lambda: _link_latest_digest(invocation, deps, since=asked_at - channel_posts.WINDOW),
        )
        return
    ack(text=f"Counting… the digest will be posted in <#{channel}>.", response_type=EPHEMERAL)
    deps.worker.submit(
        "digest",
        lambda: _post_digest(invocation, deps, kind),
        on_error=lambda error: invocation.answer_later(user_message(error)),
    )


def _count_digest(deps: Deps, kind: DigestKind) -> Digest:
    with unit_of_work(deps.session_factory) as session:
        config = deps.config.cycle_config(state.get_state(session))
        return build_digest(session, config=config, now=deps.clock(), kind=kind)


def _post_digest(invocation: Invocation, deps: Deps, kind: DigestKind) -> None:
    digest = _count_digest(deps, kind)
    trigger = f"{SLACK_TRIGGER}{invocation.user}"
    digest_runs.queue_digest(deps.session_factory, digest, slot=None, trigger=trigger)
    deps.deliver_notifications()


def _link_latest_digest(invocation: Invocation, deps: Deps, *, since: datetime) -> None:
    link = channel_posts.latest_link(
        deps.session_factory, deps.client, topic=NotificationTopic.digest, since=since
    )
    if link is not None:
        invocation.answer_later(f"Here it is: <{link}|the latest digest>.")


def import_file(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    """Say how to import (a command carries no file); here, import the caller's latest CSV.

    `/cam import map Spalte=company ...` imports it again reading those columns as named.
    """
    here = invocation.channel == deps.settings.report_channel
    words = invocation.args
    try:
        mapping = parse_mapping(words[1:]) if words[:1] == ["map"] and words[1:] else {}
        if words and not mapping:
            raise ValueError("expected `/cam import` or `/cam import map Column=field ...`")
    except ValueError as exc:
        ack(text=escape(str(exc)), response_type=EPHEMERAL)
        return
    ack(text=how_to_import(deps.settings.report_channel, here=here), response_type=EPHEMERAL)
    if here:
        deps.worker.submit(
            "import",
            lambda: lead_import.import_latest(
                deps, by=invocation.user, tell=invocation.answer_later, mapping=mapping
            ),
            on_error=lambda error: invocation.answer_later(user_message(error)),
        )


def preview(invocation: Invocation, ack: Ack, deps: Deps, session: Session) -> None:
    """Show privately the next message CAM would send, to the lead named or the next in line."""
    if len(invocation.args) > 1:
        ack(text="`/cam preview` takes one email address, or nothing.", response_type=EPHEMERAL)
        return
    # Slack may send an address as a link: <mailto:ada@acme.com|ada@acme.com>.
    email = invocation.args[0].strip("<>").split("|")[-1] if invocation.args else None
    current = state.get_state(session)
    try:
        shown = outreach_preview.next_message(
            session,
            settings=deps.settings,
            config=deps.config.cycle_config(current),
            paused=current.paused,
            now=deps.clock(),
            email=email,
        )
    except outreach_preview.PreviewUnavailable as exc:
        ack(text=f"Nothing to preview: {escape(str(exc))}.", response_type=EPHEMERAL)
        return
    post = preview_post(shown)
    ack(text=post.text, blocks=post.blocks, response_type=EPHEMERAL)


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": show_help,
    "limits": show_limits,
    "status": show_status,
    "digest": post_digest,
    "import": import_file,
    "preview": preview,
    "run": run,
    "live": switches.go_live,
    "check": switches.check,
    "dry": switches.go_dry,
    "pause": switches.pause,
    "resume": switches.resume,
    "restore": switches.restore,
    "reload": reload.reload,
}
