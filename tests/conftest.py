"""Shared fixtures. `local_stack`: the real stack (`python -m pitstop_local`) on a free port, or, when
PITSTOP_OUTPUTS names a deployed stage's amplify_outputs.json, that deployed stage.

    def test_x(local_stack):
        local_stack.graphql_url, local_stack.api_key, local_stack.staff_id_token(), ...
        if not local_stack.is_local: pytest.skip("needs the local outbox")

Remote mode: PITSTOP_OUTPUTS=/path/amplify_outputs.json, PITSTOP_STAFF_USERNAME, PITSTOP_STAFF_PASSWORD.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_API_KEY = "da2-localtestkey0000000000000"
TEST_IAM_ACCESS_KEY_ID = "AKIALOCALTEST0000000"
TEST_IAM_SECRET_ACCESS_KEY = "local-test-secret-not-a-real-credential"
DEFAULT_STAFF = ("staff@example.com", "Staff-Passw0rd!")
STARTUP_TIMEOUT = 30.0


@dataclass
class StackTarget:
    """Where the tests talk to: the local stack or a deployed stage."""

    graphql_url: str
    realtime_url: str
    outputs: dict[str, Any]
    api_key: str
    staff_username: str
    staff_password: str
    is_local: bool
    base_url: str | None = None
    iam_access_key_id: str | None = None  # local only: the one IAM principal (the publisher's)
    iam_secret_access_key: str | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    startup_seconds: float | None = None
    _tokens: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def region(self) -> str:
        return str(self.outputs["data"]["aws_region"])

    @property
    def aws_endpoint_url(self) -> str | None:
        return (self.outputs.get("custom") or {}).get("aws_endpoint_url")

    def sign_in(self, username: str | None = None, password: str | None = None) -> dict[str, Any]:
        """Cognito USER_PASSWORD_AUTH (boto3, unsigned) → AuthenticationResult."""
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        auth = self.outputs["auth"]
        cognito = boto3.session.Session().client(
            "cognito-idp",
            region_name=auth["aws_region"],
            endpoint_url=self.aws_endpoint_url,
            config=Config(signature_version=UNSIGNED),
        )
        response = cognito.initiate_auth(
            ClientId=auth["user_pool_client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": username or self.staff_username,
                "PASSWORD": password or self.staff_password,
            },
        )
        return dict(response["AuthenticationResult"])

    def staff_tokens(self) -> dict[str, Any]:
        """The staff user's tokens (signed in once per session; Cognito's default lifetime is 1 h)."""
        if self._tokens is None:
            self._tokens = self.sign_in()
        return self._tokens

    def staff_id_token(self) -> str:
        return str(self.staff_tokens()["IdToken"])

    def staff_access_token(self) -> str:
        return str(self.staff_tokens()["AccessToken"])

    def aws_client(self, service: str) -> Any:
        """A boto3 client for the emulated AWS services (local only)."""
        import boto3

        assert self.is_local, "aws_client is for the local stack"
        return boto3.session.Session().client(
            service,
            region_name=self.region,
            endpoint_url=self.aws_endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def get_json(self, path: str) -> Any:
        assert self.base_url is not None
        with urllib.request.urlopen(f"{self.base_url}{path}", timeout=10) as response:
            return json.loads(response.read())

    def log_tail(self, chars: int = 4000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _realtime_url(graphql_url: str) -> str:
    if "appsync-api" in graphql_url:
        return graphql_url.replace("https://", "wss://").replace("appsync-api", "appsync-realtime-api")
    return graphql_url.replace("https://", "wss://").replace("http://", "ws://") + "/realtime"


def remote_target() -> StackTarget | None:
    path = os.environ.get("PITSTOP_OUTPUTS")
    if not path:
        return None
    outputs = json.loads(Path(path).read_text(encoding="utf-8"))
    url = outputs["data"]["url"]
    site = (outputs.get("custom") or {}).get("site_url")
    return StackTarget(
        graphql_url=url,
        realtime_url=_realtime_url(url),
        outputs=outputs,
        api_key=outputs["data"]["api_key"],
        staff_username=os.environ.get("PITSTOP_STAFF_USERNAME", DEFAULT_STAFF[0]),
        staff_password=os.environ.get("PITSTOP_STAFF_PASSWORD", DEFAULT_STAFF[1]),
        is_local=False,
        base_url=site.rstrip("/") if site else None,
    )


def start_local_stack(log_path: Path, extra_env: dict[str, str] | None = None) -> StackTarget:
    """Start `python -m pitstop_local` on a free port and wait until it reports ready."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "PITSTOP_API_KEY": TEST_API_KEY,
        "PITSTOP_IAM_ACCESS_KEY_ID": TEST_IAM_ACCESS_KEY_ID,
        "PITSTOP_IAM_SECRET_ACCESS_KEY": TEST_IAM_SECRET_ACCESS_KEY,
        "PITSTOP_DEMO_DATA": "0",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    for name in ("PITSTOP_OUTPUTS", "PITSTOP_STAFF_USERNAME", "PITSTOP_STAFF_PASSWORD"):
        if name not in (extra_env or {}):
            env.pop(name, None)
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "pitstop_local"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    target = StackTarget(
        graphql_url=f"{base}/graphql",
        realtime_url=f"ws://127.0.0.1:{port}/graphql/realtime",
        outputs={},
        api_key=TEST_API_KEY,
        staff_username=env.get("PITSTOP_STAFF_USERNAME") or DEFAULT_STAFF[0],
        staff_password=env.get("PITSTOP_STAFF_PASSWORD") or DEFAULT_STAFF[1],
        is_local=True,
        base_url=base,
        iam_access_key_id=TEST_IAM_ACCESS_KEY_ID,
        iam_secret_access_key=TEST_IAM_SECRET_ACCESS_KEY,
        process=process,
        log_path=log_path,
    )
    deadline = started + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited with {process.returncode}:\n{target.log_tail()}")
        try:
            with urllib.request.urlopen(f"{base}/_local/ready", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_local_stack(target)
            raise RuntimeError(f"the local stack was not ready in {STARTUP_TIMEOUT} s:\n{target.log_tail()}")
        time.sleep(0.05)
    target.startup_seconds = time.monotonic() - started
    target.outputs = target.get_json("/amplify_outputs.json")
    return target


def stop_local_stack(target: StackTarget, timeout: float = 15.0) -> int | None:
    process = target.process
    if process is None or process.poll() is not None:
        return None if process is None else process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
        return None


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackTarget]:
    remote = remote_target()
    if remote is not None:
        yield remote
        return
    target = start_local_stack(tmp_path_factory.mktemp("local_stack") / "stack.log")
    try:
        yield target
    finally:
        stop_local_stack(target)


@pytest.fixture
def local_only(local_stack: StackTarget) -> StackTarget:
    """The local stack; skips the test against a deployed stage (outbox, moto, fault injection)."""
    if not local_stack.is_local:
        pytest.skip("needs the local stack (local-only feature)")
    return local_stack


@pytest.fixture
def local_stack_factory(tmp_path: Path) -> Iterator[Any]:
    """Start extra local stacks with their own environment: `factory({"PITSTOP_DEMO_DATA": "1"})`.

    Every stack started is stopped (SIGTERM) at the end of the test.
    """
    started: list[StackTarget] = []

    def factory(extra_env: dict[str, str] | None = None) -> StackTarget:
        target = start_local_stack(tmp_path / f"stack{len(started)}.log", extra_env)
        started.append(target)
        return target

    factory.stop = stop_local_stack  # type: ignore[attr-defined]
    yield factory
    for target in started:
        stop_local_stack(target)
