"""Why a delivery failed, in a few words a mail admin uses, from its status and diagnostic.

The reason tells a dead address from a live one: "user unknown" and "host unknown" name an
address that will never take mail, while "mailbox full" and "blocked/policy" (a spam filter, a
DMARC rejection, a relay refused) are about this message or this week, and the address may work
again. The enhanced status code (RFC 3463) decides where it is specific; otherwise the words of
the diagnostic do, as mail systems write them (after Sisimai's reason names and phrase lists).
Some words win over any code, in Sisimai's order of reasons: a full mailbox (servers write it
as 5.2.3, 5.7.0 or 5.0.0 too), a message too large (as 5.1.1 or 5.7.1), a relay refused (the
receiving server does not take mail for that domain from us); reading any of them as a dead
address would suppress a live one. A security or policy code (5.7.x) whose words say the
address or its domain is unknown is read by its words, as Sisimai reads its text again. Among
the words, a spam or content filter's verdict is about the message (policy), a block list's
about the sending host (blocked).
"""

from __future__ import annotations

import enum
import re


class BounceReason(enum.StrEnum):
    user_unknown = "user_unknown"
    host_unknown = "host_unknown"
    mailbox_full = "mailbox_full"
    suspended = "suspended"
    blocked = "blocked"
    policy = "policy"
    too_large = "too_large"
    expired = "expired"
    undefined = "undefined"


# Reasons that say the address itself is gone: the others may clear by themselves.
DEAD = frozenset({BounceReason.user_unknown, BounceReason.host_unknown, BounceReason.suspended})

_BY_STATUS = {
    "5.1.1": BounceReason.user_unknown,
    "5.1.0": BounceReason.user_unknown,
    "5.1.10": BounceReason.user_unknown,
    "5.1.6": BounceReason.user_unknown,
    "5.1.2": BounceReason.host_unknown,
    "5.4.4": BounceReason.host_unknown,
    "5.2.2": BounceReason.mailbox_full,
    "4.2.2": BounceReason.mailbox_full,
    "5.2.1": BounceReason.suspended,
    "5.3.4": BounceReason.too_large,
    "5.2.3": BounceReason.too_large,
    "4.4.7": BounceReason.expired,
    "5.4.7": BounceReason.expired,
}
_BY_WORDS = (
    (
        BounceReason.mailbox_full,
        r"mail[- ]?(?:box|folder) (?:is )?full|full mailbox|over ?(?:the |disk )?(?:allowed )?quota"
        r"|mail[- ]?box (?:has |size |quota )?(?:limit )?exceed"
        r"|quota (?:usage )?exceeded|disk ?(?:space )?quota|exceed(?:s|ed|ing)? (?:its |their "
        r"|the )?(?:(?:mailbox |storage |disk space )(?:quota|limit|allocation)|quota)"
        r"|insufficient (?:system )?storage|mailbox size limit|(?:not|doesn.t|does not) have "
        r"enough (?:disk |storage )?space|not enough (?:disk |storage )?space"
        r"|not sufficient disk space|no space left"
        r"|space has been used up|too many messages on the server|destinataire pleine",
    ),
    (
        BounceReason.too_large,
        r"message (?:is )?too (?:big|large)|size (?:limit )?exceed|exceeds? (?:the )?(?:maximum )?"
        r"(?:message )?size",
    ),
    (
        BounceReason.host_unknown,
        r"host (?:or domain name )?not found|host unknown|unknown host|domain (?:name )?not found"
        r"|no such domain|unroute?able (?:mail )?(?:domain|address)|name service error|no mx"
        r"|domain does not exist|nxdomain|unknown domain|could not be resolved"
        r"|name or service not known",
    ),
    (
        BounceReason.suspended,
        r"account (?:has been |is )?(?:disabled|suspended|inactive|deactivated|locked|expired)"
        r"|mailbox (?:is )?(?:currently )?(?:disabled|inactive|suspended|frozen)|user (?:is )?"
        r"(?:disabled|suspended|terminated)|inactive account|deactivated mailbox"
        r"|no longer accepts mail|disabled or discontinued",
    ),
    (
        BounceReason.user_unknown,
        r"user unknown|unknown user|no such (?:user|mailbox|recipient|address|account)|user not "
        r"found|recipient not found|invalid recipient|unknown recipient|recipient unknown"
        r"|does not exist|doesn'?t exist|no mail[- ]?box|mail[- ]?box (?:not found|unavailable)"
        r"|addressee unknown|bad destination mailbox|account does not exist"
        r"|email address (?:you entered )?(?:wasn.t|couldn.t be) found|invalid user|unknown address"
        r"|user doesn.t have|chkusr|is not a valid mailbox|no longer (?:available|active)"
        r"|address unknown|no such person|is not a known user|(?:invalid|unknown) mail[- ]?box"
        r"|non-?existent (?:user|recipient|address|mailbox)|no account by that name"
        r"|not a (?:valid|known) (?:user|recipient)|mail[- ]?box (?:invalid|not present)",
    ),
    # Weaker words: a refusal of the address that may be a policy's (5.7.x reads them so).
    (BounceReason.user_unknown, r"address rejected|not listed in"),
    (
        BounceReason.policy,
        r"\bspam(?!haus|cop|mers?\b| ?(?:list|trap)s?\b)|bulk (?:e-?)?mail|content filter"
        r"|not accepting (?:mail|messages) with",
    ),
    (
        BounceReason.blocked,
        r"blocked|block ?list|black ?list|deny ?list|spamhaus|rbl|dnsbl|reputation"
        r"|listed (?:at|on|in)|refused|not allowed|access denied|domain filter"
        r"|not accepting (?:mail|messages) from",
    ),
    (
        BounceReason.policy,
        r"policy|dmarc|spf|dkim|spam|virus|unauthenticated|not authorized|content rejected"
        r"|rejected due to|authentication",
    ),
    (
        BounceReason.expired,
        r"retry time ?out|delivery time expired|timed? ?out|gave up|giving up|expired"
        r"|have been failing for a long time|retry time not reached"
        r"|could not be delivered (?:within|for) \d+ (?:days|hours)",
    ),
)
_WORDS = tuple((reason, re.compile(words, re.IGNORECASE)) for reason, words in _BY_WORDS)
# The first words of each reason.
_SAID: dict[BounceReason, re.Pattern[str]] = {}
for _reason, _words in _WORDS:
    _SAID.setdefault(_reason, _words)
