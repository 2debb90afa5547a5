"""Seed the public bodies a civil servant chooses from (UK departments and agencies)."""

from django.db import migrations
from django.utils.text import slugify

PUBLIC_BODIES = [
    # (name, kind, main email domain)
    ("Attorney General's Office", "ministerial", "attorneygeneral.gov.uk"),
    ("Cabinet Office", "ministerial", "cabinetoffice.gov.uk"),
    ("Department for Business and Trade", "ministerial", "businessandtrade.gov.uk"),
    ("Department for Culture, Media and Sport", "ministerial", "dcms.gov.uk"),
    ("Department for Education", "ministerial", "education.gov.uk"),
    ("Department for Energy Security and Net Zero", "ministerial", "energysecurity.gov.uk"),
    ("Department for Environment, Food and Rural Affairs", "ministerial", "defra.gov.uk"),
    ("Department for Science, Innovation and Technology", "ministerial", "dsit.gov.uk"),
    ("Department for Transport", "ministerial", "dft.gov.uk"),
    ("Department for Work and Pensions", "ministerial", "dwp.gov.uk"),
    ("Department of Health and Social Care", "ministerial", "dhsc.gov.uk"),
    ("Foreign, Commonwealth and Development Office", "ministerial", "fcdo.gov.uk"),
    ("HM Treasury", "ministerial", "hmtreasury.gov.uk"),
    ("Home Office", "ministerial", "homeoffice.gov.uk"),
    ("Ministry of Defence", "ministerial", "mod.gov.uk"),
    ("Ministry of Housing, Communities and Local Government", "ministerial", "communities.gov.uk"),
    ("Ministry of Justice", "ministerial", "justice.gov.uk"),
    ("Northern Ireland Office", "ministerial", "nio.gov.uk"),
    ("Office of the Advocate General for Scotland", "ministerial", "advocategeneral.gov.uk"),
    ("Scotland Office", "ministerial", "scotlandoffice.gov.uk"),
    ("Wales Office", "ministerial", "walesoffice.gov.uk"),
    ("Charity Commission", "non_ministerial", "charitycommission.gov.uk"),
    ("Competition and Markets Authority", "non_ministerial", "cma.gov.uk"),
    ("Crown Prosecution Service", "non_ministerial", "cps.gov.uk"),
    ("Food Standards Agency", "non_ministerial", "food.gov.uk"),
    ("Government Actuary's Department", "non_ministerial", "gad.gov.uk"),
    ("HM Land Registry", "non_ministerial", "landregistry.gov.uk"),
    ("HM Revenue and Customs", "non_ministerial", "hmrc.gov.uk"),
    ("National Crime Agency", "non_ministerial", "nca.gov.uk"),
    ("Office for National Statistics", "non_ministerial", "ons.gov.uk"),
    ("Ofgem", "non_ministerial", "ofgem.gov.uk"),
    ("Ofqual", "non_ministerial", "ofqual.gov.uk"),
    ("Ofsted", "non_ministerial", "ofsted.gov.uk"),
    ("The National Archives", "non_ministerial", "nationalarchives.gov.uk"),
    ("UK Statistics Authority", "non_ministerial", "statistics.gov.uk"),
    ("Central Digital and Data Office", "agency", "digital.cabinetoffice.gov.uk"),
    ("Crown Commercial Service", "agency", "crowncommercial.gov.uk"),
    ("Companies House", "agency", "companieshouse.gov.uk"),
    ("Driver and Vehicle Licensing Agency", "agency", "dvla.gov.uk"),
    ("Environment Agency", "agency", "environment-agency.gov.uk"),
    ("Government Digital Service", "agency", "digital.cabinetoffice.gov.uk"),
    ("HM Courts and Tribunals Service", "agency", "justice.gov.uk"),
    ("HM Prison and Probation Service", "agency", "justice.gov.uk"),
    ("Innovate UK", "agency", "iuk.ukri.org"),
    ("Met Office", "agency", "metoffice.gov.uk"),
    ("Ordnance Survey", "agency", "os.uk"),
    ("UK Health Security Agency", "agency", "ukhsa.gov.uk"),
    ("Scottish Government", "devolved", "gov.scot"),
    ("Welsh Government", "devolved", "gov.wales"),
    ("Northern Ireland Executive", "devolved", "northernireland.gov.uk"),
    ("NHS England", "nhs", "england.nhs.uk"),
    ("NHS Business Services Authority", "nhs", "nhsbsa.nhs.uk"),
]


def seed(apps, schema_editor):
    PublicBody = apps.get_model("accounts", "PublicBody")
    for name, kind, domain in PUBLIC_BODIES:
        PublicBody.objects.update_or_create(
            slug=slugify(name), defaults={"name": name, "kind": kind, "email_domain": domain}
        )


def unseed(apps, schema_editor):
    apps.get_model("accounts", "PublicBody").objects.filter(
        slug__in=[slugify(name) for name, _, _ in PUBLIC_BODIES], users__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_apitoken")]
    operations = [migrations.RunPython(seed, unseed)]
