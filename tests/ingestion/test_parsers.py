"""The feed parsers on saved arXiv responses (fixtures/arxiv/README.md says where from)."""

import collections
import datetime as dt
import os
import re
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from apps.ingestion.parsers import FeedError, ParsedEntry, open_feed
from apps.papers.services import PaperRecord
from tests.ingestion.conftest import ARXIV_FIXTURES, arxiv_fixture

BASE_DIR = Path(__file__).resolve().parents[2]
UTC = dt.UTC


def parse(name: str) -> list[ParsedEntry]:
    with (ARXIV_FIXTURES / name).open("rb") as source:
        return list(open_feed(source))


def by_id(entries: list[ParsedEntry]) -> dict[str, ParsedEntry]:
    return {entry.record.arxiv_id: entry for entry in entries}


# --- The query API ------------------------------------------------------------------------


def test_api_search_response_header_and_entries():
    feed = open_feed(arxiv_fixture("api_search.xml"))

    assert feed.kind == "api"
    assert feed.total_results == 214881  # known before the first entry is read
    assert feed.announced_on is None
    entries = list(feed)
    assert [(e.record.arxiv_id, e.record.version) for e in entries] == [
        ("2202.12139", 1), ("2405.13786", 1), ("2005.14124", 2), ("2204.08348", 3),
        ("2302.03287", 3), ("2202.06271", 1), ("2409.05654", 9), ("2507.10541", 2),
        ("1706.00679", 3), ("cs/0503050", 1), ("0804.0970", 1), ("hep-ph/0301050", 2),
        ("2203.09604", 1), ("gr-qc/0103067", 1),
    ]  # fmt: skip
    assert all(e.announce_type is None and e.announced_on is None for e in entries)
    assert all(e.record.complete for e in entries)


def test_api_entry_with_an_old_style_id_and_two_versions():
    entry = by_id(parse("api_search.xml"))["hep-ph/0301050"]

    assert entry == ParsedEntry(
        record=PaperRecord(
            arxiv_id="hep-ph/0301050",
            version=2,
            title="Statistical Test of Anarchy",
            abstract=(
                '"Anarchy" is the hypothesis that there is no fundamental distinction among the '
                "three flavors of neutrinos. It describes the mixing angles as random variables, "
                "drawn from well defined probability distributions dictated by the group Haar "
                "measure. We perform a Kolmogorov-Smirnov (KS) statistical test to verify whether "
                "anarchy is consistent with all neutrino data, including the new result presented "
                "by KamLAND. We find a KS probability for Nature's choice of mixing angles equal "
                "to 64%, quite consistent with the anarchical hypothesis. In turn, assuming that "
                "anarchy is indeed correct, we compute lower bounds on |U_{e3}|^2, the remaining "
                'unknown "angle" of the leptonic mixing matrix.'
            ),
            authors=["Andre de Gouvea", "Hitoshi Murayama"],
            affiliations=["", ""],
            published_on=dt.date(2003, 1, 8),
            updated_on=dt.date(2003, 6, 30),
            version_dates={
                1: dt.datetime(2003, 1, 8, 20, 15, 43, tzinfo=UTC),
                2: dt.datetime(2003, 6, 30, 3, 20, 20, tzinfo=UTC),
            },
            primary_category="hep-ph",
            categories=["hep-ph"],
            comment=(
                "5 pages, 2 figures. Improved criteria for testing the hypothesis and deriving "
                "lower limits on theta_{13}"
            ),
            journal_ref="Phys.Lett.B573:94-100,2003",
            doi="10.1016/j.physletb.2003.08.045",
            complete=True,
        )
    )


