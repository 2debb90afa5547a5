"""Who may do what with contracts and reports, as yes/no functions.

Views, the API, admin and services all call these; no check is written twice.
"""

from __future__ import annotations

from accounts.permissions import is_civil_servant, is_moderator
from suppliers.models import SupplierMembership


def supplier_ids_of(user) -> set[int]:
    """The suppliers the user acts for (owner or member); cached on the user object."""
    if not (user and user.is_authenticated and user.is_active):
        return set()
    cached = getattr(user, "_reporting_supplier_ids", None)
    if cached is None:
        cached = set(
            SupplierMembership.objects.filter(user=user).values_list("supplier_id", flat=True)
        )
        user._reporting_supplier_ids = cached
    return cached


def is_buyer_of(user, contract) -> bool:
    """A civil servant of the public body that bought the contract."""
    return bool(
        is_civil_servant(user) and user.public_body_id and user.public_body_id == contract.buyer_id
    )


def is_supplier_of(user, contract) -> bool:
    """An owner or member of the supplier that holds the contract."""
    return contract.supplier_id in supplier_ids_of(user)


def can_create_contract(user) -> bool:
    """Civil servants who have chosen their public body record their body's contracts."""
    return bool(is_civil_servant(user) and user.public_body_id) or is_moderator(user)


def can_edit_contract(user, contract) -> bool:
    return is_buyer_of(user, contract) or is_moderator(user)


def can_submit_report(user, contract) -> bool:
    return is_supplier_of(user, contract)


def can_revise_report(user, report) -> bool:
    """The supplier corrects a report the buyer queried."""
    return report.status == report.Status.QUERIED and is_supplier_of(user, report.contract)


def can_decide_report(user, report) -> bool:
    """The buyer accepts or queries a report awaiting review (a decision can be revisited)."""
    return is_buyer_of(user, report.contract)


def can_reply_to_report(user, report) -> bool:
    """Right of reply: the supplier answers the buyer's query."""
    return report.status == report.Status.QUERIED and is_supplier_of(user, report.contract)


def can_see_report(user, report) -> bool:
    """Submitted and accepted reports are public; a queried one only to the two parties."""
    if report.status != report.Status.QUERIED:
        return True
    return can_see_report_trail(user, report.contract)


def can_see_report_trail(user, contract) -> bool:
    """Queries and replies are between buyer and supplier (and moderators)."""
    return is_buyer_of(user, contract) or is_supplier_of(user, contract) or is_moderator(user)


def can_manage_schemes(user) -> bool:
    return is_moderator(user)


def can_run_comparison(user) -> bool:
    return is_moderator(user)
