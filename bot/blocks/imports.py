"""Leads imported from a CSV shared in Slack: the answer in the file's thread, and how-to."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.blocks.common import SlackPost, bulleted, context, escape, fallback, section, to_dicts
from cam.leads.csv_files import DELIMITER_NAMES
from cam.leads.importer import ImportResult

# Rejected rows shown in the thread; all of them are in the errors CSV uploaded beside.
SHOWN_ERRORS = 10
MAX_NAME = 200


def how_to_import(report_channel: str, *, here: bool) -> str:
    """What `/cam import` answers: Slack cannot attach a file to a slash command."""
    channel = f"<#{report_channel}>"
    steps = (
        f"To import leads, upload a CSV file into {channel} (drag it in, or use + then Upload). "
        "I import every CSV shared there, with the same checks as `cam leads import`, and answer "
        "in its thread with the counts and the rows I could not take. It needs a header row "
        "with an email column (headers in English, German, French, Spanish, Dutch, Italian "
        "or Portuguese are understood); up to 50 MB; a spreadsheet must be saved as CSV first. "
        "`/cam import map Spalte=company` imports your latest CSV again with a column named."
    )
    if not here:
        return f"{steps}\n`/cam import` works in {channel} only."
    return f"{steps}\nImporting again the last CSV you shared here, if there is one…"


def import_result_post(result: ImportResult, *, name: str, by: str) -> SlackPost:
    """The counts, the notes and the first rejected rows, with their line numbers."""
    file = escape(_short(name))
    counts = (
        f"{result.rows} rows: *{result.imported} new leads*, {result.already_present} already "
        f"known, {result.duplicates_in_file} duplicates in the file, {result.invalid} invalid."
    )
    blocks: list[Block] = [section(f"<@{by}> imported *{file}*. {counts}")]
    notes = [f"Separator: {DELIMITER_NAMES.get(result.delimiter, 'comma')}."]
    if result.encoding_note:
        notes.append(escape(result.encoding_note) + ".")
    notes += [escape(note) + "." for note in result.notes()]
    blocks.append(context(" ".join(notes)))
    if result.errors:
        lines = [f"Line {e.line}: {escape(e.reason)}" for e in result.errors[:SHOWN_ERRORS]]
        texts = bulleted(["*Rows not imported*", *lines], limit=SHOWN_ERRORS + 1)
        blocks += [section(text) for text in texts]
    if result.errors_file is not None:
        blocks.append(
            context(f"All {result.rejected} rows not imported are in the errors file below.")
        )
    text = f"Imported {_short(name)}: {result.imported} new leads of {result.rows} rows"
    return SlackPost(text=fallback(text), blocks=to_dicts(blocks))


def import_refused_post(*, name: str, by: str, reason: str) -> SlackPost:
    """Why a shared file was not imported: nothing of it was."""
    file = escape(_short(name))
    words = f"<@{by}>, I did not import *{file}*: {escape(reason)}. Nothing was imported."
    text = f"Not imported: {_short(name)}: {reason}"
    return SlackPost(text=fallback(text), blocks=to_dicts([section(words)]))


def errors_file_name(name: str) -> str:
    """The name of the errors CSV uploaded back: the file's own, with `-errors`."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{_short(stem)}-errors.csv"


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"
