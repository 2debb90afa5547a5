"""API input and output shapes for the supplier registry (see core/api for conventions).

Output serializers are read-only and expect the querysets built in ``suppliers.api`` (codes
of the related rows already aggregated into arrays), so a page of any size is one query.
Input serializers only validate and convert; the views pass ``validated_data`` to
``suppliers.services``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from core.api.pagination import CORRECTED_QUERY_DESCRIPTION
from core.validators import no_line_breaks
from suppliers import companies_house, rules
from suppliers.companies_house import normalise_company_number
from suppliers.filters import CODE_PARAMETERS, MAX_VALUES
from suppliers.models import (
    Capability,
    CapabilityGroup,
    CaseStudy,
    Certification,
    Framework,
    Region,
    Supplier,
    SupplierRevision,
)
from suppliers.selectors import MAX_QUERY_LENGTH, ORDERINGS, reference_data

# --- Reference data -----------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "slug"]


class CapabilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Capability
        fields = ["code", "name", "description"]


class CapabilityGroupSerializer(serializers.ModelSerializer):
    capabilities = CapabilitySerializer(many=True, read_only=True)

    class Meta:
        model = CapabilityGroup
        fields = ["code", "name", "description", "capabilities"]


class CertificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certification
        fields = ["code", "name", "description"]


class FrameworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Framework
        fields = ["code", "name", "description"]


# --- Suppliers: output ------------------------------------------------------------------------

SUPPLIER_LIST_FIELDS = [
    "slug",
    "name",
    "summary",
    "website",
    "size",
    "is_sme",
    "hq_region",
    "regions",
    "capabilities",
    "certifications",
    "frameworks",
    "published_at",
    "updated_at",
    "url",
]


class SupplierListSerializer(serializers.Serializer):
    """A published supplier in a list: related rows as codes (see the reference endpoints).

    ``to_representation`` is written out by hand: this runs 20–100 times a request and the
    generic field machinery was most of the endpoint's time.
    """

    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    website = serializers.URLField(read_only=True, allow_blank=True)
    size = serializers.ChoiceField(choices=Supplier.Size.choices, read_only=True)
    is_sme = serializers.BooleanField(read_only=True)
    hq_region = serializers.CharField(
        read_only=True, allow_null=True, help_text="Region code of the head office."
    )
    regions = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Codes of the regions served."
    )
    capabilities = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Capability codes."
    )
    certifications = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Certification codes."
    )
    frameworks = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Framework codes."
    )
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)
    url = serializers.URLField(read_only=True, help_text="This supplier in the API.")
    from_public_records = serializers.BooleanField(
        read_only=True,
        help_text="Made from public contract data or Companies House: this organisation has "
        "not registered on Techmap.",
    )
    public_contract_count = serializers.IntegerField(
        read_only=True, help_text="Awards in public contract data (see /api/v1/awards/)."
    )
    public_contract_total = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Total value of those awards in pounds (awards published in pounds only).",
    )
    latest_award_date = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the latest of those awards was made."
    )

    def _url(self, slug: str) -> str:
        base = self.context.get("supplier_url_base")
        if base is None:
            request = self.context["request"]
            base = request.build_absolute_uri("/api/v1/suppliers/")
            self.context["supplier_url_base"] = base
        return f"{base}{slug}/"

    @staticmethod
    def _time(value) -> str | None:
        if value is None:
            return None
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def to_representation(self, obj: Supplier) -> dict[str, Any]:
        return {
            "slug": obj.slug,
            "name": obj.name,
            "summary": obj.summary,
            "website": obj.website,
            "size": obj.size,
            "is_sme": obj.size in Supplier.SME_SIZES,
            "hq_region": obj.hq_region_code,
            "regions": obj.region_codes or [],
            "capabilities": obj.capability_codes or [],
            "certifications": obj.certification_codes or [],
            "frameworks": obj.framework_codes or [],
            "published_at": self._time(obj.published_at),
            "updated_at": self._time(obj.updated_at),
            "url": self._url(obj.slug),
            "from_public_records": obj.from_public_records,
            "public_contract_count": getattr(obj, "public_contract_count", None) or 0,
            "public_contract_total": _money(getattr(obj, "public_contract_total", None)),
            "latest_award_date": self._time(getattr(obj, "latest_award_date", None)),
        }


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


class CaseStudySerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseStudy
        fields = ["id", "title", "client_type", "client_name", "summary", "outcome", "year"]
        read_only_fields = ["id"]


class SupplierDetailSerializer(SupplierListSerializer):
    """A published supplier's public profile."""

    companies_house_number = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    employees = serializers.IntegerField(read_only=True, allow_null=True)
    year_founded = serializers.IntegerField(read_only=True, allow_null=True)
    case_studies = CaseStudySerializer(many=True, read_only=True)

    def to_representation(self, obj: Supplier) -> dict[str, Any]:
        data = super().to_representation(obj)
        data.update(
            companies_house_number=obj.companies_house_number,
            description=obj.description,
            employees=obj.employees,
            year_founded=obj.year_founded,
            case_studies=CaseStudySerializer(obj.case_studies.all(), many=True).data,
        )
        return data


