"""Frame expressions: parsing, the canonical form, chunks, test frames and Renderbus pre_frames."""

from __future__ import annotations

import pytest
from farmhand.spec import frames as fr
from farmhand.spec.frames import Chunk, TestFrameChoice
from hypothesis import assume, given
from hypothesis import strategies as st

frame_lists = st.lists(st.integers(min_value=-2000, max_value=2000), max_size=80)


# --------------------------------------------------------------------------- parse


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("7", [7]),
        ("1-5", [1, 2, 3, 4, 5]),
        ("1-3[1]", [1, 2, 3]),  # Renderbus
        ("1-10[3]", [1, 4, 7, 10]),
        ("1-9[3]", [1, 4, 7]),  # the end is kept only when the step lands on it
        ("1-10x2", [1, 3, 5, 7, 9]),
        ("1-10X5", [1, 6]),
        ("10-1", list(range(1, 11))),  # descending
        ("10-1[4]", [2, 6, 10]),  # counted down from 10
        ("-5--1", [-5, -4, -3, -2, -1]),
        ("-2-2", [-2, -1, 0, 1, 2]),
        ("3--1", [-1, 0, 1, 2, 3]),
        ("-7", [-7]),
        (" 1 - 3 , 5 [ 2 ] ".replace("[ 2 ]", ""), [1, 2, 3, 5]),
        ("1 - 9 [ 4 ], 20", [1, 5, 9, 20]),
        ("5,1-3,2,5", [1, 2, 3, 5]),  # sorted, no duplicates
        ("001-003", [1, 2, 3]),
        ("1-100[2],150,200-210", [*range(1, 100, 2), 150, *range(200, 211)]),
    ],
)
def test_parse(expression: str, expected: list[int]) -> None:
    assert fr.parse_frames(expression) == expected


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("1-a", "'1-a'"),
        ("1-10,abc,20", "'abc'"),
        ("1-10[0]", "step must be 1 or more"),
        ("5[2]", "'5[2]'"),
        ("1-2-3", "'1-2-3'"),
        ("1.5", "'1.5'"),
        ("1,,2", "empty part"),
        ("1,", "empty part"),
        ("1-10[2", "'1-10[2'"),
        ("1--", "'1--'"),
        ("1234567890", "within"),
    ],
)
def test_parse_errors_name_the_bad_part(expression: str, named: str) -> None:
    with pytest.raises(ValueError, match=r"frame|step|part|within") as caught:
        fr.parse_frames(expression)
    assert named in str(caught.value)


def test_parse_error_shows_whole_expression_for_one_bad_part() -> None:
    with pytest.raises(ValueError) as caught:
        fr.parse_frames("1-10,x,20")
    assert str(caught.value).endswith("(in '1-10,x,20')")


@pytest.mark.parametrize("expression", ["", "   "])
def test_parse_empty(expression: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        fr.parse_frames(expression)


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="string"):
        fr.parse_frames(5)  # type: ignore[arg-type]


def test_parse_limit_is_checked_before_expanding() -> None:
    with pytest.raises(ValueError, match="more than 1000000 frames"):
        fr.parse_frames("0-999999999")
    with pytest.raises(ValueError, match="more than 10 frames"):
        fr.parse_frames("1-5,6-11", limit=10)
    assert len(fr.parse_frames("1-100000")) == 100_000


@given(
    st.integers(-500, 500),
    st.integers(-500, 500),
    st.integers(1, 40),
    st.sampled_from(["[{}]", "x{}"]),
)
def test_stepped_range_matches_python_range(start: int, end: int, step: int, form: str) -> None:
    direction = 1 if end >= start else -1
    expected = sorted(range(start, end + direction, step * direction))
    assert fr.parse_frames(f"{start}-{end}{form.format(step)}") == expected


