import pytest
from django.core import mail

from apps.comments.services import comment_create
from apps.notifications.models import Notification
from apps.notifications.services import (
    notification_email_send,
    notification_preference_update,
)
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread():
    paper = make_paper(arxiv_id="2410.09692", title="ALLoRA")
    ada, alan, grace = make_user("ada"), make_user("alan"), make_user("grace")
    parent = comment_create(author=ada, paper=paper, body="A first thought")
    return paper, ada, alan, grace, parent


def test_reply_and_mention_create_notifications_and_queue_emails_on_commit(
    thread, django_capture_on_commit_callbacks
):
    paper, _ada, alan, _grace, parent = thread

    with django_capture_on_commit_callbacks() as callbacks:
        reply = comment_create(
            author=alan, paper=paper, body="@ada @grace @alan see this", parent=parent
        )

    notifications = {n.recipient.username: n.kind for n in Notification.objects.all()}
    assert notifications == {"ada": "reply", "grace": "mention"}  # not the author himself
    assert all(n.comment == reply for n in Notification.objects.all())
    assert len(callbacks) == 2  # one email task per recipient, queued only after commit


def test_emails_are_not_queued_for_users_who_turned_them_off(
    thread, django_capture_on_commit_callbacks
):
    paper, ada, alan, _grace, parent = thread
    notification_preference_update(
        user=ada, email_on_reply=False, email_on_mention=True, email_on_moderation=True
    )

    with django_capture_on_commit_callbacks() as callbacks:
        comment_create(author=alan, paper=paper, body="reply", parent=parent)

    assert Notification.objects.filter(recipient=ada).exists()  # still in the app
    assert callbacks == []


def test_notification_email_content_and_sent_once(thread, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    paper, ada, alan, _grace, parent = thread
    comment_create(author=alan, paper=paper, body="I disagree about $x$", parent=parent)
    notification = Notification.objects.get(recipient=ada)

    assert notification_email_send(notification_id=notification.pk) is True
    assert notification_email_send(notification_id=notification.pk) is False

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert "replied to your comment" in message.subject
    assert "I disagree about $x$" in message.body
    assert f"/papers/2410.09692/comments/{notification.comment_id}" in message.body
    assert "/notifications/settings" in message.body


def test_preference_is_checked_again_when_sending(thread, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    paper, ada, alan, _grace, parent = thread
    comment_create(author=alan, paper=paper, body="reply", parent=parent)
    notification_preference_update(
        user=ada, email_on_reply=False, email_on_mention=True, email_on_moderation=True
    )

    assert notification_email_send(notification_id=Notification.objects.get().pk) is False
    assert mail.outbox == []


def test_bell_shows_unread_count_with_one_query(client, thread, django_assert_num_queries):
    paper, ada, alan, grace, parent = thread
    comment_create(author=alan, paper=paper, body="reply 1", parent=parent)
    comment_create(author=grace, paper=paper, body="hey @ada")
    client.force_login(ada)

    html = client.get("/papers/date/2024-10-01").content.decode()

    assert '<span class="badge">2</span>' in html
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = ada
    template = Template('{% include "notifications/partials/bell.html" %}')
    with django_assert_num_queries(1):
        template.render(Context({"request": request, "user": ada}))


def test_notification_list_mark_read_and_all_read(client, thread):
    paper, ada, alan, grace, parent = thread
    comment_create(author=alan, paper=paper, body="reply 1", parent=parent)
    comment_create(author=grace, paper=paper, body="hey @ada")
    client.force_login(ada)
    first, _second = Notification.objects.order_by("pk")

    html = client.get("/notifications").content.decode()
    assert "replied to your comment" in html
    assert "mentioned you" in html
    assert html.count("is-unread") == 2

    response = client.post(f"/notifications/{first.pk}/read", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "is-unread" not in response.content.decode()
    first.refresh_from_db()
    assert first.read_at is not None

    client.post("/notifications/read-all")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "badge" not in client.get("/notifications").content.decode()


def test_users_cannot_mark_others_notifications(client, thread):
    paper, _ada, alan, grace, parent = thread
    comment_create(author=alan, paper=paper, body="reply", parent=parent)
    client.force_login(grace)

    client.post(f"/notifications/{Notification.objects.get().pk}/read")

    assert Notification.objects.get().read_at is None


def test_notification_list_queries_are_constant(client, django_assert_max_num_queries):
    paper = make_paper()
    ada = make_user("ada")
    client.force_login(ada)
    parent = comment_create(author=ada, paper=paper, body="root")

    def reply(count):
        for _ in range(count):
            comment_create(author=make_user(), paper=paper, body="reply", parent=parent)

    reply(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/notifications")
    reply(20)
    with django_assert_max_num_queries(len(few)):
        html = client.get("/notifications").content.decode()
    assert html.count('id="notification-') == 21


def test_settings_page_turns_emails_off(client):
    user = make_user()
    client.force_login(user)

    assert client.get("/notifications/settings").status_code == 200
    response = client.post("/notifications/settings", {"email_on_mention": "on"})

    assert response.status_code == 302
    preference = user.notification_preference
    assert preference.email_on_reply is False
    assert preference.email_on_mention is True


@pytest.mark.parametrize("path", ["/notifications", "/notifications/settings"])
def test_notification_pages_send_anonymous_visitors_to_log_in_and_back(client, path):
    from django.urls import reverse

    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={path}"


def test_one_comment_notifies_at_most_ten_mentioned_users(settings):
    from apps.notifications.services import MAX_MENTION_NOTIFICATIONS

    paper, author = make_paper(), make_user("loud")
    names = [make_user(f"reader{i}").username for i in range(MAX_MENTION_NOTIFICATIONS + 5)]
    comment_create(author=author, paper=paper, body=" ".join(f"@{name}" for name in names))
    assert Notification.objects.count() == MAX_MENTION_NOTIFICATIONS


def test_email_subject_is_one_line_whatever_the_title(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    paper = make_paper(title="Attention\nis all you need")
    ada, alan = make_user("ada"), make_user("alan")
    parent = comment_create(author=ada, paper=paper, body="First")
    comment_create(author=alan, paper=paper, body="Second", parent=parent)
    notification = Notification.objects.get(recipient=ada)
    assert notification_email_send(notification_id=notification.pk) is True
    assert "\n" not in mail.outbox[0].subject
    assert "Attention is all you need" in mail.outbox[0].subject
