"""Take one decision in a process of its own, at a given moment: tests race two of these.

Usage: python -m tests.escalation.decide_worker DB_URL APPROVAL_ID USER CRM_URL GO_FILE
Prints "ready" once connected, waits until GO_FILE exists, then prints the Decision as JSON.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pydantic import SecretStr

from cam.core.db import make_engine, session_factory
from cam.core.models import utcnow
from cam.escalation.decisions import decide
from cam.escalation.outcomes import ApprovalChoice
from cam.gateways.hubspot import HubSpotCrm
from tests.escalation.helpers import APPROVERS
from tests.gateways.crm_server import TOKEN


def main(argv: list[str]) -> None:
    url, approval_id, user, crm_url, go_file = argv
    engine = make_engine(url)
    sessions = session_factory(engine)
    with engine.connect():
        pass  # connect before the start line, so both race only on the decision
    crm = HubSpotCrm(token=SecretStr(TOKEN), base_url=crm_url)
    print("ready", flush=True)
    while not Path(go_file).exists():
        time.sleep(0.001)
    decision = decide(
        sessions,
        approval_id=int(approval_id),
        decided_by=user,
        choice=ApprovalChoice.approve,
        approvers=APPROVERS,
        crm=crm,
        now=utcnow(),
    )
    print(decision.model_dump_json())
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
