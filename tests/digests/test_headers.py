"""The digest email's headers (RFC 2369, 2919, 3834, 8058) and its two parts."""

import datetime as dt
import email
import email.policy
import re

import pytest

from apps.digests.models import Frequency, Subscription
from apps.digests.rendering import DigestRenderer, manage_url, unsubscribe_url
from apps.digests.schedule import period_containing
from apps.digests.services import digest_freeze
from tests.factories import make_entry

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 27)
SITE = "https://papers.example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.DIGEST_FROM_EMAIL = "Paperboard digest <digest@papers.example.org>"
    settings.DIGEST_UNSUBSCRIBE_MAILTO = "unsubscribe@papers.example.org"


def digest(frequency=Frequency.DAILY):
    make_entry(day=DAY, title="Attention & memory are all you need", upvotes=3)
    return digest_freeze(frequency=frequency, period=period_containing(frequency, DAY))


def subscriber(email="reader@example.org"):
    return Subscription.objects.create(email=email, status=Subscription.Status.ACTIVE)


def sent(message):
    """The message as a mail server receives it, parsed back."""
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_the_headers_are_exactly_right():
    subscription = subscriber()
    token = subscription.token
    message, _ = DigestRenderer(digest()).message(subscription)
    parsed = sent(message)

    assert parsed["From"] == "Paperboard digest <digest@papers.example.org>"
    assert parsed["To"] == "reader@example.org"
    assert parsed["Subject"] == "Top papers of Friday, Nov 27 · Paperboard"
    assert parsed["List-Unsubscribe"] == (
        f"<{SITE}/digest/unsubscribe/{token}>, "
        f"<mailto:unsubscribe@papers.example.org?subject=unsubscribe%20{token}>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == "Paperboard daily digest <daily.digest.papers.example.org>"
    assert parsed["Precedence"] == "bulk"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<[^@<>\s]+@papers\.example\.org>", parsed["Message-ID"])
    assert parsed["Message-ID"] == message.extra_headers["Message-ID"]
    assert len(parsed.get_all("Message-ID")) == 1


def test_the_unsubscribe_and_manage_urls_carry_the_token():
    subscription = subscriber()

    assert unsubscribe_url(subscription) == f"{SITE}/digest/unsubscribe/{subscription.token}"
    assert manage_url(subscription) == f"{SITE}/digest/manage/{subscription.token}"


def test_a_weekly_digest_has_its_own_list_id_and_subject():
    message, _ = DigestRenderer(digest(Frequency.WEEKLY)).message(subscriber())
    parsed = sent(message)

    assert parsed["List-Id"] == "Paperboard weekly digest <weekly.digest.papers.example.org>"
    assert parsed["Subject"] == "This week's top papers (Nov 23\N{EN DASH}29) · Paperboard"


def test_each_subscriber_gets_their_own_token_and_message_id():
    renderer = DigestRenderer(digest())
    first, second = subscriber("a@example.org"), subscriber("b@example.org")
    one, _ = renderer.message(first)
    two, _ = renderer.message(second)

    assert one.to == ["a@example.org"]
    assert two.to == ["b@example.org"]
    assert first.token in one.extra_headers["List-Unsubscribe"]
    assert second.token not in one.extra_headers["List-Unsubscribe"]
    assert first.token not in two.alternatives[0].content
    assert one.extra_headers["Message-ID"] != two.extra_headers["Message-ID"]


def test_the_html_part_has_inlined_styles_and_keeps_dark_mode():
    subscription = subscriber()
    message, _ = DigestRenderer(digest()).message(subscription)
    parsed = sent(message)
    html = parsed.get_body(preferencelist=("html",)).get_content()

    assert parsed.get_content_type() == "multipart/alternative"
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="supported-color-schemes" content="light dark">' in html
    style_blocks = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(style_blocks) == 1
    assert "@media (prefers-color-scheme: dark)" in style_blocks[0]
    assert ".paper-title" not in style_blocks[0].split("@media")[0]  # the rest is inlined
    assert re.search(r'<td class="cell" style="[^"]*padding: 20px 24px', html)
    assert re.search(r'<body class="body" style="[^"]*background-color: #f7f7fb', html)
    assert "max-width: 600px" in html
    assert 'role="presentation"' in html
    # The footer, filled in for this subscriber.
    assert f'href="{SITE}/digest/unsubscribe/{subscription.token}"' in html
    assert f'href="{SITE}/digest/manage/{subscription.token}"' in html
    assert "reader@example.org is subscribed to the daily digest" in html
    assert f'href="{SITE}/digest/daily/2026-11-27"' in html  # view in the browser


def test_the_text_part_has_the_papers_and_the_links():
    subscription = subscriber()
    message, _ = DigestRenderer(digest()).message(subscription)
    text = sent(message).get_body(preferencelist=("plain",)).get_content()

    assert "1. Attention & memory are all you need" in text
    assert f"View in your browser: {SITE}/digest/daily/2026-11-27" in text
    assert f"Manage preferences: {SITE}/digest/manage/{subscription.token}" in text
    assert f"Unsubscribe: {SITE}/digest/unsubscribe/{subscription.token}" in text
    assert re.search(rf"Discuss: {SITE}/papers/\S+", text)
    assert "arXiv: https://arxiv.org/abs/" in text
    assert "<" not in text.replace("<http", "")  # no markup
    assert "&amp;" not in text
    assert (
        "Attention &amp; memory" in sent(message).get_body(preferencelist=("html",)).get_content()
    )


def test_both_parts_reach_the_server_exactly_as_rendered():
    """The bodies are quoted-printable by binascii: decoding gives back every character."""
    make_entry(day=DAY, title="Ünïcode “quotes” — and a line " + "long " * 60, upvotes=9)
    message, _ = DigestRenderer(digest()).message(subscriber())
    parsed = sent(message)
    headers = message.message(policy=email.policy.SMTP)

    assert headers["Content-Type"].startswith("multipart/alternative")
    for part in headers.get_payload():
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    # The server receives CRLF line ends (SMTP), the rest is byte for byte what was rendered.
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert text.replace("\r\n", "\n") == message.body
    html = parsed.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert html == message.alternatives[0].content
    assert "Ünïcode “quotes” —" in html


def test_a_sender_name_outside_ascii_goes_through_djangos_own_encoding(settings):
    settings.DIGEST_FROM_EMAIL = "Paperboard Übersicht <digest@papers.example.org>"
    message, _ = DigestRenderer(digest()).message(subscriber())
    parsed = sent(message)

    assert parsed["From"] == "Paperboard Übersicht <digest@papers.example.org>"
    assert parsed["Subject"] == "Top papers of Friday, Nov 27 · Paperboard"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Attention &amp; memory" in parsed.get_body(preferencelist=("html",)).get_content()
