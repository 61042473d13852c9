"""The remote test mode (`make test-remote`, run by the deploy workflow against a deployed stage) really
targets what PITSTOP_OUTPUTS names: here a running local stack stands in for the deployed stage, and the
customer-and-staff session test runs against it through amplify_outputs.json alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_session_tests_run_against_a_stage_named_by_its_outputs(local_stack: Any, tmp_path: Path) -> None:
    if not local_stack.is_local:
        return  # already in remote mode: this test is that mode
    outputs = tmp_path / "amplify_outputs.json"
    outputs.write_text(json.dumps(local_stack.get_json("/amplify_outputs.json")))
    mails_before = len(local_stack.get_json("/_local/outbox"))
    env = {
        **os.environ,
        "PITSTOP_OUTPUTS": str(outputs),
        "PITSTOP_STAFF_USERNAME": local_stack.staff_username,
        "PITSTOP_STAFF_PASSWORD": local_stack.staff_password,
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/pitstop_local/test_session.py",
            "-p",
            "no:cacheprovider",
            "--no-cov",
            "-rs",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\b[1-9]\d* passed", done.stdout) and "failed" not in done.stdout, done.stdout[-3000:]
    # the session's ticket landed in *this* stack (its staff e-mail is in our outbox), so the run
    # used the outputs it was given rather than starting a stack of its own
    deadline = time.monotonic() + 15
    while len(local_stack.get_json("/_local/outbox")) <= mails_before:
        assert time.monotonic() < deadline, "the remote-mode run did not reach the stack it was given"
        time.sleep(0.1)
