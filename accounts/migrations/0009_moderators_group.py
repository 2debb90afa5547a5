"""The "Moderators" group, with exactly the admin permissions moderation needs.

Making someone a moderator is adding them (a staff user) to this group; superusers stay
for operators. Per model, the least that moderation needs:

- view only: records written by services or by the system (outbox, decisions, history,
  revisions, tokens, reports, matches, sign-in attempts); their actions (send now,
  revoke, decide) are checked by the services, not by a change permission;
- change: what moderators correct or decide (suppliers, the review queue, claims,
  engagement requests, proposals, the beat schedule's times);
- add: what moderators create (reference data, public bodies, review rounds, contracts);
- delete: only where deleting is the moderation act (a draft reporting scheme, a
  contract, a CPV mapping, a sign-in lockout, an inline criterion or panel member).

Users are view-only: the user change form sets staff, superuser and groups, so changing
users is an operator's job. Shortlists are private to their owners and are not in admin;
the site settings, groups and periodic-task definitions are the operators'.

Permissions are created here first (Django otherwise creates them after the last
migration), so the group gets them on a fresh database. A model added later needs a
migration that gives the group its permissions; tests/accounts/test_moderators.py fails
until it does.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS_GROUP = "Moderators"

V, A, C, D = "view", "add", "change", "delete"

PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "user": (V,),
        "publicbody": (V, A, C),
        "publicbodymembership": (V,),
        "outboundemail": (V,),
        "apitoken": (V,),
    },
    "account": {"emailaddress": (V,)},  # allauth: is an address confirmed?
    "axes": {
        "accessattempt": (V, D),  # deleting the attempts lifts a lockout
        "accesslog": (V,),
        "accessfailurelog": (V,),
    },
    "django_celery_beat": {
        "periodictask": (V, C),  # the time and on/off; what a task runs is the operators'
        "crontabschedule": (V, A, C),
        "intervalschedule": (V, A, C),
        "solarschedule": (V,),
        "clockedschedule": (V,),
    },
    "suppliers": {
        "region": (V,),
        "capabilitygroup": (V, A, C),
        "capability": (V, A, C),
        "certification": (V, A, C),
        "framework": (V, A, C),
        "cpvcapability": (V, A, C, D),
        "supplier": (V, A, C),
        "casestudy": (V, A, C),
        "suppliermembership": (V, A, C),
        "supplierforreview": (V, C),
        "moderationdecision": (V,),
        "supplierrevision": (V,),
        "supplierinvitation": (V,),
        "supplierclaim": (V, C),
        "awardrecord": (V,),
        "externalengagementnotice": (V,),
    },
    "engagement": {
        "engagementrequest": (V, C),
        "supplierresponse": (V,),
        "clarificationquestion": (V,),
        "participant": (V,),
        "match": (V,),
        "alertpreference": (V,),
        "notification": (V,),
    },
    "reporting": {
        "reportingscheme": (V, A, C, D),
        "metricdefinition": (V, A, C, D),
        "contract": (V, A, C, D),
        "contractreport": (V,),
        "reportvalue": (V,),
        "reportevent": (V,),
        "comparisonrun": (V,),
    },
    "innovation_den": {
        "proposal": (V, C),
        "proposalpartner": (V,),
        "successcriterion": (V, A, D),
        "stopcriterion": (V, A, D),
        "risk": (V, A, D),
        "transition": (V,),
        "reviewround": (V, A, C),
        "panelmember": (V, A, D),
        "review": (V, A),
        "progressnote": (V,),
    },
}


def create_moderators_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, using=schema_editor.connection.alias, apps=apps)
        app_config.models_module = None
    wanted = {
        (app_label, f"{action}_{model}")
        for app_label, models in PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    }
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=PERMISSIONS
        )
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise RuntimeError(f"Permissions not found for the Moderators group: {missing}")
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    group.permissions.set([found[key] for key in wanted])


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MODERATORS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_remove_publicbody_email_domain"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("axes", "0010_accessattemptexpiration"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("suppliers", "0009_supplier_claims"),
        ("engagement", "0001_initial"),
        ("reporting", "0005_result_key"),
        ("innovation_den", "0001_proposals"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]