# The receiving server does not take mail for that domain from us: Sendmail's "Relaying
# denied", Postfix's "Relay access denied", qmail's "rcpthosts", "as a relay", "unable to relay".
_RELAY = re.compile(
    r"relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|refused|prohibited)"
    r"|(?:unable|not (?:configured|allowed|permitted)) to relay|as a relay|we do not relay"
    r"|no relaying|rcpthosts",
    re.IGNORECASE,
)
# Words that win over any code, in this order.
_FIRST = (
    (BounceReason.mailbox_full, _SAID[BounceReason.mailbox_full]),
    (BounceReason.too_large, _SAID[BounceReason.too_large]),
    (BounceReason.policy, _RELAY),
)
# A spam or content filter's verdict: policy even where its words say "blocked".
_FILTER = _SAID[BounceReason.policy]
# A notice that says it will keep trying, or only warns: nothing in it failed for good.
_WARNING = re.compile(
    r"\bdelay(?:ed)?\b|\bwarning\b|will (?:continue|keep) (?:trying|to try)|still (?:trying|being "
    r"retried)|has not (?:yet )?been delivered yet|has not yet been delivered|will be retried"
    r"|attempts will continue|will (?:try|retry) (?:again|to deliver)|retry(?:ing)? (?:for|until)"
    r"|no action is required",
    re.IGNORECASE,
)


def reason_of(status: str, diagnostic: str) -> BounceReason:
    """The reason a failure's status code, else its diagnostic's words, give."""
    for first, words in _FIRST:
        if words.search(diagnostic):
            return first
    if (coded := _BY_STATUS.get(status)) is not None:
        return coded
    if status.startswith(("5.7.", "4.7.")):
        for unknown in (BounceReason.host_unknown, BounceReason.user_unknown):
            if _SAID[unknown].search(diagnostic):
                return unknown
        # Security or policy: a block list names itself, anything else is policy.
        blocked = _SAID[BounceReason.blocked].search(diagnostic)
        return (
            BounceReason.blocked
            if blocked and not _FILTER.search(diagnostic)
            else BounceReason.policy
        )
    for reason, words in _WORDS:
        if words.search(diagnostic):
            return reason
    return BounceReason.undefined


def is_final(status: str, notice: str) -> bool:
    """Whether a failure in a notice without a delivery-status part is final.

    A 5.x.x status is. Otherwise a notice that warns or says it keeps trying is a delay, and
    a 2.x.x status is a success; a notice that gave up (qmail's "I'm not going to try again"
    after a 4xx, a failure without a code) is final: its reason says whether the address died.
    """
    if status.startswith("5"):
        return True
    return not status.startswith("2") and _WARNING.search(notice) is None
