import ipaddress
import os
import socket

import pytest

# Set before huggingface_hub is imported: no telemetry, no token from the machine, and never
# offline mode (it blocks every request, also to a custom endpoint).
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
os.environ.pop("HF_HUB_OFFLINE", None)


@pytest.fixture
def hf_api(live_server):
    """The real Hugging Face client, pointed at this site's live test server."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=live_server.url, token=False)


@pytest.fixture(autouse=True)
def _only_loopback_network(monkeypatch):
    """Fail any test here that would reach past this machine (the client must use our server)."""
    real_connect = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise OSError(f"test tried to reach {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
