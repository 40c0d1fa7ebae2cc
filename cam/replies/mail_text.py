"""The text of a message: storable by any database, without quoted history, out of HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Keep at most this much decoded text of one message.
MAX_TEXT_CHARS = 20_000

# Where the quoted earlier message starts in a reply: a mail client's attribution line (which
# a client may wrap once) or header block, in English, German, French, Spanish, Dutch, Italian
# and Portuguese. A header block in another language than English counts only with its date line
# ("Von: ...\nGesendet:"), as "De:" or "Da:" may start a line of prose.
_LINE = r"[^\n]{0,200}(?:\n[^\n]{0,200})?"
_QUOTE_START = re.compile(
    rf"^(?:On {_LINE}wrote:\s*$"
    rf"|Am {_LINE}schrieb [^\n]{{0,100}}:\s*$"
    rf"|Le {_LINE}a écrit\s*:\s*$"
    rf"|El {_LINE}escribi[óo]\s*:\s*$"
    rf"|Op {_LINE}schreef [^\n]{{0,100}}:\s*$"
    rf"|Il {_LINE}ha scritto\s*:\s*$"
    rf"|Em {_LINE}escreveu\s*:\s*$"
    r"|-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original"
    r"|Oorspronkelijk bericht|Messaggio originale|Mensagem original)\s*-{2,}"
    r"|_{10,}\s*$"
    r"|From:\s.+$"
    r"|(?:Von|De|Van|Da)\s?:\s.+\n(?:.*\n)?\s*(?:Gesendet|Envoyé|Enviad[oa](?: el| em)?|Verzonden"
    r"|Inviato|Data|Datum|Date|Sent)\s?:)",
    re.IGNORECASE | re.MULTILINE,
)


# What 8-bit bytes become when the email package decodes them as surrogate escapes.
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Return `text` as a database will store it: valid UTF-8, no NUL characters.

    Headers of raw 8-bit mail come back from the email package with surrogate escapes, which
    neither PostgreSQL nor SQLite can encode; NUL is refused by PostgreSQL text columns.
    """
    if not text.isascii() and _SURROGATE.search(text):
        raw = text.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("windows-1252", errors="replace")
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "")


def strip_quoted(text: str) -> str:
    """Return what the sender wrote above the quoted earlier message and its `>` lines."""
    match = _QUOTE_START.search(text)
    head = text[: match.start()] if match and match.start() > 0 else text
    lines = [line for line in head.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML body: tags, scripts and styles dropped."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html[: MAX_TEXT_CHARS * 4])
        extractor.close()
    except Exception:  # never crash on hostile HTML: fall back to dropping the tags
        return re.sub(r"<[^>]*>", " ", html)
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)
