"""``manage.py digest_mailbox``: hard bounces disable, mailto requests unsubscribe, the rest is
left alone; Maildir, mbox and .eml inputs; dry run; bad input. Messages: fixtures/README.md."""

from __future__ import annotations

import base64
import email
import email.policy
import mailbox
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.digests.mailbox import (
    MailboxError,
    parse_bounce,
    parse_unsubscribe,
    read_messages,
    returned_tokens,
)
from apps.digests.models import Subscription

FIXTURES = Path(__file__).parent / "fixtures"
MESSAGES = sorted(FIXTURES.glob("*.eml"))

# The subscriptions the fixtures are about (their tokens appear in the returned digests).
SUBSCRIBERS = {
    "alice@example.org": "Rdw51CaAHFQtIRAKudPYnM6yCnf0tmvtP1ZoczUaazA",
    "carol@example.net": "mUbL02P5RuBq8mMa9P7-aLn_dlV5KPK-Y9cleN3zP9E",
    "dave@example.com": "BwbZOnzq4DxjW6tvKRN7KBI0Gh-idyG_Wn-QAX7Glw8",
    "erin@example.org": "Gh4PwNJcZLdI7AczCU9eaeAeH9rSuOWeAmID3IoC5s8",
    "frank@example.org": "Q9PuNiJvvwJfInl9eH_QK_XmensY0xJ28IJESigOyeA",
    "grace@example.org": "pL0o9YtxRZ0b7X3m1qWc5vN2sJ8kHd4fGa6eTu1yBiQ",
    "henry@example.org": "06rg8SNePJ5RcwO4kYCGKW4BRchJOro6Cx_Zp4s-Opg",
    "mallory@example.net": "Vv5SwsQbSef3Z67sup0nTdKyvqg_vqKeesgMxrP9c4w",
}
# What reading every fixture does: the rest stay active.
BOUNCED = {"alice@example.org", "carol@example.net", "dave@example.com"}
UNSUBSCRIBED = {"frank@example.org"}
SUMMARY = (
    "10 messages read: 4 hard bounces (3 subscriptions disabled, 1 not about a digest to that "
    "address), 2 other reports ignored (soft bounces, delays), 2 unsubscribe requests "
    "(1 unsubscribed, 1 with an unknown token), 2 unrecognised."
)
GARBAGE = bytes(range(256)) * 4


def message(name: str) -> email.message.EmailMessage:
    return email.message_from_bytes((FIXTURES / name).read_bytes(), policy=email.policy.default)


def made(headers: str, body: str = "") -> email.message.EmailMessage:
    return email.message_from_string(f"{headers}\n\n{body}", policy=email.policy.default)


@pytest.fixture
def subscribers(db) -> dict[str, Subscription]:
    return {
        address: Subscription.objects.create(
            email=address, token=token, status=Subscription.Status.ACTIVE
        )
        for address, token in SUBSCRIBERS.items()
    }


def statuses() -> dict[str, str]:
    return dict(Subscription.objects.values_list("email", "status"))


def expected_statuses() -> dict[str, str]:
    expected = dict.fromkeys(SUBSCRIBERS, "active")
    expected.update(dict.fromkeys(BOUNCED, "bounced"))
    expected.update(dict.fromkeys(UNSUBSCRIBED, "unsubscribed"))
    return expected


def run(*args: str) -> str:
    out = StringIO()
    call_command("digest_mailbox", *args, stdout=out)
    return out.getvalue().strip()


def maildir(tmp_path: Path, messages: list[bytes]) -> Path:
    """A Maildir holding ``messages``: the first half unread (new/), the rest read (cur/)."""
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(path, create=True)
    for number, raw in enumerate(messages):
        key = box.add(raw)
        if number >= len(messages) // 2:
            seen = box.get_message(key)
            seen.set_subdir("cur")
            seen.add_flag("S")
            box[key] = seen
    return path


def mbox(tmp_path: Path, messages: list[bytes]) -> Path:
    path = tmp_path / "digest.mbox"
    box = mailbox.mbox(path, create=True)
    for raw in messages:
        box.add(raw)
    box.close()
    return path


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("postfix_hard_bounce.eml", "alice@example.org"),
        ("exim_hard_bounce.eml", "carol@example.net"),
        ("gmail_hard_bounce.eml", "dave@example.com"),
        ("forged_bounce.eml", "henry@example.org"),
    ],
)
def test_a_permanent_failure_is_a_hard_bounce_of_its_final_recipient(name, address):
    assert parse_bounce(message(name)) == [address]


