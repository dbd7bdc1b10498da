"""Markdown for everything users write: rendered once on save, sanitised, stored as HTML.

The renderer is CommonMark (no raw HTML) plus strikethrough, tables and ``$``/``$$`` maths.
Maths is protected from Markdown by the dollarmath plugin and emitted with its delimiters, so
KaTeX typesets it in the browser. ``@username`` becomes a profile link when the username exists
(the caller says which do, and where their profiles are). Whatever the renderer produces then
goes through nh3 with an allow-list, so the stored HTML never carries scripts, event handlers,
``javascript:`` URLs, styles or iframes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.dollarmath import dollarmath_plugin

# Usernames: Django's default validator allows letters, digits and @.+-_; a mention stops
# at the first character outside that set (minus @), and trailing dots are punctuation.
MENTION_RE = re.compile(r"@([\w.+-]*[\w+-])")
_MENTION_AT_START = re.compile(r"@([\w.+-]*[\w+-])")

CODE_LANGUAGES = {
    "bash", "c", "cpp", "css", "go", "haskell", "html", "java", "javascript", "js", "json",
    "julia", "latex", "lua", "matlab", "python", "py", "r", "ruby", "rust", "scala", "sh",
    "shell", "sql", "swift", "tex", "text", "toml", "ts", "typescript", "yaml",
}  # fmt: skip

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "s", "span", "strong", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_CLASSES = {
    "a": {"mention"},
    "span": {"math", "math-inline"},
    "div": {"math", "math-display"},
    "code": {f"language-{language}" for language in CODE_LANGUAGES},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"


def mentioned_usernames(text: str) -> set[str]:
    """Candidate usernames after ``@`` (lower-cased); which exist is for the caller to check."""
    return {match.group(1).lower() for match in MENTION_RE.finditer(text)}


def _mention_rule(state: StateInline, silent: bool) -> bool:
    """Turn ``@name`` into a link when ``name`` is a known user (``env["mentions"]``)."""
    if state.src[state.pos] != "@" or state.linkLevel > 0:
        return False
    if state.pos > 0 and (state.src[state.pos - 1].isalnum() or state.src[state.pos - 1] in "_@"):
        return False  # part of an e-mail address or a word
    match = _MENTION_AT_START.match(state.src, state.pos)
    if not match:
        return False
    mention = state.env.get("mentions", {}).get(match.group(1).lower())
    if mention is None:
        return False
    username, url = mention
    if not silent:
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": url, "class": "mention"}
        token.markup = "mention"
        text = state.push("text", "", 0)
        text.content = f"@{username}"
        state.push("link_close", "a", -1)
    state.pos = match.end()
    return True


def _math_inline(self, tokens, idx, options, env) -> str:
    return f'<span class="math math-inline">${escapeHtml(tokens[idx].content.strip())}$</span>'


def _math_display(self, tokens, idx, options, env) -> str:
    content = escapeHtml(tokens[idx].content.strip())
    return f'<div class="math math-display">$${content}$$</div>\n'


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["strikethrough", "table"])
    md.disable("image")  # no remote images: they track readers and break layouts
    dollarmath_plugin(md, allow_labels=False, allow_space=True, allow_digits=False)
    md.inline.ruler.before("emphasis", "mention", _mention_rule)
    md.add_render_rule("math_inline", _math_inline)
    md.add_render_rule("math_inline_double", _math_display)
    md.add_render_rule("math_block", _math_display)
    return md


_MARKDOWN = _build()


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes, classes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str, *, mention_links: Mapping[str, str] | None = None) -> str:
    """Markdown to safe HTML; ``mention_links`` (username → profile URL) are the mentions that
    become links, any letter case matching."""
    mentions = {
        username.lower(): (username, url) for username, url in (mention_links or {}).items()
    }
    return sanitize_html(_MARKDOWN.render(text, {"mentions": mentions}))
