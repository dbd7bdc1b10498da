"""What people paste for a paper: every common form gives the versionless id and version."""

import re

import pytest

from apps.papers.arxiv_ids import arxiv_id_from_input


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2410.09692", ("2410.09692", None)),
        ("2410.09692v2", ("2410.09692", 2)),
        ("2410.09692V2", ("2410.09692", 2)),
        ("arXiv:2410.09692", ("2410.09692", None)),
        ("arxiv: 2410.09692v12", ("2410.09692", 12)),
        ("ARXIV:2410.09692", ("2410.09692", None)),
        ("  2410.09692\n", ("2410.09692", None)),
        ("0704.0001", ("0704.0001", None)),  # the first new-style id
        ("1412.9999", ("1412.9999", None)),  # four digits until 2014
        ("1501.00001", ("1501.00001", None)),  # five from 2015
        ("https://arxiv.org/abs/2410.09692v3", ("2410.09692", 3)),
        ("https://arxiv.org/abs/2410.09692", ("2410.09692", None)),
        ("https://arxiv.org/abs/2410.09692/", ("2410.09692", None)),
        ("https://arxiv.org/abs/2410.09692?context=cs.LG", ("2410.09692", None)),
        ("https://arxiv.org/abs/2410.09692#S3", ("2410.09692", None)),
        ("http://arxiv.org/pdf/2410.09692v1.pdf", ("2410.09692", 1)),
        ("http://arxiv.org/pdf/2410.09692v1", ("2410.09692", 1)),
        ("arxiv.org/pdf/2410.09692", ("2410.09692", None)),
        ("https://arxiv.org/html/2410.09692v2", ("2410.09692", 2)),
        ("https://export.arxiv.org/abs/2410.09692", ("2410.09692", None)),
        ("https://www.arxiv.org/abs/2410.09692v1", ("2410.09692", 1)),
        ("HTTPS://ARXIV.ORG/ABS/2410.09692", ("2410.09692", None)),
        ("https://huggingface.co/papers/2410.09692", ("2410.09692", None)),
        ("10.48550/arXiv.2410.09692", ("2410.09692", None)),
        ("10.48550/ARXIV.2410.09692", ("2410.09692", None)),
        ("doi:10.48550/arXiv.2410.09692", ("2410.09692", None)),
        ("https://doi.org/10.48550/arXiv.2410.09692", ("2410.09692", None)),
        ("http://dx.doi.org/10.48550/arXiv.2410.09692", ("2410.09692", None)),
        # Old style: archive/YYMMNNN; the subject class is not part of the id.
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("solv-int/9901001v2", ("solv-int/9901001", 2)),
        ("math.GT/0309136", ("math/0309136", None)),
        ("arXiv:math.GT/0309136v1", ("math/0309136", 1)),
        ("HEP-TH/9901001", ("hep-th/9901001", None)),
        ("https://arxiv.org/abs/math/0309136", ("math/0309136", None)),
        ("https://arxiv.org/abs/math.GT/0309136v2", ("math/0309136", 2)),
        ("https://arxiv.org/pdf/hep-th/9901001v1.pdf", ("hep-th/9901001", 1)),
        ("astro-ph/0601001", ("astro-ph/0601001", None)),
        ("cs/0503050", ("cs/0503050", None)),
        ("hep-th/9108001", ("hep-th/9108001", None)),  # August 1991, the first month
        ("math/0703999", ("math/0703999", None)),  # March 2007, the last
        ("10.48550/arXiv.hep-th/9901001", ("hep-th/9901001", None)),
    ],
)
def test_accepted_forms(text, expected):
    assert arxiv_id_from_input(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Enter an arXiv id or link"),
        ("   ", "Enter an arXiv id or link"),
        ("hello", "is not an arXiv id or link"),
        ("2413.00001", "its month (13) does not exist"),
        ("2400.00001", "its month (00) does not exist"),
        ("hep-th/9913001", "its month (13) does not exist"),
        ("0703.1234", "new-style ids start in April 2007"),
        ("hep-th/0704001", "old-style ids end in March 2007"),
        ("hep-th/9107001", "old-style ids end in March 2007"),
        ("2410.0969", "have five digits after the dot"),
        ("1412.12345", "have four digits after the dot"),
        ("2410.096921", "is not an arXiv id or link"),
        ("2410.09692v0", "versions start at v1"),
        ("2410.09692v", "is not an arXiv id or link"),
        ("foo-bar/9901001", "there is no archive 'foo-bar'"),
        ("hep-th/990100", "is not an arXiv id or link"),
        ("https://example.org/abs/2410.09692", "is not an arXiv id or link"),
        ("https://arxiv.org/list/cs.LG/new", "links to a page that is not a paper"),
        ("https://arxiv.org/", "links to a page that is not a paper"),
        ("https://huggingface.co/models/2410.09692", "links to a page that is not a paper"),
        ("https://arxiv.org.evil.example/abs/2410.09692", "is not an arXiv id or link"),
        ("10.1145/3292500.3330701", "is not an arXiv id or link"),  # a DOI, not arXiv's
        ("2410.09692 2410.09693", "is not an arXiv id or link"),
        ("x" * 301, "too long"),
    ],
)
def test_refused_with_a_clear_message(text, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        arxiv_id_from_input(text)


def test_the_message_names_the_input_and_gives_examples():
    with pytest.raises(ValueError, match="not an arXiv id") as raised:
        arxiv_id_from_input("my paper")
    message = str(raised.value)
    assert "'my paper'" in message
    assert "2410.09692" in message
    assert "https://arxiv.org/abs/2410.09692" in message
