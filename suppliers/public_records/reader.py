"""Stream OCDS releases from files as Contracts Finder and Find a Tender publish them.

Accepted: a release package (``{"releases": [...]}``), a record package (``{"records":
[...]}``: each record's embedded ``releases``, else its ``compiledRelease``), a single
release, JSON Lines of releases (or of packages), any of these gzipped (``.gz``), and
folders of them (read in name order). Packages are parsed with ijson, one release at
a time, so memory stays flat however big the file.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson

from core.jsonstream import TooDeep, array_items, json_depth_exceeds

SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz", ".gz")
# A first line longer than this is not JSON Lines of releases (a one-line package, say).
_FIRST_LINE_LIMIT = 4 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
# Real releases and records nest about ten levels; far deeper is a broken or hostile file.
MAX_DEPTH = 64


class ReadError(Exception):
    """A file cannot be read as OCDS at all."""


@dataclass(frozen=True)
class SourcedRelease:
    """A release, where it was found (``position``: "file.json, release 12"), and the
    publisher named by its package, if any."""

    release: Any
    position: str
    publisher: str = ""


def iter_paths(paths: list[str | os.PathLike]) -> Iterator[Path]:
    """The files to read: each path given, and the OCDS files inside each folder given."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name.lower().endswith(SUFFIXES):
                    yield child
        elif path.exists():
            yield path
        else:
            raise ReadError(f"{path}: no such file or folder")


def read_paths(paths: list[str | os.PathLike]) -> Iterator[SourcedRelease]:
    """Every release in ``paths``, in order."""
    for path in iter_paths(paths):
        try:
            yield from read_file(path)
        except (ReadError, OSError, EOFError) as exc:
            # A broken file (bad JSON, a truncated .gz) is reported; the others still load.
            yield SourcedRelease({"__error__": f"cannot be read: {exc}"}, path.name)


def _open(path: Path) -> IO[bytes]:
    handle = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    if handle.read(2) == _GZIP_MAGIC:
        handle.close()
        return gzip.open(path, "rb")
    handle.seek(0)
    return handle


def read_file(path: Path) -> Iterator[SourcedRelease]:
    """The releases in one file (plain or gzipped)."""
    with _open(path) as handle:
        yield from read_stream(handle, name=path.name)


def read_bytes(data: bytes, *, name: str) -> Iterator[SourcedRelease]:
    """The releases in one document held in memory (a fetched page)."""
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    yield from read_stream(io.BytesIO(data), name=name)


def read_stream(handle: IO[bytes], *, name: str) -> Iterator[SourcedRelease]:
    """The releases in a seekable byte stream: JSON Lines or one JSON document."""
    first = rest = b""
    for _ in range(1000):  # the first two non-blank lines, past any blank ones
        line = handle.readline(_FIRST_LINE_LIMIT)
        if not line:
            break
        if line.strip():
            if first:
                rest = line
                break
            first = line
    if first.strip() and rest.strip():
        # Two non-empty lines, the first a whole JSON value: JSON Lines.
        try:
            json.loads(first)
        except ValueError:
            pass
        else:
            handle.seek(0)
            yield from _read_lines(handle, name=name)
            return
    handle.seek(0)
    yield from _read_document(handle, name=name)


def _read_lines(handle: IO[bytes], *, name: str) -> Iterator[SourcedRelease]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        position = f"{name}, line {number}"
        try:
            value = json.loads(line)
        except ValueError as exc:
            yield SourcedRelease({"__error__": f"not JSON ({exc.msg})"}, position)
            continue
        except RecursionError:
            value = TooDeep(MAX_DEPTH)
        # + 2: a line may be a package, whose releases sit two levels down.
        if isinstance(value, TooDeep) or json_depth_exceeds(value, MAX_DEPTH + 2):
            yield SourcedRelease({"__error__": TooDeep(MAX_DEPTH).reason}, position)
            continue
        if isinstance(value, dict) and ("releases" in value or "records" in value):
            publisher = _publisher_name(value.get("publisher"))
            for index, release in enumerate(_package_releases(value), start=1):
                yield SourcedRelease(release, f"{position}, release {index}", publisher)
        else:
            yield SourcedRelease(value, position)


def _publisher_name(publisher: object) -> str:
    if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
        return publisher["name"]
    return ""


def _record_releases(record: object) -> list:
    if not isinstance(record, dict):
        return [record]
    embedded = [
        r for r in record.get("releases") or [] if isinstance(r, dict) and "ocid" in r and "id" in r
    ]
    if embedded:
        return embedded
    compiled = record.get("compiledRelease")
    return [compiled] if compiled is not None else [record]


def _package_releases(package: dict) -> Iterator[Any]:
    if "records" in package:
        for record in package.get("records") or []:
            yield from _record_releases(record)
    else:
        yield from package.get("releases") or []


def _top_level(handle: IO[bytes]) -> tuple[str | None, dict]:
    """Which array holds the data ("releases", "records", or None for a bare release)
    and the package metadata that comes before it (the publisher)."""
    meta: dict = {}
    # Events without paths: a path per event costs memory by depth squared.
    depth, key, inner = 0, None, None
    for event, value in ijson.basic_parse(handle, use_float=False):
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
        elif event == "map_key" and depth == 1:
            key = value
            if value in ("releases", "records"):
                return value, meta
            if value == "ocid":
                return None, meta
        elif event == "map_key" and depth == 2:
            inner = value
        elif event == "string" and depth == 2 and (key, inner) == ("publisher", "name"):
            meta["publisher"] = value
    return None, meta


def _read_document(handle: IO[bytes], *, name: str) -> Iterator[SourcedRelease]:
    try:
        kind, meta = _top_level(handle)
    except ijson.JSONError as exc:
        raise ReadError(f"{name}: not JSON ({exc})") from exc
    handle.seek(0)
    publisher = meta.get("publisher", "")
    try:
        if kind is None:
            try:
                value = json.load(handle, parse_float=Decimal)
            except RecursionError:
                value = TooDeep(MAX_DEPTH)
            if isinstance(value, TooDeep) or json_depth_exceeds(value, MAX_DEPTH):
                value = {"__error__": TooDeep(MAX_DEPTH).reason}
            yield SourcedRelease(value, name, publisher)
            return
        index = 0
        for item in array_items(handle, kind, max_depth=MAX_DEPTH):
            if isinstance(item, TooDeep):
                releases = [{"__error__": item.reason}]
            else:
                releases = _record_releases(item) if kind == "records" else [item]
            for release in releases:
                index += 1
                yield SourcedRelease(release, f"{name}, release {index}", publisher)
    except (ijson.JSONError, ValueError) as exc:
        raise ReadError(f"{name}: the JSON breaks off or is malformed ({exc})") from exc
