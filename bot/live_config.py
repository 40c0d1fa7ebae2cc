"""The files `cam-bot` reads at start, read again only on an explicit reload.

A request needs what the settings' files say, not the files: the mailboxes file (owners,
caps, warm-up, windows, who signs) with the cycle's config built from it
(`cam.bootstrap.ProcessConfig`), and the snippets file. Both are read once at start; a reload
(`/cam reload` by an approver, or SIGHUP) reads them again and swaps them in whole, or keeps
the ones in use when either cannot be used. The mailboxes' accounts (From, Reply-To, SMTP,
IMAP, DKIM) and the list of mailboxes are not reloaded: the gateways and the reply watchers
are built from them at start, so a reload that finds them changed is refused and asks for a
restart. Settings from the environment are never reloaded either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.event_payloads import ConfigReloaded
from cam.bootstrap import ProcessConfig
from cam.core import events
from cam.core.config import CAMCycleConfig
from cam.core.mailboxes import MailboxConfig, MailboxError
from cam.core.models import RuntimeState
from cam.core.settings import Settings
from cam.replies.snippets import SnippetFileError, SnippetsFile, load_snippets

log = logging.getLogger(__name__)

# What a mailbox's gateways are built from (`cam.core.mailboxes.mailbox_settings`).
_ACCOUNT_FIELDS = ("from_", "reply_to", "dkim_selector", "dkim_private_key_file", "smtp", "imap")


class ReloadRefused(Exception):
    """The files cannot be used as they are now: the message says why, in one line."""


@dataclass(frozen=True)
class _Files:
    process: ProcessConfig
    snippets: SnippetsFile


class LiveConfig:
    """What the bot's files say, as read at start or at the last reload; shared by its threads.

    Readers take `process` or `snippets` as they are at that moment: a reload replaces both
    at once and never changes what a reader already holds.
    """

    def __init__(self, settings: Settings, process: ProcessConfig | None = None) -> None:
        """Read the files (the mailboxes file only when `process` was not read from it yet).

        Raise `MailboxError` or `SnippetFileError` when one cannot be used.
        """
        self._settings = settings
        self._reloading = threading.Lock()
        process = process if process is not None else ProcessConfig.load(settings)
        self._files = _Files(process, load_snippets(settings.snippets_file))

    @property
    def process(self) -> ProcessConfig:
        return self._files.process

    @property
    def snippets(self) -> SnippetsFile:
        return self._files.snippets

    @property
    def owners(self) -> Mapping[str, str]:
        """Mailbox key -> its owner's Slack user ID, mentioned on the cards of its leads."""
        return self._files.process.owners

    def cycle_config(self, state: RuntimeState) -> CAMCycleConfig:
        """The cycle's config, dry or live as the team's switch (`state`) says."""
        return self._files.process.cycle_config(state)

    def reload(self) -> ProcessConfig:
        """Read the files again and use them from now on; return the new process config.

        Raise `ReloadRefused` (and keep the files in use) when one cannot be used, or when the
        mailboxes or their accounts changed: those take a restart.
        """
        with self._reloading:
            try:
                process = ProcessConfig.load(self._settings)
                snippets = load_snippets(self._settings.snippets_file)
            except (MailboxError, SnippetFileError) as exc:
                raise ReloadRefused(str(exc)) from None
            _refuse_new_accounts(self._files.process.mailboxes, process.mailboxes)
            self._files = _Files(process, snippets)
            return process


def _refuse_new_accounts(old: Sequence[MailboxConfig], new: Sequence[MailboxConfig]) -> None:
    """Refuse a reload that adds or removes a mailbox, or changes what one logs in and sends as."""
    before = {mailbox.key: mailbox for mailbox in old}
    after = {mailbox.key: mailbox for mailbox in new}
    if before.keys() != after.keys():
        moved = sorted(before.keys() ^ after.keys())
        raise ReloadRefused(
            f"mailboxes added or removed ({', '.join(moved)}) take a restart of cam-bot"
        )
    for key, mailbox in after.items():
        if any(getattr(mailbox, f) != getattr(before[key], f) for f in _ACCOUNT_FIELDS):
            raise ReloadRefused(
                f"mailbox {key!r} has a new From, Reply-To, SMTP, IMAP or DKIM setting, "
                "which takes a restart of cam-bot"
            )


def reload_files(live: LiveConfig, session: Session, *, by: str) -> str:
    """Reload the files for `by` (a Slack user, or the signal), record it; say what happened.

    The event lands when `session` commits; the reload holds whether or not it does.
    """
    try:
        process = live.reload()
    except ReloadRefused as exc:
        log.warning("reload by %s refused, the files in use are kept: %s", by, exc)
        events.record(session, ConfigReloaded(by=by, error=str(exc)))
        return f"Not reloaded, the files in use are kept: {exc}"
    count = len(process.mailboxes)
    log.info("mailboxes and snippets files reloaded by %s (%d mailboxes listed)", by, count)
    events.record(session, ConfigReloaded(by=by, mailboxes=count))
    if not count:
        return "Reloaded the snippets file (no mailboxes file is set)."
    return f"Reloaded the mailboxes file ({count} mailboxes) and the snippets file."
