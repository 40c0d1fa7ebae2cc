"""The import contracts in pyproject.toml: the tree keeps them, and a bad import breaks them.

`lint-imports` runs as CI runs it, once on the real tree and once on a copy with one bad
import added, so the check is shown to fail on what it exists to catch.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime.processes import clean_env

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Check the contracts of `root`/pyproject.toml against the packages under `root`."""
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=root,
        env=clean_env(PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_its_contracts() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        (
            "cam/core/upward.py",
            "from cam.outreach import scheduling\n",
            "cam.core is not allowed to import cam.outreach",
        ),
        (
            "cam/replies/slack_reply.py",
            "import slack_sdk\n",
            "cam never imports the Slack app or Slack's libraries BROKEN",
        ),
        (
            "cam/gateways/bot_status.py",
            "from bot import queries\n",
            "cam never imports the Slack app or Slack's libraries BROKEN",
        ),
        (
            "bot/blocks/back_up.py",
            "from bot import notifier\n",
            "No import cycle between sibling modules in cam or bot BROKEN",
        ),
    ],
)
def test_a_bad_import_breaks_a_contract(
    tmp_path: Path, module: str, source: str, broken: str
) -> None:
    for package in ("cam", "bot"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "data")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert lint_imports(tmp_path).returncode == 0

    (tmp_path / module).write_text(source)
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout
