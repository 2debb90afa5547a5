"""Seed version 1 of the Techmap contract performance standard (published)."""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

CODE = "techmap-standard"

# code, name, description, unit, direction, min, max, required, weight
METRICS = [
    (
        "overall_rating",
        "Overall KPI rating",
        "The buyer-agreed overall rating for the quarter on the UK9 contract performance "
        "notice scale: Good, Approaching target, Requires improvement or Inadequate.",
        "rating",
        "higher",
        "1",
        "4",
        True,
        "2",
    ),
    (
        "milestones_on_time",
        "Milestones delivered on time",
        "Share of the milestones due in the quarter that were delivered by their agreed date.",
        "percent",
        "higher",
        "0",
        "100",
        True,
        "1",
    ),
    (
        "spend_against_budget",
        "Spend against budget",
        "Spend to date as a percentage of the budget to date: 100 is on budget, more is overspent.",
        "percent",
        "lower",
        "0",
        "1000",
        True,
        "1",
    ),
    (
        "service_availability",
        "Service availability",
        "Share of agreed service hours in the quarter that the live service was available.",
        "percent",
        "higher",
        "0",
        "100",
        False,
        "1",
    ),
    (
        "user_satisfaction",
        "User satisfaction",
        "Average satisfaction of the service's users, from 1 (very dissatisfied) "
        "to 5 (very satisfied).",
        "score",
        "higher",
        "1",
        "5",
        True,
        "1",
    ),
    (
        "priority_1_incidents",
        "Priority 1 incidents",
        "Number of priority 1 (critical) incidents in the quarter.",
        "count",
        "lower",
        "0",
        None,
        True,
        "1",
    ),
    (
        "sme_subcontract_spend",
        "Spend with SME subcontractors",
        "Share of the quarter's contract spend that went to small and medium-sized subcontractors.",
        "percent",
        "higher",
        "0",
        "100",
        False,
        "1",
    ),
    (
        "social_value_met",
        "Social value commitments met",
        "Share of the social value commitments due in the quarter that were met.",
        "percent",
        "higher",
        "0",
        "100",
        False,
        "1",
    ),
]


def seed(apps, schema_editor):
    Scheme = apps.get_model("reporting", "ReportingScheme")
    Metric = apps.get_model("reporting", "MetricDefinition")
    scheme, created = Scheme.objects.get_or_create(
        code=CODE,
        version=1,
        defaults={
            "name": "Techmap contract performance standard",
            "description": "One set of measures every public technology contract reports "
            "each quarter, so any contract can be compared with others in its category.",
            "status": "published",
            "published_at": timezone.now(),
        },
    )
    if not created:
        return
    for position, (
        code,
        name,
        description,
        unit,
        direction,
        low,
        high,
        required,
        weight,
    ) in enumerate(METRICS, start=1):
        Metric.objects.create(
            scheme=scheme,
            code=code,
            name=name,
            description=description,
            unit=unit,
            direction=direction,
            min_value=Decimal(low) if low is not None else None,
            max_value=Decimal(high) if high is not None else None,
            required=required,
            weight=Decimal(weight),
            position=position,
        )


def unseed(apps, schema_editor):
    Scheme = apps.get_model("reporting", "ReportingScheme")
    Scheme.objects.filter(code=CODE, version=1, reports__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
