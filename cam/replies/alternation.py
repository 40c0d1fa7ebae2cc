"""Compile a long alternation of phrases so the regex engine tries it fast, with the same matches.

The opt-out and absence phrases are alternations of a hundred branches, nearly all starting with
a word boundary (`\\bunsubscrib`, `\\babmeld`, ...). Python's engine tries every branch at every
position of the text, and a branch that opens with an assertion or a group costs a saved and
restored state even where it fails at once, while a branch that opens with a letter is skipped
by comparing one character. So:

- consecutive branches that start with `\\b` are grouped under one `\\b`, checked once per
  position (a branch that opens with lookbehinds and then `\\b` has them swapped: zero-width
  assertions at one place commute);
- inside such a group, a branch that opens with a group of words is spread over its words
  (`(?:remove|take)\\s+me` is `remove\\s+me|take\\s+me`, tried in the same order), and branches
  that open with a letter are gathered by that letter (`u(?:nsubscrib|...)`), so a word start
  costs one comparison per letter, not one attempt per branch. Two branches that open with
  different letters never match at the same place, so gathering them changes no match; branches
  with the same letter keep their order, and a branch that opens otherwise stays where it was.

Every search finds the same match as the plain alternation (`tests/replies/test_alternation`):
the opt-out requests are read twenty times faster.
"""

from __future__ import annotations

import re

# Lookbehind assertions (without nested groups) followed by a word boundary.
_LOOKBEHINDS_THEN_BOUNDARY = re.compile(r"^((?:\(\?<!?[^()]*\))+)\\b")
_QUANTIFIERS = frozenset("*+?{")
# A lookbehind with neither a group nor an alternative inside.
_LOOKBEHIND = re.compile(r"\(\?<[!=][^()|]*\)")
# An opening parenthesis that starts a capturing group.
_CAPTURING = re.compile(r"(?<!\\)\((?!\?)")


# Each compiled alternation and the patterns it was made from, to check it against them.
_SOURCES: dict[re.Pattern[str], tuple[str, ...]] = {}


def compile_phrases(*patterns: str) -> re.Pattern[str]:
    """Compile `(?:p1)|(?:p2)|...`, each pattern's own top-level branches included, regrouped."""
    groups: list[tuple[bool, list[str]]] = []
    for pattern in patterns:
        for branch in top_level_branches(pattern):
            branch = _LOOKBEHINDS_THEN_BOUNDARY.sub(r"\\b\1", branch)
            bounded = branch.startswith(r"\b")
            if bounded and groups and groups[-1][0]:
                groups[-1][1].append(branch[2:])
            elif bounded:
                groups.append((True, [branch[2:]]))
            else:
                groups.append((False, [branch]))
    compiled = re.compile(
        "|".join(
            r"\b(?:" + "|".join(by_first_letter(branches)) + ")"
            if bounded
            else f"(?:{branches[0]})"
            for bounded, branches in groups
        )
    )
    _SOURCES[compiled] = patterns
    return compiled


def compiled_alternations() -> list[re.Pattern[str]]:
    """Every alternation `compile_phrases` has made in this process."""
    return list(_SOURCES)


def as_written(compiled: re.Pattern[str]) -> re.Pattern[str]:
    """The plain alternation `compiled` was made from by `compile_phrases`: what it must match
    like, for tests to compare."""
    return re.compile("|".join(f"(?:{p})" for p in _SOURCES[compiled]))


def by_first_letter(branches: list[str]) -> list[str]:
    """The same alternation, its branches spread and gathered by first letter (see the module)."""
    gathered: list[str] = []
    run: dict[str, list[str]] = {}
    for branch in (spread for written in branches for spread in _spread(written)):
        behind, rest = _lookbehinds(branch)
        if rest[:1].isalnum() and rest[1:2] not in _QUANTIFIERS:
            # A lookbehind before the letter looks behind it and the letter once it is read:
            # `(?<!not )o` is `o(?<!not o)`.
            moved = "".join(f"{b[:-1]}{rest[0]})" for b in behind)
            run.setdefault(rest[0], []).append(moved + rest[1:])
        else:
            gathered += _gather(run)
            run = {}
            gathered.append(branch)
    return gathered + _gather(run)


def _lookbehinds(branch: str) -> tuple[list[str], str]:
    """The plain lookbehinds that open `branch` (no group, no alternative inside), and the rest."""
    found = []
    while match := _LOOKBEHIND.match(branch):
        found.append(match.group(0))
        branch = branch[match.end() :]
    return found, branch


def _gather(run: dict[str, list[str]]) -> list[str]:
    return [
        letter + (rests[0] if len(rests) == 1 else "(?:" + "|".join(rests) + ")")
        for letter, rests in run.items()
    ]


def _spread(branch: str) -> list[str]:
    """`(?:a|b)rest` as `arest`, `brest` (lookbehinds before the group kept before each); any
    other branch as it is."""
    behind, rest = _lookbehinds(branch)
    if not rest.startswith("(?:") or _CAPTURING.search(rest):
        return [branch]
    end = _group_end(rest)
    if end < 0 or rest[end : end + 1] in _QUANTIFIERS:
        return [branch]
    words = top_level_branches(rest[3 : end - 1])
    return ["".join(behind) + word + rest[end:] for word in words] if all(words) else [branch]


def top_level_branches(pattern: str) -> list[str]:
    """Split `pattern` at the `|` that are outside any group or character class."""
    branches = []
    start = 0
    for i, depth in _depths(pattern):
        if depth == 0 and pattern[i] == "|":
            branches.append(pattern[start:i])
            start = i + 1
    branches.append(pattern[start:])
    return branches


def _group_end(pattern: str) -> int:
    """Where the group that opens `pattern` ends (just after its ")"), or -1."""
    for i, depth in _depths(pattern):
        if depth == 0 and pattern[i] == ")":
            return i + 1
    return -1


def _depths(pattern: str) -> list[tuple[int, int]]:
    """Each unescaped character outside a character class with the group depth around it (an
    opening parenthesis counts inside its group, a closing one outside)."""
    found = []
    depth = 0
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 1 + pattern.startswith("^", i + 1)
            # A "]" first in a class is a literal, not its end.
            i += pattern.startswith("]", i)
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        found.append((i, depth))
        i += 1
    return found
