"""Moderators are a group: staff in "Moderators" moderate every app's admin, staff outside it
see nothing, and superusers stay for operators."""

from __future__ import annotations

import importlib
import random

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from accounts import permissions
from accounts.models import ApiToken, OutboundEmail
from tests import factories
from tests.innovation_den import factories as den

pytestmark = pytest.mark.django_db

#: Registered in admin, and the operators' alone: who is in which group, and the site's
#: own domain name.
OPERATORS_ONLY = {"auth.Group", "sites.Site"}
#: Models whose change page the moderator test must open (it makes a row in each).
MUST_HAVE_ROWS = {
    "accounts.User",
    "accounts.PublicBody",
    "accounts.PublicBodyMembership",
    "accounts.OutboundEmail",
    "accounts.ApiToken",
    "axes.AccessAttempt",
    "django_celery_beat.PeriodicTask",
    "django_celery_beat.CrontabSchedule",
    "suppliers.Supplier",
    "suppliers.SupplierForReview",
    "suppliers.CaseStudy",
    "suppliers.SupplierMembership",
    "suppliers.Capability",
    "engagement.EngagementRequest",
    "engagement.SupplierResponse",
    "reporting.ReportingScheme",
    "reporting.Contract",
    "innovation_den.Proposal",
    "innovation_den.ReviewRound",
    "innovation_den.Review",
}


def _plain_staff():
    return factories.ModeratorFactory(moderators_group=False)


def test_the_group_exists_with_permissions_and_no_escalation():
    group = Group.objects.get(name=permissions.MODERATORS_GROUP)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("suppliers", "change_supplier") in codenames
    assert ("django_celery_beat", "change_periodictask") in codenames
    assert ("accounts", "view_outboundemail") in codenames
    # Nothing that makes a moderator more than a moderator, nothing private, no deleting
    # of what moderation keeps (suppliers leave by suspension, a record stays a record).
    for forbidden in [
        ("accounts", "change_user"),
        ("accounts", "change_outboundemail"),
        ("auth", "change_group"),
        ("auth", "view_group"),
        ("auth", "change_permission"),
        ("django_celery_beat", "add_periodictask"),
        ("suppliers", "view_shortlist"),
        ("suppliers", "view_shortlistentry"),
        ("suppliers", "delete_supplier"),
        ("suppliers", "delete_moderationdecision"),
        ("reporting", "delete_contractreport"),
    ]:
        assert forbidden not in codenames, forbidden


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: factories.ModeratorFactory(), True),
        (lambda: factories.ModeratorFactory(is_active=False), False),
        (_plain_staff, False),  # staff is admin sign-in, not moderation
        (lambda: factories.ModeratorFactory(is_staff=False, moderators_group=False), False),
        (lambda: factories.UserFactory(is_superuser=True), True),  # an operator
        (lambda: factories.CivilServantFactory(), False),
    ],
    ids=["member", "inactive member", "staff only", "nobody", "superuser", "civil servant"],
)
def test_is_moderator_follows_group_membership(make, expected):
    assert permissions.is_moderator(make()) is expected


def test_a_group_member_who_is_not_staff_is_not_a_moderator():
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name=permissions.MODERATORS_GROUP))
    assert not permissions.is_moderator(user)


def test_is_moderator_asks_the_database_once_per_user_object(django_assert_num_queries):
    moderator = factories.ModeratorFactory()
    fresh = type(moderator).objects.get(pk=moderator.pk)
    with django_assert_num_queries(1):
        assert all(permissions.is_moderator(fresh) for _ in range(5))


def _rows_everywhere() -> None:
    """Demo data in every app, and a row in each model the demo leaves empty."""
    rng, log = random.Random(2026), lambda line: None
    for app in ("accounts", "suppliers", "engagement", "reporting"):
        importlib.import_module(f"{app}.demo").seed(rng=rng, options={"suppliers": 4}, log=log)
    den.build("running")  # a proposal with every inline: partners, criteria, a panel
    user = factories.CivilServantFactory()
    ApiToken.objects.create(user=user, name="CI", prefix="tm_abc", key_hash="x")
    OutboundEmail.objects.get_or_create(to="a@example.co.uk", subject="S", body="B")
    where = {"username": "x@example.co.uk", "ip_address": "192.0.2.1", "user_agent": "t"}
    AccessAttempt.objects.create(**where, get_data="", post_data="", failures_since_start=3)
    AccessLog.objects.create(**where)
    AccessFailureLog.objects.create(**where)
    crontab, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="2")
    PeriodicTask.objects.get_or_create(
        name="nightly",
        defaults={"task": "reporting.tasks.run_nightly_comparison", "crontab": crontab},
    )


def _admin_pages() -> list[tuple[str, str, int | None]]:
    """(model label, changelist URL, a change URL where the model has a row)."""
    pages = []
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        change = (
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first])
            if first is not None
            else None
        )
        pages.append((opts.label, changelist, change))
    return sorted(pages)


def test_a_moderator_who_is_not_a_superuser_reaches_every_moderation_page(client):
    _rows_everywhere()
    moderator = factories.ModeratorFactory()
    assert not moderator.is_superuser
    client.force_login(moderator)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    failures, without_rows = [], []
    for label, changelist, change in _admin_pages():
        expected = 403 if label in OPERATORS_ONLY else 200
        for url in (changelist, change):
            if url is None:
                without_rows.append(label)
                continue
            status = client.get(url, follow=True).status_code
            if status != expected:
                failures.append(f"{label} {url}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)
    # The check above is only as good as the rows it found: what moderators work on has one.
    assert not MUST_HAVE_ROWS & set(without_rows), without_rows
    for app in ("accounts", "suppliers", "engagement", "reporting", "innovation_den"):
        assert f'href="/admin/{app}/"' in index.content.decode(), app
    assert 'href="/admin/django_celery_beat/"' in index.content.decode()
    assert 'href="/admin/axes/"' in index.content.decode()


def test_plain_staff_without_the_group_is_refused_everywhere(client):
    _rows_everywhere()
    client.force_login(_plain_staff())
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "You don’t have permission to view or edit anything" in index.content.decode()
    failures = [
        f"{label} {url}: {status}"
        for label, changelist, change in _admin_pages()
        for url in (changelist, change)
        if url is not None and (status := client.get(url, follow=True).status_code) != 403
    ]
    assert not failures, "\n".join(failures)


def test_moderators_change_the_beat_schedule_but_not_users(client, civil_servant):
    crontab, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="2")
    moderator = factories.ModeratorFactory()
    client.force_login(moderator)
    # The nightly time: a moderator's to change.
    url = reverse("admin:django_celery_beat_crontabschedule_change", args=[crontab.pk])
    response = client.get(url)
    assert response.status_code == 200 and 'name="hour"' in response.content.decode()
    # Users: read-only (the change form sets staff, superuser and groups).
    user_url = reverse("admin:accounts_user_change", args=[civil_servant.pk])
    assert 'name="is_superuser"' not in client.get(user_url).content.decode()
    assert client.post(user_url, {"email": civil_servant.email}).status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[civil_servant.pk])
    assert client.get(password_url).status_code == 403
    assert client.get(reverse("admin:django_celery_beat_periodictask_add")).status_code == 403


def test_superusers_still_reach_everything(client):
    _rows_everywhere()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    for label, changelist, _change in _admin_pages():
        assert client.get(changelist).status_code == 200, label
