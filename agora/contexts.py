"""The bounded contexts the shell assembles, and the one way to reach their parts.

Each context keeps the same module names (http, pages, jobs, cli, demo). The app factory, the
worker, the CLI and the demo seeder ask here for the modules they collect, so adding a context
is one line below, and agora/ never imports forum/ or peerreview/ anywhere else.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

# agora.devlms (the dev LMS) is collected like a context; its routes answer 404 unless dev mode.
# agora.evidence spans forum and peer review through their `participation` modules.
CONTEXTS = ("agora.lti", "agora.devlms", "agora.evidence", "forum", "peerreview")


def context_modules(name: str) -> list[ModuleType]:
    """Each context's `name` module, in CONTEXTS order, skipping contexts that have none."""
    modules = []
    for context in CONTEXTS:
        module_name = f"{context}.{name}"
        try:
            modules.append(importlib.import_module(module_name))
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise  # the module exists but something it imports does not
    return modules


def collect(name: str, attribute: str) -> list[Any]:
    """Concatenate the list `attribute` of every context's `name` module (e.g. jobs.FUNCTIONS)."""
    items: list[Any] = []
    for module in context_modules(name):
        items.extend(getattr(module, attribute, []))
    return items
