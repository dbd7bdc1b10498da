"""The Content-Security-Policy header: on every answer (shared cache hits, htmx fragments, error
pages), strict, and never with a nonce inside a page the shared cache hands to everyone."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test import Client
from django.urls import path

from apps.core.shared_cache import shared_page
from tests.factories import make_entry, make_user, verify_for_log_in
from tests.test_settings import run_settings

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DAY = dt.date(2026, 11, 26)
DAY_URL = "/papers/date/2026-11-26"
NONCE = re.compile(r"'nonce-([^']+)'")


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert [v for v in policy["script-src"] if not v.startswith("'nonce-")] == ["'self'"]
    assert [v for v in policy["style-src"] if not v.startswith("'nonce-")] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


@pytest.fixture
def entry():
    return make_entry(day=DAY, title="Policies for $\\pi$")


def test_a_page_has_the_policy_and_no_nonce(client, entry):
    response = client.get(f"/papers/{entry.paper.arxiv_id}")
    assert response.status_code == 200
    assert_strict(response)
    # The site's own pages need no nonce: none in the header, none in the markup.
    assert not NONCE.search(response["Content-Security-Policy"])
    assert b"nonce" not in response.content


@pytest.mark.usefixtures("shared_cache_on")
def test_a_shared_page_served_from_the_cache_has_the_policy(client, entry):
    miss = client.get(DAY_URL)
    hit = client.get(DAY_URL)
    assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    for response in (miss, hit):
        assert_strict(response)
        assert b"nonce" not in response.content
    # The stored copy keeps no policy of its own: the middleware adds the current one.
    fragment = client.get(DAY_URL, HTTP_HX_REQUEST="true")
    again = client.get(DAY_URL, HTTP_HX_REQUEST="true")
    assert again["X-Cache"] == "hit"
    assert_strict(fragment)
    assert_strict(again)


def test_an_htmx_fragment_has_the_policy(client, entry):
    user = verify_for_log_in(make_user("ada"))
    client.force_login(user)
    response = client.post(
        f"/papers/{entry.paper.arxiv_id}/vote", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN="x"
    )
    assert response.status_code == 200
    assert_strict(response)
    preview = client.post("/comments/preview", {"body": "$x$"}, HTTP_HX_REQUEST="true")
    assert preview.status_code == 200
    assert_strict(preview)


@pytest.mark.usefixtures("shared_cache_on")
def test_the_digest_preview_allows_the_emails_inline_styles_and_nothing_else(client, entry):
    miss = client.get("/digest/preview")
    hit = client.get("/digest/preview")
    assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    assert b"<iframe" in miss.content
    # Browsers take a 304's headers for the copy they kept: it must repeat the page's policy.
    not_modified = client.get("/digest/preview", HTTP_IF_NONE_MATCH=miss["ETag"])
    assert not_modified.status_code == 304
    for response in (miss, hit, not_modified):
        policy = directives(response)
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_error_pages_have_the_policy(client):
    response = client.get("/papers/9999.99999")
    assert response.status_code == 404
    assert_strict(response)
    assert b"nonce" not in response.content


def test_the_admin_gets_a_nonce_for_its_stylesheets(client):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_strict(response)
    nonce = NONCE.search(directives(response)["style-src"][-1]).group(1)
    assert f'nonce="{nonce}"'.encode() in response.content


def test_the_csrf_failure_page_gets_a_nonce_for_its_inline_style():
    response = Client(enforce_csrf_checks=True).post("/comments/preview", {"body": "x"})
    assert response.status_code == 403
    assert_strict(response)
    nonce = NONCE.search(directives(response)["style-src"][-1]).group(1)
    assert f'<style nonce="{nonce}">'.encode() in response.content


def test_forms_may_be_sent_on_to_github_only_when_its_log_in_is_configured():
    code = "from django.conf import settings; print(settings.SECURE_CSP['form-action'])"
    github = {"GITHUB_CLIENT_ID": "id", "GITHUB_CLIENT_SECRET": "secret"}
    without = run_settings({"DEBUG": "1"}, code)
    with_github = run_settings({"DEBUG": "1", **github}, code)
    assert without.stdout.strip() == "[<CSP.SELF: \"'self'\">]", without.stderr
    assert "'https://github.com'" in with_github.stdout, with_github.stderr


# A shared page whose template used the nonce: the cache must not hand it to everyone.
@shared_page
def _nonce_page(request):
    template = Template('<script nonce="{{ csp_nonce }}">1</script>')
    return HttpResponse(template.render(RequestContext(request)))


urlpatterns = [path("nonce-page", _nonce_page)]


@pytest.mark.urls(__name__)
@pytest.mark.usefixtures("shared_cache_on")
def test_a_shared_page_that_used_its_nonce_is_not_stored(client):
    first = client.get("/nonce-page")
    second = client.get("/nonce-page")
    nonces = []
    for response in (first, second):
        assert "X-Cache" not in response  # answered by the view, not stored
        nonce = NONCE.search(response["Content-Security-Policy"]).group(1)
        assert f'nonce="{nonce}"'.encode() in response.content
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


# Pages served to browsers; emails are not (no policy applies to them).
TEMPLATE_DIRS = [BASE_DIR / "templates", *(BASE_DIR / "apps").glob("*/templates")]
FORBIDDEN = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)"),
    "on* handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "hx-on / hx-vars / js: values": re.compile(r"\shx-on|\shx-vars|\"js:|'js:"),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def page_templates() -> list[Path]:
    return [
        template
        for directory in TEMPLATE_DIRS
        for template in directory.rglob("*.html")
        if not {"email", "emails"} & set(template.relative_to(directory).parts)
    ]


def test_templates_have_no_inline_script_style_or_eval():
    found = [
        f"{template.relative_to(BASE_DIR)}: {what}"
        for template in page_templates()
        for what, pattern in FORBIDDEN.items()
        if pattern.search(template.read_text())
    ]
    assert len(page_templates()) > 50
    assert found == []
