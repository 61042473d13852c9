"""The stream publisher's settings: api_config.json "publisher" → "timeouts" and "staffDigest".

The CDK app and the local stack hand them to the function as one environment variable,
PUBLISHER_SETTINGS (JSON of exactly those two sections), so the numbers live in api_config.json only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .aws import CallLimits

ENV = "PUBLISHER_SETTINGS"
SECTIONS = ("timeouts", "staffDigest")
# The standard retry mode waits up to 2**(n-1) s (random, capped at 20 s) before retry n:
# https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
_MAX_BACKOFF_SECONDS = 20.0


def environment_value(publisher_config: Mapping[str, Any]) -> str:
    """What the CDK app and the local stack put in PUBLISHER_SETTINGS."""
    return json.dumps({name: publisher_config[name] for name in SECTIONS}, sort_keys=True)


@dataclass(frozen=True)
class PublisherSettings:
    function_seconds: float  # the function's timeout (the deployed one is set from this number)
    calls: CallLimits  # every SNS, DynamoDB and publish-mutation call
    max_single_mails: int  # more new tickets than this in one batch: one digest e-mail instead
    claim_ttl_hours: float  # how long a staff-mail record is kept (longer than any stream retry)

    @property
    def call_worst_seconds(self) -> float:
        """The longest one call can take: each attempt waits out both timeouts, plus the backoffs."""
        attempts = self.calls.max_attempts
        backoff = sum(min(_MAX_BACKOFF_SECONDS, 2.0 ** (n - 1)) for n in range(1, attempts))
        return attempts * (self.calls.connect_seconds + self.calls.read_seconds) + backoff

    @classmethod
    def from_json(cls, text: str) -> PublisherSettings:
        data = json.loads(text)
        timeouts, digest = data["timeouts"], data["staffDigest"]
        return cls(
            function_seconds=float(timeouts["functionSeconds"]),
            calls=CallLimits(
                connect_seconds=float(timeouts["connectSeconds"]),
                read_seconds=float(timeouts["readSeconds"]),
                max_attempts=int(timeouts["maxAttempts"]),
            ),
            max_single_mails=int(digest["maxSingleMails"]),
            claim_ttl_hours=float(digest["claimTtlHours"]),
        )


def load() -> PublisherSettings:
    return PublisherSettings.from_json(os.environ[ENV])
