"""The single email domain is now the list ``email_domains`` (copied by 0007)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_memberships_from_evidence")]

    operations = [
        migrations.RemoveField(model_name="historicalpublicbody", name="email_domain"),
        migrations.RemoveField(model_name="publicbody", name="email_domain"),
    ]
