"""Supplier writes. Every change to a supplier goes through a function in this package.

Each service takes keyword-only arguments, runs in one transaction, checks
permission through ``suppliers.permissions`` (raising ``PermissionDenied``),
raises ``core.errors.DomainError`` for broken rules, records history with
who and why, and keeps ``Supplier.search_vector`` current.

``actor=None`` means trusted code acting for the system (the CSV import, the
demo seed); web views and the API always pass ``request.user`` (which is an
``AnonymousUser``, never None, for visitors).

One module per sub-domain; every public name is re-exported here, so callers write
``from suppliers import services; services.supplier_register(...)``:

- ``search_index``: the weighted search vector and the facet id arrays;
- ``profiles``: create, register, edit (live or held for review), submit, case studies;
- ``membership``: owners and members, invitations, leaving;
- ``shortlists``: a civil servant's lists of suppliers;
- ``moderation``: approve, reject, suspend, reinstate;
- ``reference``: the taxonomy (capabilities, certifications, frameworks);
- ``_common``: the field lists, slugs and history rows they share.
"""

from __future__ import annotations

from suppliers.services._common import (
    CASE_STUDY_FIELDS,
    LINK_ID_FIELDS,
    M2M_MODELS,
    PROFILE_FIELDS,
    RESERVED_SLUGS,
    SLUG_BASE_MAX_LENGTH,
    SUPPLIER_FIELDS,
    SUPPLIER_M2M_FIELDS,
    ReferenceItem,
    _full_clean,
    _history_user,
    first_free_slug,
    number_taken_message,
    record_supplier_history,
    slug_base,
    slug_for,
)
from suppliers.services.claims import *  # noqa: F403 - claims to public-records suppliers
from suppliers.services.membership import (
    INVITATION_LIFETIME,
    invitation_accept,
    invitation_accept_signed_in,
    invitation_create,
    invitation_decline,
    invitation_for_token,
    invitation_revoke,
    supplier_leave,
    supplier_member_add,
    supplier_member_remove,
)
from suppliers.services.moderation import (
    EMAIL_SUBJECTS,
    supplier_approve,
    supplier_reinstate,
    supplier_reject,
    supplier_suspend,
)
from suppliers.services.profiles import (
    REQUIRED_FOR_SUBMISSION,
    _serialise,
    case_study_create,
    case_study_delete,
    case_study_update,
    supplier_case_studies,
    supplier_case_study_add,
    supplier_case_study_change,
    supplier_case_study_remove,
    supplier_create,
    supplier_profile_update,
    supplier_register,
    supplier_revision_discard,
    supplier_revision_propose,
    supplier_revision_resubmit,
    supplier_submit,
    supplier_update,
)
from suppliers.services.reference import (
    reference_item_delete,
    reference_item_save,
)
from suppliers.services.search_index import (
    SEARCH_NAME_SIMPLE_CONFIG,
    capability_texts,
    link_ids_sql,
    refresh_search_vectors,
    refresh_vocabulary,
    search_vector_sql,
    search_vector_update_sql,
)
from suppliers.services.shortlists import (
    SHORTLIST_DESCRIPTION_MAX_LENGTH,
    SHORTLIST_NOTE_MAX_LENGTH,
    shortlist_add_supplier,
    shortlist_create,
    shortlist_delete,
    shortlist_remove_supplier,
    shortlist_update,
    shortlist_update_note,
)

__all__ = [
    "supplier_case_studies",
    "supplier_case_study_add",
    "supplier_case_study_change",
    "supplier_case_study_remove",
    "CASE_STUDY_FIELDS",
    "EMAIL_SUBJECTS",
    "INVITATION_LIFETIME",
    "LINK_ID_FIELDS",
    "M2M_MODELS",
    "PROFILE_FIELDS",
    "REQUIRED_FOR_SUBMISSION",
    "RESERVED_SLUGS",
    "ReferenceItem",
    "SEARCH_NAME_SIMPLE_CONFIG",
    "SHORTLIST_DESCRIPTION_MAX_LENGTH",
    "SHORTLIST_NOTE_MAX_LENGTH",
    "SLUG_BASE_MAX_LENGTH",
    "SUPPLIER_FIELDS",
    "SUPPLIER_M2M_FIELDS",
    "_full_clean",
    "_history_user",
    "_serialise",
    "case_study_create",
    "case_study_delete",
    "case_study_update",
    "first_free_slug",
    "number_taken_message",
    "invitation_accept",
    "invitation_accept_signed_in",
    "invitation_create",
    "invitation_decline",
    "invitation_for_token",
    "invitation_revoke",
    "link_ids_sql",
    "record_supplier_history",
    "reference_item_delete",
    "reference_item_save",
    "refresh_search_vectors",
    "refresh_vocabulary",
    "capability_texts",
    "search_vector_sql",
    "search_vector_update_sql",
    "shortlist_add_supplier",
    "shortlist_create",
    "shortlist_delete",
    "shortlist_remove_supplier",
    "shortlist_update",
    "shortlist_update_note",
    "slug_base",
    "slug_for",
    "supplier_approve",
    "supplier_create",
    "supplier_leave",
    "supplier_member_add",
    "supplier_member_remove",
    "supplier_profile_update",
    "supplier_register",
    "supplier_reinstate",
    "supplier_reject",
    "supplier_revision_discard",
    "supplier_revision_propose",
    "supplier_revision_resubmit",
    "supplier_submit",
    "supplier_suspend",
    "supplier_update",
]
