import pytest

from apps.papers.templatetags.paper_tags import math_excerpt


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
