"""The frontend's built files (frontend/dist) at `/`, looked up per request (a rebuild needs no restart).

`/`, `/track`, `/staff` (and any other extension-less path that is not a file) → index.html;
`/console` → the console page from the build (console.html or console/index.html), or a short page
saying it comes with the frontend build. Hashed files under assets/ are cached, HTML is not.
"""

from __future__ import annotations

import mimetypes
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from cdk_app.csp import content_security_policy

from .config import ROOT

DIST = ROOT / "frontend" / "dist"
CONSOLE_PAGES = ("console.html", "console/index.html")
MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>{title}</h1><p>{text}</p>
<p>GraphQL: <code>/graphql</code>
· client configuration: <a href="/amplify_outputs.json">/amplify_outputs.json</a>
· staff e-mails: <a href="/_local/outbox">/_local/outbox</a></p>
</body></html>
"""


def security_headers(connect_src: tuple[str, ...] = (), img_src: tuple[str, ...] = ()) -> dict[str, str]:
    """What CloudFront's response-headers policy adds to every page (cdk_app/site.py), with the local
    GraphQL, Cognito and S3 endpoints allowed for the pages to call (and S3 to show photos from), so
    pages are tested under the same CSP."""
    return {
        "Content-Security-Policy": content_security_policy(connect_src, img_src),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def _page(title: str, text: str, headers: dict[str, str], status: int = 200) -> HTMLResponse:
    body = _PAGE.format(title=escape(title), text=escape(text))
    return HTMLResponse(body, status_code=status, headers=headers)


def media_type(path: Path) -> str:
    known = MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return known or "application/octet-stream"


def _file(path: Path, headers: dict[str, str]) -> FileResponse:
    cache = "public, max-age=31536000, immutable" if "assets" in path.parts else "no-cache"
    return FileResponse(path, media_type=media_type(path), headers={**headers, "Cache-Control": cache})


def _resolve(dist: Path, rel: str) -> Path | None:
    root = dist.resolve()
    candidate = (root / rel.lstrip("/")).resolve()
    if candidate != root and not candidate.is_relative_to(root):
        return None
    return candidate if candidate.is_file() else None


def routes(
    dist: Path = DIST, connect_src: tuple[str, ...] = (), img_src: tuple[str, ...] = ()
) -> list[Route]:
    """`connect_src`: origins the pages call besides their own (the local real-time, Cognito and S3);
    `img_src`: origins they show images from (the local S3's photos)."""
    headers = security_headers(connect_src, img_src)

    async def console(_: Request) -> Response:
        for name in CONSOLE_PAGES:
            page = _resolve(dist, name)
            if page is not None:
                return _file(page, headers)
        return _page(
            "Pitstop query console",
            "The query console comes with the frontend build (make frontend). "
            "Until then, send GraphQL to /graphql with any client.",
            headers,
        )

    async def files(request: Request) -> Response:
        rel = request.path_params.get("path", "")
        found = _resolve(dist, rel) if rel else None
        if found is not None:
            return _file(found, headers)
        index = _resolve(dist, "index.html")
        if "." in rel.rsplit("/", 1)[-1]:
            return _page("Not found", f"/{rel} does not exist.", headers, status=404)
        if index is not None:
            return _file(index, headers)
        return _page(
            "Pitstop (local)",
            "The frontend is not built yet: run `make frontend` (or `make run`, which builds it). "
            "The API is already up.",
            headers,
        )

    return [
        Route("/console", console, methods=["GET", "HEAD"]),
        Route("/console/", console, methods=["GET", "HEAD"]),
        Route("/{path:path}", files, methods=["GET", "HEAD"]),
    ]
