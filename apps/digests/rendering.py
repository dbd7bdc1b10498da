"""The digest email: one digest, many subscribers.

``templates/digests/email/digest.html`` and ``digest.txt`` are rendered once per
``DigestRenderer`` with marks where something is personal (the greeting, the "for you" part,
the address and the subscriber's links), and the HTML's CSS is inlined once (css-inline; the
``@media`` rules for dark mode and small screens stay in a ``<style>`` block). The greeting,
the "for you" frame and each suggested paper are partials made the same way, a paper once per
renderer. A subscriber's email is then these pieces joined with their values: no template and
no inlining per email. An anonymous subscriber costs no query. An account holder's "for you"
part needs what their earlier digests showed and their recent activity: two queries, or none
when a sender ``prefetch``-es them for its whole batch (two queries a batch).

The web preview (``render_digest_html``) goes through the same code, so it shows exactly the
email.
"""

from __future__ import annotations

import binascii
import datetime as dt
import email.policy
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.utils import formatdate, make_msgid
from functools import cached_property, lru_cache
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import capfirst

from apps.core.navigation import absolute_url
from apps.digests.models import Digest, Frequency, Subscription
from apps.digests.schedule import period_containing
from apps.digests.selectors import (
    ForYouActivity,
    ForYouCandidates,
    ForYouPaper,
    digest_papers,
    for_you,
    for_you_activity,
    for_you_candidates,
    papers_already_sent,
    papers_already_sent_to,
)
from apps.papers.models import Paper
from apps.papers.templatetags.paper_tags import author_names, math_excerpt
from apps.users.models import User

SITE_NAME = "Paperboard"
HTML_TEMPLATE = "digests/email/digest.html"
TEXT_TEMPLATE = "digests/email/digest.txt"
CSS_TEMPLATE = "digests/email/digest.css"
EXCERPT_LENGTH = 280
AUTHORS_SHOWN = 4
FOR_YOU_LIMIT = 5
# What the page leaves to each subscriber.
PAGE_MARKS = ("greeting", "for_you", "email", "manage_url", "unsubscribe_url")

# The page: at-rules (dark mode, small screens) are kept in a <style> block, the other rules
# go into style attributes. The partials take the plain rules only.
_PAGE_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_FRAGMENT_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute_url(reverse("digests:unsubscribe", args=[subscription.token]))


def manage_url(subscription: Subscription) -> str:
    return absolute_url(reverse("digests:manage", args=[subscription.token]))


def digest_path(digest: Digest) -> str:
    """The digest's stable web address (``digests:daily`` or ``digests:weekly``)."""
    if digest.frequency == Frequency.WEEKLY:
        return reverse(
            "digests:weekly", args=[period_containing(Frequency.WEEKLY, digest.period_start)]
        )
    return reverse("digests:daily", args=[digest.period_start])


def _day_range(start: dt.date, end: dt.date) -> str:
    """Nov 23-29, Nov 30-Dec 6 (with an en dash)."""
    end_text = f"{end.day}" if end.month == start.month else f"{end:%b} {end.day}"
    return f"{start:%b} {start.day}\N{EN DASH}{end_text}"


def digest_heading(digest: Digest) -> str:
    """Top papers of Friday, Nov 27 / This week's top papers (Nov 23-29)."""
    start = digest.period_start
    if digest.frequency == Frequency.WEEKLY:
        return f"This week's top papers ({_day_range(start, digest.period_end)})"
    return f"Top papers of {start:%A}, {start:%b} {start.day}"


def digest_subject(digest: Digest) -> str:
    return f"{digest_heading(digest)} · {SITE_NAME}"


