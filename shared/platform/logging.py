"""structlog JSON logging with the correlation id (and, inside a span, the trace id) on every line.

Library loggers (uvicorn, aiokafka, FastStream, SQLAlchemy) go through the same
JSON renderer, so every line a service writes is one JSON object. Log events
name what happened and carry ids only: never names, addresses, dates of birth
or free text from a referral (personal data stays out of logs).
"""

from __future__ import annotations

import logging
import sys

import structlog

from shared.platform.redaction import redact_personal_data
from shared.platform.tracing import ids_of_current_span

_configured = False


def _add_trace_ids(logger, method_name, event_dict):
    """The active span's trace and span ids, so a log line leads to its trace (and back)."""
    for key, value in ids_of_current_span().items():
        event_dict.setdefault(key, value)
    return event_dict


_SHARED = [
    structlog.contextvars.merge_contextvars,
    _add_trace_ids,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(service: str, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    _configured = True
    numeric_level = logging.getLevelName(level.upper())

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_SHARED, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                # Ours and libraries' lines alike, exceptions included: personal data masked by name and pattern.
                redact_personal_data,
                structlog.processors.EventRenamer("message"),
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    # Quieten chatty libraries; their warnings still come through. httpx logs every request's URL at INFO,
    # and a query string can name a person (the workspace's referral search): no pattern masks a name.
    for noisy in ("aiokafka", "faststream", "uvicorn.access", "sqlalchemy.engine", "alembic", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True

    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
