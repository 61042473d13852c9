"""A local, offline AppSync: GraphQL over HTTP and the real-time WebSocket protocol, auth modes,
subscriptions, the stream publisher and an SNS outbox, invoking the very same Lambda handlers."""
