"""make run for a newcomer: links follow the port, emails readable at /dev/emails/, GOV.UK error
pages in development, an index at /api/v1/, and demo data that never reaches production."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import resolve

from accounts.models import OutboundEmail, User
from tests.techmap.test_settings import PRODUCTION_ENV, manage

SITE_URL = "from django.conf import settings; print(settings.SITE_URL)"
SERVERS = {"DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": os.environ["REDIS_URL"]}


def _last_line(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_site_url_follows_the_port_of_make_run():
    development = {**SERVERS, "DJANGO_ENV": "development"}
    assert _last_line(manage("shell", "-c", SITE_URL, **development, PORT="8021")) == (
        "http://127.0.0.1:8021"
    )
    assert _last_line(manage("shell", "-c", SITE_URL, **development)) == "http://127.0.0.1:8000"
    given = manage("shell", "-c", SITE_URL, **development, PORT="8021", SITE_URL="https://x.test/")
    assert _last_line(given) == "https://x.test"


@pytest.mark.django_db
def test_links_in_emails_follow_the_port(settings, supplier, owner):
    # Services build email links from SITE_URL (so does notice.json): with make run
    # PORT=8021, SITE_URL is http://127.0.0.1:8021 and every link points there.
    from suppliers.services import membership

    settings.SITE_URL = "http://127.0.0.1:8021"
    membership.invitation_create(actor=owner, supplier=supplier, email="new.person@example.co.uk")
    email = OutboundEmail.objects.get(to="new.person@example.co.uk")
    assert "http://127.0.0.1:8021/" in email.body
    assert "127.0.0.1:8000" not in email.body


# --- /dev/emails/ ----------------------------------------------------------------------


@pytest.fixture
def development(settings):
    settings.DJANGO_ENV = "development"
    settings.DEBUG = True
    return settings


@pytest.mark.django_db
def test_dev_emails_list_the_outbox_newest_first_with_working_links(client, development):
    OutboundEmail.objects.create(to="first@example.co.uk", subject="The first", body="Hello")
    newest = OutboundEmail.objects.create(
        to="second@example.co.uk",
        subject="The second",
        body="Accept it: http://127.0.0.1:8021/suppliers/invitations/abc/",
        html_body='<p><a href="http://127.0.0.1:8021/suppliers/invitations/abc/">Accept</a></p>',
    )
    response = client.get("/dev/emails/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("The second") < html.index("The first")
    assert f'href="/dev/emails/{newest.pk}/"' in html

    page = client.get(f"/dev/emails/{newest.pk}/").content.decode()
    assert '<a href="http://127.0.0.1:8021/suppliers/invitations/abc/"' in page
    assert "second@example.co.uk" in page
    # The HTML version opens its links in the page, not inside the frame.
    assert 'srcdoc="&lt;base target=&quot;_top&quot;&gt;&lt;p&gt;&lt;a href=' in page


@pytest.mark.django_db
def test_dev_emails_are_a_404_outside_development(client, settings):
    email = OutboundEmail.objects.create(to="a@example.co.uk", subject="Secret", body="x")
    settings.DJANGO_ENV, settings.DEBUG = "test", False
    assert client.get("/dev/emails/").status_code == 404
    settings.DJANGO_ENV, settings.DEBUG, settings.PRODUCTION = "production", True, True
    assert client.get("/dev/emails/").status_code == 404
    assert client.get(f"/dev/emails/{email.pk}/").status_code == 404


def test_development_delivers_no_email_to_the_console_and_production_uses_smtp():
    backend = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    development = manage("shell", "-c", backend, **SERVERS, DJANGO_ENV="development")
    assert _last_line(development) == "django.core.mail.backends.dummy.EmailBackend"
    production = manage("shell", "-c", backend, **PRODUCTION_ENV)
    assert _last_line(production) == "django.core.mail.backends.smtp.EmailBackend"


# --- Error pages in development --------------------------------------------------------


@pytest.mark.django_db
def test_development_404_is_the_govuk_page(client, development):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in response.content.decode()
    # A view's own Http404 too.
    response = client.get("/suppliers/no-such-supplier/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    # The slash is still added where that finds a page.
    assert client.get("/cookies")["Location"] == "/cookies/"


@pytest.mark.django_db
def test_development_500_is_the_govuk_page(client, development):
    development.ROOT_URLCONF = "tests.techmap.broken_urls"
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content


@pytest.mark.django_db
def test_debug_pages_brings_back_djangos_debug_pages(client, development):
    development.DEBUG_PAGES = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"Using the URLconf defined in" in response.content  # Django's technical 404


@pytest.mark.django_db
def test_api_404s_keep_the_api_error_shape_in_development(client, development):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


# --- /api/v1/ ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_root_is_an_index_with_the_schema_docs_and_each_endpoint(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["schema"] == "http://testserver/api/v1/schema/"
    assert body["docs"] == "http://testserver/api/v1/docs/"
    endpoints = body["endpoints"]
    for url in (
        "http://testserver/api/v1/suppliers/",
        "http://testserver/api/v1/capabilities/",
        "http://testserver/api/v1/engagement-requests/",
        "http://testserver/api/v1/den/proposals/",
        "http://testserver/api/v1/contracts/",
    ):
        assert url in endpoints.values(), url
    assert not [url for url in endpoints.values() if "<" in url or "(" in url]
    for url in endpoints.values():  # each one is a real endpoint
        assert resolve(urlsplit(url).path).url_name, url


@pytest.mark.django_db
def test_api_root_keeps_the_api_conventions(client):
    response = client.post("/api/v1/", {}, content_type="application/json")
    assert response.status_code in {401, 403, 405}
    assert response.json()["error"]["status"] == response.status_code
    assert client.get("/api/v1/", {"x": "\x00"}).status_code == 400


# --- Demo data ------------------------------------------------------------------------


def test_seed_demo_refuses_production():
    result = manage("seed_demo", "--suppliers", "0", **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "refuses to run with DJANGO_ENV=production" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_seed_demo_refuses_production_settings_in_process(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="DJANGO_ENV=production"):
        call_command("seed_demo", "--suppliers", "0")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_makes_no_superuser():
    call_command("seed_demo", "--suppliers", "0", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert User.objects.filter(email="moderator@techmap.service.gov.uk", is_staff=True).exists()
    assert not User.objects.filter(is_superuser=True).exists()


# --- Secrets from files --------------------------------------------------------------


def test_every_secret_can_come_from_a_file_in_production(tmp_path):
    env = {}
    for name, value in PRODUCTION_ENV.items():
        path = tmp_path / name.lower()
        path.write_text(value + "\n")
        env[f"{name}_FILE"] = str(path)
    (tmp_path / "metrics").write_text("scrape-token\n")
    script = (
        "from django.conf import settings; "
        "print(settings.SECRET_KEY[:4], settings.METRICS_TOKEN, settings.ALLOWED_HOSTS)"
    )
    result = manage("shell", "-c", script, **env, METRICS_TOKEN_FILE=str(tmp_path / "metrics"))
    assert _last_line(result) == "k3P9 scrape-token ['techmap.example.gov.uk']"


def test_url_files_stop_the_embedded_servers_from_starting(tmp_path):
    # Outside production, no DATABASE_URL / REDIS_URL would start the embedded servers;
    # given as files, the URLs are used and nothing is started under TECHMAP_DATA_DIR.
    (tmp_path / "database_url").write_text(SERVERS["DATABASE_URL"])
    (tmp_path / "redis_url").write_text(SERVERS["REDIS_URL"])
    data = tmp_path / "data"
    script = "from django.conf import settings; print(settings.DATABASES['default']['PORT'])"
    result = manage(
        "shell",
        "-c",
        script,
        DJANGO_ENV="development",
        DATABASE_URL_FILE=str(tmp_path / "database_url"),
        REDIS_URL_FILE=str(tmp_path / "redis_url"),
        TECHMAP_DATA_DIR=str(data),
    )
    assert _last_line(result) == str(urlsplit(SERVERS["DATABASE_URL"]).port or 5432)
    assert "embedded" not in result.stderr
    assert not (data / "postgres").exists() and not (data / "redis").exists()


def test_embedded_sees_url_files(tmp_path, monkeypatch):
    from techmap import embedded

    (tmp_path / "url").write_text("postgres://elsewhere/techmap\n")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("DJANGO_ENV", "development")
    assert embedded.wanted()
    monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "url"))
    monkeypatch.setenv("REDIS_URL_FILE", str(tmp_path / "url"))
    assert embedded.configured("DATABASE_URL") == "postgres://elsewhere/techmap"
    assert not embedded.wanted()


def test_a_management_command_can_queue_a_task_by_name():
    # make run's seed_demo runs in its own process, where no tasks module was imported:
    # queueing by name must find the task (the broker here is down, so it is left for the
    # sweep), not fail the seeding with NotRegistered.
    script = (
        "from core.tasks import enqueue; print(enqueue('engagement.tasks.send_request_alerts', 0))"
    )
    result = manage(
        "shell",
        "-c",
        script,
        DJANGO_ENV="development",
        DATABASE_URL=SERVERS["DATABASE_URL"],
        REDIS_URL=SERVERS["REDIS_URL"],
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
    )
    assert "NotRegistered" not in result.stderr, result.stderr
    assert _last_line(result) == "False"
