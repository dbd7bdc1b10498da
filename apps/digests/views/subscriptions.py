"""Subscribing (the /digest page and the box on the daily pages), confirming, unsubscribing and
managing a subscription through the links in its emails.

The token pages (confirm, unsubscribe, manage) need no account: the link is the credential.
They show the address masked only, and no page shows anyone's address in full.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.client_ip import client_ip
from apps.core.htmx import vary_on_htmx
from apps.core.navigation import login_redirect
from apps.core.ratelimit import RateLimitExceeded
from apps.core.refusals import refusal_message, refusal_status
from apps.digests import selectors, services
from apps.digests.forms import PreferencesForm, SubscribeForm
from apps.digests.models import Subscription
from apps.users.selectors import verified_primary_email

HOME = "digests/home.html"
BOX = "digests/partials/subscribe_box.html"
CHECK_INBOX = "digests/check_inbox.html"
CONFIRM = "digests/confirm.html"
UNSUBSCRIBE = "digests/unsubscribe.html"
MANAGE = "digests/manage.html"
BAD_LINK = "digests/bad_link.html"

# The body an RFC 8058 one-click POST carries (a mail provider's unsubscribe button).
ONE_CLICK = ("List-Unsubscribe", "One-Click")


def _options(subscription: Subscription | None) -> dict:
    if subscription is None:
        return {}
    return {
        "frequency": subscription.frequency,
        "delivery_hour": subscription.delivery_hour,
        "time_zone": subscription.time_zone,
    }


def _form_errors(form: PreferencesForm) -> str:
    return " ".join(dict.fromkeys(error for errors in form.errors.values() for error in errors))


def _home(
    request: HttpRequest,
    *,
    form: SubscribeForm | None = None,
    preferences: PreferencesForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The /digest page: the subscribe form for visitors; for an account its subscription, its
    settings and one-click subscribe or unsubscribe."""
    context: dict = {"error": error}
    if request.user.is_authenticated:
        subscription = selectors.subscription_for_user(user=request.user)
        context.update(
            subscription=subscription,
            can_one_click=verified_primary_email(user=request.user) is not None,
            preferences=preferences or PreferencesForm(initial=_options(subscription)),
        )
    else:
        context["form"] = form or SubscribeForm(initial=_prefill(request))
    return render(request, HOME, context, status=status)


def _prefill(request: HttpRequest) -> dict:
    """The address typed in the box on a daily page without JS (the box GETs /digest?email=):
    shown in the form if it is one, never stored."""
    email = request.GET.get("email", "").strip()
    try:
        return {"email": SubscribeForm.base_fields["email"].clean(email)} if email else {}
    except ValidationError:
        return {}


@require_GET
def digest_home(request: HttpRequest) -> HttpResponse:
    return _home(request)


@vary_on_htmx
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """Ask for the digest at an address (double opt-in), from the box (htmx: the box is
    replaced) or the /digest page. Whatever the address's state, the answer is the same."""
    form = SubscribeForm(request.POST)
    exc: ValidationError | RateLimitExceeded | None = None
    if form.is_valid():
        try:
            services.subscription_request(**form.cleaned_data, client_key=client_ip(request))
        except ValidationError as error:  # the service's own checks, as the form's
            form.add_error(None, error)
            exc = error
        except RateLimitExceeded as error:
            exc = error
        else:
            if request.htmx:
                return render(request, BOX, {"sent": True})
            return render(request, CHECK_INBOX)
    status = refusal_status(exc, htmx=bool(request.htmx))
    refusal = refusal_message(exc) if isinstance(exc, RateLimitExceeded) else ""
    if request.htmx:  # the box has one line for every message
        context = {"form": form, "box_error": refusal or _form_errors(form)}
        return render(request, BOX, context, status=status)
    return _home(request, form=form, error=refusal, status=status)  # the form shows its errors


@vary_on_htmx
@require_POST
def account_settings(request: HttpRequest) -> HttpResponse:
    """An account's own subscription: ``action`` subscribe (one click, at the verified
    address), save (frequency, hour, zone) or unsubscribe. From the box (htmx) or /digest."""
    if not request.user.is_authenticated:
        return login_redirect(request, reverse("digests:home"))
    action = request.POST.get("action")
    subscription = selectors.subscription_for_user(user=request.user)
    if action == "unsubscribe":
        if subscription is not None:
            services.subscription_unsubscribe(subscription=subscription)
        return _settings_done(request, "You are unsubscribed: no more digests will come.")
    form = PreferencesForm(request.POST)
    exc: ValidationError | PermissionDenied | None = None
    if action not in ("subscribe", "save"):
        exc = ValidationError("Choose subscribe, save or unsubscribe.")
    elif form.is_valid():
        try:
            if action == "subscribe":
                services.subscription_for_user_subscribe(user=request.user, **form.cleaned_data)
                return _settings_done(
                    request, "Subscribed: digests go to your account's email address."
                )
            if subscription is None:
                raise ValidationError("You have no subscription yet: subscribe first.")
            services.subscription_update(subscription=subscription, **form.cleaned_data)
            return _settings_done(request, "Your digest settings are saved.")
        except (ValidationError, PermissionDenied) as error:
            exc = error
    status = refusal_status(exc, htmx=bool(request.htmx))
    message = refusal_message(exc) if exc else _form_errors(form)
    needs_verification = isinstance(exc, PermissionDenied)
    if request.htmx:
        context = {"box_error": message, "needs_verification": needs_verification}
        return render(request, BOX, context, status=status)
    return _home(request, preferences=form, error=message, status=status)


