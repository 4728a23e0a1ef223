"""`GET /farm/stats`: the farm's figures for admins, over a bounded period."""

from __future__ import annotations

import time

from farm import claim, complete, new_user, new_worker, submit
from server_harness import RunningServer


def _stats(session, server: RunningServer, **params) -> dict:
    answer = session.get(server.url("/farm/stats"), params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_farm_figures_count_what_happened(server: RunningServer) -> None:
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    admin = server.session()
    before = _stats(admin, server)
    assert sum(before["tasks_per_minute"]) == 0 and len(before["tasks_per_minute"]) == 60
    assert before["queue"] == {"tasks_queued": 0, "tasks_running": 0}
    assert before["core_hours_by_user"] == [] and before["core_hours_by_project"] == []

    submit(server, ann, frames="1-3", project="forest")
    submit(server, bob, frames="1-2")
    worker = new_worker(server, cpu_cores=8)
    for _ in range(3):
        assert complete(server, worker, claim(server, worker)) == 200
    claim(server, worker)  # one running
    stats = _stats(admin, server)
    assert sum(stats["tasks_per_minute"]) == 3
    assert stats["tasks_per_minute"][-1] == 3  # this minute, the newest
    assert stats["queue"] == {"tasks_queued": 1, "tasks_running": 1}
    users = {u["name"]: u["core_hours"] for u in stats["core_hours_by_user"]}
    assert set(users) <= {"ann", "bob"} and users["ann"] > 0
    projects = {p["name"] for p in stats["core_hours_by_project"]}
    assert "forest" in projects
    assert stats["storage"]["blobs"] >= 2 and stats["storage"]["bytes"] > 0
    # A period that starts now holds (almost) no core-hours of the attempts before it.
    later = _stats(admin, server, since=str(time.time()))
    assert sum(u["core_hours"] for u in later["core_hours_by_user"]) < sum(users.values())


def test_farm_stats_are_for_admins_and_bounded(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    assert ann.get(server.url("/farm/stats")).status_code == 403
    admin = server.session()
    now = time.time()
    for since, said in (
        (now + 3600, "query since: in the future"),
        (now - 400 * 86400, "query since: at most 366 days back"),
        ("x", "query since"),
        ("nan", "query since"),
    ):
        answer = admin.get(server.url("/farm/stats"), params={"since": str(since)})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["message"].startswith(said), answer.text
    assert _stats(admin, server, since=str(now - 365 * 86400))["since"] < now
