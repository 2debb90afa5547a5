"""django-allauth hooks: emails go through the outbox; verification sets roles."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import get_next_redirect_url
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.urls import reverse

from accounts import permissions, services


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue allauth's emails in the outbox instead of sending them in the request.

        allauth renders them (its templates, subject prefix and context); the
        outbox writes them now and Celery sends them after the commit.
        """
        request = self.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        html_body = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        services.email_queue(
            to=email, subject=message.subject, body=message.body, html_body=html_body
        )

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """The link in the confirmation email, carrying the sign-up's ``next`` (when safe).

        Someone who started from "Register your organisation" signs up with
        ``?next=/suppliers/register/``; the confirmation page sends them on there (through
        sign-in) instead of leaving them at the sign-in page with nowhere to go. The link
        may be opened in another browser, so the address travels in the link itself.
        """
        url = super().get_email_confirmation_url(request, emailconfirmation)
        next_url = get_next_redirect_url(request) if request is not None else None
        if next_url:
            url += "?" + urlencode({REDIRECT_FIELD_NAME: next_url})
        return url

    def confirm_email(self, request, email_address) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            services.user_email_verified(user=email_address.user, email=email_address.email)
        return confirmed

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # A new civil servant says which public body they work for before anything else.
        if permissions.needs_public_body(request.user):
            return reverse("accounts:public_body")
        return super().get_login_redirect_url(request)

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        return reverse("accounts:profile")
