"""agora.media: types from content, safe names, signed links, and images without the metadata a
camera wrote (an anonymous post's photo must not carry its place, device or owner)."""

from __future__ import annotations

import struct
import zlib

from agora import media
from tests.files import png


def exif(orientation: int, extra: bytes) -> bytes:
    """An APP1 EXIF segment: Orientation, an Artist string and an opaque GPS-like blob."""
    entries = [(0x0112, 3, 1, struct.pack("<HH", orientation, 0))]
    artist = b"Alice Martin\x00"
    offset = 8 + 2 + 12 * 2 + 4
    entries.append((0x013B, 2, len(artist), struct.pack("<I", offset)))
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHI", tag, kind, count) + value for tag, kind, count, value in entries
    )
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + artist + extra
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg(*segments: bytes) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x12\x34\x56" + b"\xff\xd9"
    return b"\xff\xd8" + app0 + b"".join(segments) + scan


def test_a_jpeg_loses_its_exif_and_comments_but_keeps_its_orientation_and_pixels():
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>Alice Martin</x:xmpmeta>"
    comment = b"\xff\xfe" + struct.pack(">H", 2 + 19) + b"shot by Alice Martin"[:19]
    photo = jpeg(
        exif(6, b"GPS 48.8566N 2.3522E"),
        b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp,
        comment,
    )
    assert media.detect_type(photo) == "image/jpeg"
    clean = media.strip_metadata(photo, "image/jpeg")
    assert b"Alice" not in clean and b"GPS" not in clean and b"xmpmeta" not in clean
    assert clean.startswith(b"\xff\xd8\xff\xe0") and clean.endswith(b"\x12\x34\x56\xff\xd9")
    app1 = clean[clean.index(b"\xff\xe1") + 4 :]
    assert media._jpeg_orientation(app1) == 6  # a portrait photo stays upright
    assert media.detect_type(clean) == "image/jpeg"


def test_a_png_loses_its_text_and_exif_chunks_and_stays_valid():
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    image = png()
    tagged = image[:-12] + chunk(b"tEXt", b"Author\x00Alice Martin") + image[-12:]
    tagged = tagged[:33] + chunk(b"eXIf", b"II*\x00GPS") + tagged[33:]
    clean = media.strip_metadata(tagged, "image/png")
    assert clean == image


def test_a_webp_loses_exif_and_xmp_chunks_and_their_flags():
    def chunk(kind: bytes, data: bytes) -> bytes:
        return kind + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")

    vp8x = chunk(b"VP8X", bytes([0x0C, 0, 0, 0]) + b"\x00" * 6)
    body = vp8x + chunk(b"VP8 ", b"\x00" * 10) + chunk(b"EXIF", b"Alice Martin GPS")
    body += chunk(b"XMP ", b"<x:xmpmeta>Alice</x:xmpmeta>")
    webp = b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body
    clean = media.strip_metadata(webp, "image/webp")
    assert b"Alice" not in clean and b"EXIF" not in clean
    assert struct.unpack("<I", clean[4:8])[0] == len(clean) - 8
    assert clean[20] & 0x0C == 0  # the VP8X flags no longer promise EXIF or XMP


def test_what_does_not_parse_is_kept_as_it_is():
    broken = b"\xff\xd8\xff\xe1\x00"
    assert media.strip_metadata(broken, "image/jpeg") == broken
    assert media.strip_metadata(b"%PDF-1.4 /Author (x)", "application/pdf").startswith(b"%PDF")


def test_file_names_lose_paths_and_control_characters():
    assert media.safe_filename("C:\\Users\\alice\\notes.pdf") == "notes.pdf"
    assert media.safe_filename('../../etc/pass"wd\r\n') == "pass_wd_"
    assert media.safe_filename("") == "file"
    assert len(media.safe_filename("a" * 500 + ".pdf")) == media.MAX_FILENAME
    disposition = media.content_disposition("attachment", "résumé.pdf")
    assert disposition == (
        "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    )
