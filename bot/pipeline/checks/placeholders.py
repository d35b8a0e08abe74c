"""Keys that are placeholders, not keys: found before anything is sent with them.

A real key always holds digits and none of `< > ...` or spaces: a Discord token is three
base64url parts joined by single dots, the first the bot's numeric id in base64; an OpenAI key
is `sk-` and ~150 random letters and digits; a Replicate token `r8_` and 37 of them. A value
without a digit that says "your", "changeme", "xxx", ... is what a template or a guide leaves
there ("your-discord-token", "sk-your-key-here"), so it can never be a real key by accident.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^(?:r8_|sk-(?:proj-|svcacct-|admin-)?)")  # the keys' own prefixes
_NEVER_IN_A_KEY = re.compile(r"[<>\s]|\.\.\.|…")
_WORDS = re.compile(
    r"your|change[-_]?me|placeholder|replace|insert|paste|xxx|todo|example|here", re.IGNORECASE
)


def is_placeholder(value: str) -> bool:
    """True when `value` cannot be a real key (see the module's docstring)."""
    if _NEVER_IN_A_KEY.search(value):
        return True
    body = _PREFIX.sub("", value)
    return not any(c.isdigit() for c in body) and _WORDS.search(body) is not None


WHERE = {
    "DISCORD_TOKEN": "the bot token (Developer Portal → your application → Bot → Reset Token)",
    "OPENAI_API_KEY": "a key from platform.openai.com/api-keys",
    "REPLICATE_API_TOKEN": "a token from replicate.com/account/api-tokens",
}


def placeholder_text(setting: str) -> str:
    """One sentence: `setting` holds a placeholder, and where the real value comes from (the
    value itself is never repeated)."""
    return (
        f"{setting} holds a placeholder, not a key: put {WHERE.get(setting, 'the real value')} "
        "in the environment or .env."
    )
