"""`cam replies accuracy`, `cam replies labels` and `cam replies bounces`: how the classifier
fares against the team, and what the bounces said and did.

`labels` lists the team's labels with who gave them, where, and what they teach. Undoing one
takes an approver: `--by` names their Slack member ID, checked against `CAM_APPROVERS`, and is
recorded with the undo. The label stays as a record; the classifier stops learning from it at
its next read of the mailbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cam.bootstrap import Runtime
from cam.cli_common import load_config
from cam.core import db, events
from cam.core.models import utcnow

# Wide enough for a row of each label, whatever the terminal says (it may be a pipe).
console = Console(width=160)
labels_app = typer.Typer(help="The team's labels on replies, and undoing one.")


@labels_app.callback(invoke_without_command=True)
def listing(
    ctx: typer.Context,
    by: Annotated[str | None, typer.Option(help="Only the labels of this Slack member ID.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Only labels given since this day (YYYY-MM-DD).")
    ] = None,
) -> None:
    """List the labels, newest first, with who gave them, on which card, and their trust."""
    # The reply rules come with the labels: loaded only by the commands that read labels.
    from cam.replies import labels as reply_labels

    if ctx.invoked_subcommand is not None:
        return
    after = since.replace(tzinfo=utcnow().tzinfo) if since and since.tzinfo is None else since
    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        rows = reply_labels.listed(session, by=by, since=after)
        table = Table(title="Labels on reply cards", box=box.SIMPLE_HEAVY)
        for column in ("id", "reply", "decision", "by", "when", "card", "learning"):
            table.add_column(column)
        for label, reply in rows:
            card = f"{label.card_channel} {label.card_ts}" if label.card_ts else "-"
            table.add_row(
                str(label.id),
                f"{reply.id} {escape(reply.from_address)}",
                label.choice.value,
                label.decided_by,
                label.decided_at.strftime("%Y-%m-%d %H:%M"),
                card,
                reply_labels.state_of(label),
            )
    if not rows:
        console.print("No labels" + (f" by {escape(by)}" if by else "") + ".")
        return
    console.print(table)


@labels_app.command("undo")
def undo(
    label_id: Annotated[int, typer.Argument(help="The label's id (see `cam replies labels`).")],
    by: Annotated[str, typer.Option(help="Your Slack member ID; one of CAM_APPROVERS.")],
) -> None:
    """Undo a label: the classifier and its memory stop learning from it."""
    from cam.replies import labels as reply_labels
    from cam.replies.event_payloads import LabelUndone

    config = load_config()
    if by not in config.settings.approver_ids:
        console.print(f"[red]Only approvers (CAM_APPROVERS) undo labels; {escape(by)} is not one.")
        raise typer.Exit(code=1)
    with Runtime(config) as runtime, db.unit_of_work(runtime.session_factory) as session:
        try:
            label = reply_labels.undo(session, label_id, by=by, now=utcnow())
        except reply_labels.LabelRefused as refused:
            console.print(f"[red]{escape(str(refused))}")
            raise typer.Exit(code=1) from None
        events.record(session, LabelUndone(label_id=label_id, reply_id=label.reply_id, by=by))
    console.print(f"Label {label_id} undone; the classifier no longer learns from it.")


def accuracy(
    days: Annotated[int, typer.Option(min=1, help="Count the decisions of the last N days.")] = 30,
) -> None:
    """Show the confusion matrix of the classifier against the team's decisions on cards."""
    from cam.replies.accuracy import confusion, confusion_table

    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        result = confusion(session, utcnow() - timedelta(days=days))
    if not result.total:
        console.print(f"No reply was labelled on a card in the last {days} days.")
        return
    console.print(confusion_table(result, days))


def bounces(
    days: Annotated[int, typer.Option(min=1, help="Show the bounces of the last N days.")] = 30,
) -> None:
    """List the bounces, newest first: the address, why it failed, and what that did."""
    from cam.replies.bounce_listing import listed

    with Runtime(load_config()) as runtime, db.unit_of_work(runtime.session_factory) as session:
        rows = listed(session, since=utcnow() - timedelta(days=days))
    if not rows:
        console.print(f"No bounces in the last {days} days.")
        return
    table = Table(title=f"Bounces of the last {days} days", box=box.SIMPLE_HEAVY)
    for column in ("reply", "received", "address", "reason", "what it did"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.reply_id),
            row.received_at.strftime("%Y-%m-%d %H:%M"),
            escape(row.address),
            row.reason,
            row.state,
        )
    console.print(table)
