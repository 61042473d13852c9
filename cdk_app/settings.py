"""Everything the app reads from outside: the project files and the CDK context, in one place."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs import Node

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The public Powertools layer (AWS-owned account, the same in every commercial region). By default the
# layer is the one of the Powertools release pinned in requirements.txt (the version every local run
# and test uses), found at deploy time through its public SSM parameter; -c powertoolsLayerVersion=N
# names a layer version number instead.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_PACKAGE = "aws-lambda-powertools"

LOG_RETENTION_DAYS = (7, 14, 30, 90, 180, 365)
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


def pinned_version(root: Path, package: str) -> str:
    """The `package==X.Y.Z` pin of requirements.txt."""
    pattern = re.compile(rf"^{re.escape(package)}(\[[^\]]*\])?==([0-9][^\s#;]*)", re.IGNORECASE)
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = pattern.match(line.strip())
        if match:
            return match.group(2)
    raise ValueError(f"requirements.txt pins no {package}")


def load_api_config(root: Path) -> dict[str, Any]:
    """api_config.json: auth modes, resolvers and filters, declared once (the local stack reads it too)."""
    return json.loads((root / "api_config.json").read_text(encoding="utf-8"))


def load_table_schema(root: Path) -> dict[str, Any]:
    """table.json: the table's keys, indexes, stream view and TTL attribute (the local stack reads it too)."""
    return json.loads((root / "table.json").read_text(encoding="utf-8"))


def _as_list(value: Any) -> list[str]:
    """Context values from `-c key=value` arrive as strings; from cdk.json as JSON. Accept both."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    return [str(item).strip() for item in value if str(item).strip()]


def _as_int(value: Any, default: int) -> int:
    return default if value is None or value == "" else int(value)


def _as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """The stack's inputs. `stage` prod keeps data (RETAIN + deletion protection); others are disposable."""

    stage: str = "dev"
    staff_emails: list[str] = field(default_factory=list)
    api_key_expires: dt.datetime | None = None
    api_key_expiry_days: int = 365
    api_key_generation: int = 1
    allow_password_auth: bool = True
    log_retention_days: int = 30
    publisher_reserved_concurrency: int = 0
    # X-Ray (AppSync + Lambda active tracing): off unless `-c tracing=true`. At a workshop's pace the
    # default sampling rule records every request, which would be the largest variable cost line.
    tracing: bool = False
    powertools_layer_version: int | None = None
    frontend_dist: Path = PROJECT_ROOT / "frontend" / "dist"
    root: Path = PROJECT_ROOT
    # customer messages: the SES sender (an address this stack verifies), the name they are sent in,
    # and the SMS origination settings (either may be empty; see docs/deploy.md)
    customer_mail_from: str = "repairs@example.com"
    workshop_name: str = "Pitstop Garage"
    sms_sender_id: str = ""
    sms_origination_number: str = ""
    # whether this stage texts customers at all (`-c customerSms=true`): off until the workshop has
    # done docs/deploy.md "Register for SMS" (sandbox, spend limit, origination number); each SMS
    # costs the workshop money. Off: the pages offer e-mail only and the publisher may not text.
    customer_sms: bool = False

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"

    @classmethod
    def from_context(cls, node: Node, root: Path = PROJECT_ROOT) -> Settings:
        ctx = node.try_get_context
        stage = str(ctx("stage") or "dev")
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,19}", stage):
            raise ValueError(f"context stage={stage!r}: use lower-case letters, digits and '-' (max 20)")
        emails = _as_list(ctx("staffEmails"))
        bad = [e for e in emails if not _EMAIL.match(e)]
        if bad:
            raise ValueError(f"context staffEmails has invalid addresses: {bad}")
        expires_raw = ctx("apiKeyExpires")
        expires = None
        if expires_raw:
            expires = dt.datetime.fromisoformat(str(expires_raw).replace("Z", "+00:00"))
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=dt.UTC)
        days = _as_int(ctx("apiKeyExpiryDays"), 365)
        if not 1 <= days <= 365:
            raise ValueError("context apiKeyExpiryDays must be between 1 and 365 (AppSync's limits)")
        retention_days = _as_int(ctx("logRetentionDays"), 30)
        if retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"context logRetentionDays must be one of {sorted(LOG_RETENTION_DAYS)}")
        # prod never offers USER_PASSWORD_AUTH (SRP only); other stages keep it for the remote tests.
        allow_password_auth = _as_bool(ctx("allowPasswordAuth"), stage != "prod")
        if stage == "prod" and allow_password_auth:
            raise ValueError("context allowPasswordAuth=true is not allowed in stage prod (SRP only)")
        reserved = _as_int(ctx("publisherReservedConcurrency"), 0)
        if reserved < 0:
            raise ValueError("context publisherReservedConcurrency must be 0 (no reservation) or more")
        sender = str(ctx("customerMailFrom") or "repairs@example.com")
        if not _EMAIL.match(sender):
            raise ValueError(f"context customerMailFrom={sender!r} is not an e-mail address")
        sender_id = str(ctx("smsSenderId") or "")
        if sender_id and not re.fullmatch(r"(?=.*[A-Za-z])[A-Za-z0-9-]{1,11}", sender_id):
            raise ValueError("context smsSenderId: 1 to 11 letters, digits or '-', at least one letter")
        origination = str(ctx("smsOriginationNumber") or "")
        if origination and not re.fullmatch(r"\+[1-9][0-9]{7,14}", origination):
            raise ValueError("context smsOriginationNumber must be E.164, like +18445550123")
        dist = ctx("frontendDist")
        dist_path = Path(dist) if dist else root / "frontend" / "dist"
        if not dist_path.is_absolute():
            dist_path = root / dist_path
        return cls(
            stage=stage,
            staff_emails=emails,
            api_key_expires=expires,
            api_key_expiry_days=days,
            api_key_generation=_as_int(ctx("apiKeyGeneration"), 1),
            allow_password_auth=allow_password_auth,
            log_retention_days=retention_days,
            publisher_reserved_concurrency=reserved,
            tracing=_as_bool(ctx("tracing"), False),
            powertools_layer_version=(
                _as_int(ctx("powertoolsLayerVersion"), 0) if ctx("powertoolsLayerVersion") else None
            ),
            frontend_dist=dist_path,
            root=root,
            customer_mail_from=sender,
            workshop_name=str(ctx("workshopName") or "Pitstop Garage").strip()[:80],
            sms_sender_id=sender_id,
            sms_origination_number=origination,
            customer_sms=_as_bool(ctx("customerSms"), False),
        )
