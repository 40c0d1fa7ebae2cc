"""The App Home tab, published when a user opens it and after they decide from it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot import queries
from bot.blocks.home import home_view
from bot.deps import Deps
from cam.core import state
from cam.core.db import unit_of_work
from cam.outreach.limits import limits_snapshot


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)


def home_opened(event: dict[str, Any], deps: Deps) -> None:
    """Publish the Home after the ack (events are acked before their listener's work)."""
    user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(user, str):
        return
    deps.worker.submit("home", lambda: publish_home(deps, user))


def publish_home(deps: Deps, user: str, *, notice: str | None = None) -> None:
    """Build the Home from the database and publish it for `user`."""
    with unit_of_work(deps.session_factory) as session:
        status = queries.status(session, deps.next_run_time())
        config = deps.config.cycle_config(state.get_state(session))
        limits = limits_snapshot(session, config, deps.clock())
    deps.client.views_publish(user_id=user, view=home_view(status, limits, notice=notice))
