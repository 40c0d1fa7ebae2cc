"""`cam check` with a mailboxes file: every mailbox asked for real, one row each."""

from __future__ import annotations

from pathlib import Path

import trustme

from tests.cli.helpers import cam
from tests.gateways.mailbox_team import JONAS, MAYA, running_team


def test_each_mailbox_gets_its_row_and_one_failing_fails_the_check(
    tmp_path: Path,
    smtp_ca: tuple[trustme.CA, Path],
    imap_ca: tuple[trustme.CA, Path],
) -> None:
    with running_team(smtp_ca, imap_ca, tmp_path, (MAYA, JONAS)) as team:
        env = dict(team.env) | {
            "CAM_MAILBOXES_FILE": str(team.file),
            "CAM_SECRET_KEY": "s" * 32,
            "CAM_PUBLIC_URL": "https://cam.acme-sales.de",
            "CAM_POSTAL_ADDRESS": "Acme Sales GmbH, Lindenstr. 4, 10969 Berlin",
        }
        good = cam(tmp_path, "check", COLUMNS="200", **env)
        jonas_refused = cam(tmp_path, "check", COLUMNS="200", **env | {"JONAS_IMAP_PASSWORD": "x"})
    assert good.returncode == 0, good.stdout + good.stderr
    rows = {line.split()[2]: line for line in good.stdout.splitlines() if "Mailbox " in line}
    assert sorted(rows) == ["jonas", "maya"]
    maya = rows["maya"]
    assert maya.split()[0] == "ok" and "as cam-sender" in maya
    assert f"SMTP: logged in to 127.0.0.1:{team.mailboxes['maya'].smtp.port}" in maya
    assert "IMAP: logged in and opened INBOX" in maya
    assert "CAM_FROM" not in good.stdout and "CAM_SMTP_HOST" not in good.stdout

    assert jonas_refused.returncode == 1
    lines = [line for line in jonas_refused.stdout.splitlines() if "Mailbox " in line]
    jonas = next(line for line in lines if "Mailbox jonas" in line)
    maya = next(line for line in lines if "Mailbox maya" in line)
    assert jonas.split()[0] == "missing" and "IMAP:" in jonas
    assert maya.split()[0] == "ok"
    assert "1 to fix before going live" in jonas_refused.stdout
