"""Registry pages: search, profiles, comparison, shortlists and the market map.

Thin views: parse the request, check permission, call a selector or a service,
render. The search page, its CSV and the API share suppliers.filters and
suppliers.selectors.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError
from core.forms import apply_domain_error
from core.querystring import is_safe_value, safe_values
from suppliers import exports, permissions, selectors, services
from suppliers.filters import (
    FILTER_PARAMETERS,
    SupplierFilterSet,
    clean_search_query,
    query_string,
    shown,
)
from suppliers.forms import NEW_SHORTLIST, EntryNoteForm, ShortlistAddForm, ShortlistForm
from suppliers.models import Shortlist, ShortlistEntry, Supplier

# A page number above this is not looked up (the last page is shown instead).
MAX_PAGE = 1_000_000


def parse_page(raw: str | None) -> tuple[int, str | None]:
    """The page asked for, or 1 and a sentence saying why not."""
    if raw in (None, ""):
        return 1, None
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1, f'"{shown(raw)}" is not a page number, so the first page is shown.'
    if number < 1:
        return 1, f'"{shown(raw)}" is not a page number, so the first page is shown.'
    return min(number, MAX_PAGE), None


def _pagination(page: selectors.SearchPage, base_query: str) -> dict:
    """Links for the GOV.UK pagination component: first, last, and two either side."""

    def href(number: int) -> str:
        query = f"{base_query}&page={number}" if base_query else f"page={number}"
        return f"?{query}"

    last = page.num_pages
    wanted = {1, last, *range(page.number - 2, page.number + 3)}
    items, previous = [], 0
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == page.number})
        previous = number
    return {
        "items": items if last > 1 else [],
        "previous": href(page.number - 1) if page.number > 1 else None,
        "next": href(page.number + 1) if page.number < last else None,
    }


def _facet_context(facets: selectors.Facets) -> dict:
    return {
        "capability_groups": [
            {
                "group": group,
                "options": options,
                "selected": sum(1 for o in options if o.selected),
                "count": sum(o.count for o in options),
            }
            for group, options in facets.capability_groups
        ],
        "regions": facets.regions,
        "certifications": facets.certifications,
        "frameworks": facets.frameworks,
        "sme": facets.sme,
        "not_sme": facets.not_sme,
        "sme_selected": facets.sme_selected,
        "registered": facets.registered,
        "public_records": facets.public_records,
        "source_selected": facets.source_selected,
    }


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """``/suppliers/``: the search page (see suppliers.filters for its parameters)."""
    filterset = SupplierFilterSet(request.GET, request=request)
    found = filterset.search
    number, page_notice = parse_page(request.GET.get("page"))
    page = found.page(number)
    notices = list(filterset.notices)
    if page_notice:
        notices.append(page_notice)
    elif page.out_of_range and page.count:
        notices.append(
            f"There is no page {page.requested:,}: this is page {page.number:,}, the last page."
        )
    base_query = query_string(request.GET)
    selected = [
        {
            "label": item.label,
            "value": item.value,
            "remove_url": "?"
            + query_string(request.GET, drop=item.parameter, values=item.raw_values),
        }
        for item in filterset.selected()
    ]
    params = filterset.params
    raw_q = request.GET.get("q", "")
    search_for_record = clean_search_query(base_query)
    context = {
        "q": params.q,
        "q_value": raw_q if is_safe_value(raw_q) else params.q,
        "params": params,
        "won_from": [
            item.raw_values[0] for item in filterset.selected() if item.parameter == "won_from"
        ],
        "ordering": params.effective_ordering,
        "orderings": selectors.ORDERINGS,
        "page": page,
        "results": page.results,
        "facets": _facet_context(found.facets()),
        "correction": found.correction,
        "as_typed_url": "?" + query_string(request.GET, correct="false")
        if found.correction
        else "",
        "field_weights": selectors.FIELD_WEIGHTS,
        "capability_boost": selectors.CAPABILITY_BOOST,
        "region_boost": selectors.REGION_BOOST,
        "notices": notices,
        "selected": selected,
        "clear_url": "?" + query_string(request.GET, **dict.fromkeys(FILTER_PARAMETERS))
        if selected
        else "",
        "pagination": _pagination(page, base_query),
        "export_url": reverse("suppliers:export") + (f"?{base_query}" if base_query else ""),
        "can_shortlist": permissions.can_use_shortlists(request.user),
        "shortlist_query": urlencode({"search": search_for_record}) if search_for_record else "",
        # The sort control is its own form, carrying the search as it is: the search
        # form sends an ordering only when one was chosen, so new words sort by relevance.
        "sort_hidden": [
            (key, value)
            for key in request.GET
            if key not in ("ordering", "page")
            for value in safe_values(request.GET.getlist(key))
        ][:200],
    }
    return render(request, "suppliers/search.html", context)


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """``/suppliers/export.csv``: every supplier the same search matches, streamed."""
    filterset = SupplierFilterSet(request.GET, request=request)
    return exports.search_results_csv(
        request, filterset.search, search_query=clean_search_query(query_string(request.GET))
    )


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """``/suppliers/<slug>/``: a published profile; others only for its people and moderators."""
    supplier = selectors.supplier_for_profile(slug)
    if supplier is None:
        raise Http404("No such supplier")
    # Published: anyone. Otherwise its own people and moderators see it (with a banner);
    # to everyone else a suspended supplier is "unavailable" and the rest do not exist.
    if not permissions.can_view_supplier(request.user, supplier):
        if supplier.status == Supplier.Status.SUSPENDED:
            return render(request, "suppliers/unavailable.html", {"supplier": supplier})
        raise Http404("No such supplier")
    unclaimed = supplier.from_public_records
    context = {
        "supplier": supplier,
        "capability_groups": selectors.grouped_capabilities(supplier),
        "can_shortlist": supplier.is_published and permissions.can_use_shortlists(request.user),
        "contracts": selectors.public_contracts_for(supplier),
        # Visitors are offered the claim too: signing in comes first on the way.
        "can_claim": unclaimed
        and (
            not request.user.is_authenticated
            or permissions.can_claim_supplier(request.user, supplier)
        ),
        "your_claim": selectors.pending_claim(supplier, request.user) if unclaimed else None,
    }
    return render(request, "suppliers/detail.html", context)


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """``/suppliers/compare/?s=<slug>&s=<slug>``: two to four published suppliers side by side."""
    raw = safe_values(request.GET.getlist("s"), max_length=220)
    slugs = list(dict.fromkeys(s.strip() for s in raw if s.strip()))
    errors = []
    suppliers: list[Supplier] = []
    if len(slugs) > selectors.MAX_COMPARE:
        errors.append(
            f"You chose {len(slugs)} suppliers. Choose up to {selectors.MAX_COMPARE} to compare."
        )
    else:
        suppliers, missing = selectors.suppliers_to_compare(slugs)
        for slug in missing:
            errors.append(f'We could not find a published supplier "{shown(slug)}".')
        if len(suppliers) < selectors.MIN_COMPARE:
            errors.append(
                f"Choose at least {selectors.MIN_COMPARE} suppliers to compare: tick them in "
                "the search results or on a shortlist."
            )
    context = {
        "suppliers": suppliers,
        "errors": errors,
        "min_compare": selectors.MIN_COMPARE,
        "max_compare": selectors.MAX_COMPARE,
    }
    if len(suppliers) >= selectors.MIN_COMPARE:
        context["table"] = _comparison_rows(suppliers)
    return render(request, "suppliers/compare.html", context)


def _comparison_rows(suppliers: list[Supplier]) -> dict:
    """Rows for the comparison table: facts, then yes/no grids of what any of them has."""

    def union(attr: str, key):
        seen = {}
        for supplier in suppliers:
            for item in getattr(supplier, attr).all():
                seen[item.pk] = item
        return sorted(seen.values(), key=key)

    def grid(attr: str, key) -> list[dict]:
        items = union(attr, key)
        held = [{item.pk for item in getattr(s, attr).all()} for s in suppliers]
        return [{"item": item, "cells": [item.pk in h for h in held]} for item in items]

    return {
        "capabilities": grid(
            "capabilities", lambda c: (c.group.position, c.group.name, c.position, c.name)
        ),
        "certifications": grid("certifications", lambda c: c.name),
        "frameworks": grid("frameworks", lambda f: f.name),
    }


# --- Shortlists ------------------------------------------------------------------------


def shortlist_user_required(view):
    """Signed-in civil servants only: others are sent to sign in, or shown the 403 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_use_shortlists(request.user):
            raise PermissionDenied("Only civil servants can use shortlists.")
        return view(request, *args, **kwargs)

    return wrapped


