"""Which published suppliers fit an engagement request, ranked, each with its reason.

The formula (shown to authors on the matches page, so keep the two in step):

* A supplier is matched when it offers at least one of the request's
  capabilities and, if the request names regions, serves at least one of them
  (regions served or head-office region). A request with no regions is for
  anywhere in the UK, so every region fits.
* Its score is the share of the request's capabilities it offers:
  ``score = |request capabilities ∩ supplier capabilities| / |request capabilities|``.
  Regions decide only whether a supplier is matched, not how high it ranks:
  a local firm serving the one region asked for fits as well as a national one.
* Nothing about size enters the score: not the size band, employees, turnover,
  how many capabilities or regions a supplier lists beyond the overlap, case
  studies or frameworks held. So an SME is never ranked below a large
  supplier for being small.
* Ties are broken by a hash of (request id, supplier id): a neutral order that
  differs from one request to the next, so neither size nor the alphabet nor the
  age of a profile puts anyone first every time.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from suppliers.models import Supplier


@dataclass
class MatchResult:
    supplier_id: int
    score: float
    capability_names: list[str] = field(default_factory=list)
    region_names: list[str] = field(default_factory=list)
    rank: int = 0

    @property
    def reason(self) -> str:
        caps = ", ".join(self.capability_names)
        text = f"Offers {len(self.capability_names)} of the capabilities asked for: {caps}."
        if self.region_names:
            text += f" Serves {', '.join(self.region_names)}."
        else:
            text += " The request is open to suppliers anywhere in the UK."
        return text


def tie_break(request_id: int, supplier_id: int) -> str:
    return hashlib.sha256(f"{request_id}:{supplier_id}".encode()).hexdigest()


def match_suppliers(engagement_request) -> list[MatchResult]:
    """Rank the published suppliers that fit the request (three queries, any number of them)."""
    capabilities = {c.pk: c.name for c in engagement_request.capabilities.all()}
    regions = {r.pk: r.name for r in engagement_request.regions.all()}
    if not capabilities:
        return []
    published = Supplier.objects.filter(status=Supplier.Status.PUBLISHED)

    offered: dict[int, list[int]] = defaultdict(list)
    for supplier_id, capability_id in Supplier.capabilities.through.objects.filter(
        capability_id__in=capabilities, supplier__in=published
    ).values_list("supplier_id", "capability_id"):
        offered[supplier_id].append(capability_id)
    if not offered:
        return []

    served: dict[int, set[int]] = defaultdict(set)
    if regions:
        for supplier_id, region_id in Supplier.regions.through.objects.filter(
            region_id__in=regions, supplier_id__in=offered
        ).values_list("supplier_id", "region_id"):
            served[supplier_id].add(region_id)
        for supplier_id, region_id in published.filter(
            pk__in=offered, hq_region_id__in=regions
        ).values_list("pk", "hq_region_id"):
            served[supplier_id].add(region_id)

    order = list(capabilities)  # taxonomy order, so reasons read the same way each time
    region_order = list(regions)
    results = []
    for supplier_id, capability_ids in offered.items():
        if regions and not served[supplier_id]:
            continue
        results.append(
            MatchResult(
                supplier_id=supplier_id,
                score=round(len(set(capability_ids)) / len(capabilities), 4),
                capability_names=[capabilities[c] for c in order if c in capability_ids],
                region_names=[regions[r] for r in region_order if r in served[supplier_id]],
            )
        )
    results.sort(key=lambda m: (-m.score, tie_break(engagement_request.pk, m.supplier_id)))
    for rank, result in enumerate(results, start=1):
        result.rank = rank
    return results
