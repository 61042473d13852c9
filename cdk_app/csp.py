"""The site's Content-Security-Policy from content_security_policy.json: one declaration, sent by
CloudFront (site.py) and by the local stack (pitstop_local/static.py). No CDK import here, so the
local stack can use it without loading aws-cdk-lib."""

from __future__ import annotations

import json
from pathlib import Path

CSP_FILE = Path(__file__).resolve().parent / "content_security_policy.json"


def content_security_policy(
    extra_connect_src: tuple[str, ...] = (), extra_img_src: tuple[str, ...] = ()
) -> str:
    """The header value; `extra_connect_src` adds origins the pages may call (the stage's or the local
    endpoints), `extra_img_src` origins they show images from (the photo bucket's endpoint)."""
    declared = json.loads(CSP_FILE.read_text(encoding="utf-8"))
    directives = {name: list(values) for name, values in declared.items() if not name.startswith("_")}
    directives["connect-src"] += extra_connect_src
    directives["img-src"] += extra_img_src
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())