def test_api_entry_fields():
    record = by_id(parse("api_search.xml"))["2005.14124"].record

    assert record.title == "Active Fuzzing for Testing and Securing Cyber-Physical Systems"
    assert record.abstract.startswith("Cyber-physical systems (CPSs) in critical infrastructure")
    assert record.abstract.endswith("as anomaly detectors and early warning systems.")
    assert record.authors == [
        "Yuqi Chen", "Bohan Xuan", "Christopher M. Poskitt", "Jun Sun", "Fan Zhang",
    ]  # fmt: skip
    assert (record.published_on, record.updated_on) == (dt.date(2020, 5, 28), dt.date(2020, 7, 16))
    assert record.version_dates == {
        1: dt.datetime(2020, 5, 28, 16, 19, 50, tzinfo=UTC),
        2: dt.datetime(2020, 7, 16, 8, 15, 48, tzinfo=UTC),
    }
    assert record.primary_category == "cs.SE"
    assert record.categories == ["cs.SE", "cs.CR", "cs.LG"]
    assert record.comment == (
        "Accepted by the ACM SIGSOFT International Symposium on Software Testing and Analysis "
        "(ISSTA 2020)"
    )
    assert record.journal_ref == (
        "In Proc. ACM SIGSOFT International Symposium on Software Testing and Analysis "
        "(ISSTA 2020), pages 14-26. ACM, 2020"
    )
    assert record.doi == "10.1145/3395363.3397376"


def test_api_entries_keep_latex_and_unicode():
    entries = by_id(parse("api_search.xml"))
    gaussian = entries["1706.00679"].record

    assert "derived from the outcomes of $\\ell_1$-minimization over" in gaussian.abstract
    assert "on the index set of~$X$ and we establish" in gaussian.abstract
    assert gaussian.authors == ["Jean-Marc Azaïs", "Yohann De Castro", "Stéphane Mourareau"]
    assert entries["gr-qc/0103067"].record.authors == ["Mark P. Haugan", "C. Lämmerzahl"]


def test_api_entry_affiliations():
    assert by_id(parse("api_search.xml"))["0804.0970"].record.affiliations == ["LRI", "IBISC"]

    [entry] = parse("api_old_style_affiliations.xml")
    record = entry.record
    assert record.arxiv_id == "astro-ph/0601001"
    assert record.version == 1
    assert record.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys "
        "Toward the Galactic Bulge and Carina"
    )
    assert list(zip(record.authors, record.affiliations, strict=True)) == [
        ("Andrew Gould", "Ohio State"),
        ("Susan Dorsher", "Ohio State"),
        ("B. Scott Gaudi", "CfA"),
        ("Andrzej Udalski", "Warsaw University Observatory"),
    ]
    assert record.abstract.startswith("We derive the frequencies of hot Jupiters (HJs)")
    assert "Gould & Morgan (2003)" in record.abstract  # entities decoded
    assert "limit of V_max<17.5." in record.abstract
    assert (record.published_on, record.updated_on) == (dt.date(2006, 1, 2), None)
    assert record.version_dates == {1: dt.datetime(2006, 1, 2, 14, 57, 58, tzinfo=UTC)}
    assert (record.primary_category, record.categories) == ("astro-ph", ["astro-ph"])
    assert record.journal_ref == "ActaAstron.56:1-50,2006"
    assert record.doi == ""
    # A link in the comment, but not to code nor announced as a project page.
    assert (record.github_repo, record.project_page) == ("", "")


def test_api_entries_find_code_and_project_pages():
    entries = by_id(parse("api_search.xml"))

    assert entries["1706.00679"].record.github_repo == (
        "https://github.com/ydecastro/super-resolution-testing"
    )  # in the comment
    assert entries["2507.10541"].record.project_page == "https://opendatalab.github.io/REST"
    assert entries["2202.06271"].record.project_page == ""  # a youtu.be video
    assert entries["2203.09604"].record.project_page == ""  # a conference's site


def test_api_legacy_response_of_2016():
    """The API's older layout: namespaces declared on every element, newlines in text."""
    feed = open_feed(arxiv_fixture("api_legacy_2016.xml"))
    entries = by_id(list(feed))

    assert (feed.kind, feed.total_results) == ("api", 31)
    assert len(entries) == 10
    record = entries["cond-mat/0603029"].record
    assert record.title == (
        "From stripe to checkerboard order on the square lattice in the presence of quenched "
        "disorder"
    )
    assert record.authors == ["Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev"]
    assert record.categories == ["cond-mat.str-el", "cond-mat.supr-con"]
    assert "\n" not in record.abstract
    assert record.abstract.startswith("We discuss the effects of quenched disorder on a model")
    record = entries["1412.6529"].record
    assert record.version == 2
    assert "Lieb-Liniger model of $\\delta$-function interacting bosons" in record.abstract
    assert record.comment == (
        "10 pages, 8 figures; updated figure 5, added references, revised text, reformatted"
    )
    assert record.version_dates == {
        1: dt.datetime(2014, 12, 19, 21, 0, 8, tzinfo=UTC),
        2: dt.datetime(2015, 2, 25, 23, 4, 37, tzinfo=UTC),
    }