class PendingRevisionSerializer(serializers.Serializer):
    """An edit to a live profile waiting for a moderator, or returned by one as a draft to
    fix and send again; the live profile is unchanged."""

    id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(
        choices=[("pending", "Pending review"), ("draft", "Not approved: to fix and send again")],
        read_only=True,
        help_text="`pending`: waiting for a moderator. `draft`: a moderator did not approve "
        "it (see `reason`); your edits merge into it until you send it again "
        "(`POST .../changes/resubmit/`) or discard it (`POST .../changes/discard/`).",
    )
    reason = serializers.CharField(
        read_only=True, help_text="Why a moderator did not approve a draft; empty when pending."
    )
    proposed = serializers.DictField(
        read_only=True,
        help_text="The proposed values of the fields the edit changes (codes for related "
        "values, case studies as a whole list).",
    )
    submitted_at = serializers.DateTimeField(read_only=True)


class MySupplierSerializer(SupplierDetailSerializer):
    """The full profile for the supplier's own people: any status, with contact details."""

    status = serializers.ChoiceField(choices=Supplier.Status.choices, read_only=True)
    contact_name = serializers.CharField(read_only=True)
    contact_email = serializers.EmailField(read_only=True, allow_blank=True)
    contact_phone = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    role = serializers.ChoiceField(
        choices=[("owner", "Owner"), ("member", "Member")],
        read_only=True,
        allow_null=True,
        help_text="Your role at this supplier (null for a moderator who is not a member).",
    )
    pending_revision = PendingRevisionSerializer(
        read_only=True,
        allow_null=True,
        help_text="An edit of the live profile waiting for review, or returned by a moderator "
        "as a draft (null when there is none).",
    )

    def to_representation(self, obj: Supplier) -> dict[str, Any]:
        data = super().to_representation(obj)
        request = self.context["request"]
        data["url"] = request.build_absolute_uri(f"/api/v1/my/suppliers/{obj.slug}/")
        data.update(
            status=obj.status,
            contact_name=obj.contact_name,
            contact_email=obj.contact_email,
            contact_phone=obj.contact_phone,
            created_at=self._time(obj.created_at),
            role=getattr(obj, "my_role", None),
            pending_revision=_pending_revision(obj),
        )
        return data


def _pending_revision(obj: Supplier) -> dict[str, Any] | None:
    """The prefetched ``pending_revisions`` (see suppliers.api) as JSON, or None."""
    revisions = getattr(obj, "pending_revisions", None)
    if revisions is None:
        revisions = list(obj.revisions.filter(status__in=SupplierRevision.OPEN_STATUSES)[:1])
    if not revisions:
        return None
    revision = revisions[0]
    return {
        "id": revision.pk,
        "status": revision.status,
        "reason": revision.reason,
        "proposed": revision.proposed,
        "submitted_at": SupplierDetailSerializer._time(revision.submitted_at),
    }


# --- Facets -----------------------------------------------------------------------------------


class FacetValueSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The value to pass back as the filter parameter.")
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Published suppliers matching with this value.")
    selected = serializers.BooleanField()


class CapabilityFacetGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    capabilities = FacetValueSerializer(many=True)


class FacetsSerializer(serializers.Serializer):
    capability = CapabilityFacetGroupSerializer(many=True)
    region = FacetValueSerializer(many=True)
    sme = FacetValueSerializer(many=True)
    certification = FacetValueSerializer(many=True)
    framework = FacetValueSerializer(many=True)


@extend_schema_serializer(many=False)
class SupplierPageSerializer(serializers.Serializer):
    """The schema of a page of /api/v1/suppliers/ (cursor page plus facets)."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SupplierListSerializer(many=True)
    corrected_query = serializers.CharField(
        allow_null=True,
        help_text=CORRECTED_QUERY_DESCRIPTION,
    )
    facets = FacetsSerializer(
        required=False,
        help_text="Only with `facets=true`: the same counts as the filters on /suppliers/.",
    )


# --- Suppliers: query parameters ----------------------------------------------------------------


def _query_choices(refdata, kind: str) -> list[tuple[str, str]]:
    options = getattr(refdata, kind)
    codes = [(option.code, option.name) for option in options]
    if kind == "regions":  # ITL1 codes first: they are what /api/v1/regions/ shows
        codes = [(option.itl_code, option.name) for option in options] + codes
    return codes


def _query_codes(refdata, kind: str) -> set[str]:
    return {code for code, _ in _query_choices(refdata, kind)}


class SupplierQuerySerializer(serializers.Serializer):
    """Query parameters of /api/v1/suppliers/: the same as the /suppliers/ search page.

    Checked strictly here (a wrong type or an unknown code is a 400; the schema lists the
    codes), then the web's FilterSet (``strict=True``) and search selector run on them.
    Repeat a multi-valued parameter for several values (``region=TLI&region=TLJ``): OR within
    a filter, AND between filters. Pass ``refdata`` (suppliers.selectors.reference_data()) in
    the context so the codes are read once per request.
    """

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        trim_whitespace=False,
        help_text='Search words, web-search syntax: "quoted phrase", -without, either or other.',
    )
    capability = serializers.ListField(
        child=serializers.ChoiceField(choices=[]),
        required=False,
        max_length=MAX_VALUES,
        help_text="Capability codes (any of them); see /api/v1/capabilities/.",
    )
    region = serializers.ListField(
        child=serializers.ChoiceField(choices=[]),
        required=False,
        max_length=MAX_VALUES,
        help_text="Regions served (any of them): ITL1 codes such as `TLI`, or slugs such as "
        "`london`; see `/api/v1/regions/`.",
    )
    sme = serializers.ChoiceField(
        choices=[("true", "SMEs only"), ("false", "Large suppliers only")],
        required=False,
        help_text="true: SMEs only; false: large suppliers only.",
    )
    certification = serializers.ListField(
        child=serializers.ChoiceField(choices=[]),
        required=False,
        max_length=MAX_VALUES,
        help_text="Certification codes (any of them); see /api/v1/certifications/.",
    )
    framework = serializers.ListField(
        child=serializers.ChoiceField(choices=[]),
        required=False,
        max_length=MAX_VALUES,
        help_text="Framework codes (any of them); see /api/v1/frameworks/.",
    )
    has_contracts = serializers.ChoiceField(
        choices=[("true", "Has won public contracts"), ("false", "Has not")],
        required=False,
        help_text="true: suppliers that have won public contracts (in published contract "
        "data); false: those that have not.",
    )
    won_from = serializers.ListField(
        child=serializers.ChoiceField(choices=[]),
        required=False,
        max_length=MAX_VALUES,
        help_text="Suppliers that have won a public contract from this public body (its slug; "
        "its name is accepted too). Repeat for any of several. An unknown body is a 400.",
    )
    source = serializers.ChoiceField(
        choices=[
            ("registered", "Registered on Techmap"),
            ("public_records", "From public records (not registered)"),
        ],
        required=False,
        help_text="registered: registered on Techmap; public_records: from public records. "
        "Both when absent.",
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS.items()),
        required=False,
        help_text="relevance (the default; without q, a fair order that changes daily), name, "
        "or updated (most recently updated first).",
    )
    correct = serializers.ChoiceField(
        choices=[("true", "Correct misspelt words (the default)"), ("false", "Search as typed")],
        required=False,
        help_text="false: search the words as typed. By default up to two words not in the "
        "register's vocabulary are corrected, and `corrected_query` says so.",
    )
    facets = serializers.ChoiceField(
        choices=[("true", "Add the facets block"), ("false", "No facets (the default)")],
        required=False,
        help_text="true: add `facets`, the count of matching suppliers for each filter value "
        "(the same counts as the filters on /suppliers/).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refdata = self.context.get("refdata") or reference_data()
        for name, (kind, _) in CODE_PARAMETERS.items():
            self.fields[name].child.choices = _query_choices(refdata, kind)
        # The public bodies' slugs when the schema is built (the FilterSet checks them on
        # each request; this class only documents the parameters).
        from accounts.models import PublicBody

        self.fields["won_from"].child.choices = list(
            PublicBody.objects.order_by("slug").values_list("slug", "name")
        )

    SINGLE = {
        "q": None,
        "sme": ("true", "false"),
        "ordering": tuple(ORDERINGS),
        "facets": ("true", "false"),
        "correct": ("true", "false"),
    }

    @classmethod
    def check(cls, data, refdata) -> dict[str, Any]:
        """Validate a QueryDict as an instance would, without building DRF fields.

        The view calls this on every list request (building the serializer's choice fields
        cost more than the query); the class itself documents the parameters in the schema.
        Raises ValidationError with the same paths, codes and messages as the serializer.
        """
        errors: dict[str, Any] = {}
        cleaned: dict[str, Any] = {}
        for name, choices in cls.SINGLE.items():
            values = data.getlist(name)
            if not values:
                continue
            if len(values) > 1:
                errors[name] = [ErrorDetail("Give this parameter once.", code="invalid")]
                continue
            value = values[0]
            if choices is None:
                if len(value) > MAX_QUERY_LENGTH:
                    message = f"Ensure this field has no more than {MAX_QUERY_LENGTH} characters."
                    errors[name] = [ErrorDetail(message, code="max_length")]
                    continue
            elif value not in choices:
                message = f'"{value}" is not a valid choice.'
                errors[name] = [ErrorDetail(message, code="invalid_choice")]
                continue
            cleaned[name] = value
        for name, (kind, _) in CODE_PARAMETERS.items():
            values = data.getlist(name)
            if not values:
                continue
            if len(values) > MAX_VALUES:
                message = f"Ensure this field has no more than {MAX_VALUES} elements."
                errors[name] = [ErrorDetail(message, code="max_length")]
                continue
            allowed = _query_codes(refdata, kind)
            bad = {
                index: [ErrorDetail(f'"{value}" is not a valid choice.', code="invalid_choice")]
                for index, value in enumerate(values)
                if value not in allowed
            }
            if bad:
                errors[name] = bad
            else:
                cleaned[name] = values
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned

    def to_internal_value(self, data):
        # QueryDict → lists for the multi-valued parameters, single values for the others.
        if hasattr(data, "getlist"):
            plain: dict[str, Any] = {}
            errors: dict[str, list[str]] = {}
            for name, field in self.fields.items():
                if name not in data:
                    continue
                values = data.getlist(name)
                if isinstance(field, serializers.ListField):
                    plain[name] = values
                elif len(values) > 1:
                    errors[name] = ["Give this parameter once."]
                else:
                    plain[name] = values[0]
            if errors:
                raise serializers.ValidationError(errors)
            data = plain
        return super().to_internal_value(data)


# --- Suppliers: input (the supplier's own people) ---------------------------------------------


class _StrictString:
    """JSON strings only: a number or boolean sent for a text field is a type error, not text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StrictString, serializers.CharField):
    default_error_messages = {"invalid": "Not a valid string."}


