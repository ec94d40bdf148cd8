"""kombu's JSON decoding by orjson (``backend.services.kombu_json``) gives what kombu's own
decoder gives, for every kind of text, and is what kombu then uses."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from kombu import serialization
from kombu.transport import redis as kombu_redis
from kombu.utils import json as kombu_json

from backend.services import kombu_json as fast

EVENT = {"type": "task-succeeded", "uuid": "0f3c", "result": "'ok'", "runtime": 0.0123,
         "hostname": "celery@w1", "timestamp": 1795540000.123456, "clock": 17, "pid": 4242,
         "args": "('F-01234', 'alice')", "retries": 0, "nested": {"a": [1, 2.5, None, True]}}  # fmt: skip
TEXTS = [
    json.dumps(EVENT),
    kombu_json.dumps(
        {"eta": datetime(2026, 11, 24, 12, 0, tzinfo=UTC), "amount": Decimal("12.50")}
    ),  # fmt: skip
    '{"x": NaN, "y": Infinity}',  # orjson refuses these; kombu's decoder takes them
    '{"big": 123456789012345678901234567890}',  # beyond 64 bits
    '{"lone": "\\ud800", "text": "caf\\u00e9"}',
    '{"\\u005f_type__": "datetime", "__value__": "2026-11-24T12:00:00"}',  # an escaped key
    '{"huge": 1e400, "tiny": 1.5e-300, "neg": -9223372036854775809, "u64": 18446744073709551615}',
    '{"dup": 1, "dup": 2, "raw": "café 東京"}',
    '"just a string"',
    "[]",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("form", [str, str.encode, lambda t: bytearray(t.encode()),
                                  lambda t: memoryview(t.encode())])  # fmt: skip
def test_the_value_is_kombus(text: str, form: Any) -> None:
    got, want = fast.loads(form(text)), kombu_json.loads(form(text))
    assert repr(got) == repr(want)  # NaN included (NaN != NaN)
    assert type(got) is type(want)


def test_a_kombu_typed_value_is_decoded_and_bad_text_is_refused_alike() -> None:
    value = fast.loads(kombu_json.dumps({"at": datetime(2026, 1, 2, 3, 4, 5)}))
    assert value == {"at": datetime(2026, 1, 2, 3, 4, 5)}
    assert math.isnan(fast.loads('{"x": NaN}')["x"])
    for bad in ['{"a": ', "nonsense", '{"__type__": "nosuch", "__value__": 1}']:
        with pytest.raises(ValueError):
            kombu_json.loads(bad)
        with pytest.raises(ValueError):
            fast.loads(bad)


def test_install_makes_kombu_decode_with_it() -> None:
    fast.install()
    assert kombu_redis.loads is fast.loads  # the envelope of each message received
    body = json.dumps(EVENT).encode()
    assert serialization.loads(body, "application/json", "utf-8") == EVENT
    assert serialization.registry._decoders["application/json"] is fast.loads
