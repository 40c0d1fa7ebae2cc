"""Import a CSV of leads shared in the report channel, after the ack, with the CLI's importer.

The file is described by `files.info`, checked by name, type and size, downloaded with the bot's
token into a temporary directory (streamed; refused on binary first bytes or past 50 MB), then
imported by `cam.leads.importer` as `cam leads import` does it: same checks, same idempotence,
same event, which here also names who shared it. The answer goes in the file's thread, with the
errors CSV uploaded beside it. A refused file imports nothing, and its refusal is an event too.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.blocks.common import SlackPost, escape
from bot.blocks.imports import errors_file_name, import_refused_post, import_result_post
from bot.deps import Deps
from bot.event_payloads import LeadsImportRefused
from bot.shared_files import FileKind, FileRefused, SharedFile, download
from cam.core import events
from cam.core.db import unit_of_work
from cam.leads.importer import ImportFileError, ImportResult, import_leads

# How many of a person's latest files `/cam import` looks through for a CSV.
RECENT_FILES = 20


def import_shared_file(
    deps: Deps,
    *,
    file_id: str,
    by: str,
    asked: bool = False,
    mapping: Mapping[str, str] | None = None,
) -> None:
    """Import one file shared in the report channel and answer in its thread.

    A file that does not look like a spreadsheet at all (an image, a PDF) is let be, unless
    someone `asked` for it with `/cam import`: the channel is for talk as well as imports.
    `mapping` reads columns as fields (`/cam import map Spalte=company`).
    """
    channel = deps.settings.report_channel
    file = SharedFile.from_info(deps.client.files_info(file=file_id)["file"], channel)
    if file.thread_ts is None or (file.kind is FileKind.other and not asked):
        return
    with tempfile.TemporaryDirectory(prefix="cam-import-") as folder:
        try:
            result = _import(deps, file, by, Path(folder), mapping)
        except (FileRefused, ImportFileError) as exc:
            _refused(deps, file, by, str(exc))
            return
        _post(deps, file.thread_ts, import_result_post(result, name=file.name, by=by))
        if result.errors_file is not None:
            deps.client.files_upload_v2(
                channel=channel,
                thread_ts=file.thread_ts,
                file=str(result.errors_file),
                filename=errors_file_name(file.name),
                title=f"Rows not imported from {file.name}",
            )


def import_latest(
    deps: Deps,
    *,
    by: str,
    tell: Callable[[str], None],
    mapping: Mapping[str, str] | None = None,
) -> None:
    """`/cam import`: import again the latest CSV `by` shared in the report channel."""
    listed = deps.client.files_list(
        channel=deps.settings.report_channel, user=by, count=RECENT_FILES
    )
    channel = deps.settings.report_channel
    for found in listed.get("files") or []:
        file = SharedFile.from_info(found, channel)
        if file.kind is not FileKind.other:
            import_shared_file(deps, file_id=file.id, by=by, asked=True, mapping=mapping)
            tell(f"Done: the answer is in the thread of {escape(file.name)} in <#{channel}>.")
            return
    tell(f"You have not shared a CSV in <#{channel}> yet: upload one there.")


def _import(
    deps: Deps, file: SharedFile, by: str, folder: Path, mapping: Mapping[str, str] | None
) -> ImportResult:
    reason = file.refusal()
    if reason is not None:
        raise FileRefused(reason)
    copy = folder / "shared.csv"
    download(
        file,
        token=deps.settings.slack_bot_token.get_secret_value(),
        api_url=deps.settings.slack_api_url,
        dest=copy,
    )
    return import_leads(
        deps.session_factory,
        copy,
        errors_path=folder / "errors.csv",
        name=file.name,
        by=by,
        owners=deps.config.process.owner_names,
        mapping=mapping,
    )


def _refused(deps: Deps, file: SharedFile, by: str, reason: str) -> None:
    with unit_of_work(deps.session_factory) as session:
        refused = LeadsImportRefused(file=file.name, file_id=file.id, by=by, reason=reason)
        events.record(session, refused)
    if file.thread_ts is not None:
        _post(deps, file.thread_ts, import_refused_post(name=file.name, by=by, reason=reason))


def _post(deps: Deps, thread_ts: str, post: SlackPost) -> None:
    deps.client.chat_postMessage(
        channel=deps.settings.report_channel,
        thread_ts=thread_ts,
        text=post.text,
        blocks=post.blocks,
    )
