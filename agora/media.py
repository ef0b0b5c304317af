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
import struct
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


# ---- embedded metadata: what a camera or an editor wrote into an image ------------------------
# A phone photo carries the place it was taken (GPS), the device and often the owner's name; an
# anonymous post's image must not. Images keep their pixels, colour profile and orientation and
# lose the rest: JPEG APP1 (EXIF, XMP), APP13 (IPTC) and comments (the EXIF orientation is
# written back alone); PNG text, time and EXIF chunks; WebP EXIF and XMP chunks. PDFs are stored
# as uploaded (their document properties may name an author: the page says so).

_JPEG_DROP = {0xE1, 0xED, 0xFE}  # APP1 (EXIF/XMP), APP13 (IPTC), COM
_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The image without its embedded metadata (anything else unchanged); a file that does not
    parse as its type is returned as it is (it is served as a download or an inert image)."""
    try:
        if content_type == "image/jpeg":
            return _strip_jpeg(data)
        if content_type == "image/png":
            return _strip_png(data)
        if content_type == "image/webp":
            return _strip_webp(data)
    except (IndexError, ValueError, struct.error):
        return data
    return data


def _jpeg_orientation(exif: bytes) -> int | None:
    """The Orientation (tag 0x0112) of an APP1 EXIF payload ("Exif\\0\\0" + TIFF), if any."""
    if not exif.startswith(b"Exif\x00\x00"):
        return None
    tiff = exif[6:]
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for i in range(count):
        entry = tiff[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        tag, _, _, value = struct.unpack(order + "HHIH", entry[:10])
        if tag == 0x0112 and 1 <= value <= 8:
            return int(value)
    return None


def _orientation_app1(orientation: int) -> bytes:
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _strip_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        return data
    out = bytearray(b"\xff\xd8")
    orientation = None
    i = 2
    while i < len(data):
        if data[i] != 0xFF:
            raise ValueError("not a marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the image data, kept as it is
            if orientation:
                out += _orientation_app1(orientation)
            out += data[i:]
            return bytes(out)
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:
            out += data[i : i + 2]
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        segment = data[i : i + 2 + length]
        if marker == 0xE1 and orientation is None:
            orientation = _jpeg_orientation(segment[4:])
        if marker not in _JPEG_DROP:
            out += segment
        i += 2 + length
    return bytes(out)


def _strip_png(data: bytes) -> bytes:
    out = bytearray(data[:8])
    i = 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        if kind not in _PNG_DROP:
            out += data[i : i + 12 + length]
        i += 12 + length
        if kind == b"IEND":
            break
    return bytes(out)


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return data
    chunks = bytearray()
    i = 12
    while i + 8 <= len(data):
        kind = data[i : i + 4]
        (size,) = struct.unpack("<I", data[i + 4 : i + 8])
        chunk = bytearray(data[i : i + 8 + size + (size & 1)])
        if kind == b"VP8X":
            chunk[8] &= ~0x0C & 0xFF  # no EXIF, no XMP
        if kind not in (b"EXIF", b"XMP "):
            chunks += chunk
        i += 8 + size + (size & 1)
    return b"RIFF" + struct.pack("<I", len(chunks) + 4) + b"WEBP" + bytes(chunks)