def long_date(day: dt.date) -> str:
    """Friday, November 27, 2026."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def _intro(digest: Digest) -> str:
    start = digest.period_start
    if digest.frequency == Frequency.WEEKLY:
        week = start.isocalendar()
        return (
            f"The papers the community upvoted most in week {week.week} of {week.year}"
            f" ({_day_range(start, digest.period_end)})"
        )
    return f"The papers the community upvoted most on {long_date(start)}"


@dataclass(frozen=True)
class PaperItem:
    """A paper as the email shows it: plain values, absolute URLs."""

    rank: int | None
    title: str
    url: str
    authors: str
    upvotes: int
    comments: int
    excerpt: str
    abs_url: str
    pdf_url: str
    thumbnail_url: str

    @classmethod
    def of(cls, paper: Paper, *, rank: int | None = None) -> PaperItem:
        return cls(
            rank=rank,
            title=" ".join(paper.title.split()),
            url=absolute_url(paper.get_absolute_url()),
            authors=author_names(paper.author_names, AUTHORS_SHOWN),
            upvotes=paper.upvotes_count,
            comments=paper.comments_count,
            excerpt=math_excerpt(paper.abstract, EXCERPT_LENGTH),
            abs_url=paper.arxiv_url,
            pdf_url=paper.pdf_url,
            thumbnail_url=absolute_url(paper.thumbnail.url) if paper.thumbnail else "",
        )


class _Marks:
    """Marks for the personal values, unique to a renderer so that no paper's text can hold
    one; they pass unchanged through autoescaping and the CSS inliner."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(6)
        self.pattern = re.compile(rf"\[\[{self.nonce}:(\w+)\]\]")

    def __getitem__(self, name: str) -> str:
        return f"[[{self.nonce}:{name}]]"


class _Filled:
    """A rendered part cut at its marks, filled in with one join."""

    def __init__(self, rendered: str, marks: _Marks) -> None:
        parts = marks.pattern.split(rendered)
        self.pieces, self.names = parts[0::2], parts[1::2]

    def fill(self, values: dict[str, str]) -> str:
        joined = [self.pieces[0]]
        for name, piece in zip(self.names, self.pieces[1:], strict=True):
            joined += (values[name], piece)
        return "".join(joined)


class DigestEmail(EmailMultiAlternatives):
    """A digest: plain text and HTML, built with the email package's legacy (compat32) API.

    Django's ``message()`` parses every header it sets through the modern API's header
    registry and encodes the bodies as quoted-printable in pure Python: 3 to 4 ms an email,
    more than rendering it. A digest's headers are values this module wrote (ASCII, the
    subject RFC 2047-encoded once per subject), and its bodies are encoded by binascii's C
    quoted-printable encoder: 0.2 ms. A message with anything else in its headers (a
    non-ASCII sender name or address) goes through Django's way.
    """

    def message(self, *, policy: email.policy.Policy = email.policy.default) -> Message:
        headers = [
            ("From", self.from_email),
            ("To", ", ".join(self.to)),
            *self.extra_headers.items(),
        ]
        if self.cc or self.reply_to or self.attachments or not _ascii(headers):
            return super().message(policy=policy)
        # Long headers (List-Unsubscribe) stay on one line: compat32 would fold them right
        # after the name, which some parsers read as a leading space in the value.
        compat = email.policy.compat32.clone(linesep=policy.linesep, max_line_length=998)
        message = MIMEMultipart("alternative", policy=compat)
        message["Subject"] = _encoded_subject(str(self.subject))
        for name, value in headers:
            message[name] = value
        message["Date"] = formatdate()
        message.attach(_text_part(self.body, "plain", compat))
        for content, mimetype in self.alternatives:
            message.attach(_text_part(content, mimetype.partition("/")[2], compat))
        return message


def _ascii(headers: list[tuple[str, str]]) -> bool:
    return all(value.isascii() and "\n" not in value and "\r" not in value for _, value in headers)


@lru_cache(maxsize=64)
def _encoded_subject(subject: str) -> str:
    """The subject as RFC 2047 encoded words (every digest of a period has the same one)."""
    return Header(subject, "utf-8").encode()


def _text_part(content: str, subtype: str, policy: email.policy.Policy) -> Message:
    part = Message(policy=policy)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(content.encode(), istext=True).decode("ascii"))
    return part


