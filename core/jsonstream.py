"""Reading a big JSON file one array item at a time, with a bound on how deep an item nests.

``ijson.items`` builds each item from events that carry their full path ("releases.item.
x.item.item…"): an item nested 100,000 levels deep (a 200 KB file) costs gigabytes, and one
nested 1,000 levels deep parses, only to break whatever walks it recursively afterwards
(``json.dumps``, ``copy.deepcopy``, Django's JSONField). Here events come without paths
(``ijson.basic_parse``, flat memory at any depth), and an item deeper than the bound is
skipped as it streams past and given as a :class:`TooDeep` in its place, so the items
around it still load.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import ijson
from ijson.common import ObjectBuilder

_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` (parsed JSON) nests deeper than ``limit``, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


@dataclass(frozen=True)
class TooDeep:
    """In place of an array item that nests more than ``limit`` levels deep."""

    limit: int

    @property
    def reason(self) -> str:
        return f"it nests more than {self.limit} levels deep, more than any real record does"


class ArrayItems:
    """Each item of the array under the top-level object's ``key`` (``None``: the document
    itself is the array), or a :class:`TooDeep` for an item nesting more than ``max_depth``
    levels (the item itself is level 1). Other members of the document are read past, at
    any depth, without being built; the document is read to its end, so malformed JSON
    anywhere raises ``ijson.JSONError`` when the stream reaches it. ``found`` says,
    once the items are read, whether the array was there at all. Numbers are ``Decimal``
    unless ``use_float``."""

    def __init__(
        self, handle: IO[bytes], key: str | None, *, max_depth: int, use_float: bool = False
    ) -> None:
        self.handle, self.key, self.max_depth, self.use_float = handle, key, max_depth, use_float
        self.found = False

    def __iter__(self) -> Iterator[Any]:
        max_depth = self.max_depth
        depth = 0  # containers open outside the array
        member = None  # the top-level object's member being read
        in_array = False
        builder: ObjectBuilder | None = None
        item_depth = 0  # containers open inside the current item
        too_deep = False
        for event, value in ijson.basic_parse(self.handle, use_float=self.use_float):
            if item_depth:
                if event in _OPEN:
                    item_depth += 1
                elif event in _CLOSE:
                    item_depth -= 1
                if not too_deep:
                    if item_depth > max_depth:
                        too_deep, builder = True, None
                    else:
                        builder.event(event, value)
                if item_depth == 0:
                    yield TooDeep(max_depth) if too_deep else builder.value
                    builder, too_deep = None, False
                continue
            if in_array:
                if event == "end_array":
                    in_array = False
                    depth -= 1
                elif event in _OPEN:
                    builder = ObjectBuilder()
                    builder.event(event, value)
                    item_depth = 1
                else:
                    yield value
                continue
            if event in _OPEN:
                depth += 1
                if (
                    event == "start_array"
                    and not self.found
                    and ((self.key is None and depth == 1) or (depth == 2 and member == self.key))
                ):
                    in_array = self.found = True
            elif event in _CLOSE:
                depth -= 1
            elif event == "map_key" and depth == 1:
                member = value


def array_items(
    handle: IO[bytes], key: str | None, *, max_depth: int, use_float: bool = False
) -> Iterator[Any]:
    """The items of :class:`ArrayItems`, when whether the array was there does not matter."""
    return iter(ArrayItems(handle, key, max_depth=max_depth, use_float=use_float))
