"""The app under benchmark: `python -m bench.forum.server PORT [PROCESSES [SERVER]]`, served as
`agora serve` serves it (PROCESSES HTTP processes, default 1; SERVER granian or uvicorn), with
settings from AGORA_* variables."""

from __future__ import annotations

import sys

from agora.serve import serve_app
from agora.settings import load_settings


def main() -> None:
    port = int(sys.argv[1])
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    server = sys.argv[3] if len(sys.argv) > 3 else "granian"
    assert server in ("granian", "uvicorn")
    settings = load_settings(port=port, log_level="warning")
    serve_app(settings, processes=processes, with_worker=False, server=server)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
