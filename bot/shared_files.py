"""A file a person shared in Slack: what Slack says of it, whether it is a CSV, and its bytes.

Slack serves a shared file at its `url_private_download` to a request carrying the bot token as a
Bearer header (scope `files:read`). The token goes only to Slack's own hosts, or to the Web API's
host when SLACK_API_URL points elsewhere (tests, GovSlack): a crafted URL cannot take it, nor
can a redirect. The bytes are streamed to disk and checked on the way: past 50 MB, binary in
the first bytes, or past the download's overall deadline, the download stops and nothing is
kept. The deadline is what bounds a server dripping a byte a second: a socket timeout never
fires while bytes keep coming, and a worker thread is too scarce to lend it for hours.
"""

from __future__ import annotations

import enum
import time
import urllib.error
import urllib.request
from http.client import HTTPResponse
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from pydantic import BaseModel

MAX_BYTES = 50 * 1024 * 1024
SNIFF_BYTES = 8192
_CHUNK = 1 << 16
TIMEOUT = 60.0
# The whole download, however the bytes come: 50 MB at well under 1 MB/s still fits.
DEADLINE = 120.0
_SLACK_HOSTS = (".slack.com", ".slack-gov.com")
_CSV_NAMES = (".csv", ".tsv")
_CSV_TYPES = ("csv", "tsv")
_WORKBOOK_TYPES = ("xlsx", "xls", "ods", "numbers", "gsheet")
# What Slack or the uploader's system may call a CSV: text, or Excel's label for .csv on Windows.
_TEXT_MIMETYPES = ("application/csv", "application/vnd.ms-excel", "application/octet-stream", "")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)


class FileKind(enum.StrEnum):
    csv = "csv"
    workbook = "workbook"
    other = "other"


class FileRefused(Exception):
    """The file is not imported; the text says why, in words for the person who shared it."""


class SharedFile(BaseModel):
    """The parts of `files.info` an import needs, and the message that shared it here."""

    id: str
    name: str
    mimetype: str = ""
    filetype: str = ""
    size: int = 0
    user: str = ""
    url_private_download: str = ""
    # The share's message in our channel: its thread is where the answer goes.
    thread_ts: str | None = None

    @classmethod
    def from_info(cls, file: dict[str, Any], channel: str) -> SharedFile:
        """Read a `files.info` file object; `thread_ts` is its latest share in `channel`."""
        shares = file.get("shares") or {}
        found = [
            str(share.get("ts"))
            for kind in ("public", "private")
            for share in (shares.get(kind) or {}).get(channel) or []
            if share.get("ts")
        ]
        return cls(
            id=str(file.get("id") or ""),
            name=str(file.get("name") or file.get("title") or "file"),
            mimetype=str(file.get("mimetype") or ""),
            filetype=str(file.get("filetype") or ""),
            size=int(file.get("size") or 0),
            user=str(file.get("user") or ""),
            url_private_download=str(file.get("url_private_download") or ""),
            thread_ts=max(found, key=float) if found else None,
        )

    @property
    def kind(self) -> FileKind:
        """What the file says it is, by its name and Slack's type (its bytes come later)."""
        name = self.name.lower()
        if name.endswith(_CSV_NAMES) or self.filetype in _CSV_TYPES or self.mimetype == "text/csv":
            return FileKind.csv
        if name.rpartition(".")[2] in _WORKBOOK_TYPES or self.filetype in _WORKBOOK_TYPES:
            return FileKind.workbook
        return FileKind.other

    def refusal(self) -> str | None:
        """Why the file is not even downloaded, or None."""
        if self.kind is FileKind.workbook:
            return "it is a spreadsheet workbook, not a CSV: save it as CSV and share that"
        if self.kind is FileKind.other:
            return "it is not a CSV file (by its name and type)"
        if not (self.mimetype.startswith("text/") or self.mimetype in _TEXT_MIMETYPES):
            return f"Slack reads it as {self.mimetype}, not as text"
        if self.size > MAX_BYTES:
            return f"it is {megabytes(self.size)}; the limit is {megabytes(MAX_BYTES)}"
        if not self.url_private_download:
            return "Slack gives no download address for it"
        return None


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def binary_kind(head: bytes) -> str | None:
    """Name what the first bytes show a file to be when it is not text, else None.

    UTF-16 text (with its BOM) holds NUL bytes and is still text: the importer reads it.
    """
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if b"\x00" in head and not head.startswith(_UTF16_BOMS):
        return "binary data (NUL bytes), not text"
    return None


def may_receive_token(url: str, api_url: str) -> bool:
    """Tell whether `url` is on Slack's hosts over HTTPS, or on the configured Web API's host
    (whose http(s) scheme the settings checked)."""
    target, api = urlsplit(url), urlsplit(api_url)
    if (target.scheme, target.netloc) == (api.scheme, api.netloc):
        return True
    host = target.hostname or ""
    return target.scheme == "https" and host.endswith(_SLACK_HOSTS)


class _KeepTokenOnSlack(urllib.request.HTTPRedirectHandler):
    """Follow a redirect without the token unless it stays on a host allowed to see it."""

    def __init__(self, api_url: str) -> None:
        self._api_url = api_url

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and not may_receive_token(newurl, self._api_url):
            new.remove_header("Authorization")
        return new


def download(
    file: SharedFile, *, token: str, api_url: str, dest: Path, deadline: float = DEADLINE
) -> int:
    """Stream the file's bytes into `dest` and return their count; raise `FileRefused`.

    Stops at first bytes that are binary, past `MAX_BYTES` whatever Slack claimed, or once
    `deadline` seconds have gone by.
    """
    url = file.url_private_download
    if not may_receive_token(url, api_url):
        raise FileRefused("its download address is not Slack's")
    bearer = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, headers=bearer)  # noqa: S310 (http(s), checked above)
    opener = urllib.request.build_opener(_KeepTokenOnSlack(api_url))
    until = time.monotonic() + deadline
    try:
        with (
            opener.open(request, timeout=min(TIMEOUT, deadline)) as response,
            dest.open("wb") as out,
        ):
            return _copy_checked(response, out, until)
    except urllib.error.HTTPError as exc:
        raise FileRefused(f"Slack did not hand it over (HTTP {exc.code})") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise FileRefused("the download failed; share it again in a minute") from exc


def _copy_checked(source: HTTPResponse, out: IO[bytes], until: float) -> int:
    head = b""
    while len(head) < SNIFF_BYTES and (chunk := _read_before(source, until)):
        head += chunk
    what = binary_kind(head[:SNIFF_BYTES])
    if what is not None:
        raise FileRefused(f"it is {what}")
    out.write(head)
    total = len(head)
    while chunk := _read_before(source, until):
        total += len(chunk)
        if total > MAX_BYTES:
            raise FileRefused(f"it is larger than {megabytes(MAX_BYTES)}")
        out.write(chunk)
    return total


def _read_before(source: HTTPResponse, until: float) -> bytes:
    """Read what has come (one receive, not a full chunk), unless the deadline has passed."""
    if time.monotonic() > until:
        raise FileRefused("the download took too long; share it again in a minute")
    return bytes(source.read1(_CHUNK))
