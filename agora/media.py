"""Files served to browsers: their type from their content, safe names and headers, signed links.

Forum (and peer-review) attachments are shown in pages whose requests carry the session in an
`Authorization` header that an <img> or a download link cannot send (and third-party cookies
may be blocked inside the LMS iframe). So a page gives each viewer a signed link per file: it
names the course, the file and the viewer, expires within hours, and the download handler
checks the viewer may still see the file (a post hidden since is refused), like an S3
pre-signed URL with the access check kept. The signing key is the installation's
(agora.mail.signing_key).

Every file is served with the type detected from its bytes (never the uploader's word),
`nosniff` and a CSP that loads nothing (agora.headers); only images are shown inline, anything
else is a download (`Content-Disposition: attachment`).
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any
from urllib.parse import quote

import filetype  # type: ignore[import-untyped]
import msgspec
from litestar import Request, Response
from litestar.datastructures import UploadFile

from agora import mail
from agora.errors import BadRequest, TooLarge, Unprocessable

LINK_HOURS = 12  # a page's links stay valid this long (stable for an hour: browsers cache)
# The largest request body an upload route takes (Litestar refuses more with 413 before any
# parsing): one form's files together; AGORA_ATTACHMENT_MAX_BYTES bounds each file below it.
UPLOAD_BODY_BYTES = 64 * 1024 * 1024
MAX_FILES_PER_REQUEST = 20
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_FILENAME = 200
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


class MediaLink(msgspec.Struct, array_like=True, frozen=True):
    """What a signed link names: the area ("forum", "review"), course, item and viewer."""

    area: str
    course_id: int
    item_id: int
    user_id: int
    expires: int


class Upload(msgspec.Struct, frozen=True):
    """A file as received: the name the uploader gave and its bytes (size-bounded)."""

    filename: str
    data: bytes


async def read_uploads(
    request: Request[Any, Any, Any], field: str, *, max_bytes: int
) -> list[Upload]:
    """The files posted in a multipart form's `field` (none: an empty list), each read up to
    one byte past `max_bytes` so a larger one is refused (413) without reading it all."""
    form = await request.form()
    values = form.getall(field) if field in form else []
    files = [f for f in values if isinstance(f, UploadFile)]
    if any(not isinstance(v, UploadFile) and v != "" for v in values):
        raise BadRequest(f"{field} must be a file (multipart/form-data)")
    if len(files) > MAX_FILES_PER_REQUEST:
        raise Unprocessable(f"at most {MAX_FILES_PER_REQUEST} files at once")
    uploads = []
    for file in files:
        if not file.filename:
            continue  # a file input left empty (browsers send a part without a name)
        data = await file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise TooLarge(f"{safe_filename(file.filename)} is larger than {max_bytes:,} bytes")
        uploads.append(Upload(safe_filename(file.filename), data))
    return uploads


def detect_type(data: bytes) -> str | None:
    """The MIME type the bytes are, by their signature (None when unknown: text, SVG, HTML)."""
    kind = filetype.guess(data[:8192])
    return None if kind is None else str(kind.mime)


def allowed_types(setting: str) -> frozenset[str]:
    return frozenset(setting.split())


def safe_filename(name: str | None, fallback: str = "file") -> str:
    """The last path part of an uploaded file's name, without control or path characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE_NAME.sub("_", name).strip(" .")[:MAX_FILENAME].strip()
    return name or fallback


def link_expiry(now: float | None = None) -> int:
    """LINK_HOURS to LINK_HOURS+1 hours from now, the same value all hour long."""
    hour = int((time.time() if now is None else now) // 3600)
    return (hour + LINK_HOURS + 1) * 3600


def sign_link(key: bytes, link: MediaLink) -> str:
    return mail.sign(key, "media", msgspec.json.encode(link).decode())


def verify_link(key: bytes, token: str, *, now: float | None = None) -> MediaLink | None:
    """The link a token names, if it is genuine and not expired."""
    payload = mail.verify(key, "media", token)
    if payload is None:
        return None
    try:
        link = msgspec.json.decode(payload, type=MediaLink)
    except msgspec.ValidationError:
        return None
    return link if link.expires > (time.time() if now is None else now) else None


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback and the UTF-8 name."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(
    data: bytes, *, content_type: str, filename: str, cache: str = "private, max-age=3600"
) -> Response[bytes]:
    """The file with safe headers: inline only for images, a download otherwise."""
    inline = content_type in INLINE_TYPES
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition(
                "inline" if inline else "attachment", filename
            ),
            "X-Content-Type-Options": "nosniff",  # agora.headers adds CSP default-src 'none'
            "Cache-Control": cache,
        },
    )
