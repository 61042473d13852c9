"""The deployed schema (schema.graphql, loaded by CDK's Definition.from_file) keeps its promises:
everything in contract_schema.graphql (the fixed public surface), and no breaking change against the
last released schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from cdk_helpers import ROOT
from graphql import BreakingChangeType, find_breaking_changes

from pitstop_local.config import build_appsync_schema

CONTRACT = Path(__file__).with_name("contract_schema.graphql")
RELEASED = ROOT / "schema" / "released.graphql"


def _breaking(old_sdl: str, new_sdl: str) -> list[str]:
    changes = find_breaking_changes(build_appsync_schema(old_sdl), build_appsync_schema(new_sdl))
    return [f"{c.type.name}: {c.description}" for c in changes]


def test_schema_offers_everything_in_the_contract() -> None:
    current = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert _breaking(CONTRACT.read_text(encoding="utf-8"), current) == []


def test_no_breaking_change_against_the_released_schema() -> None:
    """On purpose-made breaking changes: release them (copy to schema/released.graphql) with a note."""
    current = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert _breaking(RELEASED.read_text(encoding="utf-8"), current) == []


@pytest.mark.parametrize(
    ("edit", "kind"),
    [
        (("  reference: String!\n", ""), BreakingChangeType.FIELD_REMOVED),
        (("ticketByReference(reference: String!)", "ticketByReference"), BreakingChangeType.ARG_REMOVED),
        (("  version: Int!\n", "  version: String!\n"), BreakingChangeType.FIELD_CHANGED_KIND),
        (("  clientToken: String\n", "  clientToken: String!\n"), BreakingChangeType.FIELD_CHANGED_KIND),
    ],
)
def test_the_check_catches_breaking_changes(edit: tuple[str, str], kind: BreakingChangeType) -> None:
    released = RELEASED.read_text(encoding="utf-8")
    assert edit[0] in released
    broken = released.replace(edit[0], edit[1], 1)
    changes = find_breaking_changes(build_appsync_schema(released), build_appsync_schema(broken))
    assert changes, edit
    assert kind in {c.type for c in changes}
