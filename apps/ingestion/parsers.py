"""Streaming parsers for what arXiv serves: query API responses and daily listing feeds.

:func:`open_feed` recognises the format from the content itself:

* the query API's Atom response (``export.arxiv.org/api/query``): complete metadata, one
  ``<entry>`` per paper, ``opensearch:totalResults`` before the entries;
* the daily listing as RSS 2.0 (``rss.arxiv.org/rss/cs.LG``) or Atom
  (``rss.arxiv.org/atom/cs.LG``): what was announced on one day, each entry tagged new,
  cross, replace or replace-cross.

The XML is read with ``lxml.etree.iterparse`` and every entry is dropped once parsed, so a
feed of any length is parsed in constant memory. Entities are not resolved and nothing is
fetched from the network. A feed that cannot be trusted (truncated, not XML, an HTML error
page, an entry without an id or with a garbage date) raises :class:`FeedError`: the caller
rolls back the batch rather than import part of it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

import lxml.html
from lxml import etree

from apps.ingestion.links import find_code_links
from apps.papers.arxiv_ids import split_version
from apps.papers.services import PaperRecord

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
DC = "{http://purl.org/dc/elements/1.1/}"
A_FEED, A_ENTRY, A_ID, A_TITLE = ATOM + "feed", ATOM + "entry", ATOM + "id", ATOM + "title"
A_SUBTITLE, A_UPDATED, A_PUBLISHED = ATOM + "subtitle", ATOM + "updated", ATOM + "published"
A_SUMMARY, A_AUTHOR, A_NAME = ATOM + "summary", ATOM + "author", ATOM + "name"
A_CATEGORY = ATOM + "category"
X_AFFILIATION, X_PRIMARY = ARXIV + "affiliation", ARXIV + "primary_category"
X_COMMENT, X_DOI, X_DOI_UPPER = ARXIV + "comment", ARXIV + "doi", ARXIV + "DOI"
# The API says journal_ref; listings say journal_reference (arXiv/arxiv-feed).
X_JOURNAL_REF, X_JOURNAL_REFERENCE = ARXIV + "journal_ref", ARXIV + "journal_reference"
X_ANNOUNCE_TYPE = ARXIV + "announce_type"
OS_TOTAL = OPENSEARCH + "totalResults"
DC_CREATOR = DC + "creator"
# Text fields of an API entry, by tag.
_API_TEXT = {
    A_ID: "id",
    A_TITLE: "title",
    A_SUMMARY: "summary",
    A_PUBLISHED: "published",
    A_UPDATED: "updated",
    X_COMMENT: "comment",
    X_JOURNAL_REF: "journal_ref",
    X_DOI: "doi",
}

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
_SNIFF_BYTES = 64 * 1024  # enough to see the root element and an HTML page's title
_API_ID_RE = re.compile(r"^https?://(?:export\.)?arxiv\.org/abs/(?P<id>\S+)$", re.IGNORECASE)
_OAI_PREFIX_RE = re.compile(r"^oai:arxiv\.org:", re.IGNORECASE)
# "arXiv:2504.17830v1 Announce Type: new \nAbstract: ..." at the start of a listing entry.
_ANNOUNCE_RE = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?",
    re.IGNORECASE,
)
_LXML_POSITION_RE = re.compile(r",? line \d+, column \d+$")
_FEED_ERROR_TITLE = "feed error for query"


class FeedError(ValueError):
    """The content is not a feed this module can trust; the message says why, for humans."""


@dataclass(frozen=True)
class ParsedEntry:
    """One paper of a feed; listing entries also say how and when it was announced."""

    record: PaperRecord
    announce_type: str | None = None  # "new", "cross", "replace", "replace-cross"; None (API)
    announced_on: dt.date | None = None


def open_feed(source: bytes | BinaryIO) -> Feed:
    """Open an arXiv response (bytes or a binary file) and read its header.

    Raises :class:`FeedError` at once for an empty response, an HTML page, a root element
    that is neither Atom nor RSS, or arXiv's own "Feed error for query" listing.
    """
    stream: BinaryIO = (
        io.BytesIO(bytes(source)) if isinstance(source, bytes | bytearray | memoryview) else source
    )
    prefix = stream.read(_SNIFF_BYTES)
    if not prefix.strip():
        raise FeedError("arXiv returned an empty response, not a feed")
    if _looks_like_html(prefix):
        raise FeedError(_html_message(prefix))
    return Feed(_Prefixed(prefix, stream), prefix)


class Feed:
    """A feed being read: ``kind`` and header fields first, then the entries, lazily.

    ``kind`` is ``"api"`` or ``"listing"``. ``total_results`` is the API's
    ``opensearch:totalResults`` (None for listings). ``announced_on`` is a listing's date, the
    announcement day. Iterate once: the entries are streamed from the source.
    """

    kind: Literal["api", "listing"]
    total_results: int | None
    announced_on: dt.date | None

    def __init__(self, stream: _Prefixed, prefix: bytes) -> None:
        self.total_results = None
        self.announced_on = None
        self._count = 0
        self._started = False
        root_tag = _root_tag(prefix)
        if root_tag == A_FEED:
            entry_tag = A_ENTRY
        elif root_tag == "rss":
            entry_tag = "item"
        elif etree.QName(root_tag).localname.lower() == "html":
            raise FeedError(_html_message(prefix))
        else:
            raise FeedError(
                "the file is neither an arXiv API (Atom) response nor an arXiv listing feed "
                f"(its root element is <{etree.QName(root_tag).localname}>)"
            )
        # Only the entries' end events reach Python: the header is read from the tree.
        parser = etree.iterparse(
            stream,
            events=("end",),
            tag=entry_tag,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
        )
        self._events = self._checked(parser)
        first = next(self._events, None)
        self._pending: etree._Element | None = None if first is None else first[1]
        root = parser.root if self._pending is None else self._pending.getroottree().getroot()
        if root_tag == A_FEED:
            self._read_atom_header(root)
        else:
            self._read_rss_header(root)

    def __iter__(self) -> Iterator[ParsedEntry]:
        return self.entries()

    def entries(self) -> Iterator[ParsedEntry]:
        """The entries in feed order; each is parsed, then dropped from memory."""
        if self._started:
            raise RuntimeError("a Feed streams its source and can be iterated only once")
        self._started = True
        return self._entries()

    # --- Header: what precedes the first entry ----------------------------------------------

    def _read_atom_header(self, root: etree._Element) -> None:
        kind: str | None = None
        title = subtitle = updated = ""
        for elem in root:
            tag = elem.tag
            if tag == A_ENTRY:
                break
            if tag == A_ID:
                feed_id = (elem.text or "").strip().lower()
                if "rss.arxiv.org" in feed_id:
                    kind = "listing"
                elif "arxiv.org/api" in feed_id:
                    kind = "api"
            elif tag == A_TITLE:
                title = _clean(elem.text)
            elif tag == A_SUBTITLE:
                subtitle = _clean(elem.text)
            elif tag == A_UPDATED:
                updated = (elem.text or "").strip()
            elif isinstance(tag, str) and tag.startswith(OPENSEARCH):
                kind = "api"
                if tag == OS_TOTAL:
                    self.total_results = _count(elem.text)
        self.kind = kind or self._kind_of(self._pending)  # type: ignore[assignment]
        if self.kind == "listing":
            _raise_for_listing_error(title, subtitle)
            if updated:
                self.announced_on = _listing_date(updated, "the listing")

    @staticmethod
    def _kind_of(entry: etree._Element | None) -> str:
        """What an Atom feed is, from its first entry, when its header did not say."""
        if entry is not None:
            entry_id = (entry.findtext(A_ID) or "").strip()
            if _OAI_PREFIX_RE.match(entry_id) or entry.find(X_ANNOUNCE_TYPE) is not None:
                return "listing"
            if _API_ID_RE.match(entry_id) or "arxiv.org/api/errors" in entry_id:
                return "api"
        raise FeedError(
            "the file is neither an arXiv API (Atom) response nor an arXiv listing feed"
        )

    def _read_rss_header(self, root: etree._Element) -> None:
        self.kind = "listing"
        channel = root.find("channel")
        if channel is None:
            raise FeedError("the RSS feed has no <channel>: not an arXiv listing feed")
        title = description = pub_date = build_date = ""
        for elem in channel:
            tag = elem.tag
            if tag == "item":
                break
            if tag == "title":
                title = _clean(elem.text)
            elif tag == "description":
                description = _clean(elem.text)
            elif tag == "pubDate":
                pub_date = (elem.text or "").strip()
            elif tag == "lastBuildDate":
                build_date = (elem.text or "").strip()
        _raise_for_listing_error(title, description)
        if pub_date or build_date:
            self.announced_on = _listing_date(pub_date or build_date, "the listing")

    # --- Entries --------------------------------------------------------------------------

    def _entries(self) -> Iterator[ParsedEntry]:
        parse = self._api_entry if self.kind == "api" else self._listing_entry
        if self._pending is not None:
            entry, self._pending = self._pending, None
            yield self._parse_and_drop(parse, entry)
        for _, entry in self._events:
            yield self._parse_and_drop(parse, entry)

    def _parse_and_drop(
        self, parse: Callable[[etree._Element, int], ParsedEntry], entry: etree._Element
    ) -> ParsedEntry:
        self._count += 1
        parsed = parse(entry, self._count)
        # Free the entry and everything before it: memory stays flat however long the feed.
        entry.clear(keep_tail=False)
        parent = entry.getparent()
        if parent is not None:
            while entry.getprevious() is not None:
                del parent[0]
        return parsed

    def _api_entry(self, entry: etree._Element, position: int) -> ParsedEntry:
        text = dict.fromkeys(_API_TEXT.values(), "")
        primary = ""
        authors: list[str] = []
        affiliations: list[str] = []
        categories: list[str] = []
        for child in entry:
            tag = child.tag
            name = _API_TEXT.get(tag)
            if name is not None:
                text[name] = child.text or ""
            elif tag == A_AUTHOR:
                author, places = "", []
                for part in child:
                    if part.tag == A_NAME:
                        author = part.text
                    elif part.tag == X_AFFILIATION and part.text:
                        places.append(_clean(part.text))
                authors.append(_clean(author))
                affiliations.append("; ".join(places))
            elif tag == A_CATEGORY:
                categories.append(child.get("term", "").strip())
            elif tag == X_PRIMARY:
                primary = child.get("term", "").strip()
        raw_id, summary = text["id"].strip(), text["summary"]
        published, updated = text["published"].strip(), text["updated"].strip()
        comment = _clean(text["comment"])
        if "arxiv.org/api/errors" in raw_id.lower():
            raise FeedError(f"arXiv rejected the query: {_clean(summary) or raw_id}")
        if not raw_id:
            raise FeedError(f"entry {position} has no arXiv id")
        match = _API_ID_RE.match(raw_id)
        if not match:
            raise FeedError(f"entry {position} has an id that is not an arXiv id: {raw_id!r}")
        arxiv_id, version = _split_id(match.group("id"), position)
        label = f"entry {arxiv_id}"
        if not published:
            raise FeedError(f"{label} has no publication date")
        published_at = _timestamp(published, label)
        updated_at = _timestamp(updated, label) if updated else published_at
        version = version or 1
        version_dates = {1: published_at}
        if version > 1:
            version_dates[version] = updated_at
        abstract = _clean(summary)
        github_repo, project_page = find_code_links(abstract, comment)
        record = PaperRecord(
            arxiv_id=arxiv_id,
            version=version,
            title=_clean(text["title"]),
            abstract=abstract,
            authors=authors,
            affiliations=affiliations,
            published_on=published_at.date(),
            updated_on=updated_at.date() if updated_at != published_at else None,
            version_dates=version_dates,
            primary_category=primary or (categories[0] if categories else ""),
            categories=_categories(primary, categories),
            comment=comment,
            journal_ref=_clean(text["journal_ref"]),
            doi=_clean(text["doi"]),
            github_repo=github_repo,
            project_page=project_page,
            complete=True,
        )
        return ParsedEntry(record=record)

    def _listing_entry(self, entry: etree._Element, position: int) -> ParsedEntry:
        """A listing entry, incomplete by nature (``complete=False``).

        A listing knows the day it announced an entry, not when the versions were submitted:
        ``published_on`` is the announcement day, and ``version_dates`` holds only the
        announced version, at 00:00 UTC that day. For a replacement (version > 1) the date
        of version 1 is unknown; ``published_on`` is the announcement day all the same, and
        version 1 is not put in ``version_dates``. arXiv lists the primary category first.
        """
        raw_id = title = description = announce = date_text = ""
        journal_ref = doi = ""
        creators: list[str] = []
        atom_authors: list[str] = []
        categories: list[str] = []
        for child in entry:
            tag = child.tag
            if tag in ("guid", A_ID):
                raw_id = (child.text or "").strip()
            elif tag in ("title", A_TITLE):
                title = child.text or ""
            elif tag in ("description", A_SUMMARY):
                description = child.text or ""
            elif tag == "category":
                categories.append((child.text or "").strip())
            elif tag == A_CATEGORY:
                categories.append(child.get("term", "").strip())
            elif tag in ("pubDate", A_PUBLISHED):
                date_text = (child.text or "").strip()
            elif tag == X_ANNOUNCE_TYPE:
                announce = (child.text or "").strip().lower()
            elif tag == DC_CREATOR:
                creators.append(child.text or "")
            elif tag == A_AUTHOR:
                atom_authors.append(child.findtext(A_NAME) or "")
            elif tag in (X_JOURNAL_REFERENCE, X_JOURNAL_REF):
                journal_ref = _clean(child.text)
            elif tag in (X_DOI_UPPER, X_DOI):
                doi = _clean(child.text)
        prefix = _ANNOUNCE_RE.match(description)
        if prefix:
            description = description[prefix.end() :]
            raw_id = raw_id or prefix.group("id")
            announce = announce or prefix.group("type").lower()
        if not raw_id:
            raise FeedError(f"entry {position} has no arXiv id")
        arxiv_id, version = _split_id(_OAI_PREFIX_RE.sub("", raw_id), position)
        label = f"entry {arxiv_id}"
        if announce not in ANNOUNCE_TYPES:
            raise FeedError(
                f"{label} has an unknown announce type {announce!r} "
                f"(expected one of {', '.join(ANNOUNCE_TYPES)})"
            )
        if date_text:
            announced_on = _listing_date(date_text, label)
        elif self.announced_on:
            announced_on = self.announced_on
        else:
            raise FeedError(f"{label} has no announcement date, and neither has the listing")
        version = version or 1
        if creators:
            authors, affiliations = _split_creators(", ".join(creators))
        else:
            authors = [_clean(name) for name in atom_authors]
            affiliations = [""] * len(authors)
        abstract = _clean(description)
        github_repo, project_page = find_code_links(abstract)
        categories = _categories("", categories)
        midnight = dt.datetime.combine(announced_on, dt.time(), tzinfo=dt.UTC)
        record = PaperRecord(
            arxiv_id=arxiv_id,
            version=version,
            title=_clean(title),
            abstract=abstract,
            authors=authors,
            affiliations=affiliations,
            published_on=announced_on,
            version_dates={version: midnight},
            primary_category=categories[0] if categories else "",
            categories=categories,
            journal_ref=journal_ref,
            doi=doi,
            github_repo=github_repo,
            project_page=project_page,
            complete=False,
        )
        return ParsedEntry(record=record, announce_type=announce, announced_on=announced_on)

    @staticmethod
    def _checked(events: Iterator) -> Iterator:
        try:
            yield from events
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(exc) from exc


class _Prefixed:
    """The bytes already read to sniff the format, then the rest of the stream."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = prefix
        self._rest = rest

    def read(self, size: int | None = -1) -> bytes:
        if not self._prefix:
            return self._rest.read(size)
        if size is None or size < 0:
            data, self._prefix = self._prefix + self._rest.read(), b""
            return data
        data, self._prefix = self._prefix[:size], self._prefix[size:]
        return data


