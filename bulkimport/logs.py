"""Logging setup for the CLI, and the processor that keeps secrets and personal data out of logs.

Tokens, passwords, BSNs, IBANs, personnummer and birth dates must never reach a log line.
`redact_sensitive` removes them twice over: by key name (anywhere in nested dicts and lists)
and by what values look like (in any string, whatever its key), because a message or an
exception text can carry a value the key name does not announce. It errs on the side of
masking: an order number that happens to pass the BSN 11-check is masked too.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Final, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from bulkimport.mapping.identity import (
    bsn_is_valid,
    iban_checksum_is_valid,
    personnummer_is_valid,
)

__all__ = [
    "PROGRESS_LOGGER",
    "configure_logging",
    "console_logging_to",
    "is_sensitive_name",
    "mask_text",
    "mask_value",
    "progress_logger",
    "redact_sensitive",
    "register_secret",
]

REDACTED: Final = "[REDACTED]"
MIN_SECRET_LENGTH: Final = 4  # shorter values would mask ordinary text everywhere
_MAX_DEPTH: Final = 12

# Key names, compared lower-case without separators ("Birth_Date" -> "birthdate").
_SENSITIVE_KEY_PARTS: Final = (
    "token",
    "password",
    "passwd",
    "secret",
    "authorization",
    "apikey",
    "iban",
    "bsn",
    "burgerservicenummer",
    "sofinummer",
    "birth",
    "geboorte",
    "personnummer",
    "personnr",
    "födelse",
    "fodelse",
    "samordningsnummer",
)
_SENSITIVE_KEYS: Final = frozenset({"pwd", "dob", "ssn", "pin", "personalnumber"})
# Keys whose value names a field, so that a sibling "value" belongs to that field.
_FIELD_NAME_KEYS: Final = frozenset({"column", "field", "name", "key", "header"})
_VALUE_KEYS: Final = frozenset({"value", "cell", "raw"})
_PASS_THROUGH_KEYS: Final = ("exc_info", "_record", "_from_structlog")

_IBAN_RE: Final = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?"
    r"(?![A-Za-z0-9])"
)
_PERSONNUMMER_RE: Final = re.compile(r"(?<![0-9])(?:[0-9]{2})?[0-9]{6}[-+][0-9]{4}(?![0-9])")
_COMPACT_PERSONNUMMER_RE: Final = re.compile(r"(?<![0-9])(?:[0-9]{12}|[0-9]{10})(?![0-9])")
_BSN_RE: Final = re.compile(
    r"(?<![0-9])(?:[0-9]{3}[ .-]?[0-9]{3}[ .-]?[0-9]{3}|[0-9]{4}[ .-]?[0-9]{2}[ .-]?[0-9]{3}"
    r"|[0-9]{8})(?![0-9])"
)
_DATE_RE: Final = re.compile(
    r"(?<![0-9])(?:[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}"
    r"|[0-9]{8})(?![0-9])"
)
_QUOTED_VALUE_RE: Final = re.compile(r"""\b(value\b\s*[=:]?\s*)(?:'[^']*'|"[^"]*"|\S+)""", re.I)
_SENSITIVE_WORD_RE: Final = re.compile(
    "|".join(re.escape(part) for part in (*_SENSITIVE_KEY_PARTS, "dob", "ssn")), re.I
)

_secrets: set[str] = set()
_secrets_re: re.Pattern[str] | None = None


def register_secret(value: str) -> None:
    """Mask this exact value (the API token, a password) wherever it appears in a log line."""
    global _secrets_re
    if len(value) < MIN_SECRET_LENGTH or value in _secrets:
        return
    _secrets.add(value)
    ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial masking
    _secrets_re = re.compile("|".join(re.escape(secret) for secret in ordered))


def _normalise_key(key: object) -> str:
    return re.sub(r"[\W_]+", "", str(key).lower())


def _is_sensitive_key(key: object) -> bool:
    name = _normalise_key(key)
    return name in _SENSITIVE_KEYS or any(part in name for part in _SENSITIVE_KEY_PARTS)


def _passes_bsn_check(digits: str) -> bool:
    """The 11-check on 9 digits; 8 are padded first (a leading zero lost in a spreadsheet)."""
    return bsn_is_valid(digits.zfill(9))


def _mask_bsn(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9]", "", match[0])
    return "[BSN]" if _passes_bsn_check(digits) else match[0]


