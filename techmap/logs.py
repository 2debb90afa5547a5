"""Log formatting: one JSON object a line in production, plain text in development.

Every record made while a request is served carries that request's id
(:class:`RequestIdFilter`), so one ``request_id`` finds the request line, any error and its
traceback, and the reference shown on the 500 page.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from techmap import request_context

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Objects passed in ``extra`` that are not worth a field (Django adds the request).
_SKIP = {"request", "server_time"}


def _install_record_factory() -> None:
    """Stamp each record with the request id when it is made, whichever handler gets it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "techmap_request_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_context.request_id.get() or "-"
        return record

    factory.techmap_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_record_factory()


class RequestIdFilter(logging.Filter):
    """Set ``record.request_id`` to the current request's id (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", "-") == "-":
            record.request_id = request_context.request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or "-",
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key in _SKIP or key in entry:
                continue
            entry[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
