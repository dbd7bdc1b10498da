"""The full fuzz run: every URL pattern, parameter and form field with every hostile value.

    .venv/bin/python bench/fuzz.py              # about 60,000 requests; 0 x 5xx expected

Runs ``tests/test_fuzz.py`` at ``FUZZ_LEVEL=full`` through Django's test client with production
settings (``DEBUG`` off, exceptions turned into 500 responses), on the test database of the
suite (``test_`` + the database of ``DATABASE_URL``, kept with ``--reuse-db``), so it needs the
same environment as the tests. What it sends and why is that module's docstring; the fast subset
of the same code runs with the suite. Prints the totals per status and lists every 5xx with its
method, URL, role and payload; the exit status is pytest's (1 on any 5xx).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = os.environ | {"FUZZ_LEVEL": "full"}
    command = [
        sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:logging",
        "tests/test_fuzz.py::test_no_hostile_input_gets_a_5xx", *sys.argv[1:],
    ]  # fmt: skip
    return subprocess.call(command, cwd=ROOT, env=env)  # noqa: S603 - fixed command


if __name__ == "__main__":
    sys.exit(main())
