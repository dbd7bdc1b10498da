"""Digest writes: freezing a period's digest, and the life of a subscription."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.core.navigation import absolute_url
from apps.core.ratelimit import Rate, RateLimitExceeded, ratelimit_hit
from apps.core.tasks import send_email
from apps.digests import selectors
from apps.digests.models import Digest, Frequency, Subscription
from apps.digests.rendering import manage_url, unsubscribe_url
from apps.digests.schedule import time_zone_names
from apps.digests.tokens import confirmation_token
from apps.papers.periods import Period
from apps.users.models import User
from apps.users.selectors import verified_primary_email

# How many papers a digest's shared "top" part lists.
TOP_PAPERS = {Frequency.DAILY: 10, Frequency.WEEKLY: 15}


def normalise_email(email: str) -> str:
    """Addresses are compared and stored lower-cased and stripped."""
    return email.strip().lower()


def digest_freeze(*, frequency: str, period: Period) -> Digest | None:
    """The period's digest, creating it with the period's top papers by upvotes the first time
    it is asked for; None for a period without papers (nothing is sent for it)."""
    digest = Digest.objects.filter(frequency=frequency, period_start=period.start).first()
    if digest is not None:
        return digest
    paper_ids = selectors.digest_top_paper_ids(period=period, limit=TOP_PAPERS[frequency])
    if not paper_ids:
        return None
    try:
        with transaction.atomic():
            return Digest.objects.create(
                frequency=frequency,
                period_start=period.start,
                period_end=period.end,
                paper_ids=paper_ids,
            )
    except IntegrityError:  # another sender froze it first: use theirs
        return Digest.objects.get(frequency=frequency, period_start=period.start)


def subscription_unsubscribe(*, subscription: Subscription) -> bool:
    """Stop an active or pending subscription; True if it changed. Idempotent."""
    changed = Subscription.objects.filter(
        pk=subscription.pk,
        status__in=[Subscription.Status.ACTIVE, Subscription.Status.PENDING],
    ).update(status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    if changed:
        subscription.refresh_from_db(fields=["status", "unsubscribed_at"])
    return bool(changed)


def subscriptions_bounce(*, emails: Iterable[str]) -> int:
    """Disable the subscriptions of addresses that hard-bounced; returns how many changed."""
    addresses = {normalise_email(email) for email in emails}
    return (
        Subscription.objects.filter(email__in=addresses)
        .exclude(status=Subscription.Status.BOUNCED)
        .update(status=Subscription.Status.BOUNCED, bounced_at=timezone.now())
    )


# --- Subscriptions ------------------------------------------------------------------------

# Subscription requests per client (IP address), counted before the address is looked at, so
# a 429 says nothing about the address.
SUBSCRIBE_RATE = Rate(
    limit=10,
    window=3600,
    message="Too many subscription requests from your network. Wait an hour and try again.",
)
# Confirmations and "already subscribed" notes per address and day, so the form cannot be used
# to flood someone's inbox. Beyond it nothing is mailed and the answer stays the same.
ADDRESS_MAIL_RATE = Rate(limit=3, window=86_400, message="Enough mail to this address today.")

OPTION_ERRORS = {
    "email": "Enter a valid email address, such as name@example.org.",
    "frequency": "Choose a daily or a weekly digest.",
    "delivery_hour": "Choose a delivery time between 00:00 and 23:00.",
    "time_zone": "Choose a time zone from the list, such as Europe/Berlin or UTC.",
}


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"  # a second click on the link: harmless


def subscription_options_check(*, frequency: str, delivery_hour: int, time_zone: str) -> None:
    """ValidationError (per field) unless the options are ones the scheduler can serve."""
    errors = {}
    if frequency not in Frequency.values:
        errors["frequency"] = OPTION_ERRORS["frequency"]
    if type(delivery_hour) is not int or not 0 <= delivery_hour <= 23:
        errors["delivery_hour"] = OPTION_ERRORS["delivery_hour"]
    if time_zone not in time_zone_names():
        errors["time_zone"] = OPTION_ERRORS["time_zone"]
    if errors:
        raise ValidationError(errors)


def _valid_address(email: str) -> str:
    address = normalise_email(email)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError({"email": OPTION_ERRORS["email"]}) from exc
    if len(address) > Subscription._meta.get_field("email").max_length:
        raise ValidationError({"email": OPTION_ERRORS["email"]})
    return address


def _set_options(
    subscription: Subscription, *, frequency: str, delivery_hour: int, time_zone: str
) -> None:
    subscription.frequency = frequency
    subscription.delivery_hour = delivery_hour
    subscription.time_zone = time_zone


def _locked_for_address(address: str) -> Subscription:
    """The address's subscription, locked until the transaction ends; a new pending one if it
    has none (a concurrent request that created it first wins, and its row is used)."""
    subscription = Subscription.objects.select_for_update().filter(email=address).first()
    if subscription is None:
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(email=address)
        except IntegrityError:
            subscription = Subscription.objects.select_for_update().get(email=address)
    return subscription


def _address_may_get_mail(address: str) -> bool:
    """Count one email to ``address`` against ADDRESS_MAIL_RATE; False when it is used up.
    The key is a hash: addresses are not written into cache keys."""
    key = hashlib.sha256(address.encode()).hexdigest()
    try:
        ratelimit_hit(scope="digest-address", key=key, rate=ADDRESS_MAIL_RATE)
    except RateLimitExceeded:
        return False
    return True


def _email(subscription: Subscription, *, subject: str, template: str, **context) -> dict:
    """The keyword arguments of ``send_email`` for a message to the subscription's address,
    from the digests' own sender and mailer."""
    context = {
        "subscription": subscription,
        "home_url": absolute_url(reverse("digests:home")),
        "manage_url": manage_url(subscription),
        **context,
    }
    return {
        "subject": subject,
        "body": render_to_string(f"digests/email/{template}.txt", context),
        "html_body": render_to_string(f"digests/email/{template}.html", context),
        "to": [subscription.email],
        "from_email": settings.DIGEST_FROM_EMAIL,
        "mailer": "digests",
    }


