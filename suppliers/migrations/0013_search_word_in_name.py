import django.db.models.functions.text
from django.db import migrations, models


def rebuild(apps, schema_editor):
    # Every vector (each now holds capability groups and synonyms) and the vocabulary.
    from suppliers.services.search_index import refresh_search_vectors

    refresh_search_vectors()


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0012_seed_capability_synonyms"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchword",
            name="in_name",
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name="searchword",
            index=models.Index(
                django.db.models.functions.text.Left("word", 1),
                models.F("word"),
                name="searchword_first_letter",
            ),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
