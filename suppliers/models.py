"""The supplier registry: organisations, their capabilities, and who may act for them.

Writes go through ``suppliers.services``; reads beyond a lookup through
``suppliers.selectors``. Models hold fields, constraints and small derived
properties only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Left, Lower, Upper
from simple_history.models import HistoricalRecords

from core.validators import no_line_breaks
from suppliers import companies_house, rules

# The storage check (validator and database constraint): 8 digits, a two-letter prefix and
# 6 digits, or R and 7 digits. Input is normalised and checked by suppliers.companies_house.
COMPANIES_HOUSE_NUMBER_RE = r"^([0-9]{8}|[A-Z]{2}[0-9]{6}|R[0-9]{7})$"
companies_house_number_validator = RegexValidator(
    COMPANIES_HOUSE_NUMBER_RE,
    companies_house.INVALID_MESSAGE,
    code=companies_house.INVALID_CODE,
)


def website_domain_expression(field: str = "website") -> models.Func:
    """The host of a website, lower case, without ``www.``: https://www.Acme.co.uk/x → acme.co.uk.

    An expression (and an index on it, ``supplier_website_domain_idx``) rather than a
    column, so every writer (services, the CSV import's bulk SQL) keeps it right.
    Moderation flags two suppliers with the same domain as possible duplicates.
    """
    return Lower(
        models.Func(
            models.F(field),
            models.Value(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(www[.])?([^/:?#]*).*$"),
            models.Value(r"\2"),
            function="regexp_replace",
            output_field=models.CharField(),
        )
    )


class Region(models.Model):
    """One of the 12 UK ITL1 regions (seeded by migration)."""

    code = models.CharField(max_length=3, unique=True, help_text="ITL1 code, such as TLC.")
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class CapabilityGroup(models.Model):
    """The upper level of the two-level capability taxonomy (Cloud, Data and AI, …)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Capability(models.Model):
    group = models.ForeignKey(
        CapabilityGroup, on_delete=models.PROTECT, related_name="capabilities"
    )
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Other words buyers use for it. Searched like the name (they are in the search
    # vector of every supplier that offers it), and "why it matched" names the one used.
    synonyms = ArrayField(
        models.CharField(max_length=100, validators=[no_line_breaks]),
        blank=True,
        default=list,
        verbose_name="also known as",
        help_text="Other names buyers search for, separated by commas: "
        "“pen testing, IT health check”.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["group__position", "position", "name"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return self.name


class SearchWord(models.Model):
    """The registry's vocabulary: every word in a published supplier's name, summary,
    description, case studies and capabilities (names, groups and synonyms), lower case.

    Written only by ``suppliers.services.search_index.refresh_vocabulary`` wherever a
    search vector is written; search words missing from it are spelling-corrected to
    the closest word in it (trigram similarity, then edit distance). ``lexeme`` is the
    word's English stem, so "ledgers" counts as known when "ledger" is.
    """

    word = models.CharField(max_length=100, primary_key=True)
    lexeme = models.CharField(max_length=100, db_index=True)
    # In a supplier's name: preferred among equally close corrections ("reay" → "relay",
    # a name's word, rather than "real"): names are what people misspell most.
    in_name = models.BooleanField(default=False)

    class Meta:
        indexes = [
            GinIndex(OpClass("word", name="gin_trgm_ops"), name="searchword_word_trgm"),
            # Candidates for a correction that trigrams miss (swapped letters): same first
            # letter, then edit distance.
            models.Index(Left("word", 1), "word", name="searchword_first_letter"),
        ]

    def __str__(self) -> str:
        return self.word


class ScopedSearchWord(models.Model):
    """The vocabulary of the searches other than the registry's, one per ``scope``
    (``engagement``: engagement requests; ``lessons``: the den's evaluated trials), with
    the columns of :class:`SearchWord` that ``core.search.correct`` reads.

    Per search rather than shared with the registry's: a word is "known" only where it
    finds something, and a correction points at a word of the collection searched (a
    lesson's word must not stop a supplier search's correction, nor the reverse).
    Written by ``core.search.add_words`` on each write path of what it searches.
    """

    scope = models.CharField(max_length=30)
    word = models.CharField(max_length=100)
    lexeme = models.CharField(max_length=100)
    in_name = models.BooleanField(default=False)  # in a title: preferred as a correction

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "word"], name="scopedsearchword_unique")
        ]
        indexes = [
            GinIndex(OpClass("word", name="gin_trgm_ops"), name="scopedsearchword_word_trgm"),
            models.Index(Left("word", 1), "word", name="scopedsearchword_first_letter"),
            models.Index("scope", "lexeme", name="scopedsearchword_lexeme"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}: {self.word}"


class Certification(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Framework(models.Model):
    """A public-sector commercial framework (G-Cloud, Digital Outcomes, TePAS, …)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(models.Model):
    class Size(models.TextChoices):
        MICRO = "micro", "Micro (fewer than 10 employees)"
        SMALL = "small", "Small (10 to 49 employees)"
        MEDIUM = "medium", "Medium (50 to 249 employees)"
        LARGE = "large", "Large (250 or more employees)"

    SME_SIZES = (Size.MICRO, Size.SMALL, Size.MEDIUM)

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_REVIEW = "pending_review", "Pending review"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=200, validators=[no_line_breaks])
    # Made from the name once, then kept when the name changes so links keep working.
    slug = models.SlugField(max_length=220, unique=True)
    # Empty (NULL) only for a supplier from public records whose notices gave no number.
    companies_house_number = models.CharField(
        max_length=8, unique=True, null=True, validators=[companies_house_number_validator]
    )
    website = models.URLField(max_length=300, blank=True)
    summary = models.CharField(max_length=250, blank=True)
    description = models.TextField(blank=True)
    # Blank while a self-registration is a draft (submitting requires it) and when unknown.
    size = models.CharField(max_length=10, choices=Size.choices, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    year_founded = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(rules.YEAR_FOUNDED_MIN),
            MaxValueValidator(rules.YEAR_FOUNDED_MAX),
        ],
    )
    hq_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="head-office region",
    )
    regions = models.ManyToManyField(
        Region, blank=True, related_name="suppliers", verbose_name="regions served"
    )
    capabilities = models.ManyToManyField(Capability, blank=True, related_name="suppliers")
    certifications = models.ManyToManyField(Certification, blank=True, related_name="suppliers")
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="suppliers")
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Self-registration and moderation.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who registered the supplier (empty for imports and moderators' entries).",
    )
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the profile was last sent for review."
    )
    status_reason = models.TextField(
        blank=True, help_text="The moderator's reason for the current status (rejected, suspended)."
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    # Public records: written by suppliers.public_records, never over what a registered
    # supplier wrote itself. A supplier from public records has not registered.
    from_public_records = models.BooleanField(
        default=False,
        db_index=True,
        help_text="Made from public contract data or Companies House; not registered.",
    )
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its organisation claimed a public-records profile."
    )
    public_scale = models.CharField(
        max_length=10,
        blank=True,
        help_text="Size as published in notices (OCDS scale: sme, large).",
    )
    companies_house_status = models.CharField(max_length=60, blank=True)
    incorporated_on = models.DateField(null=True, blank=True)
    dissolved_on = models.DateField(null=True, blank=True)
    sic_codes = ArrayField(models.CharField(max_length=5), default=list, blank=True)
    companies_house_checked_at = models.DateTimeField(null=True, blank=True)
    companies_house_flagged_on = models.DateField(
        null=True,
        blank=True,
        help_text="Since when Companies House shows it dissolved, in liquidation or being "
        "struck off (flagged to moderators).",
    )
    # Weighted: name A; summary and capabilities B; description and case studies C.
    # Written by suppliers.services, never by a trigger or a save() override. Stored in
    # the row (PostgreSQL storage MAIN, migration 0011): ranking reads every match's.
    search_vector = SearchVectorField(null=True, editable=False)
    # The ids in the four link tables above, copied onto the row for the search: a
    # search reads each matching row once and counts every facet from it, and the
    # filters use these arrays' GIN indexes. Written with the search vector, by
    # suppliers.services.refresh_search_vectors and the CSV import, never by hand.
    region_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    capability_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    certification_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    framework_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)

    # Columns derived from others (the link tables, the text): not history of their own.
    DERIVED_FIELDS = (
        "search_vector",
        "region_ids",
        "capability_ids",
        "certification_ids",
        "framework_ids",
    )

    history = HistoricalRecords(
        m2m_fields=[regions, capabilities, certifications, frameworks],
        excluded_fields=[*DERIVED_FIELDS, "updated_at"],
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(companies_house_number__regex=COMPANIES_HOUSE_NUMBER_RE),
                name="supplier_companies_house_number_format",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="supplier_search_vector_gin"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="supplier_name_trgm_gin"),
            GinIndex(fields=["region_ids"], name="supplier_region_ids_gin"),
            GinIndex(fields=["capability_ids"], name="supplier_capability_ids_gin"),
            GinIndex(fields=["certification_ids"], name="supplier_certification_ids_gin"),
            GinIndex(fields=["framework_ids"], name="supplier_framework_ids_gin"),
            # The published register in name order (the API's and the CSV's default):
            # a page is read from the index instead of sorting every supplier.
            models.Index(
                Upper("name"),
                "id",
                name="supplier_published_name_idx",
                condition=models.Q(status="published"),
            ),
            models.Index(fields=["status", "-updated_at"], name="supplier_status_updated_idx"),
            models.Index(website_domain_expression(), name="supplier_website_domain_idx"),
            models.Index(
                fields=["submitted_at"],
                name="supplier_review_queue_idx",
                condition=models.Q(status="pending_review"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Size agrees with employees (``suppliers.rules``): 400 employees is not "small"."""
        error = rules.size_employees_error(self.size, self.employees)
        if error:
            raise ValidationError({"size": ValidationError(error, code="size_employees")})

    @property
    def is_sme(self) -> bool:
        return self.size in self.SME_SIZES

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class CaseStudy(models.Model):
    class ClientType(models.TextChoices):
        PUBLIC = "public", "Public sector"
        PRIVATE = "private", "Private sector"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="case_studies")
    title = models.CharField(max_length=200)
    client_type = models.CharField(max_length=10, choices=ClientType.choices)
    client_name = models.CharField(max_length=200, blank=True)
    summary = models.TextField()
    outcome = models.TextField(blank=True)
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "title"]
        verbose_name_plural = "case studies"

    def __str__(self) -> str:
        return self.title