def _own_shortlist(request: HttpRequest, pk: int) -> Shortlist:
    # Scoped to the owner: someone else's list is "not found", not "forbidden".
    return get_object_or_404(Shortlist, pk=pk, owner=request.user)


@shortlist_user_required
@require_http_methods(["GET", "POST"])
def shortlist_list(request: HttpRequest) -> HttpResponse:
    """``/suppliers/shortlists/``: your shortlists, and a form to make one."""
    form = ShortlistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shortlist = services.shortlist_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except DomainError as error:
            apply_domain_error(form, error, default_field="name")
        else:
            messages.success(request, f"Shortlist “{shortlist.name}” created.")
            return redirect("suppliers:shortlist", pk=shortlist.pk)
    shortlists = (
        Shortlist.objects.filter(owner=request.user)
        .annotate(entry_count=Count("entries"))
        .order_by("-updated_at", "-pk")
    )
    return render(
        request, "suppliers/shortlists/list.html", {"shortlists": shortlists, "form": form}
    )


@shortlist_user_required
@require_GET
def shortlist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shortlist = _own_shortlist(request, pk)
    entries = list(
        ShortlistEntry.objects.filter(shortlist=shortlist)
        .select_related("supplier")
        .order_by("added_at", "pk")
    )
    return render(
        request,
        "suppliers/shortlists/detail.html",
        {"shortlist": shortlist, "entries": entries, "max_compare": selectors.MAX_COMPARE},
    )


