"""Reading a big JSON file one array item at a time, with a bound on how deep an item nests.

:func:`array_items` decodes each item with the C ``json`` decoder from a bounded buffer
(about three times faster than building items from ijson's events, which matters for a
multi-gigabyte bulk file) and hands over to :class:`ArrayItems` at anything it does not
handle the same way, so both give the same items and the same errors.

``ijson.items`` builds each item from events that carry their full path ("releases.item.
x.item.item…"): an item nested 100,000 levels deep (a 200 KB file) costs gigabytes, and one
nested 1,000 levels deep parses, only to break whatever walks it recursively afterwards
(``json.dumps``, ``copy.deepcopy``, Django's JSONField). Here events come without paths
(``ijson.basic_parse``, flat memory at any depth), and an item deeper than the bound is
skipped as it streams past and given as a :class:`TooDeep` in its place, so the items
around it still load.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
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


# The fast path reads this much at a time, and hands over for an item bigger than the cap.
CHUNK_CHARS = 1 << 20
ITEM_CAP_CHARS = 64 << 20
_SPACE = re.compile(r"[ \t\n\r]*")


class _HandOver(Exception):
    """Something the fast path does not read as ArrayItems would: it carries on."""


def _no_constant(name: str) -> Any:
    raise _HandOver(f"{name} is not JSON")  # ijson refuses NaN and Infinity


class _Decoded:
    """The fast path: the array's items decoded one at a time with ``json.JSONDecoder``
    from a buffer of at most a chunk and an item. Raises :class:`_HandOver` where it
    stops (before yielding the item it could not read)."""

    def __init__(self, handle: IO[bytes], key: str | None, max_depth: int, use_float: bool):
        self.handle, self.key, self.max_depth = handle, key, max_depth
        self.decoder = json.JSONDecoder(
            parse_float=float if use_float else Decimal, parse_constant=_no_constant
        )
        self.text = codecs.getincrementaldecoder("utf-8")()
        self.buf, self.pos, self.eof = "", 0, False

    def _more(self) -> None:
        if self.eof or len(self.buf) - self.pos > ITEM_CAP_CHARS:
            raise _HandOver("no more to read")
        data = self.handle.read(CHUNK_CHARS)
        self.eof = not data
        try:
            self.buf = self.buf[self.pos :] + self.text.decode(data, final=self.eof)
        except UnicodeDecodeError as exc:
            raise _HandOver("not UTF-8") from exc
        self.pos = 0

    def _next_char(self) -> str:
        """The next character that is not white space (reading on), or "" at the end."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos : self.pos + 1]
            self._more()

    def _expect(self, chars: str) -> str:
        char = self._next_char()
        if not char or char not in chars:
            raise _HandOver(f"expected one of {chars!r}")
        self.pos += 1
        return char

    def _value(self) -> Any:
        """One JSON value, read on until the buffer holds all of it."""
        while True:
            self._next_char()
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                self._more()
                continue
            except RecursionError as exc:
                raise _HandOver("deeper than the C decoder goes") from exc
            if end == len(self.buf) and not self.eof:
                self._more()  # a number at the end of the buffer may go on
                continue
            self.last = (self.pos, end)
            self.pos = end
            return value

    def __iter__(self) -> Iterator[Any]:
        self._more()
        if self.key is None:
            self._expect("[")
        else:
            self._expect("{")
            while True:
                if self._next_char() != '"':
                    raise _HandOver("the array is not there")
                member = self._value()
                self._expect(":")
                if member == self.key and self._next_char() == "[":
                    self.pos += 1
                    break
                self._value()
                self._expect(",")
        if self._next_char() == "]":
            self.pos += 1
        else:
            while True:
                item = self._value()
                start, end = self.last
                # Brackets bound the depth from above; walk it only when they could pass it.
                brackets = self.buf.count("{", start, end) + self.buf.count("[", start, end)
                if brackets > self.max_depth and json_depth_exceeds(item, self.max_depth):
                    item = TooDeep(self.max_depth)
                yield item
                if self._expect(",]") == "]":
                    break
        # The rest of the document must still be JSON, as ArrayItems reads it to its end.
        while not self.eof:
            self._more()
        head = '{"x": 0' if self.key is not None else "0"  # what came before the tail
        try:
            self.decoder.decode(head + self.buf[self.pos :])
        except (ValueError, RecursionError) as exc:
            raise _HandOver("the document does not end as JSON") from exc


def array_items(
    handle: IO[bytes], key: str | None, *, max_depth: int, use_float: bool = False
) -> Iterator[Any]:
    """The items of :class:`ArrayItems`, when whether the array was there does not matter.

    Read by the fast path (module docstring) while it can; from where it stops,
    :class:`ArrayItems` reads the document again from the start, skipping the items
    already given, so anything unusual (NaN, a member or item too deep for the C
    decoder, malformed JSON, no such array) is read exactly as ArrayItems reads it.
    """
    start = handle.tell()
    given = 0
    try:
        for item in _Decoded(handle, key, max_depth, use_float):
            yield item
            given += 1
        return
    except _HandOver:
        pass
    handle.seek(start)
    for index, item in enumerate(ArrayItems(handle, key, max_depth=max_depth, use_float=use_float)):
        if index >= given:
            yield item
