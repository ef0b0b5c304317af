"""agora.mail: the SMTP URL setting and signed link tokens (a forged or damaged one is refused)."""

from __future__ import annotations

import pytest

from agora import mail
from agora.settings import SettingsError, load_settings


def test_smtp_urls():
    plain = mail.SmtpServer.from_url("smtp://mailer.internal")
    assert (plain.host, plain.port, plain.use_tls, plain.username) == (
        "mailer.internal", 25, False, None,
    )  # fmt: skip
    tls = mail.SmtpServer.from_url("smtps://agora%40uni:p%3Ass@smtp.uni.edu")
    assert (tls.port, tls.use_tls, tls.username, tls.password) == (465, True, "agora@uni", "p:ss")
    for bad in ("http://x", "smtp://", "smtp://h:99999"):
        with pytest.raises(mail.SmtpUrlError):
            mail.SmtpServer.from_url(bad)


def test_smtp_url_setting_is_checked_at_start():
    assert load_settings(environ={"AGORA_SMTP_URL": "smtp://127.0.0.1:2525"}).smtp_url
    with pytest.raises(SettingsError):
        load_settings(environ={"AGORA_SMTP_URL": "mailer:25"})


def test_signed_tokens_verify_only_unaltered_for_their_purpose():
    key = b"k" * 32
    token = mail.sign(key, "unsubscribe", "12:34")
    assert mail.verify(key, "unsubscribe", token) == "12:34"
    assert mail.verify(key, "other-purpose", token) is None
    assert mail.verify(b"x" * 32, "unsubscribe", token) is None
    forged = mail.sign(key, "unsubscribe", "12:35").split(".")[0] + "." + token.split(".")[1]
    assert mail.verify(key, "unsubscribe", forged) is None
    for junk in ("", ".", "!!!.???", token + "x"):
        assert mail.verify(key, "unsubscribe", junk) is None


async def test_signing_key_is_made_once(conn):
    first = await mail.signing_key(conn)
    assert len(first) == 32 and await mail.signing_key(conn) == first