def subscription_confirmation_email(subscription: Subscription) -> dict:
    """The confirmation request (the only email an unconfirmed address ever gets)."""
    url = absolute_url(reverse("digests:confirm", args=[confirmation_token(subscription)]))
    return _email(
        subscription,
        subject="Confirm your Paperboard digest subscription",
        template="confirm",
        confirm_url=url,
        max_age_hours=settings.DIGEST_CONFIRM_MAX_AGE_HOURS,
    )


def subscription_already_email(subscription: Subscription) -> dict:
    """To an active subscriber whose address was entered in the form again: their settings
    stay, and they learn how to change them or leave."""
    return _email(
        subscription,
        subject="You already get the Paperboard digest",
        template="already_subscribed",
        unsubscribe_url=unsubscribe_url(subscription),
    )


def _mail_on_commit(email: dict) -> None:
    transaction.on_commit(partial(send_email.delay, **email))


def subscription_request(
    *, email: str, frequency: str, delivery_hour: int, time_zone: str, client_key: str
) -> None:
    """Someone asks for the digest at ``email``: double opt-in.

    The caller learns nothing about the address: every case returns None and the view
    answers "check your inbox".
    - new, pending or unsubscribed: pending with these options; a confirmation link is mailed
      (signed, expiring; see apps.digests.tokens);
    - active: its settings stay as they are (anyone can type an address); its owner gets a
      note with the manage link instead;
    - bounced: stays bounced; nothing is mailed.
    Mail is limited per address (ADDRESS_MAIL_RATE) and leaves from a worker after commit.
    Every branch does the same work (one row locked and saved, the address counted, a message
    rendered) so none answers noticeably faster; the only difference is whether the rendered
    message is queued (one Redis push).
    RateLimitExceeded past SUBSCRIBE_RATE for ``client_key`` (the client's IP address).
    """
    ratelimit_hit(scope="digest-subscribe", key=client_key, rate=SUBSCRIBE_RATE)
    address = _valid_address(email)
    subscription_options_check(
        frequency=frequency, delivery_hour=delivery_hour, time_zone=time_zone
    )
    with transaction.atomic():
        subscription = _locked_for_address(address)
        may_mail = _address_may_get_mail(address)
        bounced = subscription.status == Subscription.Status.BOUNCED
        confirming = not (bounced or subscription.is_active)
        if confirming:
            subscription.status = Subscription.Status.PENDING
            _set_options(
                subscription, frequency=frequency, delivery_hour=delivery_hour, time_zone=time_zone
            )
            if may_mail:
                subscription.confirmation_sent_at = timezone.now()
        subscription.save()
        if subscription.is_active:
            message = subscription_already_email(subscription)
        else:
            message = subscription_confirmation_email(subscription)
        if may_mail and not bounced:
            _mail_on_commit(message)


def subscription_confirm(*, token: str) -> tuple[Subscription, ConfirmOutcome]:
    """Activate the pending subscription a confirmation link was mailed for.

    ValidationError ``tampered`` or ``expired`` for a bad link, ``stale`` when the
    subscription is gone, has another address, or was unsubscribed or disabled since (the
    link must not undo that); an already active one is ``ALREADY`` (a second click).
    """
    subscription = selectors.subscription_for_confirmation(token=token)
    activated = Subscription.objects.filter(
        pk=subscription.pk, email=subscription.email, status=Subscription.Status.PENDING
    ).update(status=Subscription.Status.ACTIVE, confirmed_at=timezone.now())
    subscription.refresh_from_db()
    if activated:
        return subscription, ConfirmOutcome.CONFIRMED
    if subscription.is_active:
        return subscription, ConfirmOutcome.ALREADY
    raise ValidationError(
        "This confirmation link is no longer valid. Subscribe again to get a new one.",
        code="stale",
    )


