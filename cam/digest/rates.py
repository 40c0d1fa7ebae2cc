"""The digest's rates, each a share of the emails sent, with the line that makes it a warning."""

from __future__ import annotations

from cam.digest.model import Funnel, Rate, RateName

# A bounce rate above ~2 % is where mailbox providers start to distrust a sender.
BOUNCE_LINE = 2.0
# Gmail's bulk-sender rule: user-reported spam under 0.3 %.
SPAM_LINE = 0.3
# Unsubscribes above 1 % of sends say the list or the message does not fit.
UNSUBSCRIBE_LINE = 1.0

BOUNCE_ADVICE = (
    "Slow down (lower CAM_EMAIL_DAILY_CAP) and check the list: verify the addresses of the "
    "source the bounces come from before importing more of it."
)
UNSUBSCRIBE_ADVICE = (
    "Check that the list fits the offer and that the first lines say why you write: "
    "unsubscribes come before spam complaints."
)
SPAM_ADVICE = (
    "Stop sending and review targeting and copy: above 0.3 % Gmail filters or rejects the "
    "mailbox's mail. Complaint rates are in Google Postmaster Tools; CAM does not receive them."
)


def rates(funnel: Funnel) -> list[Rate]:
    """Return the reply, positive-reply, bounce, unsubscribe and spam-complaint rates."""
    sent = funnel.sent
    return [
        Rate(
            name=RateName.reply,
            label="Reply rate",
            count=funnel.replies,
            sent=sent,
            warn_above=None,
            advice="",
        ),
        Rate(
            name=RateName.positive,
            label="Positive replies",
            count=funnel.interested,
            sent=sent,
            warn_above=None,
            advice="",
        ),
        Rate(
            name=RateName.bounce,
            label="Bounce rate",
            count=funnel.bounced,
            sent=sent,
            warn_above=BOUNCE_LINE,
            advice=BOUNCE_ADVICE,
        ),
        Rate(
            name=RateName.unsubscribe,
            label="Unsubscribe rate",
            count=funnel.unsubscribed,
            sent=sent,
            warn_above=UNSUBSCRIBE_LINE,
            advice=UNSUBSCRIBE_ADVICE,
        ),
        # Complaints reach the mailbox provider, not CAM: known only when a provider reports.
        Rate(
            name=RateName.spam,
            label="Spam complaints",
            count=None,
            sent=sent,
            warn_above=SPAM_LINE,
            advice=SPAM_ADVICE,
        ),
    ]
