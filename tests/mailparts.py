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


class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts, parsed
    with the modern policy (headers decoded): ``with SmtpSink() as sink: ... sink.to(addr)``."""

    def __init__(self):
        self.messages: list[tuple[tuple[str, ...], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes
        from email.policy import default

        self.messages.append((tuple(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=default)))
        return "250 OK"

    def to(self, addr: str) -> list[Message]:
        return [m for rcpts, m in self.messages if addr in rcpts]

    def __enter__(self) -> SmtpSink:
        import socket

        from aiosmtpd.controller import Controller

        from ordertrack.services import notifications

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=port)
        self._controller.start()
        self.config = notifications.SmtpConfig(host="127.0.0.1", port=port)
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
