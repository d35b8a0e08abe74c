"""Text a member or a model wrote, made safe to store and to show: one line, nothing hidden.

Control characters (ESC and the rest of C0 and C1, which a terminal reads as commands) and the
bidirectional formatting characters (which reorder what is shown, the "Trojan Source" trick)
are dropped; every run of whitespace becomes one space. Markup is escaped where the text is
shown (rich in the terminal, markdown on Discord), not here: the stored text stays what the
member wrote, for the model and for every display alike.
"""

from __future__ import annotations

import unicodedata

# Unicode's explicit directional embeddings, overrides and isolates, and the marks
# (https://www.unicode.org/reports/tr9/#Directional_Formatting_Characters). Other format
# characters (the zero-width joiner of emoji sequences, soft hyphens) are kept.
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _hidden(ch: str) -> bool:
    return (unicodedata.category(ch) == "Cc" and not ch.isspace()) or ch in BIDI_CONTROLS


def without_controls(text: str) -> str:
    """`text` without control or bidirectional formatting characters (whitespace kept)."""
    return "".join(ch for ch in text if not _hidden(ch))


def one_line(text: str) -> str:
    """`text` without control characters, on one line, whitespace runs made one space."""
    return " ".join(without_controls(text).split())


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with "…" when it was cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
