"""Seed the reference data: ITL1 regions, the capability taxonomy, certifications, frameworks."""

from django.db import migrations
from django.utils.text import slugify

REGIONS = [
    ("TLC", "North East"),
    ("TLD", "North West"),
    ("TLE", "Yorkshire and The Humber"),
    ("TLF", "East Midlands"),
    ("TLG", "West Midlands"),
    ("TLH", "East of England"),
    ("TLI", "London"),
    ("TLJ", "South East"),
    ("TLK", "South West"),
    ("TLL", "Wales"),
    ("TLM", "Scotland"),
    ("TLN", "Northern Ireland"),
]

TAXONOMY = [
    (
        "cloud",
        "Cloud",
        [
            "Cloud hosting",
            "Cloud migration",
            "Cloud-native architecture",
            "Infrastructure as code",
            "Managed cloud services",
            "Multi-cloud and hybrid cloud",
        ],
    ),
    (
        "data-and-ai",
        "Data and AI",
        [
            "Data engineering",
            "Data analytics",
            "Machine learning",
            "Generative AI",
            "Data governance",
            "Geospatial data",
            "Natural language processing",
        ],
    ),
    (
        "cyber-security",
        "Cyber security",
        [
            "Penetration testing",
            "Security operations centre",
            "Identity and access management",
            "Threat intelligence",
            "Incident response",
            "Secure by design assurance",
        ],
    ),
    (
        "software-development",
        "Software development",
        [
            "Web application development",
            "Mobile app development",
            "API development",
            "Legacy modernisation",
            "Low-code platforms",
            "Quality assurance and testing",
            "DevOps",
        ],
    ),
    (
        "user-centred-design",
        "User-centred design",
        [
            "User research",
            "Service design",
            "Interaction design",
            "Content design",
            "Accessibility auditing",
        ],
    ),
    (
        "networks-and-infrastructure",
        "Networks and infrastructure",
        [
            "Wide area networks",
            "5G and wireless",
            "Data centres",
            "End-user computing",
            "Internet of Things",
        ],
    ),
    (
        "consultancy",
        "Consultancy",
        [
            "Digital strategy",
            "Agile coaching",
            "Programme delivery",
            "Commercial advice",
            "Organisational change",
        ],
    ),
    (
        "digital-platforms",
        "Digital platforms",
        [
            "Case management",
            "Customer relationship management",
            "Payments",
            "Content management systems",
            "Identity verification",
        ],
    ),
    (
        "emerging-technology",
        "Emerging technology",
        [
            "Robotics and automation",
            "Digital twins",
            "Quantum computing",
            "Blockchain",
            "Drones and autonomous systems",
        ],
    ),
    (
        "support-and-operations",
        "Support and operations",
        [
            "Service desk",
            "Application support",
            "Site reliability engineering",
            "Managed print and devices",
        ],
    ),
]

CERTIFICATIONS = [
    "Cyber Essentials",
    "Cyber Essentials Plus",
    "ISO 27001",
    "ISO 9001",
    "ISO 14001",
    "ISO 22301",
    "ISO 20000",
    "CSA STAR",
    "SOC 2",
    "PCI DSS",
    "NHS DSP Toolkit",
]

FRAMEWORKS = [
    ("g-cloud", "G-Cloud"),
    ("digital-outcomes", "Digital Outcomes"),
    ("digital-specialists-and-programmes", "Digital Specialists and Programmes"),
    ("tepas", "Technology Products and Associated Services (TePAS)"),
    ("technology-services", "Technology Services"),
    ("network-services", "Network Services"),
    ("big-data-and-analytics", "Big Data and Analytics"),
    ("cyber-security-services", "Cyber Security Services"),
    ("management-consultancy", "Management Consultancy Framework"),
]


def seed(apps, schema_editor):
    Region = apps.get_model("suppliers", "Region")
    CapabilityGroup = apps.get_model("suppliers", "CapabilityGroup")
    Capability = apps.get_model("suppliers", "Capability")
    Certification = apps.get_model("suppliers", "Certification")
    Framework = apps.get_model("suppliers", "Framework")
    for position, (code, name) in enumerate(REGIONS):
        Region.objects.update_or_create(
            code=code, defaults={"name": name, "slug": slugify(name), "position": position}
        )
    for group_position, (code, name, capabilities) in enumerate(TAXONOMY):
        group, _ = CapabilityGroup.objects.update_or_create(
            code=code, defaults={"name": name, "position": group_position}
        )
        for position, capability in enumerate(capabilities):
            Capability.objects.update_or_create(
                code=slugify(capability),
                defaults={"name": capability, "group": group, "position": position},
            )
    for name in CERTIFICATIONS:
        Certification.objects.update_or_create(code=slugify(name), defaults={"name": name})
    for code, name in FRAMEWORKS:
        Framework.objects.update_or_create(code=code, defaults={"name": name})


def unseed(apps, schema_editor):
    for model in ("Capability", "CapabilityGroup", "Certification", "Framework", "Region"):
        apps.get_model("suppliers", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0002_shortlists")]
    operations = [migrations.RunPython(seed, unseed)]
