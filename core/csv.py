"""Writing CSV for people to open in a spreadsheet: the one rule every CSV download uses.

A cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) is prefixed with ``'``, so opening a download can never execute
what a supplier or a buyer typed (OWASP "CSV injection"). Files start with a UTF-8 byte order
mark, so Excel reads accented names correctly. Multi-valued cells are joined with ``;``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
FLUSH_BYTES = 64 * 1024


def safe_cell(value: Any) -> str:
    """The text of one cell: empty for None, ``;``-joined lists, ISO dates, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        text = ";".join("" if item is None else str(item) for item in value)
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text, byte order mark and header first, in chunks of about 64 KB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV as one string (for small files)."""
    return "".join(csv_lines(header, rows))


def csv_response(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """A download of ``lines`` (from :func:`csv_lines`), never cached on the way."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
