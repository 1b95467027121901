"""Personal numbers are masked in every log record once the app is created: messages, arguments,
extra fields, tracebacks, and uvicorn's access log (whose formatter needs the argument tuple)."""

from __future__ import annotations

import io
import logging

import pytest
from uvicorn.logging import AccessFormatter

from api.logging_config import MaskingFilter, install_log_masking, mask_record
from api.main import create_app
from api.privacy import luhn_valid, mask_text
from api.settings import Settings

PHONE, ID, CARD = "13812345678", "110101199003071234", "6222021234567890123"


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    create_app(Settings(_env_file=None))  # installs the masking, as at app start
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s %(caller)s"))
    logger = logging.getLogger("tests.security.masking")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_messages_arguments_extras_and_tracebacks_are_masked(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("caller %s id %s number %d", PHONE, ID, int(PHONE), extra={"caller": f"card {CARD}"})
    try:
        raise ValueError(f"bad input {ID}")
    except ValueError:
        logger.exception(f"failed for {PHONE}", extra={"caller": "-"})
    out = stream.getvalue()
    for secret in (PHONE, ID, CARD):
        assert secret not in out
    assert "*******5678" in out and "**************1234" in out and "***************0123" in out
    assert "ValueError: bad input" in out  # the traceback is kept, masked


def test_uvicorn_access_log_is_masked_and_still_formats() -> None:
    install_log_masking()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    )
    logger = logging.getLogger("uvicorn.access.test")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    path = f"/api/tickets/lookup?number=GD1&phone={PHONE}"
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    line = stream.getvalue()
    assert PHONE not in line
    assert '"GET /api/tickets/lookup?number=GD1&phone=*******5678 HTTP/1.1" 200' in line


def test_filter_for_hand_built_configurations() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %s", (PHONE,), None)
    assert MaskingFilter().filter(record) is True
    assert record.getMessage() == "phone *******5678"
    assert mask_record(record).getMessage() == "phone *******5678"  # idempotent


def test_bank_cards_by_prefix_grouping_or_luhn() -> None:
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111111111111112") and not luhn_valid("")
    assert mask_text("卡号2221000000000009") == "卡号************0009"  # Mastercard 2-series, Luhn-valid
    assert mask_text("卡号4111-1111-1111-1111") == "卡号****-****-****-1111"
    assert mask_text("流水号1234567890123456") == "流水号1234567890123456"  # neither prefix nor Luhn
