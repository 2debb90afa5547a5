"""The supplier registry: organisations, their capabilities, and who may act for them.

Writes go through ``suppliers.services``; reads beyond a lookup through
``suppliers.selectors``. Models hold fields, constraints and small derived
properties only.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Upper
from simple_history.models import HistoricalRecords

# 8 characters: 8 digits, or a two-letter prefix (SC, NI, OC, SO, NC, …) and 6 digits.
COMPANIES_HOUSE_NUMBER_RE = r"^([0-9]{8}|[A-Z]{2}[0-9]{6})$"
companies_house_number_validator = RegexValidator(
    COMPANIES_HOUSE_NUMBER_RE,
    "Enter a Companies House number of 8 characters: 8 digits, or 2 letters "
    "(such as SC or NI) followed by 6 digits.",
    code="invalid_companies_house_number",
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
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["group__position", "position", "name"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return self.name


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

    name = models.CharField(max_length=200)
    # Made from the name once, then kept when the name changes so links keep working.
    slug = models.SlugField(max_length=220, unique=True)
    companies_house_number = models.CharField(
        max_length=8, unique=True, validators=[companies_house_number_validator]
    )
    website = models.URLField(max_length=300, blank=True)
    summary = models.CharField(max_length=250, blank=True)
    description = models.TextField(blank=True)
    size = models.CharField(max_length=10, choices=Size.choices)
    employees = models.PositiveIntegerField(null=True, blank=True)
    year_founded = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1800), MaxValueValidator(2100)]
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
    # Weighted: name A; summary and capabilities B; description and case studies C.
    # Written by suppliers.services, never by a trigger or a save() override.
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(
        m2m_fields=[regions, capabilities, certifications, frameworks],
        excluded_fields=["search_vector", "updated_at"],
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
            models.Index(fields=["status", "-updated_at"], name="supplier_status_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name

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
