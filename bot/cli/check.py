"""`python -m bot check`: settings, keys, models and database checked, for operators and CI.

Exit 0 with one line saying what was checked, or 2 with one line per problem on stderr. The
settings were read by `bot.__main__` (an invalid one is already a problem line there); here:

- keys: DISCORD_TOKEN is set and Discord accepts it (`GET /users/@me`, "Get Current User",
  https://docs.discord.com/developers/resources/user#get-current-user: 401 for a bad token);
  OPENAI_API_KEY and REPLICATE_API_TOKEN are set;
- keys and models at the providers: the bot's own start-up check (bot.pipeline.checks.preflight:
free
  requests only). Here every problem it finds counts, its warnings too (a provider that cannot
  be reached, a model about to shut down): a check that passes means nothing is known wrong;
- database: opened (SQLite file or PostgreSQL; migrations applied as at start-up) and read.
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp
from yarl import URL

from bot.config import Settings
from bot.services import check_configuration
from storage.db import DatabaseUnavailable, open_database
from storage.repository import Repository

DISCORD_CHECK_SECONDS = 10.0


async def discord_problems(settings: Settings) -> list[str]:
    """Whether Discord accepts DISCORD_TOKEN; one line per problem."""
    if settings.discord_token is None:
        return [
            "DISCORD_TOKEN is not set: put the bot token in the environment or in .env "
            "(see .env.example)"
        ]
    url = URL(settings.discord_api_base_url.rstrip("/") + "/users/@me")
    headers = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    timeout = aiohttp.ClientTimeout(total=DISCORD_CHECK_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers) as response,
        ):
            status = response.status
    except aiohttp.ClientConnectorError as exc:
        why = exc.os_error.strerror if exc.os_error and exc.os_error.strerror else str(exc)
        return [f"DISCORD_API_BASE_URL: cannot reach {url.host}: {why}"]
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [f"DISCORD_API_BASE_URL: no answer from {url.host} ({type(exc).__name__})"]
    if status == 401:
        return [
            "DISCORD_TOKEN: Discord refused the token (401): copy it again from the Developer "
            "Portal (your application, Bot, Reset Token)"
        ]
    if status != 200:
        return [f"DISCORD_API_BASE_URL: Discord answered {status} to GET /users/@me"]
    return []


async def database_problems(settings: Settings) -> list[str]:
    where = "DATABASE_URL" if settings.database_url is not None else "DATABASE_PATH"
    try:
        async with open_database(settings) as db:
            await Repository(db).usage_since(0, 0.0)
    except DatabaseUnavailable as exc:
        return [f"{where}: {' '.join(str(exc).split())}"]
    except OSError as exc:
        return [f"{where}: cannot open the database: {exc.strerror or exc}"]
    return []


async def provider_problems(settings: Settings) -> list[str]:
    missing = [
        f"{name} is not set: put it in the environment or in .env (see .env.example)"
        for name in settings.missing_generation_keys()
    ]
    checked = await check_configuration(settings)
    return missing + [" ".join(p.text.split()) for p in checked.problems]


async def check(settings: Settings) -> int:
    found = await asyncio.gather(
        discord_problems(settings), provider_problems(settings), database_problems(settings)
    )
    problems = [line for lines in found for line in lines]
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 2
    database = "PostgreSQL (DATABASE_URL)" if settings.database_url else str(settings.database_path)
    video = settings.video_model if settings.enable_video_generation else "video off"
    print(
        f"All checks passed: settings; Discord, OpenAI and Replicate keys; models "
        f"{settings.openai_model} and {video}; database {database}."
    )
    return 0
