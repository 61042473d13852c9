"""The README's example project (example/: a notes board), served for real and driven with gql over
HTTP and AppSync's real-time WebSocket protocol, with API key, Cognito and IAM callers; the command
as a subprocess; and the config file's checks."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import jwt
import pytest
from appsync_local import LocalAppSync
from appsync_local.project import ConfigError, load_project
from botocore.credentials import Credentials
from cryptography.hazmat.primitives.asymmetric import rsa
from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import (
    AppSyncApiKeyAuthentication,
    AppSyncAuthentication,
    AppSyncIAMAuthentication,
    AppSyncJWTAuthentication,
)
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.exceptions import TransportQueryError

EXAMPLE = Path(__file__).resolve().parent.parent / "example"
EXAMPLE_CONFIG = json.loads((EXAMPLE / "config.json").read_text(encoding="utf-8"))
POOL = EXAMPLE_CONFIG["local"]["cognito"]
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL['userPoolId']}"
IAM_KEY_ID, IAM_PRINCIPAL = next(iter(EXAMPLE_CONFIG["local"]["iam"].items()))
KID = "test-kid"

ADD_NOTE = gql(
    """mutation Add($board: String!, $text: String!) {
  addNote(board: $board, text: $text) { id board text author }
}"""
)
NOTES = gql("query Notes($board: String!) { notes(board: $board) { id text author } }")
CLEAR = gql("mutation Clear($board: String!) { clearBoard(board: $board) }")
ON_NOTE_ADDED = gql(
    "subscription On($prefix: String!) { onNoteAdded(boardPrefix: $prefix) { id board text author } }"
)


class Pool:
    """A user pool stand-in: an RSA key whose JWKS the served config is given (local.cognito.jwksFile)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def id_token(self, username: str) -> str:
        now = int(time.time())
        claims = {
            "sub": str(uuid.uuid4()),
            "iss": ISSUER,
            "aud": POOL["clientIds"][0],
            "token_use": "id",
            "cognito:username": username,
            "iat": now,
            "auth_time": now,
            "exp": now + 600,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture(scope="module")
def pool() -> Pool:
    return Pool()


@pytest.fixture(scope="module")
def example_copy(tmp_path_factory: pytest.TempPathFactory, pool: Pool) -> Path:
    """The example folder copied as a user would have it, with this test's key set as its JWKS."""
    folder = tmp_path_factory.mktemp("notes-board") / "example"
    shutil.copytree(
        EXAMPLE, folder, ignore=shutil.ignore_patterns("jwks.json", ".dev-key.pem", "__pycache__")
    )
    (folder / "jwks.json").write_text(json.dumps(pool.jwks), encoding="utf-8")
    return folder / "config.json"


@pytest.fixture(scope="module")
def api(example_copy: Path) -> Iterator[LocalAppSync]:
    with LocalAppSync(example_copy) as server:
        yield server


def board() -> str:
    return f"board-{uuid.uuid4().hex[:8]}"


def host(api: LocalAppSync) -> str:
    return urlparse(api.url).netloc


def api_key_auth(api: LocalAppSync) -> AppSyncApiKeyAuthentication:
    assert api.api_key == EXAMPLE_CONFIG["local"]["apiKeys"][0]["key"]
    return AppSyncApiKeyAuthentication(host=host(api), api_key=api.api_key)


def cognito_auth(api: LocalAppSync, pool: Pool, username: str = "alice") -> AppSyncJWTAuthentication:
    return AppSyncJWTAuthentication(host=host(api), jwt=pool.id_token(username))


def iam_auth(api: LocalAppSync) -> AppSyncIAMAuthentication:
    credentials = Credentials(IAM_KEY_ID, IAM_PRINCIPAL["secretAccessKey"])
    return AppSyncIAMAuthentication(host=host(api), region_name="us-east-1", credentials=credentials)


async def execute(api: LocalAppSync, auth: AppSyncAuthentication, document: Any, **variables: Any) -> Any:
    transport = AIOHTTPTransport(url=api.url, auth=auth, timeout=30)
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        return await session.execute(GraphQLRequest(document, variable_values=variables))


def test_a_signed_in_user_adds_a_note_that_the_api_key_reads(api: LocalAppSync, pool: Pool) -> None:
    name = board()

    async def scenario() -> tuple[Any, Any]:
        added = await execute(api, cognito_auth(api, pool, "alice"), ADD_NOTE, board=name, text=" Buy milk ")
        listed = await execute(api, api_key_auth(api), NOTES, board=name)
        return added, listed

    added, listed = asyncio.run(scenario())
    note = added["addNote"]
    assert note["board"] == name and note["text"] == "Buy milk" and note["author"] == "alice"
    assert listed == {"notes": [{"id": note["id"], "text": "Buy milk", "author": "alice"}]}


def test_the_api_key_may_not_add_a_note(api: LocalAppSync) -> None:
    with pytest.raises(TransportQueryError) as raised:
        asyncio.run(execute(api, api_key_auth(api), ADD_NOTE, board=board(), text="sneaky"))
    error = raised.value.errors[0]  # type: ignore[index]
    assert error["errorType"] == "Unauthorized"
    assert error["message"] == "Not Authorized to access addNote on type Mutation"


def test_a_handler_exception_is_a_field_error_named_after_its_class(api: LocalAppSync, pool: Pool) -> None:
    with pytest.raises(TransportQueryError) as raised:
        asyncio.run(execute(api, cognito_auth(api, pool), ADD_NOTE, board=board(), text="x" * 281))
    error = raised.value.errors[0]  # type: ignore[index]
    assert error["errorType"] == "ValidationError"
    assert error["message"] == "A note has 1 to 280 characters."


def test_an_iam_principal_clears_a_board_that_cognito_may_not(api: LocalAppSync, pool: Pool) -> None:
    name = board()

    async def scenario() -> Any:
        for text in ("one", "two"):
            await execute(api, cognito_auth(api, pool), ADD_NOTE, board=name, text=text)
        with pytest.raises(TransportQueryError) as refused:
            await execute(api, cognito_auth(api, pool), CLEAR, board=name)
        assert refused.value.errors[0]["errorType"] == "Unauthorized"  # type: ignore[index]
        cleared = await execute(api, iam_auth(api), CLEAR, board=name)
        return cleared, await execute(api, api_key_auth(api), NOTES, board=name)

    cleared, listed = asyncio.run(scenario())
    assert cleared == {"clearBoard": 2}
    assert listed == {"notes": []}


class AckCounting(AppSyncWebsocketsTransport):
    """gql's AppSync transport, counting `start_ack`s so the test knows its subscription is live."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_acks = 0

    def _parse_answer(self, answer: str) -> Any:
        parsed = super()._parse_answer(answer)
        if parsed[0] == "start_ack":
            self.start_acks += 1
        return parsed


def test_a_subscriber_gets_notes_of_the_boards_its_prefix_names_only(api: LocalAppSync, pool: Pool) -> None:
    prefix = f"{board()}-"
    watched, other = f"{prefix}kitchen", board()

    async def scenario() -> Any:
        transport = AckCounting(url=api.realtime_url, auth=api_key_auth(api))
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            events: asyncio.Queue[Any] = asyncio.Queue()

            async def listen() -> None:
                request = GraphQLRequest(ON_NOTE_ADDED, variable_values={"prefix": prefix})
                async for result in session.subscribe(request):
                    await events.put(result)

            task = asyncio.create_task(listen())
            while transport.start_acks == 0:
                assert not task.done(), task.result()
                await asyncio.sleep(0.01)
            # the other board's note is published first: had the filter let it through, it would
            # be the first event the subscriber gets
            await execute(api, cognito_auth(api, pool, "bob"), ADD_NOTE, board=other, text="elsewhere")
            await execute(api, cognito_auth(api, pool, "carol"), ADD_NOTE, board=watched, text="here")
            first = await asyncio.wait_for(events.get(), 30)
            task.cancel()
            return first

    first = asyncio.run(scenario())
    assert first["onNoteAdded"]["board"] == watched
    assert first["onNoteAdded"]["text"] == "here" and first["onNoteAdded"]["author"] == "carol"


# -- the command -------------------------------------------------------------------------------------
def command_env() -> dict[str, str]:
    """The test process's import path (the package under test), for the command's subprocess."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def test_the_command_serves_the_example_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    folder = tmp_path / "example"
    shutil.copytree(
        EXAMPLE, folder, ignore=shutil.ignore_patterns("jwks.json", ".dev-key.pem", "__pycache__")
    )
    env = command_env()
    token = subprocess.run(
        [sys.executable, str(folder / "dev_token.py"), "dave"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    process = subprocess.Popen(
        [sys.executable, "-m", "appsync_local", "--config", str(folder / "config.json"), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = None
        output = []
        for line in process.stdout:
            output.append(line)
            if line.strip().startswith("GraphQL"):
                url = line.split()[-1]
            if line.startswith("Ready"):
                break
        assert url is not None, "".join(output) + process.stderr.read()  # type: ignore[union-attr]
        key = {"x-api-key": EXAMPLE_CONFIG["local"]["apiKeys"][0]["key"]}
        added = httpx.post(
            url,
            json={"query": 'mutation { addNote(board: "cli", text: "from curl") { author } }'},
            headers={"Authorization": token},
            timeout=30,
        )
        listed = httpx.post(url, json={"query": '{ notes(board: "cli") { text } }'}, headers=key, timeout=30)
        assert added.json() == {"data": {"addNote": {"author": "dave"}}}
        assert listed.json() == {"data": {"notes": [{"text": "from curl"}]}}
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "appsync-local stopped." in out
    assert "Traceback" not in err


# -- config checks -----------------------------------------------------------------------------------
def write_config(tmp_path: Path, **changes: Any) -> Path:
    config = json.loads(json.dumps(EXAMPLE_CONFIG))
    config["schema"] = str(EXAMPLE / "schema.graphql")
    config["local"]["pythonPath"] = [str(EXAMPLE)]
    config["local"]["cognito"] = {"userPoolId": "us-east-1_X", "issuer": "https://issuer.example"}
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = config
        for part in parents:
            target = target[part]
        target[last] = value
    file = tmp_path / "config.json"
    file.write_text(json.dumps(config), encoding="utf-8")
    return file


def test_a_valid_config_derives_its_engine_settings(tmp_path: Path) -> None:
    project = load_project(write_config(tmp_path, local__apiKeys=None))
    settings = project.engine_settings(port=1234)
    assert project.api_keys[0].generated and project.api_keys[0].key.startswith("da2-")
    assert list(settings.api_keys) == [project.api_keys[0].key]
    assert settings.query_depth_limit == 5 and settings.resolver_count_limit == 50
    assert settings.cognito is not None
    assert settings.cognito.accepted_issuers == ("https://issuer.example",)
    assert settings.cognito.jwks_url == "https://issuer.example/.well-known/jwks.json"
    assert settings.iam_principals[IAM_KEY_ID].user_arn == IAM_PRINCIPAL["userArn"]


def test_every_problem_of_a_bad_config_is_listed(tmp_path: Path) -> None:
    file = write_config(
        tmp_path,
        authorization={"default": "API_KEY", "additional": ["OPENID_CONNECT"]},
        dataSources__notesLambda__handler="no_function",
        dataSources__notesLambda__timeoutSeconds=901,
        resolvers={"Query.notes": "missing", "Mutation.addNote": "notesLambda"},
    )
    config = json.loads(file.read_text())
    config["subscriptionFilters"] = {
        "Subscription.onNoteAdded": {
            "filterGroup": [
                {"filters": [{"fieldName": "board", "operator": "like", "valueFromArgument": "x"}]}
            ]
        }
    }
    file.write_text(json.dumps(config))
    with pytest.raises(ConfigError) as raised:
        load_project(file)
    problems = raised.value.problems
    expected = [
        "authorization.additional[0]: 'OPENID_CONNECT' is not one of the modes served",
        'dataSources.notesLambda.handler: must be "module.function"',
        "dataSources.notesLambda.timeoutSeconds: must be a number from 1 to 900",
        "resolvers.Query.notes: data source 'missing' is not declared in dataSources",
        "subscriptionFilters.Subscription.onNoteAdded.filterGroup[0].filters[0].operator: must be one of",
        "filters[0].valueFromArgument: 'x' is not an argument of the field",
    ]
    for text in expected:
        assert any(text in problem for problem in problems), (text, problems)
    assert len(problems) == len(expected)


def test_the_command_reports_a_bad_config_without_a_traceback(tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_text('{"schema": "schema.graphql",\n "authorization": {"default": "API_KEY"},}')
    done = subprocess.run(
        [sys.executable, "-m", "appsync_local", "--config", str(file)],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        "config.json: 1 problem(s):\n  - not JSON: " in done.stderr and "at line 2, column 42" in done.stderr
    )
    assert "Traceback" not in done.stderr
    file.write_text('{"schema": "missing.graphql", "authorization": {"default": "API_KEY"}}')
    done = subprocess.run(
        [sys.executable, "-m", "appsync_local", "--config", str(file)],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "schema: cannot read" in done.stderr and "missing.graphql" in done.stderr
    assert "Traceback" not in done.stderr
