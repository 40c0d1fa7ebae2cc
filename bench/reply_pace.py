"""Reply chain pace: replies parsed and classified per CPU second, short and long.

    .venv/bin/python -m bench.reply_pace [--corpus cam/data/reply_corpus.jsonl] [--rounds 5]

Each reply of a labelled corpus (the training corpus by default: nothing held out is read) is
written out as a mail and read as `bench.reply_classifier` reads it, by the whole chain: parser,
headers, phrases, absences, keyword rules, the model. "Long" writes each reply's own words four
times over above the whole reply (its quoted original included), as a rambling answer with a
long history is, since the phrase rules and the model's features cost by the word. The best of
`--rounds` rounds counts: on a shared machine the slowest rounds measure the neighbours. CPU
time, not the wall clock, is what the chain costs. Uses only what the chain had before its
speed-up, so the same script measures both (run it from a checkout of the older commit).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.reply_classifier import read_all
from bench.run_all import emit
from cam.replies import classifier
from cam.replies.classifier import CorpusRow, ReplyModel

CORPUS = Path(classifier.__file__).parent.parent / "data" / "reply_corpus.jsonl"
# How many times a long reply says its own words.
LONG = 4


def lengthened(row: CorpusRow) -> CorpusRow:
    """The reply with its own words written `LONG` times above it."""
    own = classifier.written_part(row.text)
    text = "\n\n".join([own] * LONG + [row.text])
    return row.model_copy(update={"text": text})


def per_cpu_second(model: ReplyModel, rows: list[CorpusRow], rounds: int) -> float:
    """Replies read per CPU second, in the best of `rounds` rounds (after one to warm up)."""
    read_all(model, rows, model_only=False)
    best = float("inf")
    for _ in range(rounds):
        cpu = time.process_time()
        read_all(model, rows, model_only=False)
        best = min(best, time.process_time() - cpu)
    return len(rows) / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--rounds", type=int, default=5)
    args, _ = parser.parse_known_args()
    model = classifier.default_model()
    rows = classifier.read_corpus(args.corpus)
    for name, replies in (("short", rows), ("long", [lengthened(r) for r in rows])):
        pace = per_cpu_second(model, replies, args.rounds)
        emit(f"reply chain, {name} replies (n={len(replies)})", round(pace), "replies/CPU s")


if __name__ == "__main__":
    main()
