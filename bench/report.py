"""Reading wrk's output, and the results: the table with ratios and targets, and the file in bench/results/."""
from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class WrkOutputError(ValueError):
    pass


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    #: Responses wrk counts as errors: status 4xx/5xx, and connect, read, write and timeout errors.
    bad_responses: int
    socket_errors: int
    output: str


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise WrkOutputError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkRun:
    """The figures of one `wrk --latency` run (its latency distribution gives p50, p90 and p99)."""
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+),", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if total is None or rate is None:
        raise WrkOutputError(f"wrk printed no totals:\n{output}")
    percentiles = {}
    for percentile in ("50", "90", "99"):
        match = re.search(rf"^\s+{percentile}(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
        if match is None:
            raise WrkOutputError(f"wrk printed no {percentile}th percentile (was --latency given?):\n{output}")
        percentiles[percentile] = _milliseconds(match.group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkRun(
        requests=int(total.group(1)), seconds=_milliseconds(total.group(2) + total.group(3)) / 1000,
        requests_per_second=float(rate.group(1)), p50_ms=percentiles["50"], p90_ms=percentiles["90"], p99_ms=percentiles["99"],
        bad_responses=int(bad.group(1)) if bad else 0, socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        output=output,
    )


# ---------------------------------------------------------------------------------------------------------------
# Targets (issue 12: a 2-core machine, wrk sharing the cores).

P99_TARGET_MS = 50.0
RATIO_TARGETS = {"click": 0.8, "shop": 1.0}
P99_TARGETS = {"click": P99_TARGET_MS, "shop": P99_TARGET_MS}
WEBHOOK_TARGET_PER_SECOND = 300.0
RECONCILE_TARGET_S = 10.0
WORKER_RSS_TARGET_MB = 120.0
RUNTIME_TARGET_S = 600.0


@dataclass
class Measured:
    key: str
    label: str
    run: WrkRun | None
    reference: WrkRun | None = None
    #: What the database shows the run did ("clicks recorded: …", "events applied: …").
    check: str = ""
    error: str = ""

    @property
    def ratio(self) -> float | None:
        if self.run is None or self.reference is None or not self.reference.requests_per_second:
            return None
        return self.run.requests_per_second / self.reference.requests_per_second


@dataclass
class QueueDrain:
    """What the workers did with the queued webhook run's events (warm-up included), read from the database."""
    applied: int
    paid: int
    left: int
    #: Events that failed at least once (retried later, or still queued).
    failed: int
    workers: int
    #: From the first event received to the last one applied.
    seconds: float
    #: From wrk's stop until the queue was empty (or the harness gave up).
    drained_after_s: float

    @property
    def per_second(self) -> float:
        return self.applied / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        end = (f"{self.left:,} were still queued when the harness stopped waiting, {self.drained_after_s:.0f} s after wrk "
               f"stopped" if self.left else f"the queue was empty {self.drained_after_s:.1f} s after wrk stopped")
        failed = f"; {self.failed:,} failed at least once" if self.failed else ""
        return (f"{self.workers} workers applied {self.applied:,} events ({self.paid:,} paid an order) in {self.seconds:.1f} s "
                f"from the first received to the last applied: {self.per_second:.0f} events/s end to end; {end}{failed}")


@dataclass
class Timed:
    label: str
    seconds: float | None
    outcome: str


@dataclass
class BackendRun:
    backend: str
    server_version: str
    settings: str
    started: datetime
    measured: list[Measured] = field(default_factory=list)
    app_rss_mb: list[float] = field(default_factory=list)
    reference_rss_mb: list[float] = field(default_factory=list)
    reconciliations: list[Timed] = field(default_factory=list)
    preparation: list[Timed] = field(default_factory=list)
    load_averages: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    queue_drain: QueueDrain | None = None


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def target_verdicts(run: BackendRun) -> list[str]:
    """One line per target this backend's run can speak to."""
    lines = []
    by_key = {m.key: m for m in run.measured}
    for key, wanted in RATIO_TARGETS.items():
        measured = by_key.get(key)
        if measured is None or measured.run is None:
            continue
        ratio = measured.ratio
        lines.append(f"{measured.label}: {ratio:.2f}x its reference (target >= {wanted:.1f}x): {_verdict(ratio is not None and ratio >= wanted)}"
                     if ratio is not None else f"{measured.label}: no reference figure")
        limit = P99_TARGETS[key]
        lines.append(f"{measured.label}: p99 {_ms(measured.run.p99_ms)} (target < {limit:.0f} ms): {_verdict(measured.run.p99_ms < limit)}")
    webhook = by_key.get("webhook")
    if webhook is not None and webhook.run is not None:
        rate = webhook.run.requests_per_second
        scope = "" if run.backend == "postgresql" else " (the target is PostgreSQL's)"
        lines.append(f"{webhook.label}: {rate:.0f} events/s (target >= {WEBHOOK_TARGET_PER_SECOND:.0f} on PostgreSQL){scope}: "
                     f"{_verdict(rate >= WEBHOOK_TARGET_PER_SECOND)}")
    queued = by_key.get("webhook_queued")
    if queued is not None and queued.run is not None:
        rate = queued.run.requests_per_second
        lines.append(f"{queued.label}: acknowledged {rate:.0f} events/s (target >= {WEBHOOK_TARGET_PER_SECOND:.0f}): "
                     f"{_verdict(rate >= WEBHOOK_TARGET_PER_SECOND)}")
    if run.queue_drain is not None:
        drain = run.queue_drain
        left = f", {drain.left:,} left unapplied" if drain.left else ""
        lines.append(f"queued events applied by {drain.workers} workers: {drain.per_second:.0f} events/s end to end{left} "
                     f"(target >= {WEBHOOK_TARGET_PER_SECOND:.0f}): "
                     f"{_verdict(drain.per_second >= WEBHOOK_TARGET_PER_SECOND and not drain.left)}")
    for timed in run.reconciliations:
        if timed.label.startswith("100,000") or "100,000" in timed.label:
            ok = timed.seconds is not None and timed.seconds < RECONCILE_TARGET_S and timed.outcome.startswith("reconciles")
            shown = f"{timed.seconds:.1f} s" if timed.seconds is not None else "no figure"
            lines.append(f"reconciliation of {timed.label}: {shown}, {timed.outcome} (target < {RECONCILE_TARGET_S:.0f} s): {_verdict(ok)}")
    if run.app_rss_mb:
        peak = max(run.app_rss_mb)
        lines.append(f"peak RSS per app worker: {', '.join(f'{mb:.0f}' for mb in run.app_rss_mb)} MB (target < "
                     f"{WORKER_RSS_TARGET_MB:.0f} MB each): {_verdict(peak < WORKER_RSS_TARGET_MB)}")
    return lines


def table(run: BackendRun) -> str:
    """The per-endpoint table, in Markdown (README's Performance section takes it as it is)."""
    rows = ["| Endpoint | requests/s | p50 | p99 | reference requests/s | reference p50 | reference p99 | ratio |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for measured in run.measured:
        if measured.run is None:
            rows.append(f"| {measured.label} | failed: {measured.error} | | | | | | |")
            continue
        app, reference = measured.run, measured.reference
        reference_cells = (f"{reference.requests_per_second:.0f} | {_ms(reference.p50_ms)} | {_ms(reference.p99_ms)}"
                           if reference else "— | — | —")
        ratio = f"{measured.ratio:.2f}x" if measured.ratio is not None else "—"
        rows.append(f"| {measured.label} | {app.requests_per_second:.0f} | {_ms(app.p50_ms)} | {_ms(app.p99_ms)} | "
                    f"{reference_cells} | {ratio} |")
    if run.queue_drain is not None:
        drain = run.queue_drain
        rows.append(f"| … applied by {drain.workers} `flask payments work` (first received to last applied) | "
                    f"{drain.per_second:.0f} | | | | | | |")
    for timed in run.reconciliations:
        shown = f"{timed.seconds:.1f} s" if timed.seconds is not None else "—"
        rows.append(f"| `flask commissions reconcile`, {timed.label} | {shown} ({timed.outcome}) | | | | | | |")
    return "\n".join(rows)


def render(run: BackendRun) -> str:
    """Everything about one backend's run: the table, the targets, what the database saw, the machine."""
    lines = [f"## {run.backend} ({run.server_version}), {run.started:%Y-%m-%d %H:%M} UTC", "", run.settings, "", table(run), ""]
    lines += [f"- {line}" for line in target_verdicts(run)]
    if run.reference_rss_mb:
        lines.append(f"- peak RSS per reference worker: {', '.join(f'{mb:.0f}' for mb in run.reference_rss_mb)} MB")
    checks = [f"- {m.label}: {m.check}" for m in run.measured if m.check]
    if checks:
        lines += ["", "What the database saw:"] + checks
    errors = [f"- {m.label}: {m.run.bad_responses} error responses, {m.run.socket_errors} socket errors"
              for m in run.measured if m.run is not None and (m.run.bad_responses or m.run.socket_errors)]
    errors += [f"- {m.label} (reference): {m.reference.bad_responses} error responses, {m.reference.socket_errors} socket errors"
               for m in run.measured if m.reference is not None and (m.reference.bad_responses or m.reference.socket_errors)]
    if errors:
        lines += ["", "Errors wrk counted:"] + errors
    if run.preparation:
        lines += ["", "Preparation: " + "; ".join(f"{t.label} {t.seconds:.1f} s" + (f" ({t.outcome})" if t.outcome else "")
                                                   for t in run.preparation if t.seconds is not None)]
    if run.load_averages:
        lines += ["", "Load average (1, 5, 15 min) on the shared machine: " + "; ".join(
            f"{when} {one:.2f} {five:.2f} {fifteen:.2f}" for when, (one, five, fifteen) in run.load_averages)]
    lines += [f"- {note}" for note in run.notes]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# The machine and the versions.


def _first_line(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine() -> str:
    memory_kb = _first_line("/proc/meminfo", "MemTotal").split()[0]
    memory = f"{int(memory_kb) / 1024 / 1024:.1f} GiB RAM" if memory_kb.isdigit() else "RAM unknown"
    return f"{platform.node()}: {os.cpu_count()} CPUs ({_first_line('/proc/cpuinfo', 'model name')}), {memory}, {platform.platform()}"


def wrk_version() -> str:
    result = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    match = re.search(r"wrk (\S+)", result.stdout + result.stderr)
    return match.group(1) if match else "unknown"


def versions(postgresql: str | None) -> str:
    packages = ", ".join(f"{name} {version(name)}" for name in ("flask", "sqlalchemy", "gunicorn", "jinja2", "psycopg", "werkzeug"))
    database = f"PostgreSQL {postgresql}, " if postgresql else ""
    return f"Python {platform.python_version()}, {packages}, {database}SQLite {sqlite3.sqlite_version}, wrk {wrk_version()}"


def write_results(run: BackendRun, header: str) -> Path:
    """bench/results/bench-<backend>-<date>.txt: the machine, versions and date, the results, then wrk's own output."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{run.backend}-{run.started:%Y%m%d-%H%M%S}.txt"
    raw = []
    for measured in run.measured:
        for name, wrk in (("Vitrine", measured.run), ("reference", measured.reference)):
            if wrk is not None:
                raw += [f"### {measured.label}, {name}", wrk.output.rstrip(), ""]
    path.write_text("\n".join([header, "", render(run), "", "wrk's output:", "", *raw]))
    return path
