"""What comes back to the digest addresses: delivery reports (bounces) and mailto unsubscribes.

``manage.py digest_mailbox`` reads Maildir directories, mbox files or single messages and acts on
two kinds of message; everything else (auto-replies, replies, bounces that are not RFC 3464
delivery reports, spam, garbage) is counted as unrecognised and left alone:

- A delivery status notification (RFC 3464: ``multipart/report; report-type=delivery-status``)
  whose recipient failed permanently (``Action: failed`` with a ``5.x.x`` status). Such a report
  is as easy to forge as any mail, so it disables a subscription only when the message it returns
  (``message/rfc822`` or ``text/rfc822-headers``, which Postfix, Exim, Gmail and Exchange all
  include) carries that subscription's token in its ``List-Unsubscribe`` header and the failed
  address is the subscription's: whoever can produce that could unsubscribe it anyway. Temporary
  failures (``4.x.x``, ``Action: delayed``) are ignored; the next digest tries again.
- An unsubscribe request sent by the ``mailto:`` half of ``List-Unsubscribe``: the subject
  ``unsubscribe TOKEN``. Only the token counts, never the sender's address, which anyone can forge.

The parsing functions are pure; :func:`mailbox_process` applies their results through the
services, in one transaction (rolled back for a dry run).
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import mailbox
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import Resolver404, resolve

from apps.digests import selectors, services
from apps.digests.models import Subscription

# "unsubscribe TOKEN", any case, any spacing; a client that did not decode the mailto's subject
# leaves "%20". Tokens are URL-safe base64 (models.new_subscription_token).
UNSUBSCRIBE_SUBJECT = re.compile(r"\s*unsubscribe(?:\s+|%20)([A-Za-z0-9_-]{16,64})\s*", re.I)
HARD_STATUS = re.compile(r"\s*5\.\d{1,3}\.\d{1,3}\b")

# What reading a malformed message can raise (a part in an unknown charset, a header the standard
# library's parser trips on): the message is unrecognised, the run goes on.
MALFORMED = (email.errors.MessageError, LookupError, ValueError, IndexError)


class MailboxError(Exception):
    """A path that is not a readable Maildir, mbox file or message."""


def _parse(file) -> EmailMessage:
    return email.message_from_binary_file(file, policy=email.policy.default)


def _open(path: Path) -> Iterable[EmailMessage]:
    """What ``path`` holds, checked before any message is read from it."""
    try:
        if path.is_dir():
            if not ((path / "cur").is_dir() and (path / "new").is_dir()):
                raise MailboxError(f"{path} is a directory but not a Maildir (no cur/ and new/).")
            return mailbox.Maildir(path, factory=_parse, create=False)
        if not path.exists():
            raise MailboxError(f"{path} does not exist.")
        if not path.is_file():
            raise MailboxError(f"{path} is not a file or a directory.")
        with path.open("rb") as file:
            start = file.read(5)
        if start in (b"", b"From "):  # an mbox (an empty one holds no message)
            return mailbox.mbox(path, factory=_parse, create=False)
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    except OSError as error:
        raise MailboxError(f"{path}: cannot read it ({error.strerror or error}).") from error
    if not message.keys():
        raise MailboxError(f"{path} is not an email message, an mbox file or a Maildir.")
    return [message]


def _iterate(path: Path, source: Iterable[EmailMessage]) -> Iterator[EmailMessage]:
    try:
        yield from source
    except OSError as error:
        raise MailboxError(f"{path}: cannot read it ({error.strerror or error}).") from error


def read_messages(path: str | Path) -> Iterator[EmailMessage]:
    """The messages in ``path``: a Maildir directory (its new/ and cur/), an mbox file or a
    single message (.eml). Raises MailboxError, at once, for a path that is none of these or
    cannot be read, and while iterating for a message that cannot be read."""
    path = Path(path)
    return _iterate(path, _open(path))


def is_delivery_report(message: EmailMessage) -> bool:
    """An RFC 3464 delivery status notification."""
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )


def _address(field: object) -> str | None:
    """The address of a ``Final-Recipient: rfc822; addr`` field, None for other address types."""
    kind, _, address = str(field or "").partition(";")
    address = address.strip().strip("<>").strip()
    if kind.strip().lower() != "rfc822" or not address:
        return None
    try:
        validate_email(address)
    except ValidationError:
        return None
    return services.normalise_email(address)


def parse_bounce(message: EmailMessage) -> list[str]:
    """The addresses a delivery report says failed permanently (``Action: failed``, status
    ``5.x.x``): each such recipient's Final-Recipient, and its Original-Recipient when the
    message was forwarded. Empty for anything else, soft failures included."""
    if not is_delivery_report(message):
        return []
    addresses: list[str] = []
    for part in message.iter_parts():
        if part.get_content_type() != "message/delivery-status":
            continue
        # The first block is about the message, each further one about one recipient.
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:]:
            action = str(block.get("Action", "")).strip().lower()
            if not action.startswith("failed") or not HARD_STATUS.match(str(block["Status"])):
                continue
            for field in ("Final-Recipient", "Original-Recipient"):
                address = _address(block[field])
                if address and address not in addresses:
                    addresses.append(address)
    return addresses


def _returned_headers(message: EmailMessage) -> Iterator[EmailMessage]:
    """The headers of the message a delivery report returns."""
    for part in message.iter_parts():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            yield from (item for item in part.get_payload() if isinstance(item, EmailMessage))
        elif content_type == "text/rfc822-headers":
            yield email.message_from_string(part.get_content(), policy=email.policy.default)


def _token_from_link(link: str) -> str | None:
    try:
        url = urlsplit(link.strip())
    except ValueError:  # e.g. a broken IPv6 host
        return None
    if url.scheme.lower() == "mailto":
        subject = parse_qs(url.query).get("subject", [""])[0]
        match = UNSUBSCRIBE_SUBJECT.fullmatch(subject)
        return match[1] if match else None
    if url.scheme.lower() in ("http", "https"):
        try:
            found = resolve(unquote(url.path))
        except Resolver404:
            return None
        if found.view_name == "digests:unsubscribe":
            return found.kwargs["token"]
    return None


def returned_tokens(message: EmailMessage) -> set[str]:
    """The subscription tokens in the List-Unsubscribe header of the digest a delivery report
    returns: proof that the report is about a digest sent to that subscription."""
    tokens: set[str] = set()
    for returned in _returned_headers(message):
        for header in returned.get_all("List-Unsubscribe") or []:
            for link in re.findall(r"<([^>]*)>", str(header)):
                token = _token_from_link(link)
                if token:
                    tokens.add(token)
    return tokens


def parse_unsubscribe(message: EmailMessage) -> str | None:
    """The token of a mailto unsubscribe request (subject ``unsubscribe TOKEN``), else None."""
    match = UNSUBSCRIBE_SUBJECT.fullmatch(str(message.get("Subject", "")))
    return match[1] if match else None


@dataclass
class MailboxSummary:
    messages: int = 0
    hard_bounces: int = 0
    disabled: int = 0
    not_ours: int = 0  # hard bounces that return no digest sent to the failed address
    other_reports: int = 0  # soft bounces, delays, successful deliveries
    unsubscribe_requests: int = 0
    unsubscribed: int = 0
    unknown_tokens: int = 0
    unrecognised: int = 0

    def __str__(self) -> str:
        return (
            f"{_count(self.messages, 'message')} read: "
            f"{_count(self.hard_bounces, 'hard bounce')} "
            f"({_count(self.disabled, 'subscription')} disabled, "
            f"{self.not_ours} not about a digest to that address), "
            f"{_count(self.other_reports, 'other report')} ignored (soft bounces, delays), "
            f"{_count(self.unsubscribe_requests, 'unsubscribe request')} "
            f"({self.unsubscribed} unsubscribed, {self.unknown_tokens} with an unknown token), "
            f"{self.unrecognised} unrecognised."
        )


def _count(number: int, singular: str, plural: str = "") -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def _bounced_emails(addresses: list[str], tokens: set[str]) -> list[str]:
    """The subscriptions' addresses a hard bounce proves undeliverable: failed addresses whose
    subscription's token the returned digest carries (see the module doc)."""
    if not tokens:
        return []
    return list(
        Subscription.objects.filter(token__in=tokens, email__in=addresses).values_list(
            "email", flat=True
        )
    )


