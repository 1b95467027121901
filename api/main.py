"""The FastAPI application factory: one router per resource, shared resources on app.state."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import jobs
from api.errors import install_error_handlers
from api.limits import install_limits
from api.logging_config import install_log_masking
from api.routes import (
    assist,
    audit,
    auth,
    chat,
    console,
    dashboard,
    health,
    kb_editor,
    knowledge,
    qa,
    tickets,
    voice,
)
from api.routes.telephony import freeswitch, jambonz
from api.routes.telephony import twilio as twilio_line
from api.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Every router of the app; the order only affects the OpenAPI listing.
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    knowledge.router,
    tickets.router,
    chat.router,
    voice.router,
    twilio_line.router,  # phone platforms, one documented protocol each (docs/telephony.md)
    freeswitch.router,
    jambonz.router,
    qa.router,
    dashboard.router,
    assist.router,
    auth.router,  # console access
    console.router,
    audit.router,  # audit log
    kb_editor.router,  # knowledge-base editor
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings``; heavy resources (models, index, DB) load on first use.

    The background jobs (escalation, outbox replay, retention purge) run for the app's lifetime
    (``api/jobs.py``).
    """
    settings = settings or get_settings()
    install_log_masking()  # personal numbers masked in every log record of the process
    app = FastAPI(
        title="12393 医保热线助手 API",
        version="0.1.0",
        description="政策问答、工单、智能质检与坐席工作台的接口。",
        lifespan=jobs.lifespan,
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
    for router in ROUTERS:
        app.include_router(router)
    return app
