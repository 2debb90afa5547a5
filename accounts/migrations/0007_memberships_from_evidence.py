"""Copy each body's email domain into its list, and put every user's public body on evidence.

Until now a civil servant chose any body. A user whose verified address is on the body's
own domain (and no other body's) keeps it as an ACTIVE membership; anyone else keeps no
buyer powers: their choice becomes a PENDING request a moderator approves or rejects.
Reversing copies the first domain back and forgets the memberships (the bodies users
act for stay as they are).
"""

from django.db import migrations
from django.utils import timezone

# Shared with accounts.selectors at the time of writing; a migration keeps its own copy.


def _domain(email):
    return email.rsplit("@", 1)[-1].strip().lower().rstrip(".")


def _on(domain, listed):
    return domain == listed or domain.endswith("." + listed)


def forwards(apps, schema_editor):
    PublicBody = apps.get_model("accounts", "PublicBody")
    User = apps.get_model("accounts", "User")
    Membership = apps.get_model("accounts", "PublicBodyMembership")
    EmailAddress = apps.get_model("account", "EmailAddress")
    for body in PublicBody.objects.exclude(email_domain=""):
        body.email_domains = [body.email_domain.strip().lower()]
        body.save(update_fields=["email_domains"])
    listed = list(PublicBody.objects.exclude(email_domains=[]).values_list("pk", "email_domains"))
    now = timezone.now()
    for user in User.objects.filter(public_body__isnull=False):
        verified = list(
            EmailAddress.objects.filter(user_id=user.pk, verified=True).values_list(
                "email", flat=True
            )
        )
        evidence = None
        for email in verified:
            domain = _domain(email)
            matches = [
                (max(len(d) for d in domains if _on(domain, d)), pk)
                for pk, domains in listed
                if any(_on(domain, d) for d in domains)
            ]
            if not matches:
                continue
            longest = max(length for length, _ in matches)
            best = [pk for length, pk in matches if length == longest]
            if best == [user.public_body_id]:
                evidence = email
                break
        if evidence:
            Membership.objects.create(
                user_id=user.pk,
                public_body_id=user.public_body_id,
                status="active",
                basis="domain",
                email=evidence,
                requested_at=now,
                decided_at=now,
            )
        else:
            Membership.objects.create(
                user_id=user.pk,
                public_body_id=user.public_body_id,
                status="pending",
                email=next(iter(verified), user.email),
                requested_at=now,
                reason="Chosen before memberships were checked; no verified address shows it.",
            )
            User.objects.filter(pk=user.pk).update(public_body=None)


def backwards(apps, schema_editor):
    PublicBody = apps.get_model("accounts", "PublicBody")
    for body in PublicBody.objects.exclude(email_domains=[]):
        body.email_domain = body.email_domains[0]
        body.save(update_fields=["email_domain"])
    apps.get_model("accounts", "PublicBodyMembership").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_public_body_memberships"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
