"""The staff e-mail outbox: a real SNS subscription (protocol http) to an endpoint of the local server.

moto's SNS posts each notification that passes the subscription's filter policy to
`POST /_local/sns/<secret>` with SNS's HTTP/S JSON body (Type "Notification", Subject, Message,
Timestamp, ...; Content-Type text/plain). Real SNS first sends a SubscriptionConfirmation; moto
confirms on its own, but one is handled anyway (ConfirmSubscription with its token).
`GET /_local/outbox` lists `{channel, event, to, subject, message, at}`, newest last: these staff
e-mails (channel "staff-email", `to` empty: the topic's subscribers) merged with the customer e-mail
and SMS that moto's SES v2 and SNS accepted (channel "email" / "sms"; read from the moto child,
pitstop_local/sent_messages.py).

Anything on the machine (or a web page, through the browser) can post to a local port, and moto does
not sign its deliveries the way SNS does (its Signature is a fixed example), so the subscription's
endpoint carries a random per-run secret: a post to any other path never reaches the outbox.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from resolvers.events import TICKET_CREATED

log = logging.getLogger("pitstop_local.outbox")

SNS_PATH = "/_local/sns"
OUTBOX_PATH = "/_local/outbox"
FILTER_POLICY = {"event": [TICKET_CREATED]}
MAX_MESSAGES = 1000


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Outbox:
    def __init__(
        self,
        topic_arn: str,
        confirm: Callable[[str, str], None] | None = None,
        secret: str | None = None,
        customer_messages: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.topic_arn = topic_arn
        self.customer_messages = customer_messages
        self.confirm = confirm
        self.secret = secret or secrets.token_urlsafe(24)
        self._messages: deque[dict[str, Any]] = deque(maxlen=MAX_MESSAGES)
        self._lock = threading.Lock()

    def messages(self) -> list[dict[str, Any]]:
        """Staff e-mails and customer messages, newest last (`at` is fixed-width UTC: sorts as text)."""
        with self._lock:
            staff = list(self._messages)
        customer = self.customer_messages() if self.customer_messages is not None else []
        return sorted(staff + customer, key=lambda m: str(m.get("at") or ""))

    def add(self, subject: str | None, message: str, at: str | None = None, event: str | None = None) -> None:
        entry = {
            "channel": "staff-email",
            "event": event or "TICKET_CREATED",
            "to": [],
            "subject": subject,
            "message": message,
            "at": at or _now(),
        }
        with self._lock:
            self._messages.append(entry)

    def receive(self, body: dict[str, Any]) -> None:
        """Handle one SNS HTTP delivery."""
        if body.get("TopicArn") != self.topic_arn:
            raise ValueError("not our topic")
        kind = body.get("Type")
        if kind == "Notification":
            event = ((body.get("MessageAttributes") or {}).get("event") or {}).get("Value")
            self.add(body.get("Subject"), str(body.get("Message", "")), body.get("Timestamp"), event)
        elif kind == "SubscriptionConfirmation" and self.confirm is not None:
            token = str(body.get("Token", ""))
            threading.Thread(target=self.confirm, args=(self.topic_arn, token), daemon=True).start()

    def endpoint(self, base_url: str) -> str:
        """The URL to subscribe: SNS_PATH plus the secret."""
        return f"{base_url}{SNS_PATH}/{self.secret}"

    def routes(self) -> list[Route]:
        async def sns(request: Request) -> Response:
            if not hmac.compare_digest(request.path_params["secret"].encode(), self.secret.encode()):
                log.warning("outbox: refused a delivery without the subscription's secret")
                return JSONResponse({"message": "Forbidden."}, status_code=403)
            try:
                body = json.loads(await request.body())
                if not isinstance(body, dict):
                    raise ValueError("not an object")
                self.receive(body)
            except ValueError as exc:
                log.warning("outbox: refused an SNS delivery: %s", exc)
                return JSONResponse({"message": "Bad SNS message."}, status_code=400)
            return Response(status_code=200)

        async def outbox(_: Request) -> Response:
            return JSONResponse(await run_in_threadpool(self.messages))

        return [
            Route(SNS_PATH + "/{secret}", sns, methods=["POST"]),
            Route(OUTBOX_PATH, outbox, methods=["GET"]),
        ]


def moto_sent(moto_url: str) -> Callable[[], list[dict[str, Any]]]:
    """Reads the customer messages the moto child recorded (a loopback GET without an Origin)."""
    import urllib.request

    from .sent_messages import PATH

    def read() -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{moto_url}{PATH}", timeout=5) as response:  # noqa: S310 - loopback
            return list(json.loads(response.read()))

    return read


def subscribe(sns: Any, topic_arn: str, endpoint: str) -> str:
    """Subscribe the local endpoint to the topic with the staff e-mail's filter policy."""
    return sns.subscribe(
        TopicArn=topic_arn,
        Protocol="http",
        Endpoint=endpoint,
        Attributes={"FilterPolicy": json.dumps(FILTER_POLICY)},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]


def subscribed_endpoint(sns: Any, topic_arn: str) -> str:
    """The endpoint (secret included) of the topic's http subscription: to subscribe it again."""
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    return next(str(s["Endpoint"]) for s in subscriptions if s["Protocol"] == "http")
