"""Text messages to citizens through a pluggable backend.

``settings.SMS_BACKEND`` names a class with ``send_messages(messages)``
(like Django's email backends); the default, ``ConsoleSMSBackend``, writes
each message to standard output. ``LocMemSMSBackend`` keeps them in
``surveys.sms.outbox`` for tests. A real gateway is a small subclass of
``BaseSMSBackend`` named in the environment.
"""

import re
import sys
import threading
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

outbox: list["SMSMessage"] = []

_PHONE_RE = re.compile(r"^(?:\+?84|0)(\d{9,10})$")


class SMSError(ValueError):
    pass


@dataclass(frozen=True)
class SMSMessage:
    to: str
    text: str


def phone_normalize(*, phone: str) -> str:
    """Return a Vietnamese phone number as +84…, or raise SMSError."""
    digits = re.sub(r"[\s.\-()]", "", phone or "")
    match = _PHONE_RE.match(digits)
    if not match:
        raise SMSError(_("Số điện thoại không hợp lệ: %(phone)s") % {"phone": phone})
    return f"+84{match.group(1)}"


class BaseSMSBackend:
    def send_messages(self, messages: list[SMSMessage]) -> int:
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """Write messages to standard output (development and demo)."""

    _lock = threading.Lock()

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send_messages(self, messages):
        with self._lock:
            for message in messages:
                self.stream.write(f"SMS to {message.to}:\n{message.text}\n{'-' * 40}\n")
            self.stream.flush()
        return len(messages)


class LocMemSMSBackend(BaseSMSBackend):
    """Keep messages in ``surveys.sms.outbox`` (tests)."""

    def send_messages(self, messages):
        outbox.extend(messages)
        return len(messages)


def sms_backend() -> BaseSMSBackend:
    """Return an instance of the configured backend."""
    return import_string(settings.SMS_BACKEND)()


def sms_send(*, to: str, text: str) -> int:
    """Send one text message to ``to`` (normalized first); return the number sent."""
    message = SMSMessage(to=phone_normalize(phone=to), text=text.strip())
    return sms_backend().send_messages([message])
