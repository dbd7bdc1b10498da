"""Editing a comment in the admin keeps its stored HTML true to the body, sanitised."""

import pytest
from django.urls import reverse

from apps.comments.models import Comment
from apps.comments.services import comment_create
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db


def _admin_change(client, comment: Comment, body: str):
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    form = {
        "paper": comment.paper_id,
        "author": comment.author_id,
        "parent": comment.parent_id or "",
        "depth": comment.depth,
        "body": body,
        "is_deleted": "",
        "created_at_0": comment.created_at.strftime("%Y-%m-%d"),
        "created_at_1": comment.created_at.strftime("%H:%M:%S"),
        "edited_at_0": "",
        "edited_at_1": "",
    }
    return client.post(reverse("admin:comments_comment_change", args=[comment.pk]), form)


def test_admin_edit_renders_and_sanitises_the_new_body(client):
    comment = comment_create(author=make_user(), paper=make_paper(), body="First *draft*")

    response = _admin_change(client, comment, "Fixed: $x^2$ <script>alert(1)</script> **bold**")

    assert response.status_code == 302, response.content.decode()[:2000]
    comment.refresh_from_db()
    assert comment.body.startswith("Fixed:")
    assert "<strong>bold</strong>" in comment.body_html
    assert '<span class="math math-inline">$x^2$</span>' in comment.body_html
    assert "draft" not in comment.body_html
    assert "<script" not in comment.body_html


def test_admin_save_without_a_body_change_keeps_the_html(client):
    comment = comment_create(author=make_user(), paper=make_paper(), body="Keep *me*")
    Comment.objects.filter(pk=comment.pk).update(body_html="<p>stored</p>")
    comment.refresh_from_db()

    response = _admin_change(client, comment, comment.body)

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body_html == "<p>stored</p>"


def test_admin_cannot_move_a_reply_to_another_thread(client):
    paper = make_paper()
    first = comment_create(author=make_user(), paper=paper, body="first")
    second = comment_create(author=make_user(), paper=paper, body="second")
    reply = comment_create(author=make_user(), paper=paper, body="reply", parent=first)
    reply.parent, reply.depth, reply.paper = second, 5, make_paper()  # what the form will say

    response = _admin_change(client, reply, "reply, edited")

    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "reply, edited"
    assert (reply.paper, reply.parent, reply.root, reply.depth) == (paper, first, first, 1)
