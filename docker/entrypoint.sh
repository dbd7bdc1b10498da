#!/bin/sh
# One image, three roles: web (migrates first), worker and beat.
set -eu
case "${1:-web}" in
  web)
    python manage.py migrate --no-input
    # Workers, threads, port, access log, trusted proxies: config/gunicorn.conf.py.
    exec gunicorn -c config/gunicorn.conf.py config.wsgi:application
    ;;
  worker)
    exec celery -A config worker --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-2}"
    ;;
  beat)
    exec celery -A config beat --loglevel INFO --schedule /tmp/celerybeat-schedule
    ;;
  *)
    exec "$@"
    ;;
esac
