import pytest

from apps.papers.search import _START, _STOP, formula_spans, math_highlight
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


def _headline(text: str) -> str:
    """Write a headline as ts_headline does, with [[ ]] for its match markers."""
    return text.replace("[[", _START).replace("]]", _STOP)


def test_formula_spans_follow_the_delimiters_of_math_js():
    text = "a $x$ b $$y$$ c \\(z\\) d \\[w\\] e $open"
    assert [text[start:end] for start, end in formula_spans(text)] == [
        "$x$",
        "$$y$$",
        "\\(z\\)",
        "\\[w\\]",
    ]
    # A closing delimiter inside braces does not close the formula (as in auto-render).
    assert formula_spans("$\\text{$}x$") == [(0, 11)]


def test_highlight_outside_maths_is_kept_and_everything_is_escaped():
    title = "<b>Diffusion</b> & $x<y$"
    html = math_highlight(_headline("<b>[[Diffusion]]</b> & $x<y$"), title)
    assert html == "&lt;b&gt;<mark>Diffusion</mark>&lt;/b&gt; &amp; $x&lt;y$"


def test_a_match_inside_a_formula_marks_the_whole_formula():
    title = "Bounds for $\\ell_p$ regression"
    html = math_highlight(_headline("Bounds for $\\[[ell]]_[[p]]$ [[regression]]"), title)
    assert html == "Bounds for <mark>$\\ell_p$</mark> <mark>regression</mark>"


def test_a_snippet_cut_inside_a_formula_gets_the_whole_formula():
    abstract = "Intro words. We show $$\\|x\\|_2 \\le C \\sqrt{d/n}$$ and the bound holds."
    headline = _headline("sqrt{d/n}$$ and the [[bound]] … Intro [[words]]")
    html = math_highlight(headline, abstract, fragment_delimiter=" … ")
    assert html == (
        "$$\\|x\\|_2 \\le C \\sqrt{d/n}$$ and the <mark>bound</mark> … Intro <mark>words</mark>"
    )


def test_a_snippet_ending_inside_a_formula_is_widened_or_cut_before_it():
    html = math_highlight(_headline("We [[prove]] $a +"), "We prove $a + b$ and more")
    assert html == "We <mark>prove</mark> $a + b$"
    # Too long to take in: the snippet stops before the formula.
    long_formula = "We prove $" + "x + " * 100 + "y$ tail"
    html = math_highlight(_headline("We [[prove]] $x + x +"), long_formula)
    assert html == "We <mark>prove</mark> "
