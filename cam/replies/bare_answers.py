"""A reply that is only a yes or only a no: "Yes.", "Ja.", "Sim.", "Não, obrigado.", "Nee."

Answering our question ("would 20 minutes next week work?") with a bare yes says yes to the next
step; a bare no declines. Too short for a model to be sure of (it abstains below its floor), but
a rep never hesitates. A greeting, thanks, "please" and a signed name may stand around the word;
anything else, or a question mark, goes on to the model. Matched on folded text.
"""

from __future__ import annotations

import re

from cam.core.models import ReplyClass
from cam.replies.acknowledgements import made_only_of
from cam.replies.phrases import PhraseMatch

_YES = frozenset(
    re.findall(
        r"\w+",
        "yes yeah yep yup sure absolutely definitely ja jawohl gerne gern oui volontiers si sim"
        " claro certo certamente zeker jazeker graag",
    )
)
_NO = frozenset(re.findall(r"\w+", "no nope nah nein non nee nao"))
# What may stand around the answer: please and thanks, in our seven languages.
_COURTESY = frozenset(
    re.findall(
        r"\w+",
        "please thanks thank you very much bitte danke vielen dank s il vous plait merci beaucoup"
        " por favor gracias muchas graag alstublieft dank je u wel bedankt per piacere grazie"
        " mille obrigado obrigada muito",
    )
)


def bare_answer(written: str) -> tuple[ReplyClass, PhraseMatch] | None:
    """Return the class and words of a reply that is only a yes or only a no, else None."""
    words = " ".join(written.split())[:80]
    if made_only_of(written, _YES | _COURTESY, _YES):
        return ReplyClass.interested, PhraseMatch("interested.bare_yes", words)
    if made_only_of(written, _NO | _COURTESY, _NO):
        return ReplyClass.not_interested, PhraseMatch("not_interested.bare_no", words)
    return None
