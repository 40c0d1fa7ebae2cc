"""A lead's statuses, the sets the phases ask about, and the moves a status may make.

Statuses only move forward: a reply, a bounce or an opt-out stops the sequence for good, a
later question does not cool a hot lead, and nothing revives an unsubscribed one. Every phase
that changes a status asks `may_move` (for one lead) or `moves_to` (in an UPDATE's WHERE), so
the rules below are the only ones.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from cam.core.models import Lead, LeadStatus

S = LeadStatus

# A sequence goes on from these: enrolled and not stopped.
ENROLLED = frozenset({S.scored, S.scheduled, S.contacted})
# Not stopped: imported or enrolled; a reply from the person moves these.
OPEN = frozenset({S.new, *ENROLLED})
# Nothing more from the sequence for these.
STOPPED = frozenset({S.replied, S.hot, S.escalated, S.disqualified, S.unsubscribed, S.bounced})
# The address is dead or asked to be left alone: nothing moves these but an opt-out.
FINAL = frozenset({S.unsubscribed, S.bounced})

# Where each status may go next.
MOVES: dict[LeadStatus, frozenset[LeadStatus]] = {
    S.new: frozenset({S.scored, S.disqualified, S.contacted, S.replied, S.hot, *FINAL}),
    S.scored: frozenset({S.scheduled, S.contacted, S.replied, S.hot, *FINAL}),
    S.scheduled: frozenset({S.contacted, S.replied, S.hot, *FINAL}),
    S.contacted: frozenset({S.replied, S.hot, *FINAL}),
    S.replied: frozenset({S.hot, *FINAL}),
    S.hot: frozenset({S.escalated, *FINAL}),
    S.escalated: FINAL,
    S.disqualified: FINAL,
    S.bounced: frozenset({S.unsubscribed}),
    S.unsubscribed: frozenset(),
}


def may_move(current: LeadStatus, to: LeadStatus) -> bool:
    """Tell whether a lead in `current` may move to `to`."""
    return to in MOVES[current]


def sources(to: LeadStatus) -> frozenset[LeadStatus]:
    """Return the statuses that may move to `to`."""
    return frozenset(status for status, targets in MOVES.items() if to in targets)


def moves_to(to: LeadStatus) -> ColumnElement[bool]:
    """Return the WHERE clause of an UPDATE that moves leads to `to`, where allowed."""
    return Lead.status.in_(sorted(sources(to)))
