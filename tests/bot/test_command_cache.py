"""Quick answers come from memory while fresh, and never outlive a change made here."""

from __future__ import annotations

import threading

from sqlalchemy import select, update

from bot.command_cache import CachedAnswer, invalidating
from cam.core.db import SessionFactory, unit_of_work
from cam.core.models import RuntimeState
from cam.core.state import get_state


class Counter:
    """A computation that counts its runs; it can be held mid-way to race an invalidation."""

    def __init__(self) -> None:
        self.runs = 0
        self.hold: threading.Event | None = None
        self.started = threading.Event()

    def __call__(self, key: object) -> str:
        self.runs += 1
        run = self.runs
        self.started.set()
        if self.hold is not None:
            self.hold.wait(5)
        return f"{key}:{run}"


def clock_at(now: list[float]):
    return lambda: now[0]


def test_fresh_answers_are_served_from_memory():
    now = [0.0]
    compute = Counter()
    answer = CachedAnswer(compute, fresh_for=1.0, stale_for=30.0, clock=clock_at(now))
    assert [answer.get() for _ in range(5)] == ["None:1"] * 5
    assert compute.runs == 1


def test_a_stale_answer_is_served_while_one_refresh_runs_in_the_background():
    now = [0.0]
    compute = Counter()
    answer = CachedAnswer(compute, fresh_for=1.0, stale_for=30.0, clock=clock_at(now))
    answer.get()
    now[0] = 2.0
    compute.hold = threading.Event()
    compute.started.clear()
    assert [answer.get() for _ in range(3)] == ["None:1"] * 3  # no wait, one refresh
    assert compute.started.wait(5)
    compute.hold.set()
    for _ in range(100):
        if answer.get() == "None:2":
            break
        threading.Event().wait(0.01)
    assert answer.get() == "None:2" and compute.runs == 2


def test_too_old_is_computed_in_the_request():
    now = [0.0]
    compute = Counter()
    answer = CachedAnswer(compute, fresh_for=1.0, stale_for=30.0, clock=clock_at(now))
    answer.get()
    now[0] = 31.0
    assert answer.get() == "None:2"


def test_an_invalidated_answer_is_recomputed_at_once():
    compute = Counter()
    answer = CachedAnswer(compute, clock=clock_at([0.0]))
    answer.get()
    answer.invalidate()
    assert answer.get() == "None:2"


def test_a_value_read_before_an_invalidation_is_not_trusted():
    compute = Counter()
    answer = CachedAnswer(compute, clock=clock_at([0.0]))
    compute.hold = threading.Event()
    reader = threading.Thread(target=answer.get)
    reader.start()
    assert compute.started.wait(5)
    answer.invalidate()  # a change lands while the first read is under way
    compute.hold.set()
    reader.join(5)
    compute.hold = None
    assert answer.get() == "None:2"


def test_a_new_key_means_a_new_answer():
    key = ["08:00"]
    compute = Counter()
    answer = CachedAnswer(compute, key=lambda: key[0], clock=clock_at([0.0]))
    assert answer.get() == "08:00:1"
    key[0] = "09:00"
    assert answer.get() == "09:00:2"


def test_only_commits_that_wrote_invalidate(sessions: SessionFactory):
    changes: list[int] = []
    writes = invalidating(sessions, lambda: changes.append(1))
    with unit_of_work(sessions) as session:
        get_state(session)  # the row exists before the counting starts

    with unit_of_work(writes) as session:
        session.scalars(select(RuntimeState)).all()
    assert changes == []

    with unit_of_work(writes) as session:
        session.execute(update(RuntimeState).values(paused=True))  # a statement
    with unit_of_work(writes) as session:
        get_state(session).paused = False  # an ORM change, flushed at commit
    assert changes == [1, 1]

    try:
        with unit_of_work(writes) as session:
            session.execute(update(RuntimeState).values(paused=True))
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with unit_of_work(writes) as session:
        session.scalars(select(RuntimeState)).all()
    assert changes == [1, 1]  # a rolled-back write changed nothing
