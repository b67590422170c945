"""Gunicorn settings for production, also read by `make run`, the browser tests and the benchmarks.

Flags on the command line win over this file (`make serve` and the tests pass --bind,
--workers and --threads); `GUNICORN_CMD_ARGS` can add any other flag.

The access log leaves out the client address (%(h)s) and the user agent (%(a)s): clicks
keep only a salted hash of the IP, and the log must not undo that. Each line ends with the
request id (the X-Request-ID response header), which the application's own log lines carry too.
"""
import os


def _usable_cpus() -> int:
    """The CPUs this process may run on (taskset, systemd's CPUAffinity=). A container's CPU quota
    is not visible here: set WEB_CONCURRENCY there."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: `unix:/run/vitrine.sock` or `127.0.0.1:8000`; comma-separated for several. Ignored when systemd
#: hands gunicorn its socket (deploy/vitrine.socket).
bind = [address.strip() for address in os.environ.get("BIND", "127.0.0.1:8000").split(",") if address.strip()]
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _usable_cpus() + 1)
# Threads, not sync workers: browsers open speculative connections that send nothing, and each
# one would hold a sync worker until it timed out. Each thread uses one database connection at a
# time, from one of its worker's two pools (the session's, and on PostgreSQL its autocommit twin for
# share-link clicks and cached shop pages: storefront/extensions.py), so a machine keeps up to
# 2 × workers × threads of them open (see deploy/pgbouncer.ini.example).
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)

# A gthread worker is killed when its main loop stops answering for `timeout` seconds (a wedged
# process); a slow request in one of its threads does not count. The proxy's read timeout bounds
# what a visitor waits (deploy/nginx.conf.example).
timeout = 30
# On SIGTERM or a restart, requests in progress get this long to finish (a payout between
# reserving and settling, a webhook mid-transaction); deploy/vitrine.service waits a bit longer.
graceful_timeout = 30
# Idle keep-alive connections from the proxy or a load generator; nginx opens one per request.
keepalive = 5

# Import the app once in the master and fork workers from it: workers share the code's memory,
# start in milliseconds (so recycling them below is cheap), and a broken release fails at start,
# not in each worker. Two consequences: `kill -HUP` replaces the workers but keeps the code — a
# release restarts the service — and nothing the master opened may be used by two processes
# (post_fork below).
preload_app = True

# Recycle each worker after about this many requests, staggered by the jitter so that they do not
# all restart at once: a guard against slow memory growth, not a fix for it.
max_requests = 5000
max_requests_jitter = 500

access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'


def post_fork(server, worker):
    """Give the new worker a pool of its own: a connection opened in the master before the fork
    would otherwise be shared by every worker, and their queries would interleave on one socket.

    `db.forget_pools()` forgets the inherited pools (the engine's and its autocommit twin's) without
    closing their connections (closing them here would close the master's too); the worker opens its
    own on first use. create_app opens no
    connection today, so this is insurance against any future start-up query. The rate limiter
    needs nothing: redis-py notices the new process and reconnects, and the memory store is
    per-process by design.
    """
    from storefront.extensions import db

    db.forget_pools()
