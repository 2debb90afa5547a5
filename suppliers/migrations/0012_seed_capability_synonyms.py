"""Seed the "also known as" terms of capabilities (0013 rebuilds the search vectors, which
now hold each capability's group and synonyms, and the spelling vocabulary)."""

from django.db import migrations

SYNONYMS = {
    "penetration-testing": ["pen testing", "pentest", "IT health check", "ethical hacking"],
    "machine-learning": ["ML", "predictive modelling"],
    "geospatial-data": ["GIS", "location data"],
    "robotics-and-automation": ["RPA", "robotic process automation"],
    "generative-ai": ["GenAI", "large language models", "LLM"],
    "natural-language-processing": ["NLP", "text analytics"],
    "security-operations-centre": ["SOC", "security monitoring"],
    "identity-and-access-management": ["IAM", "single sign-on"],
    "customer-relationship-management": ["CRM"],
    "internet-of-things": ["IoT"],
    "site-reliability-engineering": ["SRE"],
    "user-research": ["usability testing"],
    "accessibility-auditing": ["WCAG audit", "accessibility testing"],
    "quality-assurance-and-testing": ["QA", "software testing", "test automation"],
    "content-management-systems": ["CMS"],
    "legacy-modernisation": ["mainframe migration"],
    "data-analytics": ["business intelligence", "BI"],
}


def seed(apps, schema_editor):
    Capability = apps.get_model("suppliers", "Capability")
    for code, words in SYNONYMS.items():
        Capability.objects.filter(code=code, synonyms=[]).update(synonyms=words)


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0011_capability_synonyms_search_words")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