@pytest.mark.parametrize(
    ("raw_id", "arxiv_id", "version"),
    [
        ("2410.09692v3", "2410.09692", 3),
        ("0808.0539v1", "0808.0539", 1),
        ("hep-th/9901001v1", "hep-th/9901001", 1),
        ("solv-int/9901001v2", "solv-int/9901001", 2),
        ("math.GT/0309136", "math.GT/0309136", 1),
    ],
)
def test_api_ids_old_and_new_with_and_without_version(raw_id, arxiv_id, version):
    body = arxiv_fixture("api_old_style_affiliations.xml").replace(
        b"<id>http://arxiv.org/abs/astro-ph/0601001v1</id>",
        f"<id>http://arxiv.org/abs/{raw_id}</id>".encode(),
    )

    [entry] = open_feed(body)
    assert (entry.record.arxiv_id, entry.record.version) == (arxiv_id, version)


def test_api_empty_result():
    feed = open_feed(arxiv_fixture("api_empty.xml"))

    assert (feed.kind, feed.total_results) == ("api", 0)
    assert list(feed) == []


def test_api_error_entry_raises_arxivs_message():
    feed = open_feed(arxiv_fixture("api_error.xml"))

    with pytest.raises(FeedError, match=r"^arXiv rejected the query: incorrect id format for abc$"):
        list(feed)


# --- Listings -----------------------------------------------------------------------------


def test_rss_listing_header_and_announce_types():
    feed = open_feed(arxiv_fixture("listing_rss.xml"))

    assert (feed.kind, feed.total_results, feed.announced_on) == (
        "listing", None, dt.date(2025, 4, 28),
    )  # fmt: skip
    entries = list(feed)
    assert collections.Counter(e.announce_type for e in entries) == {
        "new": 7, "cross": 3, "replace": 4, "replace-cross": 4,
    }  # fmt: skip
    assert [(e.record.arxiv_id, e.record.version, e.announce_type) for e in entries[6:]] == [
        ("2504.18264", 1, "new"),
        ("2504.16299", 1, "cross"), ("2504.17845", 1, "cross"), ("2504.18198", 1, "cross"),
        ("2112.14988", 4, "replace"), ("2403.13790", 2, "replace"),
        ("2405.13913", 2, "replace"), ("2409.15900", 4, "replace"),
        ("2312.01259", 3, "replace-cross"), ("2401.00867", 4, "replace-cross"),
        ("2504.00086", 2, "replace-cross"), ("2504.16424", 2, "replace-cross"),
    ]  # fmt: skip
    for entry in entries:
        assert entry.announced_on == dt.date(2025, 4, 28)
        assert entry.record.complete is False
        assert entry.record.published_on == dt.date(2025, 4, 28)
        assert entry.record.updated_on is None


def test_rss_listing_new_entry():
    entry = by_id(parse("listing_rss.xml"))["2504.17830"]

    assert entry == ParsedEntry(
        record=PaperRecord(
            arxiv_id="2504.17830",
            version=1,
            title="Self-Adjoint Time Operator in a Weighted Energy Space",
            # The "arXiv:... Announce Type: new Abstract:" prefix is gone; the LaTeX stays.
            abstract=(
                "We introduce a self-adjoint time operator \\(T_w = i\\hbar\\bigl(\\partial_E + "
                "\\tfrac12\\,\\partial_E\\ln w(E)\\bigr)\\) on the weighted energy space "
                "\\(L^2(\\mathbb R,\\,w(E)\\,dE)\\). Under mild conditions on the weight \\(w\\) "
                "(positivity, local absolute continuity, and uniform bounds at large "
                "\\(\\lvert E\\rvert\\)), we prove that \\(T_w\\) is essentially self-adjoint. A "
                "simple unitary conjugation carries \\(T_w\\) back to "
                "\\(i\\hbar\\,\\mathrm{d}/\\mathrm{d}E\\), which in turn leaves the Hamiltonian "
                "spectrum unbounded."
            ),
            authors=["Radmir Kokoulin"],
            affiliations=[""],
            published_on=dt.date(2025, 4, 28),
            version_dates={1: dt.datetime(2025, 4, 28, tzinfo=UTC)},
            primary_category="quant-ph",
            categories=["quant-ph"],
            complete=False,
        ),
        announce_type="new",
        announced_on=dt.date(2025, 4, 28),
    )


