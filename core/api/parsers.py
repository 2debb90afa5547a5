"""Request body parsing for the API: JSON, with a bound on how deep it may nest."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, parsers

from core.jsonstream import json_depth_exceeds

# No write body of this API nests more than a few levels (a report's values, a profile's case
# studies); far deeper JSON is a mistake or an attack, refused before anything reads it.
MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or nesting deeper
    than :data:`MAX_JSON_DEPTH` is a 400 (``parse_error``), never read whole or a 500.

    DRF reads the body as a stream, so Django's own size check (on ``request.body``) never
    runs for API writes: the limit is applied here instead.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and length and str(length).isdigit() and int(length) > limit:
            raise exceptions.ParseError(f"The request body is larger than {limit:,} bytes.")
        message = f"JSON parse error - the body nests more than {MAX_JSON_DEPTH} levels deep."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(message) from None
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise exceptions.ParseError(message)
        return data
