"""The frontend's lifecycle table (frontend/src/lifecycle.ts) mirrors the server's rules exactly."""

from __future__ import annotations

import re
from pathlib import Path

from resolvers import tickets

LIFECYCLE_TS = Path(__file__).resolve().parents[2] / "frontend" / "src" / "lifecycle.ts"


def parse_next_statuses(source: str) -> dict[str, set[str]]:
    block = re.search(r"NEXT_STATUSES[^=]*=\s*\{(.*?)\};", source, re.S)
    assert block, "NEXT_STATUSES not found in lifecycle.ts"
    table = {}
    for status, targets in re.findall(r"(\w+):\s*\[([^\]]*)\]", block.group(1)):
        table[status] = set(re.findall(r"'(\w+)'", targets))
    return table


def test_frontend_lifecycle_matches_server_rules() -> None:
    frontend = parse_next_statuses(LIFECYCLE_TS.read_text(encoding="utf-8"))
    server = {status: set(nxt) for status, nxt in tickets.TRANSITIONS.items()}
    assert frontend == server


def test_frontend_status_order_matches_schema() -> None:
    source = LIFECYCLE_TS.read_text(encoding="utf-8")
    block = re.search(r"export const STATUSES = \[(.*?)\]", source, re.S)
    assert block
    assert tuple(re.findall(r"'(\w+)'", block.group(1))) == tickets.STATUSES
