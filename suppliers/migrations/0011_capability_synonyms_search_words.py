import core.validators
import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0010_supplier_name_single_line"),
    ]

    operations = [
        # levenshtein(), for spelling correction (suppliers.selectors.search).
        CreateExtension("fuzzystrmatch"),
        migrations.AddField(
            model_name="capability",
            name="synonyms",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    max_length=100, validators=[core.validators.NoLineBreaksValidator()]
                ),
                blank=True,
                default=list,
                help_text="Other names buyers search for, separated by commas: “pen testing, IT health check”.",
                size=None,
                verbose_name="also known as",
            ),
        ),
        migrations.AddField(
            model_name="historicalcapability",
            name="synonyms",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    max_length=100, validators=[core.validators.NoLineBreaksValidator()]
                ),
                blank=True,
                default=list,
                help_text="Other names buyers search for, separated by commas: “pen testing, IT health check”.",
                size=None,
                verbose_name="also known as",
            ),
        ),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("lexeme", models.CharField(db_index=True, max_length=100)),
            ],
            options={
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass("word", name="gin_trgm_ops"),
                        name="searchword_word_trgm",
                    )
                ],
            },
        ),
    ]
