"""A reply about something else: an invoice, a delivery, an order of another business with us.

"Is this about last month's invoice? It's paid", "la fattura n. 233 ci è stata scartata",
"de pallets staan klaar bij dock 4": the person asks or tells something, but not about what we
offered, and a rep files it as `other`. Told by the papers of another business (an invoice, a
reminder, a delivery note, a waybill) named in a reply that names nothing of our offer (a call, a
demo, a price, a trial, how it works). Matched on folded text (see `features.fold`).
"""

from __future__ import annotations

from cam.replies.alternation import compile_phrases
from cam.replies.features import fold, load_lexicon, sentences, tokens
from cam.replies.phrases import PhraseMatch

_PAPERS = compile_phrases(
    r"\b(?:invoices?|remittance|credit\s+note|delivery\s+note|purchase\s+order|waybill"
    r"|rechnung\w*|mahnung|gutschrift|lieferschein|facture|avoir|bon\s+de\s+livraison"
    r"|factura|albaran|fattura|fatture|ddt|bolla|fatura|nota\s+de\s+credito|guia\s+de\s+remessa"
    r"|factuur|pakbon|vrachtbrief|creditnota)\b",
)
# What our offer is about: with one of these, the reply may be about us after all.
_OFFER = frozenset(
    {
        "meeting",
        "schedule",
        "proposal",
        "price",
        "how_much",
        "trial",
        "how_it_works",
        "contract",
        "information",
        "learn_more",
        "interest",
    }
)


def about_something_else(written: str) -> PhraseMatch | None:
    """Return the paper of another business a reply is about, or None."""
    found = _PAPERS.search(fold(written))
    if found is None:
        return None
    for sentence in sentences(tokens(written), load_lexicon()):
        if not sentence.concepts.isdisjoint(_OFFER):
            return None
    return PhraseMatch("other.elsewhere", found.group(0).strip())
