"""Logging, configured once: one handler on the root logger that never prints a secret."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"

# A refused OpenAI key is named in the 401's message: its first characters, asterisks and its
# last four ("Incorrect API key provided: sk-proj-****…SJh4. You can find your API key at
# https://platform.openai.com/account/api-keys." — github.com/popjane/free_chatgpt_api/issues/3,
# github.com/IIC2440/Syllabus-2025-1/issues/13, github.com/continuedev/continue/issues/9652),
# and a short one whole ("Incorrect API key provided: kk." — continuedev/continue#9358).
_KEY_ECHO = re.compile(r"(API key provided:\s*)(.+?)(?=\.(?:\s|$)|$)", re.IGNORECASE | re.MULTILINE)
# Any masked secret: a run of three or more asterisks with the characters around it.
_MASKED = re.compile(r"[\w-]*\*{3,}[\w-]*")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret value, and every fragment of a key a provider echoed back
    (its masked form), replaced by "[redacted]"."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _KEY_ECHO.sub(lambda m: m.group(1) + REDACTED, text)
    return _MASKED.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then blanks out every secret value and echoed key fragment
    (tracebacks included)."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


def configure(level: str, secrets: Iterable[str] = ()) -> None:
    """Send every log record to stderr at `level`, with secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)-8s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpx2", "httpcore", "openai", "replicate", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
