"""The local stack's settings, from the environment (every one has a default)."""

from __future__ import annotations

import os
import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_PORT = 4000
DEFAULT_STAFF_USERNAME = "staff@example.com"
DEFAULT_STAFF_PASSWORD = "Staff-Passw0rd!"  # noqa: S105 - the documented local-only demo user
API_KEY_DAYS = 7  # AppSync's default
API_KEY_MIN_DAYS, API_KEY_MAX_DAYS = 1, 365  # CreateApiKey's bounds


def _api_key() -> str:
    """An AppSync-looking API key: `da2-` + 26 random lower-case letters and digits."""
    alphabet = string.ascii_lowercase + string.digits
    return "da2-" + "".join(secrets.choice(alphabet) for _ in range(26))


def _access_key_id() -> str:
    return "AKIALOCAL" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(11))


def api_key_expiry(days: float, now: float) -> int:
    """An API key's `expires` (epoch seconds) `days` after `now`, as AppSync's CreateApiKey sets it:
    1 to 365 days ahead, rounded down to the hour
    (https://docs.aws.amazon.com/appsync/latest/APIReference/API_CreateApiKey.html)."""
    if not API_KEY_MIN_DAYS <= days <= API_KEY_MAX_DAYS:
        raise ValueError(
            f"PITSTOP_API_KEY_DAYS must be between {API_KEY_MIN_DAYS} and {API_KEY_MAX_DAYS} "
            f"(AppSync's API key limits), not {days:g}"
        )
    return int(now + days * 86400) // 3600 * 3600


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


@dataclass(frozen=True)
class LocalSettings:
    host: str
    port: int
    api_key: str
    api_key_expires: int  # epoch seconds, as AppSync's `expires`
    staff_username: str
    staff_password: str
    demo_data: bool
    iam_access_key_id: str
    iam_secret_access_key: str
    log_level: str
    workshop_name: str = "Pitstop Garage"  # customer messages are sent in this name
    # the stage's SMS switch (the deployed stack's context `customerSms`, off there by default): on
    # locally, where texts only reach the outbox; PITSTOP_CUSTOMER_SMS=false runs a stage without SMS
    customer_sms: bool = True

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    @property
    def realtime_url(self) -> str:
        return f"ws://{self.host}:{self.port}/graphql/realtime"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LocalSettings:
        env = os.environ if env is None else env
        raw_days = env.get("PITSTOP_API_KEY_DAYS") or str(API_KEY_DAYS)
        try:
            days = float(raw_days)
        except ValueError:
            raise ValueError(f"PITSTOP_API_KEY_DAYS must be a number of days, not {raw_days!r}") from None
        return cls(
            host=env.get("PITSTOP_HOST") or "127.0.0.1",
            port=int(env.get("PORT") or DEFAULT_PORT),
            api_key=env.get("PITSTOP_API_KEY") or _api_key(),
            api_key_expires=api_key_expiry(days, time.time()),
            staff_username=env.get("PITSTOP_STAFF_USERNAME") or DEFAULT_STAFF_USERNAME,
            staff_password=env.get("PITSTOP_STAFF_PASSWORD") or DEFAULT_STAFF_PASSWORD,
            demo_data=_flag(env.get("PITSTOP_DEMO_DATA"), default=True),
            iam_access_key_id=env.get("PITSTOP_IAM_ACCESS_KEY_ID") or _access_key_id(),
            iam_secret_access_key=env.get("PITSTOP_IAM_SECRET_ACCESS_KEY") or secrets.token_urlsafe(30),
            log_level=(env.get("PITSTOP_LOG_LEVEL") or "warning").lower(),
            workshop_name=env.get("PITSTOP_WORKSHOP_NAME") or "Pitstop Garage",
            customer_sms=_flag(env.get("PITSTOP_CUSTOMER_SMS"), default=True),
        )
