"""Shortlists: a civil servant's named lists of published suppliers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from core.forms import too_long_message
from suppliers import permissions
from suppliers.filters import clean_search_query
from suppliers.models import (
    Shortlist,
    ShortlistEntry,
    Supplier,
)

# --- Shortlists ---------------------------------------------------------------
# (Shortlist services are appended below by the search engineer.)
#
# A shortlist belongs to one civil servant: only its owner reads or changes it, and
# only while they are a civil servant (permissions.can_use_shortlists). Entries are
# published suppliers, each once per list, with a note and the search that found it.

SHORTLIST_NOTE_MAX_LENGTH = 2000
SHORTLIST_DESCRIPTION_MAX_LENGTH = 2000


def _require_shortlist_user(actor) -> None:
    if not permissions.can_use_shortlists(actor):
        raise PermissionDenied("Only civil servants can use shortlists.")


def _require_shortlist_owner(actor, shortlist: Shortlist) -> None:
    _require_shortlist_user(actor)
    if shortlist.owner_id != actor.pk:
        raise PermissionDenied("You can only change your own shortlists.")


def _clean_shortlist_name(name: str, *, owner, exclude_pk: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError({"name": "Enter a name for the shortlist."})
    limit = Shortlist._meta.get_field("name").max_length
    if len(name) > limit:
        raise DomainError({"name": too_long_message("Name", limit)})
    if "\x00" in name:
        raise DomainError({"name": "The name contains characters that are not allowed."})
    clash = Shortlist.objects.filter(owner=owner, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError({"name": f'You already have a shortlist called "{name}".'})
    return name


def _clean_text(value: str, *, field: str, limit: int) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise DomainError({field: "This contains characters that are not allowed."})
    if len(value) > limit:
        raise DomainError({field: too_long_message(field.capitalize(), limit)})
    return value


def shortlist_create(
    *, actor, name: str, description: str = "", search_query: str = ""
) -> Shortlist:
    """Make a named shortlist for ``actor``.

    Before: ``actor`` is a civil servant (else PermissionDenied).
    After: the list exists, owned by ``actor``, remembering ``search_query`` (the
    search's query string, reduced to the search parameters). Raises DomainError
    (``name``) when the name is blank, too long or already one of theirs (any case).
    """
    _require_shortlist_user(actor)
    with transaction.atomic():
        name = _clean_shortlist_name(name, owner=actor)
        description = _clean_text(
            description, field="description", limit=SHORTLIST_DESCRIPTION_MAX_LENGTH
        )
        try:
            with transaction.atomic():
                return Shortlist.objects.create(
                    owner=actor,
                    name=name,
                    description=description,
                    search_query=clean_search_query(search_query),
                )
        except IntegrityError as exc:  # the same name, created at the same moment
            raise DomainError({"name": f'You already have a shortlist called "{name}".'}) from exc


def shortlist_update(*, actor, shortlist: Shortlist, name: str, description: str = "") -> Shortlist:
    """Rename a shortlist or change its description (its owner only; rules as create)."""
    _require_shortlist_owner(actor, shortlist)
    with transaction.atomic():
        shortlist.name = _clean_shortlist_name(name, owner=actor, exclude_pk=shortlist.pk)
        shortlist.description = _clean_text(
            description, field="description", limit=SHORTLIST_DESCRIPTION_MAX_LENGTH
        )
        shortlist.save(update_fields=["name", "description", "updated_at"])
    return shortlist


def shortlist_add_supplier(
    *, actor, shortlist: Shortlist, supplier: Supplier, note: str = "", search_query: str = ""
) -> ShortlistEntry:
    """Put a published supplier on the owner's shortlist, with a note.

    Before: ``actor`` owns ``shortlist`` and is a civil servant (else PermissionDenied).
    After: one entry records the note and the search that found the supplier; the
    list's own ``search_query`` is set from it if the list had none, and the list's
    ``updated_at`` moves. Raises DomainError when the supplier is not published
    (``supplier``), is already on the list (``supplier``) or the note is too long
    (``note``). Calling it twice adds nothing the second time (an error says so).
    """
    _require_shortlist_owner(actor, shortlist)
    note = _clean_text(note, field="note", limit=SHORTLIST_NOTE_MAX_LENGTH)
    search_query = clean_search_query(search_query)
    with transaction.atomic():
        locked = Shortlist.objects.select_for_update().get(pk=shortlist.pk)
        if not Supplier.objects.filter(pk=supplier.pk, status=Supplier.Status.PUBLISHED).exists():
            raise DomainError({"supplier": "Only published suppliers can be shortlisted."})
        if ShortlistEntry.objects.filter(shortlist=locked, supplier_id=supplier.pk).exists():
            raise DomainError({"supplier": f"{supplier.name} is already on “{locked.name}”."})
        entry = ShortlistEntry.objects.create(
            shortlist=locked, supplier=supplier, note=note, search_query=search_query
        )
        fields = ["updated_at"]
        if search_query and not locked.search_query:
            locked.search_query = search_query
            fields.append("search_query")
        locked.save(update_fields=fields)
    shortlist.refresh_from_db()
    return entry


def shortlist_update_note(*, actor, entry: ShortlistEntry, note: str) -> ShortlistEntry:
    """Change the note on a shortlist entry (the list's owner only)."""
    _require_shortlist_owner(actor, entry.shortlist)
    entry.note = _clean_text(note, field="note", limit=SHORTLIST_NOTE_MAX_LENGTH)
    with transaction.atomic():
        entry.save(update_fields=["note"])
        Shortlist.objects.filter(pk=entry.shortlist_id).update(updated_at=timezone.now())
    return entry


def shortlist_remove_supplier(*, actor, entry: ShortlistEntry) -> None:
    """Take a supplier off a shortlist (the list's owner only). Removing twice is harmless."""
    _require_shortlist_owner(actor, entry.shortlist)
    with transaction.atomic():
        ShortlistEntry.objects.filter(pk=entry.pk).delete()
        Shortlist.objects.filter(pk=entry.shortlist_id).update(updated_at=timezone.now())


def shortlist_delete(*, actor, shortlist: Shortlist) -> None:
    """Delete a shortlist and its entries (the owner only). Deleting twice is harmless."""
    _require_shortlist_owner(actor, shortlist)
    with transaction.atomic():
        Shortlist.objects.filter(pk=shortlist.pk).delete()
