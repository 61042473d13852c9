"""Outside the fake resolver package, so a reload of the package keeps what was recorded."""

from typing import Any

EVENTS: list[dict[str, Any]] = []
CONTEXTS: list[Any] = []
CONCURRENCY = {"active": 0, "max": 0}
