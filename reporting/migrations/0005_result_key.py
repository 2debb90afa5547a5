"""Contract results keyed by (period, contract) alone: one index to keep up, not three.

The table holds derived data, so it is made anew (a primary key cannot be changed in
place); every period with reports is marked changed so the next run rebuilds it.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models

MARK_ALL_PERIODS = """
INSERT INTO reporting_periodchange (period, version, changed_at)
SELECT DISTINCT period, 1, now() FROM reporting_contractreport
ON CONFLICT (period) DO UPDATE SET version = reporting_periodchange.version + 1;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0004_results_without_fk_checks"),
        ("suppliers", "0003_reference_data"),
    ]

    operations = [
        migrations.DeleteModel(name="ContractResult"),
        migrations.CreateModel(
            name="ContractResult",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "period",
                        "contract",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("period", models.DateField()),
                ("composite", models.FloatField(null=True)),
                (
                    "metric_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), default=list, size=None
                    ),
                ),
                (
                    "ranks",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.FloatField(), default=list, size=None
                    ),
                ),
                (
                    "outliers",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), default=list, size=None
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="suppliers.capabilitygroup",
                    ),
                ),
                (
                    "contract",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="results",
                        to="reporting.contract",
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="reporting.reportingscheme",
                    ),
                ),
                (
                    "supplier",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="suppliers.supplier",
                    ),
                ),
            ],
            options={"ordering": ["-period", "contract"]},
        ),
        migrations.RunSQL(MARK_ALL_PERIODS, migrations.RunSQL.noop),
    ]