def test_rss_listing_replacement_knows_only_the_announced_version():
    record = by_id(parse("listing_rss.xml"))["2401.00867"].record

    assert record.version == 4
    assert record.version_dates == {4: dt.datetime(2025, 4, 28, tzinfo=UTC)}  # no v1 date
    assert record.published_on == dt.date(2025, 4, 28)
    assert (record.primary_category, record.categories) == ("cs.LG", ["cs.LG", "cs.AI", "quant-ph"])
    assert record.journal_ref == "Neurocomputing, Volume 639, 28 July 2025, Article 130211"
    assert record.doi == "10.1016/j.neucom.2025.130211"


def test_rss_listing_authors_affiliations_and_tex_names():
    entries = by_id(parse("listing_rss.xml"))

    institute = (
        "Department of Chemistry, Indian Institute of Technology Madras, Chennai, India, Centre "
        "for Quantum Information, Communication, and Computing, Indian Institute of Technology "
        "Madras, Chennai, India"
    )
    record = entries["2504.18264"].record
    assert record.authors == [
        "M. R. Nirmal", "Ankit Khandelwal", "Manoj Nambiar", "Sharma S. R. K. C. Yamijala",
    ]  # fmt: skip
    assert record.affiliations == [institute] * 4
    assert entries["2504.17881"].record.authors[:2] == ["Marek Miller", "Jakob Günther"]
    assert entries["2504.18187"].record.authors == ["Sergei Lepeshov", "Søren Stobbe"]
    assert entries["2504.18205"].record.authors[:2] == ["Dogyun Ko", "Stanisław Świerczewski"]
    assert entries["2504.18121"].record.authors[1] == "Michal Hajdušek"
    assert entries["2405.13913"].record.authors == [
        "Niklas Hörnedal", "Oskar A. Prośniak", "Adolfo del Campo", "Aurélia Chenu",
    ]  # fmt: skip
    big = entries["2504.00086"].record.authors
    assert len(big) == 71
    assert big[:2] == ["Yoav Afik", "Federica Fabbri"]
    assert "Juan Ramón Muñoz de Nova" in big
    assert "Dorival Gonçalves" in big
    assert "Frédéric Déliot" in big
    assert big[-1] == "Knut Zoch"


@pytest.mark.parametrize(
    ("creators", "authors", "affiliations"),
    [
        ("A. Author, B. Author and C. Author", ["A. Author", "B. Author", "C. Author"], None),
        ("A. Author and B. Author", ["A. Author", "B. Author"], None),
        ("A. Author, B. Author, and C. Author", ["A. Author", "B. Author", "C. Author"], None),
        (
            "A. Author (Lab of Salt and Pepper, Paris), Bert Sand",
            ["A. Author", "Bert Sand"],
            ["Lab of Salt and Pepper, Paris", ""],
        ),
    ],
)
def test_listing_creators_are_split_carefully(creators, authors, affiliations):
    body = arxiv_fixture("listing_rss.xml").replace(
        b"<dc:creator>Radmir Kokoulin</dc:creator>", f"<dc:creator>{creators}</dc:creator>".encode()
    )

    record = by_id(list(open_feed(body)))["2504.17830"].record
    assert record.authors == authors
    assert record.affiliations == (affiliations or [""] * len(authors))


def test_atom_listing_gives_the_same_records_as_the_rss_listing():
    feed = open_feed(arxiv_fixture("listing_atom.xml"))

    assert (feed.kind, feed.announced_on) == ("listing", dt.date(2025, 4, 28))
    atom = list(feed)
    assert [(e.record.arxiv_id, e.announce_type) for e in atom] == [
        ("2504.17830", "new"), ("2504.18264", "new"), ("2504.17845", "cross"),
        ("2504.18198", "cross"), ("2112.14988", "replace"), ("2312.01259", "replace-cross"),
    ]  # fmt: skip
    rss = by_id(parse("listing_rss.xml"))
    for entry in atom:
        assert entry == rss[entry.record.arxiv_id]


