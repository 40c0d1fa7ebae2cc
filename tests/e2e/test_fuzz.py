"""Whatever Slack (or someone pretending to be Slack) sends: a clear answer, never a crash."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cam.core.db import unit_of_work
from cam.core.state import get_state
from tests.e2e.slack_client import OUTSIDER

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)


@FUZZ
@given(text=st.text(max_size=300))
def test_any_command_text_gets_an_answer_and_changes_nothing(bot, text):
    reply = bot.slack.command(text, user=OUTSIDER)
    assert reply.status == 200
    answer = reply.json
    assert answer["response_type"] in ("ephemeral", "in_channel") and answer["text"]
    with unit_of_work(bot.sessions) as session:
        state = get_state(session)
        assert state.paused is False and state.dry_run is True


@FUZZ
@given(
    payload=st.fixed_dictionaries(
        {"type": st.sampled_from(["block_actions", "view_submission", "shortcut"])},
        optional={
            "user": json_values,
            "actions": st.lists(
                st.fixed_dictionaries(
                    {"action_id": st.sampled_from(["cam_approve", "cam_task_skip", "x"])},
                    optional={"value": json_values, "selected_option": json_values},
                ),
                max_size=2,
            ),
            "container": json_values,
            "response_url": st.just(""),
        },
    )
)
def test_any_interactivity_payload_gets_2xx_or_4xx(bot, payload):
    reply = bot.slack.post(urlencode({"payload": json.dumps(payload)}))
    assert 200 <= reply.status < 500, (reply.status, reply.body)
    bot.settle()
    with unit_of_work(bot.sessions) as session:
        assert get_state(session).dry_run is True
