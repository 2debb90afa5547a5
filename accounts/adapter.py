"""django-allauth hooks: emails go through the outbox; verification sets roles."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from accounts import services


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue allauth's emails in the outbox instead of sending them in the request."""
        context = {"current_site": self.request and self.get_current_site(), **context}
        subject = render_to_string(f"{template_prefix}_subject.txt", context, self.request)
        subject = self.format_email_subject(" ".join(subject.splitlines()).strip())
        body = render_to_string(f"{template_prefix}_message.txt", context, self.request).strip()
        try:
            html = render_to_string(f"{template_prefix}_message.html", context, self.request)
        except TemplateDoesNotExist:
            html = ""
        services.email_queue(to=email, subject=subject, body=body, html_body=html)

    def confirm_email(self, request, email_address) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            services.user_email_verified(user=email_address.user, email=email_address.email)
        return confirmed
