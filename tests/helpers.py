"""Helpers the whole suite shares: waiting on a real worker, and keeping tests apart.

- ``wait_until``: poll a condition (a real Celery worker runs in a thread beside the test).
- ``FinishedTasks`` / ``record_finished_tasks``: the tasks a worker has finished, from
  Celery's ``task_postrun`` signal, so a test waits for "the sweep ran" rather than sleeping.
- ``unique_ip`` and ``fresh_throttle_keys``: API throttles count per IP (or token) in the
  shared cache, so a test that counts requests calls from an address no other test uses,
  or takes a key space of its own.
- ``assert_no_raw_codes(html)``: a page shows names, not the codes behind them (size bands,
  region codes, capability slugs). The browser tests run it on every page they load.
- ``broken_error_summary_links(html)``: an error summary's links that go to no element
  (GOV.UK: each goes to its field, a set of radios to the first radio).

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


# --- Names, never codes -------------------------------------------------------------------

# Text people do not read as prose: examples of the API, and Django admin's own column for a
# reference table's ``code`` (its changelist shows the code beside the name on purpose).
_CODE_CONTEXTS = {"code", "pre", "kbd", "samp", "script", "style", "template"}
_READ_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}


def raw_code_names() -> dict[str, str]:
    """Every code a person should never read, and the name to show instead: sizes, regions,
    capability groups, capabilities, certifications and frameworks (from the database, so
    codes a test adds are known)."""
    from suppliers.models import (
        Capability,
        CapabilityGroup,
        Certification,
        Framework,
        Region,
        Supplier,
    )

    names = {code: str(label) for code, label in Supplier.Size.choices}
    for model in (Region, CapabilityGroup, Capability, Certification, Framework):
        names.update(model.objects.values_list("code", "name"))
    # A code that reads the same as its name ("Cloud" for ``cloud``) is not a leak.
    return {code: name for code, name in names.items() if code != name}


def raw_codes_in(html: str, names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """``(code, the text it was found in)`` for each raw code in the page's readable text.

    Readable text is the text of the page and its title/alt/aria-label/placeholder
    attributes, outside <code>, <pre>, <kbd>, <samp>, <script>, <style>, <template>,
    elements with the ``hidden`` attribute and admin's ``field-code`` column. A code with
    a hyphen or in capitals (``cloud-hosting``, ``TLH``) counts wherever it stands as a
    word; a plain-word code (``small``) only as a whole value: all of a text, or one item
    of a list split at , ; : | or a line break.
    """
    names = raw_code_names() if names is None else names
    anywhere = [c for c in names if "-" in c or c.upper() == c]
    word = (
        re.compile(
            r"(?<![\w-])("
            + "|".join(re.escape(c) for c in sorted(anywhere, key=len, reverse=True))
            + r")(?![\w-])"
        )
        if anywhere
        else None
    )
    whole = set(names) - set(anywhere)
    found: list[tuple[str, str]] = []

    def check(text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        if word is not None:
            found.extend((m.group(1), text) for m in word.finditer(text))
        for item in re.split(r"[,;:|\n]", text):
            if item.strip() in whole:
                found.append((item.strip(), text))

    class Reader(HTMLParser):
        """Tracks only the element that put it out of bounds (HTML leaves many tags unclosed)."""

        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.skip_tag: str | None = None
            self.skip_depth = 0

        def handle_starttag(self, tag, attrs):
            if self.skip_tag is not None:
                self.skip_depth += tag == self.skip_tag
                return
            classes = (dict(attrs).get("class") or "").split()
            hidden = any(name == "hidden" for name, _ in attrs)
            if tag in _CODE_CONTEXTS or "field-code" in classes or hidden:
                self.skip_tag, self.skip_depth = tag, 1
                return
            for name, value in attrs:
                if name in _READ_ATTRIBUTES and value:
                    check(value)

        def handle_startendtag(self, tag, attrs):
            if self.skip_tag is None:
                for name, value in attrs:
                    if name in _READ_ATTRIBUTES and value:
                        check(value)

        def handle_endtag(self, tag):
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None

        def handle_data(self, data):
            if self.skip_tag is None:
                check(data)

    Reader().feed(html)
    return found


def assert_no_raw_codes(html: str) -> None:
    """Fail when a page shows a person a raw code where a name exists (``small``, ``TLH``,
    ``cloud-hosting`` rather than "Small (10 to 49 employees)", "Yorkshire and The
    Humber", "Cloud hosting"). A plain function of the page's HTML; it reads the code
    tables from the test database (six small queries), so call it outside a pinned query
    count."""
    names = raw_code_names()
    found = raw_codes_in(html, names)
    assert not found, "raw codes shown to people (code → name): " + "; ".join(
        f"{code!r} → {names[code]!r} in {text[:120]!r}" for code, text in found
    )


def broken_error_summary_links(html: str) -> list[str]:
    """The ``#id`` links of the page's error summaries whose id no element has."""

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.ids: set[str] = set()
            self.links: list[str] = []
            self.summary_depth = 0  # div levels inside an error summary

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("id"):
                self.ids.add(attrs["id"])
            if tag == "div" and (
                self.summary_depth or "govuk-error-summary" in (attrs.get("class") or "").split()
            ):
                self.summary_depth += 1
            href = attrs.get("href") or ""
            if tag == "a" and self.summary_depth and href.startswith("#"):
                self.links.append(href)

        def handle_endtag(self, tag):
            if tag == "div" and self.summary_depth:
                self.summary_depth -= 1

    reader = Reader()
    reader.feed(html)
    return [link for link in reader.links if link[1:] not in reader.ids]
