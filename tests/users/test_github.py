"""GitHub log-in through allauth, with only GitHub's HTTP answers faked."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from apps.users.models import User

pytestmark = pytest.mark.django_db

GITHUB_APP = {
    "github": {
        "APP": {"client_id": "test-client-id", "secret": "test-client-secret"},
        "SCOPE": ["read:user", "user:email"],
    }
}


class FakeGitHub:
    """Stands in for github.com and api.github.com at requests' transport adapter."""

    def __init__(self, *, login="octo-ada", name="Ada Octo", emails=None):
        self.profile = {
            "id": 4242,
            "login": login,
            "name": name,
            "email": None,
            "html_url": f"https://github.com/{login}",
            "avatar_url": "https://avatars.githubusercontent.com/u/4242",
        }
        self.emails = (
            emails
            if emails is not None
            else [{"email": "ada@octo.example", "primary": True, "verified": True}]
        )
        self.requests: list[requests.PreparedRequest] = []

    def send(self, adapter, request, **kwargs):
        self.requests.append(request)
        url = urlsplit(request.url)
        if (url.netloc, url.path) == ("github.com", "/login/oauth/access_token"):
            body = parse_qs(request.body)
            assert body["code"] == ["the-code"]
            assert body["client_secret"] == ["test-client-secret"]
            payload = {"access_token": "gho_token", "token_type": "bearer", "scope": "read:user"}
        elif (url.netloc, url.path) == ("api.github.com", "/user"):
            assert request.headers["Authorization"] == "token gho_token"
            payload = self.profile
        elif (url.netloc, url.path) == ("api.github.com", "/user/emails"):
            payload = self.emails
        else:
            raise AssertionError(f"unexpected request to {request.url}")
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(payload).encode()
        response.url = request.url
        response.request = request
        return response


@pytest.fixture
def github(settings, monkeypatch):
    settings.SOCIALACCOUNT_PROVIDERS = GITHUB_APP
    fake = FakeGitHub()
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter,
        "send",
        lambda adapter, request, **kwargs: fake.send(adapter, request, **kwargs),
    )
    return fake


def start_login(client) -> str:
    """Walk to GitHub's authorize page; return the state allauth put in the URL."""
    login_url = reverse("github_login")
    page = client.get(login_url)
    assert page.status_code == 200  # a confirmation page: starting a login is a POST
    response = client.post(login_url)
    assert response.status_code == 302
    authorize = urlsplit(response["Location"])
    assert (authorize.netloc, authorize.path) == ("github.com", "/login/oauth/authorize")
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["test-client-id"]
    assert query["redirect_uri"] == ["http://testserver/accounts/github/login/callback/"]
    return query["state"][0]


