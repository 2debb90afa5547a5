"""The site shell: home page per kind of user, the static pages and the error pages."""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import RequestFactory

from techmap import views
from tests import factories

pytestmark = pytest.mark.django_db

SHELL = [
    'class="govuk-header"',
    'class="govuk-skip-link"',
    "govuk-service-navigation",
    "govuk-phase-banner",
    'class="govuk-footer"',
    'href="/accessibility/"',
    'href="/cookies/"',
    'href="/privacy/"',
]


def assert_shell(html: str) -> None:
    for marker in SHELL:
        assert marker in html, marker


def test_home_tells_each_kind_of_user_what_techmap_offers(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_shell(html)
    assert "<title>Techmap – GOV.UK</title>" in html
    for heading in (
        "If you are a civil servant",
        "If you work for a supplier",
        "If you are a moderator",
        "If you build systems that use Techmap",
        "Everyone",
    ):
        assert heading in html
    assert 'href="/account/signup/"' in html
    assert "Your Techmap" not in html


def test_civil_servant_home(client):
    user = factories.CivilServantFactory(public_body__name="Department for Testing")
    client.force_login(user)
    html = client.get("/home/").content.decode()
    assert "<title>Your Techmap – Techmap – GOV.UK</title>" in html
    assert '<h1 class="govuk-heading-xl">Your Techmap</h1>' in html
    assert "Department for Testing" in html
    for link in ("/suppliers/", "/suppliers/shortlists/", "/engagement/", "/reporting/", "/den/"):
        assert f'href="{link}"' in html
    assert "Choose your public body" not in html


def test_civil_servant_home_asks_for_a_public_body(client):
    client.force_login(factories.CivilServantFactory(public_body=None))
    html = client.get("/home/").content.decode()
    assert "Your Techmap" in html
    assert 'href="/account/public-body/"' in html


def test_supplier_user_home_offers_to_register_a_supplier(client):
    client.force_login(factories.UserFactory())  # no organisation yet
    html = client.get("/home/").content.decode()
    assert 'href="/suppliers/register/"' in html


def test_home_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    client.force_login(factories.CivilServantFactory())
    with django_assert_max_num_queries(6):
        client.get("/")
    client.logout()
    with django_assert_max_num_queries(1):
        client.get("/")


@pytest.mark.parametrize(
    ("url", "title", "text"),
    [
        ("/accessibility/", "Accessibility statement", "Web Content Accessibility Guidelines"),
        ("/cookies/", "Cookies", "csrftoken"),
        ("/privacy/", "Privacy notice", "Information Commissioner"),
    ],
)
def test_static_pages_have_real_content(client, url, title, text):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert_shell(html)
    assert f"<title>{title} – Techmap – GOV.UK</title>" in html
    assert text in html


def test_cookies_page_lists_only_essential_cookies(client):
    html = client.get("/cookies/").content.decode()
    assert "only essential cookies" in html
    assert "analytics" in html  # to say there are none
    for name in ("sessionid", "csrftoken", "messages"):
        assert f'<th scope="row" class="govuk-table__header">{name}</th>' in html


def test_404_page_uses_govuk_markup(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_shell(html)
    assert "<title>Page not found – Techmap – GOV.UK</title>" in html
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in html


def test_403_page_uses_govuk_markup(client, owner):
    client.force_login(owner)
    response = client.get("/account/public-body/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_shell(html)
    assert "You cannot see this page" in html
    assert owner.email in html


def test_500_page_renders_without_a_request_context():
    html = loader.get_template("errors/500.html").render()
    assert "Sorry, there is a problem with the service" in html
    assert 'class="govuk-header"' in html
    response = views.server_error(RequestFactory().get("/anything/"))
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content


def test_an_unhandled_error_gives_the_govuk_500_page(client, settings):
    settings.ROOT_URLCONF = "tests.techmap.broken_urls"
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content
