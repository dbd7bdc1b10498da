"""Planning what is due, and sending each period's digest to each subscriber exactly once."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.digests import sending, tasks
from apps.digests.models import Delivery, Digest, Frequency, Subscription
from apps.digests.sending import deliveries_plan, deliveries_send
from apps.papers.models import Paper
from apps.papers.periods import Period
from apps.votes.services import vote_toggle
from tests.digests.smtp_server import SmtpServer
from tests.factories import make_entry, make_user

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DAILY, WEEKLY = Frequency.DAILY, Frequency.WEEKLY
ACTIVE = Subscription.Status.ACTIVE

# Days in the past, so rows planned "now" at them are due for the senders' real clock too.
TODAY = dt.datetime.now(dt.UTC).date()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday() + 14)  # a Monday two weeks ago
TUESDAY = MONDAY + dt.timedelta(days=1)
SUNDAY = MONDAY - dt.timedelta(days=1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def subscribe(
    email: str,
    *,
    frequency: str = DAILY,
    hour: int = 8,
    time_zone: str = "UTC",
    status: str = ACTIVE,
    confirmed_at: dt.datetime | None = None,
    user=None,
) -> Subscription:
    if confirmed_at is None and status != Subscription.Status.PENDING:
        confirmed_at = at(MONDAY - dt.timedelta(days=30), 12)
    return Subscription.objects.create(
        email=email,
        frequency=frequency,
        delivery_hour=hour,
        time_zone=time_zone,
        status=status,
        confirmed_at=confirmed_at,
        user=user,
    )


def papers_on(day: dt.date, count: int = 3) -> list[int]:
    return [
        make_entry(day=day, title=f"Paper {n} of {day}", upvotes=10 - n).paper_id
        for n in range(count)
    ]


def delivered(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


# --- Planning -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_nothing_is_planned_before_the_delivery_hour_and_the_day_is_planned_at_it():
    paper_ids = papers_on(MONDAY)
    subscription = subscribe("reader@example.org", hour=8)

    before = deliveries_plan(frequency=DAILY, now=at(TUESDAY, 7, 59))
    assert (before.due, before.planned, before.periods) == (0, 0, [])
    assert not Digest.objects.exists()
    assert not Delivery.objects.exists()

    plan = deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))
    assert (plan.due, plan.planned) == (1, 1)
    assert plan.periods == [Period.containing("day", MONDAY)]
    digest = Digest.objects.get()
    assert (digest.frequency, digest.period_start, digest.period_end) == (DAILY, MONDAY, MONDAY)
    assert digest.paper_ids == paper_ids  # by upvotes
    delivery = Delivery.objects.get()
    assert delivery.subscription == subscription
    assert delivery.digest == digest
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 0)


@pytest.mark.django_db
def test_planning_again_within_the_catch_up_window_creates_no_duplicates():
    papers_on(MONDAY)
    subscribe("reader@example.org")

    first = deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))
    again = deliveries_plan(frequency=DAILY, now=at(TUESDAY, 9))
    late = deliveries_plan(frequency=DAILY, now=at(TUESDAY + dt.timedelta(days=1), 2))

    assert (first.due, first.planned) == (1, 1)
    assert (again.due, again.planned) == (1, 0)
    assert (late.due, late.planned) == (1, 0)
    assert Delivery.objects.count() == 1
    assert Digest.objects.count() == 1


@pytest.mark.django_db
def test_only_active_subscriptions_confirmed_before_their_slot_are_planned():
    papers_on(MONDAY)
    papers_on(TUESDAY)
    active = subscribe("active@example.org")
    subscribe("pending@example.org", status=Subscription.Status.PENDING)
    subscribe("left@example.org", status=Subscription.Status.UNSUBSCRIBED)
    subscribe("bounced@example.org", status=Subscription.Status.BOUNCED)
    subscribe("weekly@example.org", frequency=WEEKLY)
    # Confirmed at 08:30, after this morning's 08:00 slot: tomorrow's digest is their first.
    late = subscribe("late@example.org", confirmed_at=at(TUESDAY, 8, 30))

    plan = deliveries_plan(frequency=DAILY, now=at(TUESDAY, 9))
    assert (plan.due, plan.planned) == (1, 1)
    assert list(Delivery.objects.values_list("subscription", flat=True)) == [active.pk]

    deliveries_plan(frequency=DAILY, now=at(TUESDAY + dt.timedelta(days=1), 8))
    tuesday = Digest.objects.get(period_start=TUESDAY)
    assert set(tuesday.deliveries.values_list("subscription", flat=True)) == {active.pk, late.pk}


@pytest.mark.django_db
def test_each_zone_is_planned_at_its_own_hour_with_the_period_its_slot_brings():
    papers_on(SUNDAY - dt.timedelta(days=2))  # Friday
    papers_on(MONDAY)
    berlin = subscribe("berlin@example.org", time_zone="Europe/Berlin")
    tokyo = subscribe("tokyo@example.org", time_zone="Asia/Tokyo")
    new_york = subscribe("ny@example.org", time_zone="America/New_York")

    # Tuesday 07:30 UTC: Berlin's 08:00 has come (Monday's papers); Tokyo's Tuesday 08:00 was
    # Monday 23:00 UTC, when Monday was not over (Sunday's: empty); New York's last slot,
    # Monday 08:00 local, is more than 18 hours ago.
    plan = deliveries_plan(frequency=DAILY, now=at(TUESDAY, 7, 30))
    assert plan.periods == [Period.containing("day", MONDAY)]
    assert plan.empty_periods == [Period.containing("day", SUNDAY)]
    assert list(Delivery.objects.values_list("subscription", flat=True)) == [berlin.pk]

    # Tuesday 08:00 in New York (12:00 or 13:00 UTC) brings Monday; Tokyo's next slot brings it
    # on Wednesday 08:00 local.
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 14))
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 23, 30))
    monday = Digest.objects.get(period_start=MONDAY)
    assert set(monday.deliveries.values_list("subscription", flat=True)) == {
        berlin.pk,
        new_york.pk,
        tokyo.pk,
    }


@pytest.mark.django_db
def test_empty_period_freezes_no_digest_and_sends_nothing(mailoutbox):
    papers_on(SUNDAY - dt.timedelta(days=2))  # Friday's papers, none at the weekend
    subscribe("reader@example.org")

    plan = deliveries_plan(frequency=DAILY, now=at(MONDAY, 8))

    assert plan.empty_periods == [Period.containing("day", SUNDAY)]
    assert (plan.due, plan.planned, plan.periods) == (0, 0, [])
    assert not Digest.objects.exists()
    assert not Delivery.objects.exists()
    assert deliveries_send() == sending.SendResult()
    assert mailoutbox == []


@pytest.mark.django_db
def test_weekly_subscribers_get_the_last_iso_week_on_monday(mailoutbox):
    last_week = MONDAY - dt.timedelta(days=7)
    paper_ids = papers_on(last_week + dt.timedelta(days=2), 2) + papers_on(SUNDAY, 1)
    papers_on(MONDAY)  # this week's: not in last week's digest
    subscribe("weekly@example.org", frequency=WEEKLY, hour=9)
    subscribe("daily@example.org", frequency=DAILY, hour=9)

    assert deliveries_plan(frequency=WEEKLY, now=at(MONDAY, 8, 59)).planned == 0
    plan = deliveries_plan(frequency=WEEKLY, now=at(MONDAY, 9))
    # Later in the week it is not planned again; the next Monday brings the next week.
    later = deliveries_plan(frequency=WEEKLY, now=at(MONDAY + dt.timedelta(days=2), 9))

    week = Period.containing("week", last_week)
    assert plan.periods == [week]
    assert (plan.due, plan.planned) == (1, 1)
    assert (later.due, later.planned) == (1, 0)
    digest = Digest.objects.get()
    assert (digest.frequency, digest.period_start, digest.period_end) == (
        WEEKLY,
        week.start,
        week.end,
    )
    assert sorted(digest.paper_ids) == sorted(paper_ids)

    assert deliveries_send().sent == 1
    assert delivered(mailoutbox) == ["weekly@example.org"]


@pytest.mark.django_db
def test_an_explicit_period_goes_to_every_active_subscriber_whatever_their_hour():
    papers_on(MONDAY)
    early = subscribe("early@example.org", hour=0)
    late = subscribe("late@example.org", hour=23, time_zone="Pacific/Auckland")
    subscribe("pending@example.org", status=Subscription.Status.PENDING)
    day = Period.containing("day", MONDAY)

    plan = deliveries_plan(frequency=DAILY, period=day)

    assert (plan.due, plan.planned, plan.periods) == (2, 2, [day])
    assert set(Delivery.objects.values_list("subscription", flat=True)) == {early.pk, late.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("frequency", "period", "message"),
    [
        (DAILY, Period.containing("week", MONDAY), "a daily digest covers a day"),
        (WEEKLY, Period.containing("day", MONDAY), "a weekly digest covers a week"),
        (DAILY, Period.containing("day", TODAY), "is not over yet"),
        (WEEKLY, Period.containing("week", TODAY), "is not over yet"),
    ],
)
def test_an_explicit_period_of_the_wrong_kind_or_not_over_is_refused(frequency, period, message):
    with pytest.raises(ValueError, match=message):
        deliveries_plan(frequency=frequency, period=period)


@pytest.mark.django_db
def test_dry_run_counts_and_writes_nothing():
    papers_on(MONDAY)
    subscribe("one@example.org")
    subscribe("two@example.org")

    dry = deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8), dry_run=True)
    assert (dry.due, dry.planned, dry.periods) == (2, 2, [Period.containing("day", MONDAY)])
    assert not Digest.objects.exists()
    assert not Delivery.objects.exists()

    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))
    subscribe("three@example.org", confirmed_at=at(TUESDAY, 7))
    dry = deliveries_plan(frequency=DAILY, now=at(TUESDAY, 9), dry_run=True)
    assert (dry.due, dry.planned) == (3, 1)
    assert Delivery.objects.count() == 2

    empty = deliveries_plan(frequency=DAILY, now=at(MONDAY, 8), dry_run=True)
    assert empty.empty_periods == [Period.containing("day", SUNDAY)]


# --- Sending ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_due_subscriber_gets_exactly_one_message_and_running_again_sends_nothing(
    mailoutbox,
):
    papers_on(MONDAY)
    emails = [f"reader{n}@example.org" for n in range(7)]
    for n, email in enumerate(emails):
        subscribe(email, user=make_user() if n % 2 else None)
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))

    result = deliveries_send(batch_size=3)

    assert result == sending.SendResult(sent=7)
    assert delivered(mailoutbox) == sorted(emails)
    digest = Digest.objects.get()
    for delivery in Delivery.objects.all():
        assert delivery.status == Delivery.Status.SENT
        assert delivery.attempts == 1
        assert delivery.sent_at is not None
        assert delivery.lease_until is None
        assert delivery.message_id.startswith("<")
        assert delivery.paper_ids[: len(digest.paper_ids)] == digest.paper_ids
    message_ids = {message.extra_headers["Message-ID"] for message in mailoutbox}
    assert message_ids == set(Delivery.objects.values_list("message_id", flat=True))

    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 9))
    assert deliveries_send() == sending.SendResult()
    assert len(mailoutbox) == 7


@pytest.mark.django_db
def test_subscription_ended_after_planning_is_skipped(mailoutbox):
    papers_on(MONDAY)
    stays = subscribe("stays@example.org")
    leaves = subscribe("leaves@example.org")
    switches = subscribe("switches@example.org")
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))
    Subscription.objects.filter(pk=leaves.pk).update(status=Subscription.Status.UNSUBSCRIBED)
    Subscription.objects.filter(pk=switches.pk).update(frequency=WEEKLY)

    result = deliveries_send()

    assert (result.sent, result.skipped) == (1, 2)
    assert delivered(mailoutbox) == ["stays@example.org"]
    statuses = dict(Delivery.objects.values_list("subscription", "status"))
    assert statuses == {stays.pk: "sent", leaves.pk: "skipped", switches.pk: "skipped"}


@pytest.mark.django_db
def test_queries_per_email_are_constant(mailoutbox, django_assert_max_num_queries):
    """An anonymous subscriber's email costs one query (recording it sent), an account
    holder's two more ("for you", apps.digests.rendering); a batch two (claim and load)."""
    per_batch, per_anonymous, per_account = 2, 1, 3
    batch_size = 5

    def cost(subscriptions: list[Subscription]) -> int:
        batches = -(-len(subscriptions) // batch_size)
        accounts = sum(1 for subscription in subscriptions if subscription.user_id)
        anonymous = len(subscriptions) - accounts
        return per_batch * batches + per_anonymous * anonymous + per_account * accounts

    wednesday, thursday = TUESDAY + dt.timedelta(days=1), TUESDAY + dt.timedelta(days=2)
    monday_ids = papers_on(MONDAY)
    papers_on(TUESDAY)
    papers_on(wednesday)
    subscriptions = []
    for n in range(50):
        user = None
        if n % 5 == 0:  # an account holder who upvoted a paper: "for you" has seeds
            user = make_user()
            vote_toggle(user=user, item=Paper.objects.get(pk=monday_ids[n % 3]))
        subscriptions.append(subscribe(f"reader{n}@example.org", user=user))
    few = subscriptions[:5]
    Subscription.objects.exclude(pk__in=[s.pk for s in few]).update(frequency=WEEKLY)
    deliveries_plan(frequency=DAILY, now=at(wednesday, 8))
    with CaptureQueriesContext(connection) as five:
        assert deliveries_send(batch_size=batch_size).sent == 5
    # Once per call: the last, empty claim; per digest, the renderer's papers and "for you"
    # candidates.
    fixed = len(five) - cost(few)
    assert fixed <= 3, [query["sql"] for query in five.captured_queries]

    Subscription.objects.update(frequency=DAILY)
    deliveries_plan(frequency=DAILY, now=at(thursday, 8))
    with django_assert_max_num_queries(fixed + cost(subscriptions)):
        assert deliveries_send(batch_size=batch_size).sent == 50
    assert len(mailoutbox) == 55


@pytest.mark.django_db
def test_row_whose_lease_expired_is_sent_by_the_next_sender_and_a_live_lease_is_respected(
    mailoutbox,
):
    papers_on(MONDAY)
    abandoned = subscribe("abandoned@example.org")
    in_flight = subscribe("in-flight@example.org")
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))
    now = timezone.now()
    # A sender died holding one row; another is sending the other right now.
    Delivery.objects.filter(subscription=abandoned).update(
        status="sending", claim=uuid.uuid4(), lease_until=now - dt.timedelta(seconds=1), attempts=1
    )
    live_claim = uuid.uuid4()
    Delivery.objects.filter(subscription=in_flight).update(
        status="sending", claim=live_claim, lease_until=now + dt.timedelta(minutes=5), attempts=1
    )

    assert deliveries_send() == sending.SendResult(sent=1)

    assert delivered(mailoutbox) == ["abandoned@example.org"]
    taken_over = Delivery.objects.get(subscription=abandoned)
    assert (taken_over.status, taken_over.attempts) == ("sent", 2)
    untouched = Delivery.objects.get(subscription=in_flight)
    assert (untouched.status, untouched.claim) == ("sending", live_claim)
    assert sending.deliveries_next_due_at() == untouched.lease_until


