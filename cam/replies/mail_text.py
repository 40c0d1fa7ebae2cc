"""The text of a message: storable by any database, without quoted history, out of HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from cam.replies import languages

# Keep at most this much decoded text of one message.
MAX_TEXT_CHARS = 20_000

# Where the quoted earlier message starts in a reply: a mail client's attribution line (which
# a client may wrap once) or header block, in each language's form (`languages`). A header block
# in another language than English counts only with its date line ("Von: ...\nGesendet:"), as
# "De:" or "Da:" may start a line of prose.
_LINE = r"[^\n]{0,200}(?:\n[^\n]{0,200})?"
_ATTRIBUTIONS = "|".join(
    rf"{form.opens} {_LINE}{form.closes}\s*$"
    for form in languages.gather(lambda pack: pack.quote.attribution)
)
_QUOTE_START = re.compile(
    rf"^(?:{_ATTRIBUTIONS}"
    rf"|-{{2,}}\s*(?:{languages.alternatives(lambda pack: pack.quote.original_message)})\s*-{{2,}}"
    r"|_{10,}\s*$"
    rf"|(?:{languages.alternatives(lambda pack: pack.quote.header_alone)}):\s.+$"
    rf"|(?:{languages.alternatives(lambda pack: pack.quote.header_from)})\s?:\s.+\n(?:.*\n)?\s*"
    rf"(?:{languages.alternatives(lambda pack: pack.quote.header_sent)})\s?:)",
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
    """Return what the sender wrote: above the quoted earlier message, and between its `>`
    lines (answers written inline, under "see my answers below")."""
    match = _QUOTE_START.search(text)
    if match and match.start() > 0:
        head = text[: match.start()] + "\n" + _between_quoted(text[match.end() :])
    else:
        head = text
    lines = [line for line in head.split("\n") if not _quoted(line)]
    return "\n".join(lines).strip()


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _between_quoted(rest: str) -> str:
    """Return the lines of `rest` written between two `>` lines: what the sender answered
    inside the quote. Lines after the last `>` line are a client's footer, not an answer."""
    lines = rest.split("\n")
    marks = [n for n, line in enumerate(lines) if _quoted(line)]
    if len(marks) < 2:
        return ""
    return "\n".join(lines[marks[0] : marks[-1]])


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
