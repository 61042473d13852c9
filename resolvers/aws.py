"""botocore clients and credentials, created on first use and cached per (service, region, endpoint).

botocore rather than boto3: the resolvers only need two low-level clients, and importing boto3 (it
pulls in s3transfer) would add about a third to the functions' cold start. Created lazily, so env
changes in tests apply; AWS_ENDPOINT_URL (the local moto server) is honoured by botocore itself.
"""

from __future__ import annotations

import os
import threading
from typing import Any, NamedTuple

import botocore.session
from botocore.config import Config

_lock = threading.Lock()
_sessions: dict[tuple[str | None, str | None], botocore.session.Session] = {}
_clients: dict[tuple[Any, ...], Any] = {}


# A NamedTuple rather than a frozen dataclass: as immutable, at a fraction of the class-creation cost
# on import (cold start of the resolver Lambdas; bench/cold_start.py).
class CallLimits(NamedTuple):
    """Client-side bounds of one AWS call: connect and read timeouts (seconds), total attempts."""

    connect_seconds: float
    read_seconds: float
    max_attempts: int

    def config(self) -> Config:
        return Config(
            connect_timeout=self.connect_seconds,
            read_timeout=self.read_seconds,
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
        )


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _session() -> botocore.session.Session:
    """One session per credentials in the environment (tests and the local stack change them)."""
    key = (os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_PROFILE"))
    if key not in _sessions:
        _sessions[key] = botocore.session.Session()
    return _sessions[key]


def client(service: str, limits: CallLimits | None = None, config: Config | None = None) -> Any:
    """The service's client; with `limits`, one whose calls are bounded by them (botocore defaults
    otherwise: 60 s connect and read timeouts, retries per the legacy mode); `config` adds
    service-specific settings (pass a module-level constant: clients are cached per config object)."""
    key = (
        service,
        region(),
        os.environ.get("AWS_ENDPOINT_URL"),
        os.environ.get("AWS_ACCESS_KEY_ID"),
        limits,
        config,
    )
    with _lock:
        if key not in _clients:
            if limits and config:
                config = limits.config().merge(config)
            elif limits:
                config = limits.config()
            _clients[key] = _session().create_client(service, region_name=region(), config=config)
        return _clients[key]


def credentials() -> Any:
    """The function's credentials (refreshable ones refresh), or None when there are none."""
    with _lock:
        session = _session()
    return session.get_credentials()
