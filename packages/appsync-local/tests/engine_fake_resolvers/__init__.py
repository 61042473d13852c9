"""A tiny stand-in for the `resolvers` package: enough behaviour to exercise the engine."""
