"""The app layers of the README hold where import-linter (``make test``) cannot see: no app
reaches another through ``apps.get_model``."""

import re
from pathlib import Path

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"


def test_no_app_looks_up_another_apps_models_by_name():
    lookups = [
        f"{path.relative_to(APPS_DIR.parent)}: {match.group(0)}"
        for path in APPS_DIR.rglob("*.py")
        if "migrations" not in path.parts
        for match in re.finditer(r"get_model\(\s*[\"'](\w+)", path.read_text())
        if match.group(1) != path.relative_to(APPS_DIR).parts[0]
    ]
    assert lookups == []
