import json

from taskdeck_core.safe_json import MAX_DEPTH, clean_json, loads_clean, may_need_cleaning


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


def test_loads_clean_gives_what_cleaning_every_value_gives() -> None:
    deep = "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2)
    texts = [
        '{"args":["F-01234","alice"],"ts":1795523456.25,"priority":5,"e":"1e999"}',
        '{"a":1e999}', '{"a":[-1e400,2.5e-3]}', '{"x":NaN}', '{"x":-Infinity}',
        '{"args":["\\ud800"]}', '{"name":"同步"}', deep, "1" + "0" * 400 + ".0", "[1e308]",
    ]  # fmt: skip
    for text in texts:
        expected = clean_json(json.loads(text))
        got = loads_clean(text)
        assert json.dumps(got) == json.dumps(expected), text
        json.dumps(got, allow_nan=False)  # strict JSON, whichever path it took