def _bounced_refusal() -> ValidationError:
    return ValidationError(
        "Mail to this address bounced, so digests to it are switched off. Use another "
        "address, or ask us to switch them on again once the mailbox works.",
        code="bounced",
    )


def subscription_for_user_subscribe(
    *, user: User, frequency: str, delivery_hour: int, time_zone: str
) -> Subscription:
    """Subscribe an account in one click: active at once, at its verified primary address
    (verifying it was the opt-in). A subscription of that address made without logging in is
    the same person's: it is attached to the account. PermissionDenied without a verified
    primary address; ValidationError for bad options or an address that bounced."""
    subscription_options_check(
        frequency=frequency, delivery_hour=delivery_hour, time_zone=time_zone
    )
    email = verified_primary_email(user=user)
    if email is None:
        raise PermissionDenied(
            "Verify your email address first: the digest goes to your verified primary address."
        )
    address = normalise_email(email)
    with transaction.atomic():
        own = Subscription.objects.select_for_update().filter(user=user).first()
        if own is None:
            subscription = _locked_for_address(address)
        elif own.email == address:
            subscription = own
        else:
            # The account's address changed since it subscribed: its subscription (and its
            # delivery history) moves to the new one, replacing any made there separately.
            other = Subscription.objects.select_for_update().filter(email=address).first()
            if other is not None:
                if other.status == Subscription.Status.BOUNCED:
                    raise _bounced_refusal()
                other.delete()
            own.email = address
            if own.status == Subscription.Status.BOUNCED:  # the old address bounced
                own.status = Subscription.Status.UNSUBSCRIBED
            subscription = own
        if subscription.status == Subscription.Status.BOUNCED:
            raise _bounced_refusal()
        subscription.user = user
        _set_options(
            subscription, frequency=frequency, delivery_hour=delivery_hour, time_zone=time_zone
        )
        if not subscription.is_active:
            subscription.status = Subscription.Status.ACTIVE
            subscription.confirmed_at = timezone.now()
        subscription.save()
    return subscription


def subscription_update(
    *, subscription: Subscription, frequency: str, delivery_hour: int, time_zone: str
) -> Subscription:
    """Change how often and when the digest comes; the status stays as it is."""
    subscription_options_check(
        frequency=frequency, delivery_hour=delivery_hour, time_zone=time_zone
    )
    _set_options(
        subscription, frequency=frequency, delivery_hour=delivery_hour, time_zone=time_zone
    )
    subscription.save(update_fields=["frequency", "delivery_hour", "time_zone"])
    return subscription


def subscription_resubscribe(
    *,
    subscription: Subscription,
    frequency: str | None = None,
    delivery_hour: int | None = None,
    time_zone: str | None = None,
) -> Subscription:
    """Switch an unsubscribed subscription back on from its manage link (optionally with new
    options). Only one that was confirmed once: the link proves the mailbox, the earlier
    confirmation the consent. A bounced one stays off (ValidationError)."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.status == Subscription.Status.BOUNCED:
            raise _bounced_refusal()
        if locked.confirmed_at is None:
            raise ValidationError(
                "This address was never confirmed. Subscribe again and open the link we email.",
                code="unconfirmed",
            )
        if frequency is not None and delivery_hour is not None and time_zone is not None:
            subscription_options_check(
                frequency=frequency, delivery_hour=delivery_hour, time_zone=time_zone
            )
            _set_options(
                locked, frequency=frequency, delivery_hour=delivery_hour, time_zone=time_zone
            )
        locked.status = Subscription.Status.ACTIVE
        locked.save()
    return locked


def subscriptions_expire_unconfirmed(*, now: dt.datetime | None = None) -> int:
    """End pending subscriptions whose last confirmation request is older than
    DIGEST_UNCONFIRMED_EXPIRE_DAYS; returns how many.

    Never-confirmed ones are deleted. One that was confirmed once (an unsubscribed address
    asked again and did not confirm) goes back to unsubscribed: deleting it would lose its
    delivery history, and the earlier "for you" exclusions with it.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DIGEST_UNCONFIRMED_EXPIRE_DAYS)
    expired = Subscription.objects.alias(
        asked_at=Coalesce("confirmation_sent_at", "created_at")
    ).filter(status=Subscription.Status.PENDING, asked_at__lt=cutoff)
    reverted = expired.filter(confirmed_at__isnull=False).update(
        status=Subscription.Status.UNSUBSCRIBED
    )
    _, deleted = expired.filter(confirmed_at__isnull=True).delete()
    return reverted + deleted.get(Subscription._meta.label, 0)
