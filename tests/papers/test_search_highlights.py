"""Search highlights that leave formulas whole, so the browser can still typeset them."""

from apps.papers.search import _START, _STOP, formula_spans, math_highlight


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


def test_any_headline_gives_balanced_marks_over_a_verbatim_piece_of_the_source():
    """Random abstracts with formulas, cut and marked the way ts_headline does."""
    import html
    import random

    rng = random.Random(8)
    words = ["we", "show", "$x^2$", "$$\\sum_i a_i$$", "\\(y\\)", "<b>", "&", "bound", "$a<b$"]
    for _ in range(300):
        source = " ".join(rng.choice(words) for _ in range(rng.randint(1, 30)))
        start = rng.randint(0, len(source))
        end = rng.randint(start, len(source))
        piece = source[start:end]
        marked = "".join(
            f"{_START}{ch}{_STOP}" if ch.isalpha() and rng.random() < 0.2 else ch for ch in piece
        )

        out = str(math_highlight(marked, source))

        assert out.count("<mark>") == out.count("</mark>")
        text = html.unescape(out.replace("<mark>", "").replace("</mark>", ""))
        assert text in source
        assert "<" not in out.replace("<mark>", "").replace("</mark>", "")