@pytest.mark.django_db
def test_a_batch_stops_before_its_lease_runs_out_and_hands_back_the_rest(
    mailoutbox, monkeypatch, settings
):
    settings.DIGEST_LEASE_SECONDS = 100
    clock = iter(range(0, 10_000, 30))  # every look at the clock: 30 s later
    monkeypatch.setattr(sending, "monotonic", lambda: next(clock))
    papers_on(MONDAY)
    for n in range(5):
        subscribe(f"reader{n}@example.org")
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))

    # The batch may send until 75 s (LEASE_USE) of its 100 s lease: two messages.
    result = deliveries_send(batch_size=5, max_batches=1)

    assert result == sending.SendResult(sent=2)
    assert len(mailoutbox) == 2
    rest = Delivery.objects.exclude(status="sent")
    assert rest.count() == 3
    assert {(d.status, d.attempts) for d in rest} == {("pending", 0)}
    assert all(d.next_attempt_at <= timezone.now() for d in rest)

    assert deliveries_send(batch_size=2).sent == 3
    assert delivered(mailoutbox) == [f"reader{n}@example.org" for n in range(5)]


@pytest.mark.django_db
@pytest.mark.parametrize("refused_at", ["RCPT", "DATA"])
def test_refused_recipient_is_retried_alone_later_and_fails_after_max_attempts(
    settings, refused_at
):
    settings.DIGEST_MAX_ATTEMPTS = 3
    papers_on(MONDAY)
    emails = ["one@example.org", "refused@example.org", "two@example.org", "three@example.org"]
    for email in emails:
        subscribe(email)
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))
    refused = Delivery.objects.filter(subscription__email="refused@example.org")

    with SmtpServer() as server:
        settings.MAILERS = {**settings.MAILERS, "digests": server.mailer}
        getattr(server.handler, f"refuse_at_{refused_at.lower()}").add("refused@example.org")

        before = timezone.now()
        assert deliveries_send(batch_size=10) == sending.SendResult(sent=3, retried=1)
        assert server.handler.received() == {
            "one@example.org": 1,
            "two@example.org": 1,
            "three@example.org": 1,
        }
        delivery = refused.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert "550" in delivery.last_error
        assert delivery.next_attempt_at >= before + dt.timedelta(seconds=300)

        # Not due yet: nothing is tried.
        assert deliveries_send() == sending.SendResult()
        assert server.handler.rcpt_attempts["refused@example.org"] == 1

        for attempt in (2, 3):
            refused.update(next_attempt_at=timezone.now())
            before = timezone.now()
            result = deliveries_send()
            assert server.handler.rcpt_attempts["refused@example.org"] == attempt
            delivery = refused.get()
            assert delivery.attempts == attempt
            if attempt < 3:
                assert result == sending.SendResult(retried=1)
                assert delivery.status == "pending"
                # Backoff: DIGEST_RETRY_SECONDS times the attempts so far.
                assert delivery.next_attempt_at >= before + dt.timedelta(seconds=300 * attempt)
            else:
                assert result == sending.SendResult(failed=1)
                assert delivery.status == "failed"

        assert server.handler.received() == {
            "one@example.org": 1,
            "two@example.org": 1,
            "three@example.org": 1,
        }
        assert sum(server.handler.rcpt_attempts.values()) == 3 + 3
    assert sending.deliveries_next_due_at() is None


