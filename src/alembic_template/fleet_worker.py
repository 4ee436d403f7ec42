"""A worker of `alembic-template fleet`: runs alembic commands one after another, in-process.

The fleet starts N of these (`python -m alembic_template.fleet_worker`) and sends each one
JSON line per tenant on stdin: {"argv": alembic's arguments, "log": a file}. The worker runs
alembic's own command line with those arguments, its output (stdout, stderr, logging)
going to the log file, and answers one JSON line: {"status": exit status, "seconds": ...}.

Why a process that runs many commands: alembic's `context` and `op` are module globals,
so two commands cannot share a process at the same time (no threads), and an interpreter
start with alembic and SQLAlchemy imported costs about 0.4 s, which 10,000 tenants would
pay 10,000 times. A worker pays it once. Each command still builds its own config, reads
env.py afresh and makes and disposes of its own engine.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Sequence

from alembic.config import CommandLine


def run_command(argv: Sequence[str], log_path: str) -> int:
    """Run `alembic ARGV` with its output in the log file; its exit status."""
    saved_path = list(sys.path)  # env.py puts its folder on sys.path on every run
    with open(log_path, "ab") as log:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            CommandLine(prog="alembic").main(argv=list(argv))
            status = 0
        except SystemExit as leaving:  # alembic's one-line failures end in sys.exit(-1)
            code = leaving.code
            status = code if isinstance(code, int) else (0 if code is None else 1)
        except BaseException:  # a tenant's failure must not end the worker
            traceback.print_exc()
            status = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
            sys.path[:] = saved_path
    return status


def main() -> None:
    """Answer each job line on stdin with a result line on the original stdout."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    # readline(), not iteration, which may wait for more than one line to arrive.
    for line in iter(sys.stdin.readline, ""):
        job = json.loads(line)
        started = time.monotonic()
        status = run_command(job["argv"], job["log"])
        answers.write(json.dumps({"status": status, "seconds": time.monotonic() - started}))
        answers.write("\n")


if __name__ == "__main__":
    main()
