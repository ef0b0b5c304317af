"""The app under benchmark: `python -m bench.forum.server PORT`, settings from AGORA_* variables."""

from __future__ import annotations

import sys

import uvicorn

from agora.app import create_app
from agora.settings import load_settings


def main() -> None:
    port = int(sys.argv[1])
    settings = load_settings(port=port, log_level="warning")
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
