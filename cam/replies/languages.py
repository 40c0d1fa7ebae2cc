"""One pack per language: what replies written in it look like, in `cam/data/languages/`.

Each `<code>.toml` holds one language's quote headers, signature and phone-footer markers,
opt-out words (subjects, "I never asked"), negation and channel cues, acknowledgement words and
misdirected-reply phrases, so "what German replies look like" is read or extended in one file.
The reading modules build their patterns from every pack at import, once (`mail_text`,
`excerpt`, `phrases`, `scope`, `acknowledgements`); month and weekday names come from Babel's
CLDR data for the same languages (`dates`). How to read or extend a pack: docs/replies.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from cam.core.settings import DATA_DIR

# The languages a reply is read in, in the order their patterns are tried.
CODES = ("en", "de", "fr", "es", "nl", "it", "pt")
PACK_DIR = DATA_DIR / "languages"
_Entry = TypeVar("_Entry")


class _Strict(BaseModel):
    # A misspelt key in a pack is an error, not a list silently left empty.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Attribution(_Strict):
    """A client's line above the quoted message: "Am <date, name> schrieb <address>:"."""

    opens: str
    closes: str


class Quote(_Strict):
    """Where the quoted earlier message starts in a reply."""

    attribution: list[Attribution] = Field(default_factory=list)
    # "----- Original Message -----": the words between the dashes.
    original_message: list[str] = Field(default_factory=list)
    # A header line that alone starts the quote ("From: ...").
    header_alone: list[str] = Field(default_factory=list)
    # A header block ("Von: ...\nGesendet: ...") counts only with its date line, as "De:" or
    # "Da:" may start a line of prose.
    header_from: list[str] = Field(default_factory=list)
    header_sent: list[str] = Field(default_factory=list)


class Signature(_Strict):
    """Lines where a reply's own words end: a mobile footer or a sign-off on its own line."""

    phone_footer: list[str] = Field(default_factory=list)
    # A comma may follow a sign-off.
    sign_off: list[str] = Field(default_factory=list)


class OptOut(_Strict):
    """Opt-out words, on folded text (lower case, no accents)."""

    # Words that open a subject asking to be removed ("Abmelden", "Unsubscribe me").
    subject: list[str] = Field(default_factory=list)
    # A word that is a whole subject asking it ("Stop", "Baja").
    subject_alone: list[str] = Field(default_factory=list)
    # "I never asked for these": said of mail in the same sentence, a complaint.
    never_asked: list[str] = Field(default_factory=list)


class Acknowledgement(_Strict):
    """A reply made only of thanks or receipt words: folded words, separated by spaces."""

    words: str = ""
    # Of those, the words that say it ("for the info" alone is not a reply).
    says_it: str = ""
    # Greetings and sign-offs that may stand around them.
    around: str = ""


class Misdirected(_Strict):
    """A short reply meant for someone else, or from someone who does not know us."""

    phrases: list[str] = Field(default_factory=list)


class Negation(_Strict):
    """What sets a removal phrase aside as not meant ("no need to remove me"), folded text."""

    # Cues that govern the phrase right after them, within one clause.
    before: list[str] = Field(default_factory=list)
    # Cues right after the phrase ("afmelden hoeft niet").
    after: list[str] = Field(default_factory=list)
    # Words that end a clause: a cue before them does not govern what follows.
    clause_break: list[str] = Field(default_factory=list)
    # Stems of removal words: only a request to be removed is set aside by a negation.
    removal: list[str] = Field(default_factory=list)


class Channel(_Strict):
    """A declined channel ("don't call me, email is fine"), folded text."""

    # Words for a call or the phone.
    call: list[str] = Field(default_factory=list)
    # Words right before "email me" that deny it too ("don't call or email me").
    denied: list[str] = Field(default_factory=list)


class LanguagePack(_Strict):
    """What replies written in one language look like."""

    code: str
    quote: Quote = Quote()
    signature: Signature = Signature()
    opt_out: OptOut = OptOut()
    acknowledgement: Acknowledgement = Acknowledgement()
    misdirected: Misdirected = Misdirected()
    negation: Negation = Negation()
    channel: Channel = Channel()


def load(code: str) -> LanguagePack:
    """Read the pack of one language."""
    with (PACK_DIR / f"{code}.toml").open("rb") as handle:
        return LanguagePack.model_validate({"code": code, **tomllib.load(handle)})


PACKS: tuple[LanguagePack, ...] = tuple(load(code) for code in CODES)


def gather(entries: Callable[[LanguagePack], Iterable[_Entry]]) -> list[_Entry]:
    """Every pack's entries of one kind, in the packs' order, each once."""
    return list(dict.fromkeys(entry for pack in PACKS for entry in entries(pack)))


def words(entries: Callable[[LanguagePack], str]) -> frozenset[str]:
    """Every pack's words of one kind."""
    return frozenset(word for pack in PACKS for word in re.findall(r"\w+", entries(pack)))


def alternatives(entries: Callable[[LanguagePack], Iterable[str]]) -> str:
    """Every pack's patterns of one kind as one alternation (without a group around it)."""
    return "|".join(gather(entries))
