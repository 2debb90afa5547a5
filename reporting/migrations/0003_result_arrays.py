"""Contract results hold ranks in arrays (cheaper to build than JSON at scale).

Results are derived data: they are emptied here and every period with reports is
marked changed, so the next comparison run rebuilds them.
"""

import django.contrib.postgres.fields
from django.db import migrations, models

MARK_ALL_PERIODS = """
DELETE FROM reporting_contractresult;
INSERT INTO reporting_periodchange (period, version, changed_at)
SELECT DISTINCT period, 1, now() FROM reporting_contractreport
ON CONFLICT (period) DO UPDATE SET version = reporting_periodchange.version + 1;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_techmap_standard_v1"),
        ("suppliers", "0003_reference_data"),
    ]

    operations = [
        migrations.RunSQL(MARK_ALL_PERIODS, migrations.RunSQL.noop),
        migrations.RemoveConstraint(model_name="contractresult", name="reporting_result_unique"),
        migrations.RemoveIndex(model_name="contractresult", name="reporting_result_period_idx"),
        migrations.RemoveField(model_name="contractresult", name="ranks"),
        migrations.RemoveField(model_name="contractresult", name="outliers"),
        migrations.AddField(
            model_name="contractresult",
            name="metric_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(), default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="contractresult",
            name="ranks",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.FloatField(), default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="contractresult",
            name="outliers",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(), default=list, size=None
            ),
        ),
        migrations.AddConstraint(
            model_name="contractresult",
            constraint=models.UniqueConstraint(
                fields=("period", "contract"), name="reporting_result_key"
            ),
        ),
    ]
