"""agora.storage on both stores: the filesystem under the data directory and S3 (moto)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agora import storage
from agora.settings import load_settings


async def test_an_object_is_written_read_listed_and_deleted(store):
    key = storage.new_key("forum", 7)
    assert key.startswith("forum/7/") and len(key.rsplit("/", 1)[1]) == 32
    await storage.put(store, key, b"%PDF-1.4 notes")
    assert await storage.get(store, key) == b"%PDF-1.4 notes"
    assert await storage.keys_older_than(store, "forum/", timedelta(seconds=-60)) == [key]
    assert await storage.keys_older_than(store, "forum/") == []  # younger than ORPHAN_AGE
    assert await storage.keys_older_than(store, "remote/", timedelta(seconds=-60)) == []
    await storage.delete(store, [key, key])  # deleting what is gone is no error
    with pytest.raises(storage.ObjectMissing):
        await storage.get(store, key)


async def test_keys_are_never_reused():
    assert len({storage.new_key("forum", 1) for _ in range(1000)}) == 1000


def test_the_default_store_is_the_filesystem_under_the_data_directory(tmp_path):
    store = storage.open_store(load_settings(environ={}, data_dir=str(tmp_path)))
    assert type(store).__name__ == "LocalStore"
    assert (tmp_path / "objects").is_dir()


async def test_an_s3_url_opens_the_bucket_at_the_endpoint(s3_endpoint):
    import httpx

    async with httpx.AsyncClient() as http:
        (await http.put(f"{s3_endpoint}/course-files")).raise_for_status()
    settings = load_settings(
        environ={
            "AGORA_STORAGE_URL": "s3://course-files/agora",
            "AGORA_STORAGE_ENDPOINT": s3_endpoint,
            "AGORA_STORAGE_ACCESS_KEY": "test",
            "AGORA_STORAGE_SECRET_KEY": "test",
        }
    )
    store = storage.open_store(settings)
    await storage.put(store, "forum/1/abc", b"x")
    # The prefix from the URL is applied: the object is under agora/ in the bucket.
    async with httpx.AsyncClient() as http:
        listing = (await http.get(f"{s3_endpoint}/course-files", params={"list-type": "2"})).text
    assert "<Key>agora/forum/1/abc</Key>" in listing


def test_a_storage_url_of_another_scheme_is_refused():
    from agora.settings import SettingsError

    with pytest.raises(SettingsError, match="AGORA_STORAGE_URL"):
        load_settings(environ={"AGORA_STORAGE_URL": "ftp://files"})
