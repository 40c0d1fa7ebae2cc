"""The team's decisions, remembered as they were written.

Retraining with a team label shifts the model towards replies like it; a reply that is nearly
the same as one a person already decided (the same assistant's template, the same prospect
writing again) gets that person's decision outright, whatever the model would say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cam.core.models import ReplyClass
from cam.replies.features import words

# Share of words two replies must have in common (Jaccard) to count as the same reply.
SIMILARITY = 0.7


@dataclass(frozen=True)
class Recalled:
    """The team's decision on a reply much like the one being classified."""

    label: ReplyClass
    similarity: float
    excerpt: str


class TeamMemory:
    """The replies the team labelled, indexed by word for a quick look-up."""

    def __init__(self, labelled: Iterable[tuple[str, ReplyClass]]) -> None:
        self._entries: list[tuple[frozenset[str], ReplyClass, str]] = []
        self._index: dict[str, list[int]] = {}
        for written, label in labelled:
            found = frozenset(words(written))
            if not found:
                continue
            for word in found:
                self._index.setdefault(word, []).append(len(self._entries))
            self._entries.append((found, label, " ".join(written.split())[:80]))

    def __len__(self) -> int:
        return len(self._entries)

    def recall(self, written: str) -> Recalled | None:
        """Return the decision on the most similar labelled reply, if similar enough."""
        found = frozenset(words(written))
        shared: dict[int, int] = {}
        for word in found:
            for entry in self._index.get(word, ()):
                shared[entry] = shared.get(entry, 0) + 1
        best: tuple[float, int] | None = None
        for entry, common in shared.items():
            similarity = common / len(found | self._entries[entry][0])
            # The later of two equally similar decisions is the team's current view.
            if best is None or similarity >= best[0]:
                best = (similarity, entry)
        if best is None or best[0] < SIMILARITY:
            return None
        _words, label, excerpt = self._entries[best[1]]
        return Recalled(label, round(best[0], 3), excerpt)
