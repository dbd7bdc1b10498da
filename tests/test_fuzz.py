"""Hostile input on every URL pattern, form field and API parameter: never a 5xx.

Production settings (``DEBUG`` off; the test client's ``raise_request_exception=False`` turns
an exception into the 500 a visitor would get). Every URL pattern of ``config.urls`` (the
permission matrix's paths, so a new URL is fuzzed as soon as it is in the matrix) gets:

- its variable segments replaced by hostile ones (NUL, a lone surrogate ``%ED%A0%80``, invalid
  UTF-8 ``%FF``, negative and very long numbers, impossible dates, 5,000 characters, ...);
- a query string with every parameter the site reads set to one hostile value, raw
  percent-encoded, once plain and once repeated (``?p=x&p=x``);
- for POST, every form field set to one hostile value, as a form, as multipart, as a raw
  urlencoded body of invalid bytes, as JSON where a form is expected, and with charsets Python
  does not have or that do not decode the body;

as a visitor, as a verified member and (POST) as a moderator. Each request runs in a savepoint
that is rolled back (see ``tests/test_permission_matrix.py``).

``FUZZ_LEVEL=full`` (what ``bench/fuzz.py`` runs) sends every value (the fast subset takes
every second or third), POSTs as every role of the matrix, queries as a moderator too, tries
each parameter alone with the nastiest values on every page a visitor can open, and sends
1 MB fields everywhere (the fast subset: as the verified member only).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from urllib.parse import quote

import pytest

from tests.moderation.conftest import make_moderator
from tests.test_permission_matrix import (
    MATRIX,
    build_world,
    request_in_savepoint,
    role_clients,
    url_paths,
)

FULL = os.environ.get("FUZZ_LEVEL") == "full"

# Raw (already percent-encoded) values for path segments and query strings.
RAW_VALUES = [
    "",
    "%00",
    "a%00b",
    "%ED%A0%80",  # a lone surrogate, UTF-8-encoded: invalid UTF-8
    "%FF",
    "%C0%AF",  # an overlong "/"
    "-1",
    "0",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    "%5B%5D",  # []
    "%7B%22a%22%3A1%7D",  # {"a":1}
    "..%2F..%2Fetc%2Fpasswd",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%27%20OR%201%3D1--",
    "%F0%9F%98%80",
    "%E2%80%AE",  # a bidi override
    "2024-13-45",
    "9999-W99",
    "x" * 5000,
]
# Decoded values for form fields (the client encodes them).
FIELD_VALUES = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: the client cannot even encode it as UTF-8 (sent as bytes)
    "-1",
    "0",
    "9" * 40,
    "1e309",
    "NaN",
    "[]",
    '{"a": 1}',
    "<script>alert(1)</script>",
    "' OR 1=1--",
    "\u202e\u200b",
    "x" * 100_000,
]
# Every name the site reads from a query string or a form (request.GET/POST, its forms, the
# API's parameters, allauth's forms).
PARAMS = [
    "action", "after", "apply", "authorship", "body", "cancel", "category", "date", "depth",
    "email", "frequency", "id", "kind", "next", "open", "p", "page", "q", "sort", "submitter",
    "type", "limit", "week", "month", "confirm", "confirm_username", "day", "days",
    "delivery_hour", "time_zone", "into", "moderator", "note", "orcid_url", "github_url",
    "scholar_url", "homepage_url", "display_name", "bio", "paper_fields", "parent", "reason",
    "text", "evidence", "title", "abstract", "authors", "arxiv_id", "login", "password",
    "password1", "password2", "remember", "username", "key", "code", "process", "tab",
]  # fmt: skip
CHARSETS = ["utf-16", "ibm500", "no-such-charset", "utf-8; charset=latin-1"]


@pytest.fixture
def fuzz_world(db, fast_password_hasher, settings):
    settings.DEBUG = False
    world = build_world()
    return world, url_paths(world), role_clients(world)


def _segments(path: str, world) -> list[tuple[int, str]]:
    """Indexes of the path's variable segments (the sample objects' ids, handles, dates)."""
    samples = {
        world.paper.arxiv_id, str(world.comment.pk), str(world.submission.pk),
        str(world.claim.pk), str(world.flag.pk), str(world.notification.pk),
        world.users["owner"].username, world.target.username, world.subscription.token,
        "2024-10-01", "2024-W40", "2024-10", "comment", "comments", "bogus-key", "1-bogus-key",
        "2410.00001.md", "avatar.svg", "missing.png",
    }  # fmt: skip
    parts = path.split("/")
    return [(i, part) for i, part in enumerate(parts) if part in samples or part.isdigit()]


def _with_segment(path: str, index: int, value: str) -> str:
    parts = path.split("/")
    parts[index] = value
    return "/".join(parts)


def _query(value: str, *, repeated: bool, names=PARAMS) -> str:
    pairs = [f"{name}={value}" for name in names]
    if repeated:
        pairs += pairs
    return "&".join(pairs)


def _form_bodies(value: str):
    """(description, data, extra) for the POST bodies carrying ``value`` in every field."""
    fields = dict.fromkeys(PARAMS, value)
    if "\ud800" in value:  # not encodable: the raw bytes a client could still send
        raw = _query("%ED%A0%80", repeated=False)
        yield "raw", raw, {"content_type": "application/x-www-form-urlencoded"}
        return
    yield (
        "form",
        _query(quote(value, safe=""), repeated=True),
        {"content_type": "application/x-www-form-urlencoded"},
    )
    yield "multipart", fields, {}


def _hostile_bodies(*, megabyte: bool):
    """Bodies that are wrong as a whole, whatever the values."""
    yield (
        "invalid-utf8",
        _query("%FF%FE%ED%A0%80", repeated=False),
        {"content_type": "application/x-www-form-urlencoded"},
    )
    yield (
        "json",
        '{"body": ["x"], "reason": {"a": null}, "p": 1e999}',
        {"content_type": "application/json"},
    )
    yield "json-as-form", '{"body": "x"}', {"content_type": "application/x-www-form-urlencoded"}
    for charset in CHARSETS:  # escaped and raw Latin-1 bytes, in a charset that cannot be right
        for body in (b"body=%E9t%E9&reason=spam", b"body=\xe9t\xe9\xff&reason=spam"):
            yield (
                f"charset={charset} {body!r}",
                body,
                {"content_type": f"application/x-www-form-urlencoded; charset={charset}"},
            )
    yield "multipart-no-boundary", b"--x\r\n", {"content_type": "multipart/form-data"}
    if megabyte:
        yield "megabyte", {"body": "x" * 1_000_000, "reason": "y" * 1_000_000}, {}


class Tally:
    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []

    def send(self, client, role: str, method: str, path: str, data=None, what: str = "", **extra):
        response = request_in_savepoint(client, method, path, data, **extra)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            shown = what or (path if len(path) < 300 else path[:300] + "...")
            self.failures.append(f"{response.status_code} {method} {path[:200]} as {role}: {shown}")

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


SWEEP_VALUES = ["", "%00", "%ED%A0%80", "%FF", "-1", "99999999999999999999999999999999", "x" * 5000]


def _reads_queries(key: str) -> bool:
    """A page a visitor gets (a redirect or an error before any parameter is read is not)."""
    return MATRIX.get(key, {}).get("GET", "200").split()[0] == "200"


def _accepts_post(key: str) -> bool:
    row = MATRIX.get(key, {}).get("POST", "")
    return not row or any(code != "405" for code in row.split())


def test_no_hostile_input_gets_a_5xx(fuzz_world):
    world, paths, clients = fuzz_world
    if FULL:
        segment_values = query_values = RAW_VALUES
        query_roles, post_roles = ["anon", "verified", "moderator"], list(clients)
        field_values = FIELD_VALUES
    else:  # the fast subset: every URL and every kind of value, fewer combinations
        segment_values, query_values = RAW_VALUES[::2], RAW_VALUES[1::4]
        query_roles, post_roles = ["anon", "verified"], ["anon", "verified", "moderator"]
        field_values = FIELD_VALUES[::3]
    tally = Tally()
    started = time.monotonic()
    for key, path in paths.items():
        # Segments: as a visitor (the resolver and the object lookups come before any role).
        for index, _ in _segments(path, world):
            for value in segment_values:
                tally.send(clients["anon"], "anon", "GET", _with_segment(path, index, value))
        # Query strings: every parameter at once, plain and repeated; each one alone (full).
        for role in query_roles:
            for value in query_values if role == "anon" or FULL else query_values[::2]:
                for repeated in (False, True):
                    query = _query(value, repeated=repeated)
                    tally.send(clients[role], role, "GET", f"{path}?{query}")
                if FULL and role == "anon" and _reads_queries(key) and value in SWEEP_VALUES:
                    for name in PARAMS:  # each parameter alone: no other one fails first
                        tally.send(clients[role], role, "GET", f"{path}?{name}={value}")
        if not _accepts_post(key):
            continue
        for role in post_roles:
            if role == "moderator" and not FULL and "moderation" not in key:
                continue
            client = clients[role]
            if FULL or role != "anon":  # a visitor is sent to log in before any field is read
                for value in field_values:
                    for what, data, extra in _form_bodies(value):
                        shown = f"{what} {value[:40]!r}"
                        tally.send(client, role, "POST", path, data, shown, **extra)
            for what, data, extra in _hostile_bodies(megabyte=FULL or role == "verified"):
                tally.send(client, role, "POST", path, data, what, **extra)
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz ({'full' if FULL else 'fast'}): {tally.total} requests in {elapsed:.0f} s; "
        + ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items()))
    )
    assert not tally.failures, f"{len(tally.failures)} x 5xx:\n" + "\n".join(tally.failures)


@pytest.mark.parametrize(
    "path",
    [
        "/media/thumbnails/" + "x" * 5000,  # OSError: file name too long
        "/digest/manage/%00",  # PostgreSQL text cannot contain NUL
        "/digest/unsubscribe/a%00b",
    ],
)
def test_what_the_fuzz_found_is_a_404(client, db, settings, path):
    settings.DEBUG = False
    client.raise_request_exception = False
    assert client.get(path).status_code == 404


def test_a_nul_in_the_moderators_user_search_finds_nobody(client, db, settings):
    """The full fuzz found it: PostgreSQL text cannot hold NUL, and the query raised."""
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(make_moderator("mod"))
    response = client.get("/moderation/users?q=a%00b")
    assert response.status_code == 200
