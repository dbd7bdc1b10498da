"""Gunicorn settings of the production web server, in one place.

Used by ``docker/entrypoint.sh`` (``gunicorn -c config/gunicorn.conf.py config.wsgi:application``)
and by ``bench/throughput.py``, so the benchmark measures the server production runs.
Environment:

- ``PORT`` (8000): listens on 0.0.0.0:PORT, behind the TLS proxy.
- ``WEB_CONCURRENCY`` (2) worker processes of ``WEB_THREADS`` (4) threads each (gthread): a
  request waiting on PostgreSQL or Redis leaves its process's other threads running.
- ``WEB_ACCESS_LOG`` (1): one line per request on stdout; ``0`` turns it off (the benchmark).
- ``FORWARDED_ALLOW_IPS``, else ``TRUSTED_PROXIES`` (the proxies Django believes, see
  ``apps.core.client_ip``), else gunicorn's own default ``127.0.0.1,::1``: the peers whose
  ``X-Forwarded-Proto`` gunicorn believes. Never ``*`` on a port clients can reach directly.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
accesslog = (
    "-" if os.environ.get("WEB_ACCESS_LOG", "1").lower() in {"1", "true", "yes", "on"} else None
)
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS") or os.environ.get("TRUSTED_PROXIES") or "127.0.0.1,::1"
)
