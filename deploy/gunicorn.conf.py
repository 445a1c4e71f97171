"""gunicorn's settings for production: ``gunicorn --config deploy/gunicorn.conf.py wsgi:app``.

gunicorn sits behind nginx (deploy/nginx/) and is never reached from outside: nginx reads every
request whole (headers and body) before it hands it over, so a slow or stalled client costs an
nginx connection, not one of these few sync workers. Command-line options override what is here
(the tests bind their own port this way).
"""

# The socket nginx connects to. Under systemd, deploy/systemd/scheduler-web.socket creates it and
# hands it over (socket activation), and this line is not used.
bind = ["unix:/run/scheduler/gunicorn.sock"]
umask = 0o007  # a socket gunicorn makes itself: owner and group only (run with nginx's group)

# Sync workers: each handles one request at a time, start to finish; 2-4 per core. Safe only
# because nginx buffers clients: a sync worker bound to a public address is held by any client
# that sends its request slowly.
workers = 4
worker_class = "sync"
# A request still running after this many seconds is killed with its worker (nginx answers 502).
# The slowest pages (a staff CSV, a 62-day availability) take well under a second.
timeout = 30
graceful_timeout = 30
keepalive = 2
# Recycle each worker now and then (a slow leak or fragmentation cannot grow for ever); the
# jitter keeps the four from restarting together.
max_requests = 5000
max_requests_jitter = 500

# Headers from nginx are believed only from this machine (a unix socket is always believed). The
# app itself takes the client's address, scheme and host through ProxyFix with
# SCHEDULER_PROXY_HOPS=1 (see deploy/scheduler.env.example).
forwarded_allow_ips = "127.0.0.1,::1"

# The longest request line read (gunicorn's most; its default, 4094, answers a plain-text 400 for a
# longer one). nginx passes lines up to 8 KB (large_client_header_buffers), the app answers a URL
# over 4096 bytes with its own 414 (an OperationOutcome under /fhir: web/fhir/conventions.py).
limit_request_line = 8190

# nginx keeps the access log; gunicorn's errors go to stderr (the journal under systemd).
accesslog = None
errorlog = "-"
# No control socket: gunicorn (>= 25.1) would otherwise open one per user in $XDG_RUNTIME_DIR.
control_socket_disable = True


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Stop the server at start when the rate-limit store (Redis) does not answer.

    Raising here, before the worker has booted, makes gunicorn's master halt with "Worker failed
    to boot" and the message below, instead of serving with limits that cannot be counted. Once
    running, an outage of the store is met by counting in each worker's memory until it is back
    (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)."""
    from scheduler.extensions import check_rate_limit_store

    check_rate_limit_store(worker.wsgi)
