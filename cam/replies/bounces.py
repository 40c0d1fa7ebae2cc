"""Which recipient a bounce is about, and whether a message is a notice from a mail system.

A delivery report (RFC 3464) is not always right about the address: `Final-Recipient` may be
an X.400 address, a local name without a domain (the mailbox after aliasing) or garbage, and
taking it at its word suppresses the wrong address, or none. The failed recipient is read, in
this order, from a usable `Original-Recipient` (the address as we wrote it), a usable
`Final-Recipient`, and, when neither names one, from our returned message: the lead of the
outreach row its Message-ID names (the caller matches it, having the database), else its
`To:`, else what flufl.bounce reads in the notice. A failure nothing names is still a bounce,
and says that nothing was found.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from email.utils import getaddresses

from flufl.bounce import all_failures

from cam.leads.addresses import email_problem
from cam.replies import bounce_text
from cam.replies.bounce_reasons import BounceReason, reason_of
from cam.replies.parser import DsnRecipient, ParsedReply, addresses

log = logging.getLogger(__name__)

# Address types of a DSN recipient field that hold a mail address (RFC 3464, RFC 6533).
MAIL_ADDRESS_TYPES = frozenset({"rfc822", "utf-8"})
# The null reverse-path (RFC 5321) written as the sender: only a mail system signs with it.
_NULL_SENDER = re.compile(r"<\s*>")


@dataclass(frozen=True)
class BounceFinding:
    """What a mail-system notice says about our message's recipient, and why."""

    why: str
    permanent: bool = False
    # Permanently failed recipients: those the notice names with a usable address, then the
    # fallback ones.
    addresses: tuple[str, ...] = ()
    # Set when a permanent failure names no usable address: the addresses to suppress unless our
    # Message-ID identifies the lead (the returned message's To:, else flufl.bounce's reading).
    fallback: tuple[str, ...] | None = None
    # Why each failed recipient failed, as the notice says (see `bounce_reasons`).
    reasons: tuple[tuple[str, BounceReason], ...] = ()

    @property
    def reason(self) -> BounceReason | None:
        """The first failed recipient's reason: what a digest line says."""
        return self.reasons[0][1] if self.reasons else None


def usable_address(field: str) -> str | None:
    """Return the mail address a DSN recipient field (`type; address`) names, or None."""
    kind, separator, address = field.partition(";")
    if not separator:
        kind, address = "rfc822", field
    if kind.strip().lower() not in MAIL_ADDRESS_TYPES:
        return None
    address = address.strip().strip("<>").strip().lower()
    return address if address and email_problem(address) is None else None


def recipient(block: DsnRecipient) -> str | None:
    """Return the address we sent to that one DSN block reports on, or None."""
    return usable_address(block.original_recipient) or usable_address(block.final_recipient)


def notice_reason(
    reply: ParsedReply,
    *,
    senders: Collection[str],
    names: Sequence[re.Pattern[str]],
    subjects: Sequence[re.Pattern[str]],
) -> str | None:
    """Say why `reply` is a notice from a mail system, or None when nothing says it is."""
    if reply.dsn:
        return "delivery-status report"
    if reply.content_type == "multipart/report":
        return "multipart/report"
    for name, address in addresses(reply.from_header):
        local = address.rpartition("@")[0] if "@" in address else address
        local = local.strip().strip('"\\').lower()
        if local and local in senders:
            return f"sender {local}"
        if name and any(p.search(name) for p in names):
            return f"sender {name[:60]!r}"
    if _NULL_SENDER.search(reply.from_header):
        return "null sender <>"
    for pattern in subjects:
        if match := pattern.search(reply.subject):
            return f"subject {match.group(0)[:60]!r}"
    if words := bounce_text.system_words(reply.new_text or reply.text):
        return f"mail-system text {words[:60]!r}"
    return None


def find(reply: ParsedReply, notice: str) -> BounceFinding:
    """Read a mail-system notice: a permanent failure and its recipients, or why it is none."""
    if reply.dsn:
        hard = [block for block in reply.dsn if is_permanent(block.action, block.status)]
        return _permanent_report(reply, hard) if hard else _temporary_report(reply.dsn[0])
    if (in_text := _from_text(reply)) is not None:
        return in_text
    temporary, permanent = _flufl(reply)
    if permanent:
        # The notice's own words: the returned message's headers (DKIM, SPF) say nothing of why.
        reason = reason_of("", bounce_text.notice_part(reply.text)[:5000])
        return BounceFinding(
            f"bounce format recognised by flufl.bounce: permanent failure for {permanent[0]}"
            f" ({reason})",
            permanent=True,
            addresses=permanent,
            reasons=tuple((a, reason) for a in permanent),
        )
    if temporary:
        return BounceFinding(
            f"bounce format recognised by flufl.bounce: temporary failure for {temporary[0]}"
            " (not a bounce)"
        )
    return BounceFinding(f"mail-system notice ({notice}) without a failed recipient")


