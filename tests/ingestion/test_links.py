"""Code and project-page links as authors write them in abstracts and arXiv comments."""

import pytest

from apps.ingestion.links import find_code_links


@pytest.mark.parametrize(
    ("text", "github_repo"),
    [
        ("Code is available at https://github.com/foo/bar.", "https://github.com/foo/bar"),
        ("Code: \\url{https://github.com/x/y}", "https://github.com/x/y"),
        (
            "The experiment code is open-sourced at \\href{https://github.com/Kanyooo/EEG-DCNet}{here}.",
            "https://github.com/Kanyooo/EEG-DCNet",
        ),
        (
            "the source code (https://github.com/AllanMSouza/ACSP-FL), and",
            "https://github.com/AllanMSouza/ACSP-FL",
        ),
        (
            "We made our code available in: https://github.com/mandiehyewon/goodviews_ecg.git",
            "https://github.com/mandiehyewon/goodviews_ecg",
        ),
        (
            "https://github.com/aheldis/Toxicity-Classification.git.",
            "https://github.com/aheldis/Toxicity-Classification",
        ),
        ("at github.com/sftekin/h3fusion.", "https://github.com/sftekin/h3fusion"),
        ("See http://www.github.com/Foo/Bar/tree/main/src;", "https://github.com/Foo/Bar"),
        ("https://github.com/foo/bar#readme", "https://github.com/foo/bar"),
        ("https://github.com/foo/bar/", "https://github.com/foo/bar"),
        ("https://github.com/foo/bar_baz-2.0)", "https://github.com/foo/bar_baz-2.0"),
        ("\\url{https://github.com/foo/my\\_repo}", "https://github.com/foo/my_repo"),
        ("Pages: https://github.com/foo/foo.github.io", "https://github.com/foo/foo.github.io"),
        # Not repositories.
        ("https://github.com/orgs/foo/repositories", ""),
        ("built with https://github.com/features/copilot", ""),
        ("https://github.com/topics/llm", ""),
        ("our lab: https://github.com/foo", ""),
        ("https://github.com/foo/", ""),
        ("https://gist.github.com/foo/0123abcd", ""),
        ("https://raw.githubusercontent.com/foo/bar/main/x.py", ""),
        ("https://github.com/-foo/bar", ""),
        ("", ""),
    ],
)
def test_github_repository(text, github_repo):
    assert find_code_links(text)[0] == github_repo


@pytest.mark.parametrize(
    ("text", "project_page"),
    [
        ("Project page: https://foo.github.io/baz/", "https://foo.github.io/baz/"),
        (
            "Code and results are available at https://opendatalab.github.io/REST.",
            "https://opendatalab.github.io/REST",
        ),
        ("Our project website: https://example.org/proj.", "https://example.org/proj"),
        (
            "Visit the homepage (https://lab.example.edu/~me/paper).",
            "https://lab.example.edu/~me/paper",
        ),
        ("Demo page at \\url{https://demo.example.com/x}", "https://demo.example.com/x"),
        (
            "More on our web page https://en.wikipedia.org/wiki/Foo_(bar), thanks",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ),
        ("see https://someone.gitlab.io/thing", "https://someone.gitlab.io/thing"),
        # Not project pages.
        ("Data at https://example.org/data.csv", ""),
        (
            "Part of ICST 2022, April 4 - 13, 2022, https://icst2022.vrain.upv.es/",
            "",
        ),
        ("Project page: https://arxiv.org/abs/2401.00001", ""),
        ("Project page: https://bit.ly/3abcdef", ""),
        ("Project page: https://doi.org/10.1000/182", ""),
        ("A video is on the project page https://youtu.be/edgCNbGSGEY", ""),
        ("Project page: https://github.com/foo/bar", ""),
        ("We built a website. See https://example.org/x for data", ""),
        ("Project page: https://example.org/" + "x" * 200, ""),
    ],
)
def test_project_page(text, project_page):
    assert find_code_links(text)[1] == project_page


def test_both_from_one_text():
    comment = (
        "Project page: https://nerf-w.github.io/; code: https://github.com/google/nerf-w (soon)."
    )
    assert find_code_links(comment) == (
        "https://github.com/google/nerf-w",
        "https://nerf-w.github.io/",
    )


def test_the_first_text_mentioning_a_link_wins():
    abstract = "Code: https://github.com/first/repo."
    comment = "Code: https://github.com/second/repo; website https://second.example.org"

    assert find_code_links(abstract, comment) == (
        "https://github.com/first/repo",
        "https://second.example.org",
    )
    assert find_code_links("No links here.", comment)[0] == "https://github.com/second/repo"
