"""The local API key's expiry follows AppSync's CreateApiKey: 1 to 365 days ahead, rounded down to
the hour (https://docs.aws.amazon.com/appsync/latest/APIReference/API_CreateApiKey.html)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pitstop_local.settings import LocalSettings, api_key_expiry

ROOT = Path(__file__).resolve().parents[3]
HOUR, DAY = 3600, 86400


def test_expiry_is_rounded_down_to_the_hour() -> None:
    now = 1_700_000_123.9  # 22:15:23.9 UTC
    assert api_key_expiry(7, now) == 1_700_604_000  # 7 days later, 22:00:00
    assert api_key_expiry(7, now) % HOUR == 0
    assert api_key_expiry(365, now) == (int(now) + 365 * DAY) // HOUR * HOUR


def test_default_key_expires_on_an_hour_seven_days_ahead() -> None:
    before = time.time()
    settings = LocalSettings.from_env({})
    assert settings.api_key_expires % HOUR == 0
    assert before + 7 * DAY - HOUR < settings.api_key_expires <= time.time() + 7 * DAY


@pytest.mark.parametrize("days", ["0", "0.5", "366", "-1", "nan", "soon"])
def test_out_of_range_days_are_refused(days: str) -> None:
    with pytest.raises(ValueError, match="PITSTOP_API_KEY_DAYS must be"):
        LocalSettings.from_env({"PITSTOP_API_KEY_DAYS": days})


@pytest.mark.parametrize("days", ["1", "365"])
def test_the_bounds_are_allowed(days: str) -> None:
    assert LocalSettings.from_env({"PITSTOP_API_KEY_DAYS": days}).api_key_expires % HOUR == 0


def test_the_stack_refuses_to_start_with_a_key_beyond_365_days() -> None:
    env = {**os.environ, "PITSTOP_API_KEY_DAYS": "400", "PORT": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "pitstop_local"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "PITSTOP_API_KEY_DAYS must be between 1 and 365" in result.stderr
    assert "Traceback" not in result.stderr
