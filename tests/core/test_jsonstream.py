"""core.jsonstream: array items streamed with a bound on depth, in flat memory at any depth."""

from __future__ import annotations

import io
import time
from decimal import Decimal

import ijson
import pytest

from core import jsonstream
from core.jsonstream import ArrayItems, TooDeep, array_items, json_depth_exceeds


def items(text: str | bytes, key: str | None = "releases", max_depth: int = 4) -> list:
    data = text.encode() if isinstance(text, str) else text
    return list(array_items(io.BytesIO(data), key, max_depth=max_depth))


def test_items_come_as_ijson_builds_them():
    text = '{"uri": "x", "releases": [{"a": [1, 2.5]}, "s", 3, null, []], "after": {"b": 1}}'
    assert items(text) == [{"a": [1, Decimal("2.5")]}, "s", 3, None, []]
    assert items('[{"a": 1}, 2]', key=None) == [{"a": 1}, 2]


def test_an_item_deeper_than_the_bound_is_replaced_and_the_rest_still_come():
    text = '{"releases": [{"a": 1}, [[[[[]]]]], {"b": {"c": {"d": 1}}}, {"e": 2}]}'
    assert items(text) == [{"a": 1}, TooDeep(4), {"b": {"c": {"d": 1}}}, {"e": 2}]
    assert "more than 4 levels" in TooDeep(4).reason


def test_found_says_whether_the_array_was_there():
    for text, found in [('{"releases": []}', True), ('{"x": []}', False), ("[1]", False)]:
        reader = ArrayItems(io.BytesIO(text.encode()), "releases", max_depth=4)
        assert list(reader) == [] or found
        assert reader.found is found


def test_malformed_json_after_the_array_is_still_an_error():
    with pytest.raises(ijson.JSONError):
        items('{"releases": [1], "x": [')


def test_a_million_levels_stream_past_in_flat_memory():
    """ijson.items builds a path per event ("releases.item.item…"): memory by depth squared,
    gigabytes for a 200 KB file. Here a million levels take about a second."""
    depth = 1_000_000
    data = b'{"x": ' + b"[" * depth + b"]" * depth + b', "releases": [' + b"[" * depth
    data += b"]" * depth + b", 1]}"
    started = time.monotonic()
    assert items(data) == [TooDeep(4), 1]
    assert time.monotonic() - started < 30


def test_the_depth_check_walks_without_recursion():
    nested: list = []
    for _ in range(10_000):
        nested = [nested]
    assert json_depth_exceeds(nested, 64)
    assert not json_depth_exceeds({"a": [1, {"b": 2}]}, 3)


# --- the fast path (the C decoder) hands over to ArrayItems and gives the same ---------------

SAMPLES = [
    ('{"uri": "x", "releases": [{"a": [1, 2.5]}, "s", 3, null, []], "after": {"b": 1}}', None),
    ('{"releases": [{"a": 1}, [[[[[]]]]], {"b": {"c": {"d": 1}}}, {"e": 2}]}', None),
    ('{"x": [[[[[[1]]]]]], "releases": [{"t": "£ “quoted” ☃"}, 12345678901234567890]}', None),
    ('{"releases": [1, NaN, 2]}', ijson.JSONError),  # NaN is not JSON, whatever json says
    ('{"releases": [{"a": 1}, {"b": ]}', ijson.JSONError),
    ('{"releases": [1], "x": [', ijson.JSONError),
    ('{"x": 1}', None),
    ('{"releases": []}', None),
    ('\n  [1, {"a": [2]}]  \n', None),
]


def _read(reader, data: bytes):
    got = []
    try:
        for item in reader(io.BytesIO(data)):
            got.append(item)
    except ijson.JSONError as exc:
        return got, type(exc)
    return got, None


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 20])
@pytest.mark.parametrize(("text", "error"), SAMPLES)
def test_the_fast_path_gives_what_array_items_gives(monkeypatch, chunk, text, error):
    """At every chunk size (items, numbers and multi-byte characters cut at a chunk's end),
    the same items and the same error after them."""
    monkeypatch.setattr(jsonstream, "CHUNK_CHARS", chunk)
    key = None if text.strip().startswith("[") else "releases"
    data = text.encode()
    fast = _read(lambda h: array_items(h, key, max_depth=4), data)
    slow = _read(lambda h: ArrayItems(h, key, max_depth=4), data)
    assert fast == slow
    assert fast[1] is None if error is None else issubclass(fast[1], error)


def test_the_fast_path_reads_a_deep_item_past_the_c_decoder(monkeypatch):
    """Deeper than the C decoder recurses: handed over at that item, the rest still come."""
    deep = "[" * 5000 + "]" * 5000
    data = ('{"releases": [{"a": 1}, ' + deep + ', {"b": 2}]}').encode()
    handed = []
    real = jsonstream.ArrayItems

    def spy(*args, **kwargs):
        handed.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(jsonstream, "ArrayItems", spy)
    assert list(array_items(io.BytesIO(data), "releases", max_depth=64)) == [
        {"a": 1},
        TooDeep(64),
        {"b": 2},
    ]
    assert handed  # and a plain package is read without handing over:
    handed.clear()
    assert list(array_items(io.BytesIO(b'{"releases": [{"a": [1]}]}'), "releases", max_depth=4))
    assert not handed
