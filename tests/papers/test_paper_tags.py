from types import SimpleNamespace

import pytest

from apps.papers.templatetags.paper_tags import author_list, math_excerpt


def test_short_text_is_left_whole():
    assert math_excerpt("We prove $a < b$.", 100) == "We prove $a < b$."


def test_excerpt_cuts_at_a_word_boundary():
    assert math_excerpt("alpha beta gamma delta", 12) == "alpha beta…"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We show $x^2 + y^2 = z^2$ for all n", "We show $x^2 + y^2 = z^2$…"),
        ("We show \\(x + y = z\\) for all n", "We show \\(x + y = z\\)…"),
        ("We show $$\\sum_i x_i = 1$$ for all n", "We show $$\\sum_i x_i = 1$$…"),
    ],
)
def test_excerpt_never_cuts_through_a_formula(text, expected):
    assert math_excerpt(text, 20) == expected


def test_a_formula_too_long_to_keep_is_left_out_whole():
    text = "Intro $" + "x + " * 100 + "y$ tail"
    assert math_excerpt(text, 20) == "Intro…"


def test_an_escaped_dollar_is_not_maths():
    assert math_excerpt("It costs \\$5 and more words follow here", 16) == "It costs \\$5 and…"


def _authorship(name, claimed_by=None):
    authorship = SimpleNamespace(author=SimpleNamespace(name=name))
    if claimed_by is not None:
        authorship.claimed_by = claimed_by
    return authorship


def test_author_list_shows_the_first_few_then_et_al_and_escapes_names():
    names = ["Ada <b>", "Alan", "Grace", "Emmy", "Kurt"]
    html = author_list([_authorship(n) for n in names], 3)
    assert html == "Ada &lt;b&gt;, Alan, Grace et al."
    assert "et al." not in author_list([_authorship(n) for n in names])


def test_claimed_authorship_links_to_the_user_profile():
    user = SimpleNamespace(get_absolute_url=lambda: "/users/ada")
    html = author_list([_authorship("Ada Lovelace", claimed_by=user), _authorship("Alan")])
    assert html.startswith('<a class="author claimed" href="/users/ada">Ada Lovelace</a>, ')
