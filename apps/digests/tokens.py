"""The signed, expiring link that confirms a subscription (double opt-in).

The token is ``django.core.signing`` data with its own salt and a timestamp: the subscription's
id and a keyed digest of its address. The digest binds the link to the address it was mailed
to (a row whose address changed, or a new row that reused the id, does not match) without
writing the address itself into a URL that ends up in logs and browser histories.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare, salted_hmac

from apps.digests.models import Subscription

CONFIRM_SALT = "apps.digests.confirm"


def _address_digest(email: str) -> str:
    return salted_hmac(CONFIRM_SALT, email, algorithm="sha256").hexdigest()[:32]


def confirmation_token(subscription: Subscription) -> str:
    return signing.dumps([subscription.pk, _address_digest(subscription.email)], salt=CONFIRM_SALT)


@dataclass(frozen=True)
class ConfirmationClaim:
    """What a valid token says: this subscription, at the address it was mailed to."""

    subscription_id: int
    address_digest: str

    def matches(self, subscription: Subscription) -> bool:
        return subscription.pk == self.subscription_id and constant_time_compare(
            self.address_digest, _address_digest(subscription.email)
        )


def confirmation_token_read(token: str) -> ConfirmationClaim:
    """The token's claim; ValidationError ``expired`` after DIGEST_CONFIRM_MAX_AGE_HOURS, or
    ``tampered`` for anything that is not a token this site signed."""
    max_age = dt.timedelta(hours=settings.DIGEST_CONFIRM_MAX_AGE_HOURS)
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            "This confirmation link has expired. Subscribe again to get a new one.",
            code="expired",
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError(
            "This confirmation link is damaged. Open the link from the email exactly as it is, "
            "or subscribe again.",
            code="tampered",
        ) from exc
    match payload:
        case [int() as subscription_id, str() as address_digest]:
            return ConfirmationClaim(subscription_id, address_digest)
    raise ValidationError("This confirmation link is damaged.", code="tampered")
