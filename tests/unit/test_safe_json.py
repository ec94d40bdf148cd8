import json

from taskdeck_core.safe_json import MAX_DEPTH, clean_json, may_need_cleaning


def test_what_no_encoder_accepts_is_replaced_and_the_rest_kept() -> None:
    deep: object = "bottom"
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    value = {"a\udc80": ["x\ud800y", float("nan"), float("-inf"), 1.5, None, True], "deep": deep}
    cleaned = clean_json(value)
    assert cleaned["a\ufffd"][:3] == ["x\ufffdy", "NaN", "-Infinity"]
    assert cleaned["a\ufffd"][3:] == [1.5, None, True]
    json.dumps(cleaned, allow_nan=False).encode("utf-8")  # would raise before cleaning
    levels, node = 0, cleaned["deep"]
    while isinstance(node, list):
        levels, node = levels + 1, node[0]
    assert node == "…" and levels == MAX_DEPTH - 1


def test_the_cheap_test_lets_ordinary_records_through_and_flags_the_odd_ones() -> None:
    assert not may_need_cleaning('{"args":["F-01234","alice"],"user":"alice","priority":5}')
    assert may_need_cleaning('{"args":["\\ud800"]}')
    assert may_need_cleaning('{"x":NaN}')
    assert may_need_cleaning("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert may_need_cleaning('{"name":"同步"}')
