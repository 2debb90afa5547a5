"""The taxonomy: capability groups, capabilities, certifications and frameworks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.errors import DomainError
from suppliers import permissions
from suppliers.models import (
    Capability,
    CapabilityGroup,
)
from suppliers.services._common import (
    ReferenceItem,
    _history_user,
)
from suppliers.services.search_index import refresh_search_vectors

# --- Reference data ------------------------------------------------------------


def reference_item_save(*, actor, item: ReferenceItem, change_reason: str = "") -> ReferenceItem:
    """Create or change a capability group, capability, certification or framework.

    Before: ``actor`` may moderate (or is None). After: the item is saved with a
    history row; when a capability is renamed, the search vectors of the
    suppliers that offer it are rebuilt so searches find the new name.
    """
    if actor is not None and not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators can change the taxonomy.")
    with transaction.atomic():
        old_name = None
        if isinstance(item, Capability) and item.pk:
            old_name = Capability.objects.filter(pk=item.pk).values_list("name", flat=True).first()
        try:
            item.full_clean()
        except ValidationError as exc:
            raise DomainError(exc.message_dict) from exc
        item._history_user = _history_user(actor)
        item._change_reason = change_reason[:100] or None  # the history column's length
        item.save()
        if old_name is not None and old_name != item.name:
            refresh_search_vectors(supplier_ids=list(item.suppliers.values_list("pk", flat=True)))
    return item


def reference_item_delete(*, actor, item: ReferenceItem) -> None:
    """Delete a taxonomy entry (kept in its history). Suppliers simply lose it.

    A capability group that still has capabilities cannot be deleted (DomainError).
    The search vectors and id arrays of the suppliers that held a deleted item are rebuilt.
    """
    if actor is not None and not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators can change the taxonomy.")
    if isinstance(item, CapabilityGroup) and item.capabilities.exists():
        raise DomainError("Move or delete this group's capabilities first.")
    with transaction.atomic():
        # Suppliers that held the item lose it: their vectors and id arrays follow.
        affected = []
        if hasattr(item, "suppliers"):
            affected = list(item.suppliers.values_list("pk", flat=True))
        item._history_user = _history_user(actor)
        item.delete()
        refresh_search_vectors(supplier_ids=affected)
