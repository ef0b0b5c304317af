"""The prefix and OpenAPI tag every peer-review API route shares."""

from __future__ import annotations

API = "/api/v1"
TAGS = ["peer review"]
