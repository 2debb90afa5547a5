"""Validators shared by models, forms and serializers.

``no_line_breaks`` guards single-line text that ends up in an email subject (a request's,
contract's or proposal's title, a supplier's name): Django refuses to send a header with a
line break in it (``BadHeaderError``), so one such title stopped every email about it.
Fields refuse it at input; :func:`single_line` folds what is already stored, for the outbox.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Every character str.splitlines() breaks on: CR, LF, VT, FF, FS, GS, RS, NEL, LS, PS.
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAKS_RE = re.compile(f"[{re.escape(LINE_BREAKS)}]+")
# The same rule as a JSON Schema pattern (the API schema documents it), with NUL refused too.
SINGLE_LINE_PATTERN = "^[^\\u0000" + "".join(f"\\u{ord(c):04x}" for c in LINE_BREAKS) + "]*$"


def has_line_break(text: str) -> bool:
    return bool(_LINE_BREAKS_RE.search(text or ""))


def single_line(text: str) -> str:
    """``text`` with each run of line breaks folded to one space (an email subject, say)."""
    return _LINE_BREAKS_RE.sub(" ", text or "")


@deconstructible
class NoLineBreaksValidator:
    """Refuses text with a line break in it: keep it on one line."""

    message = "Keep this on one line: remove the line break."
    code = "line_break"

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and has_line_break(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoLineBreaksValidator)

    def __hash__(self) -> int:
        return hash(self.code)


no_line_breaks = NoLineBreaksValidator()
