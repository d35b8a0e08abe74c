"""The fake Replicate's account and model endpoints: what the bot's start-up check reads.

- ``GET /v1/account``: "information about the user or organization associated with the
  provided API token" -- ``type`` "organization"|"user", ``username``, optional ``name``,
  ``github_url``, ``avatar_url`` (https://sdks.replicate.com/resources/account/methods/get;
  replicate-python 1.0.7 ``replicate/account.py``). Replicate's docs name it as the way to test
  that a token works.
- ``GET /v1/models/{model_owner}/{model_name}``: the model object -- url, owner, name,
  description, visibility, github_url, paper_url, license_url, run_count, cover_image_url,
  default_example, latest_version (Replicate's "Get a model" reference, as mirrored at
  https://8mdkf4f12u.apifox.cn/api-135794479; replicate-python ``replicate/model.py`` ``Model``;
  https://replicate.com/changelog/2023-03-21-more-useful-metadata-from-the-model-api).
  A model outside ``FakeReplicate.models`` (when that is set) answers 404.

Both need the token like every API route (401 ``Unauthenticated`` without a valid one, through
the fake's own gate) and count against the read rate limit. Errors are RFC 7807 problem
details, as on the fake's other routes (replicate-python ``replicate/exceptions.py`` reads
``title``, ``detail`` and ``status`` from them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes._common import json_response, problem_json

if TYPE_CHECKING:
    from tests.fakes.replicate_fake import FakeReplicate

ACCOUNT: dict[str, Any] = {
    "type": "organization",
    "username": "reelbot-test",
    "name": "Reelbot Test",
    "github_url": None,
    "avatar_url": None,
}


def add_catalog_routes(app: web.Application, fake: FakeReplicate) -> None:
    """Register ``GET /v1/account`` and ``GET /v1/models/{owner}/{name}`` for `fake`."""
    fake.counts.setdefault("catalog", 0)

    async def account(request: web.Request) -> web.Response:
        if (failure := fake._gate(request, "catalog")) is not None:
            return failure
        return json_response(ACCOUNT)

    async def model(request: web.Request) -> web.Response:
        if (failure := fake._gate(request, "catalog")) is not None:
            return failure
        owner, name = request.match_info["owner"], request.match_info["name"]
        if fake.models is not None and f"{owner}/{name}" not in fake.models:
            body = problem_json(404, f"Model {owner}/{name} not found.", "Not found")
            return json_response(body, 404)
        return json_response(model_json(fake, owner, name))

    app.router.add_get("/v1/account", account)
    app.router.add_get("/v1/models/{owner}/{name}", model)


def model_json(fake: FakeReplicate, owner: str, name: str) -> dict[str, Any]:
    """A public model run by name (``POST /v1/models/{owner}/{name}/predictions``), so no
    version is exposed."""
    return {
        "url": f"https://replicate.com/{owner}/{name}",
        "owner": owner,
        "name": name,
        "description": f"The fake {owner}/{name} text-to-video model.",
        "visibility": "public",
        "github_url": None,
        "paper_url": None,
        "license_url": None,
        "run_count": len(fake.predictions),
        "cover_image_url": None,
        "default_example": None,
        "latest_version": None,
    }
