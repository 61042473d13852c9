"""POST/GET /graphql, AppSync-style (https://github.com/graphql/graphql-over-http/issues/81)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from graphql import OperationType
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .auth import AuthError
from .context import RequestContext, lambda_headers, source_ips
from .engine import Engine, OperationError
from .errors import request_error
from .sigv4 import SignedRequest
from .validation import DocumentError


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        body,
        status_code=status,
        headers={"x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
        media_type="application/json;charset=UTF-8",
    )


def unauthorized(message: str) -> Response:
    return _json(
        request_error(message, "UnauthorizedException"),
        status=401,
        headers={"x-amzn-ErrorType": "UnauthorizedException"},
    )


def malformed(message: str) -> Response:
    return _json(request_error(message, "MalformedHttpRequestException"), status=400)


def too_large(limit: int) -> Response:
    # AWS documents neither a maximum request size for AppSync's GraphQL endpoint nor the answer to
    # one (https://docs.aws.amazon.com/general/latest/gr/appsync.html lists no such quota). UNCONFIRMED:
    # 413 with AppSync's request-error shape and its error type for a request it cannot take.
    return _json(
        request_error(f"Request body exceeds {limit} bytes.", "MalformedHttpRequestException"), status=413
    )


async def _body(request: Request, limit: int | None) -> bytes | None:
    """The request body, or None once it exceeds `limit` (never more than `limit` bytes are kept)."""
    if limit is None:
        return await request.body()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _params(request: Request, body: bytes) -> tuple[Any, Any, Any] | None:
    """(query, variables, operationName), or None when the request cannot be parsed."""
    if request.method == "GET":
        query = request.query_params.get("query")
        raw_variables = request.query_params.get("variables")
        try:
            variables = json.loads(raw_variables) if raw_variables else None
        except (ValueError, RecursionError):  # json.loads recurses on deep nesting
            return None
        return query, variables, request.query_params.get("operationName")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    return payload.get("query"), payload.get("variables"), payload.get("operationName")


async def graphql_http(request: Request) -> Response:
    engine: Engine = request.app.state.engine
    limit = engine.settings.max_request_body_bytes
    body = await _body(request, limit)
    if body is None:
        assert limit is not None
        return too_large(limit)
    headers = {k.lower(): v for k, v in request.headers.items()}
    client_ip = request.client.host if request.client else None
    ips = source_ips(headers.get("x-forwarded-for"), client_ip)
    signed = SignedRequest(request.method, request.url.path, request.url.query, headers, body)
    try:
        auth = await engine.authenticator.authenticate(signed, ips)
    except AuthError as exc:
        return unauthorized(exc.message)
    if request.method == "POST" and not body.strip():
        return malformed("Request body is empty.")
    params = _params(request, body)
    if params is None:
        return malformed("Unable to parse GraphQL query.")
    query, variables, operation_name = params
    try:
        op = await engine.prepare(query, variables, operation_name)
    except DocumentError as exc:
        return malformed(str(exc))
    except OperationError as exc:
        return _json({"data": None, "errors": exc.errors})
    ctx = RequestContext(
        auth=auth,
        headers=lambda_headers(headers),
        variables=op.variables,
        domain_name=engine.settings.domain_name,
    )
    try:
        response = _json(await engine.execute(op, ctx))
    except OperationError as exc:
        response = _json({"data": None, "errors": exc.errors})
    hook = engine.settings.after_mutation
    if hook is not None and op.operation.operation == OperationType.MUTATION:
        response.background = BackgroundTask(hook)  # runs after the response is sent
    return response
