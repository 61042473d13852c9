"""Who may talk to the local server: loopback host names only, and other origins only on /graphql.

A page on any web site can make the browser send requests to 127.0.0.1; two things stop it here:

- DNS rebinding: a name the attacker controls resolves to 127.0.0.1, so the page becomes
  "same-origin" with this server. Its requests then carry the attacker's name in `Host`, so every
  request (HTTP and the WebSocket upgrade) whose Host is not a loopback name at our port is refused
  with 421 Misdirected Request (RFC 9110 §15.5.20: this server is not authoritative for that name).
- Cross-origin requests: only the GraphQL endpoint answers CORS, as AppSync does (`*`: the API key or
  the JWT is the access control there). Every other route is same-origin only: no CORS headers, so
  other origins cannot read it, and a state-changing request another site's page sends (a "simple"
  form POST needs no preflight) is refused with 403.

Starlette's TrustedHostMiddleware ignores the port and answers 400; this checks host and port and
answers 421, and adds the cross-site check, so it is written out here.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values a browser sends for a request that our own pages (or the user) started
OWN_FETCH_SITES = frozenset({"same-origin", "none"})


def allowed_hosts(names: Collection[str], port: int | None) -> frozenset[str] | None:
    """The Host header values accepted; None: any port of these names (port not known up front)."""
    if port is None:
        return None
    values = {f"{name}:{port}" for name in names}
    if port == 80:
        values |= set(names)
    return frozenset(values)


def _split_host(host: str) -> tuple[str, str]:
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


class LocalOnly:
    """ASGI middleware: the Host check, CORS on `cors_paths` only, cross-site writes refused elsewhere."""

    def __init__(
        self,
        app: ASGIApp,
        host_names: Collection[str] = LOOPBACK_NAMES,
        port: int | None = None,
        cors_paths: Collection[str] = ("/graphql",),
    ) -> None:
        self.app = app
        self.names = frozenset(name.lower() for name in host_names)
        self.hosts = allowed_hosts(self.names, port)
        self.cors_paths = frozenset(cors_paths)
        # AppSync answers any origin; Starlette mirrors the requested headers for "*"
        self.cors_app = CORSMiddleware(
            app, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"], max_age=86400
        )

    def host_ok(self, host: str) -> bool:
        host = host.strip().lower()
        if self.hosts is not None:
            return host in self.hosts
        name, port = _split_host(host)
        return name in self.names and (port == "" or port.isdigit())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not self.host_ok(headers.get("host", "")):
            response = PlainTextResponse(
                "Misdirected Request: this server answers to loopback host names only.", status_code=421
            )
            await response(scope, receive, send)
            return
        if scope["type"] == "websocket":  # the realtime endpoint: AppSync's accepts any origin too
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.cors_paths:
            await self.cors_app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and self._cross_site(headers):
            response = PlainTextResponse("Forbidden: cross-origin request.", status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _cross_site(headers: dict[str, str]) -> bool:
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.lower() not in OWN_FETCH_SITES:
            return True
        origin = headers.get("origin")
        return origin is not None and origin.lower() != f"http://{headers.get('host', '').lower()}"