def _mask_iban(match: re.Match[str]) -> str:
    """Mask the IBAN; when a valid one is followed by words, keep the words (their text only
    looked like more IBAN groups). An IBAN with a typo is masked whole: still personal data."""
    text = match[0]
    cut = len(text)
    while cut > 0:
        candidate = text[:cut]
        compact = candidate.replace(" ", "")
        if len(compact) >= 15 and iban_checksum_is_valid(compact):
            return "[IBAN]" + text[cut:]
        cut = candidate.rfind(" ")
    return "[IBAN]"


def _mask_compact_personnummer(match: re.Match[str]) -> str:
    """Ten or twelve digits without a separator are masked when they are a personnummer."""
    return "[PERSONNUMMER]" if personnummer_is_valid(match[0]) else match[0]


def _scrub_text(text: str) -> str:
    if _secrets_re is not None:
        text = _secrets_re.sub("[SECRET]", text)
    text = _IBAN_RE.sub(_mask_iban, text)
    text = _PERSONNUMMER_RE.sub("[PERSONNUMMER]", text)
    text = _COMPACT_PERSONNUMMER_RE.sub(_mask_compact_personnummer, text)
    text = _BSN_RE.sub(_mask_bsn, text)
    if _SENSITIVE_WORD_RE.search(text):
        # "column 'Geboortedatum', value '12-03-1985': ..." names the field in the text.
        text = _DATE_RE.sub("[DATE]", text)
        text = _QUOTED_VALUE_RE.sub(lambda m: f"{m[1]}{REDACTED}", text)
    return text


def _scrub(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return _scrub_text(value)
    if value is None or isinstance(value, bool | float | Decimal | date | Enum):
        return value
    if isinstance(value, int):
        return "[BSN]" if 10**8 <= value < 10**9 and _passes_bsn_check(str(value)) else value
    if depth >= _MAX_DEPTH:
        return REDACTED
    if isinstance(value, Mapping):
        return _scrub_mapping(value, depth + 1)
    if isinstance(value, list | tuple | set | frozenset):
        items = [_scrub(item, depth + 1) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    # Anything else is rendered with repr() later; mask what that text would show.
    shown = repr(value)
    scrubbed = _scrub_text(shown)
    return value if scrubbed == shown else scrubbed


def _redact_item(key: object, value: Any, depth: int) -> Any:
    if _is_sensitive_key(key) and value not in (None, ""):
        return REDACTED
    return _scrub(value, depth)


def _scrub_mapping(mapping: Mapping[Any, Any], depth: int) -> dict[Any, Any]:
    names_sensitive_field = any(
        _normalise_key(key) in _FIELD_NAME_KEYS and _is_sensitive_key(value)
        for key, value in mapping.items()
        if isinstance(value, str)
    )
    return {
        key: REDACTED
        if names_sensitive_field and _normalise_key(key) in _VALUE_KEYS
        else _redact_item(key, value, depth)
        for key, value in mapping.items()
    }


def is_sensitive_name(name: str) -> bool:
    """Whether a key, column or header name announces a secret or personal data (BSN, IBAN,
    birth date, ...), so that its values are masked whatever they look like."""
    return _is_sensitive_key(name)


def mask_text(text: str) -> str:
    """Free text as a log line would show it: secrets and personal data masked by pattern."""
    return _scrub_text(text)


def mask_value(field: str, value: str) -> str:
    """A cell's value as a log line would show it under the field's name: masked whole when
    the name announces personal data (BSN, IBAN, birth date), else by pattern."""
    return REDACTED if _is_sensitive_key(field) and value else mask_text(value)


def redact_sensitive(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask secrets and personal data by key name and by value pattern.

    Place it after `format_exc_info` so that rendered tracebacks are scrubbed too.
    """
    # Left as they are: exc_info is turned into text by format_exc_info (scrubbed when it runs
    # first); the other two are the stdlib bridge's own bookkeeping.
    kept = {key: event_dict.pop(key) for key in _PASS_THROUGH_KEYS if key in event_dict}
    scrubbed = _scrub_mapping(event_dict, 0)
    scrubbed.update(kept)
    return scrubbed


def name_exception(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor, instead of `format_exc_info`: the exception in one line, no traceback.

    A person at the console reads one line per problem; the traceback is for `-v`.
    """
    exc_info = event_dict.pop("exc_info", None)
    error = sys.exc_info()[1] if exc_info is True else exc_info
    if isinstance(error, tuple):
        error = error[1]
    if isinstance(error, BaseException):
        event_dict["error"] = f"{type(error).__name__}: {error}"
    return event_dict


_HANDLER_MARK: Final = "_bulkimport_handler"
LOG_FORMATS: Final = ("auto", "console", "json")
# The periodic progress line of a run that is not on a terminal: written at info whatever the
# console's level (-q turns progress off instead), so that cron and CI see the run move.
PROGRESS_LOGGER: Final = "bulkimport.progress"


def configure_logging(
    *,
    level: str = "info",
    json: bool | None = False,
    stream: TextIO | None = None,
    tracebacks: bool = True,
    log_file: Path | None = None,
    file_level: str = "info",
) -> None:
    """Route structlog and the standard library's logging (aiohttp, asyncio) through redaction.

    Every line passes `redact_sensitive` before any renderer sees it: structlog's own lines in
    the shared chain, the standard library's in each handler's pre-chain.

    Args:
        level: debug, info, warning, error or critical (the console's).
        json: one JSON object per line; False: the readable console format; None: JSON when
            the stream is not a terminal (cron, CI, a pipe), readable when it is.
        stream: where lines go; sys.stderr (as it is at call time) when None.
        tracebacks: log an exception's traceback; False names the exception in one line.
        log_file: also append JSON lines here, at `file_level` or the console's if lower.
        file_level: the least level the file keeps.
    """
    level_number = _level_number(level)
    file_level_number = min(_level_number(file_level), level_number)
    output = stream if stream is not None else sys.stderr
    if json is None:
        json = not _is_terminal(output)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info if tracebacks else name_exception,
        redact_sensitive,
    ]
    console_renderer: Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=_is_terminal(output))
    )
    handlers = [_handler(logging.StreamHandler(output), console_renderer, shared, level_number)]
    lowest = level_number
    if log_file is not None:
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        json_renderer = structlog.processors.JSONRenderer()
        handlers.append(_handler(file_handler, json_renderer, shared, file_level_number))
        lowest = min(lowest, file_level_number)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(lowest),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    _remove_own_handlers(root.handlers, root)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(lowest)
    progress = logging.getLogger(PROGRESS_LOGGER)
    progress.propagate = False  # the root's console handler would drop it below its level
    _remove_own_handlers(progress.handlers, progress)
    progress.addHandler(
        _handler(logging.StreamHandler(output), console_renderer, shared, logging.INFO)
    )
    for handler in handlers[1:]:  # the log file keeps them too
        progress.addHandler(handler)
    progress.setLevel(logging.INFO)


