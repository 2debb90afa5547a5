"""The query-string guards: what no parameter can mean, refused the same way everywhere.

A NUL byte (PostgreSQL cannot store or compare it) or a value longer than
:data:`MAX_QUERY_VALUE_LENGTH` is never a search, a code or a cursor. The API answers
with a 400 naming the parameter (:func:`check_query_params`); web pages ignore the value
(:func:`is_safe_value`, :func:`safe_values`) and show the page as if it were not given.
"""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework import exceptions

MAX_QUERY_VALUE_LENGTH = 500
NUL = "\x00"


def is_safe_value(value: str, max_length: int = MAX_QUERY_VALUE_LENGTH) -> bool:
    """A query value that may reach a query: no NUL byte, at most ``max_length`` characters."""
    return NUL not in value and len(value) <= max_length


def safe_values(values: Iterable[str], max_length: int = MAX_QUERY_VALUE_LENGTH) -> list[str]:
    """The non-empty values of a repeated parameter that pass :func:`is_safe_value`."""
    return [value for value in values if value and is_safe_value(value, max_length)]


def query_errors(params) -> dict[str, list[dict[str, str]]]:
    """Each unsafe parameter of a ``QueryDict`` with its errors (code and message)."""
    nul_error = {
        "code": "null_characters_not_allowed",
        "message": "Null characters are not allowed.",
    }
    fields: dict[str, list[dict[str, str]]] = {}
    for key, values in params.lists():
        name = key.replace(NUL, "\\0")
        if NUL in key:
            fields.setdefault(name, []).append(nul_error)
        for value in values:
            if NUL in value:
                fields.setdefault(name, []).append(nul_error)
            elif len(value) > MAX_QUERY_VALUE_LENGTH:
                fields.setdefault(name, []).append(
                    {
                        "code": "max_length",
                        "message": f"Ensure this value has at most {MAX_QUERY_VALUE_LENGTH} "
                        "characters.",
                    }
                )
    return fields


def check_query_params(request) -> None:
    """Refuse what no parameter can mean: NUL bytes and over-long values (a 400 naming them)."""
    fields = query_errors(request.query_params)
    if fields:
        raise exceptions.ValidationError(
            {k: [v["message"] for v in vs] for k, vs in fields.items()}
        )
