"""The documented message limits the OpenAPI description leaves out, checked by hand.

Content ≤ 2000 characters, ≤ 10 embeds, ≤ 6000 embed characters in all, title 256,
description 4096, ≤ 25 fields (name 256, value 1024), footer text 2048, author name 256;
``allowed_mentions.parse`` and explicit ``users``/``roles`` lists are mutually exclusive.
"""

from __future__ import annotations

from typing import Any

CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
EMBED_TOTAL_LIMIT = 6000
FIELDS_LIMIT = 25
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}


def error_tree(errors: dict[str, Any], path: list[Any], code: str, message: str) -> None:
    node = errors
    for part in path:
        node = node.setdefault(str(part), {})
    entry = {"code": code, "message": message}
    bucket = node.setdefault("_errors", [])
    if entry not in bucket:
        bucket.append(entry)


def message_parts(template: str, body: Any) -> list[tuple[list[Any], dict[str, Any]]]:
    """The message-like objects inside a request body, with their path."""
    if not isinstance(body, dict):
        return []
    if template.endswith("/callback"):
        data = body.get("data")
        return [(["data"], data)] if isinstance(data, dict) else []
    if template == "/channels/{channel_id}/threads" and isinstance(body.get("message"), dict):
        return [(["message"], body["message"])]
    if "/messages" in template or template.startswith("/webhooks/"):
        return [([], body)]
    return []


def _embed_length(embed: dict[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        if isinstance(f, dict):
            total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def check_message(prefix: list[Any], msg: dict[str, Any], errors: dict[str, Any]) -> None:
    content = msg.get("content")
    if isinstance(content, str) and len(content) > CONTENT_LIMIT:
        error_tree(
            errors,
            [*prefix, "content"],
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {CONTENT_LIMIT} or fewer in length.",
        )
    embeds = msg.get("embeds")
    if isinstance(embeds, list):
        if len(embeds) > EMBEDS_LIMIT:
            error_tree(
                errors,
                [*prefix, "embeds"],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {EMBEDS_LIMIT} or fewer in length.",
            )
        total = 0
        for i, embed in enumerate(embeds):
            if not isinstance(embed, dict):
                continue
            at = [*prefix, "embeds", i]
            for key, limit in EMBED_TEXT_LIMITS.items():
                value = embed.get(key)
                if isinstance(value, str) and len(value) > limit:
                    error_tree(
                        errors,
                        [*at, key],
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {limit} or fewer in length.",
                    )
            fields = embed.get("fields") or []
            if isinstance(fields, list) and len(fields) > FIELDS_LIMIT:
                error_tree(
                    errors,
                    [*at, "fields"],
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {FIELDS_LIMIT} or fewer in length.",
                )
            for j, f in enumerate(fields if isinstance(fields, list) else []):
                for key, limit in (("name", 256), ("value", 1024)):
                    value = f.get(key) if isinstance(f, dict) else None
                    if isinstance(value, str) and len(value) > limit:
                        error_tree(
                            errors,
                            [*at, "fields", j, key],
                            "BASE_TYPE_MAX_LENGTH",
                            f"Must be {limit} or fewer in length.",
                        )
            for part, key, limit in (("footer", "text", 2048), ("author", "name", 256)):
                value = (embed.get(part) or {}).get(key)
                if isinstance(value, str) and len(value) > limit:
                    error_tree(
                        errors,
                        [*at, part, key],
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {limit} or fewer in length.",
                    )
            total += _embed_length(embed)
        if total > EMBED_TOTAL_LIMIT:
            error_tree(
                errors,
                [*prefix, "embeds"],
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            )
    mentions = msg.get("allowed_mentions")
    if isinstance(mentions, dict):
        parse = mentions.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and mentions.get(kind):
                error_tree(
                    errors,
                    [*prefix, "allowed_mentions"],
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
