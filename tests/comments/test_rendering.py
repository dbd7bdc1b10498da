import pytest

from apps.comments.services import comment_body_render
from apps.core.markdown import mentioned_usernames, render_markdown
from tests.factories import make_user


def test_inline_and_display_maths_keep_their_delimiters_and_are_not_mangled():
    html = render_markdown("Let $a_1 * b_2 * c < d$ and\n\n$$\n\\sum_{i=1}^n x_i^2\n$$\n")

    assert '<span class="math math-inline">$a_1 * b_2 * c &lt; d$</span>' in html
    assert '<div class="math math-display">$$\\sum_{i=1}^n x_i^2$$</div>' in html
    assert "<em>" not in html  # the underscores and stars stayed maths


def test_code_blocks_and_inline_code_are_escaped_and_keep_the_language():
    html = render_markdown("Use `<b>x</b>`:\n\n```python\nif a < b and $x$:\n    pass\n```")

    assert "<code>&lt;b&gt;x&lt;/b&gt;</code>" in html
    assert '<pre><code class="language-python">if a &lt; b and $x$:' in html
    assert "math" not in html  # dollars in code are not maths


def test_links_get_nofollow_ugc_noopener():
    html = render_markdown("[paper](https://arxiv.org/abs/2410.09692)")

    assert (
        '<a href="https://arxiv.org/abs/2410.09692" rel="nofollow ugc noopener">paper</a>' in html
    )


def test_quotes_lists_and_emphasis():
    html = render_markdown("> quoted **bold**\n\n- one\n- ~~two~~")

    assert "<blockquote>" in html
    assert "<strong>bold</strong>" in html
    assert "<li><del>two</del></li>" in html or "<li><s>two</s></li>" in html


def test_images_are_not_embedded():
    html = render_markdown("![pixel](https://tracker.example/p.gif)")

    assert "<img" not in html


@pytest.mark.django_db
def test_mentions_of_existing_users_link_to_their_profiles():
    make_user("Ada_L")

    rendered = comment_body_render(body="Thanks @ada_l and @nobody, mail me at x@ada_l.org")

    assert '<a href="/users/Ada_L" class="mention" rel="nofollow ugc noopener">@Ada_L</a>' in (
        rendered.html
    )
    assert "@nobody" in rendered.html
    assert 'href="/users/nobody"' not in rendered.html
    assert rendered.html.count("mention") == 1  # the e-mail address is not a mention
    assert [user.username for user in rendered.mentioned] == ["Ada_L"]


@pytest.mark.django_db
def test_mentions_in_code_are_not_links():
    make_user("grace")

    html = comment_body_render(body="`@grace`\n\n    @grace").html

    assert "mention" not in html


def test_mention_candidates_ignore_trailing_punctuation():
    assert mentioned_usernames("cc @ada. and @alan_t!") == {"ada", "alan_t"}
