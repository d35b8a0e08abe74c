"""HTTP plumbing shared by the REST routes: replies, errors, bodies, the API middleware."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .ratelimit import route_key
from .records import Call, FileUpload, Problem
from .validation import flatten_errors, validate_body

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
FAKE_KEY: web.AppKey[FakeDiscord] = web.AppKey("fake_discord")
# Per-request storage of the parsed body (``web.RequestKey`` exists from aiohttp 3.14).
_RequestKey: Any = getattr(web, "RequestKey", None)
BODY: Any = _RequestKey("body", object) if _RequestKey else "discord_fake_body"
FILES: Any = _RequestKey("files", list) if _RequestKey else "discord_fake_files"
NO_AUTH_PREFIXES = ("/webhooks/", "/interactions/")
SETUP_ROUTES = {
    "GET /users/@me",
    "GET /oauth2/applications/@me",
    "GET /gateway",
    "GET /gateway/bot",
    "GET /applications/{}/commands",
    "PUT /applications/{}/commands",
    "GET /applications/{}/guilds/{}/commands",
    "PUT /applications/{}/guilds/{}/commands",
}


class DiscordError(Exception):
    """Raised by handlers; answered as Discord's JSON error body."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly (discord.py compares it)."""
    # ``text=`` would make aiohttp append "; charset=utf-8", and discord.py then treats the
    # body as text; bytes keep the header exactly "application/json".
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def error_reply(error: DiscordError, headers: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"message": error.message, "code": error.code}
    if error.errors is not None:
        body["errors"] = error.errors
    return reply(body, error.status, headers)


def unknown(what: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


async def read_body(request: web.Request) -> tuple[Any, list[FileUpload], str | None]:
    """The JSON body (or ``payload_json``), uploaded files, and the JSON text."""
    if not request.body_exists:
        return None, [], None
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        body_text: str | None = None
        files: list[FileUpload] = []
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=False)
            if part.name == "payload_json":
                body_text = data.decode()
            elif part.name and part.name.startswith("files["):
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                files.append(FileUpload(part.name, part.filename or "", content_type, bytes(data)))
        return _parse(body_text), files, body_text
    text = await request.text()
    return _parse(text), [], text or None


def _parse(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None


def _major(match_info: dict[str, str]) -> str:
    for keys in (("channel_id",), ("guild_id",), ("webhook_id", "webhook_token")):
        if all(k in match_info for k in keys):
            return "+".join(match_info[k] for k in keys)
    if "interaction_id" in match_info:
        return f"{match_info['interaction_id']}+{match_info.get('interaction_token', '')}"
    return ""


@web.middleware
async def api_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX + "/"):
        return await handler(request)
    fake = request.app[FAKE_KEY]
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else None
    template = canonical.removeprefix(API_PREFIX) if canonical else request.path
    call = Call(
        method=request.method,
        route=template,
        path=request.path.removeprefix(API_PREFIX),
        query=dict(request.query),
        json=None,
        files=[],
        started_at=fake.loop_time(),
    )
    fake.calls.append(call)
    response = await _answer(fake, request, handler, call, canonical is not None)
    call.status = response.status
    call.finished_at = fake.loop_time()
    fake.touch()
    return response


async def _answer(
    fake: FakeDiscord, request: web.Request, handler: Any, call: Call, known: bool
) -> web.StreamResponse:
    method, template = call.method, call.route
    key = route_key(method, template)
    if not known:
        fake.unhandled.append(Problem(method, template, call.path, "route not implemented"))
        log.warning("fake Discord has no route for %s %s", method, call.path)
        return reply({"message": "404: Not Found", "code": 0}, 404)
    call.authorized = request.headers.get("Authorization") == f"Bot {fake.token}"
    if not template.startswith(NO_AUTH_PREFIXES) and not call.authorized:
        return reply({"message": "401: Unauthorized", "code": 0}, 401)
    injected = fake.take_failure(key)
    if injected is not None:
        return reply({"message": f"{injected}: injected failure", "code": 0}, injected)
    verdict = fake.ratelimits.check(key, _major(dict(request.match_info)))
    if verdict is not None and not verdict.allowed:
        body = {
            "message": "You are being rate limited.",
            "retry_after": verdict.retry_after,
            "global": False,
        }
        return reply(body, 429, verdict.headers)
    headers = verdict.headers if verdict is not None else {}
    try:
        body, files, body_text = await read_body(request)
        call.json, call.files = body, files
        if files and max(f.size for f in files) > fake.upload_limit_for(request.match_info):
            # per file, by where it goes (access.upload_limit names the documentation)
            raise DiscordError(413, 40005, "Request entity too large")
        if body is not None and method in ("POST", "PUT", "PATCH"):
            errors = validate_body(method, template, body, body_text)
            if errors:
                problem = Problem(method, template, call.path, "; ".join(flatten_errors(errors)))
                problem.errors, problem.body = errors, body
                fake.validation_errors.append(problem)
                log.warning("invalid body for %s %s: %s", method, template, problem.message)
                raise DiscordError(400, 50035, "Invalid Form Body", errors)
        request[BODY], request[FILES] = body, files
        response = await handler(request)
    except DiscordError as error:
        return error_reply(error, headers)
    except ConnectionResetError:
        raise  # the client went away mid-request (a killed bot): nobody to answer, no fake bug
    except Exception as error:
        # A bug in the fake: answer at once (a 500 would make discord.py retry for ~25 s)
        # and make it visible through ``unhandled`` / ``assert_clean()``.
        log.exception("fake Discord failed on %s %s", method, call.path)
        fake.unhandled.append(Problem(method, template, call.path, f"fake raised {error!r}"))
        return reply({"message": f"fake Discord error: {error!r}", "code": 0}, 400)
    response.headers.update(headers)
    return response
