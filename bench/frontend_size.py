"""Figure 5: frontend size (of an existing build; `make bench` runs the frontend build first).

gzip (level 9) of the JS + CSS each page loads, from Vite's build manifest
(frontend/dist/.vite/manifest.json): an entry, the chunks it imports statically, their CSS, and the
page module the app's router loads for that page (plus its static imports). The same walk as the
frontend's own `make -C frontend size` (frontend/scripts/size.mjs).

The figure with the 150 kB target is the customer and staff app: index.html's entry with all three
page modules (submit, track, staff), i.e. everything a visitor of `/`, `/track` or `/staff` can
download. The developer console (/console: GraphiQL + Monaco, loaded only there) is reported on
its own, without a target.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from .common import ROOT, Figure, at_most, info

DIST = ROOT / "frontend" / "dist"
TARGET_KB = 150.0
PAGES = {
    "customer (submit + track)": ["index.html", "src/pages/submit.ts", "src/pages/track.ts"],
    "staff": ["index.html", "src/pages/staff.ts"],
    "customer + staff app": ["index.html", "src/pages/submit.ts", "src/pages/track.ts", "src/pages/staff.ts"],
    "console": ["console.html"],
}


def manifest_of(dist: Path = DIST) -> dict[str, Any]:
    """The build manifest. The bench never builds: `make bench` builds the frontend first (setup)."""
    path = dist / ".vite" / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: build the frontend first (make -C frontend build)")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def files_of(manifest: dict[str, Any], keys: list[str]) -> list[str]:
    files: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        chunk = manifest[key]
        for name in [chunk["file"], *chunk.get("css", [])]:
            if name.endswith((".js", ".css")) and name not in files:
                files.append(name)
        for dep in chunk.get("imports", []):
            visit(dep)

    for key in keys:
        visit(key)
    return files


def gzip_bytes(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def sizes(dist: Path = DIST) -> dict[str, dict[str, int]]:
    manifest = manifest_of(dist)
    out = {}
    for page, keys in PAGES.items():
        files = files_of(manifest, keys)
        js = sum(gzip_bytes(dist / f) for f in files if f.endswith(".js"))
        css = sum(gzip_bytes(dist / f) for f in files if f.endswith(".css"))
        out[page] = {
            "js_gzip_bytes": js,
            "css_gzip_bytes": css,
            "total_gzip_bytes": js + css,
            "files": len(files),
        }
    return out


def run(smoke: bool = False) -> tuple[list[Figure], dict[str, Any]]:
    result = sizes()
    kb = {page: r["total_gzip_bytes"] / 1024 for page, r in result.items()}
    figures = [
        at_most("frontend: customer + staff pages, JS+CSS gzip", kb["customer + staff app"], "kB", TARGET_KB),
        info("frontend: customer pages (submit + track) gzip", kb["customer (submit + track)"], "kB"),
        info("frontend: staff page gzip", kb["staff"], "kB"),
        info("frontend: developer console (/console) gzip", kb["console"], "kB"),
    ]
    return figures, result
