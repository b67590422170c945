"""Gunicorn settings shared by `make run`, the browser tests and the benchmarks.

The access log leaves out the client address (%(h)s) and the user agent (%(a)s): clicks
keep only a salted hash of the IP, and the log must not undo that.
"""
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
