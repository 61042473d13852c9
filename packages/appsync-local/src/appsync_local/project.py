"""A project's config file (JSON): the API's declaration plus a `local` section, checked and turned
into EngineSettings. The format is described in the package README ("Config file").

The checks are written out (about twenty rules) rather than a JSON Schema: a schema library would be
one more dependency and still not know the GraphQL schema, which most rules check against
(resolver coordinates, filter arguments). Every problem found is reported, each with its JSON path.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema

from .engine.filters import OPERATORS
from .engine.settings import CognitoSettings, EngineSettings, IamPrincipal
from .schema import build_appsync_schema

SUPPORTED_MODES = ("API_KEY", "AMAZON_COGNITO_USER_POOLS", "AWS_IAM")
DATA_SOURCE_TYPES = ("AWS_LAMBDA", "NONE")
# Lambda's own bounds: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
TIMEOUT_RANGE = (1, 900)
MEMORY_RANGE = (128, 10_240)
# AppSync's: https://docs.aws.amazon.com/appsync/latest/APIReference/API_GraphqlApi.html
QUERY_DEPTH_RANGE = (1, 75)
RESOLVER_COUNT_RANGE = (1, 10_000)
# AppSync's API key validity: https://docs.aws.amazon.com/appsync/latest/APIReference/API_CreateApiKey.html
API_KEY_DAYS_RANGE = (1, 365)
DEFAULT_API_KEY_DAYS = 7
DEFAULT_PORT = 4000
DEFAULT_HOST = "127.0.0.1"


class ConfigError(Exception):
    """The config file cannot be served; `problems` lists each one ("path: what is wrong")."""

    def __init__(self, source: Path, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s):\n{lines}")


@dataclass
class ApiKey:
    key: str
    expires: datetime
    generated: bool = False


@dataclass
class ProjectConfig:
    """A checked config file: what EngineSettings needs, plus where and how to serve it."""

    source: Path
    api_config: dict[str, Any]
    schema_sdl: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    region: str = "us-east-1"
    api_keys: list[ApiKey] = field(default_factory=list)
    cognito: CognitoSettings | None = None
    iam_principals: dict[str, IamPrincipal] = field(default_factory=dict)
    python_path: list[Path] = field(default_factory=list)

    @property
    def modes(self) -> tuple[str, ...]:
        auth = self.api_config["authorization"]
        return (auth["default"], *[m for m in auth.get("additional", []) if m != auth["default"]])

    def activate_python_path(self) -> None:
        """Make the handler modules importable: here (sys.path) and in processes started from here
        (PYTHONPATH), so a Lambda worker process finds them too."""
        entries = [str(p) for p in self.python_path]
        for entry in reversed(entries):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        os.environ["PYTHONPATH"] = os.pathsep.join([*[e for e in entries if e not in current], *current])

    def engine_settings(self, port: int | None = None, **overrides: Any) -> EngineSettings:
        """EngineSettings for serving this project on `port` (the Host check accepts only that port)."""
        limits = self.api_config.get("limits", {})
        values: dict[str, Any] = {
            "api_config": self.api_config,
            "schema_sdl": self.schema_sdl,
            "api_keys": {k.key: k.expires for k in self.api_keys},
            "cognito": self.cognito,
            "iam_principals": dict(self.iam_principals),
            "region": self.region,
            "port": port,
        }
        if "queryDepthLimit" in limits:
            values["query_depth_limit"] = limits["queryDepthLimit"]
        if "resolverCountLimit" in limits:
            values["resolver_count_limit"] = limits["resolverCountLimit"]
        if "maxRequestBodyBytes" in limits:
            values["max_request_body_bytes"] = limits["maxRequestBodyBytes"]
        values.update(overrides)
        return EngineSettings(**values)


def new_api_key() -> str:
    """A key shaped like AppSync's (`da2-` and 26 lower-case letters and digits)."""
    alphabet = string.ascii_lowercase + string.digits
    return "da2-" + "".join(secrets.choice(alphabet) for _ in range(26))


def load_project(path: str | Path) -> ProjectConfig:
    """Read and check a config file; raises ConfigError listing every problem."""
    source = Path(path).resolve()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the file ({exc.strerror})"]) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(source, [f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    checker = _Checker(source)
    project = checker.project(raw)
    if checker.problems or project is None:
        raise ConfigError(source, checker.problems)
    return project


