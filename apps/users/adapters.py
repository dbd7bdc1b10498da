"""allauth adapters: mail through Celery after commit, banned users kept out, GitHub names."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.tasks import send_email


@dataclass(frozen=True)
class MailSite:
    """What allauth's mail templates call ``current_site``: the site's name and public host."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (the request is at hand), send from a worker once the data is committed."""
        request = allauth_context.request
        site = MailSite(name="Paperboard", domain=urlsplit(settings.SITE_URL).netloc)
        ctx = {"request": request, "email": email, "current_site": site}
        message = self.render_mail(template_prefix, email, {**ctx, **context})
        alternatives = getattr(message, "alternatives", [])
        html_body = next((content for content, mime in alternatives if mime == "text/html"), None)
        kwargs = {
            "subject": message.subject,
            "body": message.body,
            "to": list(message.to),
            "html_body": html_body,
        }
        transaction.on_commit(lambda: send_email.delay(**kwargs))

    def pre_login(self, request: HttpRequest, user, **kwargs: Any) -> HttpResponse | None:
        if getattr(user, "is_banned", False):
            clear_login(request)
            return render(request, "account/banned.html", status=HTTPStatus.FORBIDDEN)
        return super().pre_login(request, user, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None):
        """A provider without credentials in the environment is switched off: 404, not 500."""
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise Http404(f"{provider} log-in is not enabled on this site") from exc

    def populate_user(self, request: HttpRequest, sociallogin, data: dict):
        """Keep the provider's full name as the display name (the handle comes from its login)."""
        user = super().populate_user(request, sociallogin, data)
        if data.get("name") and not user.display_name:
            user.display_name = " ".join(data["name"].split())[:100]  # one line, as in forms
        return user
