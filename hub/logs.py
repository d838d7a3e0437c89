"""Structured logs: one JSON object a line, carrying the request id or job id it belongs to, with
secrets redacted before anything is written.

Every record goes through the standard `logging` module, the hub's own (`logging.getLogger` or
`structlog.get_logger`) and its libraries' (Django, django-q2, requests/urllib3, simple-salesforce)
alike, and structlog's `ProcessorFormatter` renders all of them, so one chain (context, redaction,
rendering) applies to every line. The ids are bound as context variables:
`syncapp.middleware.RequestIdMiddleware` binds `request_id`, the job engine binds `job_id` while
a job runs (`job_ids` while a batch does).
"""
from __future__ import annotations

import logging.config
import logging.handlers
import os
import re
from typing import Any

import structlog
from structlog.typing import Processor

REDACTED = "[redacted]"
# A value is dropped whole when its key names a secret (headers, form fields, extras).
SECRET_KEY = re.compile(r"password|passwd|secret|token|authorization|api[-_]?key|signature|session|"
                        r"cookie|csrf", re.IGNORECASE)
# Secrets inside text: messages, tracebacks, reprs of requests, vendor error bodies.
SECRET_TEXT = [
    # Authorization header values: Bearer/OAuth tokens (hub and Salesforce), Basic credentials.
    (re.compile(r"(?i)\b(bearer|oauth|basic)(\s+)[A-Za-z0-9._~+/=!\-]{8,}"), r"\1\2" + REDACTED),
    (re.compile(r"\bosh_[A-Za-z0-9_\-]{8,}"), REDACTED),  # the hub's API tokens
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), REDACTED),  # Standard Webhooks secrets (base64 or urlsafe)
    (re.compile(r"\bv1,[A-Za-z0-9+/]{16,}={0,2}"), "v1," + REDACTED),  # webhook signatures
    (re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._\-]+"), REDACTED),  # Salesforce session ids
    (re.compile(r"(?i)<((?:\w+:)?(?:password|sessionId))>[^<]*"), r"<\1>" + REDACTED),  # SOAP login
    # name=value, "name": "value", name: value, for any secret-looking name.
    (re.compile(r"(?i)((?:password|passwd|secret|token|api[-_]?key|signature|session_?id|sessionid|"
                r"authorization)[\w-]*[\"']?\s*[:=]\s*[\"']?)(?!(?:bearer|oauth|basic)\s)([^\s\"'&,;<>}\]]+)"),
     r"\1" + REDACTED),
    (re.compile(r"(://[^/\s:@]*:)[^/\s@]+@"), r"\1" + REDACTED + "@"),  # passwords in URLs
]


def redact_text(text: str) -> str:
    for pattern, replacement in SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _redacted(key, value):
    if isinstance(key, str) and SECRET_KEY.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, dict):
        return {k: _redacted(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(None, v) for v in value]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return redact_text(value if isinstance(value, str) else str(value))


def redact_secrets(logger, method_name, event_dict: dict) -> dict:
    """structlog processor: the last one before rendering, so it sees the final text of every
    field (the formatted message and traceback included)."""
    return {key: _redacted(key, value) for key, value in event_dict.items()}


class PrivateFileHandler(logging.handlers.WatchedFileHandler):
    """A WatchedFileHandler whose file, when it creates it (first write, after logrotate moved the
    old one), is readable by the hub's user only: log lines carry customers' names and emails."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


# What every record goes through first, structlog's own and the standard library's alike.
SHARED_PROCESSORS: list[Processor] = [structlog.contextvars.merge_contextvars, structlog.stdlib.add_logger_name,
                     structlog.stdlib.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True)]


def apply(logging_config: dict) -> None:
    """Set up structlog, then the standard `logging` from Django's `LOGGING` (`configure`'s)."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(logging_config)


def configure(level: str, console_format: str = "json", log_file: str = "") -> dict:
    """Django's `LOGGING` for structlog (applied by `apply`): JSON lines (or structlog's plain
    console format, `console_format="console"`) on stderr, and JSON lines appended to
    `log_file` when given (a WatchedFileHandler: several processes append, logrotate may move it)."""
    shared = SHARED_PROCESSORS

    def formatter(renderer) -> dict:
        return {"()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": [*shared, structlog.stdlib.ExtraAdder()],
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                               structlog.processors.format_exc_info, redact_secrets, renderer]}

    json_renderer = structlog.processors.JSONRenderer()
    handlers: dict[str, dict[str, Any]] = {"console": {"class": "logging.StreamHandler", "formatter": console_format}}
    if log_file:
        handlers["file"] = {"class": "hub.logs.PrivateFileHandler", "filename": log_file,
                            "delay": True, "formatter": "json"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": formatter(json_renderer),
                       "console": formatter(structlog.dev.ConsoleRenderer(colors=False))},
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": level},
        # Requests are logged once each, with their request id, by RequestIdMiddleware.
        "loggers": {"django.server": {"level": "WARNING"},
                    "axes.apps": {"level": "WARNING"}},  # its version banner, on every command
    }
