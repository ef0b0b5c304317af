"""Outgoing email: an async SMTP client (aiosmtplib) configured by one URL, and the signed
tokens of one-click unsubscribe links (RFC 8058), which need no login.

AGORA_SMTP_URL: smtp://[user:password@]host[:port] (STARTTLS when the server offers it),
smtps://… (TLS from the start, port 465 by default); empty turns email off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib
import asyncpg

SMTP_TIMEOUT = 30  # seconds for the whole conversation with the server


class SmtpUrlError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise SmtpUrlError("AGORA_SMTP_URL must look like smtp://host:port or smtps://host")
        tls = parts.scheme == "smtps"
        try:
            port = parts.port or (465 if tls else 25)
        except ValueError:
            raise SmtpUrlError("AGORA_SMTP_URL has a bad port") from None
        return cls(
            host=parts.hostname,
            port=port,
            use_tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


async def send(server: SmtpServer, message: EmailMessage) -> None:
    """Send one message; aiosmtplib's errors (refused, unreachable, timeout) propagate."""
    await aiosmtplib.send(
        message,
        hostname=server.host,
        port=server.port,
        use_tls=server.use_tls,
        start_tls=None if not server.use_tls else False,  # None: STARTTLS if offered
        username=server.username,
        password=server.password,
        timeout=SMTP_TIMEOUT,
    )


# ---- signed tokens (unsubscribe links) -------------------------------------------------------


async def signing_key(conn: asyncpg.Connection) -> bytes:
    """The installation's random key for signed links: made once, shared by every process
    through the database (no setting to forget; rotating it voids the links already sent)."""
    await conn.execute(
        """INSERT INTO app_secrets (name, value) VALUES ('link_signing', $1)
           ON CONFLICT (name) DO NOTHING""",
        secrets.token_bytes(32),
    )
    key: bytes = await conn.fetchval("SELECT value FROM app_secrets WHERE name = 'link_signing'")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key: bytes, purpose: str, payload: str) -> str:
    """`payload` (no '.') and an HMAC-SHA256 over purpose and payload, URL-safe."""
    mac = hmac.new(key, f"{purpose}\n{payload}".encode(), hashlib.sha256).digest()
    return f"{_b64(payload.encode())}.{_b64(mac[:20])}"


def verify(key: bytes, purpose: str, token: str) -> str | None:
    """The payload of a token `sign` made for `purpose`, or None if forged or damaged."""
    encoded, _, _mac = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if hmac.compare_digest(sign(key, purpose, payload), token) else None
