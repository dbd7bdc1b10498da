"""Issue 13 item 6: X-Forwarded-For is only believed from a trusted proxy, and the shipped
deployment files only let clients in through that proxy."""

import os
import runpy
from pathlib import Path

import pytest
import yaml
from django.test import RequestFactory
from django.urls import reverse

from apps.core.client_ip import client_ip

ROOT = Path(__file__).resolve().parents[2]


def request(remote: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


def test_a_client_cannot_spoof_through_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    # The proxy appends the address it saw; whatever the client wrote is further left.
    assert client_ip(request("10.0.0.1", "1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    # A direct client (not the proxy) is itself, whatever it writes.
    assert client_ip(request("203.0.113.9", "1.1.1.1")) == "203.0.113.9"


def test_chains_of_trusted_proxies_are_skipped_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    assert client_ip(request("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.1.1")) == "203.0.113.9"
    ipv6 = request("2001:db8::1", "203.0.113.4, [2001:db8::5]:443, 10.2.2.2")
    assert client_ip(ipv6) == "203.0.113.4"
    # Only proxies all the way: the leftmost address is the client.
    assert client_ip(request("10.0.0.1", "10.0.0.2")) == "10.0.0.2"


def test_garbage_or_missing_header_falls_back_to_the_last_believable_hop(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_ip(request("10.0.0.1", "not-an-ip")) == "10.0.0.1"
    assert client_ip(request("10.0.0.1", "")) == "10.0.0.1"
    assert client_ip(request("10.0.0.1")) == "10.0.0.1"
    assert client_ip(request("10.0.0.1", "203.0.113.9:5555")) == "203.0.113.9"
    assert client_ip(request("::ffff:203.0.113.9")) == "203.0.113.9"


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_reset_allauths_login_limit(client, settings):
    # As shipped in docker/compose.yml (before: TRUSTED_PROXY_COUNT=1), reached directly.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["172.31.250.1"]
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    data = {"login": "someone@example.org", "password": "whatever"}
    url = reverse("account_login")
    statuses = [
        client.post(url, data, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [400, 400, 429]


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_reset_the_digest_subscribe_limit(client, settings):
    from apps.digests.services import SUBSCRIBE_RATE

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["172.31.250.1"]
    data = {"email": "x@example.org", "frequency": "daily", "delivery_hour": 7, "time_zone": "UTC"}
    statuses = [
        client.post(
            "/digest/subscribe",
            {**data, "email": f"x{n}@example.org"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(SUBSCRIBE_RATE.limit + 1)
    ]
    assert statuses[-1] == 429, statuses


def test_compose_publishes_gunicorn_on_loopback_and_trusts_only_the_gateway():
    compose = yaml.safe_load((ROOT / "docker/compose.yml").read_text())
    (port,) = compose["services"]["web"]["ports"]
    assert port.startswith("${WEB_BIND:-127.0.0.1}:")
    env = compose["x-app"]["environment"]
    assert "TRUSTED_PROXY_COUNT" not in env
    assert env["TRUSTED_PROXIES"] == "${TRUSTED_PROXIES:-${DOCKER_GATEWAY:-172.31.250.1}}"
    (ipam,) = compose["networks"]["default"]["ipam"]["config"]
    assert ipam["gateway"] == "${DOCKER_GATEWAY:-172.31.250.1}"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "127.0.0.1,::1"),
        ({"TRUSTED_PROXIES": "172.31.250.1"}, "172.31.250.1"),
        ({"TRUSTED_PROXIES": "172.31.250.1", "FORWARDED_ALLOW_IPS": "10.0.0.2"}, "10.0.0.2"),
    ],
)
def test_gunicorn_trusts_forwarded_headers_only_from_the_proxy(monkeypatch, environ, expected):
    for name in ("TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(str(ROOT / "config/gunicorn.conf.py"))
    assert conf["forwarded_allow_ips"] == expected
    assert os.environ.get("FORWARDED_ALLOW_IPS") == environ.get("FORWARDED_ALLOW_IPS")
