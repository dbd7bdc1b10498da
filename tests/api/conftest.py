import os

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