def providers_from_environment(**env: str) -> dict:
    """SOCIALACCOUNT_PROVIDERS as config.settings builds it from this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, config.settings as s; print(json.dumps(s.SOCIALACCOUNT_PROVIDERS))",
        ],
        env={
            **clean,
            "DEBUG": "1",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            **env,
        },
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_github_is_enabled_only_when_both_credentials_are_set():
    assert providers_from_environment() == {}
    assert providers_from_environment(GITHUB_CLIENT_ID="id") == {}
    enabled = providers_from_environment(GITHUB_CLIENT_ID="id", GITHUB_CLIENT_SECRET="secret")
    assert enabled["github"]["APP"] == {"client_id": "id", "secret": "secret"}


def test_login_page_offers_github_when_configured(client, github):
    html = client.get(reverse("account_login")).content.decode()
    assert "Continue with GitHub" in html


def test_login_page_has_no_github_button_without_credentials(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    html = client.get(reverse("account_login")).content.decode()
    assert "GitHub" not in html


def test_github_urls_are_not_found_without_credentials(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert client.get(reverse("github_login")).status_code == 404
    assert client.post(reverse("github_login")).status_code == 404
    assert client.get(reverse("github_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_github_login_creates_a_verified_user_and_logs_in(client, github):
    state = start_login(client)
    response = client.get(reverse("github_callback"), {"code": "the-code", "state": state})
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="octo-ada")
    assert user.display_name == "Ada Octo"
    assert user.email == "ada@octo.example"
    assert EmailAddress.objects.get(user=user).verified
    assert SocialAccount.objects.get(user=user, provider="github").uid == "4242"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert [r.url.split("?")[0] for r in github.requests] == [
        "https://github.com/login/oauth/access_token",
        "https://api.github.com/user",
        "https://api.github.com/user/emails",
    ]


def test_github_login_again_logs_into_the_same_account(client, github):
    client.get(reverse("github_callback"), {"code": "the-code", "state": start_login(client)})
    client.post(reverse("account_logout"))
    client.get(reverse("github_callback"), {"code": "the-code", "state": start_login(client)})
    assert User.objects.count() == 1
    assert int(client.session["_auth_user_id"]) == User.objects.get().pk


def test_github_login_with_a_reserved_name_gets_another_handle(client, github):
    github.profile["login"] = "admin"
    client.get(reverse("github_callback"), {"code": "the-code", "state": start_login(client)})
    user = User.objects.get()
    assert user.username.lower() != "admin"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_github_callback_with_a_forged_state_logs_nobody_in(client, github):
    start_login(client)
    response = client.get(reverse("github_callback"), {"code": "the-code", "state": "forged"})
    assert response.status_code == 401
    assert 'class="site-header"' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()
    assert github.requests == []


def test_banned_github_user_cannot_log_in(client, github):
    client.get(reverse("github_callback"), {"code": "the-code", "state": start_login(client)})
    User.objects.update(is_banned=True)
    client.post(reverse("account_logout"))
    response = client.get(
        reverse("github_callback"), {"code": "the-code", "state": start_login(client)}
    )
    assert response.status_code == 403
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_github_user_without_a_verified_email_must_verify_it_first(
    client, github, mailoutbox, django_capture_on_commit_callbacks
):
    github.emails = [{"email": "octo@unverified.example", "primary": True, "verified": False}]
    state = start_login(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("github_callback"), {"code": "the-code", "state": state})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert [message.to for message in mailoutbox] == [["octo@unverified.example"]]


def test_github_email_of_an_existing_account_does_not_log_into_it(client, github, verified_user):
    github.emails = [{"email": verified_user.email, "primary": True, "verified": True}]
    state = start_login(client)
    response = client.get(
        reverse("github_callback"), {"code": "the-code", "state": state}, follow=True
    )
    assert response.status_code == 200
    # The same answer as for a new address, so the page does not reveal the account.
    assert response.redirect_chain == [(reverse("account_email_verification_sent"), 302)]
    assert not response.wsgi_request.user.is_authenticated
    assert not SocialAccount.objects.filter(user=verified_user).exists()
    assert User.objects.get() == verified_user  # no second account either


def reauthenticate_with_github(client, start: str) -> str:
    """From the re-authentication page GitHub was offered on to GitHub's callback: its URL."""
    confirm = client.get(start)
    assert confirm.status_code == 302
    response = client.post(confirm["Location"])  # allauth's "continue with GitHub" form
    assert response.status_code == 302
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    return client.get(reverse("github_callback"), {"code": "the-code", "state": state})


def test_an_account_without_a_password_reauthenticates_by_logging_in_with_github_again(
    client, github
):
    """Issue 13 item 11: deleting the account asks a GitHub-only user to log in with GitHub."""
    client.get(reverse("github_callback"), {"code": "the-code", "state": start_login(client)})
    user = User.objects.get()
    assert not user.has_usable_password()
    asked = client.get(reverse("users:delete"))
    assert asked["Location"].startswith(reverse("users:reauthenticate_github"))
    response = reauthenticate_with_github(client, asked["Location"])
    assert response["Location"] == reverse("users:delete")
    assert client.get(reverse("users:delete")).status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk


def test_another_github_account_does_not_count_as_reauthentication(client, github):
    client.get(reverse("github_callback"), {"code": "the-code", "state": start_login(client)})
    user = User.objects.get()
    asked = client.get(reverse("users:delete"))
    github.profile["id"] = 999  # the thief's own GitHub account
    reauthenticate_with_github(client, asked["Location"])
    response = client.get(reverse("users:delete"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:reauthenticate_github"))
    assert int(client.session["_auth_user_id"]) == user.pk
    assert User.objects.count() == 1
