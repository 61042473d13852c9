"""The local AppSync emulation: GraphQL over HTTP and AppSync's real-time WebSocket protocol.

    from appsync_local.engine import EngineSettings, create_app
    app = create_app(EngineSettings(api_keys={"da2-…": expiry}, cognito=CognitoSettings.for_moto(...)))

Modules: settings (EngineSettings), app (create_app), http (POST/GET /graphql), realtime (WebSocket),
engine (prepare/execute/subscribe), auth + jwt_verify + sigv4 (credentials), directives (field auth),
scalars (AWS scalars), validation + literals + variables (AppSync's error wording), resolution +
events + lambda_runtime (direct Lambda resolvers), fanout + filters (@aws_subscribe delivery).
"""

from .app import create_app
from .auth import AuthContext
from .engine import Engine
from .fanout import SubscriptionHub
from .lambda_runtime import LambdaContext, LambdaRuntime
from .settings import CognitoSettings, EngineSettings, IamPrincipal

__all__ = [
    "AuthContext",
    "CognitoSettings",
    "Engine",
    "EngineSettings",
    "IamPrincipal",
    "LambdaContext",
    "LambdaRuntime",
    "SubscriptionHub",
    "create_app",
]
