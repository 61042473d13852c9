"""AppSync's real-time WebSocket protocol at /graphql/realtime, subprotocol graphql-ws
(https://docs.aws.amazon.com/appsync/latest/devguide/real-time-websocket-client.html)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .auth import AuthContext, AuthError
from .context import RequestContext, lambda_headers, source_ips
from .engine import Engine, OperationError
from .errors import AppSyncError
from .fanout import Subscriber
from .sigv4 import SignedRequest
from .validation import DocumentError

log = logging.getLogger("appsync_local.engine.realtime")

SUBPROTOCOL = "graphql-ws"
REFUSAL_WAIT_SECONDS = 1.0
# A refused credential on connect, as AppSync answers it since 2023 (the 2021 form was
# "com.amazonaws.deepdish.graphql.auth#UnauthorizedException" with code 400):
# https://github.com/aws-amplify/amplify-flutter/issues/2763
CONNECT_ERROR_TYPE = "UnauthorizedException"
CONNECT_ERROR_CODE = 401
# A `start` whose payload has no readable `data` (Apollo's `{query, variables}` style): AppSync cannot
# tell the operation and answers without an `id` (https://github.com/apollographql/apollo-kotlin/issues/2808).
UNREADABLE_START = {
    "errorType": "UnsupportedOperation",
    "message": "unknown not supported through the realtime channel",
}


def _b64_json(text: str) -> dict[str, Any] | None:
    """A base64 / base64url JSON object (padding optional), or None."""
    padded = text + "=" * (-len(text) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            value = json.loads(decode(padded.encode()))
        except (binascii.Error, ValueError):
            continue
        if isinstance(value, dict):
            return value
    return None


def handshake_headers(websocket: WebSocket, offered: list[str]) -> dict[str, str]:
    """The connection's auth headers: plain headers, then `?header=` and Amplify v6's `header-…` protocol."""
    headers = {
        k.lower(): v for k, v in websocket.headers.items() if not k.lower().startswith("sec-websocket")
    }
    encoded = [websocket.query_params.get("header") or ""]
    encoded += [p[len("header-") :] for p in offered if p.startswith("header-")]
    for text in encoded:
        decoded = _b64_json(text) if text else None
        if decoded:
            headers.update({str(k).lower(): str(v) for k, v in decoded.items()})
    return headers


async def _refuse(websocket: WebSocket, payload: dict[str, Any], subprotocol: str | None = None) -> None:
    await websocket.accept(subprotocol=subprotocol)
    await websocket.send_text(json.dumps({"type": "connection_error", "payload": payload}))
    await websocket.close(code=1000)


async def graphql_realtime(websocket: WebSocket) -> None:
    engine: Engine = websocket.app.state.engine
    offered = [p.strip() for p in websocket.scope.get("subprotocols") or [] if p.strip()]
    if not offered:
        await _refuse(websocket, {"errors": [{"message": "NoProtocolError", "errorCode": 400}]})
        return
    if SUBPROTOCOL not in offered:
        await _refuse(websocket, {"errors": [{"message": "SubProtocolNotSupportedError", "errorCode": 400}]})
        return
    headers = handshake_headers(websocket, offered)
    client_ip = websocket.client.host if websocket.client else None
    ips = source_ips(headers.get("x-forwarded-for"), client_ip)
    try:
        auth = await engine.authenticator.authenticate(
            SignedRequest("POST", "/graphql/connect", "", headers, b"{}"), ips
        )
    except AuthError as exc:
        # Answered to the client's first message (connection_init, as gql and Amplify expect), or after
        # a short wait when it sends none; then the socket is closed.
        await websocket.accept(subprotocol=SUBPROTOCOL)
        with contextlib.suppress(TimeoutError, WebSocketDisconnect):
            await asyncio.wait_for(websocket.receive(), REFUSAL_WAIT_SECONDS)
        error = {"errorType": CONNECT_ERROR_TYPE, "message": exc.message, "errorCode": CONNECT_ERROR_CODE}
        with contextlib.suppress(Exception):
            message = {"type": "connection_error", "payload": {"errors": [error]}}
            await websocket.send_text(json.dumps(message))
            await websocket.close(code=1000)
        return
    await websocket.accept(subprotocol=SUBPROTOCOL)
    await Connection(websocket, engine, auth, headers, ips).serve()


class Connection:
    """One real-time connection: a reader loop, a writer task fed by a queue, keep-alives."""

    def __init__(
        self, websocket: WebSocket, engine: Engine, auth: AuthContext, headers: dict[str, str], ips: list[str]
    ) -> None:
        self.websocket = websocket
        self.engine = engine
        self.settings = engine.settings
        self.auth = auth
        self.headers = headers
        self.ips = ips
        self.id = uuid.uuid4().hex
        self.subscriptions: set[str] = set()
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        self.keepalive: asyncio.Task[None] | None = None

    # -- output -------------------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """Queue a message (safe from any thread or loop)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.queue.put_nowait(message)
        else:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, message)

    def error(self, subscription_id: str | None, errors: Any) -> None:
        message: dict[str, Any] = {"type": "error"}
        if subscription_id is not None:
            message["id"] = subscription_id
        message["payload"] = {"errors": errors}
        self.send(message)

    async def _writer(self) -> None:
        while True:
            message = await self.queue.get()
            if message is None:
                return
            text = json.dumps(message, separators=(",", ":"))
            if len(text.encode()) > self.settings.max_message_bytes:
                log.warning("dropped an outgoing %s message over the size limit", message.get("type"))
                continue
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                return

    async def _keepalive(self) -> None:
        while True:
            self.send({"type": "ka"})
            await asyncio.sleep(self.settings.keep_alive_seconds)

    def _start_keepalive(self) -> None:
        if self.keepalive is None:
            self.keepalive = asyncio.create_task(self._keepalive())

    # -- input --------------------------------------------------------------------------------------
    async def serve(self) -> None:
        writer = asyncio.create_task(self._writer())
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", errors="replace")
                try:
                    await self.handle(text or "")
                except Exception:  # a bug must not take the connection down
                    log.exception("failed to handle a real-time message")
                    failure = {"errorType": "InternalFailure", "message": "An internal failure occurred."}
                    self.error(None, [failure])
        except WebSocketDisconnect:
            pass
        finally:
            self.engine.hub.drop_connection(self.id)
            if self.keepalive is not None:
                self.keepalive.cancel()
            self.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 2)
            if self.websocket.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await self.websocket.close()

    async def handle(self, text: str) -> None:
        if len(text.encode()) > self.settings.max_message_bytes:
            log.warning("ignored an incoming message over the size limit")
            return
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):  # json.loads recurses on deep nesting
            message = None
        if not isinstance(message, dict):
            self.error(
                None, [{"errorType": "UnsupportedOperation", "message": "Unable to parse the message."}]
            )
            return
        kind = message.get("type")
        if kind == "connection_init":
            self.send(
                {
                    "type": "connection_ack",
                    "payload": {"connectionTimeoutMs": self.settings.connection_timeout_ms},
                }
            )
            self._start_keepalive()
        elif kind == "start":
            await self.start(message)
        elif kind == "stop":
            self.stop(message)
        else:
            sid = message.get("id") if isinstance(message.get("id"), str) else None
            self.error(
                sid,
                [
                    {
                        "errorType": "UnsupportedOperation",
                        "message": f"{kind} not supported through the realtime channel",
                    }
                ],
            )

    def stop(self, message: dict[str, Any]) -> None:
        sid = message.get("id")
        if not isinstance(sid, str):
            self.error(
                None, [{"errorType": "UnsupportedOperation", "message": "stop not supported without an id"}]
            )
            return
        self.engine.hub.remove(self.id, sid)
        self.subscriptions.discard(sid)
        self.send({"type": "complete", "id": sid})

    async def _start_auth(self, payload: dict[str, Any], data: str) -> AuthContext:
        extensions = payload.get("extensions")
        authorization = extensions.get("authorization") if isinstance(extensions, dict) else None
        if not isinstance(authorization, dict):
            return self.auth
        headers = {str(k).lower(): str(v) for k, v in authorization.items()}
        return await self.engine.authenticator.authenticate(
            SignedRequest("POST", "/graphql", "", headers, data.encode()), self.ips
        )

    async def start(self, message: dict[str, Any]) -> None:
        sid = message.get("id")
        if not isinstance(sid, str) or not sid:
            self.error(
                None, [{"errorType": "UnsupportedOperation", "message": "start not supported without an id"}]
            )
            return
        if sid in self.subscriptions:
            self.error(
                sid,
                [{"errorType": "DuplicatedOperationError", "message": f"Duplicated operation with id {sid}"}],
            )
            return
        limit = self.settings.max_subscriptions_per_connection
        if len(self.subscriptions) >= limit:
            error = {
                "errorType": "MaxSubscriptionsReachedError",
                "message": f"Max number of {limit} subscriptions reached",
            }
            self.error(sid, error)
            return
        payload = message.get("payload")
        data = payload.get("data") if isinstance(payload, dict) else None
        try:
            request = json.loads(data) if isinstance(data, str) else None
        except (ValueError, RecursionError):
            request = None
        # (a request implies a payload object with its data string; the checks say so to the type checker)
        if not isinstance(request, dict) or not isinstance(payload, dict) or not isinstance(data, str):
            self.error(None, [UNREADABLE_START])
            return
        try:
            auth = await self._start_auth(payload, data)
        except AuthError as exc:
            self.error(sid, [{"errorType": "UnauthorizedException", "message": exc.message}])
            return
        try:
            op = await self.engine.prepare(
                request.get("query"), request.get("variables"), request.get("operationName")
            )
        except DocumentError as exc:
            self.error(sid, [{"errorType": "MalformedHttpRequestException", "message": str(exc)}])
            return
        except OperationError as exc:
            self.error(sid, exc.errors)
            return
        await self._subscribe(sid, op, auth, payload)

    async def _subscribe(self, sid: str, op: Any, auth: AuthContext, payload: dict[str, Any]) -> None:
        extensions = payload.get("extensions")
        authorization = extensions.get("authorization") if isinstance(extensions, dict) else None
        headers = dict(self.headers)
        if isinstance(authorization, dict):
            headers.update({str(k).lower(): str(v) for k, v in authorization.items()})
        ctx = RequestContext(
            auth=auth,
            headers=lambda_headers(headers),
            variables=op.variables,
            domain_name=self.settings.domain_name,
        )
        try:
            started = await self.engine.start_subscription(op, ctx)
        except AppSyncError as exc:
            self.error(sid, [{"errorType": exc.error_type, "message": exc.message}])
            return
        except OperationError as exc:
            self.error(sid, exc.errors)
            return
        if sid in self.subscriptions:  # a duplicate started while the resolver ran
            self.error(
                sid,
                [{"errorType": "DuplicatedOperationError", "message": f"Duplicated operation with id {sid}"}],
            )
            return
        subscriber = Subscriber(
            connection_id=self.id,
            subscription_id=sid,
            field_name=started.field_name,
            response_key=started.response_key,
            arguments=started.arguments,
            auth=auth,
            executor=started.executor,
            selection=started.selection,
            fragments={f.name.value: f for f in op.document.definitions if f.kind == "fragment_definition"},
            send=self.send,
            enhanced_filter=self.engine.subscription_filter(started.field_name, started.arguments),
            max_message_bytes=self.settings.max_message_bytes,
        )
        self.engine.hub.add(subscriber)
        self.subscriptions.add(sid)
        self.send({"type": "start_ack", "id": sid})
        if self.keepalive is None:
            self._start_keepalive()