@shortlist_user_required
@require_http_methods(["GET", "POST"])
def shortlist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    shortlist = _own_shortlist(request, pk)
    initial = {"name": shortlist.name, "description": shortlist.description}
    form = ShortlistForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.shortlist_update(
                actor=request.user,
                shortlist=shortlist,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except DomainError as error:
            apply_domain_error(form, error, default_field="name")
        else:
            messages.success(request, "Shortlist updated.")
            return redirect("suppliers:shortlist", pk=shortlist.pk)
    return render(request, "suppliers/shortlists/edit.html", {"shortlist": shortlist, "form": form})


@shortlist_user_required
@require_http_methods(["GET", "POST"])
def shortlist_delete(request: HttpRequest, pk: int) -> HttpResponse:
    shortlist = _own_shortlist(request, pk)
    if request.method == "POST":
        name = shortlist.name
        services.shortlist_delete(actor=request.user, shortlist=shortlist)
        messages.success(request, f"Shortlist “{name}” deleted.")
        return redirect("suppliers:shortlists")
    return render(request, "suppliers/shortlists/delete.html", {"shortlist": shortlist})


@shortlist_user_required
@require_GET
def shortlist_export(request: HttpRequest, pk: int) -> HttpResponse:
    return exports.shortlist_csv(request, _own_shortlist(request, pk))


def _own_entry(request: HttpRequest, pk: int, entry_pk: int) -> ShortlistEntry:
    return get_object_or_404(
        ShortlistEntry.objects.select_related("shortlist", "supplier"),
        pk=entry_pk,
        shortlist_id=pk,
        shortlist__owner=request.user,
    )


@shortlist_user_required
@require_http_methods(["GET", "POST"])
def shortlist_entry_note(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = _own_entry(request, pk, entry_pk)
    form = EntryNoteForm(request.POST or None, initial={"note": entry.note})
    if request.method == "POST" and form.is_valid():
        try:
            services.shortlist_update_note(
                actor=request.user, entry=entry, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            apply_domain_error(form, error, default_field="note")
        else:
            messages.success(request, f"Note for {entry.supplier.name} saved.")
            return redirect("suppliers:shortlist", pk=pk)
    return render(request, "suppliers/shortlists/note.html", {"entry": entry, "form": form})


@shortlist_user_required
@require_http_methods(["GET", "POST"])
def shortlist_entry_remove(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = _own_entry(request, pk, entry_pk)
    if request.method == "POST":
        services.shortlist_remove_supplier(actor=request.user, entry=entry)
        messages.success(request, f"{entry.supplier.name} removed from “{entry.shortlist.name}”.")
        return redirect("suppliers:shortlist", pk=pk)
    return render(request, "suppliers/shortlists/remove.html", {"entry": entry})


@shortlist_user_required
@require_http_methods(["GET", "POST"])
def shortlist_add(request: HttpRequest, slug: str) -> HttpResponse:
    """``/suppliers/<slug>/shortlist/``: add a published supplier to one of your shortlists."""
    supplier = get_object_or_404(Supplier, slug=slug, status=Supplier.Status.PUBLISHED)
    shortlists = list(Shortlist.objects.filter(owner=request.user).order_by("-updated_at", "-pk"))
    search_query = clean_search_query(request.GET.get("search", ""))
    form = ShortlistAddForm(
        request.POST or None, shortlists=shortlists, initial={"search": search_query}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        search_query = clean_search_query(data.get("search") or "")
        try:
            with_new = data["shortlist"] == NEW_SHORTLIST
            if with_new:
                shortlist = services.shortlist_create(
                    actor=request.user, name=data["new_name"], search_query=search_query
                )
            else:
                shortlist = next(s for s in shortlists if str(s.pk) == data["shortlist"])
            services.shortlist_add_supplier(
                actor=request.user,
                shortlist=shortlist,
                supplier=supplier,
                note=data["note"],
                search_query=search_query,
            )
        except DomainError as error:
            apply_domain_error(
                form,
                error,
                default_field="new_name" if data["shortlist"] == NEW_SHORTLIST else "shortlist",
            )
        else:
            messages.success(request, f"{supplier.name} added to “{shortlist.name}”.")
            return redirect("suppliers:shortlist", pk=shortlist.pk)
    back = reverse("suppliers:search") + (f"?{search_query}" if search_query else "")
    return render(
        request,
        "suppliers/shortlists/add.html",
        {"supplier": supplier, "form": form, "back_url": back},
    )


# --- The market map --------------------------------------------------------------------


@require_GET
def market_map(request: HttpRequest) -> HttpResponse:
    """``/techmap/``: capability groups × regions, suppliers and SME share, as chart and table."""
    refdata = selectors.reference_data()
    data = selectors.market_map(refdata=refdata)
    search_url = reverse("suppliers:search")

    def link(group, region) -> str:
        items = []
        if group is not None:
            items += [("capability", c.code) for c in refdata.capabilities_by_group[group.id]]
        if region is not None:
            items.append(("region", region.code))
        return f"{search_url}?{urlencode(items)}"

    def shade(n: int) -> int:
        # Five steps of blue; an empty cell is white.
        if not n or not data.max_cell:
            return 0
        return 1 + min(4, int(4 * n / data.max_cell))

    rows = [
        {
            "group": group,
            "cells": [
                {"cell": cell, "href": link(group, cell.region), "shade": shade(cell.suppliers)}
                for cell in cells
            ],
            "total": {"cell": total, "href": link(group, None)},
        }
        for group, cells, total in data.rows
    ]
    column_totals = [{"cell": cell, "href": link(None, cell.region)} for cell in data.region_totals]
    return render(
        request,
        "suppliers/market_map.html",
        {
            "map": data,
            "rows": rows,
            "column_totals": column_totals,
            "regions": data.regions,
            "chart": _chart_geometry(rows, data.regions),
        },
    )


CHART_CELL = 44
CHART_LABEL_WIDTH = 210
CHART_HEADER_HEIGHT = 150
SHADES = ["#ffffff", "#d2e2f1", "#a5c5e3", "#5694ca", "#1d70b8", "#003078"]


def _chart_geometry(rows: list[dict], regions) -> dict:
    """Positions for the SVG heat map (the numbers themselves are in the table)."""
    cells = []
    for y, row in enumerate(rows):
        for x, item in enumerate(row["cells"]):
            cells.append(
                {
                    "x": CHART_LABEL_WIDTH + x * CHART_CELL,
                    "y": CHART_HEADER_HEIGHT + y * CHART_CELL,
                    "fill": SHADES[item["shade"]],
                    "text_fill": "#ffffff" if item["shade"] >= 4 else "#0b0c0c",
                    "href": item["href"],
                    "cell": item["cell"],
                }
            )
    return {
        "width": CHART_LABEL_WIDTH + len(regions) * CHART_CELL + 10,
        "height": CHART_HEADER_HEIGHT + len(rows) * CHART_CELL + 10,
        "cell": CHART_CELL,
        "half": CHART_CELL // 2,
        "cells": cells,
        "row_labels": [
            {
                "y": CHART_HEADER_HEIGHT + y * CHART_CELL + CHART_CELL // 2 + 5,
                "name": r["group"].name,
            }
            for y, r in enumerate(rows)
        ],
        "column_labels": [
            {"x": CHART_LABEL_WIDTH + x * CHART_CELL + CHART_CELL // 2 + 4, "name": region.name}
            for x, region in enumerate(regions)
        ],
        "label_x": CHART_LABEL_WIDTH - 8,
        "header_y": CHART_HEADER_HEIGHT - 8,
        "legend": [{"fill": fill, "index": i} for i, fill in enumerate(SHADES)],
    }
