"""`/cam` and its subcommands: quick ones answer in the ack, slow ones after it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import channel_posts, cycle_requests, lead_import
from bot.blocks.common import SlackPost, escape
from bot.blocks.digest import digest_post
from bot.blocks.imports import how_to_import
from bot.blocks.preflight import preflight_post
from bot.blocks.preview import preview_post
from bot.blocks.report import SLACK_TRIGGER, mode_label, summary_line
from bot.cycle_requests import MANUAL_CYCLE_LEASE, MANUAL_CYCLE_TTL, RunRequest
from bot.deps import Deps
from bot.errors import Refused, user_message
from bot.event_payloads import CommandRefused
from bot.listeners import restore as restore_step
from bot.preflight import bot_preflight
from cam import cycle
from cam.bootstrap import cycle_config
from cam.core import events, leases, state
from cam.core.config import CAMCycleConfig
from cam.core.db import unit_of_work
from cam.core.models import NotificationTopic
from cam.digest import runs as digest_runs
from cam.digest.build import build_digest
from cam.digest.model import Digest, DigestKind
from cam.escalation import go_live as go_live_requests
from cam.leads.headers import parse_mapping
from cam.outreach import preview as outreach_preview
from cam.outreach import senders

CHECKING = "Checking what sending for real needs (mail servers, CRM, Slack)… the list follows."
EPHEMERAL = "ephemeral"

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
`/cam help`: this list"""


@dataclass(frozen=True)
class Invocation:
    user: str
    channel: str
    args: list[str]
    respond: Respond | None
    # The words after the verb as typed (args are lower case).
    text: str = ""  # None only when Slack sent no response_url

    def answer_later(self, text: str) -> None:
        """Answer after the ack, through `response_url`, to the one who asked."""
        if self.respond is not None:
            self.respond(text=text, response_type="ephemeral", replace_original=False)


Subcommand = Callable[[Invocation, Ack, Deps], None]

# Answered at once from memory, changing nothing: a replay could only get the same answer
# again, so these requests do not wait for their replay nonce to be stored.
ANSWERED_FROM_MEMORY = frozenset({"help", "limits", "status"})


def register(app: App) -> None:
    app.command("/cam")(cam)


def changes_nothing(body: dict[str, Any]) -> bool:
    """Tell whether a request is a `/cam` that only reads (help, limits, status, unknown)."""
    if body.get("command") != "/cam":
        return False
    words = str(body.get("text") or "").split()
    verb = words[0].lower() if words else "help"
    return verb in ANSWERED_FROM_MEMORY or verb not in SUBCOMMANDS


def cam(ack: Ack, command: dict[str, str], respond: Respond | None, deps: Deps) -> None:
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
    subcommand(invocation, ack, deps)


