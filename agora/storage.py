"""The object store for files (forum attachments, peer-review attachments, cached remote images).

One library, obstore, serves both places files live: the local filesystem under the data
directory (the embedded default: `<data_dir>/objects`) and S3 or any S3-compatible server (MinIO,
Ceph, R2) when AGORA_STORAGE_URL is `s3://bucket[/prefix]`. The rest of Agora sees four async
functions over an opaque store: put, get, delete, and list what is older than a moment (for the
orphan sweeps). Keys are `<area>/<course_id>/<random>`; nothing the user chose (a file name)
ever reaches a key.

A file and its database row cannot be written atomically. The rule everywhere: check
everything first, write the object, then the row in the request's transaction; if the
transaction fails the object is deleted at once (best effort), and a periodic sweep deletes
objects that have had no row for longer than ORPHAN_AGE (a crash between the two writes).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import urlsplit

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import LocalStore, S3Store

from agora.settings import Settings

if TYPE_CHECKING:
    from obstore.store import ObjectStore

    Store: TypeAlias = ObjectStore
else:
    Store = object  # obstore's union of store classes exists for type checkers only
ORPHAN_AGE = timedelta(hours=1)  # far longer than any request that writes a file


class ObjectMissing(LookupError):
    """The store has no object under this key."""


def open_store(settings: Settings) -> Store:
    """The store AGORA_STORAGE_URL names (the filesystem under the data directory if none)."""
    url = settings.storage_url
    if not url:
        return local_store(settings.data_path / "objects")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return local_store(Path(parts.path))
    return s3_store(
        bucket=parts.netloc,
        prefix=parts.path.strip("/") or None,
        endpoint=settings.storage_endpoint,
        region=settings.storage_region,
        access_key=settings.storage_access_key,
        secret_key=settings.storage_secret_key,
    )


def local_store(directory: Path) -> LocalStore:
    directory.mkdir(parents=True, exist_ok=True)
    return LocalStore(prefix=directory, automatic_cleanup=True)


def s3_store(
    *,
    bucket: str,
    prefix: str | None = None,
    endpoint: str = "",
    region: str = "us-east-1",
    access_key: str = "",
    secret_key: str = "",
) -> S3Store:
    """An S3 bucket; `endpoint` for an S3-compatible server (path-style requests, and plain
    http allowed only when the endpoint itself says http)."""
    config: dict[str, str] = {"region": region}
    if endpoint:
        config["endpoint"] = endpoint.rstrip("/")
    if access_key:
        config["access_key_id"] = access_key
        config["secret_access_key"] = secret_key
    return S3Store(
        bucket,
        prefix=prefix,
        config=config,  # type: ignore[arg-type]  # a TypedDict of many optional keys
        client_options={
            "allow_http": endpoint.startswith("http://"),
            "timeout": "60s",
            "connect_timeout": "5s",
        },
    )


def new_key(area: str, course_id: int) -> str:
    """A fresh, unguessable key for an object of `area` in a course."""
    return f"{area}/{course_id}/{secrets.token_hex(16)}"


async def put(store: Store, key: str, data: bytes) -> None:
    """Write the object (the type it is served with lives in its database row: the local
    filesystem keeps no attributes)."""
    await obstore.put_async(store, key, data)


async def get(store: Store, key: str) -> bytes:
    """The object's bytes; ObjectMissing if there is none."""
    try:
        result = await obstore.get_async(store, key)
        return bytes(await result.bytes_async())
    except (NotFoundError, FileNotFoundError):
        raise ObjectMissing(key) from None


async def delete(store: Store, keys: list[str]) -> None:
    """Delete these objects (missing ones are no error)."""
    for key in keys:
        try:
            await obstore.delete_async(store, key)
        except (NotFoundError, FileNotFoundError):
            continue


async def keys_older_than(
    store: Store, prefix: str, age: timedelta = ORPHAN_AGE, *, limit: int = 10_000
) -> list[str]:
    """Keys under `prefix` last written more than `age` ago, at most `limit` of them."""
    cutoff = datetime.now(UTC) - age
    found: list[str] = []
    async for chunk in obstore.list(store, prefix, chunk_size=1000):
        for meta in chunk:
            if meta["last_modified"] < cutoff:
                found.append(meta["path"])
                if len(found) >= limit:
                    return found
    return found
