"""Request limits of the public surface: body size, per-caller rate limits, security headers.

- ``BodyLimitMiddleware`` refuses bodies over ``HOTLINE_MAX_BODY_KB`` (``/api/stt`` uses the audio
  upload limit instead) with 413 and a Chinese message, judged from Content-Length and, for
  chunked uploads, while the body streams in, so a large body is never read into memory.
- ``RateLimiter`` is an in-process token bucket per key. Caller-facing routes take
  ``Depends(limit_caller_ip)`` (per client IP) and call ``check_session`` (per chat session id);
  requests with a staff token are not limited. Over the limit: 429 with ``Retry-After``.
  With several API instances the limit holds per instance (a caller spread over N instances gets
  up to N times the rate); the load balancer's own limits cover the cluster as a whole.
- ``SecurityHeadersMiddleware`` sets nosniff and a referrer policy on every response and, on
  HTML pages, a Content-Security-Policy that allows only our own scripts and no framing.

The client IP is ASGI's ``client``: behind a reverse proxy run uvicorn with
``--proxy-headers --forwarded-allow-ips=<proxy>`` or every caller shares the proxy's address.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from api.errors import DomainError
from api.settings import Settings
from api.texts import text

__all__ = [
    "BodyLimitMiddleware",
    "BodyTooLarge",
    "RateLimited",
    "RateLimiter",
    "SecurityHeadersMiddleware",
    "check_session",
    "install_limits",
    "limit_caller_ip",
    "limiter_for",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Paths whose body limit is the audio upload limit (plus multipart framing), not the JSON one.
_AUDIO_PATHS = ("/api/stt",)
_MULTIPART_OVERHEAD = 64 * 1024

# Applies to HTML pages only: the widget and console load their own scripts, never inline ones.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# FastAPI's own documentation pages load Swagger/ReDoc from a CDN; they keep their own policy.
_CSP_EXEMPT = ("/docs", "/redoc")


class BodyTooLarge(DomainError):
    status_code = 413
    key = "body_too_large"


class RateLimited(DomainError):
    status_code = 429
    key = "rate_limited"

    def __init__(self, detail: str = "", *, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(detail, seconds=self.retry_after)


def _json_error(exc: DomainError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=exc.status_code,
        content={"error": exc.key, "message": text(exc.key, **exc.fmt), "detail": exc.detail},
        headers=headers,
    )


class _TooLargeWhileReading(HTTPException):
    """Raised from the wrapped ``receive`` when a chunked body passes the limit.

    An HTTPException, because FastAPI turns any other error while reading a body into a 400.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"body over {limit} bytes")
        self.limit = limit


class BodyLimitMiddleware:
    """Refuse request bodies over the limit before a handler reads them (413)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, audio_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.audio_max_bytes = audio_max_bytes

    def _limit(self, path: str) -> int:
        return self.audio_max_bytes if path.startswith(_AUDIO_PATHS) else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit, f"content-length {declared} over {limit}")
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLargeWhileReading(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _TooLargeWhileReading:
            if started:
                raise
            await self._refuse(scope, receive, send, limit, f"body over {limit} bytes")

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int, detail: str) -> None:
        exc = BodyTooLarge(detail, limit_kb=max(1, limit // 1024))
        await _json_error(exc, {"Connection": "close"})(scope, receive, send)


class SecurityHeadersMiddleware:
    """Add browser-hardening headers (every response; the CSP on HTML pages)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exempt = scope.get("path", "").startswith(_CSP_EXEMPT)

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html") and not exempt:
                    extra += [
                        (b"content-security-policy", CSP.encode()),
                        (b"x-frame-options", b"DENY"),
                    ]
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)


class RateLimiter:
    """Token buckets per key: ``rate_per_min`` tokens a minute, at most ``burst`` saved up.

    Memory is bounded: the least recently used keys beyond ``max_keys`` are forgotten (a
    forgotten key starts again with a full bucket, which only ever errs towards admitting).
    """

    def __init__(self, rate_per_min: float, burst: int, *, max_keys: int = 100_000) -> None:
        if rate_per_min < 0 or burst < 0:
            raise ValueError(f"rate_per_min and burst must be >= 0, got {rate_per_min}, {burst}")
        self.rate = rate_per_min / 60.0
        self.burst = float(max(burst, 1))
        self.enabled = rate_per_min > 0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one token of ``key``; 0.0 when admitted, else the seconds until one is available."""
        if not self.enabled:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait


class CallerLimits:
    """The two limiters of one app: per client IP and per chat session id."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ip = RateLimiter(settings.rate_limit_ip_per_min, settings.rate_limit_ip_burst)
        self.session = RateLimiter(settings.rate_limit_session_per_min, settings.rate_limit_session_burst)


def limiter_for(app: Any) -> CallerLimits | None:
    """The app's limits, or None when ``install_limits`` was not called (bare test apps)."""
    return getattr(app.state, "caller_limits", None)


def _is_staff(settings: Settings, authorization: str | None) -> bool:
    from api.deps import _role_for_token

    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return scheme.lower() == "bearer" and bool(token) and _role_for_token(settings, token) is not None


def _client_ip(client: Any) -> str:
    return str(client.host) if client is not None else "unknown"


def check_ip(app: Any, client: Any, authorization: str | None) -> None:
    """Spend one request of the client's IP budget (staff exempt); raise RateLimited when over."""
    limits = limiter_for(app)
    if limits is None or not limits.ip.enabled or _is_staff(limits.settings, authorization):
        return
    wait = limits.ip.take(_client_ip(client))
    if wait > 0:
        raise RateLimited(f"ip {_client_ip(client)} over limit", retry_after=wait)


def check_session(app: Any, session_id: str) -> None:
    """Spend one message of a chat session's budget; raise RateLimited when over."""
    limits = limiter_for(app)
    if limits is None:
        return
    wait = limits.session.take(f"session:{session_id}")
    if wait > 0:
        raise RateLimited(f"session {session_id} over limit", retry_after=wait)


def limit_caller_ip(request: Request) -> None:
    """Dependency for caller-facing HTTP routes: the per-IP limit."""
    check_ip(request.app, request.client, request.headers.get("authorization"))


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the body limit, security headers and rate limiters to ``app`` (called by create_app)."""
    app.state.caller_limits = CallerLimits(settings)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=int(settings.max_body_kb * 1024),
        # Looser than the route's own check, which answers with the audio-specific message first;
        # this one only stops chunked uploads that never declare their length.
        audio_max_bytes=int(settings.stt_max_upload_mb * 1024 * 1024) + 4 * _MULTIPART_OVERHEAD,
    )

    @app.exception_handler(_TooLargeWhileReading)
    async def _too_large(_: Request, exc: _TooLargeWhileReading) -> JSONResponse:
        limit_kb = max(1, exc.limit // 1024)
        return _json_error(BodyTooLarge(str(exc.detail), limit_kb=limit_kb), {"Connection": "close"})

    @app.exception_handler(RateLimited)
    async def _rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        return _json_error(exc, {"Retry-After": str(exc.retry_after)})
