"""Agora's settings: one typed object read once from AGORA_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import msgspec

PREFIX = "AGORA_"

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
# Space-separated CSP host sources ("https://lms.example.edu https://*.instructure.com"): no
# quotes, semicolons or commas, so a value can never add a directive to the header.
FrameSources = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9.:/*\[\] -]*$")]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Where to serve.
    host: str = "127.0.0.1"
    port: Port = 8000
    # The public URL LMSs reach us at (LTI redirect URIs, JWKS, deep-link returns).
    public_url: str = ""
    # Empty URLs mean: start the embedded PostgreSQL / Redis under data_dir.
    database_url: str = ""
    redis_url: str = ""
    data_dir: str = ".agora"
    # HTTP processes `agora serve` runs; 0: one per CPU (one in dev mode). The app's pool sizes
    # and max_requests below are totals for the server, divided among its processes.
    processes: Annotated[int, msgspec.Meta(ge=0, le=256)] = 0
    db_pool_min: PositiveInt = 2
    db_pool_max: PositiveInt = 10
    # Load shedding: at most this many requests at once (health, readiness, metrics and
    # live-event streams aside); a request waits at most queue_timeout seconds for a slot and
    # as long again for a pool connection, then gets 503 with Retry-After instead of queueing.
    max_requests: PositiveInt = 100
    queue_timeout: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0
    # Largest request body accepted, in bytes.
    max_body_bytes: PositiveInt = 1_048_576
    # How long a session issued at launch stays valid, in seconds.
    session_ttl: PositiveInt = 8 * 3600
    # Dev mode: the dev LMS at /dev/lms and the demo course. Never enable in production.
    dev: bool = False
    # Calls to LMS URLs may use plain http and reach loopback/private addresses (tests, an LMS on
    # a private network); dev mode implies it. Never on a server reachable from the internet.
    allow_private_urls: bool = False
    # An egress proxy for calls to LMSs and remote images (http://host:port), for a server that
    # reaches the internet only through one. Agora still refuses internal addresses it can see;
    # the proxy resolves names and connects, so it must refuse internal destinations itself.
    outbound_proxy: Annotated[str, msgspec.Meta(pattern=r"^(https?://[^/?#\s]+/?)?$")] = ""
    log_level: str = "info"
    # /metrics answers only to `Authorization: Bearer <metrics_token>`. Empty: /metrics is off
    # (404), except in dev mode where it stays open.
    metrics_token: str = ""
    # Who may frame Agora's pages besides the registered platforms' own origins (their issuer
    # and login URLs): e.g. an LMS whose pages live on other hosts than its issuer.
    frame_ancestors: FrameSources = ""
    # Email digests: smtp://[user:password@]host[:port] or smtps://...; empty: no email.
    smtp_url: Annotated[str, msgspec.Meta(pattern=r"^(smtps?://[^/?#\s]+/?)?$")] = ""
    smtp_from: str = "agora@localhost"
    # Files (attachments, cached remote images): empty = the local filesystem under
    # data_dir/objects; "file:///abs/dir"; or "s3://bucket[/prefix]" for S3 or an S3-compatible
    # server (MinIO: storage_endpoint=http://minio:9000). Empty keys: the AWS_* environment.
    storage_url: Annotated[str, msgspec.Meta(pattern=r"^((file|s3)://\S+)?$")] = ""
    storage_endpoint: str = ""
    storage_region: str = "us-east-1"
    storage_access_key: str = ""
    storage_secret_key: str = ""
    # Attachments: bytes per file, bytes per member per course, files per post, and the types
    # allowed (space-separated, as detected from the content; never SVG or HTML).
    attachment_max_bytes: PositiveInt = 10_000_000
    attachment_quota_bytes: PositiveInt = 200_000_000
    attachment_max_per_post: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    attachment_types: str = "image/png image/jpeg image/gif image/webp application/pdf"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def known_env_names() -> set[str]:
    return {env_name(f) for f in Settings.__struct_fields__}


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from AGORA_* variables; a bad value raises SettingsError naming it."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for name, value in environ.items():
        if not name.startswith(PREFIX):
            continue
        field = name[len(PREFIX) :].lower()
        if field not in Settings.__struct_fields__:
            if field.startswith("test_"):
                continue  # AGORA_TEST_* belong to the test suite
            raise SettingsError(f"{name} is not a known setting")
        raw[field] = value
    raw.update(overrides)
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as error:
        raise SettingsError(_explain(error)) from None


def _explain(error: msgspec.ValidationError) -> str:
    message = str(error)
    if " - at `$." in message:
        reason, _, path = message.rpartition(" - at `$.")
        field = path.rstrip("`").split(".")[0].split("[")[0]
        return f"{env_name(field)}: {reason}"
    return message