class _Checker:
    def __init__(self, source: Path) -> None:
        self.source = source
        self.base = source.parent
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(where, "must be an object")
            return {}
        return value

    def string(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not value:
            self.fail(where, "must be a non-empty string")
            return None
        return value

    def integer(self, value: Any, where: str, bounds: tuple[float, float]) -> bool:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not bounds[0] <= value <= bounds[1]:
            self.fail(where, f"must be a number from {bounds[0]} to {bounds[1]}")
            return False
        return True

    # -- the API's declaration -----------------------------------------------------------------
    def project(self, raw: Any) -> ProjectConfig | None:
        if not isinstance(raw, dict):
            self.fail("(top level)", "must be a JSON object")
            return None
        schema_sdl, schema = self.schema(raw.get("schema"))
        modes = self.authorization(raw.get("authorization"))
        sources = self.data_sources(raw.get("dataSources"))
        self.resolvers(raw.get("resolvers"), sources, schema)
        self.none_results(raw.get("noneResolverResult"), raw.get("resolvers"), schema)
        self.subscription_filters(raw.get("subscriptionFilters"), schema)
        self.limits(raw.get("limits"))
        local = self.obj(raw.get("local"), "local")
        project = ProjectConfig(source=self.source, api_config=raw, schema_sdl=schema_sdl or "")
        self.local(local, modes, project)
        return project

    def schema(self, value: Any) -> tuple[str | None, GraphQLSchema | None]:
        name = self.string(value, "schema")
        if name is None:
            return None, None
        path = self.base / name
        try:
            sdl = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.fail("schema", f"cannot read {path} ({exc.strerror})")
            return None, None
        try:
            return sdl, build_appsync_schema(sdl)
        except (GraphQLError, TypeError) as exc:
            self.fail("schema", f"{path} is not a valid AppSync schema: {exc}")
            return sdl, None

    def authorization(self, value: Any) -> tuple[str, ...]:
        auth = self.obj(value, "authorization")
        if not auth:
            self.fail("authorization", 'required: {"default": MODE, "additional": [MODE, ...]}')
            return ()
        modes = [auth.get("default"), *(auth.get("additional") or [])]
        if not isinstance(auth.get("additional", []), list):
            self.fail("authorization.additional", "must be a list of modes")
            modes = [auth.get("default")]
        for index, mode in enumerate(modes):
            where = "authorization.default" if index == 0 else f"authorization.additional[{index - 1}]"
            if mode not in SUPPORTED_MODES:
                self.fail(where, f"{mode!r} is not one of the modes served: {', '.join(SUPPORTED_MODES)}")
        return tuple(m for m in modes if m in SUPPORTED_MODES)

    def data_sources(self, value: Any) -> dict[str, str]:
        sources = self.obj(value, "dataSources")
        kinds: dict[str, str] = {}
        for name, spec in sources.items():
            where = f"dataSources.{name}"
            spec = self.obj(spec, where)
            kind = spec.get("type")
            if kind not in DATA_SOURCE_TYPES:
                self.fail(f"{where}.type", f"must be one of {', '.join(DATA_SOURCE_TYPES)}")
                continue
            kinds[name] = kind
            if kind == "AWS_LAMBDA":
                self.lambda_source(spec, where)
        return kinds

    def lambda_source(self, spec: dict[str, Any], where: str) -> None:
        handler = spec.get("handler")
        module, _, function = handler.rpartition(".") if isinstance(handler, str) else ("", "", "")
        if not module or not function:
            self.fail(f"{where}.handler", 'must be "module.function" (e.g. "notes.handler.lambda_handler")')
        if "functionName" in spec:
            self.string(spec["functionName"], f"{where}.functionName")
        environment = self.obj(spec.get("environment"), f"{where}.environment")
        for key, item in environment.items():
            if not isinstance(item, str):
                self.fail(f"{where}.environment.{key}", "must be a string (Lambda variables are strings)")
        if "timeoutSeconds" in spec:
            self.integer(spec["timeoutSeconds"], f"{where}.timeoutSeconds", TIMEOUT_RANGE)
        if "memorySize" in spec:
            self.integer(spec["memorySize"], f"{where}.memorySize", MEMORY_RANGE)
        if "concurrency" in spec:
            self.integer(spec["concurrency"], f"{where}.concurrency", (1, 1000))

    def field_of(self, coordinate: str, schema: GraphQLSchema | None, where: str) -> Any:
        type_name, dot, field_name = coordinate.partition(".")
        if not dot or not type_name or not field_name:
            self.fail(where, f'{coordinate!r} must be "Type.field"')
            return None
        if schema is None:
            return None
        parent = schema.get_type(type_name)
        if not isinstance(parent, GraphQLObjectType) or field_name not in parent.fields:
            self.fail(where, f"{coordinate} is not a field of the schema")
            return None
        return parent.fields[field_name]

    def resolvers(self, value: Any, sources: Mapping[str, str], schema: GraphQLSchema | None) -> None:
        for coordinate, source in self.obj(value, "resolvers").items():
            where = f"resolvers.{coordinate}"
            self.field_of(coordinate, schema, where)
            if source not in sources:
                self.fail(where, f"data source {source!r} is not declared in dataSources")

    def none_results(self, value: Any, resolvers: Any, schema: GraphQLSchema | None) -> None:
        resolvers = resolvers if isinstance(resolvers, dict) else {}
        for coordinate, argument in self.obj(value, "noneResolverResult").items():
            where = f"noneResolverResult.{coordinate}"
            definition = self.field_of(coordinate, schema, where)
            if coordinate not in resolvers:
                self.fail(where, "the field has no resolver (add it to resolvers with a NONE data source)")
            if definition is not None and argument not in definition.args:
                self.fail(where, f"{argument!r} is not an argument of {coordinate}")

    def subscription_filters(self, value: Any, schema: GraphQLSchema | None) -> None:
        for coordinate, spec in self.obj(value, "subscriptionFilters").items():
            where = f"subscriptionFilters.{coordinate}"
            if not coordinate.startswith("Subscription."):
                self.fail(where, 'keys are "Subscription.field"')
                continue
            definition = self.field_of(coordinate, schema, where)
            groups = self.obj(spec, where).get("filterGroup")
            if not isinstance(groups, list) or not groups:
                self.fail(f"{where}.filterGroup", 'must be a non-empty list of {"filters": [...]}')
                continue
            for g, group in enumerate(groups):
                filters = self.obj(group, f"{where}.filterGroup[{g}]").get("filters")
                if not isinstance(filters, list) or not filters:
                    self.fail(f"{where}.filterGroup[{g}].filters", "must be a non-empty list")
                    continue
                for f, item in enumerate(filters):
                    self.filter(
                        self.obj(item, f"{where}.filterGroup[{g}].filters[{f}]"),
                        definition,
                        f"{where}.filterGroup[{g}].filters[{f}]",
                    )

    def filter(self, item: dict[str, Any], definition: Any, where: str) -> None:
        self.string(item.get("fieldName"), f"{where}.fieldName")
        if item.get("operator") not in OPERATORS:
            self.fail(f"{where}.operator", f"must be one of {', '.join(OPERATORS)}")
        if ("value" in item) == ("valueFromArgument" in item):
            self.fail(where, 'give exactly one of "value" or "valueFromArgument"')
        argument = item.get("valueFromArgument")
        if argument is not None and definition is not None and argument not in definition.args:
            self.fail(f"{where}.valueFromArgument", f"{argument!r} is not an argument of the field")

    def limits(self, value: Any) -> None:
        limits = self.obj(value, "limits")
        if "queryDepthLimit" in limits:
            self.integer(limits["queryDepthLimit"], "limits.queryDepthLimit", QUERY_DEPTH_RANGE)
        if "resolverCountLimit" in limits:
            self.integer(limits["resolverCountLimit"], "limits.resolverCountLimit", RESOLVER_COUNT_RANGE)
        if "maxRequestBodyBytes" in limits:
            self.integer(limits["maxRequestBodyBytes"], "limits.maxRequestBodyBytes", (1, 2**31))

    # -- the local section -----------------------------------------------------------------------
    def local(self, local: dict[str, Any], modes: tuple[str, ...], project: ProjectConfig) -> None:
        if "host" in local and self.string(local["host"], "local.host"):
            project.host = local["host"]
        if "port" in local and self.integer(local["port"], "local.port", (0, 65_535)):
            project.port = int(local["port"])
        if "region" in local and self.string(local["region"], "local.region"):
            project.region = local["region"]
        paths = local.get("pythonPath", [])
        if not isinstance(paths, list):
            self.fail("local.pythonPath", "must be a list of folders (relative to the config file)")
            paths = []
        for index, entry in enumerate(paths):
            folder = self.base / entry if isinstance(entry, str) else None
            if folder is None or not folder.is_dir():
                self.fail(f"local.pythonPath[{index}]", f"{entry!r} is not a folder")
            else:
                project.python_path.append(folder.resolve())
        project.api_keys = self.api_keys(local.get("apiKeys"), "API_KEY" in modes)
        if "AMAZON_COGNITO_USER_POOLS" in modes:
            project.cognito = self.cognito(local.get("cognito"), project.region)
        if "AWS_IAM" in modes:
            project.iam_principals = self.iam(local.get("iam"))

    def api_keys(self, value: Any, wanted: bool) -> list[ApiKey]:
        now = datetime.now(UTC)
        if value is None:
            if not wanted:
                return []
            return [ApiKey(new_api_key(), now + timedelta(days=DEFAULT_API_KEY_DAYS), generated=True)]
        if not isinstance(value, list):
            self.fail(
                "local.apiKeys", 'must be a list of keys: "da2-…" or {"key": "da2-…", "expiresDays": N}'
            )
            return []
        keys = []
        for index, item in enumerate(value):
            where = f"local.apiKeys[{index}]"
            entry: dict[str, Any] = {"key": item} if isinstance(item, str) else self.obj(item, where)
            key = self.string(entry.get("key"), f"{where}.key")
            days = entry.get("expiresDays", DEFAULT_API_KEY_DAYS)
            if key and self.integer(days, f"{where}.expiresDays", API_KEY_DAYS_RANGE):
                keys.append(ApiKey(key, now + timedelta(days=days)))
        return keys

    def cognito(self, value: Any, region: str) -> CognitoSettings | None:
        where = "local.cognito"
        spec = self.obj(value, where)
        if not spec:
            self.fail(
                where,
                'required for AMAZON_COGNITO_USER_POOLS: {"userPoolId": ..., "jwksFile" | '
                '"jwksUrl" | "issuer": ...}',
            )
            return None
        pool = self.string(spec.get("userPoolId"), f"{where}.userPoolId")
        pool_region = spec.get("region", region)
        self.string(pool_region, f"{where}.region")
        clients = spec.get("clientIds", [])
        if not isinstance(clients, list) or not all(isinstance(c, str) for c in clients):
            self.fail(f"{where}.clientIds", "must be a list of app client ids")
            clients = []
        issuer = spec.get("issuer")
        if issuer is not None:
            self.string(issuer, f"{where}.issuer")
        jwks = None
        if "jwksFile" in spec and self.string(spec["jwksFile"], f"{where}.jwksFile"):
            path = self.base / spec["jwksFile"]
            try:
                jwks = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                self.fail(f"{where}.jwksFile", f"cannot read a JSON key set from {path} ({exc})")
            if jwks is not None and not isinstance(
                jwks.get("keys") if isinstance(jwks, dict) else None, list
            ):
                self.fail(f"{where}.jwksFile", f'{path} is not a key set ({{"keys": [...]}})')
                jwks = None
        jwks_url = spec.get("jwksUrl")
        if jwks_url is not None:
            self.string(jwks_url, f"{where}.jwksUrl")
        if pool is None or not isinstance(pool_region, str):
            return None
        settings = CognitoSettings(
            region=pool_region,
            user_pool_id=pool,
            client_ids=tuple(clients),
            issuers=(issuer,) if isinstance(issuer, str) else (),
            jwks=jwks,
        )
        if jwks is None:
            # a Cognito pool publishes its keys at {issuer}/.well-known/jwks.json:
            # https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html
            url = (
                jwks_url
                if isinstance(jwks_url, str)
                else f"{settings.accepted_issuers[0]}/.well-known/jwks.json"
            )
            settings = replace(settings, jwks_url=url)
        return settings

    def iam(self, value: Any) -> dict[str, IamPrincipal]:
        principals: dict[str, IamPrincipal] = {}
        for access_key_id, spec in self.obj(value, "local.iam").items():
            where = f"local.iam.{access_key_id}"
            spec = self.obj(spec, where)
            secret = self.string(spec.get("secretAccessKey"), f"{where}.secretAccessKey")
            account = str(spec.get("accountId", "000000000000"))
            username = str(spec.get("username", access_key_id))
            user_arn = str(spec.get("userArn", f"arn:aws:iam::{account}:user/{username}"))
            token = spec.get("sessionToken")
            if token is not None:
                self.string(token, f"{where}.sessionToken")
            if secret:
                principals[access_key_id] = IamPrincipal(
                    secret, account_id=account, user_arn=user_arn, username=username, session_token=token
                )
        return principals
