"""The notes board's Lambda code (one direct Lambda resolver for every field)."""
