"""Shared factory-boy factories (Faker en_GB). App-specific ones live in tests/<app>/."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from django.utils.text import slugify

from accounts import services as account_services
from accounts.models import PublicBody, User
from suppliers import services
from suppliers.models import (
    Capability,
    CapabilityGroup,
    CaseStudy,
    Certification,
    Framework,
    Region,
    Supplier,
    SupplierMembership,
)

factory.Faker._DEFAULT_LOCALE = "en_GB"


class PublicBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublicBody
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Department for Test {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    email_domains = factory.LazyAttribute(lambda o: [f"{o.slug}.gov.uk"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.co.uk")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class CivilServantFactory(UserFactory):
    email = factory.Sequence(lambda n: f"civil.servant{n}@cabinetoffice.gov.uk")
    civil_servant_since = factory.LazyFunction(timezone.now)
    public_body = factory.SubFactory(PublicBodyFactory)


class ModeratorFactory(UserFactory):
    """A moderator: staff and in the Moderators group (``accounts.services.moderator_add``)."""

    email = factory.Sequence(lambda n: f"moderator{n}@techmap.example")
    is_staff = True

    @factory.post_generation
    def moderators_group(self, create, extracted, **kwargs):
        if create and extracted is not False:  # ModeratorFactory(moderators_group=False)
            account_services.moderator_add(user=self)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:02d}"[:3])
    name = factory.Sequence(lambda n: f"Test region {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class CapabilityGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapabilityGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"group-{n}")
    name = factory.Sequence(lambda n: f"Capability group {n}")


class CapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capability
        django_get_or_create = ("code",)

    group = factory.SubFactory(CapabilityGroupFactory)
    code = factory.Sequence(lambda n: f"capability-{n}")
    name = factory.Sequence(lambda n: f"Capability {n}")


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cert-{n}")
    name = factory.Sequence(lambda n: f"Certification {n}")


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Framework
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"framework-{n}")
    name = factory.Sequence(lambda n: f"Framework {n}")


def _links(name: str):
    """A post-generation hook: ``SupplierFactory(regions=[...])`` sets that link table."""

    def hook(supplier, create, extracted, **kwargs):
        if create and extracted is not None:
            getattr(supplier, name).set(extracted)

    hook.__name__ = name
    return factory.post_generation(hook)


class SupplierFactory(factory.django.DjangoModelFactory):
    """A supplier row whose search data is current, as the services would leave it.

    ``regions``, ``capabilities``, ``certifications`` and ``frameworks`` take lists. After
    every hook has run, ``services.refresh_search_vectors`` rewrites the search vector and
    the facet id arrays (``region_ids`` …), so no test searches stale data by accident.
    ``search_index=False`` skips that, for a test that wants a row written around the
    services. Links added later by hand (``supplier.regions.add``) are not seen by search
    until the supplier is refreshed: pass them here instead.
    """

    class Meta:
        model = Supplier
        skip_postgeneration_save = True

    name = factory.Faker("company")
    slug = factory.Sequence(lambda n: f"supplier-{n}")
    companies_house_number = factory.Sequence(lambda n: f"{10000000 + n:08d}")
    website = factory.LazyAttribute(lambda o: f"https://{o.slug}.example.co.uk")
    summary = factory.Faker("sentence", nb_words=12)
    description = factory.Faker("paragraph", nb_sentences=4)
    size = Supplier.Size.SMALL
    employees = 25
    year_founded = 2015
    status = Supplier.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    regions = _links("regions")
    capabilities = _links("capabilities")
    certifications = _links("certifications")
    frameworks = _links("frameworks")
    search_index = factory.post_generation(lambda supplier, create, extracted, **kw: extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and (results or {}).get("search_index") is not False:
            services.refresh_search_vectors(supplier_ids=[instance.pk])


class CaseStudyFactory(factory.django.DjangoModelFactory):
    """A case study; its supplier's search vector (which indexes case studies) is refreshed."""

    class Meta:
        model = CaseStudy
        skip_postgeneration_save = True

    supplier = factory.SubFactory(SupplierFactory)
    title = factory.Faker("sentence", nb_words=5)
    client_type = CaseStudy.ClientType.PUBLIC
    client_name = factory.Faker("company")
    summary = factory.Faker("paragraph")
    outcome = factory.Faker("sentence")
    year = 2024

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            services.refresh_search_vectors(supplier_ids=[instance.supplier_id])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierMembership

    supplier = factory.SubFactory(SupplierFactory)
    user = factory.SubFactory(UserFactory)
    role = SupplierMembership.Role.MEMBER