def _settings_done(request: HttpRequest, message: str) -> HttpResponse:
    if request.htmx:
        return render(request, BOX)  # re-reads the subscription: subscribed, or the button
    messages.success(request, message)
    return redirect("digests:home")


def _bad_link(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    context = {
        "heading": "This link has expired" if exc.code == "expired" else "This link does not work",
        "message": refusal_message(exc),
        "subscribe_again": True,
    }
    return render(request, BAD_LINK, context, status=400)


def _unknown_link(request: HttpRequest) -> HttpResponse:
    context = {
        "heading": "This link does not work",
        "message": "It is not a link from one of our digests, or its subscription no longer "
        "exists. Check that the whole link was opened.",
        "subscribe_again": True,
    }
    return render(request, BAD_LINK, context, status=404)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation email opens a page with a "Confirm subscription" button;
    only its POST confirms. Mail scanners and link previewers fetch the links in incoming mail
    with GET, so a GET that confirmed would confirm addresses whose owners never saw the
    email, which defeats the double opt-in."""
    try:
        if request.method == "POST":
            subscription, outcome = services.subscription_confirm(token=token)
        else:
            subscription = selectors.subscription_for_confirmation(token=token)
            outcome = services.ConfirmOutcome.ALREADY if subscription.is_active else None
    except ValidationError as exc:
        return _bad_link(request, exc)
    context = {"subscription": subscription, "outcome": outcome, "token": token}
    return render(request, CONFIRM, context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The unsubscribe link of every digest (List-Unsubscribe, and the body's link).

    GET shows a page with one button (it changes nothing: link scanners GET it); its POST
    unsubscribes. A mail provider's RFC 8058 one-click POST (``List-Unsubscribe=One-Click``)
    carries no cookie and no CSRF token, so the view is CSRF-exempt (the secret token in the
    URL is the credential) and answers it with a bare text response that sets no cookie. Every
    POST is idempotent: the first unsubscribes, the next ones say it is done.
    """
    one_click = request.method == "POST" and request.POST.get(ONE_CLICK[0]) == ONE_CLICK[1]
    subscription = selectors.subscription_by_token(token=token)
    if subscription is None:
        if one_click:
            return HttpResponseNotFound("Unknown unsubscribe link.\n", content_type="text/plain")
        return _unknown_link(request)
    if request.method == "GET":
        return render(request, UNSUBSCRIBE, {"subscription": subscription})
    changed = services.subscription_unsubscribe(subscription=subscription)
    if one_click:
        body = "Unsubscribed.\n" if changed else "Already unsubscribed.\n"
        return HttpResponse(body, content_type="text/plain; charset=utf-8")
    return render(request, UNSUBSCRIBE, {"subscription": subscription, "changed": changed})


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """A subscription's settings through its link: frequency, hour and zone (``save``),
    ``resubscribe`` (optionally with new settings) and ``unsubscribe``."""
    subscription = selectors.subscription_by_token(token=token)
    if subscription is None:
        return _unknown_link(request)
    form = PreferencesForm(initial=_options(subscription))
    error, status = "", 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "unsubscribe":
            services.subscription_unsubscribe(subscription=subscription)
            messages.success(request, "You are unsubscribed: no more digests will come.")
            return redirect("digests:manage", token=token)
        form = PreferencesForm(request.POST)
        if action not in ("save", "resubscribe"):
            error, status = "Choose save, resubscribe or unsubscribe.", 400
        elif not form.is_valid():
            error, status = _form_errors(form), 400
        else:
            try:
                if action == "save":
                    services.subscription_update(subscription=subscription, **form.cleaned_data)
                    done = "Your digest settings are saved."
                else:
                    services.subscription_resubscribe(
                        subscription=subscription, **form.cleaned_data
                    )
                    done = "Welcome back: you are subscribed again."
            except ValidationError as exc:
                error, status = refusal_message(exc), 400
            else:
                messages.success(request, done)
                return redirect("digests:manage", token=token)
    context = {"subscription": subscription, "form": form, "error": error}
    return render(request, MANAGE, context, status=status)
