"""Helpers the whole suite shares: waiting on a real worker, and keeping tests apart.

- ``wait_until``: poll a condition (a real Celery worker runs in a thread beside the test).
- ``FinishedTasks`` / ``record_finished_tasks``: the tasks a worker has finished, from
  Celery's ``task_postrun`` signal, so a test waits for "the sweep ran" rather than sleeping.
- ``unique_ip`` and ``fresh_throttle_keys``: API throttles count per IP (or token) in the
  shared cache, so a test that counts requests calls from an address no other test uses,
  or takes a key space of its own.
- ``assert_no_raw_codes(html)``: a page shows names, not the codes behind them (size bands,
  region codes, capability slugs). The browser tests run it on every page they load.

Each test run (and each xdist worker in it) also has its own cache key prefix, set by the
pytest plugin in ``techmap/testing.py`` before any test runs: see ``cache_key_prefix`` there.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import pytest


def wait_until(
    condition: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.05
) -> None:
    """Return as soon as ``condition()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {condition}")
        time.sleep(interval)


class FinishedTasks(list):
    """``(task name, return value)`` of each task a worker finished, in order (thread-safe)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, sender=None, retval=None, **kwargs) -> None:
        with self._lock:
            self.append((sender.name, retval))

    def times(self, name: str) -> int:
        """How many times the task called ``name`` has finished."""
        with self._lock:
            return Counter(task for task, _ in self)[name]

    def wait_for(self, name: str, times: int = 1, *, timeout: float = 30.0) -> None:
        """Wait until the task ``name`` has finished ``times`` times in all."""
        wait_until(lambda: self.times(name) >= times, timeout=timeout)


@contextlib.contextmanager
def record_finished_tasks() -> Iterator[FinishedTasks]:
    """``with record_finished_tasks() as finished:`` listens to ``task_postrun`` meanwhile."""
    from celery.signals import task_postrun

    finished = FinishedTasks()
    task_postrun.connect(finished.record, weak=False)
    try:
        yield finished
    finally:
        task_postrun.disconnect(finished.record)


def unique_ip() -> str:
    """A private IPv4 address no other test is likely to use (its own throttle budget)."""
    number = uuid.uuid4().int
    return f"10.{number % 250}.{(number >> 8) % 250}.{(number >> 16) % 250 + 1}"


def fresh_throttle_keys(monkeypatch: pytest.MonkeyPatch) -> str:
    """Give the API throttles a key space of this test's own (undone after the test).

    Returns the new ``cache_format``; counters from other tests (or earlier runs) are
    then never counted against this one's requests, whatever address or token it uses.
    """
    from core.api import throttling

    cache_format = f"api-throttle-test:{uuid.uuid4().hex}:%(scope)s:%(ident)s"
    monkeypatch.setattr(throttling._LiveRateThrottle, "cache_format", cache_format)
    return cache_format


class _VisibleText(HTMLParser):
    """The text a page shows, one string per text node: not attributes (so not URLs or
    hidden inputs), nor what is inside <script>, <style>, <template>, <code>, <pre> (where
    a code is the point: API docs) or an element with the ``hidden`` attribute."""

    SKIP = {"script", "style", "template", "code", "pre"}
    VOID = {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._open: list[bool] = []  # per open element: is its content skipped?

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.VOID:
            return
        skipped = tag in self.SKIP or any(name == "hidden" for name, _ in attrs)
        self._open.append(skipped or bool(self._open and self._open[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not (self._open and self._open[-1]):
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def raw_codes_in(html: str) -> list[str]:
    """The codes a page shows where their names belong (see ``assert_no_raw_codes``)."""
    from suppliers.models import Capability, CapabilityGroup, Region, Supplier

    # Distinctive codes (region codes, hyphenated slugs) count anywhere in a text; codes that
    # are also plain words ("small", "devops") only as a text of their own ("<dd>small</dd>").
    region_codes = set(Region.objects.values_list("code", flat=True))
    slugs = set(Capability.objects.values_list("code", flat=True))
    slugs |= set(CapabilityGroup.objects.values_list("code", flat=True))
    anywhere = region_codes | {slug for slug in slugs if "-" in slug}
    whole = set(Supplier.Size.values) | (slugs - anywhere)
    pattern = (
        re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(anywhere))) + r")(?![\w-])")
        if anywhere
        else None
    )
    found = []
    for text in visible_texts(html):
        if text in whole or text in anywhere:
            found.append(text)
        elif pattern is not None:
            found += [f"{match} (in {text[:60]!r})" for match in pattern.findall(text)]
    return found


def assert_no_raw_codes(html: str) -> None:
    """Fail if the page's visible text shows a size band, region code or capability slug
    (``small``, ``TLI``, ``cloud-hosting``) where its name ("Small (10 to 49 employees)",
    "London", "Cloud hosting") belongs. Attributes, URLs and hidden inputs do not count."""
    found = raw_codes_in(html)
    assert not found, "raw codes shown instead of names: " + "; ".join(dict.fromkeys(found))
