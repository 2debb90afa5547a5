"""The taxonomy: capability groups, capabilities, certifications and frameworks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.errors import DomainError
from suppliers import permissions
from suppliers.models import (
    Capability,
    CapabilityGroup,
    Supplier,
)
from suppliers.services._common import (
    ReferenceItem,
    _history_user,
)
from suppliers.services.search_index import refresh_search_vectors

# --- Reference data ------------------------------------------------------------


def _searched_text(item: ReferenceItem) -> tuple | None:
    """The stored values of what a capability or group puts in search vectors (None for
    a new item, or one that puts nothing there)."""
    if isinstance(item, Capability) and item.pk:
        stored = Capability.objects.filter(pk=item.pk)
        return stored.values_list("name", "group_id", "synonyms").first()
    if isinstance(item, CapabilityGroup) and item.pk:
        return CapabilityGroup.objects.filter(pk=item.pk).values_list("name").first()
    return None


def reference_item_save(*, actor, item: ReferenceItem, change_reason: str = "") -> ReferenceItem:
    """Create or change a capability group, capability, certification or framework.

    Before: ``actor`` may moderate (or is None). After: the item is saved with a
    history row; when a capability's name, group or synonyms change, or a group is
    renamed, the search vectors of the suppliers that offer it are rebuilt so
    searches find the new words (and the spelling vocabulary learns them).
    """
    if actor is not None and not permissions.can_moderate(actor):
        raise PermissionDenied("Only moderators can change the taxonomy.")
    with transaction.atomic():
        # What a capability adds to search vectors: its name, group and synonyms; a
        # group's name is in the vectors of the suppliers offering any of its capabilities.
        searched = _searched_text(item)
        if isinstance(item, Capability):
            # "pen testing, , Pen testing" → ["pen testing"]: no blanks, no repeats.
            seen: dict[str, str] = {}
            for synonym in item.synonyms or ():
                synonym = " ".join(str(synonym).split())
                if synonym:
                    seen.setdefault(synonym.lower(), synonym)
            item.synonyms = list(seen.values())
        try:
            item.full_clean()
        except ValidationError as exc:
            raise DomainError(exc.message_dict) from exc
        item._history_user = _history_user(actor)
        item._change_reason = change_reason[:100] or None  # the history column's length
        item.save()
        if searched is not None and searched != _searched_text(item):
            holders = Supplier.objects.filter(
                capabilities__in=[item] if isinstance(item, Capability) else item.capabilities.all()
            )
            refresh_search_vectors(supplier_ids=list(holders.values_list("pk", flat=True)))
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
