"""Salesforce's error form: a list of `{"message", "errorCode", "fields"}` with an HTTP status."""


class SfError(Exception):
    def __init__(self, status: int, code: str, message: str, fields=None, **extra):
        super().__init__(message)
        self.status = status
        # Save errors name their fields (possibly none); others (auth, query, limits) have no
        # `fields` key at all, as in Salesforce's responses.
        error = {"message": message, "errorCode": code}
        if fields is not None:
            error["fields"] = list(fields)
        self.errors = [{**error, **extra}]

    @property
    def code(self) -> str:
        return self.errors[0]["errorCode"]

    @classmethod
    def many(cls, status: int, errors: list) -> "SfError":
        err = cls(status, errors[0]["errorCode"], errors[0]["message"])
        err.errors = errors
        return err


def bad_request(code: str, message: str, fields=(), **extra) -> SfError:
    return SfError(400, code, message, fields, **extra)


def request_error(code: str, message: str, status=400) -> SfError:
    """An error about the request as a whole (no `fields`)."""
    return SfError(status, code, message)


def not_found(message="The requested resource does not exist") -> SfError:
    return SfError(404, "NOT_FOUND", message)


def malformed_query(message: str) -> SfError:
    return SfError(400, "MALFORMED_QUERY", message)


def invalid_field(message: str) -> SfError:
    return SfError(400, "INVALID_FIELD", message)