class StrictEmailField(_StrictString, serializers.EmailField):
    pass


class StrictRegexField(_StrictString, serializers.RegexField):
    pass


def company_number_pattern() -> str:
    """The spellings ``normalise_company_number`` accepts, as a schema pattern (exactly those,
    so a client's validator and fuzzers agree with the server): around and between the
    characters, any whitespace (as ``str.isspace``), hyphens and dots; letters in either case
    (and the two characters Python upper-cases to I and S); a prefix from PREFIXES; then 1 to
    8 - len(prefix) digits that are not all zeros."""
    skip = (
        "[\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
        "\\u2028\\u2029\\u202f\\u205f\\u3000.\\-]*"
    )
    odd_cases = {"I": "\\u0131", "S": "\\u017f"}

    def letter(upper: str) -> str:
        return f"{upper}{upper.lower()}{odd_cases.get(upper, '')}"

    def digits(count: int) -> str:  # 1 to ``count`` digits, one of them not zero
        return "|".join(
            (f"(?:0{skip}){{{zeros}}}" if zeros else "")
            + f"[1-9](?:{skip}[0-9]){{0,{count - 1 - zeros}}}"
            for zeros in range(count)
        )

    by_length: dict[int, dict[str, set[str]]] = {}
    for prefix in sorted(companies_house.PREFIXES):
        by_length.setdefault(len(prefix), {}).setdefault(prefix[0], set()).add(prefix[1:])
    branches = [f"(?:{digits(companies_house.LENGTH)})"]
    for length, by_first in sorted(by_length.items()):
        prefixes = []
        for first, rests in sorted(by_first.items()):
            rest = "".join(letter(r) for r in sorted(rests) if r)
            prefixes.append(f"[{letter(first)}]" + (f"{skip}[{rest}]" if rest else ""))
        branches.append(
            f"(?:{'|'.join(prefixes)}){skip}(?:{digits(companies_house.LENGTH - length)})"
        )
    return f"^{skip}(?:{'|'.join(branches)}){skip}$"


