class NotFoundError(Exception):
    pass


class ValidationError(Exception):
    pass


class UnauthorizedException(Exception):
    pass
