"""Domain errors and their single mapping to HTTP responses (Chinese messages for people)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.texts import text


class DomainError(Exception):
    """Base of errors a caller or agent can be told about; ``key`` indexes api/texts.py."""

    status_code = 400
    key = "bad_request"

    def __init__(self, detail: str = "", **fmt: object) -> None:
        super().__init__(detail or self.key)
        self.detail = detail
        self.fmt = fmt


class NotFound(DomainError):
    status_code = 404
    key = "not_found"


class Conflict(DomainError):
    status_code = 409
    key = "conflict"


class Forbidden(DomainError):
    status_code = 403
    key = "forbidden"


class Unauthorized(DomainError):
    status_code = 401
    key = "unauthorized"


class ServiceUnavailable(DomainError):
    status_code = 503
    key = "unavailable"


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors and validation errors to JSON bodies with a Chinese message."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": exc.key, "message": text(exc.key, **exc.fmt), "detail": exc.detail},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()]
        return JSONResponse(
            status_code=422,
            content={"error": "invalid_request", "message": text("invalid_request"), "fields": fields},
        )
