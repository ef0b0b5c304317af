"""The short fault-injection run (bench/faults) as part of the test suite, so every CI run
checks end to end that a Redis kill, PostgreSQL restarts (fast and immediate) and an app kill
under load lose no acknowledged write or notification and never answer 500.

It starts servers of its own (PostgreSQL on a unix socket, Redis, app and worker on loopback
ports), so it needs neither the suite's servers nor its fixtures. 45-60 s on its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_short_fault_run_loses_nothing_and_never_answers_500():
    run = subprocess.run(
        [sys.executable, "-m", "bench.faults", "--short"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    assert "| acknowledged replies lost | 0 |" in run.stdout
    assert "| notifications lost | 0 |" in run.stdout
    assert "| answers 500 | 0 |" in run.stdout
