"""Sign-up timing: does the response time tell whether an address already has an account?

    .venv/bin/python bench/signup_timing.py               # 15 sign-ups of each kind
    .venv/bin/python bench/signup_timing.py --rounds 30
    .venv/bin/python bench/signup_timing.py --without-fix # as before issue 13 (item 9)

Posts the sign-up form in-process (Django's test client, production password hasher) on the
test database of DATABASE_URL (``test_<name>``, created if missing, as pytest --reuse-db does),
alternating a new address and an address that already has an account, inside one transaction
that is rolled back at the end (nothing is kept, no mail is queued). Prints the median, 10th
and 90th percentile of each kind in milliseconds and the ratio of the medians; exit status 1
when the medians differ by more than 25 %. ``--without-fix`` skips the extra password hash of
``apps.users.forms.SignupForm.try_save`` to show the difference it closes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")  # development settings; the hasher is the production one

TOLERANCE = 0.25


class Rollback(Exception):
    pass


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    deciles = statistics.quantiles(samples, n=10)
    return statistics.median(samples), deciles[0], deciles[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--without-fix", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.hashers import get_hasher
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from tests.factories import PASSWORD, make_user, verify_for_log_in

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    times: dict[str, list[float]] = {"new": [], "taken": []}
    patch = mock.patch("apps.users.forms.make_password") if args.without_fix else mock.MagicMock()
    try:
        with transaction.atomic(), patch:
            verify_for_log_in(make_user("timing-taken"))
            for n in range(args.rounds):
                for kind, email in (
                    ("new", f"timing-new-{n}@example.org"),
                    ("taken", "timing-taken@example.org"),
                ):
                    client = Client(REMOTE_ADDR=f"10.9.{n // 250}.{n % 250}")  # own sign-up limit
                    data = {
                        "email": email,
                        "username": f"timing-{kind}-{n}",
                        "password1": PASSWORD,
                        "password2": PASSWORD,
                    }
                    start = time.perf_counter()
                    response = client.post(reverse("account_signup"), data)
                    elapsed = (time.perf_counter() - start) * 1000
                    if response.status_code != 302:
                        print(f"{kind}: unexpected {response.status_code}", file=sys.stderr)
                        return 1
                    if n:  # the first round warms caches and connections
                        times[kind].append(elapsed)
            raise Rollback
    except Rollback:
        pass
    print(f"hasher: {get_hasher().algorithm}; {args.rounds - 1} measured rounds")
    print(f"{'path':<8}{'median':>10}{'p10':>10}{'p90':>10}   (ms)")
    for kind, samples in times.items():
        median, p10, p90 = percentiles(samples)
        print(f"{kind:<8}{median:>10.1f}{p10:>10.1f}{p90:>10.1f}")
    ratio = statistics.median(times["taken"]) / statistics.median(times["new"])
    print(f"taken/new median ratio: {ratio:.2f}{' (without the fix)' if args.without_fix else ''}")
    return 0 if abs(1 - ratio) <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
