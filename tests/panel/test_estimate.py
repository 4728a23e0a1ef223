"""The estimate shown before approving the rest of a job: measured test frames × frames left."""

from __future__ import annotations

from farmhand.panel.estimate import estimate


def _task(state: str, frames: list[int], test: bool = False, took: float | None = None,
          kind: str = "frames") -> dict:  # fmt: skip
    attempts = [] if took is None else [
        {"state": "failed", "started_at": 0.0, "ended_at": 999.0},  # a failed try is not measured
        {"state": "done", "started_at": 1000.0, "ended_at": 1000.0 + took},
    ]  # fmt: skip
    return {"state": state, "frames": frames, "is_test": test, "attempts": attempts, "kind": kind}


def test_nothing_is_estimated_before_a_test_frame_has_rendered() -> None:
    tasks = [_task("running", [1], test=True), _task("queued", [2, 3])]
    assert estimate({"usage": {"core_hours": 1.0, "cost": 2.0}}, tasks) is None


def test_two_test_frames_give_the_pace_for_the_frames_left_with_core_hours_and_cost() -> None:
    tasks = [_task("done", [1], test=True, took=60.0), _task("done", [24], test=True, took=120.0),
             _task("queued", [2, 3, 4, 5]), _task("queued", [6, 7, 8, 9]),
             _task("done", [10, 11])]  # fmt: skip
    found = estimate({"usage": {"core_hours": 0.8, "cost": 1.5}}, tasks)
    assert found is not None
    assert (found.seconds_per_unit, found.units_left, found.render_seconds) == (90.0, 8, 720.0)
    assert (found.core_hours, found.cost) == (3.2, 6.0)
    text = found.text()
    assert "1 min 30 s per frame in the test × 8 frames left ≈ 12 min 00 s" in text
    assert "3.20 core-hours" in text and "about 6.00 at the farm's prices" in text


def test_no_price_set_means_no_cost_and_tiles_count_as_tiles() -> None:
    tasks = [_task("done", [1], test=True, took=30.0, kind="tile"),
             *[_task("queued", [1], kind="tile") for _ in range(8)]]  # fmt: skip
    found = estimate({"usage": {"core_hours": 0.1, "cost": 0.0}}, tasks)
    assert found is not None and found.cost is None and found.unit == "tile"
    assert "× 8 tiles left" in found.text() and "prices" not in found.text()