@extend_schema_field({"type": "string", "pattern": company_number_pattern()})
class CompaniesHouseNumberField(StrictCharField):
    """A Companies House number in any spelling, as its stored form (suppliers.companies_house)."""

    def to_internal_value(self, data):
        # The length limit is on what the client sends (the stored form is always 8).
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        value = super().to_internal_value(data)
        try:
            return normalise_company_number(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from error


class StrictIntegerField(serializers.IntegerField):
    """JSON integers only (not "5", 5.0 or true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


# A website as the API takes it: stricter than a URI, so that every value the schema allows
# also passes the model's URLValidator (no ports, IP addresses or user info; DNS label and
# TLD lengths; printable ASCII in the path).
WEBSITE_RE = (
    r"^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(/[!-~]*)?$"
)


# Where each coded field of the write serializer takes its values from (ReferenceData).
WRITE_CODE_FIELDS = {
    "hq_region": "regions",
    "regions": "regions",
    "capabilities": "capabilities",
    "certifications": "certifications",
    "frameworks": "frameworks",
}


def _code_choices(refdata, kind: str) -> list[tuple[str, str]]:
    options = getattr(refdata, kind)
    if kind == "regions":  # ITL1 codes, as /api/v1/regions/ shows them
        return [(option.itl_code, option.name) for option in options]
    return [(option.code, option.name) for option in options]


def region_code_choices() -> list[tuple[str, str]]:
    """The ITL1 region codes as choices: one enum name in the schema (ENUM_NAME_OVERRIDES)."""
    return _code_choices(reference_data(), "regions")


class SupplierWriteSerializer(serializers.Serializer):
    """Fields a supplier's people (or a moderator) send; the services check the rules.

    Related rows are given by code (see the reference endpoints); ``validated_data`` holds
    their ids, ready for ``suppliers.services``.
    """

    name = StrictCharField(max_length=200, validators=[no_line_breaks])  # it reaches subjects
    companies_house_number = CompaniesHouseNumberField(
        max_length=20,
        help_text="8 digits, or a prefix (SC, NI, OC, R, …) and digits. Case, spaces and "
        "hyphens do not matter, and shorter numbers are zero-padded: `sc 12345` is stored "
        "as `SC012345`.",
    )
    website = StrictRegexField(
        WEBSITE_RE,
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="http:// or https://, a domain name, and an optional path.",
    )
    summary = StrictCharField(max_length=250, required=False, allow_blank=True)
    description = StrictCharField(
        max_length=20000, required=False, allow_blank=True, trim_whitespace=False
    )
    size = serializers.ChoiceField(choices=Supplier.Size.choices)
    employees = StrictIntegerField(
        min_value=0, max_value=rules.EMPLOYEES_MAX, required=False, allow_null=True
    )
    year_founded = StrictIntegerField(
        min_value=rules.YEAR_FOUNDED_MIN,
        max_value=rules.YEAR_FOUNDED_MAX,
        required=False,
        allow_null=True,
    )
    hq_region = serializers.ChoiceField(
        choices=[], required=False, allow_null=True, help_text="Region code (ITL1)."
    )
    regions = serializers.ListField(
        child=serializers.ChoiceField(choices=[]), required=False, help_text="Region codes."
    )
    capabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=[]), required=False, help_text="Capability codes."
    )
    certifications = serializers.ListField(
        child=serializers.ChoiceField(choices=[]),
        required=False,
        help_text="Certification codes.",
    )
    frameworks = serializers.ListField(
        child=serializers.ChoiceField(choices=[]), required=False, help_text="Framework codes."
    )
    contact_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    contact_email = StrictEmailField(required=False, allow_blank=True)
    contact_phone = StrictCharField(max_length=30, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refdata = self.context.get("refdata") or reference_data()
        for name, kind in WRITE_CODE_FIELDS.items():
            field = self.fields[name]
            target = field.child if isinstance(field, serializers.ListField) else field
            target.choices = _code_choices(self.refdata, kind)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Size agrees with employees (when both are sent; the services check the stored
        values too), then codes → ids for the services."""
        error = rules.size_employees_error(attrs.get("size"), attrs.get("employees"))
        if error:
            raise serializers.ValidationError({"size": [error]})
        for name, kind in WRITE_CODE_FIELDS.items():
            if name not in attrs or attrs[name] is None:
                continue
            options = getattr(self.refdata, kind)
            ids = {
                (option.itl_code if kind == "regions" else option.code): option.id
                for option in options
            }
            value = attrs[name]
            attrs[name] = (
                [ids[code] for code in dict.fromkeys(value)]
                if isinstance(value, list)
                else ids[value]
            )
        if attrs.get("hq_region") is not None:
            # The services take a Region; the id is all a foreign key needs.
            attrs["hq_region"] = Region(pk=attrs["hq_region"])
        return attrs


class CaseStudyWriteSerializer(serializers.Serializer):
    """A case study as the supplier's people send it; the services check the model's rules."""

    title = StrictCharField(max_length=200)
    client_type = serializers.ChoiceField(choices=CaseStudy.ClientType.choices)
    client_name = StrictCharField(max_length=200, required=False, allow_blank=True)
    summary = StrictCharField(trim_whitespace=False)
    outcome = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    year = StrictIntegerField(required=False, allow_null=True)


class CaseStudyItemSerializer(serializers.Serializer):
    """One case study as its supplier's people edit it (``index`` addresses it)."""

    index = serializers.IntegerField(read_only=True)
    id = serializers.IntegerField(read_only=True, allow_null=True)
    title = serializers.CharField(read_only=True)
    client_type = serializers.CharField(read_only=True)
    client_name = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    outcome = serializers.CharField(read_only=True)
    year = serializers.IntegerField(read_only=True, allow_null=True)


# --- Public contract data (/api/v1/awards/) ---------------------------------------------------


class AwardBuyerSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    from_public_records = serializers.BooleanField(
        help_text="Made from public contract data (not in Techmap's own list of public bodies)."
    )


class AwardSupplierSerializer(serializers.Serializer):
    slug = serializers.SlugField(
        allow_null=True, help_text="The supplier in /api/v1/suppliers/ (null if not published)."
    )
    name = serializers.CharField(help_text="The supplier's name on Techmap.")
    name_as_published = serializers.CharField(help_text="The name as the notice gave it.")
    from_public_records = serializers.BooleanField()


class AwardValueSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        allow_null=True,
        help_text="Null when not published (Contracts Finder's 0 means no value given).",
    )
    currency = serializers.CharField(help_text="ISO 4217 code; empty without an amount.")


class AwardCpvSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Main CPV code (8 digits); empty if none.")
    description = serializers.CharField()
    additional = serializers.ListField(child=serializers.CharField())


class AwardSerializer(serializers.Serializer):
    """An award from public contract data (Contracts Finder, Find a Tender; OCDS).

    ``to_representation`` is written out by hand, as for the supplier list."""

    ocid = serializers.CharField(help_text="Open Contracting id of the procurement process.")
    award_id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    buyer = AwardBuyerSerializer(allow_null=True)
    suppliers = AwardSupplierSerializer(many=True)
    value = AwardValueSerializer()
    awarded_on = serializers.DateTimeField(
        help_text="The award date, else the notice's publication, else when it was loaded."
    )
    award_date = serializers.DateTimeField(allow_null=True)
    date_published = serializers.DateTimeField(allow_null=True)
    contract_start = serializers.DateTimeField(allow_null=True)
    contract_end = serializers.DateTimeField(allow_null=True)
    cpv = AwardCpvSerializer()
    procurement_method = serializers.CharField()
    procurement_method_details = serializers.CharField()
    notice_url = serializers.URLField(allow_blank=True, help_text="The published notice.")
    publisher = serializers.CharField()
    release_id = serializers.CharField(help_text="The latest release applied.")
    release_date = serializers.DateTimeField(allow_null=True)

    _time = staticmethod(SupplierListSerializer._time)

    def to_representation(self, obj) -> dict[str, Any]:
        time = self._time
        buyer = obj.buyer
        return {
            "ocid": obj.ocid,
            "award_id": obj.award_id,
            "title": obj.title,
            "description": obj.description,
            "status": obj.status,
            "buyer": None
            if buyer is None
            else {
                "slug": buyer.slug,
                "name": buyer.name,
                "from_public_records": buyer.from_public_records,
            },
            "suppliers": [
                {
                    "slug": link.supplier.slug
                    if link.supplier.status == Supplier.Status.PUBLISHED
                    else None,
                    "name": link.supplier.name,
                    "name_as_published": link.name_as_published,
                    "from_public_records": link.supplier.from_public_records,
                }
                for link in obj.award_suppliers.all()
            ],
            "value": {"amount": _money(obj.value_amount), "currency": obj.currency},
            "awarded_on": time(obj.awarded_on),
            "award_date": time(obj.award_date),
            "date_published": time(obj.date_published),
            "contract_start": time(obj.contract_start),
            "contract_end": time(obj.contract_end),
            "cpv": {
                "code": obj.cpv_code,
                "description": obj.cpv_description,
                "additional": list(obj.additional_cpv_codes or []),
            },
            "procurement_method": obj.procurement_method,
            "procurement_method_details": obj.procurement_method_details,
            "notice_url": obj.notice_url,
            "publisher": obj.publisher,
            "release_id": obj.release_id,
            "release_date": time(obj.release_date),
        }


class AwardPageSerializer(serializers.Serializer):
    """A page of awards (cursor pagination: follow ``next``)."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AwardSerializer(many=True)


class AwardQuerySerializer(serializers.Serializer):
    """The filters of /api/v1/awards/. A value of the wrong shape is a 400; a slug that
    names nothing, or dates the wrong way round, give an empty list."""

    supplier = serializers.SlugField(
        required=False, max_length=220, help_text="Awards won by this supplier (its slug)."
    )
    buyer = serializers.SlugField(
        required=False, max_length=200, help_text="Awards made by this public body (its slug)."
    )
    awarded_from = serializers.DateField(
        required=False, help_text="Awarded on or after this date (YYYY-MM-DD)."
    )
    awarded_to = serializers.DateField(
        required=False, help_text="Awarded on or before this date (YYYY-MM-DD)."
    )
    ocid = StrictCharField(
        required=False, max_length=120, help_text="One procurement process (its ocid)."
    )
