"""Read the team's TOML files (campaign, scoring, reply rules, mailboxes) into checked models."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)

_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=")


def load_model(path: Path, model: type[Model], what: str, error: type[Exception]) -> Model:
    """Parse `path` as `model`; raise `error` naming the file, the line and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what} {path}: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for item in exc.errors():
            line = line_of(text, item["loc"])
            where = f"line {line}" if line else "file"
            field = ".".join(str(part) for part in item["loc"]) or "(top)"
            problems.append(f"{where}: {field}: {item['msg']}")
        raise error(f"invalid {what} {path}:\n  " + "\n  ".join(problems)) from exc


def line_of(text: str, loc: Sequence[int | str]) -> int | None:
    """Return the line that sets `loc` (pydantic's path into the TOML), or its nearest table.

    Tracks `[table]` and `[[array]]` headers and `key =` lines only: enough for the flat files
    a team writes, where an error must name a line to be fixed quickly.
    """
    counts: dict[tuple[str, ...], int] = {}
    table: tuple[int | str, ...] = ()
    best: tuple[int, int] | None = None  # (matched length, line)
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _TABLE.match(line):
            names = tuple(part.strip().strip('"') for part in header.group(2).split("."))
            table = _table_path(names, header.group(1) == "[[", counts)
            here: tuple[int | str, ...] = table
        elif key := _KEY.match(line):
            here = (*table, key.group(1).strip('"'))
        else:
            continue
        matched = _common_prefix(here, loc)
        if matched == len(here) and (best is None or matched > best[0]):
            best = (matched, number)
    return best[1] if best else None


def _table_path(
    names: tuple[str, ...], is_array: bool, counts: dict[tuple[str, ...], int]
) -> tuple[int | str, ...]:
    """Turn a header's dotted names into a pydantic path, counting array-of-tables entries."""
    path: list[int | str] = []
    for depth, name in enumerate(names):
        path.append(name)
        key = tuple(str(part) for part in path)
        last = depth == len(names) - 1
        if last and is_array:
            counts[key] = counts.get(key, -1) + 1
            path.append(counts[key])
        elif not last and key in counts:
            # `[mailbox.smtp]` belongs to the latest `[[mailbox]]`.
            path.append(counts[key])
    return tuple(path)


def _common_prefix(a: tuple[int | str, ...], b: Sequence[int | str]) -> int:
    size = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        size += 1
    return size
