"""Time `flask commissions reconcile --from --to` in one process: the app's start-up, then the command alone.

bench/harness.py runs it with the database's settings in the environment and a time limit, and reads
the one JSON line it prints last: start_up_s, command_s, exit_code and the command's last output lines.

    .venv/bin/python bench/time_reconcile.py 2026-10-31 2026-11-29
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    first_day, last_day = sys.argv[1:3]
    started = time.perf_counter()
    from storefront import create_app

    app = create_app()
    runner = app.test_cli_runner()
    start_up = time.perf_counter() - started
    started = time.perf_counter()
    result = runner.invoke(args=["commissions", "reconcile", "--from", first_day, "--to", last_day])
    command = time.perf_counter() - started
    output = result.output.strip().splitlines()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output.append(f"{type(result.exception).__name__}: {str(result.exception).splitlines()[0][:300]}")
    print(json.dumps({"start_up_s": start_up, "command_s": command, "exit_code": result.exit_code,
                      "discrepancies": sum(line.startswith("DISCREPANCY") for line in output), "output_tail": output[-4:]}))


if __name__ == "__main__":
    main()
