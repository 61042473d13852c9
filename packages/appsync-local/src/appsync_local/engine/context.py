"""Per-request context handed to every resolver (graphql-core's context_value)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .auth import AuthContext

HOP_HEADERS = {"cookie"}


def lambda_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """request.headers of a Lambda event: lower-case names, without cookie."""
    return {k.lower(): v for k, v in headers.items() if k.lower() not in HOP_HEADERS}


def source_ips(forwarded_for: str | None, peer: str | None) -> list[str]:
    """identity.sourceIp: the x-forwarded-for addresses, then the TCP peer."""
    ips = [ip.strip() for ip in (forwarded_for or "").split(",") if ip.strip()]
    if peer:
        ips.append(peer)
    return ips


@dataclass
class RequestContext:
    auth: AuthContext
    headers: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    domain_name: str | None = None
    delivery: bool = False  # executing a subscription payload: no resolvers, values come from the payload
    resolver_count: int = 0