def _unsubscribe(token: str, summary: MailboxSummary) -> None:
    subscription = selectors.subscription_by_token(token=token)
    if subscription is None:
        summary.unknown_tokens += 1
    elif services.subscription_unsubscribe(subscription=subscription):
        summary.unsubscribed += 1


def mailbox_process(paths: Iterable[str | Path], *, dry_run: bool = False) -> MailboxSummary:
    """Disable the subscriptions of hard-bounced digests and unsubscribe those asked for by
    mail, from the messages in ``paths``; all or nothing (MailboxError on a bad path or an
    unreadable message), nothing written for a dry run. Reading the same messages again
    changes nothing more."""
    sources = [(Path(path), _open(Path(path))) for path in paths]
    summary = MailboxSummary()
    bounced: set[str] = set()
    with transaction.atomic():
        for path, source in sources:
            for message in _iterate(path, source):
                summary.messages += 1
                try:
                    report = is_delivery_report(message)
                    addresses = parse_bounce(message) if report else []
                    tokens = returned_tokens(message) if addresses else set()
                    token = None if report else parse_unsubscribe(message)
                except MALFORMED:
                    summary.unrecognised += 1
                    continue
                if addresses:
                    summary.hard_bounces += 1
                    emails = _bounced_emails(addresses, tokens)
                    if not emails:
                        summary.not_ours += 1
                    bounced.update(emails)
                elif report:
                    summary.other_reports += 1
                elif token:
                    summary.unsubscribe_requests += 1
                    _unsubscribe(token, summary)
                else:
                    summary.unrecognised += 1
        summary.disabled = services.subscriptions_bounce(emails=bounced) if bounced else 0
        if dry_run:
            transaction.set_rollback(True)
    return summary
