"""Admin pages whose saves call services: a service's refusal is shown on the form.

A ``ModelAdmin`` that writes through services (in ``save_model``, ``save_related`` or
``save_formset``) mixes in :class:`ServiceAdminMixin`. When the service refuses
(``DomainError``, any ``ValidationError`` or ``PermissionDenied``), everything the save
did is rolled back and the page is shown again with the user's input and the refusal
beside the field it names (through ``core.forms.apply_domain_error``), instead of a
server error or a half-written row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.forms import apply_domain_error


def refusal_messages(error: Exception) -> list[str]:
    """The words of a service's refusal, for ``message_user``."""
    return getattr(error, "messages", None) or [str(error) or "Not allowed."]


class ServiceAdminMixin:
    """Turn a service's refusal during an admin save into form errors, rolling the save back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                error = ValidationError(refusal_messages(error))
            # Render the same POST again: the form now carries the refusal, so nothing saves.
            request._service_refusal = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_service_refusal", None)
        if error is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                data = super().clean()
                apply_domain_error(self, error)
                return data

        return RefusedForm

    def run_service_action(self, request, queryset, call, done: str) -> int:
        """Call ``call(obj)`` for each selected row; report refusals, count successes."""
        count = 0
        for obj in queryset:
            try:
                call(obj)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request, f"{obj}: {' '.join(refusal_messages(error))}", messages.ERROR
                )
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} {done}.", messages.SUCCESS)
        return count
