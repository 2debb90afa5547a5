"""What Techmap keeps from public contract data (OCDS) and Companies House.

Written only by ``suppliers.public_records`` (the importers); read by profiles, search
and the API. Imported at the bottom of ``suppliers.models`` so Django finds the models
in the ``suppliers`` app.

- :class:`ImportedFile`: a file read to its end, by content, with the releases it refused,
  so the same file given again is passed over whole (its refusals reported again) instead
  of parsed again.
- :class:`SupplierRefresh`: a supplier an import touched whose capabilities and search
  data are still to be brought up to date (once, at the end of the import).
- :class:`PublicRelease`: every release loaded (or deliberately passed over), by ocid and
  release id. It makes an import idempotent and lets an interrupted one resume.
- :class:`AwardRecord`: one award in a contracting process (ocid + award id), kept up to
  date by later releases of the same process (``awardUpdate``, a changed value).
- :class:`AwardSupplier`: who won it, one row per supplier.
- :class:`CpvCapability`: the moderators' table from CPV codes to capabilities.
- :class:`ExternalEngagementNotice`: a planning release with a market engagement notice.
- :class:`SupplierClaim`: someone saying "this organisation from public records is mine",
  waiting for a moderator (written by ``suppliers.services.claims``).

Public bodies and suppliers are linked by foreign key, so merging two duplicates is a
matter of repointing these keys to the one kept.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

__all__ = [
    "AwardRecord",
    "AwardSupplier",
    "CpvCapability",
    "ExternalEngagementNotice",
    "ImportedFile",
    "PublicRelease",
    "SupplierClaim",
    "SupplierRefresh",
]


class ImportedFile(models.Model):
    """A file of public contract data that ``import_ocds`` read to its end, and the
    releases it refused there for what they say (never for a database error, which a
    later run may not meet). A file with the same content (SHA-256) is passed over
    whole: every release in it is already loaded or refused for good, and parsing it
    again would only say so; its refusals are reported again (``--reread`` parses it)."""

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    name = models.CharField(max_length=500)
    size = models.BigIntegerField(help_text="Bytes, as read (compressed, for a .gz file).")
    releases = models.PositiveIntegerField()
    refusals = models.JSONField(
        default=list, blank=True, help_text="[position, ocid, reason] of each release refused."
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.releases:,} releases)"


class PublicRelease(models.Model):
    """A release the importer has dealt with: loaded, or passed over (nothing to keep).

    Refused releases are not recorded, so a later run (with better code or data) tries
    them again.
    """

    class Outcome(models.TextChoices):
        LOADED = "loaded", "Loaded"
        SKIPPED = "skipped", "Nothing to keep"

    ocid = models.CharField(max_length=120)
    release_id = models.CharField(max_length=200)
    date = models.DateTimeField(null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=300, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ocid", "release_id"], name="public_release_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.ocid} / {self.release_id}"


class AwardRecord(models.Model):
    """One award from public contract data: the evidence of who delivered what to whom."""

    ocid = models.CharField("open contracting id", max_length=120, db_index=True)
    award_id = models.CharField(max_length=200)
    # The latest release applied: an older release arriving later does not overwrite it.
    release_id = models.CharField(max_length=200)
    release_date = models.DateTimeField(null=True, blank=True)
    buyer = models.ForeignKey(
        "accounts.PublicBody",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award_records",
    )
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, blank=True)
    # NULL when not published, and when published as 0 (Contracts Finder's "no value").
    value_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    award_date = models.DateTimeField(null=True, blank=True)
    date_published = models.DateTimeField(null=True, blank=True)
    contract_start = models.DateTimeField(null=True, blank=True)
    contract_end = models.DateTimeField(null=True, blank=True)
    cpv_code = models.CharField("CPV code", max_length=10, blank=True, db_index=True)
    cpv_description = models.CharField(max_length=300, blank=True)
    additional_cpv_codes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    procurement_method = models.CharField(max_length=20, blank=True)
    procurement_method_details = models.CharField(max_length=300, blank=True)
    notice_url = models.URLField(max_length=500, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    suppliers = models.ManyToManyField(
        "suppliers.Supplier", through="AwardSupplier", related_name="award_records"
    )
    # The reporting app's contract this award became, once someone reports on it.
    contract = models.ForeignKey(
        "reporting.Contract",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="award_records",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-award_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ocid", "award_id"], name="award_record_unique"),
        ]
        indexes = [models.Index(fields=["buyer", "-award_date"], name="award_record_buyer_idx")]

    def __str__(self) -> str:
        return self.title or self.award_id


class AwardSupplier(models.Model):
    """A supplier on an award, with the party as the notice named it."""

    award = models.ForeignKey(AwardRecord, on_delete=models.CASCADE, related_name="award_suppliers")
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="award_links"
    )
    party_id = models.CharField(max_length=200, blank=True)
    name_as_published = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["award", "supplier"], name="award_supplier_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} on {self.award_id}"


class CpvCapability(models.Model):
    """A CPV code (or the start of one: a division ``72``, a group ``722``) that means a
    capability, so suppliers from public records are found by capability. Moderators
    edit this table in admin; the longest matching prefix wins."""

    cpv_prefix = models.CharField(
        "CPV code or prefix",
        max_length=8,
        help_text="Digits only: 72 (a division), 7222 (a class) or a whole code, 72222300.",
    )
    capability = models.ForeignKey(
        "suppliers.Capability", on_delete=models.CASCADE, related_name="cpv_codes"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["cpv_prefix"]
        verbose_name = "CPV code → capability"
        verbose_name_plural = "CPV codes → capabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["cpv_prefix", "capability"], name="cpv_capability_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(cpv_prefix__regex=r"^[0-9]{2,8}$"),
                name="cpv_capability_prefix_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cpv_prefix} → {self.capability}"


class ExternalEngagementNotice(models.Model):
    """Early market engagement published elsewhere (a planning release with a
    ``marketEngagementNotice``), listed beside Techmap's own engagement requests."""

    ocid = models.CharField("open contracting id", max_length=120, unique=True)
    release_id = models.CharField(max_length=200)
    release_date = models.DateTimeField(null=True, blank=True)
    buyer = models.ForeignKey(
        "accounts.PublicBody",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="external_engagement_notices",
    )
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    notice_url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    cpv_code = models.CharField("CPV code", max_length=10, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "pk"]

    def __str__(self) -> str:
        return self.title or self.ocid


