"""Subscribing: double opt-in, signed expiring links, enumeration resistance, rate limits, the
one-click subscription of accounts, settings, and the box on the daily pages."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.tasks import send_email
from apps.digests import services
from apps.digests.models import Subscription
from apps.digests.tokens import confirmation_token
from tests.factories import make_entry, make_user, verify_for_log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = dt.date(2024, 10, 14)
OPTIONS = {"frequency": "daily", "delivery_hour": "8", "time_zone": "Europe/Berlin"}


@pytest.fixture(autouse=True)
def _celery_eager(celery_eager):
    """Confirmations are queued on commit to Celery: here they run in-process."""


def subscribe(client, capture, email, *, ip="203.0.113.7", extra=None, **fields):
    data = {"email": email, **OPTIONS, **fields}
    with capture(execute=True):
        return client.post("/digest/subscribe", data, REMOTE_ADDR=ip, **(extra or {}))


def confirm_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/digest/confirm/[^\s\"<>]+)", message.body)
    assert match, message.body
    return match.group(1)


def without_csrf(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"x-csrftoken": "[^"]+"', "", html)


def make_subscription(email: str, status: str, **fields) -> Subscription:
    if status in ("active", "unsubscribed", "bounced"):
        fields.setdefault("confirmed_at", timezone.now() - dt.timedelta(days=30))
    return Subscription.objects.create(email=email, status=status, **fields)


# --- Double opt-in -----------------------------------------------------------------------


def test_nothing_but_the_confirmation_is_sent_before_the_link_is_confirmed(
    client, mailoutbox, django_capture_on_commit_callbacks, settings
):
    response = subscribe(client, django_capture_on_commit_callbacks, "Reader@Example.org ")

    assert response.status_code == 200
    assert "Check your inbox" in response.text
    subscription = Subscription.objects.get()
    assert subscription.email == "reader@example.org"
    assert (subscription.status, subscription.frequency) == ("pending", "daily")
    assert (subscription.delivery_hour, subscription.time_zone) == (8, "Europe/Berlin")
    assert subscription.confirmation_sent_at is not None
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["reader@example.org"]
    assert message.from_email == settings.DIGEST_FROM_EMAIL
    assert "Confirm" in message.subject
    assert message.alternatives
    assert confirm_path(message) in message.alternatives[0][0]

    # Opening the link (as a mail scanner would) only shows the button.
    page = client.get(confirm_path(message))
    assert page.status_code == 200
    assert "Confirm subscription" in page.text
    assert "r•••@example.org" in page.text
    assert "reader@example.org" not in page.text
    subscription.refresh_from_db()
    assert subscription.status == "pending"

    done = client.post(confirm_path(message))
    assert done.status_code == 200
    assert "You're subscribed" in done.text
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert subscription.confirmed_at is not None
    assert len(mailoutbox) == 1


def test_a_second_click_on_the_confirmation_is_harmless(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    subscribe(client, django_capture_on_commit_callbacks, "reader@example.org")
    path = confirm_path(mailoutbox[0])
    client.post(path)
    confirmed_at = Subscription.objects.get().confirmed_at

    again = client.post(path)

    assert again.status_code == 200
    assert "already confirmed" in again.text
    assert Subscription.objects.get().confirmed_at == confirmed_at
    assert "already confirmed" in client.get(path).text


def test_confirmation_email_comes_from_the_digest_sender_through_the_digest_mailer(settings):
    subscription = make_subscription("reader@example.org", "pending")

    email = services.subscription_confirmation_email(subscription)

    assert (email["from_email"], email["mailer"]) == (settings.DIGEST_FROM_EMAIL, "digests")
    assert email["to"] == ["reader@example.org"]


def test_send_email_task_keeps_its_defaults_and_takes_a_sender_and_mailer(mailoutbox, settings):
    send_email.run(subject="Hi", body="Account mail", to=["a@example.org"])
    send_email.run(
        subject="Hi", body="Digest", to=["b@example.org"], from_email="d@x.org", mailer="digests"
    )

    assert [m.from_email for m in mailoutbox] == [settings.DEFAULT_FROM_EMAIL, "d@x.org"]


def test_an_expired_confirmation_link_is_refused_and_says_to_subscribe_again(
    client, monkeypatch, settings
):
    subscription = make_subscription("reader@example.org", "pending")
    hours = settings.DIGEST_CONFIRM_MAX_AGE_HOURS
    signed_at = time.time() - (hours + 1) * 3600
    monkeypatch.setattr(signing.time, "time", lambda: signed_at)
    token = confirmation_token(subscription)
    monkeypatch.undo()

    for response in (
        client.get(f"/digest/confirm/{token}"),
        client.post(f"/digest/confirm/{token}"),
    ):
        assert response.status_code == 400
        assert "expired" in response.text
        assert 'href="/digest"' in response.text
    subscription.refresh_from_db()
    assert subscription.status == "pending"


def test_a_link_signed_just_within_the_limit_still_works(client, monkeypatch, settings):
    subscription = make_subscription("reader@example.org", "pending")
    signed_at = time.time() - (settings.DIGEST_CONFIRM_MAX_AGE_HOURS - 1) * 3600
    monkeypatch.setattr(signing.time, "time", lambda: signed_at)
    token = confirmation_token(subscription)
    monkeypatch.undo()

    assert client.post(f"/digest/confirm/{token}").status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == "active"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: ("W" if token[0] != "W" else "X") + token[1:],  # the payload
        lambda token: "not-a-token",
        lambda token: token.split(":")[0],
        lambda token: "é" * 40,
    ],
)
def test_a_tampered_confirmation_link_is_a_400_and_changes_nothing(client, tamper):
    subscription = make_subscription("reader@example.org", "pending")
    token = tamper(confirmation_token(subscription))

    for response in (
        client.get(f"/digest/confirm/{token}"),
        client.post(f"/digest/confirm/{token}"),
    ):
        assert response.status_code == 400
        assert "damaged" in response.text
    subscription.refresh_from_db()
    assert subscription.status == "pending"


def test_a_link_for_another_address_or_a_gone_subscription_no_longer_works(client):
    subscription = make_subscription("reader@example.org", "pending")
    token = confirmation_token(subscription)
    Subscription.objects.filter(pk=subscription.pk).update(email="other@example.org")

    assert client.post(f"/digest/confirm/{token}").status_code == 400
    assert Subscription.objects.get().status == "pending"

    Subscription.objects.all().delete()
    response = client.post(f"/digest/confirm/{token}")
    assert response.status_code == 400
    assert "no longer valid" in response.text


def test_a_confirmation_link_does_not_undo_a_later_unsubscribe(client):
    subscription = make_subscription("reader@example.org", "pending")
    token = confirmation_token(subscription)
    services.subscription_unsubscribe(subscription=subscription)

    assert client.post(f"/digest/confirm/{token}").status_code == 400
    assert Subscription.objects.get().status == "unsubscribed"


def test_the_confirmation_link_carries_no_readable_address():
    subscription = make_subscription("reader@example.org", "pending")
    token = confirmation_token(subscription)
    payload = signing.b64_decode(token.split(":")[0].encode()).decode()

    assert "reader" not in payload
    assert "example" not in payload


# --- Enumeration resistance --------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_answer_is_the_same_whatever_the_state_of_the_address(
    client, mailoutbox, django_capture_on_commit_callbacks, htmx
):
    make_subscription("pending@example.org", "pending", frequency="weekly")
    make_subscription("active@example.org", "active", frequency="weekly", delivery_hour=18)
    make_subscription("gone@example.org", "unsubscribed")
    make_subscription("bounced@example.org", "bounced")
    extra = HTMX if htmx else {}

    answers, mails = {}, {}
    for state in ("new", "pending", "active", "gone", "bounced"):
        before = len(mailoutbox)
        response = subscribe(
            client, django_capture_on_commit_callbacks, f"{state}@example.org", extra=extra
        )
        answers[state] = (response.status_code, without_csrf(response.text))
        mails[state] = [m.subject for m in mailoutbox[before:]]

    assert len(set(answers.values())) == 1, answers
    assert answers["new"][0] == 200
    confirm = "Confirm your Paperboard digest subscription"
    assert mails == {
        "new": [confirm],
        "pending": [confirm],
        "active": ["You already get the Paperboard digest"],
        "gone": [confirm],
        "bounced": [],
    }
    states = dict(Subscription.objects.values_list("email", "status"))
    assert states == {
        "new@example.org": "pending",
        "pending@example.org": "pending",
        "active@example.org": "active",
        "gone@example.org": "pending",
        "bounced@example.org": "bounced",
    }
    # Anyone may type an address: an active subscription's settings stay as they were.
    active = Subscription.objects.get(email="active@example.org")
    assert (active.frequency, active.delivery_hour) == ("weekly", 18)
    # A pending one takes the new options.
    assert Subscription.objects.get(email="pending@example.org").frequency == "daily"


def test_the_already_subscribed_note_links_to_the_settings_and_changes_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = make_subscription("reader@example.org", "active")

    subscribe(client, django_capture_on_commit_callbacks, "reader@example.org", frequency="weekly")

    body = mailoutbox[0].body
    assert f"/digest/manage/{subscription.token}" in body
    assert f"/digest/unsubscribe/{subscription.token}" in body
    assert "/digest/confirm/" not in body
    subscription.refresh_from_db()
    assert (subscription.status, subscription.frequency) == ("active", "daily")


# --- Rate limits -------------------------------------------------------------------------


def test_one_client_is_limited_per_hour(client, mailoutbox, django_capture_on_commit_callbacks):
    for i in range(services.SUBSCRIBE_RATE.limit):
        assert (
            subscribe(client, django_capture_on_commit_callbacks, f"r{i}@example.org").status_code
            == 200
        )

    page = subscribe(client, django_capture_on_commit_callbacks, "late@example.org")
    box = subscribe(client, django_capture_on_commit_callbacks, "late@example.org", extra=HTMX)

    for response in (page, box):
        assert response.status_code == 429
        assert "Too many subscription requests" in response.text
    assert not Subscription.objects.filter(email="late@example.org").exists()
    assert len(mailoutbox) == services.SUBSCRIBE_RATE.limit
    # Another client is not affected.
    other = subscribe(
        client, django_capture_on_commit_callbacks, "late@example.org", ip="198.51.100.1"
    )
    assert other.status_code == 200


def test_one_address_gets_at_most_three_mails_a_day_and_the_answer_does_not_change(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    answers = set()
    for i in range(6):  # from different clients, so the client limit is not what stops them
        response = subscribe(
            client, django_capture_on_commit_callbacks, "victim@example.org", ip=f"198.51.100.{i}"
        )
        answers.add((response.status_code, without_csrf(response.text)))

    assert len(answers) == 1
    assert len(mailoutbox) == services.ADDRESS_MAIL_RATE.limit == 3
    assert Subscription.objects.get().status == "pending"


# --- Accounts ----------------------------------------------------------------------------


def test_a_verified_account_subscribes_in_one_click_without_a_confirmation(client, mailoutbox):
    user = verify_for_log_in(make_user("ada"))
    client.force_login(user)

    response = client.post("/digest/settings", {"action": "subscribe", **OPTIONS})

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.user, subscription.email, subscription.status) == (
        user,
        "ada@example.org",
        "active",
    )
    assert subscription.confirmed_at is not None
    assert mailoutbox == []
    page = client.get("/digest")
    assert "You get the daily digest at 08:00 (Europe/Berlin)" in page.text
    assert "ada@example.org" not in page.text


def test_the_box_subscribes_an_account_in_place(client):
    make_entry(day=DAY)
    client.force_login(verify_for_log_in(make_user("ada")))
    assert "Email me the daily digest" in client.get(f"/papers/date/{DAY}").text

    response = client.post("/digest/settings", {"action": "subscribe", **OPTIONS}, **HTMX)

    assert response.status_code == 200
    assert "You get the daily digest" in response.text
    assert 'id="subscribe-box"' in response.text
    assert "ada@example.org" not in response.text
    assert "You get the daily digest" in client.get(f"/papers/date/{DAY}").text


def test_an_account_without_a_verified_address_is_told_to_verify_it(client):
    client.force_login(make_user("ada", verified=False))

    page = client.post("/digest/settings", {"action": "subscribe", **OPTIONS})
    box = client.post("/digest/settings", {"action": "subscribe", **OPTIONS}, **HTMX)

    for response in (page, box):
        assert response.status_code == 403
        assert "Verify your email address" in response.text
        assert 'href="/accounts/email/"' in response.text
    assert not Subscription.objects.exists()
    assert "verify your email address" in client.get("/digest").text


def test_one_click_takes_over_an_earlier_subscription_of_the_verified_address(client):
    pending = make_subscription("ada@example.org", "pending", frequency="weekly")
    user = verify_for_log_in(make_user("ada"))
    client.force_login(user)

    client.post("/digest/settings", {"action": "subscribe", **OPTIONS})

    subscription = Subscription.objects.get()
    assert subscription.pk == pending.pk
    assert (subscription.user, subscription.status, subscription.frequency) == (
        user,
        "active",
        "daily",
    )


def test_after_an_address_change_one_click_moves_the_subscription_to_the_new_address(client):
    from allauth.account.models import EmailAddress

    user = verify_for_log_in(make_user("ada"))
    own = make_subscription("ada@example.org", "unsubscribed", user=user)
    make_subscription("new@example.org", "pending")
    EmailAddress.objects.filter(user=user).update(email="New@example.org")
    client.force_login(user)

    client.post("/digest/settings", {"action": "subscribe", **OPTIONS})

    subscription = Subscription.objects.get()
    assert (subscription.pk, subscription.email, subscription.status) == (
        own.pk,
        "new@example.org",
        "active",
    )


def test_one_click_does_not_switch_a_bounced_address_back_on(client):
    user = verify_for_log_in(make_user("ada"))
    make_subscription("ada@example.org", "bounced")
    client.force_login(user)

    response = client.post("/digest/settings", {"action": "subscribe", **OPTIONS})

    assert response.status_code == 400
    assert "bounced" in response.text
    assert Subscription.objects.get().status == "bounced"


def test_an_account_changes_its_settings_and_unsubscribes(client):
    user = verify_for_log_in(make_user("ada"))
    make_subscription("ada@example.org", "active", user=user)
    client.force_login(user)

    saved = client.post(
        "/digest/settings",
        {"action": "save", "frequency": "weekly", "delivery_hour": "19", "time_zone": "Asia/Tokyo"},
        follow=True,
    )

    assert "Your digest settings are saved." in saved.text
    subscription = Subscription.objects.get()
    assert (subscription.frequency, subscription.delivery_hour, subscription.time_zone) == (
        "weekly",
        19,
        "Asia/Tokyo",
    )
    assert subscription.status == "active"

    client.post("/digest/settings", {"action": "unsubscribe"})
    assert Subscription.objects.get().status == "unsubscribed"


def test_settings_need_a_log_in(client):
    response = client.post("/digest/settings", {"action": "subscribe", **OPTIONS})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Subscription.objects.exists()


def test_saving_settings_without_a_subscription_is_a_clear_400(client):
    client.force_login(verify_for_log_in(make_user("ada")))

    response = client.post("/digest/settings", {"action": "save", **OPTIONS})

    assert response.status_code == 400
    assert "subscribe first" in response.text


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"delivery_hour": "24"}, "between 00:00 and 23:00"),
        ({"delivery_hour": "-1"}, "between 00:00 and 23:00"),
        ({"delivery_hour": "eight"}, "between 00:00 and 23:00"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time zone from the list"),
        ({"time_zone": ""}, "time zone from the list"),
        ({"frequency": "hourly"}, "daily or a weekly"),
        ({"email": "not an address"}, "valid email address"),
        ({"email": "a@b"}, "valid email address"),
        ({"email": ""}, "valid email address"),
        ({"email": "x" * 250 + "@example.org"}, "at most 254"),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_creates_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks, fields, message
):
    data = {"email": "reader@example.org", **fields}

    page = subscribe(client, django_capture_on_commit_callbacks, **data)
    box = subscribe(client, django_capture_on_commit_callbacks, **data, extra=HTMX)

    assert page.status_code == 400
    assert box.status_code == 422
    for response in (page, box):
        assert message in response.text
    assert not Subscription.objects.exists()
    assert mailoutbox == []


def test_a_legacy_zone_alias_is_accepted_and_stays_selected_though_not_listed(
    client, django_capture_on_commit_callbacks
):
    subscribe(client, django_capture_on_commit_callbacks, "reader@example.org", time_zone="Japan")
    subscription = Subscription.objects.get()
    assert subscription.time_zone == "Japan"

    page = client.get(f"/digest/manage/{subscription.token}").text

    assert '<option value="Japan" selected>Japan</option>' in page
    assert 'value="EST5EDT"' not in page
    assert 'value="Asia/Tokyo"' in page


def test_bad_settings_of_an_account_are_a_400(client):
    user = verify_for_log_in(make_user("ada"))
    make_subscription("ada@example.org", "active", user=user)
    client.force_login(user)

    response = client.post("/digest/settings", {"action": "save", **OPTIONS, "delivery_hour": "99"})

    assert response.status_code == 400
    assert "between 00:00 and 23:00" in response.text
    assert Subscription.objects.get().delivery_hour == 8


def test_the_services_check_the_options_too():
    with pytest.raises(ValidationError) as caught:
        services.subscription_options_check(frequency="monthly", delivery_hour=True, time_zone="X")

    assert set(caught.value.message_dict) == {"frequency", "delivery_hour", "time_zone"}


# --- Expiry ------------------------------------------------------------------------------


def test_unconfirmed_subscriptions_expire(settings):
    now = timezone.now()
    old = now - dt.timedelta(days=settings.DIGEST_UNCONFIRMED_EXPIRE_DAYS, hours=1)
    make_subscription("old@example.org", "pending", created_at=old)
    make_subscription(
        "asked-again@example.org", "pending", created_at=old, confirmation_sent_at=now
    )
    make_subscription("fresh@example.org", "pending")
    make_subscription("active@example.org", "active", created_at=old)
    # An unsubscribed address that asked again and never confirmed: back to unsubscribed.
    make_subscription("came-back@example.org", "pending", created_at=old, confirmed_at=old)

    assert services.subscriptions_expire_unconfirmed(now=now) == 2

    assert dict(Subscription.objects.values_list("email", "status")) == {
        "asked-again@example.org": "pending",
        "fresh@example.org": "pending",
        "active@example.org": "active",
        "came-back@example.org": "unsubscribed",
    }
    assert services.subscriptions_expire_unconfirmed(now=now) == 0


# --- Pages and the box -------------------------------------------------------------------


def test_the_digest_page_explains_and_links_preview_and_archive(client):
    page = client.get("/digest")

    assert page.status_code == 200
    assert 'href="/digest/preview"' in page.text
    assert 'href="/digest/archive"' in page.text
    assert 'name="email"' in page.text
    assert '<label for="id_delivery_hour">' in page.text
    assert ">23:00</option>" in page.text


def test_the_box_is_on_the_daily_pages_only(client):
    make_entry(day=DAY)

    for url in ("/", f"/papers/date/{DAY}"):
        html = client.get(url).text
        assert "Get trending papers in your email inbox!" in html
        assert 'hx-post="/digest/subscribe"' in html
        assert "data-detect-zone" in html
    assert "subscribe-box" not in client.get("/papers/week/2024-W42").text


def test_the_box_subscribes_in_place(client, django_capture_on_commit_callbacks, mailoutbox):
    response = subscribe(
        client, django_capture_on_commit_callbacks, "reader@example.org", extra=HTMX
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith("<aside")
    assert "Check your inbox" in response.text
    assert "HX-Request" in response["Vary"]
    assert len(mailoutbox) == 1


def _page_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_the_box_costs_visitors_no_query_and_accounts_one(client, django_assert_max_num_queries):
    for _ in range(3):
        make_entry(day=DAY)
    url = f"/papers/date/{DAY}"

    with django_assert_max_num_queries(5):  # the limit of tests/papers/test_periods.py
        client.get(url)
    assert not any("digests_subscription" in sql for sql in _page_queries(client, url))

    user = verify_for_log_in(make_user("ada"))
    client.force_login(user)
    assert sum("digests_subscription" in sql for sql in _page_queries(client, url)) == 1
    make_subscription("ada@example.org", "active", user=user)
    queries = _page_queries(client, url)
    assert sum("digests_subscription" in sql for sql in queries) == 1
    assert "You get the daily digest" in client.get(url).text


# --- Admin -------------------------------------------------------------------------------


def test_admin_lists_subscriptions_digests_and_deliveries(admin_client):
    from apps.digests.models import Delivery, Digest

    subscription = make_subscription("reader@example.org", "active")
    digest = Digest.objects.create(
        frequency="daily", period_start=DAY, period_end=DAY, paper_ids=[1, 2]
    )
    Delivery.objects.create(subscription=subscription, digest=digest, status="sent")

    listing = admin_client.get("/admin/digests/subscription/?q=reader&status__exact=active")
    assert listing.status_code == 200
    assert "reader@example.org" in listing.text
    change = admin_client.get(f"/admin/digests/subscription/{subscription.pk}/change/")
    assert change.status_code == 200
    assert subscription.token in change.text
    assert 'name="token"' not in change.text  # read-only
    for url in ("/admin/digests/digest/", "/admin/digests/delivery/?q=reader"):
        response = admin_client.get(url)
        assert response.status_code == 200
    assert admin_client.get("/admin/digests/delivery/add/").status_code == 403