class SupplierMembership(models.Model):
    """A user who may act for a supplier organisation."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "user"], name="supplier_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.supplier}"


class Shortlist(models.Model):
    """A civil servant's named list of suppliers, with the search it was built from."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shortlists"
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    # The query string of the search and filters the list was built from (q=…&region=…).
    search_query = models.CharField(max_length=2000, blank=True)
    suppliers = models.ManyToManyField(Supplier, through="ShortlistEntry", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="shortlist_owner_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ShortlistEntry(models.Model):
    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="entries")
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(blank=True)
    # The search that found the supplier, when added from a results page.
    search_query = models.CharField(max_length=2000, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at"]
        verbose_name_plural = "shortlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["shortlist", "supplier"], name="shortlist_entry_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} in {self.shortlist}"


class SupplierRevision(models.Model):
    """An edit to a published (or suspended) profile, held until a moderator decides.

    ``proposed`` holds the proposed values only for what the edit changes:
    ``{"fields": {name: value}, "m2m": {"regions": [codes]}, "case_studies": [...]}``
    (``case_studies``, when present, is the whole proposed list: each item has the
    case-study fields and ``id`` of the live one it changes, or null for a new one).
    ``base`` holds the live values of the same keys when the edit was last saved, so
    a moderator sees what it changes even if the live profile moved since.

    A rejected revision stays as the record of what was rejected; rejecting it also opens a
    DRAFT copy (``reason`` the moderator's) that the supplier's people fix and send again
    (it becomes PENDING) or discard (SUPERSEDED). A supplier has at most one open revision,
    pending or draft; its people's edits merge into it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        DRAFT = "draft", "Not approved: to fix and send again"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded"

    OPEN_STATUSES = (Status.PENDING, Status.DRAFT)

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="revisions")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    proposed = models.JSONField(default=dict)
    base = models.JSONField(default=dict)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier"],
                condition=models.Q(status__in=["pending", "draft"]),
                name="supplier_revision_one_open",
            ),
        ]
        indexes = [
            models.Index(
                fields=["submitted_at"],
                name="supplier_revision_queue_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"Edit to {self.supplier} ({self.get_status_display()})"


class ModerationDecision(models.Model):
    """One moderator decision about a supplier (or one of its revisions): who, when, why.

    Append-only: written by ``suppliers.services`` and shown to the supplier's owners.
    """

    class Action(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        SUSPEND = "suspend", "Suspended"
        REINSTATE = "reinstate", "Reinstated"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="decisions")
    revision = models.ForeignKey(
        SupplierRevision, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["supplier", "-created_at"], name="moderation_supplier_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.supplier}"


class SupplierInvitation(models.Model):
    """An owner's single-use, expiring invitation for someone to join a supplier.

    Only a SHA-256 hash of the token in the emailed link is stored.
    """

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(
        max_length=10,
        choices=SupplierMembership.Role.choices,
        default=SupplierMembership.Role.MEMBER,
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "supplier",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="supplier_invitation_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.supplier}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class SupplierForReview(Supplier):
    """The moderation queue in Django admin: new profiles and pending revisions."""

    class Meta:
        proxy = True
        verbose_name = "supplier waiting for review"
        verbose_name_plural = "moderation queue"


# Public contract data and Companies House: award records, engagement notices. Imported
# here so Django finds them in the suppliers app.
from suppliers.models_public import *  # noqa: E402, F403