# --------------------------------------------------------------------------- format


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        ([1, 3, 5, 6, 7], "1-5[2],6-7"),
        ([1, 2], "1-2"),
        ([1, 5], "1,5"),  # two frames with a gap are not a range
        ([1, 5, 9], "1-9[4]"),
        ([1, 5, 6, 7], "1,5-7"),
        ([3, 3, 1, 2], "1-3"),
        ([-5, -4, -3], "-5--3"),
        ([-1, 0, 1], "-1-1"),
        ([], ""),
        ([42], "42"),
        (range(1, 101), "1-100"),
    ],
)
def test_format(frames: list[int], expected: str) -> None:
    assert fr.format_frames(frames) == expected


@given(frame_lists)
def test_parse_format_round_trip(frames: list[int]) -> None:
    expression = fr.format_frames(frames)
    if frames:
        assert fr.parse_frames(expression) == sorted(set(frames))
    else:
        assert expression == ""


@given(frame_lists.filter(bool))
def test_format_is_canonical(frames: list[int]) -> None:
    expression = fr.format_frames(frames)
    assert fr.format_frames(fr.parse_frames(expression)) == expression
    assert " " not in expression


@given(st.integers(-1000, 1000), st.integers(1, 200), st.integers(1, 50))
def test_one_arithmetic_run_is_one_part(start: int, count: int, step: int) -> None:
    frames = list(range(start, start + count * step, step))
    expression = fr.format_frames(frames)
    if count == 2 and step > 1:  # two frames with a gap are written as two frames
        assert expression == f"{start},{start + step}"
    else:
        assert "," not in expression
        assert len(fr.chunks(frames, count)) == 1


# --------------------------------------------------------------------------- chunks


def test_chunks_follow_runs_and_split_every_n() -> None:
    result = fr.chunks(fr.parse_frames("1-7,20,30-38[2]"), 3)
    assert result == [
        Chunk(1, 3),
        Chunk(4, 6),
        Chunk(7, 7),
        Chunk(20, 20),
        Chunk(30, 34, 2),
        Chunk(36, 38, 2),
    ]
    assert [len(c) for c in result] == [3, 3, 1, 1, 3, 2]
    assert result[4].frames == [30, 32, 34]


def test_chunks_two_frames_with_a_gap_are_two_chunks() -> None:
    assert fr.chunks([1, 5], 10) == [Chunk(1, 1), Chunk(5, 5)]
    assert fr.chunks([1, 5, 9], 10) == [Chunk(1, 9, 4)]


def test_chunks_one_frame_per_task() -> None:
    assert [c.frames for c in fr.chunks([3, 1, 2, 2], 1)] == [[1], [2], [3]]


def test_chunks_reject_zero() -> None:
    with pytest.raises(ValueError, match="frames_per_task"):
        fr.chunks([1, 2], 0)


def test_chunk_expression() -> None:
    assert Chunk(1, 9, 2).expression == "1-9[2]"
    assert Chunk(36, 38, 2).expression == "36,38"
    assert Chunk(5, 5).expression == "5"


@given(frame_lists, st.integers(1, 12))
def test_chunks_cover_every_frame_once_in_order(frames: list[int], per_task: int) -> None:
    result = fr.chunks(frames, per_task)
    flat = [f for chunk in result for f in chunk.frames]
    assert flat == sorted(set(frames))
    for chunk in result:
        assert 1 <= len(chunk) <= per_task
        assert chunk.frames == list(range(chunk.start, chunk.end + 1, chunk.step))
        assert chunk.frames[-1] == chunk.end  # start/end/step is exactly one renderer call


@given(st.integers(-100, 100), st.integers(1, 300), st.integers(1, 5), st.integers(1, 20))
def test_chunks_of_one_range_are_full_but_the_last(start: int, count: int, step: int, n: int):
    assume(count >= 3 or step == 1)  # two frames with a gap are two runs (two single frames)
    frames = list(range(start, start + count * step, step))
    sizes = [len(c) for c in fr.chunks(frames, n)]
    assert all(size == n for size in sizes[:-1])
    assert sum(sizes) == count


# --------------------------------------------------------------------------- test frames


