"""The project-wide domain error that services raise and views translate.

Services raise :class:`DomainError` when a rule is broken and Django's
``PermissionDenied`` when the acting user may not act; Django and DRF already
turn the latter into a 403 page or body.
"""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A rule of the domain was broken; the message is shown to the user.

    Subclassing ValidationError lets forms show it beside a field
    (``DomainError({"field": "message"})``) and the API answer with a 400.
    """
