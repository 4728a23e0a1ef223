"""`GET /jobs` sorts and searches across every job the caller may see, not one page of them."""

from __future__ import annotations

from farm import claim, complete, new_user, new_worker, submit
from server_harness import RunningServer


def _list(session, server: RunningServer, **params) -> dict:
    answer = session.get(server.url("/jobs"), params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _names(page: dict) -> list[str]:
    return [j["name"] for j in page["jobs"]]


def test_sort_spans_every_page_and_ties_fall_back_to_the_id(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    made = [
        submit(server, ann, name=name, priority=priority, frames="1")
        for name, priority in (("delta", 10), ("Alpha", 90), ("charlie", 50), ("bravo", 50))
    ]
    # The oldest job sorts first by name although the default (newest-first) page 1 lacks it.
    first = _list(ann, server, sort="name", order="asc", limit=2)
    assert _names(first) == ["Alpha", "bravo"] and first["next_offset"] == 2
    rest = _list(ann, server, sort="name", order="asc", limit=2, offset=first["next_offset"])
    assert _names(rest) == ["charlie", "delta"] and rest["next_offset"] is None
    by_priority = _list(ann, server, sort="priority", order="desc")
    assert _names(by_priority) == ["Alpha", "bravo", "charlie", "delta"]  # 50s: newest first
    assert [j["id"] for j in _list(ann, server, sort="id", order="asc")["jobs"]] == [
        j["id"] for j in made
    ]
    submitted = _list(ann, server, sort="submitted", order="asc")
    assert [j["id"] for j in submitted["jobs"]] == [j["id"] for j in made]
    assert _names(_list(ann, server, sort="state"))  # one state for all: ordered by id


def test_owner_sort_and_search_respect_who_may_see_what(server: RunningServer) -> None:
    ann, bob = new_user(server, "ann"), new_user(server, "bob")
    submit(server, ann, name="ann_shot", frames="1")
    submit(server, bob, name="bob_shot", frames="1")
    submit(server, bob, name="100%_done", frames="1")
    submit(server, bob, name="100x_done", frames="1")
    admin = server.session()
    assert _names(_list(admin, server, sort="owner", order="asc"))[0] == "ann_shot"
    assert _names(_list(admin, server, sort="owner", order="desc"))[-1] == "ann_shot"
    assert set(_names(_list(admin, server, q="BOB"))) == {"bob_shot", "100%_done", "100x_done"}
    assert _names(_list(ann, server, q="bob")) == []  # bob's jobs stay hidden from ann
    assert _names(_list(ann, server, q="ann")) == ["ann_shot"]
    # LIKE wildcards in the search are plain characters.
    assert _names(_list(admin, server, q="100%")) == ["100%_done"]
    assert _names(_list(admin, server, q="0_d")) == []
    assert _names(_list(admin, server, q="%")) == ["100%_done"]


def test_bad_list_parameters_are_refused_precisely(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    for params, said in (
        ({"sort": "spec"}, "query sort"),
        ({"sort": "id; drop table jobs"}, "query sort"),
        ({"order": "up"}, "query order"),
        ({"q": "x" * 101}, "query q"),
        ({"offset": "-1"}, "query offset"),
        ({"offset": "1000001"}, "query offset"),
        ({"sort": "name", "before": "5"}, "query before"),
        ({"order": "asc", "before": "5"}, "query before"),
    ):
        answer = ann.get(server.url("/jobs"), params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["error"]["message"].startswith(said), answer.text
    assert _list(ann, server, q="x" * 100)["jobs"] == []


def test_the_list_carries_an_eta_while_a_job_renders(server: RunningServer) -> None:
    ann = new_user(server, "ann")
    created = submit(server, ann, frames="1-4")
    listed = _list(ann, server)["jobs"][0]
    assert listed["eta_seconds"] is None  # nothing finished: no estimate yet
    worker = new_worker(server)
    assert complete(server, worker, claim(server, worker)) == 200
    claim(server, worker)  # one task running, two left after it
    listed = _list(ann, server)["jobs"][0]
    assert listed["state"] == "rendering" and listed["eta_seconds"] is not None
    assert listed["eta_seconds"] >= 0
    ann.post(server.url(f"/jobs/{created['id']}/pause"), json={})
    assert _list(ann, server)["jobs"][0]["eta_seconds"] is None
