"""LTI Dynamic Registration and the JSON configuration URL."""

from __future__ import annotations

ROUTES: list = []
