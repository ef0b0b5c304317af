"""Remote images in posts: rewritten to Agora's proxy at write time, fetched once through the
outbound guard from a real loopback HTTP server (the "remote host"), then served from the store.
The forum is the writer here; every test runs on the filesystem and the S3 store."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agora.app import create_app
from agora.markup import render_markdown_now
from agora.remote_images import found_images
from agora.settings import load_settings
from tests.conftest import create_course
from tests.files import png

BODIES = {
    "/cat.png": ("image/png", png(8, 8)),
    "/page.png": ("image/png", b"<html><script>alert(1)</script></html>"),
    "/logo.svg": ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
}


class RemoteHost(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self):
        self.hits.append(self.path)
        kind, body = BODIES.get(self.path, ("text/plain", b"missing"))
        self.send_response(200 if self.path in BODIES else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def remote():
    hits: list[str] = []
    handler = type("Handler", (RemoteHost,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def make_settings(database_url, server_urls, **extra):
    return load_settings(
        environ={},
        database_url=database_url,
        redis_url=server_urls["redis"],
        public_url="http://testserver.local",
        **extra,
    )


@pytest.fixture
def settings(database_url, server_urls):
    # The remote host is on loopback: allowed for tests and dev (AGORA_ALLOW_PRIVATE_URLS).
    return make_settings(database_url, server_urls, allow_private_urls=True)


@pytest.fixture
def app(settings, database, redis, store):
    return create_app(settings, database=database, redis=redis, store=store)


@pytest.fixture
async def course(conn):
    return await create_course(conn, settings_json={"forum": {"post_interval_seconds": 0}})


async def post_body(client, course, body):
    response = await client.post(
        f"/api/v1/courses/{course.id}/threads",
        json={"title": "Look at this", "body": body},
        headers=course.alice.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_rendering_points_remote_images_at_the_proxy_and_leaves_links_alone():
    url = "https://images.example.org/cat.png"
    html = render_markdown_now(f"![a cat]({url}) and [the page](https://example.org/)")
    digest = hashlib.sha256(url.encode()).hexdigest()
    assert f'<img src="/media/remote/{digest}?u=' in html
    assert 'src="https://' not in html
    assert '<a href="https://example.org/"' in html
    assert found_images(html) == {digest: url}
    # A protocol-relative image is proxied too; a local one is left as it is.
    html = render_markdown_now("![x](//cdn.example.org/a.gif) ![y](/static/agora.css)")
    assert "/media/remote/" in html and 'src="/static/agora.css"' in html
    # A src that claims a digest it does not have is not recorded.
    assert found_images(f'<img src="/media/remote/{"0" * 64}?u={url}">') == {}


async def test_a_remote_image_is_fetched_once_and_served_from_agoras_origin(
    client, course, remote, store
):
    base, hits = remote
    thread = await post_body(client, course, f"Here: ![cat]({base}/cat.png)")
    html = thread["posts"][0]["body_html"]
    assert base not in html.split("?u=")[0]  # the src is Agora's
    src = html.split('src="')[1].split('"')[0].replace("&amp;", "&")
    assert src.startswith("/media/remote/")
    assert hits == []  # nothing fetched at write time: lazily, on the first view

    for _ in range(2):
        response = await client.get(src)  # no session needed: it is a public image
        assert response.status_code == 200
        assert response.content == BODIES["/cat.png"][1]
        assert response.headers["content-type"] == "image/png"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert hits == ["/cat.png"]  # once; the second came from the store
    # The `u` parameter is ignored: it cannot point a known digest elsewhere.
    digest = src.split("/")[-1].split("?")[0]
    response = await client.get(f"/media/remote/{digest}", params={"u": f"{base}/page.png"})
    assert response.status_code == 200 and hits == ["/cat.png"]


async def test_the_proxy_fetches_only_urls_a_post_recorded(client, course, remote):
    base, hits = remote
    url = f"{base}/cat.png"
    digest = hashlib.sha256(url.encode()).hexdigest()
    response = await client.get(f"/media/remote/{digest}", params={"u": url})
    assert response.status_code == 404
    assert (await client.get("/media/remote/not-a-digest")).status_code == 404
    assert hits == []


async def test_what_is_not_a_png_jpeg_gif_or_webp_is_not_served_and_not_refetched_at_once(
    client, course, remote
):
    base, hits = remote
    thread = await post_body(
        client, course, f"![a]({base}/page.png) ![b]({base}/logo.svg) ![c]({base}/gone.png)"
    )
    html = thread["posts"][0]["body_html"].replace("&amp;", "&")
    sources = [part.split('"')[0] for part in html.split('src="')[1:]]
    assert len(sources) == 3
    for src in sources:
        response = await client.get(src)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert b"alert" not in response.content and b"svg" not in response.content
    for src in sources:  # a failure is remembered for a while: the host is not hammered
        assert (await client.get(src)).status_code == 404
    assert sorted(hits) == ["/gone.png", "/logo.svg", "/page.png"]


async def test_outside_dev_the_guard_refuses_a_loopback_image_host(
    database_url, server_urls, database, redis, store, remote, conn
):
    import httpx

    base, hits = remote
    course = await create_course(conn, settings_json={"forum": {"post_interval_seconds": 0}})
    app = create_app(
        make_settings(database_url, server_urls), database=database, redis=redis, store=store
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
    ) as client:
        thread = await post_body(client, course, f"![cat]({base}/cat.png)")
        src = thread["posts"][0]["body_html"].split('src="')[1].split('"')[0]
        response = await client.get(src.replace("&amp;", "&"))
    assert response.status_code == 404
    assert hits == []  # the guard refused before any connection
    failure = await conn.fetchval("SELECT failure FROM remote_images")
    assert "https" in failure or "address" in failure


async def test_a_previewed_remote_image_is_served_through_the_proxy_too(client, course, remote):
    base, hits = remote
    response = await client.post(
        "/ui/preview", data={"body": f"![cat]({base}/cat.png)"}, headers=course.alice.headers
    )
    assert response.status_code == 200
    src = response.text.split('src="')[1].split('"')[0].replace("&amp;", "&")
    assert (await client.get(src)).status_code == 200 and hits == ["/cat.png"]
