"""The starting CPV table: codes of the CPV 2008 vocabulary (Commission Regulation (EC)
No 213/2008) that name technology work, each to the capability it means. Moderators
edit the table in admin afterwards; the longest matching prefix wins, so a division
(``72``) is the fallback for the codes under it that are not listed."""

from django.db import migrations

CPV_CAPABILITIES = [
    # 30 Office and computing machinery
    ("3012", "managed-print-and-devices", "Photocopying and offset printing equipment"),
    ("3021", "end-user-computing", "Data-processing machines (hardware)"),
    ("3023", "end-user-computing", "Computer-related equipment"),
    ("3023211", "managed-print-and-devices", "Laser printers"),
    # 32 Networks and telecommunications equipment
    ("324", "wide-area-networks", "Networks"),
    ("325", "5g-and-wireless", "Telecommunications equipment"),
    ("3251", "5g-and-wireless", "Wireless telecommunications system"),
    # 34-35, 38, 42 Drones, GIS, robots
    ("347112", "drones-and-autonomous-systems", "Non-piloted aircraft"),
    ("35613", "drones-and-autonomous-systems", "Unmanned aerial vehicles"),
    ("38221", "geospatial-data", "Geographic information systems (GIS or equivalent)"),
    ("429973", "robotics-and-automation", "Industrial robots"),
    # 48 Software packages and information systems
    ("48", "application-support", "Software package and information systems"),
    ("481", "case-management", "Industry specific software package"),
    ("482", "wide-area-networks", "Networking, Internet and intranet software package"),
    ("483", "end-user-computing", "Document creation and productivity software package"),
    ("484", "customer-relationship-management", "Business transaction software package"),
    ("4844", "payments", "Financial analysis and accounting software package"),
    ("48445", "customer-relationship-management", "Customer Relation Management software"),
    ("485", "end-user-computing", "Communication and multimedia software package"),
    ("486", "data-engineering", "Database and operating software package"),
    ("4873", "security-operations-centre", "Security software package"),
    ("4881", "data-centres", "Information systems and servers"),
    ("48814", "case-management", "Medical information systems"),
    # 50-51 Repair, maintenance and installation of computers
    ("5031", "end-user-computing", "Maintenance and repair of computer equipment"),
    ("50324", "service-desk", "Support services of personal computers"),
    ("5033", "wide-area-networks", "Maintenance services of telecommunications equipment"),
    ("5161", "end-user-computing", "Installation services of computers"),
    # 64 Telecommunications services
    ("642", "wide-area-networks", "Telecommunications services"),
    # 71-72 Map production; IT services
    ("71354", "geospatial-data", "Map production services"),
    ("72", "application-support", "IT services: consulting, software development and support"),
    ("721", "end-user-computing", "Hardware consultancy services"),
    ("722", "web-application-development", "Software programming and consultancy services"),
    ("7222", "digital-strategy", "Systems and technical consultancy services"),
    ("72224", "programme-delivery", "Project management consultancy services"),
    ("72225", "quality-assurance-and-testing", "System quality assurance assessment"),
    ("72226", "quality-assurance-and-testing", "System software acceptance testing"),
    ("72227", "api-development", "Software integration consultancy services"),
    ("72228", "end-user-computing", "Hardware integration consultancy services"),
    ("7223", "web-application-development", "Custom software development services"),
    ("7224", "web-application-development", "Systems analysis and programming services"),
    ("7225", "application-support", "System and support services"),
    ("72253", "service-desk", "Helpdesk and support services"),
    ("7226", "application-support", "Software-related services"),
    ("72262", "web-application-development", "Software development services"),
    ("723", "data-engineering", "Data services"),
    ("72316", "data-analytics", "Data analysis services"),
    ("72317", "cloud-hosting", "Data storage services"),
    ("72322", "data-governance", "Data management services"),
    ("7233", "data-governance", "Content or data standardisation services"),
    ("724", "wide-area-networks", "Internet services"),
    ("72413", "web-application-development", "World wide web (www) site design services"),
    ("72415", "cloud-hosting", "World wide web (www) site operation host services"),
    ("7242", "web-application-development", "Internet development services"),
    ("725", "application-support", "Computer-related services"),
    ("72514", "data-centres", "Computer facilities management services"),
    ("72590", "digital-strategy", "Computer-related professional services"),
    ("726", "application-support", "Computer support and consultancy services"),
    ("7261", "service-desk", "Computer support services"),
    ("727", "wide-area-networks", "Computer network services"),
    ("728", "quality-assurance-and-testing", "Computer audit and testing services"),
    ("729", "data-engineering", "Computer back-up and catalogue conversion services"),
    # 79 Business services: consultancy, project management, statistics
    ("794", "organisational-change", "Business and management consultancy services"),
    ("79421", "programme-delivery", "Project-management services"),
    ("7933", "data-analytics", "Statistical services"),
]


def seed(apps, schema_editor):
    Capability = apps.get_model("suppliers", "Capability")
    CpvCapability = apps.get_model("suppliers", "CpvCapability")
    by_code = {c.code: c for c in Capability.objects.all()}
    CpvCapability.objects.bulk_create(
        [
            CpvCapability(cpv_prefix=prefix, capability=by_code[code], note=note)
            for prefix, code, note in CPV_CAPABILITIES
            if code in by_code
        ],
        ignore_conflicts=True,
    )


def unseed(apps, schema_editor):
    CpvCapability = apps.get_model("suppliers", "CpvCapability")
    for prefix, code, _ in CPV_CAPABILITIES:
        CpvCapability.objects.filter(cpv_prefix=prefix, capability__code=code).delete()


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0010_supplier_name_single_line")]

    operations = [migrations.RunPython(seed, unseed)]
