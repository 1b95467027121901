"""Personal numbers never reach a log: every record is masked with ``api.privacy.mask_text``.

``install_log_masking`` wraps ``Logger.makeRecord`` for the whole process, so the mask applies to
every logger and handler alike: ours, uvicorn's access log (whose formatter needs ``record.args`` as a
tuple, so arguments are masked one by one rather than merged into the message), rasa-sdk's and
any library's, whatever logging configuration is applied later. Exceptions are rendered and
masked at creation too, because an exception message may quote the caller's input.
``MaskingFilter`` does the same for a handler in a ``dictConfig``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from api.privacy import mask_text

__all__ = ["MaskingFilter", "install_log_masking", "mask_record"]

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_installed = False
_lock = threading.Lock()
_exc_formatter = logging.Formatter()


def _mask_value(value: Any) -> Any:
    """A masked copy of a log argument: strings masked, numbers masked only if they hold a number."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        masked = mask_text(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, bytes):
        return value
    try:
        rendered = str(value)
    except Exception:  # a broken __str__ must not break logging
        return value
    masked = mask_text(rendered)
    return value if masked == rendered else masked


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the message, its arguments, extra string fields and any exception text, in place."""
    original = (record.msg, record.args)
    if isinstance(record.msg, str):
        record.msg = mask_text(record.msg)
    elif record.msg is not None:
        record.msg = _mask_value(record.msg)
    if isinstance(record.args, Mapping):
        record.args = {k: _mask_value(v) for k, v in record.args.items()}
    elif isinstance(record.args, tuple) and record.args:
        record.args = tuple(_mask_value(a) for a in record.args)
    if record.args:
        try:
            record.getMessage()
        except (TypeError, ValueError):
            # A masked number no longer fits its %d: format the original, then mask the result.
            record.msg, record.args = original
            record.msg, record.args = mask_text(record.getMessage()), ()
    for key, value in list(record.__dict__.items()):
        if key not in _STANDARD and isinstance(value, str):
            setattr(record, key, mask_text(value))
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_text(_exc_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    return record


class MaskingFilter(logging.Filter):
    """A handler filter that masks each record (for logging configurations built by hand)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install_log_masking() -> None:
    """Mask every log record made in this process from now on (idempotent).

    ``Logger.makeRecord`` is wrapped rather than the record factory, because ``extra`` fields
    are attached after the factory has run.
    """
    global _installed
    with _lock:
        if _installed:
            return
        original: Callable[..., logging.LogRecord] = logging.Logger.makeRecord

        def make_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
            record = original(self, *args, **kwargs)
            try:
                return mask_record(record)
            except Exception:  # masking must never lose a log line; keep it, withheld
                record.msg, record.args = "log.masking.failed (record withheld)", ()
                return record

        logging.Logger.makeRecord = make_record  # type: ignore[method-assign]
        _installed = True