def progress_logger() -> Any:
    """The logger of the progress line: the configured processors (redaction included), at
    info whatever the console's level. Cheap to ask for; it is used every few seconds."""
    return structlog.wrap_logger(
        logging.getLogger(PROGRESS_LOGGER),
        processors=structlog.get_config()["processors"],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )


@contextmanager
def console_logging_to(stream: TextIO) -> Iterator[None]:
    """Write the console's log lines to `stream` while in the block.

    A live display on the terminal redraws itself in place; a line written past it would be
    overdrawn. Its stderr proxy prints each line above the display instead.
    """
    swapped: list[tuple[logging.StreamHandler[TextIO], TextIO]] = []
    for logger in (logging.getLogger(), logging.getLogger(PROGRESS_LOGGER)):
        for handler in logger.handlers:
            if getattr(handler, _HANDLER_MARK, False) and type(handler) is logging.StreamHandler:
                previous = handler.setStream(stream)
                if previous is not None:
                    swapped.append((handler, previous))
    try:
        yield
    finally:
        for handler, previous in swapped:
            handler.setStream(previous)


def _level_number(level: str) -> int:
    names = logging.getLevelNamesMapping()
    if level.upper() not in names:
        raise ValueError(f"unknown log level {level!r}")
    return names[level.upper()]


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _handler(
    handler: logging.Handler, renderer: Processor, shared: list[Processor], level: int
) -> logging.Handler:
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    handler.setLevel(level)
    setattr(handler, _HANDLER_MARK, True)
    return handler


def _remove_own_handlers(handlers: Iterable[logging.Handler], root: logging.Logger) -> None:
    """configure_logging may run more than once (tests, a CLI that re-reads options)."""
    for handler in list(handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            if isinstance(handler, logging.FileHandler):
                handler.close()  # a stream handler's stream is the caller's to close
