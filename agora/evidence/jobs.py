"""The evidence snapshot's job (collected by agora.worker like every context's jobs)."""

from __future__ import annotations

from typing import Any

from arq.worker import func

from agora.evidence import build_evidence
from agora.evidence.service import JOB

# A snapshot of a MOOC's term reads every learner and every post once: minutes, not seconds.
FUNCTIONS: list[Any] = [func(build_evidence, name=JOB, timeout=900)]
