"""Read the team's TOML files (campaign, scoring, reply rules, mailboxes) into checked models."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Model = TypeVar("Model", bound=BaseModel)

_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)")


def load_model(path: Path, model: type[Model], what: str, error: type[Exception]) -> Model:
    """Parse `path` as `model`; raise `error` in one line naming the file, the line and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"cannot read {what} {path}: it does not exist (check the path)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what} {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        line = f", line {at.group(1)}" if at else ""
        reason = _TOML_AT.sub("", str(exc)).strip()
        raise error(f"cannot read {what} {path}{line}: not valid TOML ({reason})") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for item in exc.errors(include_input=False):
            number = line_of(text, item["loc"])
            where = f"line {number}: " if number else ""
            field = ".".join(str(part) for part in item["loc"]) or "(top)"
            problems.append(f"{where}{field}: {_advice(item, model)}")
        if len(problems) == 1:
            raise error(f"{what} {path}, {problems[0]}") from exc
        raise error(f"invalid {what} {path}: " + "; ".join(problems)) from exc


def _advice(item: ErrorDetails, model: type[BaseModel]) -> str:
    """Say what is wrong in words that suggest the fix (a misspelt key gets its likely name)."""
    name = str(item["loc"][-1]) if item["loc"] else ""
    if item["type"] == "extra_forbidden":
        close = difflib.get_close_matches(name, sorted(_keys(model)), n=1)
        hint = f": did you mean {close[0]!r}?" if close else ": remove it"
        return f"unknown key {name!r}{hint}"
    if item["type"] == "missing":
        return f"required key {name!r} is missing: add it"
    return str(item["msg"])


def _keys(model: type[BaseModel]) -> set[str]:
    """Every key the model and the models inside it accept, by their TOML names."""
    keys: set[str] = set()
    for field_name, field in model.model_fields.items():
        keys.add(field.alias or field_name)
        for inner in _models_in(field.annotation):
            keys |= _keys(inner)
    return keys


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


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