def _from_text(reply: ParsedReply) -> BounceFinding | None:
    """Read the failed recipients a notice without a delivery-status part names in its text."""
    ours = [a for _n, a in getaddresses(reply.message.get_all("to", []) if reply.message else [])]
    failures = [
        f
        for f in bounce_text.read(reply.text, reply.subject, exclude=(reply.from_address, *ours))
        if email_problem(f.address) is None
    ]
    if not failures:
        return None
    hard = [f for f in failures if f.permanent]
    if not hard:
        first = failures[0]
        return BounceFinding(
            f"mail-system notice: {first.status or 'no status'} {first.reason} for "
            f"{first.address} (temporary, not a bounce)"
        )
    first = hard[0]
    return BounceFinding(
        f"mail-system notice text: permanent failure {first.status or 'without a status'}"
        f" ({first.reason}) for {first.address}",
        permanent=True,
        addresses=tuple(f.address for f in hard),
        reasons=tuple((f.address, f.reason) for f in hard),
    )


def is_permanent(action: str, status: str) -> bool:
    """Tell a permanent failure: status class 5 (RFC 3463), or a failure without a status.

    A 4.x.x status is a persistent transient failure even with `Action: failed` (the server
    gave up retrying, the address may be fine), and `delayed` is a warning: neither suppresses.
    """
    if status:
        return status.startswith("5")
    return action.startswith(("fail", "error"))


def _permanent_report(reply: ParsedReply, hard: list[DsnRecipient]) -> BounceFinding:
    found = [(block, recipient(block)) for block in hard]
    said = _Reasons(reply)
    head = f"delivery report: {hard[0].action or 'failed'} {hard[0].status or 'no status'}"
    head = f"{head} ({said.of(*found[0])})"
    named = tuple(dict.fromkeys(address for _, address in found if address is not None))
    unnamed = [block for block, address in found if address is None]
    if named:
        head = f"{head} for {named[0]}"
    reasons = tuple(
        (address, said.of(block, address)) for block, address in found if address is not None
    )
    if not unnamed:
        return BounceFinding(head, permanent=True, addresses=named, reasons=reasons)
    shown = unnamed[0].final_recipient or unnamed[0].original_recipient
    fallback, source = _fallback(reply)
    fallback = tuple(a for a in fallback if a not in named)
    ours = reply.original_message_id or next(iter(reply.returned_in_reply_to), None)
    steps = [f"the lead our message {ours} went to"] if ours else []
    steps += [source] if source else []
    whom = ", else ".join(steps) or "nothing in the report, the returned message or flufl.bounce"
    why = f"{head}; recipient {shown[:80]!r} is not a usable address: bounced is {whom}"
    if not steps:
        log.warning("bounce %s names no usable recipient: nothing suppressed", reply.message_id)
    reason = said.of(unnamed[0], None)
    return BounceFinding(
        why,
        permanent=True,
        addresses=(*named, *fallback),
        fallback=fallback,
        reasons=(*reasons, *((a, reason) for a in fallback)),
    )


class _Reasons:
    """Why each DSN block's recipient failed: its Diagnostic-Code, else what the notice's text
    says about that recipient, else the notice's text. Exchange, Domino and many gateways send
    a report with a status only and give the server's words in the text part."""

    def __init__(self, reply: ParsedReply) -> None:
        self.reply = reply
        # What the text says of each recipient (status, words); "" for the whole notice.
        self._said: dict[str, tuple[str, str]] | None = None

    def of(self, block: DsnRecipient, address: str | None) -> BounceReason:
        if block.diagnostic:
            return reason_of(block.status, block.diagnostic)
        if self._said is None:
            text = self.reply.text
            failures = bounce_text.read(text, self.reply.subject)
            self._said = {f.address: (f.status, f.diagnostic) for f in failures}
            self._said[""] = ("", bounce_text.notice_part(text))
        status, said = self._said.get(address or "", self._said[""])
        # The text's own status is the server's reply; the report's may be a generic 5.0.0.
        generic = not block.status or block.status.endswith(".0.0")
        return reason_of(status if generic and status else block.status, said)


def _temporary_report(block: DsnRecipient) -> BounceFinding:
    shown = recipient(block) or block.final_recipient or block.original_recipient
    return BounceFinding(
        f"delivery report: {block.action or 'no action'} {block.status or 'no status'}"
        f" for {shown[:80]} (temporary, not a bounce)"
    )


def _fallback(reply: ParsedReply) -> tuple[tuple[str, ...], str]:
    """Return the addresses a failure without a usable recipient falls back to, and whence."""
    returned = tuple(a for a in reply.returned_to if email_problem(a) is None)
    if returned:
        return returned, f"its To: {', '.join(returned)[:120]}"
    _temporary, permanent = _flufl(reply)
    if permanent:
        return permanent, f"flufl.bounce's reading: {', '.join(permanent)[:120]}"
    return (), ""


def _flufl(reply: ParsedReply) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return flufl.bounce's (temporary, permanent) failures that are usable addresses."""
    if reply.message is None:
        return (), ()
    try:
        temporary, permanent = all_failures(reply.message)
    except Exception as exc:  # never crash: a bug in flufl.bounce must not stop the phase
        reply.notes.append(f"bounce detection failed: {type(exc).__name__}")
        return (), ()
    return _usable(temporary), _usable(permanent)


def _usable(found: Collection[bytes]) -> tuple[str, ...]:
    decoded = sorted(a.decode("ascii", "replace").strip().lower() for a in found)
    return tuple(a for a in decoded if email_problem(a) is None)