@pytest.mark.django_db
def test_mail_server_down_hands_the_batch_back_without_counting_an_attempt(settings):
    papers_on(MONDAY)
    for n in range(3):
        subscribe(f"reader{n}@example.org")
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))
    nobody_listens = SmtpServer()  # not started
    settings.MAILERS = {**settings.MAILERS, "digests": nobody_listens.mailer}

    before = timezone.now()
    result = deliveries_send()

    assert result == sending.SendResult(retried=3)
    for delivery in Delivery.objects.all():
        assert (delivery.status, delivery.attempts) == ("pending", 0)
        assert "ConnectionRefusedError" in delivery.last_error
        assert delivery.next_attempt_at >= before + dt.timedelta(seconds=300)

    Delivery.objects.update(next_attempt_at=timezone.now())
    with SmtpServer() as server:
        settings.MAILERS = {**settings.MAILERS, "digests": server.mailer}
        assert deliveries_send().sent == 3
        assert sum(server.handler.received().values()) == 3


@pytest.mark.django_db(transaction=True)
def test_two_sender_processes_at_once_send_each_subscriber_exactly_once():
    now = timezone.now()
    emails = [f"reader{n:03d}@example.org" for n in range(80)]
    # Due now, for the commands' real clock: yesterday's papers at this hour.
    papers_on(now.date() - dt.timedelta(days=1))
    for email in emails:
        subscribe(email, hour=now.hour)
    env = {
        **os.environ,
        "PAPERBOARD_TESTING": "1",
        "DATABASE_NAME": connection.settings_dict["NAME"],
    }
    command = [sys.executable, "manage.py", "send_digests", "--frequency", "daily"]

    with SmtpServer() as server:
        server.handler.delay = 0.05  # both senders are still at work when the other starts
        env["DIGEST_EMAIL_URL"] = server.url
        senders = [
            subprocess.Popen(  # noqa: S603
                [*command, "--batch-size", "5"],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [sender.communicate(timeout=60)[0] for sender in senders]
        received = server.handler.received()

    assert all(sender.returncode == 0 for sender in senders), outputs
    assert received == dict.fromkeys(emails, 1)
    sent = [int(re.search(r"due 80, sent (\d+),", output).group(1)) for output in outputs]
    assert sum(sent) == 80, outputs
    assert all(count > 0 for count in sent), outputs  # both took part
    assert Delivery.objects.filter(status="sent").count() == 80
    assert Delivery.objects.count() == 80


# --- The command --------------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_command_plans_sends_and_prints_a_summary(mailoutbox):
    now = timezone.now()
    yesterday = now.date() - dt.timedelta(days=1)
    papers_on(yesterday)
    for n in range(3):
        subscribe(f"reader{n}@example.org", hour=now.hour)
    subscribe("gone@example.org", hour=now.hour)
    deliveries_plan(frequency=DAILY)  # planned by the beat earlier
    Subscription.objects.filter(email="gone@example.org").update(status="unsubscribed")

    output = run_command("--frequency", "daily")

    assert f"due 3, sent 3, skipped 1, failed 0 for {yesterday.isoformat()}." in output
    assert len(mailoutbox) == 3
    assert "due 3, sent 0, skipped 0, failed 0" in run_command("--frequency", "daily")


@pytest.mark.django_db
def test_command_with_a_period_sends_it_to_everyone_and_reports_an_empty_one(mailoutbox):
    papers_on(MONDAY)
    subscribe("morning@example.org", hour=6)
    subscribe("evening@example.org", hour=21, time_zone="America/Los_Angeles")
    subscribe("weekly@example.org", frequency=WEEKLY)

    output = run_command("--frequency", "daily", "--period", MONDAY.isoformat())
    assert f"due 2, sent 2, skipped 0, failed 0 for {MONDAY.isoformat()}." in output

    output = run_command("--frequency", "daily", "--period", SUNDAY.isoformat())
    assert f"due 0, sent 0, skipped 0, failed 0; nothing to send for {SUNDAY}" in output

    week = Period.containing("week", MONDAY)
    output = run_command("--frequency", "weekly", "--period", week.value)
    assert f"due 1, sent 1, skipped 0, failed 0 for {week.value}." in output
    # Any day of the week names the week.
    output = run_command(
        "--frequency", "weekly", "--period", (MONDAY + dt.timedelta(3)).isoformat()
    )
    assert f"due 1, sent 0, skipped 0, failed 0 for {week.value}." in output
    assert delivered(mailoutbox) == [
        "evening@example.org",
        "morning@example.org",
        "weekly@example.org",
    ]


@pytest.mark.django_db
def test_command_dry_run_writes_and_sends_nothing(mailoutbox):
    papers_on(MONDAY)
    subscribe("one@example.org")
    subscribe("two@example.org")

    output = run_command("--frequency", "daily", "--period", MONDAY.isoformat(), "--dry-run")

    assert output.startswith("Dry run, nothing written or sent: due 2, would plan 2")
    assert not Digest.objects.exists()
    assert not Delivery.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frequency", "monthly"], "invalid choice: 'monthly'"),
        (["--period", "2026-11-27"], "the following arguments are required: --frequency"),
        (["--frequency", "daily", "--period", "2026-02-30"], "not a date like 2026-11-27"),
        (["--frequency", "daily", "--period", "2026-W48"], "not a date like 2026-11-27"),
        (["--frequency", "daily", "--period", "yesterday"], "not a date like 2026-11-27"),
        (["--frequency", "weekly", "--period", "2026-W54"], "no week 54 in 2026"),
        (["--frequency", "weekly", "--period", "2026-48"], "not an ISO week like 2026-W48"),
        (["--frequency", "daily", "--period", TODAY.isoformat()], "is not over yet"),
        (["--frequency", "daily", "--batch-size", "0"], "'0' is not a positive whole number"),
        (["--frequency", "daily", "--batch-size", "ten"], "'ten' is not a positive whole"),
    ],
)
def test_command_refuses_bad_arguments_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run_command(*args)
    assert not Digest.objects.exists()