def test_test_frames_order_and_middle() -> None:
    job = fr.parse_frames("1-100")
    assert fr.test_frames(job, first=True, middle=True, last=True) == [1, 51, 100]
    assert fr.test_frames(job, last=True, first=True) == [1, 100]
    assert fr.test_frames([10, 20, 30, 40], middle=True) == [30]  # len // 2
    assert fr.test_frames([10, 20, 30], middle=True) == [20]
    assert fr.test_frames(job) == []


def test_test_frames_custom_keeps_order_and_drops_repeats() -> None:
    job = fr.parse_frames("1-100")
    assert fr.test_frames(job, first=True, custom=[50, 1, 7, 50]) == [1, 50, 7]


def test_test_frames_custom_must_be_in_job() -> None:
    with pytest.raises(ValueError, match="test frame 200 is not one of the job's frames"):
        fr.test_frames(fr.parse_frames("1-100"), custom=[5, 200])


def test_test_frames_on_empty_job() -> None:
    with pytest.raises(ValueError, match="no frames"):
        fr.test_frames([], first=True)


@given(frame_lists.filter(bool), st.booleans(), st.booleans(), st.booleans(), st.data())
def test_test_frames_are_job_frames(frames, first, middle, last, data) -> None:
    ordered = sorted(set(frames))
    custom = data.draw(st.lists(st.sampled_from(ordered), max_size=5))
    chosen = fr.test_frames(frames, first=first, middle=middle, last=last, custom=custom)
    assert set(chosen) <= set(ordered)
    assert len(chosen) == len(set(chosen))
    assert (ordered[0] in chosen) >= first
    assert (ordered[-1] in chosen) >= last


def test_test_frames_is_not_collected_as_a_test() -> None:
    assert fr.test_frames.__test__ is False
    assert TestFrameChoice.__test__ is False


# --------------------------------------------------------------------------- pre_frames


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100", TestFrameChoice(first=True)),
        ("010", TestFrameChoice(middle=True)),
        ("001", TestFrameChoice(last=True)),
        ("111", TestFrameChoice(True, True, True)),
        ("000", TestFrameChoice()),
        ("000:1,3-4[1]", TestFrameChoice(custom=(1, 3, 4))),
        ("101:10-30[10]", TestFrameChoice(first=True, last=True, custom=(10, 20, 30))),
        ("000:", TestFrameChoice()),
    ],
)
def test_parse_pre_frames(text: str, expected: TestFrameChoice) -> None:
    assert fr.parse_pre_frames(text) == expected


@pytest.mark.parametrize("text", ["", "1", "10", "1000", "abc", "100;5", "200"])
def test_parse_pre_frames_rejects_bad_flags(text: str) -> None:
    with pytest.raises(ValueError, match="three 0/1 flags"):
        fr.parse_pre_frames(text)


def test_parse_pre_frames_names_bad_custom_list() -> None:
    with pytest.raises(ValueError, match=r"pre_frames '000:1-x'.*'1-x'"):
        fr.parse_pre_frames("000:1-x")


def test_choice_dict_round_trip_and_truth() -> None:
    choice = fr.parse_pre_frames("011:5,7")
    assert choice.to_dict() == {"first": False, "middle": True, "last": True, "custom": [5, 7]}
    assert TestFrameChoice.from_dict(choice.to_dict()) == choice
    assert TestFrameChoice.from_dict({}) == TestFrameChoice()
    assert not TestFrameChoice()
    assert TestFrameChoice(custom=(3,))
    assert choice.frames(range(1, 11)) == [6, 10, 5, 7]


@given(st.booleans(), st.booleans(), st.booleans(), st.lists(st.integers(-50, 50), max_size=8))
def test_pre_frames_round_trip(first: bool, middle: bool, last: bool, custom: list[int]) -> None:
    choice = TestFrameChoice(first, middle, last, tuple(sorted(set(custom))))
    assert fr.parse_pre_frames(fr.format_pre_frames(choice)) == choice
