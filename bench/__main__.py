"""`python -m bench` (what `make bench` runs): every context's benchmark, one after the other.

Each runs in its own process with its defaults (full MOOC scale); extra arguments are not passed
on: run `python -m bench.forum --help` or `python -m bench.peerreview --help` for a single one.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

BENCHMARKS = ("bench.forum", "bench.peerreview")


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        if importlib.util.find_spec(name + ".__main__") is None:
            continue
        print(f"==> python -m {name}", flush=True)
        if subprocess.run([sys.executable, "-m", name], check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
