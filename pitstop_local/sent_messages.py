"""Inside the moto child: what moto's SES v2 and SNS SMS accepted, with the event that caused each.

moto keeps sent e-mail (its SES backend's `sent_messages`: source, destinations, subject, one body)
and SMS (`sms_messages`: number, text) but neither the time nor the tags/attributes the publisher
set, and its SES v2 keeps the HTML part when both are sent. So the child wraps the two calls (after
moto accepted them, i.e. no rejected e-mail is listed) and records the outbox's fields; the parent
reads them at `GET /_local/sent` (the child refuses it to any request carrying an Origin: only the
stack process itself reads it).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

PATH = "/_local/sent"
MAX_MESSAGES = 1000
_lock = threading.Lock()
_sent: deque[dict[str, Any]] = deque(maxlen=MAX_MESSAGES)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _record(entry: dict[str, Any]) -> None:
    with _lock:
        _sent.append({**entry, "at": _now()})


def snapshot() -> bytes:
    with _lock:
        return json.dumps(list(_sent)).encode()


def install() -> None:
    """Wrap moto's SES v2 SendEmail (the response handler: it sees the request's tags and text part)
    and SNS publish to a phone number (the backend: it sees the message attributes)."""
    from moto.sesv2.responses import SESV2Response
    from moto.sns.models import SNSBackend

    send_email = SESV2Response.send_email

    def recording_send_email(self: Any) -> str:
        result = send_email(self)  # raises when moto rejects it: nothing recorded
        params = json.loads(self.body)
        simple = (params.get("Content") or {}).get("Simple") or {}
        body = simple.get("Body") or {}
        tags = {t.get("Name"): t.get("Value") for t in params.get("EmailTags") or []}
        _record(
            {
                "channel": "email",
                "event": tags.get("event"),
                "to": list((params.get("Destination") or {}).get("ToAddresses") or []),
                "subject": (simple.get("Subject") or {}).get("Data"),
                "message": (body.get("Text") or body.get("Html") or {}).get("Data", ""),
            }
        )
        return result

    publish = SNSBackend.publish

    def recording_publish(self: Any, message: str, *args: Any, **kwargs: Any) -> str:
        result = publish(self, message, *args, **kwargs)
        phone = kwargs.get("phone_number")
        if phone:
            attributes = kwargs.get("message_attributes") or {}
            event = (attributes.get("event") or {}).get("Value")
            _record({"channel": "sms", "event": event, "to": [phone], "subject": None, "message": message})
        return result

    SESV2Response.send_email = recording_send_email  # type: ignore[method-assign]
    SNSBackend.publish = recording_publish  # type: ignore[method-assign]
