"""The Markdown render processes leave with the server that started them, even when it is
killed outright (SIGKILL runs no cleanup): a restarted server never leaves a pair behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = """
import asyncio, multiprocessing, sys
from agora.markup import render_markdown
print(asyncio.run(render_markdown("*hi*")).strip(), flush=True)
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
sys.stdin.read()  # wait to be killed
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's reaping is left


def test_render_processes_exit_when_their_server_is_killed():
    with subprocess.Popen(
        [sys.executable, "-c", SERVER], cwd=ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    ) as server:  # fmt: skip
        try:
            assert server.stdout is not None
            assert server.stdout.readline().strip() == "<p><em>hi</em></p>"
            children = [int(pid) for pid in server.stdout.readline().split()]
            assert children and all(_alive(pid) for pid in children)
        finally:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)]
