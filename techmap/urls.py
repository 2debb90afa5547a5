"""Root URLs: the site shell here, each app's pages from its own urls.py."""

from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from core.ocds import views as ocds_views
from suppliers import api_ocds as awards_ocds
from techmap import dev_emails, home, metrics, moderation, views

urlpatterns = [
    path("", views.home, name="home"),
    path("home/", home.user_home, name="user_home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    # Development only (a 404 otherwise): the outbox, readable in the browser.
    path("dev/emails/", dev_emails.email_list, name="dev-emails"),
    path("dev/emails/<int:pk>/", dev_emails.email_detail, name="dev-email"),
    path(
        "accessibility/", views.page, {"template": "pages/accessibility.html"}, name="accessibility"
    ),
    path("feedback/", accounts_views.feedback, name="feedback"),
    path("cookies/", views.page, {"template": "pages/cookies.html"}, name="cookies"),
    path("privacy/", views.page, {"template": "pages/privacy.html"}, name="privacy"),
    path("moderation/", moderation.moderation_home, name="moderation"),
    path("account/", include("accounts.urls")),
    path("account/", include("allauth.urls")),
    path("", include("suppliers.urls")),
    path("engagement/", include("engagement.urls")),
    path("reporting/", include("reporting.urls")),
    path("den/", include("innovation_den.urls")),
    path("api/", views.api_page, name="api"),
    # The Techmap OCDS extension (core/ocds/extension), at a stable URL for OCDS tools.
    path("ocds/extension/<path:name>", ocds_views.extension_file, name="ocds-extension"),
    # Before api/v1/: the awards' OCDS package, beside (not inside) the awards API.
    path("api/v1/awards/ocds/", awards_ocds.AwardOcdsView.as_view(), name="awards-ocds"),
    path("api/v1/", include("techmap.api_urls")),
    path("admin/", admin.site.urls),
]

handler400 = "techmap.views.bad_request"
handler403 = "techmap.views.permission_denied"
handler404 = "techmap.views.page_not_found"
handler500 = "techmap.views.server_error"
