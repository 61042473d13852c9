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


def as_refusal(error: PitstopError) -> dict[str, str]:
    """The error as a *result*: {"errorType", "errorMessage"}, for fields whose Lambda AppSync invokes
    from resolver code (the subscription check's pipeline function). There AppSync reports a raised
    Lambda error as `Lambda:Unhandled` (aws-appsync-community#209), so the function's code raises
    this result itself with util.error(errorMessage, errorType) and the caller sees the named type.
    """
    return {"errorType": type(error).__name__, "errorMessage": str(error)}


INTERNAL_MESSAGE = "An internal error occurred."


class InternalFailure(Exception):
    """The generic error every unexpected exception becomes; its message is fixed, no internals."""

    def __init__(self) -> None:
        super().__init__(INTERNAL_MESSAGE)
