"""Leaving and managing a subscription through the links in its emails: the unsubscribe page,
the RFC 8058 one-click POST (no cookie, no CSRF token), resubscribing and changing settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from apps.digests.models import Subscription

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"


def make_subscription(status: str = "active", **fields) -> Subscription:
    fields.setdefault("email", "reader@example.org")
    if status != "pending":
        fields.setdefault("confirmed_at", timezone.now() - dt.timedelta(days=30))
    return Subscription.objects.create(status=status, **fields)


@pytest.fixture
def subscription():
    return make_subscription()


def url(name: str, subscription: Subscription) -> str:
    return f"/digest/{name}/{subscription.token}"


def status_of(subscription: Subscription) -> str:
    subscription.refresh_from_db()
    return subscription.status


# --- The unsubscribe link ----------------------------------------------------------------


def test_opening_the_link_changes_nothing_and_shows_the_list_and_masked_address(
    client, subscription
):
    response = client.get(url("unsubscribe", subscription))

    assert response.status_code == 200
    html = response.text
    assert "Unsubscribe from the Paperboard daily digest" in html
    assert "r•••@example.org" in html
    assert "reader@example.org" not in html
    assert f'<form method="post" action="{url("unsubscribe", subscription)}">' in html
    assert '<button class="button button-danger" type="submit">Unsubscribe</button>' in html
    assert f'href="{url("manage", subscription)}"' in html  # weekly, another hour
    assert status_of(subscription) == "active"


def test_the_button_unsubscribes_and_offers_to_come_back_or_switch_to_weekly(client, subscription):
    response = client.post(url("unsubscribe", subscription))

    assert response.status_code == 200
    assert "You're unsubscribed" in response.text
    assert status_of(subscription) == "unsubscribed"
    assert subscription.unsubscribed_at is not None
    html = response.text
    assert html.count(f'action="{url("manage", subscription)}"') == 2
    assert 'value="resubscribe">Resubscribe</button>' in html
    assert 'value="resubscribe">Get the weekly digest instead</button>' in html
    assert "csrfmiddlewaretoken" in html  # those forms post with CSRF

    again = client.post(url("unsubscribe", subscription))
    assert again.status_code == 200
    assert "already unsubscribed" in again.text


def test_one_click_post_needs_no_cookie_no_csrf_token_and_sets_no_cookie(subscription):
    mail_provider = Client(enforce_csrf_checks=True)

    response = mail_provider.post(url("unsubscribe", subscription), ONE_CLICK, content_type=FORM)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"Unsubscribed.\n"
    assert not response.cookies
    assert not mail_provider.cookies
    assert response.wsgi_request.COOKIES == {}  # the request carried none
    assert status_of(subscription) == "unsubscribed"


def test_one_click_is_idempotent(subscription):
    mail_provider = Client(enforce_csrf_checks=True)
    mail_provider.post(url("unsubscribe", subscription), ONE_CLICK, content_type=FORM)
    unsubscribed_at = Subscription.objects.get().unsubscribed_at

    for _ in range(2):
        again = mail_provider.post(url("unsubscribe", subscription), ONE_CLICK, content_type=FORM)
        assert again.status_code == 200
        assert again.content == b"Already unsubscribed.\n"
        assert not again.cookies
    assert Subscription.objects.get().unsubscribed_at == unsubscribed_at


def test_one_click_also_stops_a_pending_subscription():
    pending = make_subscription("pending")

    Client(enforce_csrf_checks=True).post(url("unsubscribe", pending), ONE_CLICK, content_type=FORM)

    assert status_of(pending) == "unsubscribed"


def test_one_click_as_multipart_form_data_works_too(subscription):
    response = Client(enforce_csrf_checks=True).post(
        url("unsubscribe", subscription), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert status_of(subscription) == "unsubscribed"


def test_a_bounced_address_stays_bounced_when_unsubscribed():
    bounced = make_subscription("bounced")

    response = Client(enforce_csrf_checks=True).post(
        url("unsubscribe", bounced), ONE_CLICK, content_type=FORM
    )

    assert response.status_code == 200
    assert status_of(bounced) == "bounced"
    page = Client().get(url("unsubscribe", bounced))
    assert "You're unsubscribed" in page.text
    assert "Resubscribe" not in page.text


@pytest.mark.parametrize("token", ["nope", "x" * 43, "%20", "%00", "a%00b", "x" * 500])
def test_an_unknown_token_is_a_404(client, subscription, token):
    one_click = Client(enforce_csrf_checks=True).post(
        f"/digest/unsubscribe/{token}", ONE_CLICK, content_type=FORM
    )
    assert one_click.status_code == 404
    assert not one_click.cookies
    for response in (
        client.get(f"/digest/unsubscribe/{token}"),
        client.post(f"/digest/unsubscribe/{token}"),
        client.get(f"/digest/manage/{token}"),
        client.post(f"/digest/manage/{token}", {"action": "unsubscribe"}),
    ):
        assert response.status_code == 404
        assert "This link does not work" in response.text
    assert status_of(subscription) == "active"


def test_other_methods_are_refused(client, subscription):
    assert client.put(url("unsubscribe", subscription)).status_code == 405
    assert client.delete(url("manage", subscription)).status_code == 405
    assert status_of(subscription) == "active"


# --- The manage page ---------------------------------------------------------------------


def test_the_manage_page_shows_the_settings_and_the_masked_address_only(client, subscription):
    response = client.get(url("manage", subscription))

    assert response.status_code == 200
    assert "r•••@example.org" in response.text
    assert "reader@example.org" not in response.text
    assert '<option value="8" selected>08:00</option>' in response.text
    assert 'name="robots" content="noindex"' in response.text


def test_changing_frequency_and_time_from_the_manage_page(client, subscription):
    response = client.post(
        url("manage", subscription),
        {
            "action": "save",
            "frequency": "weekly",
            "delivery_hour": "7",
            "time_zone": "America/New_York",
        },
        follow=True,
    )

    assert "Your digest settings are saved." in response.text
    subscription.refresh_from_db()
    assert (subscription.frequency, subscription.delivery_hour, subscription.time_zone) == (
        "weekly",
        7,
        "America/New_York",
    )
    assert subscription.status == "active"


def test_resubscribe_and_switch_to_weekly_from_the_unsubscribed_page(client, subscription):
    page = client.post(url("unsubscribe", subscription))
    assert "Get the weekly digest instead" in page.text

    response = client.post(
        url("manage", subscription),
        {"action": "resubscribe", "frequency": "weekly", "delivery_hour": "8", "time_zone": "UTC"},
        follow=True,
    )

    assert "you are subscribed again" in response.text
    subscription.refresh_from_db()
    assert (subscription.status, subscription.frequency) == ("active", "weekly")


def test_a_bounced_subscription_cannot_be_resubscribed_by_its_link(client):
    bounced = make_subscription("bounced")

    response = client.post(
        url("manage", bounced),
        {"action": "resubscribe", "frequency": "daily", "delivery_hour": "8", "time_zone": "UTC"},
    )

    assert response.status_code == 400
    assert "bounced" in response.text
    assert status_of(bounced) == "bounced"


def test_a_never_confirmed_subscription_cannot_be_switched_on_by_its_link(client):
    pending = make_subscription("pending")
    client.post(url("manage", pending), {"action": "unsubscribe"})

    response = client.post(
        url("manage", pending),
        {"action": "resubscribe", "frequency": "daily", "delivery_hour": "8", "time_zone": "UTC"},
    )

    assert response.status_code == 400
    assert "never confirmed" in response.text
    assert status_of(pending) == "unsubscribed"


def test_unsubscribing_from_the_manage_page(client, subscription):
    response = client.post(url("manage", subscription), {"action": "unsubscribe"}, follow=True)

    assert "You are unsubscribed" in response.text
    assert status_of(subscription) == "unsubscribed"
    assert "Save and resubscribe" in response.text


@pytest.mark.parametrize(
    "data",
    [
        {"action": "save", "frequency": "daily", "delivery_hour": "25", "time_zone": "UTC"},
        {"action": "save", "frequency": "daily", "delivery_hour": "8", "time_zone": "Nowhere"},
        {"action": "save", "frequency": "yearly", "delivery_hour": "8", "time_zone": "UTC"},
        {"action": "explode", "frequency": "daily", "delivery_hour": "8", "time_zone": "UTC"},
        {},
    ],
)
def test_bad_input_on_the_manage_page_is_a_400_and_changes_nothing(client, subscription, data):
    response = client.post(url("manage", subscription), data)

    assert response.status_code == 400
    assert 'class="form-errors" role="alert"' in response.text
    subscription.refresh_from_db()
    assert (subscription.status, subscription.frequency, subscription.delivery_hour) == (
        "active",
        "daily",
        8,
    )


def test_the_manage_page_needs_a_csrf_token(subscription):
    response = Client(enforce_csrf_checks=True).post(
        url("manage", subscription), {"action": "unsubscribe"}
    )

    assert response.status_code == 403
    assert status_of(subscription) == "active"
