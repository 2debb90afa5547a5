"""core.jsonstream: array items streamed with a bound on depth, in flat memory at any depth."""

from __future__ import annotations

import io
import time
from decimal import Decimal

import ijson
import pytest

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
