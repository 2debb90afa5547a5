from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords


class PublicBody(models.Model):
    """A UK government department, agency or other public body (seeded list)."""

    class Kind(models.TextChoices):
        MINISTERIAL = "ministerial", "Ministerial department"
        NON_MINISTERIAL = "non_ministerial", "Non-ministerial department"
        AGENCY = "agency", "Agency or public body"
        DEVOLVED = "devolved", "Devolved administration"
        LOCAL = "local", "Local authority"
        NHS = "nhs", "NHS body"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MINISTERIAL)
    # A verified address on one of these (or a sub-domain) makes its user a member at once;
    # a domain listed by several bodies is shared, and a moderator approves each request.
    email_domains = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        help_text="Email domains of this body, such as dwp.gov.uk (sub-domains match).",
    )
    from_public_records = models.BooleanField(
        default=False, help_text="Made from a buyer in public contract data, not the seeded list."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "public bodies"

    def __str__(self) -> str:
        return self.name


class PublicBodyIdentifier(models.Model):
    """An identifier a public body is published under (OCDS ``scheme`` and ``id``).

    Its own row, so merging two duplicate bodies repoints these (and every other
    link) to the one kept: no identifier is lost.
    """

    public_body = models.ForeignKey(
        PublicBody, on_delete=models.CASCADE, related_name="identifiers"
    )
    scheme = models.CharField(max_length=40, help_text="Such as GB-SRS, GB-CFS, GB-GOR, GB-PPON.")
    identifier = models.CharField(max_length=200)

    class Meta:
        ordering = ["scheme", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "identifier"], name="public_body_identifier_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}-{self.identifier}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Email is the sign-in; roles come from accounts.permissions."""

    # Stored lower-case (the manager and allauth both normalise it); the unique
    # index serves exact look-ups, the Lower() constraint below guards case.
    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Staff are moderators and may use Django admin."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when a verified address on a GOV_EMAIL_DOMAINS domain is confirmed; cleared when
    # the last such address goes, or when a moderator revokes the status.
    civil_servant_since = models.DateTimeField(null=True, blank=True)
    # Set when a moderator revokes civil-servant status: confirming an address does not
    # give it back until a moderator restores it.
    civil_servant_revoked_at = models.DateTimeField(null=True, blank=True)
    # The public body this user may act for: only ever the body of their ACTIVE
    # PublicBodyMembership (set and cleared by accounts.services), never a free choice.
    public_body = models.ForeignKey(
        PublicBody, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    objects = UserManager()
    # Who became a civil servant, changed public body or was made staff, and when.
    # The password hash and sign-in time are not worth keeping a copy of.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_civil_servant(self) -> bool:
        return self.civil_servant_since is not None


class PublicBodyMembership(models.Model):
    """A civil servant's claim to work for a public body, and the evidence it rests on.

    ACTIVE rests on a verified address: on one of the body's own domains (``DOMAIN``), or
    approved by a moderator with a reason (``APPROVAL``, for shared domains). A user has at
    most one open (PENDING or ACTIVE) membership; ``User.public_body`` is its body while it
    is ACTIVE. Ended and rejected rows stay, so who decided what, when and why is kept.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a moderator"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected"
        ENDED = "ended", "Ended"

    class Basis(models.TextChoices):
        DOMAIN = "domain", "Verified address on the body's domain"
        APPROVAL = "approval", "Approved by a moderator"

    OPEN_STATUSES = (Status.PENDING, Status.ACTIVE)

    user = models.ForeignKey("User", on_delete=models.CASCADE, related_name="body_memberships")
    public_body = models.ForeignKey(
        PublicBody, on_delete=models.CASCADE, related_name="memberships"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    basis = models.CharField(max_length=10, choices=Basis.choices, blank=True)
    # The verified address the claim rests on (the one on the domain, or the one approved).
    email = models.EmailField()
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A moderator's reason for approving, rejecting or revoking; or why it ended by itself.
    reason = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["pending", "active"]),
                name="public_body_membership_one_open_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.public_body} ({self.get_status_display()})"


class OutboundEmail(models.Model):
    """An email written to the database first and sent by Celery after commit.

    A broker or SMTP outage delays delivery; the periodic task
    ``accounts.tasks.send_pending_emails`` sends whatever is still pending.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    # Same key, same email: a retried service call never emails twice.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbound_email_pending_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.status})"


class ApiToken(models.Model):
    """A personal API token: shown once at creation, stored only as a SHA-256 hash.

    A token acts for its user and nothing more; ``scope`` limits it to reads.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    # First characters of the token, shown in lists so the user can tell tokens apart.
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
