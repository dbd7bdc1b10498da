"""What the benchmarks measure the same way: queries, percentiles, the database's CPU time.

Imported by the scripts in this folder after ``django.setup()``.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.db import connection


class QueryCounter:
    """A database execute wrapper that counts the statements run through it."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 for the 95th)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (same machine only)."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