def show_help(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    ack(text=HELP, response_type=EPHEMERAL)


def show_limits(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    answer = deps.answers.limits.get()
    ack(text=answer.text, blocks=answer.blocks, response_type=EPHEMERAL)


def show_status(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    answer = deps.answers.status.get()
    ack(text=answer.text, blocks=answer.blocks, response_type=EPHEMERAL)


def run(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    """Run a cycle after the ack: dry when asked, live only once going live was approved."""
    if invocation.args not in ([], ["dry"], ["live"]):
        ack(text=f"`/cam run` takes `dry` or nothing.\n\n{HELP}", response_type=EPHEMERAL)
        return
    dry = invocation.args == ["dry"]
    asked = cycle_requests.request_run(
        deps.session_factory, deps.settings, by=invocation.user, dry=dry
    )
    channel = f"<#{deps.settings.report_channel}>"
    if asked.outcome is not RunRequest.started or asked.config is None:
        _not_run(asked.outcome, ack, channel)
        return
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


def _not_run(outcome: RunRequest, ack: Ack, channel: str) -> None:
    """Say why no cycle starts: a refusal, or the one from Slack already running."""
    if outcome is RunRequest.busy:
        ack(
            text=f"A cycle is running already; its report will be posted in {channel}. "
            "Ask again once it is there.",
            response_type=EPHEMERAL,
        )
        return
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


def post_digest(invocation: Invocation, ack: Ack, deps: Deps) -> None:
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
            lambda: _show(invocation, digest_post(_count_digest(deps, kind))),
            on_error=lambda error: invocation.answer_later(user_message(error)),
        )
        return
    asked_at = deps.clock()
    if not channel_posts.claim(
        deps.session_factory,
        what=f"digest:{kind}",
        channel=channel,
        by=invocation.user,
        now=asked_at,
    ):
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
        config = cycle_config(deps.settings, state.get_state(session))
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


def import_file(invocation: Invocation, ack: Ack, deps: Deps) -> None:
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


def preview(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    """Show privately the next message CAM would send, to the lead named or the next in line."""
    if len(invocation.args) > 1:
        ack(text="`/cam preview` takes one email address, or nothing.", response_type=EPHEMERAL)
        return
    # Slack may send an address as a link: <mailto:ada@acme.com|ada@acme.com>.
    email = invocation.args[0].strip("<>").split("|")[-1] if invocation.args else None
    with unit_of_work(deps.session_factory) as session:
        current = state.get_state(session)
        try:
            shown = outreach_preview.next_message(
                session,
                settings=deps.settings,
                config=cycle_config(deps.settings, current),
                paused=current.paused,
                now=deps.clock(),
                email=email,
            )
        except outreach_preview.PreviewUnavailable as exc:
            ack(text=f"Nothing to preview: {escape(str(exc))}.", response_type=EPHEMERAL)
            return
    post = preview_post(shown)
    ack(text=post.text, blocks=post.blocks, response_type=EPHEMERAL)


def check(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    """List privately what sending for real needs and what is missing (after the ack)."""
    ack(text=CHECKING, response_type=EPHEMERAL)
    deps.worker.submit(
        "check",
        lambda: _show(invocation, preflight_post(bot_preflight(deps.settings, deps.client))),
        on_error=lambda error: invocation.answer_later(user_message(error)),
    )


def go_live(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    """Ask to switch dry run off once the preflight passes; another approver decides."""
    _require_approver(invocation, deps, "ask to go live")
    with unit_of_work(deps.session_factory) as session:
        live = not state.get_state(session).dry_run
    if live:
        ack(
            text="Emails are already going out for real. `/cam dry` stops that.",
            response_type=EPHEMERAL,
        )
        return
    ack(text=CHECKING, response_type=EPHEMERAL)
    deps.worker.submit(
        "go-live",
        lambda: _ask_to_go_live(invocation, deps),
        on_error=lambda error: invocation.answer_later(user_message(error)),
    )


def _ask_to_go_live(invocation: Invocation, deps: Deps) -> None:
    preflight = bot_preflight(deps.settings, deps.client)
    if not preflight.ready:
        _show(invocation, preflight_post(preflight, asked_to_go_live=True))
        return
    now = deps.clock()
    with unit_of_work(deps.session_factory) as session:
        approval = go_live_requests.request_go_live(session, requested_by=invocation.user, now=now)
        asked_now = approval.requested_at == now
    channel = f"<#{deps.settings.report_channel}>"
    if not asked_now:
        invocation.answer_later(f"Going live is already waiting for an approver in {channel}.")
        return
    if invocation.respond is not None:
        invocation.respond(
            text=f"<@{invocation.user}> asked to start sending for real: every check passed. "
            f"Another approver can approve it in {channel} within 24 hours.",
            response_type="in_channel",
            replace_original=False,
        )
    deps.deliver_notifications()


def _show(invocation: Invocation, post: SlackPost) -> None:
    if invocation.respond is not None:
        invocation.respond(
            text=post.text, blocks=post.blocks, response_type=EPHEMERAL, replace_original=False
        )


def go_dry(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    _require_approver(invocation, deps, "switch dry run on")
    with unit_of_work(deps.session_factory) as session:
        state.set_dry_run(session, dry_run=True, by=invocation.user, now=deps.clock())
    ack(
        text=f"<@{invocation.user}> switched dry run on: nothing is sent from now on.",
        response_type="in_channel",
    )


def pause(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    _set_paused(invocation, ack, deps, paused=True)


def resume(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    _set_paused(invocation, ack, deps, paused=False)


def _set_paused(invocation: Invocation, ack: Ack, deps: Deps, *, paused: bool) -> None:
    if invocation.args:
        _set_mailbox_paused(invocation, ack, deps, paused=paused)
        return
    _require_approver(invocation, deps, "pause CAM" if paused else "resume CAM")
    with unit_of_work(deps.session_factory) as session:
        state.set_paused(session, paused=paused, by=invocation.user, now=deps.clock())
    text = (
        "paused CAM: no cycle runs and nothing is sent until `/cam resume`."
        if paused
        else "resumed CAM: cycles and sends run on schedule again."
    )
    ack(text=f"<@{invocation.user}> {text}", response_type="in_channel")


def _set_mailbox_paused(invocation: Invocation, ack: Ack, deps: Deps, *, paused: bool) -> None:
    """Pause or resume one sender mailbox; the others go on sending."""
    key = invocation.args[0]
    verb = "pause" if paused else "resume"
    _require_approver(invocation, deps, f"{verb} a mailbox")
    with unit_of_work(deps.session_factory) as session:
        config = cycle_config(deps.settings, state.get_state(session))
        keys = [sender.key for sender in config.senders()]
        if not config.mailboxes:
            raise Refused(f"This team sends from one mailbox: `/cam {verb}` alone {verb}s it.")
        try:
            changed = senders.set_paused(session, config, key, paused=paused, by=invocation.user)
        except senders.UnknownMailbox:
            named = ", ".join(f"`{known}`" for known in keys)
            raise Refused(
                f"No mailbox is called `{escape(key[:40])}`. The mailboxes: {named}."
            ) from None
    if not changed:
        already = "paused" if paused else "sending"
        ack(text=f"Mailbox `{key}` is already {already}.", response_type=EPHEMERAL)
        return
    text = (
        f"paused mailbox `{key}`: it sends nothing until `/cam resume {key}`; "
        "the other mailboxes go on."
        if paused
        else f"resumed mailbox `{key}`: it sends on schedule again."
    )
    ack(text=f"<@{invocation.user}> {text}", response_type="in_channel")


def restore(invocation: Invocation, ack: Ack, deps: Deps) -> None:
    """Show an approver, alone, what restoring an address lifts; its buttons do it."""
    _require_approver(invocation, deps, "restore a suppressed address")
    post = restore_step.confirm_step(deps, invocation.text)
    ack(text=post.text, blocks=post.blocks or None, response_type=EPHEMERAL)


def _require_approver(invocation: Invocation, deps: Deps, what: str) -> None:
    """Refuse (and log the attempt) unless the user is one of the approvers."""
    if invocation.user in deps.settings.approver_ids:
        return
    with unit_of_work(deps.session_factory) as session:
        events.record(session, CommandRefused(by=invocation.user, action=what))
    raise Refused(f"Only approvers may {what}.")


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": show_help,
    "limits": show_limits,
    "status": show_status,
    "digest": post_digest,
    "import": import_file,
    "preview": preview,
    "run": run,
    "live": go_live,
    "check": check,
    "dry": go_dry,
    "pause": pause,
    "resume": resume,
    "restore": restore,
}