@pytest.mark.parametrize(
    "name",
    [
        "postfix_soft_bounce.eml",  # Action: failed, Status: 4.2.2
        "postfix_delayed.eml",  # Action: delayed
        "qmail_bounce.eml",  # no RFC 3464 report: not parsed from prose
        "autoreply.eml",
        "unsubscribe_request.eml",
    ],
)
def test_soft_failures_and_other_mail_are_no_hard_bounce(name):
    assert parse_bounce(message(name)) == []


def test_a_forwarded_recipient_bounces_under_both_addresses():
    report = made(
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; old-box@example.org\n"
        "Original-Recipient: rfc822; Alias@Example.org\nAction: failed\nStatus: 5.1.1\n\n"
        "Final-Recipient: x400; not-an-address\nAction: failed\nStatus: 5.1.1\n\n"
        "Final-Recipient: rfc822; not an address\nAction: failed\nStatus: 5.1.1\n--b--\n",
    )
    assert parse_bounce(report) == ["old-box@example.org", "alias@example.org"]


@pytest.mark.parametrize(
    ("name", "token"),
    [
        ("postfix_hard_bounce.eml", SUBSCRIBERS["alice@example.org"]),  # text/rfc822-headers
        ("exim_hard_bounce.eml", SUBSCRIBERS["carol@example.net"]),  # message/rfc822, cut
        ("gmail_hard_bounce.eml", SUBSCRIBERS["dave@example.com"]),  # message/rfc822, whole
    ],
)
def test_the_returned_digest_names_its_subscription(name, token):
    assert returned_tokens(message(name)) == {token}


@pytest.mark.parametrize(
    "link",
    [
        "<https://paperboard.example/digest/unsubscribe/{token}>",
        "<mailto:unsubscribe@paperboard.local?subject=unsubscribe%20{token}>",
    ],
)
def test_either_half_of_list_unsubscribe_names_the_subscription(link):
    token = SUBSCRIBERS["alice@example.org"]
    report = made(
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        "--b\nContent-Type: text/rfc822-headers\n\n"
        f"List-Unsubscribe: {link.format(token=token)}, <https://elsewhere.example/x>\n--b--\n",
    )
    assert returned_tokens(report) == {token}


def test_a_report_without_the_returned_message_names_no_subscription():
    assert returned_tokens(message("qmail_bounce.eml")) == set()
    assert returned_tokens(message("autoreply.eml")) == set()


@pytest.mark.parametrize(
    "subject",
    [
        "unsubscribe {token}",
        "UNSUBSCRIBE {token}",
        "  Unsubscribe \t {token}  ",
        "unsubscribe%20{token}",  # a client that did not decode the mailto's subject
        "=?utf-8?b?{encoded}?=",  # RFC 2047
    ],
)
def test_an_unsubscribe_subject_gives_its_token(subject):
    token = SUBSCRIBERS["frank@example.org"]
    encoded = base64.b64encode(f"unsubscribe {token}".encode()).decode()
    subject = subject.format(token=token, encoded=encoded)
    assert parse_unsubscribe(made(f"Subject: {subject}")) == token


@pytest.mark.parametrize(
    "subject",
    [
        "Re: unsubscribe {token}",
        "unsubscribe",
        "unsubscribe me please",
        "unsubscribe {token} now",
        "unsubscribe <{token}>",
    ],
)
def test_other_subjects_are_no_unsubscribe_request(subject):
    token = SUBSCRIBERS["frank@example.org"]
    assert parse_unsubscribe(made(f"Subject: {subject.format(token=token)}")) is None


def test_the_token_keeps_its_case():
    assert (
        parse_unsubscribe(message("unsubscribe_request.eml")) == (SUBSCRIBERS["frank@example.org"])
    )
    assert parse_unsubscribe(message("autoreply.eml")) is None


# --- reading ------------------------------------------------------------------------------


def test_reads_a_single_message_an_mbox_and_a_maildir(tmp_path):
    raws = [path.read_bytes() for path in MESSAGES]
    subjects = sorted(str(message(path.name)["Subject"]) for path in MESSAGES)
    assert [m["Subject"] for m in read_messages(MESSAGES[0])] == [
        message(MESSAGES[0].name)["Subject"]
    ]
    for path in (mbox(tmp_path, raws), maildir(tmp_path, raws)):
        assert sorted(str(m["Subject"]) for m in read_messages(path)) == subjects


