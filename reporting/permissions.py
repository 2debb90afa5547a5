"""Who may do what with contracts and reports, and which reports a user may see.

Views, the API, admin, selectors and services all call these; no check is written
twice. Two facts underlie every rule: the suppliers a user acts for
(:func:`supplier_ids_of`) and the public body a civil servant buys for
(:func:`buyer_body_id`). The yes/no functions ask them of one contract; the
``*_q`` functions ask them of a whole queryset.
"""

from __future__ import annotations

from django.db.models import Q

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


def buyer_body_id(user) -> int | None:
    """The public body whose contracts a civil servant buys and reviews (None for others)."""
    if is_civil_servant(user) and user.public_body_id:
        return user.public_body_id
    return None


def is_buyer_of(user, contract) -> bool:
    """A civil servant of the public body that bought the contract."""
    body = buyer_body_id(user)
    return body is not None and body == contract.buyer_id


def is_supplier_of(user, contract) -> bool:
    """An owner or member of the supplier that holds the contract."""
    return contract.supplier_id in supplier_ids_of(user)


def party_contracts_q(user, *, prefix: str = "") -> Q:
    """A filter for the contracts the user is a party to (buyer or supplier side), the
    queryset form of :func:`is_buyer_of` or :func:`is_supplier_of`. ``prefix`` reaches
    the contract from another model (``"contract__"`` from a report)."""
    parties = Q(**{f"{prefix}pk__in": []})  # nobody's contracts
    supplier_ids = supplier_ids_of(user)
    if supplier_ids:
        parties |= Q(**{f"{prefix}supplier_id__in": sorted(supplier_ids)})
    body = buyer_body_id(user)
    if body is not None:
        parties |= Q(**{f"{prefix}buyer_id": body})
    return parties


def visible_reports_q(user) -> Q:
    """A filter for the reports this user may see: submitted and accepted reports are
    public; a queried one only to the two parties and moderators (for querysets)."""
    if is_moderator(user):
        return Q()
    from reporting.models import ContractReport

    return ~Q(status=ContractReport.Status.QUERIED) | party_contracts_q(user, prefix="contract__")


def can_see_report(user, report) -> bool:
    """The one-report form of :func:`visible_reports_q` (asks the database, so the rule
    is written once)."""
    from reporting.models import ContractReport

    return ContractReport.objects.filter(visible_reports_q(user), pk=report.pk).exists()


def can_create_contract(user) -> bool:
    """Civil servants who have chosen their public body record their body's contracts."""
    return buyer_body_id(user) is not None or is_moderator(user)


def can_edit_contract(user, contract) -> bool:
    return is_buyer_of(user, contract) or is_moderator(user)


def can_delete_contract(user, contract) -> bool:
    """Only moderators remove a contract (and with it its reports)."""
    return is_moderator(user)


def can_upload_reports(user) -> bool:
    """People at a supplier upload a file of reports on their contracts."""
    return bool(supplier_ids_of(user))


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


def can_see_report_trail(user, contract) -> bool:
    """Queries and replies are between buyer and supplier (and moderators)."""
    return is_buyer_of(user, contract) or is_supplier_of(user, contract) or is_moderator(user)


def can_manage_schemes(user) -> bool:
    return is_moderator(user)


def can_run_comparison(user) -> bool:
    return is_moderator(user)