# --- Tasks --------------------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch) -> list[dict]:
    """send_digest_batches tasks queued (instead of reaching the broker)."""
    calls: list[dict] = []
    monkeypatch.setattr(
        tasks.send_digest_batches, "apply_async", lambda **options: calls.append(options)
    )
    return calls


@pytest.mark.django_db
def test_hourly_task_plans_both_frequencies_and_starts_the_senders(queued, settings, mailoutbox):
    settings.DIGEST_SENDERS = 3
    now = timezone.now()
    papers_on(now.date() - dt.timedelta(days=1))
    subscribe("daily@example.org", hour=now.hour)

    summary = tasks.send_due_digests.run()

    assert summary[DAILY] == {"due": 1, "planned": 1, "empty": 0}
    assert summary[WEEKLY]["planned"] == 0
    assert queued == [{"countdown": 0}] * 3

    queued.clear()
    assert tasks.send_digest_batches.run() == {"sent": 1, "skipped": 0, "failed": 0, "retried": 0}
    assert len(mailoutbox) == 1
    assert queued == []  # nothing left: the chain ends
    tasks.send_due_digests.run()
    assert queued == []  # nothing due: no senders


@pytest.mark.django_db
def test_sender_task_continues_at_once_while_work_is_due_then_when_the_next_retry_is_due(
    queued, monkeypatch, settings
):
    monkeypatch.setattr(tasks, "BATCHES_PER_TASK", 1)
    settings.DIGEST_BATCH_SIZE = 2
    papers_on(MONDAY)
    for n in range(3):
        subscribe(f"reader{n}@example.org")
    deliveries_plan(frequency=DAILY, now=at(TUESDAY, 8))

    tasks.send_digest_batches.run()
    assert queued == [{"countdown": 0}]  # one more delivery is due now

    # It fails: the chain comes back when its retry is due (DIGEST_RETRY_SECONDS later).
    queued.clear()
    monkeypatch.setattr(sending.DigestRenderer, "message", _broken_message)
    assert tasks.send_digest_batches.run()["retried"] == 1
    assert len(queued) == 1
    assert 295 <= queued[0]["countdown"] <= 300

    # A retry more than an hour away is left to the hourly task.
    queued.clear()
    Delivery.objects.filter(status="pending").update(
        next_attempt_at=timezone.now() + dt.timedelta(hours=2)
    )
    tasks.send_digest_batches.run()
    assert queued == []


def _broken_message(self, subscription):
    raise RuntimeError("template exploded")


@pytest.mark.django_db
def test_expire_task_ends_unconfirmed_subscriptions():
    stale = subscribe("stale@example.org", status=Subscription.Status.PENDING)
    Subscription.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    fresh = subscribe("fresh@example.org", status=Subscription.Status.PENDING)

    assert tasks.expire_unconfirmed_subscriptions.run() == 1

    assert list(Subscription.objects.values_list("pk", flat=True)) == [fresh.pk]
