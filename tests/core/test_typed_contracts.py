"""What crosses a boundary in `cam/` is typed: read from the source with `ast`.

No function signature and no class field outside the storage modules says `dict[str, Any]`
(an outbox row, a notification row, a payload each have a type of their own), and no
parameter of the decision and scheduling paths is a `bool` that picks what a function does
(a mode, a choice or a second function says it). Each check is also run on a bad snippet,
so it is shown to catch what it exists to catch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CAM = ROOT / "cam"
# JSON columns are storage: what reads them goes through a pydantic model.
STORAGE = {"core/models.py", "core/bookkeeping.py", "core/columns.py"}
DECISION_AND_SCHEDULING = [
    *sorted(p.relative_to(CAM).as_posix() for p in (CAM / "escalation").glob("*.py")),
    "replies/escalation_requests.py",
    "outreach/scheduling.py",
    "outreach/slots.py",
    "outreach/sender_mailboxes.py",
    "outreach/outbox_status.py",
    "core/safety.py",
]
# A setter that stores the value it is given and branches on nothing.
STORED_VALUES = {("set_paused", "paused")}


def _signatures(tree: ast.AST) -> Iterator[tuple[str, str, ast.expr]]:
    """(function, parameter or "return", annotation) of every function in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                if arg.annotation is not None:
                    yield node.name, arg.arg, arg.annotation
            if node.returns is not None:
                yield node.name, "return", node.returns


def _fields(tree: ast.AST) -> Iterator[tuple[str, str, ast.expr]]:
    """(class, field, annotation) of every annotated name in a class body."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    yield node.name, item.target.id, item.annotation


def untyped_dicts(source: str) -> list[str]:
    """Where `source` has `dict[str, Any]` in a signature or a class field."""
    tree = ast.parse(source)
    return [
        f"{owner}.{name}: {ast.unparse(annotation)}"
        for owner, name, annotation in (*_signatures(tree), *_fields(tree))
        if "dict[str, Any]" in ast.unparse(annotation).replace("Dict[", "dict[")
    ]


def bool_parameters(source: str) -> list[str]:
    """The parameters of `source`'s functions annotated `bool`, but for stored values."""
    return [
        f"{function}({name}: bool)"
        for function, name, annotation in _signatures(ast.parse(source))
        if name != "return"
        and ast.unparse(annotation) == "bool"
        and (function, name) not in STORED_VALUES
    ]


def test_no_untyped_dict_in_a_signature_or_field() -> None:
    found = {
        path.relative_to(CAM).as_posix(): untyped_dicts(path.read_text())
        for path in sorted(CAM.rglob("*.py"))
        if path.relative_to(CAM).as_posix() not in STORAGE
    }
    assert {path: where for path, where in found.items() if where} == {}


def test_no_bool_picks_behaviour_in_the_decision_and_scheduling_paths() -> None:
    found = {path: bool_parameters((CAM / path).read_text()) for path in DECISION_AND_SCHEDULING}
    assert {path: where for path, where in found.items() if where} == {}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        (
            "def row(x: int) -> dict[str, Any]: ...",
            ["row.return: dict[str, Any]"],
        ),
        (
            "def insert(rows: Sequence[tuple[dict[str, Any], int]]) -> None: ...",
            ["insert.rows: Sequence[tuple[dict[str, Any], int]]"],
        ),
        (
            "class Payload:\n    blocks: list[Dict[str, Any]]\n",
            ["Payload.blocks: list[Dict[str, Any]]"],
        ),
        ("def local() -> None:\n    values: dict[str, Any] = {}\n", []),
    ],
)
def test_an_untyped_dict_is_found(source: str, found: list[str]) -> None:
    assert untyped_dicts(source) == found


def test_a_bool_parameter_is_found() -> None:
    source = (
        "def sync(approval_id: int, *, claimed: bool) -> bool: ...\n"
        "def set_paused(key: str, *, paused: bool) -> bool: ...\n"
    )
    assert bool_parameters(source) == ["sync(claimed: bool)"]