# --- Helpers ---------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    """Runs of whitespace to one space, stripped; everything else (LaTeX too) kept."""
    if not text:
        return ""
    # Fast path for text already clean (most of it): XML text holds no ASCII whitespace
    # but space, tab, CR and LF, and ASCII text has no other whitespace.
    if text.isascii() and not ("  " in text or "\n" in text or "\t" in text or "\r" in text):
        return text.strip()
    return " ".join(text.split())


def _root_tag(prefix: bytes) -> str:
    """The root element's tag, from the first bytes (before anything is built in memory)."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        # Bit by bit: an error after the root's start tag is for the real parse to report.
        for offset in range(0, len(prefix), 1024):
            parser.feed(prefix[offset : offset + 1024])
            for _, elem in parser.read_events():
                return elem.tag
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from exc
    raise FeedError(
        f"the file does not start like XML: no root element in its first {len(prefix):,} bytes"
    )


def _syntax_error(exc: etree.XMLSyntaxError) -> FeedError:
    message = _LXML_POSITION_RE.sub("", exc.msg or str(exc)).strip()
    line = exc.position[0] if exc.position else exc.lineno
    return FeedError(f"the feed is truncated or not well-formed XML: {message} (line {line})")


def _count(text: str | None) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise FeedError(f"the feed has an unreadable result count {text!r}") from None


def _split_id(raw: str, position: int) -> tuple[str, int | None]:
    try:
        return split_version(raw)
    except ValueError:
        raise FeedError(f"entry {position} has an id that is not an arXiv id: {raw!r}") from None


def _timestamp(text: str, label: str) -> dt.datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (UTC assumed when no offset is given)."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FeedError(f"{label} has an unreadable date {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _listing_date(text: str, label: str) -> dt.date:
    """The day of an RSS (RFC 822) or Atom (ISO 8601) date, in the feed's own time zone.

    arXiv dates its announcements at midnight New York time (``00:00:00 -0400``); converted
    to UTC that is still the same day, but the local day is the one arXiv means.
    """
    try:
        if text[:4].isdigit():
            return dt.datetime.fromisoformat(text).date()
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        raise FeedError(f"{label} has an unreadable date {text!r}") from None


def _categories(primary: str, categories: list[str]) -> list[str]:
    ordered = [primary, *categories] if primary else categories
    return list(dict.fromkeys(c for c in ordered if c))


def _raise_for_listing_error(title: str, description: str) -> None:
    # rss.arxiv.org answers an unknown category with a feed titled "Feed error for query".
    if title.lower().startswith(_FEED_ERROR_TITLE):
        raise FeedError(f"arXiv refused the listing: {description or title}")


def _looks_like_html(prefix: bytes) -> bool:
    head = prefix.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2 :].lstrip()
    return head.startswith((b"<!doctype html", b"<html"))


def _html_message(prefix: bytes) -> str:
    try:
        title = _clean(lxml.html.document_fromstring(prefix).findtext(".//title"))
    except (etree.ParserError, ValueError):
        title = ""
    detail = f" (title: {title!r})" if title else ""
    return f"arXiv returned an HTML page, not a feed{detail}"


# --- Listing authors -------------------------------------------------------------------------


def _split_creators(text: str) -> tuple[list[str], list[str]]:
    """Split a listing's ``dc:creator`` into names and affiliations.

    arXiv writes ``"A. Author (Univ. X, Lab Y), B. Author, C. Author"``: commas inside the
    parentheses belong to an affiliation. Older feeds also put "and" before the last name.
    Names are in TeX (``G\\"unther``) and become Unicode, as the API writes them.
    """
    parts = _split_outside_parentheses(text) if "(" in text else text.split(",")
    names: list[str] = []
    affiliations: list[str] = []
    for part in parts:
        for piece in _split_and(part):
            name, affiliation = _name_and_affiliation(piece)
            if name:
                names.append(_detex(name))
                affiliations.append(affiliation)
    return names, affiliations


def _split_outside_parentheses(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _split_and(part: str) -> list[str]:
    """``"B. Author and C. Author"`` -> two names; an "and" inside parentheses stays."""
    if " and " not in part.lower() and not part.lstrip().lower().startswith("and "):
        return [part]
    pieces: list[str] = []
    depth = 0
    start = 0
    index = 0
    while index < len(part):
        char = part[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif depth == 0 and part[index : index + 5].lower() == " and " and index > start:
            pieces.append(part[start:index])
            start = index + 5
            index += 4
        index += 1
    pieces.append(part[start:])
    stripped = (p.strip() for p in pieces)
    return [p.removeprefix("and ").strip() for p in stripped if p and p.lower() != "and"]


def _name_and_affiliation(piece: str) -> tuple[str, str]:
    piece = _clean(piece)
    if piece.endswith(")") and "(" in piece:
        # The affiliation is the last balanced parenthesis group.
        depth = 0
        for index in range(len(piece) - 1, -1, -1):
            if piece[index] == ")":
                depth += 1
            elif piece[index] == "(":
                depth -= 1
                if depth == 0:
                    return piece[:index].strip(), piece[index + 1 : -1].strip()
    return piece, ""


_TEX_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
}
_TEX_LETTERS = {
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "i": "\u0131",  # dotless i
    "j": "\u0237",  # dotless j
}
# \'e  \'{e}  \"{\i}  \v{s}  \c c  (a letter accent needs braces or a space before its letter)
_TEX_ACCENT_RE = re.compile(
    r"\\(?:(?P<sym>['`^\"~=.])\s*|(?P<word>[uvHckrd])(?=[\s{]))\s*"
    r"(?:\{\s*(?P<braced>\\?[A-Za-z])\s*\}|(?P<bare>\\?[A-Za-z]))"
)
_TEX_LETTER_RE = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])\s?")


def _detex(name: str) -> str:
    """``Stanis{\\l}aw \\'Swierczewski`` -> ``Stanisław Świerczewski``; plain names unchanged."""
    if "\\" not in name:
        return name

    def accent(match: re.Match) -> str:
        letter = match.group("braced") or match.group("bare")
        if letter in ("\\i", "\\j"):
            letter = letter[1]
        mark = _TEX_ACCENTS[match.group("sym") or match.group("word")]
        return letter + mark

    name = _TEX_ACCENT_RE.sub(accent, name)
    name = _TEX_LETTER_RE.sub(lambda match: _TEX_LETTERS[match.group(1)], name)
    name = name.replace("{", "").replace("}", "")
    return unicodedata.normalize("NFC", _clean(name))
