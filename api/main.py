"""The FastAPI application factory: one router per resource, shared resources on app.state."""

from __future__ import annotations

import importlib
import logging

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import install_error_handlers
from api.limits import install_limits
from api.logging_config import install_log_masking
from api.services.retention import install_retention_job
from api.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Each module in api/routes/ exposes ``router``; order only affects the OpenAPI listing.
ROUTER_MODULES = ["health", "knowledge", "tickets", "chat", "voice", "qa", "dashboard", "assist"]
ROUTER_MODULES += ["auth", "console", "audit", "kb_editor"]  # console access, audit log, KB editor


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings``; heavy resources (models, index, DB) load on first use."""
    settings = settings or get_settings()
    install_log_masking()  # personal numbers masked in every log record of the process
    app = FastAPI(
        title="12393 医保热线助手 API",
        version="0.1.0",
        description="政策问答、工单、智能质检与坐席工作台的接口。",
    )
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    install_error_handlers(app)
    install_limits(app, settings)  # body size, rate limits, security headers
    install_retention_job(app)  # daily purge of personal data past HOTLINE_RETENTION_DAYS
    for name in ROUTER_MODULES:
        module = importlib.import_module(f"api.routes.{name}")
        app.include_router(module.router)
    return app