class SupplierClaim(models.Model):
    """A claim to a supplier from public records, checked by a moderator against the
    Companies House number. Approving it makes the same supplier row registered (its
    contract history stays) and the claimant its owner (``suppliers.services.claims``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a moderator"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"
        WITHDRAWN = "withdrawn", "Withdrawn"

    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.CASCADE, related_name="claims"
    )
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_claims"
    )
    # What the claimant answered (the journey pre-fills both from the public record).
    companies_house_number = models.CharField(max_length=8)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "claimant"],
                condition=models.Q(status="pending"),
                name="supplier_claim_one_pending_per_claimant",
            ),
        ]
        indexes = [
            models.Index(
                fields=["submitted_at"],
                name="supplier_claim_queue_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"Claim to {self.supplier_id} by {self.claimant_id} ({self.get_status_display()})"


class SupplierRefresh(models.Model):
    """A supplier an OCDS import touched (made, gave a blank, or gave or took an award)
    whose capabilities from CPV codes, search vector and vocabulary (and, for one it made,
    its first history entry) are still to be worked out. Written in each batch's
    transaction; :func:`suppliers.public_records.ocds.settle_suppliers` works them out
    once per supplier at the end of the import, removing the rows in the transaction that
    does them, so an import killed before its end leaves the rows for the next one. Rows
    are only added (one per supplier a batch) and removed, never updated."""

    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.CASCADE, related_name="+")
    created = models.BooleanField(default=False, help_text="Made by this import.")
    changed = models.BooleanField(default=False, help_text="Its text or a blank changed.")

    def __str__(self) -> str:
        return f"supplier {self.supplier_id}"
