"""The phrase rules that decide a reply's class before the model, in the order they decide.

An explicit opt-out (unless a request stands beside it: `beside_opt_out`), a request about the
person's data, questions asked before any commitment, "how are you different?", a reply that
went astray, only passes us on or is about another business (an invoice), an absence, an
acknowledgement or a ticket receipt, a bare yes or no, "not now", "why would we need that?".
Each is deterministic and names its words; what none decides goes to the model. The chain
(`rules`) reads headers, opt-outs and absences in a whole mail first; the model alone
(`classifier.predict`) reads these on the text, so both answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from cam.core.models import ReplyClass
from cam.replies import acknowledgements, phrases
from cam.replies.absence import find_absence
from cam.replies.bare_answers import bare_answer
from cam.replies.beside_opt_out import Beside, request_beside
from cam.replies.comparison import asks_how_different
from cam.replies.declines import no_need, not_now
from cam.replies.elsewhere import about_something_else
from cam.replies.handovers import handover
from cam.replies.phrases import PhraseMatch
from cam.replies.questions_first import asks_before_committing


@dataclass(frozen=True)
class Decided:
    """A class a phrase rule gave, with its words."""

    label: ReplyClass
    match: PhraseMatch
    # The request beside an opt-out phrase, which the team is asked about.
    beside: Beside | None = None


def decide(
    written: str, opt_out: PhraseMatch | None, data_request: PhraseMatch | None
) -> Decided | None:
    """Return the class the first phrase rule that applies gives `written`, or None."""
    if opt_out is not None:
        if (beside := request_beside(written)) is not None:
            return Decided(beside.kind, opt_out, beside)
        return Decided(ReplyClass.unsubscribe, opt_out)
    if data_request is not None:
        return Decided(ReplyClass.question, data_request)
    if (asks := asks_before_committing(written) or asks_how_different(written)) is not None:
        return Decided(ReplyClass.question, asks)
    astray = phrases.misdirected(written) or handover(written) or about_something_else(written)
    if astray is not None:
        return Decided(ReplyClass.other, astray)
    if (absent := find_absence(written, written)) is not None:
        return Decided(ReplyClass.out_of_office, PhraseMatch(absent.rule, absent.phrase))
    nothing = acknowledgements.ticket_receipt(written) or acknowledgements.acknowledgement(written)
    if nothing is not None:
        return Decided(ReplyClass.other, nothing)
    if (answer := bare_answer(written)) is not None:
        return Decided(*answer)
    if (declined := not_now(written) or no_need(written)) is not None:
        return Decided(ReplyClass.not_interested, declined)
    return None
