"""Errors a caller may see. AppSync turns the class name into `errorType` and str(exc) into `message`,
so class names are part of the public contract and messages never carry internals."""


class PitstopError(Exception):
    """Base class of the errors the handler passes through to the caller unchanged."""


class ValidationError(PitstopError):
    """Bad input; the message names the field, e.g. "vehicle.year must be between 1886 and 2027"."""


#: The one message for an unknown id and for a public caller's missing or wrong tracking token.
TICKET_NOT_FOUND = "Ticket not found"


class NotFoundError(PitstopError):
    """Unknown id/reference, or (for public callers) a missing or wrong tracking token."""


class ConflictError(PitstopError):
    """Stale expectedVersion, a transition the lifecycle forbids, or a reused clientToken."""


class UnauthorizedException(PitstopError):
    """The caller may not do this. AppSync's own name and fixed message for auth failures."""

    def __init__(self, message: str = "You are not authorized to make this call.") -> None:
        super().__init__(message)


INTERNAL_MESSAGE = "An internal error occurred."


class InternalFailure(Exception):
    """The generic error every unexpected exception becomes; its message is fixed, no internals."""

    def __init__(self) -> None:
        super().__init__(INTERNAL_MESSAGE)
