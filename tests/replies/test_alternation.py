"""Phrase alternations compiled for speed match exactly as the plain alternations they came from."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cam.core.settings import DATA_DIR
from cam.replies import absence, acknowledgements, phrases
from cam.replies.alternation import (
    as_written,
    by_first_letter,
    compile_phrases,
    compiled_alternations,
)
from cam.replies.classifier import written_part
from cam.replies.features import fold

# The modules whose phrases are compiled by `compile_phrases`, imported for their alternations.
READERS = (absence, acknowledgements, phrases)
ROWS = [json.loads(line) for line in (DATA_DIR / "reply_corpus.jsonl").open(encoding="utf-8")]
TEXTS = [fold(t) for row in ROWS for t in (row["text"], written_part(row["text"]))]
# Words from the phrases themselves, shuffled into texts that come near them.
WORDS = sorted(
    {w for pattern in compiled_alternations() for w in re.findall(r"[a-z]{2,}", pattern.pattern)}
)


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


@pytest.mark.parametrize("compiled", compiled_alternations(), ids=lambda p: p.pattern[:30])
def test_each_alternation_matches_the_corpus_as_written(compiled: re.Pattern[str]):
    written = as_written(compiled)
    for text in TEXTS:
        assert spans(compiled, text) == spans(written, text), text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*WORDS, " ", "  ", ", ", ". ", "'", "-", "n't "]), max_size=25))
def test_each_alternation_matches_any_text_as_written(parts: list[str]):
    text = " ".join(parts)
    for compiled in compiled_alternations():
        assert spans(compiled, text) == spans(as_written(compiled), text)


def test_branches_keep_their_order_within_a_letter_and_around_others():
    assert by_first_letter(["ab", "(?:x|y)z", "ac", "[0-9]", "ad", "(?<!q)e"]) == [
        "a(?:b|c)",
        "xz",
        "yz",
        "[0-9]",
        "ad",
        "e(?<!qe)",
    ]


def test_a_lookbehind_before_the_word_boundary_is_kept_with_its_branch():
    compiled = compile_phrases(r"(?<!not )\bobject\s+to|\bopt\s+out")
    assert [m.group(0) for m in compiled.finditer("i object to this")] == ["object to"]
    assert compiled.search("i do not object to this") is None
    assert [m.group(0) for m in compiled.finditer("please opt out")] == ["opt out"]


def test_a_quantified_or_capturing_group_is_left_as_written():
    assert by_first_letter([r"(?:me|us)?\s+out", r"(?:a|(b))c"]) == [
        r"(?:me|us)?\s+out",
        r"(?:a|(b))c",
    ]
