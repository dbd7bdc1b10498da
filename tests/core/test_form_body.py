"""A form in another charset than UTF-8 (or otherwise unreadable) is a 400 with one short log
line, with DEBUG on or off; nothing of it is acted on."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from apps.comments.models import Comment
from apps.votes.models import Vote
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db

URLENCODED = "application/x-www-form-urlencoded"
BODY = b"next=%2F&body=A+comment"


@pytest.fixture
def voter_client():
    client = Client(raise_request_exception=False)
    client.force_login(make_user())
    return client


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "content_type",
    [
        f"{URLENCODED}; charset=utf-16",
        f"{URLENCODED}; charset=latin-1",
        f'{URLENCODED}; charset="utf-16',
        f"{URLENCODED}; charset=utf-8; charset=utf-16",
        "multipart/form-data",  # no boundary
    ],
)
def test_unreadable_form_is_a_400_with_one_short_log_line(
    settings, caplog, voter_client, debug, content_type
):
    settings.DEBUG = debug
    paper = make_paper()

    with caplog.at_level(logging.INFO):
        responses = [
            voter_client.generic("POST", url, BODY, content_type=content_type)
            for url in (f"/papers/{paper.arxiv_id}/vote", f"/papers/{paper.arxiv_id}/comments")
        ]

    assert [response.status_code for response in responses] == [400, 400]
    assert "could not be read" in responses[0].content.decode()
    assert not Vote.objects.exists()
    assert not Comment.objects.exists()
    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(records) == 2
    for record in records:
        assert record.exc_info is None
        assert len(record.getMessage()) < 500
        assert "\n" not in record.getMessage()


@pytest.mark.parametrize(
    "content_type", [f"{URLENCODED}; charset=UTF8", f"{URLENCODED}; charset=unknown-charset"]
)
def test_utf8_aliases_and_unknown_charsets_are_read_as_utf8(voter_client, content_type):
    paper = make_paper()

    response = voter_client.generic(
        "POST", f"/papers/{paper.arxiv_id}/vote", b"next=%2Fcaf%C3%A9", content_type=content_type
    )

    assert response.status_code == 302
    assert response["Location"] == "/caf%C3%A9"
    assert Vote.objects.count() == 1


def test_invalid_utf8_bytes_in_a_form_are_replaced_not_an_error(voter_client):
    paper = make_paper()

    response = voter_client.generic(
        "POST",
        f"/papers/{paper.arxiv_id}/comments",
        b"body=caf\xc3+%FF\xfe&parent=\xff",
        content_type=URLENCODED,
    )

    assert response.status_code in (302, 422)