def test_rss_listing_finds_code_links_doi_and_journal_reference():
    feed = open_feed(arxiv_fixture("listing_rss_links.xml"))
    entries = by_id(list(feed))

    assert feed.announced_on == dt.date(2024, 11, 28)
    assert {aid: e.record.github_repo for aid, e in entries.items() if e.record.github_repo} == {
        "2411.17702": "https://github.com/mandiehyewon/goodviews_ecg",  # ".git"
        "2411.17705": "https://github.com/Kanyooo/EEG-DCNet",  # \href{...}{here}
        "2411.17770": "https://github.com/ZHU-0108/MTS-UNMixers",  # end of a sentence
        "2411.17792": "https://github.com/sftekin/h3fusion",  # no https://
        "2411.17833": "https://github.com/AllanMSouza/ACSP-FL",  # in parentheses
        "2411.17876": "https://github.com/aheldis/Toxicity-Classification",  # ".git."
        "2411.18104": "https://github.com/iiis-ai/TemplateMath",  # after a huggingface.co link
        "2411.18250": "https://github.com/MaeChd/SurrogateVarStabe",
        "2403.07657": "https://github.com/google/bayesnf",
    }
    record = entries["2411.17833"].record
    assert record.doi == "10.1016/j.adhoc.2024.103462"
    record = entries["2202.06515"].record
    assert (record.version, entries["2202.06515"].announce_type) == (3, "cross")
    assert record.journal_ref.startswith("Physics of Fluids 36, 117158")
    assert record.doi == "10.1063/5.0236964"


def test_empty_listing_on_a_day_without_announcements():
    feed = open_feed(arxiv_fixture("listing_empty.xml"))

    assert (feed.kind, feed.announced_on) == ("listing", dt.date(2024, 11, 28))
    assert list(feed) == []


def test_listing_error_feed_raises_arxivs_message():
    with pytest.raises(FeedError, match=r"^arXiv refused the listing: Bad archive 'astroph'\."):
        open_feed(arxiv_fixture("listing_feed_error.xml"))


# --- Broken responses ---------------------------------------------------------------------


def test_truncated_feed_fails_after_the_complete_entries():
    feed = open_feed(arxiv_fixture("malformed_truncated.xml"))
    seen = []

    with pytest.raises(FeedError) as failure:
        seen.extend(entry.record.arxiv_id for entry in feed)

    assert seen == ["2202.12139", "2405.13786"]
    assert str(failure.value) == (
        "the feed is truncated or not well-formed XML: Premature end of data in tag summary "
        "line 69 (line 69)"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed_entry_without_id.xml", "entry 3 has no arXiv id"),
        ("malformed_bad_date.xml", "entry 2005.14124 has an unreadable date 'garbage'"),
    ],
)
def test_a_bad_entry_fails_the_feed(name, message):
    with pytest.raises(FeedError, match=f"^{re.escape(message)}$"):
        parse(name)


def test_html_error_page():
    with pytest.raises(FeedError) as failure:
        open_feed(arxiv_fixture("malformed_html_503.html"))

    assert str(failure.value) == (
        "arXiv returned an HTML page, not a feed (title: '503 Service Unavailable')"
    )


