"""Gunicorn settings shared by `make run`, the browser tests and the benchmarks.

The access log leaves out the client address (%(h)s) and the user agent (%(a)s): clicks
keep only a salted hash of the IP, and the log must not undo that. Each line ends with the
request id (the X-Request-ID response header), which the application's own log lines carry too.
"""
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
