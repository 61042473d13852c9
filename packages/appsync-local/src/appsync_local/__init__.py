"""appsync-local: an AWS AppSync emulator for Python projects (GraphQL over HTTP, the real-time
WebSocket protocol, auth modes, direct Lambda resolvers, @aws_subscribe with enhanced filters)."""

__version__ = "0.1.0"
