"""appsync-local: an AWS AppSync emulator for Python projects (GraphQL over HTTP, the real-time
WebSocket protocol, auth modes, direct Lambda resolvers, @aws_subscribe with enhanced filters)."""

__version__ = "0.1.0"

from .engine import EngineSettings, create_app
from .project import ConfigError, ProjectConfig, load_project
from .server import LocalAppSync

__all__ = ["ConfigError", "EngineSettings", "LocalAppSync", "ProjectConfig", "create_app", "load_project"]
