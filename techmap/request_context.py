"""The id of the request being served, for log records made anywhere while it runs."""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("techmap_request_id", default=None)