def test_an_empty_mbox_has_no_message(tmp_path):
    empty = tmp_path / "empty.mbox"
    empty.touch()
    assert list(read_messages(empty)) == []


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda tmp: tmp / "missing", "does not exist"),
        (lambda tmp: tmp, "not a Maildir"),
        (lambda tmp: Path("/dev/null"), "not a file or a directory"),
        (lambda tmp: _write(tmp / "x.png", GARBAGE), "not an email message"),
    ],
)
def test_a_path_that_holds_no_mail_is_refused(tmp_path, make, error):
    with pytest.raises(MailboxError, match=error):
        read_messages(make(tmp_path))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- the command --------------------------------------------------------------------------


def test_a_maildir_of_everything(tmp_path, subscribers):
    path = maildir(tmp_path, [path.read_bytes() for path in MESSAGES])
    assert run(str(path)) == SUMMARY
    assert statuses() == expected_statuses()
    alice = Subscription.objects.get(email="alice@example.org")
    assert alice.bounced_at is not None
    assert Subscription.objects.get(email="frank@example.org").unsubscribed_at is not None


def test_an_mbox_with_a_garbage_message(tmp_path, subscribers):
    path = mbox(tmp_path, [GARBAGE, *(path.read_bytes() for path in MESSAGES)])
    assert run(str(path)) == SUMMARY.replace("10 messages", "11 messages").replace(
        "2 unrecognised", "3 unrecognised"
    )
    assert statuses() == expected_statuses()


def test_single_messages_and_reading_them_again(subscribers):
    paths = [str(path) for path in MESSAGES]
    assert run(*paths) == SUMMARY
    again = run(*paths)
    assert "3 subscriptions disabled" not in again
    assert "(0 subscriptions disabled" in again
    assert "(0 unsubscribed" in again
    assert statuses() == expected_statuses()


def test_a_dry_run_writes_nothing(tmp_path, subscribers):
    path = maildir(tmp_path, [path.read_bytes() for path in MESSAGES])
    assert run(str(path), "--dry-run") == f"Dry run, nothing written: {SUMMARY}"
    assert set(statuses().values()) == {"active"}
    assert not Subscription.objects.filter(bounced_at__isnull=False).exists()


def test_only_the_token_unsubscribes(subscribers):
    """The forged request comes from grace's address with a token that is not hers."""
    assert "1 with an unknown token" in run(str(FIXTURES / "forged_unsubscribe.eml"))
    assert statuses()["grace@example.org"] == "active"


def test_a_bounce_must_return_a_digest_sent_to_the_failed_address(subscribers):
    summary = run(str(FIXTURES / "forged_bounce.eml"))
    assert "1 hard bounce (0 subscriptions disabled, 1 not about a digest" in summary
    assert set(statuses().values()) == {"active"}  # neither henry nor the forger's mallory


def test_a_message_that_cannot_be_read_is_unrecognised(subscribers, tmp_path):
    raw = (FIXTURES / "postfix_hard_bounce.eml").read_text()
    raw = raw.replace(
        "Content-Type: text/rfc822-headers",
        "Content-Type: text/rfc822-headers;\n charset=x-unknown",
    )
    summary = run(str(_write(tmp_path / "odd.eml", raw.encode())))
    assert summary.startswith("1 message read: 0 hard bounces")
    assert summary.endswith("1 unrecognised.")
    assert statuses()["alice@example.org"] == "active"


def test_a_soft_bounce_leaves_the_subscription_active(subscribers):
    summary = run(str(FIXTURES / "postfix_soft_bounce.eml"), str(FIXTURES / "postfix_delayed.eml"))
    assert "0 hard bounces" in summary
    assert "2 other reports ignored (soft bounces, delays)" in summary
    assert statuses()["erin@example.org"] == "active"


def test_a_bad_path_stops_everything_before_anything_is_written(tmp_path, subscribers):
    good = str(FIXTURES / "postfix_hard_bounce.eml")
    for bad, error in [
        (tmp_path / "missing", "does not exist"),
        (_write(tmp_path / "garbage.bin", GARBAGE), "not an email message"),
        (tmp_path, "not a Maildir"),
    ]:
        with pytest.raises(CommandError, match=error):
            run(good, str(bad))
    assert set(statuses().values()) == {"active"}


def test_no_path_is_a_usage_error():
    with pytest.raises(CommandError, match="PATH"):
        call_command("digest_mailbox")