LISTING = arxiv_fixture("listing_rss.xml")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "arXiv returned an empty response, not a feed"),
        (b"  \n", "arXiv returned an empty response, not a feed"),
        (b"Rate exceeded.", "the feed is truncated or not well-formed XML: Start tag expected"),
        (
            b"<?xml version='1.0'?>\n<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'/>",
            "the file is neither an arXiv API (Atom) response nor an arXiv listing feed (its "
            "root element is <OAI-PMH>)",
        ),
        (
            b"<feed xmlns='http://www.w3.org/2005/Atom'><title>Other</title></feed>",
            "the file is neither an arXiv API (Atom) response nor an arXiv listing feed",
        ),
        (
            LISTING.replace(  # the first item's date (the channel's is followed by skipDays)
                b"00:00:00 -0400</pubDate>\n      <arxiv:announce_type>",
                b"Foo</pubDate>\n      <arxiv:announce_type>",
                1,
            ),
            "entry 2504.17830 has an unreadable date 'Mon, 28 Apr 2025 Foo'",
        ),
        (
            LISTING.replace(b"<arxiv:announce_type>new<", b"<arxiv:announce_type>withdrawn<", 1),
            "entry 2504.17830 has an unknown announce type 'withdrawn'",
        ),
        (
            LISTING.replace(
                b'<guid isPermaLink="false">oai:arXiv.org:2504.17830v1</guid>', b"", 1
            ).replace(b"arXiv:2504.17830v1 Announce Type: new \n", b"", 1),
            "entry 1 has no arXiv id",
        ),
        (
            LISTING.replace(b"oai:arXiv.org:2504.17830v1", b"oai:arXiv.org:not-an-id", 1),
            "entry 1 has an id that is not an arXiv id: 'not-an-id'",
        ),
    ],
    ids=[
        "empty", "blank", "text", "other-xml", "other-atom", "listing-date", "announce-type",
        "listing-no-id", "listing-bad-id",
    ],
)  # fmt: skip
def test_what_is_not_a_trustworthy_feed(body, message):
    with pytest.raises(FeedError) as failure:
        list(open_feed(body))

    assert str(failure.value).startswith(message)


def test_the_format_comes_from_the_content_not_a_name(tmp_path):
    misnamed = tmp_path / "listing.html"
    misnamed.write_bytes(arxiv_fixture("api_old_style_affiliations.xml"))

    with misnamed.open("rb") as source:
        feed = open_feed(source)
        assert feed.kind == "api"
        assert [e.record.arxiv_id for e in feed] == ["astro-ph/0601001"]
    assert open_feed(bytearray(arxiv_fixture("listing_atom.xml"))).kind == "listing"


def test_a_feed_is_read_once():
    feed = open_feed(arxiv_fixture("api_old_style_affiliations.xml"))
    assert len(list(feed)) == 1

    with pytest.raises(RuntimeError, match="iterated only once"):
        list(feed)


# --- Streaming ----------------------------------------------------------------------------

ENTRIES = 20_000


@pytest.fixture(scope="module")
def huge_feed(tmp_path_factory) -> Path:
    """An API response of 20,000 entries, each a copy of a real one with its own id."""
    head, *bodies = arxiv_fixture("api_search.xml").split(b"  <entry>\n")
    entry = b"  <entry>\n" + bodies[2]  # 2005.14124v2, with everything in it
    path = tmp_path_factory.mktemp("feeds") / "huge.xml"
    with path.open("wb") as out:
        out.write(head)
        for number in range(ENTRIES):
            out.write(entry.replace(b"2005.14124", b"2401.%05d" % number))
        out.write(b"</feed>\n")
    return path


def test_a_huge_feed_streams_in_little_memory(huge_feed):
    tracemalloc.start()
    try:
        with huge_feed.open("rb") as source:
            count = sum(1 for _ in open_feed(source))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == ENTRIES
    assert huge_feed.stat().st_size > 50_000_000
    assert peak < 5_000_000  # bytes: Python objects of a few entries at a time


MEASURE = textwrap.dedent(
    """
    import resource, sys, time

    import django

    django.setup()
    from apps.ingestion.parsers import open_feed

    def resident():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()

    before, highest, count = resident(), 0, 0
    started = time.perf_counter()
    with open(sys.argv[1], "rb") as source:
        for _ in open_feed(source):
            count += 1
            if count % 500 == 0:
                highest = max(highest, resident())
    print(count, count / (time.perf_counter() - started), highest - before)
    """
)


def test_a_huge_feed_parses_fast_in_constant_resident_memory(huge_feed):
    """libxml2's memory is invisible to tracemalloc: measure the process, alone."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PAPERBOARD_TESTING": "1"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", MEASURE, str(huge_feed)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    count, per_second, growth = result.stdout.split()

    assert int(count) == ENTRIES
    # The whole tree would take several times the file's 60 MB; entries are dropped as read.
    assert int(growth) < 20_000_000
    # The target is 10,000 entries/s; half of it leaves room for a busy machine.
    assert float(per_second) > 5_000