class DigestRenderer:
    """One digest for many subscribers: the shared part is rendered (and CSS-inlined) once;
    only the personal part is rendered per subscriber, in a constant number of queries."""

    def __init__(self, digest: Digest) -> None:
        self.digest = digest
        self.papers = digest_papers(digest)
        self.subject = digest_subject(digest)
        self._host = site_host()
        frequency = digest.frequency
        self._list_id = f"{SITE_NAME} {frequency} digest <{frequency}.digest.{self._host}>"
        self._marks = marks = _Marks()
        self._css = render_to_string(CSS_TEMPLATE)
        items = [PaperItem.of(paper, rank=rank) for rank, paper in enumerate(self.papers, 1)]
        self._page_context = {
            "site_name": SITE_NAME,
            "site_url": absolute_url("/"),
            "site_host": self._host,
            "subscribe_url": absolute_url(reverse("digests:home")),
            "frequency": frequency,
            "subject": self.subject,
            "heading": digest_heading(digest),
            "intro": _intro(digest),
            "archive_url": absolute_url(digest_path(digest)),
            "preheader": self._preheader(items),
            "papers": items,
            **{name: marks[name] for name in PAGE_MARKS},
        }
        self._page = self._part(None, {**self._page_context, "subscribed": True})
        self._greeting = self._part("greeting", {"name": marks["name"]})
        self._for_you = self._part("for_you", {"papers": marks["papers"]})
        self._suggested: dict[tuple[int, bool], tuple[_Filled, _Filled]] = {}
        # Prefetched for a batch (``prefetch``), used once by each subscriber's ``message``.
        self._already_sent: dict[int, set[int]] = {}
        self._activity: dict[int, ForYouActivity] = {}

    def _part(self, partial: str | None, context: dict) -> tuple[_Filled, _Filled]:
        """The HTML (CSS inlined) and text of the page, or of one of its partials."""
        suffix = f"#{partial}" if partial else ""
        html = render_to_string(HTML_TEMPLATE + suffix, context)
        text = render_to_string(TEXT_TEMPLATE + suffix, context)
        if partial:
            html = _FRAGMENT_INLINER.inline_fragment(html, self._css)
        else:
            html = _PAGE_INLINER.inline(html)
            text = text.rstrip() + "\n"  # not the blank lines of the partials' definitions
        return _Filled(html, self._marks), _Filled(text, self._marks)

    @cached_property
    def _preview_page(self) -> tuple[_Filled, _Filled]:
        """The page for a reader without a subscription (the web preview)."""
        return self._part(None, {**self._page_context, "subscribed": False})

    def _suggestion(self, paper: Paper, *, first: bool) -> tuple[_Filled, _Filled]:
        """A suggested paper, with a mark for its reason; made once per paper."""
        key = (paper.pk, first)
        if key not in self._suggested:
            context = {
                "paper": PaperItem.of(paper),
                "first": first,
                "reason": self._marks["reason"],
            }
            self._suggested[key] = self._part("paper", context)
        return self._suggested[key]

    @staticmethod
    def _preheader(items: list[PaperItem]) -> str:
        if not items:
            return ""
        more = len(items) - 1
        return f"#1 {items[0].title}" + (f" and {more} more" if more else "")

    @cached_property
    def candidates(self) -> ForYouCandidates:
        """The "for you" candidates, loaded with the first account holder."""
        return for_you_candidates(self.digest)

    def prefetch(self, subscriptions: list[Subscription]) -> None:
        """Load what the account holders among ``subscriptions`` need for their "for you"
        part in two queries, for the next ``message`` of each (a sender's batch)."""
        holders = [subscription for subscription in subscriptions if subscription.user_id]
        if not holders:
            return
        self._already_sent.update(papers_already_sent_to([s.pk for s in holders]))
        user_ids = [subscription.user_id for subscription in holders]
        self._activity.update(for_you_activity(user_ids=user_ids, candidates=self.candidates))

    def for_you(self, *, user: User, exclude_ids: set[int]) -> list[ForYouPaper]:
        return for_you(
            user=user,
            digest=self.digest,
            exclude_ids=exclude_ids,
            limit=FOR_YOU_LIMIT,
            candidates=self.candidates,
            activity=self._activity.pop(user.pk, None),
        )

    def message(self, subscription: Subscription) -> tuple[DigestEmail, list[int]]:
        """The email for ``subscription`` (select_related("user") done by the caller) and the
        ids of every paper it shows. From DIGEST_FROM_EMAIL, to [subscription.email], with
        List-Unsubscribe (https URL with subscription.token + mailto), List-Unsubscribe-Post,
        List-Id, a Message-ID; HTML (inlined CSS) + plain text parts."""
        user = subscription.user
        suggestions: list[ForYouPaper] = []
        if user is not None:
            already_sent = self._already_sent.pop(subscription.pk, None)
            if already_sent is None:
                already_sent = papers_already_sent(subscription)
            suggestions = self.for_you(user=user, exclude_ids=already_sent)
        html, text = self._render(subscription=subscription, user=user, suggestions=suggestions)
        message = DigestEmail(
            subject=self.subject,
            body=text,
            from_email=settings.DIGEST_FROM_EMAIL,
            to=[subscription.email],
            headers=self._headers(subscription),
        )
        message.attach_alternative(html, "text/html")
        paper_ids = [paper.pk for paper in self.papers]
        return message, paper_ids + [item.paper.pk for item in suggestions]

    def html(self, *, subscription: Subscription | None = None, user: User | None = None) -> str:
        """The email's HTML as ``subscription`` (or a reader without one) gets it; for a
        ``user``, with their "for you" part, less what their earlier digests showed."""
        suggestions: list[ForYouPaper] = []
        if user is not None:
            exclude_ids: set[int] = set()
            if subscription is not None:
                exclude_ids = papers_already_sent(subscription, except_digest=self.digest)
            suggestions = self.for_you(user=user, exclude_ids=exclude_ids)
        return self._render(subscription=subscription, user=user, suggestions=suggestions)[0]

    def _headers(self, subscription: Subscription) -> dict[str, str]:
        mailto = f"mailto:{settings.DIGEST_UNSUBSCRIBE_MAILTO}"
        mailto += f"?subject=unsubscribe%20{subscription.token}"
        return {
            "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": self._list_id,
            "Precedence": "bulk",
            "Auto-Submitted": "auto-generated",
            "Message-ID": make_msgid(domain=self._host),
        }

    def _render(
        self,
        *,
        subscription: Subscription | None,
        user: User | None,
        suggestions: list[ForYouPaper],
    ) -> tuple[str, str]:
        """The HTML and text parts with this reader's greeting, "for you" and footer."""
        values = dict.fromkeys(PAGE_MARKS, "")
        if subscription is not None:
            values["email"] = subscription.email
            values["manage_url"] = manage_url(subscription)
            values["unsubscribe_url"] = unsubscribe_url(subscription)
        html_values = {name: escape(value) for name, value in values.items()}
        text_values = values
        if user is not None:
            html_values["greeting"] = self._greeting[0].fill({"name": escape(user.public_name)})
            text_values["greeting"] = self._greeting[1].fill({"name": user.public_name})
        if suggestions:
            html_papers, text_papers = [], []
            for position, suggestion in enumerate(suggestions):
                html, text = self._suggestion(suggestion.paper, first=position == 0)
                reason = capfirst(suggestion.reason)
                html_papers.append(html.fill({"reason": escape(reason)}))
                text_papers.append(text.fill({"reason": reason}))
            html_values["for_you"] = self._for_you[0].fill({"papers": "".join(html_papers)})
            text_values["for_you"] = self._for_you[1].fill({"papers": "".join(text_papers)})
        html_page, text_page = self._page if subscription is not None else self._preview_page
        return html_page.fill(html_values), text_page.fill(text_values)


def render_digest_html(
    digest: Digest, *, subscription: Subscription | None = None, user: User | None = None
) -> str:
    """The digest's email HTML for the web preview: exactly what ``subscription``'s email
    shows (the shared part alone for a visitor)."""
    return DigestRenderer(digest).html(subscription=subscription, user=user)
