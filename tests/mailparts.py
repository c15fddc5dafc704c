"""Reading delivered mail in tests: the plain-text and HTML parts of a message from the SMTP
sink or a Maildir (any ``email.message.Message``)."""

from __future__ import annotations

from email.message import Message


def _part(message: Message, subtype: str) -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}" and not part.get_filename():
            raw = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            return raw.replace("\r\n", "\n")
    raise AssertionError(f"no text/{subtype} part in {message.get_content_type()}")


def text_of(message: Message) -> str:
    """The plain-text body."""
    return _part(message, "plain")


def html_of(message: Message) -> str:
    """The HTML body."""
    return _part(message, "html")
