"""The one FilterSet behind ``/suppliers/``, its CSV export and ``/api/v1/suppliers/``.

Parameters (a contract, see DESIGN.md): ``q``, ``capability``, ``region``, ``sme``,
``certification``, ``framework``, ``has_contracts``, ``won_from``, ``source``,
``ordering`` (``page`` belongs to the web view; the API pages with a cursor).

- ``capability``, ``certification`` and ``framework`` take codes, ``region`` a slug
  (``london``) or an ITL1 code (``TLI``); any case; repeat a parameter for several
  values (OR within a filter, AND between filters).
- ``sme``: ``true``/``yes``/``1`` for SMEs only, ``false``/``no``/``0`` for large suppliers.
- ``has_contracts``: ``true`` for suppliers that have won public contracts (awards in
  published contract data), ``false`` for those that have not.
- ``won_from``: a public body's slug (``cabinet-office``) or its name, any case: suppliers
  that have won a public contract from it (repeat for any of several).
- ``source``: ``registered`` (registered on Techmap) or ``public_records`` (from public
  records: not registered). Both by default.
- ``ordering``: ``relevance`` (the default: without ``q``, the fair daily order),
  ``name`` (A to Z), ``updated`` (most recently updated first).
- ``correct``: ``false`` to search the words as typed (no spelling correction; the
  "Search instead for …" link sets it).

Bad values never cause a server error. By default (the web page) each one is left
out and explained in :attr:`SupplierFilterSet.notices`, and the rest of the search
still runs. With ``strict=True`` (the API) unknown codes are field errors too, so
``is_valid()`` is False and DRF answers 400.

Usage::

    filterset = SupplierFilterSet(request.GET, request=request)
    search = filterset.search  # a suppliers.selectors.SupplierSearch
    page, facets = search.page(2), search.facets()
    filterset.qs  # the same search as an ordered, annotated queryset (for DRF)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import QueryDict

from accounts.models import PublicBody
from core.filters import CorrectFilter, TrueFalseField
from core.querystring import is_safe_value
from suppliers.models import Capability, Certification, Framework, Region, Supplier
from suppliers.selectors import (
    MAX_QUERY_LENGTH,
    ORDERINGS,
    SOURCES,
    ReferenceData,
    SearchParams,
    SupplierSearch,
    reference_data,
)

# A code longer than this cannot be one of ours; more values than this are not read.
MAX_CODE_LENGTH = 100
MAX_VALUES = 100

# Parameter → the ReferenceData list it draws its values from, and how to name it.
CODE_PARAMETERS = {
    "capability": ("capabilities", "capability"),
    "region": ("regions", "region"),
    "certification": ("certifications", "certification"),
    "framework": ("frameworks", "framework"),
}


def shown(value: str, limit: int = 40) -> str:
    """A bad value made safe to repeat back to the user (printable, not too long)."""
    text = "".join(ch if ch.isprintable() else "?" for ch in value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CodeListField(forms.MultipleChoiceField):
    """Codes (``?region=london&region=wales``) cleaned to ids.

    Unlike Django's field, one unknown value does not sink the others: it is set
    aside in :attr:`ignored` (or, when ``strict``, reported as the field's error).
    :attr:`accepted` keeps each recognised value as written, with its id.
    """

    def __init__(self, *args, lookup: dict[str, int] | None = None, strict: bool = False, **kw):
        super().__init__(*args, **kw)
        self.lookup = lookup or {}
        self.strict = strict
        self.ignored: list[str] = []
        self.accepted: list[tuple[str, int]] = []

    def clean(self, value) -> list[int]:
        values = self.to_python(value)
        ids: list[int] = []
        self.ignored, self.accepted = [], []
        for position, raw in enumerate(values):
            key = raw.strip().lower()
            pk = None
            if position < MAX_VALUES and is_safe_value(raw, MAX_CODE_LENGTH):
                pk = self.lookup.get(key)
            if pk is None:
                self.ignored.append(raw)
                continue
            self.accepted.append((raw, pk))
            if pk not in ids:
                ids.append(pk)
        if self.ignored and self.strict:
            raise ValidationError(
                [
                    ValidationError(
                        "%(value)s is not a known value.",
                        code="invalid_choice",
                        params={"value": shown(raw)},
                    )
                    for raw in self.ignored[:10]
                ]
            )
        return ids


class CodeListFilter(django_filters.MultipleChoiceFilter):
    field_class = CodeListField


class SmeField(TrueFalseField):
    true_values = TrueFalseField.true_values | {"sme"}
    default_error_messages = {
        "invalid": 'Choose "true" for SMEs only or "false" for large suppliers only.'
    }


class SmeFilter(django_filters.BooleanFilter):
    field_class = SmeField


class HasContractsField(SmeField):
    default_error_messages = {
        "invalid": 'Choose "true" for suppliers that have won public contracts or "false" '
        "for those that have not."
    }


class HasContractsFilter(django_filters.BooleanFilter):
    field_class = HasContractsField


class PublicBodyListField(forms.MultipleChoiceField):
    """Public bodies by slug or name (``?won_from=cabinet-office``), cleaned to ids.

    Looked up only when given (one query): there are thousands once public contract
    data is in, so they are not loaded with the reference data. Unknown values are set
    aside in :attr:`ignored` (or, when ``strict``, reported as the field's error).
    """

    def __init__(self, *args, strict: bool = False, **kw):
        super().__init__(*args, **kw)
        self.strict = strict
        self.ignored: list[str] = []
        self.accepted: list[tuple[str, int, str]] = []  # (as written, id, name)

    def valid_value(self, value) -> bool:
        return True

    def clean(self, value) -> list[int]:
        values = self.to_python(value)
        self.ignored, self.accepted = [], []
        wanted: list[str] = []
        for position, raw in enumerate(values):
            text = " ".join(raw.split())
            if not text:
                continue  # the page's empty box: no filter
            if position < MAX_VALUES and is_safe_value(raw, MAX_CODE_LENGTH * 2):
                wanted.append(raw)
            else:
                self.ignored.append(raw)
        found: dict[str, tuple[int, str]] = {}
        if wanted:
            keys = {" ".join(w.split()).lower() for w in wanted}
            rows = PublicBody.objects.alias(lower_name=Lower("name")).filter(
                Q(slug__in=keys) | Q(lower_name__in=keys)
            )
            for pk, slug, name in rows.values_list("pk", "slug", "name"):
                found.setdefault(slug.lower(), (pk, name))
                found.setdefault(" ".join(name.split()).lower(), (pk, name))
        ids: list[int] = []
        for raw in wanted:
            match = found.get(" ".join(raw.split()).lower())
            if match is None:
                self.ignored.append(raw)
                continue
            self.accepted.append((raw, *match))
            if match[0] not in ids:
                ids.append(match[0])
        if self.ignored and self.strict:
            raise ValidationError(
                [
                    ValidationError(
                        "%(value)s is not a known public body.",
                        code="invalid_choice",
                        params={"value": shown(raw)},
                    )
                    for raw in self.ignored[:10]
                ]
            )
        return ids


class PublicBodyListFilter(django_filters.MultipleChoiceFilter):
    field_class = PublicBodyListField


def _choices(model):
    # Only drf-spectacular looks at these (it does not call them); the web page and the
    # API validate against the reference data loaded once per request.
    def choices():
        return list(model.objects.values_list("code", "name"))

    return choices


def _region_choices():
    return list(Region.objects.values_list("slug", "name"))


@dataclass(frozen=True)
class SelectedFilter:
    """One active filter value, for the "selected filters" tags."""

    parameter: str
    label: str  # e.g. "Region"
    value: str  # the option's name
    raw_values: tuple[str, ...]  # as written in the URL (to remove it)


class SupplierFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="_text",
        max_length=MAX_QUERY_LENGTH,
        label="Search",
        help_text='Words to find. Use "quotes" for a phrase, -word to exclude a word, '
        "or for either word.",
    )
    capability = CodeListFilter(
        method="_ignore", choices=_choices(Capability), help_text="Capability codes."
    )
    region = CodeListFilter(
        method="_ignore",
        choices=_region_choices,
        help_text="Regions served: slugs (london) or ITL1 codes (TLI).",
    )
    sme = SmeFilter(method="_ignore", help_text="true: SMEs only; false: large suppliers only.")
    certification = CodeListFilter(
        method="_ignore", choices=_choices(Certification), help_text="Certification codes."
    )
    framework = CodeListFilter(
        method="_ignore", choices=_choices(Framework), help_text="Framework codes."
    )
    has_contracts = HasContractsFilter(
        method="_ignore",
        help_text="true: suppliers that have won public contracts (in published contract "
        "data); false: those that have not.",
    )
    won_from = PublicBodyListFilter(
        method="_ignore",
        help_text="Suppliers that have won a public contract from this public body: its slug "
        "(cabinet-office) or name. Repeat for any of several.",
    )
    source = django_filters.ChoiceFilter(
        method="_ignore",
        choices=list(SOURCES.items()),
        help_text="registered: registered on Techmap; public_records: from public records "
        "(not registered). Both when absent.",
    )
    ordering = django_filters.ChoiceFilter(
        method="_ignore",
        choices=list(ORDERINGS.items()),
        empty_label=None,
        help_text="relevance (the default; without q, the fair daily order), name or updated.",
    )
    correct = CorrectFilter(
        method="_ignore",
        help_text="false: search the words as typed, without spelling correction.",
    )

    class Meta:
        model = Supplier
        fields: tuple[str, ...] = ()

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        request=None,
        prefix=None,
        strict: bool = False,
        refdata: ReferenceData | None = None,
        day=None,
    ) -> None:
        # With no queryset of the caller's, the search may use its cache (see selectors).
        self._own_queryset = queryset is None
        if queryset is None:
            queryset = Supplier.objects.all()
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.refdata = refdata or reference_data()
        self.strict = strict
        self.day = day
        for name, (kind, _) in CODE_PARAMETERS.items():
            options = getattr(self.refdata, kind)
            self.filters[name].extra.update(
                lookup=self.refdata.lookup(kind),
                strict=strict,
                # A callable: the form's fields then copy and normalise the list only
                # when something lists it (a rendered form), not on every request.
                choices=lambda options=options: [(o.code, o.name) for o in options],
            )
        self.filters["won_from"].extra.update(strict=strict)

    # Filtering is done as a whole by the search selector (filter_queryset below); the
    # per-filter methods exist so django-filter and the API schema know the parameters.
    def _text(self, queryset, name, value):
        return queryset

    def _ignore(self, queryset, name, value):
        return queryset

    @property
    def qs(self):
        """The search as a queryset: only published suppliers, even when unbound."""
        if not hasattr(self, "_qs"):
            if self.is_bound:
                self.errors  # noqa: B018 - validates the form before reading cleaned_data
            self._qs = self.search.queryset()  # one search: its spelling check runs once
        return self._qs

    def filter_queryset(self, queryset):
        return self._search_for(queryset).queryset()

    # -- the parsed search

    def _cleaned(self) -> dict:
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return self.form.cleaned_data

    @cached_property
    def params(self) -> SearchParams:
        """The valid part of the query string as selector parameters."""
        data = self._cleaned()
        q = " ".join((data.get("q") or "").split())
        return SearchParams(
            q=q,
            capabilities=tuple(data.get("capability") or ()),
            regions=tuple(data.get("region") or ()),
            certifications=tuple(data.get("certification") or ()),
            frameworks=tuple(data.get("framework") or ()),
            sme=data.get("sme"),
            has_contracts=data.get("has_contracts"),
            won_from=tuple(data.get("won_from") or ()),
            source=data.get("source") or "",
            ordering=data.get("ordering") or "",
            day=self.day,
            correct=data.get("correct") is not False,
        )

    def _search_for(self, queryset) -> SupplierSearch:
        return SupplierSearch(self.params, refdata=self.refdata, base=queryset)

    @cached_property
    def search(self) -> SupplierSearch:
        return self._search_for(None if self._own_queryset else self.queryset.all())

    # -- explaining what was left out

    @cached_property
    def notices(self) -> list[str]:
        """Sentences for the page about every value that was ignored, and why."""
        if not self.is_bound:
            return []
        self._cleaned()
        notices = []
        errors = self.form.errors.as_data()
        for error in errors.get("q", []):
            if error.code == "max_length":
                notices.append(
                    f"Your search was longer than {MAX_QUERY_LENGTH} characters, "
                    "so it was not used. Try fewer words."
                )
            else:
                notices.append(
                    "Your search contained characters we cannot search for, so it was not used."
                )
        for name, (_, noun) in CODE_PARAMETERS.items():
            field = self.form.fields[name]
            for raw in getattr(field, "ignored", []):
                notices.append(f'We do not recognise the {noun} "{shown(raw)}", so it was ignored.')
        if "sme" in errors:
            raw = self.data.get("sme", "")
            notices.append(
                f'The size filter "{shown(raw)}" was ignored: use "true" for SMEs only '
                'or "false" for large suppliers only.'
            )
        if "has_contracts" in errors:
            raw = self.data.get("has_contracts", "")
            notices.append(
                f'The public contracts filter "{shown(raw)}" was ignored: use "true" for '
                'suppliers that have won public contracts or "false" for those that have not.'
            )
        for raw in getattr(self.form.fields["won_from"], "ignored", []):
            notices.append(
                f'We do not recognise the public body "{shown(raw)}", so it was ignored.'
            )
        if "source" in errors:
            raw = self.data.get("source", "")
            notices.append(
                f'The filter "{shown(raw)}" was ignored: use "registered" for suppliers '
                'registered on Techmap or "public_records" for those from public records.'
            )
        if "correct" in errors:
            raw = self.data.get("correct", "")
            notices.append(
                f'The option "{shown(raw)}" was ignored: use "correct=false" to search your '
                "words as typed, without spelling correction."
            )
        if "ordering" in errors:
            raw = self.data.get("ordering", "")
            default = ORDERINGS[self.params.effective_ordering].lower()
            notices.append(f'We cannot sort by "{shown(raw)}", so results are sorted by {default}.')
        return notices

    # -- what is selected (for tags that remove one filter)

    def selected(self) -> list[SelectedFilter]:
        if not self.is_bound:
            return []
        self._cleaned()
        chosen: list[SelectedFilter] = []
        for name, (kind, noun) in CODE_PARAMETERS.items():
            field = self.form.fields[name]
            raws: dict[int, list[str]] = {}
            for raw, pk in getattr(field, "accepted", []):
                raws.setdefault(pk, []).append(raw)
            options = self.refdata.by_id[kind]
            for pk, values in raws.items():
                chosen.append(
                    SelectedFilter(name, noun.capitalize(), options[pk].name, tuple(values))
                )
        sme = self.params.sme
        if sme is not None:
            chosen.append(
                SelectedFilter(
                    "sme",
                    "Size",
                    "SMEs only" if sme else "Large suppliers only",
                    tuple(self.data.getlist("sme") if hasattr(self.data, "getlist") else ()),
                )
            )
        has_contracts = self.params.has_contracts
        if has_contracts is not None:
            chosen.append(
                SelectedFilter(
                    "has_contracts",
                    "Public contracts",
                    "Has won public contracts" if has_contracts else "No public contracts",
                    tuple(self._raw("has_contracts")),
                )
            )
        bodies: dict[int, tuple[str, list[str]]] = {}
        for raw, pk, name in getattr(self.form.fields["won_from"], "accepted", []):
            bodies.setdefault(pk, (name, []))[1].append(raw)
        for name, raws in bodies.values():
            chosen.append(SelectedFilter("won_from", "Won contracts from", name, tuple(raws)))
        if self.params.source in SOURCES:
            chosen.append(
                SelectedFilter(
                    "source",
                    "Registration",
                    SOURCES[self.params.source],
                    tuple(self._raw("source")),
                )
            )
        return chosen

    def _raw(self, name: str) -> list[str]:
        return self.data.getlist(name) if hasattr(self.data, "getlist") else []


def query_string(data: QueryDict, *, drop: str | None = None, values=(), **changes) -> str:
    """``data`` as a query string without ``page``; ``drop`` removes a parameter (or only
    some of its ``values``); ``changes`` set parameters (None removes)."""
    items: list[tuple[str, str]] = []
    for key in data:
        if key == "page" or key in changes:
            continue
        for value in data.getlist(key):
            if key == drop and (not values or value in values):
                continue
            if value in ("", None):
                continue
            items.append((key, value))
    for key, value in changes.items():
        if value not in (None, ""):
            items.append((key, str(value)))
    return urlencode(items)


SEARCH_PARAMETERS = (
    "q",
    "capability",
    "region",
    "sme",
    "certification",
    "framework",
    "has_contracts",
    "won_from",
    "source",
    "ordering",
    "correct",
)
# The filters other than q and ordering (the "clear all filters" link drops them all).
FILTER_PARAMETERS = tuple(p for p in SEARCH_PARAMETERS if p not in ("q", "ordering", "correct"))
SEARCH_QUERY_MAX_LENGTH = 2000  # Shortlist.search_query / ShortlistEntry.search_query


def clean_search_query(raw: str) -> str:
    """A search's query string kept for the record: only the search parameters, in a
    fixed order, without ``page`` or anything else, at most 2,000 characters."""
    if not raw:
        return ""
    data = QueryDict(raw.lstrip("?"))
    items = [
        (key, value.replace("\x00", ""))
        for key in SEARCH_PARAMETERS
        for value in data.getlist(key)[:MAX_VALUES]
        if value.replace("\x00", "") and len(value) <= MAX_QUERY_LENGTH
    ]
    text = urlencode(items)
    while len(text) > SEARCH_QUERY_MAX_LENGTH and items:
        items.pop()
        text = urlencode(items)
    return text
