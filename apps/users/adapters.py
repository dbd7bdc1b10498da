"""allauth adapters: mail through Celery after commit, banned users kept out, GitHub names."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import record_authentication
from allauth.account.internal.stagekit import clear_login
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.constants import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.core.client_ip import client_ip
from apps.core.failopen import enqueue
from apps.core.navigation import local_path
from apps.core.tasks import send_email
from apps.users.names import display_name_problem, normalise_display_name
from apps.users.selectors import has_github_account

# The authentication record a GitHub re-log-in leaves; listed in ACCOUNT_REAUTHENTICATION_METHODS.
REAUTHENTICATED_BY_GITHUB = "socialaccount"


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
        transaction.on_commit(lambda: enqueue(send_email, kwargs=kwargs))

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's per-IP limits count the same client as ours (trusted proxies only)."""
        return client_ip(request) or super().get_client_ip(request)

    def is_safe_url(self, url: str | None) -> bool:
        """``next`` after log-in, log-out and sign-up: a path of this site, as everywhere else
        (a bare word such as "back" would be followed relative to the log-in page)."""
        return local_path(url, allauth_context.request) is not None

    def get_reauthentication_methods(self, user) -> list[dict]:
        """Accounts linked to GitHub may also confirm it is them by logging in with GitHub
        again: their first choice when they have no password (else a mailed code)."""
        methods = super().get_reauthentication_methods(user)
        if (
            user.is_authenticated
            and "github" in settings.SOCIALACCOUNT_PROVIDERS
            and has_github_account(user)
        ):
            github = {
                "id": "reauthenticate_github",
                "description": "Log in with GitHub again",
                "url": reverse("users:reauthenticate_github"),
            }
            methods = [*methods, github] if user.has_usable_password() else [github, *methods]
        return methods

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

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        """A GitHub log-in started by ``users:reauthenticate_github`` (process "redirect": no
        log-in happens) counts as re-authentication if GitHub vouched for this very account."""
        reauthenticating = sociallogin.state.get("process") == AuthProcess.REDIRECT
        if reauthenticating and request.user.is_authenticated:
            if not sociallogin.is_existing or sociallogin.user.pk != request.user.pk:
                messages.error(request, "That GitHub account is not the one linked to yours.")
                raise ImmediateHttpResponse(redirect(sociallogin.get_redirect_url(request) or "/"))
            record_authentication(
                request,
                request.user,
                method=REAUTHENTICATED_BY_GITHUB,
                provider=sociallogin.account.provider,
                uid=sociallogin.account.uid,
                reauthenticated=True,
            )
        super().pre_social_login(request, sociallogin)

    def populate_user(self, request: HttpRequest, sociallogin, data: dict):
        """Keep the provider's full name as the display name (the handle comes from its login)."""
        user = super().populate_user(request, sociallogin, data)
        name = normalise_display_name(" ".join((data.get("name") or "").split()))[:100]
        if name and not user.display_name and display_name_problem(name) is None:
            user.display_name = name  # else none: the handle is shown, as for a blank name
        return user
