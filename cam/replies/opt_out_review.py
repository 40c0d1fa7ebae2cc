"""The team's answer on a reply only the model read as an opt-out: confirm it, or not.

A model's guess never suppresses by itself: the reply stopped the sequence, as every reply
does, and its card asks. "Confirm opt-out" suppresses the address for good, the ledger naming
who confirmed and on which reply; "Not an opt-out" leaves the lead stopped as after any reply,
and its label records the answer (which teaches no class: it says what the reply is not).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cam.core.models import Lead, Reply, ReplyReview, SuppressionSource, TriageChoice
from cam.core.safety import Grounds
from cam.replies import unsubscribe

CHOICES = frozenset({TriageChoice.confirm_opt_out, TriageChoice.not_opt_out})


class NotAnOptOutGuess(ValueError):
    """The card these buttons came from does not ask whether the reply is an opt-out."""


def carry_out(
    session: Session, reply: Reply, lead: Lead | None, choice: TriageChoice, by: str
) -> None:
    """Do what the team answered on the reply's "Looks like an opt-out" card."""
    if reply.review is not ReplyReview.opt_out_guess:
        raise NotAnOptOutGuess("this reply's card does not ask whether it is an opt-out")
    if choice is TriageChoice.confirm_opt_out:
        evidence = f"confirmed the model's reading: {reply.matched_rule or 'unsubscribe'}"
        grounds = Grounds(SuppressionSource.model_confirmed, evidence, by, reply.id)
        unsubscribe.unsubscribe(session, lead.email if lead else reply.from_address, grounds)
